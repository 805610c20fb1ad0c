#ifndef MS_DKIM_TAGS_H
#define MS_DKIM_TAGS_H

/* dkim-tags - read a DKIM tag=value list (RFC 6376 3.2), as found in a
   DKIM-Signature header or a key's TXT record.  Pure code, no allocation:
   results point into the caller's text. */

#include <stddef.h>

/* Finds tag (e.g. "d") in the list text[0..len).  Returns 1 and sets
   *value_r and *value_len_r (folding whitespace at both ends removed) when it
   is there, 0 when the list is well-formed and lacks it, -1 when the list
   is malformed (a tag without '=', an empty or invalid tag name, or the
   tag given twice). */
int milter_dkim_tags_find(const char *text, size_t len, const char *tag,
			  const char **value_r, size_t *value_len_r);

#endif
