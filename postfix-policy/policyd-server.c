/* policyd-server.c: listening sockets and the event loop.

   One process, one epoll loop, for all clients.  Postfix keeps its
   connections to us open (each smtpd and each trivial-rewrite keeps one),
   so we see a few hundred long-lived clients, each sending one small
   request at a time.  An answer costs microseconds when the user's state
   is cached, and the warm-up counters must have a single owner to be
   exact, so one event-driven process fits better than Postfix's spawn(8)
   (a process per connection, private state, "noticeable overhead" by its
   own man page) or threads around a store connection that is not
   thread-safe.  The price: a slow store lookup stalls every client for
   its duration; it has a timeout and a cache.

   Clients are trusted no further than the socket's mode: a client that
   only writes (its answers pile up: we stop reading it once
   max_output_length bytes wait, until it reads), one that sends a request
   a byte at a time or never reads an answer (request_timeout from a
   request's first byte to its answer read), and a crowd that fills
   max_clients (the new connection takes the place of the one that has
   stalled longest) each cost bounded memory and never keep Postfix out.
   What clients cause as often as they like is logged a few times a
   minute, not each time.  An MX lookup for the warm-up runs in a resolver
   thread (policyd-warmup.c): the connection that asked waits for it, the
   others are answered meanwhile.

   Each connection speaks one protocol, chosen by the socket it came in on:
   socketmap (netstrings) or policy delegation (attribute lists).  Bad
   input is logged with the client's socket and answered safely - TEMP for
   socketmap, DEFER_IF_PERMIT for policy - and the connection is closed
   after the answer, since its framing can no longer be trusted. */

/* accept4() */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "../shared/ms-alloc.h"
#include "../shared/ms-log.h"
#include "policyd-proto.h"
#include "policyd-route.h"
#include "policyd-server.h"
#include "policyd-warmup.h"

#define REPLY_MAX 2048
#define CONN_BUFFER_START 512

enum conn_kind { CONN_SOCKETMAP, CONN_POLICY };

struct listener {
	int fd;
	enum conn_kind kind;
	char spec[512];
};

struct conn {
	struct conn *prev, *next;
	int fd;
	enum conn_kind kind;
	char *in;
	size_t in_len, in_size;	/* in_size grows up to in_max */
	size_t in_max;
	char *out;
	size_t out_len, out_size;
	bool close_after_write;
	bool dns_wait;		/* its next request waits for an MX lookup */
	uint32_t events;	/* what epoll watches for it */
	time_t last_active;	/* accepted or last answered */
	time_t in_since;	/* first byte of the request in "in" */
	time_t out_since;	/* when "out" stopped being empty */
};

struct server {
	struct policyd *pd;
	int epfd;
	struct listener listeners[2];
	unsigned int listener_count;
	int dns_fd;		/* MX lookups done; -1 without warm-up */
	struct conn *conns;
	unsigned int conn_count;
	struct policyd_attr *attrs;
	struct ms_log_limit log_bad, log_full, log_timeout;
	/* epoll's events being handled: a connection closed meanwhile
	   (evicted) must not be found there afterwards */
	struct epoll_event *batch;
	int batch_len;
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int signo)
{
	stop_signal = signo;
}

/* The directory of a listening UNIX socket, created when missing.  The
   socket usually lives inside Postfix's queue directory (Debian chroots
   smtpd and trivial-rewrite there), where nothing creates it for us.
   We refuse a directory that anyone but its owner - root or us - may
   write: whoever can write it can swap the socket for a symbolic link
   between our bind() and our chown(), or put their own socket in its
   place and answer Postfix's lookups.  The directory admits whom the
   socket admits (socket_mode); exits on error like listen_on(). */
