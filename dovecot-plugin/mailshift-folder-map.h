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
	/* its name on the new server unless renamed below: the old name in
	   the new server's hierarchy (mailshift_folder_translate()); NULL:
	   src_vname */
	const char *here_vname;

	/* output */
	const char *dest_vname;
	enum mailshift_folder_role role;
	/* role came from the folder's name, not from SPECIAL-USE */
	bool role_guessed;
};

/* The new server's name for an old folder: prefix, then the old name's
   hierarchy levels (UTF-8, as the old server has them) joined with
   dest_sep, so that every level stays one level whatever either server's
   separator is.  Within a level, a character that would split it or that
   the new storage cannot keep is replaced by a lookalike, so the name
   still reads the same and maps back one to one:

     '.' -> U+2024 ONE DOT LEADER      '/' -> U+2215 DIVISION SLASH
     '\' -> U+2216 SET MINUS          a leading '~' -> U+FF5E
     any other separator -> '_'

   Always dest_sep; strict: also '/', '.' and a leading '~' (what
   Dovecot's filesystem layouts refuse: '/' where it is not the
   separator, '.' inside Maildir++ names under another separator).
   Returns the name (data stack); *replaced_r: whether a character was
   replaced. */
const char *mailshift_folder_translate(const char *prefix,
				       const char *const *levels,
				       char dest_sep, bool strict,
				       bool *replaced_r);

/* "\Sent" -> MAILSHIFT_ROLE_SENT etc; the first role in a space-separated
   SPECIAL-USE list wins.  NULL or unknown -> MAILSHIFT_ROLE_NONE. */
enum mailshift_folder_role mailshift_role_from_special_use(const char *str);
const char *mailshift_role_to_special_use(enum mailshift_folder_role role);
/* Does a SPECIAL-USE list hold \All (every message, as Gmail's "All
   Mail")? */
bool mailshift_role_has_all(const char *special_use);

/* Role by well-known name ("Sent Items", "Deleted Messages", "Spam", ..)
   of a top-level folder, case-insensitively. */
enum mailshift_folder_role
mailshift_role_from_name(const char *vname, char sep);

/* Fill dest_vname and role for each of folders[0..count).
   dest_role_vnames[role] is the new server's folder for that role, or
   NULL; folder_map holds admin "old=new" overrides of src_vname
   (NULL-terminated, may be NULL).  Without special_use_mapping only folder_map renames.  A
   folder whose new name another has taken (an admin rename onto an old
   folder's name, two renames onto one) lands in "name~2" ("~3", ...).
   Strings are allocated from the data stack. */
void mailshift_folder_map_assign(struct mailshift_folder *folders,
				 unsigned int count,
				 const char *const *dest_role_vnames,
				 const char *const *folder_map,
				 bool special_use_mapping, char sep);

#endif
