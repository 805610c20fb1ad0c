/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "istream.h"
#include "mail-storage.h"
#include "mail-search-build.h"
#include "mailshift-copy-guid.h"
#include "mailshift-search.h"
#include "mailshift-removal.h"
#include "mailshift-folder-state.h"
#include "mailshift-folder-recover.h"

bool mailshift_keywords_equal(const char *const *a, const char *const *b)
{
	if (str_array_length(a) != str_array_length(b))
		return FALSE;
	for (; *a != NULL; a++) {
		if (!str_array_find(b, *a))
			return FALSE;
	}
	return TRUE;
}

bool mailshift_flags_equal(struct mail *a, struct mail *b)
{
	return ((mail_get_flags(a) ^ mail_get_flags(b)) &
		ENUM_NEGATE(MAIL_RECENT)) == 0 &&
		mailshift_keywords_equal(mail_get_keywords(a),
					 mail_get_keywords(b));
}

bool mailshift_copy_flags(struct mail *src_mail, struct mail *dest_mail)
{
	const char *const *src_keywords;
	struct mail_keywords *keywords;
	enum mail_flags flags;
	bool changed = FALSE;

	flags = mail_get_flags(src_mail) & ENUM_NEGATE(MAIL_RECENT);
	if ((mail_get_flags(dest_mail) & ENUM_NEGATE(MAIL_RECENT)) != flags) {
		mail_update_flags(dest_mail, MODIFY_REPLACE, flags);
		changed = TRUE;
	}
	src_keywords = mail_get_keywords(src_mail);
	if (!mailshift_keywords_equal(src_keywords,
				       mail_get_keywords(dest_mail))) {
		keywords = mailbox_keywords_create_valid(dest_mail->box,
							 src_keywords);
		mail_update_keywords(dest_mail, MODIFY_REPLACE, keywords);
		mailbox_keywords_unref(&keywords);
		changed = TRUE;
	}
	return changed;
}

struct mailshift_recover_key {
	uint32_t uid;
	/* CRLF size: maildir stores LF, the old server counts CRLF */
	uoff_t vsize;
	const char *message_id, *date;
	bool matched;
};
ARRAY_DEFINE_TYPE(mailshift_recover_key, struct mailshift_recover_key);

static int
mailshift_recover_key(struct mail *mail, struct mailshift_recover_key *key_r)
{
	const char *value;

	i_zero(key_r);
	key_r->uid = mail->uid;
	if (mail_get_virtual_size(mail, &key_r->vsize) < 0 ||
	    mail_get_first_header(mail, "Message-ID", &value) < 0)
		return -1;
	key_r->message_id = t_strdup(value);
	if (mail_get_first_header(mail, "Date", &value) < 0)
		return -1;
	key_r->date = t_strdup(value);
	return 0;
}

/* Read the old messages above last_uid that present_uids does not hold,
   in UID order, with what recognises them and their flags */
static struct mail_search_context *
mailshift_recover_src_search(struct mailbox *src_box, uint32_t last_uid,
			     const ARRAY_TYPE(seq_range) *present_uids,
			     struct mailbox_transaction_context **t_r)
{
	static const char *const headers[] = { "Message-ID", "Date", NULL };
	struct mailbox_transaction_context *t;
	struct mailbox_header_lookup_ctx *wanted;
	struct mail_search_args *args;
	struct mail_search_context *search;

	t = mailbox_transaction_begin(src_box, 0, "mailshift recover");
	args = mailshift_search_uids_from(last_uid + 1);
	seq_range_array_remove_seq_range(&args->args->value.seqset,
					 present_uids);
	wanted = mailbox_header_lookup_init(src_box, headers);
	search = mailbox_search_init(t, args, NULL, MAIL_FETCH_VIRTUAL_SIZE |
				     MAIL_FETCH_FLAGS, wanted);
	mailbox_header_lookup_unref(&wanted);
	mail_search_args_unref(&args);
	*t_r = t;
	return search;
}

static int
mailshift_recover_src_search_end(struct mail_search_context **search,
				 struct mailbox_transaction_context **t)
{
	int ret = mailbox_search_deinit(search);

	(void)mailbox_transaction_commit(t);
	return ret;
}

