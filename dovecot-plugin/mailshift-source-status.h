#ifndef MAILSHIFT_SOURCE_STATUS_H
#define MAILSHIFT_SOURCE_STATUS_H

/* STATUS of many old folders for the price of one round trip.  imapc asks
   about one folder at a time and waits for each answer, so a delta pass
   over N folders would wait N round trips for the old server before it
   could tell that nothing changed; over a WAN link that is most of the
   pass.  Here every STATUS command is sent at once (pipelined) and the
   answers are collected as they come. */

#include "mail-storage.h"
#include "imapc-storage.h"

struct mail_user;
struct imap_arg;

struct mailshift_source_status {
	/* in: the folder's name in the source user's namespaces */
	const char *vname;
	/* out: MESSAGES, UIDNEXT, UIDVALIDITY and, where the old server
	   has CONDSTORE, HIGHESTMODSEQ (else 0) */
	struct mailbox_status status;
	/* out: FALSE when the old server did not answer for the folder
	   (deleted since LIST, connection lost): the pass then opens it
	   and finds out */
	bool have_status;
};

void mailshift_source_status_many(struct mail_user *source_user,
				  struct mailshift_source_status *folders,
				  unsigned int count);

/* Whether a pass asks the old server for HIGHESTMODSEQ: where it has
   CONDSTORE or QRESYNC and imapc_features has modseq, as imapc itself
   decides for an opened folder (imapc_mailbox_has_modseqs()). */
bool mailshift_source_wants_modseqs(bool condstore_or_qresync,
				    enum imapc_features features);
/* Whether the old server's MODSEQs are those of box (an imapc folder):
   without them imapc numbers its own, which say nothing of changes made
   on the old server. */
bool mailshift_source_has_modseqs(struct mailbox *box);
/* The STATUS items a pass asks for, with or without HIGHESTMODSEQ, and
   with the folder's SIZE in bytes (STATUS=SIZE) if sizes. */
const char *mailshift_source_status_items(bool modseqs, bool sizes);

/* Read a STATUS reply's attribute list (MESSAGES, UIDNEXT, UIDVALIDITY,
   and HIGHESTMODSEQ when modseqs) into status, and its SIZE into *size_r
   (0 without one) unless size_r is NULL.  FALSE if it is not a
   well-formed list of numbers. */
bool mailshift_source_parse_status(const struct imap_arg *list,
				   bool modseqs, struct mailbox_status *status,
				   uoff_t *size_r);

/* Remove an untagged handler added with
   imapc_storage_client_register_untagged(): imapc's own unregister removes
   the first handler of the name, which is imapc's. */
void mailshift_source_unregister_untagged(struct imapc_storage_client *client,
					  imapc_storage_callback_t *callback);

#endif
