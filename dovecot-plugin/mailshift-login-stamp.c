/* Copyright (c) mailshift authors */

#include "lib.h"
#include "str.h"
#include "strescape.h"
#include "mailshift-file.h"
#include "mailshift-login-stamp.h"

#include <fcntl.h>
#include <unistd.h>

#define MAILSHIFT_LOGIN_STAMP_NAME ".mailshift-state"
/* Each stamp is written over the last in place, always this long (the
   line is padded with a fourth field): renaming a new file over the old
   one made ext4 start writing it out at once (auto_da_alloc), a cost
   each pass paid at every stamp (bench/README.md).  A reader never finds the file short; reading
   during a write it may get a line mixing two stamps, and reads again. */
#define MAILSHIFT_LOGIN_STAMP_SIZE 64
#define MAILSHIFT_FAILED_RETRY_SECS 60

static const char *mailshift_login_stamp_path(const char *home)
{
	return t_strconcat(home, "/" MAILSHIFT_LOGIN_STAMP_NAME, NULL);
}

static int
mailshift_login_stamp_parse(const char *line,
			    struct mailshift_login_stamp *stamp_r)
{
	const char *const *fields;
	long long changed;

	/* <state> TAB <unix time> TAB inbox|- [TAB <padding>] */
	fields = t_strsplit_tabescaped(line);
	if (str_array_length(fields) < 3 ||
	    !ms_user_state_from_str(fields[0], &stamp_r->state) ||
	    str_to_llong(fields[1], &changed) < 0)
		return -1;
	stamp_r->changed = (time_t)changed;
	stamp_r->inbox_done = strcmp(fields[2], "inbox") == 0;
	return 0;
}

int mailshift_login_stamp_read(const char *home,
			       struct mailshift_login_stamp *stamp_r,
			       const char **error_r)
{
	const char *path = mailshift_login_stamp_path(home);
	const char *line;
	unsigned int tries;
	int ret;

	i_zero(stamp_r);
	for (tries = 0; tries < 2; tries++) {
		ret = mailshift_file_read_line(path, FALSE, &line, error_r);
		if (ret <= 0)
			return ret;
		if (mailshift_login_stamp_parse(line, stamp_r) == 0)
			return 1;
	}
	*error_r = t_strdup_printf("%s is damaged (delete it; the next "
				   "login writes it again)", path);
	return -1;
}

int mailshift_login_stamp_write(const char *home,
				const struct mailshift_login_stamp *stamp,
				const char **error_r)
{
	const char *path = mailshift_login_stamp_path(home);
	string_t *line = t_str_new(MAILSHIFT_LOGIN_STAMP_SIZE);
	ssize_t ret;
	int fd;

	str_printfa(line, "%s\t%lld\t%s\t", ms_user_state_to_str(stamp->state),
		    (long long)stamp->changed,
		    stamp->inbox_done ? "inbox" : "-");
	i_assert(str_len(line) < MAILSHIFT_LOGIN_STAMP_SIZE);
	while (str_len(line) < MAILSHIFT_LOGIN_STAMP_SIZE - 1)
		str_append_c(line, ' ');
	str_append_c(line, '\n');

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	ret = pwrite(fd, str_data(line), str_len(line), 0);
	if (ret != (ssize_t)str_len(line)) {
		if (ret >= 0)
			errno = ENOSPC;
		*error_r = t_strdup_printf("write(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	i_close_fd(&fd);
	return 0;
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
