/* Copyright (c) mailshift authors */

/* delayline: a TCP relay that holds every byte for a fixed time in each
   direction, so that a loopback rig behaves like two hosts a WAN apart:
   a round trip costs twice the delay, bandwidth stays loopback's.  The
   kernel here has no netem, and a relay in an interpreter costs the CPU
   the copy itself needs.

     delayline ONE_WAY_MS TARGET_PORT [TARGET_HOST]

   listens on a free loopback port, prints it on stdout, and relays each
   connection to TARGET_HOST (default 127.0.0.1):TARGET_PORT until it is
   killed.  Each direction buffers at most MAX_QUEUED bytes; past that it
   stops reading, as a full TCP window would.

   With DELAYLINE_TRACE=FILE in the environment it appends to FILE, every
   100 ms, the bytes each connection relayed in each direction, and each
   connection's opening and end: where a tool leaves the line idle. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_MAX (256 * 1024)
#define MAX_QUEUED (64 * 1024 * 1024)
#define MAX_EVENTS 64

struct chunk {
	struct chunk *next;
	long long due_ms;
	size_t len, sent;
	bool fin;		/* the sender closed: shut down the write side */
	unsigned char data[];
};

/* One direction of one connection: bytes read from src wait in the queue
   until due, then go to dst. */
struct direction {
	struct relay *relay;
	int src, dst;
	struct chunk *head, *tail;
	size_t queued;
	bool src_done, dst_done;
	/* dst took less than was due: epoll says when it takes more */
	bool dst_full;
};

struct relay {
	struct direction up, down;	/* client->server, server->client */
	int client_fd, server_fd;
	unsigned int id;
	size_t traced_up, traced_down;	/* bytes written since the last line */
};

static FILE *trace;
static long long trace_start_ms, trace_next_ms;

/* what an epoll event refers to */
struct endpoint {
	struct relay *relay;
	int fd;
};

static int epoll_fd;
static long long delay_ms;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "delayline: %s: %s\n", what, strerror(errno));
	exit(EX_OSERR);
}

static void set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		die("fcntl");
}

/* The events an fd waits for: reading while its outgoing queue has room,
   writing while data that is due cannot be written yet. */
static void endpoint_watch(struct relay *relay, int fd)
{
	struct direction *out = fd == relay->client_fd ?
		&relay->up : &relay->down;
	struct direction *in = fd == relay->client_fd ?
		&relay->down : &relay->up;
	struct epoll_event ev = { .events = 0 };

	if (!out->src_done && out->queued < MAX_QUEUED)
		ev.events |= EPOLLIN;
	if (in->head != NULL && in->head->due_ms <= now_ms() &&
	    !in->dst_done)
		ev.events |= EPOLLOUT;
	ev.data.ptr = fd == relay->client_fd ?
		(void *)&relay->up : (void *)&relay->down;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0)
		die("epoll_ctl");
}

static void relay_watch(struct relay *relay)
{
	endpoint_watch(relay, relay->client_fd);
	endpoint_watch(relay, relay->server_fd);
}

static void direction_push(struct direction *d, const unsigned char *data,
			   size_t len, bool fin)
{
	struct chunk *c = malloc(sizeof(*c) + len);

	if (c == NULL)
		die("malloc");
	c->next = NULL;
	c->due_ms = now_ms() + delay_ms;
	c->len = len;
	c->sent = 0;
	c->fin = fin;
	memcpy(c->data, data, len);
	if (d->tail != NULL)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->queued += len;
}

static void relay_free(struct relay *relay)
{
	struct direction *dirs[] = { &relay->up, &relay->down };

	for (unsigned int i = 0; i < 2; i++) {
		while (dirs[i]->head != NULL) {
			struct chunk *c = dirs[i]->head;

			dirs[i]->head = c->next;
			free(c);
		}
	}
	close(relay->client_fd);
	close(relay->server_fd);
	free(relay);
}

static bool relay_finished(const struct relay *relay)
{
	return relay->up.dst_done && relay->down.dst_done;
}

