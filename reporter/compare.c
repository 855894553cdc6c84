#include "compare.h"
#include "error.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

size_t compare_n_options(const struct question *q)
{
	switch (q->type) {
	case QT_YES_NO: return 2;
	case QT_CHOICE:
	case QT_MULTI_CHOICE: return q->n_options;
	default: return 0;
	}
}

const char *compare_option_id(const struct question *q, size_t i)
{
	if (q->type == QT_YES_NO)
		return i == 0 ? "yes" : "no";
	return q->options[i].id;
}

static int is_numeric(enum qtype t)
{
	return t == QT_INTEGER || t == QT_NUMBER || t == QT_SCALE;
}

struct build {
	struct compare_report *r;
	const struct registry *reg;
	int rc;
};

static int push_value(struct compare_cell *c, double x)
{
	if (c->n_values == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		double *nv = realloc(c->values, ncap * sizeof *nv);
		if (nv == NULL)
			return CV_ENOMEM;
		c->values = nv;
		c->cap = ncap;
	}
	c->values[c->n_values++] = x;
	return 0;
}

/* Adds one answer to one cell; returns 1 when the answer does not fit q. */
static int add_answer(const struct question *q, const Canvass__Answer *a, struct compare_cell *c,
		      int *rc)
{
	int idx;

	if (a->value_case == CANVASS__ANSWER__VALUE_SPECIAL) {
		if (a->special == CANVASS__SPECIAL__NOT_APPLICABLE)
			c->not_applicable++;
		else
			c->dont_know++;
		return 0;
	}
	switch (q->type) {
	case QT_YES_NO:
		if (a->value_case != CANVASS__ANSWER__VALUE_BOOLEAN)
			return 1;
		c->counts[a->boolean ? 0 : 1]++;
		break;
	case QT_INTEGER:
	case QT_SCALE:
		if (a->value_case != CANVASS__ANSWER__VALUE_INTEGER)
			return 1;
		if (q->type == QT_SCALE && qdef_level_index(q, a->integer) < 0)
			return 1;
		*rc = push_value(c, (double)a->integer);
		break;
	case QT_NUMBER:
		if (a->value_case != CANVASS__ANSWER__VALUE_NUMBER)
			return 1;
		*rc = push_value(c, a->number);
		break;
	case QT_CHOICE:
		if (a->value_case != CANVASS__ANSWER__VALUE_TEXT ||
		    (idx = qdef_option_index(q, a->text)) < 0)
			return 1;
		c->counts[idx]++;
		break;
	case QT_MULTI_CHOICE:
		if (a->value_case != CANVASS__ANSWER__VALUE_LIST)
			return 1;
		for (size_t i = 0; i < a->list->n_items; i++)
			if ((idx = qdef_option_index(q, a->list->items[i])) >= 0)
				c->counts[idx]++;
		break;
	case QT_TEXT:
		if (a->value_case != CANVASS__ANSWER__VALUE_TEXT)
			return 1;
		break;
	}
	c->n++;
	return 0;
}

static int visit(const Canvass__HistoryEntry *e, void *arg)
{
	struct build *b = arg;
	struct compare_report *r = b->r;
	const struct member *m = registry_find(b->reg, e->member);
	size_t world = r->n_groups - 1;
	Canvass__Submission *s;
	int rc = 0;

	if (wire_decode_submission(e->submission.data, e->submission.len, SIZE_MAX, &s) != 0)
		return CV_ECORRUPT;
	r->submitted++;
	r->group_submitted[world]++;
	if (m == NULL)
		r->unregistered++;
	else
		r->group_submitted[m->region_index]++;
	if (s->version != r->def->version)
		r->other_version++;
	for (size_t i = 0; i < s->n_answers && rc == 0; i++) {
		const Canvass__Answer *a = s->answers[i];
		const struct question *q = qdef_question(r->def, a->question);
		struct compare_question *cq;
		if (q == NULL) {
			r->skipped_answers++;
			continue;
		}
		cq = &r->questions[q->order];
		if (add_answer(q, a, &cq->cells[world], &rc) != 0) {
			r->skipped_answers++;
			continue;
		}
		if (m != NULL && rc == 0)
			add_answer(q, a, &cq->cells[m->region_index], &rc);
	}
	WIRE_FREE(s);
	return rc;
}

int compare_build(struct store_view *v, const struct questionnaire *def, const char *cycle,
		  const struct registry *reg, struct compare_report **out)
{
	struct compare_report *r = calloc(1, sizeof *r);
	struct build b = {.r = r, .reg = reg};
	int rc;

	*out = NULL;
	if (r == NULL)
		return CV_ENOMEM;
	r->def = def;
	r->cycle = strdup(cycle);
	r->n_groups = reg->n_regions + 1;
	r->groups = calloc(r->n_groups, sizeof *r->groups);
	r->group_submitted = calloc(r->n_groups, sizeof *r->group_submitted);
	r->group_expected = calloc(r->n_groups, sizeof *r->group_expected);
	r->n_questions = def->n_questions;
	r->questions = calloc(def->n_questions, sizeof *r->questions);
	if (r->cycle == NULL || r->groups == NULL || r->group_submitted == NULL ||
	    r->group_expected == NULL || r->questions == NULL) {
		rc = CV_ENOMEM;
		goto fail;
	}
	for (size_t g = 0; g < reg->n_regions; g++)
		r->groups[g] = reg->regions[g];
	r->groups[reg->n_regions] = "World";
	for (size_t i = 0; i < reg->n; i++) {
		r->group_expected[reg->members[i].region_index]++;
		r->group_expected[reg->n_regions]++;
	}
	for (size_t i = 0; i < def->n_questions; i++) {
		struct compare_question *cq = &r->questions[i];
		size_t nopt = compare_n_options(&def->questions[i]);
		cq->q = &def->questions[i];
		cq->cells = calloc(r->n_groups, sizeof *cq->cells);
		if (cq->cells == NULL) {
			rc = CV_ENOMEM;
			goto fail;
		}
		for (size_t g = 0; g < r->n_groups && nopt > 0; g++)
			if ((cq->cells[g].counts = calloc(nopt, sizeof(size_t))) == NULL) {
				rc = CV_ENOMEM;
				goto fail;
			}
	}
	store_view_head(v, &r->sequence, r->chain);
	rc = store_view_each_current(v, def->id, cycle, visit, &b);
	if (rc != 0)
		goto fail;
	for (size_t i = 0; i < r->n_questions; i++) {
		struct compare_question *cq = &r->questions[i];
		for (size_t g = 0; g < r->n_groups; g++) {
			struct compare_cell *c = &cq->cells[g];
			if (is_numeric(cq->q->type))
				stats_summarize(c->values, c->n_values, &c->stats);
			free(c->values);
			c->values = NULL;
			c->n_values = c->cap = 0;
		}
	}
	*out = r;
	return 0;
fail:
	compare_free(&r);
	return rc;
}

void compare_free(struct compare_report **rp)
{
	struct compare_report *r;
	if (rp == NULL || *rp == NULL)
		return;
	r = *rp;
	for (size_t i = 0; r->questions && i < r->n_questions; i++) {
		for (size_t g = 0; r->questions[i].cells && g < r->n_groups; g++) {
			free(r->questions[i].cells[g].counts);
			free(r->questions[i].cells[g].values);
		}
		free(r->questions[i].cells);
	}
	free(r->questions);
	free(r->groups);
	free(r->group_submitted);
	free(r->group_expected);
	free(r->cycle);
	free(r);
	*rp = NULL;
}
