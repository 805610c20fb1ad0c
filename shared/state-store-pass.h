#ifndef MS_STATE_STORE_PASS_H
#define MS_STATE_STORE_PASS_H

/* Progress of copy passes, for status output and rate/ETA.  A pass is
   begin, any number of progress reports, end; callers hold the user's
   lease lock (state-store-lock.h) around it.  The user's state is not
   touched: set it with ms_store_user_set_state().  Error contract as in
   state-store.h. */

#include "state-store.h"

/* Starts a pass: last_pass_started = now, progress and rate zeroed; a
   pass left running by a killed process is abandoned (its counts never
   reach the cumulative totals).  Creates a PENDING user if there is none.
   Returns 0 on success, -1 on error. */
int ms_store_user_pass_begin(struct ms_store *store, const char *user,
			     const char **error_r);

/* Records the running pass's progress; rate_bytes_per_sec becomes
   bytes_done / seconds since the pass began.  Returns 1 if recorded, 0 if
   the user has no running pass, -1 on error. */
int ms_store_user_progress(struct ms_store *store, const char *user,
			   const struct ms_progress *p, const char **error_r);

/* Ends the running pass with its final counts: last_pass_finished = now,
   rate as above, msgs_copied/bytes_done added to the cumulative totals.
   Returns 1 if done, 0 if the user has no running pass (so a repeated end
   never counts twice), -1 on error. */
int ms_store_user_pass_end(struct ms_store *store, const char *user,
			   const struct ms_progress *p, const char **error_r);

#endif
