#include "trend.h"
#include "error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void trend_signature(const struct question *q, char *buf, size_t len)
{
	/*
	 * What a figure means: the type, unit, bounds, scoring and the options
	 * (an option by the id it continues, so that a renamed option is the
	 * same); not the id or the wording, which lineage allows to change.
	 */
	size_t o = (size_t)snprintf(buf, len, "%s|%s|%d:%g|%d:%g|%d:%g:%g:%g:%g:%g|",
				    qtype_name(q->type), q->unit ? q->unit : "", q->has_min, q->min,
				    q->has_max, q->max, q->score.scored, q->score.weight,
				    q->score.yes, q->score.no, q->score.zero, q->score.full);
	for (size_t i = 0; i < q->n_options && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s=%lld:%s:%g;",
				      q->options[i].id ? qdef_option_was(&q->options[i]) : "",
				      (long long)q->options[i].value,
				      q->type == QT_SCALE ? q->options[i].label : "",
				      q->options[i].score);
}

/* The series does not compare across its cycles: the first reason is kept. */
static void not_comparable(struct trend_series *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void not_comparable(struct trend_series *s, const char *fmt, ...)
{
	va_list ap;
	if (s->changed)
		return;
	s->changed = true;
	va_start(ap, fmt);
	vsnprintf(s->change_note, sizeof s->change_note, fmt, ap);
	va_end(ap);
}

static double cell_value(const struct compare_table *t, const struct compare_cell *c)
{
	if (c->hidden != SHOWN)
		return NAN;
	if (t->numeric)
		return c->stats.mean;
	if (t->q != NULL && t->q->type == QT_YES_NO)
		return c->n ? 100.0 * (double)c->counts[0] / (double)c->n : NAN;
	return NAN;
}

int trend_build(struct store_view *v, const struct qset *qs, const char *questionnaire,
		const struct registry *reg, char **cycles, size_t n_cycles, const char *member,
		const struct disclosure_rules *rules, uint64_t as_of, struct trend **out)
{
	const struct questionnaire *latest = qset_latest(qs, questionnaire);
	struct trend *t;
	size_t cols;
	int rc = 0;

	*out = NULL;
	if (latest == NULL)
		return CV_ENOTFOUND;
	t = calloc(1, sizeof *t);
	if (t == NULL)
		return CV_ENOMEM;
	t->cycles = cycles;
	t->n_cycles = n_cycles;
	t->member = member;
	t->n_groups = reg->n_regions + 1;
	cols = t->n_groups + 1;
	t->ds = calloc(n_cycles + 1, sizeof *t->ds);
	t->cmp = calloc(n_cycles + 1, sizeof *t->cmp);
	t->series = calloc(latest->n_questions + latest->n_sections + 1, sizeof *t->series);
	if (t->ds == NULL || t->cmp == NULL || t->series == NULL) {
		trend_free(&t);
		return CV_ENOMEM;
	}
	for (size_t c = 0; rc == 0 && c < n_cycles; c++) {
		rc = dataset_load(v, latest, cycles[c], reg, as_of, &t->ds[c]);
		if (rc == 0 && !dataset_on_publication_version(t->ds[c])) {
			const struct questionnaire *other =
				qset_find(qs, questionnaire, dataset_publication_version(t->ds[c]));
			if (other != NULL) {
				dataset_free(&t->ds[c]);
				rc = dataset_load(v, other, cycles[c], reg, as_of, &t->ds[c]);
			}
		}
		if (rc == 0)
			rc = compare_build(t->ds[c], rules, &t->cmp[c]);
	}
	if (rc != 0) {
		trend_free(&t);
		return rc;
	}
	t->latest = t->ds[n_cycles - 1];

	/* Questions of the latest version that have a mean or a share. */
	for (size_t i = 0; i < latest->n_questions; i++) {
		const struct question *q = &latest->questions[i];
		struct trend_series *s;
		char sig[2048], other_sig[2048];
		if (q->type != QT_YES_NO && q->type != QT_INTEGER && q->type != QT_NUMBER &&
		    q->type != QT_SCALE)
			continue;
		s = &t->series[t->n_series++];
		s->id = q->id;
		s->title = q->text;
		s->kind = q->type == QT_YES_NO ? "share yes (%)" : "mean";
		s->points = calloc(n_cycles * cols, sizeof *s->points);
		if (s->points == NULL) {
			trend_free(&t);
			return CV_ENOMEM;
		}
		trend_signature(q, sig, sizeof sig);
		for (size_t c = 0; c < n_cycles; c++) {
			const struct questionnaire *def = t->ds[c]->def;
			bool comparable;
			/* The question of that cycle's version this one continues (lineage). */
			const struct question *qc = qset_continued(qs, latest, q, def, &comparable);
			const struct compare_table *tab = compare_question_table(t->cmp[c], qc);
			for (size_t g = 0; g < t->n_groups; g++) {
				struct trend_point *p = &s->points[c * cols + g];
				p->value = tab ? cell_value(tab, &tab->cells[g]) : NAN;
				p->n = tab ? tab->cells[g].n : 0;
				p->hidden = tab ? tab->cells[g].hidden : SHOWN;
			}
			{
				struct trend_point *p = &s->points[c * cols + t->n_groups];
				const struct ds_row *r = member ? ds_find(t->ds[c], member) : NULL;
				const Canvass__Answer *a = r && qc ? ds_answer(r, qc) : NULL;
				p->value = NAN;
				if (a != NULL && a->value_case == CANVASS__ANSWER__VALUE_BOOLEAN)
					p->value = a->boolean ? 100 : 0;
				else if (a != NULL &&
					 a->value_case == CANVASS__ANSWER__VALUE_INTEGER)
					p->value = (double)a->integer;
				else if (a != NULL &&
					 a->value_case == CANVASS__ANSWER__VALUE_NUMBER)
					p->value = a->number;
				p->n = a != NULL;
			}
			if (qc == NULL) {
				not_comparable(s, "not asked in cycle %s (version %u)", cycles[c],
					       def->version);
				continue;
			}
			trend_signature(qc, other_sig, sizeof other_sig);
			if (!comparable)
				not_comparable(s,
					       "its meaning changed after cycle %s (version %u, as "
					       "%s): not comparable",
					       cycles[c], def->version, qc->id);
			if (strcmp(sig, other_sig) != 0)
				not_comparable(s,
					       "definition differs in cycle %s (version %u) from "
					       "version %u: not comparable",
					       cycles[c], def->version, latest->version);
		}
	}
	/* Section scores and the overall score. */
	for (size_t sidx = 0; sidx <= latest->n_sections; sidx++) {
		struct trend_series *s = &t->series[t->n_series++];
		bool overall = sidx == latest->n_sections;
		s->id = overall ? "overall" : latest->sections[sidx].id;
		s->title = overall ? "Overall score" : latest->sections[sidx].title;
		s->kind = "score";
		s->points = calloc(n_cycles * cols, sizeof *s->points);
		if (s->points == NULL) {
			trend_free(&t);
			return CV_ENOMEM;
		}
		for (size_t c = 0; c < n_cycles; c++) {
			const struct compare_table *tab =
				overall ? &t->cmp[c]->overall
					: (sidx < t->cmp[c]->n_sections ? &t->cmp[c]->sections[sidx]
									: NULL);
			const struct ds_row *r = member ? ds_find(t->ds[c], member) : NULL;
			for (size_t g = 0; g < t->n_groups; g++) {
				struct trend_point *p = &s->points[c * cols + g];
				p->value = tab ? cell_value(tab, &tab->cells[g]) : NAN;
				p->n = tab ? tab->cells[g].n : 0;
				p->hidden = tab ? tab->cells[g].hidden : SHOWN;
			}
			s->points[c * cols + t->n_groups].value =
				r == NULL ? NAN
				: overall
					? r->overall
					: (sidx < t->ds[c]->def->n_sections ? r->section_score[sidx]
									    : NAN);
			/* A score changes meaning when any of its scored questions changed. */
			for (size_t i = 0; i < latest->n_questions && !s->changed; i++) {
				const struct question *q = &latest->questions[i];
				bool comparable;
				const struct question *qc =
					qset_continued(qs, latest, q, t->ds[c]->def, &comparable);
				char a[2048], b[2048];
				if (!q->score.scored || (!overall && q->section != sidx))
					continue;
				trend_signature(q, a, sizeof a);
				if (qc != NULL)
					trend_signature(qc, b, sizeof b);
				if (qc == NULL || !comparable || strcmp(a, b) != 0)
					not_comparable(s,
						       "scored question %s differs in cycle %s "
						       "(version %u)",
						       q->id, cycles[c], t->ds[c]->def->version);
			}
		}
	}
	*out = t;
	return 0;
}

void trend_free(struct trend **tp)
{
	struct trend *t;
	if (tp == NULL || *tp == NULL)
		return;
	t = *tp;
	for (size_t c = 0; c < t->n_cycles; c++) {
		if (t->cmp)
			compare_free(&t->cmp[c]);
		if (t->ds)
			dataset_free(&t->ds[c]);
	}
	for (size_t i = 0; i < t->n_series; i++)
		free(t->series[i].points);
	free(t->series);
	free(t->cmp);
	free(t->ds);
	free(t);
	*tp = NULL;
}
