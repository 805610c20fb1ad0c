/* milter-config - read mailshift-milter.conf.

   One table lists every setting with its default, so the file, the
   defaults and the error messages cannot drift apart.  "domain" is the
   one setting that may repeat: one line per signing domain. */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter-config.h"

#define MAX_SELECTORS_PER_DOMAIN 8

enum setting_type { SET_STRING, SET_BOOL, SET_SECONDS, SET_SPECIAL };

static const struct setting {
	const char *name;
	enum setting_type type;
	const char *default_value;
} settings[] = {
	{ "socket", SET_STRING, MILTER_DEFAULT_SOCKET },
	{ "socket_group", SET_STRING, "postfix" },
	{ "socket_mode", SET_SPECIAL, "0660" },
	{ "key_directory", SET_STRING, "/etc/mailshift/dkim" },
	{ "user", SET_STRING, "" },
	{ "resolver", SET_STRING, "" },
	{ "syslog", SET_BOOL, "yes" },
	{ "wrong_selector", SET_SPECIAL, "resign" },
	{ "dns_check", SET_SPECIAL, "log" },
	{ "dns_check_interval", SET_SECONDS, "3600" },
	{ "internal_networks", SET_SPECIAL, "127.0.0.0/8 ::1/128" },
	{ "domain", SET_SPECIAL, NULL },
};

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

/* Splits value at whitespace and commas into words; returns the count. */
static unsigned int split_words(char *value, char **words, unsigned int max)
{
	unsigned int n = 0;
	char *save = NULL, *word;

	for (word = strtok_r(value, " \t,", &save); word != NULL;
	     word = strtok_r(NULL, " \t,", &save)) {
		if (n == max)
			return max + 1;
		words[n++] = word;
	}
	return n;
}

static int set_networks(struct milter_config *config, char *value,
			struct strbuf *error_r)
{
	char *words[256];
	unsigned int n = split_words(value, words, 256), i;

