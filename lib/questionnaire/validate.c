#include "validate.h"
#include "quality.h"
#include "canon.h"
#include "error.h"
#include "expr.h"
#include "text.h"
#include "wire.h"

#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void verdict_init(struct verdict *v)
{
	v->n = 0;
	v->errors = 0;
	v->dropped = 0;
}

void verdict_add(struct verdict *v, int warning, const char *code, const char *question,
		 const char *fmt, ...)
{
	struct problem *p;
	va_list ap;

	if (!warning)
		v->errors++;
	if (v->n == VALIDATE_MAX_PROBLEMS) {
		v->dropped++;
		return;
	}
	p = &v->items[v->n++];
	p->warning = warning;
	snprintf(p->code, sizeof p->code, "%s", code);
	/* What a peer sent is echoed only as valid UTF-8, cut at a character boundary. */
	text_copy(p->question, sizeof p->question, question ? question : "");
	p->rule[0] = '\0';
	p->finding = false;
	p->value = p->reference = p->score = 0;
	p->group[0] = '\0';
	p->group_size = 0;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
	text_sanitize(p->message);
}

struct problem *verdict_add_finding(struct verdict *v, const char *code, const char *question,
				    double value, double reference, double score, const char *group,
				    unsigned group_size, const char *message)
{
	struct problem *p;
	size_t before = v->n;

	verdict_add(v, 1, code, question, "%s", message);
	if (v->n == before)
		return NULL;
	p = &v->items[before];
	p->finding = true;
	p->value = value;
	p->reference = reference;
	p->score = score;
	text_copy(p->group, sizeof p->group, group ? group : "");
	p->group_size = group_size;
	return p;
}

int verdict_to_wire(const struct problem *items, size_t n, Canvass__Problem **msgs,
		    Canvass__Problem ***ptrs)
{
	Canvass__Problem *m = calloc(n ? n : 1, sizeof *m);
	Canvass__Problem **pp = calloc(n ? n : 1, sizeof *pp);

	*msgs = m;
	*ptrs = pp;
	if (m == NULL || pp == NULL) {
		free(m);
		free(pp);
		*msgs = NULL;
		*ptrs = NULL;
		return CV_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		canvass__problem__init(&m[i]);
		m[i].code = (char *)(uintptr_t)items[i].code;
		m[i].question = (char *)(uintptr_t)items[i].question;
		m[i].message = (char *)(uintptr_t)items[i].message;
		m[i].severity = items[i].warning ? CANVASS__SEVERITY__SEVERITY_WARNING
						 : CANVASS__SEVERITY__SEVERITY_ERROR;
		m[i].rule = (char *)(uintptr_t)items[i].rule;
		if (items[i].finding) {
			m[i].value = items[i].value;
			m[i].reference = items[i].reference;
			m[i].score = items[i].score;
			m[i].group = (char *)(uintptr_t)items[i].group;
			m[i].group_size = items[i].group_size;
		}
		pp[i] = &m[i];
	}
	return 0;
}

/* SOFT_RANGE: an answer that passed its own checks, outside warn_below..warn_above. */
static void check_soft_range(const struct question *qn, const Canvass__Answer *a, struct verdict *v)
{
	const struct qcheck *k = &qn->check;
	char msg[200];
	double x;

	if (!(k->has_warn_below || k->has_warn_above) || !quality_answer_value(a, &x))
		return;
	if (k->has_warn_below && x < k->warn_below) {
		quality_msg_soft_range(msg, sizeof msg, x, k->warn_below, true);
		verdict_add_finding(v, "SOFT_RANGE", qn->id, x, k->warn_below, 0, NULL, 0, msg);
	} else if (k->has_warn_above && x > k->warn_above) {
		quality_msg_soft_range(msg, sizeof msg, x, k->warn_above, false);
		verdict_add_finding(v, "SOFT_RANGE", qn->id, x, k->warn_above, 0, NULL, 0, msg);
	}
}

static const char *value_kind(const Canvass__Answer *a)
{
	switch (a->value_case) {
	case CANVASS__ANSWER__VALUE_BOOLEAN: return "true/false";
	case CANVASS__ANSWER__VALUE_INTEGER: return "an integer";
	case CANVASS__ANSWER__VALUE_NUMBER: return "a number";
	case CANVASS__ANSWER__VALUE_TEXT: return "a string";
	case CANVASS__ANSWER__VALUE_LIST: return "a list";
	case CANVASS__ANSWER__VALUE_SPECIAL: return "a special answer";
	default: return "nothing";
	}
}

