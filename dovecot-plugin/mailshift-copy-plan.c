/* Copyright (c) mailshift authors */

/* The plan of a pass: the old server's folders with their STATUS and
   subscriptions (in one round trip where the server can), the \All
   folder, the name each gets here, the new server's folder for each role,
   and the old folders renamed or deleted since the last pass. */

#include "lib.h"
#include "mailbox-list-iter.h"
#include "mailshift-folder-list.h"
#include "mailshift-folder-moves.h"
#include "mailshift-source-list.h"
#include "mailshift-message-ids.h"
#include "mailshift-copy-private.h"

static int mailshift_folder_cmp(const struct mailshift_source_folder *a,
				const struct mailshift_source_folder *b)
{
	bool a_inbox = strcasecmp(a->map.src_vname, "INBOX") == 0;
	bool b_inbox = strcasecmp(b->map.src_vname, "INBOX") == 0;

	/* INBOX first: it is what a user who just logged in looks at */
	if (a_inbox != b_inbox)
		return a_inbox ? -1 : 1;
	/* the \All folder last: it takes what no other folder holds */
	if (a->all_mail != b->all_mail)
		return a->all_mail ? 1 : -1;
	/* the largest first: copied several at once, the folders then end
	   about together, and no large one is left to stream alone */
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return strcmp(a->map.src_vname, b->map.src_vname);
}

/* imapc forgets its LIST and LSUB answers as soon as no listing of the
   namespace is open, and the two listings below would each send both
   again; a listing held open across them makes them share one answer. */
struct mailshift_listing_hold {
	ARRAY(struct mailbox_list_iterate_context *) iters;
};

static struct mailshift_listing_hold *
mailshift_copy_hold_listings(struct mail_user *user,
			     const char *const *patterns)
{
	struct mailshift_listing_hold *hold;
	struct mailbox_list_iterate_context *iter;
	struct mail_namespace *ns;

	hold = t_new(struct mailshift_listing_hold, 1);
	t_array_init(&hold->iters, 4);
	for (ns = user->namespaces; ns != NULL; ns = ns->next) {
		if (ns->type != MAIL_NAMESPACE_TYPE_PRIVATE)
			continue;
		iter = mailbox_list_iter_init(ns->list, patterns[0],
				MAILBOX_LIST_ITER_RETURN_SUBSCRIBED |
				MAILBOX_LIST_ITER_RETURN_NO_FLAGS);
		array_push_back(&hold->iters, &iter);
	}
	return hold;
}

static void
mailshift_copy_release_listings(struct mailshift_listing_hold *hold)
{
	struct mailbox_list_iterate_context **iter;

	/* their errors are the real listings' errors, reported there */
	array_foreach_modifiable(&hold->iters, iter)
		(void)mailbox_list_iter_deinit(iter);
}

static int
mailshift_copy_list_source_held(struct mailshift_copy *copy,
				const char *const *patterns)
{
	struct mail_user *user = copy->params->source_user;
	struct mailbox_list_iterate_context *iter;
	const struct mailbox_info *info;
	struct mailshift_source_folder *folder;

	iter = mailbox_list_iter_init_namespaces(user->namespaces, patterns,
		MAIL_NAMESPACE_TYPE_PRIVATE,
		MAILBOX_LIST_ITER_RETURN_SPECIALUSE |
		MAILBOX_LIST_ITER_RETURN_SUBSCRIBED |
		MAILBOX_LIST_ITER_SKIP_ALIASES);
	while ((info = mailbox_list_iter_next(iter)) != NULL) {
		const char *vname = p_strdup(user->pool, info->vname);

		if ((info->flags & MAILBOX_SUBSCRIBED) != 0)
			array_push_back(&copy->subscriptions, &vname);
		if ((info->flags & MAILBOX_NONEXISTENT) != 0)
			continue;
		folder = array_append_space(&copy->folders);
		folder->map.src_vname = vname;
		folder->map.src_special_use =
			p_strdup(user->pool, info->special_use);
		folder->noselect = (info->flags & MAILBOX_NOSELECT) != 0;
	}
	if (mailbox_list_iter_deinit(&iter) < 0) {
		mailshift_copy_fail_list(copy, "folders");
		return -1;
	}

	/* Subscriptions to folders that do not exist are listed only when
	   asking for subscriptions explicitly. */
	iter = mailbox_list_iter_init_namespaces(user->namespaces, patterns,
		MAIL_NAMESPACE_TYPE_PRIVATE,
		MAILBOX_LIST_ITER_SELECT_SUBSCRIBED |
		MAILBOX_LIST_ITER_RETURN_SUBSCRIBED |
		MAILBOX_LIST_ITER_RETURN_NO_FLAGS);
	while ((info = mailbox_list_iter_next(iter)) != NULL) {
		const char *vname = p_strdup(user->pool, info->vname);
		bool found = FALSE;
		const char *const *sub;

		array_foreach(&copy->subscriptions, sub) {
			if (strcmp(*sub, vname) == 0)
				found = TRUE;
		}
		if (!found)
			array_push_back(&copy->subscriptions, &vname);
	}
	if (mailbox_list_iter_deinit(&iter) < 0) {
		mailshift_copy_fail_list(copy, "subscriptions");
		return -1;
	}
	return 0;
}

