/* policyd-proto.c: what Postfix sends us (two wire formats, and the lines
   of its delivery log), parsed without any I/O so that the event loop,
   the unit tests and the libFuzzer targets all run the same code.

   socketmap (socketmap_table(5)): each query and reply is a netstring,
   "LEN:DATA," with LEN in decimal.  Postfix never sends more than 10,000
   bytes of key; we allow the configured maximum and call anything larger
   malformed, since without a trusted length we cannot find the next
   request.

   Policy delegation (SMTPD_POLICY_README): "name=value" lines ended by an
   empty line.  Limits on line length and attribute count bound what one
   client can make us hold. */

#include <stdio.h>
#include <string.h>

#include "policyd-proto.h"

/* Enough digits for any length we accept; more is malformed at once,
   before we buffer anything. */
#define NETSTRING_MAX_DIGITS 9

enum policyd_parse policyd_netstring_parse(const char *buf, size_t len,
					   size_t max_len,
					   const char **data_r,
					   size_t *data_len_r,
					   size_t *consumed_r,
					   const char **error_r)
{
	size_t pos, data_len = 0;

	for (pos = 0; pos < len && buf[pos] >= '0' && buf[pos] <= '9';
	     pos++) {
		if (pos == NETSTRING_MAX_DIGITS) {
			*error_r = "netstring length has too many digits";
			return POLICYD_PARSE_BAD;
		}
		data_len = data_len * 10 + (size_t)(buf[pos] - '0');
	}
	if (pos == len)
		return POLICYD_PARSE_MORE;
	if (pos == 0 || buf[pos] != ':') {
		*error_r = "netstring does not start with LENGTH:";
		return POLICYD_PARSE_BAD;
	}
	if (pos > 1 && buf[0] == '0') {
		*error_r = "netstring length has a leading zero";
		return POLICYD_PARSE_BAD;
	}
	if (data_len > max_len) {
		*error_r = "netstring longer than max_netstring_length";
		return POLICYD_PARSE_BAD;
	}
	pos++;
	if (len - pos < data_len + 1)
		return POLICYD_PARSE_MORE;
	if (buf[pos + data_len] != ',') {
		*error_r = "netstring does not end with ','";
		return POLICYD_PARSE_BAD;
	}
	*data_r = buf + pos;
	*data_len_r = data_len;
	*consumed_r = pos + data_len + 1;
	return POLICYD_PARSE_OK;
}

size_t policyd_netstring_format(char *dest, size_t size, const char *data,
				size_t len)
{
	char prefix[24];
	size_t plen;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%zu:", len);
	if (plen + len + 1 > size)
		return 0;
	memcpy(dest, prefix, plen);
	memcpy(dest + plen, data, len);
	dest[plen + len] = ',';
	return plen + len + 1;
}

/* A socketmap query is "NAME KEY"; NAME is the map transport_maps
   names in main.cf (policyd-route.c says what each one answers). */
static const struct {
	const char *name;
	enum policyd_map map;
} map_names[] = {
	{ "accept", POLICYD_MAP_ACCEPT },
	{ "route", POLICYD_MAP_ROUTE },
	{ "warmup", POLICYD_MAP_WARMUP },
};

enum policyd_map policyd_map_from_name(const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		if (strlen(map_names[i].name) == len &&
		    memcmp(map_names[i].name, name, len) == 0)
			return map_names[i].map;
	}
	return POLICYD_MAP_UNKNOWN;
}

/* Finds the empty line that ends a request, checking line lengths on the
   way.  Nothing is modified: with MORE the caller reads on and we scan
   again from the start. */
static enum policyd_parse request_find_end(const char *buf, size_t len,
					   size_t max_line, size_t *end_r,
					   const char **error_r)
{
	const char *line, *nl, *end = buf + len;
	size_t line_len;

	for (line = buf; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		line_len = (size_t)((nl == NULL ? end : nl) - line);
		if (line_len > max_line) {
			*error_r = "attribute line longer than "
				   "max_line_length";
			return POLICYD_PARSE_BAD;
		}
		if (nl == NULL)
			return POLICYD_PARSE_MORE;
		if (line_len == 0 || (line_len == 1 && line[0] == '\r')) {
			*end_r = (size_t)(nl + 1 - buf);
			return POLICYD_PARSE_OK;
		}
	}
	return POLICYD_PARSE_MORE;
}

enum policyd_parse policyd_request_parse(char *buf, size_t len,
					 size_t max_line,
					 struct policyd_request *req,
					 size_t *consumed_r,
					 const char **error_r)
{
	enum policyd_parse ret;
	char *line, *nl, *eq;
	size_t end;

	req->count = 0;
	ret = request_find_end(buf, len, max_line, &end, error_r);
	if (ret != POLICYD_PARSE_OK)
		return ret;
	for (line = buf;; line = nl + 1) {
		nl = memchr(line, '\n', end - (size_t)(line - buf));
		if (memchr(line, '\0', (size_t)(nl - line)) != NULL) {
			*error_r = "NUL byte in attribute line";
			return POLICYD_PARSE_BAD;
		}
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		*nl = '\0';
		if (*line == '\0')
			break;
		if ((eq = strchr(line, '=')) == NULL || eq == line) {
			*error_r = "attribute line is not name=value";
			return POLICYD_PARSE_BAD;
		}
		if (req->count == req->max) {
			*error_r = "more attributes than max_attributes";
			return POLICYD_PARSE_BAD;
		}
		*eq = '\0';
		req->attrs[req->count].name = line;
		req->attrs[req->count].value = eq + 1;
		req->count++;
	}
	*consumed_r = end;
	return POLICYD_PARSE_OK;
}

