/* state-store-pgsql.c: the PostgreSQL backend, for old and new hosts on
   separate machines (the old host's policy service must see what the new
   host's plugin wrote).

   SECURITY: the conninfo may hold a password.  libpq can quote parts of
   the conninfo in its messages, so every reason this file produces has the
   conninfo's secrets replaced by "********" before anyone sees it.

   libpq is loaded when a store is first opened, not linked: it brings
   some twenty libraries (Kerberos, LDAP, GnuTLS...) whose loading would
   be paid twice by every doveadm command (doveadm loads its
   plugins, then re-executes itself with the configuration), on hosts
   that keep the state in SQLite and never use it. */

#include <dlfcn.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state-store-private.h"

/* From catalog/pg_type_d.h, which only the server headers have. */
#define PG_INT8OID 20
#define PG_TEXTOID 25

#define PGSQL_MAX_PARAMS 16
#define PGSQL_MAX_COLUMNS 32
/* Used unless the conninfo says otherwise: libpq's default is to wait for
   an unreachable server forever, and callers have mail to answer for. */
#define PGSQL_CONNECT_TIMEOUT_SECS "10"
#define PGSQL_MAX_SECRETS 2

#define PGSQL_LIBRARY "libpq.so.5"

/* Every libpq function this file calls, typed by libpq-fe.h itself. */
#define PGSQL_FUNCS(X) \
	X(PQclear) X(PQcmdTuples) X(PQconnectdbParams) X(PQconninfoFree) \
	X(PQconninfoParse) X(PQerrorMessage) X(PQexecParams) X(PQfinish) \
	X(PQfreemem) X(PQgetisnull) X(PQgetvalue) X(PQnfields) \
	X(PQntuples) X(PQreset) X(PQresultErrorMessage) \
	X(PQresultStatus) X(PQsetNoticeProcessor) X(PQstatus)

static struct {
#define PGSQL_FUNC_PTR(name) __typeof__(name) *name;
	PGSQL_FUNCS(PGSQL_FUNC_PTR)
} pq;
static void *pq_handle;

