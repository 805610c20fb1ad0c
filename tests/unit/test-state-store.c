/* test-state-store.c: state-store*.c, the per-user state store.

   The store cases run against SQLite always and, when MS_TEST_PGSQL_URI is
   set (tests/unit/run-pgsql-tests does it), against that real PostgreSQL
   too: both backends must behave the same.  Each case starts from an
   empty store (Setup), makes its calls (Run) and describes what it saw as
   one line, compared with the case's want (Verify). */

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../shared/state-store-lock.h"
#include "../../shared/state-store-pass.h"
#include "../../shared/state-store.h"
#include "ms-test.h"

#define SECRET "S3cr3tPw"
#define REASON "imap: connect old.example.org:993: Connection refused"

struct store_case {
	const char *name;
	/* Setup beyond the empty store; may be NULL */
	void (*setup)(struct ms_store *store);
	/* Run: the calls under test, described into got ... */
	void (*run)(struct ms_store *store, char *got, size_t size);
	/* ... or these steps on SCRIPT_USER (run_script()), after which
	   the describe fields of the user are appended */
	const char *script;
	unsigned int describe;
	const char *want;
};

static char tmpdir[256];
static time_t case_started;
static unsigned int case_counter;

static void __attribute__((format(printf, 3, 4)))
gotf(char *got, size_t size, const char *fmt, ...)
{
	size_t len = strlen(got);
	va_list args;

	va_start(args, fmt);
	vsnprintf(got + len, size - len, fmt, args);
	va_end(args);
}

/* Fails the case (in Setup) when a call that must work did not. */
#define must(ret, error) do { \
	if ((ret) < 0) \
		ms_test_fail_at(__FILE__, __LINE__, (error), "success"); \
	} while (0)

/* "now" if t lies within the case's run, else the number */
static void got_time(char *got, size_t size, const char *label, time_t t)
{
	if (t != 0 && t >= case_started && t <= time(NULL))
		gotf(got, size, " %s=now", label);
	else
		gotf(got, size, " %s=%lld", label, (long long)t);
}

static const char *who(const char *owner);

/* Appends error with the temp dir shown as $TMP, so wants are fixed. */
static void got_error(char *got, size_t size, const char *error)
{
	size_t len = strlen(tmpdir);
	const char *p;

	if (error == NULL) {
		gotf(got, size, " error=NULL");
		return;
	}
	gotf(got, size, " error='");
	while ((p = strstr(error, tmpdir)) != NULL) {
		gotf(got, size, "%.*s$TMP", (int)(p - error), error);
		error = p + len;
	}
	gotf(got, size, "%s'", error);
}

enum describe { D_STATE = 1, D_PASS = 2, D_LOCK = 4 };

/* Looks the user up and describes the fields the case is about. */
static void got_user(struct ms_store *store, const char *user,
		     unsigned int what, char *got, size_t size)
{
	struct ms_user_record *rec;
	const char *error;
	const struct ms_progress *p;
	int ret;

	ret = ms_store_user_get(store, user, &rec, &error);
	if (ret <= 0) {
		gotf(got, size, " get=%d", ret);
		if (ret < 0)
			got_error(got, size, error);
		return;
	}
	if ((what & D_STATE) != 0) {
		gotf(got, size, " user=%s state=%s reason=%s failures=%u",
		     rec->user, ms_user_state_to_str(rec->state),
		     rec->reason == NULL ? "NULL" : rec->reason,
		     rec->failures);
		got_time(got, size, "changed", rec->state_changed);
	}
	if ((what & D_PASS) != 0) {
		p = &rec->progress;
		gotf(got, size, " folders=%u/%u msgs=%llu/%llu new=%llu"
		     " bytes=%llu/%llu rate=%s copied=%llu/%llu",
		     p->folders_done, p->folders_total,
		     (unsigned long long)p->msgs_done,
		     (unsigned long long)p->msgs_total,
		     (unsigned long long)p->msgs_copied,
		     (unsigned long long)p->bytes_done,
		     (unsigned long long)p->bytes_total,
		     /* bytes_done over one or two seconds */
		     rec->rate_bytes_per_sec == 0 ? "0" :
		     rec->rate_bytes_per_sec * 2 >= p->bytes_done &&
		     rec->rate_bytes_per_sec <= p->bytes_done ? "ok" : "wrong",
		     (unsigned long long)rec->msgs_copied_total,
		     (unsigned long long)rec->bytes_copied_total);
		got_time(got, size, "started", rec->last_pass_started);
		got_time(got, size, "finished", rec->last_pass_finished);
	}
	if ((what & D_LOCK) != 0) {
		gotf(got, size, " owner=%s", who(rec->lock_owner));
		/* leases are whole minutes: round up what is left */
		if (rec->lock_expires != 0)
			gotf(got, size, " expires=+%lld",
			     (long long)(rec->lock_expires - time(NULL) + 59) /
			     60 * 60);
	}
	ms_user_record_free(&rec);
	ms_test_assert(rec == NULL);
}

/* --- state --- */

static void run_get_unknown(struct ms_store *store, char *got, size_t size)
{
	struct ms_user_record *rec = NULL;
	const char *error = NULL;
	int ret;

	ret = ms_store_user_get(store, "nobody@example.org", &rec, &error);
	gotf(got, size, "ret=%d rec=%s", ret, rec == NULL ? "NULL" : "set");
}

static void run_set_get(struct ms_store *store, char *got, size_t size)
{
	const char *error;

	gotf(got, size, "set=%d", ms_store_user_set_state(store,
		"alice@example.org", MS_USER_STATE_SYNCING, NULL, &error));
	got_user(store, "alice@example.org", D_STATE, got, size);
}

static void run_not_durable(struct ms_store *store, char *got, size_t size)
{
	const char *error;

	gotf(got, size, "durable=%d",
	     ms_store_set_durable(store, false, &error));
	gotf(got, size, " set=%d", ms_store_user_set_state(store,
		"alice@example.org", MS_USER_STATE_SYNCED, NULL, &error));
	got_user(store, "alice@example.org", D_STATE, got, size);
}

static void run_quote_in_name(struct ms_store *store, char *got, size_t size)
{
	const char *error;

	gotf(got, size, "set=%d", ms_store_user_set_state(store,
		"o'brien\"; DROP TABLE users;--@example.org",
		MS_USER_STATE_FINAL_SYNC, NULL, &error));
	got_user(store, "o'brien\"; DROP TABLE users;--@example.org",
		 D_STATE, got, size);
}

static void run_failed_twice(struct ms_store *store, char *got, size_t size)
{
	const char *error;

	must(ms_store_user_set_state(store, "bob@example.org",
		MS_USER_STATE_FAILED, "first", &error), error);
	must(ms_store_user_set_state(store, "bob@example.org",
		MS_USER_STATE_FAILED, REASON, &error), error);
	got_user(store, "bob@example.org", D_STATE, got, size);
}

