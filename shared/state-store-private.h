#ifndef MS_STATE_STORE_PRIVATE_H
#define MS_STATE_STORE_PRIVATE_H

/* Backend interface of the state store (like Postfix's DICT or postsrsd's
   database.h).  All SQL lives in state-store.c and is written once for
   both databases: parameters are $1..$n (state-store-sqlite.c maps them to
   ?1..?n), and results come back as text, one row at a time. */

#include <stdbool.h>
#include <stdint.h>

#include "ms-alloc.h"
#include "state-store.h"

enum ms_sql_type { MS_SQL_INT, MS_SQL_TEXT };

struct ms_sql_param {
	enum ms_sql_type type;
	int64_t i;
	const char *s;	/* NULL binds as SQL NULL */
};

/* Called per result row; cols[i] is NULL for SQL NULL.  Returns 0 to go
   on, non-zero to stop the query. */
typedef int ms_sql_row_cb(void *ctx, const char *const *cols,
			  unsigned int ncols);

struct ms_store_vfuncs {
	const char *name;	/* "sqlite", "pgsql": starts error messages */
	/* Statements that open the schema-upgrade transaction, serialized
	   against other processes opening the same store.  NULL-terminated. */
	const char *const *begin_schema;
	/* Appended to ORDER BY user_name: byte order in every database. */
	const char *collate_bytes;
	/* Every open may create or upgrade the schema: whoever may write
	   the store may change its schema anyway (SQLite: the file's
	   permissions).  Where roles keep the two apart (PostgreSQL), only
	   ms_store_open_init() does. */
	bool schema_at_open;

	/* Connects to spec (the URI without "sqlite:" etc.).  Returns 0, or
	   -1 with the reason in reason[reason_size]. */
	int (*open)(const char *spec, struct ms_store **store_r,
		    char *reason, size_t reason_size);
	void (*close)(struct ms_store *store);
	/* ms_store_set_durable(); -1 with the reason in store->reason */
	int (*set_durable)(struct ms_store *store, bool durable);
	/* Runs one statement.  Returns -1 with the reason in store->reason,
	   1 if row_cb stopped it, else 0; *changes_r (may be NULL) gets the
	   number of rows inserted or updated. */
	int (*query)(struct ms_store *store, const char *sql,
		     const struct ms_sql_param *params, unsigned int nparams,
		     ms_sql_row_cb *row_cb, void *ctx, uint64_t *changes_r);
};

struct ms_store {
	const struct ms_store_vfuncs *v;
	char reason[512];	/* backend's last failure reason */
	char error[1024];	/* what error_r points to */
	char *holder;		/* what ms_store_user_lock()'s holder_r
				   points to */
	/* this open may create and change tables (schema_at_open, or
	   ms_store_open_init()) */
	bool schema_writer;
};

/* A NULL string binds as SQL NULL. */
#define P_TEXT(str) { .type = MS_SQL_TEXT, .s = (str) }
#define P_INT(num) { .type = MS_SQL_INT, .i = (int64_t)(num) }
#define N_PARAMS(arr) (unsigned int)(sizeof(arr) / sizeof((arr)[0]))

extern const struct ms_store_vfuncs ms_store_sqlite;
extern const struct ms_store_vfuncs ms_store_pgsql;

/* Runs a statement without result rows: as v->query().  Returns 0 or -1. */
int ms_store_exec(struct ms_store *store, const char *sql,
		  const struct ms_sql_param *params, unsigned int nparams,
		  uint64_t *changes_r);
/* Sets *error_r to "<backend>: <what> user=<user>: <store->reason>",
   kept in store->error.  Returns -1. */
int ms_store_fail(struct ms_store *store, const char *what,
		  const char *user, const char **error_r);

/* How an error about the schema ends, from store->reason (the database's
   own words): what to run or what to grant, or "". */
const char *ms_store_schema_hint(const struct ms_store *store);

#endif
