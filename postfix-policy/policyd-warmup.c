/* policyd-warmup.c: the new IP's warm-up, on the NEW host.

   Mailbox providers judge a new IP by its volume history, so the ESPs'
   warm-up plans cap what a new IP sends per day and divert
   the rest to an IP that is already warm.  Here that warm IP is the old
   host: over the day's cap, mail is relayed through it
   (warmup_overflow = relay) or deferred with a 4xx that says why
   (warmup_overflow = defer).

   The cap is per receiving-provider group (Google, Microsoft, Yahoo,
   Apple, others), because each provider keeps its own reputation for the
   IP.  The group comes from the recipient domain's MX hosts, so a company
   domain hosted at Google Workspace counts as Google (as KumoMTA's MX
   rollup does).  A static table (warmup_domain_groups) overrides
   DNS, for well-known domains and for tests without internet access.

   The ramp day ("step") is the number of days since warmup_start on
   which the group reported no deferrals, plus one: a day with deferrals
   from a provider (421, 4.7.x; "mailshift-policyd warmup-deferral") holds
   that provider's ramp where it is.

   Postfix calls us through the queue manager's transport_maps (map name
   "warmup"), because only there is the choice per recipient and made at
   delivery time (Postfix cannot count per provider per day
   itself).

   What we count.  A lookup is no message: the queue manager's resolver
   keeps its last answer 30 s, so a run of messages from one sender to
   one recipient is asked about once, and a deferred message is asked
   again on each retry.  With count_from_log = yes the delivery log
   counts ("mailshift-policyd scan-log": every status=sent line of the
   direct transport is one message sent, of the overflow transport one
   relayed), and a lookup answered "direct" only reserves a place until
   the log shows a delivery: the cap is checked against sent + reserved,
   so a burst of lookups cannot overtake the log, and a message is
   counted once, by the log.  Each delivery the log books retires the
   oldest reservation; one that no delivery retires (the message was
   deferred, or the log is not read) lapses after RESERVE_SECS.  Without
   count_from_log the lookups are counted, as the only count there is. */

/* pipe2() */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../shared/ms-alloc.h"
#include "../shared/ms-log.h"
#include "policyd-proto.h"
#include "policyd-table.h"
#include "policyd-warmup.h"

#define GROUP_OTHER (POLICYD_GROUP_COUNT - 1)
#define DAY_SECS (24 * 60 * 60)
/* Longer than any delivery attempt takes to reach the log (Postfix's
   smtp timeouts end an attempt within minutes), so a reservation lapses
   only when its message was not delivered. */
#define RESERVE_SECS (15 * 60)
/* How often the store's count (the log's) is read again. */
#define REFRESH_SECS 1
/* How long a domain's group from DNS is kept: providers move a domain's
   MX rarely, and a day's counts should not change group midway. */
#define MX_CACHE_SECS (60 * 60)
/* Domains learned from DNS kept at most: recipients' domains are chosen
   by senders, so the cache must not grow with them. */
#define MX_CACHE_MAX 10000
/* MX lookups under way at once, and the threads that run them: a name
   server that never answers holds a thread for the resolver's timeout,
   and the others go on. */
#define LOOKUP_MAX 256
#define RESOLVER_THREADS 4

const char *const policyd_group_names[POLICYD_GROUP_COUNT] = {
	"google", "microsoft", "yahoo", "apple", "other"
};

/* MX host suffixes per group. */
static const struct {
	const char *suffix;
	unsigned int group;
} mx_suffixes[] = {
	{ ".google.com", 0 }, { ".googlemail.com", 0 },
	{ ".outlook.com", 1 }, { ".mx.microsoft", 1 }, { ".hotmail.com", 1 },
	{ ".yahoodns.net", 2 }, { ".yahoo.com", 2 },
	{ ".icloud.com", 3 }, { ".me.com", 3 }, { ".apple.com", 3 },
};

