/* policyd-route.c: where each recipient's mail goes.

   OLD HOST.  Postfix asks us per recipient through transport_maps, a
   socketmap lookup, and not through policy delegation: a policy action
   such as HOLD, FILTER or REDIRECT applies to the whole message, so a
   message to one migrated and one local user could not be split.  transport_maps is consulted per recipient, by smtpd at RCPT
   time and again by the queue manager every time the message enters the
   active queue, so a deferred message is routed afresh on each retry.
   Two map names tell the two callers apart:

     accept  smtpd's resolver, at RCPT.  Never answers the hold transport:
             smtpd would refuse the recipient with 450, and
             the mail must be queued here, not left with the sender.
     route   the queue manager's own resolver (rewrite_q in master.cf).
             final-sync answers retry:..., so the error(8) delivery agent
             defers the recipient in our queue: held, not rejected, and
             retried (and so released) by Postfix itself once the user
             is migrated.  defer_transports would do the same but any
             "postqueue -f" overrides it, and the HOLD queue
             holds whole messages.

   Answers per user state: pending, syncing, synced, failed -> NOTFOUND
   (Postfix's own transport: local delivery as before the migration);
   final-sync -> NOTFOUND (accept) / hold_nexthop (route); migrated ->
   forward_nexthop.  Unknown users, other domains and "*" -> NOTFOUND:
   only addresses in local_domains are ever routed to the new host, and a
   transport answer never changes Postfix's address class, so
   reject_unauth_destination still guards against relaying.  A store that
   fails answers TEMP: Postfix defers (451 at RCPT, 4.3.0 in the queue)
   and never falls back to local delivery, which for a migrated user would
   put mail into the mailbox nobody reads any more.

   NEW HOST.  The map "warmup" (policyd-warmup.c) routes remote recipients
   during the warm-up of the new IP. */

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "../shared/ms-log.h"
#include "../shared/state-store-policy.h"
#include "policyd-proto.h"
#include "policyd-queue.h"
#include "policyd-recipient.h"
#include "policyd-route.h"
#include "policyd-store.h"
#include "policyd-table.h"
#include "policyd-warmup.h"

/* Users with counters not yet written, at most (see count_deferred()). */
#define COUNTERS_MAX 100000

struct policyd_cached_state {
	time_t fetched;
	bool found;
	enum ms_user_state state;
	time_t state_changed;
};

/* The user's state, from the cache when it is fresh enough.  Returns 1,
   0 (no such user), or -1 with *error_r.  *state_r is valid until the
   next call.

   The cache holds state_cache_size users at most, each for
   state_cache_seconds (policyd_route_tick() drops the stale ones): any
   sender can make us look up as many unknown recipients as it likes, and
   each answer is cached too.  A user that finds the cache full is looked
   up without being cached. */
static int user_state(struct policyd *pd, const char *user, bool fresh,
		      struct policyd_cached_state **state_r,
		      const char **error_r)
{
	static struct policyd_cached_state uncached;
	struct policyd_cached_state *cached;
	struct ms_user_record *rec;
	struct ms_store *store;
	time_t now = time(NULL);
	int ret;

	cached = policyd_table_find(pd->states, user);
	if (!fresh && cached != NULL && pd->cfg->state_cache_seconds > 0 &&
	    now - cached->fetched < (time_t)pd->cfg->state_cache_seconds) {
		*state_r = cached;
		return cached->found ? 1 : 0;
	}
	if ((store = policyd_store_get(pd->store, error_r)) == NULL)
		return -1;
	ret = ms_store_user_get(store, user, &rec, error_r);
	if (ret < 0) {
		/* Forget what we knew: an answer from before the failure
		   could be the state the user has since left. */
		policyd_table_remove(pd->states, user);
		policyd_store_failed(pd->store);
		return -1;
	}
	cached = policyd_table_find(pd->states, user);
	if (cached == NULL && pd->cfg->state_cache_seconds > 0 &&
	    policyd_table_count(pd->states) < pd->cfg->state_cache_size)
		cached = policyd_table_get(pd->states, user);
	if (cached == NULL) {
		memset(&uncached, 0, sizeof(uncached));
		cached = &uncached;
	}
	cached->fetched = now;
	cached->found = ret > 0;
	if (rec != NULL) {
		cached->state = rec->state;
		cached->state_changed = rec->state_changed;
	}
	ms_user_record_free(&rec);
	*state_r = cached;
	return ret;
}

