/* dkim-canon - relaxed header and body canonicalization (RFC 6376 3.4).

   Header (3.4.2): lower-case the name, unfold, turn each run of WSP into
   one SP, delete WSP at the end of the value and around the colon.  The
   value keeps its case.

   Body (3.4.4): delete WSP at line ends, turn inner WSP runs into one SP,
   delete all empty lines at the end of the body, and end a non-empty
   body with CRLF.  Empty lines are only counted until a line with text
   arrives, which is what lets the body stream through: nothing before the
   current line is ever kept. */

#include <string.h>

#include "dkim-canon.h"

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

void milter_dkim_canon_header(struct strbuf *out, const char *name,
			      size_t name_len, const char *value,
			      size_t value_len, bool with_crlf)
{
	bool space = false, started = false;
	size_t i;

	/* The name: no WSP before the colon, lower case; CR and LF cannot
	   be part of a name (a field that has them is unfolded too). */
	while (name_len > 0 && is_wsp((unsigned char)name[name_len - 1]))
		name_len--;
	for (i = 0; i < name_len; i++) {
		char c = name[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		milter_strbuf_append_c(out, c);
	}
	milter_strbuf_append_c(out, ':');

	/* The value: CR and LF are folding (unfold = delete them); WSP runs
	   become one SP, dropped at both ends. */
	for (i = 0; i < value_len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '\r' || c == '\n')
			continue;
		if (is_wsp(c)) {
			space = started;
			continue;
		}
		if (space)
			milter_strbuf_append_c(out, ' ');
		space = false;
		started = true;
		milter_strbuf_append_c(out, (char)c);
	}
	if (with_crlf)
		milter_strbuf_append(out, "\r\n", 2);
}

bool milter_dkim_canon_header_line(struct strbuf *out, const char *field,
				   size_t len, bool with_crlf)
{
	const char *colon = memchr(field, ':', len);

	if (colon == NULL)
		return false;
	milter_dkim_canon_header(out, field, (size_t)(colon - field), colon + 1,
				 len - (size_t)(colon - field) - 1, with_crlf);
	return true;
}

void milter_dkim_body_canon_init(struct dkim_body_canon *canon,
				 dkim_canon_sink_t *sink, void *context)
{
	memset(canon, 0, sizeof(*canon));
	canon->sink = sink;
	canon->context = context;
}

static void flush_out(struct dkim_body_canon *canon)
{
	if (canon->out_len > 0)
		canon->sink(canon->context, canon->out, canon->out_len);
	canon->out_len = 0;
}

static void emit(struct dkim_body_canon *canon, const char *data, size_t len)
{
	if (canon->out_len + len > sizeof(canon->out))
		flush_out(canon);
	memcpy(canon->out + canon->out_len, data, len);
	canon->out_len += len;
}

static void end_line(struct dkim_body_canon *canon)
{
	if (canon->line_has_text)
		emit(canon, "\r\n", 2);
	else
		canon->empty_lines++;
	canon->line_has_text = false;
	canon->pending_space = false;
}

static void text_byte(struct dkim_body_canon *canon, unsigned char c)
{
	/* A line with text: the empty lines held back were not trailing. */
	for (; canon->empty_lines > 0; canon->empty_lines--)
		emit(canon, "\r\n", 2);
	if (canon->pending_space)
		emit(canon, " ", 1);
	canon->pending_space = false;
	canon->line_has_text = true;
	emit(canon, (const char *)&c, 1);
}

void milter_dkim_body_canon_update(struct dkim_body_canon *canon,
				   const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (canon->pending_cr) {
			canon->pending_cr = false;
			if (c == '\n') {
				end_line(canon);
				continue;
			}
			/* A CR not followed by LF is an ordinary byte. */
			text_byte(canon, '\r');
		}
		if (c == '\r')
			canon->pending_cr = true;
		else if (c == '\n')
			end_line(canon);	/* bare LF: a line end too */
		else if (is_wsp(c))
			canon->pending_space = true;
		else
			text_byte(canon, c);
	}
}

void milter_dkim_body_canon_final(struct dkim_body_canon *canon)
{
	if (canon->pending_cr) {
		canon->pending_cr = false;
		text_byte(canon, '\r');
	}
	if (canon->line_has_text)
		emit(canon, "\r\n", 2);
	canon->line_has_text = false;
	canon->pending_space = false;
	canon->empty_lines = 0;
	flush_out(canon);
}
