/* test-dkim-sign: signatures to the byte, against RFC 8463 Appendix A
   (Ed25519 key and message of the RFC) and a golden signature of our own
   format that dkimpy and OpenDKIM verified. */

#include <openssl/evp.h>

#include "dkim-sign.h"
#include "ms-test.h"

/* Our format for the RFC 8463 message and key at the RFC's t=; verified
   by dkimpy 1.1.4 (dkim.verify) and OpenDKIM 2.11 (opendkim -t with
   TestPublicKeys) when it was recorded. */
#define GOLDEN_SIGNATURE \
	"v=1; a=ed25519-sha256; c=relaxed/relaxed;\n" \
	"\td=football.example.com; s=brisbane; t=1528637909; " \
	"h=from:from:reply-to\n" \
	"\t:subject:subject:date:date:to:to:cc:message-id:message-id;\n" \
	"\tbh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n" \
	"\tb=dEbNXe4WlXwcR5XBef9CDAZuFij5QwzRbPENBQGLGmcLsxP3LlAgjXTfHeZZy" \
	"NrpSicmS/Bw\n" \
	"\t4Oj/hbRo+RHRBQ=="

/* RFC 8463 A.2: the Ed25519 private key (RFC 8032 7.1 test 1). */
static const unsigned char rfc8463_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

/* RFC 8463 A.1: the message, as a milter receives it (no space after
   the colon, body in CRLF lines). */
static const char *const rfc_headers[][2] = {
	{ "From", "Joe SixPack <joe@football.example.com>" },
	{ "To", "Suzie Q <suzie@shopping.example.net>" },
	{ "Subject", "Is dinner ready?" },
	{ "Date", "Fri, 11 Jul 2003 21:00:37 -0700 (PDT)" },
	{ "Message-ID", "<20030712040037.46341.5F8J@football.example.com>" },
};
static const char rfc_body[] =
	"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";

static struct dkim_msg *rfc_message(size_t chunk)
{
	struct dkim_msg *msg = milter_dkim_msg_new();
	const char *error;
	size_t i, pos, n, len = strlen(rfc_body);

	for (i = 0; i < 5; i++)
		ms_test_assert(milter_dkim_msg_header(msg, rfc_headers[i][0],
						      rfc_headers[i][1], &error)
						      == 0);
	for (pos = 0; pos < len; pos += n) {
		n = len - pos < chunk ? len - pos : chunk;
		milter_dkim_msg_body(msg, rfc_body + pos, n);
	}
	milter_dkim_msg_eob(msg);
	return msg;
}

static EVP_PKEY *rfc_key(void)
{
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
					    rfc8463_seed, 32);
}

static void test_rfc8463(void)
{
	static const char *const h[] = { "from", "to", "subject", "date",
		"message-id", "from", "subject", "date" };
	/* A.3's relaxed/relaxed Ed25519 signature, b= emptied, folded as in
	   the RFC. */
	static const char sig_value[] =
		"v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
		" d=football.example.com; i=@football.example.com;\r\n"
		" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
		" subject : date : message-id : from : subject : date;\r\n"
		" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
		" b=";
	EVP_PKEY *key = rfc_key();
	struct dkim_msg *msg;
	struct strbuf b = { 0 };
	const char *error = NULL;
	size_t chunk;

	for (chunk = 1; chunk <= 64; chunk *= 4) {
		ms_test_begin("RFC 8463 A.3 body hash (bh=)");
		msg = rfc_message(chunk);
		ms_test_assert_str(milter_dkim_msg_body_hash(msg),
			"2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
		milter_dkim_msg_free(&msg);
		ms_test_end();
	}

	ms_test_begin("RFC 8463 A.3 Ed25519 signature (b=)");
	msg = rfc_message(1000);
	ms_test_assert(milter_dkim_msg_sign_fields(msg, key,
						   DKIM_ALG_ED25519_SHA256, h,
						   8, sig_value, &b, &error) ==
						   0);
	ms_test_assert_str(milter_strbuf_str(&b),
		"/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus"
		"Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==");
	ms_test_end();

	ms_test_begin("an Ed25519 key refuses to sign as RSA, with a reason");
	milter_strbuf_truncate(&b);
	error = NULL;
	ms_test_assert(milter_dkim_msg_sign_fields(msg, key,
						   DKIM_ALG_RSA_SHA256, h, 8,
						   sig_value, &b, &error) < 0);
	ms_test_assert(error != NULL);
	ms_test_end();

	milter_dkim_msg_free(&msg);
	milter_strbuf_free(&b);
	EVP_PKEY_free(key);
}

static void test_our_format(void)
{
	EVP_PKEY *key = rfc_key();
	struct dkim_msg *msg = rfc_message(7);
	struct strbuf value = { 0 };
	const char *error;

	ms_test_begin("our DKIM-Signature for the RFC message, to the byte");
	ms_test_assert(milter_dkim_msg_sign(msg, key, DKIM_ALG_ED25519_SHA256,
					    "football.example.com", "brisbane",
					    1528637909, &value, &error) == 0);
	ms_test_assert_str(milter_strbuf_str(&value), GOLDEN_SIGNATURE);
	ms_test_assert(strstr(milter_strbuf_str(&value), " l=") == NULL);
	ms_test_end();

	milter_dkim_msg_free(&msg);
	milter_strbuf_free(&value);
	EVP_PKEY_free(key);
}

static void test_limits(void)
{
	struct dkim_msg *msg = milter_dkim_msg_new();
	const char *error = NULL;
	unsigned int i;
	int ret = 0;

	ms_test_begin("more than DKIM_MAX_HEADERS fields is refused");
	for (i = 0; i <= DKIM_MAX_HEADERS && ret == 0; i++)
		ret = milter_dkim_msg_header(msg, "X-Many", "v", &error);
	ms_test_assert(ret < 0 && i == DKIM_MAX_HEADERS + 1);
	ms_test_assert(error != NULL);
	ms_test_end();
	milter_dkim_msg_free(&msg);
}

int main(void)
{
	test_rfc8463();
	test_our_format();
	test_limits();
	return ms_test_exit();
}
