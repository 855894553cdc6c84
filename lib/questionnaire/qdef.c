#include "qdef.h"
#include "quality.h"
#include "text.h"
#include "error.h"
#include "expr.h"
#include "util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QDEF_MAX_FILE (4 * 1024 * 1024)

/* Loader context: the file name and the JSON path being read. */
struct ctx {
	const char *name;
	char path[256];
	char *err;
	size_t errlen;
};

static int bad(struct ctx *c, const char *what)
{
	return cv_fail(c->err, c->errlen, CV_ECONFIG, "%s: %s: %s", c->name, c->path, what);
}

static int get_string(struct ctx *c, json_t *obj, const char *key, bool required, bool is_id,
		      char **out)
{
	json_t *v = json_object_get(obj, key);
	size_t base = strlen(c->path);
	int rc = 0;

	*out = NULL;
	snprintf(c->path + base, sizeof c->path - base, ".%s", key);
	if (v == NULL) {
		if (required)
			rc = bad(c, "required");
	} else if (!json_is_string(v)) {
		rc = bad(c, "must be a string");
	} else if (is_id && !text_id_ok(ID_NAME, json_string_value(v))) {
		rc = bad(c, "must be 1-64 characters of A-Z a-z 0-9 _ . -");
	} else if ((*out = strdup(json_string_value(v))) == NULL) {
		rc = CV_ENOMEM;
	}
	c->path[base] = '\0';
	return rc;
}

/*
 * A text a person reads (a title, a question, an option's label): a string,
 * or, when the definition declares "languages", an object with exactly one
 * non-empty string per language ({"en": ..., "fr": ...}). *out gets the
 * default language's (the first declared), tr[] each language's.
 */
static int get_text(struct ctx *c, const struct questionnaire *q, json_t *obj, const char *key,
		    char **out, char *tr[QLANGS])
{
	json_t *v = json_object_get(obj, key), *t;
	size_t base = strlen(c->path);
	const char *k;
	int rc = 0;

	if (!q->translated)
		return get_string(c, obj, key, true, false, out);
	snprintf(c->path + base, sizeof c->path - base, ".%s", key);
	if (v == NULL) {
		rc = bad(c, "required");
		goto out;
	}
	if (!json_is_object(v)) {
		rc = bad(c, "must give each language of \"languages\": {\"en\": ..., \"fr\": ...}");
		goto out;
	}
	json_object_foreach (v, k, t) {
		int lang = qlang_parse(k);
		bool declared = false;
		for (size_t i = 0; lang >= 0 && i < q->n_languages; i++)
			declared = declared || q->languages[i] == (enum qlang)lang;
		if (!declared) {
			rc = bad(c, "a language \"languages\" does not declare");
			goto out;
		}
		if (!json_is_string(t) || json_string_length(t) == 0) {
			rc = bad(c, "each language's text must be a non-empty string");
			goto out;
		}
		if ((tr[lang] = strdup(json_string_value(t))) == NULL) {
			rc = CV_ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < q->n_languages; i++)
		if (tr[q->languages[i]] == NULL) {
			char what[64];
			snprintf(what, sizeof what, "no \"%s\" text (a missing translation)",
				 qlang_code(q->languages[i]));
			rc = bad(c, what);
			goto out;
		}
	if ((*out = strdup(tr[q->languages[0]])) == NULL)
		rc = CV_ENOMEM;
out:
	if (rc == 0)
		c->path[base] = '\0';
	return rc;
}

/* The root's "languages": none (texts are strings), or 1-2 distinct codes, the default first. */
static int get_languages(struct ctx *c, json_t *root, struct questionnaire *q)
{
	json_t *v = json_object_get(root, "languages"), *l;
	size_t i;

	if (v == NULL)
		return 0;
	strcpy(c->path, "$.languages");
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > QLANGS)
		return bad(c,
			   "an array of the languages given, the default first: [\"en\", \"fr\"]");
	json_array_foreach (v, i, l) {
		int lang = json_is_string(l) ? qlang_parse(json_string_value(l)) : -1;
		if (lang < 0)
			return bad(c, "languages are \"en\" and \"fr\"");
		for (size_t k = 0; k < q->n_languages; k++)
			if (q->languages[k] == (enum qlang)lang)
				return bad(c, "a language given twice");
		q->languages[q->n_languages++] = (enum qlang)lang;
	}
	q->translated = true;
	strcpy(c->path, "$");
	return 0;
}

