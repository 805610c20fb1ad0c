/* mail-address - the signing domain of a From: field (RFC 5322 3.4, with
   RFC 6854's groups and the obsolete routes of 4.4).

   A small lexer turns the value into words (atoms and quoted strings),
   domain literals and specials, skipping whitespace and comments; a
   parser walks the address list on top of it.  Whatever does not read as
   an address list is an error, not a best guess: the domain decides
   whether mail is signed, and a receiver that resolves an ambiguity the
   other way would see one of our domains on unsigned mail, or on mail
   signed for a domain it did not come from. */

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/ms-alloc.h"
#include "mail-address.h"
#include "strbuf.h"

enum token_type {
	TOKEN_END,
	TOKEN_ATOM,
	TOKEN_QUOTED,
	TOKEN_LITERAL,		/* [domain literal] */
	TOKEN_SPECIAL,		/* one of < > : ; @ , */
	TOKEN_ERROR,
};

struct token {
	enum token_type type;
	const char *start;
	size_t len;
};

struct from_parser {
	const char *p;
	const char *error;
	char *domain;		/* of the mailboxes so far */
	unsigned int mailboxes;
};

#define ATOM_STOP "()<>[]:;@\\,\" \t\r\n"

static bool is_special(const struct token *t, char c)
{
	return t->type == TOKEN_SPECIAL && t->start[0] == c;
}

static enum token_type lex_error(struct from_parser *fp, const char *error)
{
	fp->error = error;
	return TOKEN_ERROR;
}

/* Skips whitespace and (nested) comments. */
static bool skip_cfws(struct from_parser *fp)
{
	unsigned int depth;

	for (;;) {
		while (*fp->p == ' ' || *fp->p == '\t' || *fp->p == '\r' ||
		       *fp->p == '\n')
			fp->p++;
		if (*fp->p != '(')
			return true;
		for (depth = 0;; fp->p++) {
			if (*fp->p == '\0') {
				fp->error = "unterminated comment";
				return false;
			}
			if (*fp->p == '\\' && fp->p[1] != '\0')
				fp->p++;
			else if (*fp->p == '(')
				depth++;
			else if (*fp->p == ')' && --depth == 0)
				break;
		}
		fp->p++;
	}
}

/* Scans a quoted string or a domain literal from its opening byte up to
   and including the closing one. */
static bool scan_delimited(struct from_parser *fp, char close,
			   const char *unterminated)
{
	for (fp->p++; *fp->p != close; fp->p++) {
		if (*fp->p == '\0' || (*fp->p == '\\' && fp->p[1] == '\0') ||
		    (close == ']' && *fp->p == '[')) {
			fp->error = unterminated;
			return false;
		}
		if (*fp->p == '\\')
			fp->p++;
	}
	fp->p++;
	return true;
}

static enum token_type next_token(struct from_parser *fp, struct token *t)
{
	if (!skip_cfws(fp))
		return t->type = TOKEN_ERROR;
	t->start = fp->p;
	t->len = 1;
	switch (*fp->p) {
	case '\0':
		return t->type = TOKEN_END;
	case '"':
		if (!scan_delimited(fp, '"', "unterminated quoted string"))
			return t->type = TOKEN_ERROR;
		t->len = (size_t)(fp->p - t->start);
		return t->type = TOKEN_QUOTED;
	case '[':
		if (!scan_delimited(fp, ']', "unterminated domain literal"))
			return t->type = TOKEN_ERROR;
		t->len = (size_t)(fp->p - t->start);
		return t->type = TOKEN_LITERAL;
	case ')':
		return t->type = lex_error(fp, "')' without '('");
	case ']':
		return t->type = lex_error(fp, "']' without '['");
	case '\\':
		return t->type = lex_error(fp, "backslash outside a quoted "
					   "string");
	case '<': case '>': case ':': case ';': case '@': case ',':
		fp->p++;
		return t->type = TOKEN_SPECIAL;
	default:
		t->len = strcspn(fp->p, ATOM_STOP);
		fp->p += t->len;
		return t->type = TOKEN_ATOM;
	}
}

static bool parse_fail(struct from_parser *fp, const char *error)
{
	fp->error = error;
	return false;
}

