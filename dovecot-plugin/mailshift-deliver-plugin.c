/* Copyright (c) mailshift authors */

/* lib95_mailshift_deliver_plugin.so: keeps one copy of each message that
   LMTP or dovecot-lda deliver to a user during their cutover
   (mailshift-delivered.h).  Load it for deliveries only:

     protocol lmtp { mail_plugins = $mail_plugins mailshift_deliver }
     protocol lda { mail_plugins = $mail_plugins mailshift_deliver }

   It takes Dovecot's delivery hook after Sieve's plugin (lib90) has taken
   it, so the question is asked before any user script runs, and what the
   script then does with the message counts as delivered. */

#include "lib.h"
#include "ioloop.h"
#include "mail-user.h"
#include "mail-deliver.h"
#include "mail-duplicate.h"
#include "mailshift-settings.h"
#include "mailshift-login-stamp.h"
#include "mailshift-delivered.h"
#include "mailshift-deliver-plugin.h"

const char *mailshift_deliver_plugin_version = DOVECOT_ABI_VERSION;

static deliver_mail_func_t *mailshift_next_deliver_mail;

/* Is the recipient within their cutover's window?  *sweep_secs_r: the
   sweep period, how long the records must last. */
static bool mailshift_deliver_in_window(struct mail_user *user,
					unsigned int *sweep_secs_r)
{
	const struct mailshift_settings *set;
	struct mailshift_login_stamp stamp;
	const char *home, *error;
	int ret;

	if (mail_user_get_home(user, &home) <= 0)
		return FALSE;
	ret = mailshift_login_stamp_read(home, &stamp, &error);
	if (ret < 0) {
		e_warning(user->event, "mailshift: %s", error);
		return FALSE;
	}
	if (ret == 0)
		return FALSE;
	if (mailshift_settings_read(user, &set, &error) < 0) {
		e_error(user->event, "mailshift: %s", error);
		return FALSE;
	}
	*sweep_secs_r = set->cutover_sweep_secs;
	return mailshift_delivered_window(&stamp, ioloop_time,
					  set->cutover_sweep_secs);
}

/* Deliver as Dovecot would without this plugin: the next hook (Sieve), or
   a save into the default mailbox.  Returns as deliver_mail_func_t. */
static int mailshift_deliver_next(struct mail_deliver_context *ctx,
				  struct mail_storage **storage_r)
{
	if (mailshift_next_deliver_mail != NULL)
		return mailshift_next_deliver_mail(ctx, storage_r);
	return mail_deliver_save(ctx, ctx->rcpt_default_mailbox, 0, NULL,
				 storage_r) < 0 ? -1 : 1;
}

static int mailshift_deliver_mail(struct mail_deliver_context *ctx,
				  struct mail_storage **storage_r)
{
	struct mail_user *user = ctx->rcpt_user;
	struct mail_duplicate_transaction *trans;
	unsigned int sweep_secs;
	const char *key;
	int seen, ret;

	if (ctx->dup_db == NULL ||
	    !mailshift_deliver_in_window(user, &sweep_secs) ||
	    (key = mailshift_delivered_key(ctx->src_mail)) == NULL)
		return mailshift_deliver_next(ctx, storage_r);

	trans = mail_duplicate_transaction_begin(ctx->dup_db);
	seen = mailshift_delivered_check(trans, user, key);
	if (seen > 0) {
		mail_duplicate_transaction_rollback(&trans);
		mail_deliver_log(ctx, "mailshift: delivered here already "
				 "during the user's cutover: this copy "
				 "discarded");
		return 1;
	}
	ret = mailshift_deliver_next(ctx, storage_r);
	if (seen == 0 && (ret > 0 || ctx->saved_mail)) {
		mailshift_delivered_mark(trans, user, key, sweep_secs);
		mail_duplicate_transaction_commit(&trans);
	} else {
		mail_duplicate_transaction_rollback(&trans);
	}
	return ret;
}

void mailshift_deliver_plugin_init(struct module *module ATTR_UNUSED)
{
	mailshift_next_deliver_mail =
		mail_deliver_hook_set(mailshift_deliver_mail);
}

void mailshift_deliver_plugin_deinit(void)
{
	(void)mail_deliver_hook_set(mailshift_next_deliver_mail);
}