static void run_failed_then_synced(struct ms_store *store, char *got,
				   size_t size)
{
	const char *error;

	must(ms_store_user_set_state(store, "bob@example.org",
		MS_USER_STATE_FAILED, REASON, &error), error);
	must(ms_store_user_set_state(store, "bob@example.org",
		MS_USER_STATE_SYNCED, NULL, &error), error);
	got_user(store, "bob@example.org", D_STATE, got, size);
}

/* --- passes and locks: cases as scripts of steps on one user --- */

#define SCRIPT_USER "erin@example.org"

/* Owner names a script can use; filled in by owners_init(). */
static struct {
	const char *label;
	char name[300];
} owners[] = {
	{ "me", "" },		/* this process */
	{ "other", "" },	/* a pass on another host */
	{ "dead", "" },		/* an exited process on this host */
	{ "dead-elsewhere", "" }, /* the same pid, but on another host */
	{ "parent", "" },	/* a live process on this host */
};
#define OWNER_COUNT (sizeof(owners) / sizeof(owners[0]))

static void owners_init(void)
{
	char host[256];
	pid_t pid;

	ms_store_lock_owner(owners[0].name, sizeof(owners[0].name));
	snprintf(owners[1].name, sizeof(owners[1].name), "%s",
		 "old-mx.example.org:4242");
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(owners[2].name, sizeof(owners[2].name), "%s:%ld", host,
		 (long)pid);
	/* a pid on another host says nothing about this host's pids */
	snprintf(owners[3].name, sizeof(owners[3].name),
		 "old-mx.example.org:%ld", (long)pid);
	snprintf(owners[4].name, sizeof(owners[4].name), "%s:%ld", host,
		 (long)getppid());
}

/* The label of an owner name: "me", "other", ... */
static const char *who(const char *owner)
{
	unsigned int i;

	if (owner == NULL)
		return "NULL";
	for (i = 0; i < OWNER_COUNT; i++) {
		if (strcmp(owners[i].name, owner) == 0)
			return owners[i].label;
	}
	return owner;
}

static const char *owner_name(const char *label)
{
	unsigned int i;

	for (i = 0; i < OWNER_COUNT; i++) {
		if (strcmp(owners[i].label, label) == 0)
			return owners[i].name;
	}
	return label;
}

static const struct {
	const char *label;
	struct ms_progress p;
} progresses[] = {
	/* folders, messages handled, bytes copied, messages copied */
	{ "part", { 1, 3, 10, 30, 1000, 3000, 8 } },
	{ "full", { 2, 2, 10, 10, 1000, 1000, 10 } },
	{ "delta", { 1, 2, 5, 5, 200, 200, 2 } },
};

static const struct ms_progress *progress_named(const char *label)
{
	static const struct ms_progress none;
	unsigned int i;

	for (i = 0; i < sizeof(progresses) / sizeof(progresses[0]); i++) {
		if (strcmp(progresses[i].label, label) == 0)
			return &progresses[i].p;
	}
	return &none;
}

/* Runs one step "op[:arg[:lease]]" and appends "op=<return>". */
static void script_step(struct ms_store *store, const char *op,
			const char *arg, unsigned int lease, char *got,
			size_t size)
{
	const char *error = NULL, *holder = NULL;
	enum ms_user_state state;
	int ret;

	if (strcmp(op, "sleep") == 0) {
		sleep(lease);
		return;
	} else if (strcmp(op, "state") == 0) {
		ret = ms_user_state_from_str(arg, &state) ?
			ms_store_user_set_state(store, SCRIPT_USER, state,
						NULL, &error) : -2;
	} else if (strcmp(op, "begin") == 0) {
		ret = ms_store_user_pass_begin(store, SCRIPT_USER, &error);
	} else if (strcmp(op, "progress") == 0) {
		ret = ms_store_user_progress(store, SCRIPT_USER,
					     progress_named(arg), &error);
	} else if (strcmp(op, "end") == 0) {
		ret = ms_store_user_pass_end(store, SCRIPT_USER,
					     progress_named(arg), &error);
	} else if (strcmp(op, "lock") == 0) {
		ret = ms_store_user_lock(store, SCRIPT_USER, owner_name(arg),
					 lease, &holder, &error);
	} else if (strcmp(op, "refresh") == 0) {
		ret = ms_store_user_lock_refresh(store, SCRIPT_USER,
						 owner_name(arg), lease,
						 &error);
	} else if (strcmp(op, "unlock") == 0) {
		ret = ms_store_user_unlock(store, SCRIPT_USER, owner_name(arg),
					   &error);
	} else {
		ret = -2;	/* a typo in the script */
	}
	gotf(got, size, "%s%s=%d", got[0] == '\0' ? "" : " ", op, ret);
	if (holder != NULL)
		gotf(got, size, " holder=%s", who(holder));
	if (ret == -1)
		got_error(got, size, error);
}

/* Runs a script such as "begin end:full lock:me:60 sleep:2". */
static void run_script(struct ms_store *store, const char *script,
		       char *got, size_t size)
{
	char *copy = strdup(script), *save = NULL, *step, *arg, *lease;

	for (step = strtok_r(copy, " ", &save); step != NULL;
	     step = strtok_r(NULL, " ", &save)) {
		if ((arg = strchr(step, ':')) != NULL)
			*arg++ = '\0';
		if (arg != NULL && (lease = strchr(arg, ':')) != NULL)
			*lease++ = '\0';
		else
			lease = NULL;
		if (strcmp(step, "sleep") == 0)
			lease = arg;
		script_step(store, step, arg == NULL ? "" : arg,
			    lease == NULL ? 0 : (unsigned int)atoi(lease),
			    got, size);
	}
	free(copy);
}

/* --- iteration --- */

struct iter_ctx {
	char *got;
	size_t size;
	int stop_after;
};

static int iter_cb(const struct ms_user_record *rec, void *context)
{
	struct iter_ctx *ctx = context;

	gotf(ctx->got, ctx->size, " %s=%s", rec->user,
	     ms_user_state_to_str(rec->state));
	return --ctx->stop_after == 0 ? 1 : 0;
}

static void setup_five_users(struct ms_store *store)
{
	static const char *const users[] = {
		"carol", "alice.smith", "bob", "Bob", "alice"
	};
	const char *error;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		must(ms_store_user_set_state(store, users[i],
			(enum ms_user_state)i, NULL, &error), error);
	}
}

static void run_iter(struct ms_store *store, char *got, size_t size)
{
	struct iter_ctx ctx = { got, size, -1 };
	const char *error;
	int ret;

	ret = ms_store_users_iter(store, iter_cb, &ctx, &error);
	gotf(got, size, " iter=%d", ret);
}