static int get_bool(struct ctx *c, json_t *obj, const char *key, bool dflt, bool *out)
{
	json_t *v = json_object_get(obj, key);
	size_t base = strlen(c->path);
	int rc = 0;

	*out = dflt;
	if (v == NULL)
		return 0;
	snprintf(c->path + base, sizeof c->path - base, ".%s", key);
	if (!json_is_boolean(v))
		rc = bad(c, "must be true or false");
	else
		*out = json_is_true(v);
	c->path[base] = '\0';
	return rc;
}

static int get_number(struct ctx *c, json_t *obj, const char *key, bool *has, double *out)
{
	json_t *v = json_object_get(obj, key);
	size_t base = strlen(c->path);
	int rc = 0;

	*has = false;
	if (v == NULL)
		return 0;
	snprintf(c->path + base, sizeof c->path - base, ".%s", key);
	if (!json_is_number(v)) {
		rc = bad(c, "must be a number");
	} else {
		*has = true;
		*out = json_number_value(v);
	}
	c->path[base] = '\0';
	return rc;
}

/* Refuses keys the format does not define, so that typos are caught. */
static int check_keys(struct ctx *c, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach (obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				ok = true;
		if (!ok) {
			size_t base = strlen(c->path);
			int rc;
			snprintf(c->path + base, sizeof c->path - base, ".%s", key);
			rc = bad(c, "unknown key");
			c->path[base] = '\0';
			return rc;
		}
	}
	return 0;
}

static int parse_options(struct ctx *c, const struct questionnaire *q, json_t *qj,
			 struct question *qn)
{
	const char *key = qn->type == QT_SCALE ? "levels" : "options";
	json_t *arr = json_object_get(qj, key);
	size_t base = strlen(c->path), i;
	json_t *item;
	int rc = 0;

	snprintf(c->path + base, sizeof c->path - base, ".%s", key);
	if (!json_is_array(arr) || json_array_size(arr) < 2 || json_array_size(arr) > 100) {
		rc = bad(c, "required: an array of 2 to 100 entries");
		goto out;
	}
	qn->options = calloc(json_array_size(arr), sizeof *qn->options);
	if (qn->options == NULL) {
		rc = CV_ENOMEM;
		goto out;
	}
	json_array_foreach (arr, i, item) {
		struct qoption *o = &qn->options[i];
		size_t b2 = strlen(c->path);
		static const char *const opt_keys[] = {"id", "label", "score", "replaces", NULL};
		static const char *const lvl_keys[] = {"value", "label", NULL};

		snprintf(c->path + b2, sizeof c->path - b2, "[%zu]", i);
		qn->n_options = i + 1;
		if (!json_is_object(item)) {
			rc = bad(c, "must be an object");
			goto out;
		}
		if ((rc = check_keys(c, item, qn->type == QT_SCALE ? lvl_keys : opt_keys)) != 0)
			goto out;
		if (qn->type == QT_SCALE) {
			json_t *v = json_object_get(item, "value");
			if (!json_is_integer(v)) {
				rc = bad(c, "value: required, an integer");
				goto out;
			}
			o->value = json_integer_value(v);
			for (size_t k = 0; k < i; k++)
				if (qn->options[k].value == o->value) {
					rc = bad(c, "value: used twice in this scale");
					goto out;
				}
		} else {
			if ((rc = get_string(c, item, "id", true, true, &o->id)) != 0)
				goto out;
			for (size_t k = 0; k < i; k++)
				if (strcmp(qn->options[k].id, o->id) == 0) {
					rc = bad(c, "id: used twice in this question");
					goto out;
				}
		}
		if ((rc = get_text(c, q, item, "label", &o->label, o->label_tr)) != 0)
			goto out;
		if (qn->type != QT_SCALE &&
		    (rc = get_string(c, item, "replaces", false, true, &o->replaces)) != 0)
			goto out;
		o->score = -1; /* none given */
		if (qn->type != QT_SCALE) {
			bool has;
			if ((rc = get_number(c, item, "score", &has, &o->score)) != 0)
				goto out;
			if (has && (o->score < 0 || o->score > 1)) {
				rc = bad(c, "score: from 0 to 1");
				goto out;
			}
			if (!has)
				o->score = -1;
		}
		c->path[b2] = '\0';
	}
out:
	if (rc == 0)
		c->path[base] = '\0';
	return rc;
}

