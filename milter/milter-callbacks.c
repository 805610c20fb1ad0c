/* milter-callbacks - per-connection and per-message milter logic.

   Which mail is signed: the client is in internal_networks (local
   submission through sendmail(1) comes as 127.0.0.1), or the MAIL
   command came with {auth_authen}; and the From: domain is a configured
   domain.  Any other mail is accepted untouched at MAIL time, so inbound
   mail costs one callback.  Both come from whoever connects to our
   socket: they are only as true as the socket is reserved for Postfix
   (milter.c, the socket_* settings).  An MTA that gives no client
   address does not make mail internal.

   Enforcement: on mail this host originates, a DKIM-Signature whose d= is
   a configured domain and whose s= is not one of this host's selectors
   for it is removed (wrong_selector = resign) or the message is refused
   with 550 (wrong_selector = reject).

   Uncertain means tempfail: a message that must be signed but cannot be
   (no usable key, header limits exceeded, a DNS key mismatch with
   dns_check = tempfail, a signing error) gets 451 and stays with the
   client; it is never sent unsigned.  So does every message this host
   originates whose From: cannot be attributed to one domain (none or
   several From: fields, one that mail-address.c cannot read, mailboxes
   of different domains), whatever the domains: a receiver may read such
   a From: as one of ours.

   libmilter runs one connection's callbacks in order but possibly on
   different threads; everything per connection lives in smfi_setpriv()
   state, the configuration is read-only, and only milter-dns.c's cache
   is shared (with its own lock). */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../shared/ms-alloc.h"
#include "../shared/ms-log.h"
#include "dkim-sign.h"
#include "dkim-tags.h"
#include "mail-address.h"
#include "milter-callbacks.h"
#include "milter-dns.h"

#define MAX_FOREIGN_SIGNATURES 64

static const struct milter_config *config;

struct message {
	struct dkim_msg *dkim;
	char *from_domain;		/* of the first From: field */
	const char *from_error;		/* why it has none (static text) */
	char *from_shown;		/* then: the field, log-safe */
	unsigned int from_count;
	unsigned int dkim_sig_count;	/* DKIM-Signature fields seen */
	/* 1-based indexes (among DKIM-Signature fields) of the foreign ones */
	unsigned int foreign[MAX_FOREIGN_SIGNATURES];
	unsigned int foreign_count;
	bool foreign_overflow;		/* more than MAX_FOREIGN_SIGNATURES */
	char *foreign_desc;		/* "d=... s=..." of the first one */
	const char *header_error;	/* set when a header limit was hit */
	const struct milter_domain *domain;	/* set at EOH if we sign */
};

struct connection {
	bool internal;
	struct message *msg;
};

static void message_free(struct message **msgp)
{
	struct message *msg = *msgp;

	if (msg == NULL)
		return;
	milter_dkim_msg_free(&msg->dkim);
	free(msg->from_domain);
	free(msg->from_shown);
	free(msg->foreign_desc);
	free(msg);
	*msgp = NULL;
}

static const char *queue_id(SMFICTX *ctx)
{
	const char *id = smfi_getsymval(ctx, "i");

	return id == NULL ? "NOQUEUE" : id;
}

static sfsistat tempfail(SMFICTX *ctx, const char *reason)
{
	smfi_setreply(ctx, "451", "4.7.0", (char *)reason);
	return SMFIS_TEMPFAIL;
}

/* Appends at most max bytes of untrusted text for a log line or an SMTP
   reply: printable ASCII and space only, '%' (special to libmilter's
   reply text) and everything else shown as '?'. */
static void append_sanitized(struct strbuf *out, const char *text,
			     size_t len, size_t max)
{
	size_t i;

	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)text[i];

		milter_strbuf_append_c(out, c >= 0x20 && c < 0x7f && c != '%' ?
				       (char)c : '?');
	}
	if (len > max)
		milter_strbuf_append_str(out, "...");
}

/* Notes a DKIM-Signature whose d= is ours but whose s= is not. */
static void check_signature(struct message *msg, const char *value)
{
	const char *d, *s;
	size_t d_len, s_len;
	char *dname, *sname;
	const struct milter_domain *domain;

	msg->dkim_sig_count++;
	if (milter_dkim_tags_find(value, strlen(value), "d", &d, &d_len) != 1 ||
	    milter_dkim_tags_find(value, strlen(value), "s", &s, &s_len) != 1)
		return;	/* cannot verify anyway; not ours to judge */
	dname = ms_xstrndup(d, d_len);
	sname = ms_xstrndup(s, s_len);
	domain = milter_config_domain(config, dname);
	if (domain != NULL && milter_domain_selector(domain, sname) == NULL) {
		/* One more than we can remember is enough to refuse. */
		if (msg->foreign_count == MAX_FOREIGN_SIGNATURES) {
			msg->foreign_overflow = true;
			goto out;
		}
		msg->foreign[msg->foreign_count++] = msg->dkim_sig_count;
		if (msg->foreign_desc == NULL) {
			struct strbuf desc = { 0 };

			/* s= comes from the message: it goes into log lines
			   and the reply text, so only safe bytes. */
			milter_strbuf_printf(&desc, "d=%s s=", domain->name);
			append_sanitized(&desc, sname, s_len, 64);
			msg->foreign_desc =
				ms_xstrdup(milter_strbuf_str(&desc));
			milter_strbuf_free(&desc);
		}
	}
out:
	free(dname);
	free(sname);
}

