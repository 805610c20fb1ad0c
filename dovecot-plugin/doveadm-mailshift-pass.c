/* Copyright (c) mailshift authors */

/* A user's copy pass, as the sync, login and cutover commands run it:
   one copy pass (mailshift-copy.c) under the user's lease lock in the
   state store, within the old server's connection cap, with state and
   progress recorded.  A pass that loses the old server retries with
   backoff; credentials or TLS problems fail at once, because retrying
   cannot fix them.  Exit codes follow sysexits.h so that cron jobs and
   scripts can tell "try later" (EX_TEMPFAIL, EX_UNAVAILABLE) from "an
   admin must act" (EX_NOPERM, EX_CONFIG).  The passwords a pass uses
   besides the master user's are doveadm-mailshift-password.c's. */

#include "lib.h"
#include "ioloop.h"
#include "time-util.h"
#include "sleep.h"
#include "str.h"
#include "array.h"
#include "safe-memset.h"
#include "mail-user.h"
#include "mail-storage-settings.h"
#include "mail-storage-service.h"
#include "doveadm-mail.h"
#include "doveadm-util.h"
#include "doveadm-print.h"
#include "mailshift-settings.h"
#include "mailshift-source.h"
#include "mailshift-copy.h"
#include "mailshift-slots.h"
#include "mailshift-login-stamp.h"
#include "doveadm-mailshift.h"
#include "doveadm-mailshift-pass.h"
#include "doveadm-mailshift-password.h"
#include "doveadm-mailshift-users.h"
#include "state-store.h"
#include "state-store-lock.h"
#include "state-store-pass.h"

#include <sysexits.h>
#include <unistd.h>

#define MAILSHIFT_PASS_ATTEMPTS 4
/* verifying passes of a cutover before it gives up on an old mailbox
   that keeps receiving mail */
#define MAILSHIFT_CUTOVER_MAX_PASSES 5
/* how often a pass writes its progress to the state store, and refreshes
   its lease there, while it copies: each write is a transaction every
   other pass of the host waits for */
#define MAILSHIFT_PROGRESS_STORE_SECS 2

struct mailshift_sync_user {
	struct mailshift_sync_cmd_context *cmd;
	struct mail_user *user;
	const struct mailshift_settings *set;
	struct timeval start;
	bool show_progress;
	/* user's home, for the login stamp (NULL: none) */
	const char *home;
	bool home_made;
	struct mailshift_login_stamp stamp;
	/* the pass logged in with the password typed at login: if it
	   succeeds, the old server has vouched for that password */
	bool used_login_password;
	/* the state the pass runs in (syncing, final-sync, or migrated for
	   a sweep), recorded by mailshift_sync_pass_begin() once */
	enum ms_user_state pass_state;
	/* a sweep of a migrated user's old mailbox: only what is new there
	   is copied */
	bool sweep;
	bool pass_begun;
	/* when the pass last wrote its progress to the store */
	time_t progress_stored;
	/* when a migrated user was cut over, from the store (0: not yet) */
	time_t migrated_at;

	/* the connection slot held for the pass, or -1 */
	int slot_fd;
	/* the slots of its further connections
	   (mailshift_source_connections_per_user) */
	int extra_slot_fds[MAILSHIFT_COPY_MAX_CONNECTIONS - 1];
	unsigned int extra_slots;
	/* the first attempt's connection, opened before the user's lock
	   was taken (mailshift_sync_open_early()) */
	bool early_opened;
	int early_ret;
	struct mail_user *early_source;
	enum mailshift_source_error early_class;
	const char *early_error;
};

static void mailshift_sync_stamp(struct mailshift_sync_user *su,
				 enum ms_user_state state, bool inbox_done)
{
	const char *error;

	if (su->home == NULL)
		return;
	if (!su->home_made) {
		/* Dovecot makes homes when mail first arrives: a user whose
		   first pass fails before that has none yet.  Made the way
		   Dovecot makes them (its errors are logged there). */
		su->home_made = TRUE;
		(void)mail_user_home_mkdir(su->user);
	}
	su->stamp.state = state;
	/* a migrated user's stamp keeps the cutover's time: deliveries
	   look at it (mailshift-delivered.h) */
	su->stamp.changed = state == MS_USER_STATE_MIGRATED &&
		su->migrated_at != 0 ? su->migrated_at : time(NULL);
	su->stamp.inbox_done = inbox_done;
	if (mailshift_login_stamp_write(su->home, &su->stamp, &error) < 0)
		e_warning(su->user->event, "mailshift: %s", error);
}

