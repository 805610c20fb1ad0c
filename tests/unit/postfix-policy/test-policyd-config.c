/* test-policyd-config.c: postfix-policy/policyd-config.c, the settings
   file: what it refuses, and that the refusal names the line.

   Setup: a file with one bad line.  Run: read it.  Verify: the read
   fails and the message says what is wrong. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../postfix-policy/policyd-config.h"
#include "../test-common.h"

static const struct {
	const char *name, *line, *want;
} config_cases[] = {
	{ "unknown setting", "colour = blue\n", "unknown setting" },
	{ "number out of range", "state_cache_seconds = 61\n",
	  "state_cache_seconds = 61: not a number in range" },
	{ "bad schedule", "warmup_schedule = 2:10 1:5\n", "use DAY:CAP" },
	{ "warm-up without a start", "warmup = yes\n", "needs warmup_start" },
	{ "not name = value", "just words\n", "not name = value" },
};

/* Each case rewrites the file at path. */
static void test_config(const char *path)
{
	struct policyd_config cfg;
	char error[512], name[256];
	unsigned int i;
	FILE *f;

	for (i = 0; i < sizeof(config_cases) / sizeof(config_cases[0]); i++) {
		snprintf(name, sizeof(name), "config: %s is refused, naming "
			 "the line", config_cases[i].name);
		ms_test_begin(name);
		f = fopen(path, "w");
		fprintf(f, "local_domains = example.test\n%s",
			config_cases[i].line);
		fclose(f);
		error[0] = '\0';
		ms_test_assert(policyd_config_read(path, &cfg, error,
						   sizeof(error)) < 0);
		if (strstr(error, config_cases[i].want) == NULL)
			ms_test_fail_at(__FILE__, __LINE__, error,
					config_cases[i].want);
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
	test_config(path);
	(void)unlink(path);
	return ms_test_exit();
}
