#include "profile.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double profile_percentile(const double *v, size_t n, double x)
{
	double below = 0, equal = 0;
	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < x)
			below++;
		else if (v[i] == x)
			equal++;
	}
	return 100.0 * (below + equal / 2) / (double)n;
}

/* An answer as a number (integers, numbers, scales), else NAN. */
static double answer_number(const Canvass__Answer *a)
{
	if (a == NULL)
		return NAN;
	switch (a->value_case) {
	case CANVASS__ANSWER__VALUE_INTEGER: return (double)a->integer;
	case CANVASS__ANSWER__VALUE_NUMBER: return a->number;
	default: return NAN;
	}
}

/* The member's answer as a number (answer_number) and as text. */
static double answer_value(const struct question *q, const Canvass__Answer *a, char *buf,
			   size_t len)
{
	buf[0] = '\0';
	if (a == NULL)
		return NAN;
	switch (a->value_case) {
	case CANVASS__ANSWER__VALUE_SPECIAL:
		snprintf(buf, len, "%s",
			 a->special == CANVASS__SPECIAL__NOT_APPLICABLE ? "not applicable"
									: "don't know");
		break;
	case CANVASS__ANSWER__VALUE_BOOLEAN:
		snprintf(buf, len, "%s", a->boolean ? "yes" : "no");
		break;
	case CANVASS__ANSWER__VALUE_INTEGER:
		snprintf(buf, len, "%lld", (long long)a->integer);
		if (q->type == QT_SCALE) {
			int i = qdef_level_index(q, a->integer);
			if (i >= 0)
				snprintf(buf, len, "%lld (%s)", (long long)a->integer,
					 q->options[i].label);
		}
		break;
	case CANVASS__ANSWER__VALUE_NUMBER: snprintf(buf, len, "%g", a->number); break;
	case CANVASS__ANSWER__VALUE_TEXT: snprintf(buf, len, "%s", a->text); break;
	case CANVASS__ANSWER__VALUE_LIST: {
		size_t o = 0;
		for (size_t i = 0; i < a->list->n_items && o + 2 < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
					      a->list->items[i]);
		break;
	}
	default: break;
	}
	return answer_number(a);
}

/* Ranks the member's x among the group's values of one figure. */
/*
 * A rank tells how many others are below: only for a shown cell, and in
 * feedback only where order statistics could be shown (n >= K_order).
 */
static bool rank_allowed(const struct disclosure_rules *r, const struct compare_cell *c)
{
	if (c->hidden != SHOWN)
		return false;
	return !r->feedback || r->k <= 1 || c->n >= r->k_order;
}

static void rank(const struct disclosure_rules *rules, const struct dataset *ds,
		 const struct ds_row *me, struct profile_line *l,
		 double (*get)(const struct dataset *, const struct ds_row *, const void *),
		 const void *arg)
{
	double *region = malloc((ds->n + 1) * sizeof *region);
	double *world = malloc((ds->n + 1) * sizeof *world);
	size_t nr = 0, nw = 0;

	l->rank_region = l->rank_world = NAN;
	if (region == NULL || world == NULL || isnan(l->value)) {
		free(region);
		free(world);
		return;
	}
	for (size_t i = 0; i < ds->n; i++) {
		double x = get(ds, &ds->rows[i], arg);
		if (isnan(x))
			continue;
		world[nw++] = x;
		if (me->reg != NULL && ds->rows[i].reg != NULL && ds->rows[i].group == me->group)
			region[nr++] = x;
	}
	if (me->reg != NULL && rank_allowed(rules, &l->t->cells[me->group]))
		l->rank_region = profile_percentile(region, nr, l->value);
	if (rank_allowed(rules, &l->t->cells[ds_groups(ds) - 1]))
		l->rank_world = profile_percentile(world, nw, l->value);
	free(region);
	free(world);
}

static double get_answer(const struct dataset *ds, const struct ds_row *r, const void *arg)
{
	(void)ds;
	return answer_number(ds_answer(r, arg)); /* (every row: no text formatted) */
}

