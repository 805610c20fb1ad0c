#ifndef DOVEADM_MAILSHIFT_SERVER_WATCH_H
#define DOVEADM_MAILSHIFT_SERVER_WATCH_H

/* Keeps doveadm -o doveadm_worker_count=N ... -A from stalling.

   Dovecot 2.3's doveadm client prints one doveadm server connection's
   reply at a time and stops reading the others until it is done.  When it
   takes a stopped connection up again it watches the socket itself, not
   the stream over it; a read of the server's log channel can then take
   the end of that connection's reply off the socket into the stream's
   buffer, and nothing wakes the connection for it: the client waits for
   ever, every other connection stopped behind it (Dovecot 2.4's client
   takes connections up again on their streams).  The watch wakes each
   connection to a doveadm server now and then, as new data would: one
   with nothing buffered reads nothing and waits again. */

struct doveadm_settings;
struct doveadm_mailshift_server_watch;

/* Starts the watch in the current ioloop when this process is a doveadm
   client that hands users to doveadm servers (set's
   doveadm_worker_count); NULL when there is nothing to watch. */
struct doveadm_mailshift_server_watch *
doveadm_mailshift_server_watch_start(const struct doveadm_settings *set);
void doveadm_mailshift_server_watch_stop(
	struct doveadm_mailshift_server_watch **watch);

#endif
