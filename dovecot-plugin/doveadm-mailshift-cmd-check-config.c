/* Copyright (c) mailshift authors */

/* doveadm mailshift check-config [-u user]

   What mailshift will do with this configuration, before the first login
   finds out: the mailshift settings in effect (a user's, with -u: their
   userdb fields count), the credentials mode in force and what it leaves
   unused, the state store and who can open it, the mailshift-login
   service against the user imap and pop3 run as, and whom -A goes over.
   Each problem is printed with its fix; any problem exits EX_CONFIG.

   It changes nothing: a state store that does not exist yet is not
   created, only its directory is checked. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "ipwd.h"
#include "path-util.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "mail-user.h"
#include "mail-storage-settings.h"
#include "mail-storage-service.h"
#include "doveadm-mail.h"
#include "doveadm-cmd.h"
#include "mailshift-settings.h"
#include "doveadm-mailshift.h"
#include "doveadm-mailshift-doveconf.h"
#include "state-store.h"

#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/stat.h>

/* Debian's doveadm reads this when no -c is given */
#define MAILSHIFT_DEFAULT_CONFIG "/etc/dovecot/dovecot.conf"
#define MAILSHIFT_LOGIN_SERVICE "service mailshift-login"

struct mailshift_check {
	pool_t pool;
	string_t *out;
	unsigned int problems;

	const char *config_path;
	struct mailshift_doveconf *conf;
	struct mail_storage_service_user *service_user;
	const struct mail_user_settings *user_set;
	const struct mailshift_settings *set;
	const char *username;

	/* the uid/gid imap and pop3 run as: the user's (-u), or mail_uid;
	   known = FALSE when the userdb gives each user their own */
	bool mail_id_known;
	uid_t mail_uid;
	gid_t mail_gid;
};

static void ATTR_FORMAT(2, 3)
mailshift_check_line(struct mailshift_check *check, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	str_vprintfa(check->out, fmt, args);
	str_append_c(check->out, '\n');
	va_end(args);
}

static void
mailshift_check_problem(struct mailshift_check *check, const char *what,
			const char *fix)
{
	check->problems++;
	str_printfa(check->out, "problem: %s\n  fix: %s\n", what, fix);
}

static const char *mailshift_check_uid_name(uid_t uid)
{
	struct passwd pw;

	if (i_getpwuid(uid, &pw) > 0)
		return t_strdup_printf("%s (uid %s)", pw.pw_name,
				       dec2str(uid));
	return t_strdup_printf("uid %s", dec2str(uid));
}

static const char *mailshift_check_owner(const struct stat *st)
{
	struct passwd pw;
	struct group gr;

	return t_strdup_printf("%s:%s %04o",
		i_getpwuid(st->st_uid, &pw) > 0 ? pw.pw_name :
		dec2str(st->st_uid),
		i_getgrgid(st->st_gid, &gr) > 0 ? gr.gr_name :
		dec2str(st->st_gid), (unsigned int)(st->st_mode & 07777));
}

/* ---- settings and credentials --------------------------------------------- */

static void mailshift_check_settings(struct mailshift_check *check)
{
	const char *name, *value, *shown;
	char masked[1024];

	mailshift_check_line(check, "# mailshift settings%s%s "
			     "('# default' where not set)",
			     check->username == NULL ? "" : " of user ",
			     check->username == NULL ? "" : check->username);
	for (unsigned int i = 0; (name = mailshift_setting_name(i)) != NULL;
	     i++) {
		value = mail_user_set_plugin_getenv(check->user_set, name);
		shown = value != NULL ? value : mailshift_setting_default(name);
		if (strcmp(name, "mailshift_source_password") == 0 &&
		    *shown != '\0')
			shown = "********";
		else if (strcmp(name, "mailshift_store") == 0) {
			ms_store_mask_secrets(shown, masked, sizeof(masked));
			shown = masked;
		}
		mailshift_check_line(check, "%s = %s%s", name, shown,
				     value == NULL ? "  # default" : "");
	}
	for (unsigned int i = 0; check->set != NULL &&
	     check->set->folder_map[i] != NULL; i++) {
		mailshift_check_line(check, "mailshift_folder_map%s = %s",
				     i == 0 ? "" : dec2str(i + 1),
				     check->set->folder_map[i]);
	}
	mailshift_check_line(check, "%s", "");
}

