/* Copyright (c) mailshift authors */

#include "lib.h"
#include "str.h"
#include "buffer.h"
#include "hex-binary.h"
#include "randgen.h"
#include "sha2.h"
#include "dcrypt.h"
#include "safe-memset.h"
#include "write-full.h"
#include "mkdir-parents.h"
#include "mailshift-settings.h"
#include "mailshift-file.h"
#include "mailshift-credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CRED_MAGIC "MSC1"
#define CRED_MAGIC_LEN 4
#define CRED_KEY_LEN 32
#define CRED_NONCE_LEN 12
#define CRED_TAG_LEN 16
#define CRED_MAX_PASSWORD 1024
#define CRED_FILE_MAX (CRED_MAGIC_LEN + CRED_NONCE_LEN + CRED_TAG_LEN + \
		       CRED_MAX_PASSWORD)

static const char *credential_name(const char *username)
{
	unsigned char digest[SHA256_RESULTLEN];

	sha256_get_digest(username, strlen(username), digest);
	return binary_to_hex(digest, sizeof(digest));
}

/* mailshift_file_open_root_dir(), its errors naming the setting */
static int credential_dir_open(const char *dir, bool create,
			       const char **error_r)
{
	const char *error;
	int fd, saved_errno;

	fd = mailshift_file_open_root_dir(dir, create, &error);
	if (fd == -1) {
		saved_errno = errno;
		*error_r = t_strdup_printf("mailshift_credentials_dir: %s",
					   error);
		errno = saved_errno;
	}
	return fd;
}

static int credential_key_create(const char *key_path, const char **error_r)
{
	unsigned char key[CRED_KEY_LEN];
	const char *hex;
	int fd;

	random_fill(key, sizeof(key));
	hex = t_strconcat(binary_to_hex(key, sizeof(key)), "\n", NULL);
	safe_memset(key, 0, sizeof(key));
	fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1) {
		if (errno == EEXIST)
			return 0; /* another pass created it just now */
		*error_r = t_strdup_printf("open(%s) failed: %m", key_path);
		return -1;
	}
	if (write_full(fd, hex, strlen(hex)) < 0 || fsync(fd) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", key_path);
		i_close_fd(&fd);
		i_unlink(key_path);
		return -1;
	}
	i_close_fd(&fd);
	i_info("mailshift: created %s, the key that encrypts captured "
	       "passwords (keep it with the state store's backups)", key_path);
	return 0;
}

static int credential_key_read(const char *key_path, bool create,
			       unsigned char key_r[CRED_KEY_LEN],
			       const char **error_r)
{
	const char *hex, *error;
	buffer_t *key;

	if (create && access(key_path, F_OK) < 0 && errno == ENOENT &&
	    credential_key_create(key_path, error_r) < 0)
		return -1;
	if (mailshift_read_secret_file(key_path, &hex, &error) < 0) {
		*error_r = t_strdup_printf("mailshift_credentials_key: %s",
					   error);
		return -1;
	}
	key = t_buffer_create(CRED_KEY_LEN);
	if (strlen(hex) != CRED_KEY_LEN * 2 ||
	    hex_to_binary(hex, key) < 0) {
		*error_r = t_strdup_printf("mailshift_credentials_key: %s must "
			"hold 64 hex digits (move it away and a new one is "
			"created; kept passwords are then lost)", key_path);
		return -1;
	}
	memcpy(key_r, key->data, CRED_KEY_LEN);
	safe_memset(buffer_get_modifiable_data(key, NULL), 0, key->used);
	safe_memset((void *)hex, 0, strlen(hex));
	return 0;
}

/* AES-256-GCM with the user name as additional data, through Dovecot's
   dcrypt: its OpenSSL backend is loaded only by the passes that keep or
   read a password, not by every doveadm command that loads this plugin.
   encrypt: in = plaintext, out = ciphertext, tag written; decrypt: tag
   checked.  out has room for in_len bytes.  Returns 0 or -1 with
   error_r. */