static void __attribute__((format(printf, 3, 4)))
reply_set(char *reply, size_t size, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(reply, size, fmt, args);
	va_end(args);
}

static struct ms_policy_counters *user_counters(struct policyd *pd,
						const char *user)
{
	return policyd_table_get(pd->counters, user);
}

/* Counts a lookup answered TEMP.  While the store is down nothing is
   flushed, and the user may be anyone a sender makes up: past
   COUNTERS_MAX users only those already counted are. */
static void count_deferred(struct policyd *pd, const char *user)
{
	struct ms_policy_counters *c = policyd_table_find(pd->counters, user);

	if (c == NULL && policyd_table_count(pd->counters) < COUNTERS_MAX)
		c = user_counters(pd, user);
	if (c != NULL)
		c->deferred++;
}

/* A user in final-sync: smtpd's map accepts as usual, the queue
   manager's holds (see the top of this file). */
static void answer_final_sync(struct policyd *pd, enum policyd_map map,
			      const char *user, char *reply, size_t size)
{
	time_t *held_since;

	if (map == POLICYD_MAP_ACCEPT) {
		if (pd->final_sync_accepted == 0)
			pd->final_sync_accepted = time(NULL);
		reply_set(reply, size, POLICYD_REPLY_NOTFOUND);
		return;
	}
	/* With count_from_log the delivery log counts each held message
	   once; a lookup cannot (a cached repeat is never asked, a retry is
	   asked again). */
	if (!pd->cfg->count_from_log)
		user_counters(pd, user)->held++;
	held_since = policyd_table_get(pd->held, user);
	if (*held_since == 0)
		*held_since = time(NULL);
	reply_set(reply, size, POLICYD_REPLY_OK "%s", pd->cfg->hold_nexthop);
}

/* A migrated user: forwarded to the new host by both maps. */
static void answer_migrated(struct policyd *pd, enum policyd_map map,
			    const char *user, char *reply, size_t size)
{
	if (pd->cfg->forward_nexthop[0] == '\0') {
		ms_error("user=%s is migrated but forward_nexthop is not "
			 "set: set it to the new host, e.g. "
			 "mailshift_fwd:[new.example.com]:25 -- "
			 "answering TEMP", user);
		reply_set(reply, size, POLICYD_REPLY_TEMP
			  "forward_nexthop not set");
		return;
	}
	if (map == POLICYD_MAP_ROUTE && !pd->cfg->count_from_log)
		user_counters(pd, user)->forwarded++;
	reply_set(reply, size, POLICYD_REPLY_OK "%s", pd->cfg->forward_nexthop);
}

bool policyd_route_lookup(struct policyd *pd, enum policyd_map map,
			  const char *key, size_t key_len, char *reply,
			  size_t size)
{
	struct policyd_cached_state *st;
	struct policyd_recipient rcpt;
	const char *error;
	int ret;

	if (!policyd_recipient_parse(pd->cfg, key, key_len, &rcpt)) {
		reply_set(reply, size, POLICYD_REPLY_NOTFOUND);
		return true;
	}
	if (map == POLICYD_MAP_ROUTE)
		pd->route_lookups++;
	if (map == POLICYD_MAP_WARMUP) {
		/* Local recipients are delivered here; warm-up only counts
		   what leaves the new IP. */
		if (rcpt.local || !pd->cfg->warmup)
			reply_set(reply, size, POLICYD_REPLY_NOTFOUND);
		else if (policyd_warmup_route(pd->warmup, pd->store,
					      rcpt.domain, reply, size) > 0)
			return false;
		return true;
	}
	if (!rcpt.local) {
		/* Not ours: Postfix's own rules decide, which never relay
		   for a stranger. */
		reply_set(reply, size, POLICYD_REPLY_NOTFOUND);
		return true;
	}
	ret = user_state(pd, rcpt.user, false, &st, &error);
	if (ret < 0) {
		ms_error("look up recipient=%s user=%s: state store "
			 "unavailable: %s -- answering "
			 "TEMP, Postfix defers", rcpt.address,
			 rcpt.user, error);
		count_deferred(pd, rcpt.user);
		reply_set(reply, size, POLICYD_REPLY_TEMP_STORE);
		return true;
	}
	if (ret == 0) {
		reply_set(reply, size, POLICYD_REPLY_NOTFOUND);
		return true;
	}
	switch (st->state) {
	case MS_USER_STATE_FINAL_SYNC:
		answer_final_sync(pd, map, rcpt.user, reply, size);
		break;
	case MS_USER_STATE_MIGRATED:
		answer_migrated(pd, map, rcpt.user, reply, size);
		break;
	default:
		reply_set(reply, size, POLICYD_REPLY_NOTFOUND);
		break;
	}
	return true;
}

