/* Copyright (c) mailshift authors */

/* The copy of one old folder, as the pass (mailshift-copy.c) asks for
   each in turn, INBOX first:

     0. skip it if its STATUS shows the same UIDVALIDITY and HIGHESTMODSEQ
        the last pass finished with (nothing changed there);
     1. open it read-only through imapc (EXAMINE, then UID FETCH 1:* FLAGS
        into imapc's in-memory index);
     2. create the new folder with the old UIDVALIDITY if it does not exist,
        or adopt the old UIDVALIDITY if it exists but has never held mail;
     3. read the folder's mailshift state from the new folder's index, and
        if the last pass was cut short, find what it copied anyway
        (mailshift-folder-recover.h);
     4. bring old-side flag changes and expunges to untouched copies
        (mailshift-folder-delta.h);
     5. stream every old message above the state's last UID into the new
        folder, with its flags, keywords, INTERNALDATE, a GUID naming its
        origin (mailshift-copy-guid.h) and, when the folder is
        UID-preserving, its UID; commit every commit_interval messages
        together with the updated state;
     6. raise the new folder's UIDNEXT to the old one, so that UIDs of
        messages expunged on the old server are never reused, and record
        both sides' HIGHESTMODSEQ as the next pass's baseline.

   imapc's prefetch pipelines the FETCHes (mail_prefetch_count), and step 5
   sends them a quarter window at a time (mailshift_source_fetch_ahead()),
   so the old server serves the next messages while these are saved.
   Memory is bounded by the prefetch window, not by the mailbox, nor by
   the largest message: imapc 2.3.19 reads each FETCH BODY[] literal into
   memory (its temp-file spool for large literals does not take them),
   so messages over 1 MB are fetched in pieces of up to 4 MB into
   temp files instead, by a queue that asks for them ahead of the copy
   while imapc prefetches the others (mailshift-source-body.h); the copy
   saves both in UID order. */

#include "lib.h"
#include "ioloop.h"
#include "time-util.h"
#include "sleep.h"
#include "istream.h"
#include "mail-storage-private.h"
#include "mail-search-build.h"
#include "mailshift-dest-mdbox.h"
#include "mailshift-folder-recover.h"
#include "mailshift-copy-guid.h"
#include "mailshift-folder-delta.h"
#include "mailshift-folder-list.h"
#include "mailshift-folder-verify.h"
#include "mailshift-search.h"
#include "mailshift-source-status.h"
#include "mailshift-source-body.h"
#include "mail-duplicate.h"
#include "mailshift-delivered.h"
#include "mailshift-message-ids.h"
#include "mailshift-pop3-uidl.h"
#include "mailshift-copy-private.h"

struct mailbox *
mailshift_copy_dest_alloc(struct mailshift_copy *copy, const char *vname)
{
	struct mail_namespace *ns;
	struct mailbox *box;

	ns = mail_namespace_find(copy->params->dest_user->namespaces, vname);
	box = mailbox_alloc(ns->list, vname, MAILBOX_FLAG_IGNORE_ACLS);
	/* odd names from the old server must still arrive (as dsync does) */
	mailbox_skip_create_name_restrictions(box, TRUE);
	return box;
}

/* Open (creating if needed) the new folder and decide whether it can keep
   the old UIDs.  Returns 0, 1 if the user deleted the folder here (leave
   it alone), or -1. */
/* An old folder with a role (announced, not guessed from its name) that
   the new server gives no folder keeps its name, without the role: say
   once, when it is created, how the admin gives the role a home. */
static void
mailshift_copy_report_homeless_role(struct mailshift_copy *copy,
				    const struct mailshift_folder *map)
{
	const char *special_use = mailshift_role_to_special_use(map->role);

	if (map->role == MAILSHIFT_ROLE_NONE || map->role_guessed ||
	    copy->dest_roles[map->role] != NULL)
		return;
	e_warning(copy->params->dest_user->event,
		  "mailshift: the old server's %s folder '%s' is '%s' here, "
		  "without the role: this server has no %s folder (give it "
		  "one: namespace inbox { mailbox \"%s\" { special_use = %s "
		  "} })", special_use, map->src_vname, map->dest_vname,
		  special_use, map->dest_vname, special_use);
}

/* Whether an earlier pass created and filled folder's copy here. */
static bool folder_copied_before(const struct mailshift_copy *copy,
				 const struct mailshift_source_folder *folder)
{
	return mailshift_folder_list_contains(copy->filled_folders,
					      folder->map.dest_vname);
}

/* Create the new folder if it does not exist, with the old UIDVALIDITY.
   Returns 0, 1 if it must not be (the user deleted it here after it was
   filled), -1 on failure. */
static int folder_create_dest(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mailbox_update update;
	enum mailbox_existence existence;
	enum mail_error mail_error;

	/* Create only what is missing: on an existing folder
	   mailbox_create() with an update applies the UIDVALIDITY, which
	   resets the folder's index (and our state with it). */
	if (mailbox_exists(fc->dest_box, FALSE, &existence) < 0) {
		mailshift_copy_fail_dest(copy, fc->dest_box, "looking up");
		return -1;
	}
	if (existence == MAILBOX_EXISTENCE_NONE &&
	    folder_copied_before(copy, fc->folder)) {
		/* we filled it before and it is gone: the user deleted or
		   renamed it here, and it stays that way */
		return 1;
	}
	i_zero(&update);
	update.uid_validity = fc->src_status.uidvalidity;
	if (existence != MAILBOX_EXISTENCE_SELECT &&
	    mailbox_create(fc->dest_box, &update, FALSE) < 0) {
		(void)mailbox_get_last_error(fc->dest_box, &mail_error);
		if (mail_error == MAIL_ERROR_PARAMS ||
		    mail_error == MAIL_ERROR_NOTFOUND) {
			/* No retry makes the new server take the name.  A
			   name too long for a file name comes back as "not
			   found", as levels that Maildir++ joins into one
			   directory name can be. */
			mailshift_copy_fail_dest(copy, fc->dest_box,
						 "creating folder");
			copy->error_class = MAILSHIFT_SOURCE_ERR_CONFIG;
			copy->error = p_strdup_printf(copy->pool,
				"%s (the new server refuses the name%s: give "
				"the old folder '%s' another with "
				"mailshift_folder_map = \"OLD=NEW\")",
				copy->error, mail_error == MAIL_ERROR_NOTFOUND ?
				", too long for its storage" : "",
				fc->folder->map.src_vname);
			return -1;
		}
		if (mail_error != MAIL_ERROR_EXISTS) {
			mailshift_copy_fail_dest(copy, fc->dest_box,
						 "creating folder");
			return -1;
		}
	}
	if (existence == MAILBOX_EXISTENCE_NONE)
		mailshift_copy_report_homeless_role(copy, &fc->folder->map);
	return 0;
}

/* The new folder's state as the last pass left it (fc->state_found),
   after the storage checked itself where a pass died while committing.
   Returns 0 or -1. */
