#include "compare.h"
#include "error.h"
#include "wire.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool show_progress;

void compare_progress(bool on)
{
	show_progress = on;
}

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

/*
 * Adds x to c. A region's cell is sized at first use for every registered
 * member of the region (each answers a question once), so that it never
 * grows; the world's cell keeps only the values of members not in the
 * registry (the others are merged from the regions: summarize_numbers).
 */
static int push_value(struct compare_cell *c, double x, bool keep, size_t expect)
{
	c->n++;
	if (!keep)
		return 0;
	if (c->n_values == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : expect > 0 ? expect : 16;
		double *nv = realloc(c->values, ncap * sizeof *nv);
		if (nv == NULL)
			return CV_ENOMEM;
		c->values = nv;
		c->cap = ncap;
	}
	c->values[c->n_values++] = x;
	return 0;
}

/* Notes the weights behind the scores of a member who answered a scored question. */
static void note_weights(struct compare_cell *c, const double w[2])
{
	for (int k = 0; k < 2; k++) {
		if (!c->w_any || w[k] < c->w_lo[k])
			c->w_lo[k] = w[k];
		if (!c->w_any || w[k] > c->w_hi[k])
			c->w_hi[k] = w[k];
	}
	c->w_any = true;
}

/* Adds one (fitting) answer to one cell; a number's value is kept when keep is set. */
static int add_answer(const struct question *q, const Canvass__Answer *a, struct compare_cell *c,
		      bool keep, size_t expect)
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
	case QT_YES_NO: c->counts[a->boolean ? 0 : 1]++; break;
	case QT_INTEGER:
	case QT_SCALE: return push_value(c, (double)a->integer, keep, expect);
	case QT_NUMBER: /* whole numbers travel as integers (canon.h) */
		return push_value(c,
				  a->value_case == CANVASS__ANSWER__VALUE_INTEGER
					  ? (double)a->integer
					  : a->number,
				  keep, expect);
	case QT_CHOICE:
		if ((idx = qdef_option_index(q, a->text)) >= 0)
			c->counts[idx]++;
		break;
	case QT_MULTI_CHOICE:
		for (size_t i = 0; i < a->list->n_items; i++)
			if ((idx = qdef_option_index(q, a->list->items[i])) >= 0)
				c->counts[idx]++;
		break;
	case QT_TEXT: break;
	}
	c->n++;
	return 0;
}

static int table_init(struct compare_table *t, size_t groups, size_t n_options)
{
	t->cells = calloc(groups, sizeof *t->cells);
	if (t->cells == NULL)
		return CV_ENOMEM;
	for (size_t g = 0; g < groups && n_options > 0; g++)
		if ((t->cells[g].counts = calloc(n_options, sizeof(size_t))) == NULL)
			return CV_ENOMEM;
	return 0;
}

static enum disclosure_kind table_kind(const struct compare_table *t)
{
	if (t->numeric)
		return DISCLOSURE_NUMERIC;
	if (t->q == NULL || t->q->type == QT_TEXT)
		return DISCLOSURE_COUNTS;
	return t->q->type == QT_MULTI_CHOICE ? DISCLOSURE_MULTI : DISCLOSURE_CHOICE;
}

/*
 * Every group's summary. The regions' values are sorted; the world's are
 * their merge with the values of members not in the registry (sorted
 * apart): the same sorted array as sorting them all, without keeping each
 * value twice while the rows are read.
 */
static int summarize_numbers(struct compare_report *r, struct compare_table *t)
{
	size_t world = r->n_groups - 1, regions = r->n_groups - 1, sum = 0;
	struct compare_cell *w = &t->cells[world];
	const double *parts[65];
	size_t lens[65];
	double *all;

	for (size_t g = 0; g < regions; g++) {
		struct compare_cell *c = &t->cells[g];
		stats_summarize(c->values, c->n_values, &c->stats); /* sorts them */
		sum += c->n_values;
	}
	sum += w->n_values;
	if (sum == 0) {
		stats_summarize(w->values, 0, &w->stats);
		return 0;
	}
	if ((all = malloc(sum * sizeof *all)) == NULL)
		return CV_ENOMEM;
	if (regions < 65) {
		stats_summarize(w->values, w->n_values, &w->stats); /* sorts them */
		for (size_t g = 0; g < regions; g++) {
			parts[g] = t->cells[g].values;
			lens[g] = t->cells[g].n_values;
		}
		parts[regions] = w->values;
		lens[regions] = w->n_values;
		if (stats_merge(parts, lens, regions + 1, all) != 0) {
			free(all);
			return CV_ENOMEM;
		}
		stats_summarize_sorted(all, sum, &w->stats);
	} else {
		size_t k = 0;
		for (size_t g = 0; g <= regions; g++) {
			const struct compare_cell *c = &t->cells[g];
			if (c->n_values > 0)
				memcpy(all + k, c->values, c->n_values * sizeof *all);
			k += c->n_values;
		}
		stats_summarize(all, sum, &w->stats);
	}
	free(w->values);
	w->values = all;
	w->n_values = w->cap = sum;
	return 0;
}

