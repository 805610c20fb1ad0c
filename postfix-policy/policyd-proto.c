/* policyd-proto.c: the two wire formats Postfix speaks to us, parsed
   without any I/O so that the event loop, the unit tests and the libFuzzer
   targets all run the same code.

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

#include "policyd.h"

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
