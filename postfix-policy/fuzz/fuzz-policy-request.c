/* fuzz-policy-request.c: libFuzzer target for the policy delegation
   attribute parser (policyd_request_parse() in policyd-proto.c), run as
   the event loop runs it, on a buffer of exactly the input's size.  Every
   attribute must be a NUL-terminated string inside the buffer, and the
   count must stay within the limit. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../policyd-proto.h"

#define MAX_ATTRS 16
#define MAX_LINE 256

static void check_inside(const char *str, const char *buf, size_t size)
{
	if (str < buf || str >= buf + size ||
	    memchr(str, '\0', (size_t)(buf + size - str)) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policyd_attr attrs[MAX_ATTRS];
	struct policyd_request req = { attrs, 0, MAX_ATTRS };
	char *buf = malloc(size + 1);
	const char *error;
	size_t pos = 0, used;
	enum policyd_parse ret;
	unsigned int i;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	do {
		ret = policyd_request_parse(buf + pos, size - pos, MAX_LINE,
					    &req, &used, &error);
		if (ret != POLICYD_PARSE_OK)
			break;
		if (req.count > MAX_ATTRS || used == 0 || used > size - pos)
			abort();
		for (i = 0; i < req.count; i++) {
			check_inside(req.attrs[i].name, buf, size);
			check_inside(req.attrs[i].value, buf, size);
		}
		(void)policyd_request_get(&req, "recipient");
		pos += used;
	} while (pos < size);
	free(buf);
	return 0;
}
