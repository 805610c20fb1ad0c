#ifndef DOVEADM_MAILSHIFT_PASSWORD_H
#define DOVEADM_MAILSHIFT_PASSWORD_H

/* The passwords a pass uses besides the master user's
   (doveadm-mailshift-password.c). */

struct mail_user;
struct mail_storage_service_user;
struct mailshift_settings;
struct mailshift_sync_cmd_context;
struct doveadm_mail_cmd_context;

/* Overwrite *str and free it. */
void mailshift_wipe_string(char **str);

/* The prerun vfunc of the pass commands: as root, before privileges
   drop, the master password file and the user's kept password. */
int mailshift_password_prerun(struct doveadm_mail_cmd_context *ctx,
			      struct mail_storage_service_user *service_user,
			      const char **error_r);

/* Whether this Dovecot's authentication accepts ctx->login_password for
   user; FALSE (logged, the password wiped) if not or if it cannot be
   asked: the request then starts nothing. */
bool mailshift_password_verify_login(struct mailshift_sync_cmd_context *ctx,
				     struct mail_user *user);

/* The old server accepted ctx->login_password: keep it for the delta
   passes, and as a local hash for the day the old server is gone. */
void mailshift_password_keep_login(struct mailshift_sync_cmd_context *ctx,
				   struct mail_user *user,
				   const struct mailshift_settings *set);

/* The user is migrated: the kept password goes. */
void mailshift_password_wipe_kept(struct mail_user *user,
				  const struct mailshift_settings *set);

#endif
