#ifndef MAILSHIFT_SOURCE_BODY_H
#define MAILSHIFT_SOURCE_BODY_H

/* Bodies of large messages, fetched in pieces and ahead of the copy.
   imapc reads a FETCH BODY[] literal whole into memory and holds it about
   three times over while it hands it on (its input buffer, the parser's
   copy, the mail's own buffer): a large message costs a pass several
   times its size, and one of a few hundred MB could not be copied within
   the login service's vsz_limit.  Messages larger than
   MAILSHIFT_SOURCE_BODY_LARGE are fetched here as BODY.PEEK[]<offset.length>
   pieces written to temp files in mail_temp_dir, so they cost the memory
   of a piece (imapc's input buffer and its parser's copy of it, on each
   connection that fetched one).

   A piece is larger than the bound on what imapc prefetches whole, as an
   old Dovecot storing bare LFs (its default) finds where a piece starts
   by reading the message on from the start of the piece asked for
   before: every piece but a message's last costs the old server a second
   read of it, and a message that fits in one costs none.

   Across a WAN a message fetched only when the copy reaches it costs
   round trips in which nothing flows, so a queue asks for the large
   messages of a folder ahead: the metadata of the next few, and the
   pieces of those whose size is known, up to a bounded number of bytes
   not yet taken.  The pieces share the folder's imapc connection with
   imapc's own prefetch of the other messages; both keep flowing. */

#include "seq-range-array.h"
#include "mail-storage.h"

struct istream;
struct mailshift_body_queue;

/* Messages larger than this are fetched in pieces, not prefetched by
   imapc. */
#define MAILSHIFT_SOURCE_BODY_LARGE (1024 * 1024)
#define MAILSHIFT_SOURCE_BODY_PIECE (4 * 1024 * 1024)

/* The messages of t's old folder from UID first_uid on that are larger
   than MAILSHIFT_SOURCE_BODY_LARGE, less those in skip, in UID order: the
   old server is asked for every size with one UID FETCH RFC822.SIZE, and
   their UIDs are added to large_r.  Their mails are allocated with
   wanted_fields and wanted_headers.  One queue per imapc connection at a
   time; a box that is not imapc's has none.  Returns 0, or -1 with the
   error in the box's storage (*queue_r is set in both cases). */
int mailshift_body_queue_init(struct mailbox_transaction_context *t,
			      uint32_t first_uid,
			      const ARRAY_TYPE(seq_range) *skip,
			      enum mail_fetch_field wanted_fields,
			      struct mailbox_header_lookup_ctx *wanted_headers,
			      ARRAY_TYPE(seq_range) *large_r,
			      struct mailshift_body_queue **queue_r);
/* For a folder about to be opened (box allocated, not yet opened): its
   sizes are asked for as it opens, in the round trip of imapc's FETCH of
   its flags, not one after it; mailshift_body_queue_init() then takes
   this queue.  NULL for a box that is not imapc's. */
struct mailshift_body_queue *mailshift_body_queue_prepare(struct mailbox *box);
/* The mean size of the other messages the sizes were given for (those
   imapc prefetches), 0 if none or not known. */
uoff_t mailshift_body_queue_small_mean(const struct mailshift_body_queue *queue);
/* Waits for every piece still on its way, frees the queue and its mails. */
void mailshift_body_queue_deinit(struct mailshift_body_queue **queue);

/* Ask for what fits ahead of the messages up to horizon_uid; never
   waits.  Call it often.  The old server answers in the order it is
   asked: a horizon about as far ahead as imapc prefetches the other
   messages keeps the two in UID order. */
void mailshift_body_queue_advance(struct mailshift_body_queue *queue,
				  uint32_t horizon_uid);
/* Whether take() has the next message without waiting: all of it and
   its metadata have arrived. */
bool mailshift_body_queue_next_ready(const struct mailshift_body_queue *queue);
/* Whether take() has the next message without asking the old server
   for anything more, not even a piece past what its size said. */
bool mailshift_body_queue_next_here(const struct mailshift_body_queue *queue);
/* UID of the next message take() returns, 0 when none is left. */
uint32_t mailshift_body_queue_next_uid(const struct mailshift_body_queue *queue);
/* Wait for the next message: its mail (flags, keywords, dates, as the old
   server has them; valid until the next take) and its body as a stream of
   a temp file.  Returns 1, 0 if the old server no longer has it, -1 with
   *error_r.  *mail_r is set in every case. */
int mailshift_body_queue_take(struct mailshift_body_queue *queue,
			      struct mail **mail_r, struct istream **input_r,
			      const char **error_r);

#endif