	if (n > 256) {
		strbuf_append_str(error_r, "more than 256 networks");
		return -1;
	}
	free(config->networks);
	config->networks = xcalloc(n, sizeof(*config->networks));
	config->network_count = 0;
	for (i = 0; i < n; i++) {
		if (parse_network(words[i], &config->networks[i]) < 0) {
			strbuf_printf(error_r, "not an address or "
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

static int add_domain(struct milter_config *config, char *value,
		      struct strbuf *error_r)
{
	char *words[MAX_SELECTORS_PER_DOMAIN + 1];
	unsigned int n = split_words(value, words,
				     MAX_SELECTORS_PER_DOMAIN + 1), i;
	struct milter_domain *d;
	char *p;

	if (n < 2 || n > MAX_SELECTORS_PER_DOMAIN + 1) {
		strbuf_append_str(error_r, "want: domain = DOMAIN SELECTOR "
				  "[SELECTOR...] (1 to 8 selectors)");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!valid_dns_label_text(words[i])) {
			strbuf_printf(error_r, "not a domain or selector "
				      "name: '%s'", words[i]);
			return -1;
		}
	}
	for (p = words[0]; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (milter_config_domain(config, words[0]) != NULL) {
		strbuf_printf(error_r, "domain %s is listed twice", words[0]);
		return -1;
	}
	config->domains = xrealloc(config->domains, config->domain_count + 1,
				   sizeof(*config->domains));
	d = &config->domains[config->domain_count++];
	d->name = xstrdup(words[0]);
	d->selector_count = n - 1;
	d->selectors = xcalloc(n - 1, sizeof(*d->selectors));
	for (i = 1; i < n; i++)
		d->selectors[i - 1].name = xstrdup(words[i]);
	return 0;
}

static int apply(struct milter_config *config, const struct setting *set,
		 char *value, struct strbuf *error_r)
{
	char **target = NULL;
	unsigned long seconds;
	char *end;

	if (strcmp(set->name, "domain") == 0)
		return add_domain(config, value, error_r);
	if (strcmp(set->name, "internal_networks") == 0)
		return set_networks(config, value, error_r);
	if (strcmp(set->name, "socket_mode") == 0) {
		errno = 0;
		seconds = strtoul(value, &end, 8);
		if (errno != 0 || *end != '\0' || end == value)
			goto bad_value;
		/* Others on the socket could have any mail signed. */
		if ((seconds & ~0660UL) != 0) {
			strbuf_printf(error_r, "%s admits others than its "
				      "owner and group, who could have any "
				      "mail signed: use 0660 (or 0600) with "
				      "socket_group", value);
			return -1;
		}
		config->socket_mode = (unsigned int)seconds;
		return 0;
	}
	if (strcmp(set->name, "wrong_selector") == 0) {
		if (strcmp(value, "resign") == 0)
			config->wrong_selector = WRONG_SELECTOR_RESIGN;
		else if (strcmp(value, "reject") == 0)
			config->wrong_selector = WRONG_SELECTOR_REJECT;
		else
			goto bad_value;
		return 0;
	}
	if (strcmp(set->name, "dns_check") == 0) {
		if (strcmp(value, "off") == 0)
			config->dns_check = DNS_CHECK_OFF;
		else if (strcmp(value, "log") == 0)
			config->dns_check = DNS_CHECK_LOG;
		else if (strcmp(value, "tempfail") == 0)
			config->dns_check = DNS_CHECK_TEMPFAIL;
		else
			goto bad_value;
		return 0;
	}
	if (set->type == SET_BOOL) {
		if (strcmp(value, "yes") == 0)
			config->syslog = true;
		else if (strcmp(value, "no") == 0)
			config->syslog = false;
		else
			goto bad_value;
		return 0;
	}
	if (set->type == SET_SECONDS) {
		errno = 0;
		seconds = strtoul(value, &end, 10);
		if (errno != 0 || *end != '\0' || end == value ||
		    seconds < 60 || seconds > 86400 * 7)
			goto bad_value;
		config->dns_check_interval = (unsigned int)seconds;
		return 0;
	}
	if (strcmp(set->name, "socket") == 0)
		target = &config->socket;
	else if (strcmp(set->name, "socket_group") == 0)
		target = &config->socket_group;
	else if (strcmp(set->name, "key_directory") == 0)
		target = &config->key_directory;
	else if (strcmp(set->name, "user") == 0)
		target = &config->user;
	else
		target = &config->resolver;
	free(*target);
	*target = *value == '\0' ? NULL : xstrdup(value);
	return 0;

bad_value:
	strbuf_printf(error_r, "invalid value '%s' for %s", value, set->name);
	return -1;
}

static const struct setting *find_setting(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	}
	return NULL;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static void apply_defaults(struct milter_config *config)
{
	struct strbuf ignored = { 0 };
	char *copy;
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if (settings[i].default_value == NULL)
			continue;
		copy = xstrdup(settings[i].default_value);
		(void)apply(config, &settings[i], copy, &ignored);
		free(copy);
	}
	strbuf_free(&ignored);
}

int milter_config_read(const char *path, struct milter_config **config_r,
		       struct strbuf *error_r)
{
	struct milter_config *config = xcalloc(1, sizeof(*config));
	char line[4096];
	unsigned int lineno = 0;
	FILE *file;

	apply_defaults(config);
	*config_r = config;
	file = fopen(path, "r");
	if (file == NULL) {
		strbuf_printf(error_r, "cannot open configuration %s: %s",
			      path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), file) != NULL) {
		const struct setting *set;
		char *name, *value, *eq;
		struct strbuf why = { 0 };

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(file)) {
			strbuf_printf(error_r, "%s line %u: line longer than "
				      "4095 bytes", path, lineno);
			goto fail;
		}
		name = trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		eq = strchr(name, '=');
		if (eq == NULL) {
			strbuf_printf(error_r, "%s line %u: want 'name = "
				      "value'", path, lineno);
			goto fail;
		}
		*eq = '\0';
		value = trim(eq + 1);
		name = trim(name);
		set = find_setting(name);
		if (set == NULL) {
			strbuf_printf(error_r, "%s line %u: unknown setting "
				      "'%s'", path, lineno, name);
			goto fail;
		}
		if (apply(config, set, value, &why) < 0) {
			strbuf_printf(error_r, "%s line %u: %s: %s", path,
				      lineno, name, strbuf_str(&why));
			strbuf_free(&why);
			goto fail;
		}
	}
	fclose(file);
	if (config->domain_count == 0) {
		strbuf_printf(error_r, "%s: no 'domain = DOMAIN SELECTOR' "
			      "line: nothing to sign", path);
		return -1;
	}
	return 0;
fail:
	fclose(file);
	return -1;
}

void milter_config_free(struct milter_config **configp)
{
	struct milter_config *config = *configp;
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
	free(config->socket);
	free(config->socket_group);
	free(config->key_directory);
	free(config->user);
	free(config->resolver);
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
