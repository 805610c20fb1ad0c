#ifndef MS_LOG_H
#define MS_LOG_H

/* ms-log - one line per event, for every mailshift program:
   "<ident>: <severity>: <text>" on stderr, and with MS_LOG_SYSLOG the same
   text to syslog's mail facility.  Severities mean what Postfix's do:
   warning = degraded but going on, error = this user or message failed,
   fatal = cannot start or go on (exits), panic = our bug (aborts).  Info
   lines have no label unless MS_LOG_INFO_LABEL is set.  Callers never pass
   secrets.  Safe from several threads: ms_log_init() runs before them. */

#include <syslog.h>
#include <sysexits.h>
#include <time.h>

enum ms_log_flags {
	MS_LOG_SYSLOG = 0x01,	/* also to syslog, LOG_MAIL, with the PID */
	MS_LOG_STAMP = 0x02,	/* stderr lines start with the UTC time */
	MS_LOG_INFO_LABEL = 0x04,	/* "info: " before info lines too */
};

/* ident names the program in every line ("mailshift-milter"); until this
   is called lines say "mailshift" and go to stderr only. */
void ms_log_init(const char *ident, unsigned int flags);

/* priority: LOG_INFO, LOG_WARNING or LOG_ERR (use the macros below). */
void ms_log(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define ms_info(...) ms_log(LOG_INFO, __VA_ARGS__)
#define ms_warning(...) ms_log(LOG_WARNING, __VA_ARGS__)
#define ms_error(...) ms_log(LOG_ERR, __VA_ARGS__)

/* For events a client can cause at will (bad requests, timeouts, a full
   house): one limit per kind of event keeps them from filling the disk
   while still showing what happens and to whom.  Zero-initialize it; one
   thread at a time uses a limit. */
struct ms_log_limit {
	time_t window;
	unsigned int logged, suppressed;
};
/* Logs like ms_log() at most a few lines a minute per limit; the first
   line after a minute that left some out says how many. */
void ms_log_limited(struct ms_log_limit *limit, int priority,
		    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Logs "fatal: ..." and exits with status (a sysexits.h code). */
void ms_fatal_status(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* Exits EX_TEMPFAIL, so a supervisor starts the program again. */
#define ms_fatal(...) ms_fatal_status(EX_TEMPFAIL, __VA_ARGS__)
/* Logs "panic: ..." and aborts (a core file shows where). */
void ms_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
