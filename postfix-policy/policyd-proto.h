#ifndef POLICYD_PROTO_H
#define POLICYD_PROTO_H

/* What Postfix sends us and what we answer: socketmap netstrings, policy
   delegation requests, the lines of Postfix's delivery log, and the words
   of our answers.  No I/O and no state, so the event loop, the unit tests
   and the fuzz targets all run the same parsers. */

#include <stdbool.h>
#include <stddef.h>

/* Parsers return POLICYD_PARSE_*. */
enum policyd_parse {
	POLICYD_PARSE_MORE,	/* incomplete: read more */
	POLICYD_PARSE_OK,
	POLICYD_PARSE_BAD	/* malformed or over a limit: *error_r says */
};

/* Decodes one netstring "LEN:DATA," from buf[len].  On OK, *data_r and
   *data_len_r point into buf and *consumed_r is the netstring's size.
   More than max_len bytes of data is BAD. */
enum policyd_parse policyd_netstring_parse(const char *buf, size_t len,
					   size_t max_len,
					   const char **data_r,
					   size_t *data_len_r,
					   size_t *consumed_r,
					   const char **error_r);
/* Writes data as a netstring to dest[size].  Returns its length, or 0 if
   it does not fit. */
size_t policyd_netstring_format(char *dest, size_t size, const char *data,
				size_t len);

/* The maps of a socketmap query "NAME KEY"; POLICYD_MAP_UNKNOWN for any
   other name. */
enum policyd_map { POLICYD_MAP_ACCEPT, POLICYD_MAP_ROUTE,
		   POLICYD_MAP_WARMUP, POLICYD_MAP_UNKNOWN };
enum policyd_map policyd_map_from_name(const char *name, size_t len);

/* The words of our answers, each spelled here only.  socketmap: "OK
   VALUE", "NOTFOUND " (with the space socketmap_table(5) shows), "TEMP
   REASON" (Postfix defers).  Policy delegation: "action=...", to which
   the server adds the empty line. */
#define POLICYD_REPLY_OK "OK "
#define POLICYD_REPLY_NOTFOUND "NOTFOUND "
#define POLICYD_REPLY_TEMP "TEMP "
#define POLICYD_REPLY_TEMP_STORE POLICYD_REPLY_TEMP "state store unavailable"
#define POLICYD_ACTION_DUNNO "action=DUNNO"
#define POLICYD_ACTION_MALFORMED "action=DEFER_IF_PERMIT 4.3.5 " \
	"mailshift: malformed policy request"
#define POLICYD_ACTION_STORE_DOWN "action=DEFER_IF_PERMIT 4.3.0 " \
	"mailshift: state store unavailable, try again later"

/* One policy delegation request: names and values point into the
   caller's buffer, which the parser NUL-terminates in place. */
struct policyd_attr {
	const char *name, *value;
};
struct policyd_request {
	struct policyd_attr *attrs;
	unsigned int count, max;
};
/* Parses name=value lines up to the empty line from buf[len] (modified
   in place).  A line over max_line bytes, more than req->max attributes,
   a line without '=' or a NUL byte is BAD. */
enum policyd_parse policyd_request_parse(char *buf, size_t len,
					 size_t max_line,
					 struct policyd_request *req,
					 size_t *consumed_r,
					 const char **error_r);
/* The value of the first attribute called name, or NULL. */
const char *policyd_request_get(const struct policyd_request *req,
				const char *name);

/* One delivery line of Postfix's log ("maillog_file" or syslog):
   "... TAG[PID]: QUEUEID: to=<RCPT>, ..., relay=R, ..., dsn=D,
   status=WORD (TEXT)". */
struct policyd_maillog {
	char tag[128];		/* "postfix/mailshift_fwd/smtp" */
	char queue_id[32];
	char to[512];		/* the recipient as logged, without <> */
	char relay[256];	/* "none" or "host[address]:port" */
	char dsn[16];
	char status[16];	/* sent, deferred, bounced, expired... */
	char text[512];		/* in the parentheses; cut if longer */
};
/* Parses line[len] into *entry.  False for any other line, and for one
   whose tag, queue ID, recipient, relay or dsn is longer than its
   buffer. */
bool policyd_maillog_parse(const char *line, size_t len,
			   struct policyd_maillog *entry);
/* Is name a component of the tag after the first ("postfix/
   mailshift_fwd/smtp" has "mailshift_fwd" and "smtp")? */
bool policyd_maillog_tag_has(const struct policyd_maillog *entry,
			     const char *name);

#endif
