#ifndef DOVEADM_MAILSHIFT_H
#define DOVEADM_MAILSHIFT_H

/* The doveadm side of mailshift: one file per verb, registered from the
   table in doveadm-mailshift.c. */

#include "mailshift-export.h"

struct doveadm_cmd_context;
struct doveadm_mail_cmd_context;
struct mail_user;
struct mail_user_settings;
struct mail_storage_service_ctx;
struct ms_store;
struct mailshift_settings;
struct stat;
struct module;

/* lib20_doveadm_mailshift_plugin.so's entry points (doveadm-mailshift.c),
   the only names it exports (mailshift-export.h): init registers the
   commands. */
MAILSHIFT_EXPORT extern const char *doveadm_mailshift_plugin_version;
MAILSHIFT_EXPORT void doveadm_mailshift_plugin_init(struct module *module);
MAILSHIFT_EXPORT void doveadm_mailshift_plugin_deinit(void);

/* doveadm-mailshift-cmd-sync.c, -login.c, -cutover.c */
struct doveadm_mail_cmd_context *cmd_mailshift_sync_alloc(void);
struct doveadm_mail_cmd_context *cmd_mailshift_login_alloc(void);
struct doveadm_mail_cmd_context *cmd_mailshift_cutover_alloc(void);
/* doveadm-mailshift-cmd-status.c */
struct doveadm_mail_cmd_context *cmd_mailshift_status_alloc(void);
/* doveadm-mailshift-cmd-check-config.c */
void cmd_mailshift_check_config(struct doveadm_cmd_context *cctx);

/* Open the user's state store, reusing *store if it was opened for the
   same URI (doveadm -A runs many users in one process).  Returns 0 or -1
   with the error logged and ctx->exit_code set. */
int doveadm_mailshift_store_get(struct doveadm_mail_cmd_context *ctx,
				struct mail_user *user, const char *uri,
				struct ms_store **store, const char **store_uri);

/* Open the store at uri for reading only if it exists: an SQLite file is
   not created (root would make it root's where the directory is).
   Returns 1 with *store_r, 0 if there is no such file, -1 with
   error_r. */
int doveadm_mailshift_store_open_existing(const char *uri,
					  struct ms_store **store_r,
					  const char **error_r);

/* Read the user's mailshift settings into *set_r and open their store as
   doveadm_mailshift_store_get() does.  Returns 0 or -1 with the error
   logged and ctx->exit_code set (EX_CONFIG for a bad setting). */
int doveadm_mailshift_user_store(struct doveadm_mail_cmd_context *ctx,
				 struct mail_user *user,
				 const struct mailshift_settings **set_r,
				 struct ms_store **store, const char **store_uri);

/* The mail settings as configured, before any userdb lookup changed them
   (what -A and check-config read before there is a user), allocated
   from pool.  Returns 0, or -1 with error_r. */
int doveadm_mailshift_global_settings(struct mail_storage_service_ctx *service,
				      pool_t pool,
				      const struct mail_user_settings **set_r,
				      const char **error_r);

/* A uid (gid FALSE) or gid given as a number or a name, as Dovecot's
   settings and userdb fields give them.  Returns FALSE if there is none
   or no such user/group. */
bool doveadm_mailshift_id_parse(const char *value, bool gid,
				unsigned int *id_r);
/* May uid (primary group gid) do all of want (4 read, 2 write, 1 search)
   on what st describes, by its mode bits alone (root may all)? */
bool doveadm_mailshift_may(const struct stat *st, uid_t uid, gid_t gid,
			   unsigned int want);

/* How a pass logs in to the old server, in the order mailshift tries
   them (doveadm-mailshift-password.c): the first that is configured is
   the one in force, and what comes after it is not used. */
enum mailshift_credentials_mode {
	/* mailshift_source_master_user with its password file */
	MAILSHIFT_CREDENTIALS_MASTER_USER,
	/* mailshift_source_password, set for the user (a userdb field) */
	MAILSHIFT_CREDENTIALS_USER_PASSWORD,
	/* the password typed at login (passdb imap in
	   auth-mailshift.conf.ext), kept with mailshift_credentials_key for
	   the passes of later days (none kept when it is empty) */
	MAILSHIFT_CREDENTIALS_CAPTURED,
};
enum mailshift_credentials_mode
mailshift_credentials_mode(const struct mailshift_settings *set);
/* One line saying which mode is in force and what it leaves unused. */
const char *mailshift_credentials_mode_describe(const struct mailshift_settings *set);

#endif
