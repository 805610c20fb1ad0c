#ifndef POLICYD_ADMIN_H
#define POLICYD_ADMIN_H

/* The admin commands of mailshift-policyd (policyd-admin.c lists them). */

#include "policyd-config.h"

/* Runs the command argv[0] with its arguments.  Returns an exit code
   (<sysexits.h>). */
int policyd_admin_command(const struct policyd_config *cfg, int argc,
			  char **argv);

#endif
