/* test-policyd-proto.c: postfix-policy/policyd-proto.c, the socketmap
   netstring framing and the policy delegation attribute parser.

   Each case is one input and what the parser must make of it, described
   as one line: "ok LEN:DATA used=N", "more", or "bad: <reason>". */

#include <stdio.h>
#include <string.h>

#include "../../../postfix-policy/policyd-proto.h"
#include "../ms-test.h"

struct parse_case {
	const char *name;
	const char *input;
	const char *want;
};

static const struct parse_case netstring_cases[] = {
	{ "a socketmap query", "24:route alice@example.test,",
	  "ok 24:route alice@example.test used=28" },
	{ "the empty netstring", "0:,", "ok 0: used=3" },
	{ "two queries: the first is taken",
	  "3:abc,3:def,", "ok 3:abc used=6" },
	{ "length only: read more", "25", "more" },
	{ "data not complete: read more", "25:route al", "more" },
	{ "data without the comma yet: read more", "3:abc", "more" },
	{ "no length", ":abc,", "bad: netstring does not start with LENGTH:" },
	{ "no colon", "3x", "bad: netstring does not start with LENGTH:" },
	{ "leading zero", "03:abc,", "bad: netstring length has a leading zero" },
	{ "over the limit", "101:",
	  "bad: netstring longer than max_netstring_length" },
	{ "too many digits before any data", "1234567890",
	  "bad: netstring length has too many digits" },
	{ "wrong terminator", "3:abcd",
	  "bad: netstring does not end with ','" },
};

/* "more" or "bad: ERROR": what every parser's two other outcomes read
   as in the cases' .want. */
static void describe_not_ok(enum policyd_parse ret, const char *error,
			    char *got, size_t size)
{
	if (ret == POLICYD_PARSE_MORE)
		snprintf(got, size, "more");
	else
		snprintf(got, size, "bad: %s", error);
}

static void describe_netstring(const char *input, char *got, size_t size)
{
	const char *data, *error = "";
	enum policyd_parse ret;
	size_t len, used;

	ret = policyd_netstring_parse(input, strlen(input), 100, &data, &len,
				      &used, &error);
	if (ret != POLICYD_PARSE_OK) {
		describe_not_ok(ret, error, got, size);
		return;
	}
	snprintf(got, size, "ok %zu:%.*s used=%zu", len, (int)len, data,
		 used);
}

static const struct parse_case request_cases[] = {
	{ "a RCPT request",
	  "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	  "recipient=bob@example.test\n\n",
	  "ok 3 request=smtpd_access_policy|protocol_state=RCPT|"
	  "recipient=bob@example.test| used=76" },
	{ "CRLF line ends", "a=1\r\nb=2\r\n\r\n", "ok 2 a=1|b=2| used=12" },
	{ "empty value and '=' in the value", "a=\nb=c=d\n\n",
	  "ok 2 a=|b=c=d| used=10" },
	{ "the empty request", "\n", "ok 0  used=1" },
	{ "no empty line yet", "a=1\nb=2\n", "more" },
	{ "half a line", "a=1\nb", "more" },
	{ "a line without '='", "a=1\nbogus\n\n",
	  "bad: attribute line is not name=value" },
	{ "an empty name", "=1\n\n", "bad: attribute line is not name=value" },
	{ "a line over the limit", "a=0123456789012345678901234567890\n\n",
	  "bad: attribute line longer than max_line_length" },
	{ "a long line without its end yet",
	  "a=0123456789012345678901234567890",
	  "bad: attribute line longer than max_line_length" },
	{ "more attributes than the limit", "a=1\nb=2\nc=3\nd=4\ne=5\n\n",
	  "bad: more attributes than max_attributes" },
};

static void describe_request(const char *input, char *got, size_t size)
{
	struct policyd_attr attrs[4];
	struct policyd_request req = { attrs, 0, 4 };
	char buf[256];
	const char *error = "";
	enum policyd_parse ret;
	size_t used, len = strlen(input), pos;
	unsigned int i;

	memcpy(buf, input, len + 1);
	ret = policyd_request_parse(buf, len, 32, &req, &used, &error);
	if (ret != POLICYD_PARSE_OK) {
		describe_not_ok(ret, error, got, size);
		return;
	}
	pos = (size_t)snprintf(got, size, "ok %u ", req.count);
	for (i = 0; i < req.count && pos < size; i++)
		pos += (size_t)snprintf(got + pos, size - pos, "%s=%s|",
					attrs[i].name, attrs[i].value);
	if (pos < size)
		snprintf(got + pos, size - pos, " used=%zu", used);
}

