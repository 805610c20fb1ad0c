/* state-store-lock.c: per-user lease locks in the state store.

   Taking a lock is one INSERT ... ON CONFLICT DO UPDATE ... WHERE: the
   database decides atomically, between processes and hosts, whether the
   lock is free, expired, ours already, or held by a dead process that we
   named, and only then writes our name into it. */

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state-store-lock.h"
#include "state-store-private.h"

/* Statements of a lock change hands between our upsert and our read of
   the holder only under heavy contention; give up after this many. */
#define LOCK_MAX_ATTEMPTS 3

static void lock_hostname(char *buf, size_t size)
{
	if (gethostname(buf, size) < 0)
		buf[0] = '\0';
	/* gethostname() need not terminate a truncated name */
	buf[size - 1] = '\0';
}

void ms_store_lock_owner(char *buf, size_t size)
{
	char host[256];

	lock_hostname(host, sizeof(host));
	snprintf(buf, size, "%s:%ld", host, (long)getpid());
}

/* Returns true if owner is "<this host>:<pid>" and no such pid exists. */
static bool lock_owner_is_dead(const char *owner)
{
	char host[256], *end;
	size_t len;
	long pid;

	lock_hostname(host, sizeof(host));
	len = strlen(host);
	if (len == 0 || strncmp(owner, host, len) != 0 || owner[len] != ':')
		return false;
	owner += len + 1;
	if (*owner < '1' || *owner > '9')
		return false;
	errno = 0;
	pid = strtol(owner, &end, 10);
	if (errno != 0 || *end != '\0' || pid <= 0 || (pid_t)pid != pid)
		return false;
	/* Only ESRCH proves it is gone: EPERM means it runs as someone
	   else. */
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static int lock_holder_row(void *ctx, const char *const *cols,
			   unsigned int ncols)
{
	struct ms_store *store = ctx;

	free(store->holder);
	store->holder = cols[0] == NULL ? NULL : ms_xstrdup(cols[0]);
	return 0;
}

/* Sets store->holder to the lock's owner now, NULL if it is free. */
static int lock_read_holder(struct ms_store *store, const char *user)
{
	struct ms_sql_param params[] = { P_TEXT(user) };

	free(store->holder);
	store->holder = NULL;
	return store->v->query(store, "SELECT lock_owner FROM users"
				      " WHERE user_name = $1",
			       params, N_PARAMS(params), lock_holder_row,
			       store, NULL) < 0 ? -1 : 0;
}

/* Takes the lock if it is free, expired, already owner's, or held by
   dead_owner (NULL: nobody).  Returns 1 if taken, 0 if not, -1 on error. */
static int lock_try(struct ms_store *store, const char *user,
		    const char *owner, unsigned int lease_secs,
		    const char *dead_owner)
{
	static const char sql[] =
		"INSERT INTO users (user_name, state, state_changed,"
		" lock_owner, lock_expires) VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (user_name) DO UPDATE SET"
		" lock_owner = excluded.lock_owner,"
		" lock_expires = excluded.lock_expires"
		" WHERE users.lock_owner IS NULL OR users.lock_expires < $3"
		" OR users.lock_owner = $4 OR users.lock_owner = $6";
	time_t now = time(NULL);
	struct ms_sql_param params[] = {
		P_TEXT(user), P_TEXT(ms_user_state_to_str(MS_USER_STATE_PENDING)),
		P_INT(now), P_TEXT(owner), P_INT(now + lease_secs),
		P_TEXT(dead_owner),
	};
	uint64_t changes;

	if (ms_store_exec(store, sql, params, N_PARAMS(params), &changes) < 0)
		return -1;
	return changes > 0 ? 1 : 0;
}

int ms_store_user_lock(struct ms_store *store, const char *user,
		       const char *owner, unsigned int lease_secs,
		       const char **holder_r, const char **error_r)
{
	char *dead_owner = NULL;
	int attempt, ret = -1;

	*holder_r = NULL;
	for (attempt = 0; attempt < LOCK_MAX_ATTEMPTS; attempt++) {
		ret = lock_try(store, user, owner, lease_secs, dead_owner);
		if (ret != 0 || (ret = lock_read_holder(store, user)) < 0)
			break;
		/* released meanwhile: try again */
		if (store->holder == NULL)
			continue;
		/* A pass killed with -9 on this host must not block the
		   next one for the rest of its lease.  Taking over only
		   from that very owner keeps it atomic. */
		if ((dead_owner == NULL ||
		     strcmp(dead_owner, store->holder) != 0) &&
		    lock_owner_is_dead(store->holder)) {
			free(dead_owner);
			dead_owner = ms_xstrdup(store->holder);
			continue;
		}
		*holder_r = store->holder;
		break;
	}
	free(dead_owner);
	if (ret == 0 && *holder_r == NULL) {
		snprintf(store->reason, sizeof(store->reason),
			 "lock changed hands %d times while being taken",
			 LOCK_MAX_ATTEMPTS);
		ret = -1;
	}
	if (ret < 0)
		return ms_store_fail(store, "lock", user, error_r);
	return ret;
}

int ms_store_user_lock_refresh(struct ms_store *store, const char *user,
			       const char *owner, unsigned int lease_secs,
			       const char **error_r)
{
	struct ms_sql_param params[] = {
		P_TEXT(user), P_TEXT(owner), P_INT(time(NULL) + lease_secs),
	};
	uint64_t changes;

	if (ms_store_exec(store, "UPDATE users SET lock_expires = $3"
				 " WHERE user_name = $1 AND lock_owner = $2",
			  params, N_PARAMS(params), &changes) < 0)
		return ms_store_fail(store, "refresh lock", user, error_r);
	return changes > 0 ? 1 : 0;
}

int ms_store_user_unlock(struct ms_store *store, const char *user,
			 const char *owner, const char **error_r)
{
	struct ms_sql_param params[] = { P_TEXT(user), P_TEXT(owner) };
	uint64_t changes;

	if (ms_store_exec(store, "UPDATE users SET lock_owner = NULL,"
				 " lock_expires = NULL"
				 " WHERE user_name = $1 AND lock_owner = $2",
			  params, N_PARAMS(params), &changes) < 0)
		return ms_store_fail(store, "unlock", user, error_r);
	return changes > 0 ? 1 : 0;
}
