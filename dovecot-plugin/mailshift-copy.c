/* Copyright (c) mailshift authors */

/* One pass over a user's mailbox: the plan (mailshift-copy-plan.c), every
   old folder copied in turn (mailshift-copy-folder.c), the \Noselect
   parents, the subscriptions, and the check for copies a killed pass left
   twice.  A failure stops the pass; what was committed before it stays,
   exact, and the next pass goes on from there. */

#include "lib.h"
#include "ioloop.h"
#include "mailshift-folder-recover.h"
#include "mailshift-copy-guid.h"
#include "mailshift-folder-list.h"
#include "mailshift-source-status.h"
#include "mail-duplicate.h"
#include "mailshift-delivered.h"
#include "mailshift-message-ids.h"
#include "mailshift-pop3-uidl.h"
#include "mailshift-copy-private.h"

void
mailshift_copy_fail_source(struct mailshift_copy *copy, struct mailbox *box,
			   const char *what)
{
	enum mail_error mail_error;
	const char *error = mailshift_source_explain_error(
		mailbox_get_last_internal_error(box, &mail_error));

	copy->error_on_source = TRUE;
	copy->error_class = mailshift_source_classify_error(error);
	if (mail_error == MAIL_ERROR_PERM &&
	    copy->error_class == MAILSHIFT_SOURCE_ERR_TEMP)
		copy->error_class = MAILSHIFT_SOURCE_ERR_AUTH;
	copy->error = p_strdup_printf(copy->pool, "old server: %s %s: %s",
				      what, mailbox_get_vname(box), error);
}

/* One old message's body could not be read (error says why). */
void
mailshift_copy_fail_reading(struct mailshift_copy *copy, struct mail *mail,
			    const char *error)
{
	copy->error_on_source = TRUE;
	copy->error_class = mailshift_source_classify_error(error);
	copy->error = p_strdup_printf(copy->pool,
				      "old server: reading UID %u of %s: %s",
				      mail->uid, mailbox_get_vname(mail->box),
				      error);
}

void
mailshift_copy_fail_dest(struct mailshift_copy *copy, struct mailbox *box,
			 const char *what)
{
	copy->error_on_source = FALSE;
	copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
	copy->error = p_strdup_printf(copy->pool, "new server: %s %s: %s",
				      what, mailbox_get_vname(box),
				      mailbox_get_last_internal_error(box, NULL));
}

void mailshift_copy_fail_list(struct mailshift_copy *copy,
				     const char *what)
{
	struct mail_user *user = copy->params->source_user;
	enum mail_error mail_error;
	const char *error = mailshift_source_explain_error(
		mailbox_list_get_last_internal_error(user->namespaces->list,
						     &mail_error));

	copy->error_on_source = TRUE;
	copy->error_class = mailshift_source_classify_error(error);
	if (mail_error == MAIL_ERROR_PERM)
		copy->error_class = MAILSHIFT_SOURCE_ERR_AUTH;
	copy->error = p_strdup_printf(copy->pool,
				      "old server: listing %s failed: %s",
				      what, error);
}

static int mailshift_copy_create_noselect(struct mailshift_copy *copy,
					  const char *dest_vname)
{
	struct mailbox *box = mailshift_copy_dest_alloc(copy, dest_vname);
	enum mail_error mail_error;
	int ret = 0;

	/* a \Noselect parent holds only children: create it as a directory
	   where the storage has them, so the tree looks the same */
	if (mailbox_create(box, NULL, TRUE) < 0) {
		(void)mailbox_get_last_error(box, &mail_error);
		if (mail_error != MAIL_ERROR_EXISTS &&
		    mail_error != MAIL_ERROR_NOTPOSSIBLE) {
			mailshift_copy_fail_dest(copy, box, "creating folder");
			ret = -1;
		}
	}
	mailbox_free(&box);
	return ret;
}

