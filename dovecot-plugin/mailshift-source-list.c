/* Copyright (c) mailshift authors */

/* The replies are collected by their remote names while they arrive
   (mailshift-source-list-reply.h) and turned into the source namespace's
   names only when both commands are done: imapc learns the hierarchy
   separator from the answer to its own LIST "" "", which the server
   answers first. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "str-sanitize.h"
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
#include "mailshift-source-list-reply.h"
#include "mailshift-source-list.h"

struct mailshift_list_ctx {
	struct mail_user *source_user;
	struct imapc_mailbox_list *list;
	struct mailshift_list_replies *replies;
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

static void
mailshift_list_untagged_list(const struct imapc_untagged_reply *reply,
			     struct imapc_storage_client *client ATTR_UNUSED)
{
	struct mailshift_list_ctx *ctx = mailshift_list_current;

	/* not ours, or the answer to imapc's LIST "" "" */
	if (ctx != NULL)
		(void)mailshift_list_replies_add_list(ctx->replies,
						      reply->args);
}

static void
mailshift_list_untagged_status(const struct imapc_untagged_reply *reply,
			       struct imapc_storage_client *client ATTR_UNUSED)
{
	struct mailshift_list_ctx *ctx = mailshift_list_current;

	if (ctx != NULL)
		(void)mailshift_list_replies_add_status(ctx->replies,
							reply->args,
							ctx->modseqs);
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
	items = mailshift_source_status_items(ctx->modseqs,
		mailshift_source_has_capability(user, "STATUS=SIZE"));
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
	mailshift_list_replies_deinit(&ctx->replies);
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
	struct mail_namespace *ns = source_user->namespaces;
	ARRAY_TYPE(const_string) unreachable;
	const char *remote_name, *error;
	enum imapc_capability capabilities;
	char sep;
	int ret;

	if (ns == NULL || ns->next != NULL || mailshift_list_refused_here ||
	    strcmp(ns->list->name, MAILBOX_LIST_NAME_IMAPC) != 0)
		return 0;
	i_zero(&ctx);
	ctx.source_user = source_user;
	ctx.list = (struct imapc_mailbox_list *)ns->list;
	ctx.replies = mailshift_list_replies_init();
	mailshift_list_current = &ctx;
	imapc_storage_client_register_untagged(ctx.list->client, "LIST",
					       mailshift_list_untagged_list);
	imapc_storage_client_register_untagged(ctx.list->client, "STATUS",
					       mailshift_list_untagged_status);

	mailshift_source_learn_capabilities(source_user);
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
	t_array_init(&unreachable, 4);
	if (mailshift_list_replies_get(ctx.replies, ctx.list, pool, entries,
				       &unreachable, &error) < 0) {
		mailbox_list_set_critical(&ctx.list->list, "mailshift: %s",
					  error);
		mailshift_list_end(&ctx);
		return -1;
	}
	array_foreach_elem(&unreachable, remote_name) {
		/* imapc itself cannot reach it: only a new name helps */
		e_warning(source_user->event, "mailshift: old folder %s is "
			  "not copied: the name it gets here would open "
			  "another folder; rename it on the old server",
			  str_sanitize(remote_name, 128));
	}
	mailshift_list_end(&ctx);
	return 1;
}
