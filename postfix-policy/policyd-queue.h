#ifndef POLICYD_QUEUE_H
#define POLICYD_QUEUE_H

/* Postfix's queue, read with "postqueue -j" and acted on with postqueue
   and postsuper: which of our users have mail queued or held, and the
   release of a user's mail. */

#include <stdbool.h>

#include "policyd-config.h"
#include "policyd-recipient.h"

/* One recipient of a queued message. */
struct policyd_queued_rcpt {
	char queue_name[32], queue_id[64], address[512], reason[512];
	struct policyd_recipient rcpt;
};
/* Calls cb for every recipient of local domains in the queue, only those
   of user unless it is NULL.  Returns 0, or -1 if postqueue failed
   (logged). */
int policyd_queue_walk(const struct policyd_config *cfg, const char *user,
		       void (*cb)(const struct policyd_queued_rcpt *q,
				  void *ctx),
		       void *ctx);
/* The delay reason Postfix shows for a recipient held by hold_nexthop
   (also in its delivery log); points into cfg. */
const char *policyd_queue_hold_reason(const struct policyd_config *cfg);
/* Calls cb for every recipient in the queue held by hold_nexthop (a
   user may come more than once).  Returns 0, or -1 if postqueue failed. */
int policyd_queue_held_users(const struct policyd_config *cfg,
			     void (*cb)(const char *user, void *ctx),
			     void *ctx);
/* Releases every queued message of user (postqueue -i; postsuper -H
   first for the hold queue); with verbose, prints each queue ID.
   Returns the number released, -1 on error. */
int policyd_queue_release_user(const struct policyd_config *cfg,
			       const char *user, bool verbose);

#endif
