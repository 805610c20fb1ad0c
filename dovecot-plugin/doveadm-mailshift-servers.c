/* Copyright (c) mailshift authors */

#include "lib.h"
#include "str.h"
#include "ioloop.h"
#include "ioloop-private.h"
#include "doveadm-settings.h"
#include "doveadm-util.h"
#include "doveadm-print-private.h"
#include "doveadm-mailshift-servers.h"

#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

/* how long a connection can miss the end of its reply: the doveadm
   client hands its server no next user meanwhile, and such misses are
   many in a domain */
#define SERVERS_WAKE_INTERVAL_MSECS 20

struct doveadm_mailshift_servers {
	const struct doveadm_settings *set;
	struct ioloop *ioloop;
	struct timeout *to;
	void (*tab_print_stream)(const unsigned char *value, size_t size);
};

/* the tab formatter's field being gathered; the formatter is looked up
   when it is needed: doveadm-server, which loads this plugin too, has
   none */
static struct doveadm_print_vfuncs *servers_tab;
static string_t *servers_tab_field;
static struct doveadm_mailshift_servers *servers_current;

/* Is fd a connection to the doveadm servers of set: a UNIX socket whose
   peer is doveadm_socket_path, or TCP to doveadm_port? */
static bool servers_is_server_conn(const struct doveadm_settings *set, int fd)
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

static void servers_wake(struct doveadm_mailshift_servers *servers)
{
	struct io_file *io;

	for (io = servers->ioloop->io_files; io != NULL; io = io->next) {
		if (io->fd >= 0 && (io->io.condition & IO_READ) != 0 &&
		    servers_is_server_conn(servers->set, io->fd))
			io_set_pending(&io->io);
	}
}

static void servers_tab_print_stream(const unsigned char *value, size_t size)
{
	if (size > 0) {
		str_append_data(servers_tab_field, value, size);
		return;
	}
	servers_tab->print(str_c(servers_tab_field));
	str_truncate(servers_tab_field, 0);
}

struct doveadm_mailshift_servers *
doveadm_mailshift_servers_begin(const struct doveadm_settings *set)
{
	struct doveadm_mailshift_servers *servers;

	if (DOVECOT_PREREQ(2, 4, 0) || doveadm_server ||
	    set->doveadm_worker_count == 0 || servers_current != NULL)
		return NULL;
	servers = i_new(struct doveadm_mailshift_servers, 1);
	servers->set = set;
	servers->ioloop = current_ioloop;
	servers->to = timeout_add_short(SERVERS_WAKE_INTERVAL_MSECS,
					servers_wake, servers);
	servers_tab = dlsym(RTLD_DEFAULT, "doveadm_print_tab_vfuncs");
	if (servers_tab != NULL) {
		servers_tab_field = str_new(default_pool, 256);
		servers->tab_print_stream = servers_tab->print_stream;
		servers_tab->print_stream = servers_tab_print_stream;
	}
	servers_current = servers;
	return servers;
}

void doveadm_mailshift_servers_end(struct doveadm_mailshift_servers **_servers)
{
	struct doveadm_mailshift_servers *servers = *_servers;

	if (servers == NULL)
		return;
	*_servers = NULL;
	if (servers_tab != NULL) {
		servers_tab->print_stream = servers->tab_print_stream;
		str_free(&servers_tab_field);
	}
	servers_current = NULL;
	timeout_remove(&servers->to);
	i_free(servers);
}
