#ifndef MAILSHIFT_FOLDER_RECOVER_H
#define MAILSHIFT_FOLDER_RECOVER_H

/* Which old messages are already in the new folder, when the folder's
   state cannot say.

   Every message the copy saves gets a GUID derived from where it came
   from (old folder, UIDVALIDITY, UID).  Dovecot keeps that GUID with the
   message in every storage -- maildir as the file name, sdbox and mdbox in
   the file's metadata and index -- and it survives an index rebuild.  So
   a new message that carries one of the old folder's GUIDs is a copy,
   whatever UID it ended up with, and anything else was delivered here.

   The state cannot say in three cases: a pass was killed while maildir
   was committing a batch (maildir renames the files and writes its
   uidlist before the index commit, so part of a batch can appear without
   the state that records it); an mdbox/sdbox index was rebuilt after a
   crash (the rebuild restores messages but not our state); and the folder
   existed with mail before the first pass. */

#include "seq-range-array.h"

struct mailbox;
struct event;
struct mailshift_folder_state;

/* The GUID a copy of the old message gets: 32 hex digits (a valid 128-bit
   GUID, so every storage keeps it as is).  Allocated from the data
   stack. */
const char *mailshift_copy_guid(const char *src_vname, uint32_t uidvalidity,
				uint32_t uid);

/* Find copies in dest_box of src_box's messages above state->src_last_uid
   (the state was read from dest_box; state_found says whether there was
   one).  Adds their old UIDs to present_uids, so the copy skips them, and
   updates state's UID preservation.  Returns 0, or -1 with error_r. */
int mailshift_folder_recover(struct mailbox *src_box, struct mailbox *dest_box,
			     struct mailshift_folder_state *state,
			     bool state_found,
			     ARRAY_TYPE(seq_range) *present_uids,
			     struct event *event, const char **error_r);

/* Dovecot's mdbox, when it finds its map inconsistent after a crash,
   rebuilds it and puts back every message it finds in its files, also
   one that a killed pass had written but never committed -- possibly
   after the folder was already recovered, and possibly truncated.  This
   removes such extra copies: among messages carrying the same copy GUID it
   keeps the one whose size matches the old message and expunges the
   others (ours by construction, so nothing the user owns is touched).
   Returns the number expunged, or -1 with error_r. */
int mailshift_folder_dedupe(struct mailbox *src_box, struct mailbox *dest_box,
			    uint32_t uidvalidity, struct event *event,
			    const char **error_r);

#endif
