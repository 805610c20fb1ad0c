#ifndef MAILSHIFT_FILE_H
#define MAILSHIFT_FILE_H

/* Replacing the small files mailshift keeps next to a user's mail or in
   its state dir, so that a reader (or a crash) sees the old contents or
   the new, never half of either. */

#include <stdbool.h>
#include <sys/types.h>

struct mailshift_file_owner {
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

/* Write data to path.tmp and rename it over path.  owner: give the new
   file that owner and mode (NULL: the process's, mode 0600).  durable:
   fsync before the rename (secrets and configuration; not for what the
   next pass would write again anyway).  Returns 0, or -1 with error_r
   naming the file; the temp file is then removed. */
int mailshift_file_replace(const char *path, const void *data, size_t size,
			   const struct mailshift_file_owner *owner,
			   bool durable, const char **error_r);

#endif