static double get_section(const struct dataset *ds, const struct ds_row *r, const void *arg)
{
	(void)ds;
	return r->section_score[*(const size_t *)arg];
}

static double get_overall(const struct dataset *ds, const struct ds_row *r, const void *arg)
{
	(void)ds;
	(void)arg;
	return r->overall;
}

int profile_build(const struct dataset *ds, const char *member,
		  const struct disclosure_rules *rules, bool feedback, struct profile **out)
{
	const struct ds_row *row = ds_find(ds, member);
	struct profile *p;
	int rc;

	*out = NULL;
	if (row == NULL)
		return CV_ENOTFOUND;
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return CV_ENOMEM;
	p->row = row;
	p->feedback = feedback;
	{
		/* Feedback: the member knows its own answers; no order statistics. */
		struct disclosure_rules fr = *rules;
		fr.feedback = feedback;
		fr.own_group = feedback ? (row->reg ? row->group : ds_groups(ds) - 1) : (size_t)-1;
		rc = compare_build(ds, &fr, &p->cmp);
	}
	if (rc == 0) {
		p->questions = calloc(p->cmp->n_questions + 1, sizeof *p->questions);
		p->sections = calloc(p->cmp->n_sections + 1, sizeof *p->sections);
		if (p->questions == NULL || p->sections == NULL)
			rc = CV_ENOMEM;
	}
	if (rc != 0) {
		profile_free(&p);
		return rc;
	}
	for (size_t i = 0; i < p->cmp->n_questions; i++) {
		struct profile_line *l = &p->questions[i];
		const struct question *q = p->cmp->questions[i].q;
		l->t = &p->cmp->questions[i];
		l->value = answer_value(q, ds_answer(row, q), l->display, sizeof l->display);
		rank(&p->cmp->rules, ds, row, l, get_answer, q);
	}
	for (size_t s = 0; s < p->cmp->n_sections; s++) {
		struct profile_line *l = &p->sections[s];
		l->t = &p->cmp->sections[s];
		l->value = row->section_score[s];
		if (!isnan(l->value))
			snprintf(l->display, sizeof l->display, "%.1f", l->value);
		rank(&p->cmp->rules, ds, row, l, get_section, &s);
	}
	p->overall.t = &p->cmp->overall;
	p->overall.value = row->overall;
	if (!isnan(row->overall))
		snprintf(p->overall.display, sizeof p->overall.display, "%.1f", row->overall);
	rank(&p->cmp->rules, ds, row, &p->overall, get_overall, NULL);
	*out = p;
	return 0;
}

void profile_free(struct profile **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	compare_free(&(*pp)->cmp);
	free((*pp)->questions);
	free((*pp)->sections);
	free(*pp);
	*pp = NULL;
}

void profile_group_figure(const struct profile_line *l, const struct compare_cell *c, char *buf,
			  size_t len)
{
	const struct compare_table *t = l->t;
	int idx = -1;

	snprintf(buf, len, "-");
	if (c->hidden != SHOWN) {
		snprintf(buf, len, "(suppressed)");
		return;
	}
	if (t->numeric) {
		if (c->n > 0)
			snprintf(buf, len, "mean %.2f, n %zu", c->stats.mean, c->n);
		return;
	}
	if (t->q == NULL || compare_n_options(t->q) == 0 || c->n == 0 || !l->display[0])
		return;
	/* The share giving the member's own answer, when it is one option (a
	 * special answer is none: "not applicable" is not "no"). */
	if (t->q->type == QT_YES_NO)
		idx = strcmp(l->display, "yes") == 0 ? 0 : strcmp(l->display, "no") == 0 ? 1 : -1;
	else if (t->q->type == QT_CHOICE)
		idx = qdef_option_index(t->q, l->display);
	if (idx >= 0)
		snprintf(buf, len, "%.0f%% same, n %zu",
			 100.0 * (double)c->counts[idx] / (double)c->n, c->n);
	else
		snprintf(buf, len, "n %zu", c->n);
}
