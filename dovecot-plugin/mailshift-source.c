/* Copyright (c) mailshift authors */

#include "lib.h"
#include "ioloop.h"
#include "str.h"
#include "strnum.h"
#include "settings-parser.h"
#include "mail-user.h"
#include "mail-namespace.h"
#include "mail-storage-private.h"
#include "index-mail.h"
#include "imap-arg.h"
#include "mail-storage-service.h"
#include "imapc-storage.h"
#include "imapc-client-private.h"
#include "imapc-connection.h"
#include "imapc-mail.h"
#include "mailshift-source.h"
#include "mailshift-source-status.h"
#include "mailshift-pop3-uidl.h"

#include <stdio.h>
#include <sysexits.h>

static const char *
mailshift_source_features(const struct mailshift_settings *set)
{
	/* rfc822.size: sizes without fetching bodies; modseq: CONDSTORE for
	   cheap delta passes; search: the old server finds the large
	   messages (UID SEARCH LARGER, mailshift-source-body.h) instead of
	   imapc fetching every size; throttle: back off (from 1 s up to
	   30 s) when the server answers NO [THROTTLED] instead of hammering
	   it. */
	string_t *str = t_str_new(128);

	str_append(str, "rfc822.size modseq search delay-login "
		   "throttle:1000:30000:500");
	if (*set->source_features != '\0') {
		str_append_c(str, ' ');
		str_append(str, set->source_features);
	}
	return str_c(str);
}

/* A namespace prefix without its trailing separator: "INBOX." on a
   Courier server is imapc_list_prefix=INBOX */
static const char *mailshift_source_bare_prefix(const char *prefix)
{
	size_t len = strlen(prefix);

	if (len > 0 && (prefix[len - 1] == '.' || prefix[len - 1] == '/'))
		len--;
	return t_strndup(prefix, len);
}

static const char *
mailshift_source_list_prefix(const struct mailshift_settings *set)
{
	return mailshift_source_bare_prefix(set->source_prefix);
}

int mailshift_source_check_prefix(struct mail_user *source_user,
				  const struct mailshift_settings *set,
				  const char **server_prefix_r)
{
	struct mailbox *box;
	struct imapc_mailbox *mbox;
	struct mailbox_metadata metadata;
	const struct imapc_namespace *ns;
	int ret = 1;

	*server_prefix_r = NULL;
	box = mailbox_alloc(source_user->namespaces->list, "INBOX", 0);
	if (strcmp(box->storage->name, IMAPC_STORAGE_NAME) != 0) {
		mailbox_free(&box);
		return 1;
	}
	/* asks the old server's NAMESPACE, where it has one */
	if (mailbox_get_metadata(box, MAILBOX_METADATA_BACKEND_NAMESPACE,
				 &metadata) < 0) {
		mailbox_free(&box);
		return -1;
	}
	mbox = IMAPC_MAILBOX(box);
	array_foreach(&mbox->storage->remote_namespaces, ns) {
		if (ns->type != MAIL_NAMESPACE_TYPE_PRIVATE)
			continue;
		if (strcmp(mailshift_source_bare_prefix(ns->prefix),
			   mailshift_source_list_prefix(set)) != 0) {
			*server_prefix_r = t_strdup(ns->prefix);
			ret = 0;
		}
		break;
	}
	mailbox_free(&box);
	return ret;
}

static struct imapc_client *
mailshift_source_imapc_client(struct mail_user *source_user)
{
	struct mail_namespace *ns;

	ns = mail_namespace_find_inbox(source_user->namespaces);
	if (ns == NULL || ns->storage == NULL ||
	    strcmp(ns->storage->name, IMAPC_STORAGE_NAME) != 0)
		return NULL;
	return (IMAPC_STORAGE(ns->storage))->client->client;
}

bool mailshift_source_waiting_now(struct mail_user *source_user)
{
	struct imapc_client *client = mailshift_source_imapc_client(source_user);

	return client != NULL && client->ioloop != NULL &&
		client->ioloop == current_ioloop;
}

