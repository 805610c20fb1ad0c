#ifndef DOVEADM_MAILSHIFT_DOVECONF_H
#define DOVEADM_MAILSHIFT_DOVECONF_H

/* Parts of a Dovecot configuration that doveadm's own settings do not
   carry (passdb and userdb sections, services), as `doveconf -c CONFIG
   NAME...` prints them: the configuration Dovecot itself would run with,
   includes, defaults and filters applied.  Values doveconf hides (keys
   and passwords) stay hidden. */

struct mailshift_doveconf;

/* Run doveconf on config_path for the settings and sections named (e.g.
   "userdb", "service/mailshift-login", "first_valid_uid").  Returns 0 and
   *conf_r (allocated from pool), or -1 with error_r. */
int mailshift_doveconf_read(const char *config_path,
			    const char *const *names, pool_t pool,
			    struct mailshift_doveconf **conf_r,
			    const char **error_r);

/* The value of key at the top level (section NULL) or in the section
   (a path as mailshift_doveconf_sections() returns), or NULL when doveconf
   printed none. */
const char *mailshift_doveconf_get(const struct mailshift_doveconf *conf,
				   const char *section, const char *key);

/* The sections of a type directly inside parent (NULL: the top level), in
   the order doveconf printed them, NULL-terminated.  A section's path is
   "<parent>/<type> <name>" ("service mailshift-login/unix_listener
   mailshift-login"), or "<type>#<n>" for unnamed ones ("passdb#0"). */
const char *const *
mailshift_doveconf_sections(const struct mailshift_doveconf *conf,
			    const char *parent, const char *type);

/* Can Dovecot list this configuration's users (doveadm -A)?  Only userdbs
   with an iterate function can: not static, prefetch or checkpassword. */
bool mailshift_doveconf_userdb_can_iterate(const struct mailshift_doveconf *conf);

#endif