struct group_day {
	char day[11];		/* what base and delta count; "" = unread */
	unsigned int step;
	uint64_t cap;
	struct ms_warmup_day base;	/* as the store had it */
	struct ms_warmup_day delta;	/* counted since, not yet written */
	/* count_from_log: when base was read; lookups answered "direct"
	   that no logged delivery retired yet, oldest first */
	time_t read_at, log_grew, warned;
	time_t *reserved;
	unsigned int reserved_count, reserved_alloc;
};

/* What the domain table knows of one domain. */
struct domain_group {
	unsigned int group;
	time_t expires;		/* 0: from warmup_domain_groups, forever */
	bool pending;		/* a resolver thread is looking it up */
};

struct lookup {
	char domain[256];
	unsigned int group;
};

/* The resolver threads and what they share with the event loop, all
   under lock: domains to look up, lookups done (the loop hears of them
   through the pipe). */
struct resolver {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct lookup todo[LOOKUP_MAX], done[LOOKUP_MAX];
	unsigned int todo_head, todo_count, running, done_count;
	bool stop;
	pthread_t threads[RESOLVER_THREADS];
	unsigned int thread_count;
	int pipe[2];
};

struct policyd_warmup {
	const struct policyd_config *cfg;
	struct policyd_table *domains;	/* domain -> struct domain_group */
	unsigned int dns_domains;	/* of them learned from DNS */
	struct group_day groups[POLICYD_GROUP_COUNT];
	bool resolver_ready;
	struct __res_state res;
	struct resolver *resolver;	/* NULL until policyd_warmup_fd() */
	struct ms_log_limit log_busy;
};

static unsigned int group_from_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < POLICYD_GROUP_COUNT; i++) {
		if (strcmp(policyd_group_names[i], name) == 0)
			return i;
	}
	return POLICYD_GROUP_COUNT;
}

/* The group of an MX host name; GROUP_OTHER if none matches. */
static unsigned int group_of_mx(const char *host)
{
	size_t len = strlen(host), slen;
	char name[256];
	unsigned int i;

	snprintf(name, sizeof(name), "%s", host);
	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	for (i = 0; i < sizeof(mx_suffixes) / sizeof(mx_suffixes[0]); i++) {
		slen = strlen(mx_suffixes[i].suffix);
		if (len > slen &&
		    strcasecmp(name + len - slen, mx_suffixes[i].suffix) == 0)
			return mx_suffixes[i].group;
	}
	return GROUP_OTHER;
}

/* Reads "domain group" or "domain mx:host" lines. */
static void load_domain_groups(struct policyd_warmup *wu, const char *path)
{
	char line[1024], domain[256], what[256];
	unsigned int lineno = 0, group;
	FILE *file;

	if (path[0] == '\0')
		return;
	if ((file = fopen(path, "r")) == NULL) {
		ms_warning("open warmup_domain_groups %s: %m -- groups "
			   "come from DNS only", path);
		return;
	}
	while (fgets(line, sizeof(line), file) != NULL) {
		lineno++;
		if (line[0] == '#' || sscanf(line, "%255s %255s", domain,
					     what) != 2)
			continue;
		if (strncmp(what, "mx:", 3) == 0)
			group = group_of_mx(what + 3);
		else if ((group = group_from_name(what)) ==
			 POLICYD_GROUP_COUNT) {
			ms_warning("%s:%u: unknown group %s (use google, "
				   "microsoft, yahoo, apple, other or "
				   "mx:HOST)", path, lineno, what);
			continue;
		}
		for (char *c = domain; *c != '\0'; c++) {
			if (*c >= 'A' && *c <= 'Z')
				*c += 'a' - 'A';
		}
		((struct domain_group *)policyd_table_get(wu->domains,
							  domain))->group =
			group;
	}
	fclose(file);
}

/* "192.0.2.53" or "192.0.2.53:5353" */
static bool resolver_address(const char *spec, struct in_addr *addr_r,
			     unsigned short *port_r)
{
	char host[64], *colon;
	unsigned long port = 53;

	snprintf(host, sizeof(host), "%s", spec);
	if ((colon = strchr(host, ':')) != NULL) {
		*colon = '\0';
		port = strtoul(colon + 1, NULL, 10);
		if (port == 0 || port > 65535)
			return false;
	}
	*port_r = (unsigned short)port;
	return inet_pton(AF_INET, host, addr_r) == 1;
}

