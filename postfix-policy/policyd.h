#ifndef POLICYD_H
#define POLICYD_H

/* mailshift-policyd internals, grouped by the file that offers them (as
   Postfix's postscreen.h does).  Every symbol starts with policyd_ or
   POLICYD_. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../shared/state-store.h"
#include "../shared/state-store-policy.h"

#define POLICYD_MAX_DOMAINS 64
#define POLICYD_MAX_SCHEDULE 64
#define POLICYD_GROUP_COUNT 5

/* policyd-config.c: the settings, read once into one struct. */
enum policyd_user_key { POLICYD_KEY_LOCALPART, POLICYD_KEY_ADDRESS };
enum policyd_overflow { POLICYD_OVERFLOW_RELAY, POLICYD_OVERFLOW_DEFER };

struct policyd_schedule_step {
	unsigned int day;	/* 1 = first day of the ramp */
	uint64_t cap;		/* messages per group per day */
};

struct policyd_config {
	char store[1024];
	char socketmap_listen[512];
	char policy_listen[512];
	unsigned int socket_mode;
	char socket_group[64];
	char *local_domains[POLICYD_MAX_DOMAINS];
	unsigned int local_domain_count;
	enum policyd_user_key user_key;
	char recipient_delimiter[16];
	char forward_nexthop[256];
	char hold_nexthop[256];
	unsigned int state_cache_seconds;
	unsigned int max_line_length;
	unsigned int max_attributes;
	unsigned int max_netstring_length;
	unsigned int max_clients;
	unsigned int idle_timeout;
	unsigned int request_timeout;	/* first byte to answer read */
	unsigned int max_output_length;	/* unread answers per client */
	unsigned int state_cache_size;	/* users' states kept at most */
	char postfix_config_dir[512];
	unsigned int release_delay;
	unsigned int release_check_interval;
	bool count_from_log;	/* scan-log counts messages, not lookups */
	bool warmup;
	char warmup_start[11];
	struct policyd_schedule_step schedule[POLICYD_MAX_SCHEDULE];
	unsigned int schedule_count;
	char warmup_direct[256];
	enum policyd_overflow warmup_overflow;
	char warmup_overflow_nexthop[256];
	char warmup_domain_groups[512];
	char warmup_resolver[64];
};

/* Reads path into *cfg (defaults first).  Returns 0, or -1 with a message
   naming the file, line, setting and value in error[size]. */
int policyd_config_read(const char *path, struct policyd_config *cfg,
			char *error, size_t size);
/* Frees what policyd_config_read() allocated (also after an error). */
void policyd_config_free(struct policyd_config *cfg);
/* Prints every setting with its value, as the file would say it. */
void policyd_config_print(const struct policyd_config *cfg);
/* Parses "1:150 2:300 ..." into cfg->schedule.  Returns 0 or -1. */
int policyd_schedule_parse(const char *value, struct policyd_config *cfg);

/* policyd-proto.c: the wire formats, without I/O (fuzz targets use
   these directly).  Parsers return POLICYD_PARSE_*. */
enum policyd_parse {
	POLICYD_PARSE_MORE,	/* incomplete: read more */
	POLICYD_PARSE_OK,
	POLICYD_PARSE_BAD	/* malformed or over a limit: *error_r says */
};

/* Decodes one netstring "LEN:DATA," from buf[len].  On OK, *data_r and
   *data_len_r point into buf and *consumed_r is the netstring's size.
   More than max_len bytes of data is BAD. */
enum policyd_parse policyd_netstring_parse(const char *buf, size_t len,
					   size_t max_len,
					   const char **data_r,
					   size_t *data_len_r,
					   size_t *consumed_r,
					   const char **error_r);
/* Writes data as a netstring to dest[size].  Returns its length, or 0 if
   it does not fit. */
size_t policyd_netstring_format(char *dest, size_t size, const char *data,
				size_t len);

