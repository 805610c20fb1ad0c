#ifndef MAILSHIFT_SOURCE_LIST_REPLY_H
#define MAILSHIFT_SOURCE_LIST_REPLY_H

/* The old server's untagged LIST and STATUS replies to one listing
   (mailshift-source-list.h), collected by the folders' names on the old
   server and then named as the source namespace names them.  Apart from
   the connection, so that fuzz/fuzz-list.c drives this same code with
   Dovecot's IMAP parser.  Which command a reply answers does not matter
   (a server may interleave them): a LIST reply without \NonExistent is a
   folder, and \Subscribed, from either command, is a subscription. */

#include "mailshift-source-list.h"

struct imap_arg;
struct imapc_mailbox_list;
struct mailshift_list_replies;

struct mailshift_list_replies *mailshift_list_replies_init(void);
void mailshift_list_replies_deinit(struct mailshift_list_replies **replies);

/* One untagged LIST reply (args: what follows "LIST").  Returns FALSE if
   it names no folder: the answer to LIST "" "", or a name with a NUL byte
   (no IMAP string may hold one; read as a C string it would name the
   folder its first bytes name, INBOX say). */
bool mailshift_list_replies_add_list(struct mailshift_list_replies *replies,
				     const struct imap_arg *args);
/* One untagged STATUS reply (args: what follows "STATUS"); modseqs:
   HIGHESTMODSEQ was asked for.  Returns FALSE if it was left out (a name
   as above, or data mailshift_source_parse_status() refuses). */
bool mailshift_list_replies_add_status(struct mailshift_list_replies *replies,
				       const struct imap_arg *args,
				       bool modseqs);

/* Appends an entry per folder to entries, named in list's namespace
   (strings from pool; list's hierarchy separator must be known).  Left
   out: folders outside imapc_list_prefix, which imapc lists neither, and
   folders no name here would open: imapc opens another folder by the
   name it gives them ("INBOX.inbox" below the prefix INBOX reads as
   INBOX).  Their names on the old server are appended to unreachable.
   Returns 0, or -1 with error_r when the old server's separator is no
   character IMAP allows (8-bit, CR, LF): names split at it would not be
   UTF-8 here. */
int mailshift_list_replies_get(struct mailshift_list_replies *replies,
			       struct imapc_mailbox_list *list, pool_t pool,
			       ARRAY_TYPE(mailshift_source_entry) *entries,
			       ARRAY_TYPE(const_string) *unreachable,
			       const char **error_r);

#endif
