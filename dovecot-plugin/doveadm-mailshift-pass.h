#ifndef DOVEADM_MAILSHIFT_PASS_H
#define DOVEADM_MAILSHIFT_PASS_H

/* A user's copy pass run by a doveadm command (sync, login, cutover):
   under the user's lock in the state store, within the old server's
   connection cap, with state and progress recorded.  The pass itself is
   doveadm-mailshift-pass.c; the cutover's order of steps around it is
   doveadm-mailshift-cmd-cutover.c. */

#include "doveadm-mail.h"

struct ms_store;
struct mailshift_cutover;
struct doveadm_mailshift_users;

enum mailshift_pass_mode {
	MAILSHIFT_PASS_SYNC,
	MAILSHIFT_PASS_LOGIN,
	MAILSHIFT_PASS_CUTOVER,
};

struct mailshift_sync_cmd_context {
	struct doveadm_mail_cmd_context ctx;

	struct ms_store *store;
	const char *store_uri;
	char lock_owner[256];

	/* The master password file is usually root's; read it in prerun(),
	   before doveadm drops privileges to the mail user. */
	const char *password_file;
	const char *password;

	enum mailshift_pass_mode mode;
	/* login: the password the user logged in with (stdin), or NULL */
	char *login_password;
	/* the captured password kept for kept_user, read in prerun as root */
	char *kept_password, *kept_user;

	/* cutover: the users of this command and when their hold is in
	   force (doveadm-mailshift-cmd-cutover.c) */
	struct mailshift_cutover *cutover;
	/* -A: the store's users and the userdb's (doveadm-mailshift-users.h) */
	struct doveadm_mailshift_users *users;
};

/* A command context for mode, with every vfunc of a pass set. */
struct doveadm_mail_cmd_context *
mailshift_pass_cmd_alloc(enum mailshift_pass_mode mode);

/* The init vfunc of every pass command: the lock owner's name and the
   result table's columns. */
void mailshift_pass_init(struct doveadm_mail_cmd_context *ctx,
			 const char *const args[]);

/* Run the user's pass (the command's run vfunc for sync and login).  The
   cutover runs it once the user's hold is in force: then passes repeat
   until one finds nothing new on the old server and every old folder
   verifies, and only then is the user migrated.  Returns 0 or -1 (with
   ctx->exit_code set). */
int mailshift_pass_run(struct doveadm_mail_cmd_context *ctx,
		       struct mail_user *user);

/* The next user of -A (the store's and the userdb's,
   doveadm-mailshift-users.h) or -F (the file's next line): the
   get_next_user vfunc of every pass command. */
int mailshift_pass_next_user(struct doveadm_mail_cmd_context *ctx,
			     const char **username_r);

/* A cutover waits this long for a pass already running for the user (a
   login's, or the cron job's) to end before it gives up on the user. */
#define MAILSHIFT_CUTOVER_LOCK_WAIT_SECS 120

/* Take the user's lock in the (open) state store ctx->store, waiting up to wait_secs for a
   running pass to end.  Returns 1 with the lock held, 0 if it stayed
   taken (*holder_r says by whom), -1 with error_r. */
int mailshift_pass_lock(struct mailshift_sync_cmd_context *ctx,
			struct mail_user *user, unsigned int lease_secs,
			unsigned int wait_secs, const char **holder_r,
			const char **error_r);

#endif
