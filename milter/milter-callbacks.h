#ifndef MS_MILTER_CALLBACKS_H
#define MS_MILTER_CALLBACKS_H

/* milter-callbacks - the libmilter callbacks: decide per message whether
   this host signs it, enforce the selector rule, move the bytes into
   dkim-sign, and add the signatures at end of message. */

#include <libmilter/mfapi.h>

#include "milter-config.h"

/* The filter description for smfi_register(); the callbacks read
   config, which must stay valid until smfi_main() returns. */
struct smfiDesc *milter_callbacks(const struct milter_config *config);

#endif
