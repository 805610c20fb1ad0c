/* milter-keys - load, check and create DKIM private keys.

   SECURITY: a key file must be a regular file that neither group nor
   others can read; anything else is refused, because a DKIM key that
   leaked lets anyone sign as the domain.  Keys are read while the milter
   still runs as root (main.c's pre_drop_init), so the files can stay
   owned by root with mode 0600. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../shared/ms-alloc.h"
#include "../shared/ms-log.h"
#include "milter-keys.h"

static const char *alg_suffix(enum dkim_alg alg)
{
	return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa";
}

static void key_path(struct strbuf *path, const char *keydir,
		     const char *domain, const char *selector,
		     enum dkim_alg alg)
{
	milter_strbuf_printf(path, "%s/%s/%s.%s.pem", keydir, domain, selector,
			     alg_suffix(alg));
}

int milter_key_load(const char *path, enum dkim_alg alg, EVP_PKEY **key_r,
		    struct strbuf *error_r)
{
	struct stat st;
	EVP_PKEY *key;
	FILE *file;
	int fd, want = alg == DKIM_ALG_ED25519_SHA256 ? EVP_PKEY_ED25519 :
		EVP_PKEY_RSA;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		milter_strbuf_printf(error_r, "cannot open DKIM key %s: %s",
				     path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		milter_strbuf_printf(error_r, "DKIM key %s is not a regular "
				     "file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		milter_strbuf_printf(error_r, "DKIM key %s is readable by "
				     "group or others (mode %04o): refused; "
				     "run chmod 600 %s", path,
				     (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	file = fdopen(fd, "r");
	if (file == NULL) {
		close(fd);
		milter_strbuf_printf(error_r, "cannot read DKIM key %s: %s",
				     path, strerror(errno));
		return -1;
	}
	key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
	fclose(file);
	if (key == NULL) {
		milter_strbuf_printf(error_r, "DKIM key %s is not a PEM "
				     "private key (unencrypted PKCS#8 or "
				     "traditional format)", path);
		return -1;
	}
	if (EVP_PKEY_get_base_id(key) != want) {
		milter_strbuf_printf(error_r, "DKIM key %s is not an %s key, "
				     "as its name says", path, alg_suffix(alg));
		EVP_PKEY_free(key);
		return -1;
	}
	if (want == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) < 1024) {
		milter_strbuf_printf(error_r, "DKIM key %s has %d bits; "
				     "receivers ignore RSA keys under 1024 "
				     "bits (use 2048)", path,
				     EVP_PKEY_get_bits(key));
		EVP_PKEY_free(key);
		return -1;
	}
	*key_r = key;
	return 0;
}

int milter_key_public_b64(EVP_PKEY *key, enum dkim_alg alg,
			  struct strbuf *out)
{
	unsigned char raw[4096], b64[((sizeof(raw) + 2) / 3) * 4 + 1];
	unsigned char *p = raw;
	size_t raw_len = sizeof(raw);
	int len;

	if (alg == DKIM_ALG_ED25519_SHA256) {
		if (EVP_PKEY_get_raw_public_key(key, raw, &raw_len) != 1)
			return -1;
	} else {
		len = i2d_PUBKEY(key, NULL);
		if (len <= 0 || (size_t)len > sizeof(raw))
			return -1;
		len = i2d_PUBKEY(key, &p);
		if (len <= 0)
			return -1;
		raw_len = (size_t)len;
	}
	EVP_EncodeBlock(b64, raw, (int)raw_len);
	milter_strbuf_append_str(out, (const char *)b64);
	return 0;
}

static bool file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Finds, loads and describes the key of one selector. */
static int load_selector(const char *keydir, const char *domain,
			 struct milter_selector *sel)
{
	struct strbuf rsa = { 0 }, ed = { 0 }, error = { 0 }, pub = { 0 };
	bool have_rsa, have_ed;
	int ret = -1;

	key_path(&rsa, keydir, domain, sel->name, DKIM_ALG_RSA_SHA256);
	key_path(&ed, keydir, domain, sel->name, DKIM_ALG_ED25519_SHA256);
	have_rsa = file_exists(milter_strbuf_str(&rsa));
	have_ed = file_exists(milter_strbuf_str(&ed));
	if (have_rsa && have_ed) {
		ms_error("domain=%s selector=%s: both %s and %s exist; one "
			 "selector publishes one key: remove one, or give the "
			 "other its own selector", domain, sel->name,
			 milter_strbuf_str(&rsa), milter_strbuf_str(&ed));
		goto out;
	}
	if (!have_rsa && !have_ed) {
		ms_error("domain=%s selector=%s: no key file %s (or "
			 ".ed25519.pem): mail from %s will be tempfailed; "
			 "create one with: mailshift-milter genkey -d %s -s %s",
			 domain, sel->name, milter_strbuf_str(&rsa), domain,
			 domain, sel->name);
		goto out;
	}
	sel->alg = have_ed ? DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256;
	free(sel->key_path);
	sel->key_path = ms_xstrdup(milter_strbuf_str(have_ed ? &ed : &rsa));
	if (milter_key_load(sel->key_path, sel->alg, &sel->key, &error) < 0) {
		ms_error("domain=%s selector=%s: %s: mail from %s will be "
			 "tempfailed", domain, sel->name,
			 milter_strbuf_str(&error), domain);
		goto out;
	}
	if (milter_key_public_b64(sel->key, sel->alg, &pub) < 0) {
		ms_error("domain=%s selector=%s: cannot derive the public key "
			 "of %s", domain, sel->name, sel->key_path);
		EVP_PKEY_free(sel->key);
		sel->key = NULL;
		goto out;
	}
	free(sel->public_b64);
	sel->public_b64 = ms_xstrdup(milter_strbuf_str(&pub));
	ms_info("domain=%s selector=%s key=%s algorithm=%s: loaded", domain,
		sel->name, sel->key_path, milter_dkim_alg_name(sel->alg));
	ret = 0;
out:
	milter_strbuf_free(&rsa);
	milter_strbuf_free(&ed);
	milter_strbuf_free(&error);
	milter_strbuf_free(&pub);
	return ret;
}