static int folder_read_dest_state(struct mailshift_folder_copy *fc)
{
	struct mailbox_status dest_status;

	mailbox_get_open_status(fc->dest_box, STATUS_UIDNEXT, &dest_status);
	fc->dest_uidnext = dest_status.uidnext;
	fc->state_found =
		mailshift_folder_state_get(fc->dest_box, &fc->state) > 0;
	if (!fc->state_found ||
	    (fc->state.flags & MAILSHIFT_FOLDER_BATCH_PENDING) == 0)
		return 0;
	/* A pass died while committing here.  sdbox may hold files of that
	   batch its index does not know (the next save would collide with
	   them), maildir files its uidlist does not: have the storage check
	   itself first, as "doveadm force-resync" does.  A rebuilt index
	   may have lost our state; recovery then goes by the copies'
	   GUIDs.  mdbox was checked before any folder's copy began
	   (mailshift_copy_check_dest()). */
	if (!mailshift_dest_is_mdbox(fc->dest_box) &&
	    mailbox_sync(fc->dest_box, MAILBOX_SYNC_FLAG_FORCE_RESYNC) < 0) {
		mailshift_copy_fail_dest(fc->copy, fc->dest_box, "checking");
		return -1;
	}
	mailbox_get_open_status(fc->dest_box, STATUS_UIDNEXT, &dest_status);
	fc->dest_uidnext = dest_status.uidnext;
	fc->state_found =
		mailshift_folder_state_get(fc->dest_box, &fc->state) > 0;
	return 0;
}

/* A folder no pass has copied into.  The old UIDs can be kept if it is
   empty and has never handed out a UID (e.g. autocreated, or created
   just now with the old UIDVALIDITY).  If it has local mail, new UIDs.
   Returns 0 or -1. */
static int folder_first_state(struct mailshift_folder_copy *fc)
{
	struct mailbox_status dest_status;
	struct mailbox_update update;

	mailbox_get_open_status(fc->dest_box, STATUS_MESSAGES |
				STATUS_UIDNEXT | STATUS_UIDVALIDITY,
				&dest_status);
	i_zero(&fc->state);
	fc->state.src_uidvalidity = fc->src_status.uidvalidity;
	if (dest_status.messages != 0 || dest_status.uidnext > 1)
		return 0;
	if (dest_status.uidvalidity != fc->src_status.uidvalidity) {
		i_zero(&update);
		update.uid_validity = fc->src_status.uidvalidity;
		if (mailbox_update(fc->dest_box, &update) < 0) {
			mailshift_copy_fail_dest(fc->copy, fc->dest_box,
				"setting UIDVALIDITY of");
			return -1;
		}
	}
	fc->state.flags |= MAILSHIFT_FOLDER_UIDS_PRESERVED;
	return 0;
}

/* The new folder, created if missing, opened, with its state.  Returns 0,
   1 if the user deleted it here (it is not brought back), -1 on
   failure. */
static int folder_open_dest(struct mailshift_folder_copy *fc)
{
	int ret;

	fc->dest_box = mailshift_copy_dest_alloc(fc->copy,
						 fc->folder->map.dest_vname);
	if ((ret = folder_create_dest(fc)) != 0)
		return ret;
	/* MODSEQs tell a later pass which copies the user changed here */
	if (mailbox_enable(fc->dest_box, MAILBOX_FEATURE_CONDSTORE) < 0 ||
	    mailbox_sync(fc->dest_box, 0) < 0) {
		mailshift_copy_fail_dest(fc->copy, fc->dest_box,
					 "opening folder");
		return -1;
	}
	if (folder_read_dest_state(fc) < 0)
		return -1;
	return fc->state_found ? 0 : folder_first_state(fc);
}

/* The state as the folder's index is to record it (see
   recovery_src_last_uid): fc->state, or a copy of it in buf */
static const struct mailshift_folder_state *
folder_state_to_record(const struct mailshift_folder_copy *fc,
		       struct mailshift_folder_state *buf)
{
	if (fc->recovery_dest_uidnext == 0)
		return &fc->state;
	*buf = fc->state;
	buf->src_last_uid = fc->recovery_src_last_uid;
	return buf;
}

static int folder_begin_batch(struct mailshift_folder_copy *fc)
{
	struct mailshift_folder_state recorded;

	/* Mark the batch as pending first: if the pass dies while maildir
	   is committing it, the next pass knows where to look
	   (mailshift-folder-recover.h). */
	fc->state.flags |= MAILSHIFT_FOLDER_BATCH_PENDING;
	fc->state.pending_dest_uidnext = fc->recovery_dest_uidnext != 0 ?
		fc->recovery_dest_uidnext : fc->dest_uidnext;
	if (mailshift_folder_state_write(fc->dest_box,
			folder_state_to_record(fc, &recorded)) < 0) {
		mailshift_copy_fail_dest(fc->copy, fc->dest_box,
					 "writing the state of");
		return -1;
	}
	if (fc->recovery_dest_uidnext == 0) {
		/* the batch's commit clears it */
		fc->state.flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_BATCH_PENDING);
		fc->state.pending_dest_uidnext = 0;
	}

	/* EXTERNAL|ASSIGN_UIDS: a save from outside, like dsync's;
	   NO_NOTIFY keeps push/replication plugins out of a migration */
	fc->dest_t = mailbox_transaction_begin(fc->dest_box,
		MAILBOX_TRANSACTION_FLAG_EXTERNAL |
		MAILBOX_TRANSACTION_FLAG_ASSIGN_UIDS |
		MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, "mailshift copy");
	fc->uncommitted = 0;
	fc->uncommitted_bytes = 0;
	fc->first_wanted_uid = fc->last_wanted_uid = 0;
	return 0;
}

static void
folder_check_uids(struct mailshift_folder_copy *fc,
		  const struct mail_transaction_commit_changes *changes)
{
	struct mailshift_folder_state recorded;
	const struct seq_range *range;
	unsigned int i, count;

	/* not always in order: a UID asked for that was taken (maildir)
	   is given after the batch's highest */
	range = array_get(&changes->saved_uids, &count);
	for (i = 0; i < count; i++) {
		if (range[i].seq2 >= fc->dest_uidnext)
			fc->dest_uidnext = range[i].seq2 + 1;
	}

	if ((fc->state.flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) == 0 ||
	    fc->first_wanted_uid == 0)
		return;
	if (count > 0 && range[0].seq1 == fc->first_wanted_uid &&
	    range[count - 1].seq2 == fc->last_wanted_uid)
		return;
	/* Something was delivered into the folder between our batches and
	   took the UID we asked for, so Dovecot gave new ones. */
	e_warning(fc->copy->params->dest_user->event,
		  "mailshift: folder %s: the new server assigned other UIDs "
		  "than the old server's from UID %u on (mail was delivered "
		  "into it during the migration); IMAP clients will "
		  "re-download this folder", mailbox_get_vname(fc->dest_box),
		  fc->first_wanted_uid);
	fc->state.flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_UIDS_PRESERVED);
	if (mailshift_folder_state_write(fc->dest_box,
			folder_state_to_record(fc, &recorded)) < 0) {
		/* the next batch's commit records it */
		e_warning(fc->copy->params->dest_user->event,
			  "mailshift: folder %s: %s",
			  mailbox_get_vname(fc->dest_box),
			  mailbox_get_last_internal_error(fc->dest_box, NULL));
	}
}

