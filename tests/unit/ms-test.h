#ifndef MS_TEST_H
#define MS_TEST_H

/* Minimal test harness for tests/unit: each case is ms_test_begin(name),
   assertions, ms_test_end(); main() returns ms_test_exit().  The
   plugin's tests use Dovecot's own (lib-test's test-common.h) instead. */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *ms_test_name;
static bool ms_test_case_failed;
static unsigned int ms_test_count, ms_test_failures;

static inline void ms_test_begin(const char *name)
{
	ms_test_name = name;
	ms_test_case_failed = false;
	ms_test_count++;
}

static inline void ms_test_fail_at(const char *file, int line,
				   const char *got, const char *want)
{
	printf("FAIL %s (%s:%d): got '%s', want '%s'\n", ms_test_name, file,
	       line, got == NULL ? "(null)" : got,
	       want == NULL ? "(null)" : want);
	ms_test_case_failed = true;
}

/* Fails the case unless got equals want (both may be NULL). */
#define ms_test_assert_str(got, want) do { \
	const char *_g = (got), *_w = (want); \
	if (_g == NULL || _w == NULL ? _g != _w : strcmp(_g, _w) != 0) \
		ms_test_fail_at(__FILE__, __LINE__, _g, _w); \
	} while (0)

#define ms_test_assert(cond) do { \
	if (!(cond)) \
		ms_test_fail_at(__FILE__, __LINE__, "false", #cond); \
	} while (0)

static inline void ms_test_end(void)
{
	if (ms_test_case_failed)
		ms_test_failures++;
	else
		printf("ok   %s\n", ms_test_name);
}

/* Prints the summary; returns the exit status: 0 if all cases passed. */
static inline int ms_test_exit(void)
{
	printf("%u of %u cases failed\n", ms_test_failures, ms_test_count);
	return ms_test_failures == 0 ? 0 : 1;
}

#endif
