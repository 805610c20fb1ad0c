/* Copyright (c) mailshift authors */

#include "lib.h"
#include "str.h"
#include "sleep.h"
#include <ctype.h>
#include "mailshift-slots.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

static const char *mailshift_slot_host_name(const char *host)
{
	string_t *str = t_str_new(64);

	/* a host name or address, made safe as a file name */
	for (; *host != '\0'; host++) {
		if (i_isalnum(*host) || *host == '.' || *host == '-' ||
		    *host == ':')
			str_append_c(str, *host);
		else
			str_append_c(str, '_');
	}
	return str_c(str);
}

static int mailshift_slot_try(const char *path, int *fd_r,
			      const char **error_r)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);

	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m "
			"(mailshift_state_dir must be writable by the mail "
			"user)", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		*fd_r = fd;
		return 1;
	}
	i_close_fd(&fd);
	if (errno == EWOULDBLOCK)
		return 0;
	*error_r = t_strdup_printf("flock(%s) failed: %m", path);
	return -1;
}

static int
mailshift_slot_take(const char *state_dir, const char *host,
		    unsigned int max, bool wait, int *fd_r,
		    const char **error_r)
{
	const char *dir = t_strconcat(state_dir, "/slots", NULL);
	const char *name = mailshift_slot_host_name(host);
	bool logged = FALSE;
	int ret;

	if (mkdir(dir, 0770) < 0 && errno != EEXIST) {
		*error_r = t_strdup_printf("mkdir(%s) failed: %m "
			"(mailshift_state_dir must be writable by the mail "
			"user)", dir);
		return -1;
	}
	for (;;) {
		for (unsigned int i = 0; i < max; i++) {
			ret = mailshift_slot_try(
				t_strdup_printf("%s/%s.%u", dir, name, i),
				fd_r, error_r);
			if (ret != 0)
				return ret;
		}
		if (!wait)
			return 0;
		if (!logged) {
			i_info("mailshift: all %u connections to %s are in "
			       "use (mailshift_source_max_connections); "
			       "waiting for one", max, host);
			logged = TRUE;
		}
		i_sleep_msecs(200);
	}
}

int mailshift_slot_acquire(const char *state_dir, const char *host,
			   unsigned int max, int *fd_r, const char **error_r)
{
	return mailshift_slot_take(state_dir, host, max, TRUE, fd_r,
				   error_r) < 0 ? -1 : 0;
}

int mailshift_slot_try_acquire(const char *state_dir, const char *host,
			       unsigned int max, int *fd_r,
			       const char **error_r)
{
	return mailshift_slot_take(state_dir, host, max, FALSE, fd_r,
				   error_r);
}

void mailshift_slot_release(int *fd)
{
	if (*fd != -1)
		i_close_fd(fd);
}
