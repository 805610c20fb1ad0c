#ifndef POLICYD_RECIPIENT_H
#define POLICYD_RECIPIENT_H

/* Who a recipient address is to us: the one rule by which a socketmap
   key, a policy request, a queued recipient and a logged one become the
   state store's user name. */

#include <stdbool.h>
#include <stddef.h>

#include "policyd-config.h"

struct policyd_recipient {
	char address[512];	/* lower case, extension removed */
	const char *domain;	/* into address; NULL if none */
	char user[512];		/* the state store's user name */
	bool local;		/* in local_domains */
};
/* Normalizes key[len] into rcpt.  Returns false if it is no address
   (empty, "*", no local part or domain, too long, a NUL byte). */
bool policyd_recipient_parse(const struct policyd_config *cfg,
			     const char *key, size_t len,
			     struct policyd_recipient *rcpt);

#endif
