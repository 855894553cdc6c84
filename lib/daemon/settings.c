#include "settings.h"
#include "util.h"
#include "config.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

static const struct setting *find(const struct setting *tab, const char *name, size_t len)
{
	for (; tab->name != NULL; tab++)
		if (tab->type != SET_OTHERS && strlen(tab->name) == len &&
		    strncmp(tab->name, name, len) == 0)
			return tab;
	return NULL;
}

static bool ignores_others(const struct setting *tab)
{
	for (; tab->name != NULL; tab++)
		if (tab->type == SET_OTHERS)
			return true;
	return false;
}

static int apply(const struct setting *s, const char *value, char *err, size_t errlen)
{
	switch (s->type) {
	case SET_STRING: {
		char **t = s->target;
		char *copy = strdup(value);
		if (copy == NULL)
			return CV_ENOMEM;
		free(*t);
		*t = copy;
		return 0;
	}
	case SET_LIST: {
		struct strlist *l = s->target;
		char **items = realloc(l->items, (l->n + 1) * sizeof *items);
		if (items == NULL)
			return CV_ENOMEM;
		l->items = items;
		if ((items[l->n] = strdup(value)) == NULL)
			return CV_ENOMEM;
		l->n++;
		return 0;
	}
	case SET_SIZE:
		if (config_parse_size(value, s->target) != 0)
			return cv_fail(err, errlen, CV_ECONFIG,
				       "%s: \"%s\" is not a size (e.g. 512K, 64M, 2G)", s->name,
				       value);
		/* min and max bound a size when given (bytes). */
		if ((s->min > 0 && *(uint64_t *)s->target < (uint64_t)s->min) ||
		    (s->max > 0 && *(uint64_t *)s->target > (uint64_t)s->max))
			return cv_fail(err, errlen, CV_ECONFIG,
				       "%s: \"%s\" is not a size from %ld to %ld bytes", s->name,
				       value, s->min, s->max);
		return 0;
	case SET_LONG:
		if (config_parse_long(value, s->min, s->max, s->target) != 0)
			return cv_fail(err, errlen, CV_ECONFIG,
				       "%s: \"%s\" is not an integer from %ld to %ld", s->name,
				       value, s->min, s->max);
		return 0;
	case SET_OTHERS: return 0;
	case SET_FLAG:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "1") == 0)
			*(bool *)s->target = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
			 strcmp(value, "0") == 0)
			*(bool *)s->target = false;
		else
			return cv_fail(err, errlen, CV_ECONFIG, "%s: expected true or false",
				       s->name);
		return 0;
	}
	return CV_EINVAL;
}

int settings_set(const struct setting *tab, const char *name, const char *value, char *err,
		 size_t errlen)
{
	const struct setting *s = find(tab, name, strlen(name));
	if (s == NULL)
		return cv_fail(err, errlen, CV_ECONFIG, "unknown setting \"%s\"", name);
	return apply(s, value, err, errlen);
}

struct file_ctx {
	const struct setting *tab;
	const char *path;
	const char *section;
	char *err;
	size_t errlen;
};

static int from_file(const char *key, const char *value, void *arg)
{
	struct file_ctx *c = arg;
	char inner[256];
	int rc;

	if (find(c->tab, key, strlen(key)) == NULL && ignores_others(c->tab))
		return 0;
	rc = settings_set(c->tab, key, value, inner, sizeof inner);
	if (rc != 0)
		return cv_fail(c->err, c->errlen, CV_ECONFIG, "%s: [%s] %s", c->path, c->section,
			       inner);
	return 0;
}