/* Read what src has into the queue.  Returns false on a reset. */
static bool direction_read(struct direction *d)
{
	static unsigned char buf[CHUNK_MAX];
	ssize_t n;

	while (!d->src_done && d->queued < MAX_QUEUED) {
		n = read(d->src, buf, sizeof(buf));
		if (n > 0) {
			direction_push(d, buf, (size_t)n, false);
		} else if (n == 0) {
			d->src_done = true;
			direction_push(d, NULL, 0, true);
		} else if (errno == EAGAIN || errno == EINTR) {
			break;
		} else {
			return false;
		}
	}
	return true;
}

/* Write what is due.  Returns false on a reset. */
static bool direction_write(struct direction *d, long long now)
{
	d->dst_full = false;
	while (d->head != NULL && d->head->due_ms <= now && !d->dst_done) {
		struct chunk *c = d->head;

		if (c->fin) {
			(void)shutdown(d->dst, SHUT_WR);
			d->dst_done = true;
		} else {
			ssize_t n = write(d->dst, c->data + c->sent,
					  c->len - c->sent);
			if (n < 0) {
				d->dst_full = errno == EAGAIN;
				return errno == EAGAIN || errno == EINTR;
			}
			c->sent += (size_t)n;
			d->queued -= (size_t)n;
			if (d == &d->relay->up)
				d->relay->traced_up += (size_t)n;
			else
				d->relay->traced_down += (size_t)n;
			if (c->sent < c->len) {
				d->dst_full = true;
				return true;
			}
		}
		d->head = c->next;
		if (d->head == NULL)
			d->tail = NULL;
		free(c);
	}
	return true;
}

/* Every relay, for the timer: a small rig has a handful. */
static struct relay **relays;
static unsigned int relay_count;

static void trace_line(struct relay *relay, const char *event)
{
	fprintf(trace, "%.3f conn%u %s up=%zu down=%zu\n",
		(now_ms() - trace_start_ms) / 1000.0, relay->id, event,
		relay->traced_up, relay->traced_down);
	relay->traced_up = relay->traced_down = 0;
}

static void trace_tick(void)
{
	if (trace == NULL || now_ms() < trace_next_ms)
		return;
	trace_next_ms = now_ms() + 100;
	for (unsigned int i = 0; i < relay_count; i++) {
		if (relays[i]->traced_up + relays[i]->traced_down > 0)
			trace_line(relays[i], "bytes");
	}
	fflush(trace);
}

static void relay_forget(struct relay *relay)
{
	if (trace != NULL)
		trace_line(relay, "end");
	for (unsigned int i = 0; i < relay_count; i++) {
		if (relays[i] == relay) {
			relays[i] = relays[--relay_count];
			break;
		}
	}
	relay_free(relay);
}

static void relay_accept(int listen_fd, const struct sockaddr_in *target)
{
	struct relay *relay;
	struct epoll_event ev = { .events = 0 };
	int fd, server_fd, one = 1;

	fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		return;
	server_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (server_fd < 0 ||
	    connect(server_fd, (const struct sockaddr *)target,
		    sizeof(*target)) < 0) {
		fprintf(stderr, "delayline: connect to the target: %s\n",
			strerror(errno));
		close(fd);
		if (server_fd >= 0)
			close(server_fd);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(server_fd, IPPROTO_TCP, TCP_NODELAY, &one,
			 sizeof(one));
	set_nonblock(fd);
	set_nonblock(server_fd);
	relay = calloc(1, sizeof(*relay));
	if (relay == NULL)
		die("calloc");
	relay->client_fd = fd;
	relay->server_fd = server_fd;
	relay->up = (struct direction){ .relay = relay, .src = fd,
					.dst = server_fd };
	relay->down = (struct direction){ .relay = relay, .src = server_fd,
					  .dst = fd };
	relays = realloc(relays, sizeof(*relays) * (relay_count + 1));
	if (relays == NULL)
		die("realloc");
	relays[relay_count++] = relay;
	if (trace != NULL) {
		static unsigned int next_id;

		relay->id = ++next_id;
		trace_line(relay, "open");
	}
	ev.data.ptr = &relay->up;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	ev.data.ptr = &relay->down;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, server_fd, &ev) < 0)
		die("epoll_ctl");
	relay_watch(relay);
}

