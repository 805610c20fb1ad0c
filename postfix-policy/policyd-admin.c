/* policyd-admin.c: the admin commands of mailshift-policyd.

     held [USER]           queued mail of local users, per recipient, with
                           Postfix's delay reason (the hold text for users
                           in final-sync)
     release USER          deliver USER's queued mail now
     counters [USER]       forwarded / held / released / deferred
     warmup-status         today's caps and usage per provider group, and
                           the schedule ahead
     warmup-deferral GROUP [DAY]
                           record a deferral from a provider (421, 4.7.x):
                           it holds GROUP's ramp on DAY (default today)
     scan-log              read delivery-log lines on stdin and record
     (warmup-scan-log)     each provider deferral (421, 4.7.x) for today;
                           with count_from_log also each message sent
                           direct or relayed (new host), held once per
                           queue ID + recipient, released, forwarded (old
                           host)
     init-store [STORE]    create or upgrade the tables, as the store's
                           owner role

   The queue commands act through policyd-queue.c. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "../shared/ms-log.h"
#include "../shared/state-store-policy.h"
#include "policyd-admin.h"
#include "policyd-proto.h"
#include "policyd-queue.h"
#include "policyd-recipient.h"
#include "policyd-store.h"
#include "policyd-warmup.h"

static void print_held(const struct policyd_queued_rcpt *q, void *ctx)
{
	printf("%s\t%s\t%s\t%s\t%s\n", q->rcpt.user, q->queue_id,
	       q->queue_name, q->address, q->reason);
}

static void count_released(const struct policyd_config *cfg,
			   const char *user, unsigned int released)
{
	struct ms_policy_counters delta = { .released = released };
	struct ms_store *store;
	char open_error[1024];
	const char *error = open_error;

	if (policyd_store_open(cfg->store, &store, open_error,
			       sizeof(open_error)) < 0 ||
	    ms_store_policy_add(store, user, &delta, &error) < 0)
		ms_warning("count released mail user=%s: %s", user, error);
	ms_store_close(&store);
}

static int print_counters(const char *user,
			  const struct ms_policy_counters *c, void *ctx)
{
	printf("%s\t%llu\t%llu\t%llu\t%llu\n", user,
	       (unsigned long long)c->forwarded, (unsigned long long)c->held,
	       (unsigned long long)c->released,
	       (unsigned long long)c->deferred);
	return 0;
}

static int open_store(const struct policyd_config *cfg,
		      struct ms_store **store_r)
{
	char error[1024];

	if (policyd_store_open(cfg->store, store_r, error,
			       sizeof(error)) < 0) {
		fprintf(stderr, "mailshift-policyd: %s\n", error);
		return -1;
	}
	return 0;
}

static void print_cap(uint64_t cap)
{
	if (cap == UINT64_MAX)
		printf("\t%-10s", "no-cap");
	else
		printf("\t%-10llu", (unsigned long long)cap);
}

static int warmup_status(const struct policyd_config *cfg)
{
	struct policyd_warmup *wu;
	struct ms_warmup_day today;
	struct ms_store *store;
	const char *error;
	unsigned int g, step, ahead;
	uint64_t cap;
	char day[11];
	int ret = 0;

	if (!cfg->warmup || cfg->warmup_start[0] == '\0') {
		printf("warm-up is off (set warmup = yes and warmup_start)\n");
		return 0;
	}
	if (open_store(cfg, &store) < 0)
		return EX_TEMPFAIL;
	wu = policyd_warmup_init(cfg);
	policyd_day_str(time(NULL), day);
	printf("warm-up %s, started %s, overflow: %s\n",
	       cfg->warmup ? "on" : "off", cfg->warmup_start,
	       cfg->warmup_overflow == POLICYD_OVERFLOW_RELAY ?
	       cfg->warmup_overflow_nexthop : "defer (4xx)");
	printf("group\t\tday\tcap\t\tsent\toverflow\tdeferrals\tnext 7 days' caps\n");
	for (g = 0; g < POLICYD_GROUP_COUNT; g++) {
		if (policyd_warmup_today(wu, store, g, time(NULL), &step, &cap,
					 &today, &error) < 0) {
			fprintf(stderr, "mailshift-policyd: %s\n", error);
			ret = EX_TEMPFAIL;
			break;
		}
		printf("%-10s\t%u", policyd_group_names[g], step);
		print_cap(cap);
		printf("\t%llu\t%llu\t\t%llu\t\t",
		       (unsigned long long)today.sent,
		       (unsigned long long)today.overflowed,
		       (unsigned long long)today.deferred);
		for (ahead = 1; ahead <= 7; ahead++) {
			cap = policyd_warmup_cap(cfg, step + ahead);
			if (cap == UINT64_MAX)
				printf("%sno-cap", ahead > 1 ? " " : "");
			else
				printf("%s%llu", ahead > 1 ? " " : "",
				       (unsigned long long)cap);
		}
		printf("\n");
	}
	printf("(today is %s UTC; a day with deferrals holds the group's "
	       "ramp day)\n", day);
	policyd_warmup_deinit(&wu);
	ms_store_close(&store);
	return ret;
}

static int warmup_deferral(const struct policyd_config *cfg,
			   const char *group, const char *day)
{
	struct ms_warmup_day delta = { .deferred = 1 };
	struct ms_store *store;
	const char *error;
	unsigned int g;

	for (g = 0; g < POLICYD_GROUP_COUNT; g++) {
		if (strcmp(policyd_group_names[g], group) == 0)
			break;
	}
	if (g == POLICYD_GROUP_COUNT) {
		fprintf(stderr, "mailshift-policyd: unknown group %s (use "
			"google, microsoft, yahoo, apple or other)\n", group);
		return EX_USAGE;
	}
	if (day != NULL)
		snprintf(delta.day, sizeof(delta.day), "%s", day);
	else
		policyd_day_str(time(NULL), delta.day);
	if (open_store(cfg, &store) < 0)
		return EX_TEMPFAIL;
	if (ms_store_warmup_add(store, group, &delta, &error) < 0) {
		fprintf(stderr, "mailshift-policyd: %s\n", error);
		ms_store_close(&store);
		return EX_TEMPFAIL;
	}
	ms_store_close(&store);
	return 0;
}

/* Releasing a user still in final-sync would only hold the mail again
   (the route answer is still "hold"), and count releases that were none. */
