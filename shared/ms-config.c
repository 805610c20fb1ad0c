/* ms-config - table-driven "name = value" settings files. */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ms-alloc.h"
#include "ms-config.h"
#include "ms-log.h"

#define MAX_LINE 4096

static const struct ms_setting_choice *
choice_by_name(const struct ms_setting *s, const char *name)
{
	const struct ms_setting_choice *c;

	for (c = s->choices; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* "use a, b or c" */
static void choices_why(const struct ms_setting *s, char *why, size_t size)
{
	const struct ms_setting_choice *c;
	size_t len;

	snprintf(why, size, "use");
	for (c = s->choices; c->name != NULL; c++) {
		len = strlen(why);
		snprintf(why + len, size - len, "%s%s",
			 c == s->choices ? " " : c[1].name == NULL ? " or " :
			 ", ", c->name);
	}
}

/* Multiplies *num by the unit suffix; false for an unknown unit or an
   overflow. */
static bool apply_unit(enum ms_setting_type type, const char *unit,
		       unsigned long *num)
{
	unsigned long mult;

	if (*unit == '\0')
		return true;
	if (unit[1] != '\0')
		return false;
	switch (tolower((unsigned char)*unit)) {
	case 's': mult = type == MS_SET_TIME ? 1 : 0; break;
	case 'm': mult = type == MS_SET_TIME ? 60 : 1024 * 1024; break;
	case 'h': mult = type == MS_SET_TIME ? 3600 : 0; break;
	case 'd': mult = type == MS_SET_TIME ? 86400 : 0; break;
	case 'w': mult = type == MS_SET_TIME ? 7 * 86400 : 0; break;
	case 'k': mult = type == MS_SET_SIZE ? 1024 : 0; break;
	case 'g': mult = type == MS_SET_SIZE ? 1024 * 1024 * 1024 : 0; break;
	default: mult = 0;
	}
	if (mult == 0 || *num > (unsigned long)-1 / mult)
		return false;
	*num *= mult;
	return true;
}

static void number_why(const struct ms_setting *s, bool syntax, char *why,
			size_t size)
{
	if (!syntax && s->out_of_bounds != NULL)
		snprintf(why, size, "%s", s->out_of_bounds);
	else if (s->type == MS_SET_MODE)
		snprintf(why, size, "not an octal mode within %04o", s->max);
	else if (s->type == MS_SET_TIME)
		snprintf(why, size, "not a number in range (use %u to %u "
			 "seconds, or a unit: s, m, h, d, w)", s->min, s->max);
	else if (s->type == MS_SET_SIZE)
		snprintf(why, size, "not a number in range (use %u to %u "
			 "bytes, or a unit: k, m, g)", s->min, s->max);
	else
		snprintf(why, size, "not a number in range (use %u to %u)",
			 s->min, s->max);
}

static int set_number(const struct ms_setting *s, const char *value,
		      char *why, size_t size)
{
	int base = s->type == MS_SET_MODE ? 8 : 10;
	unsigned long num;
	char *end;

	errno = 0;
	num = strtoul(value, &end, base);
	if (!isdigit((unsigned char)*value) || errno != 0 ||
	    (s->type == MS_SET_UINT || s->type == MS_SET_MODE ?
	     *end != '\0' : !apply_unit(s->type, end, &num))) {
		number_why(s, true, why, size);
		return -1;
	}
	if (s->type == MS_SET_MODE ? (num & ~(unsigned long)s->max) != 0 :
	    num < s->min || num > s->max) {
		number_why(s, false, why, size);
		return -1;
	}
	*s->target.num = (unsigned int)num;
	return 0;
}

/* Sets s from value.  Returns 0, or -1 with the problem in why. */
static int setting_set(const struct ms_setting *s, const char *value,
		       char *why, size_t size)
{
	const struct ms_setting_choice *c;

	switch (s->type) {
	case MS_SET_STR:
		free(*s->target.str);
		*s->target.str = *value == '\0' ? NULL : ms_xstrdup(value);
		return 0;
	case MS_SET_STRBUF:
		if (strlen(value) >= s->size) {
			snprintf(why, size, "value too long (at most %zu "
				 "bytes)", s->size - 1);
			return -1;
		}
		memcpy(s->target.buf, value, strlen(value) + 1);
		return 0;
	case MS_SET_BOOL:
		if (strcasecmp(value, "yes") == 0)
			*s->target.flag = true;
		else if (strcasecmp(value, "no") == 0)
			*s->target.flag = false;
		else {
			snprintf(why, size, "use yes or no");
			return -1;
		}
		return 0;
	case MS_SET_UINT:
	case MS_SET_TIME:
	case MS_SET_SIZE:
	case MS_SET_MODE:
		return set_number(s, value, why, size);
	case MS_SET_ENUM:
		if ((c = choice_by_name(s, value)) == NULL) {
			choices_why(s, why, size);
			return -1;
		}
		*s->target.choice = c->value;
		return 0;
	case MS_SET_CUSTOM:
		return s->parse(s->target.custom, value, why, size);
	}
	ms_panic("setting %s: unknown type %d", s->name, (int)s->type);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Edit distance of a and b, stopping at 3: "close" is 2 or less. */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int row[64], i, j, diag, up, best;
	size_t alen = strlen(a), blen = strlen(b);

	if (blen >= 64 || alen >= 64)
		return 3;
	for (j = 0; j <= blen; j++)
		row[j] = j;
	for (i = 1; i <= alen; i++) {
		diag = row[0];
		row[0] = i;
		best = row[0];
		for (j = 1; j <= blen; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
			if (row[j] < best)
				best = row[j];
		}
		if (best >= 3)
			return 3;
	}
	return row[blen] < 3 ? row[blen] : 3;
}

static void unknown_why(const struct ms_setting *table, unsigned int count,
			const char *name, char *why, size_t size)
{
	unsigned int i, d, best = 3, best_i = 0;

	for (i = 0; i < count; i++) {
		d = distance(name, table[i].name);
		if (d < best) {
			best = d;
			best_i = i;
		}
	}
	if (best < 3)
		snprintf(why, size, "unknown setting (did you mean %s?)",
			 table[best_i].name);
	else
		snprintf(why, size, "unknown setting");
}

static void apply_defaults(const struct ms_setting *table,
			   unsigned int count)
{
	char why[512];
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (table[i].def != NULL &&
		    setting_set(&table[i], table[i].def, why, sizeof(why)) < 0)
			ms_panic("default %s = %s: %s", table[i].name,
				 table[i].def, why);
	}
}

static const struct ms_setting *
setting_find(const struct ms_setting *table, unsigned int count,
	     const char *name)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	}
	return NULL;
}