static sfsistat cb_connect(SMFICTX *ctx, char *hostname,
			   struct sockaddr *hostaddr)
{
	struct connection *conn = ms_xcalloc(1, sizeof(*conn));

	/* Postfix's non_smtpd_milters (sendmail(1)) present local
	   submission as client 127.0.0.1, inside the default
	   internal_networks.  No address (a client over a UNIX socket,
	   or a milter client that does not say) is not internal: signing
	   is what must be earned. */
	conn->internal = hostaddr != NULL &&
		milter_config_is_internal(config, hostaddr);
	smfi_setpriv(ctx, conn);
	return SMFIS_CONTINUE;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct connection *conn = smfi_getpriv(ctx);
	const char *auth = smfi_getsymval(ctx, "{auth_authen}");

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	message_free(&conn->msg);
	if (!conn->internal && (auth == NULL || *auth == '\0'))
		return SMFIS_ACCEPT;	/* inbound: never signed */
	conn->msg = ms_xcalloc(1, sizeof(*conn->msg));
	conn->msg->dkim = milter_dkim_msg_new();
	return SMFIS_CONTINUE;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct connection *conn = smfi_getpriv(ctx);
	struct message *msg = conn == NULL ? NULL : conn->msg;

	if (msg == NULL)
		return SMFIS_CONTINUE;
	if (strcasecmp(name, "From") == 0) {
		if (msg->from_count++ == 0 &&
		    milter_mail_from_domain(value, &msg->from_domain,
					    &msg->from_error) < 0) {
			struct strbuf text = { 0 };

			/* it goes into a log line: safe bytes only */
			append_sanitized(&text, value, strlen(value), 200);
			msg->from_shown = ms_xstrdup(milter_strbuf_str(&text));
			milter_strbuf_free(&text);
		}
	} else if (strcasecmp(name, "DKIM-Signature") == 0) {
		check_signature(msg, value);
	}
	if (msg->header_error == NULL &&
	    milter_dkim_msg_header(msg->dkim, name, value,
				   &msg->header_error) < 0)
		ms_warning("queue_id=%s: %s", queue_id(ctx),
			   msg->header_error);
	return SMFIS_CONTINUE;
}

static sfsistat reject_foreign(SMFICTX *ctx, const struct message *msg)
{
	struct strbuf text = { 0 };

	ms_error("queue_id=%s: rejected: DKIM-Signature %s is not this "
		 "host's selector (wrong_selector = reject)", queue_id(ctx),
		 msg->foreign_desc);
	milter_strbuf_printf(&text, "message carries a DKIM signature %s, "
			     "which is not this host's selector; it would fail "
			     "verification after leaving here",
			     msg->foreign_desc);
	smfi_setreply(ctx, "550", "5.7.1", text.data);
	milter_strbuf_free(&text);
	return SMFIS_REJECT;
}

/* May this host sign for domain now?  Returns NULL or a tempfail text. */
static const char *domain_unusable(SMFICTX *ctx,
				   const struct milter_domain *domain)
{
	unsigned int i;
	time_t now = time(NULL);

	for (i = 0; i < domain->selector_count; i++) {
		struct milter_selector *sel = &domain->selectors[i];
		enum dns_key_state state;

		if (sel->key == NULL) {
			ms_error("queue_id=%s domain=%s selector=%s: no "
				 "usable key (see the start-up log): "
				 "tempfailed",
				 queue_id(ctx), domain->name, sel->name);
			return "DKIM signing key unavailable, try again later";
		}
		if (config->dns_check == MILTER_DNS_CHECK_OFF)
			continue;
		state = milter_dns_check(config, domain, sel, now);
		if (state != DNS_KEY_MATCH &&
		    config->dns_check == MILTER_DNS_CHECK_TEMPFAIL) {
			ms_error("queue_id=%s domain=%s selector=%s: DNS does "
				 "not publish our key: tempfailed "
				 "(dns_check = tempfail)", queue_id(ctx),
				 domain->name, sel->name);
			return "DKIM key not published in DNS, try again later";
		}
	}
	return NULL;
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
	struct connection *conn = smfi_getpriv(ctx);
	struct message *msg = conn == NULL ? NULL : conn->msg;
	const struct milter_domain *domain;
	const char *why;

	if (msg == NULL)
		return SMFIS_CONTINUE;
	if (msg->foreign_count > 0 &&
	    config->wrong_selector == MILTER_WRONG_SELECTOR_REJECT)
		return reject_foreign(ctx, msg);
	if (msg->foreign_overflow) {
		/* We could not remove them all: none may leave. */
		ms_error("queue_id=%s: more than %d DKIM-Signature fields "
			 "with a foreign selector: tempfailed", queue_id(ctx),
			 MAX_FOREIGN_SIGNATURES);
		return tempfail(ctx, "too many DKIM signatures");
	}
	/* Before the domain is looked at: a foreign first From: must not
	   let a second one of ours through unsigned. */
	if (msg->from_count != 1) {
		ms_error("queue_id=%s: message has %u From: fields; cannot "
			 "tell which domain it speaks for: tempfailed",
			 queue_id(ctx), msg->from_count);
		return tempfail(ctx, msg->from_count == 0 ?
				"message has no From: field" :
				"message has more than one From: field");
	}
	if (msg->from_domain == NULL) {
		ms_error("queue_id=%s: From: %s: %s; cannot tell which "
			 "domain it speaks for: tempfailed", queue_id(ctx),
			 msg->from_shown, msg->from_error);
		return tempfail(ctx, "the From: field cannot be read");
	}
	domain = milter_config_domain(config, msg->from_domain);
	if (domain == NULL) {
		/* Not ours to sign; only a foreign signature to remove. */
		if (msg->foreign_count == 0) {
			message_free(&conn->msg);
			return SMFIS_ACCEPT;
		}
		return SMFIS_CONTINUE;
	}
	if (msg->header_error != NULL) {
		ms_error("queue_id=%s domain=%s: header too large to sign "
			 "(%s): tempfailed", queue_id(ctx), domain->name,
			 msg->header_error);
		return tempfail(ctx, "message header too large to sign");
	}
	why = domain_unusable(ctx, domain);
	if (why != NULL)
		return tempfail(ctx, why);
	msg->domain = domain;
	return SMFIS_CONTINUE;
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct connection *conn = smfi_getpriv(ctx);

	if (conn != NULL && conn->msg != NULL && conn->msg->domain != NULL)
		milter_dkim_msg_body(conn->msg->dkim, data, len);
	return SMFIS_CONTINUE;
}

