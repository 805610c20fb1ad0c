/* Copyright (c) mailshift authors */

/* The copy engine.  For each old folder, in order INBOX first:

     0. skip it if its STATUS shows the same UIDVALIDITY and HIGHESTMODSEQ
        the last pass finished with (nothing changed there);
     1. open it read-only through imapc (EXAMINE, then UID FETCH 1:* FLAGS
        into imapc's in-memory index);
     2. create the new folder with the old UIDVALIDITY if it does not exist,
        or adopt the old UIDVALIDITY if it exists but has never held mail;
     3. read the folder's mailshift state from the new folder's index, and
        if the last pass was cut short, find what it copied anyway
        (mailshift-folder-recover.h);
     4. bring old-side flag changes and expunges to untouched copies
        (mailshift-folder-delta.h);
     5. stream every old message above the state's last UID into the new
        folder, with its flags, keywords, INTERNALDATE, a GUID naming its
        origin (mailshift-copy-guid.h) and, when the folder is
        UID-preserving, its UID; commit every commit_interval messages
        together with the updated state;
     6. raise the new folder's UIDNEXT to the old one, so that UIDs of
        messages expunged on the old server are never reused, and record
        both sides' HIGHESTMODSEQ as the next pass's baseline.

   imapc's prefetch pipelines the FETCHes (mail_prefetch_count), and step 5
   sends them a quarter window at a time (mailshift_source_fetch_ahead()),
   so the old server serves the next messages while these are saved.
   Memory is bounded by the prefetch window, not by the mailbox, nor by
   the largest message: imapc 2.3.19 reads each FETCH BODY[] literal into
   memory (its temp-file spool for literals over 32 KB was never seen to
   trigger), so messages over a piece (1 MB) are fetched in pieces into
   temp files instead, by a queue that asks for them ahead of the copy
   while imapc prefetches the others (mailshift-source-body.h); the copy
   saves both in UID order. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "hash.h"
#include "ioloop.h"
#include "time-util.h"
#include "sleep.h"
#include "istream.h"
#include "mail-storage-private.h"
#include "mail-namespace.h"
#include "mail-search-build.h"
#include "mailbox-list-iter.h"
#include "mail-storage-settings.h"
#include "mailshift-folder-map.h"
#include "mailshift-folder-state.h"
#include "mailshift-folder-recover.h"
#include "mailshift-copy-guid.h"
#include "mailshift-folder-delta.h"
#include "mailshift-folder-list.h"
#include "mailshift-folder-moves.h"
#include "mailshift-folder-verify.h"
#include "mailshift-search.h"
#include "mailshift-source.h"
#include "mailshift-source-status.h"
#include "mailshift-source-list.h"
#include "mailshift-source-body.h"
#include "mail-duplicate.h"
#include "mailshift-delivered.h"
#include "mailshift-message-ids.h"
#include "mailshift-pop3-uidl.h"
#include "mailshift-copy.h"

#include <unistd.h>

struct mailshift_source_folder {
	struct mailshift_folder map;
	/* STATUS of the old folder when the pass began */
	struct mailbox_status status;
	bool have_status;
	bool noselect;
	/* the old server's \All folder (mailshift_source_all_mail) */
	bool all_mail;
};

struct mailshift_copy {
	const struct mailshift_copy_params *params;
	struct mailshift_progress progress;
	char sep;

	ARRAY(struct mailshift_source_folder) folders;
	ARRAY_TYPE(const_string) subscriptions;
	/* the new server's folder per role (mailshift_copy_dest_roles()) */
	const char *dest_roles[MAILSHIFT_ROLE_COUNT];
	/* folders an earlier pass was killed in: checked for duplicates at
	   the end of the pass (mailshift_folder_dedupe()) */
	ARRAY(const struct mailshift_source_folder *) suspects;
	/* new folders filled by mailshift (mailshift-folder-list.h) */
	struct mailshift_folder_list *filled_folders;
	/* a sweep's record of what reached the new mailbox during the
	   cutover (mailshift-delivered.h) */
	struct mail_duplicate_db *delivered_db;
	/* with an \All folder to copy last: the Message-IDs the other
	   folders' copies have (mailshift-message-ids.h) */
	struct mailshift_message_ids *message_ids;
	/* their states, read while the old server greets us
	   (mailshift_copy_read_dest_states()); an entry is used once */
	HASH_TABLE(const char *, struct mailshift_dest_state *) dest_states;

	struct timeval pass_start;
	uint64_t pass_bytes;

	/* errors live here: they are made inside the per-message data stack
	   frame and reported after it is gone */
	pool_t pool;
	enum mailshift_source_error error_class;
	const char *error;
	/* the old server failed (a new connection may help), as opposed to
	   the new server or the data */
	bool error_on_source;
	/* the pass's owner stopped it (mailshift_copy_params.progress) */
	bool aborted;
	/* the pass's first failure, which it reports */
	enum mailshift_source_error first_class;
	const char *first_error;
	bool first_on_source;
};

/* What mailshift_folder_unchanged() needs to know of a new folder */
struct mailshift_dest_state {
	/* it exists, and a pass left its state there */
	bool found;
	struct mailshift_folder_state state;
};

/* One folder being copied */
struct mailshift_folder_copy {
	struct mailshift_copy *copy;
	const struct mailshift_source_folder *folder;
	struct mailbox *src_box, *dest_box;
	struct mailbox_status src_status;
	struct mailshift_folder_state state;

	struct mailbox_transaction_context *dest_t;
	unsigned int uncommitted;
	uint64_t uncommitted_bytes;
	/* the UIDs asked for in this transaction, to verify they were given */
	uint32_t first_wanted_uid, last_wanted_uid;
	/* the new folder's UIDNEXT as far as our own commits tell */
	uint32_t dest_uidnext;
	/* old UIDs found already copied although the state did not say so */
	ARRAY_TYPE(seq_range) present_uids;
	/* while present_uids is not empty: where their search began, kept in
	   the state as a pending batch until the folder is done, so a pass
	   stopped before then searches again instead of copying them twice */
	uint32_t recovery_dest_uidnext;
	/* ... and the old UID that search started after: what the state
	   records as handled until then, although this pass's commits go
	   further.  A later search then finds again both the copies found
	   by content (which carry no GUID) and those this pass made; with
	   the state's own src_last_uid it would take the former for mail
	   delivered here and copy their originals twice. */
	uint32_t recovery_src_last_uid;
	/* GUIDs of copies from this old folder start with it */
	const char *guid_prefix;
	/* the Message-IDs (mailshift_delivered_key()) of the messages saved
	   in this transaction, for a sweep's or the \All folder's record,
	   written once it is committed */
	ARRAY_TYPE(const_string) saved_keys;
	/* non-zero while re-matching a folder whose UIDVALIDITY changed on
	   the old server: the new UIDVALIDITY, recorded when it is done */
	uint32_t rematch_uidvalidity;
	bool state_found;
};

#define MAILSHIFT_COMMIT_MAX_BYTES (64 * 1024 * 1024)

static void
mailshift_copy_fail_source(struct mailshift_copy *copy, struct mailbox *box,
			   const char *what)
{
	enum mail_error mail_error;
	const char *error = mailshift_source_explain_error(
		mailbox_get_last_internal_error(box, &mail_error));

	copy->error_on_source = TRUE;
	copy->error_class = mailshift_source_classify_error(error);
	if (mail_error == MAIL_ERROR_PERM &&
	    copy->error_class == MAILSHIFT_SOURCE_ERR_TEMP)
		copy->error_class = MAILSHIFT_SOURCE_ERR_AUTH;
	copy->error = p_strdup_printf(copy->pool, "old server: %s %s: %s",
				      what, mailbox_get_vname(box), error);
}

