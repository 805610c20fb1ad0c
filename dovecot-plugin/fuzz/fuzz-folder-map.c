/* fuzz-folder-map.c: libFuzzer target for where the old server's folders
   land (mailshift_folder_map_assign() in mailshift-folder-map.c), on
   folder lists as an old server could send them once imapc has decoded
   them: any bytes, separators, "..", empty levels, 8-bit, SPECIAL-USE
   flags, admin renames.  Input: one folder per line, "name\tflags"; a
   line "=old=new" is a folder_map entry.  Every folder must land in a
   non-empty new folder, and no two old folders in the same one (each new
   folder carries the state of the one old folder it mirrors). */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "mailshift-folder-map.h"
#include "fuzz-entry.h"

#include <stdlib.h>

#define MAX_FOLDERS 64

static const char *const roles[MAILSHIFT_ROLE_COUNT] = {
	[MAILSHIFT_ROLE_SENT] = "Sent",
	[MAILSHIFT_ROLE_DRAFTS] = "Drafts",
	[MAILSHIFT_ROLE_TRASH] = "Trash",
	[MAILSHIFT_ROLE_JUNK] = "Junk",
	[MAILSHIFT_ROLE_ARCHIVE] = "Archive",
};

static void fuzz_names(const char *input, size_t size)
{
	struct mailshift_folder folders[MAX_FOLDERS];
	ARRAY_TYPE(const_string) folder_map;
	const char *const *lines, *null = NULL;
	unsigned int i, j, count = 0;

	i_zero(&folders);
	t_array_init(&folder_map, 8);
	lines = t_strsplit(t_strndup(input, size), "\n");
	for (; *lines != NULL && count < MAX_FOLDERS; lines++) {
		const char *tab;

		if ((*lines)[0] == '=') {
			/* "old=new" without the leading '=', both sides
			   non-empty, as the settings reader demands */
			const char *entry = *lines + 1;
			const char *eq = strchr(entry, '=');

			if (eq != NULL && eq != entry && eq[1] != '\0')
				array_push_back(&folder_map, &entry);
			continue;
		}
		tab = strchr(*lines, '\t');
		folders[count].src_vname = tab == NULL ? *lines :
			t_strdup_until(*lines, tab);
		folders[count].src_special_use = tab == NULL ? NULL : tab + 1;
		/* an old server lists a name once: imapc would too */
		for (j = 0; j < count; j++) {
			if (strcmp(folders[j].src_vname,
				   folders[count].src_vname) == 0)
				break;
		}
		if (j == count && folders[count].src_vname[0] != '\0')
			count++;
	}
	array_push_back(&folder_map, &null);

	mailshift_folder_map_assign(folders, count, roles,
				    array_front(&folder_map), TRUE, '/');
	for (i = 0; i < count; i++) {
		if (folders[i].dest_vname == NULL ||
		    folders[i].dest_vname[0] == '\0')
			abort();
		for (j = 0; j < i; j++) {
			if (strcmp(folders[i].dest_vname,
				   folders[j].dest_vname) == 0)
				abort();
		}
	}
}

void fuzz_init(void)
{
}

void fuzz_one(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) == NULL)
		fuzz_names((const char *)data, size);
}
