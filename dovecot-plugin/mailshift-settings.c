/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "settings-parser.h"
#include "mail-user.h"
#include "mailshift-file.h"
#include "mailshift-settings.h"


enum mailshift_setting_type {
	MS_SET_STR,
	MS_SET_UINT,
	MS_SET_SIZE,
	MS_SET_TIME,
	MS_SET_BOOL,
	/* one of the def's values[], stored as its index */
	MS_SET_ENUM,
};

struct mailshift_setting_def {
	const char *name;
	enum mailshift_setting_type type;
	const char *default_value;
	unsigned long long min, max;
	size_t offset;
	/* MS_SET_ENUM: the names, in the order of the enum's values */
	const char *const *values;
};

#define DEF(type, field, name, def, min, max) \
	{ name, type, def, min, max, \
	  offsetof(struct mailshift_settings, field), NULL }
#define DEF_ENUM(field, name, def, values) \
	{ name, MS_SET_ENUM, def, 0, 0, \
	  offsetof(struct mailshift_settings, field), values }

static const char *const mailshift_tls_names[] = {
	[MAILSHIFT_TLS_NONE] = "no",
	[MAILSHIFT_TLS_IMAPS] = "imaps",
	[MAILSHIFT_TLS_STARTTLS] = "starttls",
	NULL
};
const char *mailshift_tls_mode_name(enum mailshift_tls_mode mode)
{
	i_assert(mode < N_ELEMENTS(mailshift_tls_names) - 1);
	return mailshift_tls_names[mode];
}

static const char *const mailshift_all_mail_names[] = {
	[MAILSHIFT_ALL_MAIL_UNIQUE] = "unique",
	[MAILSHIFT_ALL_MAIL_SKIP] = "skip",
	[MAILSHIFT_ALL_MAIL_COPY] = "copy",
	NULL
};

static const struct mailshift_setting_def mailshift_setting_defs[] = {
	DEF(MS_SET_STR, source_host, "mailshift_source_host", "", 0, 0),
	DEF(MS_SET_UINT, source_port, "mailshift_source_port", "0", 0, 65535),
	DEF_ENUM(source_tls, "mailshift_source_tls", "imaps",
		 mailshift_tls_names),
	DEF(MS_SET_BOOL, source_tls_verify, "mailshift_source_tls_verify",
	    "yes", 0, 0),
	DEF(MS_SET_STR, source_ca_file, "mailshift_source_ca_file", "", 0, 0),
	DEF(MS_SET_STR, source_user, "mailshift_source_user", "", 0, 0),
	DEF(MS_SET_STR, source_master_user, "mailshift_source_master_user",
	    "", 0, 0),
	DEF(MS_SET_STR, source_password_file, "mailshift_source_password_file",
	    "", 0, 0),
	DEF(MS_SET_STR, source_password, "mailshift_source_password", "", 0, 0),
	DEF(MS_SET_STR, source_prefix, "mailshift_source_prefix", "", 0, 0),
	DEF(MS_SET_STR, source_features, "mailshift_source_features", "", 0, 0),
	DEF_ENUM(source_all_mail, "mailshift_source_all_mail", "unique",
		 mailshift_all_mail_names),
	DEF(MS_SET_STR, source_pop3_uidl_format,
	    "mailshift_source_pop3_uidl_format", "", 0, 0),
	DEF(MS_SET_UINT, source_pop3_port, "mailshift_source_pop3_port", "0",
	    0, 65535),
	DEF(MS_SET_UINT, source_max_connections,
	    "mailshift_source_max_connections", "10", 1, 10000),
	DEF(MS_SET_UINT, source_connections_per_user,
	    "mailshift_source_connections_per_user", "3", 1, 8),
	DEF(MS_SET_SIZE, source_max_bytes_per_sec,
	    "mailshift_source_max_bytes_per_sec", "0", 0, 0),
	DEF(MS_SET_UINT, source_prefetch, "mailshift_source_prefetch",
	    "100", 1, 1000),
	DEF(MS_SET_TIME, source_timeout_secs, "mailshift_source_timeout",
	    "60s", 1, 3600),
	DEF(MS_SET_STR, store_uri, "mailshift_store",
	    "sqlite:/var/lib/mailshift/state.db", 0, 0),
	DEF(MS_SET_STR, state_dir, "mailshift_state_dir",
	    "/var/lib/mailshift", 0, 0),
	DEF(MS_SET_UINT, commit_interval, "mailshift_commit_interval",
	    "500", 1, 100000),
	DEF(MS_SET_TIME, lease_secs, "mailshift_lease", "5min", 30, 86400),
	DEF(MS_SET_BOOL, special_use_mapping, "mailshift_special_use_mapping",
	    "yes", 0, 0),
	DEF(MS_SET_TIME, delta_interval_secs, "mailshift_delta_interval",
	    "15min", 0, 7*86400),
	DEF(MS_SET_STR, login_socket, "mailshift_login_socket",
	    "mailshift-login", 0, 0),
	DEF(MS_SET_TIME, login_wait_secs, "mailshift_login_wait", "0", 0, 300),
	DEF(MS_SET_STR, credentials_key, "mailshift_credentials_key",
	    "/etc/dovecot/mailshift-credentials.key", 0, 0),
	DEF(MS_SET_STR, credentials_dir, "mailshift_credentials_dir",
	    "/var/lib/mailshift-credentials", 0, 0),
	DEF(MS_SET_STR, local_passwd_file, "mailshift_local_passwd_file",
	    "", 0, 0),
	DEF(MS_SET_TIME, cutover_settle_secs, "mailshift_cutover_settle",
	    "35s", 0, 3600),
	DEF(MS_SET_TIME, cutover_sweep_secs, "mailshift_cutover_sweep_period",
	    "2h", 0, 30*86400),
};

