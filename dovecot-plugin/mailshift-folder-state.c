/* Copyright (c) mailshift authors */

#include "lib.h"
#include "ioloop.h"
#include "mail-storage-private.h"
#include "mailshift-folder-state.h"

static uint32_t mailshift_folder_state_ext_id(struct mailbox *box)
{
	return mail_index_ext_register(box->index, "mailshift",
				       sizeof(struct mailshift_folder_state),
				       0, 0);
}

int mailshift_folder_state_get(struct mailbox *box,
			       struct mailshift_folder_state *state_r)
{
	const void *data;
	size_t size;

	i_zero(state_r);
	mail_index_get_header_ext(box->view, mailshift_folder_state_ext_id(box),
				  &data, &size);
	if (size < sizeof(*state_r) ||
	    ((const struct mailshift_folder_state *)data)->version == 0)
		return 0;
	memcpy(state_r, data, sizeof(*state_r));
	return 1;
}

void mailshift_folder_state_set(struct mailbox *box,
				struct mail_index_transaction *itrans,
				const struct mailshift_folder_state *state)
{
	struct mailshift_folder_state copy = *state;

	copy.version = MAILSHIFT_FOLDER_STATE_VERSION;
	copy.last_commit_time = (uint32_t)ioloop_time;
	mail_index_update_header_ext(itrans, mailshift_folder_state_ext_id(box),
				     0, &copy, sizeof(copy));
}

int mailshift_folder_state_write(struct mailbox *box,
				 const struct mailshift_folder_state *state)
{
	struct mail_index_transaction *itrans;

	itrans = mail_index_transaction_begin(box->view, 0);
	mailshift_folder_state_set(box, itrans, state);
	if (mail_index_transaction_commit(&itrans) < 0) {
		mailbox_set_index_error(box);
		return -1;
	}
	return 0;
}
