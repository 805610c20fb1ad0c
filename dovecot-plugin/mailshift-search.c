/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "mail-search-build.h"
#include "mailshift-search.h"

struct mail_search_args *mailshift_search_uids_from(uint32_t first_uid)
{
	struct mail_search_args *args = mail_search_build_init();
	struct mail_search_arg *arg;

	arg = mail_search_build_add(args, SEARCH_UIDSET);
	p_array_init(&arg->value.seqset, args->pool, 1);
	seq_range_array_add_range(&arg->value.seqset, first_uid, (uint32_t)-1);
	return args;
}

struct mailshift_guid_iter {
	struct mail_search_context *search;
	bool failed;
};

struct mailshift_guid_iter *
mailshift_guid_iter_init(struct mailbox_transaction_context *t,
			 uint32_t first_uid,
			 enum mail_fetch_field fetch_fields)
{
	struct mailshift_guid_iter *iter = i_new(struct mailshift_guid_iter, 1);
	struct mail_search_args *args = mailshift_search_uids_from(first_uid);

	iter->search = mailbox_search_init(t, args, NULL,
					   fetch_fields | MAIL_FETCH_GUID, NULL);
	mail_search_args_unref(&args);
	return iter;
}

bool mailshift_guid_iter_next(struct mailshift_guid_iter *iter,
			      struct mail **mail_r, const char **guid_r)
{
	if (iter->failed || !mailbox_search_next(iter->search, mail_r))
		return FALSE;
	if (mail_get_special(*mail_r, MAIL_FETCH_GUID, guid_r) < 0) {
		iter->failed = TRUE;
		return FALSE;
	}
	return TRUE;
}

int mailshift_guid_iter_deinit(struct mailshift_guid_iter **_iter)
{
	struct mailshift_guid_iter *iter = *_iter;
	int ret = iter->failed ? -1 : 0;

	*_iter = NULL;
	if (mailbox_search_deinit(&iter->search) < 0)
		ret = -1;
	i_free(iter);
	return ret;
}
