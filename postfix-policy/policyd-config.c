/* policyd-config.c: mailshift-policyd.conf, "name = value" lines.

   One table names every setting with its type, default and bounds (as
   Postfix's CONFIG_*_TABLE does), so reading, checking (-n) and printing
   cannot disagree.  conf.d/mailshift-policyd.conf documents each one. */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../shared/state-store.h"
#include "policyd-config.h"

enum setting_type { SET_STR, SET_UINT, SET_OCTAL, SET_BOOL, SET_DOMAINS,
		    SET_USER_KEY, SET_OVERFLOW, SET_SCHEDULE, SET_DAY };

struct setting {
	const char *name;
	enum setting_type type;
	const char *def;
	size_t offset, size;	/* size: of a SET_STR buffer */
	unsigned long min, max;
};

/* Modeled on the published ramps (research 5.1): Mailtrap starts at 300
   a day and grows about 30 % a day, SendGrid's manual plan starts at 50;
   we start low because the cap is per provider group, and stop capping
   after day 20 (57,000/day per group, Mailtrap's day-21 figure). */
#define DEFAULT_SCHEDULE "1:150 2:300 3:450 4:700 5:1000 6:1500 7:2000 " \
	"8:3000 9:4000 10:5000 11:7000 12:9000 13:12000 14:15000 " \
	"15:20000 16:26000 17:33000 18:42000 19:50000 20:57000"

#define STR(name, def) { #name, SET_STR, def, \
	offsetof(struct policyd_config, name), \
	sizeof(((struct policyd_config *)0)->name), 0, 0 }
#define NUM(name, def, min, max) { #name, SET_UINT, def, \
	offsetof(struct policyd_config, name), 0, min, max }
#define OTHER(name, type, def) { #name, type, def, \
	offsetof(struct policyd_config, name), 0, 0, 0 }

static const struct setting settings[] = {
	STR(store, "sqlite:/var/lib/mailshift/state.db"),
	STR(socketmap_listen, "unix:/var/spool/postfix/mailshift/policyd.sock"),
	STR(policy_listen, ""),
	{ "socket_mode", SET_OCTAL, "0660",
	  offsetof(struct policyd_config, socket_mode), 0, 0, 0777 },
	STR(socket_group, "postfix"),
	OTHER(local_domains, SET_DOMAINS, ""),
	OTHER(user_key, SET_USER_KEY, "localpart"),
	STR(recipient_delimiter, "+"),
	STR(forward_nexthop, ""),
	STR(hold_nexthop, "retry:4.2.0 mailbox in final sync, held until "
	    "the move is done"),
	NUM(state_cache_seconds, "1", 0, 60),
	NUM(state_cache_size, "20000", 0, 10000000),
	NUM(max_line_length, "2048", 64, 100000),
	NUM(max_attributes, "64", 4, 1000),
	NUM(max_netstring_length, "10100", 64, 100000),
	NUM(max_clients, "1000", 1, 100000),
	NUM(idle_timeout, "300", 1, 86400),
	NUM(request_timeout, "10", 1, 3600),
	NUM(max_output_length, "65536", 4096, 16777216),
	STR(postfix_config_dir, "/etc/postfix"),
	/* Postfix's resolver clients cache the last answer for 30 s
	   (research 2.6): releasing earlier would hold the mail again. */
	NUM(release_delay, "31", 0, 86400),
	NUM(release_check_interval, "10", 1, 86400),
	{ "count_from_log", SET_BOOL, "no",
	  offsetof(struct policyd_config, count_from_log), 0, 0, 0 },
	{ "warmup", SET_BOOL, "no", offsetof(struct policyd_config, warmup),
	  0, 0, 0 },
	OTHER(warmup_start, SET_DAY, ""),
	OTHER(schedule, SET_SCHEDULE, DEFAULT_SCHEDULE),
	STR(warmup_direct, "smtp:"),
	OTHER(warmup_overflow, SET_OVERFLOW, "relay"),
	STR(warmup_overflow_nexthop, ""),
	STR(warmup_domain_groups, ""),
	STR(warmup_resolver, "system"),
};
#define SETTING_COUNT (sizeof(settings) / sizeof(settings[0]))

