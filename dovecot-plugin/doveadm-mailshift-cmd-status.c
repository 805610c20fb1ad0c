/* Copyright (c) mailshift authors */

/* doveadm mailshift status [-u user | -A | -F file]

   One row per user from the state store: state, progress of the running
   or last pass, rate, ETA, and the reason of the last failure. */

#include "lib.h"
#include "ioloop.h"
#include "time-util.h"
#include "str.h"
#include "mail-user.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "mailshift-settings.h"
#include "doveadm-mailshift.h"
#include "state-store.h"

#include <sysexits.h>
#include <unistd.h>

struct mailshift_status_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	struct ms_store *store;
	const char *store_uri;
	/* users seen per state, for the -A summary */
	unsigned int state_counts[MS_USER_STATE_FAILED + 1];
	unsigned int users;
};

static const char *mailshift_status_time(time_t t)
{
	if (t == 0)
		return "-";
	return t_strflocaltime("%Y-%m-%d %H:%M:%S", t);
}

static const char *
mailshift_status_eta(const struct ms_user_record *rec)
{
	uint64_t left;
	double secs, per_msg;

	/* from this pass's own copying: what earlier passes had done took
	   no time now */
	if (rec->state != MS_USER_STATE_SYNCING ||
	    rec->progress.msgs_copied == 0 ||
	    rec->progress.msgs_total <= rec->progress.msgs_done)
		return "-";
	left = rec->progress.msgs_total - rec->progress.msgs_done;
	secs = difftime(ioloop_time, rec->last_pass_started);
	per_msg = secs / rec->progress.msgs_copied;
	return t_strdup_printf("%.0fs", per_msg * left);
}

static int
cmd_mailshift_status_run(struct doveadm_mail_cmd_context *_ctx,
			 struct mail_user *user)
{
	struct mailshift_status_cmd_context *ctx =
		container_of(_ctx, struct mailshift_status_cmd_context, ctx);
	const struct mailshift_settings *set;
	struct ms_user_record *rec;
	const char *error;
	int ret;

	if (doveadm_mailshift_user_store(_ctx, user, &set, &ctx->store,
					 &ctx->store_uri) < 0)
		return -1;
	ret = ms_store_user_get(ctx->store, user->username, &rec, &error);
	if (ret < 0) {
		e_error(user->event, "mailshift: state store: %s", error);
		_ctx->exit_code = EX_TEMPFAIL;
		return -1;
	}
	ctx->users++;
	ctx->state_counts[ret == 0 ? MS_USER_STATE_PENDING : rec->state]++;
	if (ret == 0) {
		/* never seen by mailshift: nothing copied yet */
		doveadm_print(ms_user_state_to_str(MS_USER_STATE_PENDING));
		for (unsigned int i = 0; i < 8; i++)
			doveadm_print("-");
		return 0;
	}
	doveadm_print(ms_user_state_to_str(rec->state));
	doveadm_print(t_strdup_printf("%u/%u", rec->progress.folders_done,
				      rec->progress.folders_total));
	doveadm_print(t_strdup_printf("%"PRIu64"/%"PRIu64,
				      rec->progress.msgs_done,
				      rec->progress.msgs_total));
	doveadm_print_num(rec->bytes_copied_total);
	doveadm_print(t_strdup_printf("%.1f MB/s",
				      rec->rate_bytes_per_sec / 1e6));
	doveadm_print(mailshift_status_eta(rec));
	doveadm_print(mailshift_status_time(rec->last_pass_started));
	doveadm_print(mailshift_status_time(rec->last_pass_finished));
	doveadm_print(rec->reason == NULL ? "-" : rec->reason);
	ms_user_record_free(&rec);
	return 0;
}

static void
cmd_mailshift_status_init(struct doveadm_mail_cmd_context *ctx ATTR_UNUSED,
			  const char *const args[] ATTR_UNUSED)
{
	doveadm_print_header_simple("state");
	doveadm_print_header_simple("folders");
	doveadm_print_header_simple("messages");
	doveadm_print_header_simple("bytes");
	doveadm_print_header_simple("rate");
	doveadm_print_header_simple("eta");
	doveadm_print_header_simple("started");
	doveadm_print_header_simple("finished");
	doveadm_print_header_simple("reason");
}

#define MAILSHIFT_BAR_WIDTH 40

/* On a terminal: one bar for the whole migration.  '#' migrated, '=' copied
   and kept in sync (synced, final-sync), '~' being copied, '!' failed,
   '.' not started. */
static void mailshift_status_append_bar(string_t *out,
					const unsigned int *counts,
					unsigned int users)
{
	static const struct {
		enum ms_user_state state;
		char mark;
	} order[] = {
		{ MS_USER_STATE_MIGRATED, '#' },
		{ MS_USER_STATE_FINAL_SYNC, '=' },
		{ MS_USER_STATE_SYNCED, '=' },
		{ MS_USER_STATE_SYNCING, '~' },
		{ MS_USER_STATE_FAILED, '!' },
		{ MS_USER_STATE_PENDING, '.' },
	};
	unsigned int done = 0, drawn = 0, upto, copied;

	str_append_c(out, '[');
	for (unsigned int i = 0; i < N_ELEMENTS(order); i++) {
		done += counts[order[i].state];
		/* cumulative rounding: the bar always has the full width */
		upto = (done * MAILSHIFT_BAR_WIDTH + users / 2) / users;
		for (; drawn < upto; drawn++)
			str_append_c(out, order[i].mark);
	}
	copied = counts[MS_USER_STATE_MIGRATED] +
		counts[MS_USER_STATE_FINAL_SYNC] +
		counts[MS_USER_STATE_SYNCED];
	str_printfa(out, "] %u%% copied, %u%% migrated\n",
		    copied * 100 / users,
		    counts[MS_USER_STATE_MIGRATED] * 100 / users);
}

static void
cmd_mailshift_status_deinit(struct doveadm_mail_cmd_context *_ctx)
{
	struct mailshift_status_cmd_context *ctx =
		container_of(_ctx, struct mailshift_status_cmd_context, ctx);
	string_t *summary;

	ms_store_close(&ctx->store);
	if (!_ctx->iterate_all_users || ctx->users == 0)
		return;
	/* to stderr, so that the table stays machine-readable */
	summary = t_str_new(128);
	str_printfa(summary, "%u users:", ctx->users);
	for (unsigned int i = 0; i < N_ELEMENTS(ctx->state_counts); i++) {
		str_printfa(summary, " %s %u", ms_user_state_to_str(i),
			    ctx->state_counts[i]);
	}
	str_append_c(summary, '\n');
	if (isatty(STDERR_FILENO) != 0) {
		mailshift_status_append_bar(summary, ctx->state_counts,
					    ctx->users);
	}
	doveadm_print_flush();
	if (write(STDERR_FILENO, str_data(summary), str_len(summary)) < 0) {
		/* nowhere left to report it */
	}
}

struct doveadm_mail_cmd_context *cmd_mailshift_status_alloc(void)
{
	struct mailshift_status_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct mailshift_status_cmd_context);
	ctx->ctx.v.init = cmd_mailshift_status_init;
	ctx->ctx.v.run = cmd_mailshift_status_run;
	ctx->ctx.v.deinit = cmd_mailshift_status_deinit;
	/* doveadm's own Username column, also for a single -u user */
	ctx->ctx.add_username_header = TRUE;
	/* status needs only settings: skip opening the user's mailboxes */
	ctx->ctx.service_flags |= MAIL_STORAGE_SERVICE_FLAG_NO_NAMESPACES;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
}
