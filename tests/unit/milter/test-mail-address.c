/* test-mail-address: the signing domain of a From: field. */

#include <stdio.h>
#include <stdlib.h>

#include "mail-address.h"
#include "test-common.h"

static const struct from_case {
	const char *name, *value, *want;
} cases[] = {
	{ "angle address", "Alice <alice@Example.TEST>", "example.test" },
	{ "bare address", "alice@example.test", "example.test" },
	{ "quoted display name with @", "\"x@other.test\" <a@example.test>",
	  "example.test" },
	{ "escaped quote in display name",
	  "\"a\\\"@other.test\" <z@example.test>", "example.test" },
	{ "comment after the address", "a@example.test (at @ other.test)",
	  "example.test" },
	{ "comment before the address", "(c@other.test) a@example.test",
	  "example.test" },
	{ "nested comment", "((x@o.test) y) a@example.test", "example.test" },
	{ "trailing dot", "a@example.test.", "example.test" },
	{ "folded value (bare LF)", "Alice\n\t<a@example.test>",
	  "example.test" },
	{ "first of two mailboxes", "a@first.test, b@second.test",
	  "first.test" },
	{ "first of two angle addresses", "A <a@first.test>, B <b@x.test>",
	  "first.test" },
	{ "unterminated quote", "\"unterminated <a@example.test>", NULL },
	{ "no address", "undisclosed", NULL },
	{ "null address", "<>", NULL },
	{ "nothing after @", "a@", NULL },
	{ "only dots after @", "a@...", NULL },
	{ "empty", "", NULL },
};

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got;

		ms_test_begin(cases[i].name);
		got = mail_from_domain(cases[i].value);
		ms_test_assert_str(got, cases[i].want);
		free(got);
		ms_test_end();
	}
	return ms_test_exit();
}
