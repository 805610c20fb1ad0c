/* dkim-sign - DKIM signing of one message (RFC 6376 5, RFC 8463 3).

   Headers are kept (bounded by DKIM_MAX_HEADERS / DKIM_MAX_HEADER_BYTES)
   because h= can only be chosen once all of them are known; the body goes
   straight through the relaxed canonicalizer into SHA-256.

   Both algorithms sign the SHA-256 hash of the canonical header data:
   RSA as PKCS#1 v1.5 with a SHA-256 DigestInfo, Ed25519 (pure, RFC 8032)
   over the 32 hash bytes, as RFC 8463 3 requires. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rsa.h>

#include "../shared/ms-alloc.h"
#include "dkim-canon.h"
#include "dkim-sign.h"

/* What we sign (RFC 6376 5.4.1 plus MIME and one-click unsubscribe).
   Oversigned fields are listed once more than they occur, so nobody can
   add another one later without breaking the signature. */
static const struct {
	const char *name;
	bool oversign;
} sign_fields[] = {
	{ "from", true },
	{ "reply-to", true },
	{ "subject", true },
	{ "date", true },
	{ "to", true },
	{ "cc", true },
	{ "message-id", true },
	{ "in-reply-to", false },
	{ "references", false },
	{ "sender", false },
	{ "mime-version", false },
	{ "content-type", false },
	{ "content-transfer-encoding", false },
	{ "resent-date", false },
	{ "resent-from", false },
	{ "resent-to", false },
	{ "resent-cc", false },
	{ "list-id", false },
	{ "list-help", false },
	{ "list-unsubscribe", false },
	{ "list-subscribe", false },
	{ "list-post", false },
	{ "list-owner", false },
	{ "list-archive", false },
	{ "list-unsubscribe-post", false },
};
#define SIGN_FIELD_COUNT (sizeof(sign_fields) / sizeof(sign_fields[0]))
#define MAX_H_NAMES (SIGN_FIELD_COUNT + DKIM_MAX_HEADERS)

struct dkim_field {
	char *name;
	char *value;
};

struct dkim_msg {
	struct dkim_field *fields;
	unsigned int field_count;
	size_t field_bytes;
	EVP_MD_CTX *body_hash;
	struct dkim_body_canon body;
	char bh[64];	/* base64 of 32 bytes: 44 chars */
	bool ended;
};

const char *milter_dkim_alg_name(enum dkim_alg alg)
{
	return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" :
		"rsa-sha256";
}

static void body_sink(void *context, const void *data, size_t len)
{
	struct dkim_msg *msg = context;

	EVP_DigestUpdate(msg->body_hash, data, len);
}

struct dkim_msg *milter_dkim_msg_new(void)
{
	struct dkim_msg *msg = ms_xcalloc(1, sizeof(*msg));

	msg->fields = ms_xcalloc(DKIM_MAX_HEADERS, sizeof(*msg->fields));
	msg->body_hash = EVP_MD_CTX_new();
	if (msg->body_hash == NULL ||
	    EVP_DigestInit_ex(msg->body_hash, EVP_sha256(), NULL) != 1) {
		/* Only a broken OpenSSL (or no memory) gets here. */
		fprintf(stderr, "mailshift-milter: fatal: OpenSSL cannot "
			"start a SHA-256 digest\n");
		abort();
	}
	milter_dkim_body_canon_init(&msg->body, body_sink, msg);
	return msg;
}

void milter_dkim_msg_free(struct dkim_msg **msgp)
{
	struct dkim_msg *msg = *msgp;
	unsigned int i;

	if (msg == NULL)
		return;
	for (i = 0; i < msg->field_count; i++) {
		free(msg->fields[i].name);
		free(msg->fields[i].value);
	}
	free(msg->fields);
	EVP_MD_CTX_free(msg->body_hash);
	free(msg);
	*msgp = NULL;
}

int milter_dkim_msg_header(struct dkim_msg *msg, const char *name,
			   const char *value, const char **error_r)
{
	size_t bytes = strlen(name) + strlen(value) + 4;

	if (msg->field_count >= DKIM_MAX_HEADERS) {
		*error_r = "more than 1000 header fields";
		return -1;
	}
	if (msg->field_bytes + bytes > DKIM_MAX_HEADER_BYTES) {
		*error_r = "header section larger than 1 MiB";
		return -1;
	}
	msg->fields[msg->field_count].name = ms_xstrdup(name);
	msg->fields[msg->field_count].value = ms_xstrdup(value);
	msg->field_count++;
	msg->field_bytes += bytes;
	return 0;
}