static sfsistat remove_foreign(SMFICTX *ctx, struct message *msg)
{
	unsigned int i;

	/* From the highest index down, so earlier indexes stay valid. */
	for (i = msg->foreign_count; i > 0; i--) {
		int index = (int)msg->foreign[i - 1];

		if (smfi_chgheader(ctx, "DKIM-Signature", index, NULL) !=
		    MI_SUCCESS) {
			ms_error("queue_id=%s: cannot remove DKIM-Signature "
				 "%s: tempfailed", queue_id(ctx),
				 msg->foreign_desc);
			return tempfail(ctx, "cannot remove foreign DKIM "
					"signature");
		}
	}
	ms_info("queue_id=%s: removed %u DKIM-Signature(s) with a selector "
		"that is not this host's (first: %s)", queue_id(ctx),
		msg->foreign_count, msg->foreign_desc);
	return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	struct connection *conn = smfi_getpriv(ctx);
	struct message *msg = conn == NULL ? NULL : conn->msg;
	const struct milter_domain *domain;
	struct strbuf value = { 0 };
	const char *error;
	unsigned int i;
	time_t now = time(NULL);
	sfsistat ret = SMFIS_CONTINUE;

	if (msg == NULL)
		return SMFIS_CONTINUE;
	if (msg->foreign_count > 0 &&
	    (ret = remove_foreign(ctx, msg)) != SMFIS_CONTINUE)
		goto out;
	domain = msg->domain;
	if (domain == NULL)
		goto out;
	for (i = 0; i < domain->selector_count; i++) {
		const struct milter_selector *sel = &domain->selectors[i];

		milter_strbuf_truncate(&value);
		if (milter_dkim_msg_sign(msg->dkim, sel->key, sel->alg,
					 domain->name, sel->name, now, &value,
					 &error) < 0) {
			ms_error("queue_id=%s domain=%s selector=%s: %s: "
				 "tempfailed", queue_id(ctx), domain->name,
				 sel->name, error);
			ret = tempfail(ctx, "DKIM signing failed");
			goto out;
		}
		/* On top: a signature covers what is below it. */
		if (smfi_insheader(ctx, 0, "DKIM-Signature",
				   value.data) != MI_SUCCESS) {
			ms_error("queue_id=%s domain=%s: the MTA refused the "
				 "DKIM-Signature header: tempfailed",
				 queue_id(ctx), domain->name);
			ret = tempfail(ctx, "cannot add DKIM signature");
			goto out;
		}
	}
	for (i = 0; i < domain->selector_count; i++)
		ms_info("queue_id=%s domain=%s selector=%s algorithm=%s: "
			"signed", queue_id(ctx), domain->name,
			domain->selectors[i].name,
			milter_dkim_alg_name(domain->selectors[i].alg));
out:
	milter_strbuf_free(&value);
	message_free(&conn->msg);
	return ret;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	struct connection *conn = smfi_getpriv(ctx);

	if (conn != NULL)
		message_free(&conn->msg);
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	struct connection *conn = smfi_getpriv(ctx);

	if (conn != NULL) {
		message_free(&conn->msg);
		free(conn);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc description = {
	.xxfi_name = "mailshift-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = cb_connect,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
};

struct smfiDesc *milter_callbacks(const struct milter_config *cfg)
{
	config = cfg;
	return &description;
}
