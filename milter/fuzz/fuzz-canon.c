/* fuzz-canon: libFuzzer target for dkim-canon (relaxed header and body
   canonicalization).

   Input: the first byte picks the chunk size the body is fed in; the
   rest is "header field" LF LF "body".  Checked on every input, beyond
   "no crash, no sanitizer report":
   - feeding the body in chunks gives the same bytes as in one piece;
   - the canonical body is empty or ends in CRLF, has no bare LF, no WSP
     before a CRLF, no WSP run longer than one, and no empty line last;
   - the canonical header has a lower-case name, no CR/LF inside and no
     WSP at the ends of its value. */

#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim-canon.h"

static void sink(void *context, const void *data, size_t len)
{
	milter_strbuf_append(context, data, len);
}

static void canon_body(const uint8_t *data, size_t len, size_t chunk,
		       struct strbuf *out)
{
	struct dkim_body_canon canon;
	size_t pos, n;

	milter_dkim_body_canon_init(&canon, sink, out);
	for (pos = 0; pos < len; pos += n) {
		n = len - pos < chunk ? len - pos : chunk;
		milter_dkim_body_canon_update(&canon, data + pos, n);
	}
	milter_dkim_body_canon_final(&canon);
}

static void check_body(const struct strbuf *b)
{
	size_t i;

	if (b->len == 0)
		return;
	if (b->len < 2 || memcmp(b->data + b->len - 2, "\r\n", 2) != 0)
		abort();
	if (b->len >= 4 && memcmp(b->data + b->len - 4, "\r\n\r\n", 4) == 0)
		abort();	/* a trailing empty line survived */
	if (b->len == 2)
		abort();	/* a body of only an empty line */
	for (i = 0; i < b->len; i++) {
		char c = b->data[i];

		if (c == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			abort();
		/* (A lone CR is text: " \rx" is fine, " \r\n" is not.) */
		if (c == ' ' && i + 2 < b->len && b->data[i + 1] == '\r' &&
		    b->data[i + 2] == '\n')
			abort();
		if (c == ' ' && i + 1 < b->len && b->data[i + 1] == ' ')
			abort();
		if (c == '\t')
			abort();	/* every WSP run became one SP */
	}
}

static void check_header(const struct strbuf *h)
{
	const char *colon = memchr(h->data, ':', h->len);
	size_t i;

	if (colon == NULL)
		abort();
	for (i = 0; i < (size_t)(colon - h->data); i++) {
		if (h->data[i] >= 'A' && h->data[i] <= 'Z')
			abort();
	}
	for (i = 0; i < h->len; i++) {
		if (h->data[i] == '\r' || h->data[i] == '\n')
			abort();
	}
	if (h->len > (size_t)(colon - h->data) + 1) {
		char first = colon[1], last = h->data[h->len - 1];

		if (first == ' ' || last == ' ' || first == '\t' ||
		    last == '\t')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf whole = { 0 }, chunked = { 0 }, header = { 0 };
	const uint8_t *split, *body;
	size_t chunk, head_len, body_len;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	split = memmem(data, size, "\n\n", 2);
	head_len = split == NULL ? size : (size_t)(split - data);
	body = split == NULL ? data + size : split + 2;
	body_len = (size_t)(data + size - body);

	if (milter_dkim_canon_header_line(&header, (const char *)data,
					  head_len, false))
		check_header(&header);

	canon_body(body, body_len, body_len == 0 ? 1 : body_len, &whole);
	canon_body(body, body_len, chunk, &chunked);
	if (whole.len != chunked.len ||
	    (whole.len > 0 && memcmp(whole.data, chunked.data, whole.len) != 0))
		abort();
	check_body(&whole);

	milter_strbuf_free(&whole);
	milter_strbuf_free(&chunked);
	milter_strbuf_free(&header);
	return 0;
}