static int release_command(const struct policyd_config *cfg,
			   const char *user)
{
	struct ms_user_record *rec = NULL;
	struct ms_store *store;
	const char *error;
	int ret, released;

	if (open_store(cfg, &store) < 0)
		return EX_TEMPFAIL;
	ret = ms_store_user_get(store, user, &rec, &error);
	ms_store_close(&store);
	if (ret < 0) {
		fprintf(stderr, "mailshift-policyd: %s\n", error);
		return EX_TEMPFAIL;
	}
	if (ret > 0 && rec->state == MS_USER_STATE_FINAL_SYNC) {
		fprintf(stderr, "mailshift-policyd: user=%s is in final-sync: "
			"its mail stays held until the user is migrated "
			"(mailshift-policyd releases it then)\n", user);
		ms_user_record_free(&rec);
		return EX_TEMPFAIL;
	}
	ms_user_record_free(&rec);
	released = policyd_queue_release_user(cfg, user, true);
	/* With count_from_log the delivery log books the release of each
	   held recipient, whoever released it (we or Postfix's retry). */
	if (released > 0 && !cfg->count_from_log)
		count_released(cfg, user, (unsigned int)released);
	return released < 0 ? EX_TEMPFAIL : 0;
}

/* The transport of "transport:nexthop" into dest[size]. */
static void transport_of(const char *spec, char *dest, size_t size)
{
	size_t len = strcspn(spec, ":");

	snprintf(dest, size, "%.*s", (int)len, spec);
}

struct scan_log {
	const struct policyd_config *cfg;
	struct ms_store *store;
	struct policyd_warmup *wu;
	/* the transports, as their log tags name them */
	char direct[64], overflow[64], forward[64];
};

/* A provider's deferral of our mail: it reached a remote server (relay
   not "none", so not our own hold or cap) and was answered 421 or
   4.7.x, the shapes providers use for rate and reputation limits
  . */
