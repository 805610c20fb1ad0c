/* Copyright (c) mailshift authors */

/* doveadm mailshift status [-u user | -A | -F file]

   Where each user's migration stands, from the state store.

   Read by a person (no -f): -A puts the count of users per state on top
   and one aligned row per user below, sizes and times made readable; -u
   shows one user's record line by line, with the credentials mode in
   force.  Read by a script (doveadm -f tab|json|...): doveadm's own
   formatter, one row per user, plain numbers (bytes, seconds, Unix
   times; 0 for none), the same for every formatter.

   The rate and duration are the last pass's own: what it copied over
   the time it ran (or has run so far). */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "time-util.h"
#include "str.h"
#include "ostream.h"
#include "mail-user.h"
#include "mail-storage-service.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "doveadm-settings.h"
#include "mailshift-settings.h"
#include "doveadm-mailshift.h"
#include "doveadm-mailshift-users.h"
#include "state-store.h"

#include <sysexits.h>
#include <unistd.h>

#define MAILSHIFT_BAR_WIDTH 40

struct mailshift_status_row {
	const char *user;
	struct ms_user_record rec;	/* state PENDING and zeros if unknown */
	bool known;			/* the store has a record */
	const char *credentials;
};

struct mailshift_status_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	struct doveadm_mailshift_users *users;
	/* the store of the settings before any userdb lookup, opened as
	   root before the first user: most users share it, and a user's
	   uid need not be able to open it */
	struct ms_store *store;
	const char *store_uri;
	/* no -f: mailshift's own view, printed when all users are in */
	bool human;
	ARRAY(struct mailshift_status_row) rows;
};

/* The life cycle's order, for counts and the bar */
static const enum ms_user_state mailshift_status_order[] = {
	MS_USER_STATE_PENDING, MS_USER_STATE_SYNCING, MS_USER_STATE_SYNCED,
	MS_USER_STATE_FINAL_SYNC, MS_USER_STATE_MIGRATED,
	MS_USER_STATE_FAILED,
};

/* 1000-based, as disks and network rates are sold: "812 B", "4.2 MB" */
static const char *mailshift_status_size(uint64_t bytes)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB", "PB" };
	double value = bytes;
	unsigned int i;

	if (bytes < 1000)
		return t_strdup_printf("%"PRIu64" B", bytes);
	for (i = 0; i + 1 < N_ELEMENTS(units); i++) {
		value /= 1000;
		if (value < 999.5)
			break;
	}
	return t_strdup_printf(value < 9.95 ? "%.1f %s" : "%.0f %s",
			       value, units[i]);
}

/* "<1s", "45s", "3m12s", "1h02m", "2d03h" */
static const char *mailshift_status_duration(time_t secs)
{
	if (secs < 1)
		return "<1s";
	if (secs < 60)
		return t_strdup_printf("%lds", (long)secs);
	if (secs < 3600)
		return t_strdup_printf("%ldm%02lds", (long)secs / 60,
				       (long)secs % 60);
	if (secs < 86400)
		return t_strdup_printf("%ldh%02ldm", (long)secs / 3600,
				       (long)(secs % 3600) / 60);
	return t_strdup_printf("%ldd%02ldh", (long)secs / 86400,
			       (long)(secs % 86400) / 3600);
}

static const char *mailshift_status_time(time_t t)
{
	return t == 0 ? "-" : t_strflocaltime("%Y-%m-%d %H:%M", t);
}

/* How long the last pass ran, or the running one has run so far */
static time_t mailshift_status_pass_secs(const struct ms_user_record *rec)
{
	time_t end;

	if (rec->last_pass_started == 0)
		return 0;
	end = rec->last_pass_finished >= rec->last_pass_started ?
		rec->last_pass_finished : ioloop_time;
	return end > rec->last_pass_started ?
		end - rec->last_pass_started : 0;
}

static bool mailshift_status_running(const struct ms_user_record *rec)
{
	return rec->last_pass_started != 0 &&
		rec->last_pass_finished < rec->last_pass_started;
}

/* What the last pass copied per second; a pass shorter than a second
   counts as one, as the store's own rate does */
static uint64_t mailshift_status_rate(const struct ms_user_record *rec)
{
	time_t secs = mailshift_status_pass_secs(rec);

	return rec->progress.bytes_done / (secs < 1 ? 1 : secs);
}

/* Seconds left of a running pass, from its own copying so far (what an
   earlier pass had copied took no time now); 0 if there is none or no
   estimate yet */
static time_t mailshift_status_eta(const struct ms_user_record *rec)
{
	double per_msg;

	if (!mailshift_status_running(rec) ||
	    rec->progress.msgs_copied == 0 ||
	    rec->progress.msgs_total <= rec->progress.msgs_done)
		return 0;
	per_msg = (double)mailshift_status_pass_secs(rec) /
		rec->progress.msgs_copied;
	return (time_t)(per_msg *
		(rec->progress.msgs_total - rec->progress.msgs_done) + 0.5);
}

