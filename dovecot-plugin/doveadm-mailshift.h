#ifndef DOVEADM_MAILSHIFT_H
#define DOVEADM_MAILSHIFT_H

/* The doveadm side of mailshift: one file per verb, registered from the
   table in doveadm-mailshift.c. */

struct doveadm_mail_cmd_context;
struct mail_user;
struct ms_store;
struct mailshift_settings;

/* doveadm-mailshift-cmd-sync.c, -cutover.c */
struct doveadm_mail_cmd_context *cmd_mailshift_sync_alloc(void);
struct doveadm_mail_cmd_context *cmd_mailshift_login_alloc(void);
struct doveadm_mail_cmd_context *cmd_mailshift_cutover_alloc(void);
/* doveadm-mailshift-cmd-status.c */
struct doveadm_mail_cmd_context *cmd_mailshift_status_alloc(void);

/* Open the user's state store, reusing *store if it was opened for the
   same URI (doveadm -A runs many users in one process).  Returns 0 or -1
   with the error logged and ctx->exit_code set. */
int doveadm_mailshift_store_get(struct doveadm_mail_cmd_context *ctx,
				struct mail_user *user, const char *uri,
				struct ms_store **store, const char **store_uri);

/* Read the user's mailshift settings into *set_r and open their store as
   doveadm_mailshift_store_get() does.  Returns 0 or -1 with the error
   logged and ctx->exit_code set (EX_CONFIG for a bad setting). */
int doveadm_mailshift_user_store(struct doveadm_mail_cmd_context *ctx,
				 struct mail_user *user,
				 const struct mailshift_settings **set_r,
				 struct ms_store **store, const char **store_uri);

#endif