/* The keys of every old message above last_uid not in present_uids */
static int
mailshift_recover_src_keys(struct mailbox *src_box, uint32_t last_uid,
			   const ARRAY_TYPE(seq_range) *present_uids,
			   ARRAY_TYPE(mailshift_recover_key) *keys)
{
	struct mailbox_transaction_context *t;
	struct mail_search_context *search;
	struct mail *mail;
	int ret = 0;

	search = mailshift_recover_src_search(src_box, last_uid, present_uids,
					      &t);
	while (mailbox_search_next(search, &mail)) {
		if (mailshift_recover_key(mail, array_append_space(keys)) < 0) {
			ret = -1;
			break;
		}
	}
	if (mailshift_recover_src_search_end(&search, &t) < 0)
		ret = -1;
	return ret;
}

/* Claim unknown copies for the old messages they hold, each old message
   at most one copy. */
struct mailshift_recover_match {
	ARRAY_TYPE(mailshift_recover_key) dest_keys;
	unsigned int unmatched;
	struct mail *dest_mail;
	ARRAY_TYPE(seq_range) *present_uids;
	unsigned int *renumbered;
};

static bool
mailshift_recover_keys_equal(const struct mailshift_recover_key *a,
			     const struct mailshift_recover_key *b)
{
	return a->vsize == b->vsize &&
		null_strcmp(a->message_id, b->message_id) == 0 &&
		null_strcmp(a->date, b->date) == 0;
}

static void
mailshift_recover_match_src(struct mailshift_recover_match *match,
			    struct mail *src_mail,
			    const struct mailshift_recover_key *src_key)
{
	struct mailshift_recover_key *dest_key;

	array_foreach_modifiable(&match->dest_keys, dest_key) {
		if (dest_key->matched ||
		    !mailshift_recover_keys_equal(src_key, dest_key))
			continue;
		dest_key->matched = TRUE;
		match->unmatched--;
		seq_range_array_add(match->present_uids, src_key->uid);
		if (src_key->uid != dest_key->uid)
			(*match->renumbered)++;
		if (mail_set_uid(match->dest_mail, dest_key->uid))
			(void)mailshift_copy_flags(src_mail, match->dest_mail);
		return;
	}
}

/* maildir keeps a save's GUID only in its uidlist, which a killed commit
   may not have written: then the batch's files carry no GUID, and they
   are recognised by content (size, Message-ID, Date).  Their originals
   are old messages above last_uid that no GUID claimed: the old folder is
   read from there in UID order until every unknown copy is claimed (a
   batch is at most mailshift_commit_interval messages, but several
   stopped passes, each recovering the one before, can leave more, and
   out of order: maildir renames a batch's files in name order) or it
   ends (mail delivered here matches nothing).  Returns the number
   claimed, or -1 on an old-server error. */
static int
mailshift_recover_by_content(struct mailbox *src_box, struct mail *dest_mail,
			     uint32_t last_uid,
			     const ARRAY_TYPE(uint32_t) *unknown_uids,
			     ARRAY_TYPE(seq_range) *present_uids,
			     unsigned int *renumbered)
{
	struct mailshift_recover_match match;
	struct mailbox_transaction_context *t;
	struct mail_search_context *search;
	struct mail *mail;
	const uint32_t *uidp;
	unsigned int count;
	int ret = 0;

	i_zero(&match);
	match.dest_mail = dest_mail;
	match.present_uids = present_uids;
	match.renumbered = renumbered;
	t_array_init(&match.dest_keys, array_count(unknown_uids));
	array_foreach(unknown_uids, uidp) {
		struct mailshift_recover_key key;

		if (mail_set_uid(dest_mail, *uidp) &&
		    mailshift_recover_key(dest_mail, &key) == 0)
			array_push_back(&match.dest_keys, &key);
	}
	count = match.unmatched = array_count(&match.dest_keys);
	if (count == 0)
		return 0;

	search = mailshift_recover_src_search(src_box, last_uid, present_uids,
					      &t);
	while (match.unmatched > 0 && mailbox_search_next(search, &mail)) {
		T_BEGIN {
			struct mailshift_recover_key src_key;

			if (mailshift_recover_key(mail, &src_key) < 0)
				ret = -1;
			else
				mailshift_recover_match_src(&match, mail,
							    &src_key);
		} T_END;
		if (ret < 0)
			break;
	}
	if (mailshift_recover_src_search_end(&search, &t) < 0)
		ret = -1;
	return ret < 0 ? -1 : (int)(count - match.unmatched);
}