static int mailshift_copy_subscriptions(struct mailshift_copy *copy)
{
	const char *const *vname;
	struct mailbox *box;
	int ret = 0;

	array_foreach(&copy->subscriptions, vname) {
		const char *dest_vname = mailshift_copy_dest_vname(copy, *vname);

		/* works also for folders that do not exist, which some users
		   keep subscribed on purpose */
		box = mailshift_copy_dest_alloc(copy, dest_vname);
		if (mailbox_set_subscribed(box, TRUE) < 0) {
			mailshift_copy_fail_dest(copy, box, "subscribing to");
			ret = -1;
		}
		mailbox_free(&box);
	}
	return ret;
}

static unsigned int
mailshift_copy_count_messages(struct mailshift_copy *copy)
{
	struct mailshift_source_folder *folders;
	struct mailshift_source_status *statuses;
	unsigned int i, n = 0, count;
	uint64_t total = 0;

	/* STATUS per folder, all in one round trip (or already with the
	   listing): cheap, gives ETA a meaning, and tells which folders did
	   not change since the last pass */
	folders = array_get_modifiable(&copy->folders, &count);
	statuses = t_new(struct mailshift_source_status, count);
	for (i = 0; i < count; i++) {
		if (!folders[i].noselect && !folders[i].have_status)
			statuses[n++].vname = folders[i].map.src_vname;
	}
	if (n > 0) {
		mailshift_source_status_many(copy->params->source_user,
					     statuses, n);
	}
	for (i = 0, n = 0; i < count; i++) {
		if (folders[i].noselect || folders[i].have_status)
			continue;
		if (statuses[n].have_status) {
			folders[i].status = statuses[n].status;
			folders[i].have_status = TRUE;
		}
		n++;
	}
	for (i = 0; i < count; i++) {
		if (folders[i].have_status)
			total += folders[i].status.messages;
	}
	copy->progress.msgs_total = total;
	return count;
}

static int
mailshift_copy_dedupe(struct mailshift_copy *copy,
		      const struct mailshift_source_folder *folder)
{
	struct mailbox *src_box, *dest_box;
	struct mailbox_status status;
	const char *error;
	int ret = 0;

	src_box = mailshift_source_mailbox_alloc(copy->params->source_user,
						 folder->map.src_vname);
	dest_box = mailshift_copy_dest_alloc(copy, folder->map.dest_vname);
	if (mailbox_sync(src_box, 0) < 0) {
		mailshift_copy_fail_source(copy, src_box, "opening");
		ret = -1;
	} else if (mailbox_sync(dest_box, 0) < 0) {
		mailshift_copy_fail_dest(copy, dest_box, "opening");
		ret = -1;
	} else {
		mailbox_get_open_status(src_box, STATUS_UIDVALIDITY, &status);
		if (mailshift_folder_dedupe(src_box, dest_box,
				mailshift_copy_guid_prefix(
					mailshift_copy_guid_name(copy, folder),
					status.uidvalidity),
					    copy->params->dest_user->event,
					    &error) < 0) {
			copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
			copy->error_on_source = FALSE;
			copy->error = error;
			ret = -1;
		}
	}
	mailbox_free(&dest_box);
	mailbox_free(&src_box);
	return ret;
}

/* Keep the failure just reported in copy->error as the pass's, unless
   an earlier one is. */
static void mailshift_copy_note_failure(struct mailshift_copy *copy)
{
	if (copy->first_error != NULL)
		return;
	copy->first_error = copy->error;
	copy->first_class = copy->error_class;
	copy->first_on_source = copy->error_on_source;
}

/* What the pass does before its folders: what it filled before, the old
   server's folders and where each lands, and folders moved there.
   Returns 0, or -1 with copy->error. */
void mailshift_copy_fail_config(struct mailshift_copy *copy, bool on_source,
				const char *error)
{
	copy->error_on_source = on_source;
	copy->error_class = MAILSHIFT_SOURCE_ERR_CONFIG;
	copy->error = p_strdup(copy->pool, error);
}

