/* policyd-recipient.c: a recipient address as Postfix hands it to us (a
   socketmap key, a policy request's recipient, a queue or log entry),
   turned into the user the state store knows, the same way for every
   caller: lower case, the extension cut off, the domain checked against
   local_domains.  One spelling of the rule, so the routing answer, the
   queue walk and the log scan can never disagree on who a recipient is. */

#include <stdio.h>
#include <string.h>

#include "policyd-recipient.h"

bool policyd_recipient_parse(const struct policyd_config *cfg,
			     const char *key, size_t len,
			     struct policyd_recipient *rcpt)
{
	const char *at, *delim;
	size_t i, local_len;

	memset(rcpt, 0, sizeof(*rcpt));
	/* <> and the "*" wildcard are no recipients; nor is anything that
	   could not be one of our users' addresses. */
	if (len == 0 || len >= sizeof(rcpt->address) ||
	    memchr(key, '\0', len) != NULL)
		return false;
	for (i = 0; i < len; i++) {
		char c = key[i];

		rcpt->address[i] = c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
	}
	at = strrchr(rcpt->address, '@');
	if (at == NULL || at == rcpt->address || at[1] == '\0')
		return false;
	local_len = (size_t)(at - rcpt->address);
	/* Postfix looks up pattern tables with the full address only, so we
	   strip the extension (alice+lists@ is alice@) ourselves. */
	for (i = 0; cfg->recipient_delimiter[i] != '\0'; i++) {
		delim = memchr(rcpt->address, cfg->recipient_delimiter[i],
			       local_len);
		if (delim != NULL && delim > rcpt->address) {
			memmove((char *)delim, at, strlen(at) + 1);
			local_len = (size_t)(delim - rcpt->address);
			at = delim;
		}
	}
	rcpt->domain = at + 1;
	for (i = 0; i < cfg->local_domain_count; i++) {
		if (strcmp(cfg->local_domains[i], rcpt->domain) == 0)
			rcpt->local = true;
	}
	if (cfg->user_key == POLICYD_KEY_ADDRESS)
		snprintf(rcpt->user, sizeof(rcpt->user), "%s", rcpt->address);
	else
		snprintf(rcpt->user, sizeof(rcpt->user), "%.*s",
			 (int)local_len, rcpt->address);
	return true;
}
