/* Copyright (c) mailshift authors */

/* The pieces go out pipelined on the folder's own imapc connection, and
   the untagged "* n FETCH (UID u BODY[]<offset> ...)" lines come back to a
   handler registered on the folder while the queue lives (imapc's own
   FETCH handler only knows "BODY[]" and ignores them).  The sizes come
   first, for the whole folder in one UID FETCH RFC822.SIZE, so that the
   pieces can be asked for long before the copy reaches their message;
   each message's flags and date come from imapc's own prefetch of its
   mail, asked when it comes within MAILSHIFT_BODY_AHEAD_MAILS. */

#include "lib.h"
#include "array.h"
#include "istream.h"
#include "istream-concat.h"
#include "strnum.h"
#include "imap-arg.h"
#include "mail-storage-private.h"
#include "mail-search-build.h"
#include "index-mail.h"
#include "imapc-storage.h"
#include "imapc-client.h"
#include "imapc-mail.h"
#include "mailshift-search.h"
#include "mailshift-source.h"
#include "mailshift-source-body.h"

#include <unistd.h>
#include <sys/stat.h>

/* Bytes of large messages asked for and not yet taken: enough to keep a
   long fat link busy, bounded so that a folder of large attachments does
   not fill mail_temp_dir. */
#define MAILSHIFT_BODY_AHEAD_BYTES (16 * 1024 * 1024)
/* Large messages whose metadata is asked for ahead of the copy. */
#define MAILSHIFT_BODY_AHEAD_MAILS 8
/* Pieces of one message kept in imapc's own temp files, a descriptor
   each (mailshift_body_piece_keep()); the rest of a message larger than
   that is copied into a temp file of its own, so that a message of
   gigabytes needs no more descriptors than the process may open. */
#define MAILSHIFT_BODY_KEPT_PIECES 16
/* How much of a large message the save reads from its temp files at a
   time: the save writes what each read gives, so that reads of a few kB
   would cost the message's size over again in system calls. */
#define MAILSHIFT_BODY_READ_SIZE (256 * 1024)

struct mailshift_body_piece {
	struct mailshift_body_entry *entry;
	uoff_t offset;
	/* bytes the old server sent for it: set, not added to, as a piece
	   resent after a reconnect may arrive twice */
	uoff_t received;
	/* imapc's temp file of it (mailshift_body_piece_keep()), or -1: in
	   the entry's own temp file, or not received */
	int fd;
};

struct mailshift_body_entry {
	struct mailshift_body_queue *queue;
	uint32_t uid;
	struct mail *mail;
	/* the temp file of the pieces that came in the reply itself (a short
	   last one), created for the first of them; -1 if none did */
	int fd;
	char *path;
	uoff_t size;
	struct mailshift_body_piece *pieces;
	unsigned int count, requested, pending;
	/* pieces whose fd is imapc's temp file */
	unsigned int kept;
	/* bytes of the pieces requested */
	uoff_t asked;
	char *error;
};

struct mailshift_body_size {
	uint32_t uid;
	uoff_t size;
};

struct mailshift_body_queue {
	struct imapc_mailbox *mbox;
	struct mailbox_transaction_context *t;
	enum mail_fetch_field wanted_fields;
	struct mailbox_header_lookup_ctx *wanted_headers;

	struct mailshift_body_entry *entries;
	unsigned int count, head;

	/* while the sizes are asked for: what the answer gives */
	ARRAY(struct mailshift_body_size) sizes;
	uint32_t first_uid;
	const ARRAY_TYPE(seq_range) *skip;
	bool sizes_asked, sizing, sizes_failed;
	/* the other messages the sizes gave, for imapc to prefetch */
	uoff_t small_bytes;
	unsigned int small_count;
	/* bytes asked for of entries not yet taken */
	uoff_t bytes_ahead;
	unsigned int pending;
	/* the entry take() waits for */
	struct mailshift_body_entry *waiting;
	/* the entry take() returned last: its mail is the caller's */
	struct mailshift_body_entry *taken;
	/* deinit waits for the replies still on their way */
	bool draining;
};

