/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "hash.h"
#include "imap-arg.h"
#include "mailbox-list-private.h"
#include "imapc-storage.h"
#include "imapc-settings.h"
#include "imapc-list.h"
#include "mailshift-source-status.h"
#include "mailshift-source-list-reply.h"

struct mailshift_remote_folder {
	const char *remote_name;
	const char *special_use;
	bool listed, noselect, subscribed, have_status;
	struct mailbox_status status;
	uoff_t size;
};

struct mailshift_list_replies {
	pool_t pool;
	ARRAY(struct mailshift_remote_folder *) folders;
	HASH_TABLE(const char *, struct mailshift_remote_folder *) by_name;
};

static const char *const mailshift_special_use_flags[] = {
	"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent",
	"\\Trash", "\\Important",
};

struct mailshift_list_replies *mailshift_list_replies_init(void)
{
	struct mailshift_list_replies *replies;
	pool_t pool;

	pool = pool_alloconly_create("mailshift list replies", 4096);
	replies = p_new(pool, struct mailshift_list_replies, 1);
	replies->pool = pool;
	p_array_init(&replies->folders, pool, 64);
	hash_table_create(&replies->by_name, pool, 0, str_hash, strcmp);
	return replies;
}

void mailshift_list_replies_deinit(struct mailshift_list_replies **_replies)
{
	struct mailshift_list_replies *replies = *_replies;

	*_replies = NULL;
	hash_table_destroy(&replies->by_name);
	pool_unref(&replies->pool);
}

/* The folder name in arg, or NULL if it is none or holds a NUL byte. */
static const char *mailshift_list_reply_name(const struct imap_arg *arg)
{
	const char *name;

	if (!imap_arg_get_astring(arg, &name) ||
	    strlen(name) != arg->str_len || name[0] == '\0')
		return NULL;
	return name;
}

static struct mailshift_remote_folder *
mailshift_list_folder(struct mailshift_list_replies *replies,
		      const char *remote_name)
{
	struct mailshift_remote_folder *folder;

	/* INBOX is case-insensitive (RFC 3501) */
	if (strcasecmp(remote_name, "INBOX") == 0)
		remote_name = "INBOX";
	folder = hash_table_lookup(replies->by_name, remote_name);
	if (folder == NULL) {
		folder = p_new(replies->pool, struct mailshift_remote_folder, 1);
		folder->remote_name = p_strdup(replies->pool, remote_name);
		hash_table_insert(replies->by_name, folder->remote_name,
				  folder);
		array_push_back(&replies->folders, &folder);
	}
	return folder;
}

bool mailshift_list_replies_add_list(struct mailshift_list_replies *replies,
				     const struct imap_arg *args)
{
	struct mailshift_remote_folder *folder;
	const struct imap_arg *flags;
	const char *remote_name, *flag;
	bool nonexistent = FALSE, noselect = FALSE, subscribed = FALSE;
	string_t *special_use = t_str_new(32);

	/* an empty name: the answer to imapc's LIST "" "" */
	if (!imap_arg_get_list(&args[0], &flags) ||
	    args[1].type == IMAP_ARG_EOL ||
	    (remote_name = mailshift_list_reply_name(&args[2])) == NULL)
		return FALSE;
	for (; imap_arg_get_atom(flags, &flag); flags++) {
		if (strcasecmp(flag, "\\NonExistent") == 0)
			nonexistent = TRUE;
		else if (strcasecmp(flag, "\\Noselect") == 0)
			noselect = TRUE;
		else if (strcasecmp(flag, "\\Subscribed") == 0)
			subscribed = TRUE;
		for (unsigned int i = 0;
		     i < N_ELEMENTS(mailshift_special_use_flags); i++) {
			if (strcasecmp(flag, mailshift_special_use_flags[i]) != 0)
				continue;
			if (str_len(special_use) > 0)
				str_append_c(special_use, ' ');
			str_append(special_use, mailshift_special_use_flags[i]);
		}
	}

	folder = mailshift_list_folder(replies, remote_name);
	if (subscribed)
		folder->subscribed = TRUE;
	if (nonexistent)
		return TRUE;
	folder->listed = TRUE;
	if (noselect)
		folder->noselect = TRUE;
	if (str_len(special_use) > 0 && folder->special_use == NULL) {
		folder->special_use = p_strdup(replies->pool,
					       str_c(special_use));
	}
	return TRUE;
}