/* The question's "score" object (struct qscore); absent: not scored. */
static int parse_score(struct ctx *c, json_t *sj, struct question *qn)
{
	static const char *const keys[] = {"weight", "yes", "no", "zero", "full", NULL};
	size_t base = strlen(c->path);
	bool has;
	int rc;

	if (sj == NULL)
		return 0;
	strncat(c->path, ".score", sizeof c->path - base - 1);
	if (!json_is_object(sj))
		return bad(c, "must be an object");
	if ((rc = check_keys(c, sj, keys)) != 0)
		return rc;
	qn->score.scored = true;
	qn->score.weight = 1;
	qn->score.yes = 1;
	qn->score.no = 0;
	if ((rc = get_number(c, sj, "weight", &has, &qn->score.weight)) != 0)
		return rc;
	if (qn->score.weight <= 0)
		return bad(c, "weight must be positive");
	switch (qn->type) {
	case QT_YES_NO:
		if ((rc = get_number(c, sj, "yes", &has, &qn->score.yes)) != 0 ||
		    (rc = get_number(c, sj, "no", &has, &qn->score.no)) != 0)
			return rc;
		if (qn->score.yes < 0 || qn->score.yes > 1 || qn->score.no < 0 || qn->score.no > 1)
			return bad(c, "yes and no score from 0 to 1");
		break;
	case QT_INTEGER:
	case QT_NUMBER: {
		bool hz, hf;
		if ((rc = get_number(c, sj, "zero", &hz, &qn->score.zero)) != 0 ||
		    (rc = get_number(c, sj, "full", &hf, &qn->score.full)) != 0)
			return rc;
		if (!hz || !hf || qn->score.zero == qn->score.full)
			return bad(c, "a scored number needs distinct zero and full values");
		break;
	}
	case QT_SCALE: break;
	case QT_CHOICE:
		for (size_t i = 0; i < qn->n_options; i++)
			if (qn->options[i].score < 0)
				return bad(
					c,
					"every option of a scored choice needs a score (0 to 1)");
		break;
	default: return bad(c, "multiple choice and text questions cannot be scored");
	}
	c->path[base] = '\0';
	return 0;
}

/* A non-negative threshold of an object, if given. */
static int get_threshold(struct ctx *c, json_t *obj, const char *key, bool *has, double *out)
{
	int rc = get_number(c, obj, key, has, out);
	if (rc == 0 && *has && !(*out >= 0)) {
		size_t base = strlen(c->path);
		snprintf(c->path + base, sizeof c->path - base, ".%s", key);
		rc = bad(c, "must be 0 or more");
		c->path[base] = '\0';
	}
	return rc;
}

static int parse_change(struct ctx *c, json_t *cj, struct qcheck *k)
{
	static const char *const keys[] = {"relative", "absolute", NULL};
	size_t base = strlen(c->path);
	int rc;

	strncat(c->path, ".change_from_previous", sizeof c->path - base - 1);
	if (!json_is_object(cj))
		return bad(c, "must be an object: {\"relative\": R, \"absolute\": A}");
	if ((rc = check_keys(c, cj, keys)) != 0 ||
	    (rc = get_threshold(c, cj, "relative", &k->has_relative, &k->relative)) != 0 ||
	    (rc = get_threshold(c, cj, "absolute", &k->has_absolute, &k->absolute)) != 0)
		return rc;
	if (!k->has_relative && !k->has_absolute)
		return bad(c, "needs a relative or an absolute threshold, or both");
	k->change = true;
	c->path[base] = '\0';
	return 0;
}

