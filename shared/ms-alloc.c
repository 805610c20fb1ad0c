/* ms-alloc - never-failing allocation. */

#include <stdlib.h>
#include <string.h>

#include "ms-alloc.h"
#include "ms-log.h"

static void __attribute__((noreturn)) out_of_memory(size_t size)
{
	/* Nothing sensible can go on.  An abort, not an exit: a core file
	   shows who asked for so much, and the client of a milter or policy
	   daemon that vanishes defers the mail rather than passing it. */
	ms_panic("out of memory allocating %zu bytes", size);
}

void *ms_xmalloc(size_t size)
{
	void *p = malloc(size == 0 ? 1 : size);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *ms_xcalloc(size_t count, size_t size)
{
	void *p;

	if (size != 0 && count > (size_t)-1 / size)
		out_of_memory((size_t)-1);
	p = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
	if (p == NULL)
		out_of_memory(count * size);
	return p;
}

void *ms_xrealloc(void *ptr, size_t count, size_t size)
{
	void *p;

	if (size != 0 && count > (size_t)-1 / size)
		out_of_memory((size_t)-1);
	p = realloc(ptr, count * size == 0 ? 1 : count * size);
	if (p == NULL)
		out_of_memory(count * size);
	return p;
}

char *ms_xstrndup(const char *str, size_t len)
{
	char *p = ms_xmalloc(len + 1);

	memcpy(p, str, len);
	p[len] = '\0';
	return p;
}

char *ms_xstrdup(const char *str)
{
	return ms_xstrndup(str, strlen(str));
}
