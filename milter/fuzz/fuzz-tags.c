/* fuzz-tags: libFuzzer target for the header parsers the milter runs on
   client input: dkim-tags (every incoming DKIM-Signature field),
   mail-address (the From: field), and the header path of dkim-sign (the
   field is recorded and an Ed25519 signature computed, which walks h=
   selection and the canonicalizer).

   Checked beyond "no crash": a found value lies inside the input and has
   no folding whitespace at either end. */

#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim-sign.h"
#include "dkim-tags.h"
#include "mail-address.h"

static EVP_PKEY *key;

static void check_tag(const char *text, size_t len, const char *tag)
{
	const char *value;
	size_t value_len;
	int ret = milter_dkim_tags_find(text, len, tag, &value, &value_len);

	if (ret < -1 || ret > 1)
		abort();
	if (ret != 1)
		return;
	if (value < text || value + value_len > text + len)
		abort();
	if (value_len > 0 &&
	    (memchr(" \t\r\n", value[0], 4) != NULL ||
	     memchr(" \t\r\n", value[value_len - 1], 4) != NULL))
		abort();
}

/* A From: domain is non-empty, lower case, and has no byte that ends an
   address (a domain literal: in brackets); a refusal always says why. */
static void check_from(const char *text)
{
	const char *error = NULL, *p;
	char *domain;

	if (milter_mail_from_domain(text, &domain, &error) < 0) {
		if (domain != NULL || error == NULL)
			abort();
		return;
	}
	if (*domain == '\0' || domain[strlen(domain) - 1] == '.')
		abort();
	if (domain[0] == '[') {
		/* a domain literal is kept as written, brackets and all */
		if (domain[strlen(domain) - 1] != ']')
			abort();
		free(domain);
		return;
	}
	for (p = domain; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') ||
		    strchr("<> \t\r\n,;()\"@", *p) != NULL)
			abort();
	}
	free(domain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char seed[32] = { 1 };
	char *text = malloc(size + 1);
	struct dkim_msg *msg;
	struct strbuf value = { 0 };
	const char *error, *colon;

	if (key == NULL)
		key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						   seed, 32);
	memcpy(text, data, size);
	text[size] = '\0';
	check_tag((const char *)data, size, "d");
	check_tag((const char *)data, size, "s");
	check_tag((const char *)data, size, "b");
	check_from(text);

	/* As a header field: "name:value" up to the first NUL. */
	colon = strchr(text, ':');
	if (colon != NULL) {
		char *name = strndup(text, (size_t)(colon - text));

		msg = milter_dkim_msg_new();
		(void)milter_dkim_msg_header(msg, name, colon + 1, &error);
		(void)milter_dkim_msg_header(msg, "From", colon + 1, &error);
		milter_dkim_msg_body(msg, colon + 1, strlen(colon + 1));
		if (milter_dkim_msg_sign(msg, key, DKIM_ALG_ED25519_SHA256,
					 "example.test", "fuzz", 0, &value,
					 &error) != 0)
			abort();
		milter_dkim_msg_free(&msg);
		free(name);
	}
	milter_strbuf_free(&value);
	free(text);
	return 0;
}
