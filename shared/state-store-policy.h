#ifndef MS_STATE_STORE_POLICY_H
#define MS_STATE_STORE_POLICY_H

/* What mailshift-policyd keeps in the state store besides user states:
   per-user routing counters (old host) and per-day warm-up counters per
   receiving-provider group (new host).  Its tables are additive: they are
   created by ms_store_policy_init() and nothing else reads or changes
   them.  Errors as in state-store.h: -1 and *error_r. */

#include <stdint.h>
#include <time.h>

#include "state-store.h"

/* Counters of one user; deltas when added, totals when read. */
struct ms_policy_counters {
	uint64_t forwarded;	/* lookups answered "relay to the new host" */
	uint64_t held;		/* lookups answered "keep in the queue" */
	uint64_t released;	/* queued messages released by hand or at
				   migrated */
	uint64_t deferred;	/* lookups answered TEMP (store trouble) */
};

/* Counters of one provider group on one day (UTC, "YYYY-MM-DD"). */
struct ms_warmup_day {
	char day[11];
	uint64_t sent;		/* routed out of the new IP */
	uint64_t overflowed;	/* relayed via the old host */
	uint64_t deferred;	/* held back (4xx) or deferrals reported */
};

/* Creates the tables if they are missing (idempotent, also when several
   processes start together).  Returns 0 or -1. */
int ms_store_policy_init(struct ms_store *store, const char **error_r);

/* Adds delta to the user's counters (creating them).  Returns 0 or -1. */
int ms_store_policy_add(struct ms_store *store, const char *user,
			const struct ms_policy_counters *delta,
			const char **error_r);
/* Calls cb for every user with counters, in byte order of the name;
   user is NULL in "all" mode only.  Returns 0, 1 if cb stopped (non-zero
   return), -1 on error.  With user != NULL only that user is visited. */
int ms_store_policy_iter(struct ms_store *store, const char *user,
			 int (*cb)(const char *user,
				   const struct ms_policy_counters *c,
				   void *ctx),
			 void *ctx, const char **error_r);

/* Adds delta->sent/overflowed/deferred to group's counters of delta->day.
   Returns 0 or -1. */
int ms_store_warmup_add(struct ms_store *store, const char *group,
			const struct ms_warmup_day *delta,
			const char **error_r);
/* Calls cb for each day of group that has counters, oldest first.
   Returns as ms_store_policy_iter(). */
int ms_store_warmup_iter(struct ms_store *store, const char *group,
			 int (*cb)(const struct ms_warmup_day *day, void *ctx),
			 void *ctx, const char **error_r);

#endif
