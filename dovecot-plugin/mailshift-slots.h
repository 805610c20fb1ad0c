#ifndef MAILSHIFT_SLOTS_H
#define MAILSHIFT_SLOTS_H

/* A cap on concurrent connections to one old server, shared by every
   process on this host (doveadm -A workers, login-triggered passes):
   slot N is an flock()ed file <state_dir>/slots/<host>.N.  The kernel
   drops the lock when a process dies, so a killed pass frees its slot. */

/* Take a free slot out of max for host, waiting (and logging once) while
   all are busy.  Returns 0 and *fd_r, or -1 with error_r. */
int mailshift_slot_acquire(const char *state_dir, const char *host,
			   unsigned int max, int *fd_r, const char **error_r);
/* The same without waiting: returns 1 and *fd_r, 0 when all are busy,
   or -1 with error_r. */
int mailshift_slot_try_acquire(const char *state_dir, const char *host,
			       unsigned int max, int *fd_r,
			       const char **error_r);
/* Give the slot back; NULL-tolerant (fd -1). */
void mailshift_slot_release(int *fd);

#endif
