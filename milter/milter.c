/*
 * NAME
 *	mailshift-milter - DKIM signer for dual-send migrations
 * SYNOPSIS
 *	mailshift-milter [-c config] [-n]
 *	mailshift-milter genkey -d domain -s selector [-t rsa|ed25519]
 *		[-b bits] [-k key_directory | -c config]
 * DESCRIPTION
 *	Runs on both the old and the new host as a Postfix milter
 *	(smtpd_milters and non_smtpd_milters, listed last).  It signs the
 *	mail this host originates (clients in internal_networks, SASL
 *	authenticated submissions, local submission) whose From: domain is
 *	configured, with this host's selector(s): relaxed/relaxed,
 *	RSA-SHA256 and/or Ed25519-SHA256, From/Subject/To/Cc/Date/
 *	Message-ID/Reply-To oversigned, never l=.  A DKIM-Signature of one
 *	of our domains with another selector is removed and replaced (or
 *	the message refused), so nothing leaves with the wrong selector.
 *
 *	Runs in the foreground and logs to stderr (and syslog unless
 *	syslog = no); SIGTERM stops it.  -n checks the configuration and
 *	the keys, prints "configuration OK" and exits (0 OK, 78 not).
 *
 *	genkey creates KEYDIR/DOMAIN/SELECTOR.rsa.pem or .ed25519.pem
 *	(mode 0600; never replaces a key) and prints the TXT record.
 * SECURITY
 *	Whoever can connect to the socket can have mail signed: the client
 *	address and SASL login that make mail "ours" are what the client
 *	says.  The default socket is therefore a UNIX socket in Postfix's
 *	queue directory, root's, group postfix, mode 0660, in a directory
 *	only root may write (milter-socket.c); an inet socket admits every
 *	local user and is warned about at start.  Key files are refused when
 *	group or others can read them.  Keys and the listening socket are
 *	opened as root (pre_drop_init), then the process runs as "user".
 *	Key material never reaches a log line.
 * DIAGNOSTICS
 *	Every refusal or tempfail is logged with queue_id=, domain= and
 *	selector= and what to do about it.  Exit 75 when it cannot start.
 * BUGS
 *	A DNS check runs in the thread of the message that finds the cache
 *	stale (at most once per selector per dns_check_interval); a slow
 *	resolver delays that message, and the first ones of a selector.
 * CONFIGURATION PARAMETERS
 *	See conf.d/mailshift-milter.conf (socket, socket_group,
 *	socket_mode, key_directory, domain, internal_networks,
 *	wrong_selector, dns_check, dns_check_interval, resolver, user,
 *	syslog).
 */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "../shared/ms-log.h"
#include "milter-callbacks.h"
#include "milter-config.h"
#include "milter-keys.h"
#include "milter-socket.h"

#define DEFAULT_CONFIG "/etc/mailshift/mailshift-milter.conf"
#define MILTER_MAX_PACKET (1024 * 1024 - 1)

static void usage(void)
{
	fprintf(stderr,
		"usage: mailshift-milter [-c config] [-n]\n"
		"       mailshift-milter genkey -d domain -s selector "
		"[-t rsa|ed25519] [-b bits] [-k keydir | -c config]\n");
	exit(EX_USAGE);
}

static struct milter_config *read_config(const char *path)
{
	struct milter_config *config;
	struct strbuf error = { 0 };

	if (milter_config_read(path, &config, &error) < 0 ||
	    milter_socket_check(config, &error) < 0) {
		ms_fatal_status(EX_CONFIG, "%s", milter_strbuf_str(&error));
	}
	milter_strbuf_free(&error);
	return config;
}