static const struct parse_case maillog_cases[] = {
	{ "a delivery by the direct transport (syslog)",
	  "Dec 07 01:19:44 new postfix/smtp[16203]: 30C59A722E9: "
	  "to=<u1@gmail.test>, relay=127.0.0.1[127.0.0.1]:60475, delay=0.3, "
	  "delays=0.02/0.18/0.01/0.08, dsn=2.0.0, status=sent (250 2.0.0 Ok: "
	  "queued as 722D6A722EE)\n",
	  "ok tag=postfix/smtp id=30C59A722E9 to=u1@gmail.test "
	  "relay=127.0.0.1[127.0.0.1]:60475 dsn=2.0.0 status=sent "
	  "text=250 2.0.0 Ok: queued as 722D6A722EE" },
	{ "the hold, by a transport with its own syslog_name, orig_to kept "
	  "apart (RFC 3339 time)",
	  "2026-12-07T01:19:44.1+00:00 old postfix/x/error[9]: 4AB1: "
	  "to=<carol@example.test>, orig_to=<c, relay=evil>, relay=none, "
	  "delay=1, dsn=4.2.0, status=deferred (mailbox in final sync)",
	  "ok tag=postfix/x/error id=4AB1 to=carol@example.test relay=none "
	  "dsn=4.2.0 status=deferred text=mailbox in final sync" },
	{ "a quoted recipient cannot pose as fields",
	  "h postfix/smtp[1]: 1A: to=<\"a>, relay=none, status=bounced\"@g.test>"
	  ", relay=mx[192.0.2.1]:25, dsn=2.0.0, status=sent (ok)",
	  "ok tag=postfix/smtp id=1A to=\"a>, relay=none, status=bounced\"@g.test"
	  " relay=mx[192.0.2.1]:25 dsn=2.0.0 status=sent text=ok" },
	{ "a reply text that looks like fields stays text",
	  "h postfix/smtp[1]: 1A: to=<a@g.test>, relay=mx[1]:25, dsn=4.7.0, "
	  "status=deferred (x, status=sent (y))",
	  "ok tag=postfix/smtp id=1A to=a@g.test relay=mx[1]:25 dsn=4.7.0 "
	  "status=deferred text=x, status=sent (y)" },
	{ "not a delivery line", "h postfix/qmgr[1]: 1A: from=<a@b>, size=1",
	  "no" },
	{ "no status", "h postfix/smtp[1]: 1A: to=<a@b>, relay=none", "no" },
	{ "a recipient without its end", "h postfix/smtp[1]: 1A: to=<a@b",
	  "no" },
	{ "no tag before the pid", "[1]: 1A: to=<a@b>, status=sent", "no" },
};

static void describe_maillog(const char *input, char *got, size_t size)
{
	struct policyd_maillog e;

	if (!policyd_maillog_parse(input, strlen(input), &e)) {
		snprintf(got, size, "no");
		return;
	}
	snprintf(got, size, "ok tag=%s id=%s to=%s relay=%s dsn=%s status=%s "
		 "text=%s", e.tag, e.queue_id, e.to, e.relay, e.dsn, e.status,
		 e.text);
}

static void test_maillog_tag(void)
{
	struct policyd_maillog e;

	ms_test_begin("log tag: transports after the first component");
	snprintf(e.tag, sizeof(e.tag), "postfix/mailshift_overflow/smtp");
	ms_test_assert(policyd_maillog_tag_has(&e, "mailshift_overflow"));
	ms_test_assert(policyd_maillog_tag_has(&e, "smtp"));
	ms_test_assert(!policyd_maillog_tag_has(&e, "postfix"));
	ms_test_assert(!policyd_maillog_tag_has(&e, "mailshift"));
	ms_test_assert(!policyd_maillog_tag_has(&e, ""));
	ms_test_end();
}

static void run_cases(const char *what, const struct parse_case *cases,
		      unsigned int count,
		      void (*describe)(const char *, char *, size_t))
{
	char name[256], got[512];
	unsigned int i;

	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%s: %s", what, cases[i].name);
		ms_test_begin(name);
		describe(cases[i].input, got, sizeof(got));
		ms_test_assert_str(got, cases[i].want);
		ms_test_end();
	}
}

static void test_netstring_format(void)
{
	char buf[16];

	ms_test_begin("netstring format: an answer, and one that does not fit");
	ms_test_assert(policyd_netstring_format(buf, sizeof(buf), "OK x", 4)
		       == 7 && memcmp(buf, "4:OK x,", 7) == 0);
	ms_test_assert(policyd_netstring_format(buf, 6, "OK x", 4) == 0);
	ms_test_end();
}

int main(void)
{
	run_cases("netstring", netstring_cases,
		  sizeof(netstring_cases) / sizeof(netstring_cases[0]),
		  describe_netstring);
	run_cases("policy request", request_cases,
		  sizeof(request_cases) / sizeof(request_cases[0]),
		  describe_request);
	run_cases("delivery log", maillog_cases,
		  sizeof(maillog_cases) / sizeof(maillog_cases[0]),
		  describe_maillog);
	test_netstring_format();
	test_maillog_tag();
	return ms_test_exit();
}
