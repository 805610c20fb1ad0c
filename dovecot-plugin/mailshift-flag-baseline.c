/* Copyright (c) mailshift authors */

#include "lib.h"
#include "crc32.h"
#include "mail-storage-private.h"
#include "mailshift-flag-baseline.h"

static uint32_t mailshift_flag_baseline_ext_id(struct mailbox *box)
{
	return mail_index_ext_register(box->index, "mailshift-oldflags", 0,
				       sizeof(struct mailshift_flag_baseline),
				       sizeof(uint32_t));
}

void mailshift_flag_baseline_of(struct mail *src_mail,
				struct mailshift_flag_baseline *baseline_r)
{
	const char *const *keywords = mail_get_keywords(src_mail);

	i_zero(baseline_r);
	baseline_r->flags = mail_get_flags(src_mail) & ENUM_NEGATE(MAIL_RECENT);
	baseline_r->set = 1;
	/* XOR: the same set of names in any order hashes the same */
	for (; *keywords != NULL; keywords++)
		baseline_r->keywords_hash ^= crc32_str(*keywords);
}

bool mailshift_flag_baseline_get(struct mail *dest_mail,
				 struct mailshift_flag_baseline *baseline_r)
{
	struct mailbox *box = dest_mail->box;
	const void *data;
	bool expunged;

	i_zero(baseline_r);
	mail_index_lookup_ext(dest_mail->transaction->view, dest_mail->seq,
			      mailshift_flag_baseline_ext_id(box), &data,
			      &expunged);
	if (data == NULL)
		return FALSE;
	memcpy(baseline_r, data, sizeof(*baseline_r));
	return baseline_r->set != 0;
}

void mailshift_flag_baseline_set(struct mail *dest_mail,
				 const struct mailshift_flag_baseline *baseline)
{
	mail_index_update_ext(dest_mail->transaction->itrans, dest_mail->seq,
			      mailshift_flag_baseline_ext_id(dest_mail->box),
			      baseline, NULL);
}

bool mailshift_flag_baseline_equal(const struct mailshift_flag_baseline *a,
				   const struct mailshift_flag_baseline *b)
{
	return a->flags == b->flags && a->keywords_hash == b->keywords_hash;
}