/* Record what this commit brought into the new mailbox: for a sweep, so
   that a copy of the same message arriving by delivery is not kept too;
   for the \All folder, what it need not copy. */
static void folder_record_saved(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mail_user *user = copy->params->dest_user;
	struct mail_duplicate_transaction *trans;
	const char *key, *error;

	if (!array_is_created(&fc->saved_keys) ||
	    array_count(&fc->saved_keys) == 0)
		return;
	if (copy->delivered_db != NULL) {
		trans = mail_duplicate_transaction_begin(copy->delivered_db);
		array_foreach_elem(&fc->saved_keys, key) {
			if (mailshift_delivered_check(trans, user, key) != 0)
				continue;
			mailshift_delivered_mark(trans, user, key,
				copy->params->set->cutover_sweep_secs);
		}
		mail_duplicate_transaction_commit(&trans);
	}
	if (copy->message_ids != NULL) {
		array_foreach_elem(&fc->saved_keys, key)
			mailshift_message_ids_add(copy->message_ids, key);
		if (mailshift_message_ids_flush(copy->message_ids,
						&error) < 0) {
			e_warning(user->event, "mailshift: %s (the \\All "
				  "folder may get copies of these messages)",
				  error);
		}
	}
	array_clear(&fc->saved_keys);
	p_clear(fc->saved_keys_pool);
}

/* Is this message here already by another way?  A sweep brings mail the
   old host delivered into the old mailbox late, and Postfix may have
   delivered the same message here as well (a retry); the \All folder
   holds messages other folders brought.  Returns TRUE when so: no copy
   is made. */
static bool folder_here_already(struct mailshift_folder_copy *fc,
				struct mail *mail, const char *key)
{
	struct mailshift_copy *copy = fc->copy;
	struct mail_user *user = copy->params->dest_user;
	struct mail_duplicate_transaction *trans;
	int seen;

	if (fc->folder->all_mail && copy->message_ids != NULL &&
	    mailshift_message_ids_contains(copy->message_ids, key))
		return TRUE;
	if (copy->delivered_db == NULL)
		return FALSE;
	trans = mail_duplicate_transaction_begin(copy->delivered_db);
	seen = mailshift_delivered_check(trans, user, key);
	mail_duplicate_transaction_rollback(&trans);
	if (seen > 0) {
		e_info(user->event, "mailshift: sweep: folder=%s uid=%u was "
		       "delivered here already (Message-ID <%s>): not copied "
		       "again", mailbox_get_vname(fc->src_box), mail->uid,
		       key);
		return TRUE;
	}
	return FALSE;
}

static int folder_commit(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mail_transaction_commit_changes changes;
	struct mailshift_folder_state recorded;

	mailshift_folder_state_set(fc->dest_box, fc->dest_t->itrans,
				   folder_state_to_record(fc, &recorded));
	if (mailbox_transaction_commit_get_changes(&fc->dest_t, &changes) < 0) {
		mailshift_copy_fail_dest(copy, fc->dest_box, "committing to");
		return -1;
	}
	folder_check_uids(fc, &changes);
	pool_unref(&changes.pool);
	folder_record_saved(fc);

	if (copy->params->progress != NULL &&
	    copy->params->progress(&copy->progress,
				   copy->params->context) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		copy->error = "pass aborted by its owner";
		copy->aborted = TRUE;
		return -1;
	}
	return 0;
}

/* Hold the pass to mailshift_source_max_bytes_per_sec, measured over the
   whole pass so short bursts even out. */
static void copy_throttle(struct mailshift_copy *copy)
{
	unsigned long long limit = copy->params->set->source_max_bytes_per_sec;
	long long elapsed_usecs, wanted_usecs;

	if (limit == 0)
		return;
	io_loop_time_refresh();
	elapsed_usecs = timeval_diff_usecs(&ioloop_timeval, &copy->pass_start);
	wanted_usecs = (long long)(copy->pass_bytes * 1000000ULL / limit);
	if (wanted_usecs > elapsed_usecs) {
		long long sleep_usecs = wanted_usecs - elapsed_usecs;
		if (sleep_usecs > 5000000)
			sleep_usecs = 5000000;
		i_sleep_usecs(sleep_usecs);
	}
}

/* A save of mail into the new folder with the old message's flags,
   keywords, INTERNALDATE, a GUID naming its origin, its UID where the
   folder keeps them, and its POP3 UIDL. */
static struct mail_save_context *
folder_save_alloc(struct mailshift_folder_copy *fc, struct mail *mail,
		  time_t received_date, const char *pop3_uidl)
{
	struct mail_save_context *save = mailbox_save_alloc(fc->dest_t);
	const char *const *keyword_names = mail_get_keywords(mail);
	struct mail_keywords *keywords = NULL;

	if (keyword_names[0] != NULL) {
		keywords = mailbox_keywords_create_valid(fc->dest_box,
							 keyword_names);
	}
	mailbox_save_set_flags(save, mail_get_flags(mail) &
			       ENUM_NEGATE(MAIL_RECENT), keywords);
	if (keywords != NULL)
		mailbox_keywords_unref(&keywords);
	mailbox_save_set_received_date(save, received_date, 0);
	/* the GUID says where the copy came from, in every storage and
	   across index rebuilds (mailshift-folder-recover.h) */
	mailbox_save_set_guid(save, mailshift_copy_guid(fc->guid_prefix,
							mail->uid));
	if ((fc->state.flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) != 0)
		mailbox_save_set_uid(save, mail->uid);
	if (pop3_uidl != NULL)
		mailbox_save_set_pop3_uidl(save, pop3_uidl);
	return save;
}

/* mail was saved, size bytes: what the commit must give back, the
   pass's counts, and its Message-ID (key, or NULL) for the record. */
static void folder_saved(struct mailshift_folder_copy *fc, struct mail *mail,
			 uoff_t size, const char *key)
{
	struct mailshift_copy *copy = fc->copy;

	/* only UIDs really saved are expected back from the commit: a save
	   that failed (full disk) says nothing about the rest */
	if ((fc->state.flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) != 0) {
		if (fc->first_wanted_uid == 0)
			fc->first_wanted_uid = mail->uid;
		fc->last_wanted_uid = mail->uid;
	}
	copy->pass_bytes += size;
	copy->progress.bytes_done += size;
	fc->uncommitted_bytes += size;
	if (key != NULL) {
		if (!array_is_created(&fc->saved_keys)) {
			i_array_init(&fc->saved_keys, 64);
			fc->saved_keys_pool = pool_alloconly_create(
				"mailshift saved keys", 4096);
		}
		key = p_strdup(fc->saved_keys_pool, key);
		array_push_back(&fc->saved_keys, &key);
	}
}