static void run_iter_stop(struct ms_store *store, char *got, size_t size)
{
	struct iter_ctx ctx = { got, size, 2 };
	const char *error;
	int ret;

	ret = ms_store_users_iter(store, iter_cb, &ctx, &error);
	gotf(got, size, " iter=%d", ret);
}

/* Fields: name, setup, run, script, describe, want. */
static const struct store_case store_cases[] = {
	{ "get unknown user -> 0, no record", NULL, run_get_unknown, NULL, 0,
	  "ret=0 rec=NULL" },
	{ "set state, get -> same state, changed now", NULL, run_set_get,
	  NULL, 0,
	  "set=0 user=alice@example.org state=syncing reason=NULL failures=0"
	  " changed=now" },
	{ "not durable -> commits as before", NULL, run_not_durable, NULL,
	  0, "durable=0 set=0 user=alice@example.org state=synced reason=NULL"
	  " failures=0 changed=now" },
	{ "quotes in the user name are data, not SQL", NULL,
	  run_quote_in_name, NULL, 0,
	  "set=0 user=o'brien\"; DROP TABLE users;--@example.org"
	  " state=final-sync reason=NULL failures=0 changed=now" },
	{ "failed twice -> failures=2, last reason kept", NULL,
	  run_failed_twice, NULL, 0,
	  " user=bob@example.org state=failed reason=" REASON
	  " failures=2 changed=now" },
	{ "failed then synced -> failures and reason reset", NULL,
	  run_failed_then_synced, NULL, 0,
	  " user=bob@example.org state=synced reason=NULL failures=0"
	  " changed=now" },

	{ "pass begin on a new user -> pending user, pass started", NULL,
	  NULL, "begin", D_STATE | D_PASS,
	  "begin=0 user=erin@example.org state=pending reason=NULL"
	  " failures=0 changed=now folders=0/0 msgs=0/0 new=0 bytes=0/0"
	  " rate=0 copied=0/0 started=now finished=0" },
	{ "progress -> counters and rate, totals unchanged", NULL, NULL,
	  "begin progress:part", D_PASS,
	  "begin=0 progress=1 folders=1/3 msgs=10/30 new=8 bytes=1000/3000"
	  " rate=ok copied=0/0 started=now finished=0" },
	{ "progress for an unknown user -> 0", NULL, NULL,
	  "progress:part", 0, "progress=0" },
	{ "progress without a running pass -> 0", NULL, NULL,
	  "state:synced progress:part", 0, "state=0 progress=0" },
	{ "two passes -> cumulative totals add up", NULL, NULL,
	  "begin end:full begin end:delta", D_PASS,
	  "begin=0 end=1 begin=0 end=1 folders=1/2 msgs=5/5 new=2"
	  " bytes=200/200 rate=ok copied=12/1200 started=now finished=now" },
	{ "pass end twice -> counted once", NULL, NULL,
	  "begin end:full end:full", D_PASS,
	  "begin=0 end=1 end=0 folders=2/2 msgs=10/10 new=10"
	  " bytes=1000/1000 rate=ok copied=10/1000 started=now finished=now" },
	{ "killed pass, new begin -> killed pass not in totals", NULL, NULL,
	  "begin progress:full begin end:delta", D_PASS,
	  "begin=0 progress=1 begin=0 end=1 folders=1/2 msgs=5/5 new=2"
	  " bytes=200/200 rate=ok copied=2/200 started=now finished=now" },

	{ "lock a new user -> acquired, pending user created", NULL, NULL,
	  "lock:me:60", D_STATE | D_LOCK,
	  "lock=1 user=erin@example.org state=pending reason=NULL"
	  " failures=0 changed=now owner=me expires=+60" },
	{ "lock held by another host -> 0 and its owner", NULL, NULL,
	  "lock:other:3600 lock:me:60", D_LOCK,
	  "lock=1 lock=0 holder=other owner=other expires=+3600" },
	{ "lock again by the holder -> lease renewed", NULL, NULL,
	  "lock:me:60 lock:me:120", D_LOCK,
	  "lock=1 lock=1 owner=me expires=+120" },
	/* leases count whole seconds: 1 s is over after 2 */
	{ "expired lease -> taken over", NULL, NULL,
	  "lock:other:1 sleep:2 lock:me:60", D_LOCK,
	  "lock=1 lock=1 owner=me expires=+60" },
	{ "holder is a dead pid on this host -> taken over at once", NULL,
	  NULL, "lock:dead:3600 lock:me:60", D_LOCK,
	  "lock=1 lock=1 owner=me expires=+60" },
	{ "dead-looking pid on another host -> still held", NULL, NULL,
	  "lock:dead-elsewhere:3600 lock:me:60", 0,
	  "lock=1 lock=0 holder=dead-elsewhere" },
	{ "holder is a live pid on this host -> still held", NULL, NULL,
	  "lock:parent:3600 lock:me:60", 0, "lock=1 lock=0 holder=parent" },
	{ "unlock by holder only -> lock free for others", NULL, NULL,
	  "lock:me:60 unlock:other unlock:me unlock:me lock:other:60",
	  D_LOCK,
	  "lock=1 unlock=0 unlock=1 unlock=0 lock=1 owner=other"
	  " expires=+60" },
	{ "refresh by holder -> extended; by others -> 0", NULL, NULL,
	  "lock:me:60 refresh:me:600 refresh:other:600", D_LOCK,
	  "lock=1 refresh=1 refresh=0 owner=me expires=+600" },
	{ "refresh after a takeover -> 0, the pass must stop", NULL, NULL,
	  "lock:dead:3600 lock:me:60 refresh:dead:60", D_LOCK,
	  "lock=1 lock=1 refresh=0 owner=me expires=+60" },

	{ "iterate -> all users in byte order of the name",
	  setup_five_users, run_iter, NULL, 0,
	  " Bob=final-sync alice=migrated alice.smith=syncing bob=synced"
	  " carol=pending iter=0" },
	{ "iterate, callback stops -> 1", setup_five_users, run_iter_stop,
	  NULL, 0, " Bob=final-sync alice=migrated iter=1" },
	{ "iterate an empty store -> 0", NULL, run_iter, NULL, 0,
	  " iter=0" },
};

/* --- opening: no store is open during these --- */

static void open_uri(const char *uri, char *got, size_t size)
{
	struct ms_store *store = NULL;
	const char *error = NULL;
	int ret;

	ret = ms_store_open(uri, &store, &error);
	gotf(got, size, "ret=%d", ret);
	if (ret < 0) {
		gotf(got, size, " store=%s", store == NULL ? "NULL" : "set");
		got_error(got, size, error);
	}
	ms_store_close(&store);
}