static const char *
mailshift_status_credentials_key(const struct mailshift_settings *set)
{
	switch (mailshift_credentials_mode(set)) {
	case MAILSHIFT_CREDENTIALS_MASTER_USER:
		return "master-user";
	case MAILSHIFT_CREDENTIALS_USER_PASSWORD:
		return "user-password";
	case MAILSHIFT_CREDENTIALS_CAPTURED:
		return "captured";
	}
	i_unreached();
}

/* ---- read by scripts: doveadm's formatter ------------------------------ */

static const char *const mailshift_status_numbers[] = {
	"since", "folders_done", "folders_total", "messages_done",
	"messages_total", "bytes", "bytes_total", "duration", "rate", "eta",
	"started", "finished", "failures",
};

static void mailshift_status_print_header(void)
{
	doveadm_print_header_simple("state");
	for (unsigned int i = 0; i < N_ELEMENTS(mailshift_status_numbers); i++)
		doveadm_print_header(mailshift_status_numbers[i],
				     mailshift_status_numbers[i],
				     DOVEADM_PRINT_HEADER_FLAG_NUMBER);
	doveadm_print_header_simple("credentials");
	doveadm_print_header_simple("reason");
}

static void mailshift_status_print_row(const struct mailshift_status_row *row)
{
	const struct ms_user_record *rec = &row->rec;

	doveadm_print(ms_user_state_to_str(rec->state));
	doveadm_print_num(rec->state_changed);
	doveadm_print_num(rec->progress.folders_done);
	doveadm_print_num(rec->progress.folders_total);
	doveadm_print_num(rec->progress.msgs_done);
	doveadm_print_num(rec->progress.msgs_total);
	doveadm_print_num(rec->progress.bytes_done);
	doveadm_print_num(rec->bytes_copied_total);
	doveadm_print_num(mailshift_status_pass_secs(rec));
	doveadm_print_num(mailshift_status_rate(rec));
	doveadm_print_num(mailshift_status_eta(rec));
	doveadm_print_num(rec->last_pass_started);
	doveadm_print_num(rec->last_pass_finished);
	doveadm_print_num(rec->failures);
	doveadm_print(row->credentials);
	doveadm_print(rec->reason == NULL ? "" : rec->reason);
}

/* ---- read by a person ------------------------------------------------------ */

enum mailshift_status_column {
	COL_USER, COL_STATE, COL_FOLDERS, COL_MESSAGES, COL_COPIED, COL_RATE,
	COL_TOOK, COL_ETA, COL_STARTED, COL_REASON,
	COL_COUNT
};

static const char *const mailshift_status_titles[COL_COUNT] = {
	"USER", "STATE", "FOLDERS", "MESSAGES", "COPIED", "RATE", "TOOK",
	"ETA", "STARTED", "REASON",
};

static void
mailshift_status_cells(const struct mailshift_status_row *row,
		       const char *cells[COL_COUNT])
{
	const struct ms_user_record *rec = &row->rec;
	bool passed = rec->last_pass_started != 0;

	cells[COL_USER] = row->user;
	cells[COL_STATE] = ms_user_state_to_str(rec->state);
	cells[COL_FOLDERS] = !passed ? "-" :
		t_strdup_printf("%u/%u", rec->progress.folders_done,
				rec->progress.folders_total);
	cells[COL_MESSAGES] = !passed ? "-" :
		t_strdup_printf("%"PRIu64"/%"PRIu64, rec->progress.msgs_done,
				rec->progress.msgs_total);
	cells[COL_COPIED] = !passed ? "-" :
		mailshift_status_size(rec->progress.bytes_done);
	cells[COL_RATE] = rec->progress.bytes_done == 0 ? "-" :
		t_strconcat(mailshift_status_size(mailshift_status_rate(rec)),
			    "/s", NULL);
	cells[COL_TOOK] = !passed ? "-" :
		mailshift_status_duration(mailshift_status_pass_secs(rec));
	cells[COL_ETA] = mailshift_status_eta(rec) == 0 ? "-" :
		mailshift_status_duration(mailshift_status_eta(rec));
	cells[COL_STARTED] = mailshift_status_time(rec->last_pass_started);
	cells[COL_REASON] = rec->reason == NULL ? "-" : rec->reason;
}

/* '#' migrated, '=' copied and kept in sync (synced, final-sync), '~'
   being copied, '!' failed, '.' not started */
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

