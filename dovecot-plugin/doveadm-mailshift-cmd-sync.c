/* Copyright (c) mailshift authors */

/* doveadm mailshift sync [-u user | -A | -F file]

   Runs one copy pass per user (mailshift-copy.c) under the user's lease
   lock in the state store, within the old server's connection cap, and
   records state and progress.  A pass that loses the old server retries
   with backoff; credentials or TLS problems fail at once, because
   retrying cannot fix them.  Exit codes follow sysexits.h so that cron
   jobs and scripts can tell "try later" (EX_TEMPFAIL, EX_UNAVAILABLE)
   from "an admin must act" (EX_NOPERM, EX_CONFIG). */

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
#include "doveadm-print.h"
#include "mailshift-settings.h"
#include "mailshift-source.h"
#include "mailshift-copy.h"
#include "mailshift-slots.h"
#include "doveadm-mailshift.h"
#include "state-store.h"
#include "state-store-lock.h"
#include "state-store-pass.h"

#include <sysexits.h>
#include <unistd.h>

#define MAILSHIFT_PASS_ATTEMPTS 4

struct mailshift_sync_cmd_context {
	struct doveadm_mail_cmd_context ctx;

	struct ms_store *store;
	const char *store_uri;
	char lock_owner[256];

	/* The master password file is usually root's; read it in prerun(),
	   before doveadm drops privileges to the mail user. */
	const char *password_file;
	const char *password;
};

struct mailshift_sync_user {
	struct mailshift_sync_cmd_context *cmd;
	struct mail_user *user;
	const struct mailshift_settings *set;
	struct timeval start;
	bool show_progress;
};

static const char *
mailshift_plugin_env(struct mail_storage_service_user *service_user,
		     const char *name)
{
	const struct mail_user_settings *user_set =
		mail_storage_service_user_get_set(service_user)[0];
	const char *const *envs;
	unsigned int i, count;

	if (!array_is_created(&user_set->plugin_envs))
		return NULL;
	envs = array_get(&user_set->plugin_envs, &count);
	for (i = 0; i + 1 < count; i += 2) {
		if (strcmp(envs[i], name) == 0)
			return envs[i + 1];
	}
	return NULL;
}

static int
cmd_mailshift_sync_prerun(struct doveadm_mail_cmd_context *_ctx,
			  struct mail_storage_service_user *service_user,
			  const char **error_r)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);
	const char *path, *password, *error;

	path = mailshift_plugin_env(service_user,
				    "mailshift_source_password_file");
	if (path == NULL || *path == '\0' ||
	    null_strcmp(path, ctx->password_file) == 0)
		return 0;

	struct mailshift_settings set = {
		.source_password = "",
		.source_password_file = path,
		.source_master_user = "x",
	};
	if (mailshift_settings_get_password(&set, &password, &error) < 0) {
		/* maybe only the mail user can read it: try again in run() */
		return 0;
	}
	ctx->password_file = p_strdup(_ctx->pool, path);
	ctx->password = p_strdup(_ctx->pool, password);
	*error_r = NULL;
	return 0;
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
	sp_r->msgs_done = p->msgs_copied;
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

/* Run the pass, reconnecting with backoff while the old server is merely
   unreachable.  Returns 0 or -1 with class_r/error_r. */
