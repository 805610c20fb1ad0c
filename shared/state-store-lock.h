#ifndef MS_STATE_STORE_LOCK_H
#define MS_STATE_STORE_LOCK_H

/* Lease lock: at most one copy pass per user runs at a time, across
   processes and hosts.  A lease that is not refreshed expires, so a holder
   that died on another host blocks others for at most lease_secs.  Error
   contract as in state-store.h. */

#include <stddef.h>

#include "state-store.h"

/* Writes this process's owner name, "<hostname>:<pid>", to buf.  Lock with
   it: a lock whose owner names this host and a pid that no longer exists
   is taken over at once, so a pass killed with -9 is re-run without
   waiting for its lease to expire. */
void ms_store_lock_owner(char *buf, size_t size);

/* Takes the user's lock for lease_secs (creating a PENDING user if there
   is none).  Returns 1 if acquired (also when owner already held it: the
   lease is renewed), 0 if another owner holds a live lease (*holder_r is
   its owner name, valid until the next call on the store), -1 on error. */
int ms_store_user_lock(struct ms_store *store, const char *user,
		       const char *owner, unsigned int lease_secs,
		       const char **holder_r, const char **error_r);

/* Extends owner's lease to now + lease_secs.  Returns 1 if done, 0 if
   owner no longer holds the lock (it expired and was taken over: stop the
   pass), -1 on error. */
int ms_store_user_lock_refresh(struct ms_store *store, const char *user,
			       const char *owner, unsigned int lease_secs,
			       const char **error_r);

/* Releases owner's lock.  Returns 1 if released, 0 if owner did not hold
   it (nothing changed), -1 on error. */
int ms_store_user_unlock(struct ms_store *store, const char *user,
			 const char *owner, const char **error_r);

#endif