static void
mailshift_sync_print_progress(struct mailshift_sync_user *su,
			      const struct mailshift_progress *p, bool final)
{
	long long usecs;
	double secs, rate;
	string_t *line = t_str_new(128);

	io_loop_time_refresh();
	usecs = timeval_diff_usecs(&ioloop_timeval, &su->start);
	secs = usecs / 1000000.0;
	rate = secs > 0 ? p->bytes_done / secs : 0;
	str_printfa(line, "\r%s: %u/%u folders, %"PRIu64"/%"PRIu64
		    " messages, %.1f MB, %.1f MB/s", su->user->username,
		    p->folders_done, p->folders_total, p->msgs_done,
		    p->msgs_total, p->bytes_done / 1e6, rate / 1e6);
	if (!final && p->msgs_done > 0 && p->msgs_total > p->msgs_done &&
	    p->msgs_copied > 0) {
		double eta = secs * (p->msgs_total - p->msgs_done) /
			p->msgs_copied;
		str_printfa(line, ", ETA %um%02us", (unsigned int)eta / 60,
			    (unsigned int)eta % 60);
	}
	str_append(line, final ? "\n" : "   ");
	if (write(STDERR_FILENO, str_data(line), str_len(line)) < 0) {
		/* the terminal went away: nothing to report it to */
	}
}

static void
mailshift_to_store_progress(const struct mailshift_progress *p,
			    struct ms_progress *sp_r)
{
	i_zero(sp_r);
	sp_r->folders_done = p->folders_done;
	sp_r->folders_total = p->folders_total;
	sp_r->msgs_done = p->msgs_done;
	sp_r->msgs_copied = p->msgs_copied;
	sp_r->msgs_total = p->msgs_total;
	sp_r->bytes_done = p->bytes_done;
}

static int mailshift_sync_progress(const struct mailshift_progress *p,
				   void *context)
{
	struct mailshift_sync_user *su = context;
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	struct ms_progress sp;
	const char *error;
	int ret;

	if (su->show_progress)
		mailshift_sync_print_progress(su, p, FALSE);
	/* INBOX goes first: a login waiting for it (mailshift_login_wait)
	   may go on */
	if (p->folders_done > 0 && !su->stamp.inbox_done)
		mailshift_sync_stamp(su, su->stamp.state, TRUE);
	/* a pass's end writes its whole progress anyway, and the lease is
	   minutes long */
	if (time(NULL) - su->progress_stored < MAILSHIFT_PROGRESS_STORE_SECS)
		return 0;
	su->progress_stored = time(NULL);
	mailshift_to_store_progress(p, &sp);
	if (ms_store_user_progress(ctx->store, su->user->username, &sp,
				   &error) < 0) {
		/* progress is informational: keep copying */
		e_warning(su->user->event, "mailshift: state store: %s", error);
	}
	ret = ms_store_user_lock_refresh(ctx->store, su->user->username,
					 ctx->lock_owner, su->set->lease_secs,
					 &error);
	if (ret == 0) {
		e_error(su->user->event, "mailshift: lost the lock on user %s "
			"(its lease expired and another pass took it over); "
			"stopping this pass", su->user->username);
		return -1;
	}
	if (ret < 0)
		e_warning(su->user->event, "mailshift: state store: %s", error);
	return 0;
}

/* Record that the pass runs: in the state store for status and the other
   hosts, in the stamp for the login hook. */
static void mailshift_sync_pass_begin(struct mailshift_sync_user *su)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	const char *username = su->user->username, *error;

	if (su->pass_begun)
		return;
	su->pass_begun = TRUE;
	su->progress_stored = time(NULL);
	if (ms_store_user_pass_begin(ctx->store, username, &error) < 0 ||
	    ms_store_user_set_state(ctx->store, username, su->pass_state,
				    NULL, &error) < 0)
		e_warning(su->user->event, "mailshift: state store: %s", error);
	mailshift_sync_stamp(su, su->pass_state, FALSE);
}

/* The password the old server knows for the identity the pass logs in
   as.  Returns 0, or -1 with class_r/error_r. */
static int
mailshift_sync_password(struct mailshift_sync_user *su,
			const char **password_r,
			enum mailshift_source_error *class_r,
			const char **error_r)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	const char *password, *error;

	if (ctx->password != NULL &&
	    null_strcmp(ctx->password_file, su->set->source_password_file) == 0 &&
	    *su->set->source_master_user != '\0')
		password = ctx->password;
	else if (*su->set->source_master_user == '\0' &&
		 *su->set->source_password == '\0' &&
		 ctx->login_password != NULL) {
		password = ctx->login_password;
		su->used_login_password = TRUE;
	}
	else if (*su->set->source_master_user == '\0' &&
		 *su->set->source_password == '\0' &&
		 ctx->kept_password != NULL &&
		 strcmp(ctx->kept_user, su->user->username) == 0)
		password = ctx->kept_password;
	else if (mailshift_settings_get_password(su->set, &password,
						 &error) < 0) {
		*class_r = MAILSHIFT_SOURCE_ERR_CONFIG;
		*error_r = error;
		return -1;
	}
	*password_r = password;
	return 0;
}

/* Log in to the old server as a new source user, connecting at once
   (mailshift_source_connect_ahead()).  As mailshift_source_open(). */
static int
mailshift_sync_source_connect(struct mailshift_sync_user *su,
			      const char *password,
			      struct mail_user **source_user_r,
			      enum mailshift_source_error *class_r,
			      const char **error_r)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;

	if (mailshift_source_open(ctx->ctx.storage_service,
				  ctx->ctx.cur_service_user, su->set,
				  password, source_user_r, class_r,
				  error_r) < 0)
		return -1;
	mailshift_source_connect_ahead(*source_user_r);
	return 0;
}

