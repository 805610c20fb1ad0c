/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "str.h"
#include "istream.h"
#include "master-service.h"
#include "mail-user.h"
#include "mail-storage-settings.h"
#include "mail-storage-service.h"
#include "auth-master.h"
#include "doveadm-mail.h"
#include "mailshift-settings.h"
#include "doveadm-mailshift.h"
#include "doveadm-mailshift-doveconf.h"
#include "doveadm-mailshift-users.h"
#include "doveadm-mailshift-servers.h"
#include "state-store.h"

#include <sys/stat.h>

/* names shown in the summary of users left out */
#define MAILSHIFT_USERS_SKIPPED_NAMES 5

struct doveadm_mailshift_users {
	struct doveadm_mail_cmd_context *ctx;
	pool_t pool;
	bool collected, started;

	ARRAY_TYPE(const_string) names;
	unsigned int next;

	unsigned int skipped;
	string_t *skipped_names;

	struct doveadm_mailshift_servers *servers;
};

struct doveadm_mailshift_users *
doveadm_mailshift_users_init(struct doveadm_mail_cmd_context *ctx)
{
	struct doveadm_mailshift_users *users;

	users = p_new(ctx->pool, struct doveadm_mailshift_users, 1);
	users->ctx = ctx;
	users->pool = ctx->pool;
	p_array_init(&users->names, ctx->pool, 64);
	users->skipped_names = str_new(ctx->pool, 64);
	return users;
}

static int mailshift_users_add_stored(const struct ms_user_record *rec,
				      void *context)
{
	struct doveadm_mailshift_users *users = context;
	const char *name = p_strdup(users->pool, rec->user);

	array_push_back(&users->names, &name);
	return 0;
}

/* Is home the user's, or can Dovecot make it theirs?  Dovecot makes a
   missing home with the user's own privileges, so the nearest directory
   that exists must be writable by them.  FALSE only when that is certain
   (an error reading the disk keeps the user). */
