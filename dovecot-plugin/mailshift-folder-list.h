#ifndef MAILSHIFT_FOLDER_LIST_H
#define MAILSHIFT_FOLDER_LIST_H

/* The new folders mailshift has filled, kept in the user's home as
   .mailshift-folders: one line per folder, its name here, a TAB, and the
   old server's name its copies' GUIDs were made with (their origin;
   mailshift-copy-guid.h).  A folder on that list that no longer exists was
   deleted (or renamed) by the user on the new server, and a later pass
   must not bring it back with all its mail.  The origin stays when the
   folder follows a rename on the old server, so its copies remain
   recognisable.  Delete the file to have such folders copied again. */

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
/* The origin recorded for vname, or NULL (not listed, or listed by a
   version that did not record origins). */
const char *
mailshift_folder_list_origin(const struct mailshift_folder_list *list,
			     const char *vname);
/* Add vname (if not there yet) with the old folder name its copies'
   GUIDs are made with. */
void mailshift_folder_list_add(struct mailshift_folder_list *list,
			       const char *vname, const char *origin);
void mailshift_folder_list_remove(struct mailshift_folder_list *list,
				  const char *vname);
/* vname and every folder below it (name + sep + ...) now live under
   new_vname; their origins stay. */
void mailshift_folder_list_rename(struct mailshift_folder_list *list,
				  const char *vname, const char *new_vname,
				  char sep);
/* The listed names, for iterating while changing the list. */
const char *const *
mailshift_folder_list_names(const struct mailshift_folder_list *list,
			    unsigned int *count_r);
/* Write the list if it changed (to a temp file, then renamed over).
   Returns 0, or -1 with error_r. */
int mailshift_folder_list_write(struct mailshift_folder_list *list,
				const char **error_r);

#endif
