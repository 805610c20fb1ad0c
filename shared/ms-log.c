/* ms-log - stderr and syslog lines for every mailshift program. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "ms-log.h"

/* Lines a limited kind of event may log per minute: enough to see what
   happens and to whom, too few to fill a disk. */
#define LOG_LIMIT_LINES 10
#define LOG_LIMIT_SECS 60

/* Set once, before any thread starts, then only read. */
static const char *log_ident = "mailshift";
static unsigned int log_flags;

void ms_log_init(const char *ident, unsigned int flags)
{
	log_ident = ident;
	log_flags = flags;
	if ((flags & MS_LOG_SYSLOG) != 0)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void log_v(int priority, const char *label, const char *fmt,
		  va_list args) __attribute__((format(printf, 3, 0)));

static void log_v(int priority, const char *label, const char *fmt,
		  va_list args)
{
	char line[2048], stamp[32] = "";
	const char *sep = *label == '\0' ? "" : ": ";
	struct tm tm;
	time_t now;

	/* One buffer, one write: lines from several threads never mix. */
	vsnprintf(line, sizeof(line), fmt, args);
	if ((log_flags & MS_LOG_STAMP) != 0) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	/* stderr is line-buffered or unbuffered: one fprintf = one line. */
	fprintf(stderr, "%s%s: %s%s%s\n", stamp, log_ident, label, sep, line);
	if ((log_flags & MS_LOG_SYSLOG) != 0)
		syslog(priority, "%s%s%s", label, sep, line);
}

static const char *label_of(int priority)
{
	switch (priority) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	default:
		return (log_flags & MS_LOG_INFO_LABEL) != 0 ? "info" : "";
	}
}

void ms_log(int priority, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_v(priority, label_of(priority), fmt, args);
	va_end(args);
}

void ms_log_limited(struct ms_log_limit *limit, int priority,
		    const char *fmt, ...)
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
		ms_log(priority, "%s (and %u more such lines in the minute "
		       "before, not logged)", line, suppressed);
	else
		ms_log(priority, "%s", line);
}

void ms_fatal_status(int status, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_v(LOG_CRIT, "fatal", fmt, args);
	va_end(args);
	exit(status);
}

void ms_panic(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_v(LOG_CRIT, "panic", fmt, args);
	va_end(args);
	abort();
}
