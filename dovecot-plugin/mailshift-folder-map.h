#ifndef MAILSHIFT_FOLDER_MAP_H
#define MAILSHIFT_FOLDER_MAP_H

/* Where each old folder lands on the new server.  Pure logic, no storage
   access, so it is unit tested on its own.

   Names here are Dovecot vnames (UTF-8, the namespace's separator): imapc
   has already undone the old server's modified UTF-7, its prefix and its
   separator.  One old folder lands in exactly one new folder and no two
   old folders share one, because each new folder carries the sync state of
   the one old folder it mirrors. */

enum mailshift_folder_role {
	MAILSHIFT_ROLE_NONE = 0,
	MAILSHIFT_ROLE_SENT,
	MAILSHIFT_ROLE_DRAFTS,
	MAILSHIFT_ROLE_TRASH,
	MAILSHIFT_ROLE_JUNK,
	MAILSHIFT_ROLE_ARCHIVE,

	MAILSHIFT_ROLE_COUNT
};

struct mailshift_folder {
	/* input */
	const char *src_vname;
	/* SPECIAL-USE flags as the old server announced them, or NULL */
	const char *src_special_use;

	/* output */
	const char *dest_vname;
	enum mailshift_folder_role role;
	/* role came from the folder's name, not from SPECIAL-USE */
	bool role_guessed;
};

/* "\Sent" -> MAILSHIFT_ROLE_SENT etc; the first role in a space-separated
   SPECIAL-USE list wins.  NULL or unknown -> MAILSHIFT_ROLE_NONE. */
enum mailshift_folder_role mailshift_role_from_special_use(const char *str);
const char *mailshift_role_to_special_use(enum mailshift_folder_role role);

/* Role by well-known name ("Sent Items", "Deleted Messages", "Spam", ..)
   of a top-level folder, case-insensitively. */
enum mailshift_folder_role
mailshift_role_from_name(const char *vname, char sep);

/* Fill dest_vname and role for each of folders[0..count).
   dest_role_vnames[role] is the new server's folder for that role, or
   NULL; folder_map holds admin "old=new" overrides (NULL-terminated, may
   be NULL).  Without special_use_mapping only folder_map renames.  A
   folder whose new name another has taken (an admin rename onto an old
   folder's name, two renames onto one) lands in "name~2" ("~3", ...).
   Strings are allocated from the data stack. */
void mailshift_folder_map_assign(struct mailshift_folder *folders,
				 unsigned int count,
				 const char *const *dest_role_vnames,
				 const char *const *folder_map,
				 bool special_use_mapping, char sep);

#endif
