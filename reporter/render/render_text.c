/* Reports as aligned text for a terminal. */
#include "render.h"
#include "text.h"

#include <math.h>
#include <string.h>

#include "util.h"

#define GROUP_WIDTH 38

static void stamp(FILE *out, const char *report, const struct dataset *ds, bool confidential)
{
	char hex[2 * CV_HASH_LEN + 1];
	cv_hex(ds->chain, CV_HASH_LEN, hex);
	if (confidential || render_confidential())
		fprintf(out, "%s\n", RENDER_CONFIDENTIAL);
	fprintf(out, "canvass %s: %s version %u, cycle %s\n", report, ds->def->id, ds->def->version,
		ds->cycle);
	text_fputs_terminal(out, ds->def->title);
	fputc('\n', out);
	fprintf(out, "store position: sequence %llu, chain %.16s; canvass %s\n",
		(unsigned long long)ds->sequence, hex, CANVASS_VERSION);
	fprintf(out, "review: %zu of %zu returns approved%s\n", DS_APPROVED(ds), ds->returns,
		ds->approved_only ? "; approved returns only (--approved-only)" : "");
}

static void tally_text(FILE *out, const struct compare_report *r)
{
	struct disclosure_tally t = {0};
	render_tally_add(&t, r);
	render_disclosure_text(out, &t);
}

static void num(FILE *out, double x)
{
	if (isnan(x))
		fprintf(out, " %8s", "-");
	else
		fprintf(out, " %8.2f", x);
}

static int opt_width(const char *id)
{
	return (int)strlen(id) < 7 ? 7 : (int)strlen(id);
}

static void header(FILE *out, const struct compare_table *t)
{
	size_t nopt = t->q ? compare_n_options(t->q) : 0;
	fprintf(out, "  %-*s %5s %4s %4s", GROUP_WIDTH, "group", "n", "n/a", "dk");
	if (t->numeric) {
		fprintf(out, " %8s %8s %8s %8s %8s %8s %8s", "mean", "sd", "min", "q1", "median",
			"q3", "max");
	} else {
		for (size_t i = 0; i < nopt; i++)
			fprintf(out, " %*s", opt_width(compare_option_id(t->q, i)),
				compare_option_id(t->q, i));
	}
	fputc('\n', out);
}

static void row(FILE *out, const struct compare_table *t, const char *group,
		const struct compare_cell *c)
{
	size_t nopt = t->q ? compare_n_options(t->q) : 0;
	const char *x = render_suppressed_mark();

	if (c->hidden != SHOWN) {
		/* A hidden cell hides its counts too: they are answers as well. */
		fprintf(out, "  %-*.*s %5s %4s %4s    (suppressed: %s)\n", GROUP_WIDTH, GROUP_WIDTH,
			group, x, x, x, disclosure_code(c->hidden));
		return;
	}
	{
		char na[24], dk[24];
		fprintf(out, "  %-*.*s %5zu %4s %4s", GROUP_WIDTH, GROUP_WIDTH, group, c->n,
			render_special(c, c->not_applicable, na),
			render_special(c, c->dont_know, dk));
	}
	if (t->numeric) {
		const struct stats_summary *s = &c->stats;
		double order[] = {s->min, s->q1, s->median, s->q3, s->max};
		num(out, s->mean);
		num(out, s->sd);
		for (int k = 0; k < 5; k++) {
			if (c->order_shown || c->n == 0)
				num(out, order[k]);
			else
				fprintf(out, " %8s", x);
		}
	} else {
		for (size_t i = 0; i < nopt; i++) {
			int w = opt_width(compare_option_id(t->q, i));
			if (c->n == 0)
				fprintf(out, " %*s", w, "-");
			else
				fprintf(out, " %*.1f%%", w - 1,
					100.0 * (double)c->counts[i] / (double)c->n);
		}
	}
	fputc('\n', out);
}

static const char *type_label(const struct question *q, char *buf, size_t len)
{
	if (q->type == QT_SCALE && q->n_options > 0) {
		int64_t lo = q->options[0].value, hi = q->options[0].value;
		for (size_t i = 1; i < q->n_options; i++) {
			if (q->options[i].value < lo)
				lo = q->options[i].value;
			if (q->options[i].value > hi)
				hi = q->options[i].value;
		}
		snprintf(buf, len, "scale %lld-%lld", (long long)lo, (long long)hi);
	} else if (q->unit != NULL) {
		snprintf(buf, len, "%s, %s", qtype_name(q->type), q->unit);
	} else {
		snprintf(buf, len, "%s", qtype_name(q->type));
	}
	return buf;
}

