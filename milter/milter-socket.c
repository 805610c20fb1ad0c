/* milter-socket - where Postfix connects, and nobody else.

   The milter cannot tell Postfix from any other client: the connect
   address and {auth_authen} that make mail "ours" are whatever the client
   sends.  So the file system decides who may talk to us.  The default is
   a UNIX socket inside Postfix's queue directory (Debian runs smtpd and
   cleanup chrooted there, and "unix:mailshift/milter.sock" in main.cf
   names the same file chrooted or not), owned by root, group postfix,
   mode 0660, in a directory only root may write: a local user can
   neither connect nor put a socket of their own in its place.  The
   directory is the one mailshift-policyd keeps its socket in, made the
   same way.  An inet socket admits every local user; it is allowed
   because an admin may run Postfix on another host, and logged as a
   warning at every start. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "../shared/ms-log.h"
#include "milter-socket.h"

/* The path of a unix:/local: socket, or NULL for an inet one. */
static const char *unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

static bool is_inet(const char *spec)
{
	return strncmp(spec, "inet:", 5) == 0 ||
		strncmp(spec, "inet6:", 6) == 0;
}

int milter_socket_check(const struct milter_config *config,
			struct strbuf *error_r)
{
	struct sockaddr_un sun;
	const char *path = unix_path(config->socket);

	if (path == NULL) {
		if (is_inet(config->socket))
			return 0;
		milter_strbuf_printf(error_r, "socket = %s: use unix:/path "
				     "(the default: %s) or inet:port@address",
				     config->socket, MILTER_DEFAULT_SOCKET);
		return -1;
	}
	if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path) ||
	    strcmp(strrchr(path, '/'), "/") == 0) {
		milter_strbuf_printf(error_r, "socket = %s: use an absolute "
				     "path of at most %zu characters, ending "
				     "in a file name", config->socket,
				     sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (config->socket_group != NULL &&
	    getgrnam(config->socket_group) == NULL) {
		milter_strbuf_printf(error_r, "socket_group = %s: no such "
				     "group (use the group Postfix runs as, "
				     "usually postfix)", config->socket_group);
		return -1;
	}
	return 0;
}

/* The mode of the socket's directory: enough for whom the socket admits
   to reach it, write for root only. */
static mode_t dir_mode(const struct milter_config *config)
{
	return 0700 | ((config->socket_mode & 0070) != 0 ? 0050 : 0);
}

static void dir_prepare(const struct milter_config *config, const char *dir,
			gid_t gid)
{
	mode_t mode = dir_mode(config);
	const char *group = config->socket_group != NULL ?
		config->socket_group : "root";
	struct stat st;

	if (lstat(dir, &st) < 0 && errno == ENOENT) {
		if (mkdir(dir, mode) < 0 || chown(dir, (uid_t)-1, gid) < 0 ||
		    chmod(dir, mode) < 0)
			ms_fatal("socket = %s: cannot create the directory "
				 "%s: %s (create it: install -d -m %04o -g %s "
				 "%s)", config->socket, dir, strerror(errno),
				 (unsigned int)mode, group, dir);
		ms_info("created the socket directory %s", dir);
	}
	if (lstat(dir, &st) < 0)
		ms_fatal("socket = %s: %s: %s (create it: install -d -m %04o "
			 "-g %s %s)", config->socket, dir, strerror(errno),
			 (unsigned int)mode, group, dir);
	if (!S_ISDIR(st.st_mode))
		ms_fatal("socket = %s: %s is not a directory (make it one: "
			 "install -d -m %04o -g %s %s)", config->socket, dir,
			 (unsigned int)mode, group, dir);
	/* Whoever may write the directory may replace our socket with
	   theirs, and answer Postfix in our name, or move it away. */
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 0022) != 0)
		ms_fatal("socket = %s: the directory %s may be written by "
			 "others than root, who could replace the socket: "
			 "chown root %s; chmod %04o %s", config->socket, dir,
			 dir, (unsigned int)mode, dir);
}

static void open_unix(const struct milter_config *config, const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	gid_t gid = (gid_t)-1;
	struct stat st;
	mode_t old_umask;
	int ret;

	if (config->socket_group != NULL)
		gid = getgrnam(config->socket_group)->gr_gid;
	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/') == dir)
		dir[1] = '\0';
	else
		*strrchr(dir, '/') = '\0';
	dir_prepare(config, dir, gid);

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			ms_fatal("socket = %s: %s exists and is not a socket: "
				 "remove it or choose another path",
				 config->socket, path);
		/* left by an earlier run that could not remove it after
		   dropping privileges */
		if (unlink(path) < 0)
			ms_fatal("socket = %s: cannot remove the old socket: "
				 "%s", config->socket, strerror(errno));
	}
	if (smfi_setconn(config->socket) != MI_SUCCESS)
		ms_fatal("socket = %s: not a valid milter socket",
			 config->socket);
	/* The socket is born with its final mode: at no instant may
	   others connect. */
	old_umask = umask(~config->socket_mode & 0777);
	ret = smfi_opensocket(false);
	(void)umask(old_umask);
	if (ret != MI_SUCCESS)
		ms_fatal("socket = %s: cannot listen (in use by another "
			 "milter?)", config->socket);
	if (gid != (gid_t)-1 &&
	    fchownat(AT_FDCWD, path, (uid_t)-1, gid,
		     AT_SYMLINK_NOFOLLOW) < 0)
		ms_fatal("socket_group = %s: chown %s: %s",
			 config->socket_group, path, strerror(errno));
	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    (st.st_mode & 0777) != config->socket_mode ||
	    (gid != (gid_t)-1 && st.st_gid != gid))
		ms_fatal("socket = %s: the socket did not get mode %04o and "
			 "group %s: refusing to serve on it", config->socket,
			 config->socket_mode, config->socket_group != NULL ?
			 config->socket_group : "(unchanged)");
}

void milter_socket_open(const struct milter_config *config)
{
	const char *path = unix_path(config->socket);

	if (path != NULL) {
		open_unix(config, path);
		return;
	}
	if (smfi_setconn(config->socket) != MI_SUCCESS)
		ms_fatal("socket = %s: not a valid milter socket",
			 config->socket);
	if (smfi_opensocket(true) != MI_SUCCESS)
		ms_fatal("socket = %s: cannot listen (in use? address not "
			 "on this host?)", config->socket);
	ms_warning("socket = %s: every local user (and every host that "
		   "reaches this address) can connect and have mail signed "
		   "for %u domain(s); unless Postfix runs on another host, "
		   "use the default %s", config->socket, config->domain_count,
		   MILTER_DEFAULT_SOCKET);
}
