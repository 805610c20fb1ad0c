#ifndef MS_DKIM_SIGN_H
#define MS_DKIM_SIGN_H

/* dkim-sign - DKIM signatures for one message (RFC 6376, RFC 8463),
   relaxed/relaxed, RSA-SHA256 or Ed25519-SHA256, never l=.

   The calls follow the milter's phases: milter_dkim_msg_header() for each
   header field, milter_dkim_msg_body() for each body chunk (hashed as it
   arrives, never stored), milter_dkim_msg_eob(), then
   milter_dkim_msg_sign() once per key.  The clock
   and the key are inputs, so a signature can be checked to the byte. */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "strbuf.h"

enum dkim_alg {
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_ED25519_SHA256,
};

/* "rsa-sha256" / "ed25519-sha256" (the a= value). */
const char *milter_dkim_alg_name(enum dkim_alg alg);

/* Limits on what one message may carry in its header; beyond them
   milter_dkim_msg_header() fails and the message cannot be signed. */
#define DKIM_MAX_HEADERS 1000
#define DKIM_MAX_HEADER_BYTES (1024 * 1024)

struct dkim_msg;

struct dkim_msg *milter_dkim_msg_new(void);
void milter_dkim_msg_free(struct dkim_msg **msg);

/* Records one header field as the milter got it (folds may be bare LF).
   Returns 0, or -1 with *error_r set when a limit is exceeded. */
int milter_dkim_msg_header(struct dkim_msg *msg, const char *name,
			   const char *value, const char **error_r);
void milter_dkim_msg_body(struct dkim_msg *msg, const void *data, size_t len);
/* Ends the body; the body hash is fixed from here on. */
void milter_dkim_msg_eob(struct dkim_msg *msg);
/* The bh= value (base64); valid after milter_dkim_msg_eob(). */
const char *milter_dkim_msg_body_hash(const struct dkim_msg *msg);

/* Builds a complete DKIM-Signature header value (without the name) for
   domain/selector with key at time now and appends it to value_r.  The
   value is folded with LF + TAB, the way a milter hands it to the MTA.
   Returns 0, or -1 with *error_r set (the key cannot sign). */
int milter_dkim_msg_sign(struct dkim_msg *msg, EVP_PKEY *key, enum dkim_alg alg,
			 const char *domain, const char *selector, time_t now,
			 struct strbuf *value_r, const char **error_r);

/* The lower-level step: signs the header fields named in h_names (bottom-up
   instances, extra listings bind to no field) followed by the relaxed form
   of "DKIM-Signature:" + sig_value, whose b= must be empty.  Appends the
   base64 b= value to b_r.  Returns 0, or -1 with *error_r set. */
int milter_dkim_msg_sign_fields(struct dkim_msg *msg, EVP_PKEY *key,
				enum dkim_alg alg, const char *const *h_names,
				unsigned int h_count, const char *sig_value,
				struct strbuf *b_r, const char **error_r);

#endif