/* One old message's body could not be read (error says why). */
static void
mailshift_copy_fail_reading(struct mailshift_copy *copy, struct mail *mail,
			    const char *error)
{
	copy->error_on_source = TRUE;
	copy->error_class = mailshift_source_classify_error(error);
	copy->error = p_strdup_printf(copy->pool,
				      "old server: reading UID %u of %s: %s",
				      mail->uid, mailbox_get_vname(mail->box),
				      error);
}

static void
mailshift_copy_fail_dest(struct mailshift_copy *copy, struct mailbox *box,
			 const char *what)
{
	copy->error_on_source = FALSE;
	copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
	copy->error = p_strdup_printf(copy->pool, "new server: %s %s: %s",
				      what, mailbox_get_vname(box),
				      mailbox_get_last_internal_error(box, NULL));
}

static void mailshift_copy_fail_list(struct mailshift_copy *copy,
				     const char *what)
{
	struct mail_user *user = copy->params->source_user;
	enum mail_error mail_error;
	const char *error = mailshift_source_explain_error(
		mailbox_list_get_last_internal_error(user->namespaces->list,
						     &mail_error));

	copy->error_on_source = TRUE;
	copy->error_class = mailshift_source_classify_error(error);
	if (mail_error == MAIL_ERROR_PERM)
		copy->error_class = MAILSHIFT_SOURCE_ERR_AUTH;
	copy->error = p_strdup_printf(copy->pool,
				      "old server: listing %s failed: %s",
				      what, error);
}

/* --- the folder list ---------------------------------------------------- */

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
		copy->error_on_source = TRUE;
		copy->error_class = MAILSHIFT_SOURCE_ERR_CONFIG;
		copy->error = p_strdup_printf(copy->pool,
			"old server: its personal folders are under \"%s\" "
			"(its NAMESPACE answer), not under mailshift_source_"
			"prefix = %s: %s", server_prefix, set->source_prefix,
			*server_prefix == '\0' ?
			"remove mailshift_source_prefix" :
			t_strdup_printf("set mailshift_source_prefix = %s",
					server_prefix));
		return -1;
	}
	return 0;
}

static int mailshift_copy_list_source(struct mailshift_copy *copy)
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
static int mailshift_copy_all_mail(struct mailshift_copy *copy)
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
static void
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

static void mailshift_copy_map_folders(struct mailshift_copy *copy)
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

static const char *
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
static const char *
mailshift_copy_guid_name(struct mailshift_copy *copy,
			 const struct mailshift_source_folder *folder)
{
	const char *origin = mailshift_folder_list_origin(
		copy->filled_folders, folder->map.dest_vname);

	return origin != NULL ? origin : folder->map.src_vname;
}

/* Follow folders renamed or deleted on the old server. */
static int mailshift_copy_follow_moves(struct mailshift_copy *copy)
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

/* --- one folder ------------------------------------------------------- */

static struct mailbox *
mailshift_copy_dest_alloc(struct mailshift_copy *copy, const char *vname)
{
	struct mail_namespace *ns;
	struct mailbox *box;

	ns = mail_namespace_find(copy->params->dest_user->namespaces, vname);
	box = mailbox_alloc(ns->list, vname, MAILBOX_FLAG_IGNORE_ACLS);
	/* odd names from the old server must still arrive (as dsync does) */
	mailbox_skip_create_name_restrictions(box, TRUE);
	return box;
}

/* Open (creating if needed) the new folder and decide whether it can keep
   the old UIDs.  Returns 0, 1 if the user deleted the folder here (leave
   it alone), or -1. */
/* An old folder with a role (announced, not guessed from its name) that
   the new server gives no folder keeps its name, without the role: say
   once, when it is created, how the admin gives the role a home. */
static void
mailshift_copy_report_homeless_role(struct mailshift_copy *copy,
				    const struct mailshift_folder *map)
{
	const char *special_use = mailshift_role_to_special_use(map->role);

	if (map->role == MAILSHIFT_ROLE_NONE || map->role_guessed ||
	    copy->dest_roles[map->role] != NULL)
		return;
	e_warning(copy->params->dest_user->event,
		  "mailshift: the old server's %s folder '%s' is '%s' here, "
		  "without the role: this server has no %s folder (give it "
		  "one: namespace inbox { mailbox \"%s\" { special_use = %s "
		  "} })", special_use, map->src_vname, map->dest_vname,
		  special_use, map->dest_vname, special_use);
}

static int mailshift_folder_open_dest(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mailbox_status dest_status;
	struct mailbox_update update;
	enum mailbox_existence existence;
	enum mail_error mail_error;

	fc->dest_box = mailshift_copy_dest_alloc(copy,
						 fc->folder->map.dest_vname);
	i_zero(&update);
	update.uid_validity = fc->src_status.uidvalidity;
	/* Create only what is missing: on an existing folder
	   mailbox_create() with an update applies the UIDVALIDITY, which
	   resets the folder's index (and our state with it). */
	if (mailbox_exists(fc->dest_box, FALSE, &existence) < 0) {
		mailshift_copy_fail_dest(copy, fc->dest_box, "looking up");
		return -1;
	}
	if (existence == MAILBOX_EXISTENCE_NONE &&
	    mailshift_folder_list_contains(copy->filled_folders,
					   fc->folder->map.dest_vname)) {
		/* we filled it before and it is gone: the user deleted or
		   renamed it here, and it stays that way */
		return 1;
	}
	if (existence != MAILBOX_EXISTENCE_SELECT &&
	    mailbox_create(fc->dest_box, &update, FALSE) < 0) {
		(void)mailbox_get_last_error(fc->dest_box, &mail_error);
		if (mail_error == MAIL_ERROR_PARAMS ||
		    mail_error == MAIL_ERROR_NOTFOUND) {
			/* No retry makes the new server take the name.  A
			   name too long for a file name comes back as "not
			   found", as levels that Maildir++ joins into one
			   directory name can be. */
			mailshift_copy_fail_dest(copy, fc->dest_box,
						 "creating folder");
			copy->error_class = MAILSHIFT_SOURCE_ERR_CONFIG;
			copy->error = p_strdup_printf(copy->pool,
				"%s (the new server refuses the name%s: give "
				"the old folder '%s' another with "
				"mailshift_folder_map = \"OLD=NEW\")",
				copy->error, mail_error == MAIL_ERROR_NOTFOUND ?
				", too long for its storage" : "",
				fc->folder->map.src_vname);
			return -1;
		}
		if (mail_error != MAIL_ERROR_EXISTS) {
			mailshift_copy_fail_dest(copy, fc->dest_box,
						 "creating folder");
			return -1;
		}
	}
	if (existence == MAILBOX_EXISTENCE_NONE)
		mailshift_copy_report_homeless_role(copy, &fc->folder->map);
	/* MODSEQs tell a later pass which copies the user changed here */
	if (mailbox_enable(fc->dest_box, MAILBOX_FEATURE_CONDSTORE) < 0 ||
	    mailbox_sync(fc->dest_box, 0) < 0) {
		mailshift_copy_fail_dest(copy, fc->dest_box, "opening folder");
		return -1;
	}
	mailbox_get_open_status(fc->dest_box,
				STATUS_MESSAGES | STATUS_UIDNEXT |
				STATUS_UIDVALIDITY, &dest_status);
	fc->dest_uidnext = dest_status.uidnext;
	fc->state_found =
		mailshift_folder_state_get(fc->dest_box, &fc->state) > 0;
	if (fc->state_found &&
	    (fc->state.flags & MAILSHIFT_FOLDER_BATCH_PENDING) != 0) {
		/* A pass died while committing here.  sdbox may hold files of
		   that batch its index does not know (the next save would
		   collide with them), maildir files its uidlist does not:
		   have the storage check itself first, as
		   "doveadm force-resync" does.  A rebuilt index may have lost
		   our state; recovery then goes by the copies' GUIDs. */
		if (mailbox_sync(fc->dest_box,
				 MAILBOX_SYNC_FLAG_FORCE_RESYNC) < 0) {
			mailshift_copy_fail_dest(copy, fc->dest_box,
						 "checking");
			return -1;
		}
		mailbox_get_open_status(fc->dest_box, STATUS_UIDNEXT,
					&dest_status);
		fc->dest_uidnext = dest_status.uidnext;
		fc->state_found = mailshift_folder_state_get(fc->dest_box,
							     &fc->state) > 0;
	}
	if (fc->state_found)
		return 0;
	mailbox_get_open_status(fc->dest_box, STATUS_MESSAGES |
				STATUS_UIDNEXT | STATUS_UIDVALIDITY,
				&dest_status);

	/* Never synced.  The old UIDs can be kept if the folder is empty and
	   has never handed out a UID (e.g. autocreated, or created just now
	   with the old UIDVALIDITY).  If it has local mail, new UIDs. */
	i_zero(&fc->state);
	fc->state.src_uidvalidity = fc->src_status.uidvalidity;
	if (dest_status.messages == 0 && dest_status.uidnext <= 1) {
		if (dest_status.uidvalidity != fc->src_status.uidvalidity &&
		    mailbox_update(fc->dest_box, &update) < 0) {
			mailshift_copy_fail_dest(copy, fc->dest_box,
				"setting UIDVALIDITY of");
			return -1;
		}
		fc->state.flags |= MAILSHIFT_FOLDER_UIDS_PRESERVED;
	}
	return 0;
}

