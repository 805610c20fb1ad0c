/* Copyright (c) mailshift authors */

#include "lib.h"
#include "ioloop.h"
#include "ioloop-private.h"
#include "doveadm-settings.h"
#include "doveadm-util.h"
#include "doveadm-mailshift-server-watch.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

/* how long a connection can miss the end of its reply */
#define SERVER_WATCH_INTERVAL_MSECS 1000

struct doveadm_mailshift_server_watch {
	const struct doveadm_settings *set;
	struct ioloop *ioloop;
	struct timeout *to;
};

/* Is fd a connection to the doveadm servers of set: a UNIX socket whose
   peer is doveadm_socket_path, or TCP to doveadm_port? */
static bool
server_watch_is_server_conn(const struct doveadm_settings *set, int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);

	i_zero(&peer);
	if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
		return FALSE;
	switch (peer.ss_family) {
	case AF_UNIX: {
		const struct sockaddr_un *un = (const struct sockaddr_un *)&peer;

		return len > offsetof(struct sockaddr_un, sun_path) &&
			strncmp(un->sun_path, set->doveadm_socket_path,
				sizeof(un->sun_path)) == 0;
	}
	case AF_INET:
		return set->doveadm_port != 0 &&
			ntohs(((const struct sockaddr_in *)&peer)->sin_port) ==
			set->doveadm_port;
	case AF_INET6:
		return set->doveadm_port != 0 &&
			ntohs(((const struct sockaddr_in6 *)&peer)->sin6_port) ==
			set->doveadm_port;
	default:
		return FALSE;
	}
}

static void server_watch_wake(struct doveadm_mailshift_server_watch *watch)
{
	struct io_file *io;

	for (io = watch->ioloop->io_files; io != NULL; io = io->next) {
		if (io->fd >= 0 && (io->io.condition & IO_READ) != 0 &&
		    server_watch_is_server_conn(watch->set, io->fd))
			io_set_pending(&io->io);
	}
}

struct doveadm_mailshift_server_watch *
doveadm_mailshift_server_watch_start(const struct doveadm_settings *set)
{
	struct doveadm_mailshift_server_watch *watch;

	if (DOVECOT_PREREQ(2, 4, 0) || doveadm_server ||
	    set->doveadm_worker_count == 0)
		return NULL;
	watch = i_new(struct doveadm_mailshift_server_watch, 1);
	watch->set = set;
	watch->ioloop = current_ioloop;
	watch->to = timeout_add(SERVER_WATCH_INTERVAL_MSECS,
				server_watch_wake, watch);
	return watch;
}

void doveadm_mailshift_server_watch_stop(
	struct doveadm_mailshift_server_watch **_watch)
{
	struct doveadm_mailshift_server_watch *watch = *_watch;

	if (watch == NULL)
		return;
	*_watch = NULL;
	timeout_remove(&watch->to);
	i_free(watch);
}
