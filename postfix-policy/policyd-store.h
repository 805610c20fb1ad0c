#ifndef POLICYD_STORE_H
#define POLICYD_STORE_H

/* The daemon's connection to the state store, opened when first needed
   and reopened after a failure.  A failed lookup is never "not found":
   a caller that gets NULL or an error answers TEMP. */

#include <stddef.h>

#include "../shared/state-store.h"

struct policyd_store;

/* Remembers uri; opens nothing yet. */
struct policyd_store *policyd_store_init(const char *uri);
/* Closes the connection and frees *ps, setting it NULL; NULL-tolerant. */
void policyd_store_deinit(struct policyd_store **ps);
/* The store, opened again if the last use failed.  NULL with *error_r
   (valid until the next call) if it cannot be opened now: retried at
   most once a second, logged at most once a minute. */
struct ms_store *policyd_store_get(struct policyd_store *ps,
				   const char **error_r);
/* Marks the store as failed: the next policyd_store_get() reopens it. */
void policyd_store_failed(struct policyd_store *ps);

/* One connection of its own, with the policy tables ready (admin
   commands).  Returns 0, or -1 with the reason in error[size] (*store_r
   is then NULL).  Close it with ms_store_close(). */
int policyd_store_open(const char *uri, struct ms_store **store_r,
		       char *error, size_t size);

#endif
