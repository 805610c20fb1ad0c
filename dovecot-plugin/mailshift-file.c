/* Copyright (c) mailshift authors */

#include "lib.h"
#include "safe-memset.h"
#include "write-full.h"
#include "mailshift-file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int mailshift_file_open_root_dir(const char *dir, bool create,
				 const char **error_r)
{
	struct stat st;
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			*error_r = t_strdup_printf("mkdir(%s) failed: %m", dir);
			return -1;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			  O_CLOEXEC);
	}
	if (fd == -1) {
		*error_r = errno == ELOOP || errno == ENOTDIR ?
			t_strdup_printf("%s is not a directory (a symlink?): "
					"remove it", dir) :
			t_strdup_printf("open(%s) failed: %m", dir);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", dir);
		i_close_fd(&fd);
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & 0022) != 0) {
		*error_r = t_strdup_printf("%s must be root's and writable by "
			"root only (it is uid %ld, mode %04o): run chown root "
			"%s; chmod go-w %s", dir, (long)st.st_uid,
			(unsigned int)(st.st_mode & 07777), dir, dir);
		i_close_fd(&fd);
		errno = EPERM;
		return -1;
	}
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
