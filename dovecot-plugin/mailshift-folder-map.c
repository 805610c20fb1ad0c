/* Copyright (c) mailshift authors */

#include "lib.h"
#include "str.h"
#include "mailshift-folder-map.h"

static const char *const mailshift_role_flags[MAILSHIFT_ROLE_COUNT] = {
	[MAILSHIFT_ROLE_NONE] = NULL,
	[MAILSHIFT_ROLE_SENT] = "\\Sent",
	[MAILSHIFT_ROLE_DRAFTS] = "\\Drafts",
	[MAILSHIFT_ROLE_TRASH] = "\\Trash",
	[MAILSHIFT_ROLE_JUNK] = "\\Junk",
	[MAILSHIFT_ROLE_ARCHIVE] = "\\Archive",
};

/* Names that servers and clients without SPECIAL-USE give these folders:
   Outlook/Exchange, Apple Mail, Thunderbird, Courier/SquirrelMail, and the
   commonest localised ones. */
static const struct {
	const char *name;
	enum mailshift_folder_role role;
} mailshift_well_known_names[] = {
	{ "Sent", MAILSHIFT_ROLE_SENT },
	{ "Sent Items", MAILSHIFT_ROLE_SENT },
	{ "Sent Messages", MAILSHIFT_ROLE_SENT },
	{ "Sent Mail", MAILSHIFT_ROLE_SENT },
	{ "Gesendet", MAILSHIFT_ROLE_SENT },
	{ "Gesendete Objekte", MAILSHIFT_ROLE_SENT },
	{ "Gesendete Elemente", MAILSHIFT_ROLE_SENT },
	{ "Envoyés", MAILSHIFT_ROLE_SENT },
	{ "Elementos enviados", MAILSHIFT_ROLE_SENT },
	{ "Drafts", MAILSHIFT_ROLE_DRAFTS },
	{ "Draft", MAILSHIFT_ROLE_DRAFTS },
	{ "Entwürfe", MAILSHIFT_ROLE_DRAFTS },
	{ "Brouillons", MAILSHIFT_ROLE_DRAFTS },
	{ "Borradores", MAILSHIFT_ROLE_DRAFTS },
	{ "Trash", MAILSHIFT_ROLE_TRASH },
	{ "Deleted Items", MAILSHIFT_ROLE_TRASH },
	{ "Deleted Messages", MAILSHIFT_ROLE_TRASH },
	{ "Bin", MAILSHIFT_ROLE_TRASH },
	{ "Papierkorb", MAILSHIFT_ROLE_TRASH },
	{ "Gelöschte Elemente", MAILSHIFT_ROLE_TRASH },
	{ "Corbeille", MAILSHIFT_ROLE_TRASH },
	{ "Papelera", MAILSHIFT_ROLE_TRASH },
	{ "Junk", MAILSHIFT_ROLE_JUNK },
	{ "Spam", MAILSHIFT_ROLE_JUNK },
	{ "Junk E-mail", MAILSHIFT_ROLE_JUNK },
	{ "Junk Email", MAILSHIFT_ROLE_JUNK },
	{ "Bulk Mail", MAILSHIFT_ROLE_JUNK },
	{ "Junk-E-Mail", MAILSHIFT_ROLE_JUNK },
	{ "Archive", MAILSHIFT_ROLE_ARCHIVE },
	{ "Archives", MAILSHIFT_ROLE_ARCHIVE },
	{ "Archiv", MAILSHIFT_ROLE_ARCHIVE },
};

static const struct {
	char c;
	const char *lookalike;
} mailshift_lookalikes[] = {
	{ '.', "\xE2\x80\xA4" },
	{ '/', "\xE2\x88\x95" },
	{ '\\', "\xE2\x88\x96" },
	{ '~', "\xEF\xBD\x9E" },
};

static const char *mailshift_lookalike(char c)
{
	for (unsigned int i = 0; i < N_ELEMENTS(mailshift_lookalikes); i++) {
		if (mailshift_lookalikes[i].c == c)
			return mailshift_lookalikes[i].lookalike;
	}
	return "_";
}

