#ifndef MAILSHIFT_MESSAGE_IDS_H
#define MAILSHIFT_MESSAGE_IDS_H

/* The Message-IDs of the messages a user's passes copied from folders
   other than the old server's \All folder (Gmail's "All Mail", which
   holds every message again), kept in the user's home as
   .mailshift-message-ids (8 bytes of MD5 per Message-ID, appended as the
   copies commit).  The \All folder is copied last, and only what is not
   in here: the messages no other folder holds (archived ones). */

struct mailshift_message_ids;

/* Open the user's set, reading what earlier passes recorded.  Returns 0,
   or -1 with error_r. */
int mailshift_message_ids_open(const char *home,
			       struct mailshift_message_ids **ids_r,
			       const char **error_r);
void mailshift_message_ids_close(struct mailshift_message_ids **ids);

bool mailshift_message_ids_contains(struct mailshift_message_ids *ids,
				    const char *message_id);
/* Add to the set; written to the file by the next flush. */
void mailshift_message_ids_add(struct mailshift_message_ids *ids,
			       const char *message_id);
/* Append what was added since the last flush.  Returns 0, or -1 with
   error_r. */
int mailshift_message_ids_flush(struct mailshift_message_ids *ids,
				const char **error_r);

#endif
