#include "disclosure.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void disclosure_defaults(struct disclosure_rules *r)
{
	memset(r, 0, sizeof *r);
	r->k = 3;
	r->k_order = 10;
	r->shares = true;
	r->equal_values = true;
	r->linked = true;
	r->specials = true;
	r->own_group = (size_t)-1;
}

size_t disclosure_min_n(const struct disclosure_rules *r, enum disclosure_kind kind)
{
	/* Mean and sd give sum and sum of squares: two unknowns are solvable. */
	if (kind == DISCLOSURE_NUMERIC && r->k < 4)
		return 4;
	return r->k;
}

bool disclosure_order_stats(const struct disclosure_rules *r, size_t n)
{
	if (r->k <= 1)
		return true;
	return !r->feedback && n >= r->k_order && n >= disclosure_min_n(r, DISCLOSURE_NUMERIC);
}

/* All values equal, or all but one (sorted input). */
static bool equal_values(const double *v, size_t n)
{
	size_t first_run = 1, last_run = 1;

	if (n == 0)
		return false;
	while (first_run < n && v[first_run] == v[0])
		first_run++;
	if (first_run == n)
		return true;
	while (last_run < n && v[n - 1 - last_run] == v[n - 1])
		last_run++;
	/* Two distinct values, one of them once. */
	return first_run + last_run == n && (first_run == 1 || last_run == 1);
}

/*
 * The rule a cell (or an aggregate) breaks, or SHOWN. insider: a member of
 * it knows its own answer, so it protects only the others (n - 1).
 */
static enum suppression judge_rules(const struct disclosure_rules *r, enum disclosure_kind kind,
				    const struct disclosure_cell *c, bool insider)
{
	size_t n = c->n, others = insider && n > 0 ? n - 1 : n;

	if (c->members == 0)
		return SHOWN; /* nobody submitted: nothing to protect */
	if (kind == DISCLOSURE_SPECIAL) {
		/*
		 * Who gave no value is known (members - n of the value table);
		 * which special answer each gave is what is protected.
		 */
		if (n == 0)
			return SHOWN;
		if (others < disclosure_min_n(r, kind))
			return SUPPRESSED_PRIMARY;
		for (size_t o = 0; o < c->n_options; o++)
			if (c->counts[o] + 1 >= n)
				return SUPPRESSED_SHARES;
		return SHOWN;
	}
	if (others < disclosure_min_n(r, kind))
		return SUPPRESSED_PRIMARY;
	if (r->shares && (kind == DISCLOSURE_CHOICE || kind == DISCLOSURE_MULTI))
		for (size_t o = 0; o < c->n_options; o++) {
			if (c->counts[o] + 1 >= n)
				return SUPPRESSED_SHARES;
			/*
			 * Each option of a multiple choice is a yes/no of its
			 * own: none (or only one) selecting it tells everyone's
			 * answer to it (or, to the one, everyone else's).
			 */
			if (kind == DISCLOSURE_MULTI && c->counts[o] <= 1)
				return SUPPRESSED_SHARES;
		}
	if (r->equal_values && kind == DISCLOSURE_NUMERIC && equal_values(c->values, n))
		return SUPPRESSED_EQUAL;
	return SHOWN;
}