static int mailshift_copy_prepare(struct mailshift_copy *copy)
{
	const struct mailshift_copy_params *params = copy->params;
	const char *error;

	if (mailshift_pop3_uidl_check(params->set, &error) < 0) {
		mailshift_copy_fail_config(copy, FALSE, error);
		return -1;
	}
	if (mailshift_folder_list_read(params->dest_user,
				       &copy->filled_folders, &error) < 0) {
		/* without it a folder the user deleted could come back */
		copy->error_class = MAILSHIFT_SOURCE_ERR_TEMP;
		copy->error_on_source = FALSE;
		copy->error = p_strdup_printf(copy->pool, "new server: %s",
					      error);
		return -1;
	}
	mailshift_copy_read_dest_states(copy);
	if (mailshift_copy_list_source(copy) < 0 ||
	    mailshift_copy_all_mail(copy) < 0)
		return -1;
	mailshift_copy_dest_roles(copy);
	mailshift_copy_map_folders(copy);
	copy->progress.folders_total = mailshift_copy_count_messages(copy);
	if (!params->add_only && mailshift_copy_follow_moves(copy) < 0) {
		copy->error_on_source = FALSE;
		return -1;
	}
	return 0;
}

/* The end of one folder: counted, and a failure logged and noted.
   Returns FALSE when the pass is to stop: the old server is gone, or
   refuses us (the other folders would fail the same way, slowly), or the
   pass's owner aborted it. */
static bool mailshift_copy_folder_done(struct mailshift_copy *copy, int ret)
{
	if (ret < 0) {
		copy->progress.folders_failed++;
		e_error(copy->params->dest_user->event,
			"mailshift: %s", copy->error);
		mailshift_copy_note_failure(copy);
	}
	copy->progress.folders_done++;
	return ret >= 0 ||
		(copy->error_class != MAILSHIFT_SOURCE_ERR_UNREACHABLE &&
		 copy->error_class != MAILSHIFT_SOURCE_ERR_AUTH &&
		 !copy->aborted);
}

/* How many folders are copied at once: one per connection the pass may
   open.  A sweep copies one at a time: whether a message was delivered
   here already is known only once the folder that copied it committed. */
static unsigned int mailshift_copy_lanes(const struct mailshift_copy *copy)
{
	if (copy->params->add_only || copy->params->connections <= 1)
		return 1;
	return I_MIN(copy->params->connections, MAILSHIFT_COPY_MAX_CONNECTIONS);
}

/* Which lane to step next: the first from next on whose message is here,
   so that the pass saves what arrived instead of waiting on a folder
   whose next message has not; else next itself, to wait for its message
   (*ready_r FALSE).  A lane passed over MAILSHIFT_COPY_LANE_MAX_SKIPS
   times in a row is stepped anyway: its window is refilled only as it is
   stepped. */
#define MAILSHIFT_COPY_LANE_MAX_SKIPS 64
static unsigned int
mailshift_copy_pick_lane(struct mailshift_folder_copy *const *lanes,
			 unsigned int *skips, unsigned int active,
			 unsigned int next, bool *ready_r)
{
	unsigned int i, l, pick = next;
	bool picked = FALSE, ready = FALSE;

	for (i = 0; i < active && !picked; i++) {
		l = (next + i) % active;
		if (skips[l] >= MAILSHIFT_COPY_LANE_MAX_SKIPS) {
			pick = l;
			picked = TRUE;
			ready = mailshift_folder_copy_ready(lanes[l]);
		}
	}
	/* else the first ready one; none: next, which was found not ready */
	for (i = 0; i < active && !picked; i++) {
		l = (next + i) % active;
		if (mailshift_folder_copy_ready(lanes[l])) {
			pick = l;
			picked = ready = TRUE;
		}
	}
	for (l = 0; l < active; l++)
		skips[l] = l == pick ? 0 : skips[l] + 1;
	*ready_r = ready;
	return pick;
}

