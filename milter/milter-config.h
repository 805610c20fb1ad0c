#ifndef MS_MILTER_CONFIG_H
#define MS_MILTER_CONFIG_H

/* milter-config - mailshift-milter's settings, read once at start-up from
   a "name = value" file (see conf.d/mailshift-milter.conf for every name,
   its default and what it does). */

#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/evp.h>

#include "dkim-sign.h"
#include "strbuf.h"

enum milter_wrong_selector {
	/* remove the foreign signature, sign */
	MILTER_WRONG_SELECTOR_RESIGN,
	MILTER_WRONG_SELECTOR_REJECT,	/* 550 5.7.1 */
};

enum milter_dns_check {
	MILTER_DNS_CHECK_OFF,
	MILTER_DNS_CHECK_LOG,	/* log a mismatch loudly, sign anyway */
	/* ... and tempfail the domain's mail */
	MILTER_DNS_CHECK_TEMPFAIL,
};

struct milter_selector {
	char *name;
	enum dkim_alg alg;	/* from the key file's name */
	char *key_path;
	EVP_PKEY *key;		/* loaded before privileges are dropped */
	char *public_b64;	/* the p= value DNS must publish */
	/* DNS check cache, guarded by milter-dns.c's lock. */
	time_t dns_checked_at;
	int dns_state;		/* enum dns_key_state */
	bool dns_checking;	/* a thread is looking it up */
};

struct milter_domain {
	char *name;		/* lower case */
	unsigned int selector_count;
	struct milter_selector *selectors;
};

struct milter_network {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned int prefix;
};

/* Inside Postfix's queue directory, where Debian's chrooted smtpd and
   cleanup reach it (main.cf: unix:mailshift/milter.sock). */
#define MILTER_DEFAULT_SOCKET "unix:/var/spool/postfix/mailshift/milter.sock"

struct milter_config {
	char *socket;
	char *socket_group;	/* NULL: the socket keeps root's group */
	unsigned int socket_mode;	/* of a UNIX socket; never for others */
	char *key_directory;
	char *user;
	char *resolver;		/* "addr[:port]"; NULL: resolv.conf */
	bool syslog;
	enum milter_wrong_selector wrong_selector;
	enum milter_dns_check dns_check;
	unsigned int dns_check_interval;	/* seconds */
	unsigned int network_count;
	struct milter_network *networks;
	unsigned int domain_count;
	struct milter_domain *domains;
};

/* Reads path into a new config.  Returns 0, or -1 with one line naming the
   file, line and setting that is wrong in error_r. */
int milter_config_read(const char *path, struct milter_config **config_r,
		       struct strbuf *error_r);
void milter_config_free(struct milter_config **config);

/* The configured domain called name (any case), or NULL. */
struct milter_domain *milter_config_domain(const struct milter_config *config,
					   const char *name);
/* The domain's selector called name (any case), or NULL. */
struct milter_selector *milter_domain_selector(const struct milter_domain *d,
					       const char *name);
/* True if addr is inside one of internal_networks. */
bool milter_config_is_internal(const struct milter_config *config,
			       const struct sockaddr *addr);

#endif
