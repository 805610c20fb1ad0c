#ifndef MS_MILTER_LOG_H
#define MS_MILTER_LOG_H

/* milter-log - one log line per event, to stderr and (if configured) to
   syslog's mail facility.  Severities as in Postfix: error = this message
   or domain failed, warning = degraded but going on, fatal = cannot
   start (exits 75, EX_TEMPFAIL, so a supervisor retries).  Callers never
   pass secrets: no key material is ever formatted into a log line. */

#include <stdbool.h>

#include <syslog.h>

void milter_log_init(bool use_syslog);
/* priority: LOG_INFO, LOG_WARNING or LOG_ERR (use the macros below). */
void milter_log(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define log_info(...) milter_log(LOG_INFO, __VA_ARGS__)
#define log_warning(...) milter_log(LOG_WARNING, __VA_ARGS__)
#define log_error(...) milter_log(LOG_ERR, __VA_ARGS__)

#endif