/* What a recovery found among the new folder's messages. */
struct mailshift_recover_counts {
	/* copies of old messages the state did not count */
	unsigned int claimed;
	/* messages that are no copy of this old folder's */
	unsigned int foreign;
	/* copies whose UID here is not the old one */
	unsigned int renumbered;
};

/* Walk the new folder's messages from first_dest_uid on: those whose GUID
   names an old message the state does not count are claimed (into
   present_uids, with the old flags), the others without such a GUID are
   matched by content where a state exists.  Returns 0, -1 with the new
   server's error, -2 with *error_r. */
static int
mailshift_recover_claim(struct mailbox *src_box, struct mailbox *dest_box,
			struct mailbox_transaction_context *t,
			const char *guid_prefix,
			const struct mailshift_folder_state *state,
			bool state_found, uint32_t first_dest_uid,
			ARRAY_TYPE(seq_range) *present_uids,
			struct mailshift_recover_counts *counts,
			const char **error_r)
{
	ARRAY_TYPE(uint32_t) unknown_uids;
	struct mailbox_transaction_context *src_t;
	struct mailshift_guid_iter *iter;
	struct mail *mail, *src_mail;
	const char *guid;
	uint32_t src_uid;
	int ret = 0;

	t_array_init(&unknown_uids, 8);
	src_t = mailbox_transaction_begin(src_box, 0, "mailshift recover");
	src_mail = mail_alloc(src_t, MAIL_FETCH_FLAGS, NULL);
	iter = mailshift_guid_iter_init(t, first_dest_uid, MAIL_FETCH_FLAGS);
	while (mailshift_guid_iter_next(iter, &mail, &guid)) {
		if (!mailshift_copy_guid_parse(guid, guid_prefix, &src_uid)) {
			if (state_found)
				array_push_back(&unknown_uids, &mail->uid);
			else
				counts->foreign++;
			continue;
		}
		if (src_uid <= state->src_last_uid) {
			/* a copy the state already counts */
			continue;
		}
		counts->claimed++;
		seq_range_array_add(present_uids, src_uid);
		if (src_uid != mail->uid)
			counts->renumbered++;
		if (mail_set_uid(src_mail, src_uid))
			(void)mailshift_copy_flags(src_mail, mail);
	}
	if (mailshift_guid_iter_deinit(&iter) < 0)
		ret = -1;
	if (ret == 0 && array_count(&unknown_uids) > 0) {
		struct mail *dest_mail = mail_alloc(t, MAIL_FETCH_VIRTUAL_SIZE,
						    NULL);
		int n = mailshift_recover_by_content(src_box, dest_mail,
			state->src_last_uid, &unknown_uids, present_uids,
			&counts->renumbered);
		mail_free(&dest_mail);
		if (n < 0) {
			*error_r = t_strdup_printf("old server: reading %s: %s",
				mailbox_get_vname(src_box),
				mailbox_get_last_internal_error(src_box, NULL));
			ret = -2;
		} else {
			counts->claimed += n;
			counts->foreign += array_count(&unknown_uids) - n;
		}
	}
	mail_free(&src_mail);
	(void)mailbox_transaction_commit(&src_t);
	return ret;
}

/* What a recovery means for the folder's state and what the admin is
   told: whether its UIDs are still the old ones, and no pending batch. */
static void
mailshift_recover_conclude(struct mailbox *dest_box,
			   const struct mailbox_status *dest_status,
			   const struct mailshift_recover_counts *counts,
			   struct mailshift_folder_state *state,
			   bool state_found, struct event *event)
{
	if (counts->claimed > 0) {
		e_warning(event, "mailshift: folder %s: found %u copied "
			  "messages the folder's state did not record (an "
			  "earlier pass was stopped, or the index was "
			  "rebuilt); they are not copied again",
			  mailbox_get_vname(dest_box), counts->claimed);
	}
	if (!state_found) {
		/* No state: UIDs are still the old ones only if every
		   message here is a copy that kept its UID. */
		if (counts->foreign == 0 && counts->renumbered == 0 &&
		    dest_status->uidvalidity == state->src_uidvalidity)
			state->flags |= MAILSHIFT_FOLDER_UIDS_PRESERVED;
	} else if ((state->flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) != 0 &&
		   (counts->renumbered > 0 || counts->foreign > 0)) {
		e_warning(event, "mailshift: folder %s: UIDs can no longer "
			  "be kept equal to the old server's; IMAP clients "
			  "will re-download this folder",
			  mailbox_get_vname(dest_box));
		state->flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_UIDS_PRESERVED);
	}
	state->flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_BATCH_PENDING);
	state->pending_dest_uidnext = 0;
}