/* The schedule's name in the file is warmup_schedule. */
static const char *setting_name(const struct setting *s)
{
	return strcmp(s->name, "schedule") == 0 ? "warmup_schedule" : s->name;
}

int policyd_schedule_parse(const char *value, struct policyd_config *cfg)
{
	unsigned long day, cap, last_day = 0;
	const char *p = value;
	char *end;

	cfg->schedule_count = 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		day = strtoul(p, &end, 10);
		if (end == p || *end != ':' || day <= last_day ||
		    cfg->schedule_count == POLICYD_MAX_SCHEDULE)
			return -1;
		p = end + 1;
		cap = strtoul(p, &end, 10);
		if (end == p || (*end != '\0' && *end != ' ' && *end != ','))
			return -1;
		p = end;
		cfg->schedule[cfg->schedule_count].day = (unsigned int)day;
		cfg->schedule[cfg->schedule_count].cap = cap;
		cfg->schedule_count++;
		last_day = day;
	}
	return cfg->schedule_count == 0 ? -1 : 0;
}

void policyd_config_free(struct policyd_config *cfg)
{
	for (unsigned int i = 0; i < cfg->local_domain_count; i++)
		free(cfg->local_domains[i]);
	cfg->local_domain_count = 0;
}

static int parse_domains(const char *value, struct policyd_config *cfg)
{
	char buf[4096], *tok, *save = NULL;

	policyd_config_free(cfg);
	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, " ,\t", &save); tok != NULL;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		if (cfg->local_domain_count == POLICYD_MAX_DOMAINS)
			return -1;
		for (char *c = tok; *c != '\0'; c++) {
			if (*c >= 'A' && *c <= 'Z')
				*c += 'a' - 'A';
		}
		cfg->local_domains[cfg->local_domain_count++] = strdup(tok);
	}
	return 0;
}

