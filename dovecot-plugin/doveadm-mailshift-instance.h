#ifndef DOVEADM_MAILSHIFT_INSTANCE_H
#define DOVEADM_MAILSHIFT_INSTANCE_H

/* "doveadm mailshift login" runs under the configuration of the Dovecot
   whose login asked for the pass.  The script service starts doveadm with
   an empty environment, so doveadm reads /etc/dovecot/dovecot.conf unless
   the service gives it -c: a second Dovecot (dovecot -c other.conf) would
   have its users' passes run with the first one's settings and store.

   The request arrives on stdin, a connection to the service's socket,
   which Dovecot's master made in its base_dir; the master also links
   <base_dir>/dovecot.conf to the configuration it runs with (doveadm -i
   reads the same link).  Nothing the client sends is used: the socket's
   path is the listener's, fixed by the master. */

/* When stdin is such a connection and its socket is not in this doveadm's
   base_dir: re-execute doveadm with -c the socket's Dovecot's
   configuration and the same "mailshift login -u username" (does not
   return).  Refuses (EX_CONFIG, logged) when that Dovecot cannot be told
   safely: no dovecot.conf link beside the socket, or one in a directory
   others than root may write.  Returns when doveadm already runs with
   the right configuration, or stdin is no unix socket (run by hand). */
void doveadm_mailshift_login_follow_instance(const char *username);

#endif
