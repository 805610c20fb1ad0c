#ifndef MS_USER_STATE_H
#define MS_USER_STATE_H

#include <stdbool.h>

/* A user's place in the migration life cycle (pending, syncing, synced,
   cutover, migrated; failed and its retry).  The names returned by ms_user_state_to_str() are what the state
   store holds and what admins see, so they are part of the on-disk format:
   never rename one, only add new states at the end. */
enum ms_user_state {
	MS_USER_STATE_PENDING,
	MS_USER_STATE_SYNCING,
	MS_USER_STATE_SYNCED,
	MS_USER_STATE_FINAL_SYNC,
	MS_USER_STATE_MIGRATED,
	MS_USER_STATE_FAILED
};

/* Returns the state's name ("pending", ..., "final-sync", ...), a static
   string.  Returns "unknown" for a value outside the enum (a bug in the
   caller), never NULL, so it is always safe inside a log message. */
const char *ms_user_state_to_str(enum ms_user_state state);

/* Parses a name as returned by ms_user_state_to_str() (exact, case-sensitive)
   into *state_r.  Returns true on success; false if str is NULL or unknown,
   leaving *state_r untouched. */
bool ms_user_state_from_str(const char *str, enum ms_user_state *state_r);

#endif
