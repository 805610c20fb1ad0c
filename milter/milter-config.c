/* milter-config - read mailshift-milter.conf.

   One table lists every setting with its default and the field it sets
   (ms-config reads the file), so the file, the defaults and the error
   messages cannot drift apart.  "domain" is the one setting that
   repeats: one line per signing domain. */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../shared/ms-alloc.h"
#include "../shared/ms-config.h"
#include "milter-config.h"

#define MAX_SELECTORS_PER_DOMAIN 8
#define MAX_NETWORKS 256
/* ms-config's longest line */
#define MAX_LINE 4096
#define SETTING_COUNT 12

static int parse_network(const char *text, struct milter_network *net)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t len = slash == NULL ? strlen(text) : (size_t)(slash - text);
	unsigned int max;
	char *end;
	unsigned long prefix;

	if (len >= sizeof(addr))
		return -1;
	memcpy(addr, text, len);
	addr[len] = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, addr, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	net->prefix = max;
	if (slash != NULL) {
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == slash + 1 ||
		    prefix > max)
			return -1;
		net->prefix = (unsigned int)prefix;
	}
	return 0;
}

static bool network_contains(const struct milter_network *net,
			     const unsigned char *addr)
{
	unsigned int full = net->prefix / 8, rest = net->prefix % 8;
	unsigned char mask;

	if (memcmp(net->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (addr[full] & mask);
}

bool milter_config_is_internal(const struct milter_config *config,
			       const struct sockaddr *addr)
{
	const unsigned char *bytes;
	unsigned char mapped[4];
	int family;
	unsigned int i;

	if (addr == NULL)
		return false;
	if (addr->sa_family == AF_INET) {
		family = AF_INET;
		bytes = (const unsigned char *)
			&((const struct sockaddr_in *)addr)->sin_addr;
	} else if (addr->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
			&((const struct sockaddr_in6 *)addr)->sin6_addr;

		family = AF_INET6;
		bytes = a6->s6_addr;
		/* ::ffff:a.b.c.d is the IPv4 client a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(mapped, a6->s6_addr + 12, 4);
			family = AF_INET;
			bytes = mapped;
		}
	} else {
		return false;
	}
	for (i = 0; i < config->network_count; i++) {
		if (config->networks[i].family == family &&
		    network_contains(&config->networks[i], bytes))
			return true;
	}
	return false;
}

/* Copies value into copy[size] and splits it at whitespace and commas
   into words; returns the count (max + 1: more than max). */
static unsigned int split_words(const char *value, char *copy, size_t size,
				char **words, unsigned int max)
{
	unsigned int n = 0;
	char *save = NULL, *word;

	snprintf(copy, size, "%s", value);
	for (word = strtok_r(copy, " \t,", &save); word != NULL;
	     word = strtok_r(NULL, " \t,", &save)) {
		if (n == max)
			return max + 1;
		words[n++] = word;
	}
	return n;
}

/* internal_networks: replaces the list. */
static int set_networks(void *target, const char *value, char *why,
			size_t why_size)
{
	struct milter_config *config = target;
	char copy[MAX_LINE], *words[MAX_NETWORKS];
	unsigned int n = split_words(value, copy, sizeof(copy), words,
				     MAX_NETWORKS), i;

	if (n > MAX_NETWORKS) {
		snprintf(why, why_size, "more than %d networks",
			 MAX_NETWORKS);
		return -1;
	}
	free(config->networks);
	config->networks = ms_xcalloc(n, sizeof(*config->networks));
	config->network_count = 0;
	for (i = 0; i < n; i++) {
		if (parse_network(words[i], &config->networks[i]) < 0) {
			snprintf(why, why_size, "not an address or "
				 "address/prefix: '%s'", words[i]);
			return -1;
		}
		config->network_count++;
	}
	return 0;
}

static bool valid_dns_label_text(const char *s)
{
	if (*s == '\0' || *s == '.' || *s == '-')
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' &&
		    *s != '_')
			return false;
	}
	return true;
}

/* domain: the one setting that repeats, each line adds a domain. */
static int add_domain(void *target, const char *value, char *why,
		      size_t why_size)
{
	struct milter_config *config = target;
	char copy[MAX_LINE], *words[MAX_SELECTORS_PER_DOMAIN + 1], *p;
	unsigned int n = split_words(value, copy, sizeof(copy), words,
				     MAX_SELECTORS_PER_DOMAIN + 1), i;
	struct milter_domain *d;

	if (n < 2 || n > MAX_SELECTORS_PER_DOMAIN + 1) {
		snprintf(why, why_size, "use domain = DOMAIN SELECTOR "
			 "[SELECTOR...] (1 to %d selectors)",
			 MAX_SELECTORS_PER_DOMAIN);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!valid_dns_label_text(words[i])) {
			snprintf(why, why_size, "not a domain or selector "
				 "name: '%s'", words[i]);
			return -1;
		}
	}
	for (p = words[0]; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (milter_config_domain(config, words[0]) != NULL) {
		snprintf(why, why_size, "domain %s is listed twice",
			 words[0]);
		return -1;
	}
	config->domains = ms_xrealloc(config->domains,
				      config->domain_count + 1,
				      sizeof(*config->domains));
	d = &config->domains[config->domain_count++];
	d->name = ms_xstrdup(words[0]);
	d->selector_count = n - 1;
	d->selectors = ms_xcalloc(n - 1, sizeof(*d->selectors));
	for (i = 1; i < n; i++)
		d->selectors[i - 1].name = ms_xstrdup(words[i]);
	return 0;
}

static const struct ms_setting_choice wrong_selector_choices[] = {
	{ "resign", MILTER_WRONG_SELECTOR_RESIGN },
	{ "reject", MILTER_WRONG_SELECTOR_REJECT },
	{ NULL, 0 }
};

static const struct ms_setting_choice dns_check_choices[] = {
	{ "off", MILTER_DNS_CHECK_OFF },
	{ "log", MILTER_DNS_CHECK_LOG },
	{ "tempfail", MILTER_DNS_CHECK_TEMPFAIL },
	{ NULL, 0 }
};

/* The table of config's settings, each row setting its own field (see
   conf.d/mailshift-milter.conf for what each does). */
static void settings_of(struct milter_config *config,
			struct ms_setting table[SETTING_COUNT])
{
	const struct ms_setting rows[] = {
		MS_SETTING_STR("socket", MILTER_DEFAULT_SOCKET,
			       &config->socket),
		MS_SETTING_STR("socket_group", "postfix",
			       &config->socket_group),
		MS_SETTING_MODE("socket_mode", "0660", &config->socket_mode,
				0660, "admits others than its owner and "
				"group, who could have any mail signed: use "
				"0660 (or 0600) with socket_group"),
		MS_SETTING_STR("key_directory", "/etc/mailshift/dkim",
			       &config->key_directory),
		MS_SETTING_STR("user", "", &config->user),
		MS_SETTING_STR("resolver", "", &config->resolver),
		MS_SETTING_BOOL("syslog", "yes", &config->syslog),
		MS_SETTING_ENUM("wrong_selector", "resign",
				&config->wrong_selector,
				wrong_selector_choices),
		MS_SETTING_ENUM("dns_check", "log", &config->dns_check,
				dns_check_choices),
		MS_SETTING_TIME("dns_check_interval", "3600",
				&config->dns_check_interval, 60, 7 * 86400),
		MS_SETTING_CUSTOM("internal_networks", "127.0.0.0/8 ::1/128",
				  config, set_networks, NULL),
		MS_SETTING_CUSTOM("domain", NULL, config, add_domain, NULL),
	};

	_Static_assert(MS_SETTING_COUNT(rows) == SETTING_COUNT,
		       "SETTING_COUNT is the number of rows");
	memcpy(table, rows, sizeof(rows));
}

int milter_config_read(const char *path, struct milter_config **config_r,
		       struct strbuf *error_r)
{
	struct milter_config *config = ms_xcalloc(1, sizeof(*config));
	struct ms_setting table[SETTING_COUNT];
	char error[MAX_LINE + 256];

	*config_r = config;
	settings_of(config, table);
	if (ms_config_read(path, table, SETTING_COUNT, error,
			   sizeof(error)) < 0) {
		milter_strbuf_append_str(error_r, error);
		return -1;
	}
	if (config->domain_count == 0) {
		milter_strbuf_printf(error_r, "%s: no 'domain = DOMAIN "
				     "SELECTOR' line: nothing to sign", path);
		return -1;
	}
	return 0;
}

void milter_config_free(struct milter_config **configp)
{
	struct milter_config *config = *configp;
	struct ms_setting table[SETTING_COUNT];
	unsigned int i, j;

	if (config == NULL)
		return;
	for (i = 0; i < config->domain_count; i++) {
		struct milter_domain *d = &config->domains[i];

		for (j = 0; j < d->selector_count; j++) {
			free(d->selectors[j].name);
			free(d->selectors[j].key_path);
			free(d->selectors[j].public_b64);
			EVP_PKEY_free(d->selectors[j].key);
		}
		free(d->selectors);
		free(d->name);
	}
	free(config->domains);
	free(config->networks);
	settings_of(config, table);
	ms_config_free(table, SETTING_COUNT);
	free(config);
	*configp = NULL;
}

struct milter_domain *milter_config_domain(const struct milter_config *config,
					   const char *name)
{
	unsigned int i;

	for (i = 0; i < config->domain_count; i++) {
		if (strcasecmp(config->domains[i].name, name) == 0)
			return &config->domains[i];
	}
	return NULL;
}

struct milter_selector *milter_domain_selector(const struct milter_domain *d,
					       const char *name)
{
	unsigned int i;

	for (i = 0; i < d->selector_count; i++) {
		if (strcasecmp(d->selectors[i].name, name) == 0)
			return &d->selectors[i];
	}
	return NULL;
}
