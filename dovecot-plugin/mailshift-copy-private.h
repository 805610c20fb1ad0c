#ifndef MAILSHIFT_COPY_PRIVATE_H
#define MAILSHIFT_COPY_PRIVATE_H

/* What the three parts of the copy engine share: the pass
   (mailshift-copy.c), its plan of folders (mailshift-copy-plan.c) and
   the copy of one folder (mailshift-copy-folder.c). */

#include "hash.h"
#include "mail-storage.h"
#include "mailshift-folder-map.h"
#include "mailshift-folder-state.h"
#include "mailshift-source.h"
#include "mailshift-copy.h"

struct mail_duplicate_db;
struct mailshift_folder_list;
struct mailshift_message_ids;
struct mailshift_body_queue;

struct mailshift_source_folder {
	struct mailshift_folder map;
	/* STATUS of the old folder when the pass began */
	struct mailbox_status status;
	bool have_status;
	/* its size in bytes, 0 if the old server did not say */
	uoff_t size;
	bool noselect;
	/* the old server's \All folder (mailshift_source_all_mail) */
	bool all_mail;
};

struct mailshift_copy {
	const struct mailshift_copy_params *params;
	struct mailshift_progress progress;
	char sep;

	ARRAY(struct mailshift_source_folder) folders;
	ARRAY_TYPE(const_string) subscriptions;
	/* the new server's folder per role (mailshift_copy_dest_roles()) */
	const char *dest_roles[MAILSHIFT_ROLE_COUNT];
	/* folders an earlier pass was killed in: checked for duplicates at
	   the end of the pass (mailshift_copy_dedupe()) */
	ARRAY(const struct mailshift_source_folder *) suspects;
	/* new folders filled by mailshift (mailshift-folder-list.h) */
	struct mailshift_folder_list *filled_folders;
	/* a sweep's record of what reached the new mailbox during the
	   cutover (mailshift-delivered.h) */
	struct mail_duplicate_db *delivered_db;
	/* with an \All folder to copy last: the Message-IDs the other
	   folders' copies have (mailshift-message-ids.h) */
	struct mailshift_message_ids *message_ids;
	/* their states, read while the old server greets us
	   (mailshift_copy_read_dest_states()); an entry is used once */
	HASH_TABLE(const char *, struct mailshift_dest_state *) dest_states;

	/* folders copied at once (mailshift_copy_lanes()) */
	unsigned int lanes;

	struct timeval pass_start;
	uint64_t pass_bytes;
	/* messages saved while the pass waited on the old server for
	   another folder (mailshift_folder_copy_step_here()) */
	unsigned int msgs_saved_waiting;

	/* errors live here: they are made inside the per-message data stack
	   frame and reported after it is gone */
	pool_t pool;
	enum mailshift_source_error error_class;
	const char *error;
	/* the old server failed (a new connection may help), as opposed to
	   the new server or the data */
	bool error_on_source;
	/* the pass's owner stopped it (mailshift_copy_params.progress) */
	bool aborted;
	/* the pass's first failure, which it reports */
	enum mailshift_source_error first_class;
	const char *first_error;
	bool first_on_source;
};

/* What the pass knows of a new folder before it opens the old one
   (mailshift_copy_read_dest_states()) */
struct mailshift_dest_state {
	/* it exists, and a pass left its state there */
	bool found;
	struct mailshift_folder_state state;
};

/* One folder being copied */
struct mailshift_folder_copy {
	struct mailshift_copy *copy;
	const struct mailshift_source_folder *folder;
	struct mailbox *src_box, *dest_box;
	struct mailbox_status src_status;
	struct mailshift_folder_state state;

	struct mailbox_transaction_context *dest_t;
	unsigned int uncommitted;
	uint64_t uncommitted_bytes;
	/* the UIDs asked for in this transaction, to verify they were given */
	uint32_t first_wanted_uid, last_wanted_uid;
	/* the new folder's UIDNEXT as far as our own commits tell */
	uint32_t dest_uidnext;
	/* old UIDs found already copied although the state did not say so */
	ARRAY_TYPE(seq_range) present_uids;
	/* while present_uids is not empty: where their search began, kept in
	   the state as a pending batch until the folder is done, so a pass
	   stopped before then searches again instead of copying them twice */
	uint32_t recovery_dest_uidnext;
	/* ... and the old UID that search started after: what the state
	   records as handled until then, although this pass's commits go
	   further.  A later search then finds again both the copies found
	   by content (which carry no GUID) and those this pass made; with
	   the state's own src_last_uid it would take the former for mail
	   delivered here and copy their originals twice. */
	uint32_t recovery_src_last_uid;
	/* GUIDs of copies from this old folder start with it */
	const char *guid_prefix;
	/* the Message-IDs (mailshift_delivered_key()) of the messages saved
	   in this transaction, for a sweep's or the \All folder's record,
	   written once it is committed */
	ARRAY_TYPE(const_string) saved_keys;
	/* their strings: emptied with the array at every commit, so that a
	   pass keeps one transaction's keys, not the whole mailbox's */
	pool_t saved_keys_pool;
	/* non-zero while re-matching a folder whose UIDVALIDITY changed on
	   the old server: the new UIDVALIDITY, recorded when it is done */
	uint32_t rematch_uidvalidity;
	/* how many old messages imapc fetches ahead in this folder
	   (folder_prefetch_window()) */
	unsigned int prefetch_window;

	/* while the new messages stream (mailshift_folder_copy_step()) */
	struct mailbox_transaction_context *src_t;
	struct mailshift_body_queue *queue;
	struct mail_search_context *search;
	unsigned int fetch_ahead;

