/* test-policyd-route.c: postfix-policy/policyd-route.c and
   policyd-warmup.c, the answers Postfix gets: per user state on the old
   host's maps, for foreign and malformed keys, for a store that fails,
   and the warm-up caps per provider group.  (The configuration's own
   cases are in test-policyd-config.c.)

   Setup: a SQLite store with one user per state and a config as the old
   host has it.  Run: one socketmap lookup.  Verify: the exact answer. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../postfix-policy/policyd-config.h"
#include "../../../postfix-policy/policyd-route.h"
#include "../../../postfix-policy/policyd-store.h"
#include "../../../postfix-policy/policyd-warmup.h"
#include "../ms-test.h"

struct route_case {
	const char *name;
	enum policyd_map map;
	const char *key;
	const char *want;
};

#define FWD "mailshift_fwd:[new.example.test]:25"
#define HOLD "retry:4.2.0 mailbox in final sync"

static const struct route_case route_cases[] = {
	{ "pending user: Postfix's own transport", POLICYD_MAP_ROUTE,
	  "pat@example.test", "NOTFOUND " },
	{ "synced user: delivered here", POLICYD_MAP_ROUTE,
	  "sid@example.test", "NOTFOUND " },
	{ "failed user: delivered here", POLICYD_MAP_ROUTE,
	  "fay@example.test", "NOTFOUND " },
	{ "user not in the store: Postfix decides", POLICYD_MAP_ROUTE,
	  "nobody@example.test", "NOTFOUND " },
	{ "migrated user, queue manager: forwarded", POLICYD_MAP_ROUTE,
	  "mia@example.test", "OK " FWD },
	{ "migrated user, smtpd: forwarded", POLICYD_MAP_ACCEPT,
	  "mia@example.test", "OK " FWD },
	{ "final-sync user, queue manager: held", POLICYD_MAP_ROUTE,
	  "fin@example.test", "OK " HOLD },
	{ "final-sync user, smtpd: accepted as usual, never 450",
	  POLICYD_MAP_ACCEPT, "fin@example.test", "NOTFOUND " },
	{ "case and extension are ignored", POLICYD_MAP_ROUTE,
	  "MIA+lists@Example.TEST", "OK " FWD },
	{ "second local domain", POLICYD_MAP_ROUTE, "mia@example.org",
	  "OK " FWD },
	{ "foreign domain: never routed (no relay)", POLICYD_MAP_ROUTE,
	  "mia@foreign.test", "NOTFOUND " },
	{ "subdomain of ours is foreign", POLICYD_MAP_ROUTE,
	  "mia@sub.example.test", "NOTFOUND " },
	{ "the wildcard", POLICYD_MAP_ROUTE, "*", "NOTFOUND " },
	{ "no local part", POLICYD_MAP_ROUTE, "@example.test", "NOTFOUND " },
	{ "no domain", POLICYD_MAP_ROUTE, "mia@", "NOTFOUND " },
	{ "a bare domain", POLICYD_MAP_ROUTE, "example.test", "NOTFOUND " },
	{ "warm-up map on a local recipient: delivered here",
	  POLICYD_MAP_WARMUP, "mia@example.test", "NOTFOUND " },
};

static const char *const users[][2] = {
	{ "pat", "pending" }, { "sid", "synced" }, { "fay", "failed" },
	{ "mia", "migrated" }, { "fin", "final-sync" },
};

static void config_write(const char *path, const char *store,
			 const char *extra)
{
	FILE *f = fopen(path, "w");

	fprintf(f, "store = %s\nlocal_domains = example.test, Example.ORG\n"
		"forward_nexthop = " FWD "\nhold_nexthop = " HOLD "\n"
		"state_cache_seconds = 0\n%s", store, extra);
	fclose(f);
}

static void setup(struct policyd *pd, struct policyd_config *cfg,
		  const char *dir, const char *extra)
{
	char path[512], store[512], error[512];
	const char *err;
	unsigned int i;

	snprintf(store, sizeof(store), "sqlite:%s/state.db", dir);
	snprintf(path, sizeof(path), "%s/policyd.conf", dir);
	config_write(path, store, extra);
	if (policyd_config_read(path, cfg, error, sizeof(error)) < 0)
		ms_test_fail_at(__FILE__, __LINE__, error, "config read");
	memset(pd, 0, sizeof(*pd));
	pd->cfg = cfg;
	policyd_route_init(pd);
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		enum ms_user_state state;
		struct ms_store *s = policyd_store_get(pd->store, &err);

		if (s == NULL || !ms_user_state_from_str(users[i][1], &state) ||
		    ms_store_user_set_state(s, users[i][0], state, NULL,
					    &err) < 0)
			ms_test_fail_at(__FILE__, __LINE__, err, "setup");
	}
}

static void lookup(struct policyd *pd, enum policyd_map map,
		   const char *key, char *reply, size_t size)
{
	policyd_route_lookup(pd, map, key, strlen(key), reply, size);
}

static const struct {
	const char *name;
	const char *attrs[6];
	const char *want;
} policy_cases[] = {
	{ "RCPT for a user of ours: DUNNO (routing is transport_maps' job)",
	  { "request", "smtpd_access_policy", "protocol_state", "RCPT",
	    "recipient", "mia@example.test" }, "action=DUNNO" },
	{ "RCPT for a foreign recipient: DUNNO, Postfix's rules decide",
	  { "request", "smtpd_access_policy", "protocol_state", "RCPT",
	    "recipient", "x@foreign.test" }, "action=DUNNO" },
	{ "END-OF-MESSAGE without a recipient: DUNNO",
	  { "request", "smtpd_access_policy", "protocol_state",
	    "END-OF-MESSAGE" }, "action=DUNNO" },
	{ "no request attribute: DEFER_IF_PERMIT",
	  { "protocol_state", "RCPT", "recipient", "mia@example.test" },
	  "action=DEFER_IF_PERMIT 4.3.5 mailshift: malformed policy request" },
	{ "another request type: DEFER_IF_PERMIT",
	  { "request", "junk" },
	  "action=DEFER_IF_PERMIT 4.3.5 mailshift: malformed policy request" },
};

static void policy_check(struct policyd *pd, const char *const *pairs,
			 char *reply, size_t size)
{
	struct policyd_attr attrs[3];
	struct policyd_request req = { attrs, 0, 3 };

	for (; req.count < 3 && pairs[req.count * 2] != NULL; req.count++) {
		attrs[req.count].name = pairs[req.count * 2];
		attrs[req.count].value = pairs[req.count * 2 + 1];
	}
	policyd_policy_check(pd, &req, reply, size);
}

static void test_route(const char *dir)
{
	struct policyd_config cfg;
	struct policyd pd;
	char name[256], reply[512];
	unsigned int i;

	ms_test_begin("setup: store with one user per state");
	setup(&pd, &cfg, dir, "");
	ms_test_end();
	for (i = 0; i < sizeof(route_cases) / sizeof(route_cases[0]); i++) {
		snprintf(name, sizeof(name), "route: %s", route_cases[i].name);
		ms_test_begin(name);
		lookup(&pd, route_cases[i].map, route_cases[i].key, reply,
		       sizeof(reply));
		ms_test_assert_str(reply, route_cases[i].want);
		ms_test_end();
	}

	ms_test_begin("route: no \"route\" lookups while final-sync mail is "
		      "accepted -> the missing rewrite_q is reported");
	pd.route_lookups = 0;
	pd.final_sync_accepted = 0;
	lookup(&pd, POLICYD_MAP_ACCEPT, "fin@example.test", reply,
	       sizeof(reply));
	policyd_route_tick(&pd, time(NULL));
	ms_test_assert(pd.route_warned == 0);	/* not within a minute */
	policyd_route_tick(&pd, time(NULL) + 61);
	ms_test_assert(pd.route_warned != 0);
	pd.route_warned = 0;
	pd.route_lookups = 1;
	policyd_route_tick(&pd, time(NULL) + 61);
	ms_test_assert(pd.route_warned == 0);	/* route seen: all well */
	ms_test_end();

	for (i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
		snprintf(name, sizeof(name), "policy: %s",
			 policy_cases[i].name);
		ms_test_begin(name);
		policy_check(&pd, policy_cases[i].attrs, reply, sizeof(reply));
		ms_test_assert_str(reply, policy_cases[i].want);
		ms_test_end();
	}

	ms_test_begin("route: a store that fails answers TEMP, never local");
	/* Setup: the store's file becomes a directory's sibling that is no
	   database, and the open store is dropped. */
	policyd_store_failed(pd.store);
	snprintf(name, sizeof(name), "%s/state.db", dir);
	unlink(name);
	if (mkdir(name, 0700) < 0)
		ms_test_fail_at(__FILE__, __LINE__, "mkdir", "ok");
	lookup(&pd, POLICYD_MAP_ROUTE, "mia@example.test", reply,
	       sizeof(reply));
	ms_test_assert_str(reply, "TEMP state store unavailable");
	lookup(&pd, POLICYD_MAP_ROUTE, "sid@example.test", reply,
	       sizeof(reply));
	ms_test_assert_str(reply, "TEMP state store unavailable");
	lookup(&pd, POLICYD_MAP_ROUTE, "x@foreign.test", reply,
	       sizeof(reply));
	ms_test_assert_str(reply, "NOTFOUND ");
	ms_test_end();

	ms_test_begin("policy: a store that fails defers RCPT of ours");
	policyd_store_failed(pd.store);	/* tried again at once */
	policy_check(&pd, policy_cases[0].attrs, reply, sizeof(reply));
	ms_test_assert_str(reply, "action=DEFER_IF_PERMIT 4.3.0 mailshift: "
			   "state store unavailable, try again later");
	ms_test_end();
	rmdir(name);
	policyd_route_deinit(&pd);
	policyd_config_free(&cfg);
}

