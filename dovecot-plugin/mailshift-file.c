/* Copyright (c) mailshift authors */

#include "lib.h"
#include "safe-memset.h"
#include "write-full.h"
#include "mailshift-file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int mailshift_file_replace(const char *path, const void *data, size_t size,
			   const struct mailshift_file_owner *owner,
			   bool durable, const char **error_r)
{
	const char *tmp_path = t_strconcat(path, ".tmp", NULL);
	int fd;

	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", tmp_path);
		return -1;
	}
	if ((owner != NULL &&
	     (fchown(fd, owner->uid, owner->gid) < 0 ||
	      fchmod(fd, owner->mode) < 0)) ||
	    write_full(fd, data, size) < 0 ||
	    (durable && fsync(fd) < 0)) {
		*error_r = t_strdup_printf("write(%s) failed: %m", tmp_path);
		i_close_fd(&fd);
		i_unlink(tmp_path);
		return -1;
	}
	i_close_fd(&fd);
	if (rename(tmp_path, path) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   tmp_path, path);
		i_unlink(tmp_path);
		return -1;
	}
	return 0;
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
