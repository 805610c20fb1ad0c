/* Copyright (c) mailshift authors */

/* The replies are collected by their remote names while they arrive and
   turned into the source namespace's names only when both commands are
   done: imapc learns the hierarchy separator from the answer to its own
   LIST "" "", which the server answers first.  Which command a LIST reply
   answers does not matter (a server may interleave them): a reply without
   \NonExistent is a folder, and \Subscribed, from either command, is a
   subscription. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "hash.h"
#include "imap-arg.h"
#include "imap-quote.h"
#include "mail-namespace.h"
#include "mailbox-list-private.h"
#include "imapc-storage.h"
#include "imapc-settings.h"
#include "imapc-list.h"
#include "imapc-client.h"
#include "mailshift-source.h"
#include "mailshift-source-status.h"
#include "mailshift-source-list.h"

struct mailshift_remote_folder {
	const char *remote_name;
	const char *special_use;
	bool listed, noselect, subscribed, have_status;
	struct mailbox_status status;
};

struct mailshift_list_ctx {
	struct mail_user *source_user;
	struct imapc_mailbox_list *list;
	pool_t pool;
	ARRAY(struct mailshift_remote_folder *) folders;
	HASH_TABLE(const char *, struct mailshift_remote_folder *) by_name;
	unsigned int pending;
	bool modseqs;
	/* the two LIST commands went out */
	bool sent;
	/* some command was refused (BAD/NO): the extensions are missing */
	bool refused;
	/* the connection or the login failed: the list error is set */
	bool failed;
};

/* imapc's untagged handlers take no context; doveadm runs one pass at a
   time, so one listing is in flight at most. */
static struct mailshift_list_ctx *mailshift_list_current;
/* The old server announced the extensions but refused our use of them.
   imapc drops the connection on a BAD, so the pass fails and is retried:
   this doveadm process lists the older way from then on. */
static bool mailshift_list_refused_here;

static const char *const mailshift_special_use_flags[] = {
	"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent",
	"\\Trash", "\\Important",
};

static struct mailshift_remote_folder *
mailshift_list_folder(struct mailshift_list_ctx *ctx, const char *remote_name)
{
	struct mailshift_remote_folder *folder;

	/* INBOX is case-insensitive (RFC 3501) */
	if (strcasecmp(remote_name, "INBOX") == 0)
		remote_name = "INBOX";
	folder = hash_table_lookup(ctx->by_name, remote_name);
	if (folder == NULL) {
		folder = p_new(ctx->pool, struct mailshift_remote_folder, 1);
		folder->remote_name = p_strdup(ctx->pool, remote_name);
		hash_table_insert(ctx->by_name, folder->remote_name, folder);
		array_push_back(&ctx->folders, &folder);
	}
	return folder;
}

static void
mailshift_list_untagged_list(const struct imapc_untagged_reply *reply,
			     struct imapc_storage_client *client ATTR_UNUSED)
{
	struct mailshift_list_ctx *ctx = mailshift_list_current;
	struct mailshift_remote_folder *folder;
	const struct imap_arg *flags;
	const char *remote_name, *flag;
	bool nonexistent = FALSE, noselect = FALSE, subscribed = FALSE;
	string_t *special_use = t_str_new(32);

	if (ctx == NULL || !imap_arg_get_list(&reply->args[0], &flags) ||
	    reply->args[1].type == IMAP_ARG_EOL ||
	    !imap_arg_get_astring(&reply->args[2], &remote_name) ||
	    remote_name[0] == '\0') {
		/* not ours, or the answer to imapc's LIST "" "" */
		return;
	}
	for (; imap_arg_get_atom(flags, &flag); flags++) {
		if (strcasecmp(flag, "\\NonExistent") == 0)
			nonexistent = TRUE;
		else if (strcasecmp(flag, "\\Noselect") == 0)
			noselect = TRUE;
		else if (strcasecmp(flag, "\\Subscribed") == 0)
			subscribed = TRUE;
		for (unsigned int i = 0;
		     i < N_ELEMENTS(mailshift_special_use_flags); i++) {
			if (strcasecmp(flag, mailshift_special_use_flags[i]) != 0)
				continue;
			if (str_len(special_use) > 0)
				str_append_c(special_use, ' ');
			str_append(special_use, mailshift_special_use_flags[i]);
		}
	}

	folder = mailshift_list_folder(ctx, remote_name);
	if (subscribed)
		folder->subscribed = TRUE;
	if (nonexistent)
		return;
	folder->listed = TRUE;
	if (noselect)
		folder->noselect = TRUE;
	if (str_len(special_use) > 0 && folder->special_use == NULL)
		folder->special_use = p_strdup(ctx->pool, str_c(special_use));
}

static void
mailshift_list_untagged_status(const struct imapc_untagged_reply *reply,
			       struct imapc_storage_client *client ATTR_UNUSED)
{
	struct mailshift_list_ctx *ctx = mailshift_list_current;
	struct mailshift_remote_folder *folder;
	struct mailbox_status status;
	const struct imap_arg *list;
	const char *remote_name;