/* Records one mailbox's domain token (an atom or a domain literal). */
static bool add_mailbox(struct from_parser *fp, const struct token *domain)
{
	size_t len = domain->len, i;
	char *name;

	if (domain->type != TOKEN_ATOM && domain->type != TOKEN_LITERAL)
		return parse_fail(fp, "a mailbox without @domain");
	while (len > 0 && domain->start[len - 1] == '.')
		len--;
	if (len == 0)
		return parse_fail(fp, "a mailbox without @domain");
	name = ms_xstrndup(domain->start, len);
	for (i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	if (fp->domain == NULL) {
		fp->domain = name;
	} else if (strcmp(fp->domain, name) != 0) {
		free(name);
		return parse_fail(fp, "mailboxes of different domains");
	} else {
		free(name);
	}
	fp->mailboxes++;
	return true;
}

/* After '<': [route ':'] local-part '@' domain '>'. */
static bool parse_angle(struct from_parser *fp)
{
	struct token t, domain;
	unsigned int words = 0;

	if (next_token(fp, &t) == TOKEN_ERROR)
		return false;
	if (is_special(&t, '@')) {
		/* obs-route: "@a,@b:" is skipped, the address follows */
		while (!is_special(&t, ':')) {
			if (next_token(fp, &t) == TOKEN_ERROR)
				return false;
			if (t.type == TOKEN_END)
				return parse_fail(fp, "unterminated angle "
						  "address");
		}
		if (next_token(fp, &t) == TOKEN_ERROR)
			return false;
	}
	for (; t.type == TOKEN_ATOM || t.type == TOKEN_QUOTED; words++) {
		if (next_token(fp, &t) == TOKEN_ERROR)
			return false;
	}
	if (t.type == TOKEN_END)
		return parse_fail(fp, "unterminated angle address");
	if (words == 0 || !is_special(&t, '@'))
		return parse_fail(fp, "a mailbox without @domain");
	if (next_token(fp, &domain) == TOKEN_ERROR ||
	    next_token(fp, &t) == TOKEN_ERROR)
		return false;
	if (domain.type == TOKEN_END || t.type == TOKEN_END)
		return parse_fail(fp, "unterminated angle address");
	if (!is_special(&t, '>'))
		return parse_fail(fp, "text after an address");
	return add_mailbox(fp, &domain);
}

/* One element of the list: a mailbox, an empty element, or the display
   name of a group.  Returns the token that ended it (END, ',', ';' or
   ':'), or false with fp->error set. */
static bool parse_element(struct from_parser *fp, bool in_group,
			  struct token *end)
{
	struct token t, domain = { TOKEN_END, NULL, 0 };
	unsigned int words = 0;
	bool at = false;
	/* Why the words so far are not an addr-spec; forgotten if a '<'
	   shows them to be a display name. */
	const char *bad = NULL;

	for (;;) {
		if (next_token(fp, &t) == TOKEN_ERROR)
			return false;
		if (t.type == TOKEN_END || is_special(&t, ',') ||
		    is_special(&t, ';'))
			break;
		if (is_special(&t, '<')) {
			if (!parse_angle(fp) || next_token(fp, &t) ==
			    TOKEN_ERROR)
				return false;
			if (t.type != TOKEN_END && !is_special(&t, ',') &&
			    !is_special(&t, ';'))
				return parse_fail(fp, "text after an address");
			if (is_special(&t, ';') && !in_group)
				return parse_fail(fp, "';' outside a group");
			*end = t;
			return true;
		}
		if (is_special(&t, ':')) {
			if (in_group || at)
				return parse_fail(fp, "unexpected ':'");
			*end = t;
			return true;
		}
		if (is_special(&t, '>'))
			return parse_fail(fp, "'>' without '<'");
		if (domain.type != TOKEN_END) {
			bad = "text after an address";
		} else if (is_special(&t, '@')) {
			if (at || words == 0)
				bad = "a mailbox without a local part";
			at = true;
		} else if (at) {
			domain = t;
		} else if (t.type == TOKEN_LITERAL) {
			bad = "a domain literal without a local part";
		} else {
			words++;
		}
	}
	if (is_special(&t, ';') && !in_group)
		return parse_fail(fp, "';' outside a group");
	*end = t;
	if (words == 0 && !at && bad == NULL)
		return true;		/* an empty element: "a, , b" */
	if (bad != NULL)
		return parse_fail(fp, bad);
	if (!at)
		return parse_fail(fp, "a mailbox without @domain");
	return add_mailbox(fp, &domain);
}

int milter_mail_from_domain(const char *value, char **domain_r,
			    const char **error_r)
{
	struct from_parser fp = { .p = value };
	struct token end;
	bool in_group = false;

	*domain_r = NULL;
	do {
		if (!parse_element(&fp, in_group, &end))
			goto fail;
		if (is_special(&end, ':'))
			in_group = true;
		else if (is_special(&end, ';'))
			in_group = false;
	} while (end.type != TOKEN_END);
	if (in_group) {
		fp.error = "a group without its closing ';'";
		goto fail;
	}
	if (fp.mailboxes == 0) {
		fp.error = "no address";
		goto fail;
	}
	*domain_r = fp.domain;
	return 0;
fail:
	free(fp.domain);
	*error_r = fp.error;
	return -1;
}
