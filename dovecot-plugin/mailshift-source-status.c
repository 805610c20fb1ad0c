/* Copyright (c) mailshift authors */

/* Pipelined STATUS through the source user's own imapc connection: the
   commands go out with imapc's client API, tagged replies come back to a
   callback per folder, and the untagged "* STATUS" lines to a handler
   registered on the storage client for the duration of the batch.  imapc's
   own STATUS handler ignores lines it did not ask for, so the two do not
   interfere.  Folders on anything but imapc (never in practice) get a plain
   mailbox_get_status(). */

#include "lib.h"
#include "array.h"
#include "strnum.h"
#include "imap-arg.h"
#include "mail-namespace.h"
#include "imapc-storage.h"
#include "imapc-client.h"
#include "mailshift-source-status.h"

#define MAILSHIFT_STATUS_ITEMS \
	(STATUS_MESSAGES | STATUS_UIDNEXT | STATUS_UIDVALIDITY | \
	 STATUS_HIGHESTMODSEQ)

struct mailshift_status_cmd {
	struct mailshift_status_batch *batch;
	struct mailshift_source_status *folder;
	struct mailbox *box;
	bool answered;
};

struct mailshift_status_batch {
	struct imapc_storage_client *client;
	struct mailshift_status_cmd *cmds;
	unsigned int count, pending;
	bool modseqs;
};

/* imapc's untagged handlers take no context; doveadm runs one pass at a
   time, so one batch is in flight at most. */
static struct mailshift_status_batch *mailshift_status_current;

bool mailshift_source_wants_modseqs(bool condstore_or_qresync,
				    enum imapc_features features)
{
	return condstore_or_qresync && (features & IMAPC_FEATURE_MODSEQ) != 0;
}

const char *mailshift_source_status_items(bool modseqs, bool sizes)
{
	return t_strconcat("MESSAGES UIDNEXT UIDVALIDITY",
			   modseqs ? " HIGHESTMODSEQ" : "",
			   sizes ? " SIZE" : "", NULL);
}

bool mailshift_source_parse_status(const struct imap_arg *list,
				   bool modseqs, struct mailbox_status *status,
				   uoff_t *size_r)
{
	const char *key, *value;
	unsigned int i;

	if (size_r != NULL)
		*size_r = 0;
	for (i = 0; list[i].type != IMAP_ARG_EOL; i += 2) {
		uint64_t num;

		if (!imap_arg_get_atom(&list[i], &key) ||
		    !imap_arg_get_atom(&list[i+1], &value) ||
		    str_to_uint64(value, &num) < 0)
			return FALSE;
		if (strcasecmp(key, "HIGHESTMODSEQ") == 0) {
			if (modseqs)
				status->highest_modseq = num;
		} else if (strcasecmp(key, "SIZE") == 0) {
			if (size_r != NULL)
				*size_r = num;
		} else if (num > (uint32_t)-1) {
			return FALSE;
		} else if (strcasecmp(key, "MESSAGES") == 0) {
			status->messages = num;
		} else if (strcasecmp(key, "UIDNEXT") == 0) {
			status->uidnext = num;
		} else if (strcasecmp(key, "UIDVALIDITY") == 0) {
			status->uidvalidity = num;
		}
	}
	return TRUE;
}

static void
mailshift_status_untagged(const struct imapc_untagged_reply *reply,
			  struct imapc_storage_client *client ATTR_UNUSED)
{
	struct mailshift_status_batch *batch = mailshift_status_current;
	struct mailshift_status_cmd *cmd = NULL;
	const struct imap_arg *list;
	const char *remote_name;
	unsigned int i;

	if (batch == NULL ||
	    !imap_arg_get_astring(&reply->args[0], &remote_name) ||
	    !imap_arg_get_list(&reply->args[1], &list))
		return;
	for (i = 0; i < batch->count && cmd == NULL; i++) {
		if (batch->cmds[i].box != NULL &&
		    imapc_mailbox_name_equals(IMAPC_MAILBOX(batch->cmds[i].box),
					      remote_name))
			cmd = &batch->cmds[i];
	}
	if (cmd != NULL &&
	    mailshift_source_parse_status(list, batch->modseqs,
					  &cmd->folder->status, NULL))
		cmd->answered = TRUE;
}

static void mailshift_status_reply(const struct imapc_command_reply *reply,
				   void *context)
{
	struct mailshift_status_cmd *cmd = context;
	struct mailshift_status_batch *batch = cmd->batch;

	/* an OK without its untagged line is no answer either */
	cmd->folder->have_status = reply->state == IMAPC_COMMAND_STATE_OK &&
		cmd->answered;
	i_assert(batch->pending > 0);
	if (--batch->pending == 0)
		imapc_client_stop(batch->client->client);
}