/* One round trip for folders, STATUS and subscriptions, where the old
   server can (mailshift-source-list.h).  Returns as
   mailshift_source_list_all(). */
static int mailshift_copy_list_source_at_once(struct mailshift_copy *copy)
{
	struct mail_user *user = copy->params->source_user;
	ARRAY_TYPE(mailshift_source_entry) entries;
	const struct mailshift_source_entry *entry;
	struct mailshift_source_folder *folder;
	int ret;

	t_array_init(&entries, 64);
	ret = mailshift_source_list_all(user, user->pool, &entries);
	if (ret <= 0) {
		if (ret < 0)
			mailshift_copy_fail_list(copy, "folders");
		return ret;
	}
	array_foreach(&entries, entry) {
		if (entry->subscribed)
			array_push_back(&copy->subscriptions, &entry->vname);
		if (!entry->listed)
			continue;
		folder = array_append_space(&copy->folders);
		folder->map.src_vname = entry->vname;
		folder->map.src_special_use = entry->special_use;
		folder->noselect = entry->noselect;
		folder->status = entry->status;
		folder->have_status = entry->have_status;
		folder->size = entry->size;
	}
	return 1;
}

/* A mailshift_source_prefix the old server does not have is a setting
   to change, not a mailbox without folders.  Asked only where one is set
   and nothing but INBOX was listed, as a wrong prefix lists: the
   NAMESPACE costs a round trip, and with none set imapc lists the
   server's own names. */
static int mailshift_copy_check_prefix(struct mailshift_copy *copy)
{
	const struct mailshift_settings *set = copy->params->set;
	const char *server_prefix;
	int ret;

	if (*set->source_prefix == '\0')
		return 0;
	ret = mailshift_source_check_prefix(copy->params->source_user, set,
					    &server_prefix);
	if (ret < 0) {
		mailshift_copy_fail_list(copy, "namespaces");
		return -1;
	}
	if (ret == 0) {
		mailshift_copy_fail_config(copy, TRUE, t_strdup_printf(
			"old server: its personal folders are under \"%s\" "
			"(its NAMESPACE answer), not under mailshift_source_"
			"prefix = %s: %s", server_prefix, set->source_prefix,
			*server_prefix == '\0' ?
			"remove mailshift_source_prefix" :
			t_strdup_printf("set mailshift_source_prefix = %s",
					server_prefix)));
		return -1;
	}
	return 0;
}

int mailshift_copy_list_source(struct mailshift_copy *copy)
{
	static const char *const patterns[] = { "*", NULL };
	struct mail_user *user = copy->params->source_user;
	struct mailshift_listing_hold *hold;
	struct mailshift_source_folder *folder;
	bool have_inbox = FALSE;
	int ret;

	ret = mailshift_copy_list_source_at_once(copy);
	if (ret == 0) {
		/* older servers: LIST and LSUB through imapc, STATUS after
		   them */
		hold = mailshift_copy_hold_listings(user, patterns);
		ret = mailshift_source_keep_levels(user);
		if (ret < 0)
			mailshift_copy_fail_list(copy, "folders");
		else
			ret = mailshift_copy_list_source_held(copy, patterns);
		mailshift_copy_release_listings(hold);
	}
	if (ret < 0)
		return -1;

	array_foreach_modifiable(&copy->folders, folder) {
		if (strcasecmp(folder->map.src_vname, "INBOX") == 0)
			have_inbox = TRUE;
		folder->all_mail = folder->map.src_special_use != NULL &&
			mailshift_role_has_all(folder->map.src_special_use);
	}
	if (array_count(&copy->folders) <= (have_inbox ? 1 : 0) &&
	    mailshift_copy_check_prefix(copy) < 0)
		return -1;
	if (!have_inbox) {
		/* some servers leave INBOX out of LIST "" "*" */
		struct mailshift_source_folder *inbox =
			array_append_space(&copy->folders);
		inbox->map.src_vname = "INBOX";
	}
	array_sort(&copy->folders, mailshift_folder_cmp);
	return 0;
}