int mailshift_folder_recover(struct mailbox *src_box, struct mailbox *dest_box,
			     const char *guid_prefix,
			     struct mailshift_folder_state *state,
			     bool state_found,
			     ARRAY_TYPE(seq_range) *present_uids,
			     struct event *event, const char **error_r)
{
	struct mailshift_recover_counts counts;
	struct mailbox_transaction_context *t;
	struct mailbox_status dest_status;
	uint32_t first_dest_uid;
	int ret;

	mailbox_get_open_status(dest_box, STATUS_MESSAGES | STATUS_UIDVALIDITY,
				&dest_status);
	if (state_found &&
	    (state->flags & MAILSHIFT_FOLDER_BATCH_PENDING) == 0)
		return 0;
	if (!state_found && dest_status.messages == 0)
		return 0;
	/* with a pending batch only what arrived since it began can be ours
	   and unrecorded; without a state, anything can */
	first_dest_uid = state_found ? state->pending_dest_uidnext : 1;

	i_zero(&counts);
	t = mailbox_transaction_begin(dest_box,
		/* not EXTERNAL: that would mark the change as already
		   made in the files, and maildir would never apply it */
		MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, "mailshift recover");
	ret = mailshift_recover_claim(src_box, dest_box, t, guid_prefix, state,
				      state_found, first_dest_uid,
				      present_uids, &counts, error_r);
	if (ret < 0)
		mailbox_transaction_rollback(&t);
	else if (mailbox_transaction_commit(&t) < 0)
		ret = -1;
	if (ret == -1) {
		*error_r = t_strdup_printf("new server: reading %s: %s",
			mailbox_get_vname(dest_box),
			mailbox_get_last_internal_error(dest_box, NULL));
	}
	if (ret < 0)
		return -1;
	mailshift_recover_conclude(dest_box, &dest_status, &counts, state,
				   state_found, event);
	return 0;
}

struct mailshift_dedupe_copy {
	uint32_t src_uid;
	uint32_t dest_uid;
};

static int mailshift_dedupe_copy_cmp(const struct mailshift_dedupe_copy *a,
				     const struct mailshift_dedupe_copy *b)
{
	if (a->src_uid != b->src_uid)
		return a->src_uid < b->src_uid ? -1 : 1;
	return a->dest_uid < b->dest_uid ? -1 :
		(a->dest_uid > b->dest_uid ? 1 : 0);
}

/* A copy restored by crash recovery may be cut short or have a broken
   header: only one that reads to the end counts as intact. */
static bool mailshift_dedupe_readable(struct mail *mail, uoff_t *vsize_r)
{
	struct istream *input;
	const unsigned char *data;
	size_t size;

	if (mail_get_stream(mail, NULL, NULL, &input) < 0)
		return FALSE;
	while (i_stream_read_more(input, &data, &size) > 0)
		i_stream_skip(input, size);
	if (input->stream_errno != 0)
		return FALSE;
	return mail_get_virtual_size(mail, vsize_r) == 0;
}

/* Of the copies [first, first+count) of one old message, expunge all but
   one whose size is the old message's.  Returns how many were expunged. */
static unsigned int
mailshift_dedupe_group(struct mail *src_mail, struct mail *dest_mail,
		       const struct mailshift_dedupe_copy *first,
		       unsigned int count)
{
	uoff_t src_size, dest_size;
	unsigned int i, keep = count, expunged = 0;

	if (!mail_set_uid(src_mail, first->src_uid) ||
	    mail_get_virtual_size(src_mail, &src_size) < 0)
		return 0;
	for (i = 0; i < count && keep == count; i++) {
		if (mail_set_uid(dest_mail, first[i].dest_uid) &&
		    mailshift_dedupe_readable(dest_mail, &dest_size) &&
		    dest_size == src_size)
			keep = i;
	}
	if (keep == count) {
		/* no intact copy: keep them all rather than guess */
		return 0;
	}
	if (mail_set_uid(dest_mail, first[keep].dest_uid))
		(void)mailshift_copy_flags(src_mail, dest_mail);
	for (i = 0; i < count; i++) {
		if (i != keep && mail_set_uid(dest_mail, first[i].dest_uid)) {
			mail_expunge(dest_mail);
			expunged++;
		}
	}
	return expunged;
}

