/* test-policyd-config.c: postfix-policy/policyd-config.c, the settings
   file: what it refuses, and that the refusal names the line; what -n
   prints of what it accepted.

   Setup: a file with local_domains and one more line.  Run: read it (and
   print it).  Verify: the read fails and the message says what is wrong,
   or the printed settings hold the line as the file would say it. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../postfix-policy/policyd-config.h"
#include "../ms-test.h"

static const struct {
	const char *name, *line, *want;
} refused_cases[] = {
	{ "unknown setting", "colour = blue\n", "unknown setting" },
	{ "number out of range", "state_cache_seconds = 61\n",
	  ":2: state_cache_seconds = 61: not a number in range" },
	{ "number: not one", "max_clients = many\n",
	  "max_clients = many: not a number in range (use 1 to 100000)" },
	{ "socket_mode: bits outside 0777", "socket_mode = 1777\n",
	  "socket_mode = 1777: not an octal mode within 0777" },
	{ "string longer than its field",
	  "recipient_delimiter = ++++++++++++++++\n",
	  "recipient_delimiter = ++++++++++++++++: value too long" },
	{ "user_key: not a choice", "user_key = uid\n",
	  "user_key = uid: use localpart or address" },
	{ "warmup_overflow: not a choice", "warmup_overflow = bounce\n",
	  "warmup_overflow = bounce: use relay or defer" },
	{ "bad schedule", "warmup_schedule = 2:10 1:5\n", "use DAY:CAP" },
	{ "warmup_start: not a day", "warmup_start = 2026-13-01\n",
	  "warmup_start = 2026-13-01: use YYYY-MM-DD" },
	{ "warm-up without a start", "warmup = yes\n", "needs warmup_start" },
	{ "warm-up relaying without a next hop",
	  "warmup = yes\nwarmup_start = 2026-01-02\n",
	  "warmup_overflow = relay needs warmup_overflow_nexthop" },
	{ "no local domains", "local_domains =\n",
	  "local_domains is empty" },
	{ "not name = value", "just words\n", ":2: not name = value" },
};

/* Each line is a line of what -n prints for the case's line. */
static const struct {
	const char *name, *line, *want;
} printed_cases[] = {
	{ "defaults", "",
	  "store = sqlite:/var/lib/mailshift/state.db\n"
	  "socket_mode = 0660\nlocal_domains = example.test\n"
	  "user_key = localpart\nstate_cache_seconds = 1\n"
	  "warmup = no\nwarmup_start = \n"
	  "warmup_schedule = 1:150 2:300 3:450 4:700 5:1000 6:1500 7:2000 "
	  "8:3000 9:4000 10:5000 11:7000 12:9000 13:12000 14:15000 "
	  "15:20000 16:26000 17:33000 18:42000 19:50000 20:57000\n"
	  "warmup_overflow = relay\n" },
	{ "the store's password masked",
	  "store = postgresql://policyd:s3cret@db.test/mailshift\n",
	  "store = postgresql://policyd:********@db.test/mailshift\n" },
	{ "domains in lower case, one space apart",
	  "local_domains = Example.ORG,b.test\tc.test\n",
	  "local_domains = example.org b.test c.test\n" },
	{ "schedule one space apart", "warmup_schedule = 1:5, 3:7 10:100\n",
	  "warmup_schedule = 1:5 3:7 10:100\n" },
	{ "seconds with a unit", "state_cache_seconds = 1m\n",
	  "state_cache_seconds = 60\n" },
	{ "choices and mode by name",
	  "user_key = address\nwarmup_overflow = defer\nsocket_mode = 600\n",
	  "user_key = address\nwarmup_overflow = defer\nsocket_mode = 0600\n" },
	{ "warm-up on", "warmup = yes\nwarmup_start = 2026-01-02\n"
	  "warmup_overflow = defer\n",
	  "warmup = yes\nwarmup_start = 2026-01-02\n" },
};

static void write_file(const char *path, const char *line)
{
	FILE *f = fopen(path, "w");

	fprintf(f, "local_domains = example.test\n%s", line);
	fclose(f);
}

/* Each case rewrites the file at path. */
static void test_refused(const char *path)
{
	struct policyd_config cfg;
	char error[512], name[256];
	unsigned int i;

	for (i = 0; i < sizeof(refused_cases) / sizeof(refused_cases[0]);
	     i++) {
		snprintf(name, sizeof(name), "config: %s is refused, naming "
			 "the line", refused_cases[i].name);
		ms_test_begin(name);
		write_file(path, refused_cases[i].line);
		error[0] = '\0';
		ms_test_assert(policyd_config_read(path, &cfg, error,
						   sizeof(error)) < 0);
		if (strstr(error, refused_cases[i].want) == NULL)
			ms_test_fail_at(__FILE__, __LINE__, error,
					refused_cases[i].want);
		policyd_config_free(&cfg);
		ms_test_end();
	}
}

/* Fails the case for each line of want that printed lacks. */
static void assert_lines(const char *printed, const char *want)
{
	char line[1024];
	const char *p, *nl;

	for (p = want; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		snprintf(line, sizeof(line), "\n%.*s\n", (int)(nl - p), p);
		if (strstr(printed, line) == NULL)
			ms_test_fail_at(__FILE__, __LINE__, printed, line + 1);
	}
}

static void test_printed(const char *path)
{
	struct policyd_config cfg;
	char error[512], name[256], printed[8192];
	unsigned int i;
	FILE *out;

	for (i = 0; i < sizeof(printed_cases) / sizeof(printed_cases[0]);
	     i++) {
		snprintf(name, sizeof(name), "config: -n prints %s",
			 printed_cases[i].name);
		ms_test_begin(name);
		write_file(path, printed_cases[i].line);
		error[0] = '\0';
		if (policyd_config_read(path, &cfg, error,
					sizeof(error)) < 0) {
			ms_test_fail_at(__FILE__, __LINE__, error, "no error");
		} else {
			/* a newline first, so that every line is found
			   between two */
			printed[0] = '\n';
			out = fmemopen(printed + 1, sizeof(printed) - 1, "w");
			policyd_config_print(&cfg, out);
			fclose(out);
			assert_lines(printed, printed_cases[i].want);
			ms_test_assert(strstr(printed, "s3cret") == NULL);
		}
		policyd_config_free(&cfg);
		ms_test_end();
	}
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/ms-test-policyd-config.XXXXXX",
		 tmp != NULL ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_refused(path);
	test_printed(path);
	(void)unlink(path);
	return ms_test_exit();
}
