#ifndef POLICYD_LOG_H
#define POLICYD_LOG_H

/* Logging and allocation, the two things every file of mailshift-policyd
   needs: "mailshift-policyd: <severity>: ..." on stderr, and allocation
   that never fails visibly (it aborts). */

#include <stddef.h>
#include <time.h>

void policyd_log(const char *severity, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* For events a client can cause at will (bad requests, timeouts, a full
   house): logs like policyd_log() at most a few lines a minute per limit,
   and says how many it left out.  Zero-initialize the limit. */
struct policyd_log_limit {
	time_t window;
	unsigned int logged, suppressed;
};
void policyd_log_limited(struct policyd_log_limit *limit,
			 const char *severity, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define policyd_info(...) policyd_log("info", __VA_ARGS__)
#define policyd_warning(...) policyd_log("warning", __VA_ARGS__)
#define policyd_error(...) policyd_log("error", __VA_ARGS__)

/* Zeroed memory; never NULL. */
void *policyd_xcalloc(size_t size);
/* realloc(); never NULL. */
void *policyd_xrealloc(void *mem, size_t size);

#endif