/* Connect to the old server before the user's lock is taken: its greeting
   (on most servers a login process started for the connection) is then on
   its way while the state store opens, the lock is taken and the pass is
   decided, instead of after all that.  Only where a pass is all but
   certain to follow: the stamp shows no pass running and the user neither
   migrated nor (for a login) handed to the cutover, and a connection slot
   is free at once.  A connection the pass then does not use has seen no
   more than the TCP handshake: it is closed before the login. */
static void mailshift_sync_open_early(struct mailshift_sync_user *su)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	struct mailshift_login_stamp stamp;
	enum mailshift_source_error class;
	const char *password, *error;

	if (su->home == NULL ||
	    mailshift_login_stamp_read(su->home, &stamp, &error) < 0)
		return;
	if (stamp.state == MS_USER_STATE_SYNCING ||
	    stamp.state == MS_USER_STATE_MIGRATED ||
	    (stamp.state == MS_USER_STATE_FINAL_SYNC &&
	     ctx->mode == MAILSHIFT_PASS_LOGIN))
		return;
	if (mailshift_slot_try_acquire(su->set->state_dir,
				       su->set->source_host,
				       su->set->source_max_connections,
				       &su->slot_fd, &error) <= 0) {
		/* taken the usual way, waiting or failing there */
		return;
	}
	if (mailshift_sync_password(su, &password, &class, &error) < 0) {
		/* the first attempt fails the same way and says so */
		return;
	}

	/* captured until the first attempt: imapc can fail the connect
	   at once, and its reason is only in the log */
	su->early_opened = TRUE;
	mailshift_source_capture_errors(TRUE);
	su->early_ret = mailshift_sync_source_connect(su, password,
						      &su->early_source,
						      &su->early_class,
						      &su->early_error);
}

/* Close what is left of mailshift_sync_open_early() (all of it when the
   pass is not run after all) and give the connection slot back. */
static void mailshift_sync_close_early(struct mailshift_sync_user *su)
{
	if (su->early_source != NULL) {
		mailshift_source_hang_up(su->early_source);
		mail_user_deinit(&su->early_source);
	}
	if (su->early_opened) {
		mailshift_source_capture_errors(FALSE);
		su->early_opened = FALSE;
	}
	mailshift_slot_release(&su->slot_fd);
	while (su->extra_slots > 0)
		mailshift_slot_release(&su->extra_slot_fds[--su->extra_slots]);
}

/* How many connections the pass may open: up to
   mailshift_source_connections_per_user, as far as slots are free at once
   (it never waits for more than its first).  One in a doveadm server:
   there the doveadm client's fan-out (doveadm_worker_count) already runs
   users side by side, and a slot one pass took for a second connection
   would keep the next user's pass waiting. */
static unsigned int mailshift_sync_connections(struct mailshift_sync_user *su)
{
	unsigned int wanted = I_MIN(su->set->source_connections_per_user,
				    MAILSHIFT_COPY_MAX_CONNECTIONS);
	const char *error;
	int fd;

	if (doveadm_server)
		return 1;

	while (1 + su->extra_slots < wanted) {
		if (mailshift_slot_try_acquire(su->set->state_dir,
					       su->set->source_host,
					       su->set->source_max_connections,
					       &fd, &error) <= 0)
			break;
		su->extra_slot_fds[su->extra_slots++] = fd;
	}
	return 1 + su->extra_slots;
}

/* Open the old server for an attempt: the first takes what
   mailshift_sync_open_early() opened, if it did. */
static int
mailshift_sync_source_open(struct mailshift_sync_user *su,
			   const char *password,
			   struct mail_user **source_user_r,
			   enum mailshift_source_error *class_r,
			   const char **error_r)
{
	if (!su->early_opened) {
		return mailshift_sync_source_connect(su, password,
						     source_user_r, class_r,
						     error_r);
	}
	su->early_opened = FALSE;
	*source_user_r = su->early_source;
	su->early_source = NULL;
	*class_r = su->early_class;
	*error_r = su->early_error;
	return su->early_ret;
}

/* An attempt's progress, with what the pass's earlier attempts did: a
   message an attempt copied (or a change it applied) is not done again
   by the next, so the pass reports their sum. */
static void
mailshift_sync_add_earlier(struct mailshift_progress *attempt,
			   const struct mailshift_progress *earlier)
{
	attempt->msgs_copied += earlier->msgs_copied;
	attempt->bytes_done += earlier->bytes_done;
	attempt->flags_changed += earlier->flags_changed;
	attempt->msgs_expunged += earlier->msgs_expunged;
}

/* Run the pass, reconnecting with backoff while the old server is merely
   unreachable.  Returns 0 or -1 with class_r/error_r. */