/* imapc's untagged handlers take no context but the mailbox: the queues
   of the folders a pass copies at once, one per imapc connection. */
#define MAILSHIFT_BODY_MAX_QUEUES 16
static struct mailshift_body_queue *mailshift_body_queues[MAILSHIFT_BODY_MAX_QUEUES];

static struct mailshift_body_queue **
mailshift_body_queue_slot(const struct imapc_mailbox *mbox)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(mailshift_body_queues); i++) {
		if (mailshift_body_queues[i] != NULL &&
		    mailshift_body_queues[i]->mbox == mbox)
			return &mailshift_body_queues[i];
	}
	return NULL;
}

static struct mailshift_body_queue **mailshift_body_queue_free_slot(void)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(mailshift_body_queues); i++) {
		if (mailshift_body_queues[i] == NULL)
			return &mailshift_body_queues[i];
	}
	i_panic("mailshift: more than %u large-message queues at once",
		MAILSHIFT_BODY_MAX_QUEUES);
}

static void mailshift_body_fail(struct mailshift_body_entry *entry,
				const char *error)
{
	if (entry->error == NULL)
		entry->error = i_strdup(error);
}

/* The piece's data is about to be replaced (a piece resent after a
   reconnect replaces the first answer). */
static void mailshift_body_piece_forget(struct mailshift_body_piece *piece)
{
	if (piece->fd != -1) {
		i_close_fd(&piece->fd);
		piece->entry->kept--;
	}
	piece->received = 0;
}

/* A piece imapc spooled to its temp file (every piece but a short last
   one): imapc closes the file once the reply is handled, the piece keeps
   a descriptor of its own to it (already unlinked), so that its bytes
   are neither copied nor written again. */
static void mailshift_body_piece_keep(struct mailshift_body_piece *piece,
				      int imapc_fd)
{
	struct stat st;
	int fd;

	mailshift_body_piece_forget(piece);
	if (fstat(imapc_fd, &st) < 0 || (fd = dup(imapc_fd)) == -1) {
		mailshift_body_fail(piece->entry, t_strdup_printf(
			"keeping imapc's temp file of a piece: %m"));
		return;
	}
	piece->fd = fd;
	piece->entry->kept++;
	piece->received = st.st_size;
}

/* The entry's own temp file, created the first time; -1 with the entry's
   error set. */
static int mailshift_body_entry_own_fd(struct mailshift_body_entry *entry)
{
	struct imapc_client *client =
		entry->queue->mbox->storage->client->client;
	const char *path;

	if (entry->fd != -1)
		return entry->fd;
	entry->fd = imapc_client_create_temp_fd(client, &path);
	if (entry->fd == -1) {
		mailshift_body_fail(entry, "cannot create a temp file for a "
				    "large message (see mail_temp_dir)");
		return -1;
	}
	entry->path = i_strdup(path);
	return entry->fd;
}

/* size bytes of data at offset in the entry's temp file; FALSE with the
   entry's error set. */
static bool mailshift_body_entry_pwrite(struct mailshift_body_entry *entry,
					const void *data, size_t size,
					uoff_t offset)
{
	int fd = mailshift_body_entry_own_fd(entry);

	if (fd == -1)
		return FALSE;
	if (pwrite(fd, data, size, offset) != (ssize_t)size) {
		mailshift_body_fail(entry, t_strdup_printf(
			"write() to a temp file: %m"));
		return FALSE;
	}
	return TRUE;
}

/* A piece that came in the reply itself, into the entry's temp file. */
static void mailshift_body_piece_write(struct mailshift_body_piece *piece,
				       const char *data, size_t size)
{
	mailshift_body_piece_forget(piece);
	if (mailshift_body_entry_pwrite(piece->entry, data, size,
					piece->offset))
		piece->received = size;
}

/* A piece imapc spooled, copied into the entry's temp file: the message
   already keeps MAILSHIFT_BODY_KEPT_PIECES of imapc's. */
