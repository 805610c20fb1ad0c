#ifndef MAILSHIFT_FOLDER_VERIFY_H
#define MAILSHIFT_FOLDER_VERIFY_H

/* Before a user is migrated, each old folder is compared with the new
   one, message by message: every old message must have a copy here (a
   message carrying its GUID, mailshift-copy-guid.h), or have been taken
   by a pass (its UID is at most the folder state's src_last_uid) and be
   gone here since -- the user deleted it, or the new server refused it,
   which the pass reported then.  An old message above src_last_uid is
   one no pass has taken: it arrived after the pass read the folder, so
   the user is not migrated yet. */

#include "mailshift-folder-state.h"

struct mailbox;

struct mailshift_verify_counts {
	/* messages in the old folder */
	unsigned int old_messages;
	/* ... with a copy here */
	unsigned int here;
	/* ... taken by a pass and no longer here */
	unsigned int gone_here;
	/* ... never taken by a pass, and the lowest of their UIDs */
	unsigned int missing;
	uint32_t first_missing_uid;
};

/* src_box (the old folder, open) is synced again first, so that a message
   delivered there while the pass ran is seen; dest_box is open and state
   is the new folder's state as the pass left it.  Returns 0 with
   counts_r, or -1 with error_r. */
int mailshift_folder_verify(struct mailbox *src_box, struct mailbox *dest_box,
			    const char *guid_prefix,
			    const struct mailshift_folder_state *state,
			    struct mailshift_verify_counts *counts_r,
			    const char **error_r);

#endif
