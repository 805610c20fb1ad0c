/* NAME
	mailshift-policyd - per-recipient routing during a mail migration,
	and the new IP's warm-up
   SYNOPSIS
	mailshift-policyd [-c CONFIG]              run the daemon
	mailshift-policyd [-c CONFIG] -n           check the configuration
	mailshift-policyd [-c CONFIG] COMMAND ...  admin commands:
	    held [USER] | release USER | counters [USER] |
	    warmup-status | warmup-deferral GROUP [YYYY-MM-DD] |
	    warmup-scan-log (delivery-log lines on stdin) |
	    init-store [STORE] (create or upgrade the tables, as the
	    store's owner)
   DESCRIPTION
	On the OLD host, Postfix asks mailshift-policyd per recipient, through
	transport_maps (socketmap), where the mail goes, from the user's
	migration state in the shared state store: delivered locally as
	before (pending, syncing, synced, failed), kept in the queue (final-
	sync) and released when the user is migrated, or relayed to the new
	host (migrated).  See policyd-route.c for why these Postfix
	mechanisms.

	On the NEW host, the map "warmup" keeps the new IP to a daily cap per
	receiving-provider group and sends the overflow via the old host or
	defers it (policyd-warmup.c).

	An optional policy delegation listener (policy_listen) defers, at
	RCPT, recipients whose state cannot be read.
   SECURITY
	Talks only to Postfix over its sockets and to the state store.  Run
	it as an unprivileged user that can write the socket directory and
	read the store; admin commands that touch the queue (held, release)
	run postqueue/postsuper and need a user Postfix allows to.  With
	PostgreSQL its role needs no right to create tables, nor does the
	plugin's: "init-store STORE" creates or upgrades them once (and
	after each upgrade of mailshift), with the owner role's STORE URI.
	Clients
	are whom socket_mode lets in; each costs bounded memory and time
	(policyd-server.c).
   DIAGNOSTICS
	Logs to stderr, one line per event: "mailshift-policyd: <severity>:
	<what> <object>: <reason> -- <what we do>".  Store trouble answers
	TEMP (Postfix defers), never local delivery.  Exit status as
	<sysexits.h> names it: EX_USAGE for a bad command line, EX_CONFIG
	for a bad configuration, EX_OSERR when a listening socket cannot be
	set up, EX_TEMPFAIL when an admin command cannot do its work now
	(the store or the queue out of reach, a user still in final-sync:
	try again later).
   BUGS
	A slow store query stalls all clients while it lasts (one event
	loop; see policyd-server.c).  Held users are found in the
	queue at start; if postqueue fails then, their mail is released by
	Postfix's own retry instead.
   CONFIGURATION
	conf.d/mailshift-policyd.conf documents every setting. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "../shared/ms-log.h"
#include "policyd-admin.h"
#include "policyd-config.h"
#include "policyd-route.h"
#include "policyd-server.h"
#include "policyd-store.h"

#define DEFAULT_CONFIG "/etc/mailshift/mailshift-policyd.conf"

static void usage(void)
{
	fprintf(stderr,
		"usage: mailshift-policyd [-c CONFIG] [-n]\n"
		"       mailshift-policyd [-c CONFIG] held [USER]\n"
		"       mailshift-policyd [-c CONFIG] release USER\n"
		"       mailshift-policyd [-c CONFIG] counters [USER]\n"
		"       mailshift-policyd [-c CONFIG] warmup-status\n"
		"       mailshift-policyd [-c CONFIG] warmup-deferral GROUP "
		"[YYYY-MM-DD]\n"
		"       mailshift-policyd [-c CONFIG] init-store [STORE]\n"
		"       tail -F /var/log/mail.log | mailshift-policyd "
		"[-c CONFIG] warmup-scan-log\n"
		"(default CONFIG: " DEFAULT_CONFIG ")\n");
}

int main(int argc, char **argv)
{
	const char *config_path = DEFAULT_CONFIG;
	struct policyd_config cfg;
	struct policyd pd;
	bool check_only = false;
	char error[4096 + 256];	/* a whole line of the file, and its problem */
	int opt, ret;

	/* stderr lines must not interleave with the release children's */
	setvbuf(stderr, NULL, _IOLBF, 0);
	ms_log_init("mailshift-policyd", MS_LOG_INFO_LABEL);
	while ((opt = getopt(argc, argv, "+c:nh")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : EX_USAGE;
		}
	}
	if (policyd_config_read(config_path, &cfg, error,
				sizeof(error)) < 0) {
		ms_error("%s", error);
		policyd_config_free(&cfg);
		return EX_CONFIG;
	}
	if (check_only) {
		policyd_config_print(&cfg, stdout);
		policyd_config_free(&cfg);
		return 0;
	}
	if (optind < argc) {
		ret = policyd_admin_command(&cfg, argc - optind,
					    argv + optind);
		policyd_config_free(&cfg);
		return ret;
	}

	memset(&pd, 0, sizeof(pd));
	pd.cfg = &cfg;
	pd.config_path = config_path;
	policyd_route_init(&pd);
	if (cfg.forward_nexthop[0] != '\0')
		policyd_route_find_held(&pd);
	/* Open the store now to log trouble at start; lookups retry. */
	(void)policyd_store_get(pd.store, &(const char *){ NULL });
	ret = policyd_server_run(&pd);
	policyd_route_deinit(&pd);
	policyd_config_free(&cfg);
	return ret;
}
