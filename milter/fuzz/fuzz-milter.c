/* fuzz-milter: libFuzzer target for the milter's header handling end to
   end: the production callbacks (milter-callbacks.c) run one message from
   an internal client, the input being its header section ("Name: value"
   lines, folds kept, up to an empty line) and its body.  libmilter is
   replaced by the few smfi_* functions the callbacks call.  The
   callbacks log every refusal to stderr: make fuzz discards it
   (-close_fd_mask=2), or the log would hold a line per input.

   Checked beyond "no crash", the rule the milter exists for: a message
   is signed only when it has exactly one From: field that reads as our
   domain, and it is passed unsigned only when it has exactly one From:
   field that reads as one other domain; everything else is tempfailed
   (or refused). */

#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>

#include "mail-address.h"
#include "milter-callbacks.h"
#include "milter-config.h"

#define MAX_FIELDS 200

static struct smfiDesc *desc;
static void *priv;
static unsigned int signatures;

void *smfi_getpriv(SMFICTX *ctx) { return priv; }
int smfi_setpriv(SMFICTX *ctx, void *p) { priv = p; return MI_SUCCESS; }
char *smfi_getsymval(SMFICTX *ctx, char *name) { return NULL; }
int smfi_setreply(SMFICTX *ctx, char *code, char *xcode, char *text)
{
	return MI_SUCCESS;
}
int smfi_chgheader(SMFICTX *ctx, char *name, int index, char *value)
{
	return MI_SUCCESS;
}
int smfi_insheader(SMFICTX *ctx, int index, char *name, char *value)
{
	signatures++;
	return MI_SUCCESS;
}

static void setup(void)
{
	static const unsigned char seed[32] = { 7 };
	char path[] = "/tmp/fuzz-milter.XXXXXX";
	struct milter_config *config;
	struct strbuf error = { 0 };
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, "domain = example.test s1\ndns_check = off\n"
			    "syslog = no\n", 53) != 53 ||
	    milter_config_read(path, &config, &error) < 0)
		abort();
	close(fd);
	unlink(path);
	config->domains[0].selectors[0].alg = DKIM_ALG_ED25519_SHA256;
	config->domains[0].selectors[0].key =
		EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	desc = milter_callbacks(config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in client = { .sin_family = AF_INET };
	char *text = malloc(size + 1), *p, *line_end, *colon;
	char *names[MAX_FIELDS], *values[MAX_FIELDS];
	unsigned int count = 0, from_count = 0, i;
	const char *from_value = NULL, *error;
	char *domain = NULL;
	sfsistat ret;

	if (desc == NULL)
		setup();
	memcpy(text, data, size);
	text[size] = '\0';
	/* fields: a line starting with space or tab continues the last */
	for (p = text; *p != '\0' && *p != '\n' && count < MAX_FIELDS;
	     p = line_end + 1) {
		line_end = p + strcspn(p, "\n");
		while (*line_end == '\n' &&
		       (line_end[1] == ' ' || line_end[1] == '\t'))
			line_end += 1 + strcspn(line_end + 1, "\n");
		colon = memchr(p, ':', (size_t)(line_end - p));
		if (colon == NULL || *line_end == '\0')
			break;
		*colon = '\0';
		*line_end = '\0';
		names[count] = p;
		values[count++] = colon + 1;
	}
	inet_pton(AF_INET, "127.0.0.1", &client.sin_addr);
	signatures = 0;
	ret = desc->xxfi_connect(NULL, "localhost",
				 (struct sockaddr *)&client);
	if (ret == SMFIS_CONTINUE)
		ret = desc->xxfi_envfrom(NULL, NULL);
	for (i = 0; i < count && ret == SMFIS_CONTINUE; i++) {
		if (strcasecmp(names[i], "From") == 0 && from_count++ == 0)
			from_value = values[i];
		ret = desc->xxfi_header(NULL, names[i], values[i]);
	}
	for (; i < count; i++) {
		if (strcasecmp(names[i], "From") == 0 && from_count++ == 0)
			from_value = values[i];
	}
	if (ret == SMFIS_CONTINUE)
		ret = desc->xxfi_eoh(NULL);
	if (ret == SMFIS_CONTINUE && *p != '\0')
		ret = desc->xxfi_body(NULL, (unsigned char *)p + 1,
				      strlen(p + 1));
	if (ret == SMFIS_CONTINUE)
		ret = desc->xxfi_eom(NULL);
	(void)desc->xxfi_close(NULL);

	if (from_count == 1 &&
	    milter_mail_from_domain(from_value, &domain, &error) < 0)
		domain = NULL;
	if (signatures > 0 &&
	    (domain == NULL || strcmp(domain, "example.test") != 0))
		abort();	/* signed what does not read as ours */
	if ((ret == SMFIS_ACCEPT || ret == SMFIS_CONTINUE) &&
	    signatures == 0 &&
	    (domain == NULL || strcmp(domain, "example.test") == 0))
		abort();	/* passed unsigned what could read as ours */
	free(domain);
	free(text);
	return 0;
}
