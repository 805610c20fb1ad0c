/* state-store.c: the per-user state store, for every backend.

   All SQL is here, written once in the dialect SQLite and PostgreSQL share
   (INSERT ... ON CONFLICT DO UPDATE, CASE, CAST); the backends only run
   statements (state-store-private.h).  Every change is one statement, so
   it is atomic without client-side transactions, also between hosts. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "state-store-pass.h"
#include "state-store-private.h"

#define SECRET_MASK "********"

/* Bump with a new entry in schema_upgrades. */
#define SCHEMA_VERSION 2

/* One schema for both databases: SQLite maps BIGINT, TEXT and DOUBLE
   PRECISION to its INTEGER, TEXT and REAL affinities.  pass_running
   guards the cumulative totals against an end without a begin. */
static const char *const schema_v1[] = {
	"CREATE TABLE users ("
	" user_name TEXT NOT NULL PRIMARY KEY,"
	" state TEXT NOT NULL,"
	" reason TEXT,"
	" state_changed BIGINT NOT NULL DEFAULT 0,"
	" last_pass_started BIGINT NOT NULL DEFAULT 0,"
	" last_pass_finished BIGINT NOT NULL DEFAULT 0,"
	" pass_running BIGINT NOT NULL DEFAULT 0,"
	" folders_done BIGINT NOT NULL DEFAULT 0,"
	" folders_total BIGINT NOT NULL DEFAULT 0,"
	" msgs_done BIGINT NOT NULL DEFAULT 0,"
	" msgs_total BIGINT NOT NULL DEFAULT 0,"
	" bytes_done BIGINT NOT NULL DEFAULT 0,"
	" bytes_total BIGINT NOT NULL DEFAULT 0,"
	" rate_bytes_per_sec DOUBLE PRECISION NOT NULL DEFAULT 0,"
	" msgs_copied_total BIGINT NOT NULL DEFAULT 0,"
	" bytes_copied_total BIGINT NOT NULL DEFAULT 0,"
	" failures BIGINT NOT NULL DEFAULT 0,"
	" lock_owner TEXT,"
	" lock_expires BIGINT)",
	NULL
};

/* v2: msgs_done counts every message a pass has handled (also those an
   earlier pass copied), so that a synced user's status reads 20000/20000
   rather than 0/20000; msgs_copied is what the pass itself copied. */
static const char *const schema_v2[] = {
	"ALTER TABLE users ADD COLUMN msgs_copied BIGINT NOT NULL DEFAULT 0",
	NULL
};

/* schema_upgrades[v] takes the schema from version v to v + 1. */
static const char *const *const schema_upgrades[SCHEMA_VERSION] = {
	schema_v1,
	schema_v2,
};

enum field_type {
	FIELD_STR,
	FIELD_STATE,
	FIELD_TIME,
	FIELD_UINT,
	FIELD_U64,
	FIELD_DOUBLE
};

/* The columns of a user record, in SELECT order. */
static const struct user_field {
	const char *column;
	enum field_type type;
	size_t offset;
	bool nullable;
} user_fields[] = {
#define FIELD(column, type, member, nullable) \
	{ column, type, offsetof(struct ms_user_record, member), nullable }
	FIELD("user_name", FIELD_STR, user, false),
	FIELD("state", FIELD_STATE, state, false),
	FIELD("reason", FIELD_STR, reason, true),
	FIELD("state_changed", FIELD_TIME, state_changed, false),
	FIELD("last_pass_started", FIELD_TIME, last_pass_started, false),
	FIELD("last_pass_finished", FIELD_TIME, last_pass_finished, false),
	FIELD("folders_done", FIELD_UINT, progress.folders_done, false),
	FIELD("folders_total", FIELD_UINT, progress.folders_total, false),
	FIELD("msgs_done", FIELD_U64, progress.msgs_done, false),
	FIELD("msgs_total", FIELD_U64, progress.msgs_total, false),
	FIELD("msgs_copied", FIELD_U64, progress.msgs_copied, false),
	FIELD("bytes_done", FIELD_U64, progress.bytes_done, false),
	FIELD("bytes_total", FIELD_U64, progress.bytes_total, false),
	FIELD("rate_bytes_per_sec", FIELD_DOUBLE, rate_bytes_per_sec, false),
	FIELD("msgs_copied_total", FIELD_U64, msgs_copied_total, false),
	FIELD("bytes_copied_total", FIELD_U64, bytes_copied_total, false),
	FIELD("failures", FIELD_UINT, failures, false),
	FIELD("lock_owner", FIELD_STR, lock_owner, true),
	FIELD("lock_expires", FIELD_TIME, lock_expires, true),
#undef FIELD
};
#define USER_FIELD_COUNT (sizeof(user_fields) / sizeof(user_fields[0]))

