/* Copyright (c) mailshift authors */

#include "lib.h"
#include "hex-binary.h"
#include "sha1.h"
#include "mailshift-copy-guid.h"

#define MAILSHIFT_GUID_MAGIC "6d736674"
#define MAILSHIFT_GUID_PREFIX_LEN (16 + 8)

const char *mailshift_copy_guid_prefix(const char *src_vname,
				       uint32_t uidvalidity)
{
	unsigned char digest[SHA1_RESULTLEN];
	const char *key;

	key = t_strdup_printf("mailshift\n%s\n%u", src_vname, uidvalidity);
	sha1_get_digest(key, strlen(key), digest);
	return t_strconcat(binary_to_hex(digest, 8), MAILSHIFT_GUID_MAGIC,
			   NULL);
}

const char *mailshift_copy_guid(const char *prefix, uint32_t uid)
{
	return t_strdup_printf("%s%08x", prefix, uid);
}

bool mailshift_copy_guid_parse(const char *guid, const char *prefix,
			       uint32_t *uid_r)
{
	unsigned long long uid;

	if (strncmp(guid, prefix, MAILSHIFT_GUID_PREFIX_LEN) != 0 ||
	    strlen(guid) != MAILSHIFT_GUID_PREFIX_LEN + 8)
		return FALSE;
	if (str_to_ullong_hex(guid + MAILSHIFT_GUID_PREFIX_LEN, &uid) < 0 ||
	    uid == 0 || uid > (uint32_t)-1)
		return FALSE;
	*uid_r = (uint32_t)uid;
	return TRUE;
}
