/* fuzz-netstring.c: libFuzzer target for the socketmap framing
   (policyd_netstring_parse() in policyd-proto.c), run as the event loop
   runs it: parse, consume, repeat until more input is needed or the input
   is bad.  Every OK must lie inside the input and re-encode to the same
   bytes. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../policyd-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any overread */
	char *buf = malloc(size + 1), out[2048];
	const char *payload, *error;
	size_t pos = 0, len, used, out_len;
	enum policyd_parse ret;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	do {
		ret = policyd_netstring_parse(buf + pos, size - pos, 1000,
					      &payload, &len, &used, &error);
		if (ret != POLICYD_PARSE_OK)
			break;
		if (payload < buf + pos || payload + len > buf + size ||
		    used > size - pos || len > 1000)
			abort();
		out_len = policyd_netstring_format(out, sizeof(out), payload,
						   len);
		if (out_len != used || memcmp(out, buf + pos, used) != 0)
			abort();
		pos += used;
	} while (pos < size);
	if (ret == POLICYD_PARSE_BAD && (error == NULL || *error == '\0'))
		abort();
	free(buf);
	return 0;
}
