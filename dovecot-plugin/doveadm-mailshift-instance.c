/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "env-util.h"
#include "path-util.h"
#include "execv-const.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "doveadm.h"
#include "doveadm-mailshift-instance.h"

#include <stddef.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* The master's link to its configuration, in its base_dir */
#define MAILSHIFT_INSTANCE_CONFIG_LINK "dovecot.conf"

/* The path of the listener stdin was accepted on, or NULL */
static const char *mailshift_instance_socket_path(void)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	i_zero(&sa);
	if (getsockname(STDIN_FILENO, (struct sockaddr *)&sa, &len) < 0 ||
	    sa.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) ||
	    sa.sun_path[0] != '/')
		return NULL;
	return t_strndup(sa.sun_path,
			 len - offsetof(struct sockaddr_un, sun_path));
}

/* A directory of root's that others cannot write, holding a link of
   root's: what Dovecot's master makes in its base_dir.  Root runs this:
   a link someone else could plant would hand them root's doveadm. */
static bool mailshift_instance_link_trusted(const char *dir,
					    const char *link)
{
	struct stat st;

	if (stat(dir, &st) < 0 || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return FALSE;
	return lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid == 0;
}

/* The configuration of the Dovecot that made the socket at path: the link
   in the nearest directory above it that has one.  Returns 1 with
   *config_r, 0 if there is none, -1 if one is not trusted. */
static int mailshift_instance_config(const char *path, const char **dir_r,
				     const char **config_r)
{
	const char *dir = path, *slash, *link, *target, *error;

	while ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		dir = t_strdup_until(dir, slash);
		link = t_strconcat(dir, "/"MAILSHIFT_INSTANCE_CONFIG_LINK, NULL);
		if (access(link, F_OK) < 0)
			continue;
		*dir_r = dir;
		if (!mailshift_instance_link_trusted(dir, link) ||
		    t_readlink(link, &target, &error) < 0)
			return -1;
		*config_r = target[0] == '/' ? target :
			t_strconcat(dir, "/", target, NULL);
		return 1;
	}
	return 0;
}

/* Keep only what Dovecot itself passes on to its processes */
static void mailshift_instance_clean_env(void)
{
	const struct master_service_settings *set =
		master_service_settings_get(master_service);
	const char *const *envs = t_strsplit_spaces(set->import_environment,
						    " ");
	ARRAY_TYPE(const_string) keep;

	t_array_init(&keep, 8);
	for (; *envs != NULL; envs++) {
		const char *key = t_strcut(*envs, '=');

		array_push_back(&keep, &key);
	}
	array_append_zero(&keep);
	env_clean_except(array_front(&keep));
}

static void ATTR_NORETURN
mailshift_instance_exec(const char *exe, const char *config,
			const char *username)
{
	ARRAY_TYPE(const_string) argv;
	const char *arg;

	t_array_init(&argv, 10);
	array_push_back(&argv, &exe);
	if (doveadm_debug) {
		arg = "-D";
		array_push_back(&argv, &arg);
	}
	arg = "-c";
	array_push_back(&argv, &arg);
	array_push_back(&argv, &config);
	arg = "mailshift";
	array_push_back(&argv, &arg);
	arg = "login";
	array_push_back(&argv, &arg);
	arg = "-u";
	array_push_back(&argv, &arg);
	array_push_back(&argv, &username);
	array_append_zero(&argv);

	mailshift_instance_clean_env();
	execv_const(exe, array_front(&argv));
}

void doveadm_mailshift_login_follow_instance(const char *username)
{
	const struct master_service_settings *set =
		master_service_settings_get(master_service);
	const char *path, *dir, *config, *exe, *error;
	const char *current = master_service_get_config_path(master_service);
	int ret;

	path = mailshift_instance_socket_path();
	if (path == NULL ||
	    str_begins(path, t_strconcat(set->base_dir, "/", NULL)))
		return;

	ret = mailshift_instance_config(path, &dir, &config);
	if (ret <= 0) {
		i_fatal_status(EX_CONFIG, "mailshift: login: the request came "
			"through %s, which is not in base_dir %s of %s, and %s: "
			"set service mailshift-login { executable = script "
			"/usr/bin/doveadm -c <the configuration of the Dovecot "
			"that listens there> mailshift login }", path,
			set->base_dir, current, ret == 0 ?
			"no Dovecot's configuration link is beside it" :
			t_strdup_printf("%s/"MAILSHIFT_INSTANCE_CONFIG_LINK
					" is not root's in a directory only "
					"root may write", dir));
	}
	if (strcmp(config, current) == 0) {
		i_fatal_status(EX_CONFIG, "mailshift: login: %s says its base_dir "
			"is %s, but its Dovecot listens in %s: is it running "
			"with an older configuration? (doveadm reload)",
			current, set->base_dir, dir);
	}
	if (t_readlink("/proc/self/exe", &exe, &error) < 0)
		exe = "/usr/bin/doveadm";
	mailshift_instance_exec(exe, config, username);
}
