/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "mail-storage.h"
#include "mail-namespace.h"
#include "mailbox-list-iter.h"
#include "mailshift-folder-list.h"
#include "mailshift-folder-state.h"
#include "mailshift-copy-guid.h"
#include "mailshift-search.h"
#include "mailshift-removal.h"
#include "mailshift-folder-moves.h"

struct mailshift_moves {
	struct mail_user *user;
	struct mailshift_folder_list *filled;
	const struct mailshift_moves_source *sources;
	unsigned int count;
	char sep;
	struct mailshift_moves_result result;
	const char *error;
};

static struct mailbox *
mailshift_moves_alloc(struct mailshift_moves *mv, const char *vname)
{
	struct mail_namespace *ns =
		mail_namespace_find(mv->user->namespaces, vname);

	return mailbox_alloc(ns->list, vname, MAILBOX_FLAG_IGNORE_ACLS);
}

static void mailshift_moves_fail(struct mailshift_moves *mv,
				 struct mailbox *box, const char *what)
{
	mv->error = t_strdup_printf("new server: %s folder %s failed: %s",
				    what, mailbox_get_vname(box),
				    mailbox_get_last_internal_error(box, NULL));
}

static bool mailshift_moves_is_source_dest(struct mailshift_moves *mv,
					   const char *vname)
{
	for (unsigned int i = 0; i < mv->count; i++) {
		if (strcmp(mv->sources[i].dest_vname, vname) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The old folder the renamed one became: same UIDVALIDITY, and its name
   here is still free. */
static const struct mailshift_moves_source *
mailshift_moves_find_rename(struct mailshift_moves *mv, uint32_t uidvalidity)
{
	enum mailbox_existence existence;
	struct mailbox *box;
	int ret;

	for (unsigned int i = 0; i < mv->count; i++) {
		const struct mailshift_moves_source *src = &mv->sources[i];

		if (src->uidvalidity != uidvalidity || uidvalidity == 0 ||
		    mailshift_folder_list_contains(mv->filled,
						   src->dest_vname))
			continue;
		box = mailshift_moves_alloc(mv, src->dest_vname);
		ret = mailbox_exists(box, FALSE, &existence);
		mailbox_free(&box);
		if (ret == 0 && existence == MAILBOX_EXISTENCE_NONE)
			return src;
	}
	return NULL;
}

/* Only mailshift's copies of that folder, none changed here since the
   last pass, no child folders: then deleting it loses nothing the user
   did.  Returns 1 if so, 0 if not, -1 on error. */
static int
mailshift_moves_deletable(struct mailshift_moves *mv, struct mailbox *box,
			  const struct mailshift_folder_state *state,
			  const char *origin)
{
	const char *prefix, *guid, *pattern;
	struct mailbox_list_iterate_context *iter;
	struct mailbox_transaction_context *t;
	struct mailshift_guid_iter *copies;
	struct mail *mail;
	uint32_t uid;
	bool children;
	int ret = 1;

	if (origin == NULL)
		return 0; /* listed before origins were kept: cannot tell */
	pattern = t_strdup_printf("%s%c*", mailbox_get_vname(box), mv->sep);
	iter = mailbox_list_iter_init(mailbox_get_namespace(box)->list,
				      pattern, MAILBOX_LIST_ITER_RETURN_NO_FLAGS);
	children = mailbox_list_iter_next(iter) != NULL;
	if (mailbox_list_iter_deinit(&iter) < 0 || children)
		return children ? 0 : -1;

	prefix = mailshift_copy_guid_prefix(origin, state->src_uidvalidity);
	t = mailbox_transaction_begin(box, 0, __func__);
	copies = mailshift_guid_iter_init(t, 1, 0);
	while (ret > 0 && mailshift_guid_iter_next(copies, &mail, &guid)) {
		if (!mailshift_copy_guid_parse(guid, prefix, &uid) ||
		    mail_get_modseq(mail) > state->dest_highest_modseq)
			ret = 0;
	}
	if (mailshift_guid_iter_deinit(&copies) < 0)
		ret = -1;
	(void)mailbox_transaction_commit(&t);
	if (ret < 0)
		mailshift_moves_fail(mv, box, "reading");
	return ret;
}

/* What became of the filled folder vname, whose old folder is gone?
   Returns 0, or -1 with mv->error. */
static int mailshift_moves_follow(struct mailshift_moves *mv,
				  const char *vname, bool rename_phase)
{
	const struct mailshift_moves_source *src;
	struct mailshift_folder_state state;
	struct mailbox *box, *new_box;
	enum mailbox_existence existence;
	const char *origin;
	int ret = 0;

	box = mailshift_moves_alloc(mv, vname);
	if (mailbox_exists(box, FALSE, &existence) < 0) {
		mailshift_moves_fail(mv, box, "looking up");
		mailbox_free(&box);
		return -1;
	}
	if (existence != MAILBOX_EXISTENCE_SELECT) {
		/* the user deleted it here: mailshift-copy-folder.c keeps it so */
		mailbox_free(&box);
		return 0;
	}
	if (mailbox_enable(box, MAILBOX_FEATURE_CONDSTORE) < 0 ||
	    mailbox_sync(box, 0) < 0) {
		mailshift_moves_fail(mv, box, "opening");
		mailbox_free(&box);
		return -1;
	}
	if (mailshift_folder_state_get(box, &state) <= 0) {
		mailbox_free(&box);
		return 0;
	}
	origin = mailshift_folder_list_origin(mv->filled, vname);

	src = !rename_phase ? NULL :
		mailshift_moves_find_rename(mv, state.src_uidvalidity);
	if (src != NULL) {
		new_box = mailshift_moves_alloc(mv, src->dest_vname);
		if (mailbox_rename(box, new_box) < 0) {
			mailshift_moves_fail(mv, box, "renaming");
			ret = -1;
		} else {
			e_info(mv->user->event, "mailshift: folder %s was "
			       "renamed to %s on the old server; renamed "
			       "here too", vname, src->dest_vname);
			mailshift_folder_list_rename(mv->filled, vname,
						     src->dest_vname, mv->sep);
			mv->result.renamed++;
		}
		mailbox_free(&new_box);
		mailbox_free(&box);
		return ret;
	}

	if (rename_phase) {
		mailbox_free(&box);
		return 0;
	}
	ret = mailshift_moves_deletable(mv, box, &state, origin);
	if (ret > 0) {
		if (mailbox_delete(box) < 0) {
			mailshift_moves_fail(mv, box, "deleting");
			ret = -1;
		} else {
			e_info(mv->user->event, "mailshift: folder %s was "
			       "deleted on the old server; deleted here too",
			       vname);
			mailshift_folder_list_remove(mv->filled, vname);
			mv->result.deleted++;
		}
	} else if (ret == 0) {
		e_info(mv->user->event, "mailshift: folder %s was deleted on "
		       "the old server, but holds mail or changes made here "
		       "(or folders below it): kept", vname);
		/* forget it: it is the user's folder now */
		mailshift_folder_list_remove(mv->filled, vname);
		mv->result.kept++;
	}
	mailbox_free(&box);
	return ret < 0 ? -1 : 0;
}

static int mailshift_moves_cmp_deepest_first(const char *const *a,
					     const char *const *b)
{
	return strcmp(*b, *a);
}

/* Filled folders whose old folder is not listed any more. */
static void mailshift_moves_gone(struct mailshift_moves *mv,
				 const char *const *protected_vnames,
				 ARRAY_TYPE(const_string) *gone,
				 unsigned int *filled_count_r)
{
	const char *const *names, *name;
	unsigned int i, n;

	array_clear(gone);
	names = mailshift_folder_list_names(mv->filled, &n);
	for (i = 0; i < n; i++) {
		if (strcasecmp(names[i], "INBOX") == 0 ||
		    str_array_find(protected_vnames, names[i]) ||
		    mailshift_moves_is_source_dest(mv, names[i]))
			continue;
		name = t_strdup(names[i]);
		array_push_back(gone, &name);
	}
	*filled_count_r = n;
}

int mailshift_folder_moves(struct mail_user *dest_user,
			   struct mailshift_folder_list *filled,
			   const struct mailshift_moves_source *sources,
			   unsigned int count, char sep,
			   const char *const *protected_vnames,
			   struct mailshift_moves_result *result_r,
			   const char **error_r)
{
	struct mailshift_moves mv;
	ARRAY_TYPE(const_string) gone;
	const char *name;
	unsigned int n;
	int ret = 0;

	i_zero(&mv);
	mv.user = dest_user;
	mv.filled = filled;
	mv.sources = sources;
	mv.count = count;
	mv.sep = sep;
	t_array_init(&gone, 8);

	/* renames first, parents before children: a renamed parent takes
	   its children along, and they are then no longer missing */
	mailshift_moves_gone(&mv, protected_vnames, &gone, &n);
	array_sort(&gone, i_strcmp_p);
	array_foreach_elem(&gone, name) {
		if (!mailshift_folder_list_contains(filled, name))
			continue;
		if (mailshift_moves_follow(&mv, name, TRUE) < 0) {
			ret = -1;
			break;
		}
	}

	/* then deletes, children before parents: a parent is deleted only
	   when no folder is left below it */
	mailshift_moves_gone(&mv, protected_vnames, &gone, &n);
	array_sort(&gone, mailshift_moves_cmp_deepest_first);
	if (ret == 0 &&
	    mailshift_removal_looks_broken(array_count(&gone), n,
					   MAILSHIFT_REMOVAL_FEW_FOLDERS)) {
		e_warning(dest_user->event, "mailshift: %u of the %u folders "
			  "copied earlier are missing on the old server; not "
			  "deleting any here (is mailshift_source_prefix "
			  "right?)", array_count(&gone), n);
		array_clear(&gone);
	}
	array_foreach_elem(&gone, name) {
		if (ret < 0)
			break;
		if (mailshift_moves_follow(&mv, name, FALSE) < 0)
			ret = -1;
	}
	*result_r = mv.result;
	if (ret < 0)
		*error_r = mv.error;
	return ret;
}
