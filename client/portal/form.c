#include "form.h"
#include "canon.h"
#include "error.h"
#include "expr.h"
#include "subjson.h"
#include "text.h"
#include "wire.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int form_new(struct form **out, const struct questionnaire *def, const char *cycle,
	     const char *member)
{
	struct form *f = calloc(1, sizeof *f);

	*out = NULL;
	if (f == NULL)
		return CV_ENOMEM;
	f->def = def;
	f->cycle = strdup(cycle);
	f->member = strdup(member);
	f->answers = json_object();
	f->unparsed = json_object();
	f->applies = calloc(def->n_questions ? def->n_questions : 1, sizeof *f->applies);
	if (f->cycle == NULL || f->member == NULL || f->answers == NULL || f->unparsed == NULL ||
	    f->applies == NULL) {
		form_free(&f);
		return CV_ENOMEM;
	}
	for (size_t i = 0; i < def->n_questions; i++)
		f->applies[i] = true;
	*out = f;
	return 0;
}

void form_free(struct form **fp)
{
	struct form *f;
	if (fp == NULL || (f = *fp) == NULL)
		return;
	free(f->cycle);
	free(f->member);
	json_decref(f->answers);
	json_decref(f->unparsed);
	free(f->applies);
	free(f);
	*fp = NULL;
}

int form_take_submission(struct form *f, const Canvass__Submission *s)
{
	json_object_clear(f->answers);
	json_object_clear(f->unparsed);
	for (size_t i = 0; i < s->n_answers; i++) {
		const Canvass__Answer *a = s->answers[i];
		json_t *v;
		if (qdef_question(f->def, a->question) == NULL)
			continue; /* (a previous version's question this one has not) */
		if ((v = subjson_answer_value(a)) == NULL ||
		    json_object_set_new(f->answers, a->question, v) != 0)
			return CV_ENOMEM;
	}
	return form_conditions(f);
}

/* An answer's value with its options renamed as q's lineage says (adjacent versions). */
static json_t *continued_value(const struct question *q, const Canvass__Answer *a, bool adjacent)
{
	json_t *v = subjson_answer_value(a);
	if (v == NULL || !adjacent || q->n_options == 0 || q->type == QT_SCALE)
		return v;
	for (size_t i = 0; i < q->n_options; i++) {
		const char *was = qdef_option_was(&q->options[i]);
		if (strcmp(was, q->options[i].id) == 0)
			continue;
		if (json_is_string(v) && strcmp(json_string_value(v), was) == 0) {
			json_decref(v);
			return json_string(q->options[i].id);
		}
		for (size_t k = 0; json_is_array(v) && k < json_array_size(v); k++)
			if (strcmp(json_string_value(json_array_get(v, k)), was) == 0)
				json_array_set_new(v, k, json_string(q->options[i].id));
	}
	return v;
}

int form_take_previous(struct form *f, const struct qset *qs, const Canvass__Submission *s)
{
	const struct questionnaire *sdef = qset_find(qs, f->def->id, s->version);

	if (sdef == NULL || sdef == f->def)
		return form_take_submission(f, s);
	json_object_clear(f->answers);
	json_object_clear(f->unparsed);
	for (size_t i = 0; i < f->def->n_questions; i++) {
		const struct question *q = &f->def->questions[i];
		bool comparable;
		const struct question *was = qset_continued(qs, f->def, q, sdef, &comparable);
		json_t *v;
		if (was == NULL || !comparable)
			continue; /* new, or its meaning changed: not carried over */
		for (size_t k = 0; k < s->n_answers; k++) {
			if (strcmp(s->answers[k]->question, was->id) != 0)
				continue;
			v = continued_value(q, s->answers[k], sdef->version + 1 == f->def->version);
			if (v == NULL || json_object_set_new(f->answers, q->id, v) != 0)
				return CV_ENOMEM;
			break;
		}
	}
	return form_conditions(f);
}

/* The values posted under name (borrowed pointers), at most max. */
static size_t values_of(const struct form_field *fields, size_t n, const char *prefix,
			const char *id, const char **out, size_t max)
{
	size_t k = 0, pl = strlen(prefix);
	for (size_t i = 0; i < n && k < max; i++)
		if (strncmp(fields[i].name, prefix, pl) == 0 &&
		    strcmp(fields[i].name + pl, id) == 0)
			out[k++] = fields[i].value;
	return k;
}

