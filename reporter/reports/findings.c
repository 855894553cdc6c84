#include "findings.h"
#include "canon.h"
#include "error.h"
#include "expr.h"
#include "quality.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A group's numbers, sorted, and their statistics. */
struct sample {
	double *v;
	size_t n;
	struct quality_stats st;
};

struct build {
	struct findings *f;
	size_t cap;
	int rc;
};

static struct finding *add(struct build *b, const struct ds_row *r, const struct question *q,
			   const char *code)
{
	struct finding *x;
	if (b->rc != 0)
		return NULL;
	if (cv_reserve(&b->f->items, &b->cap, b->f->n, sizeof *b->f->items) != 0) {
		b->rc = CV_ENOMEM;
		return NULL;
	}
	x = &b->f->items[b->f->n++];
	memset(x, 0, sizeof *x);
	x->member = r ? r->member : NULL;
	x->region = r && r->reg ? r->reg->region : NULL;
	x->question = q ? q->id : NULL;
	x->order = q ? q->order : SIZE_MAX;
	x->code = code;
	return x;
}

/* Whether q applies to the row's return (its condition holds, or it has none). */
static bool applies(const struct ds_row *r, const struct question *q)
{
	return expr_applies(q, r->sub);
}

static bool row_number(const struct ds_row *r, const struct question *q, double *x)
{
	const Canvass__Answer *a = ds_answer(r, q);
	return a != NULL && quality_answer_value(a, x);
}

static void outlier(struct build *b, const struct ds_row *r, const struct question *q, double x,
		    const struct sample *s, const char *group, const char *label)
{
	struct finding *f;
	double z;
	if (s->n == 0 || s->n < q->check.outlier_min_answers)
		return;
	z = quality_modified_z(&s->st, x);
	if (!(fabs(z) > q->check.outlier_z) || (f = add(b, r, q, "OUTLIER")) == NULL)
		return;
	f->value = x;
	f->reference = s->st.median;
	f->score = z;
	f->group = group;
	f->n = s->n;
	quality_msg_outlier(f->message, sizeof f->message, x, s->st.median, z, s->n, label);
}

/* SOFT_RANGE, CHANGE_FROM_PREVIOUS and OUTLIER of one question over every return. */
static void check_question(struct build *b, const struct question *q, struct sample *groups,
			   size_t n_groups)
{
	const struct dataset *ds = b->f->ds, *prev = b->f->prev;
	const struct qcheck *k = &q->check;
	size_t world = n_groups - 1;
	bool comparable = true;
	/* The previous cycle's question this one continues (lineage), when comparable. */
	const struct question *pq =
		prev == NULL       ? NULL
		: b->f->qs == NULL ? (prev->def == ds->def ? q : qdef_question(prev->def, q->id))
				   : qset_continued(b->f->qs, ds->def, q, prev->def, &comparable);

	if (!comparable)
		pq = NULL;

	for (size_t g = 0; g < n_groups; g++)
		groups[g].n = 0;
	if (k->outlier_z > 0) {
		for (size_t i = 0; i < ds->n; i++) {
			double x;
			if (!row_number(&ds->rows[i], q, &x))
				continue;
			quality_sorted_insert(groups[world].v, &groups[world].n, x);
			if (ds->rows[i].group < world)
				quality_sorted_insert(groups[ds->rows[i].group].v,
						      &groups[ds->rows[i].group].n, x);
		}
		for (size_t g = 0; g < n_groups; g++)
			if (groups[g].n > 0)
				quality_stats_sorted(groups[g].v, groups[g].n, &groups[g].st);
	}
	for (size_t i = 0; i < ds->n && b->rc == 0; i++) {
		const struct ds_row *r = &ds->rows[i];
		const struct ds_row *pr;
		struct finding *f;
		double x, p, rel;

		if (!row_number(r, q, &x))
			continue;
		if ((k->has_warn_below && x < k->warn_below) ||
		    (k->has_warn_above && x > k->warn_above)) {
			bool below = k->has_warn_below && x < k->warn_below;
			if ((f = add(b, r, q, "SOFT_RANGE")) != NULL) {
				f->value = x;
				f->reference = below ? k->warn_below : k->warn_above;
				quality_msg_soft_range(f->message, sizeof f->message, x,
						       f->reference, below);
			}
		}
		if (k->change && pq != NULL && (pr = ds_find(prev, r->member)) != NULL &&
		    row_number(pr, pq, &p) &&
		    quality_change_exceeds(p, x, k->has_relative, k->relative, k->has_absolute,
					   k->absolute, &rel) &&
		    (f = add(b, r, q, "CHANGE_FROM_PREVIOUS")) != NULL) {
			f->value = x;
			f->reference = p;
			f->score = rel;
			f->group = prev->cycle;
			quality_msg_change(f->message, sizeof f->message, x, p, rel, prev->cycle);
		}
		if (k->outlier_z > 0) {
			outlier(b, r, q, x, &groups[world], "world", "the world");
			if (r->group < world)
				outlier(b, r, q, x, &groups[r->group], r->reg->region,
					r->reg->region);
		}
	}
}