static void test_warmup(const char *dir)
{
	char extra[1024], today[11], groups[512], reply[512], got[2048] = "";
	static const char *const keys[] = {
		"a@gmail.test", "b@corp.test", "c@gmail.test", "d@hot.test",
		"e@nowhere.test",
	};
	struct policyd_config cfg;
	struct policyd pd;
	FILE *f;
	unsigned int i;

	ms_test_begin("warm-up: cap 2 per group, overflow relayed, groups "
		      "by static table and MX suffix");
	policyd_day_str(time(NULL), today);
	snprintf(groups, sizeof(groups), "%s/groups", dir);
	f = fopen(groups, "w");
	fputs("gmail.test google\ncorp.test mx:ASPMX.L.GOOGLE.COM.\n"
	      "hot.test mx:hot-com.olc.protection.outlook.com\n", f);
	fclose(f);
	snprintf(extra, sizeof(extra), "warmup = yes\nwarmup_start = %s\n"
		 "warmup_schedule = 1:2 5:10\nwarmup_direct = smtp:\n"
		 "warmup_overflow_nexthop = relay:[old.test]:587\n"
		 "warmup_domain_groups = %s\nwarmup_resolver = none\n",
		 today, groups);
	setup(&pd, &cfg, dir, extra);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		lookup(&pd, POLICYD_MAP_WARMUP, keys[i], reply, sizeof(reply));
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
			 "%s;", reply);
	}
	ms_test_assert_str(got, "OK smtp:;OK smtp:;OK relay:[old.test]:587;"
			   "OK smtp:;OK smtp:;");
	ms_test_assert_str(policyd_group_names[policyd_warmup_group(
		pd.warmup, "hot.test")], "microsoft");
	ms_test_end();

	ms_test_begin("warm-up: the schedule's caps by ramp day");
	ms_test_assert(policyd_warmup_cap(&cfg, 1) == 2 &&
		       policyd_warmup_cap(&cfg, 4) == 2 &&
		       policyd_warmup_cap(&cfg, 5) == 10 &&
		       policyd_warmup_cap(&cfg, 6) == UINT64_MAX);
	ms_test_end();
	policyd_route_deinit(&pd);
	policyd_config_free(&cfg);
}

int main(void)
{
	char dir[256], cmd[300];

	snprintf(dir, sizeof(dir), "%s/ms-test-policyd.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	/* the daemon's log lines would clutter the test output */
	if (freopen("/dev/null", "w", stderr) == NULL)
		return 1;
	test_route(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/state.db*", dir);
	if (system(cmd) != 0)
		return 1;
	test_warmup(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
	return ms_test_exit();
}
