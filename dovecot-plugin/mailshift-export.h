#ifndef MAILSHIFT_EXPORT_H
#define MAILSHIFT_EXPORT_H

/* Our code is built with -fvisibility=hidden (mk.common), so a plugin
   exports only what is marked with this: the names Dovecot's module
   loader looks up in it (lib/module-dir.c: <module>_version, _init and
   _deinit; it would also look for _preinit, _dependencies and
   _binary_dependency, which ours do not define).  Everything else stays
   inside its plugin.  Modules are loaded RTLD_GLOBAL, so an exported
   function could bind to a same-named one in another module: to the copy
   of mailshift-settings.c in another of our plugins when one process
   loads two (doveadm with the mail plugin in mail_plugins), or to a
   Dovecot or third-party symbol of that name. */
#define MAILSHIFT_EXPORT __attribute__((visibility("default")))

#endif