/* Sets up res for warmup_resolver.  Returns false for "none" or when
   there is no resolver configuration. */
static bool resolver_setup(const struct policyd_config *cfg,
			   struct __res_state *res)
{
	unsigned short port;
	struct in_addr addr;

	memset(res, 0, sizeof(*res));
	if (strcmp(cfg->warmup_resolver, "none") == 0 || res_ninit(res) != 0)
		return false;
	/* A name server of its own: e.g. a resolver that sees the public
	   MX records where the host's own one is split. */
	if (resolver_address(cfg->warmup_resolver, &addr, &port)) {
		res->nscount = 1;
		res->nsaddr_list[0].sin_family = AF_INET;
		res->nsaddr_list[0].sin_addr = addr;
		res->nsaddr_list[0].sin_port = htons(port);
	}
	res->retrans = 2;
	res->retry = 1;
	return true;
}

struct policyd_warmup *policyd_warmup_init(const struct policyd_config *cfg)
{
	struct policyd_warmup *wu = ms_xcalloc(1, sizeof(*wu));

	wu->cfg = cfg;
	wu->domains = policyd_table_create(sizeof(struct domain_group));
	load_domain_groups(wu, cfg->warmup_domain_groups);
	wu->resolver_ready = resolver_setup(cfg, &wu->res);
	return wu;
}

static void resolver_stop(struct resolver *r)
{
	unsigned int i;

	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	/* a thread in a lookup ends with the resolver's timeout */
	for (i = 0; i < r->thread_count; i++)
		pthread_join(r->threads[i], NULL);
	close(r->pipe[0]);
	close(r->pipe[1]);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void policyd_warmup_deinit(struct policyd_warmup **wu)
{
	if (*wu == NULL)
		return;
	if ((*wu)->resolver != NULL)
		resolver_stop((*wu)->resolver);
	if ((*wu)->resolver_ready)
		res_nclose(&(*wu)->res);
	for (unsigned int i = 0; i < POLICYD_GROUP_COUNT; i++)
		free((*wu)->groups[i].reserved);
	policyd_table_destroy(&(*wu)->domains);
	free(*wu);
	*wu = NULL;
}

/* Classifies by the domain's MX hosts: the first that matches a group
   decides.  No answer is "other". */
static unsigned int group_by_dns(struct __res_state *res, const char *domain)
{
	unsigned char answer[4096];
	char host[NS_MAXDNAME];
	ns_msg msg;
	ns_rr rr;
	int len, i, count;
	unsigned int group;

	len = res_nquery(res, domain, ns_c_in, ns_t_mx, answer,
			 sizeof(answer));
	if (len < 0 || ns_initparse(answer, len, &msg) < 0)
		return GROUP_OTHER;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 ||
		    ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
			continue;
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg),
			      ns_rr_rdata(rr) + 2, host, sizeof(host)) < 0)
			continue;
		if ((group = group_of_mx(host)) != GROUP_OTHER)
			return group;
	}
	return GROUP_OTHER;
}

/* Keeps what DNS said of domain for MX_CACHE_SECS, and at most
   MX_CACHE_MAX such domains: when full, the expired go first, and if
   none has, every domain learned from DNS (asked again when needed). */
static bool domain_expired(const char *domain, void *value, void *context)
{
	const struct domain_group *dg = value;
	const time_t *now = context;

	return dg->expires != 0 && !dg->pending && dg->expires <= *now;
}

static bool domain_from_dns(const char *domain, void *value, void *context)
{
	const struct domain_group *dg = value;

	return dg->expires != 0 && !dg->pending;
}

