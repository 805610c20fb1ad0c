/* milter-log - stderr + syslog logging for mailshift-milter. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "milter-log.h"

static bool log_to_syslog;

void milter_log_init(bool use_syslog)
{
	log_to_syslog = use_syslog;
	if (use_syslog)
		openlog("mailshift-milter", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void log_v(int priority, const char *label, const char *fmt,
		  va_list args)
{
	char line[2048];
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	/* One buffer, one write: lines from several threads never mix. */
	vsnprintf(line, sizeof(line), fmt, args);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* stderr is line-buffered or unbuffered: one fprintf = one line. */
	fprintf(stderr, "%s mailshift-milter: %s%s\n", stamp, label, line);
	if (log_to_syslog)
		syslog(priority, "%s%s", label, line);
}

void milter_log(int priority, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_v(priority, priority == LOG_ERR ? "error: " :
	      priority == LOG_WARNING ? "warning: " : "", fmt, args);
	va_end(args);
}

void log_fatal(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_v(LOG_CRIT, "fatal: ", fmt, args);
	va_end(args);
	exit(75);
}
