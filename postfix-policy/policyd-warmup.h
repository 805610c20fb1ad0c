#ifndef POLICYD_WARMUP_H
#define POLICYD_WARMUP_H

/* The new IP's warm-up, on the NEW host: a daily cap per receiving-
   provider group, the group from the recipient domain's MX hosts, the
   overflow relayed via the old host or deferred. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../shared/state-store.h"
#include "../shared/state-store-policy.h"
#include "policyd-config.h"
#include "policyd-store.h"

/* The receiving-provider groups, each with its own daily cap. */
#define POLICYD_GROUP_COUNT 5
extern const char *const policyd_group_names[POLICYD_GROUP_COUNT];

struct policyd_warmup;
/* Reads warmup_domain_groups and sets up the resolver; cfg must outlive
   the result.  Starts no thread yet (see policyd_warmup_fd()). */
struct policyd_warmup *policyd_warmup_init(const struct policyd_config *cfg);
/* Stops the resolver threads and frees *wu, setting it NULL;
   NULL-tolerant. */
void policyd_warmup_deinit(struct policyd_warmup **wu);
/* The provider group of a recipient domain (index into
   policyd_group_names), from warmup_domain_groups or DNS; waits for the
   MX lookup (admin commands). */
unsigned int policyd_warmup_group(struct policyd_warmup *wu,
				  const char *domain);
/* The daemon's MX lookups run in resolver threads; this descriptor turns
   readable when some finished (call policyd_warmup_collect() then).
   -1 without a resolver (warmup_resolver = none): nothing waits. */
int policyd_warmup_fd(struct policyd_warmup *wu);
/* Takes the finished MX lookups' groups into the domain cache. */
void policyd_warmup_collect(struct policyd_warmup *wu);
/* Answers a warmup-map lookup for a remote recipient domain: direct,
   overflow relay or defer; counts it.  Reads and writes the day's counts
   through ps, marking it failed when a query fails.  Returns 0, -1 on
   store error
   (reply is then TEMP), or 1 without a reply while the domain's MX
   lookup runs (after policyd_warmup_fd(): ask again after
   policyd_warmup_collect()). */
int policyd_warmup_route(struct policyd_warmup *wu, struct policyd_store *ps,
			 const char *domain, char *reply, size_t size);
/* Writes counted deltas to the store.  Returns 0 or -1. */
int policyd_warmup_flush(struct policyd_warmup *wu, struct ms_store *store,
			 const char **error_r);
/* The cap of group today from the store's history (UINT64_MAX: the ramp
   is over); *step_r is the ramp day, *today_r today's counts.  Returns 0
   or -1 with *error_r. */
int policyd_warmup_today(struct policyd_warmup *wu, struct ms_store *store,
			 unsigned int group, time_t now, unsigned int *step_r,
			 uint64_t *cap_r, struct ms_warmup_day *today_r,
			 const char **error_r);
/* The cap of ramp day step (UINT64_MAX after the last step). */
uint64_t policyd_warmup_cap(const struct policyd_config *cfg,
			    unsigned int step);
/* "YYYY-MM-DD" of t in UTC into day[11]. */
void policyd_day_str(time_t t, char day[11]);

#endif
