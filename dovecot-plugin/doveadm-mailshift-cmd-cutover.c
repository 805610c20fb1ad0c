/* Copyright (c) mailshift authors */

/* doveadm mailshift cutover [-u user | -A | -F file]

   Moves users to the new server for good without losing a message that
   reaches the old host on the way.  The argument, step by step:

   1. HOLD.  The user is set final-sync in the state store, under the
      user's lock (a pass running then would otherwise end by writing its
      own state over it).  From then on the old host's mailshift-policyd
      answers its queue manager "hold" for the user: new mail waits in
      the old host's queue instead of entering the old mailbox.

   2. SETTLE.  The old host decides "deliver locally" or "hold" through
      caches: Postfix's resolver clients keep their last answer for 30 s,
      mailshift-policyd its users' states for state_cache_seconds.  An
      answer given before the hold may still send a message into the old
      mailbox until both have expired, so the last pass waits
      mailshift_cutover_settle from the moment the hold was written.
      With -A or -F every user is held first and the wait is taken once.

   3. LAST PASSES.  Passes run until one copies nothing new and finds
      every old message here or taken by an earlier pass, comparing each
      old folder with its copies (mailshift-folder-verify.h).  Mail that
      keeps coming, or a message the new server refused, keeps the user
      in final-sync with the reason: never migrated with mail left
      behind.

   4. MIGRATED.  The old host's policyd forwards the user's mail to the
      new host, and releases what it held.

   5. SWEEP.  A delivery that was already in the old host's LMTP client
      when the hold began, or one decided by a cache nobody knew of, can
      still land in the old mailbox after step 3.  For
      mailshift_cutover_sweep_period after migrated, "doveadm mailshift
      sync" (the cron job) sweeps the old mailbox: what arrived there is
      copied once (each copy's GUID names its original) and nothing else
      is touched.

   Under doveadm_worker_count the users are handed to doveadm server
   processes one by one, which cannot share a wait: each user then waits
   on their own. */

#include "lib.h"
#include "array.h"
#include "sleep.h"
#include "mail-user.h"
#include "mail-storage-service.h"
#include "mailshift-settings.h"
#include "doveadm-mailshift.h"
#include "doveadm-mailshift-pass.h"
#include "state-store.h"
#include "state-store-lock.h"

#include <sysexits.h>

struct mailshift_cutover {
	/* -A, -F, -u with wildcards (doveadm iterates users): the first
	   round over the users only holds them */
	bool iterating, holding;
	/* the users held in the first round, for the second */
	ARRAY_TYPE(const_string) held_users;
	unsigned int next_user;
	/* when the last of their holds is in force */
	time_t settled_at;
};

/* Set the user final-sync unless they are already.  Returns 1 with
   *settled_at_r the time the hold is in force, 0 if the user is migrated
   already, -1 with ctx->exit_code set. */
static int
mailshift_cutover_hold(struct mailshift_sync_cmd_context *ctx,
		       struct mail_user *user, time_t *settled_at_r)
{
	struct doveadm_mail_cmd_context *_ctx = &ctx->ctx;
	const struct mailshift_settings *set;
	struct ms_user_record *rec;
	enum ms_user_state state;
	const char *error, *holder;
	time_t held_since = 0;
	int ret;

	if (doveadm_mailshift_user_store(_ctx, user, &set, &ctx->store,
					 &ctx->store_uri) < 0)
		return -1;
	ret = mailshift_pass_lock(ctx, user, set->lease_secs,
				  MAILSHIFT_CUTOVER_LOCK_WAIT_SECS, &holder,
				  &error);
	if (ret <= 0) {
		if (ret < 0)
			e_error(user->event, "mailshift: state store: %s",
				error);
		else
			e_error(user->event, "mailshift: cannot cut over user "
				"%s: a pass is running for it (%s); run cutover "
				"again when it has finished", user->username,
				holder);
		_ctx->exit_code = EX_TEMPFAIL;
		return -1;
	}