/* The maps of a socketmap query "NAME KEY". */
enum policyd_map { POLICYD_MAP_ACCEPT, POLICYD_MAP_ROUTE,
		   POLICYD_MAP_WARMUP, POLICYD_MAP_UNKNOWN };
enum policyd_map policyd_map_from_name(const char *name, size_t len);

/* The words of our answers, each spelled here only.  socketmap: "OK
   VALUE", "NOTFOUND " (with the space socketmap_table(5) shows), "TEMP
   REASON" (Postfix defers).  Policy delegation: "action=...", to which
   the server adds the empty line. */
#define POLICYD_REPLY_OK "OK "
#define POLICYD_REPLY_NOTFOUND "NOTFOUND "
#define POLICYD_REPLY_TEMP "TEMP "
#define POLICYD_REPLY_TEMP_STORE POLICYD_REPLY_TEMP "state store unavailable"
#define POLICYD_ACTION_DUNNO "action=DUNNO"
#define POLICYD_ACTION_MALFORMED "action=DEFER_IF_PERMIT 4.3.5 " \
	"mailshift: malformed policy request"
#define POLICYD_ACTION_STORE_DOWN "action=DEFER_IF_PERMIT 4.3.0 " \
	"mailshift: state store unavailable, try again later"

/* One policy delegation request: names and values point into the
   caller's buffer, which the parser NUL-terminates in place. */
struct policyd_attr {
	const char *name, *value;
};
struct policyd_request {
	struct policyd_attr *attrs;
	unsigned int count, max;
};
/* Parses name=value lines up to the empty line from buf[len] (modified
   in place).  A line over max_line bytes, more than req->max attributes,
   a line without '=' or a NUL byte is BAD. */
enum policyd_parse policyd_request_parse(char *buf, size_t len,
					 size_t max_line,
					 struct policyd_request *req,
					 size_t *consumed_r,
					 const char **error_r);
/* The value of the first attribute called name, or NULL. */
const char *policyd_request_get(const struct policyd_request *req,
				const char *name);

/* One delivery line of Postfix's log ("maillog_file" or syslog):
   "... TAG[PID]: QUEUEID: to=<RCPT>, ..., relay=R, ..., dsn=D,
   status=WORD (TEXT)". */
struct policyd_maillog {
	char tag[128];		/* "postfix/mailshift_fwd/smtp" */
	char queue_id[32];
	char to[512];		/* the recipient as logged, without <> */
	char relay[256];	/* "none" or "host[address]:port" */
	char dsn[16];
	char status[16];	/* sent, deferred, bounced, expired... */
	char text[512];		/* in the parentheses; cut if longer */
};
/* Parses line[len] into *entry.  False for any other line, and for one
   whose tag, queue ID, recipient, relay or dsn is longer than its
   buffer. */
bool policyd_maillog_parse(const char *line, size_t len,
			   struct policyd_maillog *entry);
/* Is name a component of the tag after the first ("postfix/
   mailshift_fwd/smtp" has "mailshift_fwd" and "smtp")? */
bool policyd_maillog_tag_has(const struct policyd_maillog *entry,
			     const char *name);

/* policyd-recipient.c: who a recipient address is to us. */
struct policyd_recipient {
	char address[512];	/* lower case, extension removed */
	const char *domain;	/* into address; NULL if none */
	char user[512];		/* the state store's user name */
	bool local;		/* in local_domains */
};
/* Normalizes key into rcpt.  Returns false if it is no address. */
bool policyd_recipient_parse(const struct policyd_config *cfg,
			     const char *key, size_t len,
			     struct policyd_recipient *rcpt);

/* policyd-store.c: the daemon's store connection, reopened after a
   failure. */
struct policyd_store;
/* Remembers uri; opens nothing yet. */
struct policyd_store *policyd_store_init(const char *uri);
/* Closes the connection and frees *ps, setting it NULL; NULL-tolerant. */
void policyd_store_deinit(struct policyd_store **ps);
/* The store, opened again if the last use failed.  NULL with *error_r
   (valid until the next call) if it cannot be opened now: retried at
   most once a second, logged at most once a minute. */