/* The state as the folder's index is to record it (see
   recovery_src_last_uid): fc->state, or a copy of it in buf */
static const struct mailshift_folder_state *
mailshift_folder_state_to_record(const struct mailshift_folder_copy *fc,
				 struct mailshift_folder_state *buf)
{
	if (fc->recovery_dest_uidnext == 0)
		return &fc->state;
	*buf = fc->state;
	buf->src_last_uid = fc->recovery_src_last_uid;
	return buf;
}

static int mailshift_folder_begin_batch(struct mailshift_folder_copy *fc)
{
	struct mailshift_folder_state recorded;

	/* Mark the batch as pending first: if the pass dies while maildir
	   is committing it, the next pass knows where to look
	   (mailshift-folder-recover.h). */
	fc->state.flags |= MAILSHIFT_FOLDER_BATCH_PENDING;
	fc->state.pending_dest_uidnext = fc->recovery_dest_uidnext != 0 ?
		fc->recovery_dest_uidnext : fc->dest_uidnext;
	if (mailshift_folder_state_write(fc->dest_box,
			mailshift_folder_state_to_record(fc, &recorded)) < 0) {
		mailshift_copy_fail_dest(fc->copy, fc->dest_box,
					 "writing the state of");
		return -1;
	}
	if (fc->recovery_dest_uidnext == 0) {
		/* the batch's commit clears it */
		fc->state.flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_BATCH_PENDING);
		fc->state.pending_dest_uidnext = 0;
	}

	/* EXTERNAL|ASSIGN_UIDS: a save from outside, like dsync's;
	   NO_NOTIFY keeps push/replication plugins out of a migration */
	fc->dest_t = mailbox_transaction_begin(fc->dest_box,
		MAILBOX_TRANSACTION_FLAG_EXTERNAL |
		MAILBOX_TRANSACTION_FLAG_ASSIGN_UIDS |
		MAILBOX_TRANSACTION_FLAG_NO_NOTIFY, "mailshift copy");
	fc->uncommitted = 0;
	fc->uncommitted_bytes = 0;
	fc->first_wanted_uid = fc->last_wanted_uid = 0;
	return 0;
}

static void
mailshift_folder_check_uids(struct mailshift_folder_copy *fc,
			    const struct mail_transaction_commit_changes *changes)
{
	struct mailshift_folder_state recorded;
	const struct seq_range *range;
	unsigned int i, count;

	/* not always in order: a UID asked for that was taken (maildir)
	   is given after the batch's highest */
	range = array_get(&changes->saved_uids, &count);
	for (i = 0; i < count; i++) {
		if (range[i].seq2 >= fc->dest_uidnext)
			fc->dest_uidnext = range[i].seq2 + 1;
	}

	if ((fc->state.flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) == 0 ||
	    fc->first_wanted_uid == 0)
		return;
	if (count > 0 && range[0].seq1 == fc->first_wanted_uid &&
	    range[count - 1].seq2 == fc->last_wanted_uid)
		return;
	/* Something was delivered into the folder between our batches and
	   took the UID we asked for, so Dovecot gave new ones. */
	e_warning(fc->copy->params->dest_user->event,
		  "mailshift: folder %s: the new server assigned other UIDs "
		  "than the old server's from UID %u on (mail was delivered "
		  "into it during the migration); IMAP clients will "
		  "re-download this folder", mailbox_get_vname(fc->dest_box),
		  fc->first_wanted_uid);
	fc->state.flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_UIDS_PRESERVED);
	if (mailshift_folder_state_write(fc->dest_box,
			mailshift_folder_state_to_record(fc, &recorded)) < 0) {
		/* the next batch's commit records it */
		e_warning(fc->copy->params->dest_user->event,
			  "mailshift: folder %s: %s",
			  mailbox_get_vname(fc->dest_box),
			  mailbox_get_last_internal_error(fc->dest_box, NULL));
	}
}

/* Record what this commit brought into the new mailbox: for a sweep, so
   that a copy of the same message arriving by delivery is not kept too;
   for the \All folder, what it need not copy. */
static void mailshift_folder_record_saved(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mail_user *user = copy->params->dest_user;
	struct mail_duplicate_transaction *trans;
	const char *key, *error;

	if (!array_is_created(&fc->saved_keys) ||
	    array_count(&fc->saved_keys) == 0)
		return;
	if (copy->delivered_db != NULL) {
		trans = mail_duplicate_transaction_begin(copy->delivered_db);
		array_foreach_elem(&fc->saved_keys, key) {
			if (mailshift_delivered_check(trans, user, key) != 0)
				continue;
			mailshift_delivered_mark(trans, user, key,
				copy->params->set->cutover_sweep_secs);
		}
		mail_duplicate_transaction_commit(&trans);
	}
	if (copy->message_ids != NULL) {
		array_foreach_elem(&fc->saved_keys, key)
			mailshift_message_ids_add(copy->message_ids, key);
		if (mailshift_message_ids_flush(copy->message_ids,
						&error) < 0) {
			e_warning(user->event, "mailshift: %s (the \\All "
				  "folder may get copies of these messages)",
				  error);
		}
	}
	array_clear(&fc->saved_keys);
}

/* Is this message here already by another way?  A sweep brings mail the
   old host delivered into the old mailbox late, and Postfix may have
   delivered the same message here as well (a retry); the \All folder
   holds messages other folders brought.  Returns TRUE when so: no copy
   is made. */
static bool mailshift_folder_here_already(struct mailshift_folder_copy *fc,
					  struct mail *mail, const char *key)
{
	struct mailshift_copy *copy = fc->copy;
	struct mail_user *user = copy->params->dest_user;
	struct mail_duplicate_transaction *trans;
	int seen;