static bool valid_day(const char *value)
{
	unsigned int y, m, d;
	char tail;

	return strlen(value) == 10 &&
		sscanf(value, "%4u-%2u-%2u%c", &y, &m, &d, &tail) == 3 &&
		m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* Sets one setting; returns NULL or what is wrong with value. */
static const char *setting_set(const struct setting *s, const char *value,
			       struct policyd_config *cfg)
{
	void *dest = (char *)cfg + s->offset;
	unsigned long num;
	char *end;

	switch (s->type) {
	case SET_STR:
		if (strlen(value) >= s->size)
			return "value too long";
		memcpy(dest, value, strlen(value) + 1);
		return NULL;
	case SET_UINT:
	case SET_OCTAL:
		errno = 0;
		num = strtoul(value, &end, s->type == SET_OCTAL ? 8 : 10);
		if (*value == '\0' || *end != '\0' || errno != 0 ||
		    num < s->min || num > s->max)
			return "not a number in range";
		*(unsigned int *)dest = (unsigned int)num;
		return NULL;
	case SET_BOOL:
		if (strcasecmp(value, "yes") == 0)
			*(bool *)dest = true;
		else if (strcasecmp(value, "no") == 0)
			*(bool *)dest = false;
		else
			return "use yes or no";
		return NULL;
	case SET_DOMAINS:
		return parse_domains(value, cfg) < 0 ? "too many domains" :
			NULL;
	case SET_USER_KEY:
		if (strcmp(value, "localpart") == 0)
			cfg->user_key = POLICYD_KEY_LOCALPART;
		else if (strcmp(value, "address") == 0)
			cfg->user_key = POLICYD_KEY_ADDRESS;
		else
			return "use localpart or address";
		return NULL;
	case SET_OVERFLOW:
		if (strcmp(value, "relay") == 0)
			cfg->warmup_overflow = POLICYD_OVERFLOW_RELAY;
		else if (strcmp(value, "defer") == 0)
			cfg->warmup_overflow = POLICYD_OVERFLOW_DEFER;
		else
			return "use relay or defer";
		return NULL;
	case SET_SCHEDULE:
		return policyd_schedule_parse(value, cfg) < 0 ?
			"use DAY:CAP pairs with rising days, e.g. 1:150 "
			"2:300" : NULL;
	case SET_DAY:
		if (*value != '\0' && !valid_day(value))
			return "use YYYY-MM-DD";
		snprintf(cfg->warmup_start, sizeof(cfg->warmup_start), "%s",
			 value);
		return NULL;
	}
	return "unknown type";
}

static char *trim(char *str)
{
	char *end;

	while (*str == ' ' || *str == '\t')
		str++;
	end = str + strlen(str);
	while (end > str && (end[-1] == ' ' || end[-1] == '\t' ||
			     end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return str;
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
	char line[4096], *name, *value, *eq;
	const char *problem;
	unsigned int lineno = 0, i;
	FILE *file;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < SETTING_COUNT; i++)
		(void)setting_set(&settings[i], settings[i].def, cfg);
	if ((file = fopen(path, "r")) == NULL) {
		snprintf(error, size, "open %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), file) != NULL) {
		lineno++;
		name = trim(line);
		if (*name == '#' || *name == '\0')
			continue;
		if ((eq = strchr(name, '=')) == NULL) {
			snprintf(error, size, "%s:%u: not name = value: %s",
				 path, lineno, name);
			fclose(file);
			return -1;
		}
		*eq = '\0';
		name = trim(name);
		value = trim(eq + 1);
		for (i = 0; i < SETTING_COUNT; i++) {
			if (strcmp(setting_name(&settings[i]), name) == 0)
				break;
		}
		problem = i == SETTING_COUNT ? "unknown setting" :
			setting_set(&settings[i], value, cfg);
		if (problem != NULL) {
			snprintf(error, size, "%s:%u: %s = %s: %s", path,
				 lineno, name, value, problem);
			fclose(file);
			return -1;
		}
	}
	fclose(file);
	return config_check(cfg, path, error, size);
}

void policyd_config_print(const struct policyd_config *cfg)
{
	static const char *const overflow[] = { "relay", "defer" };
	char masked[sizeof(cfg->store)];
	const void *src;
	unsigned int i, j;

	for (i = 0; i < SETTING_COUNT; i++) {
		const struct setting *s = &settings[i];

		src = (const char *)cfg + s->offset;
		printf("%s = ", setting_name(s));
		switch (s->type) {
		case SET_STR:
		case SET_DAY:
			/* -n output lands in terminals, tickets and mail to
			   colleagues: the store's password stays out of it */
			if (s->offset == offsetof(struct policyd_config,
						  store)) {
				ms_store_mask_secrets(src, masked,
						      sizeof(masked));
				src = masked;
			}
			printf("%s", (const char *)src);
			break;
		case SET_UINT:
			printf("%u", *(const unsigned int *)src);
			break;
		case SET_OCTAL:
			printf("%04o", *(const unsigned int *)src);
			break;
		case SET_BOOL:
			printf("%s", *(const bool *)src ? "yes" : "no");
			break;
		case SET_DOMAINS:
			for (j = 0; j < cfg->local_domain_count; j++)
				printf("%s%s", j > 0 ? " " : "",
				       cfg->local_domains[j]);
			break;
		case SET_USER_KEY:
			printf("%s", cfg->user_key == POLICYD_KEY_ADDRESS ?
			       "address" : "localpart");
			break;
		case SET_OVERFLOW:
			printf("%s", overflow[cfg->warmup_overflow]);
			break;
		case SET_SCHEDULE:
			for (j = 0; j < cfg->schedule_count; j++)
				printf("%s%u:%llu", j > 0 ? " " : "",
				       cfg->schedule[j].day,
				       (unsigned long long)cfg->schedule[j].cap);
			break;
		}
		printf("\n");
	}
}
