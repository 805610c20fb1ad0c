#ifndef MAILSHIFT_FILE_H
#define MAILSHIFT_FILE_H

/* The small files mailshift keeps next to a user's mail or in its state
   dir: replaced so that a reader (or a crash) sees the old contents or the
   new, never half of either; read a line at a time. */

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
   next pass would write again anyway).  Nothing is followed through a
   symlink, and the temp file is created new, never opened as found.  As
   root, path's directory must be root's and writable by nobody else
   (mailshift_file_open_root_dir()).  Returns 0, or -1 with error_r
   naming the file; the temp file is then removed. */
int mailshift_file_replace(const char *path, const void *data, size_t size,
			   const struct mailshift_file_owner *owner,
			   bool durable, const char **error_r);
/* The same, for name in the directory dir_fd (dir names it in errors). */
int mailshift_file_replace_at(int dir_fd, const char *dir, const char *name,
			      const void *data, size_t size,
			      const struct mailshift_file_owner *owner,
			      bool durable, const char **error_r);

/* Open a directory where root keeps files of its own (dir: an absolute
   path; not through a symlink), creating it mode 0700 if create is set
   and it is missing.  It must be owned by root and writable by no one
   else: files in a directory others can write could be swapped for links
   to anything root may write.  Every directory above it must be root's
   too (or sticky, as /tmp): whoever may write one could move it away and
   put their own in its place.  Returns the directory's fd, or -1 with
   error_r saying how to fix it (or with errno ENOENT, unless create). */
int mailshift_file_open_root_dir(const char *dir, bool create,
				 const char **error_r);

/* Read the first line of a small file (up to 1023 bytes), without its
   line end.  secret: do not follow a symlink, refuse a file group or
   others can read, and wipe the read buffer.  Returns 1 and *line_r (data
   stack), 0 if the file does not exist, -1 with error_r naming the file. */
int mailshift_file_read_line(const char *path, bool secret,
			     const char **line_r, const char **error_r);

#endif
