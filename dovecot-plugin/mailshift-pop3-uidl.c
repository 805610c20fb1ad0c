/* Copyright (c) mailshift authors */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "var-expand.h"
#include "module-dir.h"
#include "settings-parser.h"
#include "master-service.h"
#include "mail-storage.h"
#include "mail-storage-settings.h"
#include "mail-storage-service.h"
#include "mailshift-settings.h"
#include "mailshift-pop3-uidl.h"

/* the hidden namespace through which pop3_migration reads the old POP3
   server's INBOX */
#define MAILSHIFT_POP3_NS_NAME "mailshift_pop3"
#define MAILSHIFT_POP3_NS_PREFIX "MAILSHIFT-POP3/"

static int mailshift_pop3_uidl_expand(string_t *dest, const char *format,
				      uint32_t uidvalidity, uint32_t uid,
				      const char **error_r)
{
	const struct var_expand_table table[] = {
		{ 'v', dec2str(uidvalidity), "uidvalidity" },
		{ 'u', dec2str(uid), "uid" },
		{ '\0', NULL, NULL }
	};

	return var_expand(dest, format, table, error_r);
}

int mailshift_pop3_uidl_check(const struct mailshift_settings *set,
			      const char **error_r)
{
	const char *format = set->source_pop3_uidl_format;
	const char *error;

	if (*format != '\0' && set->source_pop3_port != 0) {
		*error_r = "mailshift_source_pop3_uidl_format and "
			"mailshift_source_pop3_port both say where the old "
			"POP3 UIDLs come from: keep one (the port for servers "
			"whose UIDLs do not derive from IMAP UIDs, e.g. "
			"Courier)";
		return -1;
	}
	if (*format != '\0' &&
	    mailshift_pop3_uidl_expand(t_str_new(32), format, 1, 1,
				       &error) <= 0) {
		*error_r = t_strdup_printf(
			"mailshift_source_pop3_uidl_format = %s: %s (write "
			"%%%%v and %%%%u in the plugin section, where %% is "
			"expanded once)", format, error);
		return -1;
	}
	return 0;
}

const char *mailshift_pop3_uidl(const char *format, uint32_t uidvalidity,
				uint32_t uid)
{
	string_t *str = t_str_new(32);
	const char *error;

	/* checked at the start of the pass */
	(void)mailshift_pop3_uidl_expand(str, format, uidvalidity, uid, &error);
	return str_c(str);
}

/* "namespace": the names of the user's namespaces and ours, which a
   namespace/<name>/ setting needs to become a namespace */
static const char *
mailshift_pop3_namespace_list(const struct mail_user_settings *user_set,
			      const char **error_r)
{
	struct mail_namespace_settings *const *ns_set;
	string_t *str = t_str_new(64);

	array_foreach(&user_set->namespaces, ns_set) {
		/* ours, from an earlier try of this user, has no name */
		if (*(*ns_set)->name == '\0' &&
		    strstr((*ns_set)->location, "pop3c:") != NULL)
			continue;
		if (*(*ns_set)->name == '\0') {
			*error_r = "mailshift_source_pop3_port needs every "
				"namespace { } section to have a name";
			return NULL;
		}
		str_printfa(str, "%s ", (*ns_set)->name);
	}
	str_append(str, MAILSHIFT_POP3_NS_NAME);
	return str_c(str);
}

/* mail_plugins of the source user alone: the storage service loaded the
   user's plugins before it was told (and the new user must not have
   pop3_migration: it would look for the old POP3 server there too) */
static int
mailshift_pop3_migration_load(const struct mail_user_settings *user_set,
			      const char **error_r)
{
	struct module_dir_load_settings mod_set;

	i_zero(&mod_set);
	mod_set.abi_version = DOVECOT_ABI_VERSION;
	mod_set.binary_name = master_service_get_name(master_service);
	mod_set.setting_name = "mail_plugins";
	mod_set.require_init_funcs = TRUE;
	if (module_dir_try_load_missing(&mail_storage_service_modules,
					user_set->mail_plugin_dir,
					"pop3_migration", &mod_set,
					error_r) < 0) {
		*error_r = t_strdup_printf("mailshift_source_pop3_port: %s",
					   *error_r);
		return -1;
	}
	module_dir_init(mail_storage_service_modules);
	return 0;
}

