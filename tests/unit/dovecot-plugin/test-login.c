/* What a login decides and what it keeps: mailshift-login-stamp.c (is a
   pass due?), mailshift-delivered.c (is a delivery within a cutover?),
   mailshift-credentials.c (captured passwords at rest, in a
   directory of root's: mailshift-file.c) and mailshift-local-passwd.c
   (the carried-over hash). */

#include "lib.h"
#include "unlink-directory.h"
#include "test-common.h"
#include "mailshift-login-stamp.h"
#include "mailshift-delivered.h"
#include "mailshift-credentials.h"
#include "mailshift-file.h"
#include "mailshift-local-passwd.h"

#include <crypt.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1800000000
#define INTERVAL 900
#define LEASE 300
#define SWEEP_PERIOD 7200

static const char *tmpdir;

static bool due(enum ms_user_state state, time_t age)
{
	struct mailshift_login_stamp stamp = {
		.state = state, .changed = NOW - age,
	};
	return mailshift_login_pass_due(&stamp, NOW, INTERVAL, LEASE);
}

static void test_pass_due(void)
{
	test_begin("a login starts a pass only when one is due");
	test_assert(mailshift_login_pass_due(NULL, NOW, INTERVAL, LEASE));
	test_assert(due(MS_USER_STATE_PENDING, 0));
	/* a running pass is left alone until its lease ran out */
	test_assert(!due(MS_USER_STATE_SYNCING, LEASE));
	test_assert(due(MS_USER_STATE_SYNCING, LEASE + 1));
	/* deltas at most once per interval */
	test_assert(!due(MS_USER_STATE_SYNCED, INTERVAL - 1));
	test_assert(due(MS_USER_STATE_SYNCED, INTERVAL));
	/* a failure is retried soon: the user may have fixed a password */
	test_assert(!due(MS_USER_STATE_FAILED, 59));
	test_assert(due(MS_USER_STATE_FAILED, 60));
	/* the cutover owns these */
	test_assert(!due(MS_USER_STATE_FINAL_SYNC, 100000));
	test_assert(!due(MS_USER_STATE_MIGRATED, 100000));
	test_end();
}

static bool in_cutover(enum ms_user_state state, time_t age)
{
	struct mailshift_login_stamp stamp = {
		.state = state, .changed = NOW - age,
	};
	return mailshift_delivered_window(&stamp, NOW, SWEEP_PERIOD);
}

static void test_delivered_window(void)
{
	struct mailshift_login_stamp migrated = {
		.state = MS_USER_STATE_MIGRATED, .changed = NOW,
	};
	enum ms_user_state state;

	test_begin("deliveries keep one copy from the hold to the sweeps' end");
	test_assert(!mailshift_delivered_window(NULL, NOW, SWEEP_PERIOD));
	for (state = MS_USER_STATE_PENDING; state <= MS_USER_STATE_FAILED;
	     state++) {
		if (state != MS_USER_STATE_FINAL_SYNC &&
		    state != MS_USER_STATE_MIGRATED)
			test_assert(!in_cutover(state, 0));
	}
	test_assert(in_cutover(MS_USER_STATE_FINAL_SYNC, 100000));
	/* migrated: the stamp's time is the cutover's */
	test_assert(in_cutover(MS_USER_STATE_MIGRATED, 0));
	test_assert(in_cutover(MS_USER_STATE_MIGRATED, SWEEP_PERIOD - 1));
	test_assert(!in_cutover(MS_USER_STATE_MIGRATED, SWEEP_PERIOD));
	/* no sweeps, no window */
	test_assert(!mailshift_delivered_window(&migrated, NOW, 0));
	test_end();
}

static void test_stamp_round_trip(void)
{
	struct mailshift_login_stamp in = {
		.state = MS_USER_STATE_SYNCING, .changed = NOW,
		.inbox_done = TRUE,
	}, out;
	const char *error, *path;
	int fd;

	test_begin("the login stamp reads back what was written");
	test_assert(mailshift_login_stamp_read(tmpdir, &out, &error) == 0);
	test_assert(mailshift_login_stamp_write(tmpdir, &in, &error) == 0);
	test_assert(mailshift_login_stamp_read(tmpdir, &out, &error) == 1);
	test_assert(out.state == in.state && out.changed == in.changed &&
		    out.inbox_done);
	/* damage is an error, never "pending" (which would start passes) */
	path = t_strconcat(tmpdir, "/.mailshift-state", NULL);
	fd = open(path, O_WRONLY | O_TRUNC);
	test_assert(fd != -1 && write(fd, "junk\n", 5) == 5);
	i_close_fd(&fd);
	test_assert(mailshift_login_stamp_read(tmpdir, &out, &error) == -1);
	i_unlink(path);
	test_end();
}

