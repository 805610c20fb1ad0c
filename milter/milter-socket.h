#ifndef MS_MILTER_SOCKET_H
#define MS_MILTER_SOCKET_H

/* milter-socket - the listening socket, and who may connect to it.
   Whoever connects decides what is signed (the client address and
   {auth_authen} are what the client says), so a UNIX socket admits root
   and socket_group only, and an inet socket is the admin's explicit
   choice, warned about at every start. */

#include "milter-config.h"
#include "strbuf.h"

/* Checks the socket settings without creating anything (also for -n).
   Returns 0, or -1 with one line naming the setting and its fix in
   error_r. */
int milter_socket_check(const struct milter_config *config,
			struct strbuf *error_r);

/* Creates the listening socket through libmilter: a UNIX socket owned by
   root, group socket_group, mode socket_mode, in a directory created
   when missing (root's, socket_group may enter) and refused when others
   than root could write it.  Must run as root, before privileges are
   dropped, after milter_socket_check() succeeded.  Exits the program
   (log_fatal) when it cannot listen: nothing else is worth doing. */
void milter_socket_open(const struct milter_config *config);

#endif