static bool provider_deferral(const struct policyd_maillog *e)
{
	return strcmp(e->status, "deferred") == 0 && e->relay[0] != '\0' &&
		strcmp(e->relay, "none") != 0 &&
		(strncmp(e->dsn, "4.7.", 4) == 0 ||
		 strstr(e->text, " said: 421") != NULL);
}

/* New host, a remote recipient: books a provider deferral, and with
   count_from_log a delivery from the new IP (direct transport) or via
   the old host (overflow transport).  The overflow is tested first: its
   tag ("postfix/mailshift_overflow/smtp") names the smtp program too. */
static int scan_remote(struct scan_log *sl, const struct policyd_maillog *e,
		       const char *domain, const char **error_r)
{
	struct ms_warmup_day delta;
	const char *group;

	memset(&delta, 0, sizeof(delta));
	if (provider_deferral(e))
		delta.deferred = 1;
	else if (!sl->cfg->count_from_log || strcmp(e->status, "sent") != 0)
		return 0;
	else if (sl->overflow[0] != '\0' &&
		 policyd_maillog_tag_has(e, sl->overflow))
		delta.overflowed = 1;
	else if (policyd_maillog_tag_has(e, sl->direct))
		delta.sent = 1;
	else
		return 0;
	group = policyd_group_names[policyd_warmup_group(sl->wu, domain)];
	policyd_day_str(time(NULL), delta.day);
	if (ms_store_warmup_add(sl->store, group, &delta, error_r) < 0)
		return -1;
	if (delta.deferred > 0) {
		printf("deferral group=%s domain=%s day=%s: the group's ramp "
		       "holds\n", group, domain, delta.day);
		fflush(stdout);
	}
	return 0;
}

/* Old host, a recipient of ours (count_from_log): the hold transport's
   deferral books the recipient of that queued message as held, once
   however often Postfix retries it; any other line about it later
   (delivered, forwarded, deferred elsewhere) is its release.  A
   delivery by the forward transport is a forwarded message. */
static int scan_local(struct scan_log *sl, const struct policyd_maillog *e,
		      const struct policyd_recipient *rcpt,
		      const char **error_r)
{
	struct ms_policy_counters delta = { 0 };
	bool first;

	if (strcmp(e->status, "deferred") == 0 &&
	    strcmp(e->text, policyd_queue_hold_reason(sl->cfg)) == 0) {
		if (ms_store_policy_held(sl->store, e->queue_id, e->to,
					 rcpt->user, &first, error_r) < 0)
			return -1;
		delta.held = first ? 1 : 0;
	} else {
		if (ms_store_policy_unheld(sl->store, e->queue_id, e->to,
					   &first, error_r) < 0)
			return -1;
		delta.released = first ? 1 : 0;
		if (strcmp(e->status, "sent") == 0 && sl->forward[0] != '\0' &&
		    policyd_maillog_tag_has(e, sl->forward))
			delta.forwarded = 1;
	}
	if (delta.held == 0 && delta.released == 0 && delta.forwarded == 0)
		return 0;
	return ms_store_policy_add(sl->store, rcpt->user, &delta, error_r);
}

/* Reads lines until a newline, so that the rest of an over-long line
   is never taken for a line of its own. */
static void skip_rest_of_line(FILE *in)
{
	int c;

	while ((c = getc(in)) != EOF && c != '\n') ;
}

/* Held recipients are kept this long (their messages are long gone). */
#define HELD_KEEP_SECS (30 * 24 * 60 * 60)

/* Reads delivery-log lines (e.g. "tail -F -n 0 /var/log/mail.log |")
   and books what they say; see the top of this file.  Each line must
   come once: a line read twice is a delivery counted twice. */