	/* the search returned a message */
	bool searched;
	/* its messages may be saved while the pass waits on the old server
	   for another folder (folder_saves_unattended()) */
	bool saves_unattended;
	/* such a save failed: the error the folder's next step reports */
	const char *error_here;
	enum mailshift_source_error error_here_class;
	bool error_here_on_source;

	bool state_found;
	/* the copies are up to date: the folder is finished at its end */
	bool begun;
};

#define MAILSHIFT_COMMIT_MAX_BYTES (64 * 1024 * 1024)
/* the memory the messages imapc fetches ahead may take in a pass, shared
   by the folders copied at once (with fewer of them than the pass may
   copy at once, each takes a larger share: mailshift_folder_copy_widen()),
   what each message costs besides its body (a mail's own pools, the
   smaller data pool mailshift_source_mailbox_alloc() gives it included,
   and its event), and the most messages a window holds
   (folder_prefetch_window()) */
#define MAILSHIFT_PREFETCH_BYTES (16 * 1024 * 1024)
#define MAILSHIFT_PREFETCH_MAIL_COST (12 * 1024)

#define MAILSHIFT_PREFETCH_MAX_MAILS 1000

/* A step failed: the error its box (or list) has, for the pass to report
   and to decide on a retry by. */
void mailshift_copy_fail_source(struct mailshift_copy *copy,
				struct mailbox *box, const char *what);
void mailshift_copy_fail_reading(struct mailshift_copy *copy,
				 struct mail *mail, const char *error);
void mailshift_copy_fail_dest(struct mailshift_copy *copy,
			      struct mailbox *box, const char *what);
void mailshift_copy_fail_list(struct mailshift_copy *copy, const char *what);
/* A setting that the servers contradict (error names it): no retry
   helps. */
void mailshift_copy_fail_config(struct mailshift_copy *copy, bool on_source,
				const char *error);

/* The plan (mailshift-copy-plan.c): the old folders, their names here,
   the roles' folders, folders moved on the old server.  Each returns 0,
   or -1 with the error in copy. */
int mailshift_copy_list_source(struct mailshift_copy *copy);
int mailshift_copy_all_mail(struct mailshift_copy *copy);
void mailshift_copy_dest_roles(struct mailshift_copy *copy);
void mailshift_copy_map_folders(struct mailshift_copy *copy);
int mailshift_copy_follow_moves(struct mailshift_copy *copy);
/* The name here of the old folder src_vname. */
const char *mailshift_copy_dest_vname(struct mailshift_copy *copy,
				      const char *src_vname);
/* The name the GUIDs of folder's copies are made from. */
const char *
mailshift_copy_guid_name(struct mailshift_copy *copy,
			 const struct mailshift_source_folder *folder);

/* One folder (mailshift-copy-folder.c). */
struct mailbox *mailshift_copy_dest_alloc(struct mailshift_copy *copy,
					  const char *vname);
/* The new folders' states, read ahead while the old server greets us. */
void mailshift_copy_read_dest_states(struct mailshift_copy *copy);
/* Where a pass died in a batch, a storage that a folder's own check
   would rebuild whole is checked now, before any folder's copy begins
   (mailshift-dest-mdbox.h).  Returns 0, or -1 with copy->error. */
int mailshift_copy_check_dest(struct mailshift_copy *copy);
/* One old folder's copy in three parts, so that a pass can copy several
   at once, each over its own imapc connection (mailshift-copy.c):
   begin opens both folders and brings the copies up to date, and returns
   the copy to step, or NULL when the folder is done with (*ret_r: 0 or
   -1); each step copies one old message (1 while more are left, 0 when
   all are, -1); end commits what was copied, finishes the folder after a
   last step that returned 0, and returns the folder's result (0 or -1,
   with copy->error). */
struct mailshift_folder_copy *
mailshift_folder_copy_begin(struct mailshift_copy *copy,
			    const struct mailshift_source_folder *folder,
			    int *ret_r);
/* Whether folder is to be copied whole (the first time it is, and the
   listing does not show it empty): it is opened and streamed. */
bool mailshift_folder_copy_streams_whole(const struct mailshift_copy *copy,
					 const struct mailshift_source_folder *folder);
/* Whether the next step has its message here, so that it waits for
   nothing from the old server. */
bool mailshift_folder_copy_ready(struct mailshift_folder_copy *fc);
int mailshift_folder_copy_step(struct mailshift_folder_copy *fc);
/* Copy the next message only if all of it is here and copying it waits
   for nothing, so that it can be done while the pass waits inside imapc
   for another folder.  Returns 1 when it copied one, 0 when it left it
   for a step.  A failure is kept for the next step to report. */
int mailshift_folder_copy_step_here(struct mailshift_folder_copy *fc);
/* Let imapc fetch as far ahead in the folder as bytes of memory allow
   (not less than it does already): the pass's other lanes are done. */
void mailshift_folder_copy_widen(struct mailshift_folder_copy *fc,
				 uoff_t bytes);
/* Send the FETCHes imapc has queued for the folder's next messages now,
   however few: the pass is about to wait. */
void mailshift_folder_copy_send_queued(struct mailshift_folder_copy *fc);
int mailshift_folder_copy_end(struct mailshift_folder_copy **fc, int ret);

/* Until _end(), whenever the pass waits inside imapc (a folder opening,
   a message not here yet), the count folders of lanes save the messages
   they have here (mailshift-copy-meanwhile.c), all but lanes[waiting],
   the one that waits (count or more: none of them).  One at a time. */
void mailshift_copy_meanwhile_begin(struct mailshift_folder_copy *const *lanes,
				    unsigned int count, unsigned int waiting);
void mailshift_copy_meanwhile_end(void);

#endif