static int credential_crypt(bool encrypt, const unsigned char *key,
			    const unsigned char *nonce, const char *username,
			    const unsigned char *in, size_t in_len,
			    unsigned char *out, unsigned char *tag,
			    const char **error_r)
{
	/* dcrypt asks for a block (here a byte) more room than it fills */
	unsigned char out_space[CRED_MAX_PASSWORD + 32];
	struct dcrypt_context_symmetric *dctx;
	buffer_t out_buf, tag_buf;
	bool ok;

	i_assert(in_len <= CRED_MAX_PASSWORD);
	if (!dcrypt_is_initialized() &&
	    !dcrypt_initialize("openssl", NULL, error_r))
		return -1;
	if (!dcrypt_ctx_sym_create("aes-256-gcm", encrypt ?
				   DCRYPT_MODE_ENCRYPT : DCRYPT_MODE_DECRYPT,
				   &dctx, error_r))
		return -1;
	dcrypt_ctx_sym_set_key(dctx, key, CRED_KEY_LEN);
	dcrypt_ctx_sym_set_iv(dctx, nonce, CRED_NONCE_LEN);
	dcrypt_ctx_sym_set_aad(dctx, (const unsigned char *)username,
			       strlen(username));
	if (!encrypt)
		dcrypt_ctx_sym_set_tag(dctx, tag, CRED_TAG_LEN);
	/* into memory of our own, wiped here: it may hold the password */
	buffer_create_from_data(&out_buf, out_space, sizeof(out_space));
	ok = dcrypt_ctx_sym_init(dctx, error_r) &&
		dcrypt_ctx_sym_update(dctx, in, in_len, &out_buf, error_r) &&
		dcrypt_ctx_sym_final(dctx, &out_buf, error_r);
	/* GCM is a stream mode: as many bytes out as in */
	if (ok && out_buf.used != in_len) {
		*error_r = "cipher output of unexpected length";
		ok = FALSE;
	}
	if (ok)
		memcpy(out, out_space, in_len);
	safe_memset(out_space, 0, sizeof(out_space));
	if (ok && encrypt) {
		buffer_create_from_data(&tag_buf, tag, CRED_TAG_LEN);
		ok = dcrypt_ctx_sym_get_tag(dctx, &tag_buf) &&
			tag_buf.used == CRED_TAG_LEN;
		if (!ok)
			*error_r = "no GCM tag";
	}
	dcrypt_ctx_sym_destroy(&dctx);
	return ok ? 0 : -1;
}

int mailshift_credential_store(const char *dir, const char *key_path,
			       const char *username, const char *password,
			       const char **error_r)
{
	unsigned char key[CRED_KEY_LEN];
	unsigned char file[CRED_FILE_MAX];
	unsigned char *nonce = file + CRED_MAGIC_LEN;
	unsigned char *tag = nonce + CRED_NONCE_LEN;
	unsigned char *ct = tag + CRED_TAG_LEN;
	size_t pw_len = strlen(password), file_len;
	const char *error;
	int dir_fd, ret;

	if (pw_len == 0 || pw_len > CRED_MAX_PASSWORD) {
		*error_r = "password is empty or longer than 1024 bytes";
		return -1;
	}
	if (credential_key_read(key_path, TRUE, key, error_r) < 0)
		return -1;
	memcpy(file, CRED_MAGIC, CRED_MAGIC_LEN);
	random_fill(nonce, CRED_NONCE_LEN);
	ret = credential_crypt(TRUE, key, nonce, username,
			       (const unsigned char *)password, pw_len,
			       ct, tag, &error);
	safe_memset(key, 0, sizeof(key));
	if (ret < 0) {
		*error_r = t_strdup_printf("AES-256-GCM encryption failed: %s",
					   error);
		return -1;
	}
	file_len = CRED_MAGIC_LEN + CRED_NONCE_LEN + CRED_TAG_LEN + pw_len;

	dir_fd = credential_dir_open(dir, TRUE, error_r);
	if (dir_fd == -1)
		return -1;
	ret = mailshift_file_replace_at(dir_fd, dir, credential_name(username),
					file, file_len, NULL, TRUE, error_r);
	safe_memset(file, 0, sizeof(file));
	i_close_fd(&dir_fd);
	return ret;
}

