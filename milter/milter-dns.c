/* milter-dns - compare a selector's TXT record with our public key.

   Uses libresolv's res_nquery() with a private resolver state, so threads
   do not share _res and a test (or an admin) can point the check at a
   given server with "resolver = 127.0.0.1:5353".  One lock guards the
   cache; it is not held during a lookup.  One thread per selector looks
   up at a time, the others use the last answer (or, before the first
   answer, wait for it). */

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/ms-log.h"
#include "dkim-tags.h"
#include "milter-dns.h"

#define RETRY_FAILED_LOOKUP_SECS 60

static pthread_mutex_t dns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dns_checked = PTHREAD_COND_INITIALIZER;

static int set_resolver(struct __res_state *res, const char *resolver,
			struct strbuf *error_r)
{
	char host[INET_ADDRSTRLEN + 1];
	const char *colon = strchr(resolver, ':');
	size_t len = colon == NULL ? strlen(resolver) :
		(size_t)(colon - resolver);
	long port = 53;
	struct in_addr addr;
	char *end;

	if (len >= sizeof(host))
		goto bad;
	memcpy(host, resolver, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, &addr) != 1)
		goto bad;
	if (colon != NULL) {
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port <= 0 || port > 65535)
			goto bad;
	}
	res->nscount = 1;
	res->nsaddr_list[0].sin_family = AF_INET;
	res->nsaddr_list[0].sin_addr = addr;
	res->nsaddr_list[0].sin_port = htons((unsigned short)port);
	return 0;
bad:
	milter_strbuf_printf(error_r, "resolver = %s is not "
			     "IPv4-ADDRESS[:PORT]", resolver);
	return -1;
}

/* Joins the character-strings of one TXT RDATA into out. */
static void txt_rdata(const unsigned char *rdata, size_t len,
		      struct strbuf *out)
{
	size_t pos = 0, n;

	while (pos < len) {
		n = rdata[pos++];
		if (n > len - pos)
			n = len - pos;
		milter_strbuf_append(out, rdata + pos, n);
		pos += n;
	}
}

int milter_dns_txt(const char *resolver, const char *name,
		   struct strbuf *txt_r, struct strbuf *error_r)
{
	struct __res_state res;
	unsigned char answer[8192];
	struct strbuf one = { 0 };
	ns_msg msg;
	ns_rr rr;
	int len, i, count, found = 0;

	memset(&res, 0, sizeof(res));
	if (res_ninit(&res) != 0) {
		milter_strbuf_append_str(error_r, "cannot initialise the "
					 "resolver (/etc/resolv.conf)");
		return -1;
	}
	res.options |= RES_USE_EDNS0;
	res.retrans = 2;
	res.retry = 2;
	if (resolver != NULL && set_resolver(&res, resolver, error_r) < 0) {
		res_nclose(&res);
		return -1;
	}
	len = res_nquery(&res, name, ns_c_in, ns_t_txt, answer,
			 sizeof(answer));
	if (len < 0) {
		int herr = res.res_h_errno;

		res_nclose(&res);
		if (herr == HOST_NOT_FOUND || herr == NO_DATA)
			return 0;
		milter_strbuf_printf(error_r, "TXT lookup of %s failed: %s",
				     name, herr == TRY_AGAIN ? "server failure "
				     "or timeout" : hstrerror(herr));
		return -1;
	}
	res_nclose(&res);
	if (ns_initparse(answer, len, &msg) < 0) {
		milter_strbuf_printf(error_r, "TXT answer for %s is malformed",
				     name);
		return -1;
	}
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count && !found; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			break;
		if (ns_rr_type(rr) != ns_t_txt)
			continue;
		milter_strbuf_truncate(&one);
		txt_rdata(ns_rr_rdata(rr), ns_rr_rdlen(rr), &one);
		/* Other TXT records may share the name; take the DKIM one. */
		if (strstr(milter_strbuf_str(&one), "p=") != NULL) {
			milter_strbuf_append(txt_r, one.data, one.len);
			found = 1;
		}
	}
	milter_strbuf_free(&one);
	return found;
}