	ret = ms_store_user_get(ctx->store, user->username, &rec, &error);
	if (ret >= 0) {
		state = ret > 0 ? rec->state : MS_USER_STATE_PENDING;
		held_since = ret > 0 ? rec->state_changed : 0;
		ms_user_record_free(&rec);
		ret = 1;
		if (state == MS_USER_STATE_MIGRATED)
			ret = 0;
		else if (state != MS_USER_STATE_FINAL_SYNC) {
			held_since = time(NULL);
			if (ms_store_user_set_state(ctx->store, user->username,
						    MS_USER_STATE_FINAL_SYNC,
						    NULL, &error) < 0)
				ret = -1;
			else
				e_info(user->event, "mailshift: user %s is in "
				       "final-sync: the old host holds their "
				       "new mail from now on", user->username);
		}
	}
	if (ret < 0) {
		e_error(user->event, "mailshift: state store: %s", error);
		_ctx->exit_code = EX_TEMPFAIL;
	}
	if (ms_store_user_unlock(ctx->store, user->username, ctx->lock_owner,
				 &error) < 0)
		e_warning(user->event, "mailshift: state store: %s", error);
	if (ret == 0) {
		e_info(user->event, "mailshift: user %s is migrated already",
		       user->username);
	}
	/* the hold's time is kept in whole seconds: it may have begun up
	   to a second after it says */
	*settled_at_r = held_since + 1 + set->cutover_settle_secs;
	return ret;
}

/* Sleep until settled_at, saying what for. */
static void mailshift_cutover_settle(time_t settled_at, unsigned int users)
{
	time_t now = time(NULL);

	if (now >= settled_at)
		return;
	i_info("mailshift: cutover: waiting %ld s before the last pass of %u "
	       "user(s): until then the old host may still deliver locally "
	       "on an answer from before the hold (Postfix's resolver "
	       "clients cache it 30 s, mailshift-policyd for "
	       "state_cache_seconds; mailshift_cutover_settle)",
	       (long)(settled_at - now), users);
	while ((now = time(NULL)) < settled_at && !doveadm_is_killed())
		i_sleep_msecs(I_MIN(settled_at - now, 1) * 1000);
}

static int
cmd_mailshift_cutover_run(struct doveadm_mail_cmd_context *_ctx,
			  struct mail_user *user)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);
	struct mailshift_cutover *cut = ctx->cutover;
	time_t settled_at;
	int ret;

	ret = mailshift_cutover_hold(ctx, user, &settled_at);
	if (ret <= 0)
		return ret;
	if (cut->holding) {
		const char *name = p_strdup(_ctx->pool, user->username);

		array_push_back(&cut->held_users, &name);
		cut->settled_at = I_MAX(cut->settled_at, settled_at);
		return 0;
	}
	mailshift_cutover_settle(settled_at, 1);
	if (doveadm_is_killed())
		return -1;
	return mailshift_pass_run(_ctx, user);
}

/* -A and -F go over the users twice: the first round holds each of them,
   then the wait is taken once, and the second round runs their last
   passes.  (A single user, -u, is held and passed in one round.) */
static int
cmd_mailshift_cutover_next_user(struct doveadm_mail_cmd_context *_ctx,
				const char **username_r)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);
	struct mailshift_cutover *cut = ctx->cutover;
	const char *const *name;
	int ret;

	if (!cut->iterating) {
		/* doveadm asks for users only when it iterates them */
		cut->iterating = TRUE;
		cut->holding = TRUE;
	}
	if (cut->holding) {
		ret = mailshift_pass_next_user(_ctx, username_r);
		if (ret != 0)
			return ret;
		cut->holding = FALSE;
		mailshift_cutover_settle(cut->settled_at,
					 array_count(&cut->held_users));
		if (doveadm_is_killed())
			return 0;
	}
	if (cut->next_user >= array_count(&cut->held_users))
		return 0;
	name = array_idx(&cut->held_users, cut->next_user++);
	*username_r = *name;
	return 1;
}

struct doveadm_mail_cmd_context *cmd_mailshift_cutover_alloc(void)
{
	struct doveadm_mail_cmd_context *_ctx =
		mailshift_pass_cmd_alloc(MAILSHIFT_PASS_CUTOVER);
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);

	ctx->cutover = p_new(_ctx->pool, struct mailshift_cutover, 1);
	p_array_init(&ctx->cutover->held_users, _ctx->pool, 16);
	_ctx->v.get_next_user = cmd_mailshift_cutover_next_user;
	_ctx->v.run = cmd_mailshift_cutover_run;
	return _ctx;
}
