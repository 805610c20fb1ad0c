#ifndef MAILSHIFT_POP3_UIDL_H
#define MAILSHIFT_POP3_UIDL_H

/* POP3 clients that leave mail on the server know each message by the
   UIDL the old server gave it; a new one makes them download everything
   again.  A copy is given the old UIDL as it is saved, whatever UID it
   gets here; Dovecot's POP3 server answers a UIDL saved with a message
   before its own pop3_uidl_format.  The old UIDLs come from one of:

   - mailshift_source_pop3_uidl_format, for servers whose UIDLs derive
     from the IMAP UIDVALIDITY and UID of INBOX's messages (Cyrus:
     "%v.%u"; Dovecot: its pop3_uidl_format).  Dovecot's %-variables: %v
     the old UIDVALIDITY, %u the old UID (with modifiers, e.g. %08Xu).
   - mailshift_source_pop3_port, for servers whose POP3 server numbers
     messages on its own (Courier: "UID<n>-<t>" from its
     courierpop3dsizelist, unrelated to the IMAP UIDs): the old POP3
     server is asked, and Dovecot's pop3_migration plugin, loaded into
     the source user only, matches its messages to the IMAP ones by
     size and headers. */

#include <stdbool.h>
#include <stdint.h>

struct mail;
struct mailbox_transaction_context;
struct mail_user_settings;
struct setting_parser_context;
struct mailshift_settings;

/* Returns 0, or -1 with error_r if the settings cannot give UIDLs
   (format cannot be expanded, or both ways are set). */
int mailshift_pop3_uidl_check(const struct mailshift_settings *set,
			      const char **error_r);
/* The UIDL (data stack) of the old message uid in a folder of
   uidvalidity, by format. */
const char *mailshift_pop3_uidl(const char *format, uint32_t uidvalidity,
				uint32_t uid);

/* With mailshift_source_pop3_port set: the source user's settings
   (parser, user_set: its own) that make its INBOX mails answer the old
   POP3 server's UIDLs -- the pop3_migration plugin and a hidden pop3c
   namespace reaching the old server as the IMAP login does.  Returns 0,
   or -1 with error_r. */
int mailshift_pop3_uidl_source_settings(struct setting_parser_context *parser,
					const struct mail_user_settings *user_set,
					const struct mailshift_settings *set,
					const char *password,
					const char **error_r);
/* The UIDL to save with the copy of mail, an INBOX message of the old
   server's folder of uidvalidity: *uidl_r is NULL when none is kept (no
   setting, or the old POP3 server does not list the message).  Returns
   0, or -1 if the old server could not say (the error is mail's
   mailbox's). */
/* Before INBOX's messages are fetched in t: with
   mailshift_source_pop3_port, the old POP3 server's UIDLs matched to
   them.  Returns 0, or -1 as mailshift_pop3_uidl_get(). */
int mailshift_pop3_uidl_prepare(const struct mailshift_settings *set,
				struct mailbox_transaction_context *t);
int mailshift_pop3_uidl_get(const struct mailshift_settings *set,
			    struct mail *mail, uint32_t uidvalidity,
			    const char **uidl_r);

#endif
