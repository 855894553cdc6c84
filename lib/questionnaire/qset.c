/*
 * qset.c - sets of questionnaire definitions: a directory loaded whole
 * (qset_load_dir), the lookups by id and version, and the lineage between
 * versions (docs/questionnaires.md, "Versions and lineage"). One
 * definition's loading is qdef.c's; the declarations are in qdef.h.
 */
#include "qdef.h"
#include "error.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * What a version's lineage names exists in the previous version of the set:
 * each "replaces" a question (an option) of it, each continued once.
 */
static int check_lineage(const struct qset *set, struct questionnaire *def, char *err,
			 size_t errlen)
{
	const struct questionnaire *prev =
		def->version > 1 ? qset_find(set, def->id, def->version - 1) : NULL;

	for (size_t i = 0; i < def->n_questions; i++) {
		struct question *q = &def->questions[i];
		const struct question *p;
		if (q->replaces == NULL && !q->not_comparable && prev == NULL)
			continue;
		if (prev == NULL)
			return cv_fail(err, errlen, CV_ECONFIG,
				       "%s version %u: question %s: replaces and comparable need "
				       "version %u in the set",
				       def->id, def->version, q->id, def->version - 1);
		p = qdef_question(prev, q->replaces ? q->replaces : q->id);
		if (q->replaces != NULL && p == NULL)
			return cv_fail(err, errlen, CV_ECONFIG,
				       "%s version %u: question %s replaces %s, which version %u "
				       "does not have",
				       def->id, def->version, q->id, q->replaces, prev->version);
		for (size_t k = 0; k < i; k++) {
			const struct question *o = &def->questions[k];
			if (p != NULL &&
			    qdef_question(prev, o->replaces ? o->replaces : o->id) == p)
				return cv_fail(
					err, errlen, CV_ECONFIG,
					"%s version %u: questions %s and %s both continue %s "
					"of version %u",
					def->id, def->version, o->id, q->id, p->id, prev->version);
		}
		if (p != NULL && strcmp(p->id, q->id) != 0)
			q->previous_id = p->id;
		for (size_t k = 0; k < q->n_options; k++) {
			const struct qoption *o = &q->options[k];
			if (o->replaces == NULL)
				continue;
			if (p == NULL || qdef_option_index(p, o->replaces) < 0)
				return cv_fail(err, errlen, CV_ECONFIG,
					       "%s version %u: question %s: option %s replaces %s, "
					       "which the question it continues does not have",
					       def->id, def->version, q->id, o->id, o->replaces);
		}
	}
	return 0;
}

int qset_check_lineage(const struct qset *set, struct questionnaire *def, char *err, size_t errlen)
{
	return check_lineage(set, def, err, errlen);
}

int qset_load_dir(const char *dir, struct qset **out, char *err, size_t errlen)
{
	struct qset *set = calloc(1, sizeof *set);
	char **names = NULL;
	size_t n_names = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*out = NULL;
	if (set == NULL)
		return CV_ENOMEM;
	d = opendir(dir);
	if (d == NULL) {
		free(set);
		return cv_fail(err, errlen, CV_ECONFIG, "%s: cannot open directory", dir);
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char **nn;
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0 || de->d_name[0] == '.')
			continue;
		nn = realloc(names, (n_names + 1) * sizeof *names);
		if (nn == NULL || (nn[n_names] = strdup(de->d_name)) == NULL) {
			names = nn ? nn : names;
			rc = CV_ENOMEM;
			break;
		}
		names = nn;
		n_names++;
	}
	closedir(d);
	if (rc == 0 && n_names == 0)
		rc = cv_fail(err, errlen, CV_ECONFIG, "%s: no questionnaire (*.json) files", dir);
	if (rc == 0) {
		qsort(names, n_names, sizeof *names, name_cmp);
		set->items = calloc(n_names, sizeof *set->items);
		if (set->items == NULL)
			rc = CV_ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < n_names; i++) {
		char path[4096];
		struct questionnaire *q;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		rc = qdef_load_file(path, &q, err, errlen);
		if (rc != 0)
			break;
		if (qset_find(set, q->id, q->version) != NULL) {
			rc = cv_fail(err, errlen, CV_ECONFIG,
				     "%s: questionnaire %s version %u is defined twice", path,
				     q->id, q->version);
			qdef_free(&q);
			break;
		}
		set->items[set->n++] = q;
	}
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	for (size_t i = 0; rc == 0 && i < set->n; i++)
		rc = check_lineage(set, set->items[i], err, errlen);
	if (rc != 0) {
		qset_free(&set);
		return rc;
	}
	*out = set;
	return 0;
}

const struct question *qset_previous(const struct qset *set, const struct questionnaire *def,
				     const struct question *q, const struct questionnaire **prev)
{
	*prev = def->version > 1 ? qset_find(set, def->id, def->version - 1) : NULL;
	if (*prev == NULL)
		return NULL;
	return qdef_question(*prev, q->replaces ? q->replaces : q->id);
}

const struct question *qset_continued(const struct qset *set, const struct questionnaire *from,
				      const struct question *q, const struct questionnaire *to,
				      bool *comparable)
{
	const struct questionnaire *def = from;

	*comparable = true;
	if (to->version >= from->version)
		return to == from ? q : qdef_question(to, q->id);
	while (q != NULL && def->version > to->version) {
		const struct questionnaire *prev;
		const struct question *p = qset_previous(set, def, q, &prev);
		if (prev == NULL) /* a version missing from the set: by id, as before lineage */
			return qdef_question(to, q->id);
		if (p != NULL && q->not_comparable)
			*comparable = false;
		q = p;
		def = prev;
	}
	return q;
}

const char *qdef_option_was(const struct qoption *o)
{
	return o->replaces ? o->replaces : o->id;
}

void qset_free(struct qset **setp)
{
	if (setp == NULL || *setp == NULL)
		return;
	for (size_t i = 0; i < (*setp)->n; i++)
		qdef_free(&(*setp)->items[i]);
	free((*setp)->items);
	free(*setp);
	*setp = NULL;
}

const struct questionnaire *qset_find(const struct qset *set, const char *id, uint32_t version)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i]->version == version && strcmp(set->items[i]->id, id) == 0)
			return set->items[i];
	return NULL;
}

const struct questionnaire *qset_latest(const struct qset *set, const char *id)
{
	const struct questionnaire *best = NULL;
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->items[i]->id, id) == 0 &&
		    (best == NULL || set->items[i]->version > best->version))
			best = set->items[i];
	return best;
}
