/* strbuf - growable strings and never-failing allocation for the milter. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void __attribute__((noreturn)) out_of_memory(size_t size)
{
	/* Nothing sensible can continue: libmilter's default action
	   (milter_default_action = tempfail) keeps the mail queued. */
	fprintf(stderr, "mailshift-milter: fatal: out of memory "
		"allocating %zu bytes\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size == 0 ? 1 : size);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);

	if (p == NULL)
		out_of_memory(count * size);
	return p;
}

void *xrealloc(void *ptr, size_t count, size_t size)
{
	void *p;

	if (size != 0 && count > (size_t)-1 / size)
		out_of_memory((size_t)-1);
	p = realloc(ptr, count * size == 0 ? 1 : count * size);
	if (p == NULL)
		out_of_memory(count * size);
	return p;
}

char *xstrndup(const char *str, size_t len)
{
	char *p = xmalloc(len + 1);

	memcpy(p, str, len);
	p[len] = '\0';
	return p;
}

char *xstrdup(const char *str)
{
	return xstrndup(str, strlen(str));
}

static void strbuf_reserve(struct strbuf *buf, size_t extra)
{
	size_t need = buf->len + extra + 1;
	size_t size;
	char *p;

	if (need < buf->len)
		out_of_memory((size_t)-1);
	if (need <= buf->size)
		return;
	size = buf->size == 0 ? 64 : buf->size;
	while (size < need)
		size *= 2;
	p = realloc(buf->data, size);
	if (p == NULL)
		out_of_memory(size);
	buf->data = p;
	buf->size = size;
}

void strbuf_append(struct strbuf *buf, const void *data, size_t len)
{
	strbuf_reserve(buf, len);
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void strbuf_append_str(struct strbuf *buf, const char *str)
{
	strbuf_append(buf, str, strlen(str));
}

void strbuf_append_c(struct strbuf *buf, char c)
{
	strbuf_append(buf, &c, 1);
}

void strbuf_printf(struct strbuf *buf, const char *fmt, ...)
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

void strbuf_truncate(struct strbuf *buf)
{
	buf->len = 0;
	if (buf->data != NULL)
		buf->data[0] = '\0';
}

const char *strbuf_str(const struct strbuf *buf)
{
	return buf->data == NULL ? "" : buf->data;
}

void strbuf_free(struct strbuf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->size = 0;
}
