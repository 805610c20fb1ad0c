/* test-state-store-policy.c: shared/state-store-policy.c, the policy
   daemon's counters.

   Runs against SQLite always and, when MS_TEST_PGSQL_URI is set
   (run-pgsql-tests), against that real PostgreSQL too.  Each case starts
   from an empty store (Setup), adds counters (Run) and compares what the
   iterators print with its want (Verify). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../shared/state-store-policy.h"
#include "../../shared/state-store-private.h"
#include "ms-test.h"

struct policy_case {
	const char *name;
	void (*run)(struct ms_store *store, char *got, size_t size);
	const char *want;
	/* where PostgreSQL differs by design (NULL: want) */
	const char *want_pgsql;
};

/* the store the case runs on */
static const char *case_uri;

static void __attribute__((format(printf, 3, 4)))
gotf(char *got, size_t size, const char *fmt, ...)
{
	size_t len = strlen(got);
	va_list args;

	va_start(args, fmt);
	vsnprintf(got + len, size - len, fmt, args);
	va_end(args);
}

struct got_buf { char *got; size_t size; };

static int got_user(const char *user, const struct ms_policy_counters *c,
		    void *ctx)
{
	struct got_buf *buf = ctx;

	gotf(buf->got, buf->size, "%s f=%llu h=%llu r=%llu d=%llu;", user,
	     (unsigned long long)c->forwarded, (unsigned long long)c->held,
	     (unsigned long long)c->released,
	     (unsigned long long)c->deferred);
	return 0;
}

static int got_day(const struct ms_warmup_day *day, void *ctx)
{
	struct got_buf *buf = ctx;

	gotf(buf->got, buf->size, "%s s=%llu o=%llu d=%llu;", day->day,
	     (unsigned long long)day->sent,
	     (unsigned long long)day->overflowed,
	     (unsigned long long)day->deferred);
	return 0;
}

static void got_ret(char *got, size_t size, int ret, const char *error)
{
	if (ret < 0)
		gotf(got, size, "error: %s;", error);
}

static void run_counters_add_up(struct ms_store *store, char *got,
				size_t size)
{
	struct ms_policy_counters one = { .forwarded = 1 };
	struct ms_policy_counters mixed = { 2, 3, 4, 5 };
	struct got_buf buf = { got, size };
	const char *error = "";

	got_ret(got, size, ms_store_policy_add(store, "bob", &one, &error),
		error);
	got_ret(got, size, ms_store_policy_add(store, "bob", &one, &error),
		error);
	got_ret(got, size, ms_store_policy_add(store, "alice", &mixed,
					       &error), error);
	got_ret(got, size, ms_store_policy_iter(store, NULL, got_user, &buf,
						&error), error);
}

static void run_counters_one_user(struct ms_store *store, char *got,
				  size_t size)
{
	struct ms_policy_counters held = { .held = 7 };
	struct got_buf buf = { got, size };
	const char *error = "";
	int ret;

	(void)ms_store_policy_add(store, "carol", &held, &error);
	(void)ms_store_policy_add(store, "dave", &held, &error);
	ret = ms_store_policy_iter(store, "carol", got_user, &buf, &error);
	gotf(got, size, "ret=%d;", ret);
	ret = ms_store_policy_iter(store, "nobody", got_user, &buf, &error);
	gotf(got, size, "ret=%d", ret);
}

static void run_warmup_days(struct ms_store *store, char *got, size_t size)
{
	struct ms_warmup_day d1 = { "2026-11-02", 10, 0, 1 };
	struct ms_warmup_day d2 = { "2026-11-01", 5, 2, 0 };
	struct ms_warmup_day other = { "2026-11-01", 99, 0, 0 };
	struct got_buf buf = { got, size };
	const char *error = "";

	(void)ms_store_warmup_add(store, "google", &d1, &error);
	(void)ms_store_warmup_add(store, "google", &d1, &error);
	(void)ms_store_warmup_add(store, "google", &d2, &error);
	(void)ms_store_warmup_add(store, "yahoo", &other, &error);
	got_ret(got, size, ms_store_warmup_iter(store, "google", got_day,
						&buf, &error), error);
}

static void run_init_twice(struct ms_store *store, char *got, size_t size)
{
	const char *error = "";

	got_ret(got, size, ms_store_policy_init(store, &error), error);
	gotf(got, size, "ok");
}

/* A store made before the policy tables existed, opened by the daemon
   (not by init-store). */
static void run_tables_missing(struct ms_store *store, char *got,
			       size_t size)
{
	struct ms_store *plain = NULL;
	const char *error = "";
	int ret;

	/* one table per statement: SQLite drops no more */
	if (ms_store_exec(store, "DROP TABLE policy_counters", NULL, 0,
			  NULL) < 0 ||
	    ms_store_exec(store, "DROP TABLE warmup_days", NULL, 0,
			  NULL) < 0 ||
	    ms_store_exec(store, "DROP TABLE policy_held", NULL, 0,
			  NULL) < 0 ||
	    ms_store_open(case_uri, &plain, &error) < 0) {
		gotf(got, size, "setup failed: %s", error);
		return;
	}
	ret = ms_store_policy_init(plain, &error);
	gotf(got, size, "init=%d", ret);
	if (ret < 0) {
		printf("     error: %s\n", error);
		gotf(got, size, "%s", strstr(error, "\"mailshift-policyd "
			"init-store STORE\", run once with the store's owner "
			"role") != NULL ? " names-init-store" : "");
	}
	ret = ms_store_exec(plain, "SELECT 1 FROM policy_counters", NULL, 0,
			    NULL);
	gotf(got, size, " tables=%s", ret == 0 ? "yes" : "no");
	ms_store_close(&plain);
}