static int
mailshift_sync_attempts(struct mailshift_sync_user *su,
			struct mailshift_progress *progress_r,
			enum mailshift_source_error *class_r,
			const char **error_r)
{
	struct mailshift_copy_params params;
	struct mailshift_progress earlier;
	struct mail_user *source_user;
	const char *password;
	unsigned int attempt, backoff_secs = 1, asked_secs, wait_secs;
	int ret = -1;

	if (mailshift_sync_password(su, &password, class_r, error_r) < 0)
		return -1;

	i_zero(&params);
	params.set = su->set;
	params.dest_user = su->user;
	params.progress = mailshift_sync_progress;
	params.context = su;
	params.add_only = su->sweep;
	params.verify = su->cmd->mode == MAILSHIFT_PASS_CUTOVER;
	params.connections = mailshift_sync_connections(su);

	i_zero(&earlier);
	for (attempt = 1; attempt <= MAILSHIFT_PASS_ATTEMPTS; attempt++) {
		/* failing to log in is the old server's doing too */
		bool source_failed = TRUE;

		/* (errors captured since mailshift_sync_open_early() are
		   kept for the first attempt) */
		if (!su->early_opened)
			mailshift_source_capture_errors(TRUE);
		ret = mailshift_sync_source_open(su, password, &source_user,
						 class_r, error_r);
		/* while the old server greets us (where connected ahead) */
		mailshift_sync_pass_begin(su);
		if (ret == 0) {
			params.source_user = source_user;
			ret = mailshift_copy_run(&params, progress_r, class_r,
						 &source_failed, error_r);
			mailshift_sync_add_earlier(progress_r, &earlier);
			mailshift_source_hang_up(source_user);
			mail_user_deinit(&source_user);
		}
		mailshift_source_capture_errors(FALSE);
		if (ret == 0)
			return 0;
		/* only a connection that went away, or an old server that
		   failed for now, can do better on a new connection */
		if (!source_failed ||
		    (*class_r != MAILSHIFT_SOURCE_ERR_UNREACHABLE &&
		     *class_r != MAILSHIFT_SOURCE_ERR_TEMP))
			return -1;
		if (attempt == MAILSHIFT_PASS_ATTEMPTS)
			break;
		earlier = *progress_r;
		asked_secs = mailshift_source_asked_wait_secs(*error_r);
		wait_secs = I_MAX(backoff_secs, asked_secs);
		e_warning(su->user->event, "mailshift: %s; retrying in %u s%s "
			  "(attempt %u of %u)", *error_r, wait_secs,
			  asked_secs == 0 ? "" : t_strdup_printf(
				" (the old server asked for %u s)", asked_secs),
			  attempt + 1, MAILSHIFT_PASS_ATTEMPTS);
		i_sleep_msecs(wait_secs * 1000);
		backoff_secs *= 4;
	}
	return -1;
}

static const char *
mailshift_sync_failure_reason(enum mailshift_source_error class,
			      const char *error)
{
	/* the new server's own errors say which setting helps */
	if (str_begins(error, "new server: "))
		return error;
	switch (class) {
	case MAILSHIFT_SOURCE_ERR_AUTH:
		return t_strdup_printf("old server refused the credentials "
			"(check mailshift_source_master_user and its password "
			"file, or the user's password): %s", error);
	case MAILSHIFT_SOURCE_ERR_CONFIG:
		return t_strdup_printf("cannot use the old server as "
			"configured (check the mailshift_source_* settings; "
			"for TLS mailshift_source_tls and "
			"mailshift_source_ca_file): %s", error);
	case MAILSHIFT_SOURCE_ERR_UNREACHABLE:
		return t_strdup_printf("old server unreachable (retried; "
			"the next pass tries again): %s", error);
	default:
		return error;
	}
}

/* Decide from the state store whether this command runs a pass for the
   user now.  Returns 1 to run it (with *state_r the state it runs in),
   0 to skip, -1 on error. */
