#ifndef MS_STATE_STORE_H
#define MS_STATE_STORE_H

/* The per-user state every mailshift program shares (locks and passes:
   state-store-lock.h, state-store-pass.h).  On -1, *error_r is "<what
   failed> <object>: <reason>" without passwords, valid until the next call
   on the store.  A failed lookup is never "not found": tempfail on -1.
   One thread at a time per store. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "user-state.h"

struct ms_store;

/* Counters of one copy pass.  msgs_done counts the messages handled of
   msgs_total, also those an earlier pass had copied; msgs_copied and
   bytes_done count what this pass copied. */
struct ms_progress {
	unsigned int folders_done, folders_total;
	uint64_t msgs_done, msgs_total;
	uint64_t bytes_done, bytes_total;
	uint64_t msgs_copied;
};

struct ms_user_record {
	char *user;
	enum ms_user_state state;
	char *reason;		/* last failure, NULL if none */
	time_t state_changed;	/* see ms_store_user_set_state() */
	time_t last_pass_started, last_pass_finished; /* 0 = never */
	struct ms_progress progress; /* of the running or last pass */
	double rate_bytes_per_sec;   /* callers derive the ETA from it */
	uint64_t msgs_copied_total, bytes_copied_total; /* all passes */
	unsigned int failures;	/* consecutive, for retry backoff */
	char *lock_owner;	/* NULL if unlocked; may be a stale lease */
	time_t lock_expires;
};

/* Opens "sqlite:/path/state.db", "pgsql:<libpq conninfo>" or
   "postgresql://...", and checks that its schema is this mailshift's.
   Returns 0 and *store_r, or -1 and *error_r (a thread-local buffer valid
   until the next open).

   PostgreSQL: the schema is never changed here, so that the roles of the
   plugin and of mailshift-policyd need no right to create or alter
   tables.  A schema that is missing or older fails, naming "mailshift-
   policyd init-store" (ms_store_open_init()), the one-time step with the
   store's owner role.

   SQLite: root's daemons and the mail user's Dovecot processes share the
   file, whichever creates it.  The directory must exist; its owner and
   group decide who may use the store.  A new file is created mode 0660
   (whatever the umask; never world-readable, it names every user) with
   the directory's owner and group when root creates it, and with the
   directory's group when another user who belongs to that group does.
   SQLite's -wal and -shm files are made with it, the same way, and kept
   past every close, so that none is ever root's while a mail user's
   process opens it.  None is ever reached through a symbolic link (an
   error), nor created over an existing file, so root may open a store
   in a directory the mail user can write.  A file the caller may not
   read and write fails with "Permission denied" and what to change.  Its
   schema is created or upgraded here: SQLite has no roles, whoever may
   write the file may change its schema anyway.
   Returns 0; -1 with *error_r when the store cannot be reached or read
   now (try later); -2 with *error_r when it cannot be used as set up (an
   unknown store type; a schema missing, older or newer than this
   mailshift's; a role without the rights it needs): an admin must act. */
int ms_store_open(const char *uri, struct ms_store **store_r,
		  const char **error_r);
/* The same, creating or upgrading the schema in every backend: for
   "mailshift-policyd init-store", with the store's owner role. */
int ms_store_open_init(const char *uri, struct ms_store **store_r,
		       const char **error_r);
/* Whether a commit waits until it is on disk (the default).  A store that
   does not keeps its consistency, and keeps every commit across a killed
   process, but may lose its last commits to a power failure or an OS
   crash: for writers whose own data the same crash would lose too (a copy
   pass writing mail with mail_fsync = never).  SQLite: synchronous FULL or
   NORMAL (with WAL); PostgreSQL: synchronous_commit on or off for this
   session.  Returns 0 or -1 with *error_r. */
int ms_store_set_durable(struct ms_store *store, bool durable,
			 const char **error_r);

/* Copies str (a store URI, a conninfo or a message quoting one) to
   dest[size] with its secrets replaced by "********": password=... (bare
   or quoted) and the password of scheme://user:pw@.  For whatever shows
   a store's URI to a user, a log or a terminal. */
void ms_store_mask_secrets(const char *str, char *dest, size_t size);

/* Closes the store and sets *store to NULL; NULL-tolerant. */
void ms_store_close(struct ms_store **store);

/* Returns 1 and a record to free with ms_user_record_free(), 0 if there
   is no such user (*rec_r = NULL), -1 on error. */
int ms_store_user_get(struct ms_store *store, const char *user,
		      struct ms_user_record **rec_r, const char **error_r);
/* Frees the record and sets *rec to NULL; NULL-tolerant. */
void ms_user_record_free(struct ms_user_record **rec);

/* Creates or updates the user with state and reason (NULL clears it).
   FAILED increments failures, any other state resets them to 0.
   state_changed is set to now when the state differs or is FAILED.
   Returns 0 on success, -1 on error. */
int ms_store_user_set_state(struct ms_store *store, const char *user,
			    enum ms_user_state state, const char *reason,
			    const char **error_r);

/* Calls cb for every user in byte order of the name; rec is only valid
   during the call.  cb returns 0 to go on, non-zero to stop.  Returns 0
   when all were seen, 1 if cb stopped, -1 on error (after some calls). */
int ms_store_users_iter(struct ms_store *store,
			int (*cb)(const struct ms_user_record *rec, void *ctx),
			void *ctx, const char **error_r);

#endif