static void mailshift_body_piece_copy(struct mailshift_body_piece *piece,
				      int imapc_fd)
{
	struct mailshift_body_entry *entry = piece->entry;
	unsigned char buf[IO_BLOCK_SIZE];
	ssize_t ret;
	uoff_t pos;

	mailshift_body_piece_forget(piece);
	for (pos = 0;; pos += ret) {
		ret = pread(imapc_fd, buf, sizeof(buf), pos);
		if (ret <= 0)
			break;
		if (!mailshift_body_entry_pwrite(entry, buf, ret,
						 piece->offset + pos))
			return;
	}
	if (ret < 0) {
		mailshift_body_fail(entry, t_strdup_printf(
			"read() of imapc's temp file: %m"));
		return;
	}
	piece->received = pos;
}

/* The piece's data: in the reply, or in a temp file where imapc spooled
   it.  Returns FALSE if arg holds none. */
static bool
mailshift_body_piece_take(struct mailshift_body_piece *piece,
			  const struct imapc_untagged_reply *reply,
			  const struct imap_arg *list, unsigned int idx)
{
	const struct imap_arg *arg = &list[idx];
	const char *data;
	unsigned int i;

	if (arg->type == IMAP_ARG_LITERAL_SIZE) {
		for (i = 0; i < reply->file_args_count; i++) {
			const struct imapc_arg_file *farg = &reply->file_args[i];
			const struct imap_arg *flist;

			if (!imap_arg_get_list(farg->parent_arg, &flist) ||
			    &flist[farg->list_idx] != arg)
				continue;
			if (piece->fd != -1 ||
			    piece->entry->kept < MAILSHIFT_BODY_KEPT_PIECES)
				mailshift_body_piece_keep(piece, farg->fd);
			else
				mailshift_body_piece_copy(piece, farg->fd);
			return TRUE;
		}
		return FALSE;
	}
	if (!imap_arg_get_nstring(arg, &data))
		return FALSE;
	if (data == NULL) {
		/* NIL for a piece past the end, from some servers */
		mailshift_body_piece_forget(piece);
		return TRUE;
	}
	mailshift_body_piece_write(piece, data, arg->str_len);
	return TRUE;
}

/* The entry of uid among those that may have pieces on their way. */
static struct mailshift_body_entry *
mailshift_body_entry_find(struct mailshift_body_queue *queue, uint32_t uid)
{
	unsigned int i, end;

	end = I_MIN(queue->count, queue->head + MAILSHIFT_BODY_AHEAD_MAILS);
	for (i = queue->head; i < end; i++) {
		if (queue->entries[i].uid == uid)
			return queue->entries[i].pieces == NULL ? NULL :
				&queue->entries[i];
	}
	return NULL;
}

/* "* n FETCH (UID u RFC822.SIZE s)" while the sizes are asked for: a
   large message to queue. */
static void
mailshift_body_size_seen(struct mailshift_body_queue *queue, uint32_t uid,
			 const char *value)
{
	struct mailshift_body_size *size;
	uoff_t bytes;

	if (str_to_uoff(value, &bytes) < 0 || uid < queue->first_uid ||
	    (queue->skip != NULL && seq_range_exists(queue->skip, uid)))
		return;
	if (bytes <= MAILSHIFT_SOURCE_BODY_LARGE) {
		queue->small_bytes += bytes;
		queue->small_count++;
		return;
	}
	size = array_append_space(&queue->sizes);
	size->uid = uid;
	size->size = bytes;
}

static void
mailshift_body_untagged(const struct imapc_untagged_reply *reply,
			struct imapc_mailbox *mbox)
{
	struct mailshift_body_queue **slot = mailshift_body_queue_slot(mbox);
	struct mailshift_body_queue *queue = slot == NULL ? NULL : *slot;
	struct mailshift_body_entry *entry;
	const struct imap_arg *list;
	const char *key, *value, *p, *size = NULL;
	unsigned int i, count, body_idx = 0;
	uint32_t uid = 0;
	uoff_t offset = 0;
	bool have_body = FALSE;

