/* policyd-log.c: logging and allocation, the two things every file of
   mailshift-policyd needs.  One line per event on stderr (systemd or the
   supervisor adds time and host): "mailshift-policyd: <severity>: ...". */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "policyd-log.h"

/* Lines a limited kind of event may log per minute: enough to see what
   happens and to whom, too few to fill a disk. */
#define LOG_LIMIT_LINES 10
#define LOG_LIMIT_SECS 60

static void log_line(const char *severity, const char *fmt, va_list args)
	__attribute__((format(printf, 2, 0)));

static void log_line(const char *severity, const char *fmt, va_list args)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, args);
	fprintf(stderr, "mailshift-policyd: %s: %s\n", severity, line);
}

void policyd_log(const char *severity, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_line(severity, fmt, args);
	va_end(args);
}

void policyd_log_limited(struct policyd_log_limit *limit,
			 const char *severity, const char *fmt, ...)
{
	time_t now = time(NULL);
	unsigned int suppressed = 0;
	char line[2048];
	va_list args;

	if (now - limit->window >= LOG_LIMIT_SECS) {
		suppressed = limit->suppressed;
		limit->window = now;
		limit->logged = limit->suppressed = 0;
	}
	if (limit->logged >= LOG_LIMIT_LINES) {
		limit->suppressed++;
		return;
	}
	limit->logged++;
	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	if (suppressed > 0)
		policyd_log(severity, "%s (and %u more such lines in the "
			    "minute before, not logged)", line, suppressed);
	else
		policyd_log(severity, "%s", line);
}

static void *must_have(void *mem)
{
	if (mem == NULL) {
		fputs("mailshift-policyd: panic: out of memory\n", stderr);
		abort();
	}
	return mem;
}

void *policyd_xcalloc(size_t size)
{
	return must_have(calloc(1, size));
}

void *policyd_xrealloc(void *mem, size_t size)
{
	return must_have(realloc(mem, size));
}
