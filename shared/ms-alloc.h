#ifndef MS_ALLOC_H
#define MS_ALLOC_H

/* ms-alloc - allocation that never fails visibly, for every mailshift
   program: when memory runs out the process logs (ms-log) and aborts,
   since nothing half-built (a signature, an answer, a store row) may be
   used.  Sizes that overflow count as running out.  Free with free(). */

#include <stddef.h>

void *ms_xmalloc(size_t size);
/* Zeroed, count * size bytes. */
void *ms_xcalloc(size_t count, size_t size);
/* Resizes ptr (NULL: a new block) to count * size bytes. */
void *ms_xrealloc(void *ptr, size_t count, size_t size);
char *ms_xstrdup(const char *str);
/* The first len bytes of str, NUL-terminated. */
char *ms_xstrndup(const char *str, size_t len);

#endif
