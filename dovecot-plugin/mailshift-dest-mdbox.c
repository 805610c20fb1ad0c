/* Copyright (c) mailshift authors */

#include "lib.h"
#include "mail-storage-private.h"
#include "mail-index.h"
#include "mdbox-storage.h"
#include "mdbox-map-private.h"
#include "mdbox-storage-rebuild.h"
#include "mailshift-dest-mdbox.h"

/* a rebuild that repaired a file the kill cut short leaves the map marked
   for another; a few are enough */
#define MAILSHIFT_MDBOX_MAX_REBUILDS 3

bool mailshift_dest_is_mdbox(struct mailbox *box)
{
	return strcmp(box->storage->name, MDBOX_STORAGE_NAME) == 0;
}

int mailshift_dest_mdbox_rebuild(struct mailbox *box)
{
	struct mdbox_storage *storage = MDBOX_STORAGE(box->storage);
	unsigned int i;
	int ret = 0;

	for (i = 0; i < MAILSHIFT_MDBOX_MAX_REBUILDS; i++) {
		ret = mdbox_storage_rebuild(storage);
		/* Dovecot 2.3 leaves the map index marked fscked after a
		   rebuild, and its next refresh marks the storage corrupted
		   again: every later sync of any folder would rebuild it, as
		   long as the process lives, under the other folders' open
		   batches (2.4 clears the mark) */
		(void)mail_index_reset_fscked(storage->map->index);
		if (ret == 0)
			ret = mdbox_map_refresh(storage->map);
		if (ret < 0 || (!storage->corrupted &&
				!mdbox_map_is_fscked(storage->map)))
			break;
	}
	return ret < 0 ? -1 : 0;
}
