/* Copyright (c) mailshift authors */

/* The pieces go out pipelined on the folder's own imapc connection, and
   the untagged "* n FETCH (UID u BODY[]<offset> ...)" lines come back to a
   handler registered on the folder for the duration of one message
   (imapc's own FETCH handler only knows "BODY[]" and ignores them). */

#include "lib.h"
#include "array.h"
#include "istream.h"
#include "strnum.h"
#include "imap-arg.h"
#include "mail-storage-private.h"
#include "mail-search-build.h"
#include "imapc-storage.h"
#include "imapc-client.h"
#include "mailshift-search.h"
#include "mailshift-source-body.h"

#include <unistd.h>

struct mailshift_body_piece {
	struct mailshift_body_fetch *fetch;
	uoff_t offset;
	/* bytes the old server sent for it: set, not added to, as a piece
	   resent after a reconnect may arrive twice */
	uoff_t received;
};

struct mailshift_body_fetch {
	struct imapc_mailbox *mbox;
	uint32_t uid;
	int fd;
	uoff_t size;
	struct mailshift_body_piece *pieces;
	unsigned int count, pending;
	char *error;
};

/* imapc's untagged handlers take no context; a pass fetches one body at
   a time. */
static struct mailshift_body_fetch *mailshift_body_current;

static void mailshift_body_fail(struct mailshift_body_fetch *fetch,
				const char *error)
{
	if (fetch->error == NULL)
		fetch->error = i_strdup(error);
}

/* The piece's data: in the reply, or in a temp file where imapc spooled
   it.  Returns FALSE if arg holds none. */
static bool
mailshift_body_piece_write(struct mailshift_body_piece *piece,
			   const struct imapc_untagged_reply *reply,
			   const struct imap_arg *list, unsigned int idx)
{
	struct mailshift_body_fetch *fetch = piece->fetch;
	uoff_t offset = piece->offset;
	const struct imap_arg *arg = &list[idx];
	unsigned char buf[IO_BLOCK_SIZE];
	const char *data;
	unsigned int i;
	ssize_t ret;
	uoff_t pos;

	if (arg->type == IMAP_ARG_LITERAL_SIZE) {
		for (i = 0; i < reply->file_args_count; i++) {
			const struct imapc_arg_file *farg = &reply->file_args[i];
			const struct imap_arg *flist;

			if (!imap_arg_get_list(farg->parent_arg, &flist) ||
			    &flist[farg->list_idx] != arg)
				continue;
			for (pos = 0;; pos += ret) {
				ret = pread(farg->fd, buf, sizeof(buf), pos);
				if (ret <= 0)
					break;
				if (pwrite(fetch->fd, buf, ret,
					   offset + pos) != ret) {
					mailshift_body_fail(fetch, t_strdup_printf(
						"write() to a temp file: %m"));
					return TRUE;
				}
			}
			if (ret < 0) {
				mailshift_body_fail(fetch, t_strdup_printf(
					"read() of imapc's temp file: %m"));
			}
			piece->received = pos;
			return TRUE;
		}
		return FALSE;
	}
	if (!imap_arg_get_nstring(arg, &data) || data == NULL)
		return FALSE;
	if (pwrite(fetch->fd, data, arg->str_len, offset) !=
	    (ssize_t)arg->str_len) {
		mailshift_body_fail(fetch, t_strdup_printf(
			"write() to a temp file: %m"));
	}
	piece->received = arg->str_len;
	return TRUE;
}

static void
mailshift_body_untagged(const struct imapc_untagged_reply *reply,
			struct imapc_mailbox *mbox ATTR_UNUSED)
{
	struct mailshift_body_fetch *fetch = mailshift_body_current;
	const struct imap_arg *list;
	const char *key, *value, *p;
	unsigned int i, count, body_idx = 0;
	uint32_t uid = 0;
	uoff_t offset = 0;
	bool have_body = FALSE;

	if (fetch == NULL || !imap_arg_get_list_full(&reply->args[0], &list,
						     &count))
		return;
	for (i = 0; i + 1 < count; i += 2) {
		if (!imap_arg_get_atom(&list[i], &key))
			return;
		if (strcasecmp(key, "UID") == 0) {
			if (!imap_arg_get_atom(&list[i+1], &value) ||
			    str_to_uint32(value, &uid) < 0)
				return;
		} else if (strncasecmp(key, "BODY[]<", 7) == 0) {
			p = strchr(key + 7, '>');
			if (p == NULL ||
			    str_to_uoff(t_strdup_until(key + 7, p),
					&offset) < 0)
				return;
			body_idx = i + 1;
			have_body = TRUE;
		}
	}
	if (uid != fetch->uid || !have_body ||
	    offset % MAILSHIFT_SOURCE_BODY_PIECE != 0 ||
	    offset / MAILSHIFT_SOURCE_BODY_PIECE >= fetch->count)
		return;
	if (!mailshift_body_piece_write(
		&fetch->pieces[offset / MAILSHIFT_SOURCE_BODY_PIECE],
		reply, list, body_idx))
		mailshift_body_fail(fetch, "a FETCH BODY[] piece without data");
}

