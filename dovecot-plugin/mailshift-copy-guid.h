#ifndef MAILSHIFT_COPY_GUID_H
#define MAILSHIFT_COPY_GUID_H

/* Every message the copy saves carries a GUID that says where it came
   from: 32 hex digits (a valid 128-bit GUID, so every storage keeps it as
   given) made of

     16 digits   hash of the old folder's name and UIDVALIDITY
      8 digits   "6d736674" ("msft"), marking a mailshift copy
      8 digits   the old message's UID

   Dovecot keeps the GUID with the message in every storage -- maildir as
   the file name, sdbox and mdbox in the file and its index -- and through
   index rebuilds, so a copy can always be traced back to its original,
   whatever UID it got here. */

/* The first 24 digits for copies of this old folder (data stack). */
const char *mailshift_copy_guid_prefix(const char *src_vname,
				       uint32_t uidvalidity);
/* The whole GUID for the message uid (data stack). */
const char *mailshift_copy_guid(const char *prefix, uint32_t uid);
/* If guid is a copy of a message of the folder with this prefix, set
   uid_r to its old UID and return TRUE. */
bool mailshift_copy_guid_parse(const char *guid, const char *prefix,
			       uint32_t *uid_r);

#endif