/* What becomes of the old server's \All folder: left out, copied as it
   is, or (unique) copied last with only what the other folders' copies
   do not have.  Returns 0, or -1 when the record of those cannot be
   opened (the pass stops: it would copy every message twice). */
int mailshift_copy_all_mail(struct mailshift_copy *copy)
{
	struct mail_user *user = copy->params->dest_user;
	struct mailshift_source_folder *folders;
	const char *home = NULL, *error;
	unsigned int i, count;

	folders = array_get_modifiable(&copy->folders, &count);
	for (i = 0; i < count; i++) {
		if (folders[i].all_mail)
			break;
	}
	if (i == count)
		return 0;
	switch (copy->params->set->source_all_mail) {
	case MAILSHIFT_ALL_MAIL_COPY:
		folders[i].all_mail = FALSE;
		return 0;
	case MAILSHIFT_ALL_MAIL_SKIP:
		e_debug(user->event, "mailshift: the old server's \\All "
			"folder %s is left out (mailshift_source_all_mail = "
			"skip)", folders[i].map.src_vname);
		array_delete(&copy->folders, i, 1);
		return 0;
	case MAILSHIFT_ALL_MAIL_UNIQUE:
		break;
	}
	if (mail_user_get_home(user, &home) <= 0 ||
	    mailshift_message_ids_open(home, &copy->message_ids,
				       &error) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		copy->error = p_strdup_printf(copy->pool, "new server: "
			"the record of copied Message-IDs the \\All folder "
			"%s needs: %s", folders[i].map.src_vname,
			home == NULL ? "the user has no home directory" :
			error);
		return -1;
	}
	return 0;
}

/* The new server's folders per role, from its namespace configuration
   (namespace inbox { mailbox Sent { special_use = \Sent } }): in 2.3 a
   role is configuration, not a property a folder can be given. */
void
mailshift_copy_dest_roles(struct mailshift_copy *copy)
{
	const char **dest_roles = copy->dest_roles;
	struct mail_namespace *ns;
	struct mailbox_settings *const *box_set;

	memset(dest_roles, 0, sizeof(const char *) * MAILSHIFT_ROLE_COUNT);
	ns = mail_namespace_find_inbox(copy->params->dest_user->namespaces);
	if (ns == NULL || !array_is_created(&ns->set->mailboxes))
		return;
	array_foreach(&ns->set->mailboxes, box_set) {
		enum mailshift_folder_role role =
			mailshift_role_from_special_use((*box_set)->special_use);

		if (role != MAILSHIFT_ROLE_NONE && dest_roles[role] == NULL) {
			dest_roles[role] = t_strconcat(ns->prefix,
						       (*box_set)->name, NULL);
		}
	}
}

/* Would the new server create a folder of this name? */
static bool
mailshift_copy_dest_accepts(struct mailshift_copy *copy, const char *vname)
{
	struct mail_namespace *ns =
		mail_namespace_find(copy->params->dest_user->namespaces, vname);
	struct mailbox *box = mailbox_alloc(ns->list, vname, 0);
	int ret = mailbox_verify_create_name(box);

	mailbox_free(&box);
	return ret == 0;
}

/* The old folder's name in the new server's hierarchy
   (mailshift_folder_translate()); *replaced_r: a character had to be
   replaced. */
static const char *
mailshift_copy_here_vname(struct mailshift_copy *copy, const char *src_vname,
			  bool *replaced_r)
{
	struct mail_namespace *ns =
		mail_namespace_find_inbox(copy->params->dest_user->namespaces);
	const char *const *levels;
	const char *vname;

	*replaced_r = FALSE;
	if (strcasecmp(src_vname, "INBOX") == 0)
		return "INBOX";
	levels = mailshift_source_name_levels(copy->params->source_user,
					      src_vname);
	vname = mailshift_folder_translate(ns->prefix, levels, copy->sep,
					   FALSE, replaced_r);
	if (!mailshift_copy_dest_accepts(copy, vname)) {
		vname = mailshift_folder_translate(ns->prefix, levels,
						   copy->sep, TRUE,
						   replaced_r);
	}
	return vname;
}

