#ifndef DOVEADM_MAILSHIFT_SERVERS_H
#define DOVEADM_MAILSHIFT_SERVERS_H

/* doveadm -o doveadm_worker_count=N mailshift sync|status|cutover -A: the
   doveadm client hands each user to a doveadm server and prints the rows
   they send back.  Dovecot 2.3's client gets two things wrong there, which
   are put right while such a command runs (2.4's client has neither):

   - It prints one server connection's reply at a time and stops reading
     the others until it is done.  When it takes a stopped connection up
     again it watches the socket itself, not the stream over it; a read of
     the server's log channel can then take the end of that connection's
     reply off the socket into the stream's buffer, and nothing wakes the
     connection for it: the client waits for ever, every other connection
     stopped behind it.  So each connection to a doveadm server is woken
     now and then, as new data would wake it: one with nothing buffered
     reads nothing and waits again.

   - A row that reaches it in two reads, split inside a field, is printed
     a piece at a time; the tab formatter (-f tab) then writes the field's
     end as one more, empty field, and the row has a column too many.  So
     the tab formatter gathers a field's pieces and prints it whole, as the
     table formatter does. */

struct doveadm_settings;
struct doveadm_mailshift_servers;

/* Begins when this process is a doveadm client that hands users to
   doveadm servers (set's doveadm_worker_count); NULL when there is
   nothing to put right. */
struct doveadm_mailshift_servers *
doveadm_mailshift_servers_begin(const struct doveadm_settings *set);
void doveadm_mailshift_servers_end(struct doveadm_mailshift_servers **servers);

#endif
