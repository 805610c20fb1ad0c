#ifndef MS_CONFIG_H
#define MS_CONFIG_H

/* ms-config - a program's settings file, read the way Postfix reads
   main.cf: each program lists its settings in one table (name, type,
   default, the variable it sets, bounds), so what the file may say, the
   defaults and the error messages cannot drift apart.

   The file has "name = value" lines; spaces around name and value do not
   count, blank lines and lines whose first non-space is '#' are skipped.
   A setting named twice keeps the last value (a custom setting's parse()
   may add each instead).  Defaults are applied first, through the same
   checks as the file's values.  The first thing wrong - a name not in the
   table, a value its type or bounds refuse, a line without '=' - ends the
   read with one line that names it and says what to write instead:
   "PATH:LINE: NAME = VALUE: PROBLEM".  Programs exit EX_CONFIG on it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum ms_setting_type {
	MS_SET_STR,	/* char *, a copy (free it); empty is NULL */
	MS_SET_STRBUF,	/* char[size]; a longer value is refused */
	MS_SET_BOOL,	/* bool: yes or no */
	MS_SET_UINT,	/* unsigned int in min..max */
	MS_SET_TIME,	/* unsigned int seconds in min..max; the value may
			   have a unit: 90s, 5m, 2h, 1d, 1w */
	MS_SET_SIZE,	/* unsigned int bytes in min..max; 64k, 16m, 1g */
	MS_SET_MODE,	/* unsigned int, an octal file mode using no bits
			   outside max */
	MS_SET_ENUM,	/* an enum variable: one of choices' names */
	MS_SET_CUSTOM,	/* the setting's own parse() */
};

/* One name an MS_SET_ENUM setting accepts; a list ends with a NULL name. */
struct ms_setting_choice {
	const char *name;
	int value;
};

struct ms_setting {
	const char *name;
	enum ms_setting_type type;
	/* In the file's syntax; NULL: none (the variable keeps its value). */
	const char *def;
	union {
		char **str;
		char *buf;
		bool *flag;
		unsigned int *num;
		int *choice;
		void *custom;	/* passed to parse() and format() */
	} target;
	size_t size;			/* MS_SET_STRBUF: of buf */
	unsigned int min, max;		/* numbers; MS_SET_MODE: max = bits */
	const struct ms_setting_choice *choices;	/* MS_SET_ENUM */
	/* MS_SET_CUSTOM: sets target from value.  Returns 0, or -1 with what
	   is wrong and what to write instead in why[why_size]. */
	int (*parse)(void *target, const char *value, char *why,
		     size_t why_size);
	/* For ms_config_print(): writes the value as the file would say it
	   (or masked).  Needed for MS_SET_CUSTOM, optional for the others. */
	void (*format)(const void *target, char *dest, size_t size);
	/* MS_SET_MODE: said instead of the bounds when a mode is out of
	   them (why the bound is there). */
	const char *out_of_bounds;
};

/* The table's rows, one macro per type.  Each takes the variable's
   address with its type, so a setting can only set a variable of its own
   kind (the compiler refuses &bool for a string). */
#define MS_SETTING_STR(n, d, var) \
	{ .name = (n), .type = MS_SET_STR, .def = (d), .target.str = (var) }
#define MS_SETTING_STRBUF(n, d, array) \
	{ .name = (n), .type = MS_SET_STRBUF, .def = (d), \
	  .target.buf = (array), .size = sizeof(array) + \
	  MS_SETTING_IS_ARRAY_(array) }
#define MS_SETTING_BOOL(n, d, var) \
	{ .name = (n), .type = MS_SET_BOOL, .def = (d), .target.flag = (var) }
#define MS_SETTING_UINT(n, d, var, lo, hi) \
	{ .name = (n), .type = MS_SET_UINT, .def = (d), .target.num = (var), \
	  .min = (lo), .max = (hi) }
#define MS_SETTING_TIME(n, d, var, lo, hi) \
	{ .name = (n), .type = MS_SET_TIME, .def = (d), .target.num = (var), \
	  .min = (lo), .max = (hi) }
#define MS_SETTING_SIZE(n, d, var, lo, hi) \
	{ .name = (n), .type = MS_SET_SIZE, .def = (d), .target.num = (var), \
	  .min = (lo), .max = (hi) }
/* why: NULL, or what to say of a mode with other bits (why they are
   refused). */
#define MS_SETTING_MODE(n, d, var, bits, why) \
	{ .name = (n), .type = MS_SET_MODE, .def = (d), .target.num = (var), \
	  .max = (bits), .out_of_bounds = (why) }
/* var: the address of an enum variable, whose values choices list. */
#define MS_SETTING_ENUM(n, d, var, list) \
	{ .name = (n), .type = MS_SET_ENUM, .def = (d), \
	  .target.choice = (int *)(var) + MS_SETTING_IS_INT_(*(var)), \
	  .choices = (list) }
#define MS_SETTING_CUSTOM(n, d, ctx, parse_fn, format_fn) \
	{ .name = (n), .type = MS_SET_CUSTOM, .def = (d), \
	  .target.custom = (ctx), .parse = (parse_fn), .format = (format_fn) }
/* 0, or a compile error where the argument is not what the row needs. */
#define MS_SETTING_IS_ARRAY_(a) (0 * sizeof(char[1 - 2 * \
	__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0]))]))
#define MS_SETTING_IS_INT_(v) (0 * sizeof(char[1 - 2 * \
	(sizeof(v) != sizeof(int))]))

#define MS_SETTING_COUNT(table) \
	((unsigned int)(sizeof(table) / sizeof((table)[0])))

/* Applies table's defaults, then path's lines.  Returns 0, or -1 with the
   one line saying what is wrong in error[error_size] (also when path
   cannot be opened; the defaults are in place then).  Strings set are the
   caller's: ms_config_free() frees them. */
int ms_config_read(const char *path, const struct ms_setting *table,
		   unsigned int count, char *error, size_t error_size);
/* Frees and NULLs the MS_SET_STR variables of table (not the custom
   ones'). */
void ms_config_free(const struct ms_setting *table, unsigned int count);
/* Writes "name = value" for every setting, as the file would say it
   (settings with neither a standard type nor format() are left out). */
void ms_config_print(const struct ms_setting *table, unsigned int count,
		     FILE *out);

#endif
