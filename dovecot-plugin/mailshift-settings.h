#ifndef MAILSHIFT_SETTINGS_H
#define MAILSHIFT_SETTINGS_H

/* Every mailshift_* setting, read once per user into one struct.  The
   table in mailshift-settings.c is the single place that names a setting,
   its default and its bounds; conf.d/90-mailshift.conf documents them.
   The Dovecot 2.4 port only has to replace mailshift_settings_read(). */

struct mail_user;
struct mail_user_settings;

enum mailshift_tls_mode {
	MAILSHIFT_TLS_NONE,
	MAILSHIFT_TLS_IMAPS,
	MAILSHIFT_TLS_STARTTLS,
};

/* What becomes of the old server's \All folder (Gmail's "All Mail",
   which holds every message again beside the folders of its labels) */
enum mailshift_all_mail {
	/* copied last, only the messages no other folder holds (by
	   Message-ID): the archived ones */
	MAILSHIFT_ALL_MAIL_UNIQUE,
	MAILSHIFT_ALL_MAIL_SKIP,
	MAILSHIFT_ALL_MAIL_COPY,
};

struct mailshift_settings {
	const char *source_host;
	unsigned int source_port;
	enum mailshift_tls_mode source_tls;
	bool source_tls_verify;
	const char *source_ca_file;
	const char *source_user;
	const char *source_master_user;
	const char *source_password_file;
	/* per-user password (userdb field); never logged */
	const char *source_password;
	const char *source_prefix;
	const char *source_features;
	enum mailshift_all_mail source_all_mail;
	/* the old server's POP3 UIDLs in terms of its IMAP UIDVALIDITY (%v)
	   and UID (%u), kept with INBOX's copies; "": none kept */
	const char *source_pop3_uidl_format;
	/* the old server's POP3 port, asked for the UIDLs of servers
	   whose UIDLs do not derive from IMAP UIDs; 0: not asked */
	unsigned int source_pop3_port;
	unsigned int source_max_connections;
	unsigned int source_connections_per_user;
	unsigned long long source_max_bytes_per_sec;
	unsigned int source_prefetch;
	unsigned int source_timeout_secs;

	const char *store_uri;
	const char *state_dir;
	unsigned int commit_interval;
	unsigned int lease_secs;
	bool special_use_mapping;
	/* "old=new" pairs from mailshift_folder_map, mailshift_folder_map2.. */
	const char *const *folder_map;

	/* first login and delta passes (mailshift-plugin.c, "login") */
	unsigned int delta_interval_secs;
	const char *login_socket;
	unsigned int login_wait_secs;
	/* captured passwords, encrypted at rest; "" = never kept */
	const char *credentials_key;
	/* where they are kept: root's, outside the mail user's reach */
	const char *credentials_dir;
	/* carry a verified password over as a local hash; "" = off */
	const char *local_passwd_file;

	/* cutover (doveadm-mailshift-cutover.h): how long after a user
	   enters final-sync the old host may still deliver locally, and how
	   long after migrated its old mailbox is still swept for mail that
	   was delivered there late */
	unsigned int cutover_settle_secs;
	unsigned int cutover_sweep_secs;
};

/* Read the user's mailshift settings.  Returns 0 and fills set_r
   (allocated from the user's pool), or -1 with an error naming the
   setting and the value that is wrong. */
int mailshift_settings_read(struct mail_user *user,
			    const struct mailshift_settings **set_r,
			    const char **error_r);

/* The same from settings read without a user (doveadm's global ones, for
   "doveadm mailshift check-config"): username stands for the user name
   in the defaults that take it.  Allocated from pool. */
int mailshift_settings_read_set(const struct mail_user_settings *user_set,
				const char *username, pool_t pool,
				const struct mailshift_settings **set_r,
				const char **error_r);
/* The name of the idx'th mailshift_* setting, NULL past the last: for
   listing them all. */
const char *mailshift_setting_name(unsigned int idx);
/* mailshift_source_tls's name for mode ("no", "imaps", "starttls"):
   imapc_ssl's names too. */
const char *mailshift_tls_mode_name(enum mailshift_tls_mode mode);

/* Read the old server's password: the per-user one if the userdb gave it,
   else the first line of source_password_file, which must be readable by
   its owner only.  Returns 0 on success, -1 with an error that says what
   to fix. */
int mailshift_settings_get_password(const struct mailshift_settings *set,
				    const char **password_r,
				    const char **error_r);

/* The default of a mailshift_* setting (for code that runs before the
   user exists, e.g. doveadm's prerun as root), or NULL if there is no
   such setting. */
const char *mailshift_setting_default(const char *name);

/* Read the first line of a secret file, refusing one that group or others
   can read.  Returns 0 and *secret_r (data stack), or -1 with error_r. */
int mailshift_read_secret_file(const char *path, const char **secret_r,
			       const char **error_r);

#endif
