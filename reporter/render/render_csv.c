/* Reports as CSV (RFC 4180): tidy rows, one per group and figure. */
#include "render.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "util.h"

static bool raw_cells;

void render_csv_set_raw(bool on)
{
	raw_cells = on;
}

void render_csv_field(FILE *out, const char *s)
{
	/* OWASP's CSV injection rule: a cell a spreadsheet would run as a formula. */
	bool formula = !raw_cells && s != NULL && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;

	if (s == NULL)
		return;
	if (!formula) {
		cv_csv_field(out, s);
		return;
	}
	/* Quoted, with the apostrophe the rule prescribes in front. */
	fputs("\"'", out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void render_csv_num(FILE *out, double x)
{
	if (!isnan(x))
		fprintf(out, "%.15g", x);
}

/* The columns every compare row starts with: questionnaire, version, cycle, sequence, chain, kind,
 * id. */
static void compare_lead(FILE *out, const struct compare_report *r, const char *pos,
			 const char *kind, const char *id)
{
	render_csv_field(out, r->ds->def->id);
	fprintf(out, ",%u,", r->ds->def->version);
	render_csv_field(out, r->ds->cycle);
	fprintf(out, ",%s,%s,", pos, kind);
	render_csv_field(out, id);
}

/* A summary row (disclosure, classification): no group or figures; option and count. */
static void summary_row(FILE *out, const struct compare_report *r, const char *pos,
			const char *kind, const char *id, const char *option, const char *count)
{
	compare_lead(out, r, pos, kind, id);
	fputs(",,,,,,,,,,,,,", out);
	render_csv_field(out, option);
	fprintf(out, ",%s,,\n", count);
}

static void compare_rows(FILE *out, const struct compare_report *r, const struct compare_table *t,
			 const char *kind, const char *pos)
{
	size_t nopt = t->q ? compare_n_options(t->q) : 0;
	const char *x = render_suppressed_mark();

	for (size_t g = 0; g < r->n_groups; g++) {
		const struct compare_cell *c = &t->cells[g];
		size_t rows = t->numeric || nopt == 0 || c->hidden != SHOWN ? 1 : nopt;
		for (size_t o = 0; o < rows; o++) {
			compare_lead(out, r, pos, kind, t->id);
			fputc(',', out);
			render_csv_field(out, ds_group_name(r->ds, g));
			fprintf(out, ",%zu,", r->group_submitted[g]);
			if (c->hidden != SHOWN) {
				/* Hidden: the counts too, every figure column shows the mark. */
				for (int k = 0; k < 10; k++) {
					render_csv_field(out, x);
					fputc(',', out);
				}
				fputs(",", out);
				render_csv_field(out, x);
				fputc(',', out);
				render_csv_field(out, x);
				fprintf(out, ",%s\n", disclosure_code(c->hidden));
				continue;
			}
			{
				char na[24], dk[24];
				fprintf(out, "%zu,", c->n);
				render_csv_field(out, render_special(c, c->not_applicable, na));
				fputc(',', out);
				render_csv_field(out, render_special(c, c->dont_know, dk));
				fputc(',', out);
			}
			if (t->numeric) {
				const struct stats_summary *s = &c->stats;
				double v[] = {s->mean,   s->sd, s->min, s->q1,
					      s->median, s->q3, s->max};
				for (int k = 0; k < 7; k++) {
					if (k >= 2 && !c->order_shown && c->n > 0)
						render_csv_field(out, x);
					else
						render_csv_num(out, v[k]);
					fputc(',', out);
				}
				fputs(",,,\n", out);
			} else if (nopt > 0) {
				fputs(",,,,,,,", out);
				render_csv_field(out, compare_option_id(t->q, o));
				fprintf(out, ",%zu,", c->counts[o]);
				if (c->n)
					render_csv_num(out, (double)c->counts[o] / (double)c->n);
				fputs(",\n", out);
			} else {
				fputs(",,,,,,,,,,\n", out);
			}
		}
	}
}

/* One row per rule: kind "disclosure", id the rule, option its setting, count the cells. */
static void disclosure_rows(FILE *out, const struct compare_report *r, const char *pos)
{
	static const struct {
		enum suppression s;
		const char *setting;
	} rules[] = {{SUPPRESSED_PRIMARY, "min-group"},
		     {SUPPRESSED_SHARES, "share-rule"},
		     {SUPPRESSED_EQUAL, "equal-rule"},
		     {SUPPRESSED_COMPLEMENTARY, "complementary"},
		     {SUPPRESSED_LINKED, "link-rule"}};
	char setting[64], count[32];

	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		const struct disclosure_rules *d = &r->rules;
		if (rules[i].s == SUPPRESSED_PRIMARY)
			snprintf(setting, sizeof setting, "min-group=%zu (numbers %zu)", d->k,
				 disclosure_min_n(d, DISCLOSURE_NUMERIC));
		else if (rules[i].s == SUPPRESSED_SHARES)
			snprintf(setting, sizeof setting, "share-rule=%s",
				 d->k > 1 && d->shares ? "on" : "off");
		else if (rules[i].s == SUPPRESSED_EQUAL)
			snprintf(setting, sizeof setting, "equal-rule=%s",
				 d->k > 1 && d->equal_values ? "on" : "off");
		else if (rules[i].s == SUPPRESSED_LINKED)
			snprintf(setting, sizeof setting, "link-rule=%s",
				 d->k > 1 && d->linked ? "on" : "off");
		else
			snprintf(setting, sizeof setting, "%s", d->k > 1 ? "on" : "off");
		snprintf(count, sizeof count, "%zu", r->suppressed_by[rules[i].s]);
		summary_row(out, r, pos, "disclosure", disclosure_code(rules[i].s), setting, count);
	}
	snprintf(setting, sizeof setting, "special-rule=%s",
		 r->rules.k > 1 && r->rules.specials ? "on" : "off");
	snprintf(count, sizeof count, "%zu", r->special_suppressed);
	summary_row(out, r, pos, "disclosure", "special_counts", setting, count);
	snprintf(setting, sizeof setting, "tables=%zu equations=%zu aggregates=%zu",
		 r->audit.tables, r->audit.equations, r->audit.aggregates);
	snprintf(count, sizeof count, "%zu", r->audit.failures);
	summary_row(out, r, pos, "disclosure", "audit", setting, count);
	snprintf(setting, sizeof setting, "min-group-order=%zu", r->rules.k_order);
	snprintf(count, sizeof count, "%zu", r->order_withheld);
	summary_row(out, r, pos, "disclosure", "order_statistics", setting, count);
	/* Last: whether the file may be published. */
	summary_row(
		out, r, pos, "classification", render_confidential() ? "confidential" : "public",
		render_confidential() ? RENDER_CONFIDENTIAL : "public: disclosure control applied",
		"");
}

int render_compare_csv(const struct compare_report *r, FILE *out)
{
	char pos[80], hex[2 * CV_HASH_LEN + 1];
	cv_hex(r->ds->chain, CV_HASH_LEN, hex);
	snprintf(pos, sizeof pos, "%llu,%.16s", (unsigned long long)r->ds->sequence, hex);
	fputs("questionnaire,version,cycle,sequence,chain,kind,id,group,members,n,not_applicable,"
	      "dont_know,mean,sd,min,q1,median,q3,max,option,count,share,suppressed\n",
	      out);
	for (size_t s = 0; r->has_scores && s < r->n_sections; s++)
		compare_rows(out, r, &r->sections[s], "section_score", pos);
	if (r->has_scores)
		compare_rows(out, r, &r->overall, "overall_score", pos);
	for (size_t i = 0; i < r->n_questions; i++)
		compare_rows(out, r, &r->questions[i], "question", pos);
	disclosure_rows(out, r, pos);
	return ferror(out) ? -1 : 0;
}

int render_ranking_csv(const struct ranking *r, FILE *out)
{
	fputs("questionnaire,version,cycle,sequence,by,rank,tied,member,region,score,"
	      "classification\n",
	      out);
	for (size_t i = 0; i < r->n; i++) {
		const struct ranking_line *l = &r->lines[i];
		render_csv_field(out, r->ds->def->id);
		fprintf(out, ",%u,", r->ds->def->version);
		render_csv_field(out, r->ds->cycle);
		fprintf(out, ",%llu,%s,", (unsigned long long)r->ds->sequence, r->by);
		if (l->rank)
			fprintf(out, "%zu", l->rank);
		fprintf(out, ",%s,%s,", l->tied ? "true" : "false", l->row->member);
		render_csv_field(out, l->row->reg ? l->row->reg->region : "");
		fputc(',', out);
		render_csv_num(out, l->score);
		fputs(",confidential\n", out);
	}
	return ferror(out) ? -1 : 0;
}

/* Member codes separated by spaces (a registry's codes fit: at most 4 bytes each). */
static void codes_field(char *buf, size_t cap, const char **codes, size_t n)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && o + 20 < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? " " : "", codes[i]);
}

