/* How old-server failures are told apart: dovecot-plugin/mailshift-source.c.
   The class decides retry or not, and the exit code scripts branch on. */

#include "lib.h"
#include "test-common.h"
#include "mailshift-source.h"

#include <sysexits.h>

static void test_classify(void)
{
	static const struct {
		const char *name;
		const char *error;
		enum mailshift_source_error want;
		int want_exit;
	} cases[] = {
		{ "refused password -> credentials, EX_NOPERM",
		  "imapc: Login to old failed: Authentication failed: "
		  "[AUTHENTICATIONFAILED] Authentication failed.",
		  MAILSHIFT_SOURCE_ERR_AUTH, EX_NOPERM },
		{ "master user not allowed -> credentials",
		  "[AUTHORIZATIONFAILED] Authorization failed",
		  MAILSHIFT_SOURCE_ERR_AUTH, EX_NOPERM },
		{ "connection refused -> unreachable, EX_UNAVAILABLE",
		  "imapc(10.0.0.1:143): connect(10.0.0.1, 143) failed: "
		  "Connection refused - disconnecting",
		  MAILSHIFT_SOURCE_ERR_UNREACHABLE, EX_UNAVAILABLE },
		{ "timeout -> unreachable",
		  "imapc(old:993): Command timed out, disconnecting",
		  MAILSHIFT_SOURCE_ERR_UNREACHABLE, EX_UNAVAILABLE },
		{ "untrusted certificate -> config, EX_CONFIG",
		  "imapc(old:993): Received invalid SSL certificate: "
		  "unable to get local issuer certificate",
		  MAILSHIFT_SOURCE_ERR_CONFIG, EX_CONFIG },
		{ "TLS to a plain IMAP port -> config, EX_CONFIG, no retry",
		  "imapc(old:143): Server disconnected unexpectedly: "
		  "SSL_connect() failed: error:0A00010B:SSL routines::"
		  "wrong version number - disconnecting",
		  MAILSHIFT_SOURCE_ERR_CONFIG, EX_CONFIG },
		{ "STARTTLS the old server does not offer -> config, EX_CONFIG",
		  "imapc(old:143): Requested STARTTLS, but server doesn't "
		  "support it",
		  MAILSHIFT_SOURCE_ERR_CONFIG, EX_CONFIG },
		{ "a POP3 greeting on the IMAP port -> config, EX_CONFIG",
		  "old server: listing folders failed: imapc(old:110): "
		  "Server sent invalid input: Invalid command tag: +OK",
		  MAILSHIFT_SOURCE_ERR_CONFIG, EX_CONFIG },
		{ "anything else -> temporary, EX_TEMPFAIL",
		  "Mailbox INBOX: something odd",
		  MAILSHIFT_SOURCE_ERR_TEMP, EX_TEMPFAIL },
	};

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		test_begin(cases[i].name);
		enum mailshift_source_error got =
			mailshift_source_classify_error(cases[i].error);
		test_assert_idx(got == cases[i].want, i);
		test_assert_idx(mailshift_source_error_exit_code(got) ==
				cases[i].want_exit, i);
		test_end();
	}
}

static void test_asked_wait(void)
{
	test_begin("an old server's asked-for wait is honoured, within bounds");
	test_assert(mailshift_source_asked_wait_secs(
		"UID FETCH failed: NO Request is throttled. Suggested Backoff "
		"Time: 3000 milliseconds") == 3);
	test_assert(mailshift_source_asked_wait_secs(
		"NO Request is throttled. Suggested Backoff Time: 1 "
		"milliseconds") == 1);
	test_assert(mailshift_source_asked_wait_secs(
		"Suggested Backoff Time: 86400000 milliseconds") ==
		MAILSHIFT_SOURCE_MAX_ASKED_WAIT_SECS);
	test_assert(mailshift_source_asked_wait_secs(
		"Suggested Backoff Time: soon") == 0);
	test_assert(mailshift_source_asked_wait_secs("Connection refused") == 0);
	test_end();
}

static void test_explain(void)
{
	test_begin("a generic internal error is replaced by what imapc logged");
	mailshift_source_capture_errors(TRUE);
	test_expect_error_string("Connection refused");
	i_error("imapc(x:1): connect(x, 1) failed: Connection refused");
	test_expect_no_more_errors();
	test_assert_strcmp(mailshift_source_explain_error(
		"Internal error occurred. Refer to server log for more "
		"information. [2026-11-25 12:00:00]"),
		"imapc(x:1): connect(x, 1) failed: Connection refused");
	test_assert_strcmp(mailshift_source_explain_error("Mailbox gone"),
			   "Mailbox gone");
	mailshift_source_capture_errors(FALSE);
	test_end();

	test_begin("an error no retry fixes names the setting that does");
	test_assert(strstr(mailshift_source_explain_error(
		"imapc(old:143): Requested STARTTLS, but server doesn't "
		"support it"), "(to fix: the old server offers no STARTTLS "
		"here: set mailshift_source_tls = imaps") != NULL);
	test_assert(strstr(mailshift_source_explain_error(
		"imapc(old:993): Received invalid SSL certificate: x"),
		"mailshift_source_ca_file") != NULL);
	test_assert(strstr(mailshift_source_explain_error(
		"imapc(old:110): Server sent invalid input: Invalid command "
		"tag: +OK"), "set mailshift_source_port") != NULL);
	/* a retry may help: nothing to change */
	test_assert_strcmp(mailshift_source_explain_error(
		"imapc(old:143): connect(old, 143) failed: Connection refused"),
		"imapc(old:143): connect(old, 143) failed: Connection refused");
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_classify,
		test_asked_wait,
		test_explain,
		NULL
	};
	return test_run(test_functions);
}