static int parse_outlier(struct ctx *c, json_t *oj, struct qcheck *k)
{
	static const char *const keys[] = {"threshold", "min_answers", NULL};
	size_t base = strlen(c->path);
	json_t *mn;
	bool has;
	int rc;

	strncat(c->path, ".outlier", sizeof c->path - base - 1);
	if (!json_is_object(oj))
		return bad(c, "must be an object: {\"threshold\": Z, \"min_answers\": N}");
	if ((rc = check_keys(c, oj, keys)) != 0)
		return rc;
	k->outlier_z = QUALITY_DEFAULT_Z;
	k->outlier_min_answers = QUALITY_DEFAULT_MIN_ANSWERS;
	if ((rc = get_number(c, oj, "threshold", &has, &k->outlier_z)) != 0)
		return rc;
	if (!(k->outlier_z > 0))
		return bad(c, "threshold must be greater than 0");
	mn = json_object_get(oj, "min_answers");
	if (mn != NULL) {
		if (!json_is_integer(mn) || json_integer_value(mn) < 3 ||
		    json_integer_value(mn) > 100000)
			return bad(c, "min_answers: an integer from 3 to 100000");
		k->outlier_min_answers = (unsigned)json_integer_value(mn);
	}
	c->path[base] = '\0';
	return 0;
}