static struct domain_group *domain_learn(struct policyd_warmup *wu,
					 const char *domain)
{
	struct domain_group *dg = policyd_table_find(wu->domains, domain);
	time_t now = time(NULL);
	unsigned int before;

	if (dg != NULL) {
		if (dg->expires != 0)
			dg->expires = now + MX_CACHE_SECS;
		return dg;
	}
	if (wu->dns_domains >= MX_CACHE_MAX) {
		before = policyd_table_count(wu->domains);
		policyd_table_walk(wu->domains, domain_expired, &now);
		if (before - policyd_table_count(wu->domains) <
		    MX_CACHE_MAX / 10)
			policyd_table_walk(wu->domains, domain_from_dns,
					   NULL);
		wu->dns_domains -= before - policyd_table_count(wu->domains);
	}
	wu->dns_domains++;
	dg = policyd_table_get(wu->domains, domain);
	dg->expires = now + MX_CACHE_SECS;
	return dg;
}

/* A known group of domain into *group_r; false if unknown or expired. */
static bool domain_known(struct policyd_warmup *wu, const char *domain,
			 struct domain_group **dg_r, unsigned int *group_r)
{
	struct domain_group *dg = policyd_table_find(wu->domains, domain);

	*dg_r = dg;
	if (dg == NULL || dg->pending ||
	    (dg->expires != 0 && dg->expires <= time(NULL)))
		return false;
	*group_r = dg->group;
	return true;
}

unsigned int policyd_warmup_group(struct policyd_warmup *wu,
				  const char *domain)
{
	struct domain_group *dg;
	unsigned int group;

	if (domain_known(wu, domain, &dg, &group))
		return group;
	/* Admin commands only: the daemon asks through resolver threads
	   (group_start()), and this blocks for the lookup. */
	group = wu->resolver_ready ? group_by_dns(&wu->res, domain) :
		GROUP_OTHER;
	dg = domain_learn(wu, domain);
	dg->group = group;
	dg->pending = false;
	return group;
}

static void *resolver_thread(void *context)
{
	struct policyd_warmup *wu = context;
	struct resolver *r = wu->resolver;
	struct __res_state res;
	struct lookup job;
	bool ready = resolver_setup(wu->cfg, &res);

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->stop && r->todo_count == 0)
			pthread_cond_wait(&r->wake, &r->lock);
		if (r->stop)
			break;
		job = r->todo[r->todo_head];
		r->todo_head = (r->todo_head + 1) % LOOKUP_MAX;
		r->todo_count--;
		r->running++;
		pthread_mutex_unlock(&r->lock);

		job.group = ready ? group_by_dns(&res, job.domain) :
			GROUP_OTHER;

		pthread_mutex_lock(&r->lock);
		r->running--;
		/* todo + running + done never exceed LOOKUP_MAX */
		r->done[r->done_count++] = job;
		if (write(r->pipe[1], "", 1) < 0) {
			/* full: it already says there is something to
			   collect */
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (ready)
		res_nclose(&res);
	return NULL;
}