static int
mailshift_sync_decide(struct mailshift_sync_user *su,
		      enum ms_user_state *state_r)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	struct doveadm_mail_cmd_context *_ctx = &ctx->ctx;
	struct mail_user *user = su->user;
	struct mailshift_login_stamp as_stamp;
	struct ms_user_record *rec;
	const char *error;
	time_t migrated_at;
	int ret;

	ret = ms_store_user_get(ctx->store, user->username, &rec, &error);
	if (ret < 0) {
		e_error(user->event, "mailshift: state store: %s", error);
		_ctx->exit_code = EX_TEMPFAIL;
		return -1;
	}
	*state_r = ret > 0 ? rec->state : MS_USER_STATE_PENDING;
	migrated_at = ret > 0 ? rec->state_changed : 0;
	if (*state_r == MS_USER_STATE_MIGRATED)
		su->migrated_at = migrated_at;
	i_zero(&as_stamp);
	as_stamp.state = *state_r;
	if (ret > 0) {
		as_stamp.changed = *state_r == MS_USER_STATE_SYNCED ?
			rec->last_pass_finished : rec->state_changed;
		/* we hold the lock: a user left syncing is a dead pass */
		if (*state_r == MS_USER_STATE_SYNCING)
			as_stamp.changed = 0;
	}
	ms_user_record_free(&rec);

	if (*state_r == MS_USER_STATE_MIGRATED) {
		/* After cutover the new server is the user's: the old one is
		   only swept for mail its host still delivered there, for a
		   while (doveadm-mailshift-cmd-cutover.c, step 5). */
		bool sweeping = time(NULL) - migrated_at <
			(time_t)su->set->cutover_sweep_secs;

		if (sweeping && ctx->mode == MAILSHIFT_PASS_SYNC) {
			su->sweep = TRUE;
			return 1;
		}
		if (ctx->mode != MAILSHIFT_PASS_LOGIN) {
			e_info(user->event, "mailshift: user %s is migrated; "
			       "nothing to copy", user->username);
		}
		mailshift_sync_stamp(su, MS_USER_STATE_MIGRATED, TRUE);
		/* deltas and sweeps are over: the captured password has no
		   more use */
		if (!sweeping)
			mailshift_password_wipe_kept(su->user, su->set);
		return 0;
	}
	if (ctx->mode == MAILSHIFT_PASS_LOGIN &&
	    !mailshift_login_pass_due(&as_stamp, time(NULL),
				      su->set->delta_interval_secs,
				      su->set->lease_secs) &&
	    /* a failed user who logged in with another password than the
	       kept one (changed on the old server): try it now */
	    !(*state_r == MS_USER_STATE_FAILED &&
	      ctx->login_password != NULL &&
	      null_strcmp(ctx->login_password, ctx->kept_password) != 0)) {
		e_debug(user->event, "mailshift: login: no pass due (%s)",
			ms_user_state_to_str(*state_r));
		return 0;
	}
	return 1;
}

int mailshift_pass_lock(struct mailshift_sync_cmd_context *ctx,
			struct mail_user *user, unsigned int lease_secs,
			unsigned int wait_secs, const char **holder_r,
			const char **error_r)
{
	time_t give_up = time(NULL) + wait_secs;
	int ret;

	for (;;) {
		ret = ms_store_user_lock(ctx->store, user->username,
					 ctx->lock_owner, lease_secs,
					 holder_r, error_r);
		if (ret != 0 || time(NULL) >= give_up || doveadm_is_killed())
			return ret;
		i_sleep_msecs(1000);
	}
}

/* Open the state store, take the user's lock and decide whether a pass
   runs now.  Returns 1 to run it in *state_r with the lock held, 0 to
   skip, -1 on error (exit code set). */
static int
mailshift_sync_take_user(struct mailshift_sync_user *su,
			 enum ms_user_state *state_r)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	struct doveadm_mail_cmd_context *_ctx = &ctx->ctx;
	struct mail_user *user = su->user;
	const char *error, *holder;
	int ret;

	if (doveadm_mailshift_store_get(_ctx, user, su->set->store_uri,
					&ctx->store, &ctx->store_uri) < 0)
		return -1;
	/* The store says how far the user's mail got: it need not outlive
	   a crash that the mail itself would not (mail_fsync = never, as
	   conf.d sets for doveadm).  A killed pass loses nothing either
	   way. */
	if (ms_store_set_durable(ctx->store,
			mail_user_set_get_storage_set(user)->parsed_fsync_mode !=
			FSYNC_MODE_NEVER, &error) < 0)
		e_warning(user->event, "mailshift: state store: %s", error);

	ret = mailshift_pass_lock(ctx, user, su->set->lease_secs,
				  ctx->mode == MAILSHIFT_PASS_CUTOVER ?
				  MAILSHIFT_CUTOVER_LOCK_WAIT_SECS : 0,
				  &holder, &error);
	if (ret <= 0) {
		if (ret < 0) {
			e_error(user->event, "mailshift: state store: %s",
				error);
			_ctx->exit_code = EX_TEMPFAIL;
			return -1;
		}
		if (ctx->mode == MAILSHIFT_PASS_LOGIN) {
			/* another login's pass: the one wanted */
			return 0;
		}
		e_error(user->event, "mailshift: a pass for user %s is "
			"already running (%s)", user->username, holder);
		_ctx->exit_code = EX_TEMPFAIL;
		return -1;
	}
	/* decided under the lock: two logins at once start one pass */
	ret = mailshift_sync_decide(su, state_r);
	if (ret <= 0) {
		(void)ms_store_user_unlock(ctx->store, user->username,
					   ctx->lock_owner, &error);
		return ret;
	}
	return 1;
}

static const char *
mailshift_sync_refused_reason(const struct mailshift_progress *progress)
{
	return t_strdup_printf("%"PRIu64" messages were refused by the new "
			       "server (see the log)", progress->msgs_refused);
}

/* The cutover's passes, run once the user's hold is in force: each
   copies what is new on the old server and then compares every old
   folder with its copies (mailshift-folder-verify.h).  Only a pass that
   copied nothing and found nothing missing shows that the old mailbox
   held nothing the new one lacks: one that copied mail read the old
   folders before that mail was here, and says nothing of what came
   after.  *verified_r is FALSE if mail kept coming, or some was
   refused.  Returns 0, or -1 as mailshift_sync_attempts(). */