static int scan_log(const struct policyd_config *cfg, FILE *in)
{
	struct scan_log sl = { .cfg = cfg };
	struct policyd_maillog entry;
	struct policyd_recipient rcpt;
	char line[8192];
	const char *error;
	time_t pruned = 0;
	size_t len;
	int ret = 0;

	if (open_store(cfg, &sl.store) < 0)
		return EX_TEMPFAIL;
	sl.wu = policyd_warmup_init(cfg);
	transport_of(cfg->warmup_direct, sl.direct, sizeof(sl.direct));
	if (cfg->warmup_overflow == POLICYD_OVERFLOW_RELAY)
		transport_of(cfg->warmup_overflow_nexthop, sl.overflow,
			     sizeof(sl.overflow));
	transport_of(cfg->forward_nexthop, sl.forward, sizeof(sl.forward));
	while (fgets(line, sizeof(line), in) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] != '\n' && !feof(in)) {
			skip_rest_of_line(in);
			continue;
		}
		if (cfg->count_from_log && time(NULL) - pruned > 24 * 60 * 60) {
			pruned = time(NULL);
			if (ms_store_policy_held_prune(sl.store, pruned -
						       HELD_KEEP_SECS,
						       &error) < 0)
				ms_warning("%s (retried tomorrow)", error);
		}
		if (!policyd_maillog_parse(line, len, &entry) ||
		    !policyd_recipient_parse(cfg, entry.to, strlen(entry.to),
					     &rcpt))
			continue;
		if (rcpt.local ? cfg->count_from_log &&
		    scan_local(&sl, &entry, &rcpt, &error) < 0 :
		    cfg->warmup &&
		    scan_remote(&sl, &entry, rcpt.domain, &error) < 0) {
			fprintf(stderr, "mailshift-policyd: %s\n", error);
			ret = EX_TEMPFAIL;
			break;
		}
	}
	policyd_warmup_deinit(&sl.wu);
	ms_store_close(&sl.store);
	return ret;
}

/* The one-time schema step, with the store's owner role (again after
   an upgrade of mailshift): creates or upgrades every table, so that the
   plugin and the daemon can run as roles that only read and write rows.
   uri: the owner's store, else the configured one. */
static int init_store(const struct policyd_config *cfg, const char *uri)
{
	struct ms_store *store;
	char masked[sizeof(cfg->store)];
	const char *error;

	if (uri == NULL)
		uri = cfg->store;
	ms_store_mask_secrets(uri, masked, sizeof(masked));
	if (ms_store_open_init(uri, &store, &error) < 0 ||
	    ms_store_policy_init(store, &error) < 0) {
		fprintf(stderr, "mailshift-policyd: init-store: %s\n", error);
		ms_store_close(&store);
		return EX_TEMPFAIL;
	}
	ms_store_close(&store);
	printf("state store %s: schema and policy tables ready\n", masked);
	return 0;
}

int policyd_admin_command(const struct policyd_config *cfg, int argc,
			  char **argv)
{
	const char *cmd = argv[0], *arg = argc > 1 ? argv[1] : NULL;
	struct ms_store *store;
	const char *error;
	int ret;

	if (strcmp(cmd, "held") == 0) {
		printf("user\tqueue_id\tqueue\trecipient\treason\n");
		return policyd_queue_walk(cfg, arg, print_held, NULL) < 0 ?
			EX_TEMPFAIL : 0;
	}
	if (strcmp(cmd, "release") == 0 && arg != NULL)
		return release_command(cfg, arg);
	if (strcmp(cmd, "counters") == 0) {
		if (open_store(cfg, &store) < 0)
			return EX_TEMPFAIL;
		printf("user\tforwarded\theld\treleased\tdeferred\n");
		ret = ms_store_policy_iter(store, arg, print_counters, NULL,
					   &error);
		if (ret < 0)
			fprintf(stderr, "mailshift-policyd: %s\n", error);
		ms_store_close(&store);
		return ret < 0 ? EX_TEMPFAIL : 0;
	}
	if (strcmp(cmd, "warmup-status") == 0)
		return warmup_status(cfg);
	if (strcmp(cmd, "init-store") == 0)
		return init_store(cfg, arg);
	if (strcmp(cmd, "scan-log") == 0 ||
	    strcmp(cmd, "warmup-scan-log") == 0)
		return scan_log(cfg, stdin);
	if (strcmp(cmd, "warmup-deferral") == 0 && arg != NULL)
		return warmup_deferral(cfg, arg, argc > 2 ? argv[2] : NULL);
	fprintf(stderr, "mailshift-policyd: unknown command or missing "
		"argument: %s (see mailshift-policyd -h)\n", cmd);
	return EX_USAGE;
}
