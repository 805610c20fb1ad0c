/* test-milter-config: reading mailshift-milter.conf (each setting into
   its own field, anything unknown refused) and matching clients against
   internal_networks. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <unistd.h>

#include "milter-config.h"
#include "ms-test.h"

static char path[] = "/tmp/test-milter-config.XXXXXX";

/* Writes text to the config file and reads it; returns the error text
   ("" when it was read). */
static const char *read_text(const char *text, struct milter_config **cfg)
{
	static struct strbuf error;
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	milter_strbuf_truncate(&error);
	milter_config_free(cfg);
	(void)milter_config_read(path, cfg, &error);
	return milter_strbuf_str(&error);
}

static bool internal(const struct milter_config *cfg, const char *addr)
{
	struct sockaddr_in in4 = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, addr, &in4.sin_addr) == 1)
		return milter_config_is_internal(cfg,
						 (struct sockaddr *)&in4);
	inet_pton(AF_INET6, addr, &in6.sin6_addr);
	return milter_config_is_internal(cfg, (struct sockaddr *)&in6);
}

/* The fields settings set, one "field=value" line each. */
static const char *fields(const struct milter_config *cfg)
{
	static char text[2048];

	snprintf(text, sizeof(text),
		 "socket=%s\nsocket_group=%s\nsocket_mode=%04o\n"
		 "key_directory=%s\nuser=%s\nresolver=%s\nsyslog=%s\n"
		 "wrong_selector=%s\ndns_check=%s\ndns_check_interval=%u\n"
		 "networks=%u\ndomains=%u\n",
		 cfg->socket == NULL ? "(none)" : cfg->socket,
		 cfg->socket_group == NULL ? "(none)" : cfg->socket_group,
		 cfg->socket_mode,
		 cfg->key_directory == NULL ? "(none)" : cfg->key_directory,
		 cfg->user == NULL ? "(none)" : cfg->user,
		 cfg->resolver == NULL ? "(none)" : cfg->resolver,
		 cfg->syslog ? "yes" : "no",
		 cfg->wrong_selector == MILTER_WRONG_SELECTOR_REJECT ?
		 "reject" : "resign",
		 cfg->dns_check == MILTER_DNS_CHECK_OFF ? "off" :
		 cfg->dns_check == MILTER_DNS_CHECK_LOG ? "log" : "tempfail",
		 cfg->dns_check_interval, cfg->network_count,
		 cfg->domain_count);
	return text;
}

/* Each setting, given alone, changes its own field and no other. */
static const struct field_case {
	const char *line;
	const char *want;	/* the one field line that changes */
} field_cases[] = {
	{ "socket = inet:8891@127.0.0.1", "socket=inet:8891@127.0.0.1" },
	{ "socket_group = mail", "socket_group=mail" },
	{ "socket_group =", "socket_group=(none)" },
	{ "socket_mode = 0600", "socket_mode=0600" },
	{ "key_directory = /srv/dkim", "key_directory=/srv/dkim" },
	{ "user = mailshift-milter", "user=mailshift-milter" },
	{ "resolver = 192.0.2.53:5353", "resolver=192.0.2.53:5353" },
	{ "syslog = no", "syslog=no" },
	{ "wrong_selector = reject", "wrong_selector=reject" },
	{ "dns_check = tempfail", "dns_check=tempfail" },
	{ "dns_check = off", "dns_check=off" },
	{ "dns_check_interval = 7200", "dns_check_interval=7200" },
	{ "dns_check_interval = 2h", "dns_check_interval=7200" },
	{ "internal_networks = 10.0.0.0/8", "networks=1" },
	{ "domain = b.test s2 s3", "domains=2" },
};

/* The lines of got that are not in base, "" if none. */
static const char *changed_lines(const char *base, const char *got)
{
	static char diff[1024];
	char line[256];
	const char *p = got, *nl;

	diff[0] = '\0';
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		snprintf(line, sizeof(line), "%.*s\n", (int)(nl - p), p);
		if (strstr(base, line) == NULL)
			strncat(diff, line, sizeof(diff) - strlen(diff) - 1);
	}
	if (*diff != '\0')
		diff[strlen(diff) - 1] = '\0';
	return diff;
}