void policyd_policy_check(struct policyd *pd,
			  const struct policyd_request *req, char *reply,
			  size_t size)
{
	const char *request = policyd_request_get(req, "request");
	const char *state = policyd_request_get(req, "protocol_state");
	const char *recipient = policyd_request_get(req, "recipient");
	struct policyd_cached_state *st;
	struct policyd_recipient rcpt;
	const char *error;

	if (request == NULL || strcmp(request, "smtpd_access_policy") != 0) {
		ms_warning("policy request without "
			   "request=smtpd_access_policy (got %s): "
			   "answering DEFER_IF_PERMIT",
			   request == NULL ? "none" : request);
		reply_set(reply, size, POLICYD_ACTION_MALFORMED);
		return;
	}
	/* A guard only: routing is transport_maps' job (see the top of
	   this file).  At RCPT, a recipient of ours whose state cannot be
	   read is deferred before the message is taken in. */
	if (state == NULL || strcasecmp(state, "RCPT") != 0 ||
	    recipient == NULL ||
	    !policyd_recipient_parse(pd->cfg, recipient, strlen(recipient),
				     &rcpt) || !rcpt.local) {
		reply_set(reply, size, POLICYD_ACTION_DUNNO);
		return;
	}
	if (user_state(pd, rcpt.user, false, &st, &error) < 0) {
		ms_error("policy check recipient=%s user=%s: %s -- "
			 "answering DEFER_IF_PERMIT", rcpt.address,
			 rcpt.user, error);
		count_deferred(pd, rcpt.user);
		reply_set(reply, size, POLICYD_ACTION_STORE_DOWN);
		return;
	}
	reply_set(reply, size, POLICYD_ACTION_DUNNO);
}

struct flush_ctx {
	struct ms_store *store;
	bool failed;
};

static bool flush_user(const char *user, void *value, void *context)
{
	struct flush_ctx *ctx = context;
	const char *error;

	if (ctx->failed)
		return false;
	if (ms_store_policy_add(ctx->store, user, value, &error) < 0) {
		ms_warning("write counters user=%s: %s (kept, retried)",
			   user, error);
		ctx->failed = true;
		return false;
	}
	return true;
}

struct release_ctx {
	struct policyd *pd;
	time_t now;
};

/* Releases the mail of a user who left final-sync long enough ago that
   no Postfix resolver still caches the hold answer (release_delay). */
static bool release_check_user(const char *user, void *value, void *context)
{
	struct release_ctx *ctx = context;
	struct policyd_cached_state *st;
	const char *error;
	pid_t pid;

	if (user_state(ctx->pd, user, true, &st, &error) < 0)
		return false;
	if (st->found && st->state == MS_USER_STATE_FINAL_SYNC)
		return false;
	if (st->found &&
	    ctx->now - st->state_changed < (time_t)ctx->pd->cfg->release_delay)
		return false;
	/* postqueue can take a while on a big queue: a child does it, so
	   lookups keep being answered meanwhile. */
	pid = fork();
	if (pid < 0) {
		ms_warning("release user=%s: fork: %m (retried)", user);
		return false;
	}
	if (pid == 0) {
		/* A fresh image of ourselves: it opens its own store
		   connection (one inherited across fork() must not be
		   used), and every descriptor of ours is close-on-exec. */
		char *argv[] = { "mailshift-policyd", "-c",
				 (char *)ctx->pd->config_path, "release",
				 (char *)user, NULL };

		execv("/proc/self/exe", argv);
		ms_error("release user=%s: exec /proc/self/exe: %m", user);
		_exit(EX_OSERR);
	}
	ms_info("user=%s is %s: releasing the mail held for it",
		user, st->found ? ms_user_state_to_str(st->state) :
		"gone from the store");
	return true;
}