/*
 * Whether a score cell must hide because of the questions it is computed
 * from (the link rule, docs/reports.md). A group's score sum is the sum,
 * over its members, of each one's weighted mean of its scored answers. It
 * adds nothing to the question figures published beside it exactly when it
 * is a combination of them: when all members who answered a question with
 * a value have the same weights behind their score (one denominator), and
 * each of those question cells is shown. Otherwise it is an equation of
 * its own: beside a hidden question it gives that one away; beside a
 * member whose don't know left a different denominator, it gives that
 * member's other answers away (score x n minus the questions' sums). The
 * questions are decided before the scores (compare_end). The test alone:
 * the caller says whether the link rule is on.
 */
static bool score_linked(const struct compare_report *r, const struct compare_table *t, size_t g)
{
	int k = t == &r->overall;

	if (t->q != NULL)
		return false;
	for (size_t i = 0; i < r->n_questions; i++) {
		const struct compare_table *qt = &r->questions[i];
		const struct compare_cell *c = &qt->cells[g];
		if (!qt->q->score.scored || (!k && qt->section != t->section))
			continue;
		if (c->hidden != SHOWN || (c->w_any && c->w_lo[k] != c->w_hi[k]))
			return true;
	}
	return false;
}

/*
 * The n/a and don't-know counts of a question's shown cells: a table of
 * their own over the members who gave no value (disclosure.h).
 */
static int specials_disclose(struct compare_report *r, struct compare_table *t,
			     struct disclosure_cell *dc, enum suppression *hidden)
{
	size_t *counts = calloc(3 * r->n_groups, sizeof *counts);

	if (counts == NULL)
		return CV_ENOMEM;
	for (size_t g = 0; g < r->n_groups; g++) {
		const struct compare_cell *c = &t->cells[g];
		size_t submitted = r->group_submitted[g],
		       special = c->not_applicable + c->dont_know;
		size_t *k = &counts[3 * g];
		k[0] = c->not_applicable;
		k[1] = c->dont_know;
		k[2] = submitted > c->n + special ? submitted - c->n - special : 0;
		dc[g] = (struct disclosure_cell){.members = submitted,
						 .n = submitted > c->n ? submitted - c->n : 0,
						 .counts = k,
						 .n_options = 3};
	}
	if (disclosure_table(&r->rules, DISCLOSURE_SPECIAL, dc, r->n_groups, hidden, NULL) ==
		    (size_t)-1 ||
	    disclosure_audit_table(&r->rules, DISCLOSURE_SPECIAL, dc, r->n_groups, hidden, t->id,
				   r->names, &r->audit) == (size_t)-1) {
		free(counts);
		return CV_ENOMEM;
	}
	free(counts);
	for (size_t g = 0; g < r->n_groups; g++) {
		struct compare_cell *c = &t->cells[g];
		if (c->hidden != SHOWN || hidden[g] == SHOWN)
			continue;
		c->special_hidden = hidden[g];
		r->special_suppressed++;
	}
	return 0;
}

/*
 * The audit of a score: each shown cell must be a combination of the
 * question cells shown beside it (score_linked), whatever the link-rule
 * setting, so that it adds no equation of its own.
 */
static void audit_score(struct compare_report *r, const struct compare_table *t)
{
	if (r->rules.k <= 1)
		return;
	for (size_t g = 0; g < r->n_groups; g++) {
		if (t->cells[g].hidden != SHOWN || r->group_submitted[g] == 0)
			continue;
		r->audit.equations++;
		r->audit.aggregates++;
		if (!score_linked(r, t, g))
			continue;
		if (r->audit.failures++ == 0)
			snprintf(r->audit.first, sizeof r->audit.first,
				 "%s: %s: the score is not a combination of the questions shown "
				 "beside it",
				 t->id, r->names[g]);
	}
}

