/* state-store-sqlite.c: the SQLite backend, for a single host, tests and
   demos.  WAL mode lets the policy service read while a pass writes; the
   busy timeout makes writers from several processes queue instead of
   failing with "database is locked". */

/* mkostemp() */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state-store-private.h"

#define SQLITE_BUSY_TIMEOUT_MSECS 10000
#define SQLITE_BUSY_RETRY_MSECS 5
/* More than the users table has. */
#define SQLITE_MAX_COLUMNS 32
/* Every mailshift program reads and writes the store: root's policy
   daemon and the mail user's Dovecot processes, through the directory's
   owner and group.  Never world-readable: it names every user. */
#define SQLITE_STORE_MODE 0660

struct sqlite_store {
	struct ms_store store;
	sqlite3 *db;
};

/* journal_mode is persistent: a no-op after the first open, which
   sqlite_store_create() made.  But a store made by an earlier mailshift
   may switch here, and with another process opening it at the same
   instant (a login's pass and an admin's status) that can fail at once
   with SQLITE_BUSY (SQLite does not wait where two lock upgrades could
   deadlock), or with SQLITE_CANTOPEN while the other, as root, has just
   made a -wal or -shm file it has not yet given the store's owner.  The
   other side is done a moment later, so try again for as long as the
   busy timeout. */
static int sqlite_store_use_wal(sqlite3 *db)
{
	unsigned int waited_msecs = 0;
	int rc;

	for (;;) {
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL,
				  NULL);
		if ((rc != SQLITE_BUSY && rc != SQLITE_CANTOPEN) ||
		    waited_msecs >= SQLITE_BUSY_TIMEOUT_MSECS)
			return rc;
		usleep(SQLITE_BUSY_RETRY_MSECS * 1000);
		waited_msecs += SQLITE_BUSY_RETRY_MSECS;
	}
}

/* Wait for another process's write a millisecond at a time: SQLite's
   own busy handler sleeps ever longer, up to a tenth of a second, while
   the write it waits for takes well under a millisecond, and every pass
   of a host writes to the store. */
static int sqlite_store_busy(void *context, int count)
{
	if (count >= SQLITE_BUSY_TIMEOUT_MSECS)
		return 0;
	usleep(1000);
	return 1;
}

/* The files SQLite keeps beside the store in WAL mode.  They are made
   with the store (sqlite_store_create()) and never removed
   (SQLITE_FCNTL_PERSIST_WAL): SQLite itself would create them as whoever
   opens the store first after its last close, and as root it gives them
   the store's owner only after creating them, so that a mail user's
   process opening them in between would find them root's and fail. */
static const char *const sqlite_store_wal_suffixes[] = { "-wal", "-shm" };

/* buf = path's file of suffix; FALSE if it does not fit. */
static bool sqlite_store_aux_path(char *buf, size_t size, const char *path,
				  const char *suffix)
{
	return snprintf(buf, size, "%s%s", path, suffix) < (int)size;
}

/* A new store at tmp, in WAL mode before anyone else can open it: SQLite
   removes the -wal file of an empty database at its first open. */
static int sqlite_store_init_wal(const char *tmp, char *reason,
				 size_t reason_size)
{
	char aux[PATH_MAX + 16];
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL,
				  NULL);
	if (rc != SQLITE_OK) {
		snprintf(reason, reason_size, "create %s: %s", tmp, db == NULL ?
			 sqlite3_errstr(rc) : sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	for (unsigned int i = 0; i < N_PARAMS(sqlite_store_wal_suffixes); i++) {
		if (sqlite_store_aux_path(aux, sizeof(aux), tmp,
					  sqlite_store_wal_suffixes[i]))
			(void)unlink(aux);
	}
	return rc == SQLITE_OK ? 0 : -1;
}

/* Creates the file at path, SQLITE_STORE_MODE, with the owner and group
   of its directory: whoever creates the store first, root or the mail
   user, the other can open it.  The file is made complete (the store
   itself in WAL mode, its -wal and -shm files empty) under a temporary
   name and linked into place, so that no other opener ever sees it with
   the creator's umask or owner.  O_EXCL (mkstemp) and link() never
   follow a symbolic link or replace a file, though the directory may be
   writable by the mail user.  A file someone else created meanwhile is
   not an error. */
static int sqlite_store_create(const char *path, bool is_store,
			       char *reason, size_t reason_size)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 8], *slash;
	struct stat dst;
	int fd, ret = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir ? 1 : 0] = '\0';
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)
	    || stat(dir, &dst) < 0 || (fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		snprintf(reason, reason_size, "%s", strerror(errno));
		return -1;
	}
	/* As another user only the group can follow the directory's, and
	   only when we belong to it; otherwise the file keeps ours. */
	if (fchown(fd, geteuid() == 0 ? dst.st_uid : (uid_t)-1,
		   dst.st_gid) < 0 && geteuid() == 0)
		ret = -1;
	if (ret == 0 && fchmod(fd, SQLITE_STORE_MODE) < 0)
		ret = -1;
	/* -2: failed with the reason set */
	if (ret == 0 && is_store &&
	    sqlite_store_init_wal(tmp, reason, reason_size) < 0)
		ret = -2;
	if (ret == 0 && link(tmp, path) < 0 && errno != EEXIST)
		ret = -1;
	if (ret == -1)
		snprintf(reason, reason_size, "create %s: %s", tmp,
			 strerror(errno));
	close(fd);
	(void)unlink(tmp);
	return ret < 0 ? -1 : 0;
}

