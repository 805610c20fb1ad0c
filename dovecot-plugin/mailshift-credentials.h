#ifndef MAILSHIFT_CREDENTIALS_H
#define MAILSHIFT_CREDENTIALS_H

/* Old-server passwords captured at login, for the delta passes of users
   without a master user on the old server.  Each is kept in its own file,
   <dir>/<sha256 of the user name>, mode 0600, encrypted with AES-256-GCM
   under the key in key_path (64 hex digits; created, mode 0600, when
   missing) and bound to the user name, so that a file copied to another
   user's name does not decrypt.  Only root (doveadm) reads them: the
   user's imap process never sees the key.  Wiped when the sweeps after
   cutover are over.  dir (mailshift_credentials_dir) must be root's and
   writable by root only, and so must every directory above it: it is
   refused otherwise, as someone else could plant links there or move it
   away (mailshift_file_open_root_dir()). */

/* Store (or replace) the user's password.  Returns 0 or -1 with
   error_r, which never contains the password. */
int mailshift_credential_store(const char *dir, const char *key_path,
			       const char *username, const char *password,
			       const char **error_r);
/* Returns 1 and *password_r (data stack; wipe it after use), 0 if none is
   kept, -1 with error_r (also for a file that does not decrypt). */
int mailshift_credential_load(const char *dir, const char *key_path,
			      const char *username, const char **password_r,
			      const char **error_r);
/* Overwrite and remove the user's file.  Returns 0 (also when there was
   none) or -1 with error_r. */
int mailshift_credential_wipe(const char *dir, const char *username,
			      const char **error_r);

#endif