static void table(FILE *out, const struct compare_report *r, const struct compare_table *t)
{
	char tl[64];
	if (t->q != NULL)
		fprintf(out, "\n%s (%s): ", t->id, type_label(t->q, tl, sizeof tl));
	else
		fprintf(out, "\n%s (score 0-100): ", t->id);
	text_fputs_terminal(out, t->title);
	fputc('\n', out);
	header(out, t);
	for (size_t g = 0; g < r->n_groups; g++)
		row(out, t, ds_group_name(r->ds, g), &t->cells[g]);
}

static void underline(FILE *out, const char *title)
{
	fprintf(out, "\n%s\n", title);
	for (size_t k = strlen(title); k > 0; k--)
		fputc('=', out);
	fputc('\n', out);
}

int render_compare_text(const struct compare_report *r, bool members, FILE *out)
{
	const struct dataset *ds = r->ds;
	size_t last_section = (size_t)-1, world = r->n_groups - 1;

	stamp(out, "compare", ds, members);
	fprintf(out, "submissions: %zu of %zu registered members",
		r->group_submitted[world] - r->unregistered, r->group_expected[world]);
	if (r->unregistered)
		fprintf(out, "; %zu from members not in the registry (in World only)",
			r->unregistered);
	if (ds->other_version)
		fprintf(out, "; %zu on another questionnaire version", ds->other_version);
	if (ds->skipped_answers)
		fprintf(out, "; %zu answers not matching this version skipped",
			ds->skipped_answers);
	fputc('\n', out);
	for (size_t g = 0; g < r->n_groups; g++)
		fprintf(out, "  %-*s %3zu of %3zu\n", GROUP_WIDTH, ds_group_name(ds, g),
			r->group_submitted[g], r->group_expected[g]);
	fprintf(out,
		"n: members who answered; n/a and dk (don't know) are counted apart and never in "
		"the figures.\nShares are of those answering. sd: sample standard deviation; q1, "
		"median, q3: quantile type 7.\n");
	tally_text(out, r);
	if (r->has_scores) {
		underline(out, "Scores (0-100)");
		for (size_t s = 0; s < r->n_sections; s++)
			table(out, r, &r->sections[s]);
		table(out, r, &r->overall);
	}
	for (size_t i = 0; i < r->n_questions; i++) {
		const struct compare_table *t = &r->questions[i];
		if (t->section != last_section) {
			last_section = t->section;
			underline(out, ds->def->sections[t->section].title);
		}
		table(out, r, t);
	}
	if (members) {
		underline(out, "Member by member (member-level values: for the Secretariat only)");
		fprintf(out, "  %-6s %-38s", "member", "region");
		for (size_t s = 0; s < r->n_sections; s++)
			fprintf(out, " %6.6s", ds->def->sections[s].id);
		fprintf(out, " %7s\n", "overall");
		for (size_t i = 0; i < ds->n; i++) {
			const struct ds_row *row_ = &ds->rows[i];
			fprintf(out, "  %-6s %-38.38s", row_->member,
				row_->reg ? row_->reg->region : "(not in the registry)");
			for (size_t s = 0; s < r->n_sections; s++)
				isnan(row_->section_score[s])
					? fprintf(out, " %6s", "-")
					: fprintf(out, " %6.1f", row_->section_score[s]);
			isnan(row_->overall) ? fprintf(out, " %7s\n", "-")
					     : fprintf(out, " %7.1f\n", row_->overall);
		}
	}
	return ferror(out) ? -1 : 0;
}

static void pct(FILE *out, double x)
{
	if (isnan(x))
		fprintf(out, " %7s", "-");
	else
		fprintf(out, " %6.0f%%", x);
}

static void figure(FILE *out, const struct compare_cell *c, const struct profile_line *l)
{
	char buf[64];
	profile_group_figure(l, c, buf, sizeof buf);
	fprintf(out, " %22s", buf);
}

static void profile_line(FILE *out, const struct profile *p, const struct profile_line *l)
{
	size_t world = p->cmp->n_groups - 1;
	const struct compare_cell *region = p->row->reg ? &l->t->cells[p->row->group] : NULL;
	char shown[25];
	text_terminal_copy(shown, sizeof shown, l->display[0] ? l->display : "(no answer)");
	fprintf(out, "  %-28.28s %-24.24s", l->t->id, shown);
	if (region != NULL)
		figure(out, region, l);
	else
		fprintf(out, " %22s", "-");
	figure(out, &l->t->cells[world], l);
	pct(out, l->rank_region);
	pct(out, l->rank_world);
	fputc('\n', out);
}