static void run_open_unknown_scheme(struct ms_store *store, char *got,
				    size_t size)
{
	open_uri("mysql://ms:" SECRET "@db.example.org/mail", got, size);
}

static void run_open_missing_dir(struct ms_store *store, char *got,
				 size_t size)
{
	open_uri("sqlite:/nonexistent-mailshift-test/state.db", got, size);
}

static void run_open_directory(struct ms_store *store, char *got,
			       size_t size)
{
	char uri[300];

	snprintf(uri, sizeof(uri), "sqlite:%s", tmpdir);
	open_uri(uri, got, size);
}

static void run_open_empty_path(struct ms_store *store, char *got,
				size_t size)
{
	open_uri("sqlite:", got, size);
}

static void run_open_not_a_db(struct ms_store *store, char *got, size_t size)
{
	char path[300], uri[310];
	FILE *f;

	snprintf(path, sizeof(path), "%s/junk.db", tmpdir);
	f = fopen(path, "w");
	ms_test_assert(f != NULL);
	for (int i = 0; f != NULL && i < 256; i++)
		fputs("this is not an SQLite database\n", f);
	if (f != NULL)
		fclose(f);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	open_uri(uri, got, size);
}

static void run_open_creates(struct ms_store *store, char *got, size_t size)
{
	char path[300], uri[310];
	const char *error;
	struct stat st;

	snprintf(path, sizeof(path), "%s/new.db", tmpdir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	gotf(got, size, "open=%d", ms_store_open(uri, &store, &error));
	gotf(got, size, " mode=%04o", stat(path, &st) == 0 ?
	     (unsigned int)(st.st_mode & 07777) : 0);
	if (store != NULL)
		must(ms_store_user_set_state(store, "alice", MS_USER_STATE_SYNCED,
					     NULL, &error), error);
	ms_store_close(&store);
	ms_test_assert(store == NULL);
	ms_store_close(&store);
	/* reopening finds the schema and the data */
	gotf(got, size, " reopen=%d", ms_store_open(uri, &store, &error));
	if (store != NULL)
		got_user(store, "alice", D_STATE, got, size);
	ms_store_close(&store);
}

/* How a store file is owned: "dir" when by the owner and group of the
   directory it lives in, else uid:gid; and its mode. */
static void got_file_owner(char *got, size_t size, const char *label,
			   const char *path, const struct stat *dst)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		gotf(got, size, " %s=missing", label);
		return;
	}
	if (st.st_uid == dst->st_uid && st.st_gid == dst->st_gid)
		gotf(got, size, " %s=%04o,dir", label,
		     (unsigned int)(st.st_mode & 07777));
	else
		gotf(got, size, " %s=%04o,%u:%u", label,
		     (unsigned int)(st.st_mode & 07777),
		     (unsigned int)st.st_uid, (unsigned int)st.st_gid);
}

/* The uid the mail user's processes run as in these cases (Debian's
   Dovecot rigs use nobody); only root can become it. */
#define MAIL_UID 65534
#define MAIL_GID 65534

/* A directory of the mail user, as an admin makes /var/lib/mailshift. */
static void make_mail_dir(const char *dir)
{
	ms_test_assert(mkdir(dir, 0770) == 0);
	if (geteuid() == 0)
		ms_test_assert(chown(dir, MAIL_UID, MAIL_GID) == 0);
}

static void remove_store(const char *dir, const char *path)
{
	const char *suffixes[] = { "", "-wal", "-shm", "-journal" };
	char file[400];

	for (unsigned int i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(file, sizeof(file), "%s%s", path, suffixes[i]);
		(void)unlink(file);
	}
	(void)rmdir(dir);
}

/* Dovecot's mail processes run with umask 0077, root's often 0022: the
   store's mode must not depend on either. */
