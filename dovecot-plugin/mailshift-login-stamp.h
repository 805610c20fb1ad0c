#ifndef MAILSHIFT_LOGIN_STAMP_H
#define MAILSHIFT_LOGIN_STAMP_H

/* The user's migration state as the last pass left it, kept in the user's
   home as .mailshift-state.  The mail plugin reads it at every IMAP/POP3
   login to decide, in microseconds and without the state store (which an
   imap process should not be able to open), whether to start a pass.
   The state store stays the authority: the pass started by a login
   checks again there before doing anything. */

#include <stdbool.h>
#include <time.h>

#include "user-state.h"

struct mailshift_login_stamp {
	enum ms_user_state state;
	/* when this state was written; for migrated, when the user was
	   cut over */
	time_t changed;
	bool inbox_done;	/* the running pass has committed INBOX */
};

/* Returns 1 and *stamp_r, 0 if there is no stamp (or home), -1 with
   error_r when the file exists but cannot be read or parsed. */
int mailshift_login_stamp_read(const char *home,
			       struct mailshift_login_stamp *stamp_r,
			       const char **error_r);
/* Write the stamp (over the last, in place).  Returns 0 or -1 with
   error_r. */
int mailshift_login_stamp_write(const char *home,
				const struct mailshift_login_stamp *stamp,
				const char **error_r);

/* Is a pass due for a user found in this state (stamp NULL: never seen,
   i.e. pending)?  pending: yes.  syncing: only when the pass looks dead
   (older than lease_secs; its lock has then expired too).  synced: once
   delta_interval_secs passed.  failed: after a minute (a login that
   carries a typed password also starts one at once, see
   mailshift-plugin.c: it may be the one changed on the old server).
   final-sync and migrated: never, the cutover owns those. */
bool mailshift_login_pass_due(const struct mailshift_login_stamp *stamp,
			      time_t now, unsigned int delta_interval_secs,
			      unsigned int lease_secs);

#endif