int policyd_warmup_fd(struct policyd_warmup *wu)
{
	struct resolver *r;

	if (!wu->resolver_ready)
		return -1;
	if (wu->resolver != NULL)
		return wu->resolver->pipe[0];
	r = ms_xcalloc(1, sizeof(*r));
	if (pipe2(r->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		ms_warning("MX lookups: pipe: %m -- looking up in the "
			   "event loop (every client waits for DNS)");
		free(r);
		return -1;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	wu->resolver = r;
	return r->pipe[0];
}

/* Starts the lookup of domain in a resolver thread (the first lookup
   starts the threads).  Returns false if too many run already. */
static bool group_start(struct policyd_warmup *wu, const char *domain)
{
	struct resolver *r = wu->resolver;
	sigset_t all, old;
	bool queued = false;
	unsigned int slot;

	if (strlen(domain) >= sizeof(r->todo[0].domain))
		return false;
	pthread_mutex_lock(&r->lock);
	if (r->todo_count + r->running + r->done_count < LOOKUP_MAX) {
		slot = (r->todo_head + r->todo_count) % LOOKUP_MAX;
		snprintf(r->todo[slot].domain, sizeof(r->todo[slot].domain),
			 "%s", domain);
		r->todo_count++;
		queued = true;
		pthread_cond_signal(&r->wake);
	}
	pthread_mutex_unlock(&r->lock);
	if (!queued || r->thread_count == RESOLVER_THREADS)
		return queued;
	/* signals are the event loop's, never a resolver thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (r->thread_count < RESOLVER_THREADS &&
	       pthread_create(&r->threads[r->thread_count], NULL,
			      resolver_thread, wu) == 0)
		r->thread_count++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r->thread_count == 0) {
		ms_error("MX lookups: cannot start a resolver thread -- "
			 "domains not in warmup_domain_groups count as "
			 "\"other\"");
		wu->resolver_ready = false;
	}
	return true;
}

void policyd_warmup_collect(struct policyd_warmup *wu)
{
	struct resolver *r = wu->resolver;
	struct lookup done[LOOKUP_MAX];
	struct domain_group *dg;
	unsigned int i, count;
	char drain[256];

	if (r == NULL)
		return;
	while (read(r->pipe[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&r->lock);
	count = r->done_count;
	memcpy(done, r->done, count * sizeof(done[0]));
	r->done_count = 0;
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < count; i++) {
		if ((dg = policyd_table_find(wu->domains,
					     done[i].domain)) == NULL)
			continue;
		dg->group = done[i].group;
		dg->pending = false;
		dg->expires = time(NULL) + MX_CACHE_SECS;
	}
}

/* The group of domain without waiting for DNS.  Returns false while its
   MX lookup runs (the caller asks again after policyd_warmup_collect()).
   Without resolver threads (admin commands, tests) it looks up here. */
static bool group_nowait(struct policyd_warmup *wu, const char *domain,
			 unsigned int *group_r)
{
	struct domain_group *dg;

	if (domain_known(wu, domain, &dg, group_r))
		return true;
	if (wu->resolver == NULL || !wu->resolver_ready) {
		*group_r = policyd_warmup_group(wu, domain);
		return true;
	}
	if (dg != NULL && dg->pending)
		return false;
	if (!group_start(wu, domain)) {
		ms_log_limited(&wu->log_busy, LOG_WARNING, "warm-up "
			       "domain=%s: %u MX lookups already under "
			       "way (is warmup_resolver answering?) -- "
			       "counting it as \"other\" this time",
			       domain, LOOKUP_MAX);
		*group_r = GROUP_OTHER;
		return true;
	}
	dg = domain_learn(wu, domain);
	dg->pending = true;
	return false;
}

void policyd_day_str(time_t t, char day[11])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(day, 11, "%Y-%m-%d", &tm);
}

static time_t day_start(const char *day)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday) != 3)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

uint64_t policyd_warmup_cap(const struct policyd_config *cfg,
			    unsigned int step)
{
	unsigned int i;
	uint64_t cap = cfg->schedule_count > 0 ? cfg->schedule[0].cap : 0;

	if (cfg->schedule_count == 0 ||
	    step > cfg->schedule[cfg->schedule_count - 1].day)
		return UINT64_MAX;
	for (i = 0; i < cfg->schedule_count; i++) {
		if (cfg->schedule[i].day <= step)
			cap = cfg->schedule[i].cap;
	}
	return cap;
}

struct history_ctx {
	char today[11];
	const char *start;
	unsigned int held_days;
	struct ms_warmup_day today_counts;
};

static int history_day(const struct ms_warmup_day *day, void *context)
{
	struct history_ctx *ctx = context;

	if (strcmp(day->day, ctx->today) == 0)
		ctx->today_counts = *day;
	else if (strcmp(day->day, ctx->start) >= 0 &&
		 strcmp(day->day, ctx->today) < 0 && day->deferred > 0)
		ctx->held_days++;
	return 0;
}

