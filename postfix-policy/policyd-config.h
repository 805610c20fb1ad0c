#ifndef POLICYD_CONFIG_H
#define POLICYD_CONFIG_H

/* mailshift-policyd.conf: the settings, read once into one struct that
   every part of the daemon reads and none writes. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define POLICYD_MAX_DOMAINS 64
#define POLICYD_MAX_SCHEDULE 64

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

/* Reads path into *cfg (defaults first).  Returns 0, or -1 with one line
   in error[size]: "PATH:LINE: NAME = VALUE: PROBLEM" for a line the
   table refuses, "PATH: ..." for settings that do not go together. */
int policyd_config_read(const char *path, struct policyd_config *cfg,
			char *error, size_t size);
/* Frees what policyd_config_read() allocated (also after an error). */
void policyd_config_free(struct policyd_config *cfg);
/* Writes every setting with its value to out, as the file would say it
   (the store's password masked). */
void policyd_config_print(const struct policyd_config *cfg, FILE *out);

#endif