struct ms_store *policyd_store_get(struct policyd_store *ps,
				   const char **error_r);
/* Marks the store as failed: the next policyd_store_get() reopens it. */
void policyd_store_failed(struct policyd_store *ps);
/* One connection of its own, with the policy tables ready (admin
   commands).  Returns 0, or -1 with the reason in error[size] (*store_r
   is then NULL).  Close it with ms_store_close(). */
int policyd_store_open(const char *uri, struct ms_store **store_r,
		       char *error, size_t size);

/* policyd-route.c: the old host's answers, and the state they need. */
struct policyd;
/* Answers one socketmap query ("OK ...", "NOTFOUND ", "TEMP ...") into
   reply[size].  Returns false, with no answer, while the warm-up's MX
   lookup for the recipient's domain runs: ask again after
   policyd_warmup_collect(). */
bool policyd_route_lookup(struct policyd *pd, enum policyd_map map,
			  const char *key, size_t key_len, char *reply,
			  size_t size);
/* Answers one policy delegation request with "action=..." (no newline). */
void policyd_policy_check(struct policyd *pd,
			  const struct policyd_request *req, char *reply,
			  size_t size);
/* Creates and frees the tables of pd (and the warm-up state). */
void policyd_route_init(struct policyd *pd);
void policyd_route_deinit(struct policyd *pd);
/* Finds users with mail held in the queue (after a restart). */
void policyd_route_find_held(struct policyd *pd);
/* Periodic work: flushes counters, releases mail of users that reached
   migrated.  Called about once a second. */
void policyd_route_tick(struct policyd *pd, time_t now);

/* policyd-warmup.c: the new host's warm-up. */
extern const char *const policyd_group_names[POLICYD_GROUP_COUNT];
struct policyd_warmup;
struct policyd_warmup *policyd_warmup_init(const struct policyd_config *cfg);
void policyd_warmup_deinit(struct policyd_warmup **wu);
/* The provider group of a recipient domain (index into
   policyd_group_names), from warmup_domain_groups or DNS; waits for the
   MX lookup (admin commands). */
unsigned int policyd_warmup_group(struct policyd_warmup *wu,
				  const char *domain);
/* The daemon's MX lookups run in resolver threads; this descriptor turns
   readable when some finished (call policyd_warmup_collect() then).
   -1 without a resolver (warmup_resolver = none): nothing waits. */
int policyd_warmup_fd(struct policyd_warmup *wu);
/* Takes the finished MX lookups' groups into the domain cache. */
void policyd_warmup_collect(struct policyd_warmup *wu);
/* Answers a warmup-map lookup for a remote recipient domain: direct,
   overflow relay or defer; counts it.  Returns 0, -1 on store error
   (reply is then TEMP), or 1 without a reply while the domain's MX
   lookup runs (after policyd_warmup_fd(): ask again after
   policyd_warmup_collect()). */
int policyd_warmup_route(struct policyd_warmup *wu, struct policyd_store *ps,
			 const char *domain, char *reply, size_t size);
/* Writes counted deltas to the store.  Returns 0 or -1. */
int policyd_warmup_flush(struct policyd_warmup *wu, struct ms_store *store,
			 const char **error_r);
/* The cap of group today from the store's history (UINT64_MAX: the ramp
   is over); *step_r is the ramp day. */
int policyd_warmup_today(struct policyd_warmup *wu, struct ms_store *store,
			 unsigned int group, time_t now, unsigned int *step_r,
			 uint64_t *cap_r, struct ms_warmup_day *today_r,
			 const char **error_r);
/* The cap of ramp day step (UINT64_MAX after the last step). */
uint64_t policyd_warmup_cap(const struct policyd_config *cfg,
			    unsigned int step);
/* "YYYY-MM-DD" of t in UTC into day[11]. */
void policyd_day_str(time_t t, char day[11]);