const char *mailshift_setting_default(const char *name)
{
	for (unsigned int i = 0; i < N_ELEMENTS(mailshift_setting_defs); i++) {
		if (strcmp(mailshift_setting_defs[i].name, name) == 0)
			return mailshift_setting_defs[i].default_value;
	}
	return NULL;
}

static int
mailshift_setting_parse(const struct mailshift_setting_def *def,
			const char *value, struct mailshift_settings *set,
			pool_t pool, const char **error_r)
{
	void *dest = PTR_OFFSET(set, def->offset);
	unsigned long long num = 0;
	const char *error = NULL;

	switch (def->type) {
	case MS_SET_STR:
		*(const char **)dest = p_strdup(pool, value);
		return 0;
	case MS_SET_BOOL:
		if (strcasecmp(value, "yes") == 0)
			*(bool *)dest = TRUE;
		else if (strcasecmp(value, "no") == 0)
			*(bool *)dest = FALSE;
		else
			error = "must be yes or no";
		break;
	case MS_SET_ENUM:
		for (unsigned int i = 0; def->values[i] != NULL; i++) {
			if (strcmp(value, def->values[i]) == 0) {
				*(unsigned int *)dest = i;
				return 0;
			}
		}
		error = t_strdup_printf("must be one of: %s",
					t_strarray_join(def->values, ", "));
		break;
	case MS_SET_UINT:
		if (str_to_ullong(value, &num) < 0)
			error = "must be a number";
		break;
	case MS_SET_SIZE: {
		uoff_t size;
		if (settings_get_size(value, &size, &error) == 0)
			num = size;
		break;
	}
	case MS_SET_TIME: {
		unsigned int secs;
		if (settings_get_time(value, &secs, &error) == 0)
			num = secs;
		break;
	}
	}
	if (error != NULL) {
		*error_r = t_strdup_printf("%s = %s: %s", def->name, value,
					   error);
		return -1;
	}
	if (def->type == MS_SET_BOOL)
		return 0;
	if (def->max != 0 && (num < def->min || num > def->max)) {
		*error_r = t_strdup_printf(
			"%s = %s: must be between %llu and %llu",
			def->name, value, def->min, def->max);
		return -1;
	}
	if (def->type == MS_SET_SIZE)
		*(unsigned long long *)dest = num;
	else
		*(unsigned int *)dest = (unsigned int)num;
	return 0;
}