/* Compares the p= of record with public_b64, ignoring whitespace. */
static bool record_has_key(const char *record, const char *public_b64)
{
	const char *p, *value;
	size_t len, i;

	if (milter_dkim_tags_find(record, strlen(record), "p", &value,
				  &len) != 1)
		return false;
	p = public_b64;
	for (i = 0; i < len; i++) {
		char c = value[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (*p++ != c)
			return false;
	}
	return *p == '\0';
}

static enum dns_key_state check_now(const struct milter_config *config,
				    const struct milter_domain *domain,
				    const struct milter_selector *sel)
{
	struct strbuf name = { 0 }, txt = { 0 }, error = { 0 };
	enum dns_key_state state;
	int ret;

	milter_strbuf_printf(&name, "%s._domainkey.%s", sel->name,
			     domain->name);
	ret = milter_dns_txt(config->resolver, milter_strbuf_str(&name), &txt,
			     &error);
	if (ret < 0) {
		ms_warning("domain=%s selector=%s: cannot check the DKIM key "
			   "in DNS: %s", domain->name, sel->name,
			   milter_strbuf_str(&error));
		state = DNS_KEY_LOOKUP_FAILED;
	} else if (ret == 0) {
		ms_error("domain=%s selector=%s: DNS publishes no DKIM key at "
			 "%s: receivers cannot verify this host's signatures; "
			 "publish the record printed by 'mailshift-milter "
			 "genkey'",
			 domain->name, sel->name, milter_strbuf_str(&name));
		state = DNS_KEY_MISMATCH;
	} else if (!record_has_key(milter_strbuf_str(&txt), sel->public_b64)) {
		ms_error("domain=%s selector=%s: the DKIM key in DNS at %s is "
			 "NOT the public key of %s: receivers will reject "
			 "this host's signatures; publish the right p= or "
			 "fix the key file", domain->name, sel->name,
			 milter_strbuf_str(&name), sel->key_path);
		state = DNS_KEY_MISMATCH;
	} else {
		state = DNS_KEY_MATCH;
	}
	milter_strbuf_free(&name);
	milter_strbuf_free(&txt);
	milter_strbuf_free(&error);
	return state;
}

enum dns_key_state milter_dns_check(const struct milter_config *config,
				    const struct milter_domain *domain,
				    struct milter_selector *sel, time_t now)
{
	enum dns_key_state state;
	time_t max_age;
	bool stale;

	pthread_mutex_lock(&dns_lock);
	max_age = sel->dns_state == DNS_KEY_LOOKUP_FAILED ?
		RETRY_FAILED_LOOKUP_SECS : config->dns_check_interval;
	stale = sel->dns_state == DNS_KEY_UNCHECKED ||
		now - sel->dns_checked_at >= max_age ||
		now < sel->dns_checked_at;
	if (stale && !sel->dns_checking) {
		/* This thread looks up; the lock is not held meanwhile, so
		   a slow resolver delays only this message (and those that
		   have no answer at all yet). */
		sel->dns_checking = true;
		pthread_mutex_unlock(&dns_lock);
		state = check_now(config, domain, sel);
		pthread_mutex_lock(&dns_lock);
		sel->dns_state = state;
		sel->dns_checked_at = now;
		sel->dns_checking = false;
		pthread_cond_broadcast(&dns_checked);
	}
	/* The first lookup of a selector is awaited; a later one is not:
	   meanwhile the last answer stands. */
	while (sel->dns_state == DNS_KEY_UNCHECKED && sel->dns_checking)
		pthread_cond_wait(&dns_checked, &dns_lock);
	state = sel->dns_state;
	pthread_mutex_unlock(&dns_lock);
	return state;
}
