#ifndef MAILSHIFT_DELIVER_PLUGIN_H
#define MAILSHIFT_DELIVER_PLUGIN_H

/* lib95_mailshift_deliver_plugin.so's entry points
   (mailshift-deliver-plugin.c), the only names it exports
   (mailshift-export.h). */

#include "mailshift-export.h"

struct module;

MAILSHIFT_EXPORT extern const char *mailshift_deliver_plugin_version;

MAILSHIFT_EXPORT void mailshift_deliver_plugin_init(struct module *module);
MAILSHIFT_EXPORT void mailshift_deliver_plugin_deinit(void);

#endif
