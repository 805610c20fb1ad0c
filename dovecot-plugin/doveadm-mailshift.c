/* Copyright (c) mailshift authors */

/* lib20_doveadm_mailshift_plugin.so: "doveadm mailshift sync|login|
   cutover|status|check-config".  doveadm loads it from $moduledir/doveadm; it needs no
   mail plugin (lib20_mailshift_plugin.so only starts "login"). */

#include "lib.h"
#include "ipwd.h"
#include "module-dir.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "mail-user.h"
#include "mail-storage-service.h"
#include "doveadm-mail.h"
#include "mailshift-settings.h"
#include "doveadm-mailshift.h"
#include "state-store.h"

#include <sysexits.h>
#include <sys/stat.h>
#include <unistd.h>

const char *doveadm_mailshift_plugin_version = DOVECOT_ABI_VERSION;

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
	{
		.name = "mailshift check-config",
		.cmd = cmd_mailshift_check_config,
		.usage = "[-u <user>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('u', "user", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
	},
};

int doveadm_mailshift_store_get(struct doveadm_mail_cmd_context *ctx,
				struct mail_user *user, const char *uri,
				struct ms_store **store, const char **store_uri)
{
	const char *error;
	int ret;

	if (*store != NULL && strcmp(*store_uri, uri) == 0)
		return 0;
	ms_store_close(store);
	if ((ret = ms_store_open(uri, store, &error)) < 0) {
		e_error(user->event, "mailshift: state store: %s", error);
		/* no retry makes a store without its schema usable */
		ctx->exit_code = ret == -2 ? EX_CONFIG : EX_TEMPFAIL;
		return -1;
	}
	*store_uri = p_strdup(ctx->pool, uri);
	return 0;
}

int doveadm_mailshift_store_open_existing(const char *uri,
					  struct ms_store **store_r,
					  const char **error_r)
{
	if (str_begins(uri, "sqlite:") && access(uri + 7, F_OK) < 0 &&
	    errno == ENOENT) {
		*store_r = NULL;
		return 0;
	}
	return ms_store_open(uri, store_r, error_r) < 0 ? -1 : 1;
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

int doveadm_mailshift_global_settings(struct mail_storage_service_ctx *service,
				      pool_t pool,
				      const struct mail_user_settings **set_r,
				      const char **error_r)
{
	const struct setting_parser_info *user_info;
	const struct setting_parser_context *parser;
	const char *error;

	if (mail_storage_service_read_settings(service, NULL, pool, &user_info,
					       &parser, &error) < 0) {
		*error_r = t_strdup_printf("reading the settings: %s", error);
		return -1;
	}
	*set_r = master_service_settings_parser_get_others(master_service,
							   parser)[0];
	return 0;
}

bool doveadm_mailshift_id_parse(const char *value, bool gid,
				unsigned int *id_r)
{
	struct passwd pw;
	struct group gr;

	if (value == NULL || *value == '\0')
		return FALSE;
	if (str_to_uint(value, id_r) == 0)
		return TRUE;
	if (!gid && i_getpwnam(value, &pw) > 0) {
		*id_r = pw.pw_uid;
		return TRUE;
	}
	if (gid && i_getgrnam(value, &gr) > 0) {
		*id_r = gr.gr_gid;
		return TRUE;
	}
	return FALSE;
}

bool doveadm_mailshift_may(const struct stat *st, uid_t uid, gid_t gid,
			   unsigned int want)
{
	unsigned int bits;

	if (uid == 0)
		return TRUE;
	if (st->st_uid == uid)
		bits = (st->st_mode >> 6) & 7;
	else if (st->st_gid == gid)
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	return (bits & want) == want;
}

enum mailshift_credentials_mode
mailshift_credentials_mode(const struct mailshift_settings *set)
{
	if (*set->source_master_user != '\0')
		return MAILSHIFT_CREDENTIALS_MASTER_USER;
	if (*set->source_password != '\0')
		return MAILSHIFT_CREDENTIALS_USER_PASSWORD;
	return MAILSHIFT_CREDENTIALS_CAPTURED;
}

const char *mailshift_credentials_mode_describe(const struct mailshift_settings *set)
{
	switch (mailshift_credentials_mode(set)) {
	case MAILSHIFT_CREDENTIALS_MASTER_USER:
		return t_strdup_printf("master user %s (mailshift_source_"
			"master_user, password in %s); it wins: a password "
			"from the userdb or typed at login is not used",
			set->source_master_user,
			*set->source_password_file == '\0' ? "(not set)" :
			set->source_password_file);
	case MAILSHIFT_CREDENTIALS_USER_PASSWORD:
		return "the user's own password from mailshift_source_password "
			"(set for the user, e.g. by the userdb); it wins over "
			"one typed at login";
	case MAILSHIFT_CREDENTIALS_CAPTURED:
		if (*set->credentials_key == '\0') {
			return "the password the user types at login (passdb "
				"imap, auth-mailshift.conf.ext), not kept "
				"(mailshift_credentials_key is empty): passes "
				"run only at the user's logins";
		}
		return t_strdup_printf("the password the user types at login "
			"(passdb imap, auth-mailshift.conf.ext), kept "
			"encrypted in %s for the passes in between",
			set->credentials_dir);
	}
	i_unreached();
}

void doveadm_mailshift_plugin_init(struct module *module ATTR_UNUSED)
{
	for (unsigned int i = 0; i < N_ELEMENTS(mailshift_commands); i++)
		doveadm_cmd_register_ver2(&mailshift_commands[i]);
}

void doveadm_mailshift_plugin_deinit(void)
{
}