/* policyd-queue.c: Postfix's queue (postqueue, postsuper). */
/* One recipient of a queued message. */
struct policyd_queued_rcpt {
	char queue_name[32], queue_id[64], address[512], reason[512];
	struct policyd_recipient rcpt;
};
/* Calls cb for every recipient of local domains in the queue, only those
   of user unless it is NULL.  Returns 0, or -1 if postqueue failed
   (logged). */
int policyd_queue_walk(const struct policyd_config *cfg, const char *user,
		       void (*cb)(const struct policyd_queued_rcpt *q,
				  void *ctx),
		       void *ctx);
/* The delay reason Postfix shows for a recipient held by hold_nexthop
   (also in its delivery log); points into cfg. */
const char *policyd_queue_hold_reason(const struct policyd_config *cfg);
/* Calls cb for every recipient in the queue held by hold_nexthop (a
   user may come more than once).  Returns 0, or -1 if postqueue failed. */
int policyd_queue_held_users(const struct policyd_config *cfg,
			     void (*cb)(const char *user, void *ctx),
			     void *ctx);
/* Releases every queued message of user (postqueue -i; postsuper -H
   first for the hold queue); with verbose, prints each queue ID.
   Returns the number released, -1 on error. */
int policyd_queue_release_user(const struct policyd_config *cfg,
			       const char *user, bool verbose);

/* policyd-admin.c: commands for admins (held, release, counters,
   warmup-status, warmup-deferral, scan-log, init-store).  Each returns
   an exit code. */
int policyd_admin_command(const struct policyd_config *cfg, int argc,
			  char **argv);

/* policyd-server.c: sockets and the event loop. */
/* Runs until SIGTERM/SIGINT.  Returns an exit code. */
int policyd_server_run(struct policyd *pd);

/* policyd.c: the daemon's state, shared by the files above. */
struct policyd_cached_state;
struct policyd {
	struct policyd_config *cfg;
	const char *config_path;	/* for the release child */
	struct policyd_store *store;
	struct policyd_table *states;	/* user -> policyd_cached_state */
	struct policyd_table *counters;	/* user -> ms_policy_counters */
	struct policyd_table *held;	/* user -> time first held */
	struct policyd_warmup *warmup;
	time_t last_flush;
	/* misconfiguration check: smtpd accepted mail for a final-sync user
	   but the queue manager never asked the map "route" */
	uint64_t route_lookups;
	time_t final_sync_accepted, route_warned;
};

/* policyd-table.c: a string-keyed hash table owning its keys; values are
   fixed-size blobs allocated with the entry. */
struct policyd_table *policyd_table_create(size_t value_size);
void policyd_table_destroy(struct policyd_table **table);
/* The value of key, or NULL. */
void *policyd_table_find(struct policyd_table *table, const char *key);
/* The value of key, created zeroed if missing. */
void *policyd_table_get(struct policyd_table *table, const char *key);
void policyd_table_remove(struct policyd_table *table, const char *key);
unsigned int policyd_table_count(const struct policyd_table *table);
/* Calls cb for each entry; cb returns true to remove the entry. */
void policyd_table_walk(struct policyd_table *table,
			bool (*cb)(const char *key, void *value, void *ctx),
			void *ctx);

/* policyd-log.c: "mailshift-policyd: <severity>: ..." on stderr, and
   allocation that never fails visibly (it aborts). */
void policyd_log(const char *severity, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* For events a client can cause at will (bad requests, timeouts, a full
   house): logs like policyd_log() at most a few lines a minute per limit,
   and says how many it left out.  Zero-initialize the limit. */
struct policyd_log_limit {
	time_t window;
	unsigned int logged, suppressed;
};
void policyd_log_limited(struct policyd_log_limit *limit,
			 const char *severity, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define policyd_info(...) policyd_log("info", __VA_ARGS__)
#define policyd_warning(...) policyd_log("warning", __VA_ARGS__)
#define policyd_error(...) policyd_log("error", __VA_ARGS__)
void *policyd_xcalloc(size_t size);
void *policyd_xrealloc(void *mem, size_t size);

#endif