/* ms_store_open() has no store to keep its error in yet. */
static __thread char open_error[2048];

static void mask_append(char *dest, size_t size, size_t *pos,
			const char *src, size_t len)
{
	while (len-- > 0 && *pos + 1 < size)
		dest[(*pos)++] = *src++;
	dest[*pos] = '\0';
}

/* Returns the end of the conninfo value starting at str[pos]: a quoted
   value with backslash escapes, else up to white space or a URI's '&'. */
static size_t conninfo_value_end(const char *str, size_t pos)
{
	if (str[pos] == '\'') {
		for (pos++; str[pos] != '\0' && str[pos] != '\''; pos++) {
			if (str[pos] == '\\' && str[pos + 1] != '\0')
				pos++;
		}
		return str[pos] == '\'' ? pos + 1 : pos;
	}
	while (str[pos] != '\0' && str[pos] != ' ' && str[pos] != '\t' &&
	       str[pos] != '\n' && str[pos] != '&')
		pos++;
	return pos;
}

void ms_store_mask_secrets(const char *str, char *dest, size_t size)
{
	const char *auth, *auth_end, *at, *colon;
	size_t pos = 0, out = 0, pw_start = SIZE_MAX, pw_end = 0, val;

	if (size == 0)
		return;
	dest[0] = '\0';
	/* scheme://user:password@host/... */
	if ((auth = strstr(str, "://")) != NULL) {
		auth += 3;
		auth_end = auth + strcspn(auth, "/?");
		at = NULL;
		for (const char *p = auth; p < auth_end; p++) {
			if (*p == '@')
				at = p;
		}
		colon = at == NULL ? NULL : memchr(auth, ':', at - auth);
		if (colon != NULL) {
			pw_start = colon + 1 - str;
			pw_end = at - str;
		}
	}
	while (str[pos] != '\0') {
		if (pos == pw_start) {
			mask_append(dest, size, &out, SECRET_MASK, 8);
			pos = pw_end;
			continue;
		}
		/* password=, also sslpassword= and ?password= in URIs */
		if (strncasecmp(str + pos, "password", 8) == 0) {
			val = pos + 8;
			while (str[val] == ' ')
				val++;
			if (str[val] == '=') {
				val++;
				while (str[val] == ' ')
					val++;
				mask_append(dest, size, &out, str + pos,
					    val - pos);
				mask_append(dest, size, &out, SECRET_MASK, 8);
				pos = conninfo_value_end(str, val);
				continue;
			}
		}
		mask_append(dest, size, &out, str + pos, 1);
		pos++;
	}
}

int ms_store_fail(struct ms_store *store, const char *what,
		      const char *user, const char **error_r)
{
	snprintf(store->error, sizeof(store->error), "%s: %s user=%s: %s",
		 store->v->name, what, user, store->reason);
	*error_r = store->error;
	return -1;
}

int ms_store_exec(struct ms_store *store, const char *sql,
		      const struct ms_sql_param *params, unsigned int nparams,
		      uint64_t *changes_r)
{
	return store->v->query(store, sql, params, nparams, NULL, NULL,
			       changes_r) < 0 ? -1 : 0;
}

static const char schema_version_sql[] =
	"SELECT MAX(version) FROM schema_version";

static int schema_version_row(void *ctx, const char *const *cols,
			      unsigned int ncols)
{
	long long *version_r = ctx;

	/* MAX() of an empty table is NULL: a new store, version 0 */
	*version_r = cols[0] == NULL ? 0 : strtoll(cols[0], NULL, 10);
	return 0;
}