static bool mailshift_level_must_replace(const char *level, size_t i,
					 char dest_sep, bool strict)
{
	char c = level[i];

	if (c == dest_sep)
		return TRUE;
	if (!strict)
		return FALSE;
	return c == '/' || c == '.' || (c == '~' && i == 0);
}

const char *mailshift_folder_translate(const char *prefix,
				       const char *const *levels,
				       char dest_sep, bool strict,
				       bool *replaced_r)
{
	string_t *name = t_str_new(128);

	*replaced_r = FALSE;
	str_append(name, prefix);
	for (unsigned int n = 0; levels[n] != NULL; n++) {
		const char *level = levels[n];

		if (n > 0)
			str_append_c(name, dest_sep);
		for (size_t i = 0; level[i] != '\0'; i++) {
			if (!mailshift_level_must_replace(level, i, dest_sep,
							  strict)) {
				str_append_c(name, level[i]);
				continue;
			}
			str_append(name, mailshift_lookalike(level[i]));
			*replaced_r = TRUE;
		}
	}
	return str_c(name);
}

enum mailshift_folder_role mailshift_role_from_special_use(const char *str)
{
	const char *const *flags;

	if (str == NULL)
		return MAILSHIFT_ROLE_NONE;
	flags = t_strsplit_spaces(str, " ");
	for (; *flags != NULL; flags++) {
		for (unsigned int role = 1; role < MAILSHIFT_ROLE_COUNT; role++) {
			if (strcasecmp(*flags, mailshift_role_flags[role]) == 0)
				return role;
		}
	}
	return MAILSHIFT_ROLE_NONE;
}

bool mailshift_role_has_all(const char *special_use)
{
	const char *const *flags = t_strsplit_spaces(special_use, " ");

	for (; *flags != NULL; flags++) {
		if (strcasecmp(*flags, "\\All") == 0)
			return TRUE;
	}
	return FALSE;
}

const char *mailshift_role_to_special_use(enum mailshift_folder_role role)
{
	i_assert(role < MAILSHIFT_ROLE_COUNT);
	return mailshift_role_flags[role];
}

enum mailshift_folder_role
mailshift_role_from_name(const char *vname, char sep)
{
	if (strchr(vname, sep) != NULL)
		return MAILSHIFT_ROLE_NONE;
	for (unsigned int i = 0; i < N_ELEMENTS(mailshift_well_known_names);
	     i++) {
		/* strcasecmp() is ASCII-only: the localised names with
		   umlauts match only as written, which is how clients
		   create them */
		if (strcasecmp(vname, mailshift_well_known_names[i].name) == 0)
			return mailshift_well_known_names[i].role;
	}
	return MAILSHIFT_ROLE_NONE;
}

static const char *
mailshift_folder_map_lookup(const char *const *folder_map, const char *vname)
{
	size_t len = strlen(vname);

	if (folder_map == NULL)
		return NULL;
	/* "old=new" splits at the first '=', as the settings reader reads
	   it: a folder whose name has a '=' cannot be renamed this way */
	for (; *folder_map != NULL; folder_map++) {
		const char *eq = strchr(*folder_map, '=');

		if (eq != NULL && (size_t)(eq - *folder_map) == len &&
		    strncmp(*folder_map, vname, len) == 0)
			return eq + 1;
	}
	return NULL;
}

static const char *mailshift_folder_here(const struct mailshift_folder *folder)
{
	return folder->here_vname != NULL ? folder->here_vname :
		folder->src_vname;
}

static bool
mailshift_folder_name_taken(const struct mailshift_folder *folders,
			    unsigned int count, const char *dest_vname)
{
	for (unsigned int i = 0; i < count; i++) {
		if (folders[i].dest_vname != NULL &&
		    strcmp(folders[i].dest_vname, dest_vname) == 0)
			return TRUE;
	}
	return FALSE;
}

/* wanted, or else the first of "wanted~2", "wanted~3", ... that no folder
   lands in yet: two old folders never share a new one, whatever the
   admin's renames and the roles say. */
