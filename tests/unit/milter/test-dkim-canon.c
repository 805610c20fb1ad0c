/* test-dkim-canon: relaxed canonicalization, RFC 6376 3.4.5 and the cases
   implementations get wrong. */

#include <stdlib.h>

#include "dkim-canon.h"
#include "ms-test.h"

static void sink(void *context, const void *data, size_t len)
{
	milter_strbuf_append(context, data, len);
}

/* Canonicalizes body, fed in pieces of chunk bytes (0 = all at once). */
static const char *canon_body(const char *body, size_t chunk,
			      struct strbuf *out)
{
	struct dkim_body_canon canon;
	size_t len = strlen(body), pos, n;

	milter_strbuf_truncate(out);
	milter_dkim_body_canon_init(&canon, sink, out);
	for (pos = 0; pos < len; pos += n) {
		n = chunk == 0 || len - pos < chunk ? len - pos : chunk;
		milter_dkim_body_canon_update(&canon, body + pos, n);
	}
	milter_dkim_body_canon_final(&canon);
	return milter_strbuf_str(out);
}

static const struct body_case {
	const char *name, *input, *want;
} body_cases[] = {
	{ "RFC 6376 3.4.5 body",
	  "\r\n \tC \r\nD \t E\r\n\r\n\r\n", "\r\n C\r\nD E\r\n" },
	{ "empty body is empty (not CRLF)", "", "" },
	{ "only empty lines is empty", "\r\n\r\n\r\n", "" },
	{ "whitespace-only lines at the end are empty lines",
	  "a\r\n  \r\n\t\r\n", "a\r\n" },
	{ "missing final CRLF is added", "a  b", "a b\r\n" },
	{ "bare LF is a line end", "a \nb\n\n", "a\r\nb\r\n" },
	{ "inner empty lines stay", "a\r\n\r\n\r\nb\r\n",
	  "a\r\n\r\n\r\nb\r\n" },
	{ "8-bit bytes pass unchanged", "caf\xc3\xa9 \xff\r\n",
	  "caf\xc3\xa9 \xff\r\n" },
	{ "lone CR is an ordinary byte", "a\rb\r\n", "a\rb\r\n" },
	{ "CR at the very end", "a\r", "a\r\r\n" },
	{ "leading WSP becomes one SP", "\t\t x\r\n", " x\r\n" },
};

static void test_body(void)
{
	struct strbuf out = { 0 };
	size_t i, chunk;
	char name[200];

	for (i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		/* Every split point must give the same result as one piece. */
		for (chunk = 0; chunk <= 4; chunk++) {
			snprintf(name, sizeof(name), "body: %s (chunk %zu)",
				 body_cases[i].name, chunk);
			ms_test_begin(name);
			ms_test_assert_str(canon_body(body_cases[i].input,
						      chunk, &out),
					   body_cases[i].want);
			ms_test_end();
		}
	}
	milter_strbuf_free(&out);
}

static void test_long_body(void)
{
	struct strbuf out = { 0 }, want = { 0 };
	char *big = malloc(200001);
	size_t i;

	ms_test_begin("body: a 200 kB line streams through the 4 kB buffer");
	for (i = 0; i < 200000; i++)
		big[i] = i % 7 == 0 ? ' ' : 'x';
	big[200000] = '\0';
	for (i = 0; i < 200000; i++)
		milter_strbuf_append_c(&want, big[i]);
	/* The line starts with a space and ends without a line end. */
	milter_strbuf_append(&want, "\r\n", 2);
	ms_test_assert(strcmp(canon_body(big, 999, &out),
			      milter_strbuf_str(&want)) == 0);
	ms_test_end();
	free(big);
	milter_strbuf_free(&out);
	milter_strbuf_free(&want);
}

static const struct header_case {
	const char *name, *field, *value, *want;
} header_cases[] = {
	{ "RFC 6376 3.4.5 A", "A", " X", "a:X\r\n" },
	{ "RFC 6376 3.4.5 B (folded, trailing WSP)", "B ", " Y\t\r\n\tZ  ",
	  "b:Y Z\r\n" },
	{ "milter folding (bare LF)", "Subject", "one\n\ttwo \n three",
	  "subject:one two three\r\n" },
	{ "value case is kept", "X-Mixed", "AbC dEf", "x-mixed:AbC dEf\r\n" },
	{ "empty value", "To", "", "to:\r\n" },
	{ "whitespace-only value", "Cc", " \t ", "cc:\r\n" },
};

static void test_headers(void)
{
	struct strbuf out = { 0 };
	size_t i;

	for (i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		const struct header_case *c = &header_cases[i];
		char name[200];

		snprintf(name, sizeof(name), "header: %s", c->name);
		ms_test_begin(name);
		milter_strbuf_truncate(&out);
		milter_dkim_canon_header(&out, c->field, strlen(c->field),
					 c->value, strlen(c->value), true);
		ms_test_assert_str(milter_strbuf_str(&out), c->want);
		ms_test_end();
	}

	ms_test_begin("header line: split at the first colon, no CRLF");
	milter_strbuf_truncate(&out);
	ms_test_assert(milter_dkim_canon_header_line(&out, "DKIM-Signature : "
						     "a=b:c; b= ", 27, false));
	ms_test_assert_str(milter_strbuf_str(&out), "dkim-signature:a=b:c; b=");
	ms_test_end();

	ms_test_begin("header line: no colon is refused");
	milter_strbuf_truncate(&out);
	ms_test_assert(!milter_dkim_canon_header_line(&out, "nocolon", 7,
						       true));
	ms_test_assert_str(milter_strbuf_str(&out), "");
	ms_test_end();
	milter_strbuf_free(&out);
}

int main(void)
{
	test_body();
	test_long_body();
	test_headers();
	return ms_test_exit();
}