static void mailshift_body_reply(const struct imapc_command_reply *reply,
				 void *context)
{
	struct mailshift_body_piece *piece = context;
	struct mailshift_body_fetch *fetch = piece->fetch;

	if (reply->state != IMAPC_COMMAND_STATE_OK) {
		mailshift_body_fail(fetch, t_strdup_printf(
			"UID FETCH %u BODY.PEEK[]<%"PRIuUOFF_T">: %s",
			fetch->uid, piece->offset, reply->text_full));
	}
	i_assert(fetch->pending > 0);
	if (--fetch->pending == 0)
		imapc_client_stop(fetch->mbox->storage->client->client);
}

/* imapc has no way to unregister a folder's handler: remove ours by its
   address. */
static void mailshift_body_unregister(struct imapc_mailbox *mbox)
{
	struct imapc_mailbox_event_callback *cb;

	array_foreach_modifiable(&mbox->untagged_callbacks, cb) {
		if (cb->callback == mailshift_body_untagged) {
			array_delete(&mbox->untagged_callbacks,
				     array_foreach_idx(&mbox->untagged_callbacks,
						       cb), 1);
			return;
		}
	}
	i_unreached();
}

int mailshift_source_large_uids(struct mailbox *box, uint32_t first_uid,
				ARRAY_TYPE(seq_range) *uids_r)
{
	struct mailbox_transaction_context *t;
	struct mail_search_args *args;
	struct mail_search_arg *arg;
	struct mail_search_context *search;
	struct mail *mail;
	int ret = 0;

	if (strcmp(box->storage->name, IMAPC_STORAGE_NAME) != 0)
		return 0;
	args = mailshift_search_uids_from(first_uid);
	arg = mail_search_build_add(args, SEARCH_LARGER);
	arg->value.size = MAILSHIFT_SOURCE_BODY_PIECE;
	t = mailbox_transaction_begin(box, 0, "mailshift large");
	search = mailbox_search_init(t, args, NULL, 0, NULL);
	mail_search_args_unref(&args);
	while (mailbox_search_next(search, &mail))
		seq_range_array_add(uids_r, mail->uid);
	if (mailbox_search_deinit(&search) < 0)
		ret = -1;
	(void)mailbox_transaction_commit(&t);
	return ret;
}

int mailshift_source_body_fetch(struct mail *mail, struct istream **input_r,
				const char **error_r)
{
	struct mailshift_body_fetch fetch;
	struct mailshift_body_piece *pieces;
	struct imapc_command *cmd;
	const char *path;
	uoff_t size, offset, received = 0;
	unsigned int i, count;

	i_assert(mailshift_body_current == NULL);
	if (mail_get_physical_size(mail, &size) < 0) {
		*error_r = mailbox_get_last_internal_error(mail->box, NULL);
		return mail->expunged ? 0 : -1;
	}
	i_zero(&fetch);
	fetch.mbox = IMAPC_MAILBOX(mail->box);
	fetch.uid = mail->uid;
	fetch.size = size;
	fetch.fd = imapc_client_create_temp_fd(
		fetch.mbox->storage->client->client, &path);
	if (fetch.fd == -1) {
		*error_r = "cannot create a temp file for a large message "
			"(see mail_temp_dir)";
		return -1;
	}

	count = (size + MAILSHIFT_SOURCE_BODY_PIECE - 1) /
		MAILSHIFT_SOURCE_BODY_PIECE;
	pieces = t_new(struct mailshift_body_piece, I_MAX(count, 1));
	fetch.pieces = pieces;
	fetch.count = count;
	mailshift_body_current = &fetch;
	imapc_mailbox_register_untagged(fetch.mbox, "FETCH",
					mailshift_body_untagged);
	for (i = 0, offset = 0; i < count;
	     i++, offset += MAILSHIFT_SOURCE_BODY_PIECE) {
		pieces[i].fetch = &fetch;
		pieces[i].offset = offset;
		cmd = imapc_client_mailbox_cmd(fetch.mbox->client_box,
					       mailshift_body_reply,
					       &pieces[i]);
		imapc_command_set_flags(cmd, IMAPC_COMMAND_FLAG_RETRIABLE);
		imapc_command_sendf(cmd, "UID FETCH %u (BODY.PEEK[]<%u.%u>)",
				    fetch.uid, (unsigned int)offset,
				    MAILSHIFT_SOURCE_BODY_PIECE);
		fetch.pending++;
	}
	while (fetch.pending > 0)
		imapc_client_run(fetch.mbox->storage->client->client);
	mailshift_body_unregister(fetch.mbox);
	mailshift_body_current = NULL;

	if (fetch.error != NULL) {
		*error_r = t_strdup(fetch.error);
		i_free(fetch.error);
		i_close_fd(&fetch.fd);
		return -1;
	}
	for (i = 0; i < count; i++)
		received += pieces[i].received;
	if (received == 0 && size > 0) {
		/* expunged on the old server since it was listed */
		i_close_fd(&fetch.fd);
		return 0;
	}
	if (received != size) {
		*error_r = t_strdup_printf("UID %u: the old server sent %"
			PRIuUOFF_T" bytes of a %"PRIuUOFF_T"-byte message",
			fetch.uid, received, size);
		i_close_fd(&fetch.fd);
		return -1;
	}
	*input_r = i_stream_create_fd_autoclose(&fetch.fd, IO_BLOCK_SIZE);
	i_stream_set_name(*input_r, path);
	return 1;
}
