#include "cycles.h"
#include "error.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CYCLES_MAX_FILE (4 * 1024 * 1024)

int cycles_parse_time(const char *s, int end_of_day, int64_t *out_ms)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	time_t t;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return CV_EINVAL;
	if (s[10] == 'T') {
		int m = 0;
		if (sscanf(s + 11, "%2d:%2d:%2dZ%n", &h, &mi, &sec, &m) != 3 || m != 9 ||
		    s[11 + m] != '\0')
			return CV_EINVAL;
	} else if (s[10] != '\0') {
		return CV_EINVAL;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return CV_EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm normalises 2025-02-30 to March: refuse such dates. */
	{
		struct tm back;
		gmtime_r(&t, &back);
		if (back.tm_mday != d || back.tm_mon != mo - 1)
			return CV_EINVAL;
	}
	*out_ms = (int64_t)t * 1000;
	if (end_of_day && s[10] == '\0')
		*out_ms += 86400000 - 1;
	return 0;
}

static int parse(const char *name, json_t *root, struct cycles *c, char *err, size_t errlen)
{
	json_t *arr = json_object_get(root, "cycles"), *item;
	size_t i;

	if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_array(arr))
		return cv_fail(err, errlen, CV_ECONFIG, "%s: $: expected {\"cycles\": [...]}",
			       name);
	c->items = calloc(json_array_size(arr) + 1, sizeof *c->items);
	if (c->items == NULL)
		return CV_ENOMEM;
	json_array_foreach (arr, i, item) {
		static const char *const strs[] = {"questionnaire", "cycle", "opens", "due",
						   "closes"};
		const char *v[5];
		struct cycle *cy = &c->items[i];
		int64_t *times[3] = {&cy->opens_ms, &cy->due_ms, &cy->closes_ms};

		if (!json_is_object(item) || json_object_size(item) != 5)
			return cv_fail(
				err, errlen, CV_ECONFIG,
				"%s: $.cycles[%zu]: expected questionnaire, cycle, opens, due, "
				"closes",
				name, i);
		for (int k = 0; k < 5; k++) {
			v[k] = json_string_value(json_object_get(item, strs[k]));
			if (v[k] == NULL || v[k][0] == '\0')
				return cv_fail(err, errlen, CV_ECONFIG,
					       "%s: $.cycles[%zu].%s: required, a string", name, i,
					       strs[k]);
		}
		for (int k = 0; k < 3; k++)
			if (cycles_parse_time(v[k + 2], k > 0, times[k]) != 0)
				return cv_fail(err, errlen, CV_ECONFIG,
					       "%s: $.cycles[%zu].%s: \"%s\" is not YYYY-MM-DD or "
					       "YYYY-MM-DDTHH:MM:SSZ",
					       name, i, strs[k + 2], v[k + 2]);
		if (cy->opens_ms > cy->due_ms || cy->due_ms > cy->closes_ms)
			return cv_fail(err, errlen, CV_ECONFIG,
				       "%s: $.cycles[%zu]: need opens <= due <= closes", name, i);
		cy->questionnaire = strdup(v[0]);
		cy->cycle = strdup(v[1]);
		c->n = i + 1;
		if (cy->questionnaire == NULL || cy->cycle == NULL)
			return CV_ENOMEM;
		for (size_t k = 0; k < i; k++)
			if (strcmp(c->items[k].questionnaire, cy->questionnaire) == 0 &&
			    strcmp(c->items[k].cycle, cy->cycle) == 0)
				return cv_fail(err, errlen, CV_ECONFIG,
					       "%s: $.cycles[%zu]: cycle %s of %s is listed twice",
					       name, i, cy->cycle, cy->questionnaire);
	}
	return 0;
}

int cycles_load_text(const char *name, const char *text, size_t len, struct cycles **out, char *err,
		     size_t errlen)
{
	struct cycles *c;
	json_error_t jerr;
	json_t *root;
	int rc;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return cv_fail(err, errlen, CV_ECONFIG, "%s: line %d column %d: %s", name,
			       jerr.line, jerr.column, jerr.text);
	c = calloc(1, sizeof *c);
	rc = c == NULL ? CV_ENOMEM : parse(name, root, c, err, errlen);
	json_decref(root);
	if (rc != 0) {
		cycles_free(&c);
		return rc;
	}
	*out = c;
	return 0;
}

int cycles_load(const char *path, struct cycles **out, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc = cv_read_file(path, CYCLES_MAX_FILE, &text, &len, err, errlen);
	if (rc != 0)
		return rc == CV_ENOMEM ? rc : CV_ECONFIG;
	rc = cycles_load_text(path, text, len, out, err, errlen);
	free(text);
	return rc;
}

void cycles_free(struct cycles **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	for (size_t i = 0; i < (*cp)->n; i++) {
		free((*cp)->items[i].questionnaire);
		free((*cp)->items[i].cycle);
	}
	free((*cp)->items);
	free(*cp);
	*cp = NULL;
}

/* The schedule's entry of (questionnaire, cycle), or NULL. */
static const struct cycle *find(const struct cycles *c, const char *questionnaire,
				const char *cycle)
{
	for (size_t i = 0; c != NULL && i < c->n; i++)
		if (strcmp(c->items[i].questionnaire, questionnaire) == 0 &&
		    strcmp(c->items[i].cycle, cycle) == 0)
			return &c->items[i];
	return NULL;
}

enum cycle_state cycles_state(const struct cycles *c, const char *questionnaire, const char *cycle,
			      int64_t now_ms, const struct cycle **found)
{
	const struct cycle *cy = find(c, questionnaire, cycle);

	if (found != NULL)
		*found = cy;
	if (cy == NULL)
		return CYCLE_UNKNOWN;
	if (now_ms < cy->opens_ms)
		return CYCLE_NOT_OPEN;
	if (now_ms <= cy->due_ms)
		return CYCLE_ON_TIME;
	if (now_ms <= cy->closes_ms)
		return CYCLE_LATE;
	return CYCLE_CLOSED;
}

const struct cycle *cycles_previous(const struct cycles *c, const char *questionnaire,
				    const char *cycle)
{
	const struct cycle *self = find(c, questionnaire, cycle), *best = NULL;

	for (size_t i = 0; self != NULL && i < c->n; i++) {
		const struct cycle *cy = &c->items[i];
		if (strcmp(cy->questionnaire, questionnaire) != 0 || cy->opens_ms >= self->opens_ms)
			continue;
		if (best == NULL || cy->opens_ms > best->opens_ms)
			best = cy;
	}
	return best;
}