/* The capabilities the old server announced in its answer to our login
   ("OK [CAPABILITY ...]", as Dovecot and Cyrus send it).  imapc keeps
   only those it uses itself, so its login callback is wrapped to see the
   answer first.  One source user at a time: doveadm runs one pass at a
   time. */
static struct {
	struct mail_user *source_user;
	imapc_command_callback_t *callback;
	void *context;
	char *capabilities;
	/* mailshift_source_on_login() */
	void (*on_login)(void *context);
	void *on_login_context;
} mailshift_login_watch;

static void
mailshift_source_login_seen(const struct imapc_command_reply *reply,
			    void *context ATTR_UNUSED)
{
	if (reply->state == IMAPC_COMMAND_STATE_OK &&
	    reply->resp_text_key != NULL &&
	    strcasecmp(reply->resp_text_key, "CAPABILITY") == 0 &&
	    reply->resp_text_value != NULL) {
		i_free(mailshift_login_watch.capabilities);
		mailshift_login_watch.capabilities =
			i_strdup(reply->resp_text_value);
	}
	mailshift_login_watch.callback(reply, mailshift_login_watch.context);
	if (reply->state == IMAPC_COMMAND_STATE_OK &&
	    mailshift_login_watch.on_login != NULL) {
		mailshift_login_watch.on_login(
			mailshift_login_watch.on_login_context);
	}
}

static void mailshift_source_watch_login(struct mail_user *source_user)
{
	struct imapc_client *client = mailshift_source_imapc_client(source_user);

	i_free(mailshift_login_watch.capabilities);
	i_zero(&mailshift_login_watch);
	/* with delay-login nothing has logged in yet: the callback is still
	   there, to be called once */
	if (client == NULL || client->login_callback == NULL)
		return;
	mailshift_login_watch.source_user = source_user;
	mailshift_login_watch.callback = client->login_callback;
	mailshift_login_watch.context = client->login_context;
	client->login_callback = mailshift_source_login_seen;
	client->login_context = NULL;
}

/* imapc logged in while the source user was created (it does where the
   namespace sets no separator: it must learn the old server's first), so
   the login's answer went by unseen: ask for the capabilities instead. */
static struct mail_user *mailshift_capability_user;

static void
mailshift_source_untagged_capability(const struct imapc_untagged_reply *reply,
				     struct imapc_storage_client *client ATTR_UNUSED)
{
	const struct imap_arg *arg;
	const char *atom;
	string_t *str = t_str_new(256);

	if (mailshift_capability_user == NULL)
		return;
	for (arg = reply->args; imap_arg_get_atom(arg, &atom); arg++) {
		if (str_len(str) > 0)
			str_append_c(str, ' ');
		str_append(str, atom);
	}
	i_free(mailshift_login_watch.capabilities);
	mailshift_login_watch.capabilities = i_strdup(str_c(str));
}

static void
mailshift_source_capability_reply(const struct imapc_command_reply *reply ATTR_UNUSED,
				  void *context)
{
	struct imapc_client *client = context;

	mailshift_capability_user = NULL;
	imapc_client_stop(client);
}

void mailshift_source_learn_capabilities(struct mail_user *source_user)
{
	struct imapc_client *client = mailshift_source_imapc_client(source_user);
	struct mail_namespace *ns;
	struct imapc_storage_client *storage_client;
	struct imapc_command *cmd;

	if (client == NULL || mailshift_login_watch.source_user == source_user ||
	    client->login_callback != NULL)
		return;
	ns = mail_namespace_find_inbox(source_user->namespaces);
	storage_client = (IMAPC_STORAGE(ns->storage))->client;
	i_free(mailshift_login_watch.capabilities);
	i_zero(&mailshift_login_watch);
	mailshift_login_watch.source_user = source_user;
	mailshift_capability_user = source_user;
	imapc_storage_client_register_untagged(storage_client, "CAPABILITY",
		mailshift_source_untagged_capability);
	cmd = imapc_client_cmd(client, mailshift_source_capability_reply,
			       client);
	imapc_command_send(cmd, "CAPABILITY");
	while (mailshift_capability_user != NULL)
		imapc_client_run(client);
	mailshift_source_unregister_untagged(storage_client,
		mailshift_source_untagged_capability);
}

