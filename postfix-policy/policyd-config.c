/* policyd-config.c: mailshift-policyd.conf, "name = value" lines.

   One table names every setting with its type, default and bounds
   (shared/ms-config reads the file, as for every mailshift daemon), so
   reading, checking (-n) and printing cannot disagree.  The settings of a
   syntax of their own (local_domains, warmup_start, warmup_schedule) are
   the table's custom rows; what only makes sense across settings is
   checked here, after the read.  conf.d/mailshift-policyd.conf documents
   each one. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/ms-alloc.h"
#include "../shared/ms-config.h"
#include "../shared/state-store.h"
#include "policyd-config.h"

#define SETTING_COUNT 31

/* Modeled on the published ramps: Mailtrap starts at 300 a day and grows
   about 30 % a day, SendGrid's manual plan starts at 50; we start low
   because the cap is per provider group, and stop capping after day 20
   (57,000/day per group, Mailtrap's day-21 figure). */
#define DEFAULT_SCHEDULE "1:150 2:300 3:450 4:700 5:1000 6:1500 7:2000 " \
	"8:3000 9:4000 10:5000 11:7000 12:9000 13:12000 14:15000 " \
	"15:20000 16:26000 17:33000 18:42000 19:50000 20:57000"

static void domains_free(struct policyd_config *cfg)
{
	for (unsigned int i = 0; i < cfg->local_domain_count; i++)
		free(cfg->local_domains[i]);
	cfg->local_domain_count = 0;
}

/* local_domains: replaces the list; lower case, so that lookups compare
   with the recipient's lower-cased domain. */
static int domains_parse(void *target, const char *value, char *why,
			 size_t why_size)
{
	struct policyd_config *cfg = target;
	char buf[4096], *tok, *save = NULL;

	domains_free(cfg);
	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, " ,\t", &save); tok != NULL;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		if (cfg->local_domain_count == POLICYD_MAX_DOMAINS) {
			snprintf(why, why_size, "too many domains (at most "
				 "%d)", POLICYD_MAX_DOMAINS);
			return -1;
		}
		for (char *c = tok; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		cfg->local_domains[cfg->local_domain_count++] =
			ms_xstrdup(tok);
	}
	return 0;
}

static void domains_format(const void *target, char *dest, size_t size)
{
	const struct policyd_config *cfg = target;
	size_t len = 0;

	*dest = '\0';
	for (unsigned int i = 0; i < cfg->local_domain_count && len < size;
	     i++) {
		snprintf(dest + len, size - len, "%s%s", i > 0 ? " " : "",
			 cfg->local_domains[i]);
		len += strlen(dest + len);
	}
}

/* "1:150 2:300 ..." into steps[]: the days rise, each with its cap.
   Returns the count of steps, or 0 when value is not such a list. */
static unsigned int
schedule_parse(const char *value,
	       struct policyd_schedule_step steps[POLICYD_MAX_SCHEDULE])
{
	unsigned long day, cap, last_day = 0;
	unsigned int count = 0;
	const char *p = value;
	char *end;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		day = strtoul(p, &end, 10);
		if (end == p || *end != ':' || day <= last_day ||
		    count == POLICYD_MAX_SCHEDULE)
			return 0;
		p = end + 1;
		cap = strtoul(p, &end, 10);
		if (end == p || (*end != '\0' && *end != ' ' && *end != ','))
			return 0;
		p = end;
		steps[count].day = (unsigned int)day;
		steps[count].cap = cap;
		count++;
		last_day = day;
	}
	return count;
}

static int schedule_set(void *target, const char *value, char *why,
			size_t why_size)
{
	struct policyd_config *cfg = target;
	struct policyd_schedule_step steps[POLICYD_MAX_SCHEDULE];
	unsigned int count = schedule_parse(value, steps);

	if (count == 0) {
		snprintf(why, why_size, "use DAY:CAP pairs with rising days, "
			 "e.g. 1:150 2:300");
		return -1;
	}
	memcpy(cfg->schedule, steps, count * sizeof(steps[0]));
	cfg->schedule_count = count;
	return 0;
}

