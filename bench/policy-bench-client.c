/* policy-bench-client: a steady stream of Postfix policy delegation
   requests (protocol_state=RCPT, one recipient each) over N persistent TCP
   connections, one request in flight per connection as smtpd does it.
   One thread drives all connections with epoll, so the client costs as
   little CPU as it can and the server is what is measured.  Prints
   requests/s and latency percentiles.

   usage: policy-bench-client HOST PORT CONNECTIONS SECONDS USERS DOMAIN */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define MAX_SAMPLES 20000000

struct client {
	int fd;
	double sent_at;
	char buf[512];
	size_t have;
};

static const char *domain;
static int users;
static unsigned int counter;

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sends the next request: every one has a new client, sender, recipient
   and instance, as real traffic has, so no cache answers for free. */
static int send_request(struct client *c)
{
	char req[1024];
	unsigned int n = ++counter;
	int len;

	len = snprintf(req, sizeof(req),
		       "request=smtpd_access_policy\n"
		       "protocol_state=RCPT\nprotocol_name=ESMTP\n"
		       "client_address=192.0.2.%u\nclient_name=client%u.test\n"
		       "helo_name=client%u.test\nsender=sender%u@outside.test\n"
		       "recipient=user%u@%s\nrecipient_count=0\n"
		       "queue_id=\ninstance=%x.%x\nsize=%u\n\n",
		       n % 250 + 1, n, n, n, n % (unsigned int)users, domain,
		       (unsigned int)c->fd, n, 1000 + n % 5000);
	c->have = 0;
	c->sent_at = now_secs();
	return write(c->fd, req, (size_t)len) == len ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct client clients[MAX_CONNS];
	struct epoll_event ev, events[MAX_CONNS];
	double *samples, t0, end, elapsed;
	size_t count = 0, bad = 0;
	int conns, seconds, epfd, i, n, one = 1, active;
	ssize_t got;

	if (argc != 7) {
		fprintf(stderr, "usage: policy-bench-client HOST PORT "
			"CONNECTIONS SECONDS USERS DOMAIN\n");
		return 64;
	}
	inet_pton(AF_INET, argv[1], &sin.sin_addr);
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	conns = atoi(argv[3]);
	seconds = atoi(argv[4]);
	users = atoi(argv[5]);
	domain = argv[6];
	if (conns < 1 || conns > MAX_CONNS || users < 1 || seconds < 1)
		return 64;
	samples = malloc(sizeof(double) * MAX_SAMPLES);
	epfd = epoll_create1(0);
	for (i = 0; i < conns; i++) {
		clients[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(clients[i].fd, IPPROTO_TCP, TCP_NODELAY, &one,
			   sizeof(one));
		if (connect(clients[i].fd, (struct sockaddr *)&sin,
			    sizeof(sin)) < 0) {
			perror("connect");
			return 1;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = &clients[i];
		epoll_ctl(epfd, EPOLL_CTL_ADD, clients[i].fd, &ev);
	}
	t0 = now_secs();
	end = t0 + seconds;
	for (i = 0; i < conns; i++)
		send_request(&clients[i]);
	active = conns;
	while (active > 0) {
		n = epoll_wait(epfd, events, MAX_CONNS, 1000);
		for (i = 0; i < n; i++) {
			struct client *c = events[i].data.ptr;
			double now;

			got = read(c->fd, c->buf + c->have,
				   sizeof(c->buf) - 1 - c->have);
			if (got <= 0) {
				fprintf(stderr, "server closed a connection\n");
				return 1;
			}
			c->have += (size_t)got;
			c->buf[c->have] = '\0';
			if (strstr(c->buf, "\n\n") == NULL)
				continue;
			now = now_secs();
			if (strncmp(c->buf, "action=", 7) != 0)
				bad++;
			if (count < MAX_SAMPLES)
				samples[count++] = now - c->sent_at;
			if (now >= end || send_request(c) < 0) {
				epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				active--;
			}
		}
	}
	elapsed = now_secs() - t0;
	if (count == 0) {
		printf("no answers\n");
		return 1;
	}
	qsort(samples, count, sizeof(double), cmp_double);
	printf("%.0f req/s  p50 %.3f ms  p99 %.3f ms  (%zu requests, %zu "
	       "bad answers, %d connections)\n", count / elapsed,
	       samples[count / 2] * 1000, samples[(size_t)(count * 0.99)] *
	       1000, count, bad, conns);
	return bad == 0 ? 0 : 1;
}