static void socket_dir_prepare(const struct policyd_config *cfg,
			       const char *setting, const char *spec,
			       const char *dir, gid_t gid)
{
	mode_t mode = 0700 | ((cfg->socket_mode & 0070) != 0 ? 0050 : 0) |
		((cfg->socket_mode & 0007) != 0 ? 0005 : 0);
	struct stat st;
	int ret;

	if (stat(dir, &st) < 0 && errno == ENOENT) {
		if (mkdir(dir, mode) < 0 ||
		    chown(dir, (uid_t)-1, gid) < 0 || chmod(dir, mode) < 0) {
			ms_error("%s = %s: cannot create the directory "
				 "%s: %m (create it: install -d -m %04o "
				 "-g %s %s)", setting, spec, dir,
				 (unsigned int)mode, cfg->socket_group,
				 dir);
			exit(EX_OSERR);
		}
		ms_info("created the socket directory %s", dir);
	}
	if ((ret = stat(dir, &st)) < 0 || !S_ISDIR(st.st_mode)) {
		ms_error("%s = %s: %s: %s (make it a directory: install "
			 "-d -m %04o -g %s %s)", setting, spec, dir,
			 ret < 0 ? strerror(errno) : "not a directory",
			 (unsigned int)mode,
			 cfg->socket_group, dir);
		exit(EX_OSERR);
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 0022) != 0) {
		ms_error("%s = %s: the directory %s may be written by "
			 "others than root or this daemon, who could "
			 "replace the socket: make it root's and not "
			 "group or world writable (chown root %s; "
			 "chmod %04o %s)", setting, spec, dir, dir,
			 (unsigned int)mode, dir);
		exit(EX_OSERR);
	}
}

/* Listens on a UNIX socket at path with socket_mode and socket_group,
   replacing a socket left by an earlier run.  The mode is set through
   the umask at bind(), so the socket is never reachable by more users
   than socket_mode allows, not even for an instant. */
static int listen_unix(const struct policyd_config *cfg, const char *setting,
		       const char *spec, const char *path)
{
	struct sockaddr_un sun;
	char dir[sizeof(sun.sun_path)], *slash;
	gid_t gid = (gid_t)-1;
	struct group *gr;
	struct stat st;
	mode_t old_umask;
	int fd, ret;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		ms_error("%s = %s: use an absolute path of at most %zu "
			 "characters", setting, spec,
			 sizeof(sun.sun_path) - 1);
		exit(EX_CONFIG);
	}
	if (cfg->socket_group[0] != '\0') {
		if ((gr = getgrnam(cfg->socket_group)) == NULL) {
			ms_error("socket_group = %s: no such group (use "
				 "the group Postfix runs as, usually "
				 "postfix)", cfg->socket_group);
			exit(EX_CONFIG);
		}
		gid = gr->gr_gid;
	}
	strcpy(sun.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	socket_dir_prepare(cfg, setting, spec, dir, gid);

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			ms_error("%s = %s: %s exists and is not a socket: "
				 "remove it or choose another path",
				 setting, spec, path);
			exit(EX_OSERR);
		}
		(void)unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	old_umask = umask(~cfg->socket_mode & 0777);
	ret = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(old_umask);
	if (ret < 0) {
		ms_error("%s = %s: %m", setting, spec);
		exit(EX_OSERR);
	}
	/* Only Postfix may ask: the answers name every user who is being
	   migrated. */
	if (gid != (gid_t)-1 &&
	    fchownat(AT_FDCWD, path, (uid_t)-1, gid,
		     AT_SYMLINK_NOFOLLOW) < 0) {
		ms_error("socket_group = %s: chown %s: %m",
			 cfg->socket_group, path);
		exit(EX_OSERR);
	}
	return fd;
}

/* Opens "unix:/path" or "inet:host:port" for the setting of that name;
   exits the program on error: a daemon that cannot listen has nothing
   to do. */
static int listen_on(const struct policyd_config *cfg, const char *setting,
		     const char *spec)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], *colon;
	int fd, one = 1;

	if (strncmp(spec, "unix:", 5) == 0) {
		fd = listen_unix(cfg, setting, spec, spec + 5);
	} else if (strncmp(spec, "inet:", 5) == 0) {
		snprintf(host, sizeof(host), "%s", spec + 5);
		if ((colon = strrchr(host, ':')) == NULL) {
			ms_error("%s = %s: use inet:HOST:PORT", setting, spec);
			exit(EX_CONFIG);
		}
		*colon = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
			ms_error("%s = %s: cannot resolve", setting, spec);
			exit(EX_CONFIG);
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
					 sizeof(one));
		if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			ms_error("%s = %s: %m", setting, spec);
			exit(EX_OSERR);
		}
		freeaddrinfo(ai);
	} else {
		ms_error("%s = %s: use unix:/path or inet:HOST:PORT",
			 setting, spec);
		exit(EX_CONFIG);
	}
	/* Postfix opens many connections at once after a reload */
	if (listen(fd, SOMAXCONN) < 0) {
		ms_error("%s = %s: listen: %m", setting, spec);
		exit(EX_OSERR);
	}
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void conn_close(struct server *srv, struct conn *conn)
{
	for (int i = 0; i < srv->batch_len; i++) {
		if (srv->batch[i].data.ptr == conn)
			srv->batch[i].data.ptr = NULL;
	}
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		srv->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	close(conn->fd);
	free(conn->in);
	free(conn->out);
	free(conn);
	srv->conn_count--;
}