void milter_dkim_msg_body(struct dkim_msg *msg, const void *data, size_t len)
{
	if (!msg->ended)
		milter_dkim_body_canon_update(&msg->body, data, len);
}

void milter_dkim_msg_eob(struct dkim_msg *msg)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (msg->ended)
		return;
	milter_dkim_body_canon_final(&msg->body);
	EVP_DigestFinal_ex(msg->body_hash, md, &md_len);
	EVP_EncodeBlock((unsigned char *)msg->bh, md, (int)md_len);
	msg->ended = true;
}

const char *milter_dkim_msg_body_hash(const struct dkim_msg *msg)
{
	return msg->bh;
}

static unsigned int count_fields(const struct dkim_msg *msg, const char *name)
{
	unsigned int i, n = 0;

	for (i = 0; i < msg->field_count; i++) {
		if (strcasecmp(msg->fields[i].name, name) == 0)
			n++;
	}
	return n;
}

/* The nth (0 = bottom-most) field called name, or NULL. */
static const struct dkim_field *
field_from_bottom(const struct dkim_msg *msg, const char *name, unsigned int n)
{
	unsigned int i;

	for (i = msg->field_count; i > 0; i--) {
		if (strcasecmp(msg->fields[i - 1].name, name) != 0)
			continue;
		if (n-- == 0)
			return &msg->fields[i - 1];
	}
	return NULL;
}

static int sign_digest(EVP_PKEY *key, enum dkim_alg alg,
		       const unsigned char *digest, size_t digest_len,
		       struct strbuf *b_r, const char **error_r)
{
	unsigned char sig[1024];
	size_t sig_len = sizeof(sig);
	unsigned char b64[((sizeof(sig) + 2) / 3) * 4 + 1];
	int ok = 0;

	if (alg == DKIM_ALG_ED25519_SHA256) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		ok = ctx != NULL &&
			EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
			EVP_DigestSign(ctx, sig, &sig_len, digest,
				       digest_len) == 1;
		EVP_MD_CTX_free(ctx);
	} else {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);

		ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
			EVP_PKEY_CTX_set_rsa_padding(ctx,
						     RSA_PKCS1_PADDING) == 1 &&
			EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
			EVP_PKEY_size(key) <= (int)sizeof(sig) &&
			EVP_PKEY_sign(ctx, sig, &sig_len, digest,
				      digest_len) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
	if (!ok) {
		*error_r = alg == DKIM_ALG_ED25519_SHA256 ?
			"Ed25519 signing failed (is the key an Ed25519 key?)" :
			"RSA signing failed (is the key an RSA key?)";
		return -1;
	}
	EVP_EncodeBlock(b64, sig, (int)sig_len);
	milter_strbuf_append_str(b_r, (const char *)b64);
	return 0;
}

int milter_dkim_msg_sign_fields(struct dkim_msg *msg, EVP_PKEY *key,
				enum dkim_alg alg, const char *const *h_names,
				unsigned int h_count, const char *sig_value,
				struct strbuf *b_r, const char **error_r)
{
	struct strbuf canon = { 0 };
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0, i, j;
	EVP_MD_CTX *hash = EVP_MD_CTX_new();
	int ret;

