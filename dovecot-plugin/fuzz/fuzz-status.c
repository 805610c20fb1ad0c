/* fuzz-status.c: libFuzzer target for the old server's STATUS data
   (mailshift_source_parse_status() in mailshift-source-status.c), the
   attribute list of a STATUS reply or of LIST-STATUS, parsed from the
   wire by Dovecot's own IMAP parser as imapc does.  Input: one untagged
   reply line, e.g. "* STATUS INBOX (MESSAGES 3 UIDNEXT 4)".  A list the
   parser accepts is either refused or read into numbers that fit: no
   UID or count above 32 bits. */

#include "lib.h"
#include "istream.h"
#include "imap-arg.h"
#include "imap-parser.h"
#include "mail-storage.h"
#include "mailshift-source-status.h"
#include "fuzz-entry.h"

#include <stdlib.h>

void fuzz_one(const uint8_t *data, size_t size)
{
	struct istream *input;
	struct imap_parser *parser;
	const struct imap_arg *args, *list;
	struct mailbox_status status;
	unsigned int i;
	int ret;

	input = i_stream_create_from_data(data, size);
	parser = imap_parser_create(input, NULL, 65536, NULL);
	(void)i_stream_read(input);
	ret = imap_parser_finish_line(parser, 0, 0, &args);
	for (i = 0; ret > 0 && args[i].type != IMAP_ARG_EOL; i++) {
		if (!imap_arg_get_list(&args[i], &list))
			continue;
		for (unsigned int modseqs = 0; modseqs < 2; modseqs++) {
			uoff_t folder_size;

			i_zero(&status);
			if (!mailshift_source_parse_status(list, modseqs != 0,
							   &status,
							   &folder_size))
				continue;
			if (modseqs == 0 && status.highest_modseq != 0)
				abort();
		}
	}
	imap_parser_unref(&parser);
	i_stream_unref(&input);
}

void fuzz_init(void)
{
}