static void schedule_format(const void *target, char *dest, size_t size)
{
	const struct policyd_config *cfg = target;
	size_t len = 0;

	*dest = '\0';
	for (unsigned int i = 0; i < cfg->schedule_count && len < size; i++) {
		snprintf(dest + len, size - len, "%s%u:%llu",
			 i > 0 ? " " : "", cfg->schedule[i].day,
			 (unsigned long long)cfg->schedule[i].cap);
		len += strlen(dest + len);
	}
}

/* warmup_start: empty (no warm-up yet) or YYYY-MM-DD. */
static int day_parse(void *target, const char *value, char *why,
		     size_t why_size)
{
	struct policyd_config *cfg = target;
	unsigned int y, m, d;
	char tail;

	if (*value != '\0' &&
	    (strlen(value) != 10 ||
	     sscanf(value, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 ||
	     m < 1 || m > 12 || d < 1 || d > 31)) {
		snprintf(why, why_size, "use YYYY-MM-DD");
		return -1;
	}
	snprintf(cfg->warmup_start, sizeof(cfg->warmup_start), "%s", value);
	return 0;
}

static void day_format(const void *target, char *dest, size_t size)
{
	const struct policyd_config *cfg = target;

	snprintf(dest, size, "%s", cfg->warmup_start);
}

static void store_format(const void *target, char *dest, size_t size)
{
	ms_store_mask_secrets(target, dest, size);
}

/* store: a string like the others, but -n output lands in terminals,
   tickets and mail to colleagues: its password stays out of it. */
static struct ms_setting store_row(struct policyd_config *cfg)
{
	struct ms_setting row = MS_SETTING_STRBUF("store",
		"sqlite:/var/lib/mailshift/state.db", cfg->store);

	row.format = store_format;
	return row;
}

static const struct ms_setting_choice user_key_choices[] = {
	{ "localpart", POLICYD_KEY_LOCALPART },
	{ "address", POLICYD_KEY_ADDRESS },
	{ NULL, 0 }
};

static const struct ms_setting_choice overflow_choices[] = {
	{ "relay", POLICYD_OVERFLOW_RELAY },
	{ "defer", POLICYD_OVERFLOW_DEFER },
	{ NULL, 0 }
};

/* The table of cfg's settings, in the order -n prints them. */
static void settings_of(struct policyd_config *cfg,
			struct ms_setting table[SETTING_COUNT])
{
	const struct ms_setting rows[] = {
		store_row(cfg),
		MS_SETTING_STRBUF("socketmap_listen",
			"unix:/var/spool/postfix/mailshift/policyd.sock",
			cfg->socketmap_listen),
		MS_SETTING_STRBUF("policy_listen", "", cfg->policy_listen),
		MS_SETTING_MODE("socket_mode", "0660", &cfg->socket_mode,
				0777, NULL),
		MS_SETTING_STRBUF("socket_group", "postfix",
				  cfg->socket_group),
		MS_SETTING_CUSTOM("local_domains", "", cfg, domains_parse,
				  domains_format),
		MS_SETTING_ENUM("user_key", "localpart", &cfg->user_key,
				user_key_choices),
		MS_SETTING_STRBUF("recipient_delimiter", "+",
				  cfg->recipient_delimiter),
		MS_SETTING_STRBUF("forward_nexthop", "", cfg->forward_nexthop),
		MS_SETTING_STRBUF("hold_nexthop", "retry:4.2.0 mailbox in "
				  "final sync, held until the move is done",
				  cfg->hold_nexthop),
		MS_SETTING_TIME("state_cache_seconds", "1",
				&cfg->state_cache_seconds, 0, 60),
		MS_SETTING_UINT("state_cache_size", "20000",
				&cfg->state_cache_size, 0, 10000000),
		MS_SETTING_UINT("max_line_length", "2048",
				&cfg->max_line_length, 64, 100000),
		MS_SETTING_UINT("max_attributes", "64", &cfg->max_attributes,
				4, 1000),
		MS_SETTING_UINT("max_netstring_length", "10100",
				&cfg->max_netstring_length, 64, 100000),
		MS_SETTING_UINT("max_clients", "1000", &cfg->max_clients, 1,
				100000),
		MS_SETTING_TIME("idle_timeout", "300", &cfg->idle_timeout, 1,
				86400),
		MS_SETTING_TIME("request_timeout", "10",
				&cfg->request_timeout, 1, 3600),
		MS_SETTING_UINT("max_output_length", "65536",
				&cfg->max_output_length, 4096, 16777216),
		MS_SETTING_STRBUF("postfix_config_dir", "/etc/postfix",
				  cfg->postfix_config_dir),
		/* Postfix's resolver clients cache the last answer for 30 s:
		   releasing earlier would hold the mail again. */
		MS_SETTING_TIME("release_delay", "31", &cfg->release_delay, 0,
				86400),
		MS_SETTING_TIME("release_check_interval", "10",
				&cfg->release_check_interval, 1, 86400),
		MS_SETTING_BOOL("count_from_log", "no", &cfg->count_from_log),
		MS_SETTING_BOOL("warmup", "no", &cfg->warmup),
		MS_SETTING_CUSTOM("warmup_start", "", cfg, day_parse,
				  day_format),
		MS_SETTING_CUSTOM("warmup_schedule", DEFAULT_SCHEDULE, cfg,
				  schedule_set, schedule_format),
		MS_SETTING_STRBUF("warmup_direct", "smtp:", cfg->warmup_direct),
		MS_SETTING_ENUM("warmup_overflow", "relay",
				&cfg->warmup_overflow, overflow_choices),
		MS_SETTING_STRBUF("warmup_overflow_nexthop", "",
				  cfg->warmup_overflow_nexthop),
		MS_SETTING_STRBUF("warmup_domain_groups", "",
				  cfg->warmup_domain_groups),
		MS_SETTING_STRBUF("warmup_resolver", "system",
				  cfg->warmup_resolver),
	};

	_Static_assert(MS_SETTING_COUNT(rows) == SETTING_COUNT,
		       "SETTING_COUNT is the number of rows");
	memcpy(table, rows, sizeof(rows));
}

/* Checks what only makes sense across settings. */
static int config_check(const struct policyd_config *cfg, const char *path,
			char *error, size_t size)
{
	if (cfg->local_domain_count == 0) {
		snprintf(error, size, "%s: local_domains is empty: name the "
			 "domains being migrated", path);
		return -1;
	}
	if (cfg->warmup && cfg->warmup_start[0] == '\0') {
		snprintf(error, size, "%s: warmup = yes needs warmup_start "
			 "(the new IP's first day, YYYY-MM-DD)", path);
		return -1;
	}
	if (cfg->warmup && cfg->warmup_overflow == POLICYD_OVERFLOW_RELAY &&
	    cfg->warmup_overflow_nexthop[0] == '\0') {
		snprintf(error, size, "%s: warmup_overflow = relay needs "
			 "warmup_overflow_nexthop (e.g. "
			 "mailshift_overflow:[old.example.com]:587)", path);
		return -1;
	}
	return 0;
}

int policyd_config_read(const char *path, struct policyd_config *cfg,
			char *error, size_t size)
{
	struct ms_setting table[SETTING_COUNT];

	memset(cfg, 0, sizeof(*cfg));
	settings_of(cfg, table);
	if (ms_config_read(path, table, SETTING_COUNT, error, size) < 0)
		return -1;
	return config_check(cfg, path, error, size);
}

void policyd_config_free(struct policyd_config *cfg)
{
	struct ms_setting table[SETTING_COUNT];

	domains_free(cfg);
	settings_of(cfg, table);
	ms_config_free(table, SETTING_COUNT);
}

void policyd_config_print(const struct policyd_config *cfg, FILE *out)
{
	struct ms_setting table[SETTING_COUNT];

	/* The rows point at cfg's fields to set them; printing only reads
	   through them. */
	settings_of((struct policyd_config *)cfg, table);
	ms_config_print(table, SETTING_COUNT, out);
}
