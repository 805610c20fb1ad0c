#ifndef POLICYD_ROUTE_H
#define POLICYD_ROUTE_H

/* Where each recipient's mail goes: the old host's answers per user
   state, the new host's warm-up map, the policy delegation guard, and
   the state they keep between lookups (the daemon's state). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "policyd-config.h"
#include "policyd-proto.h"
#include "policyd-store.h"
#include "policyd-table.h"
#include "policyd-warmup.h"

/* The daemon's state.  The caller sets cfg and config_path,
   policyd_route_init() the rest. */
struct policyd {
	struct policyd_config *cfg;
	const char *config_path;	/* for the release child */
	struct policyd_store *store;
	struct policyd_table *states;	/* user -> policyd_cached_state */
	struct policyd_table *counters;	/* user -> ms_policy_counters */
	struct policyd_table *held;	/* user -> time first held */
	struct policyd_warmup *warmup;	/* NULL without warmup = yes */
	/* misconfiguration check: smtpd accepted mail for a final-sync user
	   but the queue manager never asked the map "route" */
	uint64_t route_lookups;
	time_t final_sync_accepted, route_warned;
};

/* Answers one socketmap query ("OK ...", "NOTFOUND ", "TEMP ...") into
   reply[size].  Returns false, with no answer, while the warm-up's MX
   lookup for the recipient's domain runs: ask again after
   policyd_warmup_collect(). */
bool policyd_route_lookup(struct policyd *pd, enum policyd_map map,
			  const char *key, size_t key_len, char *reply,
			  size_t size);
/* Answers one policy delegation request with "action=..." (no newline). */
void policyd_policy_check(struct policyd *pd,
			  const struct policyd_request *req, char *reply,
			  size_t size);
/* Creates and frees the tables of pd, its store connection and the
   warm-up state. */
void policyd_route_init(struct policyd *pd);
void policyd_route_deinit(struct policyd *pd);
/* Finds users with mail held in the queue (after a restart). */
void policyd_route_find_held(struct policyd *pd);
/* Periodic work: flushes counters, releases mail of users that reached
   migrated.  Called about once a second. */
void policyd_route_tick(struct policyd *pd, time_t now);

#endif
