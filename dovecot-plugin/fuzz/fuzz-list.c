/* fuzz-list.c: libFuzzer target for the old server's answer to a pass's
   folder listing (mailshift-source-list-reply.c): untagged LIST and
   STATUS replies, parsed from the wire by Dovecot's IMAP parser as imapc
   parses them (fuzz/list-replay.h), then named by Dovecot's own imapc
   mailbox list.  Input: reply lines as the server sends them, e.g.

     * LIST (\HasNoChildren) "." INBOX.Sent
     * STATUS INBOX.Sent (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 1)

   each replayed for a source namespace with and without a prefix, with
   the old server's separator and with '/'.  Aborts unless every folder
   the pass takes (a folder or a subscription) has a name of its own, in
   UTF-8, that opens exactly the folder the old server listed under a name
   without a NUL byte. */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "unichar.h"
#include "mail-storage.h"
#include "mailbox-list-private.h"
#include "imapc-storage.h"
#include "imapc-list.h"
#include "list-replay.h"
#include "fuzz-entry.h"

#include <stdio.h>
#include <stdlib.h>

static const struct {
	const char *imapc_list_prefix;
	char ns_sep;
} fuzz_configs[] = {
	{ "", '/' },
	{ "INBOX", '/' },
	{ "", '\0' },
	{ "INBOX", '\0' },
};

static void ATTR_NORETURN ATTR_FORMAT(1, 2)
fuzz_fail(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	abort();
}

static bool fuzz_listed(const struct list_replay *replay, const char *name)
{
	const char *clean;

	array_foreach_elem(&replay->clean_names, clean) {
		if (strcmp(clean, name) == 0)
			return TRUE;
	}
	return FALSE;
}

static void fuzz_check(struct list_replay *replay)
{
	ARRAY_TYPE(mailshift_source_entry) entries;
	ARRAY_TYPE(const_string) unreachable;
	HASH_TABLE(const char *, const char *) vnames;
	const struct mailshift_source_entry *entry;
	const char *storage_name, *opens, *error;

	t_array_init(&entries, 16);
	t_array_init(&unreachable, 4);
	if (mailshift_list_replies_get(replay->replies, replay->list,
				       pool_datastack_create(), &entries,
				       &unreachable, &error) < 0) {
		/* the pass fails, saying why */
		if ((unsigned char)replay->list->root_sep < 0x80 &&
		    replay->list->root_sep != '\r' &&
		    replay->list->root_sep != '\n')
			fuzz_fail("refused: %s", error);
		return;
	}
	hash_table_create(&vnames, default_pool, 0, str_hash, strcmp);
	array_foreach(&entries, entry) {
		/* a STATUS reply alone names no folder the pass takes */
		if (!entry->listed && !entry->subscribed)
			continue;
		if (*entry->vname == '\0' ||
		    !uni_utf8_str_is_valid(entry->vname))
			fuzz_fail("bad name '%s' for '%s'", entry->vname,
				  entry->remote_name);
		if (!fuzz_listed(replay, entry->remote_name))
			fuzz_fail("'%s' was never listed by that name",
				  entry->remote_name);
		if (hash_table_lookup(vnames, entry->vname) != NULL) {
			fuzz_fail("'%s' and '%s' both named '%s'",
				  hash_table_lookup(vnames, entry->vname),
				  entry->remote_name, entry->vname);
		}
		hash_table_insert(vnames, entry->vname, entry->remote_name);
		storage_name = mailbox_list_get_storage_name(
			&replay->list->list, entry->vname);
		opens = imapc_list_storage_to_remote_name(replay->list,
							  storage_name);
		if (strcmp(opens, entry->remote_name) != 0)
			fuzz_fail("'%s' named '%s', which opens '%s'",
				  entry->remote_name, entry->vname, opens);
		if (entry->have_status && entry->noselect)
			fuzz_fail("status of \\Noselect '%s' used",
				  entry->remote_name);
	}
	hash_table_destroy(&vnames);
}

void fuzz_init(void)
{
	/* kept up: each replay's init and deinit are then cheap */
	mail_storage_init();
}

void fuzz_one(const uint8_t *data, size_t size)
{
	struct list_replay replay;

	for (unsigned int i = 0; i < N_ELEMENTS(fuzz_configs); i++) {
		T_BEGIN {
			list_replay_init(&replay,
					 fuzz_configs[i].imapc_list_prefix,
					 fuzz_configs[i].ns_sep);
			if (list_replay_feed(&replay, data, size, TRUE))
				fuzz_check(&replay);
			list_replay_deinit(&replay);
		} T_END;
	}
}
