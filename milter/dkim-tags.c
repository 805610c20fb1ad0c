/* dkim-tags - DKIM tag-list reader (RFC 6376 3.2).

   tag-list = tag-spec *( ";" tag-spec ) [ ";" ], tag-spec = [FWS] tag-name
   [FWS] "=" [FWS] tag-value [FWS].  The whole list is checked on every
   call, so a caller never acts on a signature whose syntax is broken past
   the tag it asked for.  Empty specs (";;") are tolerated, as dkimpy and
   OpenDKIM do. */

#include <string.h>

#include "dkim-tags.h"

static int is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_tag_char(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '_');
}

static void trim(const char **start, const char **end)
{
	while (*start < *end && is_fws(**start))
		(*start)++;
	while (*end > *start && is_fws((*end)[-1]))
		(*end)--;
}

int milter_dkim_tags_find(const char *text, size_t len, const char *tag,
			  const char **value_r, size_t *value_len_r)
{
	const char *p = text, *end = text + len;
	size_t tag_len = strlen(tag);
	int found = 0;

	while (p < end) {
		const char *spec_end = memchr(p, ';', (size_t)(end - p));
		const char *name, *name_end, *eq, *value, *value_end, *q;

		if (spec_end == NULL)
			spec_end = end;
		name = p;
		value_end = spec_end;
		p = spec_end < end ? spec_end + 1 : end;

		trim(&name, &value_end);
		if (name == value_end)
			continue;	/* "a=1;" or "a=1;;b=2": tolerated */
		eq = memchr(name, '=', (size_t)(value_end - name));
		if (eq == NULL)
			return -1;
		name_end = eq;
		value = eq + 1;
		trim(&name, &name_end);
		trim(&value, &value_end);
		if (name == name_end)
			return -1;
		for (q = name; q < name_end; q++) {
			if (!is_tag_char(*q, q == name))
				return -1;
		}
		if ((size_t)(name_end - name) == tag_len &&
		    memcmp(name, tag, tag_len) == 0) {
			if (found)
				return -1;
			found = 1;
			*value_r = value;
			*value_len_r = (size_t)(value_end - value);
		}
	}
	return found;
}
