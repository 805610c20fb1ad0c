#ifndef MAILSHIFT_DELIVERED_H
#define MAILSHIFT_DELIVERED_H

/* "Has this message reached the user's new mailbox already?", asked while
   a user's cutover may still bring a second copy of one message: from the
   hold until the sweeps of the old mailbox end.  Postfix delivers at
   least once, not exactly once: a delivery whose reply is lost (a Postfix
   stop or crash after Dovecot saved) is made again, and by then the user's
   mail may travel another way (delivered into the old mailbox and found
   by a sweep, or forwarded by the old host).  Every copy that arrives in
   that window, by LMTP/LDA (mailshift-deliver-plugin.c) or by a sweep
   (mailshift-copy-folder.c), is looked up and recorded by its Message-ID in the
   user's duplicate database, the one Dovecot's LDA and Sieve's duplicate
   test keep in the home directory; the second is not saved.

   Mail without a Message-ID is always delivered: nothing else names a
   message the same way on both paths.  A database that cannot be read
   never stops a delivery either: a second copy is better than none. */

#include "mailshift-login-stamp.h"

struct mail;
struct mail_user;
struct mail_duplicate_transaction;

/* Dovecot's own name for the user's duplicate database */
#define MAILSHIFT_DELIVERED_DB_NAME "lda-dupes"

/* Is a user in this state (stamp NULL: mailshift never saw them) within
   the window?  final-sync, and migrated until sweep_secs after the
   cutover (mailshift_cutover_sweep_period). */
bool mailshift_delivered_window(const struct mailshift_login_stamp *stamp,
				time_t now, unsigned int sweep_secs);

/* The message's key: its Message-ID without the angle brackets; NULL
   when it has none (or it cannot be read). */
const char *mailshift_delivered_key(struct mail *mail);

/* Returns 1 if a message with this key was delivered to user already, 0 if
   not (the key is then locked against a concurrent delivery of the same
   message until trans ends), -1 if the database cannot tell (logged). */
int mailshift_delivered_check(struct mail_duplicate_transaction *trans,
			      struct mail_user *user, const char *key);
/* Record key, which mailshift_delivered_check() found not delivered and
   locked in this trans, as delivered to user, for sweep_secs or a day,
   whichever is longer.  Written when trans is committed. */
void mailshift_delivered_mark(struct mail_duplicate_transaction *trans,
			      struct mail_user *user, const char *key,
			      unsigned int sweep_secs);

#endif
