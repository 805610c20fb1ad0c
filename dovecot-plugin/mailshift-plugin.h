#ifndef MAILSHIFT_PLUGIN_H
#define MAILSHIFT_PLUGIN_H

/* lib20_mailshift_plugin.so's entry points (mailshift-plugin.c), the
   only names it exports (mailshift-export.h). */

#include "mailshift-export.h"

struct module;

MAILSHIFT_EXPORT extern const char *mailshift_plugin_version;

MAILSHIFT_EXPORT void mailshift_plugin_init(struct module *module);
MAILSHIFT_EXPORT void mailshift_plugin_deinit(void);

#endif
