#ifndef MAILSHIFT_SOURCE_H
#define MAILSHIFT_SOURCE_H

/* The old IMAP server, seen through Dovecot's own imapc storage as a second
   mail_user that shares the destination user's namespace layout.  imapc
   gives us pipelined FETCH (mail_prefetch_count), reconnects,
   NO [THROTTLED] backoff and modified UTF-7 / separator translation, all
   measured and maintained upstream. */

#include "seq-range-array.h"
#include "mailshift-settings.h"

struct mail_user;
struct mailbox;
struct mail;
struct mail_search_context;
struct mail_storage_service_ctx;
struct mail_storage_service_user;

/* Why the old server could not be used.  Each maps to a sysexits code and
   to a reason an admin can act on. */
enum mailshift_source_error {
	MAILSHIFT_SOURCE_OK = 0,
	/* connection refused, timeout, dropped: retry later */
	MAILSHIFT_SOURCE_ERR_UNREACHABLE,
	/* the old server refused the credentials */
	MAILSHIFT_SOURCE_ERR_AUTH,
	/* certificate not trusted, bad settings */
	MAILSHIFT_SOURCE_ERR_CONFIG,
	/* anything else */
	MAILSHIFT_SOURCE_ERR_TEMP,
};

/* Log in to the old server as the destination user's counterpart.
   password is the old server's password for the configured identity.
   Returns 0 and the source user (deinit with mail_user_deinit()), or -1
   with error_r (never containing the password) and its class. */
int mailshift_source_open(struct mail_storage_service_ctx *storage_service,
			  struct mail_storage_service_user *service_user,
			  const struct mailshift_settings *set,
			  const char *password,
			  struct mail_user **source_user_r,
			  enum mailshift_source_error *class_r,
			  const char **error_r);

/* Call callback(context) as soon as the old server has accepted our login,
   from within imapc's handling of that answer, so that commands sent there
   leave together with imapc's own first command; callback NULL stops it.
   mailshift_source_logged_in(): the login is done and its capabilities
   are known. */
void mailshift_source_on_login(struct mail_user *source_user,
			       void (*callback)(void *context), void *context);
bool mailshift_source_logged_in(struct mail_user *source_user);
/* Where imapc logged in before the pass could watch it (while the source
   user was created), ask the old server for its capabilities: one round
   trip, after which mailshift_source_has_capability() knows them. */
void mailshift_source_learn_capabilities(struct mail_user *source_user);

/* Whether the old server announced capability (e.g. "LIST-STATUS") when
   it accepted our login.  FALSE before the login, and for servers that do
   not list their capabilities in the login's OK. */
bool mailshift_source_has_capability(struct mail_user *source_user,
				     const char *capability);

/* Start connecting to the old server without waiting for it: the
   connection and the old server's greeting (on most servers a process
   started per connection) are then on their way while the pass does its
   own first work (state store, stamps, reading its folders' states),
   instead of after it.  The login and the first command go out when imapc
   next runs, and a refused login or a failed handshake is reported there
   as usual.  A no-op with imaps (mailshift-source.c says why), when the
   source is not imapc, is already connected, or has nothing queued yet. */
void mailshift_source_connect_ahead(struct mail_user *source_user);

/* Have count connections to the old server, the missing ones connecting
   now (with imaps, when imapc next runs): imapc adds a connection only
   when a folder opens while each it has holds another, and then the
   folder's EXAMINE waits for the connection, the greeting and the login,
   one round trip after another.  Opened ahead, a pass's second folder
   opens on a connection that logged in while the first one opened. */
void mailshift_source_connect_more(struct mail_user *source_user,
				   unsigned int count);

/* Say LOGOUT to the old server and close the connection without waiting
   for its BYE: the pass is over and nothing it could answer changes
   anything, so the round trip imapc would wait at deinit is saved.  Call
   before mail_user_deinit() of the source user. */
void mailshift_source_hang_up(struct mail_user *source_user);

/* imapc reports why a connection failed only in its log ("connect(..)
   failed: Connection refused", "SSL certificate not trusted"); callers
   then get "Internal error occurred".  While capturing, the last error
   logged is remembered so that the pass can say what really went wrong. */