static int
mailshift_sync_cutover_passes(struct mailshift_sync_user *su,
			      struct mailshift_progress *progress_r,
			      enum mailshift_source_error *class_r,
			      const char **error_r, bool *verified_r)
{
	struct mailshift_progress pass;
	uint64_t copied = 0, bytes = 0, refused = 0;
	unsigned int n;
	int ret = 0;

	*verified_r = FALSE;
	for (n = 1; n <= MAILSHIFT_CUTOVER_MAX_PASSES; n++) {
		i_zero(&pass);
		ret = mailshift_sync_attempts(su, &pass, class_r, error_r);
		copied += pass.msgs_copied;
		bytes += pass.bytes_done;
		refused += pass.msgs_refused;
		*progress_r = pass;
		if (ret < 0)
			break;
		if (pass.msgs_copied == 0 && pass.msgs_missing == 0) {
			e_info(su->user->event, "mailshift: cutover of %s: "
			       "verified %u old folders, %"PRIu64" messages: "
			       "every one is here, or was copied and deleted "
			       "here since (%"PRIu64")",
			       su->user->username, pass.folders_verified,
			       pass.msgs_verified, pass.msgs_gone_here);
			*verified_r = refused == 0;
			break;
		}
		e_info(su->user->event, "mailshift: cutover of %s: pass %u "
		       "copied %"PRIu64" messages, %"PRIu64" more arrived "
		       "meanwhile; verifying again", su->user->username, n,
		       pass.msgs_copied, pass.msgs_missing);
	}
	progress_r->msgs_copied = copied;
	progress_r->bytes_done = bytes;
	progress_r->msgs_refused = refused;
	return ret;
}

/* Without a master user or a password of the user's own in the userdb,
   a sync can log in to the old server only with a password the user
   typed here (kept since their first login).  A user with none has not
   logged in yet: not a failure, nothing to do until then. */
static bool mailshift_sync_waits_for_login(struct mailshift_sync_user *su)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	struct ms_user_record *rec;
	const char *error;
	bool pending;
	int ret;

	if (ctx->mode != MAILSHIFT_PASS_SYNC ||
	    *su->set->source_master_user != '\0' ||
	    *su->set->source_password != '\0' ||
	    ctx->login_password != NULL ||
	    (ctx->kept_password != NULL &&
	     strcmp(ctx->kept_user, su->user->username) == 0))
		return FALSE;
	/* later states have their own reasons (a kept password wiped after
	   the sweeps, one the old server refused): the pass says them */
	if (doveadm_mailshift_store_get(&ctx->ctx, su->user,
					su->set->store_uri, &ctx->store,
					&ctx->store_uri) < 0)
		return FALSE;
	ret = ms_store_user_get(ctx->store, su->user->username, &rec, &error);
	if (ret < 0)
		return FALSE;
	pending = ret == 0 || rec->state == MS_USER_STATE_PENDING;
	if (ret > 0)
		ms_user_record_free(&rec);
	return pending;
}

/* Everything before the pass: the user's settings, a login's password,
   the user's lock and state, a connection slot.  Returns 1 to run the
   pass in *state_r, 0 to leave the user alone, -1 (with the command's
   exit code set) on failure. */
static int mailshift_pass_prepare(struct mailshift_sync_user *su,
				  enum ms_user_state *state_r)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	struct doveadm_mail_cmd_context *_ctx = &ctx->ctx;
	struct mail_user *user = su->user;
	const char *error;
	int ret;

	if (mailshift_settings_read(user, &su->set, &error) < 0) {
		e_error(user->event, "mailshift: %s", error);
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_PARAMS);
		_ctx->exit_code = EX_CONFIG;
		return -1;
	}
	if (ctx->mode == MAILSHIFT_PASS_LOGIN && ctx->login_password != NULL &&
	    !mailshift_password_verify_login(ctx, user))
		return 0;
	if (mailshift_sync_waits_for_login(su)) {
		e_info(user->event, "mailshift: user %s waits for their first "
		       "login: without a master user (mailshift_source_master_"
		       "user) the old server's password is the one they type",
		       user->username);
		/* asked for by name: not done, try again after the login */
		if (_ctx->iterate_single_user)
			_ctx->exit_code = EX_TEMPFAIL;
		return 0;
	}
	mailshift_sync_open_early(su);
	ret = mailshift_sync_take_user(su, state_r);
	if (ret <= 0) {
		mailshift_sync_close_early(su);
		return ret;
	}
	if (ctx->mode == MAILSHIFT_PASS_CUTOVER &&
	    *state_r != MS_USER_STATE_FINAL_SYNC) {
		/* its hold (doveadm-mailshift-cmd-cutover.c) was lifted by
		   someone else in between: the wait for it means nothing */
		e_error(user->event, "mailshift: user %s left final-sync "
			"(now %s) before the last pass; run cutover again",
			user->username, ms_user_state_to_str(*state_r));
		_ctx->exit_code = EX_TEMPFAIL;
		(void)ms_store_user_unlock(ctx->store, user->username,
					   ctx->lock_owner, &error);
		mailshift_sync_close_early(su);
		return -1;
	}
	if (su->slot_fd == -1 &&
	    mailshift_slot_acquire(su->set->state_dir, su->set->source_host,
				   su->set->source_max_connections,
				   &su->slot_fd, &error) < 0) {
		e_error(user->event, "mailshift: %s", error);
		_ctx->exit_code = EX_CANTCREAT;
		(void)ms_store_user_unlock(ctx->store, user->username,
					   ctx->lock_owner, &error);
		return -1;
	}
	return 1;
}