void mailshift_source_unregister_untagged(struct imapc_storage_client *client,
					  imapc_storage_callback_t *callback)
{
	struct imapc_storage_event_callback *cb;

	/* imapc_storage_client_unregister_untagged() removes the first
	   handler of a name, which is imapc's own: remove ours by its
	   address */
	array_foreach_modifiable(&client->untagged_callbacks, cb) {
		if (cb->callback == callback) {
			i_free(cb->name);
			array_delete(&client->untagged_callbacks,
				     array_foreach_idx(
					&client->untagged_callbacks, cb), 1);
			return;
		}
	}
	i_unreached();
}

bool mailshift_source_has_modseqs(struct mailbox *box)
{
	struct imapc_mailbox *mbox = IMAPC_MAILBOX(box);
	enum imapc_capability capabilities;

	if (imapc_client_get_capabilities(mbox->storage->client->client,
					  &capabilities) < 0)
		return FALSE;
	return mailshift_source_wants_modseqs(
		(capabilities & (IMAPC_CAPABILITY_CONDSTORE |
				 IMAPC_CAPABILITY_QRESYNC)) != 0,
		mbox->storage->set->parsed_features);
}

static void mailshift_status_one(struct mailbox *box,
				 struct mailshift_source_status *folder)
{
	folder->have_status = mailbox_get_status(box, MAILSHIFT_STATUS_ITEMS,
						 &folder->status) == 0;
}

void mailshift_source_status_many(struct mail_user *source_user,
				  struct mailshift_source_status *folders,
				  unsigned int count)
{
	struct mailshift_status_batch batch;
	struct imapc_storage_client *client;
	struct mailshift_status_cmd *cmd;
	struct imapc_command *imapc_cmd;
	struct mail_namespace *ns;
	struct mailbox *box;
	const char *items;
	unsigned int i;

	i_assert(mailshift_status_current == NULL);
	i_zero(&batch);
	batch.cmds = t_new(struct mailshift_status_cmd, count);
	for (i = 0; i < count; i++) {
		i_zero(&folders[i].status);
		folders[i].have_status = FALSE;
		ns = mail_namespace_find(source_user->namespaces,
					 folders[i].vname);
		box = mailbox_alloc(ns->list, folders[i].vname,
				    MAILBOX_FLAG_READONLY);
		client = strcmp(box->storage->name, IMAPC_STORAGE_NAME) != 0 ?
			NULL : (IMAPC_STORAGE(box->storage))->client;
		if (client == NULL ||
		    (batch.client != NULL && client != batch.client)) {
			/* not imapc, or a second connection: ask alone */
			mailshift_status_one(box, &folders[i]);
			mailbox_free(&box);
			continue;
		}
		if (batch.client == NULL) {
			batch.client = client;
			batch.modseqs = mailshift_source_has_modseqs(box);
		}
		cmd = &batch.cmds[batch.count++];
		cmd->batch = &batch;
		cmd->folder = &folders[i];
		cmd->box = box;
	}
	if (batch.count == 0)
		return;

	if (imapc_storage_client_handle_auth_failure(batch.client)) {
		/* the old server refused us: every folder goes without,
		   and opening the first one reports why */
		for (i = 0; i < batch.count; i++)
			mailbox_free(&batch.cmds[i].box);
		return;
	}
	items = mailshift_source_status_items(batch.modseqs, FALSE);
	mailshift_status_current = &batch;
	imapc_storage_client_register_untagged(batch.client, "STATUS",
					       mailshift_status_untagged);
	for (i = 0; i < batch.count; i++) {
		cmd = &batch.cmds[i];
		imapc_cmd = imapc_client_cmd(batch.client->client,
					     mailshift_status_reply, cmd);
		imapc_command_set_flags(imapc_cmd,
					IMAPC_COMMAND_FLAG_RETRIABLE);
		imapc_command_sendf(imapc_cmd, "STATUS %s (%1s)",
				    imapc_mailbox_get_remote_name(
					IMAPC_MAILBOX(cmd->box)), items);
		batch.pending++;
	}
	while (batch.pending > 0)
		imapc_client_run(batch.client->client);
	mailshift_source_unregister_untagged(batch.client,
					     mailshift_status_untagged);
	mailshift_status_current = NULL;
	for (i = 0; i < batch.count; i++)
		mailbox_free(&batch.cmds[i].box);
}