/* Move what can move on relay: read both sides, write what is due.
   Returns false when the relay is over. */
static bool relay_step(struct relay *relay)
{
	long long now = now_ms();

	if (!direction_read(&relay->up) || !direction_read(&relay->down) ||
	    !direction_write(&relay->up, now) ||
	    !direction_write(&relay->down, now))
		return false;
	if (relay_finished(relay))
		return false;
	relay_watch(relay);
	return true;
}

/* Milliseconds until the next chunk is due, -1 if none waits.  A due
   chunk its destination has no room for waits for epoll to say it has
   (endpoint_watch()): waking for it at once would spin, taking a CPU
   from the very tools the line measures whenever one pauses reading. */
static int next_timeout(void)
{
	long long next = -1, now = now_ms();

	for (unsigned int i = 0; i < relay_count; i++) {
		struct direction *dirs[] = { &relays[i]->up, &relays[i]->down };

		for (unsigned int j = 0; j < 2; j++) {
			if (dirs[j]->head == NULL || dirs[j]->dst_done ||
			    dirs[j]->dst_full)
				continue;
			if (next < 0 || dirs[j]->head->due_ms < next)
				next = dirs[j]->head->due_ms;
		}
	}
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

int main(int argc, char *argv[])
{
	struct sockaddr_in addr = { .sin_family = AF_INET }, target = addr;
	struct epoll_event ev = { .events = EPOLLIN }, events[MAX_EVENTS];
	socklen_t addr_len = sizeof(addr);
	int listen_fd, n;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: delayline ONE_WAY_MS TARGET_PORT "
			"[TARGET_HOST]\n");
		return EX_USAGE;
	}
	delay_ms = atoll(argv[1]);
	target.sin_port = htons((unsigned short)atoi(argv[2]));
	if (delay_ms < 0 || target.sin_port == 0 ||
	    inet_pton(AF_INET, argc == 4 ? argv[3] : "127.0.0.1",
		      &target.sin_addr) != 1) {
		fprintf(stderr, "delayline: give a delay >= 0 ms, a port and "
			"an IPv4 address\n");
		return EX_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A chunk is larger than glibc's mmap threshold: each would be a
	   mapping of its own, faulted in page by page and unmapped once
	   sent, which cost the line more CPU than relaying, CPU taken from
	   the tools it measures.  From the heap, freed chunks are reused. */
	mallopt(M_MMAP_THRESHOLD, 2 * CHUNK_MAX);
	mallopt(M_TRIM_THRESHOLD, MAX_QUEUED);
	if (getenv("DELAYLINE_TRACE") != NULL) {
		trace = fopen(getenv("DELAYLINE_TRACE"), "a");
		if (trace == NULL)
			die("DELAYLINE_TRACE");
		trace_start_ms = now_ms();
	}

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 ||
	    bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(listen_fd, 128) < 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&addr, &addr_len) < 0)
		die("listen");
	printf("%u\n", ntohs(addr.sin_port));
	fflush(stdout);

	epoll_fd = epoll_create1(0);
	ev.data.ptr = NULL;
	if (epoll_fd < 0 ||
	    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev) < 0)
		die("epoll");
	for (;;) {
		int timeout = next_timeout();

		if (trace != NULL && (timeout < 0 || timeout > 100))
			timeout = 100;
		n = epoll_wait(epoll_fd, events, MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			if (events[i].data.ptr == NULL)
				relay_accept(listen_fd, &target);
		}
		/* every relay, not only those with events: chunks fall due
		   with no event at all */
		for (unsigned int i = 0; i < relay_count;) {
			struct relay *relay = relays[i];

			if (relay_step(relay))
				i++;
			else
				relay_forget(relay);
		}
		trace_tick();
	}
}