static int pgsql_load(char *reason, size_t reason_size)
{
	void *handle;
	const char *missing = NULL;

	if (pq_handle != NULL)
		return 0;
	handle = dlopen(PGSQL_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		snprintf(reason, reason_size, "cannot load %s (install "
			 "Debian's libpq5 for a postgresql: store): %s",
			 PGSQL_LIBRARY, dlerror());
		return -1;
	}
#define PGSQL_FUNC_LOAD(name) \
	if ((pq.name = (__typeof__(pq.name))dlsym(handle, #name)) == NULL && \
	    missing == NULL) \
		missing = #name;
	PGSQL_FUNCS(PGSQL_FUNC_LOAD)
	if (missing != NULL) {
		snprintf(reason, reason_size, "%s has no %s: too old a libpq",
			 PGSQL_LIBRARY, missing);
		dlclose(handle);
		return -1;
	}
	pq_handle = handle;
	return 0;
}

/* From here on, PQfoo() calls through the loaded library. */
#define PQclear (*pq.PQclear)
#define PQcmdTuples (*pq.PQcmdTuples)
#define PQconnectdbParams (*pq.PQconnectdbParams)
#define PQconninfoFree (*pq.PQconninfoFree)
#define PQconninfoParse (*pq.PQconninfoParse)
#define PQerrorMessage (*pq.PQerrorMessage)
#define PQexecParams (*pq.PQexecParams)
#define PQfinish (*pq.PQfinish)
#define PQfreemem (*pq.PQfreemem)
#define PQgetisnull (*pq.PQgetisnull)
#define PQgetvalue (*pq.PQgetvalue)
#define PQnfields (*pq.PQnfields)
#define PQntuples (*pq.PQntuples)
#define PQreset (*pq.PQreset)
#define PQresultErrorMessage (*pq.PQresultErrorMessage)
#define PQresultStatus (*pq.PQresultStatus)
#define PQsetNoticeProcessor (*pq.PQsetNoticeProcessor)
#define PQstatus (*pq.PQstatus)

struct pgsql_store {
	struct ms_store store;
	PGconn *conn;
	/* password and sslpassword from the conninfo, to mask in reasons */
	char *secrets[PGSQL_MAX_SECRETS];
};

static void pgsql_find_secrets(const char *spec,
			       char *secrets[PGSQL_MAX_SECRETS])
{
	PQconninfoOption *opts, *opt;
	char *parse_error = NULL;
	unsigned int count = 0;

	opts = PQconninfoParse(spec, &parse_error);
	PQfreemem(parse_error);
	for (opt = opts; opt != NULL && opt->keyword != NULL; opt++) {
		if (opt->val == NULL || opt->val[0] == '\0' ||
		    count == PGSQL_MAX_SECRETS)
			continue;
		if (strcmp(opt->keyword, "password") == 0 ||
		    strcmp(opt->keyword, "sslpassword") == 0)
			secrets[count++] = ms_xstrdup(opt->val);
	}
	PQconninfoFree(opts);
}

/* Writes msg to reason[size] as one line, with the secrets masked both
   where they follow "password=" and wherever libpq quoted them bare. */
static void pgsql_set_reason(char *reason, size_t size, const char *msg,
			     char *const secrets[PGSQL_MAX_SECRETS])
{
	char line[1024], *p, *found;
	size_t len, start;
	unsigned int i;

	snprintf(line, sizeof(line), "%s", msg == NULL ? "" : msg);
	for (p = line; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	}
	len = strlen(line);
	while (len > 0 && line[len - 1] == ' ')
		line[--len] = '\0';
	ms_store_mask_secrets(line, reason, size);
	for (i = 0; i < PGSQL_MAX_SECRETS && secrets[i] != NULL; i++) {
		len = strlen(secrets[i]);
		/* search on after each mask: the secret may be "**" */
		for (start = 0; (found = strstr(reason + start, secrets[i]));) {
			start = found - reason;
			snprintf(line, sizeof(line), "%.*s********%s",
				 (int)start, reason, found + len);
			snprintf(reason, size, "%s", line);
			start += 8;
		}
	}
}

static void pgsql_notice_ignore(void *context, const char *message)
{
}

static void pgsql_store_close(struct ms_store *store)
{
	struct pgsql_store *pstore = (struct pgsql_store *)store;
	unsigned int i;

	PQfinish(pstore->conn);
	for (i = 0; i < PGSQL_MAX_SECRETS; i++)
		free(pstore->secrets[i]);
	free(pstore);
}

static int pgsql_store_open(const char *spec, struct ms_store **store_r,
			    char *reason, size_t reason_size)
{
	/* dbname is expanded as a whole conninfo or URI; what it sets
	   overrides the defaults before it. */
	static const char *const keywords[] = {
		"connect_timeout", "fallback_application_name", "dbname", NULL
	};
	const char *values[] = {
		PGSQL_CONNECT_TIMEOUT_SECS, "mailshift", spec, NULL
	};
	struct pgsql_store *pstore;

	if (pgsql_load(reason, reason_size) < 0)
		return -1;
	pstore = ms_xcalloc(1, sizeof(*pstore));

	pgsql_find_secrets(spec, pstore->secrets);
	pstore->conn = PQconnectdbParams(keywords, values, 1);
	if (PQstatus(pstore->conn) != CONNECTION_OK) {
		pgsql_set_reason(reason, reason_size, pstore->conn == NULL ?
				 "out of memory" :
				 PQerrorMessage(pstore->conn),
				 pstore->secrets);
		pgsql_store_close(&pstore->store);
		return -1;
	}
	/* libpq prints NOTICEs ("relation already exists, skipping") to
	   stderr by default, which is the IMAP client's in some setups. */
	PQsetNoticeProcessor(pstore->conn, pgsql_notice_ignore, NULL);
	*store_r = &pstore->store;
	return 0;
}

static int pgsql_store_query(struct ms_store *store, const char *sql,
			     const struct ms_sql_param *params,
			     unsigned int nparams, ms_sql_row_cb *row_cb,
			     void *ctx, uint64_t *changes_r)
{
	struct pgsql_store *pstore = (struct pgsql_store *)store;
	char nums[PGSQL_MAX_PARAMS][24];
	const char *values[PGSQL_MAX_PARAMS], *cols[PGSQL_MAX_COLUMNS];
	Oid types[PGSQL_MAX_PARAMS];
	PGresult *res;
	int row, nrows, col, ncols, ret = 0;
	unsigned int i;

	if (nparams > PGSQL_MAX_PARAMS) {
		snprintf(store->reason, sizeof(store->reason),
			 "too many parameters (%u)", nparams);
		return -1;
	}
	/* The server restarted or the network broke since the last
	   statement: one reconnect, so a long-running daemon heals. */
	if (PQstatus(pstore->conn) != CONNECTION_OK)
		PQreset(pstore->conn);
	/* Typed parameters: PostgreSQL need not guess from context. */
	for (i = 0; i < nparams; i++) {
		if (params[i].type == MS_SQL_INT) {
			snprintf(nums[i], sizeof(nums[i]), "%lld",
				 (long long)params[i].i);
			values[i] = nums[i];
			types[i] = PG_INT8OID;
		} else {
			values[i] = params[i].s;
			types[i] = PG_TEXTOID;
		}
	}
	res = PQexecParams(pstore->conn, sql, (int)nparams, types, values,
			   NULL, NULL, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
		nrows = PQntuples(res);
		ncols = PQnfields(res);
		if (ncols > PGSQL_MAX_COLUMNS)
			ncols = PGSQL_MAX_COLUMNS;
		for (row = 0; row < nrows && row_cb != NULL && ret == 0; row++) {
			for (col = 0; col < ncols; col++) {
				cols[col] = PQgetisnull(res, row, col) ? NULL :
					PQgetvalue(res, row, col);
			}
			if (row_cb(ctx, cols, (unsigned int)ncols) != 0)
				ret = 1;
		}
		/* fall through */
	case PGRES_COMMAND_OK:
		if (changes_r != NULL)
			*changes_r = strtoull(PQcmdTuples(res), NULL, 10);
		break;
	default:
		pgsql_set_reason(store->reason, sizeof(store->reason),
				 res != NULL ? PQresultErrorMessage(res) :
				 PQerrorMessage(pstore->conn),
				 pstore->secrets);
		ret = -1;
		break;
	}
	PQclear(res);
	return ret;
}

/* For this session only (a reconnect goes back to the server's default,
   the safe side): not durable, a commit returns before its WAL record is
   flushed; a crash of the server may lose it, never the consistency. */
static int pgsql_store_set_durable(struct ms_store *store, bool durable)
{
	return pgsql_store_query(store, durable ?
				 "SET synchronous_commit = on" :
				 "SET synchronous_commit = off",
				 NULL, 0, NULL, NULL, NULL) < 0 ? -1 : 0;
}

static const char *const pgsql_begin_schema[] = {
	/* CREATE TABLE IF NOT EXISTS is not safe against a concurrent
	   CREATE: serialize schema changes (two init-store runs at once) on
	   an advisory lock (0x6d73 = "ms"), released at COMMIT or
	   ROLLBACK. */
	"BEGIN", "SELECT pg_advisory_xact_lock(28019)", NULL
};

const struct ms_store_vfuncs ms_store_pgsql = {
	.name = "pgsql",
	.begin_schema = pgsql_begin_schema,
	/* the database's default collation may ignore case and
	   punctuation: status -A lists in the same order everywhere */
	.collate_bytes = " COLLATE \"C\"",
	/* the roles of the plugin and of mailshift-policyd need not
	   create or alter tables: "mailshift-policyd init-store" does,
	   once, with the owner role */
	.schema_at_open = false,
	.open = pgsql_store_open,
	.close = pgsql_store_close,
	.set_durable = pgsql_store_set_durable,
	.query = pgsql_store_query,
};
