/*
 * The compare report as one self-contained HTML page: inline CSS and SVG,
 * no scripts, no network. Charts: completeness by region, section scores
 * (regions, World and optionally one member), the distribution of every
 * scale question, and (member-level, only when asked for) a members x
 * sections heatmap.
 */
#include "render.h"

#include <math.h>
#include <string.h>

#include "util.h"

/*
 * Okabe and Ito's colour-blind-safe palette for the regions (vermillion is
 * kept for the member, black for the world); marks differ in shape too.
 */
static const char *const palette[] = {"#E69F00", "#56B4E9", "#009E73", "#F0E442",
				      "#0072B2", "#CC79A7", "#999999", "#8C6D46"};
#define C_MEMBER "#D55E00"
#define C_WORLD  "#000000"

void render_html_escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

#define esc render_html_escape

void render_html_axis(FILE *out, double left, double width, double top, double bottom,
		      double label_y)
{
	for (int tick = 0; tick <= 100; tick += 25) {
		double x = left + width * tick / 100.0;
		fprintf(out,
			"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" class=\"grid\" "
			"stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" "
			"class=\"tick\">%d</text>\n",
			x, x, top, bottom, x, label_y, tick);
	}
}

void render_html_headline(FILE *out, const char *label, const char *value, const char *note)
{
	fputs("<div><span>", out);
	esc(out, label);
	fputs("</span><b>", out);
	esc(out, value);
	fputs("</b><span>", out);
	esc(out, note);
	fputs("</span></div>\n", out);
}

static const char *color(size_t g, size_t world)
{
	return g == world ? C_WORLD : palette[g % 8];
}

/* A group's mark: the world a diamond, the regions circles. */
static void mark(FILE *out, size_t g, size_t world, double x, double y, double r)
{
	if (g == world)
		fprintf(out,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"" C_WORLD
			"\" transform=\"rotate(45 %.1f %.1f)\">",
			x - r, y - r, 2 * r, 2 * r, x, y);
	else
		fprintf(out,
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" stroke=\"#222\" "
			"stroke-width=\"1.2\">", /* a dark ring: the yellow stands out on white */
			x, y, r, color(g, world));
}

static void mark_end(FILE *out, size_t g, size_t world)
{
	fputs(g == world ? "</rect>\n" : "</circle>\n", out);
}

/* Whether group g has a mark in the scores chart (a shown score in some table). */
static bool charted(const struct compare_report *r, size_t g)
{
	for (size_t s = 0; s <= r->n_sections; s++) {
		const struct compare_cell *c =
			s < r->n_sections ? &r->sections[s].cells[g] : &r->overall.cells[g];
		if (c->hidden == SHOWN && c->n > 0 && !isnan(c->stats.mean))
			return true;
	}
	return false;
}

/* The legend of the marks the chart has: a group without any is left out. */
static void legend(FILE *out, const struct compare_report *r, const char *member)
{
	size_t world = r->n_groups - 1;
	fputs("<p class=\"legend\">", out);
	for (size_t g = 0; g < r->n_groups; g++) {
		if (!charted(r, g))
			continue;
		fputs("<span><svg width=\"16\" height=\"16\">", out);
		mark(out, g, world, 8, 8, g == world ? 5 : 6);
		mark_end(out, g, world);
		fputs("</svg> ", out);
		esc(out, ds_group_name(r->ds, g));
		fputs("</span> ", out);
	}
	if (member != NULL) {
		fputs("<span><svg width=\"16\" height=\"16\"><path d=\"M8 1 l7 13 h-14 z\" "
		      "fill=\"" C_MEMBER "\"/></svg> ",
		      out);
		esc(out, member);
		fputs("</span>", out);
	}
	fputs("</p>\n", out);
}