	if (fc->folder->all_mail && copy->message_ids != NULL &&
	    mailshift_message_ids_contains(copy->message_ids, key))
		return TRUE;
	if (copy->delivered_db == NULL)
		return FALSE;
	trans = mail_duplicate_transaction_begin(copy->delivered_db);
	seen = mailshift_delivered_check(trans, user, key);
	mail_duplicate_transaction_rollback(&trans);
	if (seen > 0) {
		e_info(user->event, "mailshift: sweep: folder=%s uid=%u was "
		       "delivered here already (Message-ID <%s>): not copied "
		       "again", mailbox_get_vname(fc->src_box), mail->uid,
		       key);
		return TRUE;
	}
	return FALSE;
}

static int mailshift_folder_commit(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mail_transaction_commit_changes changes;
	struct mailshift_folder_state recorded;

	mailshift_folder_state_set(fc->dest_box, fc->dest_t->itrans,
				   mailshift_folder_state_to_record(fc, &recorded));
	if (mailbox_transaction_commit_get_changes(&fc->dest_t, &changes) < 0) {
		mailshift_copy_fail_dest(copy, fc->dest_box, "committing to");
		return -1;
	}
	mailshift_folder_check_uids(fc, &changes);
	pool_unref(&changes.pool);
	mailshift_folder_record_saved(fc);

	if (copy->params->progress != NULL &&
	    copy->params->progress(&copy->progress,
				   copy->params->context) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		copy->error = "pass aborted by its owner";
		copy->aborted = TRUE;
		return -1;
	}
	return 0;
}

/* Hold the pass to mailshift_source_max_bytes_per_sec, measured over the
   whole pass so short bursts even out. */
static void mailshift_copy_throttle(struct mailshift_copy *copy)
{
	unsigned long long limit = copy->params->set->source_max_bytes_per_sec;
	long long elapsed_usecs, wanted_usecs;

	if (limit == 0)
		return;
	io_loop_time_refresh();
	elapsed_usecs = timeval_diff_usecs(&ioloop_timeval, &copy->pass_start);
	wanted_usecs = (long long)(copy->pass_bytes * 1000000ULL / limit);
	if (wanted_usecs > elapsed_usecs) {
		long long sleep_usecs = wanted_usecs - elapsed_usecs;
		if (sleep_usecs > 5000000)
			sleep_usecs = 5000000;
		i_sleep_usecs(sleep_usecs);
	}
}

/* Save mail (its body from body, else from imapc) into the new folder.
   Returns 1 copied, 0 refused by the new server (logged, the pass goes
   on) or gone from the old one, -1 failure that stops the folder. */
static int
mailshift_folder_save_mail(struct mailshift_folder_copy *fc, struct mail *mail,
			   struct istream *body)
{
	struct mailshift_copy *copy = fc->copy;
	struct mail_save_context *save;
	struct mail_keywords *keywords = NULL;
	const char *const *keyword_names;
	const char *key = NULL;
	struct istream *input = body;
	enum mail_error mail_error;
	const char *error;
	time_t received_date;
	const char *pop3_uidl = NULL;
	ssize_t ret;

	/* first: reading the header moves the stream mail_get_stream()
	   would return */
	if (copy->delivered_db != NULL || copy->message_ids != NULL) {
		key = mailshift_delivered_key(mail);
		if (key != NULL && mailshift_folder_here_already(fc, mail, key))
			return 0;
	}
	/* POP3 sees INBOX only */
	if (strcasecmp(fc->folder->map.src_vname, "INBOX") == 0 &&
	    mailshift_pop3_uidl_get(copy->params->set, mail,
				    fc->src_status.uidvalidity,
				    &pop3_uidl) < 0) {
		mailshift_copy_fail_source(copy, fc->src_box,
					   "POP3 UIDLs for");
		return -1;
	}
	if (mail_get_received_date(mail, &received_date) < 0 ||
	    (input == NULL && mail_get_stream(mail, NULL, NULL, &input) < 0)) {
		(void)mailbox_get_last_error(fc->src_box, &mail_error);
		if (mail_error == MAIL_ERROR_EXPUNGED)
			return 0;
		mailshift_copy_fail_source(copy, fc->src_box, "reading");
		return -1;
	}

	save = mailbox_save_alloc(fc->dest_t);
	keyword_names = mail_get_keywords(mail);
	if (keyword_names[0] != NULL) {
		keywords = mailbox_keywords_create_valid(fc->dest_box,
							 keyword_names);
	}
	mailbox_save_set_flags(save, mail_get_flags(mail) &
			       ENUM_NEGATE(MAIL_RECENT), keywords);
	if (keywords != NULL)
		mailbox_keywords_unref(&keywords);
	mailbox_save_set_received_date(save, received_date, 0);
	/* the GUID says where the copy came from, in every storage and
	   across index rebuilds (mailshift-folder-recover.h) */
	mailbox_save_set_guid(save, mailshift_copy_guid(fc->guid_prefix,
							mail->uid));
	if ((fc->state.flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) != 0)
		mailbox_save_set_uid(save, mail->uid);
	if (pop3_uidl != NULL)
		mailbox_save_set_pop3_uidl(save, pop3_uidl);

	if (mailbox_save_begin(&save, input) < 0)
		goto dest_failed;
	do {
		if (mailbox_save_continue(save) < 0)
			break;
		ret = i_stream_read(input);
		i_assert(ret != 0);
	} while (ret != -1);
	if (input->stream_errno != 0) {
		mailbox_save_cancel(&save);
		mailshift_copy_fail_reading(copy, mail,
					    i_stream_get_error(input));
		return -1;
	}
	if (save != NULL && mailbox_save_finish(&save) == 0) {
		/* only UIDs really saved are expected back from the commit:
		   a save that failed (full disk) says nothing about the rest */
		if ((fc->state.flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) != 0) {
			if (fc->first_wanted_uid == 0)
				fc->first_wanted_uid = mail->uid;
			fc->last_wanted_uid = mail->uid;
		}
		copy->pass_bytes += input->v_offset;
		copy->progress.bytes_done += input->v_offset;
		fc->uncommitted_bytes += input->v_offset;
		if (key != NULL) {
			if (!array_is_created(&fc->saved_keys))
				p_array_init(&fc->saved_keys, copy->pool, 8);
			key = p_strdup(copy->pool, key);
			array_push_back(&fc->saved_keys, &key);
		}
		return 1;
	}
	if (save != NULL)
		mailbox_save_cancel(&save);

dest_failed:
	error = mailbox_get_last_internal_error(fc->dest_box, &mail_error);
	switch (mail_error) {
	case MAIL_ERROR_NOQUOTA:
		/* Over quota: this message is refused, smaller ones may
		   still fit.  But a full disk (errno ENOSPC/EDQUOT, reported
		   with the generic text) refuses everything: stop, lose
		   nothing, and let the next pass continue from here. */
		if (strcmp(error, MAIL_ERRSTR_NO_QUOTA) == 0)
			break;
		/* fall through */
	case MAIL_ERROR_LIMIT:
	case MAIL_ERROR_PARAMS:
	case MAIL_ERROR_CONVERSION:
		e_error(copy->params->dest_user->event,
			"mailshift: message refused by the new server: "
			"folder=%s uid=%u reason=%s (it stays on the old "
			"server; later passes do not retry it)",
			mailbox_get_vname(fc->src_box), mail->uid, error);
		copy->progress.msgs_refused++;
		return 0;
	default:
		break;
	}
	mailshift_copy_fail_dest(copy, fc->dest_box, "saving to");
	return -1;
}