int settings_parse(const struct setting *tab, const char *section, int argc, char **argv, int *next,
		   char *err, size_t errlen)
{
	const char *cfgpath = NULL;
	int i, rc;

	/*
	 * First pass: the config file, so that the command line wins. -c may
	 * come anywhere among the options: the values of other options are
	 * stepped over, so a value is never taken for the end of the options.
	 */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct setting *s;
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
			cfgpath = argv[++i];
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			return SETTINGS_HELP;
		} else if (strcmp(a, "--version") == 0 && find(tab, "version", 7) == NULL) {
			/* Every program answers it the same way, before anything else (but
			 * where --version is a setting: the reporter's definition version). */
			cv_print_version(argv[0]);
			exit(0);
		} else if (a[0] != '-' || strcmp(a, "--") == 0) {
			break;
		} else if (a[1] == '-' && strchr(a, '=') == NULL &&
			   (s = find(tab, a + 2, strlen(a + 2))) != NULL && s->type != SET_FLAG) {
			i++; /* its value */
		}
	}
	if (cfgpath != NULL) {
		struct config *cfg;
		struct file_ctx c = {tab, cfgpath, section, err, errlen};
		if ((rc = config_load(cfgpath, &cfg, err, errlen)) != 0)
			return rc;
		rc = config_each(cfg, section, from_file, &c);
		config_free(&cfg);
		if (rc != 0)
			return rc;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *value;
		const struct setting *s;
		size_t nlen;

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (++i >= argc)
				return cv_fail(err, errlen, CV_ECONFIG, "%s needs a file", a);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (a[1] != '-')
			return cv_fail(err, errlen, CV_ECONFIG, "unknown option %s", a);
		a += 2;
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		s = find(tab, a, nlen);
		if (s == NULL)
			return cv_fail(err, errlen, CV_ECONFIG, "unknown option --%.*s", (int)nlen,
				       a);
		if (eq != NULL)
			value = eq + 1;
		else if (s->type == SET_FLAG)
			value = "true";
		else if (i + 1 < argc)
			value = argv[++i];
		else
			return cv_fail(err, errlen, CV_ECONFIG, "--%s needs a value", s->name);
		if ((rc = apply(s, value, err, errlen)) != 0)
			return rc;
	}
	*next = i;
	return 0;
}

void settings_usage(const struct setting *tab, FILE *out)
{
	for (; tab->name != NULL; tab++) {
		char left[64];
		if (tab->type == SET_OTHERS)
			continue;
		snprintf(left, sizeof left, "--%s%s%s", tab->name, tab->arg ? " " : "",
			 tab->arg ? tab->arg : "");
		fprintf(out, "  %-28s %s\n", left, tab->help);
	}
	fprintf(out, "  %-28s %s\n", "-c, --config FILE", "read settings from an INI file first");
}

void settings_free(const struct setting *tab)
{
	for (; tab->name != NULL; tab++) {
		if (tab->type == SET_STRING) {
			char **t = tab->target;
			free(*t);
			*t = NULL;
		} else if (tab->type == SET_LIST) {
			struct strlist *l = tab->target;
			for (size_t i = 0; i < l->n; i++)
				free(l->items[i]);
			free(l->items);
			l->items = NULL;
			l->n = 0;
		}
	}
}

/* ------------------------------------------------------------------ reload */

union setting_value {
	char *s;
	long l;
	uint64_t u;
	bool b;
	struct strlist list;
};

struct settings_shadow {
	const struct setting *tab; /* the table the defaults are of */
	size_t n;
	union setting_value *defaults;
};

static size_t table_size(const struct setting *tab)
{
	size_t n = 0;
	while (tab[n].name != NULL)
		n++;
	return n;
}

/* Copies what target holds (deeply) into v. */
static int copy_value(const struct setting *s, const void *target, union setting_value *v)
{
	memset(v, 0, sizeof *v);
	switch (s->type) {
	case SET_STRING: {
		const char *t = *(char *const *)target;
		v->s = t != NULL ? strdup(t) : NULL;
		return t != NULL && v->s == NULL ? CV_ENOMEM : 0;
	}
	case SET_LONG: v->l = *(const long *)target; return 0;
	case SET_SIZE: v->u = *(const uint64_t *)target; return 0;
	case SET_FLAG: v->b = *(const bool *)target; return 0;
	case SET_LIST: {
		const struct strlist *l = target;
		if (l->n == 0)
			return 0;
		v->list.items = calloc(l->n, sizeof *v->list.items);
		if (v->list.items == NULL)
			return CV_ENOMEM;
		for (size_t i = 0; i < l->n; i++)
			if ((v->list.items[v->list.n++] = strdup(l->items[i])) == NULL)
				return CV_ENOMEM;
		return 0;
	}
	case SET_OTHERS: return 0;
	}
	return 0;
}

static bool same_value(const struct setting *s, const void *target, const union setting_value *v)
{
	switch (s->type) {
	case SET_STRING: {
		const char *t = *(char *const *)target;
		return (t == NULL && v->s == NULL) ||
		       (t != NULL && v->s != NULL && !strcmp(t, v->s));
	}
	case SET_LONG: return *(const long *)target == v->l;
	case SET_SIZE: return *(const uint64_t *)target == v->u;
	case SET_FLAG: return *(const bool *)target == v->b;
	case SET_LIST: {
		const struct strlist *l = target;
		if (l->n != v->list.n)
			return false;
		for (size_t i = 0; i < l->n; i++)
			if (strcmp(l->items[i], v->list.items[i]) != 0)
				return false;
		return true;
	}
	case SET_OTHERS: return true;
	}
	return true;
}