/* Ends a connection after its last answer.  Unread input is drained
   first (a bounded amount: the client may never stop sending): closing a
   socket with unread data resets it, and the client would see the reset
   instead of our answer. */
static void conn_finish(struct server *srv, struct conn *conn)
{
	char discard[4096];
	unsigned int i;

	(void)shutdown(conn->fd, SHUT_WR);
	for (i = 0; i < 16; i++) {
		if (read(conn->fd, discard, sizeof(discard)) <= 0)
			break;
	}
	conn_close(srv, conn);
}

static void conn_append(struct conn *conn, const char *data, size_t len)
{
	if (conn->out_len + len > conn->out_size) {
		conn->out_size = (conn->out_len + len) * 2;
		conn->out = ms_xrealloc(conn->out, conn->out_size, 1);
	}
	if (conn->out_len == 0)
		conn->out_since = time(NULL);
	memcpy(conn->out + conn->out_len, data, len);
	conn->out_len += len;
}

static void socketmap_reply(struct conn *conn, const char *reply)
{
	char buf[REPLY_MAX + 16];
	size_t len;

	len = policyd_netstring_format(buf, sizeof(buf), reply,
				       strlen(reply));
	conn_append(conn, buf, len);
}

/* Handles one socketmap query "NAME KEY".  Returns false if the answer
   waits for an MX lookup (nothing was answered: ask again later). */
static bool socketmap_query(struct server *srv, struct conn *conn,
			    const char *data, size_t len)
{
	const char *space = memchr(data, ' ', len);
	char reply[REPLY_MAX];
	enum policyd_map map;

	if (space == NULL) {
		ms_log_limited(&srv->log_bad, LOG_WARNING, "socketmap "
			       "fd=%d: query without a map name and a "
			       "key: answering TEMP", conn->fd);
		socketmap_reply(conn, POLICYD_REPLY_TEMP "malformed query");
		return true;
	}
	map = policyd_map_from_name(data, (size_t)(space - data));
	if (map == POLICYD_MAP_UNKNOWN) {
		ms_log_limited(&srv->log_bad, LOG_WARNING, "socketmap "
			       "fd=%d: unknown map name '%.*s' (use "
			       "accept, route or warmup in "
			       "transport_maps): answering TEMP",
			       conn->fd, (int)(space - data > 64 ? 64 :
					       space - data), data);
		socketmap_reply(conn, POLICYD_REPLY_TEMP "unknown map name");
		return true;
	}
	if (!policyd_route_lookup(srv->pd, map, space + 1,
				  len - (size_t)(space + 1 - data), reply,
				  sizeof(reply)))
		return false;
	socketmap_reply(conn, reply);
	return true;
}

/* Answers the complete requests in conn->in, in order, while fewer than
   max_output_length bytes of answers wait to be read: a client that
   sends without reading is read no further until it reads, so it costs
   at most that much memory.  Stops at a request that waits for an MX
   lookup (conn->dns_wait).  Returns false when the input is bad (after
   queueing a safe answer). */