/* Reads file's lines into table.  Returns 0 or -1 with error. */
static int read_lines(FILE *file, const char *path,
		      const struct ms_setting *table, unsigned int count,
		      char *error, size_t error_size)
{
	char line[MAX_LINE], why[1024], *name, *value, *eq;
	const struct ms_setting *s;
	unsigned int lineno = 0;

	while (fgets(line, sizeof(line), file) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(file)) {
			snprintf(error, error_size, "%s:%u: line longer than "
				 "%d bytes", path, lineno, MAX_LINE - 1);
			return -1;
		}
		name = trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		if ((eq = strchr(name, '=')) == NULL) {
			snprintf(error, error_size, "%s:%u: not name = value: "
				 "%s", path, lineno, name);
			return -1;
		}
		*eq = '\0';
		name = trim(name);
		value = trim(eq + 1);
		s = setting_find(table, count, name);
		if (s == NULL)
			unknown_why(table, count, name, why, sizeof(why));
		if (s == NULL ||
		    setting_set(s, value, why, sizeof(why)) < 0) {
			snprintf(error, error_size, "%s:%u: %s = %s: %s",
				 path, lineno, name, value, why);
			return -1;
		}
	}
	if (ferror(file)) {
		snprintf(error, error_size, "read %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int ms_config_read(const char *path, const struct ms_setting *table,
		   unsigned int count, char *error, size_t error_size)
{
	FILE *file;
	int ret;

	apply_defaults(table, count);
	if ((file = fopen(path, "r")) == NULL) {
		snprintf(error, error_size, "open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	ret = read_lines(file, path, table, count, error, error_size);
	fclose(file);
	return ret;
}

void ms_config_free(const struct ms_setting *table, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (table[i].type == MS_SET_STR) {
			free(*table[i].target.str);
			*table[i].target.str = NULL;
		}
	}
}

static void format_value(const struct ms_setting *s, char *dest,
			 size_t size)
{
	const struct ms_setting_choice *c;

	*dest = '\0';
	switch (s->type) {
	case MS_SET_STR:
		snprintf(dest, size, "%s", *s->target.str == NULL ? "" :
			 *s->target.str);
		break;
	case MS_SET_STRBUF:
		snprintf(dest, size, "%s", s->target.buf);
		break;
	case MS_SET_BOOL:
		snprintf(dest, size, "%s", *s->target.flag ? "yes" : "no");
		break;
	case MS_SET_UINT:
	case MS_SET_TIME:
	case MS_SET_SIZE:
		snprintf(dest, size, "%u", *s->target.num);
		break;
	case MS_SET_MODE:
		snprintf(dest, size, "%04o", *s->target.num);
		break;
	case MS_SET_ENUM:
		for (c = s->choices; c->name != NULL; c++) {
			if (c->value == *s->target.choice)
				snprintf(dest, size, "%s", c->name);
		}
		break;
	case MS_SET_CUSTOM:
		break;
	}
}

void ms_config_print(const struct ms_setting *table, unsigned int count,
		     FILE *out)
{
	char value[4096];
	unsigned int i;

	for (i = 0; i < count; i++) {
		const struct ms_setting *s = &table[i];

		if (s->format != NULL)
			s->format(s->target.custom, value, sizeof(value));
		else if (s->type != MS_SET_CUSTOM)
			format_value(s, value, sizeof(value));
		else
			continue;
		fprintf(out, "%s = %s\n", s->name, value);
	}
}
