/* Copyright (c) mailshift authors */

/* lib20_doveadm_mailshift_plugin.so: "doveadm mailshift sync|login|
   cutover|status".  doveadm loads it from $moduledir/doveadm; it needs no
   mail plugin (lib20_mailshift_plugin.so only starts "login"). */

#include "lib.h"
#include "module-dir.h"
#include "mail-user.h"
#include "doveadm-mail.h"
#include "mailshift-settings.h"
#include "doveadm-mailshift.h"
#include "state-store.h"

#include <sysexits.h>

const char *doveadm_mailshift_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_mailshift_plugin_init(struct module *module);
void doveadm_mailshift_plugin_deinit(void);

static struct doveadm_cmd_ver2 mailshift_commands[] = {
	{
		.name = "mailshift sync",
		.mail_cmd = cmd_mailshift_sync_alloc,
		.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX,
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "mailshift login",
		.mail_cmd = cmd_mailshift_login_alloc,
		.usage = "-u <user>",
/* The mailshift-login service runs this as root with the arguments its
   client sends, and every imap process may be that client: it takes one
   user, nothing else (no -S: root's doveadm would connect wherever it is
   told, and log in there with doveadm_password). */
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('u', "user", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "mailshift cutover",
		.mail_cmd = cmd_mailshift_cutover_alloc,
		.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX,
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAMS_END
	},
	{
		.name = "mailshift status",
		.mail_cmd = cmd_mailshift_status_alloc,
		.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX,
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAMS_END
	},
};

int doveadm_mailshift_store_get(struct doveadm_mail_cmd_context *ctx,
				struct mail_user *user, const char *uri,
				struct ms_store **store, const char **store_uri)
{
	const char *error;

	if (*store != NULL && strcmp(*store_uri, uri) == 0)
		return 0;
	ms_store_close(store);
	if (ms_store_open(uri, store, &error) < 0) {
		e_error(user->event, "mailshift: state store: %s", error);
		ctx->exit_code = EX_TEMPFAIL;
		return -1;
	}
	*store_uri = p_strdup(ctx->pool, uri);
	return 0;
}

int doveadm_mailshift_user_store(struct doveadm_mail_cmd_context *ctx,
				 struct mail_user *user,
				 const struct mailshift_settings **set_r,
				 struct ms_store **store, const char **store_uri)
{
	const char *error;

	if (mailshift_settings_read(user, set_r, &error) < 0) {
		e_error(user->event, "mailshift: %s", error);
		ctx->exit_code = EX_CONFIG;
		return -1;
	}
	return doveadm_mailshift_store_get(ctx, user, (*set_r)->store_uri,
					   store, store_uri);
}

void doveadm_mailshift_plugin_init(struct module *module ATTR_UNUSED)
{
	for (unsigned int i = 0; i < N_ELEMENTS(mailshift_commands); i++)
		doveadm_cmd_register_ver2(&mailshift_commands[i]);
}

void doveadm_mailshift_plugin_deinit(void)
{
}
