#ifndef MAILSHIFT_SOURCE_LIST_H
#define MAILSHIFT_SOURCE_LIST_H

/* The old server's folders, every folder's STATUS and the subscriptions in
   one round trip, where the server offers LIST-EXTENDED and LIST-STATUS
   (RFC 5258, RFC 5819; Dovecot and Cyrus do):

     LIST "" "*" RETURN (SUBSCRIBED SPECIAL-USE STATUS (MESSAGES UIDNEXT
                                          UIDVALIDITY HIGHESTMODSEQ))
     LIST (SUBSCRIBED) "" "*"

   both sent on imapc's own connection from the answer to our login,
   together with imapc's hierarchy separator lookup (the second one only
   adds the subscriptions of folders that do not exist).  Whether the
   server has the extensions is read from that answer's CAPABILITY: a
   server is never sent what it did not announce.  Listing through imapc
   waits for the separator, for LIST and for LSUB in turn, and then for
   the pipelined STATUS batch (mailshift-source-status.h): over a WAN link
   those round trips are most of a pass that finds nothing changed. */

#include "array.h"
#include "mail-storage.h"

struct mail_user;

struct mailshift_source_entry {
	/* the folder's name on the old server */
	const char *remote_name;
	/* its name in the source user's namespace */
	const char *vname;
	/* its SPECIAL-USE attributes ("\\Sent"), or NULL */
	const char *special_use;
	/* a folder (maybe \Noselect); FALSE: only a subscription to a
	   folder that does not exist */
	bool listed;
	bool noselect;
	bool subscribed;
	/* the STATUS came with the listing */
	bool have_status;
	struct mailbox_status status;
	/* its size in bytes, where the old server has STATUS=SIZE; else 0 */
	uoff_t size;
};
ARRAY_DEFINE_TYPE(mailshift_source_entry, struct mailshift_source_entry);

/* Make the source namespace's folder names split exactly into the old
   server's hierarchy levels: where the namespace's separator is not the
   old server's, a level holding the namespace's separator (a "v1.2"
   under "/") is written with Dovecot's vname escape ('\\' and hex)
   instead of turning into two levels.  Asks the old server for its
   separator if it is not known yet.  Returns 0, or -1 when the listing
   failed (the list error says why). */
int mailshift_source_keep_levels(struct mail_user *source_user);
/* The old name's levels, unescaped (UTF-8), without the namespace's
   prefix; INBOX is one level. */
const char *const *
mailshift_source_name_levels(struct mail_user *source_user,
			     const char *vname);

/* Returns 1 with the entries (in no particular order, strings from pool;
   a folder no name here would open is left out, with a warning);
   0 when the old server does not offer the extensions, or the source is
   not one imapc namespace: list the usual way, nothing is lost but the
   round trip; -1 when the listing failed: the source namespace's list
   error says why. */
int mailshift_source_list_all(struct mail_user *source_user, pool_t pool,
			      ARRAY_TYPE(mailshift_source_entry) *entries);

#endif
