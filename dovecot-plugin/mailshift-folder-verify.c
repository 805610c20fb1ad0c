/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "seq-range-array.h"
#include "mail-storage.h"
#include "mail-search.h"
#include "mailshift-search.h"
#include "mailshift-copy-guid.h"
#include "mailshift-folder-verify.h"

/* The old UIDs that have a copy in dest_box.  Returns 0 or -1. */
static int
mailshift_verify_copies(struct mailbox *dest_box, const char *guid_prefix,
			ARRAY_TYPE(seq_range) *here_uids)
{
	struct mailbox_transaction_context *t;
	struct mailshift_guid_iter *iter;
	struct mail *mail;
	const char *guid;
	uint32_t src_uid;
	int ret;

	t = mailbox_transaction_begin(dest_box, 0, "mailshift verify");
	iter = mailshift_guid_iter_init(t, 1, 0);
	while (mailshift_guid_iter_next(iter, &mail, &guid)) {
		if (mailshift_copy_guid_parse(guid, guid_prefix, &src_uid))
			seq_range_array_add(here_uids, src_uid);
	}
	ret = mailshift_guid_iter_deinit(&iter);
	(void)mailbox_transaction_commit(&t);
	return ret;
}

int mailshift_folder_verify(struct mailbox *src_box, struct mailbox *dest_box,
			    const char *guid_prefix,
			    const struct mailshift_folder_state *state,
			    struct mailshift_verify_counts *counts_r,
			    const char **error_r)
{
	struct mailbox_transaction_context *t;
	struct mail_search_args *args;
	struct mail_search_context *search;
	struct mail *mail;
	ARRAY_TYPE(seq_range) here_uids;
	int ret = 0;

	i_zero(counts_r);
	t_array_init(&here_uids, 16);
	if (mailbox_sync(dest_box, 0) < 0 ||
	    mailshift_verify_copies(dest_box, guid_prefix, &here_uids) < 0) {
		*error_r = t_strdup_printf("new server: verifying %s: %s",
			mailbox_get_vname(dest_box),
			mailbox_get_last_internal_error(dest_box, NULL));
		return -1;
	}
	/* after the copies: a message delivered to the old folder in
	   between must be seen, and so must count as missing */
	if (mailbox_sync(src_box, 0) < 0) {
		*error_r = t_strdup_printf("old server: verifying %s: %s",
			mailbox_get_vname(src_box),
			mailbox_get_last_internal_error(src_box, NULL));
		return -1;
	}

	/* imapc holds the old folder's UIDs since it was opened: this
	   costs no round trip */
	t = mailbox_transaction_begin(src_box, 0, "mailshift verify");
	args = mailshift_search_uids_from(1);
	search = mailbox_search_init(t, args, NULL, 0, NULL);
	mail_search_args_unref(&args);
	while (mailbox_search_next(search, &mail)) {
		counts_r->old_messages++;
		if (seq_range_exists(&here_uids, mail->uid))
			counts_r->here++;
		else if (mail->uid <= state->src_last_uid)
			counts_r->gone_here++;
		else if (counts_r->missing++ == 0)
			counts_r->first_missing_uid = mail->uid;
	}
	if (mailbox_search_deinit(&search) < 0) {
		*error_r = t_strdup_printf("old server: verifying %s: %s",
			mailbox_get_vname(src_box),
			mailbox_get_last_internal_error(src_box, NULL));
		ret = -1;
	}
	(void)mailbox_transaction_commit(&t);
	return ret;
}
