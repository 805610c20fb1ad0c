#ifndef MAILSHIFT_FOLDER_LIST_H
#define MAILSHIFT_FOLDER_LIST_H

/* The new folders mailshift has filled, kept in the user's home as
   .mailshift-folders (one name per line).  A folder on that list that no
   longer exists was deleted (or renamed) by the user on the new server,
   and a later pass must not bring it back with all its mail.  Delete the
   file to have such folders copied again. */

struct mail_user;
struct mailshift_folder_list;

/* Read the list; a missing file is an empty list, and so is a user
   without a home (the protection is then off).  Returns 0, or -1 with
   error_r when the file exists but cannot be read. */
int mailshift_folder_list_read(struct mail_user *user,
			       struct mailshift_folder_list **list_r,
			       const char **error_r);
bool mailshift_folder_list_contains(const struct mailshift_folder_list *list,
				    const char *vname);
void mailshift_folder_list_add(struct mailshift_folder_list *list,
			       const char *vname);
/* Write the list if it changed (to a temp file, then renamed over).
   Returns 0, or -1 with error_r. */
int mailshift_folder_list_write(struct mailshift_folder_list *list,
				const char **error_r);

#endif