static void test_stamp_written_in_place(void)
{
	struct mailshift_login_stamp first = {
		.state = MS_USER_STATE_FINAL_SYNC, .changed = NOW,
		.inbox_done = TRUE,
	}, second = {
		.state = MS_USER_STATE_FAILED, .changed = 7,
	}, out;
	const char *error, *path;
	struct stat st1, st2;
	int fd;

	test_begin("a stamp replaces the last in place, at one length");
	path = t_strconcat(tmpdir, "/.mailshift-state", NULL);
	test_assert(mailshift_login_stamp_write(tmpdir, &first, &error) == 0);
	test_assert(stat(path, &st1) == 0);
	test_assert(mailshift_login_stamp_write(tmpdir, &second, &error) == 0);
	test_assert(stat(path, &st2) == 0);
	/* no rename: the same file, no bytes of the longer stamp left */
	test_assert(st1.st_ino == st2.st_ino && st1.st_size == st2.st_size);
	test_assert(mailshift_login_stamp_read(tmpdir, &out, &error) == 1);
	test_assert(out.state == MS_USER_STATE_FAILED && out.changed == 7 &&
		    !out.inbox_done);
	test_assert((st2.st_mode & 0777) == 0600);
	i_unlink(path);

	/* a stamp written by an earlier mailshift (no padding) reads */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	test_assert(fd != -1 && write(fd, "synced\t5\tinbox\n", 15) == 15);
	i_close_fd(&fd);
	test_assert(mailshift_login_stamp_read(tmpdir, &out, &error) == 1);
	test_assert(out.state == MS_USER_STATE_SYNCED && out.changed == 5 &&
		    out.inbox_done);
	test_assert(mailshift_login_stamp_write(tmpdir, &second, &error) == 0);
	test_assert(mailshift_login_stamp_read(tmpdir, &out, &error) == 1);
	test_assert(out.state == MS_USER_STATE_FAILED);
	i_unlink(path);
	test_end();
}

static void test_credentials(void)
{
	const char *dir = t_strconcat(tmpdir, "/credentials", NULL);
	const char *key = t_strconcat(tmpdir, "/key", NULL);
	const char *password, *error;
	struct stat st;

	test_begin("a kept password decrypts only for its user");
	test_assert(mailshift_credential_load(dir, key, "alice", &password,
					      &error) == 0);
	test_assert(mailshift_credential_store(dir, key, "alice", "s3cret!",
					       &error) == 0);
	test_assert(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600);
	test_assert(mailshift_credential_load(dir, key, "alice", &password,
					      &error) == 1 &&
		    strcmp(password, "s3cret!") == 0);
	/* a file copied over to another user's name must not decrypt */
	test_assert(mailshift_credential_store(dir, key, "bob", "other",
					       &error) == 0);
	{
		const char *a = NULL, *b = NULL;
		DIR *d = opendir(dir);
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if (a == NULL)
				a = t_strconcat(dir, "/", e->d_name, NULL);
			else
				b = t_strconcat(dir, "/", e->d_name, NULL);
		}
		closedir(d);
		test_assert(a != NULL && b != NULL && rename(a, b) == 0);
	}
	test_assert(mailshift_credential_load(dir, key, "alice", &password,
					      &error) +
		    mailshift_credential_load(dir, key, "bob", &password,
					      &error) == -1);
	test_assert(mailshift_credential_wipe(dir, "alice", &error) == 0);
	test_assert(mailshift_credential_wipe(dir, "bob", &error) == 0);
	test_assert(mailshift_credential_load(dir, key, "alice", &password,
					      &error) == 0);
	/* a key others can read is refused, not used */
	test_assert(chmod(key, 0644) == 0);
	test_assert(mailshift_credential_store(dir, key, "alice", "x",
					       &error) == -1);
	test_end();
}

/* Where root may keep passwords: a directory only root can change, below
   directories only root can change (as root; others own nothing root's). */
