/* killpoint.so -- kill a process with SIGKILL at an exact point of its
   file-system work, for tests of what a pass killed there leaves behind.

   Preloaded (LD_PRELOAD) into doveadm by tests/lib/mstest.py.  It counts
   events on paths containing one of the '|'-separated substrings of
   MS_KILLPOINT_PATHS: a rename() onto such a path, or a write to a file
   descriptor opened on one.  At the MS_KILLPOINT_NTH event the process
   kills itself, just before the call when MS_KILLPOINT_WHEN=before, just
   after it otherwise.  So "the 60th message file moved into a maildir,
   and not one more" or "the uidlist written, the index not" can be hit
   every time, where killing from outside hits them once in hundreds of
   runs.

   MS_KILLPOINT_TRACE=FILE appends one line per event (its number, the
   call and the path) to FILE, to find the number of a point.  Without
   MS_KILLPOINT_PATHS it only passes the calls on. */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define WATCHED_FDS 4096

static unsigned int events_seen;
static bool watched_fds[WATCHED_FDS];
static char watched_paths[WATCHED_FDS][128];

#define NEXT(fn) \
	static __typeof__(&fn) next_##fn; \
	if (next_##fn == NULL) \
		next_##fn = (__typeof__(&fn))dlsym(RTLD_NEXT, #fn)

static bool path_watched(const char *path)
{
	const char *paths = getenv("MS_KILLPOINT_PATHS");
	const char *p, *end;
	size_t len;

	if (paths == NULL || path == NULL)
		return false;
	for (p = paths; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		end = strchrnul(p, '|');
		len = (size_t)(end - p);
		if (len > 0 && memmem(path, strlen(path), p, len) != NULL)
			return true;
	}
	return false;
}

/* Counts one event; true if it is the one to die at */
static bool event_is_the_one(const char *call, const char *path)
{
	const char *nth = getenv("MS_KILLPOINT_NTH");
	const char *trace = getenv("MS_KILLPOINT_TRACE");

	events_seen++;
	if (trace != NULL) {
		FILE *f = fopen(trace, "a");

		if (f != NULL) {
			fprintf(f, "%u %s %s\n", events_seen, call, path);
			fclose(f);
		}
	}
	return nth != NULL && events_seen == strtoul(nth, NULL, 10);
}

static bool kill_before(void)
{
	const char *when = getenv("MS_KILLPOINT_WHEN");

	return when != NULL && strcmp(when, "before") == 0;
}

static void die(void)
{
	kill(getpid(), SIGKILL);
}

static bool fd_event(int fd)
{
	return fd >= 0 && fd < WATCHED_FDS && watched_fds[fd] &&
		event_is_the_one("write", watched_paths[fd]);
}

static int note_fd(int fd, const char *path)
{
	if (fd >= 0 && fd < WATCHED_FDS) {
		watched_fds[fd] = path_watched(path);
		if (watched_fds[fd]) {
			const char *tail = strrchr(path, '/');

			snprintf(watched_paths[fd], sizeof(watched_paths[fd]),
				 "%s", tail == NULL ? path : tail + 1);
		}
	}
	return fd;
}

int rename(const char *oldpath, const char *newpath)
{
	NEXT(rename);
	bool hit = path_watched(newpath) &&
		event_is_the_one("rename", newpath);
	int ret;

	if (hit && kill_before())
		die();
	ret = next_rename(oldpath, newpath);
	if (hit)
		die();
	return ret;
}

#define OPEN_MODE(flags, mode) do { \
	va_list args; \
	if (((flags) & (O_CREAT | O_TMPFILE)) != 0) { \
		va_start(args, flags); \
		mode = va_arg(args, int); \
		va_end(args); \
	} \
} while (0)

int open(const char *path, int flags, ...)
{
	NEXT(open);
	int mode = 0;

	OPEN_MODE(flags, mode);
	return note_fd(next_open(path, flags, mode), path);
}

int open64(const char *path, int flags, ...)
{
	NEXT(open64);
	int mode = 0;

	OPEN_MODE(flags, mode);
	return note_fd(next_open64(path, flags, mode), path);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	NEXT(openat);
	int mode = 0;

	OPEN_MODE(flags, mode);
	return note_fd(next_openat(dirfd, path, flags, mode), path);
}

#define WRITE_CALL(call) do { \
	bool hit = fd_event(fd); \
	ssize_t ret; \
	if (hit && kill_before()) \
		die(); \
	ret = call; \
	if (hit) \
		die(); \
	return ret; \
} while (0)

ssize_t write(int fd, const void *buf, size_t count)
{
	NEXT(write);
	WRITE_CALL(next_write(fd, buf, count));
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	NEXT(pwrite);
	WRITE_CALL(next_pwrite(fd, buf, count, offset));
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset)
{
	NEXT(pwrite64);
	WRITE_CALL(next_pwrite64(fd, buf, count, offset));
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	NEXT(writev);
	WRITE_CALL(next_writev(fd, iov, iovcnt));
}
