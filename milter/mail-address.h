#ifndef MS_MAIL_ADDRESS_H
#define MS_MAIL_ADDRESS_H

/* mail-address - which domain a From: field speaks for.  Pure code; the
   input is hostile (any bytes a client sent). */

/* Returns the domain of the first mailbox in a From: value (as the milter
   gets it: folds may be bare LF), lower case, without a trailing dot;
   NULL when there is no address.  The caller frees the result. */
char *mail_from_domain(const char *value);

#endif