/* Whether the old server's personal namespace, as its NAMESPACE answer
   gives it, is the one mailshift_source_prefix names: 1 yes (or the
   server has no NAMESPACE), 0 no with *server_prefix_r the server's, -1
   with the error in source_user's storage.  A prefix the server does not
   have lists no folder but INBOX, and the pass would end as if there
   were none. */
int mailshift_source_check_prefix(struct mail_user *source_user,
				  const struct mailshift_settings *set,
				  const char **server_prefix_r);

void mailshift_source_capture_errors(bool enable);
/* Replace Dovecot's generic "Internal error occurred" text with the last
   error logged while capturing, if any; an error no retry fixes gets the
   setting that does appended ("... (to fix: ...)"). */
const char *mailshift_source_explain_error(const char *error);

/* How long the old server asked to be left alone in error ("Suggested
   Backoff Time: N milliseconds", Exchange's throttling), in seconds, at
   most MAILSHIFT_SOURCE_MAX_ASKED_WAIT_SECS; 0 if it did not ask. */
#define MAILSHIFT_SOURCE_MAX_ASKED_WAIT_SECS 300
unsigned int mailshift_source_asked_wait_secs(const char *error);

/* Classify an error text coming from imapc (login or later failures). */
enum mailshift_source_error
mailshift_source_classify_error(const char *error);

/* The old folder vname of source_user, allocated read-only for copying
   from.  On imapc its mails start with a data pool of 1 kB, not
   imapc's 16 kB (zeroed whole as each mail is allocated):
   what a mail of an old message keeps there (flags, keywords, dates)
   takes little, and in a prefetch window of small messages imapc's pools
   cost more memory than the bodies do, so the same memory holds a
   deeper window. */
struct mailbox *mailshift_source_mailbox_alloc(struct mail_user *source_user,
					       const char *vname);

/* Send the FETCHes imapc has queued for prefetched messages of box now,
   if at least min_pending are queued.  imapc sends them only when the
   next message's data is needed, so the old server would serve one
   window of mail_prefetch_count messages, then idle while the window is
   saved here, then wait for the next request; sent early, the next
   window streams while this one is saved.  A no-op for a box that is not
   imapc. */
void mailshift_source_fetch_ahead(struct mailbox *box,
				  unsigned int min_pending);

/* Ask the old server now for the first messages search is to return,
   up to count of those in uids (the UIDs it searches), as count / batch
   FETCHes of batch messages.  imapc asks only as the search goes, its
   whole window at once with the first message, and hands that message on
   only once all of the window arrived: asked ahead, the messages flow
   while the pass waits for other folders, and the first is read after
   the first batch.  The search must not have returned any message yet.
   Returns the sequence of the first message asked for, 0 if none (or
   search is not on imapc). */
uint32_t mailshift_source_search_ask_ahead(struct mail_search_context *search,
					   const ARRAY_TYPE(seq_range) *uids,
					   unsigned int count,
					   unsigned int batch);

/* Whether everything imapc was asked for mail has arrived, so that
   reading it waits for nothing (TRUE for a mail not on imapc). */
bool mailshift_source_mail_arrived(struct mail *mail);
/* Whether everything the copy reads of mail is here, so that reading it
   asks nothing of the old server, not even for what a reply left out:
   flags, INTERNALDATE, and its body if with_body.  FALSE for a mail not
   on imapc. */
bool mailshift_source_mail_here(struct mail *mail, bool with_body);
/* The mail search returns next if it was asked for already, else NULL. */
struct mail *
mailshift_source_search_prefetched(struct mail_search_context *search);
/* The mail search returns next, NULL if it has yet to ask for it. */
struct mail *mailshift_source_search_next_mail(struct mail_search_context *search);

/* Whether the ioloop running now is one imapc runs while it waits for
   the old server's replies (not one the new server's storage runs while
   it waits for a lock, say). */
bool mailshift_source_waiting_now(struct mail_user *source_user);

/* sysexits code for a class */
int mailshift_source_error_exit_code(enum mailshift_source_error class);

#endif