/* Disclosure control for one table, its summaries made. */
static int table_disclose(struct compare_report *r, struct compare_table *t)
{
	struct disclosure_cell *dc = calloc(r->n_groups, sizeof *dc);
	enum suppression *hidden = calloc(r->n_groups, sizeof *hidden);
	size_t n_options = t->q != NULL ? compare_n_options(t->q) : 0;
	int rc = 0;

	if (dc == NULL || hidden == NULL) {
		rc = CV_ENOMEM;
		goto out;
	}
	for (size_t g = 0; g < r->n_groups; g++) {
		struct compare_cell *c = &t->cells[g];
		dc[g].members = r->group_submitted[g];
		dc[g].n = c->n;
		dc[g].counts = c->counts;
		dc[g].n_options = c->counts != NULL ? n_options : 0;
		dc[g].values = c->values;
		dc[g].linked = r->rules.k > 1 && r->rules.linked && score_linked(r, t, g);
	}
	if (disclosure_table(&r->rules, table_kind(t), dc, r->n_groups, hidden, r->suppressed_by) ==
		    (size_t)-1 ||
	    disclosure_audit_table(&r->rules, table_kind(t), dc, r->n_groups, hidden, t->id,
				   r->names, &r->audit) == (size_t)-1)
		rc = CV_ENOMEM;
	for (size_t g = 0; g < r->n_groups; g++) {
		struct compare_cell *c = &t->cells[g];
		c->hidden = c->special_hidden = hidden[g];
		c->order_shown =
			t->numeric && c->hidden == SHOWN && disclosure_order_stats(&r->rules, c->n);
		if (t->numeric && c->hidden == SHOWN && c->n > 0 && !c->order_shown)
			r->order_withheld++;
		r->suppressed_cells += c->hidden != SHOWN;
		free(c->values);
		c->values = NULL;
		c->n_values = c->cap = 0;
	}
	if (rc == 0 && t->q != NULL && r->rules.k > 1 && r->rules.specials)
		rc = specials_disclose(r, t, dc, hidden);
out:
	free(dc);
	free(hidden);
	return rc;
}

static void table_free(struct compare_table *t, size_t groups)
{
	for (size_t g = 0; t->cells != NULL && g < groups; g++) {
		free(t->cells[g].counts);
		free(t->cells[g].values);
	}
	free(t->cells);
}

int compare_begin(const struct dataset *ds, const struct disclosure_rules *rules,
		  struct compare_report **out)
{
	const struct questionnaire *def = ds->def;
	struct compare_report *r = calloc(1, sizeof *r);
	size_t world;
	int rc = 0;