static int cmd_genkey(int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *keydir = NULL;
	const char *config_path = NULL;
	enum dkim_alg alg = DKIM_ALG_RSA_SHA256;
	unsigned int bits = 2048;
	struct milter_config *config = NULL;
	int c, ret;

	while ((c = getopt(argc, argv, "d:s:t:b:k:c:")) != -1) {
		switch (c) {
		case 'd': domain = optarg; break;
		case 's': selector = optarg; break;
		case 'k': keydir = optarg; break;
		case 'c': config_path = optarg; break;
		case 'b': bits = (unsigned int)atoi(optarg); break;
		case 't':
			if (strcmp(optarg, "rsa") == 0)
				alg = DKIM_ALG_RSA_SHA256;
			else if (strcmp(optarg, "ed25519") == 0)
				alg = DKIM_ALG_ED25519_SHA256;
			else
				usage();
			break;
		default: usage();
		}
	}
	if (domain == NULL || selector == NULL || bits < 1024 || bits > 8192 ||
	    strchr(domain, '/') != NULL || strchr(selector, '/') != NULL ||
	    domain[0] == '.' || selector[0] == '.')
		usage();
	if (keydir == NULL) {
		/* genkey runs before any "domain =" line exists, so only the
		   key directory is taken from the file. */
		struct strbuf error = { 0 };

		if (milter_config_read(config_path != NULL ? config_path :
				       DEFAULT_CONFIG, &config, &error) < 0 &&
		    config_path != NULL)
			ms_warning("%s", milter_strbuf_str(&error));
		keydir = config->key_directory;
		milter_strbuf_free(&error);
	}
	umask(077);
	ret = milter_genkey(keydir, domain, selector, alg, bits);
	milter_config_free(&config);
	return ret;
}

/* Privileged phase: keys and the socket, which root owns. */
static unsigned int pre_drop_init(struct milter_config *config)
{
	unsigned int failed = milter_keys_load(config);

	milter_socket_open(config);
	return failed;
}

static void drop_privileges(const struct milter_config *config)
{
	struct passwd *pw;

	if (config->user == NULL)
		return;
	if (geteuid() != 0) {
		ms_warning("user = %s ignored: not started as root",
			   config->user);
		return;
	}
	pw = getpwnam(config->user);
	if (pw == NULL)
		ms_fatal("user = %s: no such user", config->user);
	/* The socket stays root's: the listening descriptor is all we
	   need, and "user" must not be able to let others in. */
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		ms_fatal("cannot drop privileges to %s: %s", config->user,
			 strerror(errno));
	if (setuid(0) == 0)
		ms_fatal("still root after dropping privileges to %s",
			 config->user);
}

int main(int argc, char **argv)
{
	const char *config_path = DEFAULT_CONFIG;
	struct milter_config *config;
	bool check_only = false;
	unsigned int failed;
	int c, ret;

	/* Until the configuration is read: the lines of a command-line
	   tool, without the daemon's time stamps. */
	ms_log_init("mailshift-milter", 0);
	if (argc > 1 && strcmp(argv[1], "genkey") == 0)
		return cmd_genkey(argc - 1, argv + 1);
	while ((c = getopt(argc, argv, "c:n")) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'n': check_only = true; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	config = read_config(config_path);
	if (check_only) {
		ms_log_init("mailshift-milter", MS_LOG_STAMP);
		failed = milter_keys_load(config);
		if (failed > 0) {
			fprintf(stderr, "mailshift-milter: %u selector(s) have "
				"no usable key\n", failed);
			milter_config_free(&config);
			return EX_CONFIG;
		}
		printf("configuration OK\n");
		milter_config_free(&config);
		return 0;
	}
	ms_log_init("mailshift-milter", MS_LOG_STAMP |
		    (config->syslog ? MS_LOG_SYSLOG : 0));
	if (smfi_register(*milter_callbacks(config)) != MI_SUCCESS)
		ms_fatal("smfi_register failed");
	/* Postfix sends header fields of up to header_size_limit (100 kB);
	   libmilter's default 64 kB would drop such a session instead of
	   letting us answer it. */
	if (smfi_setmaxdatasize(MILTER_MAX_PACKET) == 0)
		ms_warning("libmilter refuses packets over 64 kB: sessions "
			   "with larger header fields will be dropped "
			   "(milter_default_action applies)");
	failed = pre_drop_init(config);
	drop_privileges(config);
	ms_info("listening on %s (%u domain(s), %u selector(s) without a "
		"usable key; wrong_selector=%s dns_check=%s)", config->socket,
		config->domain_count, failed, config->wrong_selector ==
		MILTER_WRONG_SELECTOR_REJECT ? "reject" : "resign",
		config->dns_check == MILTER_DNS_CHECK_OFF ? "off" :
		config->dns_check == MILTER_DNS_CHECK_LOG ? "log" : "tempfail");
	ret = smfi_main();
	ms_info("stopped");
	milter_config_free(&config);
	return ret == MI_SUCCESS ? 0 : EX_TEMPFAIL;
}
