#ifndef MAILSHIFT_SOURCE_BODY_H
#define MAILSHIFT_SOURCE_BODY_H

/* Bodies of large messages, fetched in pieces.  imapc reads a FETCH BODY[]
   literal whole into memory and holds it about three times over while it
   hands it on (its input buffer, the parser's copy, the mail's own
   buffer): one 20 MB message cost a pass 60 MB, and a message of a few
   hundred MB could not be copied within the login service's vsz_limit.
   Messages larger than MAILSHIFT_SOURCE_BODY_PIECE are fetched here as
   BODY.PEEK[]<offset.length> pieces written to a temp file in
   mail_temp_dir, so they cost the memory of a piece. */

#include "seq-range-array.h"

struct mail;
struct mailbox;
struct istream;

#define MAILSHIFT_SOURCE_BODY_PIECE (1024 * 1024)

/* UIDs from first_uid on of box's messages larger than a piece (asked of
   the old server with one UID SEARCH LARGER).  box is the opened old
   folder.  Returns 0, or -1 with the error in box's storage. */
int mailshift_source_large_uids(struct mailbox *box, uint32_t first_uid,
				ARRAY_TYPE(seq_range) *uids_r);

/* The body of mail, a message of an opened old folder, as a stream of a
   temp file.  Returns 1 and *input_r, 0 if the old server no longer has
   the message, -1 with *error_r. */
int mailshift_source_body_fetch(struct mail *mail, struct istream **input_r,
				const char **error_r);

#endif