static const struct error_case {
	const char *name, *text, *want;
} error_cases[] = {
	{ "unknown setting names the line",
	  "domain = a.test s1\nsigning = yes\n",
	  ":2: signing = yes: unknown setting" },
	{ "misspelt setting: refused, the right name suggested",
	  "domain = a.test s1\nsocket_grup = mail\n",
	  ":2: socket_grup = mail: unknown setting (did you mean "
	  "socket_group?)" },
	{ "a setting of the policy daemon's is not the milter's",
	  "domain = a.test s1\nlocal_domains = a.test\n",
	  "local_domains = a.test: unknown setting" },
	{ "not name = value", "domain = a.test s1\nsyslog\n",
	  ":2: not name = value: syslog" },
	{ "bad policy value", "domain = a.test s1\nwrong_selector = drop\n",
	  "wrong_selector = drop: use resign or reject" },
	{ "bad dns_check value", "domain = a.test s1\ndns_check = on\n",
	  "dns_check = on: use off, log or tempfail" },
	{ "bad bool", "domain = a.test s1\nsyslog = maybe\n",
	  "syslog = maybe: use yes or no" },
	{ "domain without selector", "domain = a.test\n",
	  "domain = a.test: use domain = DOMAIN SELECTOR" },
	{ "domain twice", "domain = a.test s1\ndomain = A.test s2\n",
	  "domain a.test is listed twice" },
	{ "bad network",
	  "domain = a.test s1\ninternal_networks = 10.0.0.0/33\n",
	  "not an address or address/prefix: '10.0.0.0/33'" },
	{ "no domain at all", "socket = inet:1@127.0.0.1\n",
	  "nothing to sign" },
	{ "interval too short", "domain = a.test s1\ndns_check_interval = 5\n",
	  "dns_check_interval = 5: not a number in range (use 60 to 604800 "
	  "seconds" },
	{ "selector with a slash", "domain = a.test ../x\n",
	  "not a domain or selector name: '../x'" },
	{ "socket others may use", "domain = a.test s1\nsocket_mode = 0666\n",
	  "socket_mode = 0666: admits others than its owner and group" },
	{ "socket mode not octal", "domain = a.test s1\nsocket_mode = 660x\n",
	  "socket_mode = 660x: not an octal mode within 0660" },
};

int main(void)
{
	struct milter_config *cfg = NULL;
	char base[2048];
	const char *error;
	size_t i;
	int fd = mkstemp(path);

	close(fd);
	ms_test_begin("defaults and one domain with two selectors");
	error = read_text("# comment\n\ndomain = Example.TEST mx2026 mx2026e\n",
			  &cfg);
	ms_test_assert_str(error, "");
	ms_test_assert_str(cfg->socket,
			   "unix:/var/spool/postfix/mailshift/milter.sock");
	ms_test_assert_str(cfg->socket_group, "postfix");
	ms_test_assert(cfg->socket_mode == 0660);
	ms_test_assert(cfg->wrong_selector == MILTER_WRONG_SELECTOR_RESIGN);
	ms_test_assert(cfg->dns_check == MILTER_DNS_CHECK_LOG);
	ms_test_assert(cfg->dns_check_interval == 3600);
	ms_test_assert(milter_config_domain(cfg, "example.test") != NULL);
	ms_test_assert(milter_domain_selector(
		milter_config_domain(cfg, "EXAMPLE.test"), "MX2026E") != NULL);
	ms_test_assert(internal(cfg, "127.0.0.1") && internal(cfg, "::1"));
	ms_test_end();

	ms_test_begin("internal_networks: prefixes, IPv6, v4-mapped");
	error = read_text("domain = a.test s1\ninternal_networks = "
			  "10.1.0.0/16, 192.0.2.128/25 2001:db8::/32\n", &cfg);
	ms_test_assert_str(error, "");
	ms_test_assert(internal(cfg, "10.1.255.1"));
	ms_test_assert(!internal(cfg, "10.2.0.1"));
	ms_test_assert(internal(cfg, "192.0.2.200"));
	ms_test_assert(!internal(cfg, "192.0.2.127"));
	ms_test_assert(internal(cfg, "2001:db8:ffff::1"));
	ms_test_assert(!internal(cfg, "2001:db9::1"));
	ms_test_assert(internal(cfg, "::ffff:10.1.0.9"));
	ms_test_assert(!internal(cfg, "127.0.0.1"));
	ms_test_end();

	/* Setup: what the file gives with one domain and nothing else. */
	(void)read_text("domain = a.test s1\n", &cfg);
	snprintf(base, sizeof(base), "%s", fields(cfg));
	for (i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		char name[200], text[300];

		snprintf(name, sizeof(name), "'%s' sets only its own field",
			 field_cases[i].line);
		ms_test_begin(name);
		/* Run */
		snprintf(text, sizeof(text), "domain = a.test s1\n%s\n",
			 field_cases[i].line);
		error = read_text(text, &cfg);
		/* Verify */
		ms_test_assert_str(error, "");
		if (*error == '\0')
			ms_test_assert_str(changed_lines(base, fields(cfg)),
					   field_cases[i].want);
		ms_test_end();
	}

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		char name[200];

		snprintf(name, sizeof(name), "error: %s", error_cases[i].name);
		ms_test_begin(name);
		error = read_text(error_cases[i].text, &cfg);
		if (strstr(error, error_cases[i].want) == NULL)
			ms_test_fail_at(__FILE__, __LINE__, error,
					error_cases[i].want);
		ms_test_end();
	}
	milter_config_free(&cfg);
	unlink(path);
	return ms_test_exit();
}
