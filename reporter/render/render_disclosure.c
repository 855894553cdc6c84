/* What every output says about disclosure control, and the mark a hidden figure shows. */
#include "render.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

static const char *mark = "x";
static bool confidential;

void render_set_suppressed_mark(const char *m)
{
	mark = m;
}

const char *render_suppressed_mark(void)
{
	return mark;
}

const char *render_special(const struct compare_cell *c, size_t count, char *buf)
{
	if (c->special_hidden != SHOWN)
		return mark;
	snprintf(buf, 24, "%zu", count);
	return buf;
}

int render_audit_gate(const struct compare_report *cmp)
{
	if (cmp == NULL || cmp->audit.failures == 0 || confidential)
		return 0;
	fprintf(stderr,
		"canvass-reporter: disclosure audit: %s (%zu such); a public output must not give "
		"an answer away, so none is written (docs/reports.md, \"The audit\")\n",
		cmp->audit.first, cmp->audit.failures);
	return CV_EDISCLOSE;
}

void render_set_confidential(bool on)
{
	confidential = on;
}

bool render_confidential(void)
{
	return confidential;
}

void render_tally_add(struct disclosure_tally *t, const struct compare_report *r)
{
	t->rules = r->rules;
	t->any = true;
	t->cells += r->suppressed_cells;
	t->order_withheld += r->order_withheld;
	t->specials += r->special_suppressed;
	t->audit.tables += r->audit.tables;
	t->audit.equations += r->audit.equations;
	t->audit.aggregates += r->audit.aggregates;
	if (t->audit.failures == 0 && r->audit.failures > 0)
		memcpy(t->audit.first, r->audit.first, sizeof t->audit.first);
	t->audit.failures += r->audit.failures;
	for (int i = 0; i < DISCLOSURE_REASONS; i++)
		t->by[i] += r->suppressed_by[i];
}

void render_disclosure_text(FILE *out, const struct disclosure_tally *t)
{
	const struct disclosure_rules *r = &t->rules;

	if (!t->any)
		return;
	if (r->k <= 1) {
		fprintf(out, "Disclosure control: off (--min-group 1): every figure is shown; not "
			     "for publication.\n");
		return;
	}
	fprintf(out,
		"Disclosure control (docs/reports.md): figures need %zu members answering "
		"(numbers %zu)%s%s%s%s; hidden figures show \"%s\". %zu cells hidden: min_n %zu, "
		"shares %zu, equal_values %zu, complementary %zu, linked %zu; n/a and don't-know "
		"counts hidden in %zu more.\n",
		r->k, disclosure_min_n(r, DISCLOSURE_NUMERIC),
		r->shares ? "; shares rule on" : "; shares rule off",
		r->equal_values ? "; equal-values rule on" : "; equal-values rule off",
		r->linked ? "; link rule on" : "; link rule off",
		r->specials ? "; special rule on" : "; special rule off", mark, t->cells,
		t->by[SUPPRESSED_PRIMARY], t->by[SUPPRESSED_SHARES], t->by[SUPPRESSED_EQUAL],
		t->by[SUPPRESSED_COMPLEMENTARY], t->by[SUPPRESSED_LINKED], t->specials);
	fprintf(out,
		"Audit: %zu published sums of %zu tables solved exactly, %zu aggregates judged for "
		"an outsider and an insider: %s.\n",
		t->audit.equations, t->audit.tables, t->audit.aggregates,
		t->audit.failures == 0 ? "nothing can be worked out" : t->audit.first);
	if (r->feedback)
		fprintf(out,
			"Order statistics (min, quartiles, max) are never in feedback; "
			"percentile ranks need %zu members answering.\n",
			r->k_order);
	else
		fprintf(out,
			"Order statistics (min, quartiles, max) need %zu members answering: "
			"withheld in %zu shown cell%s.\n",
			r->k_order, t->order_withheld, t->order_withheld == 1 ? "" : "s");
}

json_t *render_disclosure_json(const struct disclosure_tally *t)
{
	const struct disclosure_rules *r = &t->rules;
	json_t *by = json_object();
	json_t *audit = json_pack("{sI sI sI sI}", "tables", (json_int_t)t->audit.tables,
				  "equations", (json_int_t)t->audit.equations, "aggregates",
				  (json_int_t)t->audit.aggregates, "derivable",
				  (json_int_t)t->audit.failures);

	for (int i = 1; i < DISCLOSURE_REASONS; i++)
		json_object_set_new(by, disclosure_code((enum suppression)i),
				    json_integer((json_int_t)t->by[i]));
	return json_pack("{sb sI sI sI sb sb sb sb sb sI so sI sI so ss ss}", "on", r->k > 1,
			 "min_group", (json_int_t)r->k, "min_group_numbers",
			 (json_int_t)disclosure_min_n(r, DISCLOSURE_NUMERIC), "min_group_order",
			 (json_int_t)r->k_order, "share_rule", (int)r->shares, "equal_rule",
			 (int)r->equal_values, "link_rule", (int)r->linked, "special_rule",
			 (int)r->specials, "feedback", (int)r->feedback, "suppressed_cells",
			 (json_int_t)t->cells, "by_rule", by, "order_withheld",
			 (json_int_t)t->order_withheld, "special_counts_hidden",
			 (json_int_t)t->specials, "audit", audit, "suppressed_as", mark, "rules",
			 "docs/reports.md#disclosure-control");
}
