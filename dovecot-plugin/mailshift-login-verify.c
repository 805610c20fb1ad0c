/* Copyright (c) mailshift authors */

#include "lib.h"
#include "ioloop.h"
#include "str.h"
#include "base64.h"
#include "safe-memset.h"
#include "auth-client.h"
#include "mailshift-login-verify.h"

#include <unistd.h>

struct mailshift_login_verify {
	struct ioloop *ioloop;
	struct auth_client *client;
	const char *service, *initial_resp;
	bool requested;
	int result;
	const char *error;
};

static void
mailshift_login_verify_reply(struct auth_client_request *request ATTR_UNUSED,
			     enum auth_request_status status,
			     const char *data_base64 ATTR_UNUSED,
			     const char *const *args ATTR_UNUSED,
			     void *context)
{
	struct mailshift_login_verify *ctx = context;

	switch (status) {
	case AUTH_REQUEST_STATUS_OK:
		ctx->result = 1;
		break;
	case AUTH_REQUEST_STATUS_FAIL:
		ctx->result = 0;
		break;
	case AUTH_REQUEST_STATUS_CONTINUE:
		/* PLAIN says everything at once: asking for more is
		   something this check does not know how to answer */
		ctx->error = "auth server asked for more than PLAIN gives";
		break;
	default:
		ctx->error = "auth server failed internally";
		break;
	}
	io_loop_stop(ctx->ioloop);
}

static void
mailshift_login_verify_connected(struct auth_client *client, bool connected,
				 void *context)
{
	struct mailshift_login_verify *ctx = context;
	struct auth_request_info info;

	if (!connected) {
		ctx->error = "auth server disconnected";
		io_loop_stop(ctx->ioloop);
		return;
	}
	if (ctx->requested)
		return;
	ctx->requested = TRUE;
	i_zero(&info);
	info.mech = "PLAIN";
	info.service = ctx->service;
	/* the password came over a local socket, not the network */
	info.flags = AUTH_REQUEST_FLAG_SECURED;
	info.initial_resp_base64 = ctx->initial_resp;
	(void)auth_client_request_new(client, &info,
				      mailshift_login_verify_reply, ctx);
}

static void mailshift_login_verify_timeout(struct mailshift_login_verify *ctx)
{
	ctx->error = "auth server did not answer in time";
	io_loop_stop(ctx->ioloop);
}

int mailshift_login_verify(const char *auth_socket_path, const char *service,
			   const char *username, const char *password,
			   unsigned int timeout_msecs, const char **error_r)
{
	struct mailshift_login_verify ctx;
	struct ioloop *prev_ioloop = current_ioloop;
	struct timeout *to;
	string_t *plain, *resp;

	i_zero(&ctx);
	ctx.result = -1;
	ctx.service = service;
	plain = t_str_new(128);
	str_append_c(plain, '\0');
	str_append(plain, username);
	str_append_c(plain, '\0');
	str_append(plain, password);
	resp = t_str_new(MAX_BASE64_ENCODED_SIZE(str_len(plain)) + 1);
	base64_encode(str_data(plain), str_len(plain), resp);
	ctx.initial_resp = str_c(resp);

	ctx.ioloop = io_loop_create();
	ctx.client = auth_client_init(auth_socket_path, getpid(), FALSE);
	auth_client_set_connect_notify(ctx.client,
				       mailshift_login_verify_connected, &ctx);
	to = timeout_add(timeout_msecs, mailshift_login_verify_timeout, &ctx);
	auth_client_connect(ctx.client);
	if (ctx.error == NULL && ctx.result < 0)
		io_loop_run(ctx.ioloop);
	timeout_remove(&to);
	auth_client_deinit(&ctx.client);
	io_loop_destroy(&ctx.ioloop);
	if (prev_ioloop != NULL)
		io_loop_set_current(prev_ioloop);

	safe_memset(buffer_get_modifiable_data(plain, NULL), 0,
		    str_len(plain));
	safe_memset(buffer_get_modifiable_data(resp, NULL), 0,
		    str_len(resp));
	if (ctx.result < 0) {
		*error_r = t_strdup_printf("%s: %s", auth_socket_path,
			ctx.error != NULL ? ctx.error : "no answer");
	}
	return ctx.result;
}