static const char *
mailshift_folder_free_name(const struct mailshift_folder *folders,
			   unsigned int count, const char *wanted)
{
	const char *name = wanted;

	for (unsigned int n = 2;
	     mailshift_folder_name_taken(folders, count, name); n++)
		name = t_strdup_printf("%s~%u", wanted, n);
	return name;
}

static int mailshift_folder_cmp_src(const void *a, const void *b)
{
	const struct mailshift_folder *const *fa = a, *const *fb = b;

	return strcmp((*fa)->src_vname, (*fb)->src_vname);
}

/* Does an old folder keep this name here, unless renamed? */
static bool
mailshift_folder_here_exists(const struct mailshift_folder *folders,
			     unsigned int count, const char *vname)
{
	for (unsigned int i = 0; i < count; i++) {
		if (strcmp(mailshift_folder_here(&folders[i]), vname) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
mailshift_folder_map_roles(struct mailshift_folder *folders,
			   struct mailshift_folder *const *order,
			   unsigned int count,
			   const char *const *dest_role_vnames, bool guessed)
{
	for (unsigned int i = 0; i < count; i++) {
		struct mailshift_folder *folder = order[i];
		const char *target;

		if (folder->dest_vname != NULL ||
		    folder->role == MAILSHIFT_ROLE_NONE ||
		    folder->role_guessed != guessed)
			continue;
		target = dest_role_vnames[folder->role];
		if (target == NULL)
			continue;
		/* An old folder that already has the target's name keeps it
		   (and the role folder stays its own); otherwise two old
		   folders would merge into one. */
		if (strcmp(target, mailshift_folder_here(folder)) != 0 &&
		    mailshift_folder_here_exists(folders, count, target))
			continue;
		if (mailshift_folder_name_taken(folders, count, target))
			continue;
		folder->dest_vname = target;
	}
}

void mailshift_folder_map_assign(struct mailshift_folder *folders,
				 unsigned int count,
				 const char *const *dest_role_vnames,
				 const char *const *folder_map,
				 bool special_use_mapping, char sep)
{
	struct mailshift_folder **order;
	unsigned int i;

	/* Taken in name order, not in the order the old server listed
	   them: which of two folders gets "~2" must not change between
	   passes, or its copies would be made again in the other folder. */
	if (count == 0)
		return;
	order = t_new(struct mailshift_folder *, count);
	for (i = 0; i < count; i++) {
		folders[i].dest_vname = NULL;
		order[i] = &folders[i];
	}
	qsort(order, count, sizeof(*order), mailshift_folder_cmp_src);
	/* 1. what the admin said */
	for (i = 0; i < count; i++) {
		struct mailshift_folder *folder = order[i];
		const char *wanted = mailshift_folder_map_lookup(
			folder_map, folder->src_vname);

		if (wanted != NULL) {
			folder->dest_vname = mailshift_folder_free_name(
				folders, count, wanted);
		}
		folder->role = mailshift_role_from_special_use(
			folder->src_special_use);
		folder->role_guessed = FALSE;
		if (folder->role == MAILSHIFT_ROLE_NONE &&
		    strcasecmp(folder->src_vname, "INBOX") != 0) {
			folder->role = mailshift_role_from_name(
				mailshift_folder_here(folder), sep);
			folder->role_guessed =
				folder->role != MAILSHIFT_ROLE_NONE;
		}
	}
	/* 2. roles the old server announced win over roles guessed from
	   names, so "Sent Items" flagged \Sent beats an unflagged "Sent" */
	if (special_use_mapping) {
		mailshift_folder_map_roles(folders, order, count,
					   dest_role_vnames, FALSE);
		mailshift_folder_map_roles(folders, order, count,
					   dest_role_vnames, TRUE);
	}
	/* 3. everything else keeps its name, unless a rename above took it */
	for (i = 0; i < count; i++) {
		if (order[i]->dest_vname == NULL) {
			order[i]->dest_vname = mailshift_folder_free_name(
				folders, count, mailshift_folder_here(order[i]));
		}
	}
}