int policyd_warmup_today(struct policyd_warmup *wu, struct ms_store *store,
			 unsigned int group, time_t now, unsigned int *step_r,
			 uint64_t *cap_r, struct ms_warmup_day *today_r,
			 const char **error_r)
{
	struct history_ctx ctx;
	time_t start = day_start(wu->cfg->warmup_start);
	long days;

	memset(&ctx, 0, sizeof(ctx));
	policyd_day_str(now, ctx.today);
	ctx.start = wu->cfg->warmup_start;
	snprintf(ctx.today_counts.day, sizeof(ctx.today_counts.day), "%s",
		 ctx.today);
	if (ms_store_warmup_iter(store, policyd_group_names[group],
				 history_day, &ctx, error_r) < 0)
		return -1;
	days = (long)((day_start(ctx.today) - start) / DAY_SECS);
	if (days < 0)
		days = 0;	/* before the start: day 1's cap */
	*step_r = (unsigned int)(days + 1 - (long)ctx.held_days);
	*cap_r = policyd_warmup_cap(wu->cfg, *step_r);
	*today_r = ctx.today_counts;
	return 0;
}

/* Drops the n oldest reservations of gd. */
static void reservations_retire(struct group_day *gd, unsigned int n)
{
	if (n > gd->reserved_count)
		n = gd->reserved_count;
	gd->reserved_count -= n;
	memmove(gd->reserved, gd->reserved + n,
		gd->reserved_count * sizeof(gd->reserved[0]));
}

/* Lets reservations older than RESERVE_SECS lapse.  Lapsing while the
   log booked nothing for that long may mean nobody feeds it. */
static void reservations_expire(struct group_day *gd, unsigned int group,
				 time_t now)
{
	unsigned int n = 0;

	while (n < gd->reserved_count &&
	       now - gd->reserved[n] >= RESERVE_SECS)
		n++;
	if (n == 0)
		return;
	reservations_retire(gd, n);
	if (now - gd->log_grew >= RESERVE_SECS && now - gd->warned >= 3600) {
		gd->warned = now;
		ms_warning("warm-up group=%s: %u messages were sent "
			   "direct %d minutes ago and the delivery log "
			   "shows no delivery of this group since "
			   "(deferred?); if they were delivered, is "
			   "\"mailshift-policyd scan-log\" reading this "
			   "host's delivery log?", policyd_group_names[group],
			   n, RESERVE_SECS / 60);
	}
}

static void reserve(struct group_day *gd, time_t now)
{
	if (gd->reserved_count == gd->reserved_alloc) {
		gd->reserved_alloc = gd->reserved_alloc == 0 ? 64 :
			gd->reserved_alloc * 2;
		gd->reserved = ms_xrealloc(gd->reserved, gd->reserved_alloc,
					   sizeof(gd->reserved[0]));
	}
	gd->reserved[gd->reserved_count++] = now;
}

/* count_from_log: reads today's count again, and retires a reservation
   for each delivery the log booked since.  Returns 0 or -1. */
static int group_refresh(struct policyd_warmup *wu,
			 struct policyd_store *ps, unsigned int group,
			 time_t now, const char **error_r)
{
	struct group_day *gd = &wu->groups[group];
	struct ms_warmup_day today;
	struct ms_store *store;
	unsigned int step;
	uint64_t cap;

	if (now - gd->read_at < REFRESH_SECS)
		return 0;
	if ((store = policyd_store_get(ps, error_r)) == NULL)
		return -1;
	if (policyd_warmup_today(wu, store, group, now, &step, &cap, &today,
				 error_r) < 0) {
		policyd_store_failed(ps);
		return -1;
	}
	if (today.sent > gd->base.sent) {
		reservations_retire(gd, today.sent - gd->base.sent >
				    UINT32_MAX ? UINT32_MAX :
				    (unsigned int)(today.sent -
						   gd->base.sent));
		gd->log_grew = now;
	}
	gd->base = today;
	gd->read_at = now;
	return 0;
}

/* Today's counters of group, read from the store on the first lookup of
   each day (and every REFRESH_SECS with count_from_log). */
