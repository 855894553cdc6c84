/*
 * config.h - the INI configuration file shared by every canvass program.
 *
 * One file, one [section] per program ([aggregator], [collector],
 * [reporter], [submit]). Programs read their section and let the command
 * line override it. The file is parsed with inih; keys are documented in
 * docs/operations.md. Strings returned are borrowed from the config and
 * live until config_free().
 */
#ifndef CANVASS_CONFIG_H
#define CANVASS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct config;

int config_load(const char *path, struct config **out, char *err, size_t errlen);
void config_free(struct config **cfg);

/* Value of key in section, or NULL. */
const char *config_get(const struct config *cfg, const char *section, const char *key);

/*
 * Calls fn for every key of section, in file order; stops and returns the
 * first non-zero value fn returns.
 */
int config_each(const struct config *cfg, const char *section,
		int (*fn)(const char *key, const char *value, void *arg), void *arg);

/* Parses an unsigned size with optional K/M/G suffix (binary units). */
int config_parse_size(const char *s, uint64_t *out);
/* Parses a non-negative integer in [min, max]. */
int config_parse_long(const char *s, long min, long max, long *out);

#endif