/* "3 users: 2 pending, 1 synced", the users -A left out, the bar */
static void mailshift_status_append_summary(struct mailshift_status_cmd_context *ctx,
					    string_t *out)
{
	unsigned int counts[MS_USER_STATE_FAILED + 1], users, skipped;
	const struct mailshift_status_row *row;
	const char *names, *sep = ": ";

	memset(counts, 0, sizeof(counts));
	array_foreach(&ctx->rows, row)
		counts[row->rec.state]++;
	users = array_count(&ctx->rows);
	str_printfa(out, "%u user%s", users, users == 1 ? "" : "s");
	for (unsigned int i = 0; i < N_ELEMENTS(mailshift_status_order); i++) {
		enum ms_user_state state = mailshift_status_order[i];

		if (counts[state] == 0)
			continue;
		str_printfa(out, "%s%u %s", sep, counts[state],
			    ms_user_state_to_str(state));
		sep = ", ";
	}
	str_append_c(out, '\n');
	skipped = ctx->users == NULL ? 0 :
		doveadm_mailshift_users_skipped(ctx->users, &names);
	if (skipped > 0) {
		str_printfa(out, "(not listed: %u user%s of the userdb that "
			    "mailshift does not know and Dovecot keeps no mail "
			    "for -- uid outside first_valid_uid..last_valid_uid, "
			    "or a home not theirs: %s%s)\n", skipped,
			    skipped == 1 ? "" : "s", names,
			    skipped > 5 ? ", ..." : "");
	}
	if (users > 0 && isatty(STDOUT_FILENO) != 0)
		mailshift_status_append_bar(out, counts, users);
}

static void mailshift_status_append_table(struct mailshift_status_cmd_context *ctx,
					  string_t *out)
{
	const struct mailshift_status_row *rows;
	size_t widths[COL_COUNT];
	unsigned int i, col, count;
	const char ***cells;

	rows = array_get(&ctx->rows, &count);
	cells = t_new(const char **, count);
	for (col = 0; col < COL_COUNT; col++)
		widths[col] = strlen(mailshift_status_titles[col]);
	for (i = 0; i < count; i++) {
		cells[i] = t_new(const char *, COL_COUNT);
		mailshift_status_cells(&rows[i], cells[i]);
		for (col = 0; col < COL_COUNT; col++)
			widths[col] = I_MAX(widths[col], strlen(cells[i][col]));
	}
	for (i = 0; i <= count; i++) {
		const char *const *line = i == 0 ? mailshift_status_titles :
			cells[i - 1];

		for (col = 0; col < COL_COUNT; col++) {
			/* the last column is not padded: no trailing blanks */
			if (col + 1 == COL_COUNT)
				str_append(out, line[col]);
			else
				str_printfa(out, "%-*s  ", (int)widths[col],
					    line[col]);
		}
		str_append_c(out, '\n');
	}
}

/* One user, line by line */
static void mailshift_status_append_user(const struct mailshift_status_row *row,
					 string_t *out)
{
	const struct ms_user_record *rec = &row->rec;
	const char *cells[COL_COUNT];

	mailshift_status_cells(row, cells);
	str_printfa(out, "user         %s\n", row->user);
	str_printfa(out, "state        %s", cells[COL_STATE]);
	if (!row->known)
		str_append(out, " (mailshift has not seen the user yet)");
	else
		str_printfa(out, " since %s",
			    mailshift_status_time(rec->state_changed));
	str_printfa(out, "\ncredentials  %s\n", row->credentials);
	if (rec->last_pass_started == 0)
		str_append(out, "last pass    none yet\n");
	else {
		str_printfa(out, "last pass    %s, %s %s: %s folders, %s "
			    "messages\n", cells[COL_STARTED],
			    mailshift_status_running(rec) ?
			    "running for" : "took", cells[COL_TOOK],
			    cells[COL_FOLDERS], cells[COL_MESSAGES]);
		str_printfa(out, "copied       %s by the last pass",
			    cells[COL_COPIED]);
		if (rec->progress.bytes_done > 0)
			str_printfa(out, " (%s)", cells[COL_RATE]);
		str_printfa(out, ", %s in all passes\n",
			    mailshift_status_size(rec->bytes_copied_total));
	}
	if (mailshift_status_eta(rec) != 0)
		str_printfa(out, "eta          %s\n", cells[COL_ETA]);
	if (rec->failures > 0)
		str_printfa(out, "failures     %u in a row\n", rec->failures);
	str_printfa(out, "reason       %s\n", cells[COL_REASON]);
}

/* ---- the command ------------------------------------------------------------ */