/* Before the pass waits on the old server (a folder opening, a message
   not here yet): what every lane has queued goes out, so that the old
   server has it to send meanwhile. */
static void
mailshift_copy_send_queued(struct mailshift_folder_copy *const *lanes,
			   unsigned int active)
{
	unsigned int l;

	for (l = 0; l < active; l++)
		mailshift_folder_copy_send_queued(lanes[l]);
}

/* The connections the first folders a pass copies whole are to take, all
   logging in while the first folder opens (mailshift_source_connect_more()).
   Not for a delta pass: most of its folders are not opened at all. */
static void
mailshift_copy_connect_ahead(struct mailshift_copy *copy,
			     const struct mailshift_source_folder *folders,
			     unsigned int count, unsigned int lanes)
{
	unsigned int i, whole = 0;

	for (i = 0; i < count && whole < lanes && !folders[i].all_mail; i++) {
		if (mailshift_folder_copy_streams_whole(copy, &folders[i]))
			whole++;
	}
	if (whole > 1)
		mailshift_source_connect_more(copy->params->source_user, whole);
}

/* The last folders of a pass, fewer than it may copy at once: each
   fetches ahead with the memory of the lanes that are done too, so that
   as many bytes are on their way as before. */
static void
mailshift_copy_widen_lanes(struct mailshift_folder_copy *const *lanes,
			   unsigned int active)
{
	unsigned int l;

	for (l = 0; l < active; l++) {
		mailshift_folder_copy_widen(lanes[l],
			MAILSHIFT_PREFETCH_BYTES / active);
	}
}

/* Every folder, up to mailshift_copy_lanes() of them at once, each over
   its own imapc connection (imapc opens one per selected folder): one
   message at a time from whichever has one here (mailshift_copy_pick_lane()),
   so that while this process saves one, the old server sends the others
   and sets up the next folder; and while the pass waits on one folder (its
   opening, a message on its way, its end), the others save what they have
   here (mailshift-copy-meanwhile.c).  The \All folder comes alone, after the
   others: it copies only what none of them holds.  Returns 0 or -1 (the
   first failure noted). */
static int mailshift_copy_folders_at_once(struct mailshift_copy *copy)
{
	struct mailshift_folder_copy *lanes[MAILSHIFT_COPY_MAX_CONNECTIONS];
	unsigned int skips[MAILSHIFT_COPY_MAX_CONNECTIONS];
	const struct mailshift_source_folder *folders;
	unsigned int i, l, count, active = 0, next = 0;
	unsigned int max = copy->lanes = mailshift_copy_lanes(copy);
	bool go_on = TRUE, failed = FALSE, lane_ended = FALSE, ready;
	int ret;

	folders = array_get(&copy->folders, &count);
	mailshift_copy_connect_ahead(copy, folders, count, max);
	for (i = 0;;) {
		while (go_on && active < max && i < count &&
		       !(folders[i].all_mail && active > 0)) {
			const struct mailshift_source_folder *folder =
				&folders[i++];

			if (folder->noselect) {
				ret = mailshift_copy_create_noselect(
					copy, folder->map.dest_vname);
			} else {
				mailshift_copy_send_queued(lanes, active);
				mailshift_copy_meanwhile_begin(lanes, active,
							       active);
				lanes[active] = mailshift_folder_copy_begin(
					copy, folder, &ret);
				mailshift_copy_meanwhile_end();
				if (lanes[active] != NULL) {
					skips[active++] = 0;
					continue;
				}
			}
			failed = failed || ret < 0;
			go_on = mailshift_copy_folder_done(copy, ret);
		}
		if (active == 0)
			break;
		if (lane_ended && active < max)
			mailshift_copy_widen_lanes(lanes, active);
		lane_ended = FALSE;
		l = mailshift_copy_pick_lane(lanes, skips, active,
					     next % active, &ready);
		if (!ready) {
			mailshift_copy_send_queued(lanes, active);
			mailshift_copy_meanwhile_begin(lanes, active, l);
		}
		ret = go_on ? mailshift_folder_copy_step(lanes[l]) : -1;
		mailshift_copy_meanwhile_end();
		next = l + 1;
		if (ret > 0)
			continue;
		if (!go_on) {
			/* stopped by another folder: keep what was copied,
			   count nothing */
			(void)mailshift_folder_copy_end(&lanes[l], -1);
		} else {
			mailshift_copy_meanwhile_begin(lanes, active, l);
			ret = mailshift_folder_copy_end(&lanes[l], ret);
			mailshift_copy_meanwhile_end();
			failed = failed || ret < 0;
			go_on = mailshift_copy_folder_done(copy, ret);
		}
		lanes[l] = lanes[--active];
		skips[l] = skips[active];
		next = l;
		lane_ended = TRUE;
	}
	if (copy->msgs_saved_waiting > 0) {
		e_debug(copy->params->dest_user->event, "mailshift: %u "
			"messages saved while the pass waited on the old "
			"server for another folder", copy->msgs_saved_waiting);
	}
	return failed ? -1 : 0;
}

