#include "config.h"
#include "error.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char *section, *key, *value;
};

struct config {
	struct entry *items;
	size_t n, cap;
};

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct config *cfg = user;
	struct entry *e;

	if (cfg->n == cfg->cap) {
		size_t ncap = cfg->cap ? cfg->cap * 2 : 32;
		struct entry *ni = realloc(cfg->items, ncap * sizeof *ni);
		if (ni == NULL)
			return 0;
		cfg->items = ni;
		cfg->cap = ncap;
	}
	e = &cfg->items[cfg->n];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	if (e->section == NULL || e->key == NULL || e->value == NULL) {
		free(e->section);
		free(e->key);
		free(e->value);
		return 0;
	}
	cfg->n++;
	return 1;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct config *cfg = calloc(1, sizeof *cfg);
	int line;

	*out = NULL;
	if (cfg == NULL)
		return CV_ENOMEM;
	line = ini_parse(path, on_entry, cfg);
	if (line != 0) {
		config_free(&cfg);
		if (line < 0)
			return cv_fail(err, errlen, CV_ECONFIG, "%s: cannot read: %s", path,
				       strerror(errno));
		return cv_fail(err, errlen, CV_ECONFIG, "%s: line %d: syntax error", path, line);
	}
	*out = cfg;
	return 0;
}

void config_free(struct config **cfgp)
{
	if (cfgp == NULL || *cfgp == NULL)
		return;
	for (size_t i = 0; i < (*cfgp)->n; i++) {
		free((*cfgp)->items[i].section);
		free((*cfgp)->items[i].key);
		free((*cfgp)->items[i].value);
	}
	free((*cfgp)->items);
	free(*cfgp);
	*cfgp = NULL;
}

const char *config_get(const struct config *cfg, const char *section, const char *key)
{
	const char *v = NULL;
	if (cfg == NULL)
		return NULL;
	/* The last occurrence wins, as in most INI readers. */
	for (size_t i = 0; i < cfg->n; i++)
		if (strcmp(cfg->items[i].section, section) == 0 &&
		    strcmp(cfg->items[i].key, key) == 0)
			v = cfg->items[i].value;
	return v;
}

int config_each(const struct config *cfg, const char *section,
		int (*fn)(const char *key, const char *value, void *arg), void *arg)
{
	if (cfg == NULL)
		return 0;
	for (size_t i = 0; i < cfg->n; i++) {
		if (strcmp(cfg->items[i].section, section) == 0) {
			int rc = fn(cfg->items[i].key, cfg->items[i].value, arg);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

int config_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	if (s == NULL || *s == '\0' || *s == '-')
		return CV_EINVAL;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return CV_EINVAL;
	switch (*end) {
	case '\0': break;
	case 'K':
	case 'k':
		mult = 1024ull;
		end++;
		break;
	case 'M':
	case 'm':
		mult = 1024ull * 1024;
		end++;
		break;
	case 'G':
	case 'g':
		mult = 1024ull * 1024 * 1024;
		end++;
		break;
	default: return CV_EINVAL;
	}
	if (*end != '\0' || v > UINT64_MAX / mult)
		return CV_EINVAL;
	*out = (uint64_t)v * mult;
	return 0;
}

int config_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	if (s == NULL || *s == '\0')
		return CV_EINVAL;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return CV_EINVAL;
	*out = v;
	return 0;
}