static struct group_day *group_today(struct policyd_warmup *wu,
				     struct policyd_store *ps,
				     unsigned int group, const char **error_r)
{
	struct group_day *gd = &wu->groups[group];
	struct ms_store *store;
	char today[11];
	time_t now = time(NULL);

	policyd_day_str(now, today);
	if (strcmp(gd->day, today) == 0) {
		if (wu->cfg->count_from_log) {
			reservations_expire(gd, group, now);
			if (group_refresh(wu, ps, group, now, error_r) < 0)
				return NULL;
		}
		return gd;
	}
	/* A new day: yesterday's delta must reach the store first, or it
	   would be counted for today. */
	if ((store = policyd_store_get(ps, error_r)) == NULL ||
	    policyd_warmup_flush(wu, store, error_r) < 0 ||
	    policyd_warmup_today(wu, store, group, now, &gd->step, &gd->cap,
				 &gd->base, error_r) < 0) {
		if (store != NULL)
			policyd_store_failed(ps);
		return NULL;
	}
	memset(&gd->delta, 0, sizeof(gd->delta));
	/* Reservations from before midnight stay: their deliveries are
	   logged, and retire them, today. */
	gd->read_at = now;
	if (gd->log_grew == 0)
		gd->log_grew = now;
	snprintf(gd->day, sizeof(gd->day), "%s", today);
	snprintf(gd->delta.day, sizeof(gd->delta.day), "%s", today);
	ms_info("warm-up group=%s day=%s step=%u cap=%llu sent=%llu",
		policyd_group_names[group], today, gd->step,
		(unsigned long long)gd->cap,
		(unsigned long long)gd->base.sent);
	return gd;
}

int policyd_warmup_route(struct policyd_warmup *wu, struct policyd_store *ps,
			 const char *domain, char *reply, size_t size)
{
	unsigned int group;
	const char *error, *name;
	struct group_day *gd;

	if (!group_nowait(wu, domain, &group))
		return 1;
	name = policyd_group_names[group];

	if ((gd = group_today(wu, ps, group, &error)) == NULL) {
		ms_error("warm-up domain=%s group=%s: %s -- answering "
			 "TEMP", domain, name, error);
		snprintf(reply, size, POLICYD_REPLY_TEMP_STORE);
		return -1;
	}
	if (wu->cfg->count_from_log) {
		/* the log counts; a lookup reserves */
		if (gd->base.sent + gd->reserved_count < gd->cap) {
			reserve(gd, time(NULL));
			snprintf(reply, size, POLICYD_REPLY_OK "%s",
				 wu->cfg->warmup_direct);
			return 0;
		}
	} else if (gd->base.sent + gd->delta.sent < gd->cap) {
		gd->delta.sent++;
		snprintf(reply, size, POLICYD_REPLY_OK "%s",
				 wu->cfg->warmup_direct);
		return 0;
	} else {
		gd->delta.overflowed++;
	}
	if (wu->cfg->warmup_overflow == POLICYD_OVERFLOW_RELAY) {
		snprintf(reply, size, POLICYD_REPLY_OK "%s",
			 wu->cfg->warmup_overflow_nexthop);
		return 0;
	}
	snprintf(reply, size, POLICYD_REPLY_OK "retry:4.7.0 new IP warm-up: "
		 "today's cap of %llu messages to %s is used up, retrying "
		 "later",
		 (unsigned long long)gd->cap, name);
	return 0;
}

int policyd_warmup_flush(struct policyd_warmup *wu, struct ms_store *store,
			 const char **error_r)
{
	struct group_day *gd;
	unsigned int i;

	for (i = 0; i < POLICYD_GROUP_COUNT; i++) {
		gd = &wu->groups[i];
		if (gd->delta.sent == 0 && gd->delta.overflowed == 0 &&
		    gd->delta.deferred == 0)
			continue;
		if (ms_store_warmup_add(store, policyd_group_names[i],
					&gd->delta, error_r) < 0)
			return -1;
		gd->base.sent += gd->delta.sent;
		gd->base.overflowed += gd->delta.overflowed;
		gd->base.deferred += gd->delta.deferred;
		gd->delta.sent = gd->delta.overflowed = gd->delta.deferred = 0;
	}
	return 0;
}
