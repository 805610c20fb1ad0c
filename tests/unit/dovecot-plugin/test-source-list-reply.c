/* The old server's answer to a pass's folder listing:
   dovecot-plugin/mailshift-source-list-reply.c, fed reply lines through
   Dovecot's IMAP parser and named by Dovecot's imapc list as a pass is
   (dovecot-plugin/fuzz/list-replay.h).  Each case describes the folders
   the pass is given: "name<-old name" and what it knows of each, then the
   old folders left out because no name here opens them. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "mail-storage.h"
#include "test-common.h"
#include "fuzz/list-replay.h"

static int entry_cmp(const struct mailshift_source_entry *a,
		     const struct mailshift_source_entry *b)
{
	return strcmp(a->vname, b->vname);
}

/* Setup (a namespace as a pass's source user has), Run (the lines),
   and what the pass is given, as one line. */
static const char *
list_describe(const char *prefix, char ns_sep, const char *lines,
	      size_t size)
{
	ARRAY_TYPE(mailshift_source_entry) entries;
	ARRAY_TYPE(const_string) unreachable;
	const struct mailshift_source_entry *entry;
	struct list_replay replay;
	const char *remote_name, *error;
	string_t *got = t_str_new(256);

	list_replay_init(&replay, prefix, ns_sep);
	if (!list_replay_feed(&replay, lines, size, TRUE)) {
		list_replay_deinit(&replay);
		return "no separator";
	}
	t_array_init(&entries, 8);
	t_array_init(&unreachable, 4);
	if (mailshift_list_replies_get(replay.replies, replay.list,
				       pool_datastack_create(), &entries,
				       &unreachable, &error) < 0) {
		list_replay_deinit(&replay);
		return t_strconcat("refused: ", error, NULL);
	}
	array_sort(&entries, entry_cmp);
	array_foreach(&entries, entry) {
		if (str_len(got) > 0)
			str_append(got, "; ");
		str_printfa(got, "%s<-%s", entry->vname, entry->remote_name);
		if (!entry->listed)
			str_append(got, " unlisted");
		if (entry->noselect)
			str_append(got, " noselect");
		if (entry->subscribed)
			str_append(got, " subscribed");
		if (entry->special_use != NULL)
			str_printfa(got, " %s", entry->special_use);
		if (entry->have_status)
			str_printfa(got, " messages=%u",
				    entry->status.messages);
	}
	array_foreach_elem(&unreachable, remote_name)
		str_printfa(got, " | not opened here: %s", remote_name);
	list_replay_deinit(&replay);
	return str_c(got);
}

/* a string literal and its size, NULs in it included */
#define LINES(str) str, sizeof(str) - 1

static void test_list_replies(void)
{
	static const struct {
		const char *name;
		const char *prefix;
		char ns_sep;
		const char *lines;
		size_t size;	/* of lines, which may hold a NUL */
		const char *want;
	} cases[] = {
		{ "Courier: the prefix dropped, '.' levels become '/'",
		  "INBOX", '/', LINES(
		  "* LIST (\\Noselect) \".\" \"\"\r\n"
		  "* LIST (\\HasChildren) \".\" INBOX\r\n"
		  "* LIST (\\Subscribed \\Sent) \".\" \"INBOX.Sent Items\"\r\n"
		  "* STATUS \"INBOX.Sent Items\" (MESSAGES 3 UIDNEXT 4"
		  " UIDVALIDITY 1)\r\n"
		  "* LIST (\\Noselect) \".\" INBOX.Archive\r\n"
		  "* LIST () \".\" INBOX.Archive.2019\r\n"
		  "* LIST (\\Subscribed \\NonExistent) \".\" INBOX.Gone\r\n"
		  "* LIST () \".\" Outside\r\n"),
		  "Archive<-INBOX.Archive noselect;"
		  " Archive/2019<-INBOX.Archive.2019;"
		  " Gone<-INBOX.Gone unlisted subscribed; INBOX<-INBOX;"
		  " Sent Items<-INBOX.Sent Items subscribed \\Sent"
		  " messages=3" },
		{ "NIL separator -> '/', as imapc takes it", "", '/', LINES(
		  "* LIST (\\Noselect) NIL \"\"\r\n"
		  "* LIST () NIL \"a/b\"\r\n"),
		  "a/b<-a/b" },
		{ "a name with a NUL byte -> ignored: INBOX keeps its own"
		  " flags and STATUS", "", '/', LINES(
		  "* LIST (\\Noselect) \"/\" \"\"\r\n"
		  "* LIST () \"/\" INBOX\r\n"
		  "* LIST (\\Noselect) \"/\" {7}\r\nINBOX\0x\r\n"
		  "* STATUS {7}\r\nINBOX\0x (MESSAGES 0 UIDNEXT 1"
		  " UIDVALIDITY 1)\r\n"
		  "* STATUS INBOX (MESSAGES 5 UIDNEXT 6 UIDVALIDITY 1)\r\n"),
		  "INBOX<-INBOX messages=5" },
		{ "INBOX.inbox below the prefix INBOX -> left out, said:"
		  " imapc would open INBOX by its name", "INBOX", '/', LINES(
		  "* LIST (\\Noselect) \".\" \"\"\r\n"
		  "* LIST () \".\" INBOX\r\n"
		  "* LIST () \".\" INBOX.inbox\r\n"
		  "* STATUS INBOX.inbox (MESSAGES 9 UIDNEXT 10"
		  " UIDVALIDITY 1)\r\n"
		  "* LIST () \".\" INBOX.Sent\r\n"),
		  "INBOX<-INBOX; Sent<-INBOX.Sent"
		  " | not opened here: INBOX.inbox" },
		{ "'/' in a name under '.', 8-bit: each its own name",
		  "", '/', LINES(
		  "* LIST (\\Noselect) \".\" \"\"\r\n"
		  "* LIST () \".\" \"a/b\"\r\n"
		  "* LIST () \".\" \"a.b\"\r\n"
		  "* LIST () \".\" \"caf\xc3\xa9\"\r\n"),
		  "a/b<-a.b; a~2fb<-a/b; caf~c3~a9<-caf\xc3\xa9" },
		{ "an 8-bit separator -> refused: its names would not be"
		  " UTF-8 here", "", '\0', LINES(
		  "* LIST (\\Noselect) \"\xff\" \"\"\r\n"
		  "* LIST () \"\xff\" \"a\xff" "b\"\r\n"),
		  "refused: the old server's hierarchy separator is byte"
		  " 0xff, which IMAP does not allow: its folders cannot be"
		  " named here" },
	};

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) T_BEGIN {
		const char *got;

		test_begin(cases[i].name);
		got = list_describe(cases[i].prefix, cases[i].ns_sep,
				    cases[i].lines, cases[i].size);
		if (strcmp(got, cases[i].want) != 0) {
			i_error("got '%s', want '%s'", got, cases[i].want);
			test_assert_idx(FALSE, i);
		}
		test_end();
	} T_END;
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_list_replies,
		NULL
	};
	int ret;

	lib_init();
	mail_storage_init();
	ret = test_run(tests);
	mail_storage_deinit();
	lib_deinit();
	return ret;
}