/* After one old message was copied (ret 1), refused or gone (0), or
   failed (-1): count it, and commit every commit_interval messages.
   Returns 0, or -1 when the folder stops. */
static int mailshift_folder_copied(struct mailshift_folder_copy *fc,
				   uint32_t uid, int ret)
{
	struct mailshift_copy *copy = fc->copy;

	if (ret < 0)
		return -1;
	if (ret > 0)
		copy->progress.msgs_copied++;
	copy->progress.msgs_done++;
	fc->state.src_last_uid = uid;
	mailshift_copy_throttle(copy);

	if (++fc->uncommitted >= copy->params->set->commit_interval ||
	    fc->uncommitted_bytes >= MAILSHIFT_COMMIT_MAX_BYTES) {
		if (mailshift_folder_commit(fc) < 0 ||
		    mailshift_folder_begin_batch(fc) < 0)
			return -1;
	}
	return 0;
}

/* Copy the large messages the queue holds below below_uid, in UID
   order, asking for those up to horizon_uid ahead.  Returns 0 or -1. */
static int mailshift_folder_copy_large(struct mailshift_folder_copy *fc,
				       struct mailshift_body_queue *queue,
				       uint32_t below_uid, uint32_t horizon_uid)
{
	struct mail *mail;
	struct istream *input;
	const char *error;
	uint32_t uid;
	int ret = 0;

	while (ret == 0 &&
	       (uid = mailshift_body_queue_next_uid(queue)) != 0 &&
	       uid < below_uid) {
		mailshift_body_queue_advance(queue, horizon_uid);
		T_BEGIN {
			ret = mailshift_body_queue_take(queue, &mail, &input,
							&error);
			if (ret < 0)
				mailshift_copy_fail_reading(fc->copy, mail,
							    error);
			else if (ret > 0) {
				ret = mailshift_folder_save_mail(fc, mail,
								 input);
				i_stream_unref(&input);
			}
		} T_END;
		ret = mailshift_folder_copied(fc, uid, ret);
	}
	return ret;
}

/* The UID of the old message mail_prefetch_count messages after seq (the
   last one if fewer follow): about as far as imapc prefetches. */
static uint32_t
mailshift_folder_horizon(struct mailshift_folder_copy *fc, uint32_t seq)
{
	const struct mail_index_header *hdr =
		mail_index_get_header(fc->src_box->view);
	uint32_t uid;

	seq = I_MIN(seq + fc->copy->params->set->source_prefetch,
		    hdr->messages_count);
	if (seq == 0)
		return 0;
	mail_index_lookup_uid(fc->src_box->view, seq, &uid);
	return uid;
}

/* Copy the old messages from UID first on that earlier passes did not
   (fc->present_uids, and those below first): the ordinary ones as imapc
   prefetches them, the large ones from a queue that fetches them ahead,
   all in UID order so that the old UIDs can be kept.  Returns 0 or -1. */
static int
mailshift_folder_copy_from(struct mailshift_folder_copy *fc,
			   struct mailbox_transaction_context *src_t,
			   uint32_t first)
{
	struct mailshift_copy *copy = fc->copy;
	struct mailshift_body_queue *queue;
	struct mailbox_header_lookup_ctx *headers = NULL;
	struct mail_search_args *search_args;
	struct mail_search_context *search = NULL;
	ARRAY_TYPE(seq_range) large;
	struct mail *mail;
	unsigned int fetch_ahead;
	uint32_t horizon;
	const enum mail_fetch_field fields =
		MAIL_FETCH_FLAGS | MAIL_FETCH_RECEIVED_DATE;
	static const char *const key_headers[] = { "Message-ID", NULL };
	int ret = 0;

	if (copy->delivered_db != NULL || copy->message_ids != NULL)
		headers = mailbox_header_lookup_init(fc->src_box, key_headers);
	t_array_init(&large, 8);
	ret = mailshift_body_queue_init(src_t, first, &fc->present_uids,
					fields, headers, &large, &queue);
	if (headers != NULL)
		mailbox_header_lookup_unref(&headers);
	if (ret < 0) {
		mailshift_copy_fail_source(copy, fc->src_box, "fetching from");
		mailshift_body_queue_deinit(&queue);
		return -1;
	}

	search_args = mailshift_search_uids_from(first);
	seq_range_array_remove_seq_range(&search_args->args->value.seqset,
					 &fc->present_uids);
	seq_range_array_remove_seq_range(&search_args->args->value.seqset,
					 &large);
	if (array_count(&search_args->args->value.seqset) > 0) {
		/* asking for the body up front is what makes imapc
		   prefetch */
		search = mailbox_search_init(src_t, search_args, NULL,
					     fields | MAIL_FETCH_STREAM_BODY,
					     NULL);
	}
	mail_search_args_unref(&search_args);
	/* a FETCH for every quarter window: the old server always has at
	   least 3/4 of mail_prefetch_count messages to serve */
	fetch_ahead = I_MAX(copy->params->set->source_prefetch / 4, 1);

	while (search != NULL && mailbox_search_next(search, &mail)) {
		/* keep the old server busy while this message is saved */
		mailshift_source_fetch_ahead(fc->src_box, fetch_ahead);
		horizon = mailshift_folder_horizon(fc, mail->seq);
		mailshift_body_queue_advance(queue, horizon);
		if (mailshift_folder_copy_large(fc, queue, mail->uid,
						horizon) < 0) {
			ret = -1;
			break;
		}
		T_BEGIN {
			ret = mailshift_folder_save_mail(fc, mail, NULL);
		} T_END;
		if (mailshift_folder_copied(fc, mail->uid, ret) < 0) {
			ret = -1;
			break;
		}
	}
	if (search != NULL && mailbox_search_deinit(&search) < 0 && ret >= 0) {
		mailshift_copy_fail_source(copy, fc->src_box, "fetching from");
		ret = -1;
	}
	if (ret >= 0) {
		ret = mailshift_folder_copy_large(fc, queue, (uint32_t)-1,
						  (uint32_t)-1);
	}
	mailshift_body_queue_deinit(&queue);
	return ret < 0 ? -1 : 0;
}

static int mailshift_folder_copy_mails(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mailbox_transaction_context *src_t;
	uint32_t seq1, seq2;
	int ret = 0;

	/* what earlier passes already handled counts as done */
	seq1 = seq2 = 0;
	if (fc->state.src_last_uid > 0) {
		mailbox_get_seq_range(fc->src_box, 1, fc->state.src_last_uid,
				      &seq1, &seq2);
	}
	if (seq1 != 0)
		copy->progress.msgs_done += seq2 - seq1 + 1;
	if (fc->state.src_last_uid + 1 >= fc->src_status.uidnext) {
		i_assert(array_count(&fc->present_uids) == 0);
		return 0;
	}
	copy->progress.msgs_done += seq_range_count(&fc->present_uids);

	src_t = mailbox_transaction_begin(fc->src_box, 0, "mailshift read");
	if (strcasecmp(fc->folder->map.src_vname, "INBOX") == 0 &&
	    mailshift_pop3_uidl_prepare(copy->params->set, src_t) < 0) {
		mailshift_copy_fail_source(copy, fc->src_box,
					   "POP3 UIDLs for");
		ret = -1;
	}
	if (ret == 0 && mailshift_folder_begin_batch(fc) < 0)
		ret = -1;
	if (ret == 0)
		ret = mailshift_folder_copy_from(fc, src_t,
						 fc->state.src_last_uid + 1);
	(void)mailbox_transaction_commit(&src_t);

	if (fc->dest_t != NULL) {
		/* Commit what was copied even when the folder failed part way:
		   it is exact, and the next pass continues after it. */
		if (mailshift_folder_commit(fc) < 0)
			ret = -1;
	}
	return ret < 0 ? -1 : 0;
}

