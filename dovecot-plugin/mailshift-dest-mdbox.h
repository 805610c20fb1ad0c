#ifndef MAILSHIFT_DEST_MDBOX_H
#define MAILSHIFT_DEST_MDBOX_H

/* A new server on mdbox, checked after a pass died in a batch.  mdbox
   keeps every folder's mail in files all folders share (m.*), and a
   resync of one folder (MAILBOX_SYNC_FLAG_FORCE_RESYNC) rebuilds the
   whole storage from them, under whatever save transactions other
   folders have open.  So the storage is checked once, before any
   folder's copy begins, and not folder by folder. */

struct mailbox;

/* Whether box is on mdbox. */
bool mailshift_dest_is_mdbox(struct mailbox *box);
/* Rebuild box's storage from its files, as "doveadm force-resync" does,
   and leave it marked sound.  Returns 0, or -1 with the error in box's
   storage. */
int mailshift_dest_mdbox_rebuild(struct mailbox *box);

#endif