int mailshift_credential_load(const char *dir, const char *key_path,
			      const char *username, const char **password_r,
			      const char **error_r)
{
	unsigned char key[CRED_KEY_LEN], file[CRED_FILE_MAX + 1];
	unsigned char plain[CRED_MAX_PASSWORD + 1];
	const char *path, *error;
	ssize_t len;
	int dir_fd, fd, ret;

	dir_fd = credential_dir_open(dir, FALSE, error_r);
	if (dir_fd == -1)
		return errno == ENOENT ? 0 : -1;
	path = t_strconcat(dir, "/", credential_name(username), NULL);
	fd = openat(dir_fd, credential_name(username),
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		i_close_fd(&dir_fd);
		return 0;
	}
	i_close_fd(&dir_fd);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	len = read(fd, file, sizeof(file));
	i_close_fd(&fd);
	if (len < 0) {
		*error_r = t_strdup_printf("read(%s) failed: %m", path);
		return -1;
	}
	if (len <= CRED_MAGIC_LEN + CRED_NONCE_LEN + CRED_TAG_LEN ||
	    len > CRED_FILE_MAX ||
	    memcmp(file, CRED_MAGIC, CRED_MAGIC_LEN) != 0) {
		*error_r = t_strdup_printf("%s is not a mailshift credential "
			"file (remove it; the user's next login stores the "
			"password again)", path);
		return -1;
	}
	if (credential_key_read(key_path, FALSE, key, error_r) < 0)
		return -1;
	len -= CRED_MAGIC_LEN + CRED_NONCE_LEN + CRED_TAG_LEN;
	ret = credential_crypt(FALSE, key,
			       file + CRED_MAGIC_LEN,
			       username,
			       file + CRED_MAGIC_LEN + CRED_NONCE_LEN +
			       CRED_TAG_LEN, (size_t)len, plain,
			       file + CRED_MAGIC_LEN + CRED_NONCE_LEN, &error);
	safe_memset(key, 0, sizeof(key));
	if (ret < 0) {
		*error_r = t_strdup_printf("%s does not decrypt with %s (%s; "
			"was the key replaced?  Remove the file; the user's "
			"next login stores the password again)", path,
			key_path, error);
		return -1;
	}
	plain[len] = '\0';
	*password_r = t_strdup((const char *)plain);
	safe_memset(plain, 0, sizeof(plain));
	return 1;
}

int mailshift_credential_wipe(const char *dir, const char *username,
			      const char **error_r)
{
	const char *name = credential_name(username);
	const char *path = t_strconcat(dir, "/", name, NULL);
	unsigned char zeros[CRED_FILE_MAX];
	int dir_fd, fd;

	dir_fd = credential_dir_open(dir, FALSE, error_r);
	if (dir_fd == -1)
		return errno == ENOENT ? 0 : -1;
	fd = openat(dir_fd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		bool none = errno == ENOENT;

		i_close_fd(&dir_fd);
		if (none)
			return 0;
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	/* overwrite first: an unlinked file's blocks keep the ciphertext,
	   and the key may outlive this user */
	memset(zeros, 0, sizeof(zeros));
	if (write_full(fd, zeros, sizeof(zeros)) < 0 || fsync(fd) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	i_close_fd(&fd);
	if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT) {
		*error_r = t_strdup_printf("unlink(%s) failed: %m", path);
		i_close_fd(&dir_fd);
		return -1;
	}
	i_close_fd(&dir_fd);
	return 0;
}