	if (ctx == NULL ||
	    !imap_arg_get_astring(&reply->args[0], &remote_name) ||
	    !imap_arg_get_list(&reply->args[1], &list))
		return;
	i_zero(&status);
	if (!mailshift_source_parse_status(list, ctx->modseqs, &status))
		return;
	folder = mailshift_list_folder(ctx, remote_name);
	folder->status = status;
	folder->have_status = TRUE;
}

static void mailshift_list_reply(const struct imapc_command_reply *reply,
				 void *context)
{
	struct mailshift_list_ctx *ctx = context;
	struct imapc_storage_client *client = ctx->list->client;

	switch (reply->state) {
	case IMAPC_COMMAND_STATE_OK:
		break;
	case IMAPC_COMMAND_STATE_NO:
	case IMAPC_COMMAND_STATE_BAD:
		if (!mailshift_list_refused_here) {
			e_warning(ctx->list->list.ns->user->event,
				  "mailshift: the old server refused %s; "
				  "listing its folders the older way (LIST, "
				  "LSUB, STATUS) from now on",
				  reply->text_full);
		}
		mailshift_list_refused_here = TRUE;
		ctx->refused = TRUE;
		break;
	case IMAPC_COMMAND_STATE_AUTH_FAILED:
	case IMAPC_COMMAND_STATE_DISCONNECTED:
		/* what imapc's own listing reports: the reason is in the
		   log, or in the auth failure it records */
		if (!imapc_storage_client_handle_auth_failure(client))
			mailbox_list_set_internal_error(&ctx->list->list);
		ctx->failed = TRUE;
		break;
	}
	i_assert(ctx->pending > 0);
	if (--ctx->pending == 0)
		imapc_client_stop(client->client);
}

static void
mailshift_list_send(struct mailshift_list_ctx *ctx, const char *cmd_str)
{
	struct imapc_command *cmd;

	cmd = imapc_client_cmd(ctx->list->client->client,
			       mailshift_list_reply, ctx);
	imapc_command_set_flags(cmd, IMAPC_COMMAND_FLAG_RETRIABLE);
	imapc_command_send(cmd, cmd_str);
	ctx->pending++;
}

/* The source namespace's name of a remote folder, as imapc's own listing
   would give it; NULL for what imapc would not list (outside
   imapc_list_prefix, or the prefix itself). */
static const char *
mailshift_list_vname(struct imapc_mailbox_list *list, const char *remote_name)
{
	const char *prefix = list->set->imapc_list_prefix;
	size_t prefix_len = strlen(prefix);
	const char *storage_name;

	if (prefix_len > 0 && strcmp(remote_name, "INBOX") != 0 &&
	    (strncmp(remote_name, prefix, prefix_len) != 0 ||
	     remote_name[prefix_len] != list->root_sep ||
	     remote_name[prefix_len + 1] == '\0'))
		return NULL;
	storage_name = mailbox_list_escape_name_params(remote_name, "",
		list->root_sep, mailbox_list_get_hierarchy_sep(&list->list),
		list->list.set.storage_name_escape_char, "");
	return mailbox_list_get_vname(&list->list, storage_name);
}

static const char *mailshift_list_pattern(struct imapc_mailbox_list *list)
{
	const char *prefix = list->set->imapc_list_prefix;
	string_t *str = t_str_new(64);

	if (*prefix == '\0')
		return "\"*\"";
	/* as imapc lists "prefix*"; INBOX may live outside the prefix */
	str_append(str, "(");
	imap_append_quoted(str, t_strconcat(prefix, "*", NULL));
	if (strcasecmp(prefix, "INBOX") != 0)
		str_append(str, " \"INBOX\"");
	str_append(str, ")");
	return str_c(str);
}

/* Send both LIST commands, if the old server announced what they need.
   Called as soon as the login is accepted: they then leave in the same
   packet as imapc's own LIST "" "", and the server answers all three at
   once (sent a moment later, a server's answer can wait for the ACK of
   the previous one, Nagle's algorithm against delayed ACKs). */
static void mailshift_list_start(void *context)
{
	struct mailshift_list_ctx *ctx = context;
	struct mail_user *user = ctx->source_user;
	const char *pattern, *items;

	/* imapc disconnects on a BAD answer: never send what the server
	   did not announce */
	if (ctx->sent ||
	    !mailshift_source_has_capability(user, "LIST-EXTENDED") ||
	    !mailshift_source_has_capability(user, "LIST-STATUS"))
		return;
	/* the capability names of the login's answer: asking imapc here,
	   inside its login callback, could run its ioloop again */
	ctx->modseqs = mailshift_source_wants_modseqs(
		mailshift_source_has_capability(user, "CONDSTORE") ||
		mailshift_source_has_capability(user, "QRESYNC"),
		ctx->list->set->parsed_features);
	items = mailshift_source_status_items(ctx->modseqs);
	pattern = mailshift_list_pattern(ctx->list);
	mailshift_list_send(ctx, t_strdup_printf(
		"LIST \"\" %s RETURN (SUBSCRIBED %sSTATUS (%s))", pattern,
		mailshift_source_has_capability(user, "SPECIAL-USE") ?
		"SPECIAL-USE " : "", items));
	mailshift_list_send(ctx, t_strdup_printf(
		"LIST (SUBSCRIBED) \"\" %s", pattern));
	ctx->sent = TRUE;
}

