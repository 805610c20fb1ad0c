/* Where old folders land: dovecot-plugin/mailshift-folder-map.c.
   Uses Dovecot's own test framework (test-common.h, in libdovecot). */

#include "lib.h"
#include "test-common.h"
#include "mailshift-folder-map.h"
#include "mailshift-removal.h"

#define NO_ROLE NULL

struct folder_case {
	const char *src;
	const char *special_use;
	const char *want_dest;
};

static const char *const std_roles[MAILSHIFT_ROLE_COUNT] = {
	[MAILSHIFT_ROLE_SENT] = "Sent",
	[MAILSHIFT_ROLE_DRAFTS] = "Drafts",
	[MAILSHIFT_ROLE_TRASH] = "Trash",
	[MAILSHIFT_ROLE_JUNK] = "Junk",
	[MAILSHIFT_ROLE_ARCHIVE] = "Archive",
};

static void
run_case(const char *name, const struct folder_case *cases,
	 unsigned int count, const char *const *roles,
	 const char *const *folder_map, bool special_use_mapping)
{
	struct mailshift_folder folders[16];

	i_assert(count <= N_ELEMENTS(folders));
	test_begin(name);
	/* Setup */
	i_zero(&folders);
	for (unsigned int i = 0; i < count; i++) {
		folders[i].src_vname = cases[i].src;
		folders[i].src_special_use = cases[i].special_use;
	}
	/* Run */
	mailshift_folder_map_assign(folders, count, roles, folder_map,
				    special_use_mapping, '/');
	/* Verify */
	for (unsigned int i = 0; i < count; i++) {
		if (strcmp(folders[i].dest_vname, cases[i].want_dest) != 0) {
			i_error("%s: %s: got '%s', want '%s'", name,
				cases[i].src, folders[i].dest_vname,
				cases[i].want_dest);
			test_assert_idx(FALSE, i);
		}
	}
	test_end();
}

static void test_special_use_announced(void)
{
	static const struct folder_case cases[] = {
		{ "INBOX", NO_ROLE, "INBOX" },
		{ "Sent Items", "\\Sent", "Sent" },
		{ "Deleted Items", "\\Trash", "Trash" },
		{ "Junk E-mail", "\\Junk", "Junk" },
		{ "Projects/2024", NO_ROLE, "Projects/2024" },
	};
	run_case("old server's SPECIAL-USE -> new server's role folders",
		 cases, N_ELEMENTS(cases), std_roles, NULL, TRUE);
}

static void test_special_use_guessed(void)
{
	static const struct folder_case cases[] = {
		{ "Sent Messages", NO_ROLE, "Sent" },
		{ "Deleted Messages", NO_ROLE, "Trash" },
		{ "spam", NO_ROLE, "Junk" },
		/* only top-level folders are guessed */
		{ "Clients/Sent Items", NO_ROLE, "Clients/Sent Items" },
		/* INBOX is never a role folder */
		{ "INBOX", NO_ROLE, "INBOX" },
	};
	run_case("no SPECIAL-USE: roles guessed from well-known names",
		 cases, N_ELEMENTS(cases), std_roles, NULL, TRUE);
}

static void test_announced_beats_guessed(void)
{
	static const struct folder_case cases[] = {
		{ "Sent Mail", NO_ROLE, "Sent Mail" },
		{ "Outbox Copies", "\\Sent", "Sent" },
	};
	run_case("an announced role wins over a name that looks like one",
		 cases, N_ELEMENTS(cases), std_roles, NULL, TRUE);
}

static void test_no_merge(void)
{
	static const struct folder_case cases[] = {
		/* the old server has both: neither moves, no merge */
		{ "Sent", NO_ROLE, "Sent" },
		{ "Sent Items", "\\Sent", "Sent Items" },
	};
	run_case("two old folders never merge into one new folder",
		 cases, N_ELEMENTS(cases), std_roles, NULL, TRUE);
}

static void test_no_role_folder_here(void)
{
	static const char *const roles[MAILSHIFT_ROLE_COUNT] = {
		[MAILSHIFT_ROLE_SENT] = "Sent",
	};
	static const struct folder_case cases[] = {
		{ "Deleted Items", "\\Trash", "Deleted Items" },
		{ "Sent Items", "\\Sent", "Sent" },
	};
	run_case("a role the new server does not configure keeps its name",
		 cases, N_ELEMENTS(cases), roles, NULL, TRUE);
}

static void test_admin_map(void)
{
	static const char *const folder_map[] = {
		"Gesendete Objekte=Sent", "Old Stuff=Archive/Old", NULL
	};
	static const struct folder_case cases[] = {
		{ "Gesendete Objekte", NO_ROLE, "Sent" },
		{ "Old Stuff", NO_ROLE, "Archive/Old" },
		{ "Old Stuff/Sub", NO_ROLE, "Old Stuff/Sub" },
		{ "Deleted Items", "\\Trash", "Deleted Items" },
	};
	run_case("mailshift_folder_map renames; mapping off leaves roles",
		 cases, N_ELEMENTS(cases), std_roles, folder_map, FALSE);
}

static void test_admin_map_collisions(void)
{
	static const char *const folder_map[] = {
		"Gesendete Objekte=Sent", "A=X", "B=X", NULL
	};
	static const struct folder_case cases[] = {
		{ "Gesendete Objekte", NO_ROLE, "Sent" },
		{ "Sent", "\\Sent", "Sent~2" },
		{ "A", NO_ROLE, "X" },
		{ "B", NO_ROLE, "X~2" },
		{ "X", NO_ROLE, "X~3" },
	};
	run_case("a rename onto a name already taken moves one aside (~2)",
		 cases, N_ELEMENTS(cases), std_roles, folder_map, TRUE);
}