static bool mailshift_users_home_usable(const char *home, uid_t uid,
					gid_t gid)
{
	struct stat st;
	const char *path = home, *slash;

	for (;;) {
		if (stat(path, &st) == 0) {
			return S_ISDIR(st.st_mode) &&
				doveadm_mailshift_may(&st, uid, gid, 3);
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return TRUE;
		slash = strrchr(path, '/');
		if (slash == NULL)
			return TRUE;
		path = slash == path ? "/" : t_strdup_until(path, slash);
	}
}

/* Would Dovecot keep mail here for this user of the userdb's list?  The
   userdb's own answer for them decides (uid, gid, home); what it leaves
   out comes from the settings, and what cannot be known keeps the user. */
/* 1 if Dovecot would keep mail here for a user with these userdb fields
   (uid, gid, home; what they leave out comes from the settings, and what
   cannot be known keeps the user), 0 if not */
static int
mailshift_users_keeps_mail_fields(const struct mail_user_settings *user_set,
				  const char *const *fields)
{
	const char *uid_s = user_set->mail_uid, *gid_s = user_set->mail_gid;
	const char *home = NULL;
	unsigned int uid, gid;

	for (; *fields != NULL; fields++) {
		if (str_begins(*fields, "uid="))
			uid_s = *fields + 4;
		else if (str_begins(*fields, "gid="))
			gid_s = *fields + 4;
		else if (str_begins(*fields, "home="))
			home = *fields + 5;
	}
	if (!doveadm_mailshift_id_parse(uid_s, FALSE, &uid) ||
	    !doveadm_mailshift_id_parse(gid_s, TRUE, &gid))
		return 1;
	/* Dovecot's own rule: mail access is refused outside these */
	if (uid < user_set->first_valid_uid ||
	    (user_set->last_valid_uid != 0 && uid > user_set->last_valid_uid) ||
	    gid < user_set->first_valid_gid ||
	    (user_set->last_valid_gid != 0 && gid > user_set->last_valid_gid))
		return 0;
	return home == NULL || *home != '/' ||
		mailshift_users_home_usable(home, uid, gid) ? 1 : 0;
}

/* Would Dovecot keep mail here for this user of the userdb's list?  The
   userdb's own answer for them decides; a failed lookup keeps them. */
static bool
mailshift_users_keeps_mail(struct doveadm_mailshift_users *users,
			   const struct mail_user_settings *user_set,
			   const char *username)
{
	struct auth_master_connection *conn =
		mail_storage_service_get_auth_conn(users->ctx->storage_service);
	struct auth_user_info info = { .service = "doveadm" };
	const char *const *fields, *name;
	int ret;
	pool_t pool = pool_alloconly_create("mailshift userdb lookup", 1024);

	ret = auth_master_user_lookup(conn, username, &info, pool, &name,
				      &fields);
	if (ret > 0)
		ret = mailshift_users_keeps_mail_fields(user_set, fields);
	pool_unref(&pool);
	return ret != 0;
}

static void mailshift_users_skip(struct doveadm_mailshift_users *users,
				 const char *username)
{
	if (users->skipped++ < MAILSHIFT_USERS_SKIPPED_NAMES) {
		if (str_len(users->skipped_names) > 0)
			str_append(users->skipped_names, ", ");
		str_append(users->skipped_names, username);
	}
}

/* The userdb's users the store does not know, if it can list them. */
static int
mailshift_users_add_listed(struct doveadm_mailshift_users *users,
			   const struct mail_user_settings *user_set)
{
	struct doveadm_mail_cmd_context *ctx = users->ctx;
	HASH_TABLE(const char *, void *) known;
	struct mailshift_doveconf *conf;
	const char *const *names, *name, *error;
	unsigned int i, count;
	pool_t pool;
	int ret;

	if (mailshift_doveconf_read(master_service_get_config_path(master_service),
				    (const char *const []){ "userdb", NULL },
				    users->pool, &conf, &error) < 0) {
		/* then ask, as doveadm itself would */
		i_debug("mailshift: %s", error);
	} else if (!mailshift_doveconf_userdb_can_iterate(conf)) {
		i_debug("mailshift: the userdb cannot list its users: "
			"-A takes the %u users the state store knows",
			array_count(&users->names));
		return 0;
	}

	pool = pool_alloconly_create("mailshift userdb users", 4096);
	hash_table_create(&known, pool, 0, str_hash, strcmp);
	names = array_get(&users->names, &count);
	for (i = 0; i < count; i++)
		hash_table_insert(known, names[i], (void *)1);
	while ((ret = mail_storage_service_all_next(ctx->storage_service,
						    &name)) > 0) {
		if (hash_table_lookup(known, name) != NULL)
			continue;
		T_BEGIN {
			if (!mailshift_users_keeps_mail(users, user_set, name))
				mailshift_users_skip(users, name);
			else {
				name = p_strdup(users->pool, name);
				array_push_back(&users->names, &name);
			}
		} T_END;
		name = p_strdup(pool, name);
		hash_table_insert(known, name, (void *)1);
	}
	hash_table_destroy(&known);
	pool_unref(&pool);
	if (ret < 0) {
		i_error("mailshift: listing the userdb's users failed (see "
			"Dovecot's log): the users only it knows are not "
			"known now");
		return -1;
	}
	return 0;
}

static int mailshift_users_collect(struct doveadm_mailshift_users *users)
{
	const struct mail_user_settings *user_set;
	struct ms_store *store;
	const char *uri, *error;
	int ret;

	if (doveadm_mailshift_global_settings(users->ctx->storage_service,
					      users->pool, &user_set,
					      &error) < 0) {
		i_error("mailshift: %s", error);
		return -1;
	}
	uri = mail_user_set_plugin_getenv(user_set, "mailshift_store");
	if (uri == NULL)
		uri = mailshift_setting_default("mailshift_store");
	/* a store not made yet knows nobody (root must not make it) */
	ret = doveadm_mailshift_store_open_existing(uri, &store, &error);
	if (ret < 0 || (ret > 0 &&
	    ms_store_users_iter(store, mailshift_users_add_stored, users,
				&error) < 0)) {
		i_error("mailshift: state store: %s (the users it knows "
			"cannot be known now)", error);
		ms_store_close(&store);
		return -1;
	}
	ms_store_close(&store);
	if (mailshift_users_add_listed(users, user_set) < 0)
		return -1;
	array_sort(&users->names, i_strcmp_p);
	return 0;
}

int doveadm_mailshift_users_next(struct doveadm_mailshift_users *users,
				 const char **username_r)
{
	struct doveadm_mail_cmd_context *ctx = users->ctx;
	const char *const *names;
	unsigned int count;
	int ret = 0;

	if (!users->started) {
		/* the first user: doveadm hands it to a server next */
		users->started = TRUE;
		users->servers = doveadm_mailshift_servers_begin(ctx->set);
	}
	if (ctx->users_list_input != NULL) {
		/* -F: the admin's list, as doveadm reads it */
		*username_r = i_stream_read_next_line(ctx->users_list_input);
		if (ctx->users_list_input->stream_errno != 0) {
			i_error("mailshift: reading the user list %s: %s",
				i_stream_get_name(ctx->users_list_input),
				i_stream_get_error(ctx->users_list_input));
			return -1;
		}
		return *username_r != NULL ? 1 : 0;
	}
	if (!users->collected) {
		users->collected = TRUE;
		T_BEGIN {
			ret = mailshift_users_collect(users);
		} T_END;
		if (ret < 0)
			return -1;
	}
	names = array_get(&users->names, &count);
	/* sorted: a name the userdb listed twice comes once */
	while (users->next < count && users->next > 0 &&
	       strcmp(names[users->next], names[users->next - 1]) == 0)
		users->next++;
	if (users->next >= count)
		return 0;
	*username_r = names[users->next++];
	return 1;
}

void doveadm_mailshift_users_deinit(struct doveadm_mailshift_users *users)
{
	doveadm_mailshift_servers_end(&users->servers);
}

unsigned int
doveadm_mailshift_users_skipped(const struct doveadm_mailshift_users *users,
				const char **names_r)
{
	*names_r = str_c(users->skipped_names);
	return users->skipped;
}