static int mailshift_folder_finish(struct mailshift_folder_copy *fc)
{
	struct mailbox_status status;
	struct mailbox_update update;

	if (fc->recovery_dest_uidnext != 0) {
		/* every old message is here now, the recovered ones too */
		const struct seq_range *range =
			array_back(&fc->present_uids);

		if (range->seq2 > fc->state.src_last_uid)
			fc->state.src_last_uid = range->seq2;
		fc->state.flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_BATCH_PENDING);
		fc->state.pending_dest_uidnext = 0;
		fc->recovery_dest_uidnext = 0;
	}
	if ((fc->state.flags & MAILSHIFT_FOLDER_UIDS_PRESERVED) != 0) {
		/* UIDs expunged on the old server must never be reused
		   here: a client's cache may still hold them. */
		i_zero(&update);
		update.min_next_uid = fc->src_status.uidnext;
		if (mailbox_update(fc->dest_box, &update) < 0) {
			mailshift_copy_fail_dest(fc->copy, fc->dest_box,
						 "raising UIDNEXT of");
			return -1;
		}
	}
	/* The baseline for the next pass: what both sides look like now,
	   after this pass's own changes. */
	if (mailbox_sync(fc->dest_box, 0) < 0) {
		mailshift_copy_fail_dest(fc->copy, fc->dest_box, "syncing");
		return -1;
	}
	mailbox_get_open_status(fc->dest_box, STATUS_HIGHESTMODSEQ, &status);
	if (fc->rematch_uidvalidity != 0) {
		fc->state.src_uidvalidity = fc->rematch_uidvalidity;
		fc->rematch_uidvalidity = 0;
	}
	fc->state.src_highest_modseq = fc->src_status.highest_modseq;
	fc->state.dest_highest_modseq = status.highest_modseq;
	if (mailshift_folder_state_write(fc->dest_box, &fc->state) < 0) {
		mailshift_copy_fail_dest(fc->copy, fc->dest_box,
					 "writing the state of");
		return -1;
	}
	mailshift_folder_list_add(fc->copy->filled_folders,
				  fc->folder->map.dest_vname,
				  mailshift_copy_guid_name(fc->copy, fc->folder));
	return 0;
}

static void
mailshift_dest_state_read(struct mailshift_copy *copy, const char *vname,
			  struct mailshift_dest_state *dest_r)
{
	struct mailbox *dest_box;
	enum mailbox_existence existence;

	i_zero(dest_r);
	dest_box = mailshift_copy_dest_alloc(copy, vname);
	/* Opened, not synced: the state lives in the index, which opening
	   brings up to its last commit; syncing would also scan the
	   storage (a maildir's uidlist and directories) for nothing. */
	dest_r->found = mailbox_exists(dest_box, FALSE, &existence) == 0 &&
		existence == MAILBOX_EXISTENCE_SELECT &&
		mailbox_open(dest_box) == 0 &&
		mailshift_folder_state_get(dest_box, &dest_r->state) > 0;
	mailbox_free(&dest_box);
}

/* Read the states of the folders earlier passes filled, while the old
   server is still greeting us (mailshift_source_connect_ahead()): in a
   pass that finds nothing changed, reading them one by one after the
   listing was most of the time spent here.  Only this pass writes them
   (it holds the user's lock), so they stay valid until it does.  An old
   server that gave the last pass no HIGHESTMODSEQ (no CONDSTORE) has
   every folder opened anyway: then the rest is not read ahead for
   nothing. */
static void mailshift_copy_read_dest_states(struct mailshift_copy *copy)
{
	const char *const *names, *name;
	struct mailshift_dest_state *dest;
	unsigned int i, count;

	names = mailshift_folder_list_names(copy->filled_folders, &count);
	for (i = 0; i < count; i++) {
		name = p_strdup(copy->pool, names[i]);
		dest = p_new(copy->pool, struct mailshift_dest_state, 1);
		mailshift_dest_state_read(copy, name, dest);
		hash_table_update(copy->dest_states, name, dest);
		if (dest->found && dest->state.src_highest_modseq == 0)
			break;
	}
}

/* With CONDSTORE every change to a folder raises its HIGHESTMODSEQ
   (RFC 7162), so an old folder whose UIDVALIDITY and HIGHESTMODSEQ are
   those the last pass finished with has nothing to bring: it is not even
   SELECTed.  Returns TRUE if the folder can be skipped. */
static bool
mailshift_folder_unchanged(struct mailshift_copy *copy,
			   const struct mailshift_source_folder *folder)
{
	struct mailshift_dest_state *dest, read_now;
	const char *key;

	if (!folder->have_status || folder->status.highest_modseq == 0)
		return FALSE;
	/* read ahead, else now; once only, as the folder may be copied to
	   after this */
	if (hash_table_lookup_full(copy->dest_states, folder->map.dest_vname,
				   &key, &dest))
		hash_table_remove(copy->dest_states, key);
	else {
		mailshift_dest_state_read(copy, folder->map.dest_vname,
					  &read_now);
		dest = &read_now;
	}
	return dest->found &&
		(dest->state.flags & MAILSHIFT_FOLDER_BATCH_PENDING) == 0 &&
		dest->state.src_uidvalidity == folder->status.uidvalidity &&
		dest->state.src_highest_modseq == folder->status.highest_modseq;
}

/* The usual case: find what a stopped pass copied anyway, then bring
   the old server's flag changes and expunges. */
static int mailshift_folder_recover_and_delta(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mailshift_delta_counts counts;
	uint32_t scan_from;

	scan_from = fc->state_found ? fc->state.pending_dest_uidnext : 1;
	if (fc->state_found &&
	    (fc->state.flags & MAILSHIFT_FOLDER_BATCH_PENDING) != 0)
		array_push_back(&copy->suspects, &fc->folder);
	if (mailshift_folder_recover(fc->src_box, fc->dest_box,
				     fc->guid_prefix, &fc->state,
				     fc->state_found, &fc->present_uids,
				     copy->params->dest_user->event,
				     &copy->error) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		return -1;
	}
	if (array_count(&fc->present_uids) > 0) {
		fc->recovery_dest_uidnext = I_MAX(scan_from, 1);
		fc->recovery_src_last_uid = fc->state.src_last_uid;
	}
	if (!fc->state_found || copy->params->add_only)
		return 0;

	i_zero(&counts);
	if (mailshift_folder_delta(fc->src_box, fc->dest_box, fc->guid_prefix,
				   &fc->state, &counts, &copy->error) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		return -1;
	}
	copy->progress.flags_changed += counts.flags_changed;
	copy->progress.msgs_expunged += counts.expunged;
	copy->progress.kept_new += counts.kept_new;
	return 0;
}

/* The old folder has a new UIDVALIDITY: its UIDs no longer name the
   messages already copied, so they are found again by content. */