/* Moves v into target (freeing what target held); v is left empty. */
static void move_value(const struct setting *s, void *target, union setting_value *v)
{
	switch (s->type) {
	case SET_STRING:
		free(*(char **)target);
		*(char **)target = v->s;
		v->s = NULL;
		break;
	case SET_LONG: *(long *)target = v->l; break;
	case SET_SIZE: *(uint64_t *)target = v->u; break;
	case SET_FLAG: *(bool *)target = v->b; break;
	case SET_LIST: {
		struct strlist *l = target;
		for (size_t i = 0; i < l->n; i++)
			free(l->items[i]);
		free(l->items);
		*l = v->list;
		memset(&v->list, 0, sizeof v->list);
		break;
	}
	case SET_OTHERS: break;
	}
}

static void free_values(const struct setting *tab, union setting_value *vals, size_t n)
{
	for (size_t i = 0; vals != NULL && i < n; i++) {
		if (tab[i].type == SET_STRING) {
			free(vals[i].s);
		} else if (tab[i].type == SET_LIST) {
			for (size_t k = 0; k < vals[i].list.n; k++)
				free(vals[i].list.items[k]);
			free(vals[i].list.items);
		}
	}
	free(vals);
}

int settings_defaults(const struct setting *tab, struct settings_shadow **out)
{
	struct settings_shadow *sh = calloc(1, sizeof *sh);

	*out = NULL;
	if (sh == NULL)
		return CV_ENOMEM;
	sh->tab = tab;
	sh->n = table_size(tab);
	sh->defaults = calloc(sh->n + 1, sizeof *sh->defaults);
	if (sh->defaults == NULL) {
		free(sh);
		return CV_ENOMEM;
	}
	for (size_t i = 0; i < sh->n; i++)
		if (copy_value(&tab[i], tab[i].target, &sh->defaults[i]) != 0) {
			settings_shadow_free(&sh);
			return CV_ENOMEM;
		}
	*out = sh;
	return 0;
}

void settings_shadow_free(struct settings_shadow **shp)
{
	struct settings_shadow *sh = shp != NULL ? *shp : NULL;
	if (sh == NULL)
		return;
	free_values(sh->tab, sh->defaults, sh->n);
	free(sh);
	*shp = NULL;
}

static void append_name(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);
	snprintf(buf + used, len > used ? len - used : 0, "%s%s", used ? "," : "", name);
}

int settings_reload(const struct setting *tab, const struct settings_shadow *defaults,
		    const char *section, int argc, char **argv, const char *const *live,
		    char *applied, size_t applied_len, char *ignored, size_t ignored_len, char *err,
		    size_t errlen)
{
	size_t n = table_size(tab);
	union setting_value *vals = calloc(n + 1, sizeof *vals);
	struct setting *shadow = calloc(n + 1, sizeof *shadow);
	int next, rc = CV_ENOMEM;

	applied[0] = ignored[0] = '\0';
	if (vals == NULL || shadow == NULL || defaults == NULL || defaults->n != n)
		goto out;
	for (size_t i = 0; i < n; i++) {
		shadow[i] = tab[i];
		shadow[i].target = &vals[i];
		if (copy_value(&tab[i], &defaults->defaults[i], &vals[i]) != 0)
			goto out;
	}
	/* Read as at start-up: the file first, then the command line over it. */
	rc = settings_parse(shadow, section, argc, argv, &next, err, errlen);
	if (rc == SETTINGS_HELP)
		rc = cv_fail(err, errlen, CV_ECONFIG, "unexpected --help");
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		bool can = false;
		if (same_value(&tab[i], tab[i].target, &vals[i]))
			continue;
		for (size_t k = 0; live != NULL && live[k] != NULL && !can; k++)
			can = strcmp(live[k], tab[i].name) == 0;
		if (can) {
			move_value(&tab[i], tab[i].target, &vals[i]);
			append_name(applied, applied_len, tab[i].name);
		} else {
			append_name(ignored, ignored_len, tab[i].name);
		}
	}
	rc = 0;
out:
	free_values(tab, vals, n);
	free(shadow);
	return rc;
}
