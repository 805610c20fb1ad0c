/* state-store-policy.c: mailshift-policyd's counters in the state store.

   The tables are separate from "users" and created with IF NOT EXISTS
   instead of a schema version: they are additive, only the policy daemon
   writes them, and programs that never call ms_store_policy_init() (the
   Dovecot plugin) see the schema they always saw.  Counters only grow by
   "+ excluded.x" in one statement, so two daemons adding at once (old and
   new host on one PostgreSQL) never lose an increment. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state-store-policy.h"
#include "state-store-private.h"

static const char *const policy_tables[] = {
	"CREATE TABLE IF NOT EXISTS policy_counters ("
	" user_name TEXT NOT NULL PRIMARY KEY,"
	" forwarded BIGINT NOT NULL DEFAULT 0,"
	" held BIGINT NOT NULL DEFAULT 0,"
	" released BIGINT NOT NULL DEFAULT 0,"
	" deferred BIGINT NOT NULL DEFAULT 0)",
	"CREATE TABLE IF NOT EXISTS warmup_days ("
	" provider_group TEXT NOT NULL,"
	" day TEXT NOT NULL,"
	" sent BIGINT NOT NULL DEFAULT 0,"
	" overflowed BIGINT NOT NULL DEFAULT 0,"
	" deferred BIGINT NOT NULL DEFAULT 0,"
	" PRIMARY KEY (provider_group, day))",
	/* One row per held recipient of a queued message, so that retries
	   of the hold are not counted again. */
	"CREATE TABLE IF NOT EXISTS policy_held ("
	" queue_id TEXT NOT NULL,"
	" recipient TEXT NOT NULL,"
	" user_name TEXT NOT NULL,"
	" released BIGINT NOT NULL DEFAULT 0,"
	" booked BIGINT NOT NULL DEFAULT 0,"
	" PRIMARY KEY (queue_id, recipient))",
	NULL
};

/* Reads no row: fails unless every policy table exists and may be read. */
static const char policy_tables_exist[] =
	"SELECT 1 FROM policy_counters WHERE 1 = 0 UNION ALL"
	" SELECT 1 FROM warmup_days WHERE 1 = 0 UNION ALL"
	" SELECT 1 FROM policy_held WHERE 1 = 0";

int ms_store_policy_init(struct ms_store *store, const char **error_r)
{
	const char *const *sql;

	/* Nearly every open finds the tables: PostgreSQL checks the right
	   to create before it looks whether a table exists, so "CREATE
	   TABLE IF NOT EXISTS" alone would demand CREATE on the schema of
	   a role that only reads and counts. */
	if (ms_store_exec(store, policy_tables_exist, NULL, 0, NULL) == 0)
		return 0;
	for (sql = policy_tables; store->schema_writer && *sql != NULL;
	     sql++) {
		/* PostgreSQL: two processes creating the same table at once
		   can collide on the catalog; the loser finds the table on a
		   second try. */
		if (ms_store_exec(store, *sql, NULL, 0, NULL) < 0 &&
		    ms_store_exec(store, *sql, NULL, 0, NULL) < 0)
			break;
	}
	if (store->schema_writer && *sql == NULL)
		return 0;
	/* as ms_store_open() says of the users table */
	snprintf(store->error, sizeof(store->error), "%s: %s policy tables: "
		 "%s%s", store->v->name, store->schema_writer ? "create" :
		 "check", store->reason, ms_store_schema_hint(store));
	*error_r = store->error;
	return -1;
}

int ms_store_policy_add(struct ms_store *store, const char *user,
			const struct ms_policy_counters *delta,
			const char **error_r)
{
	static const char sql[] =
		"INSERT INTO policy_counters (user_name, forwarded, held,"
		" released, deferred) VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (user_name) DO UPDATE SET"
		" forwarded = policy_counters.forwarded + excluded.forwarded,"
		" held = policy_counters.held + excluded.held,"
		" released = policy_counters.released + excluded.released,"
		" deferred = policy_counters.deferred + excluded.deferred";
	struct ms_sql_param params[] = {
		P_TEXT(user), P_INT(delta->forwarded), P_INT(delta->held),
		P_INT(delta->released), P_INT(delta->deferred),
	};

	if (ms_store_exec(store, sql, params, N_PARAMS(params), NULL) < 0)
		return ms_store_fail(store, "add policy counters", user,
				     error_r);
	return 0;
}

int ms_store_policy_held(struct ms_store *store, const char *queue_id,
			 const char *recipient, const char *user,
			 bool *new_r, const char **error_r)
{
	static const char sql[] =
		"INSERT INTO policy_held (queue_id, recipient, user_name,"
		" booked) VALUES ($1, $2, $3, $4)"
		" ON CONFLICT (queue_id, recipient) DO UPDATE SET"
		" released = 0, user_name = excluded.user_name,"
		" booked = excluded.booked WHERE policy_held.released = 1";
	struct ms_sql_param params[] = {
		P_TEXT(queue_id), P_TEXT(recipient), P_TEXT(user),
		P_INT(time(NULL)),
	};
	uint64_t changes = 0;

	if (ms_store_exec(store, sql, params, N_PARAMS(params),
			  &changes) < 0)
		return ms_store_fail(store, "book held message", user,
				     error_r);
	*new_r = changes > 0;
	return 0;
}

int ms_store_policy_unheld(struct ms_store *store, const char *queue_id,
			   const char *recipient, bool *released_r,
			   const char **error_r)
{
	static const char sql[] =
		"UPDATE policy_held SET released = 1"
		" WHERE queue_id = $1 AND recipient = $2 AND released = 0";
	struct ms_sql_param params[] = {
		P_TEXT(queue_id), P_TEXT(recipient),
	};
	uint64_t changes = 0;

	if (ms_store_exec(store, sql, params, N_PARAMS(params),
			  &changes) < 0)
		return ms_store_fail(store, "book released message",
				     recipient, error_r);
	*released_r = changes > 0;
	return 0;
}

