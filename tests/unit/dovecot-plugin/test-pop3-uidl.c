/* The old POP3 UIDLs a copy keeps: dovecot-plugin/mailshift-pop3-uidl.c.
   The UIDLs real old servers list, and settings that cannot give them
   refused before a pass copies anything. */

#include "lib.h"
#include "test-common.h"
#include "mailshift-settings.h"
#include "mailshift-pop3-uidl.h"

static void test_formats(void)
{
	static const struct {
		const char *server, *format, *uidl;
	} cases[] = {
		/* UIDVALIDITY 1796630403, UID 7 */
		{ "Cyrus 3.6", "%v.%u", "1796630403.7" },
		{ "Dovecot's default", "%08Xu%08Xv", "000000076b166783" },
	};

	test_begin("a format gives the old server's UIDL");
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		test_assert_strcmp_idx(mailshift_pop3_uidl(cases[i].format,
							   1796630403, 7),
				       cases[i].uidl, i);
	}
	test_end();
}

static void test_check(void)
{
	struct mailshift_settings set;
	const char *error;

	i_zero(&set);
	test_begin("settings that cannot give UIDLs are refused");
	set.source_pop3_uidl_format = "";
	test_assert(mailshift_pop3_uidl_check(&set, &error) == 0);
	set.source_pop3_uidl_format = "%v.%u";
	test_assert(mailshift_pop3_uidl_check(&set, &error) == 0);
	/* Courier's POP3 server numbers its messages itself */
	set.source_pop3_port = 110;
	test_assert(mailshift_pop3_uidl_check(&set, &error) < 0 &&
		    strstr(error, "keep one") != NULL);
	set.source_pop3_uidl_format = "";
	test_assert(mailshift_pop3_uidl_check(&set, &error) == 0);
	set.source_pop3_port = 0;
	set.source_pop3_uidl_format = "%{nosuchvariable}";
	test_assert(mailshift_pop3_uidl_check(&set, &error) < 0 &&
		    strstr(error, "mailshift_source_pop3_uidl_format") != NULL);
	test_end();
}

int main(void)
{
	static void (*const tests[])(void) = {
		test_formats,
		test_check,
		NULL
	};
	return test_run(tests);
}