static void test_credentials_dir(void)
{
	static const struct {
		const char *name;
		const char *dir;	/* below tmpdir */
		mode_t parent_mode;	/* of tmpdir/p, 0: none */
		uid_t parent_uid;
		bool create;
		int want_errno;		/* 0: opened */
		const char *want_error;
	} cases[] = {
		{ "missing, create -> made 0700", "/made", 0, 0, TRUE, 0, NULL },
		{ "missing, no create -> ENOENT", "/none", 0, 0, FALSE,
		  ENOENT, "open(" },
		{ "parent missing -> ENOENT", "/p/none/c", 0, 0, FALSE,
		  ENOENT, "" },
		{ "below a root 0755 dir -> opened", "/p/c", 0755, 0, TRUE, 0,
		  NULL },
		{ "below a sticky 1777 dir (/tmp) -> opened", "/p/c", 01777, 0,
		  TRUE, 0, NULL },
		{ "below a 0777 dir (a state dir) -> refused, says so",
		  "/p/c", 0777, 0, TRUE, EPERM, "must not lie below" },
		{ "below the mail user's 0755 dir -> refused", "/p/c", 0755,
		  65534, TRUE, EPERM, "must not lie below" },
		{ "relative -> refused", NULL, 0, 0, TRUE, EINVAL,
		  "absolute path" },
	};
	const char *parent = t_strconcat(tmpdir, "/p", NULL);
	const char *dir, *error;
	struct stat st;
	int fd;

	if (geteuid() != 0) {
		test_begin("credentials dir: (not root: cases skipped)");
		test_end();
		return;
	}
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(t_strdup_printf("credentials dir: %s",
					   cases[i].name));
		/* Setup */
		if (cases[i].parent_mode != 0) {
			test_assert_idx(mkdir(parent, 0700) == 0 &&
					chmod(parent,
					      cases[i].parent_mode) == 0 &&
					chown(parent, cases[i].parent_uid,
					      0) == 0, i);
		}
		dir = cases[i].dir == NULL ? "relative/c" :
			t_strconcat(tmpdir, cases[i].dir, NULL);
		/* Run */
		error = "";
		errno = 0;
		fd = mailshift_file_open_root_dir(dir, cases[i].create,
						  &error);
		/* Verify */
		if (cases[i].want_errno == 0) {
			test_assert_idx(fd != -1 && fstat(fd, &st) == 0 &&
					st.st_uid == 0 &&
					(st.st_mode & 07777) == 0700, i);
		} else {
			test_assert_idx(fd == -1 &&
					errno == cases[i].want_errno &&
					strstr(error,
					       cases[i].want_error) != NULL,
					i);
		}
		if (fd != -1)
			i_close_fd(&fd);
		if (cases[i].want_errno == 0)
			test_assert_idx(rmdir(dir) == 0, i);
		if (cases[i].parent_mode != 0)
			test_assert_idx(rmdir(parent) == 0, i);
		test_end();
	}
}

static void test_local_passwd(void)
{
	const char *path = t_strconcat(tmpdir, "/passwd", NULL);
	const char *error, *line;
	char buf[512], *hash;
	ssize_t len;
	int fd;

	test_begin("a verified password is carried over as SHA512-CRYPT");
	fd = open(path, O_WRONLY | O_CREAT, 0640);
	test_assert(fd != -1 && write(fd, "bob:{PLAIN}x\n", 13) == 13);
	i_close_fd(&fd);
	test_assert(mailshift_local_passwd_set(path, "alice", "pw",
					       &error) == 1);
	/* the same password again: nothing to rewrite */
	test_assert(mailshift_local_passwd_set(path, "alice", "pw",
					       &error) == 0);
	test_assert(mailshift_local_passwd_set(path, "alice", "new-pw",
					       &error) == 1);
	fd = open(path, O_RDONLY);
	len = read(fd, buf, sizeof(buf) - 1);
	i_close_fd(&fd);
	buf[len < 0 ? 0 : len] = '\0';
	/* bob's line kept, alice's replaced, and it verifies */
	test_assert(strncmp(buf, "bob:{PLAIN}x\nalice:{SHA512-CRYPT}$6$",
			    36) == 0);
	line = strstr(buf, "alice:");
	hash = t_strdup_noconst(line + strlen("alice:{SHA512-CRYPT}"));
	hash[strcspn(hash, "\n")] = '\0';
	test_assert(strcmp(crypt("new-pw", hash), hash) == 0);
	test_assert(mailshift_local_passwd_set(path, "a:b", "pw",
					       &error) == -1);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_pass_due,
		test_delivered_window,
		test_stamp_round_trip,
		test_stamp_written_in_place,
		test_credentials,
		test_credentials_dir,
		test_local_passwd,
		NULL
	};
	char template[] = "/tmp/mailshift-test-login.XXXXXX";
	const char *error;
	int ret;

	lib_init();
	tmpdir = mkdtemp(template);
	if (tmpdir == NULL)
		i_fatal("mkdtemp() failed: %m");
	ret = test_run(tests);
	if (unlink_directory(tmpdir, UNLINK_DIRECTORY_FLAG_RMDIR,
			     &error) < 0)
		i_error("%s", error);
	lib_deinit();
	return ret;
}