int mailshift_pop3_uidl_source_settings(struct setting_parser_context *parser,
					const struct mail_user_settings *user_set,
					const struct mailshift_settings *set,
					const char *password,
					const char **error_r)
{
	const char *namespaces, *plugins = user_set->mail_plugins;

	if (set->source_pop3_port == 0)
		return 0;
	namespaces = mailshift_pop3_namespace_list(user_set, error_r);
	if (namespaces == NULL ||
	    mailshift_pop3_migration_load(user_set, error_r) < 0)
		return -1;

	if (!str_array_find(t_strsplit_spaces(plugins, " "), "pop3_migration"))
		plugins = t_strconcat(plugins, " pop3_migration", NULL);

	const char *const settings[][2] = {
		{ "mail_plugins", plugins },
		{ "namespace", namespaces },
		{ "namespace/"MAILSHIFT_POP3_NS_NAME"/prefix",
		  MAILSHIFT_POP3_NS_PREFIX },
		{ "namespace/"MAILSHIFT_POP3_NS_NAME"/separator", "/" },
		{ "namespace/"MAILSHIFT_POP3_NS_NAME"/location", "pop3c:" },
		{ "namespace/"MAILSHIFT_POP3_NS_NAME"/list", "no" },
		{ "namespace/"MAILSHIFT_POP3_NS_NAME"/hidden", "yes" },
		{ "plugin/pop3_migration_mailbox",
		  MAILSHIFT_POP3_NS_PREFIX"INBOX" },
		/* A message the old POP3 server shows otherwise than IMAP
		   does matches none (Courier shows one with 8-bit headers to
		   POP3 clients without UTF8 as a notice): it keeps a new
		   UIDL, and its client fetches it again, rather than the
		   pass failing for every message. */
		{ "plugin/pop3_migration_ignore_missing_uidls", "yes" },
		{ "pop3c_host", set->source_host },
		{ "pop3c_port", dec2str(set->source_pop3_port) },
		/* pop3c calls the TLS port pop3s */
		{ "pop3c_ssl", set->source_tls == MAILSHIFT_TLS_IMAPS ? "pop3s" :
		  mailshift_tls_mode_name(set->source_tls) },
		{ "pop3c_ssl_verify", set->source_tls_verify ? "yes" : "no" },
		{ "pop3c_user", *set->source_user != '\0' ?
		  set->source_user : "%u" },
		{ "pop3c_master_user", set->source_master_user },
		{ "pop3c_password", password },
	};
	for (unsigned int i = 0; i < N_ELEMENTS(settings); i++) {
		if (settings_parse_keyvalue(parser, settings[i][0],
					    settings[i][1]) <= 0) {
			/* never echo the value: it may be the password */
			*error_r = t_strdup_printf(
				"mailshift_source_pop3_port: cannot set %s for "
				"the old server: %s", settings[i][0],
				settings_parser_get_error(parser));
			return -1;
		}
	}
	return 0;
}

int mailshift_pop3_uidl_get(const struct mailshift_settings *set,
			    struct mail *mail, uint32_t uidvalidity,
			    const char **uidl_r)
{
	const char *uidl;

	*uidl_r = NULL;
	if (*set->source_pop3_uidl_format != '\0') {
		*uidl_r = mailshift_pop3_uidl(set->source_pop3_uidl_format,
					      uidvalidity, mail->uid);
		return 0;
	}
	if (set->source_pop3_port == 0)
		return 0;
	/* pop3_migration answers for the message the old POP3 server lists
	   with it; "" for a message it does not list (delivered since) */
	if (mail_get_special(mail, MAIL_FETCH_UIDL_BACKEND, &uidl) < 0)
		return -1;
	if (*uidl != '\0')
		*uidl_r = uidl;
	return 0;
}

int mailshift_pop3_uidl_prepare(const struct mailshift_settings *set,
				struct mailbox_transaction_context *t)
{
	struct mailbox_status status;
	struct mail *mail;
	const char *uidl;
	int ret;

	if (set->source_pop3_port == 0)
		return 0;
	mailbox_get_open_status(mailbox_transaction_get_mailbox(t),
				STATUS_MESSAGES, &status);
	if (status.messages == 0)
		return 0;
	/* pop3_migration matches all of INBOX at its first question: asked
	   before the copy's prefetching FETCHes start, its header FETCHes
	   do not share the connection with them */
	mail = mail_alloc(t, 0, NULL);
	mail_set_seq(mail, 1);
	ret = mail_get_special(mail, MAIL_FETCH_UIDL_BACKEND, &uidl);
	mail_free(&mail);
	return ret;
}
