/* Copyright (c) mailshift authors */

#include "lib.h"
#include "message-id.h"
#include "mail-user.h"
#include "mail-storage.h"
#include "mail-duplicate.h"
#include "mailshift-delivered.h"

/* keeps our records apart from Sieve's and vacation's in the same file */
#define MAILSHIFT_DELIVERED_KEY_PREFIX "mailshift-delivered:"

bool mailshift_delivered_window(const struct mailshift_login_stamp *stamp,
				time_t now, unsigned int sweep_secs)
{
	if (stamp == NULL)
		return FALSE;
	switch (stamp->state) {
	case MS_USER_STATE_FINAL_SYNC:
		return TRUE;
	case MS_USER_STATE_MIGRATED:
		/* for migrated, the stamp's time is the cutover's */
		return now - stamp->changed < (time_t)sweep_secs;
	default:
		return FALSE;
	}
}

const char *mailshift_delivered_key(struct mail *mail)
{
	const char *header, *msgid;

	if (mail_get_first_header(mail, "Message-ID", &header) <= 0)
		return NULL;
	msgid = message_id_get_next(&header);
	return msgid == NULL || *msgid == '\0' ? NULL : msgid;
}

static const char *mailshift_delivered_db_id(const char *key)
{
	return t_strconcat(MAILSHIFT_DELIVERED_KEY_PREFIX, key, NULL);
}

int mailshift_delivered_check(struct mail_duplicate_transaction *trans,
			      struct mail_user *user, const char *key)
{
	const char *id = mailshift_delivered_db_id(key);

	switch (mail_duplicate_check(trans, id, strlen(id), user->username)) {
	case MAIL_DUPLICATE_CHECK_RESULT_EXISTS:
		return 1;
	case MAIL_DUPLICATE_CHECK_RESULT_NOT_FOUND:
		return 0;
	case MAIL_DUPLICATE_CHECK_RESULT_IO_ERROR:
	case MAIL_DUPLICATE_CHECK_RESULT_LOCK_TIMEOUT:
	case MAIL_DUPLICATE_CHECK_RESULT_TOO_MANY_LOCKS:
	case MAIL_DUPLICATE_CHECK_RESULT_DEADLOCK:
		break;
	}
	e_warning(user->event, "mailshift: cannot tell whether this message "
		  "was delivered already (the duplicate database in the "
		  "user's home failed, see above); it is kept");
	return -1;
}

void mailshift_delivered_mark(struct mail_duplicate_transaction *trans,
			      struct mail_user *user, const char *key,
			      unsigned int sweep_secs)
{
	unsigned int keep = I_MAX(sweep_secs, MAIL_DUPLICATE_DEFAULT_KEEP);
	const char *id = mailshift_delivered_db_id(key);

	mail_duplicate_mark(trans, id, strlen(id), user->username,
			    time(NULL) + keep);
}
