#ifndef MS_MAIL_ADDRESS_H
#define MS_MAIL_ADDRESS_H

/* mail-address - which domain a From: field speaks for.  Pure code; the
   input is hostile (any bytes a client sent). */

/* Reads a From: value (as the milter gets it: folds may be bare LF) as an
   RFC 5322 address list: display names, quoted strings, comments, angle
   addresses, obsolete routes and groups.  Returns 0 with *domain_r set
   (lower case, without a trailing dot; the caller frees it) when the
   field names at least one mailbox and every mailbox is of that one
   domain.  Returns -1 with *error_r set (static text for a log line) when
   it cannot be attributed to one domain: an unterminated quoted string,
   comment, domain literal or angle address, a mailbox without @domain,
   text after an address, mailboxes of different domains, no mailbox at
   all.  A signer must not guess there: a receiver may read it otherwise. */
int milter_mail_from_domain(const char *value, char **domain_r,
			    const char **error_r);

#endif
