#ifndef MAILSHIFT_REMOVAL_H
#define MAILSHIFT_REMOVAL_H

/* An old server that suddenly lists far fewer messages or folders than
   a pass copied from it is more likely broken (a wrong prefix, a failed
   store, a half-restored backup) than emptied by its user: a pass then
   removes nothing here, and says so.  "Far fewer": more than a few gone,
   and more than half of what was copied. */

#include <stdbool.h>

#define MAILSHIFT_REMOVAL_FEW_MESSAGES 10
#define MAILSHIFT_REMOVAL_FEW_FOLDERS 3

static inline bool
mailshift_removal_looks_broken(unsigned int gone, unsigned int copied,
			       unsigned int few)
{
	return gone > few && gone > copied / 2;
}

#endif
