/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "istream.h"
#include "mail-storage.h"
#include "mail-search-build.h"
#include "mailshift-copy-guid.h"
#include "mailshift-folder-state.h"
#include "mailshift-folder-recover.h"

static struct mail_search_args *
mailshift_recover_search_from(uint32_t first_uid)
{
	struct mail_search_args *args = mail_search_build_init();
	struct mail_search_arg *arg;

	arg = mail_search_build_add(args, SEARCH_UIDSET);
	p_array_init(&arg->value.seqset, args->pool, 1);
	seq_range_array_add_range(&arg->value.seqset, first_uid, (uint32_t)-1);
	return args;
}

static bool
mailshift_str_array_equal(const char *const *a, const char *const *b)
{
	unsigned int i;

	for (i = 0; a[i] != NULL && b[i] != NULL; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return FALSE;
	}
	return a[i] == NULL && b[i] == NULL;
}

/* A copy restored by the storage's crash recovery (sdbox, mdbox) has its
   body but not its flags, which live only in the index: give it the old
   message's flags and keywords, as the copy would have. */
static void
mailshift_recover_flags(struct mail *src_mail, struct mail *dest_mail)
{
	const char *const *src_keywords;
	struct mail_keywords *keywords;
	enum mail_flags flags;

	flags = mail_get_flags(src_mail) & ENUM_NEGATE(MAIL_RECENT);
	if ((mail_get_flags(dest_mail) & ENUM_NEGATE(MAIL_RECENT)) != flags)
		mail_update_flags(dest_mail, MODIFY_REPLACE, flags);
	src_keywords = mail_get_keywords(src_mail);
	if (!mailshift_str_array_equal(src_keywords,
				       mail_get_keywords(dest_mail))) {
		keywords = mailbox_keywords_create_valid(dest_mail->box,
							 src_keywords);
		mail_update_keywords(dest_mail, MODIFY_REPLACE, keywords);
		mailbox_keywords_unref(&keywords);
	}
}

int mailshift_folder_recover(struct mailbox *src_box, struct mailbox *dest_box,
			     const char *guid_prefix,
			     struct mailshift_folder_state *state,
			     bool state_found,
			     ARRAY_TYPE(seq_range) *present_uids,
			     struct event *event, const char **error_r)
{
	struct mailbox_transaction_context *t;
	struct mail_search_args *args;
	struct mail_search_context *search;
	struct mailbox_status dest_status;
	struct mail *mail;
	unsigned int claimed = 0, foreign = 0, renumbered = 0;
	uint32_t first_dest_uid;
	int ret = 0;

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

	struct mailbox_transaction_context *src_t;
	struct mail *src_mail;

	t = mailbox_transaction_begin(dest_box,
		MAILBOX_TRANSACTION_FLAG_EXTERNAL |
		MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, "mailshift recover");
	src_t = mailbox_transaction_begin(src_box, 0, "mailshift recover");
	src_mail = mail_alloc(src_t, MAIL_FETCH_FLAGS, NULL);
	args = mailshift_recover_search_from(first_dest_uid);
	search = mailbox_search_init(t, args, NULL,
				     MAIL_FETCH_GUID | MAIL_FETCH_FLAGS, NULL);
	mail_search_args_unref(&args);
	while (mailbox_search_next(search, &mail)) {
		const char *guid;
		uint32_t src_uid;

		if (mail_get_special(mail, MAIL_FETCH_GUID, &guid) < 0) {
			ret = -1;
			break;
		}
		if (!mailshift_copy_guid_parse(guid, guid_prefix, &src_uid)) {
			foreign++;
			continue;
		}
		if (src_uid <= state->src_last_uid) {
			/* a copy the state already counts */
			continue;
		}
		claimed++;
		seq_range_array_add(present_uids, src_uid);
		if (src_uid != mail->uid)
			renumbered++;
		if (mail_set_uid(src_mail, src_uid))
			mailshift_recover_flags(src_mail, mail);
	}
	if (mailbox_search_deinit(&search) < 0)
		ret = -1;
	mail_free(&src_mail);
	(void)mailbox_transaction_commit(&src_t);
	if (ret < 0)
		mailbox_transaction_rollback(&t);
	else if (mailbox_transaction_commit(&t) < 0)
		ret = -1;
	if (ret < 0) {
		*error_r = t_strdup_printf("new server: reading %s: %s",
			mailbox_get_vname(dest_box),
			mailbox_get_last_internal_error(dest_box, NULL));
		return -1;
	}

	if (claimed > 0) {
		e_warning(event, "mailshift: folder %s: found %u copied "
			  "messages the folder's state did not record (an "
			  "earlier pass was stopped, or the index was "
			  "rebuilt); they are not copied again",
			  mailbox_get_vname(dest_box), claimed);
	}
	if (!state_found) {
		/* No state: UIDs are still the old ones only if every
		   message here is a copy that kept its UID. */
		if (foreign == 0 && renumbered == 0 &&
		    dest_status.uidvalidity == state->src_uidvalidity)
			state->flags |= MAILSHIFT_FOLDER_UIDS_PRESERVED;
	} else if ((state->flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) != 0 &&
		   (renumbered > 0 || foreign > 0)) {
		e_warning(event, "mailshift: folder %s: UIDs can no longer "
			  "be kept equal to the old server's; IMAP clients "
			  "will re-download this folder",
			  mailbox_get_vname(dest_box));
		state->flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_UIDS_PRESERVED);
	}
	state->flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_BATCH_PENDING);
	state->pending_dest_uidnext = 0;
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
		mailshift_recover_flags(src_mail, dest_mail);
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
	struct mail_search_args *args;
	struct mail_search_context *search;
	struct mail *mail, *dest_mail, *src_mail;
	unsigned int i, count, expunged = 0;
	pool_t pool;
	int ret = 0;

	pool = pool_alloconly_create("mailshift dedupe", 4096);
	p_array_init(&copies, pool, 128);

	dest_t = mailbox_transaction_begin(dest_box,
		MAILBOX_TRANSACTION_FLAG_EXTERNAL |
		MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, "mailshift dedupe");
	args = mailshift_recover_search_from(1);
	search = mailbox_search_init(dest_t, args, NULL, MAIL_FETCH_GUID, NULL);
	mail_search_args_unref(&args);
	while (mailbox_search_next(search, &mail)) {
		struct mailshift_dedupe_copy *copy;
		const char *guid;
		uint32_t src_uid;

		if (mail_get_special(mail, MAIL_FETCH_GUID, &guid) < 0)
			continue;
		if (!mailshift_copy_guid_parse(guid, guid_prefix, &src_uid))
			continue;
		copy = array_append_space(&copies);
		copy->src_uid = src_uid;
		copy->dest_uid = mail->uid;
	}
	if (mailbox_search_deinit(&search) < 0)
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
	} else if (mailbox_transaction_commit(&dest_t) < 0) {
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