static json_t *special(const char *which)
{
	if (strcmp(which, "not_applicable") != 0 && strcmp(which, "dont_know") != 0)
		return NULL;
	return json_pack("{ss}", "special", which);
}

/* A copy of s without leading and trailing white space (NULL: out of memory). */
static char *trimmed(const char *s)
{
	size_t n;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

/* What was typed, whole, made valid UTF-8 without controls (NULL: out of memory). */
static json_t *typed_text(const char *s)
{
	char *copy = strdup(s);
	json_t *v = copy ? json_string(text_sanitize(copy)) : NULL;
	free(copy);
	return v;
}

/* A whole number, all of s; 0 or -1. */
static int whole(const char *s, long long *out)
{
	char *end;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0 ? 0 : -1;
}

/* A finite number, all of s; a comma is taken for the decimal point ("12,5"). */
static int decimal(char *s, double *out)
{
	char *end;
	if (strchr(s, '.') == NULL) {
		char *comma = strchr(s, ',');
		if (comma != NULL && strchr(comma + 1, ',') == NULL)
			*comma = '.';
	}
	errno = 0;
	*out = strtod(s, &end);
	return s[0] != '\0' && *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
}

/* One question's answer from its fields: into answers, or what was typed into unparsed. */
static int take_question(struct form *f, const struct question *q, const struct form_field *fields,
			 size_t n)
{
	const char *vals[256], *sp[1];
	size_t nv = values_of(fields, n, "a.", q->id, vals, 256);
	size_t ns = values_of(fields, n, "s.", q->id, sp, 1);
	char *t;
	json_t *v = NULL;
	long long i;
	double x;

	if (ns == 1 && sp[0][0] != '\0') {
		v = special(sp[0]);
	} else if (nv > 0 && strncmp(vals[0], "special:", 8) == 0) {
		v = special(vals[0] + 8);
	} else if (q->type == QT_MULTI_CHOICE) {
		if (nv > 0 && (v = json_array()) != NULL)
			for (size_t k = 0; k < nv; k++)
				if (qdef_option_index(q, vals[k]) >= 0)
					json_array_append_new(v, json_string(vals[k]));
	} else if (nv > 0) {
		if ((t = trimmed(vals[0])) == NULL)
			return CV_ENOMEM;
		if (t[0] == '\0' && q->type != QT_TEXT) {
			free(t);
			return 0;
		}
		switch (q->type) {
		case QT_YES_NO:
			if (strcmp(t, "yes") == 0 || strcmp(t, "no") == 0)
				v = json_boolean(strcmp(t, "yes") == 0);
			break;
		case QT_SCALE:
		case QT_INTEGER:
			if (whole(t, &i) == 0)
				v = json_integer(i);
			break;
		case QT_NUMBER:
			if (decimal(t, &x) == 0)
				v = x == floor(x) && fabs(x) < 9e15 ? json_integer((json_int_t)x)
								    : json_real(x);
			break;
		case QT_CHOICE:
			if (qdef_option_index(q, t) >= 0)
				v = json_string(t);
			break;
		case QT_TEXT:
			if (vals[0][0] == '\0') {
				free(t);
				return 0;
			}
			/* The text as typed (not trimmed). */
			if ((v = typed_text(vals[0])) == NULL) {
				free(t);
				return CV_ENOMEM;
			}
			break;
		default: break;
		}
		free(t);
		if (v == NULL) { /* typed, but not an answer of this type: kept, said where */
			v = typed_text(vals[0]);
			return v != NULL && json_object_set_new(f->unparsed, q->id, v) == 0
				       ? 0
				       : CV_ENOMEM;
		}
	}
	if (v == NULL)
		return 0;
	return json_object_set_new(f->answers, q->id, v) == 0 ? 0 : CV_ENOMEM;
}

int form_take_post(struct form *f, const struct form_field *fields, size_t n)
{
	int rc = 0;
	json_object_clear(f->answers);
	json_object_clear(f->unparsed);
	for (size_t i = 0; i < f->def->n_questions && rc == 0; i++)
		rc = take_question(f, &f->def->questions[i], fields, n);
	return rc != 0 ? rc : form_conditions(f);
}

/* The JSON submission of the answers of the questions that apply (new reference). */
static json_t *submission(const struct form *f)
{
	json_t *answers = json_object();
	for (size_t i = 0; answers != NULL && i < f->def->n_questions; i++) {
		const struct question *q = &f->def->questions[i];
		json_t *v = json_object_get(f->answers, q->id);
		if (v != NULL && f->applies[i])
			json_object_set(answers, q->id, v);
	}
	return json_pack("{ss sI ss ss so}", "questionnaire", f->def->id, "version",
			 (json_int_t)f->def->version, "cycle", f->cycle, "member", f->member,
			 "answers", answers);
}

int form_conditions(struct form *f)
{
	for (size_t i = 0; i < f->def->n_questions; i++)
		f->applies[i] = true;
	/* Each pass can only turn questions off; a fixed point within n passes. */
	for (size_t pass = 0; pass <= f->def->n_questions; pass++) {
		char err[256], *text;
		Canvass__Submission *s = NULL;
		bool changed = false;
		json_t *doc = submission(f);
		text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
		json_decref(doc);
		if (text == NULL)
			return CV_ENOMEM;
		if (subjson_parse(text, strlen(text), &s, err, sizeof err) != 0) {
			free(text);
			return 0; /* (the check will say what is wrong) */
		}
		free(text);
		canon_submission(s, NULL); /* (one answer a question: a JSON object's keys) */
		for (size_t i = 0; i < f->def->n_questions; i++) {
			const struct question *q = &f->def->questions[i];
			bool now = expr_applies(q, s);
			changed = changed || now != f->applies[i];
			f->applies[i] = now;
		}
		WIRE_FREE(s);
		if (!changed)
			break;
	}
	return 0;
}

char *form_submission_json(struct form *f)
{
	json_t *doc = submission(f);
	char *text = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(doc);
	return text;
}

char *form_draft_json(const struct form *f)
{
	json_t *doc = json_pack("{ss sI ss ss sO sO}", "questionnaire", f->def->id, "version",
				(json_int_t)f->def->version, "cycle", f->cycle, "member", f->member,
				"answers", f->answers, "unparsed", f->unparsed);
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(doc);
	return text;
}

int form_take_draft(struct form *f, const char *text, size_t len)
{
	json_t *doc = json_loadb(text, len, 0, NULL), *a, *u;
	const char *k;
	json_t *v;

	if (doc == NULL)
		return CV_EINVAL;
	a = json_object_get(doc, "answers");
	u = json_object_get(doc, "unparsed");
	json_object_clear(f->answers);
	json_object_clear(f->unparsed);
	/* Only what this definition asks: a draft is the member's file, read with care. */
	json_object_foreach (a, k, v)
		if (qdef_question(f->def, k) != NULL)
			json_object_set(f->answers, k, v);
	json_object_foreach (u, k, v)
		if (qdef_question(f->def, k) != NULL && json_is_string(v))
			json_object_set(f->unparsed, k, v);
	json_decref(doc);
	return form_conditions(f);
}

const char *form_typed(const struct form *f, const struct question *q, char buf[FORM_NUMBER_MAX])
{
	json_t *v = json_object_get(f->unparsed, q->id);
	if (v == NULL)
		v = json_object_get(f->answers, q->id);
	if (json_is_string(v))
		return json_string_value(v);
	buf[0] = '\0';
	if (json_is_integer(v))
		snprintf(buf, FORM_NUMBER_MAX, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, FORM_NUMBER_MAX, "%.15g", json_real_value(v));
	return buf;
}

const char *form_special(const struct form *f, const struct question *q)
{
	json_t *v = json_object_get(json_object_get(f->answers, q->id), "special");
	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool form_chosen(const struct form *f, const struct question *q, const char *id)
{
	json_t *v = json_object_get(f->answers, q->id), *item;
	size_t i;

	if (v == NULL)
		return false;
	switch (q->type) {
	case QT_YES_NO: return json_is_boolean(v) && json_is_true(v) == (strcmp(id, "yes") == 0);
	case QT_SCALE: {
		long long level;
		return json_is_integer(v) && whole(id, &level) == 0 &&
		       json_integer_value(v) == level;
	}
	case QT_CHOICE: return json_is_string(v) && strcmp(json_string_value(v), id) == 0;
	case QT_MULTI_CHOICE:
		json_array_foreach (v, i, item)
			if (json_is_string(item) && strcmp(json_string_value(item), id) == 0)
				return true;
		return false;
	default: return false;
	}
}
