#ifndef POLICYD_SERVER_H
#define POLICYD_SERVER_H

/* The listening sockets and the event loop that answers Postfix. */

#include "policyd-route.h"

/* Listens as pd->cfg says (exits with EX_CONFIG or EX_OSERR if it
   cannot) and answers until SIGTERM/SIGINT.  Returns an exit code. */
int policyd_server_run(struct policyd *pd);

#endif