static const char *expected_kind(enum qtype t)
{
	switch (t) {
	case QT_YES_NO: return "true or false";
	case QT_INTEGER: return "an integer";
	case QT_NUMBER: return "a number";
	case QT_SCALE: return "an integer scale level";
	case QT_CHOICE: return "an option id (string)";
	case QT_MULTI_CHOICE: return "a list of option ids";
	case QT_TEXT: return "a string";
	}
	return "?";
}

static void check_range(const struct question *qn, double x, struct verdict *v)
{
	if ((qn->has_min && x < qn->min) || (qn->has_max && x > qn->max)) {
		if (qn->has_min && qn->has_max)
			verdict_add(v, 0, "OUT_OF_RANGE", qn->id, "%g is outside %g..%g", x,
				    qn->min, qn->max);
		else if (qn->has_min)
			verdict_add(v, 0, "OUT_OF_RANGE", qn->id, "%g is below the minimum %g", x,
				    qn->min);
		else
			verdict_add(v, 0, "OUT_OF_RANGE", qn->id, "%g is above the maximum %g", x,
				    qn->max);
	}
}

static void check_answer(const struct question *qn, const Canvass__Answer *a, struct verdict *v)
{
	int vc = a->value_case;

	if (vc == CANVASS__ANSWER__VALUE_SPECIAL) {
		int na = a->special == CANVASS__SPECIAL__NOT_APPLICABLE;
		if (a->special != CANVASS__SPECIAL__NOT_APPLICABLE &&
		    a->special != CANVASS__SPECIAL__DONT_KNOW)
			verdict_add(v, 0, "WRONG_TYPE", qn->id, "unknown special answer %d",
				    (int)a->special);
		else if ((na && !qn->allow_not_applicable) || (!na && !qn->allow_dont_know))
			verdict_add(v, 0, "SPECIAL_NOT_ALLOWED", qn->id,
				    "\"%s\" is not allowed for this question",
				    na ? "not applicable" : "don't know");
		return;
	}
	switch (qn->type) {
	case QT_YES_NO:
		if (vc == CANVASS__ANSWER__VALUE_BOOLEAN)
			return;
		break;
	case QT_INTEGER:
		if (vc == CANVASS__ANSWER__VALUE_INTEGER) {
			check_range(qn, (double)a->integer, v);
			return;
		}
		break;
	case QT_NUMBER:
		/* Canonical form writes whole numbers as integers (canon.h). */
		if (vc == CANVASS__ANSWER__VALUE_INTEGER) {
			check_range(qn, (double)a->integer, v);
			return;
		}
		if (vc == CANVASS__ANSWER__VALUE_NUMBER) {
			if (!isfinite(a->number))
				verdict_add(v, 0, "WRONG_TYPE", qn->id, "not a finite number");
			else
				check_range(qn, a->number, v);
			return;
		}
		break;
	case QT_SCALE:
		if (vc == CANVASS__ANSWER__VALUE_INTEGER) {
			if (qdef_level_index(qn, a->integer) < 0)
				verdict_add(v, 0, "NOT_AN_OPTION", qn->id,
					    "%lld is not a level of this scale",
					    (long long)a->integer);
			return;
		}
		break;
	case QT_CHOICE:
		if (vc == CANVASS__ANSWER__VALUE_TEXT) {
			if (qdef_option_index(qn, a->text) < 0)
				verdict_add(v, 0, "NOT_AN_OPTION", qn->id,
					    "\"%.64s\" is not an option of this question", a->text);
			return;
		}
		break;
	case QT_MULTI_CHOICE:
		if (vc == CANVASS__ANSWER__VALUE_LIST) {
			for (size_t i = 0; i < a->list->n_items; i++) {
				const char *it = a->list->items[i];
				if (qdef_option_index(qn, it) < 0)
					verdict_add(v, 0, "NOT_AN_OPTION", qn->id,
						    "\"%.64s\" is not an option of this question",
						    it);
				for (size_t k = 0; k < i; k++)
					if (strcmp(a->list->items[k], it) == 0)
						verdict_add(v, 0, "DUPLICATE_OPTION", qn->id,
							    "\"%.64s\" is selected twice", it);
			}
			return;
		}
		break;
	case QT_TEXT:
		if (vc == CANVASS__ANSWER__VALUE_TEXT) {
			size_t len = strlen(a->text);
			if (qn->max_length && len > qn->max_length)
				verdict_add(v, 0, "TOO_LONG", qn->id,
					    "%zu bytes, at most %zu allowed", len, qn->max_length);
			return;
		}
		break;
	}
	verdict_add(v, 0, "WRONG_TYPE", qn->id, "expected %s, got %s", expected_kind(qn->type),
		    value_kind(a));
}