void mailshift_copy_map_folders(struct mailshift_copy *copy)
{
	struct mailshift_source_folder *folders;
	struct mailshift_folder *maps;
	unsigned int i, count;

	folders = array_get_modifiable(&copy->folders, &count);
	maps = t_new(struct mailshift_folder, count);
	for (i = 0; i < count; i++) {
		bool replaced;

		maps[i] = folders[i].map;
		maps[i].here_vname = mailshift_copy_here_vname(
			copy, maps[i].src_vname, &replaced);
		if (replaced) {
			e_info(copy->params->dest_user->event,
			       "mailshift: old folder '%s' is '%s' here: a "
			       "character in its name would split it into "
			       "levels or is refused by the new storage, so "
			       "a lookalike stands for it",
			       maps[i].src_vname, maps[i].here_vname);
		}
	}
	mailshift_folder_map_assign(maps, count, copy->dest_roles,
				    copy->params->set->folder_map,
				    copy->params->set->special_use_mapping,
				    copy->sep);
	for (i = 0; i < count; i++) {
		folders[i].map = maps[i];
		folders[i].map.dest_vname =
			p_strdup(copy->params->dest_user->pool,
				 maps[i].dest_vname);
		folders[i].map.here_vname = NULL;
		if (strcmp(maps[i].dest_vname, maps[i].src_vname) != 0) {
			e_debug(copy->params->dest_user->event,
				"mailshift: folder %s -> %s (%s%s)",
				maps[i].src_vname, maps[i].dest_vname,
				mailshift_role_to_special_use(maps[i].role) == NULL ?
				"folder_map" :
				mailshift_role_to_special_use(maps[i].role),
				maps[i].role_guessed ? " by name" : "");
		}
	}
}

const char *
mailshift_copy_dest_vname(struct mailshift_copy *copy, const char *src_vname)
{
	const struct mailshift_source_folder *folder;

	bool replaced;

	array_foreach(&copy->folders, folder) {
		if (strcmp(folder->map.src_vname, src_vname) == 0)
			return folder->map.dest_vname;
	}
	return mailshift_copy_here_vname(copy, src_vname, &replaced);
}

/* The old folder name the copies in this folder carry in their GUIDs:
   the one it was first filled from, also after it followed a rename on
   the old server (mailshift-folder-list.h). */
const char *
mailshift_copy_guid_name(struct mailshift_copy *copy,
			 const struct mailshift_source_folder *folder)
{
	const char *origin = mailshift_folder_list_origin(
		copy->filled_folders, folder->map.dest_vname);

	return origin != NULL ? origin : folder->map.src_vname;
}

/* Follow folders renamed or deleted on the old server. */
int mailshift_copy_follow_moves(struct mailshift_copy *copy)
{
	ARRAY_TYPE(const_string) protected_vnames;
	struct mailshift_moves_source *sources;
	const struct mailshift_source_folder *folder;
	struct mailshift_moves_result result;
	unsigned int i = 0;
	const char *error;

	sources = t_new(struct mailshift_moves_source,
			array_count(&copy->folders) + 1);
	array_foreach(&copy->folders, folder) {
		sources[i].src_vname = folder->map.src_vname;
		sources[i].dest_vname = folder->map.dest_vname;
		if (folder->have_status && !folder->noselect)
			sources[i].uidvalidity = folder->status.uidvalidity;
		i++;
	}
	t_array_init(&protected_vnames, MAILSHIFT_ROLE_COUNT + 1);
	for (unsigned int r = 0; r < MAILSHIFT_ROLE_COUNT; r++) {
		if (copy->dest_roles[r] != NULL)
			array_push_back(&protected_vnames,
					&copy->dest_roles[r]);
	}
	array_append_zero(&protected_vnames);
	if (mailshift_folder_moves(copy->params->dest_user,
				   copy->filled_folders, sources, i, copy->sep,
				   array_front(&protected_vnames), &result,
				   &error) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		copy->error = error;
		return -1;
	}
	copy->progress.folders_renamed += result.renamed;
	copy->progress.folders_deleted += result.deleted;
	return 0;
}