/* The passdbs that hand the typed password to mailshift
   (userdb_mailshift_source_password=%w, auth-mailshift.conf.ext) */
static const char *mailshift_check_capturing_passdb(struct mailshift_check *check)
{
	const char *const *passdbs;
	const char *fields;

	passdbs = mailshift_doveconf_sections(check->conf, NULL, "passdb");
	for (; *passdbs != NULL; passdbs++) {
		fields = t_strconcat(
			mailshift_doveconf_get(check->conf, *passdbs,
					       "override_fields"), " ",
			mailshift_doveconf_get(check->conf, *passdbs,
					       "default_fields"), NULL);
		if (strstr(fields, "userdb_mailshift_source_password=") != NULL)
			return t_strdup_printf("passdb %s",
				mailshift_doveconf_get(check->conf, *passdbs,
						       "driver"));
	}
	return NULL;
}

static void mailshift_check_credentials(struct mailshift_check *check)
{
	const struct mailshift_settings *set = check->set;
	const char *capturing = mailshift_check_capturing_passdb(check);
	const char *password, *error;
	struct stat st;

	mailshift_check_line(check, "# credentials");
	mailshift_check_line(check, "in force: %s",
			     mailshift_credentials_mode_describe(set));
	mailshift_check_line(check, "typed passwords handed to mailshift "
			     "by: %s", capturing != NULL ? capturing :
			     "no passdb (userdb_mailshift_source_password=%w "
			     "is in none)");
	switch (mailshift_credentials_mode(set)) {
	case MAILSHIFT_CREDENTIALS_MASTER_USER:
		if (mailshift_settings_get_password(set, &password,
						    &error) < 0) {
			mailshift_check_problem(check, t_strdup_printf(
				"the master user's password cannot be read: %s",
				error), "write the password into the file, "
				"owned by root, mode 0600");
		}
		if (capturing != NULL) {
			mailshift_check_problem(check, t_strdup_printf(
				"two credentials modes: the master user wins, "
				"so the passwords %s hands over are neither used "
				"nor carried over to mailshift_local_passwd_file "
				"(users would need a new password once the old "
				"server is gone)", capturing),
				"choose one: remove mailshift_source_master_user "
				"and mailshift_source_password_file to use the "
				"passwords typed at login, or remove the "
				"!include of auth-mailshift.conf.ext");
		}
		break;
	case MAILSHIFT_CREDENTIALS_USER_PASSWORD:
		break;
	case MAILSHIFT_CREDENTIALS_CAPTURED:
		if (capturing == NULL) {
			mailshift_check_problem(check, "no credentials for "
				"the old server: no master user, and no passdb "
				"hands the password typed at login to mailshift",
				"set mailshift_source_master_user and "
				"mailshift_source_password_file, or include "
				"auth-mailshift.conf.ext (passdb imap)");
		} else if (*set->credentials_key == '\0') {
			mailshift_check_line(check, "note: "
				"mailshift_credentials_key is empty: nothing "
				"is kept, so users who do not log in get no "
				"delta passes and no sweeps after cutover");
		} else if (stat(set->credentials_key, &st) == 0 &&
			   ((st.st_mode & 0077) != 0 || st.st_uid != 0)) {
			mailshift_check_problem(check, t_strdup_printf(
				"the credentials key %s is %s: others than "
				"root can read it, or it is not root's",
				set->credentials_key,
				mailshift_check_owner(&st)), t_strdup_printf(
				"chown root:root %s; chmod 0600 %s",
				set->credentials_key, set->credentials_key));
		}
		break;
	}
	mailshift_check_line(check, "%s", "");
}

/* ---- the state store ------------------------------------------------------- */

