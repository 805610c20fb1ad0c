#ifndef MAILSHIFT_FOLDER_DELTA_H
#define MAILSHIFT_FOLDER_DELTA_H

/* What changed on the old server since the last pass, for messages that
   pass already copied: flag and keyword changes, and expunges.

   The new server wins: a copy whose MODSEQ is above the new folder's
   HIGHESTMODSEQ at the end of the last pass was changed here since (the
   user read, flagged or moved it) and is left as it is.  The old
   server's changes are told by its MODSEQs where it has CONDSTORE, else
   by the flags each copy records it had there at the last pass
   (mailshift-flag-baseline.h).  Mail that is not a copy (no mailshift
   GUID) is never looked at. */

struct mailbox;
struct mailshift_folder_state;

struct mailshift_delta_counts {
	unsigned int flags_changed;
	unsigned int expunged;
	/* changed on both sides: the new side's change was kept */
	unsigned int kept_new;
};

/* src_box and dest_box are open, dest_box with CONDSTORE enabled.
   Returns 0, or -1 with error_r. */
int mailshift_folder_delta(struct mailbox *src_box, struct mailbox *dest_box,
			   const char *guid_prefix,
			   const struct mailshift_folder_state *state,
			   struct mailshift_delta_counts *counts,
			   const char **error_r);

#endif
