/* policyd-log.c: logging and allocation, the two things every file of
   mailshift-policyd needs.  One line per event on stderr (systemd or the
   supervisor adds time and host): "mailshift-policyd: <severity>: ...". */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "policyd.h"

void policyd_log(const char *severity, const char *fmt, ...)
{
	char line[2048];
	va_list args;

	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	fprintf(stderr, "mailshift-policyd: %s: %s\n", severity, line);
}

static void *must_have(void *mem)
{
	if (mem == NULL) {
		fputs("mailshift-policyd: panic: out of memory\n", stderr);
		abort();
	}
	return mem;
}

void *policyd_xcalloc(size_t size)
{
	return must_have(calloc(1, size));
}

void *policyd_xrealloc(void *mem, size_t size)
{
	return must_have(realloc(mem, size));
}