static void completeness_chart(FILE *out, const struct completeness *c)
{
	size_t bar_w = 520, row_h = 26, left = 300, h;
	h = row_h * c->n_groups + 40;
	fprintf(out,
		"<svg viewBox=\"0 0 %zu %zu\" width=\"%zu\" height=\"%zu\" role=\"img\" "
		"aria-label=\"completeness by region\">\n",
		left + bar_w + 120, h, left + bar_w + 120, h);
	for (size_t g = 0; g < c->n_groups; g++) {
		const struct completeness_group *cg = &c->groups[g];
		double e = cg->expected ? (double)cg->expected : 1;
		double w1 = bar_w * cg->on_time / e, w2 = bar_w * cg->late / e,
		       w3 = bar_w * cg->missing / e;
		size_t y = 10 + g * row_h;
		fprintf(out, "<text x=\"%zu\" y=\"%zu\" text-anchor=\"end\" class=\"lbl\">",
			left - 8, y + 15);
		esc(out, ds_group_name(c->ds, g));
		fprintf(out,
			"</text>\n<rect x=\"%zu\" y=\"%zu\" width=\"%.1f\" height=\"18\" "
			"fill=\"#3a9a5b\"><title>on time %zu</title></rect>\n",
			left, y, w1, cg->on_time);
		fprintf(out,
			"<rect x=\"%.1f\" y=\"%zu\" width=\"%.1f\" height=\"18\" fill=\"#e0a339\">"
			"<title>late %zu</title></rect>\n",
			left + w1, y, w2, cg->late);
		fprintf(out,
			"<rect x=\"%.1f\" y=\"%zu\" width=\"%.1f\" height=\"18\" fill=\"#d9d9d9\">"
			"<title>missing %zu</title></rect>\n",
			left + w1 + w2, y, w3, cg->missing);
		fprintf(out, "<text x=\"%zu\" y=\"%zu\" class=\"val\">%zu/%zu</text>\n",
			left + bar_w + 8, y + 15, cg->on_time + cg->late, cg->expected);
	}
	fputs("</svg>\n<p class=\"legend\"><span><i style=\"background:#3a9a5b\"></i>on "
	      "time</span> "
	      "<span><i style=\"background:#e0a339\"></i>late</span> <span><i "
	      "style=\"background:#d9d9d9\"></i>missing</span></p>\n",
	      out);
}

/* Section scores as a dot plot: a row per section, a mark per group (and the member). */
static void scores_chart(FILE *out, const struct compare_report *r, const struct profile *member)
{
	size_t world = r->n_groups - 1, n = r->n_sections + 1;
	const double left = 290, width = 560, row_h = 32, top = 26;
	double h = top + row_h * (double)n + 34;

	fprintf(out,
		"<svg viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" "
		"aria-label=\"section scores: the mean of each region and of the world\">\n",
		left + width + 130, h); /* room on the right for "N hidden, N none" */
	render_html_axis(out, left, width, top - 4, h - 30, 16);
	for (size_t s = 0; s < n; s++) {
		const struct compare_table *t = s < r->n_sections ? &r->sections[s] : &r->overall;
		double y = top + row_h * (double)s + row_h / 2;
		size_t hidden = 0, empty = 0;
		fprintf(out,
			"<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
			left, left + width, y, y);
		fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" class=\"lbl\">",
			left - 10, y + 4);
		esc(out, t->title);
		fputs("</text>\n", out);
		for (size_t g = 0; g < r->n_groups; g++) {
			const struct compare_cell *c = &t->cells[g];
			double x = c->stats.mean;
			if (c->hidden != SHOWN) {
				hidden++; /* withheld by disclosure control */
				continue;
			}
			if (c->n == 0 || isnan(x)) {
				empty++; /* no return with a score: nothing to hide */
				continue;
			}
			mark(out, g, world, left + width * x / 100.0, y, g == world ? 6 : 6.5);
			fputs("<title>", out);
			esc(out, ds_group_name(r->ds, g));
			fprintf(out, ": mean %.1f (n %zu)</title>", x, c->n);
			mark_end(out, g, world);
		}
		if (member != NULL) {
			double x = s < r->n_sections ? member->sections[s].value
						     : member->overall.value;
			if (!isnan(x)) {
				fprintf(out,
					"<path d=\"M%.1f %.1f l7 13 h-14 z\" fill=\"" C_MEMBER
					"\" opacity=\"0.9\"><title>",
					left + width * x / 100.0, y - 7);
				esc(out, member->row->member);
				fprintf(out, ": %.1f</title></path>\n", x);
			}
		}
		if (hidden > 0 || empty > 0) {
			fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" class=\"note\">",
				left + width + 6, y + 4);
			if (hidden > 0)
				fprintf(out, "%zu hidden", hidden);
			if (empty > 0)
				fprintf(out, "%s%zu none", hidden > 0 ? ", " : "", empty);
			fputs("</text>\n", out);
		}
	}
	fprintf(out,
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" class=\"tick\">mean score "
		"(0-100)</text>\n",
		left + width / 2, h - 10);
	fputs("</svg>\n", out);
}