/* The quality checks (docs/questionnaires.md): numbers, integers and scales. */
static int parse_checks(struct ctx *c, json_t *qj, struct question *qn)
{
	struct qcheck *k = &qn->check;
	json_t *cj = json_object_get(qj, "change_from_previous");
	json_t *oj = json_object_get(qj, "outlier");
	double lo = -INFINITY, hi = INFINITY;
	int rc;

	if ((rc = get_number(c, qj, "warn_below", &k->has_warn_below, &k->warn_below)) != 0 ||
	    (rc = get_number(c, qj, "warn_above", &k->has_warn_above, &k->warn_above)) != 0)
		return rc;
	if ((k->has_warn_below || k->has_warn_above || cj != NULL || oj != NULL) &&
	    qn->type != QT_INTEGER && qn->type != QT_NUMBER && qn->type != QT_SCALE)
		return bad(c, "warn_below, warn_above, change_from_previous and outlier apply to "
			      "integer, number and scale questions only");
	if (qn->has_min)
		lo = qn->min;
	if (qn->has_max)
		hi = qn->max;
	if (qn->type == QT_SCALE && qn->n_options > 0) {
		lo = hi = (double)qn->options[0].value;
		for (size_t i = 1; i < qn->n_options; i++) {
			double v = (double)qn->options[i].value;
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	}
	/* A soft bound outside the hard ones could never be crossed. */
	if (k->has_warn_below && !(k->warn_below > lo && k->warn_below <= hi))
		return bad(c, "warn_below must lie above the lowest allowed answer and not above "
			      "the highest");
	if (k->has_warn_above && !(k->warn_above < hi && k->warn_above >= lo))
		return bad(c, "warn_above must lie below the highest allowed answer and not below "
			      "the lowest");
	if (k->has_warn_below && k->has_warn_above && k->warn_below > k->warn_above)
		return bad(c, "warn_below is greater than warn_above");
	if (cj != NULL && (rc = parse_change(c, cj, k)) != 0)
		return rc;
	if (oj != NULL && (rc = parse_outlier(c, oj, k)) != 0)
		return rc;
	return 0;
}

static int check_consent(struct ctx *c, const struct question *qn);

static int parse_question(struct ctx *c, const struct questionnaire *q, json_t *qj,
			  struct question *qn)
{
	static const char *const keys[] = {"id",
					   "type",
					   "text",
					   "required",
					   "allow_not_applicable",
					   "allow_dont_know",
					   "min",
					   "max",
					   "unit",
					   "max_length",
					   "options",
					   "levels",
					   "when",
					   "score",
					   "warn_below",
					   "warn_above",
					   "change_from_previous",
					   "outlier",
					   "replaces",
					   "comparable",
					   "hint",
					   "consent",
					   "share",
					   "about",
					   NULL};
	char *type = NULL, *consent = NULL;
	bool comparable;
	json_t *ml;
	int rc;

	if (!json_is_object(qj))
		return bad(c, "must be an object");
	if ((rc = check_keys(c, qj, keys)) != 0)
		return rc;
	if ((rc = get_string(c, qj, "id", true, true, &qn->id)) != 0)
		return rc;
	qn->id_len = strlen(qn->id);
	if ((rc = get_text(c, q, qj, "text", &qn->text, qn->text_tr)) != 0)
		return rc;
	if (json_object_get(qj, "hint") != NULL &&
	    (rc = get_text(c, q, qj, "hint", &qn->hint, qn->hint_tr)) != 0)
		return rc;
	if ((rc = get_string(c, qj, "type", true, false, &type)) != 0)
		return rc;
	rc = qtype_parse(type, &qn->type);
	free(type);
	if (rc != 0) {
		size_t base = strlen(c->path);
		snprintf(c->path + base, sizeof c->path - base, ".type");
		return bad(c, "unknown type (yes_no, integer, number, scale, choice, "
			      "multi_choice, text)");
	}
	if ((rc = get_bool(c, qj, "required", false, &qn->required)) != 0 ||
	    (rc = get_bool(c, qj, "allow_not_applicable", false, &qn->allow_not_applicable)) != 0 ||
	    (rc = get_bool(c, qj, "allow_dont_know", false, &qn->allow_dont_know)) != 0 ||
	    (rc = get_number(c, qj, "min", &qn->has_min, &qn->min)) != 0 ||
	    (rc = get_number(c, qj, "max", &qn->has_max, &qn->max)) != 0 ||
	    (rc = get_string(c, qj, "unit", false, false, &qn->unit)) != 0)
		return rc;
	if ((qn->has_min || qn->has_max) && qn->type != QT_INTEGER && qn->type != QT_NUMBER)
		return bad(c, "min/max apply to integer and number questions only");
	if (qn->has_min && qn->has_max && qn->min > qn->max)
		return bad(c, "min is greater than max");
	ml = json_object_get(qj, "max_length");
	if (ml != NULL) {
		if (qn->type != QT_TEXT || !json_is_integer(ml) || json_integer_value(ml) < 1)
			return bad(c, "max_length: a positive integer, for text questions only");
		qn->max_length = (size_t)json_integer_value(ml);
	}
	if ((rc = get_string(c, qj, "when", false, false, &qn->when_src)) != 0 ||
	    (rc = get_string(c, qj, "replaces", false, true, &qn->replaces)) != 0 ||
	    (rc = get_bool(c, qj, "comparable", true, &comparable)) != 0)
		return rc;
	qn->not_comparable = !comparable;
	if (q->version < 2 && (qn->replaces != NULL || !comparable))
		return bad(c, "replaces and comparable: for a version after the first only");
	if (qn->type == QT_CHOICE || qn->type == QT_MULTI_CHOICE || qn->type == QT_SCALE) {
		if ((rc = parse_options(c, q, qj, qn)) != 0)
			return rc;
		qn->level_lo = qn->level_hi = qn->options[0].value;
		for (size_t i = 1; i < qn->n_options; i++) {
			if (qn->options[i].value < qn->level_lo)
				qn->level_lo = qn->options[i].value;
			if (qn->options[i].value > qn->level_hi)
				qn->level_hi = qn->options[i].value;
		}
	} else if (json_object_get(qj, "options") != NULL ||
		   json_object_get(qj, "levels") != NULL) {
		return bad(c, "options/levels apply to choice and scale questions only");
	}
	if ((rc = parse_score(c, json_object_get(qj, "score"), qn)) != 0)
		return rc;
	if ((rc = get_string(c, qj, "consent", false, false, &consent)) != 0)
		return rc;
	if (consent != NULL) {
		qn->consent = strcmp(consent, "section") == 0         ? QCONSENT_SECTION
			      : strcmp(consent, "questionnaire") == 0 ? QCONSENT_QUESTIONNAIRE
								      : QCONSENT_NONE;
		free(consent);
		if (qn->consent == QCONSENT_NONE)
			return bad(c, "consent: \"section\" or \"questionnaire\"");
		if ((rc = check_consent(c, qn)) != 0)
			return rc;
	}
	if ((rc = get_bool(c, qj, "share", false, &qn->share)) != 0 ||
	    (rc = get_string(c, qj, "about", false, true, &qn->about_src)) != 0)
		return rc;
	if (qn->share && qn->consent != QCONSENT_NONE)
		return bad(c, "share: a consent question is not itself shared");
	if (qn->about_src != NULL && !qn->share)
		return bad(c, "about: for a shared question (\"share\": true) only");
	return parse_checks(c, qj, qn);
}

/* A consent question: a choice of exactly no, anonymously and with_name, not scored. */
static int check_consent(struct ctx *c, const struct question *qn)
{
	bool seen[3] = {false, false, false};

	if (qn->type != QT_CHOICE || qn->n_options != 3)
		return bad(c, "consent: a choice question with exactly the options no, "
			      "anonymously and with_name");
	for (size_t i = 0; i < 3; i++) {
		size_t k = 0;
		while (k < 3 && strcmp(qn->options[i].id, qdef_consent_options[k]) != 0)
			k++;
		if (k == 3 || seen[k])
			return bad(c, "consent: a choice question with exactly the options no, "
				      "anonymously and with_name");
		seen[k] = true;
	}
	if (qn->score.scored)
		return bad(c, "consent: a consent question is not scored");
	return 0;
}

/*
 * After every question is read: the section each shared answer is about,
 * and the consent question that governs it (its section's, else the
 * questionnaire's); one consent question per section and one for the
 * questionnaire at most.
 */
static int resolve_sharing(struct ctx *c, struct questionnaire *q)
{
	const struct question *whole = NULL;
	const struct question **by_section = calloc(q->n_sections, sizeof *by_section);

	if (by_section == NULL)
		return CV_ENOMEM;
	for (size_t i = 0; i < q->n_questions; i++) {
		const struct question *qn = &q->questions[i];
		const struct question **slot =
			qn->consent == QCONSENT_SECTION ? &by_section[qn->section] : &whole;
		if (qn->consent == QCONSENT_NONE)
			continue;
		if (*slot != NULL) {
			snprintf(c->path, sizeof c->path, "$ (question %s)", qn->id);
			free(by_section);
			return bad(c, qn->consent == QCONSENT_SECTION
					      ? "consent: a second consent question for its section"
					      : "consent: a second consent question for the "
						"questionnaire");
		}
		*slot = qn;
	}
	for (size_t i = 0; i < q->n_questions; i++) {
		struct question *qn = &q->questions[i];
		if (!qn->share)
			continue;
		snprintf(c->path, sizeof c->path, "$ (question %s)", qn->id);
		qn->about = qn->section;
		if (qn->about_src != NULL) {
			size_t s = 0;
			while (s < q->n_sections && strcmp(q->sections[s].id, qn->about_src) != 0)
				s++;
			if (s == q->n_sections) {
				free(by_section);
				return bad(c, "about: names no section of this questionnaire");
			}
			qn->about = s;
		}
		qn->consent_by = by_section[qn->section] ? by_section[qn->section] : whole;
		if (qn->consent_by == NULL) {
			free(by_section);
			return bad(c, "share: a shared answer needs a consent question "
				      "(\"consent\") in its section or for the questionnaire");
		}
		q->n_shared++;
	}
	/* One consent per key factor: a digest entry is named or anonymous as a whole. */
	for (size_t i = 0; i < q->n_questions; i++)
		for (size_t k = 0; q->questions[i].share && k < i; k++)
			if (q->questions[k].share &&
			    q->questions[k].about == q->questions[i].about &&
			    q->questions[k].consent_by != q->questions[i].consent_by) {
				snprintf(c->path, sizeof c->path, "$ (question %s)",
					 q->questions[i].id);
				free(by_section);
				return bad(c, "about: the shared answers about one section are "
					      "governed by one consent question");
			}
	free(by_section);
	return 0;
}

static int by_id_cmp(const void *a, const void *b)
{
	return strcmp((*(struct question *const *)a)->id, (*(struct question *const *)b)->id);
}

/* Compiles every question's "when" once all questions are known. */
static int compile_conditions(struct ctx *c, struct questionnaire *q)
{
	char inner[200];
	for (size_t i = 0; i < q->n_questions; i++) {
		struct question *qn = &q->questions[i];
		if (qn->when_src == NULL)
			continue;
		snprintf(c->path, sizeof c->path, "$.sections[%zu].questions[%zu].when",
			 qn->section, qn->index_in_section);
		if (expr_compile(qn->when_src, q, &qn->when, inner, sizeof inner) != 0)
			return bad(c, inner);
		{
			const struct question *refs[64];
			size_t n = expr_questions(qn->when, refs, 64);
			for (size_t k = 0; k < n; k++)
				if (refs[k] == qn)
					return bad(c,
						   "a condition cannot depend on its own question");
		}
	}
	return 0;
}

static int parse_rules(struct ctx *c, json_t *rj, struct questionnaire *q)
{
	static const char *const keys[] = {"id", "expr", "severity", "message", NULL};
	char inner[200];
	json_t *item;
	size_t i;
	int rc;

	if (rj == NULL)
		return 0;
	strcpy(c->path, "$.rules");
	if (!json_is_array(rj))
		return bad(c, "must be an array");
	q->rules = calloc(json_array_size(rj) + 1, sizeof *q->rules);
	if (q->rules == NULL)
		return CV_ENOMEM;
	json_array_foreach (rj, i, item) {
		struct qrule *r = &q->rules[i];
		char *sev = NULL;

		snprintf(c->path, sizeof c->path, "$.rules[%zu]", i);
		q->n_rules = i + 1;
		if (!json_is_object(item))
			return bad(c, "must be an object");
		if ((rc = check_keys(c, item, keys)) != 0 ||
		    (rc = get_string(c, item, "id", true, true, &r->id)) != 0 ||
		    (rc = get_string(c, item, "expr", true, false, &r->expr_src)) != 0 ||
		    (rc = get_string(c, item, "message", true, false, &r->message)) != 0 ||
		    (rc = get_string(c, item, "severity", true, false, &sev)) != 0)
			return rc;
		r->warning = strcmp(sev, "warning") == 0;
		if (!r->warning && strcmp(sev, "error") != 0) {
			free(sev);
			strncat(c->path, ".severity", sizeof c->path - strlen(c->path) - 1);
			return bad(c, "must be \"error\" or \"warning\"");
		}
		free(sev);
		for (size_t k = 0; k < i; k++)
			if (strcmp(q->rules[k].id, r->id) == 0)
				return bad(c, "rule id used twice");
		strncat(c->path, ".expr", sizeof c->path - strlen(c->path) - 1);
		if (expr_compile(r->expr_src, q, &r->expr, inner, sizeof inner) != 0)
			return bad(c, inner);
	}
	return 0;
}

static int parse_root(struct ctx *c, json_t *root, struct questionnaire *q)
{
	static const char *const keys[] = {"id",       "version", "languages", "title",
					   "sections", "rules",   NULL};
	static const char *const sec_keys[] = {"id", "title", "questions", NULL};
	json_t *ver, *secs, *sj;
	size_t total = 0, i;
	int rc;

	strcpy(c->path, "$");
	if (!json_is_object(root))
		return bad(c, "must be an object");
	if ((rc = check_keys(c, root, keys)) != 0 ||
	    (rc = get_string(c, root, "id", true, true, &q->id)) != 0 ||
	    (rc = get_languages(c, root, q)) != 0 ||
	    (rc = get_text(c, q, root, "title", &q->title, q->title_tr)) != 0)
		return rc;
	ver = json_object_get(root, "version");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1 ||
	    json_integer_value(ver) > 1000000) {
		strcpy(c->path, "$.version");
		return bad(c, "required: an integer from 1");
	}
	q->version = (uint32_t)json_integer_value(ver);
	secs = json_object_get(root, "sections");
	if (!json_is_array(secs) || json_array_size(secs) == 0) {
		strcpy(c->path, "$.sections");
		return bad(c, "required: a non-empty array");
	}
	json_array_foreach (secs, i, sj) {
		json_t *qs = json_object_get(sj, "questions");
		if (!json_is_array(qs) || json_array_size(qs) == 0) {
			snprintf(c->path, sizeof c->path, "$.sections[%zu].questions", i);
			return bad(c, "required: a non-empty array");
		}
		total += json_array_size(qs);
	}
	q->sections = calloc(json_array_size(secs), sizeof *q->sections);
	q->questions = calloc(total, sizeof *q->questions);
	q->by_id = calloc(total, sizeof *q->by_id);
	if (q->sections == NULL || q->questions == NULL || q->by_id == NULL)
		return CV_ENOMEM;
	json_array_foreach (secs, i, sj) {
		json_t *qs = json_object_get(sj, "questions"), *qj;
		size_t k;

		snprintf(c->path, sizeof c->path, "$.sections[%zu]", i);
		q->n_sections = i + 1;
		if ((rc = check_keys(c, sj, sec_keys)) != 0 ||
		    (rc = get_string(c, sj, "id", true, true, &q->sections[i].id)) != 0 ||
		    (rc = get_text(c, q, sj, "title", &q->sections[i].title,
				   q->sections[i].title_tr)) != 0)
			return rc;
		for (size_t s = 0; s < i; s++)
			if (strcmp(q->sections[s].id, q->sections[i].id) == 0)
				return bad(c, "section id used twice");
		json_array_foreach (qs, k, qj) {
			struct question *qn = &q->questions[q->n_questions];
			snprintf(c->path, sizeof c->path, "$.sections[%zu].questions[%zu]", i, k);
			qn->section = i;
			qn->index_in_section = k;
			qn->order = q->n_questions;
			q->by_id[q->n_questions] = qn;
			q->n_questions++;
			if ((rc = parse_question(c, q, qj, qn)) != 0)
				return rc;
			if (qn->check.change || qn->check.outlier_z > 0)
				q->n_store_checks++;
		}
	}
	qsort(q->by_id, q->n_questions, sizeof *q->by_id, by_id_cmp);
	for (i = 1; i < q->n_questions; i++)
		if (strcmp(q->by_id[i - 1]->id, q->by_id[i]->id) == 0) {
			snprintf(c->path, sizeof c->path, "$ (question %s)", q->by_id[i]->id);
			return bad(c, "question id used twice");
		}
	if ((rc = compile_conditions(c, q)) != 0 || (rc = resolve_sharing(c, q)) != 0)
		return rc;
	return parse_rules(c, json_object_get(root, "rules"), q);
}