	if (queue == NULL || !imap_arg_get_list_full(&reply->args[0], &list,
						     &count))
		return;
	for (i = 0; i + 1 < count; i += 2) {
		if (!imap_arg_get_atom(&list[i], &key))
			return;
		if (strcasecmp(key, "UID") == 0) {
			if (!imap_arg_get_atom(&list[i+1], &value) ||
			    str_to_uint32(value, &uid) < 0)
				return;
		} else if (strcasecmp(key, "RFC822.SIZE") == 0) {
			if (!imap_arg_get_atom(&list[i+1], &size))
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
	if (queue->sizing) {
		if (size != NULL && uid != 0)
			mailshift_body_size_seen(queue, uid, size);
		return;
	}
	if (!have_body ||
	    (entry = mailshift_body_entry_find(queue, uid)) == NULL ||
	    offset % MAILSHIFT_SOURCE_BODY_PIECE != 0 ||
	    offset / MAILSHIFT_SOURCE_BODY_PIECE >= entry->requested)
		return;
	if (!mailshift_body_piece_take(
		&entry->pieces[offset / MAILSHIFT_SOURCE_BODY_PIECE],
		reply, list, body_idx))
		mailshift_body_fail(entry, "a FETCH BODY[] piece without data");
}

static void mailshift_body_reply(const struct imapc_command_reply *reply,
				 void *context)
{
	struct mailshift_body_piece *piece = context;
	struct mailshift_body_entry *entry = piece->entry;
	struct mailshift_body_queue *queue = entry->queue;

	if (reply->state != IMAPC_COMMAND_STATE_OK) {
		mailshift_body_fail(entry, t_strdup_printf(
			"UID FETCH %u BODY.PEEK[]<%"PRIuUOFF_T">: %s",
			entry->uid, piece->offset, reply->text_full));
	}
	i_assert(entry->pending > 0 && queue->pending > 0);
	entry->pending--;
	queue->pending--;
	if ((queue->waiting == entry && entry->pending == 0) ||
	    (queue->draining && queue->pending == 0))
		imapc_client_stop(queue->mbox->storage->client->client);
}

static void
mailshift_body_exists(const struct imapc_untagged_reply *reply,
		      struct imapc_mailbox *mbox);

/* imapc has no way to unregister a folder's handlers: remove ours by
   their addresses. */
static void mailshift_body_unregister(struct imapc_mailbox *mbox)
{
	const struct imapc_mailbox_event_callback *cbs;
	unsigned int i, count;

	cbs = array_get(&mbox->untagged_callbacks, &count);
	for (i = count; i > 0; i--) {
		if (cbs[i-1].callback == mailshift_body_untagged ||
		    cbs[i-1].callback == mailshift_body_exists) {
			array_delete(&mbox->untagged_callbacks, i-1, 1);
			cbs = array_get(&mbox->untagged_callbacks, &count);
		}
	}
}

static void
mailshift_body_sizes_reply(const struct imapc_command_reply *reply,
			   void *context)
{
	struct mailshift_body_queue *queue = context;

	if (reply->state == IMAPC_COMMAND_STATE_DISCONNECTED &&
	    queue->t == NULL) {
		/* asked for while the folder opened, which failed (imapc
		   drops what was sent on a folder it unselects): the open's
		   own error says why; asked for again if it opens after all */
		queue->sizes_asked = FALSE;
	} else if (reply->state != IMAPC_COMMAND_STATE_OK) {
		mailbox_set_critical(&queue->mbox->box,
			"imapc: UID FETCH RFC822.SIZE failed: %s",
			reply->text_full);
		queue->sizes_failed = TRUE;
	}
	queue->sizing = FALSE;
	imapc_client_stop(queue->mbox->storage->client->client);
}

/* Every size from queue->first_uid on, in one FETCH. */
static void mailshift_body_send_sizes(struct mailshift_body_queue *queue)
{
	struct imapc_command *cmd;

	queue->sizes_asked = TRUE;
	queue->sizing = TRUE;
	cmd = imapc_client_mailbox_cmd(queue->mbox->client_box,
				       mailshift_body_sizes_reply, queue);
	imapc_command_set_flags(cmd, IMAPC_COMMAND_FLAG_RETRIABLE);
	imapc_command_sendf(cmd, "UID FETCH %u:* (RFC822.SIZE)",
			    queue->first_uid);
}

/* The sizes, asked for now unless they were when the folder was opened.
   Returns 0 or -1. */
static int mailshift_body_ask_sizes(struct mailshift_body_queue *queue)
{
	if (!queue->sizes_asked)
		mailshift_body_send_sizes(queue);
	while (queue->sizing)
		imapc_client_run(queue->mbox->storage->client->client);
	return queue->sizes_failed ? -1 : 0;
}

/* The old server's "* n EXISTS" while the folder is being opened: imapc
   (whose handler comes first) has just asked for every message's flags;
   the sizes go in the same round trip. */
static void
mailshift_body_exists(const struct imapc_untagged_reply *reply,
		      struct imapc_mailbox *mbox)
{
	struct mailshift_body_queue **slot = mailshift_body_queue_slot(mbox);

	if (slot != NULL && mbox->selecting && reply->num > 0 &&
	    !(*slot)->sizes_asked)
		mailshift_body_send_sizes(*slot);
}

static struct mailshift_body_queue *
mailshift_body_queue_register(struct imapc_mailbox *mbox)
{
	struct mailshift_body_queue *queue;

	queue = i_new(struct mailshift_body_queue, 1);
	queue->mbox = mbox;
	queue->first_uid = 1;
	i_array_init(&queue->sizes, 16);
	i_assert(mailshift_body_queue_slot(mbox) == NULL);
	*mailshift_body_queue_free_slot() = queue;
	imapc_mailbox_register_untagged(mbox, "FETCH",
					mailshift_body_untagged);
	return queue;
}

struct mailshift_body_queue *mailshift_body_queue_prepare(struct mailbox *box)
{
	struct mailshift_body_queue *queue;

	if (strcmp(box->storage->name, IMAPC_STORAGE_NAME) != 0)
		return NULL;
	queue = mailshift_body_queue_register(IMAPC_MAILBOX(box));
	imapc_mailbox_register_untagged(queue->mbox, "EXISTS",
					mailshift_body_exists);
	return queue;
}

static int mailshift_body_size_cmp(const struct mailshift_body_size *a,
				   const struct mailshift_body_size *b)
{
	return a->uid < b->uid ? -1 : a->uid > b->uid ? 1 : 0;
}

int mailshift_body_queue_init(struct mailbox_transaction_context *t,
			      uint32_t first_uid,
			      const ARRAY_TYPE(seq_range) *skip,
			      enum mail_fetch_field wanted_fields,
			      struct mailbox_header_lookup_ctx *wanted_headers,
			      ARRAY_TYPE(seq_range) *large_r,
			      struct mailshift_body_queue **queue_r)
{
	struct mailshift_body_queue *queue, **slot;
	const struct mailshift_body_size *sizes;
	unsigned int i, count;

	if (strcmp(t->box->storage->name, IMAPC_STORAGE_NAME) != 0)
		queue = i_new(struct mailshift_body_queue, 1);
	else if ((slot = mailshift_body_queue_slot(IMAPC_MAILBOX(t->box))) != NULL)
		queue = *slot;
	else {
		queue = mailshift_body_queue_register(IMAPC_MAILBOX(t->box));
		queue->first_uid = first_uid;
	}
	/* (a queue prepared as the folder opened has asked from UID 1 on,
	   and may have its sizes already: they are filtered below) */
	queue->skip = skip;
	queue->t = t;
	queue->wanted_fields = wanted_fields;
	queue->wanted_headers = wanted_headers;
	if (wanted_headers != NULL)
		mailbox_header_lookup_ref(wanted_headers);
	*queue_r = queue;
	if (queue->mbox == NULL)
		return 0;
	if (mailshift_body_ask_sizes(queue) < 0)
		return -1;

	/* in UID order, once: a server may answer in any order, and a
	   resent command answers twice */
	array_sort(&queue->sizes, mailshift_body_size_cmp);
	sizes = array_get(&queue->sizes, &count);
	queue->entries = i_new(struct mailshift_body_entry, I_MAX(count, 1));
	for (i = 0; i < count; i++) {
		struct mailshift_body_entry *entry;

		if ((queue->count > 0 &&
		     queue->entries[queue->count - 1].uid == sizes[i].uid) ||
		    sizes[i].uid < first_uid ||
		    seq_range_exists(skip, sizes[i].uid))
			continue;
		entry = &queue->entries[queue->count++];
		entry->queue = queue;
		entry->uid = sizes[i].uid;
		entry->size = sizes[i].size;
		entry->fd = -1;
		seq_range_array_add(large_r, entry->uid);
	}
	array_free(&queue->sizes);
	return 0;
}

uoff_t mailshift_body_queue_small_mean(const struct mailshift_body_queue *queue)
{
	return queue->small_count == 0 ? 0 :
		queue->small_bytes / queue->small_count;
}

static void mailshift_body_entry_free(struct mailshift_body_entry *entry)
{
	unsigned int i;

	i_assert(entry->pending == 0);
	if (entry->mail != NULL)
		mail_free(&entry->mail);
	for (i = 0; i < entry->count; i++)
		i_close_fd(&entry->pieces[i].fd);
	i_close_fd(&entry->fd);
	i_free(entry->path);
	i_free(entry->pieces);
	/* freed again with the queue: nothing left to close then */
	entry->count = 0;
	i_free(entry->error);
}

void mailshift_body_queue_deinit(struct mailshift_body_queue **_queue)
{
	struct mailshift_body_queue *queue = *_queue;
	unsigned int i;

	*_queue = NULL;
	if (queue->mbox != NULL) {
		/* the replies still on their way point at the entries */
		*mailshift_body_queue_slot(queue->mbox) = NULL;
		queue->draining = TRUE;
		while (queue->pending > 0 || queue->sizing)
			imapc_client_run(queue->mbox->storage->client->client);
		mailshift_body_unregister(queue->mbox);
	}
	if (array_is_created(&queue->sizes))
		array_free(&queue->sizes);
	for (i = 0; i < queue->count; i++)
		mailshift_body_entry_free(&queue->entries[i]);
	if (queue->wanted_headers != NULL)
		mailbox_header_lookup_unref(&queue->wanted_headers);
	i_free(queue->entries);
	i_free(queue);
}

static void mailshift_body_entry_add_pieces(struct mailshift_body_entry *entry,
					    unsigned int count)
{
	unsigned int i;

	entry->pieces = i_realloc_type(entry->pieces,
				       struct mailshift_body_piece,
				       entry->count, entry->count + count);
	for (i = entry->count; i < entry->count + count; i++) {
		entry->pieces[i].entry = entry;
		entry->pieces[i].offset =
			(uoff_t)i * MAILSHIFT_SOURCE_BODY_PIECE;
		entry->pieces[i].fd = -1;
	}
	entry->count += count;
}

/* The pieces, when the first is asked for.  Returns -1 with the entry's
   error set. */
static int mailshift_body_entry_open(struct mailshift_body_entry *entry)
{
	if (entry->error != NULL)
		return -1;
	if (entry->pieces != NULL)
		return 0;
	/* RFC822.SIZE is a hint (Exchange's is known to be off): a last piece
	   that comes back full asks for more (mailshift_body_entry_wait()).
	   Not one piece past the end it gives: on an old Dovecot that one
	   costs a read of the last piece. */
	mailshift_body_entry_add_pieces(entry,
		entry->size / MAILSHIFT_SOURCE_BODY_PIECE + 1);
	return 0;
}

static void mailshift_body_request_piece(struct mailshift_body_entry *entry)
{
	struct mailshift_body_piece *piece = &entry->pieces[entry->requested++];
	uoff_t length = piece->offset >= entry->size ? 0 :
		I_MIN(MAILSHIFT_SOURCE_BODY_PIECE, entry->size - piece->offset);
	struct imapc_command *cmd;

	cmd = imapc_client_mailbox_cmd(entry->queue->mbox->client_box,
				       mailshift_body_reply, piece);
	imapc_command_set_flags(cmd, IMAPC_COMMAND_FLAG_RETRIABLE);
	imapc_command_sendf(cmd, "UID FETCH %u (BODY.PEEK[]<%u.%u>)",
			    entry->uid, (unsigned int)piece->offset,
			    MAILSHIFT_SOURCE_BODY_PIECE);
	entry->pending++;
	entry->queue->pending++;
	entry->asked += length;
	entry->queue->bytes_ahead += length;
}

/* The entry's mail, asked of the old server by imapc (its prefetch sends
   the metadata FETCH) when it first comes within reach. */
static void mailshift_body_entry_alloc(struct mailshift_body_entry *entry)
{
	struct mailshift_body_queue *queue = entry->queue;

	entry->mail = mail_alloc(queue->t, queue->wanted_fields,
				 queue->wanted_headers);
	if (mail_set_uid(entry->mail, entry->uid))
		(void)mail_prefetch(entry->mail);
}

void mailshift_body_queue_advance(struct mailshift_body_queue *queue,
				  uint32_t horizon_uid)
{
	struct mailshift_body_entry *entry;
	unsigned int i, end;
	bool allocated = FALSE;

	end = I_MIN(queue->count, queue->head + MAILSHIFT_BODY_AHEAD_MAILS);
	for (i = queue->head; i < end; i++) {
		entry = &queue->entries[i];
		if (entry->uid > horizon_uid)
			break;
		if (entry->mail == NULL) {
			mailshift_body_entry_alloc(entry);
			allocated = TRUE;
		}
		if (queue->bytes_ahead >= MAILSHIFT_BODY_AHEAD_BYTES ||
		    mailshift_body_entry_open(entry) < 0)
			continue;
		while (entry->requested < entry->count &&
		       queue->bytes_ahead < MAILSHIFT_BODY_AHEAD_BYTES)
			mailshift_body_request_piece(entry);
	}
	if (allocated) {
		/* the metadata goes out now, not when imapc next waits */
		imapc_mail_fetch_flush(queue->mbox);
	}
}

/* The body's length from the pieces received: each one full up to the
   first short one, none after it.  Returns 1 if the last piece came back
   full (the body goes on past what was asked), 0 if not, -1 if the
   answers do not fit together. */
static int mailshift_body_entry_length(const struct mailshift_body_entry *entry,
				       uoff_t *length_r)
{
	unsigned int i;
	bool ended = FALSE;

	*length_r = 0;
	for (i = 0; i < entry->count; i++) {
		if (ended && entry->pieces[i].received > 0)
			return -1;
		if (entry->pieces[i].received < MAILSHIFT_SOURCE_BODY_PIECE)
			ended = TRUE;
		*length_r += entry->pieces[i].received;
	}
	return ended ? 0 : 1;
}

bool mailshift_body_queue_next_ready(const struct mailshift_body_queue *queue)
{
	const struct mailshift_body_entry *entry;

	if (queue->head >= queue->count)
		return TRUE;
	entry = &queue->entries[queue->head];
	return entry->mail != NULL && entry->pieces != NULL &&
		entry->requested == entry->count && entry->pending == 0 &&
		mailshift_source_mail_arrived(entry->mail);
}

bool mailshift_body_queue_next_here(const struct mailshift_body_queue *queue)
{
	const struct mailshift_body_entry *entry;
	uoff_t length;

	if (!mailshift_body_queue_next_ready(queue) ||
	    queue->head >= queue->count)
		return FALSE;
	entry = &queue->entries[queue->head];
	/* a last piece that came back full asks for more */
	return entry->error == NULL &&
		mailshift_body_entry_length(entry, &length) <= 0 &&
		mailshift_source_mail_here(entry->mail, FALSE);
}

uint32_t mailshift_body_queue_next_uid(const struct mailshift_body_queue *queue)
{
	return queue->head < queue->count ?
		queue->entries[queue->head].uid : 0;
}

/* Every piece of entry received; returns 1, 0 if the old server no longer
   has the message, -1 with *error_r. */
static int mailshift_body_entry_wait(struct mailshift_body_entry *entry,
				     const char **error_r)
{
	struct mailshift_body_queue *queue = entry->queue;
	uoff_t length;
	int ret;

	if (mailshift_body_entry_open(entry) < 0) {
		*error_r = t_strdup(entry->error);
		return -1;
	}
	for (;;) {
		while (entry->requested < entry->count)
			mailshift_body_request_piece(entry);
		queue->waiting = entry;
		while (entry->pending > 0)
			imapc_client_run(queue->mbox->storage->client->client);
		queue->waiting = NULL;
		if (entry->error != NULL) {
			*error_r = t_strdup(entry->error);
			return -1;
		}
		ret = mailshift_body_entry_length(entry, &length);
		if (ret <= 0)
			break;
		/* longer than its RFC822.SIZE said */
		mailshift_body_entry_add_pieces(entry, 4);
	}
	if (ret < 0) {
		*error_r = t_strdup_printf("UID %u: the old server's pieces of "
			"the message do not fit together (a short one before "
			"the end)", entry->uid);
		return -1;
	}
	/* nothing at all: expunged on the old server since it was listed */
	return length == 0 ? 0 : 1;
}

static struct istream *mailshift_body_file_stream(int *fd)
{
	struct istream *input =
		i_stream_create_fd_autoclose(fd, MAILSHIFT_BODY_READ_SIZE);

	i_stream_set_init_buffer_size(input, MAILSHIFT_BODY_READ_SIZE);
	return input;
}

/* The body of an entry all of whose pieces arrived: the pieces one after
   the other, each from where it was kept. */
static struct istream *
mailshift_body_entry_stream(struct mailshift_body_entry *entry)
{
	struct istream **inputs, *own_file = NULL, *input;
	struct mailshift_body_piece *piece;
	unsigned int i, count = 0;

	if (entry->fd != -1) {
		own_file = mailshift_body_file_stream(&entry->fd);
		i_stream_set_name(own_file, entry->path);
	}
	inputs = t_new(struct istream *, entry->count + 1);
	for (i = 0; i < entry->count && entry->pieces[i].received > 0; i++) {
		piece = &entry->pieces[i];
		if (piece->fd != -1) {
			inputs[count] = mailshift_body_file_stream(&piece->fd);
		} else {
			inputs[count] = i_stream_create_range(own_file,
				piece->offset, piece->received);
		}
		count++;
	}
	input = i_stream_create_concat(inputs);
	i_stream_set_name(input, t_strdup_printf(
		"large message UID %u", entry->uid));
	for (i = 0; i < count; i++)
		i_stream_unref(&inputs[i]);
	i_stream_unref(&own_file);
	return input;
}

int mailshift_body_queue_take(struct mailshift_body_queue *queue,
			      struct mail **mail_r, struct istream **input_r,
			      const char **error_r)
{
	struct mailshift_body_entry *entry;
	int ret;

	i_assert(queue->head < queue->count);
	if (queue->taken != NULL) {
		mailshift_body_entry_free(queue->taken);
		queue->taken = NULL;
	}
	entry = &queue->entries[queue->head];
	if (entry->mail == NULL)
		mailshift_body_entry_alloc(entry);
	*mail_r = entry->mail;
	ret = mailshift_body_entry_wait(entry, error_r);

	i_assert(queue->bytes_ahead >= entry->asked);
	queue->bytes_ahead -= entry->asked;
	queue->head++;
	queue->taken = entry;
	if (ret > 0)
		*input_r = mailshift_body_entry_stream(entry);
	return ret;
}
