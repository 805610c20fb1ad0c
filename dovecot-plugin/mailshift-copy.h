#ifndef MAILSHIFT_COPY_H
#define MAILSHIFT_COPY_H

/* One pass of the copy engine for one user: every folder of the old
   server (read through imapc) lands in the matching folder of the new one,
   message bytes, flags, keywords and INTERNALDATE intact, UIDVALIDITY and
   UIDs kept where the new folder was empty.  A pass only adds: it never
   changes or removes anything already on the new side, and it resumes
   where the last committed batch of any earlier pass ended. */

#include "mailshift-settings.h"
#include "mailshift-source.h"

struct mail_user;

struct mailshift_progress {
	unsigned int folders_done, folders_total;
	uint64_t msgs_done, msgs_total;
	uint64_t bytes_done;
	/* messages brought over in this pass (msgs_done also counts those
	   an earlier pass already had) */
	uint64_t msgs_copied;
	/* messages the new server refused (quota, size); reported one by
	   one in the log */
	uint64_t msgs_refused;
	/* delta: copies brought up to the old server's flags or expunges;
	   copies changed on both sides keep the new side's change */
	uint64_t flags_changed, msgs_expunged, kept_new;
	unsigned int folders_failed;
	/* folders not even opened: nothing changed on the old server */
	unsigned int folders_unchanged;
	/* folders the user deleted here after they were copied: left so */
	unsigned int folders_deleted_here;
	/* folders renamed / deleted on the old server, followed here */
	unsigned int folders_renamed, folders_deleted;
	/* verify: the old folders and messages compared; of those
	   messages, the ones no pass has taken yet (they arrived while the
	   pass ran), and those taken but no longer here (deleted here by
	   the user, or refused) */
	unsigned int folders_verified;
	uint64_t msgs_verified, msgs_missing, msgs_gone_here;
};

/* the most connections one pass opens (mailshift_source_connections_per_user) */
#define MAILSHIFT_COPY_MAX_CONNECTIONS 8

struct mailshift_copy_params {
	const struct mailshift_settings *set;
	struct mail_user *dest_user;
	struct mail_user *source_user;

	/* A sweep after cutover: bring only what arrived on the old server
	   since the last pass.  Nothing here is changed or removed (no flag
	   changes, expunges, folder moves or subscriptions): the new server
	   is the user's now. */
	bool add_only;
	/* Open every folder, also one that looks unchanged, and compare it
	   with its copies after copying (mailshift-folder-verify.h). */
	bool verify;
	/* How many connections to the old server the pass may open, at most
	   MAILSHIFT_COPY_MAX_CONNECTIONS: it copies that many folders at
	   once, one over each (0 or 1: one). */
	unsigned int connections;

	/* called after each committed batch; returning -1 aborts the pass
	   (e.g. the lease on the user's lock was lost) */
	int (*progress)(const struct mailshift_progress *progress,
			void *context);
	void *context;
};

/* Run the pass.  Returns 0 when every folder was brought up to date (some
   messages may still have been refused: see progress_r->msgs_refused),
   -1 when the pass stopped early; class_r then says how the old server
   failed, and source_failed_r whether it was the old server at all (a new
   connection may help) rather than the new server or the data. */
int mailshift_copy_run(const struct mailshift_copy_params *params,
		       struct mailshift_progress *progress_r,
		       enum mailshift_source_error *class_r,
		       bool *source_failed_r, const char **error_r);

#endif
