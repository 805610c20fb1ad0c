/* Copyright (c) mailshift authors */

#include "lib.h"
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
