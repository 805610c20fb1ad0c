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
