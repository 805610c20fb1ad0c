/* user-state.c: names of the user life-cycle states. */

#include <string.h>

#include "user-state.h"

/* Indexed by enum ms_user_state; the names are stored in the state store. */
static const char *const user_state_names[] = {
	[MS_USER_STATE_PENDING] = "pending",
	[MS_USER_STATE_SYNCING] = "syncing",
	[MS_USER_STATE_SYNCED] = "synced",
	[MS_USER_STATE_FINAL_SYNC] = "final-sync",
	[MS_USER_STATE_MIGRATED] = "migrated",
	[MS_USER_STATE_FAILED] = "failed",
};

#define USER_STATE_COUNT \
	(sizeof(user_state_names) / sizeof(user_state_names[0]))

const char *ms_user_state_to_str(enum ms_user_state state)
{
	/* Cast: an out-of-range value may be negative in a signed enum. */
	if ((unsigned int)state >= USER_STATE_COUNT)
		return "unknown";
	return user_state_names[state];
}

bool ms_user_state_from_str(const char *str, enum ms_user_state *state_r)
{
	unsigned int i;

	if (str == NULL)
		return false;
	for (i = 0; i < USER_STATE_COUNT; i++) {
		if (strcmp(str, user_state_names[i]) == 0) {
			*state_r = (enum ms_user_state)i;
			return true;
		}
	}
	return false;
}