int render_completeness_csv(const struct completeness *c, FILE *out)
{
	/* Who submitted is public; a past position (--as-of) is not. */
	const char *cls = render_confidential() ? "confidential" : "public";
	fputs("questionnaire,cycle,sequence,group,expected,on_time,late,missing_count,revisions,"
	      "revised,missing,submitted,queried,approved,queried_members,approved_members,"
	      "classification\n",
	      out);
	for (size_t g = 0; g < c->n_groups; g++) {
		const struct completeness_group *cg = &c->groups[g];
		char missing[4096], queried[4096], approved[4096];
		codes_field(missing, sizeof missing, cg->missing_codes, cg->missing);
		codes_field(queried, sizeof queried, cg->queried_codes, cg->queried);
		codes_field(approved, sizeof approved, cg->approved_codes, cg->approved);
		render_csv_field(out, c->ds->def->id);
		fputc(',', out);
		render_csv_field(out, c->ds->cycle);
		fprintf(out, ",%llu,", (unsigned long long)c->ds->sequence);
		render_csv_field(out, ds_group_name(c->ds, g));
		fprintf(out, ",%zu,%zu,%zu,%zu,%zu,%zu,", cg->expected, cg->on_time, cg->late,
			cg->missing, cg->revisions, cg->revised);
		render_csv_field(out, missing);
		fprintf(out, ",%zu,%zu,%zu,", cg->submitted, cg->queried, cg->approved);
		render_csv_field(out, queried);
		fputc(',', out);
		render_csv_field(out, approved);
		fprintf(out, ",%s\n", cls);
	}
	return ferror(out) ? -1 : 0;
}

