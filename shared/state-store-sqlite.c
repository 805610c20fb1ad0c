/* state-store-sqlite.c: the SQLite backend, for a single host, tests and
   demos.  WAL mode lets the policy service read while a pass writes; the
   busy timeout makes writers from several processes queue instead of
   failing with "database is locked". */

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state-store-private.h"

#define SQLITE_BUSY_TIMEOUT_MSECS 10000
#define SQLITE_BUSY_RETRY_MSECS 5
/* More than the users table has. */
#define SQLITE_MAX_COLUMNS 32

struct sqlite_store {
	struct ms_store store;
	sqlite3 *db;
};

/* journal_mode is persistent: a no-op after the first open.  But the
   first switch of a new file, with another process opening it at the same
   instant (a login's pass and an admin's status), can fail at once with
   SQLITE_BUSY: SQLite does not wait where two lock upgrades could
   deadlock.  The other side's switch is done a moment later, so try again
   for as long as the busy timeout. */
static int sqlite_store_use_wal(sqlite3 *db)
{
	unsigned int waited_msecs = 0;
	int rc;

	for (;;) {
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL,
				  NULL);
		if (rc != SQLITE_BUSY ||
		    waited_msecs >= SQLITE_BUSY_TIMEOUT_MSECS)
			return rc;
		usleep(SQLITE_BUSY_RETRY_MSECS * 1000);
		waited_msecs += SQLITE_BUSY_RETRY_MSECS;
	}
}

static int sqlite_store_open(const char *path, struct ms_store **store_r,
			     char *reason, size_t reason_size)
{
	struct sqlite_store *sstore;
	sqlite3 *db = NULL;
	int fd, rc;

	if (*path == '\0') {
		snprintf(reason, reason_size, "empty path");
		return -1;
	}
	/* Create the file ourselves: SQLite would use 0644, and the store
	   names every user being migrated.  SQLite gives the -wal and
	   -shm files the mode of the database. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(reason, reason_size, "%s", strerror(errno));
		return -1;
	}
	close(fd);

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, SQLITE_BUSY_TIMEOUT_MSECS);
	if (rc == SQLITE_OK)
		rc = sqlite_store_use_wal(db);
	if (rc != SQLITE_OK) {
		snprintf(reason, reason_size, "%s", db == NULL ?
			 sqlite3_errstr(rc) : sqlite3_errmsg(db));
		/* a failed open still allocates the handle */
		sqlite3_close(db);
		return -1;
	}
	sstore = ms_store_xcalloc(sizeof(*sstore));
	sstore->db = db;
	*store_r = &sstore->store;
	return 0;
}

static void sqlite_store_close(struct ms_store *store)
{
	struct sqlite_store *sstore = (struct sqlite_store *)store;

	sqlite3_close(sstore->db);
	free(sstore);
}

/* Not durable: with WAL, synchronous NORMAL syncs at checkpoints only, and
   the last process to close the store leaves the log to the next
   checkpoint instead of checkpointing, syncing and deleting it (and the
   next process creating it again, syncing its directory).  Commits are
   then plain writes, yet a crash of the process still loses none.  The
   next process to open the store reads that log through (~1 ms per MB),
   so it is checkpointed when it reaches 64 pages, a dozen passes, not at
   SQLite's default of 1000. */
static int sqlite_store_set_durable(struct ms_store *store, bool durable)
{
	struct sqlite_store *sstore = (struct sqlite_store *)store;
	int rc;

	rc = sqlite3_exec(sstore->db, durable ?
			  "PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=1000" :
			  "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=64",
			  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(sstore->db,
				       SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
				       durable ? 0 : 1, (int *)NULL);
	if (rc != SQLITE_OK) {
		snprintf(store->reason, sizeof(store->reason), "%s",
			 sqlite3_errmsg(sstore->db));
		return -1;
	}
	return 0;
}

static int sqlite_store_bind(sqlite3_stmt *stmt,
			     const struct ms_sql_param *params,
			     unsigned int nparams)
{
	unsigned int i;
	int rc = SQLITE_OK;

	for (i = 0; i < nparams && rc == SQLITE_OK; i++) {
		if (params[i].type == MS_SQL_INT)
			rc = sqlite3_bind_int64(stmt, i + 1, params[i].i);
		else if (params[i].s == NULL)
			rc = sqlite3_bind_null(stmt, i + 1);
		else
			rc = sqlite3_bind_text(stmt, i + 1, params[i].s, -1,
					       SQLITE_STATIC);
	}
	return rc;
}

static int sqlite_store_query(struct ms_store *store, const char *sql,
			      const struct ms_sql_param *params,
			      unsigned int nparams, ms_sql_row_cb *row_cb,
			      void *ctx, uint64_t *changes_r)
{
	struct sqlite_store *sstore = (struct sqlite_store *)store;
	const char *cols[SQLITE_MAX_COLUMNS];
	sqlite3_stmt *stmt = NULL;
	char *qsql = ms_store_xstrdup(sql);
	int rc, ret = 0, i, ncols;

	/* $1 is PostgreSQL's spelling of SQLite's ?1; the shared SQL has
	   no other '$'. */
	for (char *p = qsql; (p = strchr(p, '$')) != NULL; p++)
		*p = '?';
	rc = sqlite3_prepare_v2(sstore->db, qsql, -1, &stmt, NULL);
	free(qsql);
	if (rc == SQLITE_OK)
		rc = sqlite_store_bind(stmt, params, nparams);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(stmt);
		if (rc != SQLITE_ROW || row_cb == NULL)
			continue;
		ncols = sqlite3_column_count(stmt);
		if (ncols > SQLITE_MAX_COLUMNS)
			ncols = SQLITE_MAX_COLUMNS;
		for (i = 0; i < ncols; i++)
			cols[i] = (const char *)sqlite3_column_text(stmt, i);
		if (row_cb(ctx, cols, ncols) != 0) {
			ret = 1;
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		snprintf(store->reason, sizeof(store->reason), "%s",
			 sqlite3_errmsg(sstore->db));
		ret = -1;
	}
	if (changes_r != NULL)
		*changes_r = (uint64_t)sqlite3_changes(sstore->db);
	sqlite3_finalize(stmt);
	return ret;
}

static const char *const sqlite_begin_schema[] = {
	/* IMMEDIATE: take the write lock now, or two opening processes
	   would both read version 0 and both create the tables */
	"BEGIN IMMEDIATE", NULL
};

const struct ms_store_vfuncs ms_store_sqlite = {
	.name = "sqlite",
	.begin_schema = sqlite_begin_schema,
	/* SQLite's default collation is already byte order */
	.collate_bytes = "",
	.open = sqlite_store_open,
	.close = sqlite_store_close,
	.set_durable = sqlite_store_set_durable,
	.query = sqlite_store_query,
};
