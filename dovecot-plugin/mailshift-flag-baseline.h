#ifndef MAILSHIFT_FLAG_BASELINE_H
#define MAILSHIFT_FLAG_BASELINE_H

/* An old server without CONDSTORE (Courier, older Exchange, many hosted
   servers) gives no MODSEQ that says a message's flags changed there.  So
   each copy keeps the old message's flags and keywords as the last pass
   saw them, in a record extension of the new folder's index
   ("mailshift-oldflags"): old flags that differ from that record changed
   on the old server since; the copy's own MODSEQ says whether the user
   changed it here (mailshift-folder-delta.h decides between the two).
   Keywords are kept as a hash of their names: a record says "the same"
   or "not the same", which is all a pass needs. */

#include <stdbool.h>

struct mail;

struct mailshift_flag_baseline {
	/* system flags (MAIL_RECENT never) */
	uint8_t flags;
	/* non-zero: the record was written (a zeroed record is "none") */
	uint8_t set;
	uint16_t unused;
	uint32_t keywords_hash;
};

/* The baseline of the old message src_mail has now. */
void mailshift_flag_baseline_of(struct mail *src_mail,
				struct mailshift_flag_baseline *baseline_r);
/* The record the copy dest_mail keeps, from dest_mail's transaction (so
   a record set earlier in it is seen).  Returns FALSE if it has none. */
bool mailshift_flag_baseline_get(struct mail *dest_mail,
				 struct mailshift_flag_baseline *baseline_r);
/* Keep baseline with the copy, when dest_mail's transaction commits. */
void mailshift_flag_baseline_set(struct mail *dest_mail,
				 const struct mailshift_flag_baseline *baseline);
bool mailshift_flag_baseline_equal(const struct mailshift_flag_baseline *a,
				   const struct mailshift_flag_baseline *b);

#endif