/* The section means beside the chart: a row per section, a column per group. */
static void scores_table(FILE *out, const struct compare_report *r)
{
	size_t n = r->n_sections + 1;

	fputs("<table class=\"figures\">\n<caption>Mean section scores (n)</caption>\n<tr>"
	      "<th>section</th>",
	      out);
	for (size_t g = 0; g < r->n_groups; g++) {
		fputs("<th>", out);
		esc(out, ds_group_name(r->ds, g));
		fputs("</th>", out);
	}
	fputs("</tr>\n", out);
	for (size_t s = 0; s < n; s++) {
		const struct compare_table *t = s < r->n_sections ? &r->sections[s] : &r->overall;
		fputs("<tr><td>", out);
		esc(out, t->title);
		fputs("</td>", out);
		for (size_t g = 0; g < r->n_groups; g++) {
			const struct compare_cell *c = &t->cells[g];
			if (c->hidden != SHOWN) {
				fputs("<td>", out);
				esc(out, render_suppressed_mark());
				fputs("</td>", out);
			} else if (c->n == 0 || isnan(c->stats.mean))
				fputs("<td>-</td>", out);
			else
				fprintf(out, "<td>%.1f <span class=\"n\">(%zu)</span></td>",
					c->stats.mean, c->n);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void scale_chart(FILE *out, const struct compare_report *r, const struct compare_table *t)
{
	const struct question *q = t->q;
	size_t left = 300, width = 500, row_h = 20, h = r->n_groups * row_h + 10;
	const struct compare_cell *world = &t->cells[r->n_groups - 1];
	size_t shown_n = 0, rest;
	static const char *const shades[] = {"#d7301f", "#fc8d59", "#fdcc8a", "#b3cde3",
					     "#6497b1", "#005b96", "#03396c", "#011f4b"};

	fprintf(out, "<h3>");
	esc(out, t->id);
	fputs(": ", out);
	esc(out, t->title);
	fprintf(out,
		"</h3>\n<svg viewBox=\"0 0 %zu %zu\" width=\"%zu\" height=\"%zu\" role=\"img\">\n",
		left + width + 10, h, left + width + 10, h);
	/*
	 * World's distribution minus the regions' shown beside it is the
	 * distribution of the rest: shown only when the rest is empty or has
	 * as many answers as a distribution needs (a frequency table of a few
	 * members would give their answers away).
	 */
	for (size_t g = 0; g + 1 < r->n_groups; g++)
		if (t->cells[g].hidden == SHOWN && t->cells[g].order_shown)
			shown_n += t->cells[g].n;
	rest = world->n > shown_n ? world->n - shown_n : 0;
	for (size_t g = 0; g < r->n_groups; g++) {
		/* Shares of each level, from the cell's values: recount from the dataset. */
		const struct compare_cell *c = &t->cells[g];
		size_t counts[100] = {0}, total = 0;
		double x = left;
		size_t y = 4 + g * row_h;
		bool thin_rest =
			c == world && rest > 0 && r->rules.k > 1 && rest < r->rules.k_order;
		fprintf(out, "<text x=\"%zu\" y=\"%zu\" text-anchor=\"end\" class=\"lbl\">",
			left - 8, y + 13);
		esc(out, ds_group_name(r->ds, g));
		fputs("</text>\n", out);
		if (c->hidden != SHOWN || c->n == 0 || !c->order_shown || thin_rest) {
			/* A distribution is at least order statistics: the same threshold. */
			fprintf(out, "<text x=\"%zu\" y=\"%zu\" class=\"note\">%s</text>\n",
				left + 4, y + 13,
				c->hidden != SHOWN ? "suppressed"
				: c->n == 0        ? "no answers"
				: thin_rest ? "distribution withheld (the regions not shown have "
					      "too few "
					      "answers)"
					    : "distribution withheld (too few answers)");
			continue;
		}
		for (size_t i = 0; i < r->ds->n; i++) {
			const struct ds_row *row = &r->ds->rows[i];
			const Canvass__Answer *a;
			int idx;
			if (g != r->n_groups - 1 && (row->reg == NULL || row->group != g))
				continue;
			a = ds_answer(row, q);
			if (a == NULL || a->value_case != CANVASS__ANSWER__VALUE_INTEGER)
				continue;
			idx = qdef_level_index(q, a->integer);
			if (idx >= 0 && idx < 100) {
				counts[idx]++;
				total++;
			}
		}
		for (size_t k = 0; k < q->n_options && total; k++) {
			double w = width * (double)counts[k] / (double)total;
			fprintf(out,
				"<rect x=\"%.1f\" y=\"%zu\" width=\"%.1f\" height=\"15\" "
				"fill=\"%s\"><title>%lld ",
				x, y, w, shades[k % 8], (long long)q->options[k].value);
			esc(out, q->options[k].label);
			fprintf(out, ": %.0f%%</title></rect>\n",
				100.0 * (double)counts[k] / (double)total);
			x += w;
		}
	}
	fputs("</svg>\n<p class=\"legend\">", out);
	for (size_t k = 0; k < q->n_options; k++) {
		fprintf(out, "<span><i style=\"background:%s\"></i>%lld ", shades[k % 8],
			(long long)q->options[k].value);
		esc(out, q->options[k].label);
		fputs("</span> ", out);
	}
	fputs("</p>\n", out);
}

/* ColorBrewer's sequential Blues, from 0 (pale) to 100 (deep). */
static void blues(char *buf, size_t len, double x)
{
	static const int stops[][3] = {
		{247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
	double t = (x < 0 ? 0 : x > 100 ? 100 : x) / 25;
	int i = t >= 4 ? 3 : (int)t;
	double f = t - i;
	snprintf(buf, len, "rgb(%d,%d,%d)",
		 (int)(stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
		 (int)(stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
		 (int)(stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
}

struct heat_row {
	const struct ds_row *row;
	size_t group;
};

/* Region, then overall score (highest first, none last), then code. */
static int heat_cmp(const void *pa, const void *pb)
{
	const struct heat_row *a = pa, *b = pb;
	double x = a->row->overall, y = b->row->overall;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (isnan(x) != isnan(y))
		return isnan(x) ? 1 : -1;
	if (!isnan(x) && x != y)
		return x > y ? -1 : 1;
	return strcmp(a->row->member, b->row->member);
}

/* The colour key of the heatmap: 0-100 in twenty steps, its label at the left of x. */
static void heat_key(FILE *out, double x, double y)
{
	char fill[32];

	fprintf(out,
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" class=\"tick\">score</text>\n",
		x - 6, y + 12);
	for (int k = 0; k < 20; k++) {
		blues(fill, sizeof fill, k * 5 + 2.5);
		fprintf(out,
			"<rect x=\"%.1f\" y=\"%.0f\" width=\"15\" height=\"14\" fill=\"%s\"/>\n",
			x + 15.0 * k, y, fill);
	}
	for (int tick = 0; tick <= 100; tick += 25)
		fprintf(out,
			"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" "
			"class=\"tick\">%d</text>\n",
			x + 3.0 * tick, y + 30, tick);
}

/* Members x sections, grouped by region and sorted, with a colour key above and below. */
static void heatmap(FILE *out, const struct compare_report *r)
{
	const struct dataset *ds = r->ds;
	struct heat_row *rows = calloc(ds->n ? ds->n : 1, sizeof *rows);
	const double cell = 40, rowh = 15, left = 250, top = 240;
	size_t groups = 0, world = r->n_groups - 1;
	double y, w = left + cell * (double)(r->n_sections + 1) + 230, h;
	char fill[32];

	if (rows == NULL)
		return;
	for (size_t i = 0; i < ds->n; i++) {
		rows[i].row = &ds->rows[i];
		rows[i].group = ds->rows[i].reg ? ds->rows[i].group : world;
	}
	if (ds->n > 1)
		qsort(rows, ds->n, sizeof *rows, heat_cmp);
	for (size_t i = 0; i < ds->n; i++)
		groups += i == 0 || rows[i].group != rows[i - 1].group;
	h = top + rowh * (double)(ds->n + groups) + 70;
	fprintf(out,
		"<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" role=\"img\" aria-label=\"members "
		"by sections\">\n",
		w, h, w);
	heat_key(out, 50, 8); /* first: a tall map is read from the top */
	for (size_t s = 0; s <= r->n_sections; s++) {
		const char *title = s < r->n_sections ? ds->def->sections[s].title : "Overall";
		fprintf(out, "<text transform=\"translate(%.1f,%.0f) rotate(-50)\" class=\"tick\">",
			left + cell * (double)s + cell / 2, top - 8);
		esc(out, title);
		fputs("</text>\n", out);
	}
	y = top;
	for (size_t i = 0; i < ds->n; i++) {
		const struct ds_row *row = rows[i].row;
		if (i == 0 || rows[i].group != rows[i - 1].group) {
			fprintf(out, "<text x=\"0\" y=\"%.0f\" class=\"lbl\" font-weight=\"bold\">",
				y + rowh - 4);
			esc(out, rows[i].group == world ? "Not in the registry"
							: ds_group_name(ds, rows[i].group));
			fputs("</text>\n", out);
			y += rowh;
		}
		fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" class=\"tick\">",
			left - 6, y + rowh - 3);
		esc(out, row->member);
		if (row->reg != NULL) {
			fputs(" ", out);
			esc(out, row->reg->name);
		}
		fputs("</text>\n", out);
		for (size_t s = 0; s <= r->n_sections; s++) {
			double x = s < r->n_sections ? row->section_score[s] : row->overall;
			double cx = left + cell * (double)s + (s == r->n_sections ? 6 : 0);
			if (isnan(x)) {
				fprintf(out,
					"<rect x=\"%.1f\" y=\"%.0f\" width=\"%.0f\" "
					"height=\"%.0f\" "
					"fill=\"#f0f0f0\"><title>",
					cx, y, cell - 1, rowh - 1);
				esc(out, row->member);
				fputs(": no score</title></rect>\n", out);
				continue;
			}
			blues(fill, sizeof fill, x);
			fprintf(out,
				"<rect x=\"%.1f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
				"fill=\"%s\"><title>",
				cx, y, cell - 1, rowh - 1, fill);
			esc(out, row->member);
			fputs(" ", out);
			esc(out, s < r->n_sections ? ds->def->sections[s].title : "Overall");
			fprintf(out, ": %.1f</title></rect>\n", x);
		}
		y += rowh;
	}
	heat_key(out, left, y + 24); /* the key again under the last member */
	fputs("</svg>\n", out);
	free(rows);
}

static void table_html(FILE *out, const struct compare_report *r, const struct compare_table *t)
{
	size_t nopt = t->q ? compare_n_options(t->q) : 0;
	fputs("<table><caption>", out);
	esc(out, t->id);
	fputs(" &mdash; ", out);
	esc(out, t->title);
	fputs("</caption>\n<tr><th>group</th><th>n</th><th>n/a</th><th>dk</th>", out);
	if (t->numeric)
		fputs("<th>mean</th><th>sd</th><th>min</th><th>q1</th><th>median</th><th>q3</th>"
		      "<th>max</th>",
		      out);
	for (size_t i = 0; !t->numeric && i < nopt; i++) {
		fputs("<th>", out);
		esc(out, compare_option_id(t->q, i));
		fputs("</th>", out);
	}
	fputs("</tr>\n", out);
	for (size_t g = 0; g < r->n_groups; g++) {
		const struct compare_cell *c = &t->cells[g];
		char na[24], dk[24];
		fputs("<tr><td>", out);
		esc(out, ds_group_name(r->ds, g));
		if (c->hidden != SHOWN) {
			fputs("</td><td>", out);
			esc(out, render_suppressed_mark());
			fputs("</td><td colspan=\"12\" class=\"note\">suppressed: ", out);
			esc(out, disclosure_reason(c->hidden));
			fputs("</td></tr>\n", out);
			continue;
		}
		fprintf(out, "</td><td>%zu</td><td>", c->n);
		esc(out, render_special(c, c->not_applicable, na));
		fputs("</td><td>", out);
		esc(out, render_special(c, c->dont_know, dk));
		fputs("</td>", out);
		if (t->numeric) {
			double v[] = {c->stats.mean,   c->stats.sd, c->stats.min, c->stats.q1,
				      c->stats.median, c->stats.q3, c->stats.max};
			for (int k = 0; k < 7; k++) {
				if (k >= 2 && !c->order_shown && c->n > 0) {
					fputs("<td>", out);
					esc(out, render_suppressed_mark());
					fputs("</td>", out);
				} else if (isnan(v[k])) {
					fputs("<td>-</td>", out);
				} else {
					fprintf(out, "<td>%.2f</td>", v[k]);
				}
			}
		}
		for (size_t i = 0; !t->numeric && i < nopt; i++)
			c->n ? fprintf(out, "<td>%.1f%%</td>",
				       100.0 * (double)c->counts[i] / (double)c->n)
			     : fputs("<td>-</td>", out);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

/* The figures a reader wants first: returns, timeliness, the world's scores. */
static void headlines(FILE *out, const struct compare_report *r, const struct completeness *c)
{
	size_t world = r->n_groups - 1, hi = SIZE_MAX, lo = SIZE_MAX;
	char v[64], note[320];

	fputs("<section class=\"headline\">\n", out);
	snprintf(v, sizeof v, "%zu of %zu", r->group_submitted[world] - r->unregistered,
		 r->group_expected[world]);
	render_html_headline(out, "Returns", v, "registered members who submitted");
	if (c != NULL && c->n_groups > 0) {
		const struct completeness_group *g = &c->groups[c->n_groups - 1];
		if (g->on_time + g->late > 0) {
			snprintf(v, sizeof v, "%.0f%%",
				 100.0 * (double)g->on_time / (double)(g->on_time + g->late));
			render_html_headline(out, "On time", v, "of the returns, by the due date");
		}
	}
	if (r->has_scores && r->overall.cells[world].hidden == SHOWN &&
	    r->overall.cells[world].n > 0) {
		snprintf(v, sizeof v, "%.1f", r->overall.cells[world].stats.mean);
		snprintf(note, sizeof note, "world mean of the overall score (0-100), n %zu",
			 r->overall.cells[world].n);
		render_html_headline(out, "Overall score", v, note);
	}
	for (size_t s = 0; s < r->n_sections; s++) {
		const struct compare_cell *cell = &r->sections[s].cells[world];
		if (cell->hidden != SHOWN || cell->n == 0 || isnan(cell->stats.mean))
			continue;
		if (hi == SIZE_MAX || cell->stats.mean > r->sections[hi].cells[world].stats.mean)
			hi = s;
		if (lo == SIZE_MAX || cell->stats.mean < r->sections[lo].cells[world].stats.mean)
			lo = s;
	}
	if (hi != SIZE_MAX && lo != hi) {
		snprintf(v, sizeof v, "%.1f", r->sections[hi].cells[world].stats.mean);
		render_html_headline(out, "Strongest section (world mean)", v,
				     r->sections[hi].title);
		snprintf(v, sizeof v, "%.1f", r->sections[lo].cells[world].stats.mean);
		render_html_headline(out, "Weakest section (world mean)", v, r->sections[lo].title);
	}
	fputs("</section>\n", out);
}

int render_compare_html(const struct compare_report *r, const struct completeness *c,
			const struct profile *member, bool members, FILE *out)
{
	const struct dataset *ds = r->ds;
	char hex[2 * CV_HASH_LEN + 1];

	cv_hex(ds->chain, CV_HASH_LEN, hex);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", out);
	esc(out, ds->def->title);
	fputs("</title>\n<style>\n"
	      "body{font:14px/1.45 'DejaVu Sans',Arial,sans-serif;color:#111;"
	      "max-width:1000px;margin:24px auto;padding:0 16px}\n"
	      "h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:"
	      "1px solid #ccc;padding-bottom:4px}h3{font-size:14px;margin:18px 0 4px}\n"
	      ".stamp{color:#444;font-size:12px}.note{fill:#555;color:#555;font-style:italic;"
	      "font-size:12px}\n.lbl{font-size:13px;fill:#222}.val,.tick{font-size:12px;fill:#333}"
	      ".grid{stroke:#e4e4e4}\nsvg text{font-family:'DejaVu Sans',Arial,sans-serif}\n"
	      ".legend span{margin-right:14px;font-size:13px;white-space:nowrap}.legend svg{"
	      "vertical-align:-3px}.legend i{display:inline-block;width:12px;height:12px;"
	      "margin-right:4px;vertical-align:-1px}\n"
	      ".headline{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\n"
	      ".headline div{border:1px solid #bbb;border-radius:6px;padding:8px 12px;"
	      "min-width:150px}.headline b{display:block;font-size:24px}.headline span{"
	      "font-size:12px;color:#444}\n"
	      "table{border-collapse:collapse;margin:12px 0;font-size:13px}caption{text-align:left;"
	      "font-weight:600;padding:4px 0}\n"
	      "td,th{border-bottom:1px solid #eee;padding:2px 8px;text-align:right}td{white-space:"
	      "nowrap}td:first-child{white-space:normal}td:first-child,"
	      "th:first-child{text-align:left}\n.warn{background:#fff4e5;border:1px solid #f0c36d;"
	      "padding:6px 10px}\n.n{font-size:12px;color:#444}\n"
	      "@page{size:A4;margin:14mm}\n@media print{body{margin:0;max-width:none;font-size:"
	      "10pt}h2{break-after:avoid}svg,tr,.headline{break-inside:avoid}.warn{border:2px "
	      "solid #000}}\n</style></head><body>\n<h1>",
	      out);
	esc(out, ds->def->title);
	fprintf(out,
		"</h1>\n<p class=\"stamp\">canvass compare &middot; %s version %u &middot; "
		"cycle ",
		ds->def->id, ds->def->version);
	esc(out, ds->cycle);
	fprintf(out,
		" &middot; store position: sequence %llu, chain %s &middot; canvass %s &middot; "
		"review: %zu of %zu returns approved%s</p>\n",
		(unsigned long long)ds->sequence, hex, CANVASS_VERSION, DS_APPROVED(ds),
		ds->returns, ds->approved_only ? " (approved returns only)" : "");
	if (members || member != NULL || render_confidential())
		fprintf(out,
			"<p class=\"warn\"><strong>%s</strong>: this page shows member-level "
			"data or a past store position.</p>\n",
			RENDER_CONFIDENTIAL);
	{
		/* The rules applied and what each hid, as the text report says it. */
		struct disclosure_tally tally = {0};
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);
		render_tally_add(&tally, r);
		if (mem != NULL) {
			render_disclosure_text(mem, &tally);
			fclose(mem);
			fputs("<p class=\"stamp\">", out);
			esc(out, text);
			fputs("</p>\n", out);
		}
		free(text);
	}
	headlines(out, r, c);
	fputs("<p>n/a and don't know are counted apart and never in the figures.</p>\n", out);
	if (c != NULL) {
		fputs("<h2>Completeness by region</h2>\n", out);
		completeness_chart(out, c);
	}
	if (r->has_scores) {
		fputs("<h2>Section scores: regions and world", out);
		if (member) {
			fputs(" and ", out);
			esc(out, member->row->member);
		}
		fputs(" (0-100)</h2>\n", out);
		legend(out, r, member ? member->row->member : NULL);
		scores_chart(out, r, member);
		scores_table(out, r);
	}
	fputs("<h2>Scale questions: distribution of answers</h2>\n", out);
	for (size_t i = 0; i < r->n_questions; i++)
		if (r->questions[i].q->type == QT_SCALE)
			scale_chart(out, r, &r->questions[i]);
	fputs("<h2>Members &times; sections</h2>\n", out);
	if (members) {
		fputs("<p class=\"warn\">Member-level values: for the Secretariat only.</p>\n",
		      out);
		heatmap(out, r);
	} else {
		fputs("<p class=\"note\">Omitted: it shows member-level values (run with --members "
		      "for the Secretariat's own copy).</p>\n",
		      out);
	}
	fputs("<h2>All figures</h2>\n", out);
	if (r->has_scores) {
		for (size_t s = 0; s < r->n_sections; s++)
			table_html(out, r, &r->sections[s]);
		table_html(out, r, &r->overall);
	}
	for (size_t i = 0; i < r->n_questions; i++)
		table_html(out, r, &r->questions[i]);
	fputs("</body></html>\n", out);
	return ferror(out) ? -1 : 0;
}