int ms_store_policy_held_prune(struct ms_store *store, time_t before,
			       const char **error_r)
{
	static const char sql[] =
		"DELETE FROM policy_held WHERE booked < $1";
	struct ms_sql_param params[] = { P_INT(before) };

	if (ms_store_exec(store, sql, params, N_PARAMS(params), NULL) < 0)
		return ms_store_fail(store, "prune held messages", "*",
				     error_r);
	return 0;
}

/* A counter column: a number, never negative. */
static int parse_count(const char *str, uint64_t *num_r)
{
	unsigned long long num;
	char *end;

	if (str == NULL || *str < '0' || *str > '9')
		return -1;
	errno = 0;
	num = strtoull(str, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*num_r = num;
	return 0;
}

struct iter_ctx {
	struct ms_store *store;
	int (*user_cb)(const char *user, const struct ms_policy_counters *c,
		       void *ctx);
	int (*day_cb)(const struct ms_warmup_day *day, void *ctx);
	void *cb_ctx;
	int failed;
};

/* Parses columns 1..3 of cols into three counters; sets the reason. */
static int parse_counts(struct iter_ctx *ctx, const char *const *cols,
			unsigned int ncols, uint64_t *nums[], unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i + 1 >= ncols || parse_count(cols[i + 1], nums[i]) < 0) {
			snprintf(ctx->store->reason,
				 sizeof(ctx->store->reason),
				 "invalid counter '%s' in column %u",
				 i + 1 < ncols && cols[i + 1] != NULL ?
				 cols[i + 1] : "NULL", i + 2);
			ctx->failed = 1;
			return 1;
		}
	}
	return 0;
}

static int policy_row(void *context, const char *const *cols,
		      unsigned int ncols)
{
	struct iter_ctx *ctx = context;
	struct ms_policy_counters c;
	uint64_t *nums[] = { &c.forwarded, &c.held, &c.released,
			     &c.deferred };

	if (parse_counts(ctx, cols, ncols, nums, 4) != 0)
		return 1;
	return ctx->user_cb(cols[0], &c, ctx->cb_ctx) == 0 ? 0 : 1;
}

static int day_row(void *context, const char *const *cols,
		   unsigned int ncols)
{
	struct iter_ctx *ctx = context;
	struct ms_warmup_day day;
	uint64_t *nums[] = { &day.sent, &day.overflowed, &day.deferred };

	memset(&day, 0, sizeof(day));
	if (parse_counts(ctx, cols, ncols, nums, 3) != 0)
		return 1;
	snprintf(day.day, sizeof(day.day), "%s", cols[0]);
	return ctx->day_cb(&day, ctx->cb_ctx) == 0 ? 0 : 1;
}

static int iter_query(struct ms_store *store, const char *sql,
		      const struct ms_sql_param *params, unsigned int nparams,
		      ms_sql_row_cb *row_cb, struct iter_ctx *ctx,
		      const char *what, const char *key, const char **error_r)
{
	int ret;

	ret = store->v->query(store, sql, params, nparams, row_cb, ctx, NULL);
	if (ret < 0 || ctx->failed)
		return ms_store_fail(store, what, key, error_r);
	return ret;
}

int ms_store_policy_iter(struct ms_store *store, const char *user,
			 int (*cb)(const char *user,
				   const struct ms_policy_counters *c,
				   void *ctx),
			 void *ctx, const char **error_r)
{
	struct iter_ctx ictx = { .store = store, .user_cb = cb,
				 .cb_ctx = ctx };
	struct ms_sql_param params[] = { P_TEXT(user) };
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT user_name, forwarded, held,"
		 " released, deferred FROM policy_counters%s"
		 " ORDER BY user_name%s",
		 user == NULL ? "" : " WHERE user_name = $1",
		 store->v->collate_bytes);
	return iter_query(store, sql, params, user == NULL ? 0 : 1,
			  policy_row, &ictx, "list policy counters",
			  user == NULL ? "*" : user, error_r);
}

int ms_store_warmup_add(struct ms_store *store, const char *group,
			const struct ms_warmup_day *delta,
			const char **error_r)
{
	static const char sql[] =
		"INSERT INTO warmup_days (provider_group, day, sent,"
		" overflowed, deferred) VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (provider_group, day) DO UPDATE SET"
		" sent = warmup_days.sent + excluded.sent,"
		" overflowed = warmup_days.overflowed + excluded.overflowed,"
		" deferred = warmup_days.deferred + excluded.deferred";
	struct ms_sql_param params[] = {
		P_TEXT(group), P_TEXT(delta->day), P_INT(delta->sent),
		P_INT(delta->overflowed), P_INT(delta->deferred),
	};

	if (ms_store_exec(store, sql, params, N_PARAMS(params), NULL) < 0)
		return ms_store_fail(store, "add warm-up counters", group,
				     error_r);
	return 0;
}

int ms_store_warmup_iter(struct ms_store *store, const char *group,
			 int (*cb)(const struct ms_warmup_day *day, void *ctx),
			 void *ctx, const char **error_r)
{
	static const char sql[] =
		"SELECT day, sent, overflowed, deferred FROM warmup_days"
		" WHERE provider_group = $1 ORDER BY day";
	struct iter_ctx ictx = { .store = store, .day_cb = cb,
				 .cb_ctx = ctx };
	struct ms_sql_param params[] = { P_TEXT(group) };

	return iter_query(store, sql, params, N_PARAMS(params), day_row,
			  &ictx, "list warm-up days", group, error_r);
}
