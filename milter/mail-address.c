/* mail-address - the signing domain of a From: field (RFC 5322 3.4). */

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "mail-address.h"
#include "strbuf.h"

/* The domain of the first mailbox in a From: value, lower case, or NULL.
   Quoted strings and comments are skipped, so neither a display name
   such as "a@b" <real@example.test> nor a comment with '@' can pick the
   domain.  The mailbox is the first <...>, else the first '@' outside
   quotes and comments before a ','. */
char *mail_from_domain(const char *value)
{
	const char *p, *r, *at = NULL, *end;
	bool quoted = false;
	int comment = 0;
	char *domain, *q;

	for (p = value; *p != '\0' && *p != ','; p++) {
		if (*p == '\\' && (quoted || comment > 0) && p[1] != '\0')
			p++;
		else if (quoted)
			quoted = *p != '"';
		else if (comment > 0)
			comment += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		else if (*p == '"')
			quoted = true;
		else if (*p == '(')
			comment = 1;
		else if (*p == '@' && at == NULL)
			at = p + 1;
		else if (*p == '<') {
			/* An angle address wins over a bare '@' before it. */
			end = p + 1 + strcspn(p + 1, ">");
			at = NULL;
			for (r = p + 1; r < end; r++) {
				if (*r == '@')
					at = r + 1;
			}
			break;
		}
	}
	if (at == NULL)
		return NULL;
	end = at + strcspn(at, "> \t\r\n,;()\"");
	while (end > at && end[-1] == '.')
		end--;
	if (end == at)
		return NULL;
	domain = xstrndup(at, (size_t)(end - at));
	for (q = domain; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	return domain;
}