/* Without the queue manager's own resolver (rewrite_q in master.cf) the
   queue manager resolves with the map "accept" too, which does not hold:
   final-sync mail would be delivered into the old mailbox.  Nothing in
   Postfix reports that, so we do. */
static void route_map_check(struct policyd *pd, time_t now)
{
	if (pd->route_lookups > 0 || pd->final_sync_accepted == 0 ||
	    now - pd->final_sync_accepted < 60 ||
	    now - pd->route_warned < 600)
		return;
	pd->route_warned = now;
	ms_warning("smtpd accepted mail for a user in final-sync, but the "
		   "queue manager never asked the map \"route\": is "
		   "rewrite_q set up in master.cf (conf.d/postfix-old-"
		   "host.cf)?  Without it, final-sync mail is delivered "
		   "locally instead of held");
}

static bool state_stale(const char *user, void *value, void *context)
{
	const struct policyd_cached_state *st = value;
	const struct policyd *pd = context;

	return time(NULL) - st->fetched >=
		(time_t)pd->cfg->state_cache_seconds;
}

void policyd_route_tick(struct policyd *pd, time_t now)
{
	struct flush_ctx fctx = { 0 };
	struct release_ctx rctx = { pd, now };
	static time_t last_release_check;
	const char *error;

	/* a stale state is asked again anyway: it only takes room */
	policyd_table_walk(pd->states, state_stale, pd);
	route_map_check(pd, now);
	if ((fctx.store = policyd_store_get(pd->store, &error)) == NULL)
		return;
	policyd_table_walk(pd->counters, flush_user, &fctx);
	if (fctx.failed)
		policyd_store_failed(pd->store);
	if (pd->warmup != NULL &&
	    policyd_warmup_flush(pd->warmup, fctx.store, &error) < 0) {
		ms_warning("write warm-up counters: %s (kept, retried)", error);
		policyd_store_failed(pd->store);
	}
	if (now - last_release_check >=
	    (time_t)pd->cfg->release_check_interval) {
		last_release_check = now;
		policyd_table_walk(pd->held, release_check_user, &rctx);
	}
}

static void remember_held(const char *user, void *context)
{
	struct policyd *pd = context;
	time_t *held_since = policyd_table_get(pd->held, user);

	if (*held_since == 0)
		*held_since = time(NULL);
}

void policyd_route_init(struct policyd *pd)
{
	pd->states = policyd_table_create(sizeof(struct policyd_cached_state));
	pd->counters = policyd_table_create(sizeof(struct ms_policy_counters));
	pd->held = policyd_table_create(sizeof(time_t));
	pd->store = policyd_store_init(pd->cfg->store);
	if (pd->cfg->warmup)
		pd->warmup = policyd_warmup_init(pd->cfg);
}

void policyd_route_find_held(struct policyd *pd)
{
	/* Mail held before a restart is released at migrated like the
	   rest: the queue says who has some. */
	if (policyd_queue_held_users(pd->cfg, remember_held, pd) < 0) {
		ms_warning("cannot list the queue of %s: mail held before "
			   "this start is released by Postfix's own retry"
			   " (set postfix_config_dir)",
			   pd->cfg->postfix_config_dir);
		return;
	}
	if (policyd_table_count(pd->held) > 0)
		ms_info("%u users have mail held in the queue",
			policyd_table_count(pd->held));
}

void policyd_route_deinit(struct policyd *pd)
{
	policyd_warmup_deinit(&pd->warmup);
	policyd_table_destroy(&pd->states);
	policyd_table_destroy(&pd->counters);
	policyd_table_destroy(&pd->held);
	policyd_store_deinit(&pd->store);
}
