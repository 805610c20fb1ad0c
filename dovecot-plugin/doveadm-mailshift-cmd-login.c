/* Copyright (c) mailshift authors */

/* doveadm mailshift login -u user      (run by the mailshift-login service)

   The pass a user's IMAP/POP3 login asks for (mailshift-plugin.c): only
   when one is due by the state store (first pass, or a delta pass once
   mailshift_delta_interval has passed), with the password the user
   logged in with on stdin (doveadm-mailshift-password.h says what becomes
   of it).  The login service's socket is open to every imap process: the
   command takes one user and starts nothing else. */

#include "lib.h"
#include "safe-memset.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "syslog-util.h"
#include "doveadm-mail.h"
#include "doveadm-mailshift.h"
#include "doveadm-mailshift-pass.h"
#include "doveadm-mailshift-instance.h"

#include <fcntl.h>
#include <poll.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

/* the login service's client writes the password at once and closes */
#define MAILSHIFT_LOGIN_STDIN_TIMEOUT_MSECS 5000
#define MAILSHIFT_LOGIN_MAX_PASSWORD 1024

/* login: the password arrives on stdin (the login service's socket) and
   nothing is printed (the client has gone). */
static void mailshift_login_read_password(struct mailshift_sync_cmd_context *ctx)
{
	char buf[MAILSHIFT_LOGIN_MAX_PASSWORD + 2];
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	size_t len = 0;
	ssize_t ret;

	if (isatty(STDIN_FILENO) != 0)
		return;
	while (len < sizeof(buf) - 1) {
		if (poll(&pfd, 1, MAILSHIFT_LOGIN_STDIN_TIMEOUT_MSECS) <= 0)
			break;
		ret = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
		if (ret <= 0)
			break;
		len += ret;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] != '\0' && strlen(buf) <= MAILSHIFT_LOGIN_MAX_PASSWORD)
		ctx->login_password = i_strdup(buf);
	safe_memset(buf, 0, sizeof(buf));
}

/* doveadm believes it runs on a terminal and logs to stderr, which the
   login service's master marks as errors ("mailshift-login: Error:
   doveadm(user): Info: ...").  Log where Dovecot's own services do. */
static void mailshift_login_log_like_services(void)
{
	const struct master_service_settings *set =
		master_service_settings_get(master_service);

	if (isatty(STDERR_FILENO) != 0)
		return;
	if (strcmp(set->log_path, "/dev/stderr") == 0) {
		/* (containers) our stderr is the script service's, a pipe to
		   Dovecot's log process: speak its protocol, or every line
		   would be logged as an error of the service */
		i_set_failure_internal();
		return;
	}
	if (strcmp(set->log_path, "syslog") == 0) {
		int facility;

		if (!syslog_facility_find(set->syslog_facility, &facility))
			facility = LOG_MAIL;
		i_set_failure_syslog(set->instance_name, LOG_NDELAY, facility);
		return;
	}
	i_set_failure_file(set->log_path, "");
	if (*set->info_log_path != '\0' &&
	    strcmp(set->info_log_path, "syslog") != 0)
		i_set_info_file(set->info_log_path);
	i_set_failure_timestamp_format(set->log_timestamp);
}

static void cmd_mailshift_login_preinit(struct doveadm_mail_cmd_context *_ctx)
{
	const char *username = _ctx->cctx->username;

	/* the login service's socket is open to every imap process: it may
	   start one user's pass, nothing more */
	if (_ctx->iterate_all_users || _ctx->users_list_input != NULL ||
	    username == NULL || strpbrk(username, "*?") != NULL) {
		i_fatal_status(EX_USAGE, "doveadm mailshift login takes "
			       "exactly one user: -u USER");
	}
	/* before anything is logged where this configuration says: it may
	   be another Dovecot's */
	doveadm_mailshift_login_follow_instance(username);
	mailshift_login_log_like_services();
}

static void cmd_mailshift_login_init(struct doveadm_mail_cmd_context *_ctx,
				     const char *const args[])
{
	struct mailshift_sync_cmd_context *ctx =
		container_of(_ctx, struct mailshift_sync_cmd_context, ctx);
	int fd;

	mailshift_login_read_password(ctx);
	fd = open("/dev/null", O_WRONLY);
	if (fd != -1) {
		if (dup2(fd, STDOUT_FILENO) < 0)
			i_error("dup2(/dev/null) failed: %m");
		i_close_fd(&fd);
	}
	mailshift_pass_init(_ctx, args);
}

struct doveadm_mail_cmd_context *cmd_mailshift_login_alloc(void)
{
	struct doveadm_mail_cmd_context *ctx =
		mailshift_pass_cmd_alloc(MAILSHIFT_PASS_LOGIN);

	ctx->v.preinit = cmd_mailshift_login_preinit;
	ctx->v.init = cmd_mailshift_login_init;
	return ctx;
}
