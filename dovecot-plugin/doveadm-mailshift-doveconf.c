/* Copyright (c) mailshift authors */

/* Reading another part of the configuration than doveadm's through
   doveconf, Dovecot's own reader: the passdb/userdb sections belong to
   the auth process, and doveadm's settings parser does not know them. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "path-util.h"
#include "doveadm-mailshift-doveconf.h"

#include <fcntl.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/wait.h>

/* far more than any configuration's share of sections we ask for */
#define MAILSHIFT_DOVECONF_MAX_OUTPUT (4 * 1024 * 1024)

struct mailshift_doveconf_value {
	const char *section;	/* NULL: top level */
	const char *key, *value;
};

struct mailshift_doveconf_section {
	const char *parent;	/* NULL: top level */
	const char *type, *path;
};

struct mailshift_doveconf {
	pool_t pool;
	ARRAY(struct mailshift_doveconf_value) values;
	ARRAY(struct mailshift_doveconf_section) sections;
};

/* doveconf sits beside doveadm (both in Dovecot's bindir) */
static const char *mailshift_doveconf_path(void)
{
	const char *exe, *error, *slash;

	if (t_readlink("/proc/self/exe", &exe, &error) == 0 &&
	    (slash = strrchr(exe, '/')) != NULL)
		return t_strconcat(t_strdup_until(exe, slash), "/doveconf",
				   NULL);
	return "/usr/bin/doveconf";
}

