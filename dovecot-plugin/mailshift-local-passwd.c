/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "randgen.h"
#include "safe-memset.h"
#include "mailshift-file.h"
#include "mailshift-local-passwd.h"

#include <crypt.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEME_PREFIX "{SHA512-CRYPT}"
#define SALT_LEN 16

static const char *local_passwd_hash(const char *password,
				     const char *setting)
{
	struct crypt_data *data = i_new(struct crypt_data, 1);
	const char *hash;

	hash = crypt_r(password, setting, data);
	hash = hash == NULL || *hash == '*' ? NULL : t_strdup(hash);
	safe_memset(data, 0, sizeof(*data));
	i_free(data);
	return hash;
}

static const char *local_passwd_new_salt(void)
{
	static const char alphabet[] =
		"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned char rnd[SALT_LEN];
	string_t *salt = t_str_new(32);

	random_fill(rnd, sizeof(rnd));
	str_append(salt, "$6$");
	for (unsigned int i = 0; i < SALT_LEN; i++)
		str_append_c(salt, alphabet[rnd[i] % 64]);
	return str_c(salt);
}

/* Does the line for username already hold a hash of password? */
static bool local_passwd_matches(const char *line, const char *password)
{
	const char *field = strchr(line, ':'), *end, *hash, *check;

	if (field == NULL || !str_begins(field + 1, SCHEME_PREFIX))
		return FALSE;
	field += 1 + strlen(SCHEME_PREFIX);
	end = strchr(field, ':');
	hash = end == NULL ? field : t_strdup_until(field, end);
	check = local_passwd_hash(password, hash);
	return check != NULL && strcmp(check, hash) == 0;
}

static int local_passwd_read(int fd, const char *path, const char *username,
			     const char *password, ARRAY_TYPE(const_string) *lines,
			     bool *matches_r, const char **error_r)
{
	const char *prefix = t_strconcat(username, ":", NULL);
	struct istream *input = i_stream_create_fd(fd, SIZE_MAX);
	const char *line;
	int ret = 0;

	*matches_r = FALSE;
	while ((line = i_stream_read_next_line(input)) != NULL) {
		if (str_begins(line, prefix)) {
			*matches_r = local_passwd_matches(line, password);
			continue;
		}
		line = t_strdup(line);
		array_push_back(lines, &line);
	}
	if (input->stream_errno != 0) {
		*error_r = t_strdup_printf("read(%s) failed: %s", path,
					   i_stream_get_error(input));
		ret = -1;
	}
	i_stream_unref(&input);
	return ret;
}

static int local_passwd_write(const char *path, const struct stat *st,
			      const ARRAY_TYPE(const_string) *lines,
			      const char **error_r)
{
	const struct mailshift_file_owner owner = {
		.uid = st->st_uid, .gid = st->st_gid,
		.mode = st->st_mode & 0777,
	};
	string_t *data = t_str_new(1024);
	const char *line;

	array_foreach_elem(lines, line) {
		str_append(data, line);
		str_append_c(data, '\n');
	}
	return mailshift_file_replace(path, str_data(data), str_len(data),
				      &owner, TRUE, error_r);
}

int mailshift_local_passwd_set(const char *path, const char *username,
			       const char *password, const char **error_r)
{
	ARRAY_TYPE(const_string) lines;
	const char *hash, *line;
	struct stat st;
	bool matches;
	int fd, lock_fd, ret;

	if (strpbrk(username, ":\r\n") != NULL) {
		*error_r = t_strdup_printf("user name %s cannot go into a "
					   "passwd-file", username);
		return -1;
	}
	/* the lock file, not the passwd-file: that one is replaced */
	lock_fd = open(t_strconcat(path, ".lock", NULL),
		       O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock_fd == -1 || flock(lock_fd, LOCK_EX) < 0) {
		*error_r = t_strdup_printf("lock %s.lock failed: %m", path);
		if (lock_fd != -1)
			i_close_fd(&lock_fd);
		return -1;
	}

	t_array_init(&lines, 64);
	matches = FALSE;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		ret = -1;
	} else if (fd == -1) {
		const struct group *gr = getgrnam("dovecot");

		i_zero(&st);
		st.st_uid = 0;
		st.st_gid = gr == NULL ? 0 : gr->gr_gid;
		st.st_mode = 0640;
		ret = 0;
	} else {
		if (fstat(fd, &st) < 0) {
			*error_r = t_strdup_printf("fstat(%s) failed: %m",
						   path);
			ret = -1;
		} else if ((st.st_mode & 0007) != 0) {
			/* password hashes others can read are a leak, and
			   carrying on would make it look intended */
			*error_r = t_strdup_printf("%s is readable by others "
				"(mode %04o): not writing password hashes into "
				"it; run chmod o-rwx %s (auth needs only its "
				"group, e.g. root:dovecot 0640)", path,
				(unsigned int)(st.st_mode & 07777), path);
			ret = -1;
		} else {
			ret = local_passwd_read(fd, path, username, password,
						&lines, &matches, error_r);
		}
		i_close_fd(&fd);
	}

	if (ret == 0 && matches)
		ret = 0;
	else if (ret == 0) {
		hash = local_passwd_hash(password, local_passwd_new_salt());
		if (hash == NULL) {
			*error_r = "crypt(SHA512-CRYPT) failed";
			ret = -1;
		} else {
			line = t_strconcat(username, ":" SCHEME_PREFIX, hash,
					   NULL);
			array_push_back(&lines, &line);
			ret = local_passwd_write(path, &st, &lines, error_r) < 0 ?
				-1 : 1;
		}
	}
	i_close_fd(&lock_fd);
	return ret;
}
