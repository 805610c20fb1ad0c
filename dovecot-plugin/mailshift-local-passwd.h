#ifndef MAILSHIFT_LOCAL_PASSWD_H
#define MAILSHIFT_LOCAL_PASSWD_H

/* Carry a password the old server just accepted over to this server as a
   SHA512-CRYPT hash, in the passwd-file that conf.d/auth-mailshift.conf.ext
   asks before it asks the old server (passdb imap).  Once every user has
   logged in at least once, the old server can be switched off without a
   password reset.  Lines look like Dovecot's passwd-file:
   user:{SHA512-CRYPT}$6$salt$hash */

/* Set the user's hash, unless the one there already matches the password.
   The file is rewritten under a lock (temp file renamed over, mode and
   owner kept; a new file is 0640, group dovecot, for the auth process).
   Returns 1 if written, 0 if it already matched, -1 with error_r (which
   never contains the password). */
int mailshift_local_passwd_set(const char *path, const char *username,
			       const char *password, const char **error_r);

#endif
