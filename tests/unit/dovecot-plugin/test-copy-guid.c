/* The GUID each copy carries: dovecot-plugin/mailshift-copy-guid.c.
   It must name its origin exactly, and nothing else may pass for it. */

#include "lib.h"
#include "guid.h"
#include "test-common.h"
#include "mailshift-copy-guid.h"

static void test_round_trip(void)
{
	static const uint32_t uids[] = { 1, 2, 4711, 0x7fffffff, 0xffffffff };
	const char *prefix = mailshift_copy_guid_prefix("INBOX", 1700000000);
	guid_128_t guid_128;
	uint32_t uid;

	test_begin("a copy's GUID gives back the old UID");
	for (unsigned int i = 0; i < N_ELEMENTS(uids); i++) {
		const char *guid = mailshift_copy_guid(prefix, uids[i]);

		test_assert_idx(strlen(guid) == 32, i);
		/* a valid 128-bit GUID: every storage keeps it verbatim */
		test_assert_idx(guid_128_from_string(guid, guid_128) == 0, i);
		test_assert_idx(mailshift_copy_guid_parse(guid, prefix, &uid) &&
				uid == uids[i], i);
	}
	test_end();
}

static void test_not_ours(void)
{
	static const struct {
		const char *name;
		const char *guid;
	} cases[] = {
		{ "a maildir file name", "1700000000.M1P2.host" },
		{ "a random dbox GUID", "0123456789abcdef0123456789abcdef" },
		{ "too short", "6d736674" },
		{ "UID 0", NULL },
	};
	const char *prefix = mailshift_copy_guid_prefix("INBOX", 1700000000);
	const char *other = mailshift_copy_guid_prefix("INBOX", 1700000001);
	const char *elsewhere = mailshift_copy_guid_prefix("Sent", 1700000000);
	uint32_t uid;

	test_begin("only this folder's copies parse as its copies");
	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		const char *guid = cases[i].guid != NULL ? cases[i].guid :
			t_strconcat(prefix, "00000000", NULL);
		test_assert_idx(!mailshift_copy_guid_parse(guid, prefix, &uid),
				i);
	}
	/* another UIDVALIDITY or another folder: not ours */
	test_assert(!mailshift_copy_guid_parse(
		mailshift_copy_guid(other, 5), prefix, &uid));
	test_assert(!mailshift_copy_guid_parse(
		mailshift_copy_guid(elsewhere, 5), prefix, &uid));
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_round_trip,
		test_not_ours,
		NULL
	};
	return test_run(test_functions);
}