bool mailshift_source_logged_in(struct mail_user *source_user)
{
	return mailshift_login_watch.source_user == source_user &&
		mailshift_login_watch.capabilities != NULL;
}

void mailshift_source_on_login(struct mail_user *source_user,
			       void (*callback)(void *context), void *context)
{
	if (mailshift_login_watch.source_user != source_user)
		return;
	mailshift_login_watch.on_login = callback;
	mailshift_login_watch.on_login_context = context;
}

bool mailshift_source_has_capability(struct mail_user *source_user,
				     const char *capability)
{
	const char *const *caps;

	if (mailshift_login_watch.source_user != source_user ||
	    mailshift_login_watch.capabilities == NULL)
		return FALSE;
	caps = t_strsplit_spaces(mailshift_login_watch.capabilities, " ");
	for (; *caps != NULL; caps++) {
		if (strcasecmp(*caps, capability) == 0)
			return TRUE;
	}
	return FALSE;
}

int mailshift_source_open(struct mail_storage_service_ctx *storage_service,
			  struct mail_storage_service_user *service_user,
			  const struct mailshift_settings *set,
			  const char *password,
			  struct mail_user **source_user_r,
			  enum mailshift_source_error *class_r,
			  const char **error_r)
{
	struct setting_parser_context *parser;
	struct mail_user *source_user;
	const char *error;
	int ret;

	const char *const overrides[][2] = {
		{ "mail_location", "imapc:" },
		{ "imapc_host", set->source_host },
		{ "imapc_port", dec2str(set->source_port) },
		{ "imapc_ssl", mailshift_tls_mode_name(set->source_tls) },
		{ "imapc_ssl_verify", set->source_tls_verify ? "yes" : "no" },
		{ "imapc_user", set->source_user },
		{ "imapc_master_user", set->source_master_user },
		{ "imapc_password", password },
		{ "imapc_features", mailshift_source_features(set) },
		{ "imapc_list_prefix", mailshift_source_list_prefix(set) },
		{ "imapc_cmd_timeout",
		  t_strdup_printf("%us", set->source_timeout_secs) },
		{ "imapc_max_idle_time", "29min" },
		{ "imapc_connection_retry_count", "5" },
		{ "imapc_connection_retry_interval", "1s" },
		{ "mail_prefetch_count", dec2str(set->source_prefetch) },
	};

	parser = mail_storage_service_user_get_settings_parser(service_user);
	for (unsigned int i = 0; i < N_ELEMENTS(overrides); i++) {
		if (settings_parse_keyvalue(parser, overrides[i][0],
					    overrides[i][1]) <= 0) {
			*class_r = MAILSHIFT_SOURCE_ERR_CONFIG;
			/* never echo the value: it may be the password */
			*error_r = t_strdup_printf(
				"cannot set %s for the old server: %s",
				overrides[i][0],
				settings_parser_get_error(parser));
			return -1;
		}
	}
	if (*set->source_ca_file != '\0' &&
	    settings_parse_keyvalue(parser, "ssl_client_ca_file",
				    set->source_ca_file) <= 0) {
		*class_r = MAILSHIFT_SOURCE_ERR_CONFIG;
		*error_r = t_strdup_printf(
			"mailshift_source_ca_file = %s: %s",
			set->source_ca_file, settings_parser_get_error(parser));
		return -1;
	}
	if (mailshift_pop3_uidl_source_settings(parser,
			mail_storage_service_user_get_set(service_user)[0],
			set, password, error_r) < 0) {
		*class_r = MAILSHIFT_SOURCE_ERR_CONFIG;
		return -1;
	}

	/* With delay-login imapc connects at the first command (or at
	   mailshift_source_connect_ahead()): a refused password or an
	   unreachable server fails there, with imapc's reason.  (A login
	   that fails while the user is being created can panic 2.3.19's
	   doveadm.) */
	ret = mail_storage_service_next(storage_service, service_user,
					&source_user, &error);
	/* the parser is shared with later users of this service_user: do not
	   leave the password in it */
	(void)settings_parse_keyvalue(parser, "imapc_password", "");
	if (set->source_pop3_port != 0)
		(void)settings_parse_keyvalue(parser, "pop3c_password", "");
	if (ret < 0) {
		*class_r = mailshift_source_classify_error(error);
		*error_r = error;
		return -1;
	}
	source_user->dsyncing = TRUE;
	mailshift_source_watch_login(source_user);
	*source_user_r = source_user;
	*class_r = MAILSHIFT_SOURCE_OK;
	return 0;
}

