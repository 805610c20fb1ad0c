/* test-milter-config: reading mailshift-milter.conf and matching clients
   against internal_networks. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <unistd.h>

#include "milter-config.h"
#include "test-common.h"

static char path[] = "/tmp/test-milter-config.XXXXXX";

/* Writes text to the config file and reads it; returns the error text
   ("" when it was read). */
static const char *read_text(const char *text, struct milter_config **cfg)
{
	static struct strbuf error;
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	strbuf_truncate(&error);
	milter_config_free(cfg);
	(void)milter_config_read(path, cfg, &error);
	return strbuf_str(&error);
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

static const struct error_case {
	const char *name, *text, *want;
} error_cases[] = {
	{ "unknown setting names the line",
	  "domain = a.test s1\nsigning = yes\n",
	  "line 2: unknown setting 'signing'" },
	{ "bad policy value", "domain = a.test s1\nwrong_selector = drop\n",
	  "invalid value 'drop' for wrong_selector" },
	{ "domain without selector", "domain = a.test\n",
	  "want: domain = DOMAIN SELECTOR" },
	{ "domain twice", "domain = a.test s1\ndomain = A.test s2\n",
	  "domain a.test is listed twice" },
	{ "bad network",
	  "domain = a.test s1\ninternal_networks = 10.0.0.0/33\n",
	  "not an address or address/prefix: '10.0.0.0/33'" },
	{ "no domain at all", "socket = inet:1@127.0.0.1\n",
	  "nothing to sign" },
	{ "interval too short", "domain = a.test s1\ndns_check_interval = 5\n",
	  "invalid value '5' for dns_check_interval" },
	{ "selector with a slash", "domain = a.test ../x\n",
	  "not a domain or selector name: '../x'" },
	{ "socket others may use", "domain = a.test s1\nsocket_mode = 0666\n",
	  "socket_mode: 0666 admits others than its owner and group" },
	{ "socket mode not octal", "domain = a.test s1\nsocket_mode = 660x\n",
	  "invalid value '660x' for socket_mode" },
};

int main(void)
{
	struct milter_config *cfg = NULL;
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
	ms_test_assert(cfg->wrong_selector == WRONG_SELECTOR_RESIGN);
	ms_test_assert(cfg->dns_check == DNS_CHECK_LOG);
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
