/*
 * settings.h - one table describes a program's settings; the same names
 * work as INI keys in the program's [section] of the -c file and as
 * --long options on the command line, which override the file.
 *
 *   canvass-aggregator -c canvass.ini --data /var/lib/canvass
 *
 * Strings are copied; settings_free() releases them. Library code: it
 * never prints; the caller prints err and the usage text.
 */
#ifndef CANVASS_SETTINGS_H
#define CANVASS_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum setting_type {
	SET_STRING, /* char * */
	SET_LIST,   /* struct strlist, repeatable */
	SET_SIZE,   /* uint64_t, bytes, K/M/G suffixes */
	SET_LONG,   /* long in [min, max] */
	SET_FLAG,   /* bool; "--name" alone sets it, INI takes true/false */
	SET_OTHERS, /* name "*": other keys of the file's section are ignored */
};

struct strlist {
	char **items;
	size_t n;
};

struct setting {
	const char *name;
	enum setting_type type;
	void *target;
	long min, max;   /* SET_LONG */
	const char *arg; /* placeholder in usage, e.g. "DIR" */
	const char *help;
};

/* Returned by settings_parse for -h/--help. */
#define SETTINGS_HELP 1

/*
 * Applies the -c/--config file's [section] (when given) and then argv.
 * Stops at the first argument that is not an option; *next is its index.
 * Returns 0, SETTINGS_HELP, or CV_ECONFIG with the reason in err.
 */
int settings_parse(const struct setting *tab, const char *section, int argc, char **argv, int *next,
		   char *err, size_t errlen);
/* Sets one setting by name (from any source). */
int settings_set(const struct setting *tab, const char *name, const char *value, char *err,
		 size_t errlen);
/* Prints "  --name ARG   help" lines. */
void settings_usage(const struct setting *tab, FILE *out);
/*
 * Reloading. settings_defaults() keeps a copy of the table's values before
 * settings_parse() (the built-in defaults). settings_reload() reads argv and
 * its -c file again onto those defaults, as at start-up; a setting whose new
 * value differs is applied (moved into the table's target) when its name is
 * in live, and otherwise left as it is: the names go, comma-separated, into
 * applied and ignored. Nothing is applied when the file does not parse.
 */
struct settings_shadow;
int settings_defaults(const struct setting *tab, struct settings_shadow **out);
void settings_shadow_free(struct settings_shadow **sh);
int settings_reload(const struct setting *tab, const struct settings_shadow *defaults,
		    const char *section, int argc, char **argv, const char *const *live,
		    char *applied, size_t applied_len, char *ignored, size_t ignored_len, char *err,
		    size_t errlen);

/* Frees every string the table's targets hold; sets them to NULL. */
void settings_free(const struct setting *tab);

#endif
