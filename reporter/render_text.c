/* compare report as aligned text for a terminal. */
#include "compare.h"

#include <math.h>
#include <string.h>

#define GROUP_WIDTH 38

static void num(FILE *out, double x)
{
	if (isnan(x))
		fprintf(out, " %8s", "-");
	else
		fprintf(out, " %8.2f", x);
}

static void header(FILE *out, const struct compare_question *cq)
{
	const struct question *q = cq->q;
	size_t nopt = compare_n_options(q);

	fprintf(out, "  %-*s %5s %4s %4s", GROUP_WIDTH, "group", "n", "n/a", "dk");
	if (q->type == QT_INTEGER || q->type == QT_NUMBER || q->type == QT_SCALE) {
		fprintf(out, " %8s %8s %8s %8s %8s %8s %8s", "mean", "sd", "min", "q1", "median",
			"q3", "max");
	} else {
		for (size_t i = 0; i < nopt; i++) {
			const char *id = compare_option_id(q, i);
			int w = (int)strlen(id) < 7 ? 7 : (int)strlen(id);
			fprintf(out, " %*s", w, id);
		}
	}
	fprintf(out, "\n");
}

static void row(FILE *out, const struct compare_question *cq, const char *group,
		const struct compare_cell *c)
{
	const struct question *q = cq->q;
	size_t nopt = compare_n_options(q);

	fprintf(out, "  %-*.*s %5zu %4zu %4zu", GROUP_WIDTH, GROUP_WIDTH, group, c->n,
		c->not_applicable, c->dont_know);
	if (q->type == QT_INTEGER || q->type == QT_NUMBER || q->type == QT_SCALE) {
		const struct stats_summary *s = &c->stats;
		num(out, s->mean);
		num(out, s->sd);
		num(out, s->min);
		num(out, s->q1);
		num(out, s->median);
		num(out, s->q3);
		num(out, s->max);
	} else {
		for (size_t i = 0; i < nopt; i++) {
			const char *id = compare_option_id(q, i);
			int w = (int)strlen(id) < 7 ? 7 : (int)strlen(id);
			if (c->n == 0)
				fprintf(out, " %*s", w, "-");
			else
				fprintf(out, " %*.1f%%", w - 1,
					100.0 * (double)c->counts[i] / (double)c->n);
		}
	}
	fprintf(out, "\n");
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

int compare_render_text(const struct compare_report *r, FILE *out)
{
	char hex[2 * CV_HASH_LEN + 1], tl[64];
	size_t last_section = (size_t)-1, world = r->n_groups - 1;

	cv_hex(r->chain, CV_HASH_LEN, hex);
	fprintf(out, "canvass compare: %s version %u, cycle %s\n", r->def->id, r->def->version,
		r->cycle);
	fprintf(out, "%s\n", r->def->title);
	fprintf(out, "store position: sequence %llu, chain %.16s; canvass %s\n",
		(unsigned long long)r->sequence, hex, CANVASS_VERSION);
	fprintf(out, "submissions: %zu of %zu registered members", r->submitted - r->unregistered,
		r->group_expected[world]);
	if (r->unregistered)
		fprintf(out, "; %zu from members not in the registry (in World only)",
			r->unregistered);
	if (r->other_version)
		fprintf(out, "; %zu on another questionnaire version", r->other_version);
	if (r->skipped_answers)
		fprintf(out, "; %zu answers not matching this version skipped", r->skipped_answers);
	fprintf(out, "\n");
	for (size_t g = 0; g < r->n_groups; g++)
		fprintf(out, "  %-*s %3zu of %3zu\n", GROUP_WIDTH, r->groups[g],
			r->group_submitted[g], r->group_expected[g]);
	fprintf(out, "n: members with an answer; n/a and dk (don't know) are counted apart and "
		     "never in the figures.\n"
		     "Shares are of n. sd: sample standard deviation; q1, median, q3: "
		     "quantile type 7.\n");

	for (size_t i = 0; i < r->n_questions; i++) {
		const struct compare_question *cq = &r->questions[i];
		if (cq->q->section != last_section) {
			const char *title = r->def->sections[cq->q->section].title;
			last_section = cq->q->section;
			fprintf(out, "\n%s\n", title);
			for (size_t k = strlen(title); k > 0; k--)
				fputc('=', out);
			fputc('\n', out);
		}
		fprintf(out, "\n%s (%s): %s\n", cq->q->id, type_label(cq->q, tl, sizeof tl),
			cq->q->text);
		header(out, cq);
		for (size_t g = 0; g < r->n_groups; g++)
			row(out, cq, r->groups[g], &cq->cells[g]);
	}
	return ferror(out) ? -1 : 0;
}