int mailshift_folder_dedupe(struct mailbox *src_box, struct mailbox *dest_box,
			    const char *guid_prefix, struct event *event,
			    const char **error_r)
{
	ARRAY(struct mailshift_dedupe_copy) copies;
	const struct mailshift_dedupe_copy *c;
	struct mailbox_transaction_context *dest_t, *src_t;
	struct mailshift_guid_iter *iter;
	struct mail *mail, *dest_mail, *src_mail;
	const char *guid;
	unsigned int i, count, expunged = 0;
	pool_t pool;
	int ret = 0;

	pool = pool_alloconly_create("mailshift dedupe", 4096);
	p_array_init(&copies, pool, 128);

	dest_t = mailbox_transaction_begin(dest_box,
		/* not EXTERNAL: that would mark the change as already
		   made in the files, and maildir would never apply it */
		MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, "mailshift dedupe");
	iter = mailshift_guid_iter_init(dest_t, 1, 0);
	while (mailshift_guid_iter_next(iter, &mail, &guid)) {
		struct mailshift_dedupe_copy *copy;
		uint32_t src_uid;

		if (!mailshift_copy_guid_parse(guid, guid_prefix, &src_uid))
			continue;
		copy = array_append_space(&copies);
		copy->src_uid = src_uid;
		copy->dest_uid = mail->uid;
	}
	if (mailshift_guid_iter_deinit(&iter) < 0)
		ret = -1;

	array_sort(&copies, mailshift_dedupe_copy_cmp);
	c = array_get(&copies, &count);
	src_t = mailbox_transaction_begin(src_box, 0, "mailshift dedupe");
	src_mail = mail_alloc(src_t, MAIL_FETCH_VIRTUAL_SIZE |
			      MAIL_FETCH_FLAGS, NULL);
	dest_mail = mail_alloc(dest_t, MAIL_FETCH_VIRTUAL_SIZE |
			       MAIL_FETCH_FLAGS, NULL);
	for (i = 0; ret == 0 && i < count; ) {
		unsigned int n = 1;

		while (i + n < count && c[i + n].src_uid == c[i].src_uid)
			n++;
		if (n > 1) {
			expunged += mailshift_dedupe_group(src_mail, dest_mail,
							   &c[i], n);
		}
		i += n;
	}
	mail_free(&dest_mail);
	mail_free(&src_mail);
	(void)mailbox_transaction_commit(&src_t);
	if (ret < 0) {
		mailbox_transaction_rollback(&dest_t);
	} else if (mailbox_transaction_commit(&dest_t) < 0 ||
		   mailbox_sync(dest_box, 0) < 0) {
		/* the sync carries the expunges into maildir's files */
		ret = -1;
	}
	if (ret < 0) {
		*error_r = t_strdup_printf("new server: checking %s for "
			"duplicate copies: %s", mailbox_get_vname(dest_box),
			mailbox_get_last_internal_error(dest_box, NULL));
	} else if (expunged > 0) {
		e_warning(event, "mailshift: folder %s: removed %u extra "
			  "copies that the storage's crash recovery had "
			  "restored", mailbox_get_vname(dest_box), expunged);
	}
	pool_unref(&pool);
	return ret < 0 ? -1 : (int)expunged;
}

/* Copies here named by the old UIDVALIDITY's prefix (old_copies), and
   the old UIDs the new one's already name (present_uids).  Returns 0 or
   -1 with the new server's error. */
static int
mailshift_rematch_copies(struct mailbox_transaction_context *dest_t,
			 const char *old_prefix, const char *new_prefix,
			 uint64_t dest_highest_modseq,
			 ARRAY_TYPE(mailshift_recover_key) *old_copies,
			 ARRAY_TYPE(seq_range) *present_uids)
{
	struct mailshift_recover_key *copy;
	struct mailshift_guid_iter *iter;
	struct mail *mail;
	const char *guid;
	uint32_t uid;
	int ret = 0;

	iter = mailshift_guid_iter_init(dest_t, 1, MAIL_FETCH_VIRTUAL_SIZE);
	while (ret == 0 && mailshift_guid_iter_next(iter, &mail, &guid)) {
		if (mailshift_copy_guid_parse(guid, new_prefix, &uid)) {
			seq_range_array_add(present_uids, uid);
			continue;
		}
		if (!mailshift_copy_guid_parse(guid, old_prefix, &uid))
			continue;
		copy = array_append_space(old_copies);
		if (mailshift_recover_key(mail, copy) < 0)
			ret = -1;
		/* here the key's uid is the new side's, and "matched" says
		   the user changed the copy since the last pass: keep it
		   even if its original is gone */
		copy->matched = mail_get_modseq(mail) > dest_highest_modseq;
	}
	if (mailshift_guid_iter_deinit(&iter) < 0)
		ret = -1;
	return ret;
}

