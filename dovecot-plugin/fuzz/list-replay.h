#ifndef LIST_REPLAY_H
#define LIST_REPLAY_H

/* imapc's side of an old server's folder listing, without a connection,
   for fuzz-list and tests/unit/dovecot-plugin/test-source-list-reply.
   Reply lines are parsed with Dovecot's IMAP parser as imapc parses them,
   the hierarchy separator is taken from the first LIST reply as imapc
   takes it (NIL: '/'), and every LIST and STATUS reply goes to
   mailshift_list_replies.  Names are given by a real imapc mailbox list
   (Dovecot's own) in a namespace like a pass's source user has: prefix
   "", the INBOX, the escape characters imapc sets. */

#include "mailshift-source-list-reply.h"

struct list_replay {
	struct mailshift_list_replies *replies;
	struct imapc_mailbox_list *list;
	/* names of LIST replies that hold no NUL byte, INBOX as "INBOX" */
	ARRAY_TYPE(const_string) clean_names;
	pool_t pool;
};

/* imapc_list_prefix: as mailshift_source_prefix gives it ("INBOX" for
   "INBOX."); ns_sep: the namespace's separator, '\0' for the old
   server's own. */
void list_replay_init(struct list_replay *replay,
		      const char *imapc_list_prefix, char ns_sep);
void list_replay_deinit(struct list_replay *replay);

/* Feeds the old server's reply lines ("* LIST (\HasNoChildren) "." x",
   CRLF or LF).  Returns FALSE if no hierarchy separator came (imapc then
   fails the listing and mailshift lists the older way). */
bool list_replay_feed(struct list_replay *replay, const void *data,
		      size_t size, bool modseqs);

#endif
