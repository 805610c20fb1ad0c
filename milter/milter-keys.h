#ifndef MS_MILTER_KEYS_H
#define MS_MILTER_KEYS_H

/* milter-keys - DKIM private keys on disk.

   One PEM file per domain and selector: KEYDIR/DOMAIN/SELECTOR.rsa.pem or
   KEYDIR/DOMAIN/SELECTOR.ed25519.pem; the suffix names the algorithm.  A
   key file that group or others can read is refused. */

#include "milter-config.h"
#include "strbuf.h"

/* Loads the key of every configured selector (call before privileges are
   dropped).  A selector whose key is missing or bad is logged and keeps
   key == NULL, so its domain's mail is tempfailed instead of signed;
   returns the number of such selectors. */
unsigned int milter_keys_load(struct milter_config *config);

/* Loads one key file.  Returns 0, or -1 with a line for the admin in
   error_r (what is wrong with which file and how to fix it). */
int milter_key_load(const char *path, enum dkim_alg alg, EVP_PKEY **key_r,
		    struct strbuf *error_r);

/* Appends the p= value DNS publishes for key: base64 of the
   SubjectPublicKeyInfo (RSA) or of the raw 32-byte key (Ed25519). */
int milter_key_public_b64(EVP_PKEY *key, enum dkim_alg alg,
			  struct strbuf *out);

/* `mailshift-milter genkey`: creates KEYDIR/DOMAIN/SELECTOR.<alg>.pem
   (mode 0600) unless a key for the selector exists, then prints the TXT
   record to publish.  Returns a process exit code. */
int milter_genkey(const char *keydir, const char *domain,
		  const char *selector, enum dkim_alg alg, unsigned int bits);

#endif