static void run_open_owner_mode(struct ms_store *store, char *got,
				size_t size)
{
	char dir[300], path[320], file[330], uri[330];
	const char *error;
	struct stat dst;
	mode_t old_umask;

	snprintf(dir, sizeof(dir), "%s/owned", tmpdir);
	snprintf(path, sizeof(path), "%s/state.db", dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	make_mail_dir(dir);
	ms_test_assert(stat(dir, &dst) == 0);
	old_umask = umask(0077);
	gotf(got, size, "open=%d", ms_store_open(uri, &store, &error));
	if (store != NULL)
		must(ms_store_user_set_state(store, "alice",
					     MS_USER_STATE_SYNCED, NULL,
					     &error), error);
	got_file_owner(got, size, "db", path, &dst);
	snprintf(file, sizeof(file), "%s-wal", path);
	got_file_owner(got, size, "wal", file, &dst);
	snprintf(file, sizeof(file), "%s-shm", path);
	got_file_owner(got, size, "shm", file, &dst);
	(void)umask(old_umask);
	ms_store_close(&store);
	remove_store(dir, path);
}

/* fork(); the child runs as the mail user when we are root. */
static pid_t fork_as_mail_user(void)
{
	pid_t pid;

	/* the child must not print what the parent has buffered */
	fflush(stdout);
	pid = fork();
	if (pid == 0 && geteuid() == 0 &&
	    (setgroups(0, NULL) < 0 || setgid(MAIL_GID) < 0 ||
	     setuid(MAIL_UID) < 0))
		_exit(1);
	return pid;
}

/* Opens (creating if need be) the store at uri and writes to it, as the
   mail user when we are root; returns 0 or 1 (failed). */
static int open_as_mail_user(const char *uri)
{
	struct ms_store *store = NULL;
	const char *error;
	int status;
	pid_t pid = fork_as_mail_user();

	if (pid == 0) {
		if (ms_store_open(uri, &store, &error) < 0 ||
		    ms_store_user_set_state(store, "bob",
					    MS_USER_STATE_SYNCING, NULL,
					    &error) < 0) {
			printf("     mail user: %s\n", error);
			fflush(stdout);
			_exit(1);
		}
		ms_store_close(&store);
		_exit(0);
	}
	return pid < 0 || waitpid(pid, &status, 0) < 0 ||
		!WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

/* Root's policy daemon and the mail user's Dovecot share one store,
   whichever of them creates it. */
static void run_open_shared(struct ms_store *store, char *got, size_t size,
			    bool root_first)
{
	char dir[300], path[320], file[330], uri[330];
	const char *error;
	struct stat dst;
	int ret;

	if (geteuid() != 0)
		printf("     note: not root: the \"mail user\" is uid %u too\n",
		       (unsigned int)geteuid());
	snprintf(dir, sizeof(dir), "%s/shared", tmpdir);
	snprintf(path, sizeof(path), "%s/state.db", dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	make_mail_dir(dir);
	ms_test_assert(stat(dir, &dst) == 0);
	if (!root_first)
		gotf(got, size, "mail-user=%s ", open_as_mail_user(uri) == 0 ?
		     "ok" : "failed");
	/* root's daemon keeps the store open while the mail user comes */
	ret = ms_store_open(uri, &store, &error);
	if (ret == 0)
		ret = ms_store_user_set_state(store, "alice",
					      MS_USER_STATE_SYNCED, NULL,
					      &error);
	gotf(got, size, "root=%s", ret == 0 ? "ok" : error);
	if (root_first)
		gotf(got, size, " mail-user=%s", open_as_mail_user(uri) == 0 ?
		     "ok" : "failed");
	got_file_owner(got, size, "db", path, &dst);
	snprintf(file, sizeof(file), "%s-wal", path);
	got_file_owner(got, size, "wal", file, &dst);
	ms_store_close(&store);
	remove_store(dir, path);
}

static void run_open_root_first(struct ms_store *store, char *got,
				size_t size)
{
	run_open_shared(store, got, size, true);
}

static void run_open_mail_user_first(struct ms_store *store, char *got,
				     size_t size)
{
	run_open_shared(store, got, size, false);
}

/* How often each side opens the store in the case below: enough for
   the instant root owns the -wal or -shm to come up. */
#define OPENS_AT_ONCE 3000

/* Opens and closes the store at uri n times; returns how many failed. */
static unsigned int open_close_times(const char *uri, unsigned int n)
{
	struct ms_store *store = NULL;
	const char *error;
	unsigned int failures = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (ms_store_open(uri, &store, &error) < 0) {
			if (failures++ == 0) {
				printf("     %s\n", error);
				fflush(stdout);
			}
			continue;
		}
		ms_store_close(&store);
	}
	return failures;
}

/* Left to SQLite, root's last close would remove the -wal and -shm
   files and its next open make them again, owned by root for an instant
   (a status poll beside a login's pass), and a mail user's open then
   fail.  The store keeps them as it made them: the mail user's opens
   meanwhile all succeed. */
static void run_open_root_and_mail_user_at_once(struct ms_store *store,
						char *got, size_t size)
{
	char dir[300], path[320], uri[330];
	const char *error;
	unsigned int root_failures;
	int status;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/both", tmpdir);
	snprintf(path, sizeof(path), "%s/state.db", dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	make_mail_dir(dir);
	must(ms_store_open(uri, &store, &error), error);
	ms_store_close(&store);
	pid = fork_as_mail_user();
	if (pid == 0)
		_exit(open_close_times(uri, OPENS_AT_ONCE) == 0 ? 0 : 1);
	root_failures = open_close_times(uri, OPENS_AT_ONCE);
	ms_test_assert(pid > 0 && waitpid(pid, &status, 0) == pid);
	gotf(got, size, "root=%s mail-user=%s",
	     root_failures == 0 ? "ok" : "failed",
	     WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "failed");
	remove_store(dir, path);
}

/* A directory the mail user may write is where root opens the store:
   a link planted there must not make root open, create or chown the
   file it points to. */
static void run_open_symlink(struct ms_store *store, char *got, size_t size,
			     const char *link_suffix)
{
	char path[300], link[310], target[300], uri[310];
	const char *error;
	struct stat st;
	int ret;

	snprintf(path, sizeof(path), "%s/planted.db", tmpdir);
	snprintf(link, sizeof(link), "%s%s", path, link_suffix);
	snprintf(target, sizeof(target), "%s/target", tmpdir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	ms_test_assert(close(open(target, O_CREAT | O_WRONLY, 0600)) == 0);
	if (link_suffix[0] != '\0') {
		/* a store in use, its file removed by whoever may write the
		   directory and a link put in its place */
		must(ms_store_open(uri, &store, &error), error);
		ms_store_close(&store);
		ms_test_assert(unlink(link) == 0);
	}
	ms_test_assert(symlink(target, link) == 0);
	ret = ms_store_open(uri, &store, &error);
	if (ret == 0)
		ret = ms_store_user_set_state(store, "alice",
					      MS_USER_STATE_SYNCED, NULL,
					      &error);
	gotf(got, size, "ret=%d", ret);
	if (link_suffix[0] == '\0')
		got_error(got, size, error);
	gotf(got, size, " target=%s", stat(target, &st) == 0 &&
	     st.st_size == 0 && st.st_uid == geteuid() &&
	     (st.st_mode & 07777) == 0600 ? "untouched" : "changed");
	ms_store_close(&store);
	(void)unlink(link);
	(void)unlink(path);
	(void)unlink(target);
}

static void run_open_symlink_db(struct ms_store *store, char *got,
				size_t size)
{
	run_open_symlink(store, got, size, "");
}

static void run_open_symlink_wal(struct ms_store *store, char *got,
				 size_t size)
{
	run_open_symlink(store, got, size, "-wal");
}

static void run_open_symlink_shm(struct ms_store *store, char *got,
				 size_t size)
{
	run_open_symlink(store, got, size, "-shm");
}

/* A store root created 0600 in a directory of its own (as mailshift did
   before) tells the mail user what to change. */
static void run_open_denied(struct ms_store *store, char *got, size_t size)
{
	char path[300], uri[310], mine[1024] = "";
	int out[2], status;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/roots.db", tmpdir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	ms_test_assert(close(open(path, O_CREAT | O_WRONLY, 0600)) == 0);
	/* only root can become the mail user; others deny themselves */
	if (geteuid() != 0)
		ms_test_assert(chmod(path, 0) == 0);
	ms_test_assert(pipe(out) == 0);
	pid = fork_as_mail_user();
	if (pid == 0) {
		open_uri(uri, mine, sizeof(mine));
		(void)write(out[1], mine, strlen(mine));
		_exit(0);
	}
	close(out[1]);
	n = read(out[0], mine, sizeof(mine) - 1);
	mine[n > 0 ? n : 0] = '\0';
	close(out[0]);
	ms_test_assert(pid > 0 && waitpid(pid, &status, 0) == pid);
	gotf(got, size, "%s", mine);
	(void)unlink(path);
}

/* A store that need not be durable still keeps every commit across a
   closed (or killed) process: the last to close leaves the log as it is,
   for the next opener, instead of checkpointing and deleting it. */
static void run_open_not_durable(struct ms_store *store, char *got,
				 size_t size)
{
	char path[300], wal[310], uri[310];
	const char *error;
	struct stat st;

	snprintf(path, sizeof(path), "%s/fast.db", tmpdir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	must(ms_store_open(uri, &store, &error), error);
	gotf(got, size, "durable=%d",
	     ms_store_set_durable(store, false, &error));
	must(ms_store_user_set_state(store, "alice", MS_USER_STATE_SYNCED,
				     NULL, &error), error);
	ms_store_close(&store);
	gotf(got, size, " log=%s", stat(wal, &st) == 0 && st.st_size > 0 ?
	     "kept" : "gone");
	must(ms_store_open(uri, &store, &error), error);
	got_user(store, "alice", D_STATE, got, size);
	/* durable again: the last close checkpoints and removes the log */
	gotf(got, size, " durable=%d",
	     ms_store_set_durable(store, true, &error));
	ms_store_close(&store);
	gotf(got, size, " log=%s", stat(wal, &st) == 0 && st.st_size > 0 ?
	     "kept" : "gone");
}

/* A login's pass and an admin's `status` often open a store that does not
   exist yet at the same instant.  Each child opens every one of a row of
   new stores as soon as the parent lets them all go. */
#define RACE_CHILDREN 4
#define RACE_STORES 300

static int race_open_all(int go_fd)
{
	char uri[320], c;
	const char *error;
	struct ms_store *store = NULL;
	int failures = 0;

	if (read(go_fd, &c, 1) != 1)
		return RACE_STORES;
	for (unsigned int i = 0; i < RACE_STORES; i++) {
		snprintf(uri, sizeof(uri), "sqlite:%s/race-%u.db", tmpdir, i);
		if (ms_store_open(uri, &store, &error) < 0) {
			fprintf(stderr, "     child %ld: %s\n",
				(long)getpid(), error);
			failures++;
			continue;
		}
		if (ms_store_user_set_state(store, "alice",
					    MS_USER_STATE_SYNCING, NULL,
					    &error) < 0)
			failures++;
		ms_store_close(&store);
	}
	return failures;
}

static void run_open_race(struct ms_store *store, char *got, size_t size)
{
	int go[2], status, failures = 0;
	pid_t pids[RACE_CHILDREN];

	(void)store;
	if (pipe(go) < 0) {
		gotf(got, size, "pipe failed");
		return;
	}
	for (unsigned int i = 0; i < RACE_CHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(go[1]);
			_exit(race_open_all(go[0]));
		}
	}
	close(go[0]);
	/* one byte each: they all start at once */
	for (unsigned int i = 0; i < RACE_CHILDREN; i++)
		(void)write(go[1], "g", 1);
	close(go[1]);
	for (unsigned int i = 0; i < RACE_CHILDREN; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 ||
		    !WIFEXITED(status))
			failures += RACE_STORES;
		else
			failures += WEXITSTATUS(status);
	}
	gotf(got, size, "opens=%d failures=%d", RACE_CHILDREN * RACE_STORES,
	     failures);
}

static void run_open_newer_schema(struct ms_store *store, char *got,
				  size_t size)
{
	char path[300], uri[310];
	const char *error;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/newer.db", tmpdir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	must(ms_store_open(uri, &store, &error), error);
	ms_store_close(&store);
	/* as a future mailshift would leave it */
	ms_test_assert(sqlite3_open(path, &db) == SQLITE_OK);
	ms_test_assert(sqlite3_exec(db, "UPDATE schema_version"
				    " SET version = 99", NULL, NULL,
				    NULL) == SQLITE_OK);
	sqlite3_close(db);
	open_uri(uri, got, size);
}

/* A store as mailshift with schema version 1 left it: a synced user whose
   last pass copied 7 messages.  The DDL is a frozen copy of schema_v1 on
   purpose: it must not follow later edits of the code's schema. */
static const char schema_v1_store[] =
	"CREATE TABLE users (user_name TEXT NOT NULL PRIMARY KEY,"
	" state TEXT NOT NULL, reason TEXT,"
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
	" lock_owner TEXT, lock_expires BIGINT);"
	"CREATE TABLE schema_version (version BIGINT NOT NULL);"
	"INSERT INTO schema_version VALUES (1);"
	"INSERT INTO users (user_name, state, state_changed,"
	" last_pass_started, last_pass_finished, folders_done,"
	" folders_total, msgs_done, msgs_total, bytes_done,"
	" rate_bytes_per_sec, msgs_copied_total, bytes_copied_total)"
	" VALUES ('alice', 'synced', 1000, 1000, 1001, 3, 3, 7, 40,"
	" 700, 700, 40, 4000);";

static void run_open_schema_v1(struct ms_store *store, char *got,
			       size_t size)
{
	char path[300], uri[310];
	const char *error;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/v1.db", tmpdir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	ms_test_assert(sqlite3_open(path, &db) == SQLITE_OK);
	ms_test_assert(sqlite3_exec(db, schema_v1_store, NULL, NULL,
				    NULL) == SQLITE_OK);
	sqlite3_close(db);
	gotf(got, size, "open=%d", ms_store_open(uri, &store, &error));
	if (store != NULL)
		got_user(store, "alice", D_STATE | D_PASS, got, size);
	ms_store_close(&store);
}

/* Returns a TCP port on 127.0.0.1 that refuses connections while *fd_r
   stays open (bound, not listening). */
static int closed_port(int *fd_r)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd_r = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd_r < 0 || bind(*fd_r, (struct sockaddr *)&sin, len) < 0 ||
	    getsockname(*fd_r, (struct sockaddr *)&sin, &len) < 0)
		return 0;
	return ntohs(sin.sin_port);
}

/* Opens a PostgreSQL URI holding SECRET, with a closed port between
   before_port and after_port,, and reports whether the error leaked it.  Prints the error: its libpq part differs
   between libpq versions, so the want only names what must hold. */
static void open_pgsql_secret(const char *before_port, const char *after_port,
			      char *got, size_t size)
{
	struct ms_store *store = NULL;
	const char *error = NULL;
	char uri[300];
	int fd, ret;

	snprintf(uri, sizeof(uri), "%s%d%s", before_port, closed_port(&fd),
		 after_port);
	ret = ms_store_open(uri, &store, &error);
	close(fd);
	printf("     error: %s\n", error == NULL ? "NULL" : error);
	gotf(got, size, "ret=%d", ret);
	if (ret < 0) {
		gotf(got, size, " secret=%s masked=%s refused=%s",
		     strstr(error, SECRET) != NULL ? "LEAKED" : "absent",
		     strstr(error, "********") != NULL ? "yes" : "no",
		     strstr(error, "refused") != NULL ? "yes" : "no");
	}
	ms_store_close(&store);
}

static void run_pgsql_conninfo_secret(struct ms_store *store, char *got,
				      size_t size)
{
	open_pgsql_secret("pgsql:host=127.0.0.1 port=",
			  " user=ms password=" SECRET " dbname=mail", got, size);
}

static void run_pgsql_quoted_secret(struct ms_store *store, char *got,
				    size_t size)
{
	open_pgsql_secret("pgsql:host=127.0.0.1 port=",
			  " password = '" SECRET " \\'x' dbname=mail", got, size);
}

static void run_pgsql_uri_secret(struct ms_store *store, char *got,
				 size_t size)
{
	open_pgsql_secret("postgresql://ms:" SECRET "@127.0.0.1:", "/mail",
			  got, size);
}

static void run_pgsql_bad_conninfo(struct ms_store *store, char *got,
				   size_t size)
{
	open_uri("pgsql:host=127.0.0.1 password=" SECRET " bogus", got, size);
}

static const struct store_case open_cases[] = {
	{ "unknown scheme -> -2 (as set up), names the choices, masks the "
	  "password", NULL, run_open_unknown_scheme, NULL, 0,
	  "ret=-2 store=NULL error='state-store: open"
	  " mysql://ms:********@db.example.org/mail: unknown store type"
	  " (use sqlite:/path/to/state.db or pgsql:<conninfo>)'" },
	{ "sqlite: missing directory -> -1, path and reason", NULL,
	  run_open_missing_dir, NULL, 0,
	  "ret=-1 store=NULL error='sqlite: open"
	  " /nonexistent-mailshift-test/state.db: No such file or directory'" },
	{ "sqlite: path is a directory -> -1", NULL, run_open_directory, NULL, 0,
	  "ret=-1 store=NULL error='sqlite: open $TMP: Is a directory'" },
	{ "sqlite: empty path -> -1", NULL, run_open_empty_path, NULL, 0,
	  "ret=-1 store=NULL error='sqlite: open : empty path'" },
	{ "sqlite: not a database -> -1", NULL, run_open_not_a_db, NULL, 0,
	  "ret=-1 store=NULL error='sqlite: open $TMP/junk.db: file is not"
	  " a database'" },
	{ "sqlite: new file -> created 0660, reopened with its data", NULL,
	  run_open_creates, NULL, 0,
	  "open=0 mode=0660 reopen=0 user=alice state=synced reason=NULL"
	  " failures=0 changed=now" },
	{ "sqlite: new file, umask 077 -> 0660 with the owner and group of"
	  " its directory, -wal and -shm too", NULL, run_open_owner_mode,
	  NULL, 0, "open=0 db=0660,dir wal=0660,dir shm=0660,dir" },
	{ "sqlite: root creates, then the mail user opens and writes", NULL,
	  run_open_root_first, NULL, 0,
	  "root=ok mail-user=ok db=0660,dir wal=0660,dir" },
	{ "sqlite: the mail user creates, then root opens and writes", NULL,
	  run_open_mail_user_first, NULL, 0,
	  "mail-user=ok root=ok db=0660,dir wal=0660,dir" },
	{ "sqlite: root and the mail user open and close it over and over"
	  " at once -> every open succeeds", NULL,
	  run_open_root_and_mail_user_at_once, NULL, 0,
	  "root=ok mail-user=ok" },
	{ "sqlite: a store the mail user may not write -> -1, says what to"
	  " change", NULL, run_open_denied, NULL, 0,
	  "ret=-1 store=NULL error='sqlite: open $TMP/roots.db: Permission"
	  " denied (every mailshift program reads and writes the store: give"
	  " it the owner and group of its directory, mode 0660)'" },
	{ "sqlite: path is a symbolic link -> -1, its target untouched", NULL,
	  run_open_symlink_db, NULL, 0,
	  "ret=-1 error='sqlite: open $TMP/planted.db: is a"
	  " symbolic link: refusing it (the store must be a plain file)'"
	  " target=untouched" },
	{ "sqlite: -wal planted as a symbolic link -> -1, its target"
	  " untouched", NULL, run_open_symlink_wal, NULL, 0,
	  "ret=-1 target=untouched" },
	{ "sqlite: -shm planted as a symbolic link -> -1, its target"
	  " untouched", NULL, run_open_symlink_shm, NULL, 0,
	  "ret=-1 target=untouched" },
	{ "sqlite: not durable -> commits kept past close, log left for the"
	  " next opener", NULL, run_open_not_durable, NULL, 0,
	  "durable=0 log=kept user=alice state=synced reason=NULL failures=0"
	  " changed=now durable=0 log=gone" },
	{ "sqlite: 4 processes open 300 new stores at once -> all open",
	  NULL, run_open_race, NULL, 0, "opens=1200 failures=0" },
	{ "sqlite: schema from a newer mailshift -> -2, says upgrade", NULL,
	  run_open_newer_schema, NULL, 0,
	  "ret=-2 store=NULL error='sqlite: create or upgrade schema in"
	  " $TMP/newer.db: schema version 99 is newer than this mailshift"
	  " supports (2): upgrade mailshift'" },
	{ "sqlite: store of schema 1 -> upgraded, users and totals kept", NULL,
	  run_open_schema_v1, NULL, 0,
	  "open=0 user=alice state=synced reason=NULL failures=0"
	  " changed=1000 folders=3/3 msgs=7/40 new=0 bytes=700/0 rate=ok"
	  " copied=40/4000 started=1000 finished=1001" },
	{ "pgsql: refused, password in conninfo -> masked", NULL,
	  run_pgsql_conninfo_secret, NULL, 0,
	  "ret=-1 secret=absent masked=yes refused=yes" },
	{ "pgsql: refused, quoted password with spaces -> masked", NULL,
	  run_pgsql_quoted_secret, NULL, 0,
	  "ret=-1 secret=absent masked=yes refused=yes" },
	{ "pgsql: refused, password in URI -> masked", NULL,
	  run_pgsql_uri_secret, NULL, 0,
	  "ret=-1 secret=absent masked=yes refused=yes" },
	{ "pgsql: unparsable conninfo -> -1, password masked", NULL,
	  run_pgsql_bad_conninfo, NULL, 0,
	  "ret=-1 store=NULL error='pgsql: open host=127.0.0.1"
	  " password=******** bogus: missing \"=\" after \"bogus\" in"
	  " connection info string'" },
};

/* Runs sql (one or more statements) on the PostgreSQL test database as
   its owner.  Returns 0 or -1 (printed). */
static int pgsql_exec(const char *uri, const char *sql)
{
	PGconn *conn = PQconnectdb(uri);
	PGresult *res;
	int ret = -1;

	if (PQstatus(conn) == CONNECTION_OK) {
		res = PQexec(conn, sql);
		ret = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
		if (ret < 0)
			printf("     psql: %s", PQerrorMessage(conn));
		PQclear(res);
	} else {
		printf("     psql: %s", PQerrorMessage(conn));
	}
	PQfinish(conn);
	return ret;
}

/* Empties the PostgreSQL test database, so each case starts as new. */
static int pgsql_reset(const char *uri)
{
	return pgsql_exec(uri, "SET client_min_messages = warning;"
			  "DROP TABLE IF EXISTS users, schema_version");
}

/* --- PostgreSQL: opens never change the schema; init-store does --- */

/* MS_TEST_PGSQL_URI, or NULL */
static const char *test_pgsql_uri;

/* Opens the test database, as an open (init false) or as init-store, and
   describes the outcome: "<label>=0", or "<label>=-1" and what its error
   names. */
static void got_pgsql_open(char *got, size_t size, const char *label,
			   bool init, struct ms_store **store_r)
{
	const char *error = "";
	int ret;

	ret = init ? ms_store_open_init(test_pgsql_uri, store_r, &error) :
		ms_store_open(test_pgsql_uri, store_r, &error);
	gotf(got, size, "%s%s=%d", got[0] == '\0' ? "" : " ", label, ret);
	if (ret == 0)
		return;
	printf("     error: %s\n", error);
	if (strstr(error, "is older than this mailshift's (2)") != NULL)
		gotf(got, size, " older");
	if (strstr(error, "\"mailshift-policyd init-store STORE\", run once"
		   " with the store's owner role") != NULL)
		gotf(got, size, " names-init-store");
}

/* Whether the users table exists: "users=yes|no". */
static void got_users_table(char *got, size_t size)
{
	PGconn *conn = PQconnectdb(test_pgsql_uri);
	PGresult *res = PQexec(conn, "SELECT to_regclass('users') IS NULL");

	gotf(got, size, " users=%s",
	     PQresultStatus(res) != PGRES_TUPLES_OK ? "error" :
	     strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? "no" : "yes");
	PQclear(res);
	PQfinish(conn);
}

static void run_pgsql_open_no_schema(struct ms_store *store, char *got,
				     size_t size)
{
	ms_test_assert(pgsql_reset(test_pgsql_uri) == 0);
	got_pgsql_open(got, size, "open", false, &store);
	got_users_table(got, size);
	ms_store_close(&store);
	got_pgsql_open(got, size, "init", true, &store);
	ms_store_close(&store);
	got_users_table(got, size);
	got_pgsql_open(got, size, "open", false, &store);
	ms_store_close(&store);
}

static void run_pgsql_open_schema_v1(struct ms_store *store, char *got,
				     size_t size)
{
	ms_test_assert(pgsql_reset(test_pgsql_uri) == 0 &&
		       pgsql_exec(test_pgsql_uri, schema_v1_store) == 0);
	got_pgsql_open(got, size, "open", false, &store);
	ms_store_close(&store);
	got_pgsql_open(got, size, "init", true, &store);
	ms_store_close(&store);
	got_pgsql_open(got, size, "open", false, &store);
	if (store != NULL)
		got_user(store, "alice", D_STATE | D_PASS, got, size);
	ms_store_close(&store);
}

static const struct store_case pgsql_open_cases[] = {
	{ "pgsql: no schema -> open fails naming init-store, creates"
	  " nothing; after init-store it opens", NULL,
	  run_pgsql_open_no_schema, NULL, 0,
	  "open=-2 names-init-store users=no init=0 users=yes open=0" },
	{ "pgsql: schema 1 -> open fails (older, names init-store);"
	  " init-store upgrades, users and totals kept", NULL,
	  run_pgsql_open_schema_v1, NULL, 0,
	  "open=-2 older names-init-store init=0 open=0 user=alice"
	  " state=synced reason=NULL failures=0 changed=1000 folders=3/3"
	  " msgs=7/40 new=0 bytes=700/0 rate=ok copied=40/4000 started=1000"
	  " finished=1001" },
};

/* Runs one case; backend NULL for the open cases, which take no store. */
static void test_store_case(const struct store_case *c, const char *backend,
			    const char *pgsql_uri)
{
	struct ms_store *store = NULL;
	char name[300], uri[300], got[2048] = "";
	const char *error = NULL;

	snprintf(name, sizeof(name), "%s: %s",
		 backend == NULL ? "open" : backend, c->name);
	ms_test_begin(name);
	/* Setup */
	if (backend != NULL && pgsql_uri != NULL) {
		if (pgsql_reset(pgsql_uri) < 0)
			ms_test_fail_at(__FILE__, __LINE__, "reset failed",
					"empty database");
		snprintf(uri, sizeof(uri), "%s", pgsql_uri);
	} else {
		snprintf(uri, sizeof(uri), "sqlite:%s/case-%u.db", tmpdir,
			 ++case_counter);
	}
	/* as an admin leaves a store: made by init-store */
	if (backend != NULL &&
	    ms_store_open_init(uri, &store, &error) < 0) {
		ms_test_fail_at(__FILE__, __LINE__, error, "store opened");
		ms_test_end();
		return;
	}
	if (c->setup != NULL)
		c->setup(store);
	/* Run */
	case_started = time(NULL);
	if (c->script != NULL)
		run_script(store, c->script, got, sizeof(got));
	else
		c->run(store, got, sizeof(got));
	if (c->describe != 0)
		got_user(store, SCRIPT_USER, c->describe, got, sizeof(got));
	/* Verify */
	ms_test_assert_str(got, c->want);
	ms_store_close(&store);
	ms_test_end();
}

static void tmpdir_remove(void)
{
	char path[600];
	struct dirent *d;
	DIR *dir = opendir(tmpdir);

	while (dir != NULL && (d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, d->d_name);
		unlink(path);
	}
	if (dir != NULL)
		closedir(dir);
	rmdir(tmpdir);
}

int main(void)
{
	const char *pgsql_uri = getenv("MS_TEST_PGSQL_URI");
	unsigned int i;

	if (pgsql_uri != NULL && pgsql_uri[0] == '\0')
		pgsql_uri = NULL;
	snprintf(tmpdir, sizeof(tmpdir), "%s/ms-test-store.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	/* the mail user's cases must reach their own directories */
	(void)chmod(tmpdir, 0711);
	owners_init();

	for (i = 0; i < sizeof(open_cases) / sizeof(open_cases[0]); i++)
		test_store_case(&open_cases[i], NULL, NULL);
	for (i = 0; i < sizeof(store_cases) / sizeof(store_cases[0]); i++)
		test_store_case(&store_cases[i], "sqlite", NULL);
	if (pgsql_uri == NULL) {
		printf("note: MS_TEST_PGSQL_URI not set: PostgreSQL cases not"
		       " run here (tests/unit/run-pgsql-tests runs them)\n");
	}
	for (i = 0; pgsql_uri != NULL &&
	     i < sizeof(store_cases) / sizeof(store_cases[0]); i++)
		test_store_case(&store_cases[i], "pgsql", pgsql_uri);
	test_pgsql_uri = pgsql_uri;
	for (i = 0; pgsql_uri != NULL &&
	     i < sizeof(pgsql_open_cases) / sizeof(pgsql_open_cases[0]); i++)
		test_store_case(&pgsql_open_cases[i], NULL, NULL);
	tmpdir_remove();
	return ms_test_exit();
}