static bool conn_process(struct server *srv, struct conn *conn)
{
	const struct policyd_config *cfg = srv->pd->cfg;
	struct policyd_request req = { srv->attrs, 0, cfg->max_attributes };
	char reply[REPLY_MAX + 2];
	enum policyd_parse ret = POLICYD_PARSE_OK;
	const char *data, *error = "";
	size_t pos = 0, len, used;

	while (conn->out_len < cfg->max_output_length && !conn->dns_wait) {
		if (conn->kind == CONN_SOCKETMAP) {
			ret = policyd_netstring_parse(conn->in + pos,
						      conn->in_len - pos,
						      cfg->max_netstring_length,
						      &data, &len, &used,
						      &error);
			if (ret == POLICYD_PARSE_OK &&
			    !socketmap_query(srv, conn, data, len)) {
				conn->dns_wait = true;
				break;
			}
		} else {
			ret = policyd_request_parse(conn->in + pos,
						    conn->in_len - pos,
						    cfg->max_line_length, &req,
						    &used, &error);
			if (ret == POLICYD_PARSE_OK) {
				policyd_policy_check(srv->pd, &req, reply,
						     REPLY_MAX);
				strcat(reply, "\n\n");
				conn_append(conn, reply, strlen(reply));
			}
		}
		if (ret != POLICYD_PARSE_OK)
			break;
		pos += used;
	}
	if (pos > 0) {
		memmove(conn->in, conn->in + pos, conn->in_len - pos);
		conn->in_len -= pos;
		conn->last_active = time(NULL);
		/* what is left came with the request just answered */
		conn->in_since = conn->last_active;
	}
	if (ret == POLICYD_PARSE_MORE && conn->in_len == conn->in_max) {
		ret = POLICYD_PARSE_BAD;
		error = "request larger than the input limit";
	}
	if (ret != POLICYD_PARSE_BAD)
		return true;
	ms_log_limited(&srv->log_bad, LOG_WARNING, "%s client fd=%d: %s "
		       "-- answering %s and closing",
		       conn->kind == CONN_SOCKETMAP ? "socketmap" :
		       "policy", conn->fd, error,
		       conn->kind == CONN_SOCKETMAP ? "TEMP" :
		       "DEFER_IF_PERMIT");
	if (conn->kind == CONN_SOCKETMAP)
		socketmap_reply(conn, POLICYD_REPLY_TEMP
				"malformed request");
	else {
		snprintf(reply, sizeof(reply), "%s\n\n",
			 POLICYD_ACTION_MALFORMED);
		conn_append(conn, reply, strlen(reply));
	}
	return false;
}

/* Watches conn for what it can do now: read while its answers do not
   pile up, nothing waits for DNS and it is not being closed; write while
   answers wait. */
static void conn_watch(struct server *srv, struct conn *conn)
{
	const struct policyd_config *cfg = srv->pd->cfg;
	struct epoll_event ev = { .events = 0, .data.ptr = conn };

	if (conn->out_len < cfg->max_output_length && !conn->dns_wait &&
	    !conn->close_after_write)
		ev.events |= EPOLLIN;
	if (conn->out_len > 0)
		ev.events |= EPOLLOUT;
	if (ev.events == conn->events)
		return;
	conn->events = ev.events;
	(void)epoll_ctl(srv->epfd, EPOLL_CTL_MOD, conn->fd, &ev);
}