static const char *const *
mailshift_settings_read_folder_map(const struct mail_user_settings *user_set,
				   pool_t pool)
{
	ARRAY_TYPE(const_string) map;
	const char *value;

	p_array_init(&map, pool, 4);
	value = mail_user_set_plugin_getenv(user_set, "mailshift_folder_map");
	for (unsigned int i = 2; value != NULL && *value != '\0'; i++) {
		value = p_strdup(pool, value);
		array_push_back(&map, &value);
		value = mail_user_set_plugin_getenv(user_set,
			t_strdup_printf("mailshift_folder_map%u", i));
	}
	array_append_zero(&map);
	return array_front(&map);
}

static int
mailshift_settings_check(const struct mailshift_settings *set,
			 const char **error_r)
{
	if (*set->source_host == '\0') {
		*error_r = "mailshift_source_host is not set: "
			"name the old IMAP server in the plugin { } section";
		return -1;
	}
	if (*set->store_uri == '\0') {
		*error_r = "mailshift_store is empty: set it to "
			"sqlite:<path> or pgsql:<conninfo>";
		return -1;
	}
	for (unsigned int i = 0; set->folder_map[i] != NULL; i++) {
		const char *eq = strchr(set->folder_map[i], '=');

		if (eq == NULL || eq == set->folder_map[i] || eq[1] == '\0') {
			*error_r = t_strdup_printf(
				"mailshift_folder_map = %s: "
				"must be <old folder>=<new folder>",
				set->folder_map[i]);
			return -1;
		}
	}
	return 0;
}

int mailshift_settings_read(struct mail_user *user,
			    const struct mailshift_settings **set_r,
			    const char **error_r)
{
	return mailshift_settings_read_set(user->set, user->username,
					   user->pool, set_r, error_r);
}

const char *mailshift_setting_name(unsigned int idx)
{
	return idx < N_ELEMENTS(mailshift_setting_defs) ?
		mailshift_setting_defs[idx].name : NULL;
}

int mailshift_settings_read_set(const struct mail_user_settings *user_set,
				const char *username, pool_t pool,
				const struct mailshift_settings **set_r,
				const char **error_r)
{
	struct mailshift_settings *set;
	const char *value;

	set = p_new(pool, struct mailshift_settings, 1);
	for (unsigned int i = 0; i < N_ELEMENTS(mailshift_setting_defs); i++) {
		const struct mailshift_setting_def *def =
			&mailshift_setting_defs[i];

		value = mail_user_set_plugin_getenv(user_set, def->name);
		if (value == NULL)
			value = def->default_value;
		if (mailshift_setting_parse(def, value, set, pool,
					    error_r) < 0)
			return -1;
	}
	if (set->source_port == 0) {
		set->source_port = set->source_tls == MAILSHIFT_TLS_IMAPS ?
			993 : 143;
	}
	if (*set->source_user == '\0')
		set->source_user = p_strdup(pool, username);
	set->folder_map = mailshift_settings_read_folder_map(user_set, pool);
	if (mailshift_settings_check(set, error_r) < 0)
		return -1;
	*set_r = set;
	return 0;
}

int mailshift_read_secret_file(const char *path, const char **secret_r,
			       const char **error_r)
{
	int ret = mailshift_file_read_line(path, TRUE, secret_r, error_r);

	if (ret == 0) {
		*error_r = t_strdup_printf("open(%s) failed: %s", path,
					   strerror(ENOENT));
		return -1;
	}
	if (ret < 0)
		return -1;
	if (**secret_r == '\0') {
		*error_r = t_strdup_printf("%s is empty", path);
		return -1;
	}
	return 0;
}

int mailshift_settings_get_password(const struct mailshift_settings *set,
				    const char **password_r,
				    const char **error_r)
{
	if (*set->source_password != '\0' && *set->source_master_user == '\0') {
		*password_r = set->source_password;
		return 0;
	}
	if (*set->source_password_file == '\0') {
		*error_r = *set->source_master_user != '\0' ?
			"mailshift_source_password_file is not set: it must "
			"hold the password of mailshift_source_master_user" :
			"no password for the old server: set "
			"mailshift_source_master_user and "
			"mailshift_source_password_file, or pass the user's "
			"own password (userdb field mailshift_source_password)";
		return -1;
	}
	if (mailshift_read_secret_file(set->source_password_file,
				       password_r, error_r) < 0) {
		*error_r = t_strdup_printf("mailshift_source_password_file: %s",
					   *error_r);
		return -1;
	}
	return 0;
}