/* The new server did not take mail.  Returns 0 if it refused this one
   message (logged and counted; the pass goes on), -1 if the folder must
   stop. */
static int folder_save_failed(struct mailshift_folder_copy *fc,
			      struct mail *mail)
{
	struct mailshift_copy *copy = fc->copy;
	enum mail_error mail_error;
	const char *error;

	error = mailbox_get_last_internal_error(fc->dest_box, &mail_error);
	switch (mail_error) {
	case MAIL_ERROR_NOQUOTA:
		/* Over quota: this message is refused, smaller ones may
		   still fit.  But a full disk (errno ENOSPC/EDQUOT, reported
		   with the generic text) refuses everything: stop, lose
		   nothing, and let the next pass continue from here. */
		if (strcmp(error, MAIL_ERRSTR_NO_QUOTA) == 0)
			break;
		/* fall through */
	case MAIL_ERROR_LIMIT:
	case MAIL_ERROR_PARAMS:
	case MAIL_ERROR_CONVERSION:
		e_error(copy->params->dest_user->event,
			"mailshift: message refused by the new server: "
			"folder=%s uid=%u reason=%s (it stays on the old "
			"server; later passes do not retry it)",
			mailbox_get_vname(fc->src_box), mail->uid, error);
		copy->progress.msgs_refused++;
		return 0;
	default:
		break;
	}
	mailshift_copy_fail_dest(copy, fc->dest_box, "saving to");
	return -1;
}

/* Save mail (its body from body, else from imapc) into the new folder.
   Returns 1 copied, 0 refused by the new server (logged, the pass goes
   on) or gone from the old one, -1 failure that stops the folder. */
static int
folder_save_mail(struct mailshift_folder_copy *fc, struct mail *mail,
		 struct istream *body)
{
	struct mailshift_copy *copy = fc->copy;
	struct mail_save_context *save;
	const char *key = NULL, *pop3_uidl = NULL;
	struct istream *input = body;
	enum mail_error mail_error;
	time_t received_date;
	ssize_t ret;

	/* first: reading the header moves the stream mail_get_stream()
	   would return */
	if (copy->delivered_db != NULL || copy->message_ids != NULL) {
		key = mailshift_delivered_key(mail);
		if (key != NULL && folder_here_already(fc, mail, key))
			return 0;
	}
	/* POP3 sees INBOX only */
	if (strcasecmp(fc->folder->map.src_vname, "INBOX") == 0 &&
	    mailshift_pop3_uidl_get(copy->params->set, mail,
				    fc->src_status.uidvalidity,
				    &pop3_uidl) < 0) {
		mailshift_copy_fail_source(copy, fc->src_box,
					   "POP3 UIDLs for");
		return -1;
	}
	if (mail_get_received_date(mail, &received_date) < 0 ||
	    (input == NULL && mail_get_stream(mail, NULL, NULL, &input) < 0)) {
		(void)mailbox_get_last_error(fc->src_box, &mail_error);
		if (mail_error == MAIL_ERROR_EXPUNGED)
			return 0;
		mailshift_copy_fail_source(copy, fc->src_box, "reading");
		return -1;
	}

	save = folder_save_alloc(fc, mail, received_date, pop3_uidl);
	if (mailbox_save_begin(&save, input) < 0)
		return folder_save_failed(fc, mail);
	do {
		if (mailbox_save_continue(save) < 0)
			break;
		ret = i_stream_read(input);
		i_assert(ret != 0);
	} while (ret != -1);
	if (input->stream_errno != 0) {
		mailbox_save_cancel(&save);
		mailshift_copy_fail_reading(copy, mail,
					    i_stream_get_error(input));
		return -1;
	}
	if (mailbox_save_finish(&save) < 0)
		return folder_save_failed(fc, mail);
	folder_saved(fc, mail, input->v_offset, key);
	return 1;
}

/* After one old message was copied (ret 1), refused or gone (0), or
   failed (-1): count it, and commit every commit_interval messages.
   Returns 0, or -1 when the folder stops. */
static int folder_copied(struct mailshift_folder_copy *fc,
			 uint32_t uid, int ret)
{
	struct mailshift_copy *copy = fc->copy;

	if (ret < 0)
		return -1;
	if (ret > 0)
		copy->progress.msgs_copied++;
	copy->progress.msgs_done++;
	fc->state.src_last_uid = uid;
	copy_throttle(copy);

	if (++fc->uncommitted >= copy->params->set->commit_interval ||
	    fc->uncommitted_bytes >= MAILSHIFT_COMMIT_MAX_BYTES) {
		if (folder_commit(fc) < 0 ||
		    folder_begin_batch(fc) < 0)
			return -1;
	}
	return 0;
}

/* Copy the next large message the queue holds, asking for those up to
   horizon_uid ahead.  Returns 0 or -1. */
static int folder_copy_next_large(struct mailshift_folder_copy *fc,
				  struct mailshift_body_queue *queue,
				  uint32_t horizon_uid)
{
	uint32_t uid = mailshift_body_queue_next_uid(queue);
	struct mail *mail;
	struct istream *input;
	const char *error;
	int ret;

	mailshift_body_queue_advance(queue, horizon_uid);
	T_BEGIN {
		ret = mailshift_body_queue_take(queue, &mail, &input, &error);
		if (ret < 0)
			mailshift_copy_fail_reading(fc->copy, mail, error);
		else if (ret > 0) {
			ret = folder_save_mail(fc, mail, input);
			i_stream_unref(&input);
		}
	} T_END;
	return folder_copied(fc, uid, ret);
}

/* Copy the large messages the queue holds below below_uid, in UID
   order, asking for those up to horizon_uid ahead.  Returns 0 or -1. */
static int folder_copy_large(struct mailshift_folder_copy *fc,
			     struct mailshift_body_queue *queue,
			     uint32_t below_uid, uint32_t horizon_uid)
{
	uint32_t uid;
	int ret = 0;

	while (ret == 0 &&
	       (uid = mailshift_body_queue_next_uid(queue)) != 0 &&
	       uid < below_uid)
		ret = folder_copy_next_large(fc, queue, horizon_uid);
	return ret;
}

/* What the copy reads of every old message besides its body, and the
   header a sweep or the \All folder keys it by. */
static const enum mail_fetch_field stream_fields =
	MAIL_FETCH_FLAGS | MAIL_FETCH_RECEIVED_DATE;
static const char *const key_headers[] = { "Message-ID", NULL };

/* Whether nothing in copying the folder's messages waits, other than
   for the old server's replies to what it was asked: no Message-ID to
   look up (a sweep's or the \All folder's), no pop3_migration to ask,
   no rate to hold to by sleeping. */
