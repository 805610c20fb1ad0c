/* Copyright (c) mailshift authors */

/* doveadm mailshift sync [-u user | -A | -F file]

   A pass for each user (doveadm-mailshift-pass.h): the first copy, then
   delta passes; the cron job's command (conf.d/mailshift-sync.service). */

#include "lib.h"
#include "doveadm-mail.h"
#include "doveadm-mailshift.h"
#include "doveadm-mailshift-pass.h"

struct doveadm_mail_cmd_context *cmd_mailshift_sync_alloc(void)
{
	return mailshift_pass_cmd_alloc(MAILSHIFT_PASS_SYNC);
}