void mailshift_source_connect_ahead(struct mail_user *source_user)
{
	struct imapc_client *client = mailshift_source_imapc_client(source_user);
	struct imapc_client_connection *conn;

	/* Not with imaps: when the handshake with a server already waiting
	   for it fails at once (a certificate it does not trust), imapc
	   2.3.19 flushes the connection it has just closed and crashes
	   (t-tls-untrusted caught it about once in 20 runs).  Connecting at
	   the first command, the handshake usually meets a server still
	   starting its login process, and fails later, safely.  STARTTLS
	   starts the handshake from the answer to a command, where a failure
	   is safe. */
	if (client == NULL ||
	    client->set.ssl_mode == IMAPC_CLIENT_SSL_MODE_IMMEDIATE)
		return;
	/* what imapc_client_run() does first: commands queued while the
	   user was created wait on a connection not yet connected */
	array_foreach_elem(&client->conns, conn) {
		if (imapc_connection_get_state(conn->conn) ==
		    IMAPC_CONNECTION_STATE_DISCONNECTED)
			imapc_connection_connect(conn->conn);
	}
}

void mailshift_source_connect_more(struct mail_user *source_user,
				   unsigned int count)
{
	struct imapc_client *client = mailshift_source_imapc_client(source_user);
	struct imapc_client_mailbox **holders;
	unsigned int i;

	if (client == NULL)
		return;
	/* a folder holds a connection from imapc_client_mailbox_open() on;
	   these are never selected, so closing them sends nothing */
	holders = t_new(struct imapc_client_mailbox *, count);
	for (i = 0; i < count; i++)
		holders[i] = imapc_client_mailbox_open(client, NULL);
	for (i = 0; i < count; i++)
		imapc_client_mailbox_close(&holders[i]);
	mailshift_source_connect_ahead(source_user);
}

static void
mailshift_source_logout_sent(const struct imapc_command_reply *reply ATTR_UNUSED,
			     void *context ATTR_UNUSED)
{
}

void mailshift_source_hang_up(struct mail_user *source_user)
{
	struct imapc_client *client = mailshift_source_imapc_client(source_user);
	struct imapc_client_connection *conn;
	struct imapc_command *cmd;

	if (client == NULL)
		return;
	array_foreach_elem(&client->conns, conn) {
		if (imapc_connection_get_state(conn->conn) !=
		    IMAPC_CONNECTION_STATE_DONE)
			continue;
		imapc_connection_set_no_reconnect(conn->conn);
		cmd = imapc_connection_cmd(conn->conn,
					   mailshift_source_logout_sent, NULL);
		imapc_command_set_flags(cmd, IMAPC_COMMAND_FLAG_PRELOGIN |
					IMAPC_COMMAND_FLAG_LOGOUT);
		imapc_command_send(cmd, "LOGOUT");
	}
	/* the LOGOUT is on its way; imapc_client_logout() at deinit then
	   finds nothing left to wait for */
	imapc_client_disconnect(client);
	if (mailshift_login_watch.source_user == source_user) {
		i_free(mailshift_login_watch.capabilities);
		i_zero(&mailshift_login_watch);
	}
}

