/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "mail-user.h"
#include "mailshift-file.h"
#include "mailshift-folder-list.h"

#include <fcntl.h>
#include <unistd.h>

#define MAILSHIFT_FOLDER_LIST_NAME ".mailshift-folders"

struct mailshift_folder_list {
	pool_t pool;
	const char *path;	/* NULL: no home, nothing is kept */
	ARRAY_TYPE(const_string) names;
	/* origins[i] belongs to names[i]; "" = not recorded */
	ARRAY_TYPE(const_string) origins;
	bool changed;
};

static int mailshift_folder_list_find(const struct mailshift_folder_list *list,
				      const char *vname)
{
	const char *const *names;
	unsigned int i, count;

	names = array_get(&list->names, &count);
	for (i = 0; i < count; i++) {
		if (strcmp(names[i], vname) == 0)
			return (int)i;
	}
	return -1;
}

int mailshift_folder_list_read(struct mail_user *user,
			       struct mailshift_folder_list **list_r,
			       const char **error_r)
{
	struct mailshift_folder_list *list;
	struct istream *input;
	const char *home, *line;
	int fd;

	list = p_new(user->pool, struct mailshift_folder_list, 1);
	list->pool = user->pool;
	p_array_init(&list->names, user->pool, 16);
	p_array_init(&list->origins, user->pool, 16);
	*list_r = list;
	if (mail_user_get_home(user, &home) <= 0)
		return 0;
	list->path = p_strconcat(user->pool, home, "/",
				 MAILSHIFT_FOLDER_LIST_NAME, NULL);

	fd = open(list->path, O_RDONLY);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		*error_r = t_strdup_printf("open(%s) failed: %m", list->path);
		return -1;
	}
	input = i_stream_create_fd_autoclose(&fd, SIZE_MAX);
	while ((line = i_stream_read_next_line(input)) != NULL) {
		const char *tab = strchr(line, '\t');

		if (tab != NULL) {
			mailshift_folder_list_add(list,
				t_strdup_until(line, tab), tab + 1);
		} else if (*line != '\0') {
			mailshift_folder_list_add(list, line, "");
		}
	}
	if (input->stream_errno != 0) {
		*error_r = t_strdup_printf("read(%s) failed: %s", list->path,
					   i_stream_get_error(input));
		i_stream_unref(&input);
		return -1;
	}
	i_stream_unref(&input);
	list->changed = FALSE;
	return 0;
}

bool mailshift_folder_list_contains(const struct mailshift_folder_list *list,
				    const char *vname)
{
	return mailshift_folder_list_find(list, vname) >= 0;
}

const char *
mailshift_folder_list_origin(const struct mailshift_folder_list *list,
			     const char *vname)
{
	int i = mailshift_folder_list_find(list, vname);
	const char *origin;

	if (i < 0)
		return NULL;
	origin = array_idx_elem(&list->origins, i);
	return *origin == '\0' ? NULL : origin;
}

void mailshift_folder_list_add(struct mailshift_folder_list *list,
			       const char *vname, const char *origin)
{
	/* a name with a line break or TAB cannot be kept in this file; such
	   a folder merely loses the protection */
	int i;

	if (strpbrk(vname, "\t\r\n") != NULL ||
	    strpbrk(origin, "\t\r\n") != NULL)
		return;
	i = mailshift_folder_list_find(list, vname);
	if (i >= 0) {
		/* listed by a version that did not record origins */
		if (*array_idx_elem(&list->origins, i) == '\0' &&
		    *origin != '\0') {
			array_idx_set(&list->origins, i,
				      (const char *const[]){
					      p_strdup(list->pool, origin) });
			list->changed = TRUE;
		}
		return;
	}
	vname = p_strdup(list->pool, vname);
	origin = p_strdup(list->pool, origin);
	array_push_back(&list->names, &vname);
	array_push_back(&list->origins, &origin);
	list->changed = TRUE;
}

void mailshift_folder_list_remove(struct mailshift_folder_list *list,
				  const char *vname)
{
	int i = mailshift_folder_list_find(list, vname);

	if (i < 0)
		return;
	array_delete(&list->names, i, 1);
	array_delete(&list->origins, i, 1);
	list->changed = TRUE;
}

void mailshift_folder_list_rename(struct mailshift_folder_list *list,
				  const char *vname, const char *new_vname,
				  char sep)
{
	const char **names;
	unsigned int i, count;
	size_t len = strlen(vname);

	names = array_get_modifiable(&list->names, &count);
	for (i = 0; i < count; i++) {
		if (strncmp(names[i], vname, len) != 0 ||
		    (names[i][len] != '\0' && names[i][len] != sep))
			continue;
		names[i] = p_strconcat(list->pool, new_vname,
				       names[i] + len, NULL);
		list->changed = TRUE;
	}
}

const char *const *
mailshift_folder_list_names(const struct mailshift_folder_list *list,
			    unsigned int *count_r)
{
	return array_get(&list->names, count_r);
}

int mailshift_folder_list_write(struct mailshift_folder_list *list,
				const char **error_r)
{
	const char *const *name;
	string_t *str;

	if (!list->changed || list->path == NULL)
		return 0;
	str = t_str_new(256);
	array_foreach(&list->names, name) {
		const char *origin = array_idx_elem(&list->origins,
			array_foreach_idx(&list->names, name));

		str_printfa(str, "%s\t%s\n", *name, origin);
	}
	if (mailshift_file_replace(list->path, str_data(str), str_len(str),
				   NULL, FALSE, error_r) < 0)
		return -1;
	list->changed = FALSE;
	return 0;
}
