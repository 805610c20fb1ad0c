/* test-dkim-tags: the DKIM tag-list reader (RFC 6376 3.2). */

#include "dkim-tags.h"
#include "ms-test.h"

static const struct tags_case {
	const char *name, *list, *tag;
	int want_ret;
	const char *want_value;
} cases[] = {
	{ "plain", "v=1; d=example.com; s=sel", "d", 1, "example.com" },
	{ "folding whitespace around name and value",
	  "v=1;\n\t d \t=\r\n\texample.com\n ; s=x", "d", 1, "example.com" },
	{ "missing tag", "v=1; s=x", "d", 0, NULL },
	{ "trailing semicolon", "v=1; s=x;", "s", 1, "x" },
	{ "empty value", "v=1; p=", "p", 1, "" },
	{ "tag without =", "v=1; junk; s=x", "s", -1, NULL },
	{ "tag given twice", "s=a; s=b", "s", -1, NULL },
	{ "invalid tag name", "v=1; 1x=2", "v", -1, NULL },
	{ "empty tag name", "v=1; =2", "v", -1, NULL },
	{ "name is matched exactly, not as prefix", "ss=1; s=2", "s", 1, "2" },
	{ "empty spec tolerated", "a=1;; s=2", "s", 1, "2" },
};

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tags_case *c = &cases[i];
		const char *value = NULL;
		size_t len = 0;
		char got[256];
		int ret;

		ms_test_begin(c->name);
		ret = milter_dkim_tags_find(c->list, strlen(c->list), c->tag,
					    &value, &len);
		ms_test_assert(ret == c->want_ret);
		if (c->want_value != NULL && ret == 1) {
			snprintf(got, sizeof(got), "%.*s", (int)len, value);
			ms_test_assert_str(got, c->want_value);
		}
		ms_test_end();
	}
	return ms_test_exit();
}
