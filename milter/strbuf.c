/* strbuf - growable strings for the milter. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/ms-alloc.h"
#include "../shared/ms-log.h"
#include "strbuf.h"

static void strbuf_reserve(struct strbuf *buf, size_t extra)
{
	size_t need = buf->len + extra + 1;
	size_t size;

	if (need < buf->len)
		ms_panic("string of %zu bytes cannot grow by %zu", buf->len,
			 extra);
	if (need <= buf->size)
		return;
	size = buf->size == 0 ? 64 : buf->size;
	while (size < need && size <= (size_t)-1 / 2)
		size *= 2;
	buf->data = ms_xrealloc(buf->data, size < need ? need : size, 1);
	buf->size = size < need ? need : size;
}

void milter_strbuf_append(struct strbuf *buf, const void *data, size_t len)
{
	strbuf_reserve(buf, len);
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void milter_strbuf_append_str(struct strbuf *buf, const char *str)
{
	milter_strbuf_append(buf, str, strlen(str));
}

void milter_strbuf_append_c(struct strbuf *buf, char c)
{
	milter_strbuf_append(buf, &c, 1);
}

void milter_strbuf_printf(struct strbuf *buf, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	if (n < 0)
		return;
	strbuf_reserve(buf, (size_t)n);
	va_start(args, fmt);
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, args);
	va_end(args);
	buf->len += (size_t)n;
}

void milter_strbuf_truncate(struct strbuf *buf)
{
	buf->len = 0;
	if (buf->data != NULL)
		buf->data[0] = '\0';
}

const char *milter_strbuf_str(const struct strbuf *buf)
{
	return buf->data == NULL ? "" : buf->data;
}

void milter_strbuf_free(struct strbuf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->size = 0;
}