static int mailshift_doveconf_run(const char *config_path,
				  const char *const *names, string_t *output,
				  const char **error_r)
{
	ARRAY_TYPE(const_string) argv;
	const char *bin = mailshift_doveconf_path(), *arg;
	char buf[4096];
	int fds[2], status, null_fd;
	ssize_t ret;
	pid_t pid;

	t_array_init(&argv, 8);
	array_push_back(&argv, &bin);
	arg = "-c";
	array_push_back(&argv, &arg);
	array_push_back(&argv, &config_path);
	for (; *names != NULL; names++)
		array_push_back(&argv, names);
	array_append_zero(&argv);

	if (pipe(fds) < 0) {
		*error_r = t_strdup_printf("pipe() failed: %m");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		*error_r = t_strdup_printf("fork() failed: %m");
		i_close_fd(&fds[0]);
		i_close_fd(&fds[1]);
		return -1;
	}
	if (pid == 0) {
		/* its warnings are the admin's to see with doveconf itself */
		null_fd = open("/dev/null", O_RDWR);
		if (dup2(fds[1], STDOUT_FILENO) < 0 ||
		    (null_fd != -1 && (dup2(null_fd, STDIN_FILENO) < 0 ||
				       dup2(null_fd, STDERR_FILENO) < 0)))
			_exit(EX_OSERR);
		execv(bin, (char *const *)array_front(&argv));
		_exit(EX_OSERR);
	}
	i_close_fd(&fds[1]);
	while ((ret = read(fds[0], buf, sizeof(buf))) > 0) {
		if (str_len(output) + ret <= MAILSHIFT_DOVECONF_MAX_OUTPUT)
			str_append_data(output, buf, ret);
	}
	i_close_fd(&fds[0]);
	if (waitpid(pid, &status, 0) < 0) {
		*error_r = t_strdup_printf("waitpid(%s) failed: %m", bin);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*error_r = t_strdup_printf("%s -c %s failed (exit status %d): "
					   "run it to see why", bin,
					   config_path, WIFEXITED(status) ?
					   WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

static const char *
mailshift_doveconf_section_path(struct mailshift_doveconf *conf,
				const char *parent, const char *type,
				const char *name)
{
	const struct mailshift_doveconf_section *sec;
	const char *base;
	unsigned int n = 0;

	if (name != NULL)
		base = t_strdup_printf("%s %s", type, name);
	else {
		/* unnamed sections (passdb, userdb) by their position */
		array_foreach(&conf->sections, sec) {
			if (null_strcmp(sec->parent, parent) == 0 &&
			    strcmp(sec->type, type) == 0)
				n++;
		}
		base = t_strdup_printf("%s#%u", type, n);
	}
	return parent == NULL ? base : t_strconcat(parent, "/", base, NULL);
}

static void mailshift_doveconf_parse(struct mailshift_doveconf *conf,
				     const char *output)
{
	ARRAY_TYPE(const_string) stack;
	const char *const *lines = t_strsplit(output, "\n");
	const char *line, *p, *parent, *type, *name;

	t_array_init(&stack, 8);
	for (; *lines != NULL; lines++) {
		line = t_str_trim(*lines, " \t");
		parent = array_count(&stack) == 0 ? NULL :
			*array_back(&stack);
		if (*line == '\0' || *line == '#')
			continue;
		if (strcmp(line, "}") == 0) {
			if (array_count(&stack) > 0)
				array_pop_back(&stack);
			continue;
		}
		if ((p = strstr(line, " = ")) != NULL ||
		    ((p = strstr(line, " =")) != NULL && p[2] == '\0')) {
			struct mailshift_doveconf_value *v =
				array_append_space(&conf->values);

			v->section = parent;
			v->key = p_strdup_until(conf->pool, line, p);
			v->value = p_strdup(conf->pool, p[2] == '\0' ? "" :
					    p + 3);
			continue;
		}
		if (line[strlen(line) - 1] != '{')
			continue;
		line = t_str_trim(t_strndup(line, strlen(line) - 1), " \t");
		p = strchr(line, ' ');
		type = p == NULL ? line : t_strdup_until(line, p);
		name = p == NULL ? NULL : p + 1;

		struct mailshift_doveconf_section *sec =
			array_append_space(&conf->sections);
		sec->parent = parent;
		sec->type = p_strdup(conf->pool, type);
		sec->path = p_strdup(conf->pool,
			mailshift_doveconf_section_path(conf, parent, type,
							name));
		array_push_back(&stack, &sec->path);
	}
}

int mailshift_doveconf_read(const char *config_path,
			    const char *const *names, pool_t pool,
			    struct mailshift_doveconf **conf_r,
			    const char **error_r)
{
	struct mailshift_doveconf *conf;
	string_t *output = t_str_new(4096);

	if (mailshift_doveconf_run(config_path, names, output, error_r) < 0)
		return -1;
	conf = p_new(pool, struct mailshift_doveconf, 1);
	conf->pool = pool;
	p_array_init(&conf->values, pool, 32);
	p_array_init(&conf->sections, pool, 8);
	mailshift_doveconf_parse(conf, str_c(output));
	*conf_r = conf;
	return 0;
}

const char *mailshift_doveconf_get(const struct mailshift_doveconf *conf,
				   const char *section, const char *key)
{
	const struct mailshift_doveconf_value *v;

	array_foreach(&conf->values, v) {
		if (null_strcmp(v->section, section) == 0 &&
		    strcmp(v->key, key) == 0)
			return v->value;
	}
	return NULL;
}

const char *const *
mailshift_doveconf_sections(const struct mailshift_doveconf *conf,
			    const char *parent, const char *type)
{
	const struct mailshift_doveconf_section *sec;
	ARRAY_TYPE(const_string) paths;

	t_array_init(&paths, 4);
	array_foreach(&conf->sections, sec) {
		if (null_strcmp(sec->parent, parent) == 0 &&
		    strcmp(sec->type, type) == 0)
			array_push_back(&paths, &sec->path);
	}
	array_append_zero(&paths);
	return array_front(&paths);
}

bool mailshift_doveconf_userdb_can_iterate(const struct mailshift_doveconf *conf)
{
	static const char *const no_iterate[] = {
		"static", "prefetch", "checkpassword", NULL
	};
	const char *const *userdbs = mailshift_doveconf_sections(conf, NULL,
								 "userdb");
	const char *driver;

	/* auth lists the users of the first userdb that can */
	for (; *userdbs != NULL; userdbs++) {
		driver = mailshift_doveconf_get(conf, *userdbs, "driver");
		if (driver != NULL && !str_array_find(no_iterate, driver))
			return TRUE;
	}
	return FALSE;
}