/* Checks that path is a plain file this process may read and write,
   creating it when missing, and says what to fix when not.  aux: "-wal"
   or "-shm" for those files of the store, NULL for the store. */
static int sqlite_store_check_one(const char *path, const char *aux,
				  char *reason, size_t reason_size)
{
	char what[32] = "";
	struct stat st;
	int fd;

	if (aux != NULL)
		snprintf(what, sizeof(what), "its %s file", aux);
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (sqlite_store_create(path, aux == NULL, reason,
					reason_size) < 0)
			return -1;
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0 && errno == ELOOP) {
		if (aux == NULL) {
			snprintf(reason, reason_size, "is a symbolic link: "
				 "refusing it (the store must be a plain "
				 "file)");
		} else {
			snprintf(reason, reason_size, "%s is a symbolic link: "
				 "refusing it (the store's -wal and -shm files "
				 "must be plain files)", what);
		}
		return -1;
	}
	if (fd < 0 && errno == EACCES) {
		if (aux == NULL) {
			snprintf(reason, reason_size, "%s (every mailshift "
				 "program reads and writes the store: give it "
				 "the owner and group of its directory, mode "
				 "%04o)", strerror(errno), SQLITE_STORE_MODE);
		} else {
			snprintf(reason, reason_size, "%s: %s (every mailshift "
				 "program reads and writes the store and its "
				 "-wal and -shm files: give them the owner and "
				 "group of their directory, mode %04o)", what,
				 strerror(errno), SQLITE_STORE_MODE);
		}
		return -1;
	}
	if (fd < 0) {
		snprintf(reason, reason_size, "%s%s%s", what,
			 aux == NULL ? "" : ": ", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(reason, reason_size, "%s%snot a plain file", what,
			 aux == NULL ? "" : " is ");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The store at path and its -wal and -shm files, as
   sqlite_store_check_one(). */
static int sqlite_store_check_file(const char *path, char *reason,
				   size_t reason_size)
{
	char aux[PATH_MAX + 16];

	if (sqlite_store_check_one(path, NULL, reason, reason_size) < 0)
		return -1;
	for (unsigned int i = 0; i < N_PARAMS(sqlite_store_wal_suffixes); i++) {
		if (!sqlite_store_aux_path(aux, sizeof(aux), path,
					   sqlite_store_wal_suffixes[i])) {
			snprintf(reason, reason_size, "path too long");
			return -1;
		}
		if (sqlite_store_check_one(aux, sqlite_store_wal_suffixes[i],
					   reason, reason_size) < 0)
			return -1;
	}
	return 0;
}

static int sqlite_store_open(const char *path, struct ms_store **store_r,
			     char *reason, size_t reason_size)
{
	struct sqlite_store *sstore;
	sqlite3 *db = NULL;
	int rc;

	if (*path == '\0') {
		snprintf(reason, reason_size, "empty path");
		return -1;
	}
	if (sqlite_store_check_file(path, reason, reason_size) < 0)
		return -1;

	/* SQLite opens the -wal and -shm files with O_NOFOLLOW; NOFOLLOW
	   here too: the file checked above may have been replaced by a link
	   since.  They persist past the last close, as they were made. */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc == SQLITE_OK) {
		int persist = 1;

		rc = sqlite3_file_control(db, NULL, SQLITE_FCNTL_PERSIST_WAL,
					  &persist);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_handler(db, sqlite_store_busy, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite_store_use_wal(db);
	/* a close that checkpoints empties the -wal file it keeps */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_size_limit=1048576",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(reason, reason_size, "%s", db == NULL ?
			 sqlite3_errstr(rc) : sqlite3_errmsg(db));
		/* a failed open still allocates the handle */
		sqlite3_close(db);
		return -1;
	}
	sstore = ms_xcalloc(1, sizeof(*sstore));
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
   next process to open the store reads that log through, so it is
   checkpointed when it reaches 64 pages, a dozen passes, not at
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
	char *qsql = ms_xstrdup(sql);
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
	.schema_at_open = true,
	.open = sqlite_store_open,
	.close = sqlite_store_close,
	.set_durable = sqlite_store_set_durable,
	.query = sqlite_store_query,
};