static int store_schema_upgrade_locked(struct ms_store *store)
{
	struct ms_sql_param version_param[] = { P_INT(SCHEMA_VERSION) };
	const char *const *sql;
	long long version = 0;

	if (ms_store_exec(store, "CREATE TABLE IF NOT EXISTS schema_version "
			      "(version BIGINT NOT NULL)", NULL, 0, NULL) < 0 ||
	    store->v->query(store, schema_version_sql, NULL, 0,
			    schema_version_row, &version, NULL) < 0)
		return -1;
	if (version > SCHEMA_VERSION || version < 0) {
		/* Never guess at a newer schema: writing it with old
		   statements could lose state that newer code relies on. */
		snprintf(store->reason, sizeof(store->reason),
			 "schema version %lld is newer than this mailshift "
			 "supports (%d): upgrade mailshift", version,
			 SCHEMA_VERSION);
		return -1;
	}
	if (version == SCHEMA_VERSION)
		return 0;
	for (; version < SCHEMA_VERSION; version++) {
		for (sql = schema_upgrades[version]; *sql != NULL; sql++) {
			if (ms_store_exec(store, *sql, NULL, 0, NULL) < 0)
				return -1;
		}
	}
	if (ms_store_exec(store, "DELETE FROM schema_version", NULL, 0,
		       NULL) < 0 ||
	    ms_store_exec(store, "INSERT INTO schema_version (version) "
			      "VALUES ($1)", version_param,
		       N_PARAMS(version_param), NULL) < 0)
		return -1;
	return 0;
}

/* Creates or upgrades the schema in one transaction that the backend
   serializes, so that programs starting together do not race. */
static int store_schema_upgrade(struct ms_store *store)
{
	char reason[sizeof(store->reason)];
	const char *const *sql;

	for (sql = store->v->begin_schema; *sql != NULL; sql++) {
		if (ms_store_exec(store, *sql, NULL, 0, NULL) < 0)
			goto rollback;
	}
	if (store_schema_upgrade_locked(store) == 0 &&
	    ms_store_exec(store, "COMMIT", NULL, 0, NULL) == 0)
		return 0;
rollback:
	/* keep the first reason, not the rollback's */
	memcpy(reason, store->reason, sizeof(reason));
	(void)ms_store_exec(store, "ROLLBACK", NULL, 0, NULL);
	memcpy(store->reason, reason, sizeof(reason));
	return -1;
}

const char *ms_store_schema_hint(const struct ms_store *store)
{
	bool denied = strstr(store->reason, "permission denied") != NULL;

	if (store->schema_writer) {
		return !denied ? "" : " (run \"mailshift-policyd init-store"
			" STORE\" with the store's owner role, which may"
			" create tables)";
	}
	if (denied) {
		return " (grant this role the rights docs/security.md"
			" lists for it)";
	}
	if (strstr(store->reason, "is newer than") != NULL)
		return "";
	return " (the schema is created and upgraded only by"
		" \"mailshift-policyd init-store STORE\", run once with the"
		" store's owner role)";
}

/* A store already at this version (nearly every open: each copy pass
   opens it) is seen with one query, without taking the lock: a round trip
   instead of five to a PostgreSQL server on another host.  Otherwise a
   schema writer creates or upgrades it; any other open fails, saying
   why. */
static int store_schema_ready(struct ms_store *store)
{
	long long version = -1;

	/* fails on a new store (no table yet) */
	if (store->v->query(store, schema_version_sql, NULL, 0,
			    schema_version_row, &version, NULL) == 0 &&
	    version == SCHEMA_VERSION)
		return 0;
	if (store->schema_writer)
		return store_schema_upgrade(store);
	if (version > SCHEMA_VERSION) {
		snprintf(store->reason, sizeof(store->reason),
			 "schema version %lld is newer than this mailshift "
			 "supports (%d): upgrade mailshift", version,
			 SCHEMA_VERSION);
	} else if (version >= 0) {
		snprintf(store->reason, sizeof(store->reason),
			 "schema version %lld is older than this mailshift's "
			 "(%d)", version, SCHEMA_VERSION);
	}
	return -1;
}

