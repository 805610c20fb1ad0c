/* Copyright (c) mailshift authors */

#include "lib.h"
#include "str.h"
#include "var-expand.h"
#include "mailshift-pop3-uidl.h"

static int mailshift_pop3_uidl_expand(string_t *dest, const char *format,
				      uint32_t uidvalidity, uint32_t uid,
				      const char **error_r)
{
	const struct var_expand_table table[] = {
		{ 'v', dec2str(uidvalidity), "uidvalidity" },
		{ 'u', dec2str(uid), "uid" },
		{ '\0', NULL, NULL }
	};

	return var_expand(dest, format, table, error_r);
}

int mailshift_pop3_uidl_check(const char *format, const char **error_r)
{
	const char *error;

	if (mailshift_pop3_uidl_expand(t_str_new(32), format, 1, 1,
				       &error) <= 0) {
		*error_r = t_strdup_printf(
			"mailshift_source_pop3_uidl_format = %s: %s (write "
			"%%%%v and %%%%u in the plugin section, where %% is "
			"expanded once)", format, error);
		return -1;
	}
	return 0;
}

const char *mailshift_pop3_uidl(const char *format, uint32_t uidvalidity,
				uint32_t uid)
{
	string_t *str = t_str_new(32);
	const char *error;

	/* checked at the start of the pass */
	(void)mailshift_pop3_uidl_expand(str, format, uidvalidity, uid, &error);
	return str_c(str);
}
