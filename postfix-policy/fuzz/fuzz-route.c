/* fuzz-route.c: libFuzzer target for the old host's routing decision
   (policyd_recipient_parse() in policyd-recipient.c,
   policyd_route_lookup() in policyd-route.c) on any socketmap key
   Postfix could send, with a SQLite store holding one user per state.
   The decision must never open a relay: a recipient outside
   local_domains is always NOTFOUND, and only the two configured
   nexthops are ever answered. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../policyd-config.h"
#include "../policyd-recipient.h"
#include "../policyd-route.h"
#include "../policyd-store.h"

#define FWD "mailshift_fwd:[new.example.test]:25"
#define HOLD "retry:4.2.0 mailbox in final sync"

static struct policyd pd;
static struct policyd_config cfg;
static char dir[] = "/tmp/fuzz-route.XXXXXX";

static void cleanup(void)
{
	static const char *const files[] = {
		"policyd.conf", "state.db", "state.db-wal", "state.db-shm"
	};
	char path[512];
	unsigned int i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

static const char *const users[][2] = {
	{ "pat", "pending" }, { "sid", "synced" }, { "fay", "failed" },
	{ "mia", "migrated" }, { "fin", "final-sync" },
};

static void setup(void)
{
	char path[512], error[512];
	const char *err;
	unsigned int i;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/policyd.conf", dir);
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fprintf(f, "store = sqlite:%s/state.db\n"
		"local_domains = example.test, example.org\n"
		"forward_nexthop = " FWD "\nhold_nexthop = " HOLD "\n"
		"state_cache_seconds = 1\n", dir);
	fclose(f);
	if (policyd_config_read(path, &cfg, error, sizeof(error)) < 0)
		abort();
	pd.cfg = &cfg;
	policyd_route_init(&pd);
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		enum ms_user_state state;
		struct ms_store *store = policyd_store_get(pd.store, &err);

		if (store == NULL ||
		    !ms_user_state_from_str(users[i][1], &state) ||
		    ms_store_user_set_state(store, users[i][0], state, NULL,
					    &err) < 0)
			abort();
	}
}

/* Is the key's domain, as Postfix would read it, one of ours?  Only
   then may an answer route the mail anywhere. */
static bool key_is_local(const uint8_t *data, size_t size)
{
	struct policyd_recipient rcpt;

	return policyd_recipient_parse(&cfg, (const char *)data, size,
				       &rcpt) && rcpt.local;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum policyd_map maps[] = {
		POLICYD_MAP_ACCEPT, POLICYD_MAP_ROUTE
	};
	struct policyd_recipient rcpt;
	char reply[1024];
	unsigned int i;

	if (pd.cfg == NULL)
		setup();
	if (policyd_recipient_parse(&cfg, (const char *)data, size, &rcpt)) {
		/* a parsed recipient is one address: lower case, its
		   domain after the last '@' (as Postfix splits it) and not
		   empty, the user never empty */
		if (rcpt.domain == NULL || *rcpt.domain == '\0' ||
		    rcpt.user[0] == '\0' ||
		    strrchr(rcpt.address, '@') + 1 != rcpt.domain)
			abort();
		for (const char *p = rcpt.address; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z')
				abort();
		}
	}
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		(void)policyd_route_lookup(&pd, maps[i], (const char *)data,
					   size, reply, sizeof(reply));
		if (strcmp(reply, "NOTFOUND ") == 0 ||
		    strncmp(reply, "TEMP ", 5) == 0)
			continue;
		if (!key_is_local(data, size))
			abort();
		if (strcmp(reply, "OK " FWD) != 0 &&
		    strcmp(reply, "OK " HOLD) != 0)
			abort();
	}
	return 0;
}
