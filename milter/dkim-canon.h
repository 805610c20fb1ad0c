#ifndef MS_DKIM_CANON_H
#define MS_DKIM_CANON_H

/* dkim-canon - DKIM "relaxed" canonicalization (RFC 6376 3.4.2, 3.4.4).

   Pure code: no I/O, no global state, no allocation except into the
   caller's strbuf; the body canonicalizer streams, so a message body is
   never held in memory.  Input may use CRLF or bare LF line ends (the
   milter protocol joins folded header lines with bare LF). */

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* Appends the relaxed form of one header field to out: lower-cased name,
   ':', the value unfolded with every whitespace run turned into one SP and
   no whitespace at either end.  A CRLF follows when with_crlf is true
   (every signed header except the DKIM-Signature being computed). */
void milter_dkim_canon_header(struct strbuf *out, const char *name,
			      size_t name_len, const char *value,
			      size_t value_len, bool with_crlf);

/* The same for a whole "Name: value" field as it appears in a message;
   returns false (and appends nothing) when there is no colon. */
bool milter_dkim_canon_header_line(struct strbuf *out, const char *field,
				   size_t len, bool with_crlf);

/* Receives canonical body bytes, in order, in pieces of any size. */
typedef void dkim_canon_sink_t(void *context, const void *data, size_t len);

struct dkim_body_canon {
	dkim_canon_sink_t *sink;
	void *context;
	size_t empty_lines;	/* held back; dropped if the body ends */
	bool pending_space;	/* a WSP run not (yet) at a line end */
	bool line_has_text;	/* current line has non-WSP bytes */
	bool pending_cr;	/* last byte was CR; LF may follow */
	size_t out_len;
	unsigned char out[4096];
};

void milter_dkim_body_canon_init(struct dkim_body_canon *canon,
				 dkim_canon_sink_t *sink, void *context);
/* Feeds body bytes; output reaches the sink in order. */
void milter_dkim_body_canon_update(struct dkim_body_canon *canon,
				   const void *data, size_t len);
/* Ends the body: trailing empty lines are dropped, a last line without
   a line end gets CRLF; an empty body yields nothing (RFC 6376 3.4.4). */
void milter_dkim_body_canon_final(struct dkim_body_canon *canon);

#endif