/* The state a pass that began in state leaves the user in. */
static enum ms_user_state
mailshift_pass_end_state(enum mailshift_pass_mode mode,
			 enum ms_user_state state, int ret)
{
	if (state == MS_USER_STATE_MIGRATED)
		return MS_USER_STATE_MIGRATED;
	if (state != MS_USER_STATE_FINAL_SYNC)
		return ret < 0 ? MS_USER_STATE_FAILED : MS_USER_STATE_SYNCED;
	if (ret == 0 && mode == MAILSHIFT_PASS_CUTOVER)
		return MS_USER_STATE_MIGRATED;
	return MS_USER_STATE_FINAL_SYNC;
}

/* The pass itself, by the command's mode, and why it failed or kept a
   cutover's user in final-sync (*reason_r, or NULL).  Returns 0 or -1
   (with the command's exit code set). */
static int mailshift_pass_passes(struct mailshift_sync_user *su,
				 struct mailshift_progress *progress,
				 const char **reason_r)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	struct doveadm_mail_cmd_context *_ctx = &ctx->ctx;
	struct mail_user *user = su->user;
	enum mailshift_source_error class = MAILSHIFT_SOURCE_OK;
	const char *error, *reason = NULL;
	bool verified = FALSE;
	int ret;

	if (ctx->mode == MAILSHIFT_PASS_CUTOVER)
		ret = mailshift_sync_cutover_passes(su, progress, &class,
						    &error, &verified);
	else
		ret = mailshift_sync_attempts(su, progress, &class, &error);
	/* also a pass that failed before it could reach the old server */
	mailshift_sync_pass_begin(su);
	if (su->show_progress)
		mailshift_sync_print_progress(su, progress, TRUE);
	mailshift_sync_close_early(su);

	if (ret < 0) {
		reason = mailshift_sync_failure_reason(class, error);
		e_error(user->event, "mailshift: pass for user %s failed: %s",
			user->username, reason);
		_ctx->exit_code = mailshift_source_error_exit_code(class);
	} else if (progress->msgs_refused > 0) {
		reason = mailshift_sync_refused_reason(progress);
	}
	/* only a password the old server accepted is kept: the login
	   service's socket is open to every imap process */
	if (ret == 0 && su->used_login_password)
		mailshift_password_keep_login(ctx, user, su->set);

	if (ret == 0 && ctx->mode == MAILSHIFT_PASS_CUTOVER && !verified) {
		reason = progress->msgs_refused > 0 ?
			mailshift_sync_refused_reason(progress) :
			t_strdup_printf("mail kept arriving in the old mailbox "
				"during %u verifying passes: is the old host still "
				"delivering locally (its queue manager must ask "
				"mailshift-policyd's map \"route\", see "
				"conf.d/postfix-old-host.cf)?  Run cutover again",
				MAILSHIFT_CUTOVER_MAX_PASSES);
		e_error(user->event, "mailshift: user %s stays in final-sync:"
			" %s", user->username, reason);
		_ctx->exit_code = progress->msgs_refused > 0 ?
			EX_DATAERR : EX_TEMPFAIL;
		ret = -1;
	}
	*reason_r = reason;
	return ret;
}

/* After the pass: the user's end state, progress and reason in the
   store, the lock released, the login stamp, the command's row.  Returns
   ret, or -1 when the store could not record it. */
