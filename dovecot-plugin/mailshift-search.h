#ifndef MAILSHIFT_SEARCH_H
#define MAILSHIFT_SEARCH_H

/* Search arguments for every message with a UID at or above first_uid.
   On imapc the search runs on its local copy of the UID list, so there is
   no "N:*" surprise where a server returns the last message for an N
   above it.  Free with mail_search_args_unref(). */
struct mail_search_args *mailshift_search_uids_from(uint32_t first_uid);

#endif