/* What an old message's mail starts with; its pool grows as needed. */
#define MAILSHIFT_SOURCE_MAIL_DATA_POOL 1024

#define MAILSHIFT_SOURCE_BOX_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, mailshift_source_storage_module)
static MODULE_CONTEXT_DEFINE_INIT(mailshift_source_storage_module,
				  &mail_storage_module_register);

struct mailshift_source_box {
	union mailbox_module_context module_ctx;
};

static struct mail *
mailshift_source_mail_alloc(struct mailbox_transaction_context *t,
			    enum mail_fetch_field wanted_fields,
			    struct mailbox_header_lookup_ctx *wanted_headers)
{
	struct mailshift_source_box *sbox = MAILSHIFT_SOURCE_BOX_CONTEXT(t->box);
	struct mail_private *mail = (struct mail_private *)
		sbox->module_ctx.super.mail_alloc(t, wanted_fields,
						  wanted_headers);

	pool_unref(&mail->data_pool);
	mail->data_pool = pool_alloconly_create("mailshift source mail",
						MAILSHIFT_SOURCE_MAIL_DATA_POOL);
	return &mail->mail;
}

struct mailbox *mailshift_source_mailbox_alloc(struct mail_user *source_user,
					       const char *vname)
{
	struct mail_namespace *ns =
		mail_namespace_find(source_user->namespaces, vname);
	struct mailbox *box = mailbox_alloc(ns->list, vname,
					    MAILBOX_FLAG_READONLY);
	struct mailshift_source_box *sbox;

	if (strcmp(box->storage->name, IMAPC_STORAGE_NAME) != 0)
		return box;
	sbox = p_new(box->pool, struct mailshift_source_box, 1);
	sbox->module_ctx.super = box->v;
	box->v.mail_alloc = mailshift_source_mail_alloc;
	MODULE_CONTEXT_SET_SELF(box, mailshift_source_storage_module,
				&sbox->module_ctx);
	return box;
}

void mailshift_source_fetch_ahead(struct mailbox *box,
				  unsigned int min_pending)
{
	struct imapc_mailbox *mbox;

	if (strcmp(box->storage->name, IMAPC_STORAGE_NAME) != 0)
		return;
	mbox = IMAPC_MAILBOX(box);
	if (mbox->pending_fetch_request != NULL &&
	    array_count(&mbox->pending_fetch_request->mails) >= min_pending)
		imapc_mail_fetch_flush(mbox);
}

uint32_t mailshift_source_search_ask_ahead(struct mail_search_context *search,
					   const ARRAY_TYPE(seq_range) *uids,
					   unsigned int count,
					   unsigned int batch)
{
	struct mailbox *box = search->transaction->box;
	const struct seq_range *range;
	uint32_t seq, seq1, seq2, first_seq = 0;
	unsigned int asked = 0;

	if (strcmp(box->storage->name, IMAPC_STORAGE_NAME) != 0)
		return 0;
	i_assert(array_count(&search->mails) == 0);
	array_foreach(uids, range) {
		mailbox_get_seq_range(box, range->seq1, range->seq2,
				      &seq1, &seq2);
		for (seq = seq1; seq1 != 0 && seq <= seq2 && asked < count;
		     seq++) {
			struct mail *mail = mail_alloc(search->transaction,
						       search->wanted_fields,
						       search->wanted_headers);

			/* as the search allocates its own: it then takes
			   this mail for this sequence as it is */
			((struct mail_private *)mail)->search_mail = TRUE;
			mail_set_seq(mail, seq);
			index_mail_update_access_parts_pre(mail);
			(void)mail_prefetch(mail);
			array_push_back(&search->mails, &mail);
			if (first_seq == 0)
				first_seq = seq;
			if (++asked % batch == 0)
				imapc_mail_fetch_flush(IMAPC_MAILBOX(box));
		}
	}
	imapc_mail_fetch_flush(IMAPC_MAILBOX(box));
	return first_seq;
}

