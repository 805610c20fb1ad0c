#ifndef MS_STRBUF_H
#define MS_STRBUF_H

/* strbuf - a growable, always NUL-terminated byte string.

   Allocation never fails visibly: when memory runs out the process logs and
   aborts (a half-built signature must never be sent).  A zeroed struct is a
   valid empty buffer. */

#include <stddef.h>

struct strbuf {
	char *data;	/* NULL until the first append */
	size_t len;
	size_t size;
};

void strbuf_append(struct strbuf *buf, const void *data, size_t len);
void strbuf_append_str(struct strbuf *buf, const char *str);
void strbuf_append_c(struct strbuf *buf, char c);
void strbuf_printf(struct strbuf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Empties the buffer but keeps its memory. */
void strbuf_truncate(struct strbuf *buf);
/* Returns the text, "" for an empty buffer (never NULL). */
const char *strbuf_str(const struct strbuf *buf);
void strbuf_free(struct strbuf *buf);

/* xmalloc-style helpers with the same never-fails contract. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t count, size_t size);
char *xstrdup(const char *str);
char *xstrndup(const char *str, size_t len);

#endif