static int store_open(const char *uri, bool init, struct ms_store **store_r,
		      const char **error_r)
{
	/* postgresql:// URIs go to libpq as they are */
	static const struct {
		const char *prefix;
		bool keep_prefix;
		const struct ms_store_vfuncs *v;
	} schemes[] = {
		{ "sqlite:", false, &ms_store_sqlite },
		{ "pgsql:", false, &ms_store_pgsql },
		{ "postgresql://", true, &ms_store_pgsql },
		{ "postgres://", true, &ms_store_pgsql },
	};
	const struct ms_store_vfuncs *v = NULL;
	struct ms_store *store;
	char masked[512], reason[512];
	const char *spec = NULL;
	unsigned int i;

	*store_r = NULL;
	*error_r = open_error;
	ms_store_mask_secrets(uri == NULL ? "" : uri, masked, sizeof(masked));
	for (i = 0; uri != NULL && i < N_PARAMS(schemes); i++) {
		if (strncmp(uri, schemes[i].prefix,
			    strlen(schemes[i].prefix)) == 0) {
			v = schemes[i].v;
			spec = schemes[i].keep_prefix ? uri :
				uri + strlen(schemes[i].prefix);
			break;
		}
	}
	if (v == NULL) {
		snprintf(open_error, sizeof(open_error),
			 "state-store: open %s: unknown store type (use "
			 "sqlite:/path/to/state.db or pgsql:<conninfo>)",
			 masked);
		return -2;
	}
	ms_store_mask_secrets(spec, masked, sizeof(masked));
	if (v->open(spec, &store, reason, sizeof(reason)) < 0) {
		snprintf(open_error, sizeof(open_error), "%s: open %s: %s",
			 v->name, masked, reason);
		return -1;
	}
	store->v = v;
	store->schema_writer = init || v->schema_at_open;
	if (store_schema_ready(store) < 0) {
		snprintf(open_error, sizeof(open_error), "%s: %s schema in "
			 "%s: %s%s", v->name, store->schema_writer ?
			 "create or upgrade" : "check", masked, store->reason,
			 ms_store_schema_hint(store));
		ms_store_close(&store);
		return -2;
	}
	*store_r = store;
	return 0;
}

int ms_store_open(const char *uri, struct ms_store **store_r,
		  const char **error_r)
{
	return store_open(uri, false, store_r, error_r);
}

int ms_store_open_init(const char *uri, struct ms_store **store_r,
		       const char **error_r)
{
	return store_open(uri, true, store_r, error_r);
}

int ms_store_set_durable(struct ms_store *store, bool durable,
			 const char **error_r)
{
	if (store->v->set_durable(store, durable) < 0) {
		snprintf(store->error, sizeof(store->error),
			 "%s: setting durability: %s", store->v->name,
			 store->reason);
		*error_r = store->error;
		return -1;
	}
	return 0;
}

void ms_store_close(struct ms_store **store)
{
	if (*store == NULL)
		return;
	free((*store)->holder);
	(*store)->v->close(*store);
	*store = NULL;
}

void ms_user_record_free(struct ms_user_record **rec)
{
	if (*rec == NULL)
		return;
	free((*rec)->user);
	free((*rec)->reason);
	free((*rec)->lock_owner);
	free(*rec);
	*rec = NULL;
}

static bool parse_u64(const char *str, uint64_t max, uint64_t *num_r)
{
	unsigned long long num;
	char *end;

	/* strtoull() would accept "-1" and leading blanks */
	if (*str < '0' || *str > '9')
		return false;
	errno = 0;
	num = strtoull(str, &end, 10);
	if (errno != 0 || *end != '\0' || num > max)
		return false;
	*num_r = num;
	return true;
}

static bool record_parse_field(struct ms_user_record *rec,
			       const struct user_field *field,
			       const char *value)
{
	void *dest = (char *)rec + field->offset;
	uint64_t num;
	char *end;

	if (value == NULL)
		return field->nullable;
	switch (field->type) {
	case FIELD_STR:
		*(char **)dest = ms_xstrdup(value);
		return true;
	case FIELD_STATE:
		return ms_user_state_from_str(value, dest);
	case FIELD_TIME:
		if (!parse_u64(value, INT64_MAX, &num))
			return false;
		*(time_t *)dest = (time_t)num;
		return true;
	case FIELD_UINT:
		if (!parse_u64(value, UINT_MAX, &num))
			return false;
		*(unsigned int *)dest = (unsigned int)num;
		return true;
	case FIELD_U64:
		return parse_u64(value, UINT64_MAX, dest);
	case FIELD_DOUBLE:
		/* PostgreSQL and SQLite both print '.'; mailshift programs
		   keep LC_NUMERIC=C. */
		*(double *)dest = strtod(value, &end);
		return *value != '\0' && *end == '\0';
	}
	return false;
}

