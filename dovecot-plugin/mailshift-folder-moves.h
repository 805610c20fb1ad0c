#ifndef MAILSHIFT_FOLDER_MOVES_H
#define MAILSHIFT_FOLDER_MOVES_H

/* Folders renamed or deleted on the OLD server since the last pass.

   A folder mailshift filled here (mailshift-folder-list.h) whose old
   folder is gone from the old server's LIST is either
   - renamed: an old folder with the same UIDVALIDITY (servers keep it
     across a rename) maps to a name that does not exist here yet.  The
     folder here is renamed to it, with its children, its flags and
     everything the user did to it, and the next steps continue with it
     as usual (its copies keep their GUID origin);
   - deleted: the folder here is deleted too, but only when it still holds
     nothing but mailshift's copies, none of them changed here since the
     last pass, and it has no child folders: what the user put or changed
     there wins and is kept (and logged).  A pass that would delete most
     of the user's folders at once deletes none: an old server that
     suddenly lists almost nothing is misconfigured, not emptied. */

#include <stdint.h>

struct mail_user;
struct mailshift_folder_list;

struct mailshift_moves_source {
	const char *src_vname, *dest_vname;
	uint32_t uidvalidity;	/* 0: unknown (STATUS failed) */
};

struct mailshift_moves_result {
	unsigned int renamed, deleted, kept;
};

/* sources: the old server's folders as listed now.  protected_vnames
   (NULL-terminated): new folders never deleted (INBOX is always).
   Returns 0, or -1 with error_r (the new server failed). */
int mailshift_folder_moves(struct mail_user *dest_user,
			   struct mailshift_folder_list *filled,
			   const struct mailshift_moves_source *sources,
			   unsigned int count, char sep,
			   const char *const *protected_vnames,
			   struct mailshift_moves_result *result_r,
			   const char **error_r);

#endif
