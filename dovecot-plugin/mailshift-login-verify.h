#ifndef MAILSHIFT_LOGIN_VERIFY_H
#define MAILSHIFT_LOGIN_VERIFY_H

/* The mailshift-login socket is open to every imap process, so the
   password a login request carries is believed only once this Dovecot's
   own authentication accepts it for that user, the way the user's login
   just did.  A request naming another user, with a password of the
   requester's choosing, then neither reaches the old server (a failed
   login there, a lockout) nor is kept. */

/* Authenticate username/password (SASL PLAIN, for service) at the auth
   server's client socket auth_socket_path.  Returns 1 if accepted, 0 if
   refused, -1 with error_r if the auth server could not be asked within
   timeout_msecs. */
int mailshift_login_verify(const char *auth_socket_path, const char *service,
			   const char *username, const char *password,
			   unsigned int timeout_msecs, const char **error_r);

#endif
