#ifndef MAILSHIFT_FOLDER_STATE_H
#define MAILSHIFT_FOLDER_STATE_H

/* Per-folder sync state, kept in the new folder's own index as a header
   extension ("mailshift").  It is updated in the same index transaction
   that appends the copied messages, so the two commit together: a pass
   killed at any instant finds either both or neither, and resumes without
   a duplicate.  (maildir moves a batch's files in and writes its uidlist
   before the index commit; BATCH_PENDING marks that window, and
   mailshift-folder-recover.h finds what it left.)

   The layout is fixed and versioned: a future version only appends. */

#include "mail-index.h"

struct mailbox;
struct mail_index_transaction;

#define MAILSHIFT_FOLDER_STATE_VERSION 1

enum mailshift_folder_state_flags {
	/* new UIDs equal old UIDs (the folder was empty when first synced
	   and nothing was delivered into it during the pass) */
	MAILSHIFT_FOLDER_UIDS_PRESERVED = 0x01,
	/* a batch was being saved when this state was written: if it is
	   still set when the folder is next opened, that batch's commit may
	   have happened partly (mailshift-folder-recover.h) */
	MAILSHIFT_FOLDER_BATCH_PENDING = 0x02,
};

struct mailshift_folder_state {
	uint32_t version;
	uint32_t flags;
	uint32_t src_uidvalidity;
	/* every old message with a UID up to this one has been handled */
	uint32_t src_last_uid;
	/* the old folder's HIGHESTMODSEQ when the last pass finished it */
	uint64_t src_highest_modseq;
	/* the new folder's HIGHESTMODSEQ when the last pass finished it:
	   a copy whose MODSEQ is higher was changed here since, by the user,
	   and a later pass leaves it alone */
	uint64_t dest_highest_modseq;
	/* when the last pass committed to this folder (UNIX time) */
	uint32_t last_commit_time;
	/* with BATCH_PENDING: the new folder's UIDNEXT before the batch, so
	   anything at or above it may be the batch's */
	uint32_t pending_dest_uidnext;
};

/* Read the state.  Returns 1 if found, 0 if the folder was never synced
   (state_r zeroed).  The mailbox must be open and synced. */
int mailshift_folder_state_get(struct mailbox *box,
			       struct mailshift_folder_state *state_r);

/* Write the state at once, in its own index transaction.  Returns 0, or
   -1 with the index error logged. */
int mailshift_folder_state_write(struct mailbox *box,
				 const struct mailshift_folder_state *state);

/* Queue a write of the state into an index transaction of box (for the
   copy: the one its save transaction commits): it becomes visible when,
   and only if, that transaction commits. */
void mailshift_folder_state_set(struct mailbox *box,
				struct mail_index_transaction *itrans,
				const struct mailshift_folder_state *state);

#endif