/* Of the returns answering q where it applies, the share answering a special. */
static void special_rate(struct build *b, const struct question *q)
{
	const struct dataset *ds = b->f->ds;
	size_t answering = 0, special = 0;
	struct finding *f;

	if (!q->allow_dont_know && !q->allow_not_applicable)
		return;
	for (size_t i = 0; i < ds->n; i++) {
		const Canvass__Answer *a = ds_answer(&ds->rows[i], q);
		if (a == NULL || !applies(&ds->rows[i], q))
			continue;
		answering++;
		special += a->value_case == CANVASS__ANSWER__VALUE_SPECIAL;
	}
	if (answering == 0 || (double)special / (double)answering < b->f->special_rate ||
	    (f = add(b, NULL, q, "HIGH_SPECIAL_RATE")) == NULL)
		return;
	f->value = (double)special / (double)answering;
	f->reference = b->f->special_rate;
	f->n = answering;
	snprintf(f->message, sizeof f->message,
		 "%zu of %zu returns (%.0f%%) answer \"don't know\" or \"not applicable\": check "
		 "the question",
		 special, answering, 100 * f->value);
}

/* Every applying scale question answered with one and the same level. */
static void same_level(struct build *b, const struct ds_row *r)
{
	const struct questionnaire *def = b->f->ds->def;
	size_t n = 0;
	int64_t level = 0;
	struct finding *f;

	for (size_t i = 0; i < def->n_questions; i++) {
		const struct question *q = &def->questions[i];
		const Canvass__Answer *a;
		if (q->type != QT_SCALE || !applies(r, q))
			continue;
		a = ds_answer(r, q);
		if (a == NULL || a->value_case != CANVASS__ANSWER__VALUE_INTEGER)
			return;
		if (n > 0 && a->integer != level)
			return;
		level = a->integer;
		n++;
	}
	if (n < 3 || (f = add(b, r, NULL, "SAME_LEVEL")) == NULL)
		return;
	f->value = (double)level;
	f->n = n;
	snprintf(f->message, sizeof f->message,
		 "all %zu scale questions answered with level %lld: check the return", n,
		 (long long)level);
}

static int by_place(const void *pa, const void *pb)
{
	const struct finding *a = pa, *b = pb;
	int c;
	if ((a->member == NULL) != (b->member == NULL))
		return a->member == NULL ? -1 : 1;
	if (a->member != NULL && (c = strcmp(a->member, b->member)) != 0)
		return c;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	if ((c = strcmp(a->code, b->code)) != 0)
		return c;
	/* world before the region */
	if ((a->group == NULL) != (b->group == NULL))
		return a->group == NULL ? -1 : 1;
	if (a->group != NULL && strcmp(a->group, b->group) != 0)
		return strcmp(a->group, "world") == 0   ? -1
		       : strcmp(b->group, "world") == 0 ? 1
							: strcmp(a->group, b->group);
	return 0;
}

int findings_build(const struct dataset *ds, const struct dataset *prev, const struct qset *qs,
		   double special_rate_min, struct findings **out)
{
	struct build b = {0};
	size_t n_groups = ds_groups(ds);
	struct sample *groups = calloc(n_groups, sizeof *groups);

	*out = NULL;
	b.f = calloc(1, sizeof *b.f);
	if (b.f == NULL || groups == NULL) {
		b.rc = CV_ENOMEM;
		goto out;
	}
	b.f->ds = ds;
	b.f->prev = prev;
	b.f->qs = qs;
	b.f->special_rate = special_rate_min;
	b.f->returns = ds->n;
	for (size_t g = 0; g < n_groups; g++)
		if ((groups[g].v = malloc((ds->n ? ds->n : 1) * sizeof(double))) == NULL)
			b.rc = CV_ENOMEM;
	for (size_t i = 0; i < ds->def->n_questions && b.rc == 0; i++) {
		const struct question *q = &ds->def->questions[i];
		const struct qcheck *k = &q->check;
		if (k->has_warn_below || k->has_warn_above || k->change || k->outlier_z > 0)
			check_question(&b, q, groups, n_groups);
		special_rate(&b, q);
	}
	for (size_t i = 0; i < ds->n && b.rc == 0; i++)
		same_level(&b, &ds->rows[i]);
	if (b.rc == 0 && b.f->n > 1) /* no findings: items may be NULL, and qsort's may not */
		qsort(b.f->items, b.f->n, sizeof *b.f->items, by_place);
out:
	for (size_t g = 0; groups != NULL && g < n_groups; g++)
		free(groups[g].v);
	free(groups);
	if (b.rc != 0) {
		findings_free(&b.f);
		return b.rc;
	}
	*out = b.f;
	return 0;
}

void findings_free(struct findings **f)
{
	if (f == NULL || *f == NULL)
		return;
	free((*f)->items);
	free(*f);
	*f = NULL;
}
