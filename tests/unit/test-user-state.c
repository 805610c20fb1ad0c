/* test-user-state.c: user-state.c, the names of the life-cycle states. */

#include "../../shared/user-state.h"
#include "ms-test.h"

static const struct user_state_case {
	const char *name;
	const char *input;	/* for from_str; NULL: to_str of state */
	enum ms_user_state state;
	const char *want;	/* name, or "false" when parsing fails */
} cases[] = {
	{ "pending <-> \"pending\"", NULL, MS_USER_STATE_PENDING, "pending" },
	{ "syncing <-> \"syncing\"", NULL, MS_USER_STATE_SYNCING, "syncing" },
	{ "synced <-> \"synced\"", NULL, MS_USER_STATE_SYNCED, "synced" },
	{ "final sync is spelled with a hyphen", NULL,
	  MS_USER_STATE_FINAL_SYNC, "final-sync" },
	{ "migrated <-> \"migrated\"", NULL, MS_USER_STATE_MIGRATED,
	  "migrated" },
	{ "failed <-> \"failed\"", NULL, MS_USER_STATE_FAILED, "failed" },
	{ "out of range -> \"unknown\"", NULL, (enum ms_user_state)99,
	  "unknown" },
	{ "from_str: underscore spelling is not a state", "final_sync", 0,
	  "false" },
	{ "from_str: names are case-sensitive", "Migrated", 0, "false" },
	{ "from_str: empty -> false", "", 0, "false" },
	{ "from_str: \"unknown\" is not a state", "unknown", 0, "false" },
};

static void test_user_state_case(const struct user_state_case *c)
{
	enum ms_user_state parsed = MS_USER_STATE_FAILED;
	const char *got;

	ms_test_begin(c->name);
	/* Run */
	if (c->input != NULL) {
		got = ms_user_state_from_str(c->input, &parsed) ?
			ms_user_state_to_str(parsed) : "false";
	} else {
		got = ms_user_state_to_str(c->state);
		/* a valid name must parse back to the same state */
		if (strcmp(got, "unknown") != 0) {
			ms_test_assert(ms_user_state_from_str(got, &parsed));
			ms_test_assert(parsed == c->state);
		}
	}
	/* Verify */
	ms_test_assert_str(got, c->want);
	ms_test_end();
}

int main(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_user_state_case(&cases[i]);
	ms_test_begin("from_str: NULL -> false");
	ms_test_assert(!ms_user_state_from_str(NULL, NULL));
	ms_test_end();
	return ms_test_exit();
}
