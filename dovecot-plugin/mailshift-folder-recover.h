#ifndef MAILSHIFT_FOLDER_RECOVER_H
#define MAILSHIFT_FOLDER_RECOVER_H

/* Which old messages are already in the new folder, when the folder's
   state cannot say.  Each copy carries a GUID naming its original
   (mailshift-copy-guid.h); a new message without such a GUID was
   delivered here -- except in maildir, which keeps the GUID only in its
   uidlist: a batch whose uidlist write was cut short is recognised by
   content instead (such copies then carry no GUID, so later passes do not
   bring their flag changes).  Until the folder is done, the pass that
   found them keeps its state's src_last_uid where the search began, so
   that a later search finds them again.

   The state cannot say in three cases: a pass was killed while maildir
   was committing a batch (maildir renames the files and writes its
   uidlist before the index commit, so part of a batch can appear without
   the state that records it); an mdbox/sdbox index was rebuilt after a
   crash (the rebuild restores messages but not our state); and the folder
   existed with mail before the first pass. */

#include "seq-range-array.h"

struct mailbox;
struct event;
struct mail;
struct mailshift_folder_state;

/* Find copies in dest_box of src_box's messages above state->src_last_uid
   (the state was read from dest_box; state_found says whether there was
   one).  Adds their old UIDs to present_uids, so the copy skips them,
   gives them the old flags, and updates state's UID preservation.
   Returns 0, or -1 with error_r. */
int mailshift_folder_recover(struct mailbox *src_box, struct mailbox *dest_box,
			     const char *guid_prefix,
			     struct mailshift_folder_state *state,
			     bool state_found,
			     ARRAY_TYPE(seq_range) *present_uids,
			     struct event *event, const char **error_r);

/* Same keywords, in any order (each side lists them in its own index's
   order). */
bool mailshift_keywords_equal(const char *const *a, const char *const *b);
/* Whether a and b have the same flags (\Recent aside, which is each
   session's own) and keywords. */
bool mailshift_flags_equal(struct mail *a, struct mail *b);

/* The old folder's UIDVALIDITY changed (it was re-created, or the server
   renumbered it), so old UIDs mean nothing any more.  Match by content
   (size, Message-ID, Date), each old message claiming at most one copy:
   copies made under the earlier UIDVALIDITY (old_prefix) that match an old
   message count as copied, and so do copies already made under the new
   one (new_prefix).  Copies that match nothing left the old server, and
   are expunged here unless the user changed them since the last pass
   (dest_highest_modseq) -- or unless that would expunge most of the
   folder, which looks more like a broken old server.  Adds the old UIDs
   already here to present_uids.  Returns 0, or -1 with error_r. */
int mailshift_folder_rematch(struct mailbox *src_box, struct mailbox *dest_box,
			     const char *old_prefix, const char *new_prefix,
			     uint64_t dest_highest_modseq,
			     ARRAY_TYPE(seq_range) *present_uids,
			     unsigned int *matched_r, unsigned int *expunged_r,
			     const char **error_r);

/* Give dest_mail src_mail's flags and keywords (minus \Recent), where
   they differ.  Returns TRUE if anything changed. */
bool mailshift_copy_flags(struct mail *src_mail, struct mail *dest_mail);

/* Dovecot's mdbox, when it finds its map inconsistent after a crash,
   rebuilds it and puts back every message it finds in its files, also
   one that a killed pass had written but never committed -- possibly
   after the folder was already recovered, and possibly truncated.  This
   removes such extra copies: among messages carrying the same copy GUID it
   keeps the one whose size matches the old message and expunges the
   others (ours by construction, so nothing the user owns is touched).
   Returns the number expunged, or -1 with error_r. */
int mailshift_folder_dedupe(struct mailbox *src_box, struct mailbox *dest_box,
			    const char *guid_prefix, struct event *event,
			    const char **error_r);

#endif
