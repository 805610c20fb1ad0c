#ifndef MAILSHIFT_LOGIN_TRIGGER_H
#define MAILSHIFT_LOGIN_TRIGGER_H

/* Hand a user's pass to the mailshift-login service (conf.d: a Dovecot
   "script" service running "doveadm mailshift login"), the way the quota
   plugin hands warnings to quota-warning: the pass then runs in its own
   process, outside the user's imap/pop3 process, and goes on after the
   client disconnects.

   It never blocks the login: one non-blocking connect to a unix socket
   and one small write into its empty buffer.  A service that is not
   listening, or whose queue is full, is reported and the login goes on;
   the next login or the scheduled "sync -A" starts the pass instead. */

/* password: the one the user just logged in with (from the passdb's
   userdb_mailshift_source_password=%w), or NULL.  It travels only over
   the socket, as data, never as an argument a process list would show.
   Returns 0, or -1 with error_r (which never contains the password). */
int mailshift_login_trigger(const char *socket_path, const char *username,
			    const char *password, const char **error_r);

#endif