unsigned int milter_keys_load(struct milter_config *config)
{
	unsigned int i, j, failed = 0;

	for (i = 0; i < config->domain_count; i++) {
		struct milter_domain *d = &config->domains[i];

		for (j = 0; j < d->selector_count; j++) {
			if (load_selector(config->key_directory, d->name,
					  &d->selectors[j]) < 0)
				failed++;
		}
	}
	return failed;
}

static void print_txt_record(const char *domain, const char *selector,
			     enum dkim_alg alg, const char *public_b64)
{
	struct strbuf txt = { 0 };
	size_t pos;

	milter_strbuf_printf(&txt, "v=DKIM1; k=%s; p=%s",
			     alg == DKIM_ALG_ED25519_SHA256 ? "ed25519" : "rsa",
			     public_b64);
	/* One TXT string holds at most 255 bytes; longer data is split
	   into several strings, which receivers join. */
	printf("%s._domainkey.%s. IN TXT (", selector, domain);
	for (pos = 0; pos < txt.len; pos += 250)
		printf(" \"%.*s\"", (int)(txt.len - pos < 250 ?
					  txt.len - pos : 250),
		       txt.data + pos);
	printf(" )\n");
	milter_strbuf_free(&txt);
}

int milter_genkey(const char *keydir, const char *domain,
		  const char *selector, enum dkim_alg alg, unsigned int bits)
{
	struct strbuf path = { 0 }, other = { 0 }, dir = { 0 }, pub = { 0 };
	EVP_PKEY *key = NULL;
	FILE *file = NULL;
	int fd, ret = 1;

	key_path(&path, keydir, domain, selector, alg);
	key_path(&other, keydir, domain, selector,
		 alg == DKIM_ALG_RSA_SHA256 ? DKIM_ALG_ED25519_SHA256 :
		 DKIM_ALG_RSA_SHA256);
	if (file_exists(milter_strbuf_str(&path)) ||
	    file_exists(milter_strbuf_str(&other))) {
		fprintf(stderr, "mailshift-milter: a key for selector %s of %s "
			"exists already (%s or %s); not replacing it.  To "
			"rotate, choose a new selector.\n", selector, domain,
			milter_strbuf_str(&path), milter_strbuf_str(&other));
		goto out;
	}
	milter_strbuf_printf(&dir, "%s/%s", keydir, domain);
	if ((mkdir(keydir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(milter_strbuf_str(&dir), 0700) < 0 && errno != EEXIST)) {
		fprintf(stderr, "mailshift-milter: cannot create %s: %s\n",
			milter_strbuf_str(&dir), strerror(errno));
		goto out;
	}
	key = alg == DKIM_ALG_ED25519_SHA256 ?
		EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
		EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (key == NULL) {
		fprintf(stderr, "mailshift-milter: OpenSSL could not generate "
			"the key\n");
		goto out;
	}
	fd = open(milter_strbuf_str(&path), O_WRONLY | O_CREAT | O_EXCL |
		  O_CLOEXEC, 0600);
	if (fd < 0 || (file = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "mailshift-milter: cannot create %s: %s\n",
			milter_strbuf_str(&path), strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fflush(file) != 0 || fsync(fileno(file)) != 0) {
		fprintf(stderr, "mailshift-milter: cannot write %s\n",
			milter_strbuf_str(&path));
		fclose(file);
		unlink(milter_strbuf_str(&path));
		goto out;
	}
	fclose(file);
	if (milter_key_public_b64(key, alg, &pub) < 0) {
		fprintf(stderr, "mailshift-milter: cannot derive the public "
			"key\n");
		goto out;
	}
	fprintf(stderr, "mailshift-milter: created %s; publish this record, "
		"then add 'domain = %s %s' to the configuration:\n",
		milter_strbuf_str(&path), domain, selector);
	print_txt_record(domain, selector, alg, milter_strbuf_str(&pub));
	ret = 0;
out:
	EVP_PKEY_free(key);
	milter_strbuf_free(&path);
	milter_strbuf_free(&other);
	milter_strbuf_free(&dir);
	milter_strbuf_free(&pub);
	return ret;
}