	*out = NULL;
	if (r == NULL)
		return CV_ENOMEM;
	r->ds = ds;
	r->rules = *rules;
	r->n_groups = ds_groups(ds);
	world = r->n_groups - 1;
	r->group_submitted = calloc(r->n_groups, sizeof *r->group_submitted);
	r->group_expected = calloc(r->n_groups, sizeof *r->group_expected);
	r->questions = calloc(def->n_questions, sizeof *r->questions);
	r->sections = calloc(def->n_sections, sizeof *r->sections);
	if (r->group_submitted == NULL || r->group_expected == NULL || r->questions == NULL ||
	    r->sections == NULL) {
		rc = CV_ENOMEM;
		goto fail;
	}
	r->n_sections = def->n_sections;
	for (size_t i = 0; i < ds->reg->n; i++) {
		r->group_expected[ds->reg->members[i].region_index]++;
		r->group_expected[world]++;
	}
	for (size_t i = 0; rc == 0 && i < def->n_questions; i++) {
		struct compare_table *t = &r->questions[r->n_questions];
		/* A consent answer is the member's decision, not a figure: never tabulated. */
		if (def->questions[i].consent != QCONSENT_NONE)
			continue;
		r->n_questions++;
		t->q = &def->questions[i];
		t->id = t->q->id;
		t->title = t->q->text;
		t->section = t->q->section;
		t->numeric = t->q->type == QT_INTEGER || t->q->type == QT_NUMBER ||
			     t->q->type == QT_SCALE;
		rc = table_init(t, r->n_groups, compare_n_options(t->q));
		r->has_scores = r->has_scores || t->q->score.scored;
	}
	for (size_t s = 0; rc == 0 && s < def->n_sections; s++) {
		r->sections[s].id = def->sections[s].id;
		r->sections[s].title = def->sections[s].title;
		r->sections[s].section = s;
		r->sections[s].numeric = true;
		rc = table_init(&r->sections[s], r->n_groups, 0);
	}
	r->overall.id = "overall";
	r->overall.title = "Overall score";
	r->overall.numeric = true;
	if (rc == 0)
		rc = table_init(&r->overall, r->n_groups, 0);
	if (rc != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	compare_free(&r);
	return rc;
}

int compare_add_row(const struct dataset *ds, const struct ds_row *row, void *arg)
{
	struct compare_report *r = arg;
	size_t world = r->n_groups - 1;
	/* A registered member's values are kept in its region's cell only. */
	size_t g = row->reg ? row->group : world;
	size_t expect = row->reg ? r->group_expected[g] / (r->shares ? r->shares : 1) + 16 : 0;
	int rc = 0;

	(void)ds;
	if (show_progress && r->shares <= 1 && (r->rows % 200 == 0))
		fprintf(stderr, "\rcompare: %zu members", r->rows + 1);
	r->rows++;
	if (row->reg == NULL)
		r->unregistered++;
	else
		r->group_submitted[g]++;
	r->group_submitted[world]++;
	for (size_t q = 0; rc == 0 && q < r->n_questions; q++) {
		const struct question *qn = r->questions[q].q;
		const Canvass__Answer *a = ds_answer(row, qn);
		if (a == NULL)
			continue;
		/* A registered member's answer counts in the world when the regions are folded
		 * into it (compare_end), not twice here. */
		rc = add_answer(qn, a, &r->questions[q].cells[g], true, expect);
		if (qn->score.scored && a->value_case != CANVASS__ANSWER__VALUE_SPECIAL) {
			const double w[2] = {row->section_weight[qn->section], row->overall_weight};
			note_weights(&r->questions[q].cells[g], w);
		}
	}
	for (size_t s = 0; rc == 0 && s < r->n_sections; s++)
		if (!isnan(row->section_score[s]))
			rc = push_value(&r->sections[s].cells[g], row->section_score[s], true,
					expect);
	if (rc == 0 && !isnan(row->overall))
		rc = push_value(&r->overall.cells[g], row->overall, true, expect);
	return rc;
}

/*
 * The world's counts: its own (members not in the registry) and every
 * region's, added once all rows are in (the numbers are merged apart:
 * summarize_numbers).
 */
static void fold_world(struct compare_report *r, struct compare_table *t)
{
	size_t world = r->n_groups - 1, n_options = t->q != NULL ? compare_n_options(t->q) : 0;
	struct compare_cell *w = &t->cells[world];

	for (size_t g = 0; g < world; g++) {
		const struct compare_cell *c = &t->cells[g];
		w->n += c->n;
		w->not_applicable += c->not_applicable;
		w->dont_know += c->dont_know;
		for (size_t o = 0; w->counts != NULL && o < n_options; o++)
			w->counts[o] += c->counts[o];
		if (c->w_any) {
			note_weights(w, c->w_lo);
			note_weights(w, c->w_hi);
		}
	}
}

/* The numeric tables' summaries, every n-th from the k-th: one thread's share. */
struct summaries {
	struct compare_report *r;
	struct compare_table **tables;
	size_t n_tables, k, step;
	int rc;
};

static void *summarize_share(void *arg)
{
	struct summaries *s = arg;
	for (size_t i = s->k; s->rc == 0 && i < s->n_tables; i += s->step)
		if (s->tables[i]->numeric)
			s->rc = summarize_numbers(s->r, s->tables[i]);
	return NULL;
}

int compare_end(struct compare_report *r)
{
	size_t n = r->n_questions + r->n_sections + 1, k = 0;
	struct compare_table **tables = calloc(n, sizeof *tables);
	struct summaries sh[DS_MAX_THREADS];
	unsigned threads = dataset_threads();
	int rc = 0;

	if (show_progress)
		fputs("\r\033[K", stderr);
	if (tables == NULL)
		return CV_ENOMEM;
	for (size_t q = 0; q < r->n_questions; q++)
		tables[k++] = &r->questions[q];
	for (size_t s = 0; s < r->n_sections; s++)
		tables[k++] = &r->sections[s];
	tables[k++] = &r->overall;
	for (size_t i = 0; i < n; i++)
		fold_world(r, tables[i]);
	/* Sorting each cell's numbers is most of the work, and touches that table only. */
	for (unsigned t = 0; t < threads; t++)
		sh[t] = (struct summaries){
			.r = r, .tables = tables, .n_tables = n, .k = t, .step = threads};
	ds_run_shares(threads, summarize_share, sh, sizeof *sh);
	for (unsigned t = 1; t < threads; t++)
		if (sh[0].rc == 0)
			sh[0].rc = sh[t].rc;
	rc = sh[0].rc;
	/* Then disclosure control, table by table, in order (its counters are the report's). */
	r->names = calloc(r->n_groups, sizeof *r->names);
	if (r->names == NULL)
		rc = CV_ENOMEM;
	for (size_t g = 0; rc == 0 && g < r->n_groups; g++)
		r->names[g] = ds_group_name(r->ds, g);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = table_disclose(r, tables[i]);
	for (size_t i = r->n_questions; rc == 0 && i < n; i++)
		audit_score(r, tables[i]);
	free(tables);
	return rc;
}

/* Adds src's counts and numbers to dst's (both begun over the same dataset). */
static int table_merge(struct compare_table *dst, const struct compare_table *src, size_t groups)
{
	size_t n_options = dst->q != NULL ? compare_n_options(dst->q) : 0;

	for (size_t g = 0; g < groups; g++) {
		struct compare_cell *a = &dst->cells[g];
		const struct compare_cell *b = &src->cells[g];
		a->n += b->n;
		a->not_applicable += b->not_applicable;
		a->dont_know += b->dont_know;
		for (size_t o = 0; a->counts != NULL && o < n_options; o++)
			a->counts[o] += b->counts[o];
		if (b->w_any) {
			note_weights(a, b->w_lo);
			note_weights(a, b->w_hi);
		}
		if (b->n_values == 0)
			continue;
		if (a->cap < a->n_values + b->n_values) {
			double *nv = realloc(a->values, (a->n_values + b->n_values) * sizeof *nv);
			if (nv == NULL)
				return CV_ENOMEM;
			a->values = nv;
			a->cap = a->n_values + b->n_values;
		}
		memcpy(a->values + a->n_values, b->values, b->n_values * sizeof *b->values);
		a->n_values += b->n_values;
	}
	return 0;
}

static int compare_merge(struct compare_report *dst, const struct compare_report *src)
{
	int rc = 0;

	for (size_t g = 0; g < dst->n_groups; g++)
		dst->group_submitted[g] += src->group_submitted[g];
	dst->unregistered += src->unregistered;
	dst->rows += src->rows;
	for (size_t q = 0; rc == 0 && q < dst->n_questions; q++)
		rc = table_merge(&dst->questions[q], &src->questions[q], dst->n_groups);
	for (size_t s = 0; rc == 0 && s < dst->n_sections; s++)
		rc = table_merge(&dst->sections[s], &src->sections[s], dst->n_groups);
	return rc != 0 ? rc : table_merge(&dst->overall, &src->overall, dst->n_groups);
}

int compare_stream(struct dataset *ds, struct store_view *v, const struct disclosure_rules *rules,
		   struct compare_report **out)
{
	struct compare_report *parts[DS_MAX_THREADS] = {0};
	unsigned n = dataset_threads();
	int rc = 0;