int render_profile_text(const struct profile *p, FILE *out)
{
	const struct dataset *ds = p->cmp->ds;
	const char *region = p->row->reg ? p->row->reg->region : "(not in the registry)";

	stamp(out, p->feedback ? "member feedback" : "member profile", ds, !p->feedback);
	fprintf(out, "member %s (%s), %s; revision %u%s\n", p->row->member,
		p->row->reg ? p->row->reg->name : "?", region, p->row->revision,
		p->row->late ? ", submitted late" : "");
	if (p->feedback)
		fprintf(out,
			"This feedback shows your answers next to region and world figures; it "
			"contains no other member's answers or codes. Group figures appear only "
			"where at least %zu other members answered (%zu for numbers).\n",
			disclosure_min_n(&p->cmp->rules, DISCLOSURE_CHOICE),
			disclosure_min_n(&p->cmp->rules, DISCLOSURE_NUMERIC));
	tally_text(out, p->cmp);
	fprintf(out, "Rank: percentile rank, 100 * (below + equal/2) / n.\n");
	fprintf(out, "\n  %-28s %-24s %22s %22s %7s %7s\n", "figure", "your answer", "region",
		"world", "rank r", "rank w");
	for (size_t s = 0; s < p->cmp->n_sections; s++)
		profile_line(out, p, &p->sections[s]);
	profile_line(out, p, &p->overall);
	for (size_t i = 0; i < p->cmp->n_questions; i++) {
		if (i == 0 || p->cmp->questions[i].section != p->cmp->questions[i - 1].section)
			fprintf(out, "\n  %s\n",
				ds->def->sections[p->cmp->questions[i].section].title);
		profile_line(out, p, &p->questions[i]);
	}
	if (!p->feedback && p->row->reg != NULL) {
		fprintf(out, "\nPeers in %s (overall score; for the Secretariat only)\n", region);
		for (size_t i = 0; i < ds->n; i++)
			if (ds->rows[i].reg && ds->rows[i].group == p->row->group)
				fprintf(out, "  %-6s %6.1f%s\n", ds->rows[i].member,
					ds->rows[i].overall, &ds->rows[i] == p->row ? "  <" : "");
	}
	return ferror(out) ? -1 : 0;
}

int render_ranking_text(const struct ranking *r, FILE *out)
{
	stamp(out, "ranking", r->ds, true);
	fprintf(out, "by %s. Member-level: for the Secretariat only.\n", r->title);
	fprintf(out,
		"Ties share a rank and the next rank skips (1, 2, 2, 4); %zu members are tied. "
		"%zu of %zu members ranked.\n\n",
		r->ties, r->ranked, r->n);
	fprintf(out, "  %5s  %-6s %-38s %7s\n", "rank", "member", "region", "score");
	for (size_t i = 0; i < r->n; i++) {
		const struct ranking_line *l = &r->lines[i];
		const char *region = l->row->reg ? l->row->reg->region : "(not in the registry)";
		if (l->rank == 0)
			fprintf(out, "  %5s  %-6s %-38.38s %7s  (no scored answer)\n", "-",
				l->row->member, region, "-");
		else
			fprintf(out, "  %4zu%s  %-6s %-38.38s %7.2f\n", l->rank,
				l->tied ? "=" : " ", l->row->member, region, l->score);
	}
	return ferror(out) ? -1 : 0;
}