/* The rule a cell breaks first, else linked when a linked table hides it. */
static enum suppression judge(const struct disclosure_rules *r, enum disclosure_kind kind,
			      const struct disclosure_cell *c, bool insider)
{
	enum suppression s = judge_rules(r, kind, c, insider);
	return s == SHOWN && c->linked && c->members > 0 ? SUPPRESSED_LINKED : s;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * What World minus the shown regions gives away: the aggregate of the
 * hidden regions and the unregistered members. counts and values are
 * scratch space of n_options and World's n.
 */
static int hidden_aggregate(enum disclosure_kind kind, const struct disclosure_cell *cells,
			    size_t groups, const enum suppression *out, size_t *counts,
			    double *values, double *shown_values, struct disclosure_cell *h)
{
	const struct disclosure_cell *w = &cells[groups - 1];
	size_t ns = 0, nh = 0, i = 0, j = 0;

	*h = *w;
	h->linked = false;
	h->counts = counts;
	h->values = values;
	for (size_t o = 0; o < w->n_options; o++)
		counts[o] = w->counts[o];
	for (size_t g = 0; g + 1 < groups; g++) {
		const struct disclosure_cell *c = &cells[g];
		if (out[g] != SHOWN)
			continue;
		h->members -= c->members < h->members ? c->members : h->members;
		h->n -= c->n < h->n ? c->n : h->n;
		for (size_t o = 0; o < c->n_options && o < w->n_options; o++)
			counts[o] -= c->counts[o] < counts[o] ? c->counts[o] : counts[o];
		if (kind == DISCLOSURE_NUMERIC)
			for (size_t k = 0; k < c->n; k++)
				shown_values[ns++] = c->values[k];
	}
	if (kind != DISCLOSURE_NUMERIC)
		return 0;
	/* The multiset World minus the shown regions' answers. */
	qsort(shown_values, ns, sizeof *shown_values, dcmp);
	while (i < w->n) {
		if (j < ns && shown_values[j] == w->values[i]) {
			i++, j++;
		} else if (j < ns && shown_values[j] < w->values[i]) {
			j++;
		} else {
			values[nh++] = w->values[i++];
		}
	}
	h->n = nh;
	return 0;
}

size_t disclosure_table(const struct disclosure_rules *r, enum disclosure_kind kind,
			const struct disclosure_cell *cells, size_t groups, enum suppression *out,
			size_t by_reason[DISCLOSURE_REASONS])
{
	size_t world = groups - 1, hidden = 0;
	size_t *counts = NULL;
	double *values = NULL, *shown = NULL;
	const struct disclosure_cell *w = &cells[world];

	for (size_t g = 0; g < groups; g++) {
		bool insider = r->own_group != (size_t)-1 && (g == r->own_group || g == world);
		out[g] = r->k <= 1 ? SHOWN : judge(r, kind, &cells[g], insider);
	}
	if (r->k > 1 && out[world] == SHOWN) {
		for (;;) {
			struct disclosure_cell h;
			size_t best = (size_t)-1, shown_members = 0;
			bool insider;
			for (size_t g = 0; g < world; g++)
				if (out[g] == SHOWN)
					shown_members += cells[g].members;
			if (shown_members >= w->members)
				break; /* nothing hidden: World is the sum of what is shown */
			if (counts == NULL) { /* scratch space, only when something is hidden */
				counts = calloc(w->n_options + 1, sizeof *counts);
				values = calloc(w->n + 1, sizeof *values);
				shown = calloc(w->n + 1, sizeof *shown);
				if (counts == NULL || values == NULL || shown == NULL) {
					for (size_t g = 0; g < groups; g++)
						out[g] = SUPPRESSED_PRIMARY;
					free(counts), free(values), free(shown);
					return (size_t)-1;
				}
			}
			hidden_aggregate(kind, cells, groups, out, counts, values, shown, &h);
			insider = r->own_group != (size_t)-1 && out[r->own_group] != SHOWN;
			if (judge(r, kind, &h, insider) == SHOWN)
				break;
			/* Hide the shown region with the fewest answers too, or World. */
			for (size_t g = 0; g < world; g++)
				if (out[g] == SHOWN && cells[g].members > 0 &&
				    (best == (size_t)-1 || cells[g].n < cells[best].n))
					best = g;
			if (best == (size_t)-1) {
				out[world] = SUPPRESSED_COMPLEMENTARY;
				break;
			}
			out[best] = SUPPRESSED_COMPLEMENTARY;
		}
		free(counts), free(values), free(shown);
	}
	for (size_t g = 0; g < groups; g++) {
		if (out[g] == SHOWN)
			continue;
		hidden++;
		if (by_reason != NULL)
			by_reason[out[g]]++;
	}
	return hidden;
}

static int64_t gcd64(int64_t a, int64_t b)
{
	a = a < 0 ? -a : a;
	b = b < 0 ? -b : b;
	while (b != 0) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Reduced row echelon form of rows (n_rows x cols, integers), in place,
 * fraction-free: each step cross-multiplies and divides the row by the
 * gcd of its entries, so entries stay small. Returns the rank.
 */
static size_t rref(int64_t *m, size_t n_rows, size_t cols)
{
	size_t rank = 0;

	for (size_t c = 0; c < cols && rank < n_rows; c++) {
		size_t piv = rank;
		while (piv < n_rows && m[piv * cols + c] == 0)
			piv++;
		if (piv == n_rows)
			continue;
		for (size_t k = 0; k < cols && piv != rank; k++) {
			int64_t t = m[piv * cols + k];
			m[piv * cols + k] = m[rank * cols + k];
			m[rank * cols + k] = t;
		}
		for (size_t i = 0; i < n_rows; i++) {
			int64_t f = m[i * cols + c], p = m[rank * cols + c], g = 0;
			if (i == rank || f == 0)
				continue;
			for (size_t k = 0; k < cols; k++) {
				m[i * cols + k] = m[i * cols + k] * p - m[rank * cols + k] * f;
				g = gcd64(g, m[i * cols + k]);
			}
			for (size_t k = 0; g > 1 && k < cols; k++)
				m[i * cols + k] /= g;
		}
		rank++;
	}
	return rank;
}

/*
 * The aggregate of the blocks in S (a flag per block: the regions, then
 * the members missing from the registry). With that last block, World
 * minus the regions not in S; else the regions of S added up.
 */
static int block_aggregate(enum disclosure_kind kind, const struct disclosure_cell *cells,
			   size_t groups, const bool *in_s, size_t *counts, double *values,
			   double *scratch, struct disclosure_cell *h)
{
	size_t world = groups - 1, members = 0, in = 0, one = 0;

	/*
	 * Cheap cases first (the audit runs on every table): an aggregate of
	 * nobody, and a single region, whose cell is the aggregate as it is
	 * (its values already sorted).
	 */
	for (size_t g = 0; g < world; g++)
		if (in_s[g]) {
			members += cells[g].members;
			in++;
			one = g;
		}
	if (in_s[world]) {
		size_t rest = cells[world].members;
		for (size_t g = 0; g < world; g++)
			rest -= cells[g].members < rest ? cells[g].members : rest;
		members += rest;
		in += rest > 0;
	}
	if (members == 0) {
		memset(h, 0, sizeof *h);
		return 0;
	}
	if (in == 1 && !in_s[world]) {
		*h = cells[one];
		h->linked = false;
		return 0;
	}
	if (in_s[world]) {
		enum suppression *subtract = calloc(groups, sizeof *subtract);
		if (subtract == NULL)
			return -1;
		for (size_t g = 0; g < world; g++)
			subtract[g] = in_s[g] ? SUPPRESSED_PRIMARY : SHOWN;
		hidden_aggregate(kind, cells, groups, subtract, counts, values, scratch, h);
		free(subtract);
		return 0;
	}
	memset(h, 0, sizeof *h);
	h->counts = counts;
	h->values = values;
	h->n_options = cells[world].n_options;
	memset(counts, 0, (h->n_options + 1) * sizeof *counts);
	for (size_t g = 0; g < world; g++) {
		const struct disclosure_cell *c = &cells[g];
		if (!in_s[g])
			continue;
		h->members += c->members;
		for (size_t o = 0; o < c->n_options && o < h->n_options; o++)
			counts[o] += c->counts[o];
		if (kind == DISCLOSURE_NUMERIC)
			for (size_t k = 0; k < c->n; k++)
				values[h->n + k] = c->values[k];
		h->n += c->n;
	}
	if (kind == DISCLOSURE_NUMERIC)
		qsort(values, h->n, sizeof *values, dcmp);
	return 0;
}

size_t disclosure_audit_table(const struct disclosure_rules *r, enum disclosure_kind kind,
			      const struct disclosure_cell *cells, size_t groups,
			      const enum suppression *out, const char *table,
			      const char *const *names, struct disclosure_audit *a)
{
	size_t world = groups - 1, n_rows = 0, failures = 0, wn = cells[world].n;
	int64_t *m = calloc(groups * groups, sizeof *m);
	bool *in_s = calloc(groups, sizeof *in_s);
	size_t *counts = calloc(cells[world].n_options + 1, sizeof *counts);
	double *values = calloc(wn + 1, sizeof *values), *scratch = calloc(wn + 1, sizeof *scratch);

	if (m == NULL || in_s == NULL || counts == NULL || values == NULL || scratch == NULL) {
		failures = (size_t)-1;
		goto out;
	}
	a->tables++;
	if (r->k <= 1)
		goto out; /* disclosure control off: nothing is public */
	/* One equation per shown cell, over the blocks: a region; World: all. */
	for (size_t g = 0; g < groups; g++) {
		if (out[g] != SHOWN || cells[g].members == 0)
			continue;
		for (size_t b = 0; b < groups; b++)
			m[n_rows * groups + b] = g == world || b == g;
		n_rows++;
	}
	a->equations += n_rows;
	n_rows = rref(m, n_rows, groups);
	for (size_t i = 0; i < n_rows; i++) {
		const int64_t *row = &m[i * groups];
		struct disclosure_cell h;
		int64_t first = 0;
		bool equal = true;
		enum suppression s = SHOWN;
		for (size_t b = 0; b < groups; b++) {
			in_s[b] = row[b] != 0;
			if (row[b] != 0 && first == 0)
				first = row[b];
			equal = equal && (row[b] == 0 || row[b] == first);
		}
		a->aggregates++;
		if (equal) {
			bool insider;
			if (block_aggregate(kind, cells, groups, in_s, counts, values, scratch,
					    &h) != 0) {
				failures = (size_t)-1;
				goto out;
			}
			/* The member's block: its region, or the unregistered (own_group World). */
			insider = r->own_group != (size_t)-1 && in_s[r->own_group];
			if (h.members > 0)
				s = judge_rules(r, kind, &h, insider);
		} else {
			s = SUPPRESSED_COMPLEMENTARY; /* a difference of groups: not expected */
		}
		if (s == SHOWN)
			continue;
		if (failures++ == 0 && a->failures == 0) {
			size_t k = (size_t)snprintf(a->first, sizeof a->first, "%s: ", table);
			for (size_t b = 0; b < groups && k < sizeof a->first; b++)
				if (in_s[b])
					k += (size_t)snprintf(
						a->first + k, sizeof a->first - k, "%s%s",
						k > strlen(table) + 2 ? " + " : "",
						b == world ? "members missing from the registry"
							   : names[b]);
			if (k < sizeof a->first)
				snprintf(a->first + k, sizeof a->first - k,
					 " can be worked out and breaks %s", disclosure_code(s));
		}
	}
	a->failures += failures;
out:
	free(m), free(in_s), free(counts), free(values), free(scratch);
	return failures;
}

const char *disclosure_code(enum suppression s)
{
	switch (s) {
	case SUPPRESSED_PRIMARY: return "min_n";
	case SUPPRESSED_SHARES: return "shares";
	case SUPPRESSED_EQUAL: return "equal_values";
	case SUPPRESSED_COMPLEMENTARY: return "complementary";
	case SUPPRESSED_LINKED: return "linked";
	default: return "";
	}
}

const char *disclosure_reason(enum suppression s)
{
	switch (s) {
	case SUPPRESSED_PRIMARY: return "too few members answered";
	case SUPPRESSED_SHARES:
		return "one option holds all or all but one of the answers (of a multiple choice: "
		       "or none or one)";
	case SUPPRESSED_EQUAL: return "all answers, or all but one, are equal";
	case SUPPRESSED_COMPLEMENTARY:
		return "complementary: it would reveal a suppressed group by subtraction";
	case SUPPRESSED_LINKED:
		return "linked: beside its questions the score would give an answer away (a "
		       "question "
		       "of it is hidden here, or its members' scores have different weights)";
	default: return "";
	}
}