bool mailshift_source_mail_arrived(struct mail *mail)
{
	struct imapc_mail *imail;

	if (strcmp(mail->box->storage->name, IMAPC_STORAGE_NAME) != 0)
		return TRUE;
	imail = IMAPC_MAIL(mail);
	return imail->fetch_count == 0;
}

bool mailshift_source_mail_here(struct mail *mail, bool with_body)
{
	struct imapc_mail *imail;

	/* only imapc's mails are known to be read without a wait */
	if (strcmp(mail->box->storage->name, IMAPC_STORAGE_NAME) != 0)
		return FALSE;
	imail = IMAPC_MAIL(mail);
	/* whatever a reply left out, imapc would ask for again and wait */
	return imail->fetch_count == 0 && !imail->fetch_failed &&
		!mail->expunged &&
		imail->imail.data.received_date != (time_t)-1 &&
		(!with_body || imail->imail.data.stream != NULL);
}

struct mail *
mailshift_source_search_prefetched(struct mail_search_context *search)
{
	/* with none left unreturned, the first is the one returned last
	   and the next would be asked for only now */
	if (search->unused_mail_idx == 0)
		return NULL;
	return mailshift_source_search_next_mail(search);
}

struct mail *mailshift_source_search_next_mail(struct mail_search_context *search)
{
	struct mail *const *mails;
	unsigned int count;

	/* the search returns the first of its mails next (it rotates the
	   one it returned to the end) */
	mails = array_get(&search->mails, &count);
	return count > 0 ? mails[0] : NULL;
}

static failure_callback_t *mailshift_orig_error_handler;
static char mailshift_last_logged_error[512];

static void ATTR_FORMAT(2, 0)
mailshift_capture_error_handler(const struct failure_context *ctx,
				const char *format, va_list args)
{
	va_list copy;

	if (ctx->type == LOG_TYPE_ERROR) {
		va_copy(copy, args);
		if (vsnprintf(mailshift_last_logged_error,
			      sizeof(mailshift_last_logged_error), format,
			      copy) < 0)
			mailshift_last_logged_error[0] = '\0';
		va_end(copy);
	}
	mailshift_orig_error_handler(ctx, format, args);
}

void mailshift_source_capture_errors(bool enable)
{
	failure_callback_t *fatal, *error, *info, *debug;

	mailshift_last_logged_error[0] = '\0';
	if (enable == (mailshift_orig_error_handler != NULL))
		return;
	if (enable) {
		i_get_failure_handlers(&fatal, &error, &info, &debug);
		mailshift_orig_error_handler = error;
		i_set_error_handler(mailshift_capture_error_handler);
	} else {
		i_set_error_handler(mailshift_orig_error_handler);
		mailshift_orig_error_handler = NULL;
	}
}

/* What the old server's (or imapc's) error texts mean, and for those no
   retry can fix, which setting fixes them */