/* Expunge the old copies whose original left the old server (neither
   matched nor changed by the user), unless so many left that the old
   server looks broken.  Returns 0, or -1 with *error_r. */
static int
mailshift_rematch_expunge(struct mailbox_transaction_context *dest_t,
			  struct mailbox *src_box,
			  const ARRAY_TYPE(mailshift_recover_key) *old_copies,
			  unsigned int *expunged_r, const char **error_r)
{
	const struct mailshift_recover_key *copy;
	unsigned int n_unmatched = 0;
	struct mail *mail;

	array_foreach(old_copies, copy) {
		if (copy->uid != 0 && !copy->matched)
			n_unmatched++;
	}
	if (mailshift_removal_looks_broken(n_unmatched,
					   array_count(old_copies),
					   MAILSHIFT_REMOVAL_FEW_MESSAGES)) {
		*error_r = t_strdup_printf("old server: folder %s was "
			"re-created and %u of the %u messages copied from it "
			"are no longer there; not expunging them here (check "
			"the old server; if they were really deleted, expunge "
			"them by hand)", mailbox_get_vname(src_box),
			n_unmatched, array_count(old_copies));
		return -1;
	}
	mail = mail_alloc(dest_t, 0, NULL);
	array_foreach(old_copies, copy) {
		if (copy->uid != 0 && !copy->matched &&
		    mail_set_uid(mail, copy->uid)) {
			mail_expunge(mail);
			(*expunged_r)++;
		}
	}
	mail_free(&mail);
	return 0;
}

int mailshift_folder_rematch(struct mailbox *src_box, struct mailbox *dest_box,
			     const char *old_prefix, const char *new_prefix,
			     uint64_t dest_highest_modseq,
			     ARRAY_TYPE(seq_range) *present_uids,
			     unsigned int *matched_r, unsigned int *expunged_r,
			     const char **error_r)
{
	ARRAY_TYPE(mailshift_recover_key) old_copies, src_keys;
	struct mailshift_recover_key *copy, *src_key;
	struct mailbox_transaction_context *dest_t;

	*matched_r = *expunged_r = 0;
	t_array_init(&old_copies, 64);
	t_array_init(&src_keys, 64);

	dest_t = mailbox_transaction_begin(dest_box,
		MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, "mailshift rematch");
	if (mailshift_rematch_copies(dest_t, old_prefix, new_prefix,
				     dest_highest_modseq, &old_copies,
				     present_uids) < 0) {
		*error_r = t_strdup_printf("new server: reading %s: %s",
			mailbox_get_vname(dest_box),
			mailbox_get_last_internal_error(dest_box, NULL));
		mailbox_transaction_rollback(&dest_t);
		return -1;
	}

	/* every old message not yet claimed by a new-style GUID */
	if (array_count(&old_copies) > 0 &&
	    mailshift_recover_src_keys(src_box, 0, present_uids,
				       &src_keys) < 0) {
		*error_r = t_strdup_printf("old server: reading %s: %s",
			mailbox_get_vname(src_box),
			mailbox_get_last_internal_error(src_box, NULL));
		mailbox_transaction_rollback(&dest_t);
		return -1;
	}
	array_foreach_modifiable(&src_keys, src_key) {
		array_foreach_modifiable(&old_copies, copy) {
			if (copy->uid == 0 ||
			    !mailshift_recover_keys_equal(copy, src_key))
				continue;
			/* claimed: uid 0 marks it taken */
			copy->uid = 0;
			seq_range_array_add(present_uids, src_key->uid);
			(*matched_r)++;
			break;
		}
	}

	if (mailshift_rematch_expunge(dest_t, src_box, &old_copies,
				      expunged_r, error_r) < 0) {
		mailbox_transaction_rollback(&dest_t);
		return -1;
	}
	if (mailbox_transaction_commit(&dest_t) < 0) {
		*error_r = t_strdup_printf("new server: expunging from %s: %s",
			mailbox_get_vname(dest_box),
			mailbox_get_last_internal_error(dest_box, NULL));
		return -1;
	}
	return 0;
}