static int
cmd_mailshift_status_run(struct doveadm_mail_cmd_context *_ctx,
			 struct mail_user *user)
{
	struct mailshift_status_cmd_context *ctx =
		container_of(_ctx, struct mailshift_status_cmd_context, ctx);
	const struct mailshift_settings *set;
	struct mailshift_status_row row;
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
	i_zero(&row);
	row.user = p_strdup(_ctx->pool, user->username);
	row.known = ret > 0;
	if (ret > 0) {
		row.rec = *rec;
		row.rec.user = NULL;
		row.rec.lock_owner = NULL;
		row.rec.reason = p_strdup(_ctx->pool, rec->reason);
		ms_user_record_free(&rec);
	} else {
		row.rec.state = MS_USER_STATE_PENDING;
	}
	if (ctx->human) {
		row.credentials = p_strdup(_ctx->pool,
			mailshift_credentials_mode_describe(set));
		array_push_back(&ctx->rows, &row);
	} else {
		row.credentials = mailshift_status_credentials_key(set);
		mailshift_status_print_row(&row);
	}
	return 0;
}

static void cmd_mailshift_status_preinit(struct doveadm_mail_cmd_context *_ctx)
{
	struct mailshift_status_cmd_context *ctx =
		container_of(_ctx, struct mailshift_status_cmd_context, ctx);

	/* doveadm -f chose a formatter: for scripts.  Through doveadm
	   servers (doveadm_worker_count) rows come back as doveadm's own
	   output: its formatter then too. */
	ctx->human = !doveadm_print_is_initialized() &&
		_ctx->set->doveadm_worker_count == 0;
	if (!ctx->human) {
		doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
		_ctx->add_username_header = TRUE;
	}
}

static void
cmd_mailshift_status_init(struct doveadm_mail_cmd_context *_ctx,
			  const char *const args[] ATTR_UNUSED)
{
	struct mailshift_status_cmd_context *ctx =
		container_of(_ctx, struct mailshift_status_cmd_context, ctx);
	const struct mail_user_settings *user_set;
	const char *uri, *error;

	if (!ctx->human)
		mailshift_status_print_header();
	/* still root: open the store every user's settings name, unless
	   they say otherwise (run() then opens theirs) */
	if (doveadm_mailshift_global_settings(_ctx->storage_service,
					      _ctx->pool, &user_set,
					      &error) < 0)
		return;
	uri = mail_user_set_plugin_getenv(user_set, "mailshift_store");
	if (uri == NULL)
		uri = mailshift_setting_default("mailshift_store");
	if (doveadm_mailshift_store_open_existing(uri, &ctx->store,
						  &error) <= 0) {
		/* each user's run() opens it, and says why it cannot */
		return;
	}
	ctx->store_uri = p_strdup(_ctx->pool, uri);
}

static void
cmd_mailshift_status_deinit(struct doveadm_mail_cmd_context *_ctx)
{
	struct mailshift_status_cmd_context *ctx =
		container_of(_ctx, struct mailshift_status_cmd_context, ctx);
	string_t *out;

	ms_store_close(&ctx->store);
	doveadm_mailshift_users_deinit(ctx->users);
	if (!ctx->human)
		return;
	out = t_str_new(1024);
	if (_ctx->iterate_single_user) {
		/* no row: doveadm said why (no such user, an error) */
		if (array_count(&ctx->rows) == 0)
			return;
		mailshift_status_append_user(array_front(&ctx->rows), out);
	} else {
		/* "0 users" too: -A found none, and says so */
		mailshift_status_append_summary(ctx, out);
		if (array_count(&ctx->rows) > 0) {
			str_append_c(out, '\n');
			mailshift_status_append_table(ctx, out);
		}
	}
	o_stream_nsend(doveadm_print_ostream, str_data(out), str_len(out));
}

static int
cmd_mailshift_status_next_user(struct doveadm_mail_cmd_context *_ctx,
			       const char **username_r)
{
	struct mailshift_status_cmd_context *ctx =
		container_of(_ctx, struct mailshift_status_cmd_context, ctx);

	return doveadm_mailshift_users_next(ctx->users, username_r);
}

struct doveadm_mail_cmd_context *cmd_mailshift_status_alloc(void)
{
	struct mailshift_status_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct mailshift_status_cmd_context);
	ctx->ctx.v.preinit = cmd_mailshift_status_preinit;
	ctx->ctx.v.init = cmd_mailshift_status_init;
	ctx->ctx.v.run = cmd_mailshift_status_run;
	ctx->ctx.v.deinit = cmd_mailshift_status_deinit;
	ctx->ctx.v.get_next_user = cmd_mailshift_status_next_user;
	ctx->users = doveadm_mailshift_users_init(&ctx->ctx);
	p_array_init(&ctx->rows, ctx->ctx.pool, 16);
	/* status needs only settings: skip opening the user's mailboxes */
	ctx->ctx.service_flags |= MAIL_STORAGE_SERVICE_FLAG_NO_NAMESPACES;
	return &ctx->ctx;
}
