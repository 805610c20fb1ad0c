#ifndef MS_STATE_STORE_POLICY_H
#define MS_STATE_STORE_POLICY_H

/* What mailshift-policyd keeps in the state store besides user states:
   per-user routing counters (old host) and per-day warm-up counters per
   receiving-provider group (new host).  Its tables are additive: they are
   created by ms_store_policy_init() and nothing else reads or changes
   them.  Errors as in state-store.h: -1 and *error_r. */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "state-store.h"

/* Counters of one user; deltas when added, totals when read. */
struct ms_policy_counters {
	/* count_from_log = yes: messages, from the delivery log; otherwise
	   the lookups answered so (Postfix's cache hides repeats) */
	uint64_t forwarded;	/* relayed to the new host */
	uint64_t held;		/* kept in the queue (final sync) */
	uint64_t released;	/* held messages released by hand or at
				   migrated */
	uint64_t deferred;	/* lookups answered TEMP (store trouble) */
};

/* Counters of one provider group on one day (UTC, "YYYY-MM-DD"). */
struct ms_warmup_day {
	char day[11];
	/* count_from_log = yes: messages, from the delivery log; otherwise
	   the lookups answered so */
	uint64_t sent;		/* delivered from the new IP */
	uint64_t overflowed;	/* relayed via the old host */
	uint64_t deferred;	/* held back (4xx) or deferrals reported */
};

/* Checks that the tables are there and may be read.  A store whose
   opening may change its schema (SQLite; ms_store_open_init()) creates
   those missing (idempotent, also when several processes start
   together); on PostgreSQL otherwise a missing table fails, naming
   "mailshift-policyd init-store".  Returns 0 or -1. */
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

/* Books one held recipient of one queued message (the hold transport's
   deferral in the delivery log).  Postfix logs the hold again on every
   retry: *new_r is true only the first time queue_id + recipient is
   booked, so a message is counted once however often it was retried (or
   again after its release: Postfix reuses queue IDs).  Returns 0 or -1. */
int ms_store_policy_held(struct ms_store *store, const char *queue_id,
			 const char *recipient, const char *user,
			 bool *new_r, const char **error_r);
/* Marks a booked held recipient as released (it left the hold: any later
   delivery attempt).  *released_r is true only the first time, and only
   if it was booked as held.  Returns 0 or -1. */
int ms_store_policy_unheld(struct ms_store *store, const char *queue_id,
			   const char *recipient, bool *released_r,
			   const char **error_r);

/* Forgets held recipients booked before before (their queue files are
   long gone).  Returns 0 or -1. */
int ms_store_policy_held_prune(struct ms_store *store, time_t before,
			       const char **error_r);

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