int render_trend_csv(const struct trend *t, FILE *out)
{
	size_t cols = t->n_groups + 1;
	const char *cls = t->member != NULL || render_confidential() ? "confidential" : "public";
	fputs("questionnaire,id,figure,changed,group,cycle,version,value,suppressed,"
	      "classification\n",
	      out);
	for (size_t i = 0; i < t->n_series; i++) {
		const struct trend_series *s = &t->series[i];
		for (size_t g = 0; g <= t->n_groups; g++) {
			if (g == t->n_groups && t->member == NULL)
				break;
			for (size_t c = 0; c < t->n_cycles; c++) {
				const struct trend_point *p = &s->points[c * cols + g];
				render_csv_field(out, t->latest->def->id);
				fputc(',', out);
				render_csv_field(out, s->id);
				fprintf(out, ",%s,%s,", s->kind, s->changed ? "true" : "false");
				render_csv_field(out, g == t->n_groups
							      ? t->member
							      : ds_group_name(t->latest, g));
				fputc(',', out);
				render_csv_field(out, t->cycles[c]);
				fprintf(out, ",%u,", t->ds[c]->def->version);
				if (p->hidden == SHOWN)
					render_csv_num(out, p->value);
				else
					render_csv_field(out, render_suppressed_mark());
				fprintf(out, ",%s,%s\n", disclosure_code(p->hidden), cls);
			}
		}
	}
	{
		/* The rules applied, summed over the cycles: figure "disclosure", value the cells.
		 */
		struct disclosure_tally tally = {0};
		static const enum suppression rules[] = {SUPPRESSED_PRIMARY, SUPPRESSED_SHARES,
							 SUPPRESSED_EQUAL, SUPPRESSED_COMPLEMENTARY,
							 SUPPRESSED_LINKED};
		for (size_t c = 0; c < t->n_cycles; c++)
			render_tally_add(&tally, t->cmp[c]);
		for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
			render_csv_field(out, t->latest->def->id);
			fprintf(out, ",%s,disclosure,,,,,%zu,,%s\n", disclosure_code(rules[i]),
				tally.by[rules[i]], cls);
		}
	}
	return ferror(out) ? -1 : 0;
}

int render_findings_csv(const struct findings *f, FILE *out)
{
	fputs("questionnaire,version,cycle,sequence,code,member,region,question,value,reference,"
	      "score,group,n,message,classification\n",
	      out);
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->items[i];
		bool outlier = strcmp(x->code, "OUTLIER") == 0;
		bool change = strcmp(x->code, "CHANGE_FROM_PREVIOUS") == 0;
		render_csv_field(out, f->ds->def->id);
		fprintf(out, ",%u,", f->ds->def->version);
		render_csv_field(out, f->ds->cycle);
		fprintf(out, ",%llu,%s,", (unsigned long long)f->ds->sequence, x->code);
		render_csv_field(out, x->member ? x->member : "");
		fputc(',', out);
		render_csv_field(out, x->region ? x->region : "");
		fputc(',', out);
		render_csv_field(out, x->question ? x->question : "");
		fputc(',', out);
		render_csv_num(out, x->value);
		fputc(',', out);
		if (strcmp(x->code, "SAME_LEVEL") != 0)
			render_csv_num(out, x->reference);
		fputc(',', out);
		if (outlier || change)
			render_csv_num(out, x->score);
		fputc(',', out);
		render_csv_field(out, x->group ? x->group : "");
		fputc(',', out);
		if (!change && strcmp(x->code, "SOFT_RANGE") != 0)
			fprintf(out, "%zu", x->n);
		fputc(',', out);
		render_csv_field(out, x->message);
		fputs(",confidential\n", out);
	}
	return ferror(out) ? -1 : 0;
}