int render_completeness_text(const struct completeness *c, FILE *out)
{
	stamp(out, "completeness", c->ds, false);
	fprintf(out,
		"expected: members in the registry. on time / late: by the cycle's due date, of "
		"the latest revision.\n\n");
	fprintf(out, "  %-*s %8s %8s %5s %8s %9s %8s %9s %7s %8s\n", GROUP_WIDTH, "group",
		"expected", "on time", "late", "missing", "revisions", "revised", "submitted",
		"queried", "approved");
	for (size_t g = 0; g < c->n_groups; g++) {
		const struct completeness_group *cg = &c->groups[g];
		fprintf(out, "  %-*s %8zu %8zu %5zu %8zu %9zu %8zu %9zu %7zu %8zu\n", GROUP_WIDTH,
			ds_group_name(c->ds, g), cg->expected, cg->on_time, cg->late, cg->missing,
			cg->revisions, cg->revised, cg->submitted, cg->queried, cg->approved);
	}
	if (c->unregistered)
		fprintf(out, "  (%zu submissions from members not in the registry)\n",
			c->unregistered);
	for (size_t g = 0; g + 1 < c->n_groups; g++) {
		const struct completeness_group *cg = &c->groups[g];
		if (cg->missing == 0)
			continue;
		fprintf(out, "\nmissing in %s (%zu):", ds_group_name(c->ds, g), cg->missing);
		for (size_t i = 0; i < cg->missing; i++)
			fprintf(out, "%s%s", i % 16 ? " " : "\n  ", cg->missing_codes[i]);
		fputc('\n', out);
	}
	for (size_t g = 0; g + 1 < c->n_groups; g++) {
		const struct completeness_group *cg = &c->groups[g];
		const char *names[] = {"queried", "approved"};
		const size_t counts[] = {cg->queried, cg->approved};
		const char **codes[] = {cg->queried_codes, cg->approved_codes};
		for (int k = 0; k < 2; k++) {
			if (counts[k] == 0)
				continue;
			fprintf(out, "\n%s in %s (%zu):", names[k], ds_group_name(c->ds, g),
				counts[k]);
			for (size_t i = 0; i < counts[k]; i++)
				fprintf(out, "%s%s", i % 16 ? " " : "\n  ", codes[k][i]);
			fputc('\n', out);
		}
	}
	return ferror(out) ? -1 : 0;
}

int render_trend_text(const struct trend *t, FILE *out)
{
	size_t cols = t->n_groups + 1;
	struct disclosure_tally tally = {0};
	stamp(out, "trend", t->latest, t->member != NULL);
	for (size_t c = 0; c < t->n_cycles; c++)
		render_tally_add(&tally, t->cmp[c]);
	fprintf(out, "cycles:");
	for (size_t c = 0; c < t->n_cycles; c++)
		fprintf(out, " %s (version %u, %zu members)", t->cycles[c], t->ds[c]->def->version,
			t->ds[c]->n);
	fprintf(out, "\nFigures: mean, or share answering yes (%%), or score 0-100. ! marks a "
		     "definition that changed: not comparable.\n");
	render_disclosure_text(out, &tally);
	for (size_t i = 0; i < t->n_series; i++) {
		const struct trend_series *s = &t->series[i];
		fprintf(out, "\n%s%s (%s): ", s->changed ? "! " : "", s->id, s->kind);
		text_fputs_terminal(out, s->title);
		fputc('\n', out);
		if (s->changed)
			fprintf(out, "  ! %s\n", s->change_note);
		fprintf(out, "  %-*s", GROUP_WIDTH, "group");
		for (size_t c = 0; c < t->n_cycles; c++)
			fprintf(out, " %9.9s", t->cycles[c]);
		fputc('\n', out);
		for (size_t g = 0; g <= t->n_groups; g++) {
			if (g == t->n_groups && t->member == NULL)
				break;
			fprintf(out, "  %-*.*s", GROUP_WIDTH, GROUP_WIDTH,
				g == t->n_groups ? t->member : ds_group_name(t->latest, g));
			for (size_t c = 0; c < t->n_cycles; c++) {
				const struct trend_point *p = &s->points[c * cols + g];
				if (p->hidden != SHOWN)
					fprintf(out, " %9s", render_suppressed_mark());
				else if (isnan(p->value))
					fprintf(out, " %9s", "-");
				else
					fprintf(out, " %9.2f", p->value);
			}
			fputc('\n', out);
		}
	}
	return ferror(out) ? -1 : 0;
}

int render_findings_text(const struct findings *f, FILE *out)
{
	stamp(out, "quality", f->ds, true);
	fprintf(out, "previous cycle: %s; returns: %zu; findings: %zu\n",
		f->prev ? f->prev->cycle : "none", f->returns, f->n);
	fprintf(out, "\n%-8s %-28s %-20s %s\n", "member", "question", "code", "finding");
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->items[i];
		fprintf(out, "%-8s %-28s %-20s %s\n", x->member ? x->member : "-",
			x->question ? x->question : "-", x->code, x->message);
	}
	if (f->n == 0)
		fputs("(no findings)\n", out);
	return ferror(out) ? -1 : 0;
}