static bool folder_saves_unattended(const struct mailshift_folder_copy *fc)
{
	const struct mailshift_copy *copy = fc->copy;
	const struct mailshift_settings *set = copy->params->set;

	return copy->delivered_db == NULL && copy->message_ids == NULL &&
		set->source_max_bytes_per_sec == 0 &&
		(set->source_pop3_port == 0 ||
		 strcasecmp(fc->folder->map.src_vname, "INBOX") != 0);
}

/* How many old messages imapc fetches ahead: as many as cost about
   bytes of memory here, given the mean size of the folder's ordinary
   messages and what each message in the window costs besides its body,
   and never fewer than mailshift_source_prefetch.  Counted in messages
   alone, a window of small ones is less than a round trip's worth of
   bytes across a WAN, and the old server waits for every next FETCH;
   counted in bytes, memory stays bounded whatever the folder holds. */
static unsigned int
folder_prefetch_window(const struct mailshift_folder_copy *fc,
		       const struct mailshift_body_queue *queue, uoff_t bytes)
{
	unsigned int window = fc->copy->params->set->source_prefetch;
	uoff_t cost = mailshift_body_queue_small_mean(queue) +
		MAILSHIFT_PREFETCH_MAIL_COST;

	if (bytes / cost > window)
		window = bytes / cost;
	return I_MIN(window, MAILSHIFT_PREFETCH_MAX_MAILS);
}

void mailshift_folder_copy_widen(struct mailshift_folder_copy *fc,
				 uoff_t bytes)
{
	unsigned int window;

	/* a search's window may grow, not shrink: it holds its mails */
	if (fc->search == NULL)
		return;
	window = folder_prefetch_window(fc, fc->queue, bytes);
	if (window <= fc->prefetch_window)
		return;
	fc->prefetch_window = window;
	fc->search->max_mails = window + 1;
	fc->fetch_ahead = I_MAX(window / 4, 1);
}

/* The UID of the old message prefetch_window messages after seq (the
   last one if fewer follow): about as far as imapc prefetches. */
static uint32_t
folder_horizon(struct mailshift_folder_copy *fc, uint32_t seq)
{
	const struct mail_index_header *hdr =
		mail_index_get_header(fc->src_box->view);
	uint32_t uid;

	seq = I_MIN(seq + fc->prefetch_window, hdr->messages_count);
	if (seq == 0)
		return 0;
	mail_index_lookup_uid(fc->src_box->view, seq, &uid);
	return uid;
}

/* Begin copying the old messages from UID first on that earlier passes
   did not (fc->present_uids, and those below first): the ordinary ones as
   imapc prefetches them, the large ones from a queue that fetches them
   ahead, all in UID order so that the old UIDs can be kept (steps in
   mailshift_folder_copy_step()).  Returns 0 or -1. */
static int folder_stream_from(struct mailshift_folder_copy *fc, uint32_t first)
{
	struct mailshift_copy *copy = fc->copy;
	struct mailbox_header_lookup_ctx *headers = NULL;
	struct mail_search_args *search_args;
	ARRAY_TYPE(seq_range) large;
	uint32_t seq;
	int ret;

	if (copy->delivered_db != NULL || copy->message_ids != NULL)
		headers = mailbox_header_lookup_init(fc->src_box, key_headers);
	t_array_init(&large, 8);
	ret = mailshift_body_queue_init(fc->src_t, first, &fc->present_uids,
					stream_fields, headers, &large,
					&fc->queue);
	if (headers != NULL)
		mailbox_header_lookup_unref(&headers);
	if (ret < 0) {
		mailshift_copy_fail_source(copy, fc->src_box, "fetching from");
		return -1;
	}
	fc->prefetch_window = folder_prefetch_window(fc, fc->queue,
		MAILSHIFT_PREFETCH_BYTES / I_MAX(copy->lanes, 1));
	fc->saves_unattended = folder_saves_unattended(fc);

	search_args = mailshift_search_uids_from(first);
	seq_range_array_remove_seq_range(&search_args->args->value.seqset,
					 &fc->present_uids);
	seq_range_array_remove_seq_range(&search_args->args->value.seqset,
					 &large);
	if (array_count(&search_args->args->value.seqset) > 0) {
		/* asking for the body up front is what makes imapc
		   prefetch */
		fc->search = mailbox_search_init(fc->src_t, search_args, NULL,
						 stream_fields |
						 MAIL_FETCH_STREAM_BODY, NULL);
		/* mail_prefetch_count set the search's window; the mails are
		   allocated as it fills */
		fc->search->max_mails = fc->prefetch_window + 1;
	}
	/* a FETCH for every quarter window: the old server always has at
	   least 3/4 of the window to serve */
	fc->fetch_ahead = I_MAX(fc->prefetch_window / 4, 1);
	if (fc->search != NULL) {
		/* the window now, before other folders' turns */
		seq = mailshift_source_search_ask_ahead(fc->search,
			&search_args->args->value.seqset,
			fc->prefetch_window, fc->fetch_ahead);
		if (seq != 0) {
			mailshift_body_queue_advance(fc->queue,
				folder_horizon(fc, seq));
		}
	}
	mail_search_args_unref(&search_args);
	return 0;
}

/* Begin copying what earlier passes did not.  Returns 1 (step it), 0 when
   there is nothing to copy, -1. */
static int folder_stream_begin(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	uint32_t seq1, seq2;

	/* what earlier passes already handled counts as done */
	seq1 = seq2 = 0;
	if (fc->state.src_last_uid > 0) {
		mailbox_get_seq_range(fc->src_box, 1, fc->state.src_last_uid,
				      &seq1, &seq2);
	}
	if (seq1 != 0)
		copy->progress.msgs_done += seq2 - seq1 + 1;
	if (fc->state.src_last_uid + 1 >= fc->src_status.uidnext) {
		i_assert(array_count(&fc->present_uids) == 0);
		return 0;
	}
	copy->progress.msgs_done += seq_range_count(&fc->present_uids);

	fc->src_t = mailbox_transaction_begin(fc->src_box, 0, "mailshift read");
	if (strcasecmp(fc->folder->map.src_vname, "INBOX") == 0 &&
	    mailshift_pop3_uidl_prepare(copy->params->set, fc->src_t) < 0) {
		mailshift_copy_fail_source(copy, fc->src_box,
					   "POP3 UIDLs for");
		return -1;
	}
	if (folder_begin_batch(fc) < 0 ||
	    folder_stream_from(fc, fc->state.src_last_uid + 1) < 0)
		return -1;
	return 1;
}

bool mailshift_folder_copy_ready(struct mailshift_folder_copy *fc)
{
	struct mail *next = NULL;
	uint32_t large_uid = mailshift_body_queue_next_uid(fc->queue);

	/* a failure to report */
	if (fc->error_here != NULL)
		return TRUE;
	/* a step takes the search's next message, then copies the large
	   ones before it */
	if (fc->search != NULL) {
		next = mailshift_source_search_next_mail(fc->search);
		if (next == NULL || !mailshift_source_mail_arrived(next))
			return FALSE;
	}
	if (large_uid == 0 || (next != NULL && large_uid > next->uid))
		return TRUE;
	return mailshift_body_queue_next_ready(fc->queue);
}