static void got_held(char *got, size_t size, int ret, bool yes,
		     const char *error)
{
	if (ret < 0)
		gotf(got, size, "error: %s;", error);
	else
		gotf(got, size, "%s;", yes ? "new" : "seen");
}

static void run_held_once(struct ms_store *store, char *got, size_t size)
{
	const char *error = "";
	bool yes = false;
	int ret;

	/* the hold logged three times for one recipient, once for another
	   recipient of the same message */
	ret = ms_store_policy_held(store, "4AB1", "carol@x", "carol", &yes,
				   &error);
	got_held(got, size, ret, yes, error);
	ret = ms_store_policy_held(store, "4AB1", "carol@x", "carol", &yes,
				   &error);
	got_held(got, size, ret, yes, error);
	ret = ms_store_policy_held(store, "4AB1", "dave@x", "dave", &yes,
				   &error);
	got_held(got, size, ret, yes, error);
	/* released once; a second delivery line is no second release, and
	   a recipient never held is no release */
	ret = ms_store_policy_unheld(store, "4AB1", "carol@x", &yes, &error);
	got_held(got, size, ret, yes, error);
	ret = ms_store_policy_unheld(store, "4AB1", "carol@x", &yes, &error);
	got_held(got, size, ret, yes, error);
	ret = ms_store_policy_unheld(store, "9ZZ9", "carol@x", &yes, &error);
	got_held(got, size, ret, yes, error);
	/* the queue ID used again for a new message, held again */
	ret = ms_store_policy_held(store, "4AB1", "carol@x", "carol", &yes,
				   &error);
	got_held(got, size, ret, yes, error);
	ret = ms_store_policy_held_prune(store, time(NULL) + 1, &error);
	got_ret(got, size, ret, error);
	ret = ms_store_policy_held(store, "4AB1", "dave@x", "dave", &yes,
				   &error);
	got_held(got, size, ret, yes, error);
}

static const struct policy_case cases[] = {
	{ "a held recipient is booked once per queue ID however often the "
	  "hold is logged, and released once", run_held_once,
	  "new;seen;new;new;seen;seen;new;new;", NULL },
	{ "counters add up per user, listed in byte order",
	  run_counters_add_up,
	  "alice f=2 h=3 r=4 d=5;bob f=2 h=0 r=0 d=0;", NULL },
	{ "one user's counters; an unknown user has none",
	  run_counters_one_user, "carol f=0 h=7 r=0 d=0;ret=0;ret=0", NULL },
	{ "warm-up days add up per group and day, oldest first",
	  run_warmup_days,
	  "2026-11-01 s=5 o=2 d=0;2026-11-02 s=20 o=0 d=2;", NULL },
	{ "init on an initialised store changes nothing", run_init_twice,
	  "ok", NULL },
	{ "tables missing, not init-store -> SQLite creates them;"
	  " PostgreSQL refuses, naming init-store", run_tables_missing,
	  "init=0 tables=yes", "init=-1 names-init-store tables=no" },
};

/* Every case starts with empty policy tables (PostgreSQL keeps one
   database for all cases). */
static void empty_tables(struct ms_store *store)
{
	if (ms_store_exec(store, "DELETE FROM policy_counters", NULL, 0,
			  NULL) < 0 ||
	    ms_store_exec(store, "DELETE FROM warmup_days", NULL, 0,
			  NULL) < 0 ||
	    ms_store_exec(store, "DELETE FROM policy_held", NULL, 0,
			  NULL) < 0)
		ms_test_fail_at(__FILE__, __LINE__, store->reason, "empty");
}

static void test_case(const struct policy_case *c, const char *backend,
		      const char *uri)
{
	struct ms_store *store = NULL;
	char name[256], got[2048] = "";
	const char *error = "";

	snprintf(name, sizeof(name), "%s: %s", backend, c->name);
	ms_test_begin(name);
	/* Setup: as init-store leaves a store */
	case_uri = uri;
	if (ms_store_open_init(uri, &store, &error) < 0 ||
	    ms_store_policy_init(store, &error) < 0) {
		ms_test_fail_at(__FILE__, __LINE__, error, "open");
		ms_store_close(&store);
		ms_test_end();
		return;
	}
	empty_tables(store);
	/* Run. */
	c->run(store, got, sizeof(got));
	/* Verify. */
	ms_test_assert_str(got, strcmp(backend, "pgsql") == 0 &&
			   c->want_pgsql != NULL ? c->want_pgsql : c->want);
	ms_store_close(&store);
	ms_test_end();
}

int main(void)
{
	const char *pgsql_uri = getenv("MS_TEST_PGSQL_URI");
	char tmpdir[256], uri[512], cmd[300];
	unsigned int i;

	if (pgsql_uri != NULL && pgsql_uri[0] == '\0')
		pgsql_uri = NULL;
	snprintf(tmpdir, sizeof(tmpdir), "%s/ms-test-policy.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(uri, sizeof(uri), "sqlite:%s/policy.db", tmpdir);
		test_case(&cases[i], "sqlite", uri);
	}
	if (pgsql_uri == NULL) {
		printf("note: MS_TEST_PGSQL_URI not set: PostgreSQL cases not"
		       " run here (tests/unit/run-pgsql-tests runs them)\n");
	}
	for (i = 0; pgsql_uri != NULL &&
	     i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_case(&cases[i], "pgsql", pgsql_uri);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", tmpdir);
	return ms_test_exit();
}
