/* Copyright (c) mailshift authors */

#include "lib.h"
#include "str.h"
#include "strescape.h"
#include "net.h"
#include "safe-memset.h"
#include "mailshift-login-trigger.h"

#include <unistd.h>

/* The script service's request: version line, "noreply" (the service
   then exec()s the program directly, with this socket as its stdin, and
   we may go away at once), one argument per line, an empty line, then
   data for the program's stdin. */
#define SCRIPT_HANDSHAKE "VERSION\tscript\t4\t0\nnoreply\n"

int mailshift_login_trigger(const char *socket_path, const char *username,
			    const char *password, const char **error_r)
{
	string_t *req;
	ssize_t ret;
	int fd;

	if (strpbrk(username, "\r\n") != NULL ||
	    (password != NULL && strpbrk(password, "\r\n") != NULL)) {
		*error_r = "user name or password contains a line break";
		return -1;
	}
	req = t_str_new(256);
	str_append(req, SCRIPT_HANDSHAKE);
	str_append(req, "-u\n");
	str_append_tabescaped(req, username);
	str_append(req, "\n\n");
	if (password != NULL && *password != '\0') {
		str_append(req, password);
		str_append_c(req, '\n');
	}

	fd = net_connect_unix(socket_path);
	if (fd == -1) {
		*error_r = t_strdup_printf(
			"net_connect_unix(%s) failed: %m (is the mailshift-login "
			"service from conf.d/90-mailshift.conf configured?)",
			socket_path);
		ret = -1;
	} else {
		ret = write(fd, str_data(req), str_len(req));
		if (ret < 0) {
			*error_r = t_strdup_printf("write(%s) failed: %m",
						   socket_path);
		} else if ((size_t)ret != str_len(req)) {
			*error_r = t_strdup_printf("write(%s) was cut short",
						   socket_path);
			ret = -1;
		}
		i_close_fd(&fd);
	}
	safe_memset(buffer_get_modifiable_data(req, NULL), 0, str_len(req));
	return ret < 0 ? -1 : 0;
}
