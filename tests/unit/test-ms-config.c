/* test-ms-config.c: ms-config.c, the settings-file reader every mailshift
   daemon uses, and ms-log.c's line format. */

#include <stdlib.h>
#include <unistd.h>

#include "../../shared/ms-config.h"
#include "../../shared/ms-log.h"
#include "ms-test.h"

enum colour { COLOUR_RED, COLOUR_GREEN, COLOUR_BLUE };

static char *name_var, buf_var[8];
static bool flag_var;
static unsigned int count_var, interval_var, limit_var, mode_var;
static enum colour colour_var;
static unsigned int list_count;

static const struct ms_setting_choice colours[] = {
	{ "red", COLOUR_RED }, { "green", COLOUR_GREEN },
	{ "blue", COLOUR_BLUE }, { NULL, 0 }
};

/* A setting of its own syntax that may repeat: each line adds one. */
static int list_parse(void *target, const char *value, char *why,
		      size_t size)
{
	unsigned int *count = target;

	if (strcmp(value, "bad") == 0) {
		snprintf(why, size, "not a list item");
		return -1;
	}
	(*count)++;
	return 0;
}

static void list_format(const void *target, char *dest, size_t size)
{
	snprintf(dest, size, "%u items", *(const unsigned int *)target);
}

static const struct ms_setting table[] = {
	MS_SETTING_STR("name", "default name", &name_var),
	MS_SETTING_STRBUF("short", "abc", buf_var),
	MS_SETTING_BOOL("flag", "no", &flag_var),
	MS_SETTING_UINT("count", "5", &count_var, 1, 10),
	MS_SETTING_TIME("interval", "1h", &interval_var, 60, 86400),
	MS_SETTING_SIZE("limit", "64k", &limit_var, 1024, 16 * 1024 * 1024),
	MS_SETTING_MODE("mode", "0660", &mode_var, 0660, NULL),
	MS_SETTING_ENUM("colour", "green", &colour_var, colours),
	MS_SETTING_CUSTOM("item", NULL, &list_count, list_parse, list_format),
};

static const struct config_case {
	const char *name;
	const char *text;
	const char *want;	/* a line of the printed settings, or the
				   error (a part of it) */
} cases[] = {
	{ "defaults when the file is empty", "",
	  "name = default name\nshort = abc\nflag = no\ncount = 5\n"
	  "interval = 3600\nlimit = 65536\nmode = 0660\ncolour = green\n"
	  "item = 0 items\n" },
	{ "comments, blank lines and spaces do not count",
	  "# count = 9\n\n   \t\n  count   =   7  \n", "count = 7\n" },
	{ "a string keeps inner spaces", "name = two  words\n",
	  "name = two  words\n" },
	{ "an empty string is none", "name =\n", "name = \n" },
	{ "a setting named twice keeps the last", "count = 2\ncount = 3\n",
	  "count = 3\n" },
	{ "bool: YES in any case", "flag = YES\n", "flag = yes\n" },
	{ "time: a unit", "interval = 5m\n", "interval = 300\n" },
	{ "time: a day", "interval = 1d\n", "interval = 86400\n" },
	{ "size: a unit", "limit = 2m\n", "limit = 2097152\n" },
	{ "mode: fewer bits", "mode = 0600\n", "mode = 0600\n" },
	{ "enum: another choice", "colour = blue\n", "colour = blue\n" },
	{ "custom: each line adds", "item = a\nitem = b\n",
	  "item = 2 items\n" },
	{ "unknown setting: file and line", "count = 2\ncolor = red\n",
	  ":2: color = red: unknown setting (did you mean colour?)" },
	{ "unknown setting far from any", "signing = yes\n",
	  ":1: signing = yes: unknown setting" },
	{ "not name = value", "just words\n", ":1: not name = value: just "
	  "words" },
	{ "bool: not yes or no", "flag = true\n",
	  "flag = true: use yes or no" },
	{ "number over the bound", "count = 11\n",
	  "count = 11: not a number in range (use 1 to 10)" },
	{ "number below the bound", "count = 0\n", "not a number in range" },
	{ "number: negative", "count = -1\n", "not a number in range" },
	{ "number: trailing junk", "count = 5x\n", "not a number in range" },
	{ "time below the bound", "interval = 59s\n",
	  "interval = 59s: not a number in range (use 60 to 86400 seconds" },
	{ "time: unknown unit", "interval = 5y\n", "not a number in range" },
	{ "mode: other bits", "mode = 0666\n",
	  "mode = 0666: not an octal mode within 0660" },
	{ "mode: not octal", "mode = 0680\n", "not an octal mode" },
	{ "enum: not a choice", "colour = purple\n",
	  "colour = purple: use red, green or blue" },
	{ "strbuf: too long", "short = 12345678\n",
	  "short = 12345678: value too long (at most 7 bytes)" },
	{ "custom: its own words", "item = bad\n",
	  "item = bad: not a list item" },
};

static char path[] = "/tmp/test-ms-config.XXXXXX";

/* Writes text to the file, reads it; returns the error or the printed
   settings (static). */
static const char *read_text(const char *text)
{
	static char result[4096];
	FILE *f = fopen(path, "w"), *out;

	fputs(text, f);
	fclose(f);
	list_count = 0;
	ms_config_free(table, MS_SETTING_COUNT(table));
	if (ms_config_read(path, table, MS_SETTING_COUNT(table), result,
			   sizeof(result)) < 0)
		return result;
	out = fmemopen(result, sizeof(result), "w");
	ms_config_print(table, MS_SETTING_COUNT(table), out);
	fclose(out);
	return result;
}

static void test_config_case(const struct config_case *c)
{
	const char *got;

	ms_test_begin(c->name);
	got = read_text(c->text);
	if (strstr(got, c->want) == NULL)
		ms_test_fail_at(__FILE__, __LINE__, got, c->want);
	ms_test_end();
}

/* Runs fn with stderr going to a file; returns what it wrote. */
static const char *captured_log(void (*fn)(void))
{
	static char text[1024];
	char log_path[] = "/tmp/test-ms-log.XXXXXX";
	int fd = mkstemp(log_path), saved = dup(2);
	ssize_t n;

	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	text[n < 0 ? 0 : n] = '\0';
	close(fd);
	unlink(log_path);
	return text;
}

static void log_plain(void)
{
	ms_log_init("mailshift-test", 0);
	ms_info("started user=%s", "alice");
	ms_warning("slow");
	ms_error("failed");
}

static void log_info_label(void)
{
	ms_log_init("mailshift-test", MS_LOG_INFO_LABEL);
	ms_info("started");
}

int main(void)
{
	unsigned int i;
	int fd = mkstemp(path);

	close(fd);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_config_case(&cases[i]);

	ms_test_begin("a file that cannot be opened: defaults in place");
	unlink(path);
	ms_test_assert(ms_config_read(path, table, MS_SETTING_COUNT(table),
				      (char[256]){ 0 }, 256) < 0);
	ms_test_assert_str(name_var, "default name");
	ms_test_end();

	ms_test_begin("log: ident, severity, no label on info");
	ms_test_assert_str(captured_log(log_plain),
			   "mailshift-test: started user=alice\n"
			   "mailshift-test: warning: slow\n"
			   "mailshift-test: error: failed\n");
	ms_test_end();

	ms_test_begin("log: MS_LOG_INFO_LABEL labels info too");
	ms_test_assert_str(captured_log(log_info_label),
			   "mailshift-test: info: started\n");
	ms_test_end();

	ms_config_free(table, MS_SETTING_COUNT(table));
	return ms_test_exit();
}