static int mailshift_pass_finish(struct mailshift_sync_user *su,
				 enum ms_user_state state, int ret,
				 const struct mailshift_progress *progress,
				 const char *reason)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	struct doveadm_mail_cmd_context *_ctx = &ctx->ctx;
	struct mail_user *user = su->user;
	enum ms_user_state end_state;
	struct ms_progress sp;
	const char *error;

	end_state = mailshift_pass_end_state(ctx->mode, state, ret);
	mailshift_to_store_progress(progress, &sp);
	if (ms_store_user_pass_end(ctx->store, user->username, &sp,
				   &error) < 0 ||
	    ms_store_user_set_state(ctx->store, user->username, end_state,
				    reason, &error) < 0 ||
	    ms_store_user_unlock(ctx->store, user->username, ctx->lock_owner,
				 &error) < 0) {
		e_error(user->event, "mailshift: state store: %s", error);
		if (_ctx->exit_code == 0)
			_ctx->exit_code = EX_TEMPFAIL;
		ret = -1;
	} else if (end_state == MS_USER_STATE_MIGRATED && !su->sweep) {
		/* the captured password has no more use once the sweeps are
		   over too (mailshift_sync_decide()) */
		if (su->set->cutover_sweep_secs == 0)
			mailshift_password_wipe_kept(user, su->set);
		e_info(user->event, "mailshift: user %s is migrated",
		       user->username);
	} else if (ret < 0 && ctx->mode == MAILSHIFT_PASS_LOGIN) {
		/* The failure is logged and recorded for status and the next
		   login; nobody reads a login pass's exit code, but Dovecot's
		   master would log it once more as "child returned error". */
		_ctx->exit_code = 0;
		ret = 0;
	}
	mailshift_sync_stamp(su, end_state, TRUE);

	doveadm_print(ret < 0 ? "failed" : ms_user_state_to_str(end_state));
	doveadm_print(t_strdup_printf("%u/%u", progress->folders_done,
				      progress->folders_total));
	doveadm_print_num(progress->msgs_done);
	doveadm_print_num(progress->msgs_copied);
	doveadm_print_num(progress->bytes_done);
	doveadm_print_num(progress->msgs_refused);
	doveadm_print_num(progress->flags_changed);
	doveadm_print_num(progress->msgs_expunged);
	doveadm_print_num(progress->kept_new);
	doveadm_print_num(progress->folders_unchanged);
	return ret;
}

int mailshift_pass_run(struct doveadm_mail_cmd_context *_ctx,
		       struct mail_user *user)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);
	struct mailshift_sync_user su;
	struct mailshift_progress progress;
	enum ms_user_state state;
	const char *reason;
	int ret;

	i_zero(&su);
	i_zero(&progress);
	su.cmd = ctx;
	su.slot_fd = -1;
	su.user = user;
	su.show_progress = ctx->mode != MAILSHIFT_PASS_LOGIN &&
		isatty(STDERR_FILENO) != 0;
	if (mail_user_get_home(user, &su.home) <= 0)
		su.home = NULL;
	io_loop_time_refresh();
	su.start = ioloop_timeval;
	user->dsyncing = TRUE;

	ret = mailshift_pass_prepare(&su, &state);
	if (ret <= 0)
		return ret;
	/* final-sync stays final-sync while its last passes run: the old
	   host holds the user's mail until migrated; and a sweep must not
	   make it deliver locally again */
	su.pass_state = state == MS_USER_STATE_FINAL_SYNC ||
		state == MS_USER_STATE_MIGRATED ? state :
		MS_USER_STATE_SYNCING;
	ret = mailshift_pass_passes(&su, &progress, &reason);
	return mailshift_pass_finish(&su, state, ret, &progress, reason);
}

void mailshift_pass_init(struct doveadm_mail_cmd_context *_ctx,
			 const char *const args[] ATTR_UNUSED)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);

	ms_store_lock_owner(ctx->lock_owner, sizeof(ctx->lock_owner));
	doveadm_print_header_simple("result");
	doveadm_print_header_simple("folders");
	doveadm_print_header_simple("messages");
	doveadm_print_header_simple("copied");
	doveadm_print_header_simple("bytes");
	doveadm_print_header_simple("refused");
	doveadm_print_header_simple("changed");
	doveadm_print_header_simple("expunged");
	doveadm_print_header_simple("kept-new");
	doveadm_print_header_simple("unchanged");
}

static void cmd_mailshift_sync_deinit(struct doveadm_mail_cmd_context *_ctx)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);

	ms_store_close(&ctx->store);
	doveadm_mailshift_users_deinit(ctx->users);
	mailshift_wipe_string(&ctx->login_password);
	mailshift_wipe_string(&ctx->kept_password);
	i_free(ctx->kept_user);
	if (ctx->password != NULL) {
		safe_memset((void *)ctx->password, 0, strlen(ctx->password));
		ctx->password = NULL;
	}
}

int mailshift_pass_next_user(struct doveadm_mail_cmd_context *_ctx,
			     const char **username_r)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);

	return doveadm_mailshift_users_next(ctx->users, username_r);
}

struct doveadm_mail_cmd_context *
mailshift_pass_cmd_alloc(enum mailshift_pass_mode mode)
{
	struct mailshift_sync_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct mailshift_sync_cmd_context);
	ctx->mode = mode;
	ctx->users = doveadm_mailshift_users_init(&ctx->ctx);
	ctx->ctx.v.get_next_user = mailshift_pass_next_user;
	ctx->ctx.v.init = mailshift_pass_init;
	ctx->ctx.v.prerun = mailshift_password_prerun;
	ctx->ctx.v.run = mailshift_pass_run;
	ctx->ctx.v.deinit = cmd_mailshift_sync_deinit;
	if (mode != MAILSHIFT_PASS_LOGIN) {
		/* doveadm's own Username column, also for a single -u user */
		ctx->ctx.add_username_header = TRUE;
	}
	/* keep root's saved uid: kept passwords are root's files (a single
	   -u user would otherwise drop privileges for good) */
	ctx->ctx.service_flags |= MAIL_STORAGE_SERVICE_FLAG_TEMP_PRIV_DROP;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
}