static void mailshift_check_store_file(struct mailshift_check *check,
				       const char *path)
{
	const char *slash = strrchr(path, '/'), *dir, *who;
	struct stat st_dir, st;
	bool file_exists;

	dir = slash == NULL ? "." : slash == path ? "/" :
		t_strdup_until(path, slash);
	if (stat(dir, &st_dir) < 0) {
		mailshift_check_problem(check, t_strdup_printf(
			"the state store's directory %s: %m", dir),
			t_strdup_printf("install -d -o <mail user> -g <mail "
					"group> -m 0750 %s", dir));
		return;
	}
	mailshift_check_line(check, "directory: %s %s", dir,
			     mailshift_check_owner(&st_dir));
	file_exists = stat(path, &st) == 0;
	if (file_exists) {
		mailshift_check_line(check, "file: %s %s", path,
				     mailshift_check_owner(&st));
		if ((st.st_mode & 0007) != 0) {
			mailshift_check_problem(check, t_strdup_printf(
				"%s can be used by every local user: it names "
				"every user being migrated", path),
				t_strdup_printf("chmod o-rwx %s", path));
		}
	} else {
		mailshift_check_line(check, "file: %s, not created yet "
				     "(its directory's owner and group get it, "
				     "mode 0660)", path);
	}
	mailshift_check_line(check, "root (doveadm, mailshift-policyd): "
			     "can open it");
	if (!check->mail_id_known) {
		mailshift_check_line(check, "note: each user's own uid (from "
				     "the userdb) opens it: check one with -u "
				     "USER");
		return;
	}
	who = mailshift_check_uid_name(check->mail_uid);
	/* SQLite makes its -wal and -shm files beside the database */
	if (!doveadm_mailshift_may(&st_dir, check->mail_uid, check->mail_gid,
				 3) ||
	    (file_exists && !doveadm_mailshift_may(&st, check->mail_uid,
						 check->mail_gid, 6))) {
		mailshift_check_problem(check, t_strdup_printf(
			"the mail user %s cannot open the state store (passes "
			"run as the user; login-started ones too)", who),
			t_strdup_printf("give the directory to the mail user: "
				"chown %s %s; chmod 0750 %s%s",
				dec2str(check->mail_uid), dir, dir,
				file_exists ? t_strdup_printf("; chown %s %s*; "
				"chmod 0660 %s*", dec2str(check->mail_uid),
				path, path) : ""));
	} else {
		mailshift_check_line(check, "mail user %s: can open it", who);
	}
}

static void mailshift_check_store(struct mailshift_check *check)
{
	const char *uri = check->set->store_uri, *error;
	struct ms_store *store;
	char masked[1024];

	ms_store_mask_secrets(uri, masked, sizeof(masked));
	mailshift_check_line(check, "# state store");
	mailshift_check_line(check, "store: %s", masked);
	if (str_begins(uri, "sqlite:"))
		mailshift_check_store_file(check, uri + 7);
	else if (ms_store_open(uri, &store, &error) < 0) {
		mailshift_check_problem(check, t_strdup_printf(
			"the state store cannot be opened: %s", error),
			"see the error; mailshift_store names it");
	} else {
		mailshift_check_line(check, "opened: yes");
		ms_store_close(&store);
	}
	mailshift_check_line(check, "%s", "");
}

/* ---- the login service ----------------------------------------------------- */

static bool mailshift_check_plugin_loaded(struct mailshift_check *check,
					  const char *protocol)
{
	struct mailshift_doveconf *conf;
	const char *plugins, *error;

	if (mailshift_doveconf_read(check->config_path, (const char *const []){
			"-f", t_strconcat("protocol=", protocol, NULL),
			"mail_plugins", NULL }, check->pool,
			&conf, &error) < 0)
		return FALSE;
	plugins = mailshift_doveconf_get(conf, NULL, "mail_plugins");
	return plugins != NULL &&
		str_array_find(t_strsplit_spaces(plugins, " "), "mailshift");
}

/* "-c PATH" among the executable's arguments, or NULL */
static const char *mailshift_check_exec_config(const char *executable)
{
	const char *const *args = t_strsplit_spaces(executable, " ");

	for (; *args != NULL; args++) {
		if (strcmp(*args, "-c") == 0 && args[1] != NULL)
			return args[1];
		if (str_begins(*args, "-c") && (*args)[2] != '\0')
			return *args + 2;
	}
	return NULL;
}

static void mailshift_check_login_exec(struct mailshift_check *check,
				       const char *executable)
{
	const char *path, *real, *ours, *error;

	path = mailshift_check_exec_config(executable);
	if (path == NULL) {
		if (access(MAILSHIFT_DEFAULT_CONFIG, R_OK) < 0) {
			mailshift_check_problem(check, t_strdup_printf(
				"the login service's doveadm has no -c and "
				"cannot read %s: no login can start a pass",
				MAILSHIFT_DEFAULT_CONFIG), t_strdup_printf(
				"executable = script /usr/bin/doveadm -c %s "
				"mailshift login", check->config_path));
		}
		/* otherwise "login" finds this instance by its socket */
		return;
	}
	if (t_realpath(path, &real, &error) < 0)
		real = path;
	if (t_realpath(check->config_path, &ours, &error) < 0)
		ours = check->config_path;
	if (strcmp(real, ours) != 0) {
		mailshift_check_problem(check, t_strdup_printf(
			"the login service runs doveadm with -c %s, not this "
			"Dovecot's %s (\"login\" then rereads this one's, "
			"found by its socket: wasted work, and no pass if %s "
			"cannot be read)", path, check->config_path, path),
			t_strdup_printf("executable = script /usr/bin/doveadm "
					"-c %s mailshift login",
					check->config_path));
	}
}