struct record_ctx {
	struct ms_store *store;
	struct ms_user_record *rec;
	bool failed;
	/* for ms_store_users_iter() */
	int (*cb)(const struct ms_user_record *rec, void *ctx);
	void *cb_ctx;
};

/* Parses a row of user_fields into ctx->rec; on failure sets ctx->failed
   and the reason, and returns 1 to stop the query. */
static int record_row(void *context, const char *const *cols,
		      unsigned int ncols)
{
	struct record_ctx *ctx = context;
	unsigned int i;

	ms_user_record_free(&ctx->rec);
	ctx->rec = ms_xcalloc(1, sizeof(*ctx->rec));
	for (i = 0; i < USER_FIELD_COUNT && i < ncols; i++) {
		if (!record_parse_field(ctx->rec, &user_fields[i], cols[i])) {
			/* A record we cannot read is an error, never
			   "not found": that could deliver a migrated
			   user's mail to the old mailbox. */
			snprintf(ctx->store->reason,
				 sizeof(ctx->store->reason),
				 "invalid value '%s' in column %s",
				 cols[i] == NULL ? "NULL" : cols[i],
				 user_fields[i].column);
			ctx->failed = true;
			return 1;
		}
	}
	if (ctx->cb == NULL)
		return 0;
	return ctx->cb(ctx->rec, ctx->cb_ctx) == 0 ? 0 : 1;
}

/* Writes "SELECT <user_fields> FROM users <tail>" to buf. */
static void user_select_sql(char *buf, size_t size, const char *tail1,
			    const char *tail2)
{
	size_t pos = 0;
	unsigned int i;

	mask_append(buf, size, &pos, "SELECT ", 7);
	for (i = 0; i < USER_FIELD_COUNT; i++) {
		if (i > 0)
			mask_append(buf, size, &pos, ", ", 2);
		mask_append(buf, size, &pos, user_fields[i].column,
			    strlen(user_fields[i].column));
	}
	mask_append(buf, size, &pos, " FROM users ", 12);
	mask_append(buf, size, &pos, tail1, strlen(tail1));
	mask_append(buf, size, &pos, tail2, strlen(tail2));
}

int ms_store_user_get(struct ms_store *store, const char *user,
		      struct ms_user_record **rec_r, const char **error_r)
{
	struct ms_sql_param params[] = { P_TEXT(user) };
	struct record_ctx ctx = { .store = store };
	char sql[1024];

	*rec_r = NULL;
	user_select_sql(sql, sizeof(sql), "WHERE user_name = $1", "");
	if (store->v->query(store, sql, params, N_PARAMS(params), record_row,
			    &ctx, NULL) < 0 || ctx.failed) {
		ms_user_record_free(&ctx.rec);
		return ms_store_fail(store, "look up", user, error_r);
	}
	*rec_r = ctx.rec;
	return ctx.rec == NULL ? 0 : 1;
}

int ms_store_users_iter(struct ms_store *store,
			int (*cb)(const struct ms_user_record *rec, void *ctx),
			void *ctx, const char **error_r)
{
	struct record_ctx rctx = { .store = store, .cb = cb, .cb_ctx = ctx };
	char sql[1024];
	int ret;

	user_select_sql(sql, sizeof(sql), "ORDER BY user_name",
			store->v->collate_bytes);
	ret = store->v->query(store, sql, NULL, 0, record_row, &rctx, NULL);
	ms_user_record_free(&rctx.rec);
	if (ret < 0 || rctx.failed)
		return ms_store_fail(store, "list", "*", error_r);
	return ret;
}

