/* Copyright (c) mailshift authors */

/* A folder opening waits inside imapc for the old server's replies (its
   EXAMINE, then its flags), two round trips and more; so does a step
   whose message is still on its way, and a folder's end.  imapc runs an
   ioloop of its own for each wait.  The other folders' messages keep
   arriving meanwhile, but a pass blocked in the wait would save none of
   them: across a WAN it would stall at every folder.  So while the pass
   waits like that, each ioloop run meanwhile gets a short timeout that
   saves the other folders' messages that are wholly here
   (mailshift_folder_copy_step_here()): their copy asks the old server
   for nothing, so no wait is entered inside the wait, and the folder
   that waits is left alone. */

#include "lib.h"
#include "ioloop.h"
#include "time-util.h"
#include "mailshift-source.h"
#include "mailshift-copy-private.h"

/* how often a waiting ioloop looks for messages that are here, and how
   long it saves before it reads its input again */
#define MEANWHILE_INTERVAL_MSECS 1
#define MEANWHILE_MAX_USECS 5000

struct mailshift_copy_meanwhile {
	struct mailshift_folder_copy *const *lanes;
	unsigned int count, next;
	struct mail_user *source_user;
	/* the lane the pass waits in, which is not to be entered again */
	unsigned int waiting;
	/* the pass's own ioloop, in which the pass itself steps */
	struct ioloop *pass_ioloop;
	/* the one waiting ioloop that has the timeout */
	struct ioloop *armed_ioloop;
	struct timeout *to;
	bool saving;
};

static struct mailshift_copy_meanwhile *meanwhile;

/* Save what is here, one message per folder in turn, until no folder has
   one or MEANWHILE_MAX_USECS passed; then send what they have queued. */
static void meanwhile_save(struct mailshift_copy_meanwhile *mw)
{
	struct ioloop *waiting_ioloop = current_ioloop;
	struct timeval start;
	unsigned int l, idle = 0;

	/* only inside imapc's wait: the new server's storage may run an
	   ioloop of its own in the middle of its work (a save made then
	   would take that storage's locks again).  That ioloop stays armed,
	   without the timeout, until it is destroyed. */
	if (!mailshift_source_waiting_now(mw->source_user)) {
		timeout_remove(&mw->to);
		return;
	}
	mw->saving = TRUE;
	/* what the saves leave behind (the new server's storage closes its
	   files from a timeout) belongs to the pass's ioloop, as when the
	   pass saves, not to this one that imapc destroys after its wait */
	io_loop_set_current(mw->pass_ioloop);
	i_gettimeofday(&start);
	while (idle < mw->count) {
		if (mw->next != mw->waiting &&
		    mailshift_folder_copy_step_here(mw->lanes[mw->next]) > 0) {
			idle = 0;
			io_loop_time_refresh();
			if (timeval_diff_usecs(&ioloop_timeval, &start) >=
			    MEANWHILE_MAX_USECS)
				break;
		} else {
			idle++;
		}
		mw->next = (mw->next + 1) % mw->count;
	}
	/* now, not when the old server's next reply wakes imapc */
	for (l = 0; l < mw->count; l++) {
		if (l != mw->waiting)
			mailshift_folder_copy_send_queued(mw->lanes[l]);
	}
	io_loop_set_current(waiting_ioloop);
	mw->saving = FALSE;
}

/* An ioloop became the current one: one run while the pass waits (not
   one run by a save of ours, not the pass's own). */
static void meanwhile_ioloop_switched(struct ioloop *prev_ioloop ATTR_UNUSED)
{
	struct mailshift_copy_meanwhile *mw = meanwhile;

	if (mw == NULL || mw->saving || mw->armed_ioloop != NULL ||
	    current_ioloop == mw->pass_ioloop)
		return;
	mw->armed_ioloop = current_ioloop;
	mw->to = timeout_add_short(MEANWHILE_INTERVAL_MSECS,
				   meanwhile_save, mw);
}

static void meanwhile_ioloop_destroyed(struct ioloop *ioloop)
{
	struct mailshift_copy_meanwhile *mw = meanwhile;

	if (mw == NULL || ioloop != mw->armed_ioloop)
		return;
	timeout_remove(&mw->to);
	mw->armed_ioloop = NULL;
}

void mailshift_copy_meanwhile_begin(struct mailshift_folder_copy *const *lanes,
				    unsigned int count, unsigned int waiting)
{
	struct mailshift_copy_meanwhile *mw;

	i_assert(meanwhile == NULL);
	if (count == 0 || (count == 1 && waiting == 0))
		return;
	mw = i_new(struct mailshift_copy_meanwhile, 1);
	mw->lanes = lanes;
	mw->count = count;
	mw->source_user = lanes[0]->copy->params->source_user;
	mw->waiting = waiting;
	mw->pass_ioloop = current_ioloop;
	meanwhile = mw;
	io_loop_add_switch_callback(meanwhile_ioloop_switched);
	io_loop_add_destroy_callback(meanwhile_ioloop_destroyed);
}

void mailshift_copy_meanwhile_end(void)
{
	struct mailshift_copy_meanwhile *mw = meanwhile;

	if (mw == NULL)
		return;
	io_loop_remove_switch_callback(meanwhile_ioloop_switched);
	io_loop_remove_destroy_callback(meanwhile_ioloop_destroyed);
	/* (an ioloop made in the wait that outlives it saves no more) */
	timeout_remove(&mw->to);
	meanwhile = NULL;
	i_free(mw);
}
