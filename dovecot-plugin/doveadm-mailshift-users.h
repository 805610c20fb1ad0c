#ifndef DOVEADM_MAILSHIFT_USERS_H
#define DOVEADM_MAILSHIFT_USERS_H

/* Whom "doveadm mailshift sync|status|cutover -A" goes over:

   - every user the state store knows (from a first login, a pass, an
     import), whatever the userdb can list: a static userdb lists nobody,
     and its users must not lose their delta passes for that;
   - and the users the userdb lists that the store does not know yet
     (pending), except those Dovecot keeps no mail for here: outside
     first_valid_uid..last_valid_uid (and the gid range), or whose home
     is not theirs and cannot become theirs (it is not writable by their
     uid, nor is the nearest directory above it that exists).  That is
     how system accounts look in a passwd userdb: nobody's /nonexistent,
     "/" of systemd's users.  They are left out without a word; how many
     and who is kept for a summary.

   Each user once, in byte order of the name.  A userdb that cannot list
   users (static, prefetch, checkpassword) is not asked.  -F takes the
   file's lines as doveadm does; a wildcard -u takes the users above and
   doveadm matches them. */

struct doveadm_mail_cmd_context;
struct doveadm_mailshift_users;

/* For ctx (from its pool); nothing is read before the first user is
   asked for. */
struct doveadm_mailshift_users *
doveadm_mailshift_users_init(struct doveadm_mail_cmd_context *ctx);

/* The next user, for a get_next_user vfunc.  Returns 1 with *username_r,
   0 after the last, -1 when the users cannot be known (the store or the
   userdb failed: logged), which ends doveadm's loop with EX_TEMPFAIL --
   a store that cannot be read must not read as "no users". */
int doveadm_mailshift_users_next(struct doveadm_mailshift_users *users,
				 const char **username_r);

/* Ends what the command's users need while doveadm servers run them
   (doveadm-mailshift-servers.h); for the deinit vfunc. */
void doveadm_mailshift_users_deinit(struct doveadm_mailshift_users *users);

/* Userdb users left out (see above): their number, and up to a few of
   their names, comma-separated ("" if none). */
unsigned int
doveadm_mailshift_users_skipped(const struct doveadm_mailshift_users *users,
				const char **names_r);

#endif