static void mailshift_check_login_socket(struct mailshift_check *check,
					 const char *listener)
{
	const char *base_dir, *name, *owner, *group, *mode_s, *path;
	unsigned int uid = 0, gid = (unsigned int)-1, mode = 0600;
	struct stat st;
	bool reachable;

	base_dir = mailshift_doveconf_get(check->conf, NULL, "base_dir");
	/* ".../unix_listener <name>" */
	name = strchr(strrchr(listener, '/') + 1, ' ') + 1;
	owner = mailshift_doveconf_get(check->conf, listener, "user");
	group = mailshift_doveconf_get(check->conf, listener, "group");
	mode_s = mailshift_doveconf_get(check->conf, listener, "mode");
	if (mode_s != NULL && str_to_uint_oct(mode_s, &mode) < 0)
		mode = 0600;
	path = name[0] == '/' ? name : t_strconcat(base_dir, "/", name, NULL);
	mailshift_check_line(check, "socket: %s, user %s, group %s, mode %04o",
			     path, owner == NULL || *owner == '\0' ? "root" :
			     owner, group == NULL || *group == '\0' ? "-" :
			     group, mode);
	if (owner != NULL && *owner != '\0' &&
	    !doveadm_mailshift_id_parse(owner, FALSE, &uid)) {
		mailshift_check_problem(check, t_strdup_printf(
			"the login socket's user %s does not exist (Debian "
			"makes no vmail user): Dovecot will not start", owner),
			"unix_listener mailshift-login { user = <the user imap "
			"and pop3 run as: mail_uid, or the userdb's uid> }");
		return;
	}
	if (group != NULL && *group != '\0')
		(void)doveadm_mailshift_id_parse(group, TRUE, &gid);
	if (!check->mail_id_known) {
		mailshift_check_line(check, "note: imap and pop3 run as each "
				     "user's own uid (from the userdb): check "
				     "one with -u USER");
		return;
	}
	reachable = uid == check->mail_uid ? (mode & 0200) != 0 :
		gid == check->mail_gid ? (mode & 0020) != 0 :
		(mode & 0002) != 0;
	if (!reachable) {
		mailshift_check_problem(check, t_strdup_printf(
			"imap and pop3 run as %s but the login socket is "
			"%s's, mode %04o: their logins cannot start passes",
			mailshift_check_uid_name(check->mail_uid),
			owner == NULL || *owner == '\0' ? "root" : owner, mode),
			t_strdup_printf("unix_listener mailshift-login { user = "
				"%s } in service mailshift-login",
				dec2str(check->mail_uid)));
		return;
	}
	/* the socket Dovecot made when it (re)loaded: an older config's */
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    !doveadm_mailshift_may(&st, check->mail_uid, check->mail_gid, 2)) {
		mailshift_check_problem(check, t_strdup_printf(
			"the running Dovecot's login socket %s is %s: the mail "
			"user %s cannot connect (the configuration says "
			"otherwise: not reloaded since?)", path,
			mailshift_check_owner(&st),
			mailshift_check_uid_name(check->mail_uid)),
			"doveadm reload");
	} else {
		mailshift_check_line(check, "imap and pop3 (%s) can connect",
			mailshift_check_uid_name(check->mail_uid));
	}
}