int qdef_load_text(const char *name, const char *text, size_t len, struct questionnaire **out,
		   char *err, size_t errlen)
{
	struct ctx c = {.name = name, .err = err, .errlen = errlen};
	struct questionnaire *q;
	json_error_t jerr;
	json_t *root;
	int rc;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return cv_fail(err, errlen, CV_ECONFIG, "%s: line %d column %d: %s", name,
			       jerr.line, jerr.column, jerr.text);
	q = calloc(1, sizeof *q);
	if (q == NULL) {
		json_decref(root);
		return CV_ENOMEM;
	}
	rc = parse_root(&c, root, q);
	json_decref(root);
	if (rc != 0) {
		if (rc == CV_ENOMEM)
			cv_fail(err, errlen, rc, "%s: out of memory", name);
		qdef_free(&q);
		return rc;
	}
	*out = q;
	return 0;
}

int qdef_load_file(const char *path, struct questionnaire **out, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc = cv_read_file(path, QDEF_MAX_FILE, &text, &len, err, errlen);
	if (rc != 0)
		return rc == CV_ENOMEM ? rc : CV_ECONFIG;
	rc = qdef_load_text(path, text, len, out, err, errlen);
	free(text);
	return rc;
}

void qdef_free(struct questionnaire **qp)
{
	struct questionnaire *q;

	if (qp == NULL || *qp == NULL)
		return;
	q = *qp;
	for (size_t i = 0; i < q->n_questions; i++) {
		struct question *qn = &q->questions[i];
		free(qn->replaces);
		free(qn->about_src);
		free(qn->hint);
		for (int l = 0; l < QLANGS; l++)
			free(qn->hint_tr[l]);
		for (size_t k = 0; k < qn->n_options; k++) {
			free(qn->options[k].id);
			free(qn->options[k].replaces);
			free(qn->options[k].label);
			for (int l = 0; l < QLANGS; l++)
				free(qn->options[k].label_tr[l]);
		}
		for (int l = 0; l < QLANGS; l++)
			free(qn->text_tr[l]);
		free(qn->options);
		free(qn->when_src);
		expr_free(&qn->when);
		free(qn->id);
		free(qn->text);
		free(qn->unit);
	}
	for (size_t i = 0; i < q->n_sections; i++) {
		free(q->sections[i].id);
		free(q->sections[i].title);
		for (int l = 0; l < QLANGS; l++)
			free(q->sections[i].title_tr[l]);
	}
	for (size_t i = 0; i < q->n_rules; i++) {
		free(q->rules[i].id);
		free(q->rules[i].expr_src);
		free(q->rules[i].message);
		expr_free(&q->rules[i].expr);
	}
	free(q->rules);
	free(q->questions);
	free(q->sections);
	free(q->by_id);
	free(q->id);
	free(q->title);
	for (int l = 0; l < QLANGS; l++)
		free(q->title_tr[l]);
	free(q);
	*qp = NULL;
}