void mailshift_folder_copy_send_queued(struct mailshift_folder_copy *fc)
{
	if (fc->search != NULL)
		mailshift_source_fetch_ahead(fc->src_box, 1);
}

static bool folder_search_next(struct mailshift_folder_copy *fc,
			       struct mail **mail_r)
{
	fc->searched = TRUE;
	return mailbox_search_next(fc->search, mail_r);
}

/* Copy mail, which the search just returned, after the large messages
   before it.  Returns 0 or -1. */
static int folder_copy_searched(struct mailshift_folder_copy *fc,
				struct mail *mail)
{
	uint32_t horizon;
	int ret;

	/* keep the old server busy while this message is saved */
	mailshift_source_fetch_ahead(fc->src_box, fc->fetch_ahead);
	horizon = folder_horizon(fc, mail->seq);
	mailshift_body_queue_advance(fc->queue, horizon);
	if (folder_copy_large(fc, fc->queue, mail->uid, horizon) < 0)
		return -1;
	T_BEGIN {
		ret = folder_save_mail(fc, mail, NULL);
	} T_END;
	return folder_copied(fc, mail->uid, ret);
}

int mailshift_folder_copy_step_here(struct mailshift_folder_copy *fc)
{
	struct mail *next, *mail;
	uint32_t large_uid;
	bool large_first;
	int ret;

	if (!fc->saves_unattended || fc->search == NULL ||
	    fc->error_here != NULL || fc->copy->aborted)
		return 0;
	/* before the first message the search returns, its first is the
	   first one asked ahead */
	next = fc->searched ? mailshift_source_search_prefetched(fc->search) :
		mailshift_source_search_next_mail(fc->search);
	if (next == NULL || !mailshift_source_mail_here(next, TRUE))
		return 0;
	large_uid = mailshift_body_queue_next_uid(fc->queue);
	large_first = large_uid != 0 && large_uid < next->uid;
	if (large_first && !mailshift_body_queue_next_here(fc->queue))
		return 0;

	if (large_first) {
		ret = folder_copy_next_large(fc, fc->queue,
					     folder_horizon(fc, next->seq));
	} else {
		if (!folder_search_next(fc, &mail))
			i_unreached();
		i_assert(mail == next);
		ret = folder_copy_searched(fc, mail);
	}
	if (ret < 0) {
		fc->error_here = fc->copy->error;
		fc->error_here_class = fc->copy->error_class;
		fc->error_here_on_source = fc->copy->error_on_source;
		return 0;
	}
	fc->copy->msgs_saved_waiting++;
	return 1;
}

/* Copy the next old message, and the large ones before it.  Returns 1
   while there are more, 0 when all are copied, -1. */
int mailshift_folder_copy_step(struct mailshift_folder_copy *fc)
{
	struct mail *mail;

	if (fc->error_here != NULL) {
		fc->copy->error = fc->error_here;
		fc->copy->error_class = fc->error_here_class;
		fc->copy->error_on_source = fc->error_here_on_source;
		return -1;
	}
	if (fc->search != NULL && folder_search_next(fc, &mail))
		return folder_copy_searched(fc, mail) < 0 ? -1 : 1;
	if (fc->search != NULL && mailbox_search_deinit(&fc->search) < 0) {
		mailshift_copy_fail_source(fc->copy, fc->src_box,
					   "fetching from");
		return -1;
	}
	return folder_copy_large(fc, fc->queue, (uint32_t)-1,
				 (uint32_t)-1) < 0 ? -1 : 0;
}

/* After the last step, or a failed one: commit what was copied even when
   the folder failed part way (it is exact, and the next pass continues
   after it).  Returns ret, or -1 when the commit failed. */
static int folder_stream_end(struct mailshift_folder_copy *fc, int ret)
{
	if (fc->search != NULL)
		(void)mailbox_search_deinit(&fc->search);
	/* (a queue may have been prepared for a folder never streamed) */
	if (fc->queue != NULL)
		mailshift_body_queue_deinit(&fc->queue);
	if (fc->src_t == NULL) {
		/* never streamed: nothing of this pass's to commit */
		return ret < 0 ? -1 : 0;
	}
	(void)mailbox_transaction_commit(&fc->src_t);
	if (fc->dest_t != NULL && folder_commit(fc) < 0)
		ret = -1;
	return ret < 0 ? -1 : 0;
}

static int folder_finish(struct mailshift_folder_copy *fc)
{
	struct mailbox_status status;
	struct mailbox_update update;

	if (fc->recovery_dest_uidnext != 0) {
		/* every old message is here now, the recovered ones too */
		const struct seq_range *range =
			array_back(&fc->present_uids);

		if (range->seq2 > fc->state.src_last_uid)
			fc->state.src_last_uid = range->seq2;
		fc->state.flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_BATCH_PENDING);
		fc->state.pending_dest_uidnext = 0;
		fc->recovery_dest_uidnext = 0;
	}
	if ((fc->state.flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) != 0) {
		/* UIDs expunged on the old server must never be reused
		   here: a client's cache may still hold them. */
		i_zero(&update);
		update.min_next_uid = fc->src_status.uidnext;
		if (mailbox_update(fc->dest_box, &update) < 0) {
			mailshift_copy_fail_dest(fc->copy, fc->dest_box,
						 "raising UIDNEXT of");
			return -1;
		}
	}
	/* The baseline for the next pass: what both sides look like now,
	   after this pass's own changes. */
	if (mailbox_sync(fc->dest_box, 0) < 0) {
		mailshift_copy_fail_dest(fc->copy, fc->dest_box, "syncing");
		return -1;
	}
	mailbox_get_open_status(fc->dest_box, STATUS_HIGHESTMODSEQ, &status);
	if (fc->rematch_uidvalidity != 0) {
		fc->state.src_uidvalidity = fc->rematch_uidvalidity;
		fc->rematch_uidvalidity = 0;
	}
	fc->state.src_highest_modseq = fc->src_status.highest_modseq;
	fc->state.dest_highest_modseq = status.highest_modseq;
	if (mailshift_folder_state_write(fc->dest_box, &fc->state) < 0) {
		mailshift_copy_fail_dest(fc->copy, fc->dest_box,
					 "writing the state of");
		return -1;
	}
	mailshift_folder_list_add(fc->copy->filled_folders,
				  fc->folder->map.dest_vname,
				  mailshift_copy_guid_name(fc->copy, fc->folder));
	return 0;
}

static void
dest_state_read(struct mailshift_copy *copy, const char *vname,
		struct mailshift_dest_state *dest_r)
{
	struct mailbox *dest_box;
	enum mailbox_existence existence;

	i_zero(dest_r);
	dest_box = mailshift_copy_dest_alloc(copy, vname);
	/* Opened, not synced: the state lives in the index, which opening
	   brings up to its last commit; syncing would also scan the
	   storage (a maildir's uidlist and directories) for nothing. */
	dest_r->found = mailbox_exists(dest_box, FALSE, &existence) == 0 &&
		existence == MAILBOX_EXISTENCE_SELECT &&
		mailbox_open(dest_box) == 0 &&
		mailshift_folder_state_get(dest_box, &dest_r->state) > 0;
	mailbox_free(&dest_box);
}

