/* fuzz-maillog.c: libFuzzer target for the delivery-log parser
   (policyd_maillog_parse() in policyd-proto.c), fed one line as
   "mailshift-policyd scan-log" reads it.  Every field of a parsed line
   must be NUL-terminated inside its buffer, and the recipient must come
   from the input. */

#define _GNU_SOURCE	/* memmem() */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../policyd-proto.h"

#define FIELD_OK(f) (memchr((f), '\0', sizeof(f)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any overread */
	char *buf = malloc(size == 0 ? 1 : size);
	struct policyd_maillog e;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (policyd_maillog_parse(buf, size, &e)) {
		if (!FIELD_OK(e.tag) || !FIELD_OK(e.queue_id) ||
		    !FIELD_OK(e.to) || !FIELD_OK(e.relay) ||
		    !FIELD_OK(e.dsn) || !FIELD_OK(e.status) ||
		    !FIELD_OK(e.text) || e.status[0] == '\0' ||
		    e.queue_id[0] == '\0')
			abort();
		if (e.to[0] != '\0' && memmem(buf, size, e.to,
					      strlen(e.to)) == NULL)
			abort();
		(void)policyd_maillog_tag_has(&e, "smtp");
	}
	free(buf);
	return 0;
}