bool mailshift_list_replies_add_status(struct mailshift_list_replies *replies,
				       const struct imap_arg *args,
				       bool modseqs)
{
	struct mailshift_remote_folder *folder;
	struct mailbox_status status;
	const struct imap_arg *list;
	const char *remote_name;
	uoff_t size;

	if ((remote_name = mailshift_list_reply_name(&args[0])) == NULL ||
	    !imap_arg_get_list(&args[1], &list))
		return FALSE;
	i_zero(&status);
	if (!mailshift_source_parse_status(list, modseqs, &status, &size))
		return FALSE;
	folder = mailshift_list_folder(replies, remote_name);
	folder->status = status;
	folder->size = size;
	folder->have_status = TRUE;
	return TRUE;
}

/* The source namespace's name of a remote folder, as imapc's own listing
   would give it; NULL for what imapc would not list (outside
   imapc_list_prefix, or the prefix itself). */
static const char *
mailshift_list_vname(struct imapc_mailbox_list *list, const char *remote_name)
{
	const char *prefix = list->set->imapc_list_prefix;
	size_t prefix_len = strlen(prefix);
	const char *storage_name;

	if (prefix_len > 0 && strcmp(remote_name, "INBOX") != 0 &&
	    (strncmp(remote_name, prefix, prefix_len) != 0 ||
	     remote_name[prefix_len] != list->root_sep ||
	     remote_name[prefix_len + 1] == '\0'))
		return NULL;
	storage_name = mailbox_list_escape_name_params(remote_name, "",
		list->root_sep, mailbox_list_get_hierarchy_sep(&list->list),
		list->list.set.storage_name_escape_char, "");
	return mailbox_list_get_vname(&list->list, storage_name);
}

/* Whether imapc opens remote_name by vname: the way back from a name is
   not always the way there (INBOX below the prefix, matched without
   regard to case, is the real INBOX). */
static bool
mailshift_list_vname_opens(struct imapc_mailbox_list *list, const char *vname,
			   const char *remote_name)
{
	const char *storage_name;

	storage_name = mailbox_list_get_storage_name(&list->list, vname);
	return strcmp(imapc_list_storage_to_remote_name(list, storage_name),
		      remote_name) == 0;
}

int mailshift_list_replies_get(struct mailshift_list_replies *replies,
			       struct imapc_mailbox_list *list, pool_t pool,
			       ARRAY_TYPE(mailshift_source_entry) *entries,
			       ARRAY_TYPE(const_string) *unreachable,
			       const char **error_r)
{
	struct mailshift_remote_folder *const *folderp;
	unsigned char sep = list->root_sep;

	i_assert(sep != '\0');
	/* RFC 3501's QUOTED-CHAR; imapc takes any byte */
	if (sep >= 0x80 || sep == '\r' || sep == '\n') {
		*error_r = t_strdup_printf("the old server's hierarchy "
			"separator is byte 0x%02x, which IMAP does not allow: "
			"its folders cannot be named here", sep);
		return -1;
	}
	array_foreach(&replies->folders, folderp) {
		const struct mailshift_remote_folder *folder = *folderp;
		struct mailshift_source_entry *entry;
		const char *vname, *remote_name;

		vname = mailshift_list_vname(list, folder->remote_name);
		if (vname == NULL || *vname == '\0')
			continue;
		if (!mailshift_list_vname_opens(list, vname,
						folder->remote_name)) {
			remote_name = p_strdup(pool, folder->remote_name);
			array_push_back(unreachable, &remote_name);
			continue;
		}
		entry = array_append_space(entries);
		entry->remote_name = p_strdup(pool, folder->remote_name);
		entry->vname = p_strdup(pool, vname);
		entry->special_use = p_strdup(pool, folder->special_use);
		entry->listed = folder->listed;
		entry->noselect = folder->noselect;
		entry->subscribed = folder->subscribed;
		entry->have_status = folder->have_status && !folder->noselect;
		entry->status = folder->status;
		entry->size = folder->size;
	}
	return 0;
}