/* Writes what is pending.  Returns false if the connection is done. */
static bool conn_flush(struct server *srv, struct conn *conn)
{
	ssize_t n;

	while (conn->out_len > 0) {
		n = write(conn->fd, conn->out, conn->out_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		memmove(conn->out, conn->out + n, conn->out_len - (size_t)n);
		conn->out_len -= (size_t)n;
	}
	return !conn->close_after_write;
}

/* Answers what conn has buffered, sends it, and watches it again.
   Returns false if conn was closed. */
static bool conn_run(struct server *srv, struct conn *conn)
{
	if (!conn->close_after_write && !conn_process(srv, conn))
		conn->close_after_write = true;
	if (!conn_flush(srv, conn)) {
		conn_finish(srv, conn);
		return false;
	}
	/* answers were read: requests buffered meanwhile are next */
	if (!conn->close_after_write && conn->in_len > 0 &&
	    conn->out_len == 0 && !conn->dns_wait) {
		if (!conn_process(srv, conn))
			conn->close_after_write = true;
		if (!conn_flush(srv, conn)) {
			conn_finish(srv, conn);
			return false;
		}
	}
	conn_watch(srv, conn);
	return true;
}

static void conn_readable(struct server *srv, struct conn *conn)
{
	size_t room;
	ssize_t n;

	for (;;) {
		if (conn->in_len == conn->in_size &&
		    conn->in_size < conn->in_max) {
			/* Requests are small: buffers start small and grow
			   only for a client that sends more. */
			conn->in_size = conn->in_size * 2 > conn->in_max ?
				conn->in_max : conn->in_size * 2;
			conn->in = ms_xrealloc(conn->in, conn->in_size, 1);
		}
		if (conn->in_len == conn->in_size)
			break;
		room = conn->in_size - conn->in_len;
		n = read(conn->fd, conn->in + conn->in_len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* Postfix hangs up idle connections: normal. */
			conn_close(srv, conn);
			return;
		}
		/* A request's deadline runs from its first byte, not its
		   latest: a byte now and then does not keep it open. */
		if (conn->in_len == 0)
			conn->in_since = time(NULL);
		conn->in_len += (size_t)n;
		/* a short read: the kernel has nothing more now */
		if ((size_t)n < room)
			break;
	}
	(void)conn_run(srv, conn);
}

/* How long conn has kept us waiting: since the first byte of a request
   not yet complete, or since answers wait unread; else how long it has
   been idle. */
static time_t conn_stalled_since(const struct conn *conn)
{
	time_t since = conn->last_active;

	if (conn->in_len > 0 && conn->in_since < since)
		since = conn->in_since;
	if (conn->out_len > 0 && conn->out_since < since)
		since = conn->out_since;
	return since;
}

/* At max_clients, a new connection takes the place of the one stalled
   longest: a crowd of clients that connect and dawdle cannot keep
   Postfix out, and Postfix reconnects an idle connection we close. */
static void evict_one(struct server *srv, const struct listener *l)
{
	struct conn *conn, *victim = NULL;

	for (conn = srv->conns; conn != NULL; conn = conn->next) {
		if (victim == NULL ||
		    conn_stalled_since(conn) < conn_stalled_since(victim))
			victim = conn;
	}
	if (victim == NULL)
		return;
	ms_log_limited(&srv->log_full, LOG_WARNING, "%s: max_clients=%u "
		       "reached: closing client fd=%d, stalled or idle "
		       "for %lld s, to take a new one (raise max_clients"
		       " if Postfix alone fills it)", l->spec,
		       srv->pd->cfg->max_clients, victim->fd,
		       (long long)(time(NULL) -
				   conn_stalled_since(victim)));
	conn_close(srv, victim);
}

static void accept_clients(struct server *srv, const struct listener *l)
{
	const struct policyd_config *cfg = srv->pd->cfg;
	struct epoll_event ev;
	struct conn *conn;
	int fd;

	while ((fd = accept4(l->fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (srv->conn_count >= cfg->max_clients)
			evict_one(srv, l);
		conn = ms_xcalloc(1, sizeof(*conn));
		conn->fd = fd;
		conn->kind = l->kind;
		conn->in_max = l->kind == CONN_SOCKETMAP ?
			cfg->max_netstring_length + 16 :
			(size_t)cfg->max_line_length *
			(cfg->max_attributes + 1) + 2;
		conn->in_size = conn->in_max < CONN_BUFFER_START ?
			conn->in_max : CONN_BUFFER_START;
		conn->in = ms_xcalloc(conn->in_size, 1);
		conn->last_active = time(NULL);
		conn->next = srv->conns;
		if (srv->conns != NULL)
			srv->conns->prev = conn;
		srv->conns = conn;
		srv->conn_count++;
		ev.events = conn->events = EPOLLIN;
		ev.data.ptr = conn;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			conn_close(srv, conn);
	}
}

/* Closes connections idle for idle_timeout, and those whose request or
   unread answer is older than request_timeout: Postfix sends a request
   in one write and reads the answer at once, so only a client that
   dawdles on purpose (or hangs) is cut off. */
static void close_idle(struct server *srv, time_t now)
{
	const struct policyd_config *cfg = srv->pd->cfg;
	struct conn *conn, *next;
	const char *what;

	for (conn = srv->conns; conn != NULL; conn = next) {
		next = conn->next;
		if (conn->out_len > 0 &&
		    now - conn->out_since >= (time_t)cfg->request_timeout)
			what = "did not read its answers";
		else if (conn->in_len > 0 &&
			 now - conn->in_since >= (time_t)cfg->request_timeout)
			what = conn->dns_wait ? "waited for an MX lookup" :
				"did not complete its request";
		else if (conn->in_len == 0 && conn->out_len == 0 &&
			 now - conn->last_active > (time_t)cfg->idle_timeout)
			what = NULL;
		else
			continue;
		if (what != NULL)
			ms_log_limited(&srv->log_timeout, LOG_WARNING,
				       "client fd=%d %s within "
				       "request_timeout=%u s -- closing",
				       conn->fd, what,
				       cfg->request_timeout);
		conn_close(srv, conn);
	}
}

/* MX lookups finished: the connections that waited for one go on. */
static void dns_done(struct server *srv)
{
	struct conn *conn, *next;

	policyd_warmup_collect(srv->pd->warmup);
	for (conn = srv->conns; conn != NULL; conn = next) {
		next = conn->next;
		if (!conn->dns_wait)
			continue;
		conn->dns_wait = false;
		(void)conn_run(srv, conn);
	}
}

static void add_listener(struct server *srv, const char *spec,
			 enum conn_kind kind)
{
	struct listener *l = &srv->listeners[srv->listener_count++];
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };

	l->fd = listen_on(srv->pd->cfg, kind == CONN_SOCKETMAP ?
			  "socketmap_listen" : "policy_listen", spec);
	l->kind = kind;
	snprintf(l->spec, sizeof(l->spec), "%s", spec);
	(void)epoll_ctl(srv->epfd, EPOLL_CTL_ADD, l->fd, &ev);
	ms_info("listening on %s (%s)", spec, kind == CONN_SOCKETMAP ?
		"socketmap" : "policy delegation");
}

static bool is_listener(const struct server *srv, const void *ptr)
{
	return ptr == &srv->listeners[0] ||
		(srv->listener_count > 1 && ptr == &srv->listeners[1]);
}

/* Signals, the epoll set with the resolver's descriptor, and the
   listeners (exits if one cannot listen). */
static void server_init(struct server *srv)
{
	const struct policyd *pd = srv->pd;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* release children (policyd-route.c) are reaped by the kernel */
	signal(SIGCHLD, SIG_IGN);

	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->attrs = ms_xcalloc(pd->cfg->max_attributes, sizeof(*srv->attrs));
	srv->dns_fd = pd->warmup == NULL ? -1 :
		policyd_warmup_fd(pd->warmup);
	if (srv->dns_fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &srv->dns_fd };

		(void)epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->dns_fd, &ev);
	}
	add_listener(srv, pd->cfg->socketmap_listen, CONN_SOCKETMAP);
	if (pd->cfg->policy_listen[0] != '\0')
		add_listener(srv, pd->cfg->policy_listen, CONN_POLICY);
}

