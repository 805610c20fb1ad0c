/* Copyright (c) mailshift authors */

/* lib20_mailshift_plugin.so: an IMAP or POP3 login of a user whose pass
   is due (mailshift-login-stamp.h) hands that pass to the mailshift-login
   service and goes on at once.  Load it for imap and pop3 only:

     protocol imap { mail_plugins = $mail_plugins mailshift }
     protocol pop3 { mail_plugins = $mail_plugins mailshift }

   Deliveries (lmtp, lda), doveadm and the indexer never start a pass even
   when it is loaded there, and neither does an imap-hibernate wake-up. */

#include "lib.h"
#include "ioloop.h"
#include "sleep.h"
#include "time-util.h"
#include "mail-user.h"
#include "mail-storage-hooks.h"
#include "mailshift-settings.h"
#include "mailshift-login-stamp.h"
#include "mailshift-login-trigger.h"
#include "mailshift-plugin.h"

#define MAILSHIFT_LOGIN_WAIT_POLL_MSECS 100

const char *mailshift_plugin_version = DOVECOT_ABI_VERSION;

static bool mailshift_is_interactive_login(struct mail_user *user)
{
	if (user->autocreated || user->session_restored || user->dsyncing)
		return FALSE;
	return strcmp(user->service, "imap") == 0 ||
		strcmp(user->service, "pop3") == 0;
}

/* mailshift_login_wait: hold the login until the pass has committed INBOX
   (or given up), so that a client's first look at INBOX finds its mail.
   Off by default: most clients are happy to see mail arrive. */
static void mailshift_login_wait(struct mail_user *user, const char *home,
				 unsigned int wait_secs)
{
	struct mailshift_login_stamp stamp;
	struct timeval start, now;
	const char *error;
	int ret;

	i_gettimeofday(&start);
	do {
		i_sleep_msecs(MAILSHIFT_LOGIN_WAIT_POLL_MSECS);
		ret = mailshift_login_stamp_read(home, &stamp, &error);
		if (ret < 0) {
			e_warning(user->event, "mailshift: %s", error);
			return;
		}
		if (ret > 0 && (stamp.inbox_done ||
				stamp.state == MS_USER_STATE_SYNCED ||
				stamp.state == MS_USER_STATE_FAILED))
			return;
		i_gettimeofday(&now);
	} while (timeval_diff_msecs(&now, &start) <
		 (long long)wait_secs * 1000);
	e_info(user->event, "mailshift: INBOX was not copied within "
	       "mailshift_login_wait (%u s); the login goes on while the "
	       "pass runs", wait_secs);
}

static void mailshift_mail_user_created(struct mail_user *user)
{
	const struct mailshift_settings *set;
	struct mailshift_login_stamp stamp;
	const char *home, *socket_path, *password, *error;
	int ret;

	if (!mailshift_is_interactive_login(user))
		return;
	if (mail_user_get_home(user, &home) <= 0) {
		e_warning(user->event, "mailshift: user has no home directory; "
			  "logins cannot start a pass (use doveadm mailshift "
			  "sync)");
		return;
	}
	ret = mailshift_login_stamp_read(home, &stamp, &error);
	if (ret < 0) {
		e_warning(user->event, "mailshift: %s", error);
		ret = 0;
	}
	if (mailshift_settings_read(user, &set, &error) < 0) {
		e_error(user->event, "mailshift: %s", error);
		return;
	}
	/* the password the user just typed, if the passdb passed it on
	   (userdb_mailshift_source_password=%w) */
	password = mail_user_plugin_getenv(user, "mailshift_source_password");
	if (!mailshift_login_pass_due(ret > 0 ? &stamp : NULL, ioloop_time,
				      set->delta_interval_secs,
				      set->lease_secs) &&
	    /* a failed user who typed a password may just have fixed it
	       (changed on the old server): the pass decides */
	    !(ret > 0 && stamp.state == MS_USER_STATE_FAILED &&
	      password != NULL && *password != '\0'))
		return;

	socket_path = set->login_socket[0] == '/' ? set->login_socket :
		t_strconcat(user->set->base_dir, "/", set->login_socket, NULL);
	if (mailshift_login_trigger(socket_path, user->username, password,
				    &error) < 0) {
		e_warning(user->event, "mailshift: cannot start a pass at "
			  "login: %s", error);
		return;
	}
	e_debug(user->event, "mailshift: login started a pass");
	if (set->login_wait_secs > 0)
		mailshift_login_wait(user, home, set->login_wait_secs);
}

static struct mail_storage_hooks mailshift_mail_storage_hooks = {
	.mail_user_created = mailshift_mail_user_created,
};

void mailshift_plugin_init(struct module *module)
{
	mail_storage_hooks_add(module, &mailshift_mail_storage_hooks);
}

void mailshift_plugin_deinit(void)
{
	mail_storage_hooks_remove(&mailshift_mail_storage_hooks);
}