static int
mailshift_folder_rematch_uidvalidity(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	const char *old_prefix;
	unsigned int matched, expunged;

	old_prefix = mailshift_copy_guid_prefix(
		mailshift_copy_guid_name(fc->copy, fc->folder),
		fc->state.src_uidvalidity);
	if (mailshift_folder_rematch(fc->src_box, fc->dest_box, old_prefix,
				     fc->guid_prefix,
				     fc->state.dest_highest_modseq,
				     &fc->present_uids, &matched, &expunged,
				     &copy->error) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		return -1;
	}
	e_warning(copy->params->dest_user->event,
		  "mailshift: folder %s: the old server changed its "
		  "UIDVALIDITY from %u to %u (re-created or renumbered); "
		  "%u messages found here by content, %u that left it "
		  "expunged here, the rest is copied; UIDs here stay as "
		  "they are", fc->folder->map.src_vname,
		  fc->state.src_uidvalidity, fc->src_status.uidvalidity,
		  matched, expunged);
	copy->progress.msgs_expunged += expunged;

	/* Old UIDs mean nothing now.  The state keeps the earlier
	   UIDVALIDITY until the folder is done, so that a pass stopped half
	   way matches again instead of trusting half a job. */
	fc->rematch_uidvalidity = fc->src_status.uidvalidity;
	fc->state.src_last_uid = 0;
	fc->state.flags &= ENUM_NEGATE(MAILSHIFT_FOLDER_UIDS_PRESERVED |
				       MAILSHIFT_FOLDER_BATCH_PENDING);
	fc->state.pending_dest_uidnext = 0;
	if (array_count(&fc->present_uids) > 0) {
		fc->recovery_dest_uidnext = 1;
		fc->recovery_src_last_uid = 0;
	}
	return 0;
}

/* Compare the folder with its copies now that it is done.  Old mail no
   pass has taken is counted (the caller does not migrate the user), not
   an error of the pass. */
static int mailshift_copy_verify_folder(struct mailshift_folder_copy *fc)
{
	struct mailshift_copy *copy = fc->copy;
	struct mailshift_verify_counts counts;
	const char *error;

	if (mailshift_folder_verify(fc->src_box, fc->dest_box, fc->guid_prefix,
				    &fc->state, &counts, &error) < 0) {
		copy->error = p_strdup(copy->pool, error);
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		return -1;
	}
	copy->progress.folders_verified++;
	copy->progress.msgs_verified += counts.old_messages;
	copy->progress.msgs_missing += counts.missing;
	copy->progress.msgs_gone_here += counts.gone_here;
	if (counts.missing > 0) {
		e_info(copy->params->dest_user->event,
		       "mailshift: verify folder %s: %u of its %u old messages "
		       "are not here yet (from UID %u): they arrived on the "
		       "old server during the pass", fc->folder->map.src_vname,
		       counts.missing, counts.old_messages,
		       counts.first_missing_uid);
	} else {
		e_debug(copy->params->dest_user->event,
			"mailshift: verify folder %s: %u old messages, %u here,"
			" %u deleted here since they were copied",
			fc->folder->map.src_vname, counts.old_messages,
			counts.here, counts.gone_here);
	}
	return 0;
}

static int
mailshift_copy_folder(struct mailshift_copy *copy,
		      const struct mailshift_source_folder *folder)
{
	struct mailshift_folder_copy fc;
	struct mail_namespace *ns;
	int ret = -1;

	if (!copy->params->verify && mailshift_folder_unchanged(copy, folder)) {
		copy->progress.msgs_done += folder->status.messages;
		copy->progress.folders_unchanged++;
		return 0;
	}

	i_zero(&fc);
	fc.copy = copy;
	fc.folder = folder;
	t_array_init(&fc.present_uids, 8);

	ns = mail_namespace_find(copy->params->source_user->namespaces,
				 folder->map.src_vname);
	fc.src_box = mailbox_alloc(ns->list, folder->map.src_vname,
				   MAILBOX_FLAG_READONLY);
	if (mailbox_sync(fc.src_box, 0) < 0) {
		enum mail_error mail_error;
		(void)mailbox_get_last_error(fc.src_box, &mail_error);
		if (mail_error == MAIL_ERROR_NOTFOUND) {
			/* deleted on the old server since LIST */
			mailbox_free(&fc.src_box);
			return 0;
		}
		mailshift_copy_fail_source(copy, fc.src_box, "opening");
		mailbox_free(&fc.src_box);
		return -1;
	}
	mailbox_get_open_status(fc.src_box, STATUS_UIDVALIDITY |
				STATUS_UIDNEXT | STATUS_MESSAGES |
				STATUS_HIGHESTMODSEQ, &fc.src_status);

	switch (mailshift_folder_open_dest(&fc)) {
	case -1:
		goto out;
	case 1:
		e_info(copy->params->dest_user->event,
		       "mailshift: folder %s was deleted or renamed on the new "
		       "server after it was copied; not bringing it back "
		       "(remove %s from ~/.mailshift-folders to copy it again)",
		       folder->map.dest_vname, folder->map.dest_vname);
		copy->progress.folders_deleted_here++;
		ret = 0;
		goto out;
	}
	fc.guid_prefix = mailshift_copy_guid_prefix(
		mailshift_copy_guid_name(copy, folder),
		fc.src_status.uidvalidity);
	if (fc.state.src_uidvalidity != fc.src_status.uidvalidity &&
	    fc.state_found && copy->params->add_only) {
		/* re-matching may expunge copies here: not after cutover */
		e_warning(copy->params->dest_user->event,
			  "mailshift: folder %s: the old server changed its "
			  "UIDVALIDITY after cutover; not sweeping it (copy "
			  "what is new there by hand, e.g. doveadm import)",
			  folder->map.src_vname);
		ret = 0;
		goto out;
	}
	if (fc.state.src_uidvalidity != fc.src_status.uidvalidity) {
		if (mailshift_folder_rematch_uidvalidity(&fc) < 0)
			goto out;
	} else {
		if (mailshift_folder_recover_and_delta(&fc) < 0)
			goto out;
	}
	if (mailshift_folder_copy_mails(&fc) < 0)
		goto out;
	ret = mailshift_folder_finish(&fc);
	if (ret == 0 && copy->params->verify)
		ret = mailshift_copy_verify_folder(&fc);
out:
	if (fc.dest_t != NULL)
		mailbox_transaction_rollback(&fc.dest_t);
	if (fc.dest_box != NULL)
		mailbox_free(&fc.dest_box);
	mailbox_free(&fc.src_box);
	return ret;
}

static int mailshift_copy_create_noselect(struct mailshift_copy *copy,
					  const char *dest_vname)
{
	struct mailbox *box = mailshift_copy_dest_alloc(copy, dest_vname);
	enum mail_error mail_error;
	int ret = 0;

	/* a \Noselect parent holds only children: create it as a directory
	   where the storage has them, so the tree looks the same */
	if (mailbox_create(box, NULL, TRUE) < 0) {
		(void)mailbox_get_last_error(box, &mail_error);
		if (mail_error != MAIL_ERROR_EXISTS &&
		    mail_error != MAIL_ERROR_NOTPOSSIBLE) {
			mailshift_copy_fail_dest(copy, box, "creating folder");
			ret = -1;
		}
	}
	mailbox_free(&box);
	return ret;
}

static int mailshift_copy_subscriptions(struct mailshift_copy *copy)
{
	const char *const *vname;
	struct mailbox *box;
	int ret = 0;

	array_foreach(&copy->subscriptions, vname) {
		const char *dest_vname = mailshift_copy_dest_vname(copy, *vname);

		/* works also for folders that do not exist, which some users
		   keep subscribed on purpose */
		box = mailshift_copy_dest_alloc(copy, dest_vname);
		if (mailbox_set_subscribed(box, TRUE) < 0) {
			mailshift_copy_fail_dest(copy, box, "subscribing to");
			ret = -1;
		}
		mailbox_free(&box);
	}
	return ret;
}

