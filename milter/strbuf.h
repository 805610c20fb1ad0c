#ifndef MS_STRBUF_H
#define MS_STRBUF_H

/* strbuf - a growable, always NUL-terminated byte string.

   Allocation never fails visibly (ms-alloc: when memory runs out the
   process logs and aborts, so a half-built signature is never sent).  A
   zeroed struct is a valid empty buffer. */

#include <stddef.h>

struct strbuf {
	char *data;	/* NULL until the first append */
	size_t len;
	size_t size;
};

void milter_strbuf_append(struct strbuf *buf, const void *data, size_t len);
void milter_strbuf_append_str(struct strbuf *buf, const char *str);
void milter_strbuf_append_c(struct strbuf *buf, char c);
void milter_strbuf_printf(struct strbuf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Empties the buffer but keeps its memory. */
void milter_strbuf_truncate(struct strbuf *buf);
/* Returns the text, "" for an empty buffer (never NULL). */
const char *milter_strbuf_str(const struct strbuf *buf);
void milter_strbuf_free(struct strbuf *buf);

#endif
