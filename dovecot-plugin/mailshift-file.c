/* Copyright (c) mailshift authors */

#include "lib.h"
#include "safe-memset.h"
#include "write-full.h"
#include "path-util.h"
#include "mailshift-file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens name in dir_fd as a directory, never through a symlink (path
   names it in errors), and checks that root may keep files there: it is
   root's and no one else may write it.  A directory above the one root
   keeps files in (above) may instead be sticky, as /tmp is: others cannot
   move root's entries out of it.  Returns the fd, or -1 with error_r and
   errno (ENOENT when it is missing). */
static int root_dir_open_at(int dir_fd, const char *path, const char *name,
			    const char *below, bool create,
			    const char **error_r)
{
	struct stat st;
	int fd;

	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(dir_fd, name, 0700) < 0 && errno != EEXIST) {
			*error_r = t_strdup_printf("mkdir(%s) failed: %m",
						   path);
			return -1;
		}
		fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1) {
		*error_r = errno == ELOOP || errno == ENOTDIR ?
			t_strdup_printf("%s is not a directory (a symlink?): "
					"remove it", path) :
			t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	if (st.st_uid == 0 && ((st.st_mode & 0022) == 0 ||
			       (below != NULL && (st.st_mode & S_ISVTX) != 0)))
		return fd;
	if (below != NULL) {
		/* the fix is elsewhere: such a directory (the mail
		   user's state dir) is meant to be writable */
		*error_r = t_strdup_printf("%s must not lie below %s, which "
			"uid %ld or others may change (mode %04o) and so move "
			"%s away: choose a directory whose every parent is "
			"root's and writable by root only", below, path,
			(long)st.st_uid, (unsigned int)(st.st_mode & 07777),
			below);
	} else {
		*error_r = t_strdup_printf("%s must be root's and writable by "
			"root only (it is uid %ld, mode %04o): run chown root "
			"%s; chmod go-w %s", path, (long)st.st_uid,
			(unsigned int)(st.st_mode & 07777), path, path);
	}
	i_close_fd(&fd);
	errno = EPERM;
	return -1;
}

int mailshift_file_open_root_dir(const char *dir, bool create,
				 const char **error_r)
{
	const char *const *parts, *real_parent, *path, *name, *error;
	const char *slash;
	int fd, next_fd, saved_errno;

	if (dir[0] != '/') {
		*error_r = t_strdup_printf("%s must be an absolute path", dir);
		errno = EINVAL;
		return -1;
	}
	slash = strrchr(dir, '/');
	name = slash + 1;
	if (*name == '\0') {
		*error_r = t_strdup_printf("%s: give the directory without "
					   "a trailing /", dir);
		errno = EINVAL;
		return -1;
	}
	/* Whoever may write a directory above could move this one away and
	   put one of their own in its place, so every directory up to / is
	   checked too.  An admin's symlink on the way (/var -> /srv/var)
	   is resolved once, here; the walk below follows none. */
	if (t_realpath(slash == dir ? "/" : t_strdup_until(dir, slash),
		       &real_parent, &error) < 0) {
		saved_errno = errno;
		*error_r = error;
		errno = saved_errno;
		return -1;
	}
	fd = root_dir_open_at(AT_FDCWD, "/", "/", dir, FALSE, &error);
	path = "";
	parts = t_strsplit(real_parent, "/");
	for (unsigned int i = 0; fd != -1 && parts[i] != NULL; i++) {
		if (*parts[i] == '\0')
			continue;
		path = t_strconcat(path, "/", parts[i], NULL);
		next_fd = root_dir_open_at(fd, path, parts[i], dir, FALSE,
					   &error);
		saved_errno = errno;
		i_close_fd(&fd);
		fd = next_fd;
		errno = saved_errno;
	}
	if (fd != -1) {
		next_fd = root_dir_open_at(fd, dir, name, NULL, create,
					   &error);
		saved_errno = errno;
		i_close_fd(&fd);
		fd = next_fd;
		errno = saved_errno;
	}
	if (fd == -1)
		*error_r = error;
	return fd;
}

int mailshift_file_replace_at(int dir_fd, const char *dir, const char *name,
			      const void *data, size_t size,
			      const struct mailshift_file_owner *owner,
			      bool durable, const char **error_r)
{
	const char *tmp_name = t_strconcat(name, ".tmp", NULL);
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd;

	fd = openat(dir_fd, tmp_name, flags, 0600);
	if (fd == -1 && errno == EEXIST) {
		/* left by a writer that died; never written through */
		if (unlinkat(dir_fd, tmp_name, 0) == 0 || errno == ENOENT)
			fd = openat(dir_fd, tmp_name, flags, 0600);
	}
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s/%s) failed: %m", dir,
					   tmp_name);
		return -1;
	}
	if ((owner != NULL &&
	     (fchown(fd, owner->uid, owner->gid) < 0 ||
	      fchmod(fd, owner->mode) < 0)) ||
	    write_full(fd, data, size) < 0 ||
	    (durable && fsync(fd) < 0)) {
		*error_r = t_strdup_printf("write(%s/%s) failed: %m", dir,
					   tmp_name);
		i_close_fd(&fd);
		(void)unlinkat(dir_fd, tmp_name, 0);
		return -1;
	}
	i_close_fd(&fd);
	if (renameat(dir_fd, tmp_name, dir_fd, name) < 0) {
		*error_r = t_strdup_printf("rename(%s/%s, %s) failed: %m",
					   dir, tmp_name, name);
		(void)unlinkat(dir_fd, tmp_name, 0);
		return -1;
	}
	return 0;
}

int mailshift_file_replace(const char *path, const void *data, size_t size,
			   const struct mailshift_file_owner *owner,
			   bool durable, const char **error_r)
{
	const char *slash = strrchr(path, '/');
	const char *dir = slash == NULL ? "." :
		slash == path ? "/" : t_strdup_until(path, slash);
	const char *name = slash == NULL ? path : slash + 1;
	int dir_fd, ret;

	if (geteuid() == 0)
		dir_fd = mailshift_file_open_root_dir(dir, FALSE, error_r);
	else {
		/* the user's own files (a home may be a symlink) */
		dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir_fd == -1)
			*error_r = t_strdup_printf("open(%s) failed: %m", dir);
	}
	if (dir_fd == -1)
		return -1;
	ret = mailshift_file_replace_at(dir_fd, dir, name, data, size, owner,
					durable, error_r);
	i_close_fd(&dir_fd);
	return ret;
}

int mailshift_file_read_line(const char *path, bool secret,
			     const char **line_r, const char **error_r)
{
	char buf[1024];
	struct stat st;
	ssize_t ret;
	int fd;

	fd = open(path, O_RDONLY | (secret ? O_NOFOLLOW : 0));
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	if (secret && fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	if (secret && (st.st_mode & 0077) != 0) {
		/* a secret others can read is a leaked secret: refuse rather
		   than carry on and make the leak look intended */
		*error_r = t_strdup_printf(
			"%s is readable by group or others (mode %04o): "
			"run chmod 600 %s", path,
			(unsigned int)(st.st_mode & 07777), path);
		i_close_fd(&fd);
		return -1;
	}
	ret = read(fd, buf, sizeof(buf) - 1);
	i_close_fd(&fd);
	if (ret < 0) {
		*error_r = t_strdup_printf("read(%s) failed: %m", path);
		return -1;
	}
	buf[ret] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	*line_r = t_strdup(buf);
	if (secret)
		safe_memset(buf, 0, sizeof(buf));
	return 1;
}
