/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "mail-storage.h"
#include "mail-search.h"
#include "mailshift-search.h"
#include "mailshift-copy-guid.h"
#include "mailshift-folder-state.h"
#include "mailshift-folder-recover.h"
#include "mailshift-flag-baseline.h"
#include "mailshift-source-status.h"
#include "mailshift-removal.h"
#include "mailshift-folder-delta.h"

/* Without CONDSTORE: did the old message's flags change since the last
   pass?  Records what they are now with the copy, for the next pass. */
static bool mailshift_folder_old_flags_changed(struct mail *src_mail,
					       struct mail *dest_mail)
{
	struct mailshift_flag_baseline then, now;
	bool have, changed;

	mailshift_flag_baseline_of(src_mail, &now);
	have = mailshift_flag_baseline_get(dest_mail, &then);
	if (have)
		changed = !mailshift_flag_baseline_equal(&then, &now);
	else {
		/* none yet (copied by the last pass): the copy got the old
		   flags then, so a difference is the old server's change,
		   or the user's if they changed the copy since (the caller
		   keeps theirs) */
		changed = !mailshift_flags_equal(src_mail, dest_mail);
	}
	if (!have || changed)
		mailshift_flag_baseline_set(dest_mail, &now);
	return changed;
}

/* What the pass does with one copy (mail) of the old message src_uid. */
enum mailshift_delta_action {
	/* nothing changed on the old server since the last pass */
	MAILSHIFT_DELTA_NONE,
	/* changed there, but the user changed the copy here too */
	MAILSHIFT_DELTA_USERS,
	/* the old server changed its flags: apply them here */
	MAILSHIFT_DELTA_FLAGS,
	/* gone from the old server: expunge it here */
	MAILSHIFT_DELTA_EXPUNGE,
};

static enum mailshift_delta_action
mailshift_delta_decide(struct mail *src_mail, struct mail *mail,
		       uint32_t src_uid,
		       const struct mailshift_folder_state *state,
		       bool old_modseqs)
{
	bool on_old = mail_set_uid(src_mail, src_uid);
	bool new_changed = mail_get_modseq(mail) > state->dest_highest_modseq;
	/* With CONDSTORE on the old server, a message changed there since
	   the last pass has a higher MODSEQ; without it, flags that differ
	   from those the last pass saw there (mailshift-flag-baseline.h).
	   Either way a conflict the user won stays won on later passes. */
	bool old_changed = !on_old ||
		(old_modseqs ?
		 mail_get_modseq(src_mail) > state->src_highest_modseq :
		 mailshift_folder_old_flags_changed(src_mail, mail));

	if (!old_changed)
		return MAILSHIFT_DELTA_NONE;
	if (new_changed) {
		/* touched here since the last pass: the user's (a copy
		   already the same as the old message is no conflict) */
		if (!on_old || !mailshift_flags_equal(src_mail, mail))
			return MAILSHIFT_DELTA_USERS;
		return MAILSHIFT_DELTA_NONE;
	}
	return on_old ? MAILSHIFT_DELTA_FLAGS : MAILSHIFT_DELTA_EXPUNGE;
}

/* Expunge here the copies of old messages the old server lost, unless
   it lost so many of the folder's copies that it looks broken.  Returns
   0, or -1 with *error_r. */
static int
mailshift_delta_expunge(struct mailbox_transaction_context *dest_t,
			const ARRAY_TYPE(uint32_t) *expunge_uids,
			unsigned int copies, struct mailbox *src_box,
			struct mailshift_delta_counts *counts,
			const char **error_r)
{
	unsigned int n = array_count(expunge_uids);
	const uint32_t *uidp;
	struct mail *dest_mail;

	if (mailshift_removal_looks_broken(n, copies,
					   MAILSHIFT_REMOVAL_FEW_MESSAGES)) {
		*error_r = t_strdup_printf("old server: folder %s lost %u of "
			"the %u messages copied from it since the last pass; "
			"not expunging them here (check the old server; if "
			"they were really deleted, expunge them by hand)",
			mailbox_get_vname(src_box), n, copies);
		return -1;
	}
	dest_mail = mail_alloc(dest_t, 0, NULL);
	array_foreach(expunge_uids, uidp) {
		if (mail_set_uid(dest_mail, *uidp)) {
			mail_expunge(dest_mail);
			counts->expunged++;
		}
	}
	mail_free(&dest_mail);
	return 0;
}

int mailshift_folder_delta(struct mailbox *src_box, struct mailbox *dest_box,
			   const char *guid_prefix,
			   const struct mailshift_folder_state *state,
			   struct mailshift_delta_counts *counts,
			   const char **error_r)
{
	struct mailbox_transaction_context *dest_t, *src_t;
	struct mailshift_guid_iter *iter;
	struct mail *mail, *src_mail;
	const char *guid;
	ARRAY_TYPE(uint32_t) expunge_uids;
	unsigned int copies = 0;
	uint32_t src_uid;
	bool old_modseqs;
	int ret = 0;

	/* no baseline yet (first pass of this folder): nothing to compare */
	if (state->dest_highest_modseq == 0 || state->src_last_uid == 0)
		return 0;
	old_modseqs = state->src_highest_modseq != 0 &&
		mailshift_source_has_modseqs(src_box);

	dest_t = mailbox_transaction_begin(dest_box,
		/* not EXTERNAL: that would mark the change as already
		   made in the files, and maildir would never apply it */
		MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, "mailshift delta");
	src_t = mailbox_transaction_begin(src_box, 0, "mailshift delta");
	/* imapc already holds every old message's flags (and MODSEQ) from
	   opening the folder: looking them up costs no round trip */
	src_mail = mail_alloc(src_t, MAIL_FETCH_FLAGS, NULL);

	t_array_init(&expunge_uids, 16);
	iter = mailshift_guid_iter_init(dest_t, 1, MAIL_FETCH_FLAGS);
	while (mailshift_guid_iter_next(iter, &mail, &guid)) {
		if (!mailshift_copy_guid_parse(guid, guid_prefix, &src_uid) ||
		    src_uid > state->src_last_uid)
			continue;
		copies++;
		switch (mailshift_delta_decide(src_mail, mail, src_uid, state,
					       old_modseqs)) {
		case MAILSHIFT_DELTA_NONE:
			break;
		case MAILSHIFT_DELTA_USERS:
			counts->kept_new++;
			break;
		case MAILSHIFT_DELTA_FLAGS:
			if (mailshift_copy_flags(src_mail, mail))
				counts->flags_changed++;
			break;
		case MAILSHIFT_DELTA_EXPUNGE:
			array_push_back(&expunge_uids, &mail->uid);
			break;
		}
	}
	if (mailshift_guid_iter_deinit(&iter) < 0)
		ret = -1;
	mail_free(&src_mail);
	(void)mailbox_transaction_commit(&src_t);

	if (ret == 0 && mailshift_delta_expunge(dest_t, &expunge_uids, copies,
						src_box, counts,
						error_r) < 0) {
		mailbox_transaction_rollback(&dest_t);
		return -1;
	}
	if (ret < 0)
		mailbox_transaction_rollback(&dest_t);
	else if (mailbox_transaction_commit(&dest_t) < 0)
		ret = -1;
	if (ret < 0) {
		*error_r = t_strdup_printf("new server: updating %s: %s",
			mailbox_get_vname(dest_box),
			mailbox_get_last_internal_error(dest_box, NULL));
	}
	return ret;
}
