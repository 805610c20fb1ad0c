/* policyd-store.c: the daemon's connection to the state store.

   Every answer that needs a user's state or a warm-up count asks through
   one connection, opened when first needed and opened again after a
   failure, at most once a second: a store that is down must cost each
   lookup no more than a TEMP answer, and must not fill the log (it says
   so once a minute).  Whoever sees a query fail marks the connection
   failed, so that the next user opens a fresh one instead of trusting a
   connection in an unknown state. */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../shared/ms-alloc.h"
#include "../shared/ms-log.h"
#include "../shared/state-store-policy.h"
#include "policyd-store.h"

struct policyd_store {
	char uri[1024];
	struct ms_store *store;
	bool failed;
	time_t retry_at;
	time_t logged;	/* when "unavailable" was last logged */
	char error[1024];
};

int policyd_store_open(const char *uri, struct ms_store **store_r,
		       char *error, size_t size)
{
	const char *why;

	if (ms_store_open(uri, store_r, &why) < 0 ||
	    ms_store_policy_init(*store_r, &why) < 0) {
		/* the store owns the text: copy it before closing */
		snprintf(error, size, "%s", why);
		ms_store_close(store_r);
		return -1;
	}
	return 0;
}

struct policyd_store *policyd_store_init(const char *uri)
{
	struct policyd_store *ps = ms_xcalloc(1, sizeof(*ps));

	snprintf(ps->uri, sizeof(ps->uri), "%s", uri);
	return ps;
}

void policyd_store_deinit(struct policyd_store **ps)
{
	if (*ps == NULL)
		return;
	ms_store_close(&(*ps)->store);
	free(*ps);
	*ps = NULL;
}

struct ms_store *policyd_store_get(struct policyd_store *ps,
				   const char **error_r)
{
	time_t now = time(NULL);

	if (ps->store != NULL && !ps->failed)
		return ps->store;
	if (now < ps->retry_at) {
		*error_r = ps->error;
		return NULL;
	}
	ms_store_close(&ps->store);
	ps->failed = false;
	if (policyd_store_open(ps->uri, &ps->store, ps->error,
			       sizeof(ps->error)) < 0) {
		ps->retry_at = now + 1;
		/* Once a minute is enough to say it is still down. */
		if (now - ps->logged >= 60) {
			ps->logged = now;
			ms_error("state store unavailable, answering TEMP"
				 " (Postfix defers) until it is back: %s",
				 ps->error);
		}
		*error_r = ps->error;
		return NULL;
	}
	if (ps->logged != 0)
		ms_info("state store is back");
	else
		ms_info("state store open");
	ps->logged = 0;
	return ps->store;
}

void policyd_store_failed(struct policyd_store *ps)
{
	ps->failed = true;
	ps->retry_at = 0;
}