/* Handles one batch of epoll events.  Returns true if MX lookups
   finished (the caller runs dns_done() after the batch). */
static bool server_dispatch(struct server *srv, struct epoll_event *events,
			    int n)
{
	bool dns_pending = false;
	int i;

	srv->batch = events;
	srv->batch_len = n < 0 ? 0 : n;
	for (i = 0; i < n; i++) {
		if (is_listener(srv, events[i].data.ptr)) {
			accept_clients(srv, events[i].data.ptr);
			continue;
		}
		if (events[i].data.ptr == &srv->dns_fd) {
			dns_pending = true;
			continue;
		}
		struct conn *conn = events[i].data.ptr;

		if (conn == NULL)
			continue;	/* closed earlier in the batch */
		if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0)
			conn_readable(srv, conn);
		else if ((events[i].events & EPOLLOUT) != 0)
			(void)conn_run(srv, conn);
	}
	srv->batch_len = 0;
	return dns_pending;
}

static void server_deinit(struct server *srv)
{
	/* A socket file left behind would tell admins and scripts that
	   look for it that we still answer. */
	for (unsigned int l = 0; l < srv->listener_count; l++) {
		if (strncmp(srv->listeners[l].spec, "unix:", 5) == 0)
			(void)unlink(srv->listeners[l].spec + 5);
	}
	policyd_route_tick(srv->pd, time(NULL));
	while (srv->conns != NULL)
		conn_close(srv, srv->conns);
	free(srv->attrs);
	close(srv->epfd);
}

int policyd_server_run(struct policyd *pd)
{
	struct server srv = { .pd = pd };
	struct epoll_event events[64];
	time_t now, last_tick = 0;
	int n;

	server_init(&srv);
	while (stop_signal == 0) {
		n = epoll_wait(srv.epfd, events, 64, 1000);
		if (server_dispatch(&srv, events, n))
			dns_done(&srv);
		now = time(NULL);
		if (now != last_tick) {
			last_tick = now;
			policyd_route_tick(pd, now);
			close_idle(&srv, now);
		}
	}
	ms_info("stopping on signal %d", (int)stop_signal);
	server_deinit(&srv);
	return 0;
}
