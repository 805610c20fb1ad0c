/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "md5.h"
#include "read-full.h"
#include "write-full.h"
#include "mailshift-message-ids.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAILSHIFT_MESSAGE_IDS_NAME ".mailshift-message-ids"

struct mailshift_message_ids {
	char *path;
	int fd;
	/* 64-bit keys as pointers (never 0) */
	HASH_TABLE(void *, void *) set;
	ARRAY(uint64_t) unwritten;
};

static uint64_t mailshift_message_id_key(const char *message_id)
{
	unsigned char digest[MD5_RESULTLEN];
	uint64_t key;

	md5_get_digest(message_id, strlen(message_id), digest);
	memcpy(&key, digest, sizeof(key));
	return key != 0 ? key : 1;
}

static void mailshift_message_ids_insert(struct mailshift_message_ids *ids,
					 uint64_t key)
{
	void *ptr = POINTER_CAST(key);

	hash_table_update(ids->set, ptr, ptr);
}

int mailshift_message_ids_open(const char *home,
			       struct mailshift_message_ids **ids_r,
			       const char **error_r)
{
	struct mailshift_message_ids *ids;
	uint64_t keys[512];
	struct stat st;
	ssize_t ret;

	i_assert(sizeof(void *) >= sizeof(uint64_t));
	ids = i_new(struct mailshift_message_ids, 1);
	ids->path = i_strconcat(home, "/" MAILSHIFT_MESSAGE_IDS_NAME, NULL);
	ids->fd = open(ids->path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW,
		       0600);
	if (ids->fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", ids->path);
		i_free(ids->path);
		i_free(ids);
		return -1;
	}
	hash_table_create_direct(&ids->set, default_pool, 0);
	i_array_init(&ids->unwritten, 64);
	/* a record a crash cut short is dropped, so that the next ones are
	   appended in step */
	if (fstat(ids->fd, &st) < 0 ||
	    (st.st_size % sizeof(keys[0]) != 0 &&
	     ftruncate(ids->fd, st.st_size - st.st_size % sizeof(keys[0])) < 0)) {
		*error_r = t_strdup_printf("fstat/ftruncate(%s) failed: %m",
					   ids->path);
		mailshift_message_ids_close(&ids);
		return -1;
	}
	while ((ret = read(ids->fd, keys, sizeof(keys))) > 0) {
		for (size_t i = 0; i < (size_t)ret / sizeof(keys[0]); i++)
			mailshift_message_ids_insert(ids, keys[i]);
	}
	if (ret < 0) {
		*error_r = t_strdup_printf("read(%s) failed: %m", ids->path);
		mailshift_message_ids_close(&ids);
		return -1;
	}
	*ids_r = ids;
	return 0;
}

void mailshift_message_ids_close(struct mailshift_message_ids **_ids)
{
	struct mailshift_message_ids *ids = *_ids;

	*_ids = NULL;
	if (ids->fd != -1)
		i_close_fd(&ids->fd);
	hash_table_destroy(&ids->set);
	array_free(&ids->unwritten);
	i_free(ids->path);
	i_free(ids);
}

bool mailshift_message_ids_contains(struct mailshift_message_ids *ids,
				    const char *message_id)
{
	void *ptr = POINTER_CAST(mailshift_message_id_key(message_id));

	return hash_table_lookup(ids->set, ptr) != NULL;
}

void mailshift_message_ids_add(struct mailshift_message_ids *ids,
			       const char *message_id)
{
	uint64_t key = mailshift_message_id_key(message_id);

	if (hash_table_lookup(ids->set, POINTER_CAST(key)) != NULL)
		return;
	mailshift_message_ids_insert(ids, key);
	array_push_back(&ids->unwritten, &key);
}

int mailshift_message_ids_flush(struct mailshift_message_ids *ids,
				const char **error_r)
{
	const uint64_t *keys;
	unsigned int count;

	keys = array_get(&ids->unwritten, &count);
	if (count == 0)
		return 0;
	if (write_full(ids->fd, keys, count * sizeof(keys[0])) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", ids->path);
		return -1;
	}
	array_clear(&ids->unwritten);
	return 0;
}
