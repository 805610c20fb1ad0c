/* policyd-queue.c: Postfix's queue, as far as the migration needs it:
   which of our users have mail queued (and held), and releasing a
   user's mail once it may go.

   The queue is Postfix's: we read it with "postqueue -j" and act with
   "postqueue -i" (schedule one message now) and "postsuper -H" (take a
   message off the HOLD queue), so nothing here edits queue files. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shared/ms-alloc.h"
#include "../shared/ms-log.h"
#include "policyd-queue.h"

#define MAX_QUEUE_IDS 100000

/* Reads the JSON string value that follows "key": in line into
   dest[size]; returns the position after it, or NULL.  postqueue -j
   prints one object per line; addresses and queue IDs need no more than
   \" and \\ unescaped. */
static const char *json_string(const char *line, const char *key,
			       char *dest, size_t size)
{
	char pattern[64];
	const char *p;
	size_t n = 0;

	snprintf(pattern, sizeof(pattern), "\"%s\"", key);
	if ((p = strstr(line, pattern)) == NULL)
		return NULL;
	p += strlen(pattern);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p++ != '"')
		return NULL;
	for (; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < size)
			dest[n++] = *p;
	}
	dest[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

int policyd_queue_walk(const struct policyd_config *cfg, const char *user,
		       void (*cb)(const struct policyd_queued_rcpt *q,
				  void *ctx),
		       void *ctx)
{
	char cmd[700], line[65536];
	struct policyd_queued_rcpt q;
	const char *p;
	FILE *pipe;
	int status;

	snprintf(cmd, sizeof(cmd), "postqueue -c '%s' -j",
		 cfg->postfix_config_dir);
	if ((pipe = popen(cmd, "r")) == NULL) {
		ms_error("run %s: %m", cmd);
		return -1;
	}
	while (fgets(line, sizeof(line), pipe) != NULL) {
		memset(&q, 0, sizeof(q));
		if (json_string(line, "queue_name", q.queue_name,
				sizeof(q.queue_name)) == NULL ||
		    json_string(line, "queue_id", q.queue_id,
				sizeof(q.queue_id)) == NULL ||
		    (p = strstr(line, "\"recipients\"")) == NULL)
			continue;
		while ((p = json_string(p, "address", q.address,
					sizeof(q.address))) != NULL) {
			const char *next = strstr(p, "\"address\"");
			const char *reason = strstr(p, "\"delay_reason\"");

			q.reason[0] = '\0';
			if (reason != NULL && (next == NULL || reason < next))
				(void)json_string(p, "delay_reason", q.reason,
						  sizeof(q.reason));
			if (policyd_recipient_parse(cfg, q.address,
						    strlen(q.address),
						    &q.rcpt) &&
			    q.rcpt.local &&
			    (user == NULL || strcmp(q.rcpt.user, user) == 0))
				cb(&q, ctx);
		}
	}
	status = pclose(pipe);
	if (status != 0) {
		ms_error("%s failed (exit status %d): is Postfix running"
			 " with config directory %s?", cmd,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 cfg->postfix_config_dir);
		return -1;
	}
	return 0;
}

/* Postfix shows the hold transport's nexthop without "transport:" and
   the DSN code. */
const char *policyd_queue_hold_reason(const struct policyd_config *cfg)
{
	const char *text = strchr(cfg->hold_nexthop, ':');

	text = text == NULL ? cfg->hold_nexthop : text + 1;
	if (*text >= '4' && *text <= '5' && strchr(text, ' ') != NULL)
		text = strchr(text, ' ') + 1;
	return text;
}

struct held_users_ctx {
	const struct policyd_config *cfg;
	void (*cb)(const char *user, void *ctx);
	void *cb_ctx;
};

static void held_user(const struct policyd_queued_rcpt *q, void *context)
{
	struct held_users_ctx *ctx = context;

	if (strcmp(q->reason, policyd_queue_hold_reason(ctx->cfg)) == 0)
		ctx->cb(q->rcpt.user, ctx->cb_ctx);
}

int policyd_queue_held_users(const struct policyd_config *cfg,
			     void (*cb)(const char *user, void *ctx),
			     void *ctx)
{
	struct held_users_ctx hctx = { cfg, cb, ctx };

	return policyd_queue_walk(cfg, NULL, held_user, &hctx);
}

struct release_ids {
	char (*ids)[64];
	bool *on_hold;
	unsigned int count;
};

static void collect_id(const struct policyd_queued_rcpt *q, void *context)
{
	struct release_ids *r = context;
	unsigned int i;

	for (i = 0; i < r->count; i++) {
		if (strcmp(r->ids[i], q->queue_id) == 0)
			return;
	}
	if (r->count == MAX_QUEUE_IDS)
		return;
	snprintf(r->ids[r->count], 64, "%s", q->queue_id);
	r->on_hold[r->count] = strcmp(q->queue_name, "hold") == 0;
	r->count++;
}

/* Runs argv; returns its exit status (-1 if it could not run). */
static int run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		/* the shell's "command not found" */
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int policyd_queue_release_user(const struct policyd_config *cfg,
			       const char *user, bool verbose)
{
	struct release_ids r = { 0 };
	unsigned int i, released = 0;
	char *dir = (char *)cfg->postfix_config_dir;

	/* We may be the daemon's child, which ignores SIGCHLD: popen()
	   and waitpid() need it back. */
	signal(SIGCHLD, SIG_DFL);
	r.ids = ms_xcalloc(MAX_QUEUE_IDS, sizeof(*r.ids));
	r.on_hold = ms_xcalloc(MAX_QUEUE_IDS, sizeof(*r.on_hold));
	if (policyd_queue_walk(cfg, user, collect_id, &r) < 0) {
		free(r.ids);
		free(r.on_hold);
		return -1;
	}
	for (i = 0; i < r.count; i++) {
		char *unhold[] = { "postsuper", "-c", dir, "-H", r.ids[i],
				   NULL };
		char *now[] = { "postqueue", "-c", dir, "-i", r.ids[i], NULL };

		if (r.on_hold[i] && run(unhold) != 0)
			ms_warning("postsuper -H %s failed", r.ids[i]);
		if (run(now) != 0) {
			ms_warning("release user=%s queue_id=%s: postqueue"
				   " -i failed (it is retried by Postfix "
				   "anyway)", user, r.ids[i]);
			continue;
		}
		released++;
		ms_info("released user=%s queue_id=%s", user, r.ids[i]);
		if (verbose)
			printf("released %s\n", r.ids[i]);
	}
	free(r.ids);
	free(r.on_hold);
	return (int)released;
}
