/* list-replay.c: see list-replay.h. */

#include "lib.h"
#include "array.h"
#include "istream.h"
#include "imap-arg.h"
#include "imap-parser.h"
#include "mail-storage.h"
#include "mail-namespace.h"
#include "mailbox-list-private.h"
#include "mailbox-tree.h"
#include "imapc-storage.h"
#include "imapc-settings.h"
#include "imapc-list.h"
#include "list-replay.h"

/* as imapc-connection.c reads every line */
#define IMAPC_PARSE_FLAGS \
	(IMAP_PARSE_FLAG_LITERAL_SIZE | IMAP_PARSE_FLAG_ATOM_ALLCHARS | \
	 IMAP_PARSE_FLAG_LITERAL8 | IMAP_PARSE_FLAG_SERVER_TEXT)

void list_replay_init(struct list_replay *replay,
		      const char *imapc_list_prefix, char ns_sep)
{
	struct mail_namespace_settings *ns_set;
	struct mail_storage_settings *mail_set;
	struct imapc_settings *imapc_set;
	struct mail_namespace *ns;
	struct imapc_mailbox_list *list;
	pool_t pool;

	i_zero(replay);
	pool = pool_alloconly_create("list replay", 1024);
	replay->pool = pool;
	p_array_init(&replay->clean_names, pool, 16);
	replay->replies = mailshift_list_replies_init();

	ns_set = p_new(pool, struct mail_namespace_settings, 1);
	ns_set->separator = ns_sep == '\0' ? "" : p_strndup(pool, &ns_sep, 1);
	ns_set->prefix = "";
	ns_set->inbox = TRUE;
	mail_set = p_new(pool, struct mail_storage_settings, 1);
	imapc_set = p_new(pool, struct imapc_settings, 1);
	imapc_set->imapc_list_prefix = p_strdup(pool, imapc_list_prefix);

	/* Dovecot's imapc list itself, in a namespace of our making */
	mail_storage_init();
	list = (struct imapc_mailbox_list *)
		mailbox_list_find_class(MAILBOX_LIST_NAME_IMAPC)->v.alloc();
	ns = p_new(pool, struct mail_namespace, 1);
	ns->type = MAIL_NAMESPACE_TYPE_PRIVATE;
	ns->flags = NAMESPACE_FLAG_INBOX_USER | NAMESPACE_FLAG_INBOX_ANY |
		NAMESPACE_FLAG_LIST_PREFIX | NAMESPACE_FLAG_SUBSCRIPTIONS;
	ns->prefix = p_strdup(pool, "");
	ns->set = ns_set;
	ns->mail_set = mail_set;
	ns->list = &list->list;
	list->list.ns = ns;
	list->list.mail_set = mail_set;
	list->list.set.maildir_name = "";
	list->list.set.mailbox_dir_name = "";
	/* what imapc_storage_get_list_settings() sets */
	list->list.set.storage_name_escape_char =
		IMAPC_LIST_STORAGE_NAME_ESCAPE_CHAR;
	list->list.set.vname_escape_char = IMAPC_LIST_VNAME_ESCAPE_CHAR;
	list->set = imapc_set;
	replay->list = list;
}

void list_replay_deinit(struct list_replay *replay)
{
	pool_t list_pool = replay->list->list.pool;

	mailbox_tree_deinit(&replay->list->mailboxes);
	pool_unref(&list_pool);
	mailshift_list_replies_deinit(&replay->replies);
	pool_unref(&replay->pool);
	mail_storage_deinit();
}

/* One untagged reply, as imapc's own LIST handler and mailshift's see
   it. */
static void list_replay_reply(struct list_replay *replay,
			      const struct imap_arg *args, bool modseqs)
{
	struct imapc_mailbox_list *list = replay->list;
	const char *name, *sep, *remote_name;

	if (!imap_arg_get_atom(&args[0], &name))
		return;
	args++;
	if (strcasecmp(name, "STATUS") == 0) {
		(void)mailshift_list_replies_add_status(replay->replies, args,
							modseqs);
		return;
	}
	if (strcasecmp(name, "LIST") != 0)
		return;
	/* imapc_untagged_list(): the separator of the first LIST reply */
	if (list->root_sep == '\0' && args[0].type != IMAP_ARG_EOL &&
	    imap_arg_get_nstring(&args[1], &sep) &&
	    imap_arg_get_astring(&args[2], &remote_name))
		list->root_sep = sep == NULL ? '/' : sep[0];
	if (!mailshift_list_replies_add_list(replay->replies, args))
		return;
	if (imap_arg_get_astring(&args[2], &remote_name) &&
	    strlen(remote_name) == args[2].str_len) {
		if (strcasecmp(remote_name, "INBOX") == 0)
			remote_name = "INBOX";
		remote_name = p_strdup(replay->pool, remote_name);
		array_push_back(&replay->clean_names, &remote_name);
	}
}

bool list_replay_feed(struct list_replay *replay, const void *data,
		      size_t size, bool modseqs)
{
	struct istream *input;
	struct imap_parser *parser;
	const struct imap_arg *args;
	enum imap_parser_error parser_error;
	const unsigned char *rest, *lf;
	uoff_t literal_size;
	size_t rest_size;
	const char *tag;
	bool tag_read = FALSE;
	int ret;

	input = i_stream_create_from_data(data, size);
	parser = imap_parser_create(input, NULL, SIZE_MAX, NULL);
	(void)i_stream_read(input);
	for (;;) {
		/* imapc reads the tag first; only untagged replies matter */
		if (!tag_read) {
			tag = imap_parser_read_word(parser);
			if (tag == NULL)
				break;
			tag_read = TRUE;
			if (strcmp(tag, "*") != 0)
				goto next_line;
		}
		ret = imap_parser_read_args(parser, 0, IMAPC_PARSE_FLAGS,
					    &args);
		if (ret == -2)
			break;	/* a line that never ended */
		/* nothing after "*": imapc 2.3.19 asks the parser for a
		   literal here too, which asserts on an empty line (a
		   Dovecot bug, not this code's: stepped over) */
		if (ret > 0 &&
		    imap_parser_get_literal_size(parser, &literal_size)) {
			imap_parser_read_last_literal(parser);
			continue;
		}
		if (ret > 0)
			list_replay_reply(replay, args, modseqs);
		else {
			/* imapc skips a line it cannot parse, and hangs up
			   on anything worse */
			(void)imap_parser_get_error(parser, &parser_error);
			if (parser_error != IMAP_PARSE_ERROR_BAD_SYNTAX)
				break;
		}
	next_line:
		tag_read = FALSE;
		imap_parser_reset(parser);
		rest = i_stream_get_data(input, &rest_size);
		lf = memchr(rest, '\n', rest_size);
		if (lf == NULL)
			break;
		i_stream_skip(input, lf - rest + 1);
	}
	imap_parser_unref(&parser);
	i_stream_unref(&input);
	return replay->list->root_sep != '\0';
}
