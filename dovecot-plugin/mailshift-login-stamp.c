/* Copyright (c) mailshift authors */

#include "lib.h"
#include "str.h"
#include "strescape.h"
#include "mailshift-file.h"
#include "mailshift-login-stamp.h"

#define MAILSHIFT_LOGIN_STAMP_NAME ".mailshift-state"
#define MAILSHIFT_FAILED_RETRY_SECS 60

static const char *mailshift_login_stamp_path(const char *home)
{
	return t_strconcat(home, "/" MAILSHIFT_LOGIN_STAMP_NAME, NULL);
}

int mailshift_login_stamp_read(const char *home,
			       struct mailshift_login_stamp *stamp_r,
			       const char **error_r)
{
	const char *path = mailshift_login_stamp_path(home);
	const char *const *fields, *line;
	long long changed;
	int ret;

	i_zero(stamp_r);
	ret = mailshift_file_read_line(path, FALSE, &line, error_r);
	if (ret <= 0)
		return ret;
	/* <state> TAB <unix time> TAB inbox|- */
	fields = t_strsplit_tabescaped(line);
	if (str_array_length(fields) < 3 ||
	    !ms_user_state_from_str(fields[0], &stamp_r->state) ||
	    str_to_llong(fields[1], &changed) < 0) {
		*error_r = t_strdup_printf("%s is damaged (delete it; the next "
					   "login writes it again)", path);
		return -1;
	}
	stamp_r->changed = (time_t)changed;
	stamp_r->inbox_done = strcmp(fields[2], "inbox") == 0;
	return 1;
}

int mailshift_login_stamp_write(const char *home,
				const struct mailshift_login_stamp *stamp,
				const char **error_r)
{
	string_t *line = t_str_new(64);

	str_printfa(line, "%s\t%lld\t%s\n", ms_user_state_to_str(stamp->state),
		    (long long)stamp->changed,
		    stamp->inbox_done ? "inbox" : "-");
	return mailshift_file_replace(mailshift_login_stamp_path(home),
				      str_data(line), str_len(line), NULL,
				      FALSE, error_r);
}

bool mailshift_login_pass_due(const struct mailshift_login_stamp *stamp,
			      time_t now, unsigned int delta_interval_secs,
			      unsigned int lease_secs)
{
	if (stamp == NULL)
		return TRUE;
	switch (stamp->state) {
	case MS_USER_STATE_PENDING:
		return TRUE;
	case MS_USER_STATE_SYNCING:
		return now - stamp->changed > (time_t)lease_secs;
	case MS_USER_STATE_SYNCED:
		return now - stamp->changed >= (time_t)delta_interval_secs;
	case MS_USER_STATE_FAILED:
		return now - stamp->changed >= MAILSHIFT_FAILED_RETRY_SECS;
	case MS_USER_STATE_FINAL_SYNC:
	case MS_USER_STATE_MIGRATED:
		return FALSE;
	}
	return FALSE;
}