	*out = NULL;
	for (unsigned t = 0; rc == 0 && t < n; t++)
		if ((rc = compare_begin(ds, rules, &parts[t])) == 0)
			parts[t]->shares = n; /* each sizes its cells for its share of the rows */
	if (rc == 0)
		rc = dataset_each(ds, v, compare_add_row, (void *const *)parts, n);
	for (unsigned t = 1; t < n; t++) {
		if (rc == 0)
			rc = compare_merge(parts[0], parts[t]);
		compare_free(&parts[t]);
	}
	if (rc == 0)
		rc = compare_end(parts[0]);
	if (rc != 0) {
		compare_free(&parts[0]);
		return rc;
	}
	*out = parts[0];
	return 0;
}

int compare_build(const struct dataset *ds, const struct disclosure_rules *rules,
		  struct compare_report **out)
{
	struct compare_report *r;
	int rc = compare_begin(ds, rules, &r);

	*out = NULL;
	for (size_t i = 0; rc == 0 && i < ds->n; i++)
		rc = compare_add_row(ds, &ds->rows[i], r);
	if (rc == 0)
		rc = compare_end(r);
	if (rc != 0) {
		compare_free(&r);
		return rc;
	}
	*out = r;
	return 0;
}

void compare_free(struct compare_report **rp)
{
	struct compare_report *r;
	if (rp == NULL || *rp == NULL)
		return;
	r = *rp;
	for (size_t i = 0; r->questions != NULL && i < r->n_questions; i++)
		table_free(&r->questions[i], r->n_groups);
	for (size_t i = 0; r->sections != NULL && i < r->n_sections; i++)
		table_free(&r->sections[i], r->n_groups);
	table_free(&r->overall, r->n_groups);
	free(r->names);
	free(r->questions);
	free(r->sections);
	free(r->group_submitted);
	free(r->group_expected);
	free(r);
	*rp = NULL;
}

const struct compare_table *compare_question_table(const struct compare_report *r,
						   const struct question *q)
{
	for (size_t i = 0; q != NULL && i < r->n_questions; i++)
		if (r->questions[i].q == q)
			return &r->questions[i];
	return NULL;
}
