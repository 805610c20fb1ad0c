#ifndef MS_MILTER_DNS_H
#define MS_MILTER_DNS_H

/* milter-dns - does DNS publish the public key of our private key?

   "DKIM keys left behind" is the number-one migration failure: a host
   signing with a selector whose TXT record is missing or holds another
   key sends mail that receivers reject.  This check finds that before
   the first message of a domain is signed and again every
   dns_check_interval seconds (cached, shared by all threads). */

#include <stddef.h>
#include <time.h>

#include "milter-config.h"
#include "strbuf.h"

enum dns_key_state {
	DNS_KEY_UNCHECKED = 0,
	DNS_KEY_MATCH,		/* p= is our public key */
	DNS_KEY_MISMATCH,	/* no record, no p=, or another key */
	DNS_KEY_LOOKUP_FAILED,	/* SERVFAIL, timeout: we do not know */
};

/* Looks up the TXT record(s) at name.  Returns 1 with the DKIM record's
   text (strings of a record joined) in txt_r, 0 when the name or a DKIM
   TXT record does not exist, -1 with error_r set when the lookup failed.
   resolver is NULL (system resolver) or "ADDRESS[:PORT]" (IPv4). */
int milter_dns_txt(const char *resolver, const char *name,
		   struct strbuf *txt_r, struct strbuf *error_r);

/* The cached state of sel's key in DNS, checked again when the cache is
   older than config->dns_check_interval (60 s after a failed lookup) by
   the thread that notices; other threads meanwhile get the last answer.
   A mismatch or failure is logged loudly each time it is checked. */
enum dns_key_state milter_dns_check(const struct milter_config *config,
				    const struct milter_domain *domain,
				    struct milter_selector *sel, time_t now);

#endif