const char *policyd_request_get(const struct policyd_request *req,
				const char *name)
{
	unsigned int i;

	for (i = 0; i < req->count; i++) {
		if (strcmp(req->attrs[i].name, name) == 0)
			return req->attrs[i].value;
	}
	return NULL;
}

/* Postfix's delivery log.  Whoever can write a line to the log can make
   us book it, but nothing more: every field is copied into a fixed
   buffer or the line is ignored, and fields are read left to right
   only up to "status=", so a remote server's reply text (which follows
   it) cannot pose as a field.  A recipient may be quoted and contain
   "," or ">" ("\"a>, relay=none\"@example.com"): its end is the first
   '>' outside quotes. */

/* The end of a <...> value starting at p (just after '<'): the position
   of its closing '>', or NULL. */
static const char *angle_end(const char *p, const char *end)
{
	bool quoted = false;

	for (; p < end; p++) {
		if (quoted && *p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '>' && !quoted)
			return p;
	}
	return NULL;
}

/* Copies p[len] into dest[size]; false if it does not fit. */
static bool field_copy(char *dest, size_t size, const char *p, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dest, p, len);
	dest[len] = '\0';
	return true;
}

/* The "TAG[PID]: " prefix: sets *tag_r / *tag_len_r and returns the
   position after it, or NULL. */
static const char *maillog_tag(const char *line, const char *end,
			       const char **tag_r, size_t *tag_len_r)
{
	const char *p, *d, *start;

	for (p = line; p < end; p++) {
		if (*p != '[')
			continue;
		for (d = p + 1; d < end && *d >= '0' && *d <= '9'; d++) ;
		if (d == p + 1 || end - d < 3 || d[0] != ']' || d[1] != ':' ||
		    d[2] != ' ')
			continue;
		for (start = p; start > line && start[-1] != ' '; start--) ;
		if (start == p)
			continue;
		*tag_r = start;
		*tag_len_r = (size_t)(p - start);
		return d + 3;
	}
	return NULL;
}

bool policyd_maillog_parse(const char *line, size_t len,
			   struct policyd_maillog *entry)
{
	const char *end = line + len, *p, *tag, *q, *key, *close;
	size_t tag_len, key_len;

	memset(entry, 0, sizeof(*entry));
	while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if ((p = maillog_tag(line, end, &tag, &tag_len)) == NULL ||
	    !field_copy(entry->tag, sizeof(entry->tag), tag, tag_len))
		return false;
	/* QUEUEID: to=<recipient> */
	for (q = p; q < end && ((*q >= '0' && *q <= '9') ||
				(*q >= 'A' && *q <= 'Z') ||
				(*q >= 'a' && *q <= 'z')); q++) ;
	if (q == p || end - q < 6 || memcmp(q, ": to=<", 6) != 0 ||
	    !field_copy(entry->queue_id, sizeof(entry->queue_id), p,
			(size_t)(q - p)))
		return false;
	p = q + 6;
	if ((close = angle_end(p, end)) == NULL ||
	    !field_copy(entry->to, sizeof(entry->to), p,
			(size_t)(close - p)))
		return false;
	p = close + 1;
	/* , name=value ... , status=WORD (TEXT) */
	while (end - p >= 2 && p[0] == ',' && p[1] == ' ') {
		key = p += 2;
		while (p < end && ((*p >= 'a' && *p <= 'z') || *p == '_'))
			p++;
		key_len = (size_t)(p - key);
		if (key_len == 0 || p == end || *p++ != '=')
			return false;
		if (key_len == 6 && memcmp(key, "status", 6) == 0) {
			for (q = p; q < end && *q >= 'a' && *q <= 'z'; q++) ;
			if (q == p || !field_copy(entry->status,
						  sizeof(entry->status), p,
						  (size_t)(q - p)))
				return false;
			if (end - q >= 2 && q[0] == ' ' && q[1] == '(') {
				q += 2;
				close = end > q && end[-1] == ')' ?
					end - 1 : end;
				/* a long reply is cut, never refused */
				(void)field_copy(entry->text,
						 sizeof(entry->text), q,
						 (size_t)(close - q) <
						 sizeof(entry->text) ?
						 (size_t)(close - q) :
						 sizeof(entry->text) - 1);
			}
			return true;
		}
		if (p < end && *p == '<') {
			if ((close = angle_end(p + 1, end)) == NULL)
				return false;
			p = close + 1;
			continue;
		}
		for (q = p; q < end && !(q[0] == ',' && q + 1 < end &&
					 q[1] == ' '); q++) ;
		if (key_len == 5 && memcmp(key, "relay", 5) == 0 &&
		    !field_copy(entry->relay, sizeof(entry->relay), p,
				(size_t)(q - p)))
			return false;
		if (key_len == 3 && memcmp(key, "dsn", 3) == 0 &&
		    !field_copy(entry->dsn, sizeof(entry->dsn), p,
				(size_t)(q - p)))
			return false;
		p = q;
	}
	return false;
}

bool policyd_maillog_tag_has(const struct policyd_maillog *entry,
			     const char *name)
{
	const char *p = strchr(entry->tag, '/');
	size_t len = strlen(name);

	while (p != NULL && len > 0) {
		p++;
		if (strncmp(p, name, len) == 0 &&
		    (p[len] == '/' || p[len] == '\0'))
			return true;
		p = strchr(p, '/');
	}
	return false;
}