int mailshift_copy_check_dest(struct mailshift_copy *copy)
{
	const struct mailshift_source_folder *folder;
	struct mailshift_dest_state *dest, read_now;
	struct mailbox *box;
	bool pending = FALSE;
	int ret = 0;

	box = mailshift_copy_dest_alloc(copy, "INBOX");
	if (!mailshift_dest_is_mdbox(box)) {
		mailbox_free(&box);
		return 0;
	}
	/* a killed pass did not get to list what it filled */
	array_foreach(&copy->folders, folder) {
		if (folder->noselect)
			continue;
		dest = hash_table_lookup(copy->dest_states,
					 folder->map.dest_vname);
		if (dest == NULL) {
			dest_state_read(copy, folder->map.dest_vname,
					&read_now);
			dest = &read_now;
		}
		if (dest->found &&
		    (dest->state.flags & MAILSHIFT_FOLDER_BATCH_PENDING) != 0) {
			pending = TRUE;
			break;
		}
	}
	if (pending && mailshift_dest_mdbox_rebuild(box) < 0) {
		mailshift_copy_fail_dest(copy, box, "checking");
		ret = -1;
	}
	mailbox_free(&box);
	return ret;
}

/* Read the states of the folders earlier passes filled, while the old
   server is still greeting us (mailshift_source_connect_ahead()): in a
   pass that finds nothing changed, reading them one by one after the
   listing was most of the time spent here.  Only this pass writes them
   (it holds the user's lock), so they stay valid until it does.  An old
   server that gave the last pass no HIGHESTMODSEQ (no CONDSTORE) has
   every folder opened anyway: then the rest is not read ahead for
   nothing. */
void mailshift_copy_read_dest_states(struct mailshift_copy *copy)
{
	const char *const *names, *name;
	struct mailshift_dest_state *dest;
	unsigned int i, count;

	names = mailshift_folder_list_names(copy->filled_folders, &count);
	for (i = 0; i < count; i++) {
		name = p_strdup(copy->pool, names[i]);
		dest = p_new(copy->pool, struct mailshift_dest_state, 1);
		dest_state_read(copy, name, dest);
		hash_table_update(copy->dest_states, name, dest);
		if (dest->found && dest->state.src_highest_modseq == 0)
			break;
	}
}

/* With CONDSTORE every change to a folder raises its HIGHESTMODSEQ
   (RFC 7162), so an old folder whose UIDVALIDITY and HIGHESTMODSEQ are
   those the last pass finished with has nothing to bring: it is not even
   SELECTed.  Returns TRUE if the folder can be skipped. */
static bool
folder_unchanged(struct mailshift_copy *copy,
		 const struct mailshift_source_folder *folder)
{
	struct mailshift_dest_state *dest, read_now;
	const char *key;

	if (!folder->have_status || folder->status.highest_modseq == 0)
		return FALSE;
	/* read ahead, else now; once only, as the folder may be copied to
	   after this */
	if (hash_table_lookup_full(copy->dest_states, folder->map.dest_vname,
				   &key, &dest))
		hash_table_remove(copy->dest_states, key);
	else {
		dest_state_read(copy, folder->map.dest_vname,
				&read_now);
		dest = &read_now;
	}
	return dest->found &&
		(dest->state.flags & MAILSHIFT_FOLDER_BATCH_PENDING) == 0 &&
		dest->state.src_uidvalidity == folder->status.uidvalidity &&
		dest->state.src_highest_modseq == folder->status.highest_modseq;
}

/* The usual case: find what a stopped pass copied anyway, then bring
   the old server's flag changes and expunges. */
static int folder_recover_and_delta(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mailshift_delta_counts counts;
	uint32_t scan_from;

	scan_from = fc->state_found ? fc->state.pending_dest_uidnext : 1;
	if (fc->state_found &&
	    (fc->state.flags & MAILSHIFT_FOLDER_BATCH_PENDING) != 0)
		array_push_back(&copy->suspects, &fc->folder);
	if (mailshift_folder_recover(fc->src_box, fc->dest_box,
				     fc->guid_prefix, &fc->state,
				     fc->state_found, &fc->present_uids,
				     copy->params->dest_user->event,
				     &copy->error) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		return -1;
	}
	if (array_count(&fc->present_uids) > 0) {
		fc->recovery_dest_uidnext = I_MAX(scan_from, 1);
		fc->recovery_src_last_uid = fc->state.src_last_uid;
	}
	if (!fc->state_found || copy->params->add_only)
		return 0;

	i_zero(&counts);
	if (mailshift_folder_delta(fc->src_box, fc->dest_box, fc->guid_prefix,
				   &fc->state, &counts, &copy->error) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		return -1;
	}
	copy->progress.flags_changed += counts.flags_changed;
	copy->progress.msgs_expunged += counts.expunged;
	copy->progress.kept_new += counts.kept_new;
	return 0;
}

/* The old folder has a new UIDVALIDITY: its UIDs no longer name the
   messages already copied, so they are found again by content. */
static int
folder_rematch_uidvalidity(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	const char *old_prefix;
	unsigned int matched, expunged;

	old_prefix = mailshift_copy_guid_prefix(
		mailshift_copy_guid_name(fc->copy, fc->folder),
		fc->state.src_uidvalidity);
	if (mailshift_folder_rematch(fc->src_box, fc->dest_box, old_prefix,
				     fc->guid_prefix,
				     fc->state.dest_highest_modseq,
				     &fc->present_uids, &matched, &expunged,
				     &copy->error) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		return -1;
	}
	e_warning(copy->params->dest_user->event,
		  "mailshift: folder %s: the old server changed its "
		  "UIDVALIDITY from %u to %u (re-created or renumbered); "
		  "%u messages found here by content, %u that left it "
		  "expunged here, the rest is copied; UIDs here stay as "
		  "they are", fc->folder->map.src_vname,
		  fc->state.src_uidvalidity, fc->src_status.uidvalidity,
		  matched, expunged);
	copy->progress.msgs_expunged += expunged;

	/* Old UIDs mean nothing now.  The state keeps the earlier
	   UIDVALIDITY until the folder is done, so that a pass stopped half
	   way matches again instead of trusting half a job. */
	fc->rematch_uidvalidity = fc->src_status.uidvalidity;
	fc->state.src_last_uid = 0;
	fc->state.flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_UIDS_PRESERVED |
				       MAILSHIFT_FOLDER_BATCH_PENDING);
	fc->state.pending_dest_uidnext = 0;
	if (array_count(&fc->present_uids) > 0) {
		fc->recovery_dest_uidnext = 1;
		fc->recovery_src_last_uid = 0;
	}
	return 0;
}

/* Compare the folder with its copies now that it is done.  Old mail no
   pass has taken is counted (the caller does not migrate the user), not
   an error of the pass. */