static void test_role_parsing(void)
{
	test_begin("SPECIAL-USE flag lists parse to one role");
	test_assert(mailshift_role_from_special_use(NULL) ==
		    MAILSHIFT_ROLE_NONE);
	test_assert(mailshift_role_from_special_use("\\Sent") ==
		    MAILSHIFT_ROLE_SENT);
	test_assert(mailshift_role_from_special_use("\\sent") ==
		    MAILSHIFT_ROLE_SENT);
	test_assert(mailshift_role_from_special_use("\\Flagged \\Trash") ==
		    MAILSHIFT_ROLE_TRASH);
	test_assert(mailshift_role_from_special_use("\\All") ==
		    MAILSHIFT_ROLE_NONE);
	test_assert_strcmp(mailshift_role_to_special_use(MAILSHIFT_ROLE_JUNK),
			   "\\Junk");
	test_end();
}

static void test_translate(void)
{
	static const struct {
		const char *name;
		const char *prefix;
		const char *levels[4];
		char sep;
		bool strict;
		const char *want;
		bool want_replaced;
	} cases[] = {
		{ "levels are joined with the new separator", "",
		  { "Archive", "2019", NULL }, '.', FALSE, "Archive.2019", FALSE },
		{ "the prefix comes first", "INBOX.",
		  { "Archive", "2019", NULL }, '.', FALSE,
		  "INBOX.Archive.2019", FALSE },
		{ "a '.' inside a level under '.' is a lookalike", "",
		  { "v1.2 Release Notes", NULL }, '.', FALSE,
		  "v1\xE2\x80\xA4" "2 Release Notes", TRUE },
		{ "a '/' inside a level under '/' is a lookalike", "",
		  { "a/b", "c", NULL }, '/', FALSE,
		  "a\xE2\x88\x95" "b/c", TRUE },
		{ "a '.' under '/' stays, unless the storage refuses it", "",
		  { "v1.2", NULL }, '/', FALSE, "v1.2", FALSE },
		{ "strict: '.' and '/' inside levels are lookalikes", "",
		  { "v1.2", "x/y", NULL }, '/', TRUE,
		  "v1\xE2\x80\xA4" "2/x\xE2\x88\x95" "y", TRUE },
		{ "strict: a leading '~' is a lookalike, a later one stays", "",
		  { "~a~b", NULL }, '.', TRUE, "\xEF\xBD\x9E" "a~b", TRUE },
		{ "another separator is replaced by '_'", "",
		  { "a^b", "c", NULL }, '^', FALSE, "a_b^c", TRUE },
		{ "a backslash separator has its own lookalike", "",
		  { "a\\b", NULL }, '\\', FALSE, "a\xE2\x88\x96" "b", TRUE },
	};

	for (unsigned int i = 0; i < N_ELEMENTS(cases); i++) {
		bool replaced;
		const char *got;

		test_begin(t_strdup_printf("translate: %s", cases[i].name));
		got = mailshift_folder_translate(cases[i].prefix,
						 cases[i].levels, cases[i].sep,
						 cases[i].strict, &replaced);
		test_assert_strcmp(got, cases[i].want);
		test_assert(replaced == cases[i].want_replaced);
		test_end();
	}
}

static void test_here_names(void)
{
	struct mailshift_folder folders[3];

	test_begin("folders keep their names in the new hierarchy, not the "
		   "old one's");
	i_zero(&folders);
	folders[0].src_vname = "Archive/2019";
	folders[0].here_vname = "Archive.2019";
	folders[1].src_vname = "Sent Items";
	folders[1].here_vname = "Sent Items";
	folders[2].src_vname = "Sent";
	folders[2].here_vname = "Sent";
	mailshift_folder_map_assign(folders, 3, std_roles, NULL, TRUE, '.');
	test_assert_strcmp(folders[0].dest_vname, "Archive.2019");
	/* "Sent" exists on the old server: it keeps its name, and the
	   guessed "Sent Items" does not merge into it */
	test_assert_strcmp(folders[2].dest_vname, "Sent");
	test_assert_strcmp(folders[1].dest_vname, "Sent Items");
	test_end();
}

static void test_removal_guard(void)
{
	test_begin("a pass removes nothing when most of what it copied is gone");
	/* a few are the user's deletions, whatever the share */
	test_assert(!mailshift_removal_looks_broken(10, 10,
					MAILSHIFT_REMOVAL_FEW_MESSAGES));
	test_assert(!mailshift_removal_looks_broken(3, 4,
					MAILSHIFT_REMOVAL_FEW_FOLDERS));
	/* more than a few and more than half: a broken old server */
	test_assert(mailshift_removal_looks_broken(11, 20,
					MAILSHIFT_REMOVAL_FEW_MESSAGES));
	test_assert(!mailshift_removal_looks_broken(11, 22,
					MAILSHIFT_REMOVAL_FEW_MESSAGES));
	test_assert(mailshift_removal_looks_broken(4, 7,
					MAILSHIFT_REMOVAL_FEW_FOLDERS));
	test_assert(!mailshift_removal_looks_broken(4, 8,
					MAILSHIFT_REMOVAL_FEW_FOLDERS));
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_special_use_announced,
		test_special_use_guessed,
		test_announced_beats_guessed,
		test_no_merge,
		test_no_role_folder_here,
		test_admin_map,
		test_admin_map_collisions,
		test_role_parsing,
		test_translate,
		test_here_names,
		test_removal_guard,
		NULL
	};
	return test_run(test_functions);
}
