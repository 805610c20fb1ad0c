/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "write-full.h"
#include "mail-user.h"
#include "mailshift-folder-list.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define MAILSHIFT_FOLDER_LIST_NAME ".mailshift-folders"

struct mailshift_folder_list {
	pool_t pool;
	const char *path;	/* NULL: no home, nothing is kept */
	ARRAY_TYPE(const_string) names;
	bool changed;
};

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
		if (*line != '\0')
			mailshift_folder_list_add(list, line);
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
	const char *const *name;

	array_foreach(&list->names, name) {
		if (strcmp(*name, vname) == 0)
			return TRUE;
	}
	return FALSE;
}

void mailshift_folder_list_add(struct mailshift_folder_list *list,
			       const char *vname)
{
	/* a name with a line break cannot be kept in this file; such a
	   folder merely loses the protection */
	if (strpbrk(vname, "\r\n") != NULL ||
	    mailshift_folder_list_contains(list, vname))
		return;
	vname = p_strdup(list->pool, vname);
	array_push_back(&list->names, &vname);
	list->changed = TRUE;
}

int mailshift_folder_list_write(struct mailshift_folder_list *list,
				const char **error_r)
{
	const char *const *name, *temp_path;
	string_t *str;
	int fd;

	if (!list->changed || list->path == NULL)
		return 0;
	str = t_str_new(256);
	array_foreach(&list->names, name)
		str_printfa(str, "%s\n", *name);
	temp_path = t_strconcat(list->path, ".tmp", NULL);
	fd = open(temp_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", temp_path);
		return -1;
	}
	if (write_full(fd, str_data(str), str_len(str)) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", temp_path);
		i_close_fd(&fd);
		i_unlink(temp_path);
		return -1;
	}
	i_close_fd(&fd);
	if (rename(temp_path, list->path) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   temp_path, list->path);
		i_unlink(temp_path);
		return -1;
	}
	list->changed = FALSE;
	return 0;
}
