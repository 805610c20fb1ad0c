/* test-mail-address: the signing domain of a From: field, or why it has
   none.  want is the domain; error is the reason when there is none. */

#include <stdio.h>
#include <stdlib.h>

#include "mail-address.h"
#include "ms-test.h"

static const struct from_case {
	const char *name, *value, *want, *error;
} cases[] = {
	{ "angle address", "Alice <alice@Example.TEST>", "example.test",
	  NULL },
	{ "bare address", "alice@example.test", "example.test", NULL },
	{ "quoted display name with @", "\"x@other.test\" <a@example.test>",
	  "example.test", NULL },
	{ "escaped quote in display name",
	  "\"a\\\"@other.test\" <z@example.test>", "example.test", NULL },
	{ "comment after the address", "a@example.test (at @ other.test)",
	  "example.test", NULL },
	{ "comment before the address", "(c@other.test) a@example.test",
	  "example.test", NULL },
	{ "nested comment", "((x@o.test) y) a@example.test", "example.test",
	  NULL },
	{ "comment inside the angle address",
	  "Bob <b@example.test (at @ other.test)>", "example.test", NULL },
	{ "quoted local part with @", "<\"a@other.test\"@example.test>",
	  "example.test", NULL },
	{ "trailing dot", "a@example.test.", "example.test", NULL },
	{ "folded value (bare LF)", "Alice\n\t<a@example.test>",
	  "example.test", NULL },
	{ "unquoted @ in the display name",
	  "alice@other.test <alice@example.test>", "example.test", NULL },
	{ "encoded-word display name",
	  "=?utf-8?q?Ren=C3=A9?= <r@example.test>", "example.test", NULL },
	{ "obsolete route", "<@relay.test,@b.test:a@example.test>",
	  "example.test", NULL },
	{ "two mailboxes of one domain", "A <a@x.test>, b@X.test",
	  "x.test", NULL },
	{ "empty list elements", ", a@x.test, ,", "x.test", NULL },
	{ "group of one domain", "Team: a@x.test, B <b@x.test>;", "x.test",
	  NULL },
	{ "domain literal", "a@[192.0.2.1]", "[192.0.2.1]", NULL },

	{ "mailboxes of two domains", "a@first.test, b@second.test", NULL,
	  "mailboxes of different domains" },
	{ "named mailboxes of two domains",
	  "A <a@first.test>, B <b@x.test>", NULL,
	  "mailboxes of different domains" },
	{ "group mixing domains", "G: a@x.test;, b@y.test", NULL,
	  "mailboxes of different domains" },
	{ "unterminated quote", "\"unterminated <a@example.test>", NULL,
	  "unterminated quoted string" },
	{ "unterminated comment", "(unterminated a@example.test", NULL,
	  "unterminated comment" },
	{ "unterminated comment after the address",
	  "a@example.test (x", NULL, "unterminated comment" },
	{ "unterminated angle address", "Alice <a@example.test", NULL,
	  "unterminated angle address" },
	{ "unterminated domain literal", "a@[192.0.2.1", NULL,
	  "unterminated domain literal" },
	{ "escape at the end of a quoted string", "\"a\\", NULL,
	  "unterminated quoted string" },
	{ "text after the address", "a@other.test b@example.test", NULL,
	  "text after an address" },
	{ "text after the angle address", "<a@example.test> b@other.test",
	  NULL, "text after an address" },
	{ "stray '>'", "a@example.test>", NULL, "'>' without '<'" },
	{ "stray ')'", "a@example.test)", NULL, "')' without '('" },
	{ "backslash outside quotes", "a\\@other.test@example.test", NULL,
	  "backslash outside a quoted string" },
	{ "group without ';'", "G: a@x.test", NULL,
	  "a group without its closing ';'" },
	{ "';' outside a group", "a@x.test; b@x.test", NULL,
	  "';' outside a group" },
	{ "empty group", "undisclosed-recipients:;", NULL, "no address" },
	{ "no address", "undisclosed", NULL, "a mailbox without @domain" },
	{ "null address", "<>", NULL, "a mailbox without @domain" },
	{ "nothing after @", "a@", NULL, "a mailbox without @domain" },
	{ "only dots after @", "a@...", NULL, "a mailbox without @domain" },
	{ "quoted domain", "a@\"example.test\"", NULL,
	  "a mailbox without @domain" },
	{ "no local part", "@example.test", NULL,
	  "a mailbox without a local part" },
	{ "empty", "", NULL, "no address" },
};

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *error = NULL;
		char *got;
		int ret;

		ms_test_begin(cases[i].name);
		ret = milter_mail_from_domain(cases[i].value, &got, &error);
		ms_test_assert(ret == (cases[i].want == NULL ? -1 : 0));
		ms_test_assert_str(got, cases[i].want);
		ms_test_assert_str(ret < 0 ? error : NULL, cases[i].error);
		free(got);
		ms_test_end();
	}
	return ms_test_exit();
}