static const struct {
	const char *needle;
	enum mailshift_source_error class;
	const char *fix;
} mailshift_source_errors[] = {
	{ "AUTHENTICATIONFAILED", MAILSHIFT_SOURCE_ERR_AUTH, NULL },
	{ "Authentication failed", MAILSHIFT_SOURCE_ERR_AUTH, NULL },
	{ "AUTHORIZATIONFAILED", MAILSHIFT_SOURCE_ERR_AUTH, NULL },
	{ "SSL certificate", MAILSHIFT_SOURCE_ERR_CONFIG,
	  "give mailshift_source_ca_file the CA that signed the old "
	  "server's certificate" },
	{ "certificate verify", MAILSHIFT_SOURCE_ERR_CONFIG,
	  "give mailshift_source_ca_file the CA that signed the old "
	  "server's certificate" },
	{ "Received invalid SSL certificate", MAILSHIFT_SOURCE_ERR_CONFIG,
	  "give mailshift_source_ca_file the CA that signed the old "
	  "server's certificate" },
	{ "SSL handshake", MAILSHIFT_SOURCE_ERR_CONFIG,
	  "check mailshift_source_tls against what the old server's port "
	  "speaks" },
	/* TLS to a port that speaks plain IMAP ("SSL_connect() failed:
	   ...", which "connect(" below would take for an unreachable server
	   and retry) */
	{ "wrong version number", MAILSHIFT_SOURCE_ERR_CONFIG,
	  "this port speaks plain IMAP: set mailshift_source_tls = starttls "
	  "(or no), or mailshift_source_port to the old server's imaps "
	  "port" },
	{ "Requested STARTTLS, but server doesn't support it",
	  MAILSHIFT_SOURCE_ERR_CONFIG,
	  "the old server offers no STARTTLS here: set mailshift_source_tls "
	  "= imaps with its imaps port, or = no on a trusted network" },
	/* a POP3 server's greeting where IMAP's was expected */
	{ "Invalid command tag: +OK", MAILSHIFT_SOURCE_ERR_CONFIG,
	  "this port speaks POP3, not IMAP: set mailshift_source_port to the "
	  "old server's IMAP port (or its imaps port with mailshift_source_tls "
	  "= imaps)" },
	{ "Connection refused", MAILSHIFT_SOURCE_ERR_UNREACHABLE, NULL },
	{ "timed out", MAILSHIFT_SOURCE_ERR_UNREACHABLE, NULL },
	{ "Disconnected", MAILSHIFT_SOURCE_ERR_UNREACHABLE, NULL },
	{ "No route to host", MAILSHIFT_SOURCE_ERR_UNREACHABLE, NULL },
	{ "Connection reset", MAILSHIFT_SOURCE_ERR_UNREACHABLE, NULL },
	{ "connect(", MAILSHIFT_SOURCE_ERR_UNREACHABLE, NULL },
	{ "lookup(", MAILSHIFT_SOURCE_ERR_UNREACHABLE, NULL },
};

static int mailshift_source_error_find(const char *error)
{
	for (unsigned int i = 0; i < N_ELEMENTS(mailshift_source_errors); i++) {
		if (strstr(error, mailshift_source_errors[i].needle) != NULL)
			return (int)i;
	}
	return -1;
}

const char *mailshift_source_explain_error(const char *error)
{
	int i;

	if (mailshift_last_logged_error[0] != '\0' &&
	    strstr(error, "Internal error occurred") != NULL)
		error = t_strdup(mailshift_last_logged_error);
	i = mailshift_source_error_find(error);
	if (i < 0 || mailshift_source_errors[i].fix == NULL)
		return error;
	return t_strdup_printf("%s (to fix: %s)", error,
			       mailshift_source_errors[i].fix);
}

unsigned int mailshift_source_asked_wait_secs(const char *error)
{
	static const char needle[] = "Suggested Backoff Time: ";
	const char *p = strstr(error, needle);
	unsigned long long msecs;
	const char *end;

	if (p == NULL ||
	    str_parse_ullong(p + strlen(needle), &msecs, &end) < 0 ||
	    strncmp(end, " millisecond", 12) != 0)
		return 0;
	/* a day's wait is no wait: the pass retries within minutes */
	return (unsigned int)I_MIN((msecs + 999) / 1000,
				   MAILSHIFT_SOURCE_MAX_ASKED_WAIT_SECS);
}

enum mailshift_source_error
mailshift_source_classify_error(const char *error)
{
	int i = mailshift_source_error_find(error);

	return i < 0 ? MAILSHIFT_SOURCE_ERR_TEMP :
		mailshift_source_errors[i].class;
}

int mailshift_source_error_exit_code(enum mailshift_source_error class)
{
	switch (class) {
	case MAILSHIFT_SOURCE_OK:
		return 0;
	case MAILSHIFT_SOURCE_ERR_AUTH:
		return EX_NOPERM;
	case MAILSHIFT_SOURCE_ERR_CONFIG:
		return EX_CONFIG;
	case MAILSHIFT_SOURCE_ERR_UNREACHABLE:
		return EX_UNAVAILABLE;
	case MAILSHIFT_SOURCE_ERR_TEMP:
		break;
	}
	return EX_TEMPFAIL;
}