/* Every folder; then the checks for duplicates a killed pass may have
   left, and the subscriptions.  Returns 0 or -1 (the first failure
   noted). */
static int mailshift_copy_folders(struct mailshift_copy *copy)
{
	const struct mailshift_source_folder *const *suspect;

	if (mailshift_copy_check_dest(copy) < 0) {
		mailshift_copy_note_failure(copy);
		return -1;
	}
	if (mailshift_copy_folders_at_once(copy) < 0)
		return -1;
	/* last, so that a storage rebuild triggered anywhere during this
	   pass has already happened */
	array_foreach(&copy->suspects, suspect) {
		if (mailshift_copy_dedupe(copy, *suspect) < 0) {
			mailshift_copy_note_failure(copy);
			return -1;
		}
	}
	if (!copy->params->add_only &&
	    mailshift_copy_subscriptions(copy) < 0) {
		mailshift_copy_note_failure(copy);
		return -1;
	}
	return 0;
}

int mailshift_copy_run(const struct mailshift_copy_params *params,
		       struct mailshift_progress *progress_r,
		       enum mailshift_source_error *class_r,
		       bool *source_failed_r, const char **error_r)
{
	struct mailshift_copy copy;
	const char *error;
	int ret;

	i_zero(&copy);
	copy.params = params;
	copy.pool = pool_alloconly_create("mailshift copy", 1024);
	copy.sep = mail_namespaces_get_root_sep(params->dest_user->namespaces);
	io_loop_time_refresh();
	copy.pass_start = ioloop_timeval;
	t_array_init(&copy.folders, 32);
	t_array_init(&copy.subscriptions, 32);
	t_array_init(&copy.suspects, 4);
	hash_table_create(&copy.dest_states, default_pool, 0, str_hash,
			  strcmp);

	if (mailshift_copy_prepare(&copy) < 0) {
		mailshift_copy_note_failure(&copy);
		ret = -1;
	} else {
		if (params->add_only) {
			copy.delivered_db = mail_duplicate_db_init(
				params->dest_user, MAILSHIFT_DELIVERED_DB_NAME);
		}
		ret = mailshift_copy_folders(&copy);
	}

	if (copy.filled_folders != NULL &&
	    mailshift_folder_list_write(copy.filled_folders, &error) < 0) {
		e_warning(params->dest_user->event, "mailshift: %s "
			  "(folders the user deletes here may come back)",
			  error);
	}
	*progress_r = copy.progress;
	*class_r = copy.first_class;
	*source_failed_r = copy.first_on_source;
	*error_r = t_strdup(copy.first_error);
	if (copy.delivered_db != NULL)
		mail_duplicate_db_deinit(&copy.delivered_db);
	if (copy.message_ids != NULL)
		mailshift_message_ids_close(&copy.message_ids);
	hash_table_destroy(&copy.dest_states);
	pool_unref(&copy.pool);
	return ret;
}