	if (hash == NULL || EVP_DigestInit_ex(hash, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(hash);
		*error_r = "SHA-256 unavailable in OpenSSL";
		return -1;
	}
	for (i = 0; i < h_count; i++) {
		const struct dkim_field *field;
		unsigned int earlier = 0;

		/* The k-th listing of a name binds to the k-th field of that
		   name counted from the bottom (RFC 6376 5.4.2). */
		for (j = 0; j < i; j++) {
			if (strcasecmp(h_names[j], h_names[i]) == 0)
				earlier++;
		}
		field = field_from_bottom(msg, h_names[i], earlier);
		if (field == NULL)
			continue;
		milter_strbuf_truncate(&canon);
		milter_dkim_canon_header(&canon, field->name,
					 strlen(field->name), field->value,
					 strlen(field->value), true);
		EVP_DigestUpdate(hash, canon.data, canon.len);
	}
	milter_strbuf_truncate(&canon);
	milter_dkim_canon_header(&canon, "DKIM-Signature", 14, sig_value,
				 strlen(sig_value), false);
	EVP_DigestUpdate(hash, canon.data, canon.len);
	EVP_DigestFinal_ex(hash, digest, &digest_len);
	EVP_MD_CTX_free(hash);
	milter_strbuf_free(&canon);

	ret = sign_digest(key, alg, digest, digest_len, b_r, error_r);
	OPENSSL_cleanse(digest, sizeof(digest));
	return ret;
}

/* Appends text, first breaking the line (LF TAB) if it would pass ~75
   columns.  *column tracks the current line's length. */
static void append_folded(struct strbuf *out, size_t *column,
			  const char *text, bool space_before)
{
	size_t len = strlen(text);

	if (*column + len + 1 > 75) {
		milter_strbuf_append(out, "\n\t", 2);
		*column = 1;
	} else if (space_before) {
		milter_strbuf_append_c(out, ' ');
		(*column)++;
	}
	milter_strbuf_append(out, text, len);
	*column += len;
}

int milter_dkim_msg_sign(struct dkim_msg *msg, EVP_PKEY *key, enum dkim_alg alg,
			 const char *domain, const char *selector, time_t now,
			 struct strbuf *value_r, const char **error_r)
{
	const char *h_names[MAX_H_NAMES];
	unsigned int h_count = 0, i, n;
	struct strbuf sig = { 0 }, b = { 0 }, piece = { 0 };
	size_t column = 16;	/* "DKIM-Signature: " */
	size_t pos;
	int ret;

	milter_dkim_msg_eob(msg);
	for (i = 0; i < SIGN_FIELD_COUNT; i++) {
		n = count_fields(msg, sign_fields[i].name);
		if (sign_fields[i].oversign)
			n++;
		while (n-- > 0 && h_count < MAX_H_NAMES)
			h_names[h_count++] = sign_fields[i].name;
	}

	milter_strbuf_printf(&piece, "v=1; a=%s; c=relaxed/relaxed;",
			     milter_dkim_alg_name(alg));
	append_folded(&sig, &column, milter_strbuf_str(&piece), false);
	milter_strbuf_truncate(&piece);
	milter_strbuf_printf(&piece, "d=%s;", domain);
	append_folded(&sig, &column, milter_strbuf_str(&piece), true);
	milter_strbuf_truncate(&piece);
	milter_strbuf_printf(&piece, "s=%s;", selector);
	append_folded(&sig, &column, milter_strbuf_str(&piece), true);
	milter_strbuf_truncate(&piece);
	milter_strbuf_printf(&piece, "t=%lld;", (long long)now);
	append_folded(&sig, &column, milter_strbuf_str(&piece), true);
	for (i = 0; i < h_count; i++) {
		milter_strbuf_truncate(&piece);
		milter_strbuf_printf(&piece, "%s%s%s", i == 0 ? "h=" : ":",
				     h_names[i], i + 1 == h_count ? ";" : "");
		append_folded(&sig, &column, milter_strbuf_str(&piece), i == 0);
	}
	milter_strbuf_truncate(&piece);
	milter_strbuf_printf(&piece, "bh=%s;", msg->bh);
	append_folded(&sig, &column, milter_strbuf_str(&piece), true);
	milter_strbuf_append(&sig, "\n\tb=", 4);
	milter_strbuf_free(&piece);

	ret = milter_dkim_msg_sign_fields(msg, key, alg, h_names, h_count,
					  milter_strbuf_str(&sig), &b, error_r);
	if (ret == 0) {
		/* b= goes on its own lines, 72 base64 characters each. */
		milter_strbuf_append(value_r, sig.data, sig.len);
		for (pos = 0; pos < b.len; pos += 72) {
			if (pos > 0)
				milter_strbuf_append(value_r, "\n\t", 2);
			milter_strbuf_append(value_r, b.data + pos, b.len - pos
					     < 72 ? b.len - pos : 72);
		}
	}
	milter_strbuf_free(&sig);
	milter_strbuf_free(&b);
	return ret;
}
