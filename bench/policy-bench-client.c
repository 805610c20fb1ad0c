/* policy-bench-client: a steady stream of Postfix policy delegation
   requests (protocol_state=RCPT, one recipient each) over N persistent TCP
   connections, one request in flight per connection as smtpd does it.
   Prints requests/s and latency percentiles.

   usage: policy-bench-client HOST PORT CONNECTIONS SECONDS USERS DOMAIN */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 4000000

static const char *host, *domain;
static int port, seconds, users;
static double *samples;
static size_t sample_count, failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	unsigned int id = (unsigned int)(size_t)arg, n = id * 7919;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char req[1024], buf[512];
	double t0, end, *local;
	size_t count = 0, bad = 0, max = MAX_SAMPLES / 64;
	int fd, one = 1, len;
	ssize_t got;

	local = malloc(sizeof(double) * max);
	sin.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, host, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("connect");
		exit(1);
	}
	end = now_secs() + seconds;
	while ((t0 = now_secs()) < end && count < max) {
		n++;
		len = snprintf(req, sizeof(req),
			       "request=smtpd_access_policy\n"
			       "protocol_state=RCPT\nprotocol_name=ESMTP\n"
			       "client_address=192.0.2.%u\n"
			       "client_name=client%u.test\n"
			       "helo_name=client%u.test\n"
			       "sender=sender%u@outside.test\n"
			       "recipient=user%u@%s\nrecipient_count=0\n"
			       "queue_id=\ninstance=%x.%x\nsize=%u\n\n",
			       n % 250 + 1, n, n, n, n % users, domain, id, n,
			       1000 + n % 5000);
		if (write(fd, req, (size_t)len) != len)
			break;
		/* the answer ends with an empty line */
		size_t have = 0;
		for (;;) {
			got = read(fd, buf + have, sizeof(buf) - 1 - have);
			if (got <= 0)
				goto out;
			have += (size_t)got;
			buf[have] = '\0';
			if (have >= 2 && strstr(buf, "\n\n") != NULL)
				break;
		}
		if (strncmp(buf, "action=", 7) != 0)
			bad++;
		local[count++] = now_secs() - t0;
	}
out:
	close(fd);
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < count && sample_count < MAX_SAMPLES; i++)
		samples[sample_count++] = local[i];
	failures += bad;
	pthread_mutex_unlock(&lock);
	free(local);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	pthread_t threads[256];
	int conns, i;
	double t0, elapsed;

	if (argc != 7) {
		fprintf(stderr, "usage: policy-bench-client HOST PORT "
			"CONNECTIONS SECONDS USERS DOMAIN\n");
		return 64;
	}
	host = argv[1];
	port = atoi(argv[2]);
	conns = atoi(argv[3]);
	seconds = atoi(argv[4]);
	users = atoi(argv[5]);
	domain = argv[6];
	if (conns < 1 || conns > 256 || users < 1)
		return 64;
	samples = malloc(sizeof(double) * MAX_SAMPLES);
	t0 = now_secs();
	for (i = 0; i < conns; i++)
		pthread_create(&threads[i], NULL, worker, (void *)(size_t)i);
	for (i = 0; i < conns; i++)
		pthread_join(threads[i], NULL);
	elapsed = now_secs() - t0;
	qsort(samples, sample_count, sizeof(double), cmp_double);
	if (sample_count == 0) {
		printf("no answers\n");
		return 1;
	}
	printf("%.0f req/s  p50 %.3f ms  p99 %.3f ms  (%zu requests, %zu "
	       "bad answers, %d connections)\n", sample_count / elapsed,
	       samples[sample_count / 2] * 1000,
	       samples[(size_t)(sample_count * 0.99)] * 1000, sample_count,
	       failures, conns);
	return failures == 0 ? 0 : 1;
}
