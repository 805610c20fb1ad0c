#ifndef MAILSHIFT_POP3_UIDL_H
#define MAILSHIFT_POP3_UIDL_H

/* POP3 clients that leave mail on the server know each message by the
   UIDL the old server gave it; a new one makes them download everything
   again.  Most servers derive their UIDLs from the IMAP UIDVALIDITY and
   UID of INBOX's messages (Cyrus: "%v.%u"), so a copy can be given the
   old UIDL as it is saved, whatever UID it gets here; Dovecot's POP3
   server answers a UIDL saved with a message before its own
   pop3_uidl_format.  format takes Dovecot's %-variables: %v the old
   UIDVALIDITY, %u the old UID (with modifiers, e.g. %08Xu). */

#include <stdbool.h>
#include <stdint.h>

/* Returns 0, or -1 with error_r if format cannot be expanded. */
int mailshift_pop3_uidl_check(const char *format, const char **error_r);
/* The UIDL (data stack) of the old message uid in a folder of
   uidvalidity. */
const char *mailshift_pop3_uidl(const char *format, uint32_t uidvalidity,
				uint32_t uid);

#endif