int ms_store_user_set_state(struct ms_store *store, const char *user,
			    enum ms_user_state state, const char *reason,
			    const char **error_r)
{
	/* state_changed also moves on a repeated failure: with failures it
	   times the retry backoff. */
	static const char sql[] =
		"INSERT INTO users (user_name, state, reason, state_changed,"
		" failures) VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (user_name) DO UPDATE SET"
		" state_changed = CASE WHEN users.state <> excluded.state"
		"  OR $5 = 1 THEN excluded.state_changed"
		"  ELSE users.state_changed END,"
		" failures = CASE WHEN $5 = 1 THEN users.failures + 1"
		"  ELSE 0 END,"
		" state = excluded.state, reason = excluded.reason";
	struct ms_sql_param params[] = {
		P_TEXT(user), P_TEXT(ms_user_state_to_str(state)),
		P_TEXT(reason), P_INT(time(NULL)),
		P_INT(state == MS_USER_STATE_FAILED ? 1 : 0),
	};

	if (ms_store_exec(store, sql, params, N_PARAMS(params), NULL) < 0)
		return ms_store_fail(store, "set state", user, error_r);
	return 0;
}

int ms_store_user_pass_begin(struct ms_store *store, const char *user,
			     const char **error_r)
{
	static const char sql[] =
		"INSERT INTO users (user_name, state, state_changed,"
		" last_pass_started, pass_running) VALUES ($1, $2, $3, $3, 1)"
		" ON CONFLICT (user_name) DO UPDATE SET"
		" last_pass_started = excluded.last_pass_started,"
		" pass_running = 1, folders_done = 0, folders_total = 0,"
		" msgs_done = 0, msgs_total = 0, msgs_copied = 0,"
		" bytes_done = 0, bytes_total = 0, rate_bytes_per_sec = 0";
	struct ms_sql_param params[] = {
		P_TEXT(user), P_TEXT(ms_user_state_to_str(MS_USER_STATE_PENDING)),
		P_INT(time(NULL)),
	};

	if (ms_store_exec(store, sql, params, N_PARAMS(params), NULL) < 0)
		return ms_store_fail(store, "begin pass", user, error_r);
	return 0;
}

/* Shared by progress and pass end: $1 user, $2-$7 and $9 the counters,
   $8 now.  A pass shorter than a second counts as one second. */
#define PROGRESS_SET \
	"UPDATE users SET folders_done = $2, folders_total = $3," \
	" msgs_done = $4, msgs_total = $5, bytes_done = $6, bytes_total = $7," \
	" msgs_copied = $9," \
	" rate_bytes_per_sec = CAST($6 AS DOUBLE PRECISION) /" \
	"  CASE WHEN $8 > last_pass_started" \
	"  THEN $8 - last_pass_started ELSE 1 END"
#define PROGRESS_WHERE " WHERE user_name = $1 AND pass_running = 1"

static int store_progress(struct ms_store *store, const char *sql,
			  const char *what, const char *user,
			  const struct ms_progress *p, const char **error_r)
{
	struct ms_sql_param params[] = {
		P_TEXT(user), P_INT(p->folders_done), P_INT(p->folders_total),
		P_INT(p->msgs_done), P_INT(p->msgs_total),
		P_INT(p->bytes_done), P_INT(p->bytes_total),
		P_INT(time(NULL)), P_INT(p->msgs_copied),
	};
	uint64_t changes;

	if (ms_store_exec(store, sql, params, N_PARAMS(params), &changes) < 0)
		return ms_store_fail(store, what, user, error_r);
	return changes > 0 ? 1 : 0;
}

int ms_store_user_progress(struct ms_store *store, const char *user,
			   const struct ms_progress *p, const char **error_r)
{
	return store_progress(store, PROGRESS_SET PROGRESS_WHERE,
			      "record progress", user, p, error_r);
}

int ms_store_user_pass_end(struct ms_store *store, const char *user,
			   const struct ms_progress *p, const char **error_r)
{
	return store_progress(store, PROGRESS_SET ","
			      " last_pass_finished = $8, pass_running = 0,"
			      " msgs_copied_total = msgs_copied_total + $9,"
			      " bytes_copied_total = bytes_copied_total + $6"
			      PROGRESS_WHERE, "end pass", user, p, error_r);
}
