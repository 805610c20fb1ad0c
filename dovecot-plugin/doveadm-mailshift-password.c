/* Copyright (c) mailshift authors */

/* The passwords a pass uses besides the master user's: the master
   password file and a password kept from an earlier login, read as root
   before doveadm drops privileges; the password a login sends, believed
   only once this Dovecot's authentication accepts it, then kept
   encrypted (mailshift-credentials.h) for the delta passes and carried
   over as a local hash (mailshift-local-passwd.h); wiped after the
   cutover's sweeps. */

#include "lib.h"
#include "safe-memset.h"
#include "mail-user.h"
#include "mail-storage-service.h"
#include "mailshift-settings.h"
#include "mailshift-credentials.h"
#include "mailshift-local-passwd.h"
#include "mailshift-login-verify.h"
#include "doveadm-mailshift-pass.h"
#include "doveadm-mailshift-password.h"

#include <unistd.h>

#define MAILSHIFT_LOGIN_VERIFY_TIMEOUT_MSECS 10000

void mailshift_wipe_string(char **str)
{
	if (*str == NULL)
		return;
	safe_memset(*str, 0, strlen(*str));
	i_free_and_null(*str);
}

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

static const char *
mailshift_plugin_env_or_default(struct mail_storage_service_user *service_user,
				const char *name)
{
	const char *value = mailshift_plugin_env(service_user, name);

	return value != NULL ? value : mailshift_setting_default(name);
}

/* A password captured at an earlier login, for users without a master
   user on the old server.  Root's files: read before privileges drop. */
static void
mailshift_sync_load_kept_password(struct mailshift_sync_cmd_context *ctx,
				  struct mail_storage_service_user *service_user)
{
	const char *username =
		mail_storage_service_user_get_input(service_user)->username;
	const char *key, *dir, *password, *error;
	int ret;

	mailshift_wipe_string(&ctx->kept_password);
	i_free_and_null(ctx->kept_user);
	key = mailshift_plugin_env_or_default(service_user,
					      "mailshift_credentials_key");
	if (*key == '\0' ||
	    *mailshift_plugin_env_or_default(service_user,
			"mailshift_source_master_user") != '\0')
		return;
	dir = mailshift_plugin_env_or_default(service_user,
					      "mailshift_credentials_dir");
	ret = mailshift_credential_load(dir, key, username, &password, &error);
	if (ret < 0) {
		i_error("mailshift: user %s: kept password: %s", username,
			error);
		return;
	}
	if (ret > 0) {
		ctx->kept_user = i_strdup(username);
		ctx->kept_password = i_strdup(password);
		safe_memset((void *)password, 0, strlen(password));
	}
}

int mailshift_password_prerun(struct doveadm_mail_cmd_context *_ctx,
			      struct mail_storage_service_user *service_user,
			      const char **error_r)
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);
	const char *path, *password, *error;

	mailshift_sync_load_kept_password(ctx, service_user);
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

/* run() has the mail user's effective uid (MAIL_STORAGE_SERVICE_FLAG_
   TEMP_PRIV_DROP); the kept passwords and the passwd-file are root's. */
static int mailshift_as_root_begin(uid_t *saved_euid_r, const char **error_r)
{
	*saved_euid_r = geteuid();
	if (*saved_euid_r != 0 && seteuid(0) < 0) {
		*error_r = t_strdup_printf("seteuid(0) failed: %m (doveadm "
			"must run as root to keep captured passwords)");
		return -1;
	}
	return 0;
}

static void mailshift_as_root_end(uid_t saved_euid)
{
	if (saved_euid != 0 && seteuid(saved_euid) < 0)
		i_fatal("seteuid(%s) failed: %m", dec2str(saved_euid));
}

/* A login request's password is believed only if this Dovecot's own
   authentication accepts it for the user (mailshift-login-verify.h).
   Returns FALSE (logged) if it does not, or cannot be asked: the request
   did not come from the user's login, and starts nothing. */
bool mailshift_password_verify_login(struct mailshift_sync_cmd_context *ctx,
				     struct mail_user *user)
{
	const char *path, *error = NULL;
	uid_t euid;
	int ret = -1;

	path = t_strconcat(user->set->base_dir, "/auth-client", NULL);
	if (mailshift_as_root_begin(&euid, &error) == 0) {
		ret = mailshift_login_verify(path, "imap", user->username,
					     ctx->login_password,
					     MAILSHIFT_LOGIN_VERIFY_TIMEOUT_MSECS,
					     &error);
		mailshift_as_root_end(euid);
	}
	if (ret > 0)
		return TRUE;
	if (ret == 0) {
		e_warning(user->event, "mailshift: login: the password sent "
			  "for user %s is not the user's (the request did not "
			  "come from their login); no pass started",
			  user->username);
	} else {
		e_warning(user->event, "mailshift: login: cannot check the "
			  "password sent for user %s, no pass started: %s",
			  user->username, error);
	}
	mailshift_wipe_string(&ctx->login_password);
	return FALSE;
}

/* The old server accepted the password the user logged in with: keep it
   for the delta passes, and as a local hash for the day the old server
   is gone. */
void mailshift_password_keep_login(struct mailshift_sync_cmd_context *ctx,
				   struct mail_user *user,
				   const struct mailshift_settings *set)
{
	const char *error;
	uid_t euid;
	int ret;

	if (mailshift_as_root_begin(&euid, &error) < 0) {
		e_error(user->event, "mailshift: %s", error);
		return;
	}
	if (*set->credentials_key != '\0' &&
	    null_strcmp(ctx->kept_password, ctx->login_password) != 0) {
		if (mailshift_credential_store(
			set->credentials_dir, set->credentials_key,
			user->username, ctx->login_password,
			&error) < 0) {
			e_error(user->event, "mailshift: cannot keep the "
				"password for delta passes: %s", error);
		}
	}
	if (*set->local_passwd_file != '\0') {
		ret = mailshift_local_passwd_set(set->local_passwd_file,
						 user->username,
						 ctx->login_password, &error);
		if (ret < 0) {
			e_error(user->event, "mailshift: cannot carry the "
				"password over to %s: %s",
				set->local_passwd_file, error);
		} else if (ret > 0) {
			e_info(user->event, "mailshift: password carried "
			       "over to %s", set->local_passwd_file);
		}
	}
	mailshift_as_root_end(euid);
}

void mailshift_password_wipe_kept(struct mail_user *user,
				  const struct mailshift_settings *set)
{
	const char *error;
	uid_t euid;

	if (mailshift_as_root_begin(&euid, &error) < 0 ||
	    mailshift_credential_wipe(set->credentials_dir,
				      user->username, &error) < 0) {
		e_error(user->event, "mailshift: cannot wipe the kept "
			"password: %s", error);
	}
	mailshift_as_root_end(euid);
}