static void mailshift_check_login(struct mailshift_check *check)
{
	const char *const *listeners, *executable, *user;
	bool imap, pop3;

	mailshift_check_line(check, "# migration at login");
	imap = mailshift_check_plugin_loaded(check, "imap");
	pop3 = mailshift_check_plugin_loaded(check, "pop3");
	mailshift_check_line(check, "mail plugin mailshift: %s",
			     imap && pop3 ? "imap and pop3" : imap ? "imap" :
			     pop3 ? "pop3" : "not loaded (logins start no "
			     "passes)");
	executable = mailshift_doveconf_get(check->conf,
					    MAILSHIFT_LOGIN_SERVICE,
					    "executable");
	if (executable == NULL) {
		if (imap || pop3) {
			mailshift_check_problem(check, "the mail plugin is "
				"loaded but there is no service mailshift-login: "
				"logins cannot start passes",
				"copy service mailshift-login { } from "
				"conf.d/90-mailshift.conf");
		}
		mailshift_check_line(check, "%s", "");
		return;
	}
	user = mailshift_doveconf_get(check->conf, MAILSHIFT_LOGIN_SERVICE,
				      "user");
	mailshift_check_line(check, "service: %s, as %s", executable,
			     user == NULL || *user == '\0' ? "root" : user);
	if (user != NULL && *user != '\0' && strcmp(user, "root") != 0) {
		mailshift_check_problem(check, t_strdup_printf(
			"service mailshift-login runs as %s: passes read root's "
			"files (the master password, kept passwords)", user),
			"user = root in service mailshift-login");
	}
	mailshift_check_login_exec(check, executable);
	listeners = mailshift_doveconf_sections(check->conf,
						MAILSHIFT_LOGIN_SERVICE,
						"unix_listener");
	if (*listeners == NULL) {
		mailshift_check_problem(check, "service mailshift-login has "
			"no unix_listener: logins cannot reach it",
			"unix_listener mailshift-login { user = <mail user> "
			"mode = 0600 }");
	} else {
		mailshift_check_login_socket(check, *listeners);
	}
	mailshift_check_line(check, "%s", "");
}

/* ---- whom -A goes over ----------------------------------------------------- */

/* doveadm (every pass, status, the cron job) looks users up without a
   password.  A static userdb then asks the passdbs whether the user
   exists, and passdb imap cannot say without one: every user "does not
   exist" unless the userdb may answer for all. */
static void mailshift_check_static_userdb(struct mailshift_check *check)
{
	const char *const *userdbs, *const *passdbs, *args, *driver;
	bool imap_passdb = FALSE;

	passdbs = mailshift_doveconf_sections(check->conf, NULL, "passdb");
	for (; *passdbs != NULL; passdbs++) {
		driver = mailshift_doveconf_get(check->conf, *passdbs,
						"driver");
		if (null_strcmp(driver, "imap") == 0)
			imap_passdb = TRUE;
	}
	userdbs = mailshift_doveconf_sections(check->conf, NULL, "userdb");
	for (; *userdbs != NULL && imap_passdb; userdbs++) {
		driver = mailshift_doveconf_get(check->conf, *userdbs,
						"driver");
		args = mailshift_doveconf_get(check->conf, *userdbs, "args");
		if (null_strcmp(driver, "static") != 0 ||
		    (args != NULL && strstr(args, "allow_all_users=yes") != NULL))
			continue;
		mailshift_check_problem(check, "the static userdb checks "
			"users against the passdbs, and passdb imap cannot "
			"answer without a password: doveadm (passes, status, "
			"the cron job) finds no user (\"User doesn't exist\")",
			"add allow_all_users=yes to the static userdb's args");
	}
}

static void mailshift_check_users(struct mailshift_check *check)
{
	const char *const *userdbs;
	string_t *drivers = t_str_new(64);

	userdbs = mailshift_doveconf_sections(check->conf, NULL, "userdb");
	for (; *userdbs != NULL; userdbs++) {
		if (str_len(drivers) > 0)
			str_append(drivers, ", ");
		str_append(drivers, mailshift_doveconf_get(check->conf,
							   *userdbs, "driver"));
	}
	mailshift_check_line(check, "# doveadm mailshift ... -A");
	mailshift_check_line(check, "userdb: %s", str_c(drivers));
	mailshift_check_static_userdb(check);
	if (mailshift_doveconf_userdb_can_iterate(check->conf)) {
		mailshift_check_line(check, "-A: the users the state store "
			"knows, and the userdb's users Dovecot keeps mail for "
			"(uid %u..%s, a home that is theirs or can be made "
			"theirs)", check->user_set->first_valid_uid,
			check->user_set->last_valid_uid == 0 ? "" :
			dec2str(check->user_set->last_valid_uid));
	} else {
		mailshift_check_line(check, "-A: the users the state store "
			"knows (the userdb cannot list users; a user is known "
			"from their first login, or a pass: sync -u, -F)");
	}
	mailshift_check_line(check, "%s", "");
}