static int
mailshift_sync_attempts(struct mailshift_sync_user *su,
			struct mailshift_progress *progress_r,
			enum mailshift_source_error *class_r,
			const char **error_r)
{
	struct mailshift_sync_cmd_context *ctx = su->cmd;
	struct mailshift_copy_params params;
	struct mail_user *source_user;
	const char *password, *error;
	unsigned int attempt, backoff_secs = 1;
	int ret = -1;

	if (ctx->password != NULL &&
	    null_strcmp(ctx->password_file, su->set->source_password_file) == 0 &&
	    *su->set->source_master_user != '\0')
		password = ctx->password;
	else if (mailshift_settings_get_password(su->set, &password,
						 &error) < 0) {
		*class_r = MAILSHIFT_SOURCE_ERR_CONFIG;
		*error_r = error;
		return -1;
	}

	i_zero(&params);
	params.set = su->set;
	params.dest_user = su->user;
	params.progress = mailshift_sync_progress;
	params.context = su;

	for (attempt = 1; attempt <= MAILSHIFT_PASS_ATTEMPTS; attempt++) {
		/* failing to log in is the old server's doing too */
		bool source_failed = TRUE;

		mailshift_source_capture_errors(TRUE);
		if (mailshift_source_open(ctx->ctx.storage_service,
					  ctx->ctx.cur_service_user, su->set,
					  password, &source_user, class_r,
					  error_r) == 0) {
			params.source_user = source_user;
			ret = mailshift_copy_run(&params, progress_r, class_r,
						 &source_failed, error_r);
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
		e_warning(su->user->event, "mailshift: %s; retrying in %u s "
			  "(attempt %u of %u)", *error_r, backoff_secs,
			  attempt + 1, MAILSHIFT_PASS_ATTEMPTS);
		i_sleep_msecs(backoff_secs * 1000);
		backoff_secs *= 4;
	}
	return -1;
}

static const char *
mailshift_sync_failure_reason(enum mailshift_source_error class,
			      const char *error)
{
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

static int
cmd_mailshift_sync_run(struct doveadm_mail_cmd_context *_ctx,
		       struct mail_user *user)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);
	struct mailshift_sync_user su;
	struct mailshift_progress progress;
	struct ms_user_record *rec;
	struct ms_progress sp;
	enum mailshift_source_error class = MAILSHIFT_SOURCE_OK;
	const char *error, *holder, *reason = NULL;
	int slot_fd = -1, ret;

	i_zero(&su);
	i_zero(&progress);
	su.cmd = ctx;
	su.user = user;
	su.show_progress = isatty(STDERR_FILENO) != 0;
	io_loop_time_refresh();
	su.start = ioloop_timeval;
	user->dsyncing = TRUE;

	if (mailshift_settings_read(user, &su.set, &error) < 0) {
		e_error(user->event, "mailshift: %s", error);
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_PARAMS);
		_ctx->exit_code = EX_CONFIG;
		return -1;
	}
	if (doveadm_mailshift_store_get(_ctx, user, su.set->store_uri,
					&ctx->store, &ctx->store_uri) < 0)
		return -1;

	ret = ms_store_user_get(ctx->store, user->username, &rec, &error);
	if (ret < 0) {
		e_error(user->event, "mailshift: state store: %s", error);
		_ctx->exit_code = EX_TEMPFAIL;
		return -1;
	}
	if (ret > 0 && rec->state == MS_USER_STATE_MIGRATED) {
		/* after cutover the new server is authoritative: a pass
		   from the old one could only bring back stale mail */
		e_info(user->event, "mailshift: user %s is migrated; "
		       "nothing to copy", user->username);
		ms_user_record_free(&rec);
		return 0;
	}
	ms_user_record_free(&rec);

	ret = ms_store_user_lock(ctx->store, user->username, ctx->lock_owner,
				 su.set->lease_secs, &holder, &error);
	if (ret <= 0) {
		if (ret == 0) {
			e_error(user->event, "mailshift: a pass for user %s is "
				"already running (%s)", user->username, holder);
		} else {
			e_error(user->event, "mailshift: state store: %s",
				error);
		}
		_ctx->exit_code = EX_TEMPFAIL;
		return -1;
	}

	if (mailshift_slot_acquire(su.set->state_dir, su.set->source_host,
				   su.set->source_max_connections, &slot_fd,
				   &error) < 0) {
		e_error(user->event, "mailshift: %s", error);
		_ctx->exit_code = EX_CANTCREAT;
		(void)ms_store_user_unlock(ctx->store, user->username,
					   ctx->lock_owner, &error);
		return -1;
	}

	if (ms_store_user_pass_begin(ctx->store, user->username, &error) < 0 ||
	    ms_store_user_set_state(ctx->store, user->username,
				    MS_USER_STATE_SYNCING, NULL, &error) < 0)
		e_warning(user->event, "mailshift: state store: %s", error);

	ret = mailshift_sync_attempts(&su, &progress, &class, &error);
	if (su.show_progress)
		mailshift_sync_print_progress(&su, &progress, TRUE);
	mailshift_slot_release(&slot_fd);

	if (ret < 0) {
		reason = mailshift_sync_failure_reason(class, error);
		e_error(user->event, "mailshift: pass for user %s failed: %s",
			user->username, reason);
		_ctx->exit_code = mailshift_source_error_exit_code(class);
	} else if (progress.msgs_refused > 0) {
		reason = t_strdup_printf("%"PRIu64" messages were refused by "
					 "the new server (see the log)",
					 progress.msgs_refused);
	}
	mailshift_to_store_progress(&progress, &sp);
	if (ms_store_user_pass_end(ctx->store, user->username, &sp,
				   &error) < 0 ||
	    ms_store_user_set_state(ctx->store, user->username,
				    ret < 0 ? MS_USER_STATE_FAILED :
				    MS_USER_STATE_SYNCED, reason, &error) < 0 ||
	    ms_store_user_unlock(ctx->store, user->username, ctx->lock_owner,
				 &error) < 0) {
		e_error(user->event, "mailshift: state store: %s", error);
		if (_ctx->exit_code == 0)
			_ctx->exit_code = EX_TEMPFAIL;
		ret = -1;
	}

	doveadm_print(user->username);
	doveadm_print(ret < 0 ? "failed" : "synced");
	doveadm_print(t_strdup_printf("%u/%u", progress.folders_done,
				      progress.folders_total));
	doveadm_print_num(progress.msgs_done);
	doveadm_print_num(progress.msgs_copied);
	doveadm_print_num(progress.bytes_done);
	doveadm_print_num(progress.msgs_refused);
	doveadm_print_num(progress.flags_changed);
	doveadm_print_num(progress.msgs_expunged);
	doveadm_print_num(progress.kept_new);
	doveadm_print_num(progress.folders_unchanged);
	return ret;
}

static void cmd_mailshift_sync_init(struct doveadm_mail_cmd_context *_ctx,
				    const char *const args[] ATTR_UNUSED)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);

	ms_store_lock_owner(ctx->lock_owner, sizeof(ctx->lock_owner));
	doveadm_print_header_simple("user");
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
	if (ctx->password != NULL) {
		safe_memset((void *)ctx->password, 0, strlen(ctx->password));
		ctx->password = NULL;
	}
}

struct doveadm_mail_cmd_context *cmd_mailshift_sync_alloc(void)
{
	struct mailshift_sync_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct mailshift_sync_cmd_context);
	ctx->ctx.v.init = cmd_mailshift_sync_init;
	ctx->ctx.v.prerun = cmd_mailshift_sync_prerun;
	ctx->ctx.v.run = cmd_mailshift_sync_run;
	ctx->ctx.v.deinit = cmd_mailshift_sync_deinit;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
}
