#ifndef MAILSHIFT_SEARCH_H
#define MAILSHIFT_SEARCH_H

#include "mail-storage.h"

/* Search arguments for every message with a UID at or above first_uid.
   On imapc the search runs on its local copy of the UID list, so there is
   no "N:*" surprise where a server returns the last message for an N
   above it.  Free with mail_search_args_unref(). */
struct mail_search_args *mailshift_search_uids_from(uint32_t first_uid);

/* Every message of a new folder from first_uid on, with its GUID: the
   walk over "the copies here" (mailshift-copy-guid.h tells whose copy
   each GUID names).  fetch_fields: what the caller reads besides the
   GUID.  A GUID that cannot be read ends the walk as a failure: a copy
   must never be taken for a message of the user's. */
struct mailshift_guid_iter;

struct mailshift_guid_iter *
mailshift_guid_iter_init(struct mailbox_transaction_context *t,
			 uint32_t first_uid,
			 enum mail_fetch_field fetch_fields);
/* Returns TRUE with *mail_r and *guid_r, FALSE at the end. */
bool mailshift_guid_iter_next(struct mailshift_guid_iter *iter,
			      struct mail **mail_r, const char **guid_r);
/* Returns 0, or -1 if the search or a GUID failed (the mailbox's error
   says why). */
int mailshift_guid_iter_deinit(struct mailshift_guid_iter **iter);

#endif