/* ---- the command -------------------------------------------------------------- */

static int mailshift_check_read_user(struct mailshift_check *check,
				     struct mail_storage_service_ctx *service,
				     const char *username)
{
	struct mail_storage_service_input input = {
		.service = "doveadm",
		.username = username,
	};
	const char *error;
	int ret;

	ret = mail_storage_service_lookup(service, &input,
					  &check->service_user, &error);
	if (ret <= 0) {
		i_error("mailshift: user %s: %s", username, ret == 0 ?
			"no such user in the userdb" : error);
		doveadm_exit_code = ret == 0 ? EX_NOUSER : EX_TEMPFAIL;
		return -1;
	}
	/* no mail_storage_service_next(): privileges stay root's */
	check->user_set =
		mail_storage_service_user_get_set(check->service_user)[0];
	return 0;
}

/* Read what the checks need.  Returns 0, or -1 with doveadm_exit_code
   set (logged). */
static int mailshift_check_init(struct mailshift_check *check,
				struct mail_storage_service_ctx *service)
{
	const char *error;
	unsigned int id;

	if (check->username != NULL) {
		if (mailshift_check_read_user(check, service,
					      check->username) < 0)
			return -1;
	} else if (doveadm_mailshift_global_settings(service, check->pool,
						     &check->user_set,
						     &error) < 0) {
		i_error("mailshift: %s", error);
		doveadm_exit_code = EX_CONFIG;
		return -1;
	}
	if (mailshift_doveconf_read(check->config_path, (const char *const []){
			"base_dir", "passdb", "userdb",
			"service/mailshift-login", NULL },
			check->pool, &check->conf, &error) < 0) {
		i_error("mailshift: %s", error);
		doveadm_exit_code = EX_CONFIG;
		return -1;
	}
	if (doveadm_mailshift_id_parse(check->user_set->mail_uid, FALSE, &id)) {
		check->mail_uid = id;
		check->mail_id_known =
			doveadm_mailshift_id_parse(check->user_set->mail_gid, TRUE,
					   &id);
		check->mail_gid = id;
	}
	return 0;
}

static void mailshift_check_all(struct mailshift_check *check)
{
	const char *error;

	mailshift_check_line(check, "# Dovecot: %s", check->config_path);
	if (mailshift_settings_read_set(check->user_set,
					check->username != NULL ?
					check->username : "%u", check->pool,
					&check->set, &error) < 0) {
		mailshift_check_settings(check);
		mailshift_check_problem(check, error, "see "
					"conf.d/90-mailshift.conf");
	} else {
		mailshift_check_settings(check);
		mailshift_check_credentials(check);
		mailshift_check_store(check);
		mailshift_check_login(check);
		mailshift_check_users(check);
	}
	if (check->problems == 0)
		mailshift_check_line(check, "no problems found");
	else {
		mailshift_check_line(check, "%u problem%s found",
				     check->problems,
				     check->problems == 1 ? "" : "s");
		doveadm_exit_code = EX_CONFIG;
	}
}

void cmd_mailshift_check_config(struct doveadm_cmd_context *cctx)
{
	struct mailshift_check check;
	struct mail_storage_service_ctx *service;

	i_zero(&check);
	(void)doveadm_cmd_param_str(cctx, "user", &check.username);
	check.pool = pool_alloconly_create("mailshift check-config", 4096);
	check.out = str_new(check.pool, 4096);
	check.config_path = master_service_get_config_path(master_service);

	service = mail_storage_service_init(master_service, NULL,
		MAIL_STORAGE_SERVICE_FLAG_NO_LOG_INIT |
		MAIL_STORAGE_SERVICE_FLAG_USERDB_LOOKUP |
		MAIL_STORAGE_SERVICE_FLAG_NO_NAMESPACES |
		MAIL_STORAGE_SERVICE_FLAG_TEMP_PRIV_DROP);
	if (mailshift_check_init(&check, service) == 0) {
		mailshift_check_all(&check);
		fwrite(str_data(check.out), 1, str_len(check.out), stdout);
		fflush(stdout);
	}
	if (check.service_user != NULL)
		mail_storage_service_user_unref(&check.service_user);
	mail_storage_service_deinit(&service);
	pool_unref(&check.pool);
}