static unsigned int
mailshift_copy_count_messages(struct mailshift_copy *copy)
{
	struct mailshift_source_folder *folders;
	struct mailshift_source_status *statuses;
	unsigned int i, n = 0, count;
	uint64_t total = 0;

	/* STATUS per folder, all in one round trip (or already with the
	   listing): cheap, gives ETA a meaning, and tells which folders did
	   not change since the last pass */
	folders = array_get_modifiable(&copy->folders, &count);
	statuses = t_new(struct mailshift_source_status, count);
	for (i = 0; i < count; i++) {
		if (!folders[i].noselect && !folders[i].have_status)
			statuses[n++].vname = folders[i].map.src_vname;
	}
	if (n > 0) {
		mailshift_source_status_many(copy->params->source_user,
					     statuses, n);
	}
	for (i = 0, n = 0; i < count; i++) {
		if (folders[i].noselect || folders[i].have_status)
			continue;
		if (statuses[n].have_status) {
			folders[i].status = statuses[n].status;
			folders[i].have_status = TRUE;
		}
		n++;
	}
	for (i = 0; i < count; i++) {
		if (folders[i].have_status)
			total += folders[i].status.messages;
	}
	copy->progress.msgs_total = total;
	return count;
}

static int
mailshift_copy_dedupe(struct mailshift_copy *copy,
		      const struct mailshift_source_folder *folder)
{
	struct mailbox *src_box, *dest_box;
	struct mailbox_status status;
	struct mail_namespace *ns;
	const char *error;
	int ret = 0;

	ns = mail_namespace_find(copy->params->source_user->namespaces,
				 folder->map.src_vname);
	src_box = mailbox_alloc(ns->list, folder->map.src_vname,
				MAILBOX_FLAG_READONLY);
	dest_box = mailshift_copy_dest_alloc(copy, folder->map.dest_vname);
	if (mailbox_sync(src_box, 0) < 0) {
		mailshift_copy_fail_source(copy, src_box, "opening");
		ret = -1;
	} else if (mailbox_sync(dest_box, 0) < 0) {
		mailshift_copy_fail_dest(copy, dest_box, "opening");
		ret = -1;
	} else {
		mailbox_get_open_status(src_box, STATUS_UIDVALIDITY, &status);
		if (mailshift_folder_dedupe(src_box, dest_box,
				mailshift_copy_guid_prefix(
					mailshift_copy_guid_name(copy, folder),
					status.uidvalidity),
					    copy->params->dest_user->event,
					    &error) < 0) {
			copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
			copy->error_on_source = FALSE;
			copy->error = error;
			ret = -1;
		}
	}
	mailbox_free(&dest_box);
	mailbox_free(&src_box);
	return ret;
}

/* Keep the failure just reported in copy->error as the pass's, unless
   an earlier one is. */
static void mailshift_copy_note_failure(struct mailshift_copy *copy)
{
	if (copy->first_error != NULL)
		return;
	copy->first_error = copy->error;
	copy->first_class = copy->error_class;
	copy->first_on_source = copy->error_on_source;
}

/* What the pass does before its folders: what it filled before, the old
   server's folders and where each lands, and folders moved there.
   Returns 0, or -1 with copy->error. */
static int mailshift_copy_prepare(struct mailshift_copy *copy)
{
	const struct mailshift_copy_params *params = copy->params;
	const char *error;

	if (mailshift_pop3_uidl_check(params->set, &error) < 0) {
		copy->error_class = MAILSHIFT_SOURCE_ERR_CONFIG;
		copy->error_on_source = FALSE;
		copy->error = p_strdup(copy->pool, error);
		return -1;
	}
	if (mailshift_folder_list_read(params->dest_user,
				       &copy->filled_folders, &error) < 0) {
		/* without it a folder the user deleted could come back */
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		copy->error = p_strdup_printf(copy->pool, "new server: %s",
					      error);
		return -1;
	}
	mailshift_copy_read_dest_states(copy);
	if (mailshift_copy_list_source(copy) < 0 ||
	    mailshift_copy_all_mail(copy) < 0)
		return -1;
	mailshift_copy_dest_roles(copy);
	mailshift_copy_map_folders(copy);
	copy->progress.folders_total = mailshift_copy_count_messages(copy);
	if (!params->add_only && mailshift_copy_follow_moves(copy) < 0) {
		copy->error_on_source = FALSE;
		return -1;
	}
	return 0;
}

/* Every folder in turn; then the checks for duplicates a killed pass may
   have left, and the subscriptions.  Returns 0 or -1 (the first failure
   noted). */
static int mailshift_copy_folders(struct mailshift_copy *copy)
{
	const struct mailshift_source_folder *folder;
	const struct mailshift_source_folder *const *suspect;
	int ret = 0;

	array_foreach(&copy->folders, folder) {
		int folder_ret;

		if (folder->noselect)
			folder_ret = mailshift_copy_create_noselect(
				copy, folder->map.dest_vname);
		else
			folder_ret = mailshift_copy_folder(copy, folder);
		if (folder_ret < 0) {
			ret = -1;
			copy->progress.folders_failed++;
			e_error(copy->params->dest_user->event,
				"mailshift: %s", copy->error);
			mailshift_copy_note_failure(copy);
			/* the old server is gone: the other folders would
			   fail the same way, slowly */
			if (copy->error_class == MAILSHIFT_SOURCE_ERR_UNREACHABLE ||
			    copy->error_class == MAILSHIFT_SOURCE_ERR_AUTH ||
			    copy->aborted)
				break;
		}
		copy->progress.folders_done++;
	}
	if (ret < 0)
		return -1;
	/* last, so that a storage rebuild triggered anywhere during this
	   pass has already happened */
	array_foreach(&copy->suspects, suspect) {
		if (mailshift_copy_dedupe(copy, *suspect) < 0) {
			mailshift_copy_note_failure(copy);
			return -1;
		}
	}
	if (!copy->params->add_only &&
	    mailshift_copy_subscriptions(copy) < 0) {
		mailshift_copy_note_failure(copy);
		return -1;
	}
	return 0;
}

int mailshift_copy_run(const struct mailshift_copy_params *params,
		       struct mailshift_progress *progress_r,
		       enum mailshift_source_error *class_r,
		       bool *source_failed_r, const char **error_r)
{
	struct mailshift_copy copy;
	const char *error;
	int ret;

	i_zero(&copy);
	copy.params = params;
	copy.pool = pool_alloconly_create("mailshift copy", 1024);
	copy.sep = mail_namespaces_get_root_sep(params->dest_user->namespaces);
	io_loop_time_refresh();
	copy.pass_start = ioloop_timeval;
	t_array_init(&copy.folders, 32);
	t_array_init(&copy.subscriptions, 32);
	t_array_init(&copy.suspects, 4);
	hash_table_create(&copy.dest_states, default_pool, 0, str_hash,
			  strcmp);

	if (mailshift_copy_prepare(&copy) < 0) {
		mailshift_copy_note_failure(&copy);
		ret = -1;
	} else {
		if (params->add_only) {
			copy.delivered_db = mail_duplicate_db_init(
				params->dest_user, MAILSHIFT_DELIVERED_DB_NAME);
		}
		ret = mailshift_copy_folders(&copy);
	}

	if (copy.filled_folders != NULL &&
	    mailshift_folder_list_write(copy.filled_folders, &error) < 0) {
		e_warning(params->dest_user->event, "mailshift: %s "
			  "(folders the user deletes here may come back)",
			  error);
	}
	*progress_r = copy.progress;
	*class_r = copy.first_class;
	*source_failed_r = copy.first_on_source;
	*error_r = t_strdup(copy.first_error);
	if (copy.delivered_db != NULL)
		mail_duplicate_db_deinit(&copy.delivered_db);
	if (copy.message_ids != NULL)
		mailshift_message_ids_close(&copy.message_ids);
	hash_table_destroy(&copy.dest_states);
	pool_unref(&copy.pool);
	return ret;
}