static long find_index(const Canvass__Submission *s, const struct question *qn)
{
	return canon_find_index(s, qn->id);
}

static const Canvass__Answer *find_answer(const Canvass__Submission *s, const struct question *qn)
{
	return canon_find_answer(s, qn->id);
}

/* Rules read only answers that passed their own checks. */
struct checked {
	const Canvass__Submission *s;
	const unsigned char *bad; /* per answer: 1 when it failed a check */
};

static const Canvass__Answer *find_checked_cb(void *ctx, const struct question *qn)
{
	const struct checked *c = ctx;
	long i = find_index(c->s, qn);
	return i < 0 || c->bad[i] ? NULL : c->s->answers[i];
}

size_t validate_submission(const struct questionnaire *q, Canvass__Submission *s, struct verdict *v)
{
	size_t before = v->errors;
	const char *dup = NULL;
	unsigned char *bad;
	struct checked chk;

	if (!text_id_ok(ID_CYCLE, s->cycle))
		verdict_add(v, 0, "INVALID_CYCLE", NULL, "cycle must be %s",
			    text_id_rule(ID_CYCLE));
	if (s->idempotency_key[0] != '\0' && !text_id_ok(ID_KEY, s->idempotency_key))
		verdict_add(v, 0, "INVALID_KEY", NULL, "id must be %s", text_id_rule(ID_KEY));
	bad = calloc(s->n_answers + 1, 1);
	if (bad == NULL) {
		verdict_add(v, 0, "INTERNAL", NULL, "out of memory while validating");
		return v->errors - before;
	}
	if (canon_submission(s, &dup) != 0) {
		/* Report each duplicated question once; no copy feeds the rules. */
		for (size_t i = 1; i < s->n_answers; i++) {
			if (strcmp(s->answers[i - 1]->question, s->answers[i]->question) != 0)
				continue;
			bad[i - 1] = bad[i] = 1;
			if (i < 2 ||
			    strcmp(s->answers[i - 2]->question, s->answers[i]->question) != 0)
				verdict_add(v, 0, "DUPLICATE_ANSWER", s->answers[i]->question,
					    "question answered more than once");
		}
	}
	for (size_t i = 0; i < s->n_answers; i++) {
		const Canvass__Answer *a = s->answers[i];
		const struct question *qn = qdef_question(q, a->question);
		size_t errors = v->errors;
		if (qn == NULL) {
			verdict_add(v, 0, "UNKNOWN_QUESTION", a->question,
				    "no such question in %s version %u", q->id, q->version);
			bad[i] = 1;
			continue;
		}
		/* Answers to questions that do not apply are judged below. */
		if (!expr_applies(qn, s))
			continue;
		check_answer(qn, a, v);
		if (v->errors > errors)
			bad[i] = 1;
		else
			check_soft_range(qn, a, v);
	}
	/* Conditions and required questions, in questionnaire order. */
	for (size_t i = 0; i < q->n_questions; i++) {
		const struct question *qn = &q->questions[i];
		const Canvass__Answer *a = find_answer(s, qn);
		if (!expr_applies(qn, s)) {
			if (a != NULL && !(a->value_case == CANVASS__ANSWER__VALUE_SPECIAL &&
					   a->special == CANVASS__SPECIAL__NOT_APPLICABLE))
				verdict_add(v, 0, "NOT_APPLICABLE_HERE", qn->id,
					    "this question applies only when %.120s", qn->when_src);
			continue;
		}
		if (qn->required && a == NULL)
			verdict_add(v, 0, "MISSING_REQUIRED", qn->id,
				    "a required question has no answer");
	}
	chk.s = s;
	chk.bad = bad;
	for (size_t i = 0; i < q->n_rules; i++) {
		const struct qrule *r = &q->rules[i];
		const struct question *first[1];
		size_t before_n = v->n;
		if (expr_eval(r->expr, find_checked_cb, &chk) != EXPR_FALSE)
			continue;
		first[0] = NULL;
		expr_questions(r->expr, first, 1);
		verdict_add(v, r->warning, "RULE_FAILED", first[0] ? first[0]->id : NULL, "%.190s",
			    r->message);
		if (v->n > before_n)
			snprintf(v->items[before_n].rule, sizeof v->items[before_n].rule, "%s",
				 r->id);
	}
	free(bad);
	return v->errors - before;
}