static int mailshift_copy_verify_folder(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mailshift_verify_counts counts;
	const char *error;

	if (mailshift_folder_verify(fc->src_box, fc->dest_box, fc->guid_prefix,
				    &fc->state, &counts, &error) < 0) {
		copy->error = p_strdup(copy->pool, error);
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		return -1;
	}
	copy->progress.folders_verified++;
	copy->progress.msgs_verified += counts.old_messages;
	copy->progress.msgs_missing += counts.missing;
	copy->progress.msgs_gone_here += counts.gone_here;
	if (counts.missing > 0) {
		e_info(copy->params->dest_user->event,
		       "mailshift: verify folder %s: %u of its %u old messages "
		       "are not here yet (from UID %u): they arrived on the "
		       "old server during the pass", fc->folder->map.src_vname,
		       counts.missing, counts.old_messages,
		       counts.first_missing_uid);
	} else {
		e_debug(copy->params->dest_user->event,
			"mailshift: verify folder %s: %u old messages, %u here,"
			" %u deleted here since they were copied",
			fc->folder->map.src_vname, counts.old_messages,
			counts.here, counts.gone_here);
	}
	return 0;
}

/* Open the old folder (EXAMINE, and imapc's FETCH of every flag) and
   take its status.  Returns 1, 0 when it was deleted on the old server
   since LIST, -1. */
static int folder_open_source(struct mailshift_folder_copy *fc)
{
	enum mail_error mail_error;

	fc->src_box = mailshift_source_mailbox_alloc(
		fc->copy->params->source_user, fc->folder->map.src_vname);
	if (!folder_copied_before(fc->copy, fc->folder)) {
		/* copied for the first time: all of it is to stream */
		fc->queue = mailshift_body_queue_prepare(fc->src_box);
	}
	if (mailbox_sync(fc->src_box, 0) < 0) {
		(void)mailbox_get_last_error(fc->src_box, &mail_error);
		if (mail_error == MAIL_ERROR_NOTFOUND)
			return 0;
		mailshift_copy_fail_source(fc->copy, fc->src_box, "opening");
		return -1;
	}
	mailbox_get_open_status(fc->src_box, STATUS_UIDVALIDITY |
				STATUS_UIDNEXT | STATUS_MESSAGES |
				STATUS_HIGHESTMODSEQ, &fc->src_status);
	return 1;
}

/* An old folder that the listing's STATUS shows empty needs no opening
   the first time it is copied: its copy is only created, with its
   UIDVALIDITY and UIDNEXT, and each opening is round trips that hold
   up every folder streaming beside it.  Once copied into, it is opened
   as any other (its copies may need expunging). */
static bool folder_empty_at_listing(const struct mailshift_copy *copy,
				    const struct mailshift_source_folder *folder)
{
	return folder->have_status && folder->status.messages == 0 &&
		folder->status.uidvalidity != 0 && !copy->params->verify;
}

bool mailshift_folder_copy_streams_whole(const struct mailshift_copy *copy,
					 const struct mailshift_source_folder *folder)
{
	return !folder->noselect && !folder_copied_before(copy, folder) &&
		!folder_empty_at_listing(copy, folder);
}

/* Open the old folder and its copy, bring the copies up to date and begin
   streaming what is new.  Returns 1 (step it), 0 when the folder is done
   with (*ret_r its result), -1 likewise. */
static int folder_begin(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	const struct mailshift_source_folder *folder = fc->folder;
	int ret;

	if (folder_empty_at_listing(copy, folder))
		fc->src_status = folder->status;
	else if ((ret = folder_open_source(fc)) <= 0)
		return ret;
	switch (folder_open_dest(fc)) {
	case -1:
		return -1;
	case 1:
		e_info(copy->params->dest_user->event,
		       "mailshift: folder %s was deleted or renamed on the new "
		       "server after it was copied; not bringing it back "
		       "(remove %s from ~/.mailshift-folders to copy it again)",
		       folder->map.dest_vname, folder->map.dest_vname);
		copy->progress.folders_deleted_here++;
		return 0;
	}
	if (fc->src_box == NULL) {
		if (!fc->state_found) {
			/* nothing here to bring up to date, nothing there to
			   copy */
			fc->begun = TRUE;
			return 0;
		}
		if ((ret = folder_open_source(fc)) <= 0)
			return ret;
	}
	fc->guid_prefix = mailshift_copy_guid_prefix(
		mailshift_copy_guid_name(copy, folder),
		fc->src_status.uidvalidity);
	if (fc->state.src_uidvalidity != fc->src_status.uidvalidity &&
	    fc->state_found && copy->params->add_only) {
		/* re-matching may expunge copies here: not after cutover */
		e_warning(copy->params->dest_user->event,
			  "mailshift: folder %s: the old server changed its "
			  "UIDVALIDITY after cutover; not sweeping it (copy "
			  "what is new there by hand, e.g. doveadm import)",
			  folder->map.src_vname);
		return 0;
	}
	if (fc->state.src_uidvalidity != fc->src_status.uidvalidity) {
		if (folder_rematch_uidvalidity(fc) < 0)
			return -1;
	} else {
		if (folder_recover_and_delta(fc) < 0)
			return -1;
	}
	fc->begun = TRUE;
	return folder_stream_begin(fc);
}

struct mailshift_folder_copy *
mailshift_folder_copy_begin(struct mailshift_copy *copy,
			    const struct mailshift_source_folder *folder,
			    int *ret_r)
{
	struct mailshift_folder_copy *fc;
	int ret;

	if (!copy->params->verify && folder_unchanged(copy, folder)) {
		copy->progress.msgs_done += folder->status.messages;
		copy->progress.folders_unchanged++;
		*ret_r = 0;
		return NULL;
	}

	fc = i_new(struct mailshift_folder_copy, 1);
	fc->copy = copy;
	fc->folder = folder;
	t_array_init(&fc->present_uids, 8);
	ret = folder_begin(fc);
	if (ret > 0)
		return fc;
	*ret_r = mailshift_folder_copy_end(&fc, ret);
	return NULL;
}

int mailshift_folder_copy_end(struct mailshift_folder_copy **_fc, int ret)
{
	struct mailshift_folder_copy *fc = *_fc;

	*_fc = NULL;
	ret = folder_stream_end(fc, ret);
	if (ret == 0 && fc->begun)
		ret = folder_finish(fc);
	if (ret == 0 && fc->begun && fc->copy->params->verify)
		ret = mailshift_copy_verify_folder(fc);
	if (fc->dest_t != NULL)
		mailbox_transaction_rollback(&fc->dest_t);
	if (fc->dest_box != NULL)
		mailbox_free(&fc->dest_box);
	if (fc->src_box != NULL)
		mailbox_free(&fc->src_box);
	if (array_is_created(&fc->saved_keys)) {
		array_free(&fc->saved_keys);
		pool_unref(&fc->saved_keys_pool);
	}
	i_free(fc);
	return ret;
}