static void mailshift_list_end(struct mailshift_list_ctx *ctx)
{
	mailshift_source_on_login(ctx->source_user, NULL, NULL);
	mailshift_source_unregister_untagged(ctx->list->client,
					     mailshift_list_untagged_status);
	mailshift_source_unregister_untagged(ctx->list->client,
					     mailshift_list_untagged_list);
	mailshift_list_current = NULL;
	hash_table_destroy(&ctx->by_name);
	pool_unref(&ctx->pool);
}

static void
mailshift_list_keep_levels(struct imapc_mailbox_list *list, char root_sep)
{
	if (root_sep != mail_namespace_get_sep(list->list.ns) &&
	    list->list.set.vname_escape_char == '\0')
		list->list.set.vname_escape_char = '\\';
}

int mailshift_source_keep_levels(struct mail_user *source_user)
{
	struct mail_namespace *ns = source_user->namespaces;
	char root_sep;

	if (ns == NULL || strcmp(ns->list->name, MAILBOX_LIST_NAME_IMAPC) != 0)
		return 0;
	if (imapc_list_try_get_root_sep((struct imapc_mailbox_list *)ns->list,
					&root_sep) < 0)
		return -1;
	mailshift_list_keep_levels((struct imapc_mailbox_list *)ns->list,
				   root_sep);
	return 0;
}

const char *const *
mailshift_source_name_levels(struct mail_user *source_user,
			     const char *vname)
{
	struct mail_namespace *ns =
		mail_namespace_find(source_user->namespaces, vname);
	const char sep[2] = { mail_namespace_get_sep(ns), '\0' };
	char escape_char = ns->list->set.vname_escape_char;
	const char **levels;

	if (strncmp(vname, ns->prefix, ns->prefix_len) == 0 &&
	    vname[ns->prefix_len] != '\0')
		vname += ns->prefix_len;
	levels = (const char **)t_strsplit(vname, sep);
	if (escape_char != '\0') {
		for (unsigned int i = 0; levels[i] != NULL; i++)
			mailbox_list_name_unescape(&levels[i], escape_char);
	}
	return levels;
}

int mailshift_source_list_all(struct mail_user *source_user, pool_t pool,
			      ARRAY_TYPE(mailshift_source_entry) *entries)
{
	struct mailshift_list_ctx ctx;
	struct mailshift_remote_folder *const *folderp;
	struct mail_namespace *ns = source_user->namespaces;
	enum imapc_capability capabilities;
	char sep;
	int ret;

	if (ns == NULL || ns->next != NULL || mailshift_list_refused_here ||
	    strcmp(ns->list->name, MAILBOX_LIST_NAME_IMAPC) != 0)
		return 0;
	i_zero(&ctx);
	ctx.source_user = source_user;
	ctx.list = (struct imapc_mailbox_list *)ns->list;
	ctx.pool = pool_alloconly_create("mailshift source list", 4096);
	p_array_init(&ctx.folders, ctx.pool, 64);
	hash_table_create(&ctx.by_name, ctx.pool, 0, str_hash, strcmp);
	mailshift_list_current = &ctx;
	imapc_storage_client_register_untagged(ctx.list->client, "LIST",
					       mailshift_list_untagged_list);
	imapc_storage_client_register_untagged(ctx.list->client, "STATUS",
					       mailshift_list_untagged_status);

	if (mailshift_source_logged_in(source_user))
		mailshift_list_start(&ctx);
	else
		mailshift_source_on_login(source_user, mailshift_list_start,
					  &ctx);
	/* logs in, if not yet: the commands go out from the login's answer */
	if (imapc_client_get_capabilities(ctx.list->client->client,
					  &capabilities) < 0) {
		if (!imapc_storage_client_handle_auth_failure(ctx.list->client))
			mailbox_list_set_internal_error(&ctx.list->list);
		ctx.failed = TRUE;
	}
	while (ctx.pending > 0)
		imapc_client_run(ctx.list->client->client);

	if (ctx.failed || ctx.refused || !ctx.sent ||
	    imapc_list_try_get_root_sep(ctx.list, &sep) < 0) {
		ret = ctx.failed ? -1 : 0;
		mailshift_list_end(&ctx);
		return ret;
	}
	mailshift_list_keep_levels(ctx.list, sep);
	array_foreach(&ctx.folders, folderp) {
		const struct mailshift_remote_folder *folder = *folderp;
		struct mailshift_source_entry *entry;
		const char *vname;

		vname = mailshift_list_vname(ctx.list, folder->remote_name);
		if (vname == NULL || *vname == '\0')
			continue;
		entry = array_append_space(entries);
		entry->vname = p_strdup(pool, vname);
		entry->special_use = p_strdup(pool, folder->special_use);
		entry->listed = folder->listed;
		entry->noselect = folder->noselect;
		entry->subscribed = folder->subscribed;
		entry->have_status = folder->have_status && !folder->noselect;
		entry->status = folder->status;
	}
	mailshift_list_end(&ctx);
	return 1;
}
