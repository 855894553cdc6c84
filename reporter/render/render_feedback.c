/*
 * The feedback pack: one self-contained HTML page per member, built from
 * the member's feedback profile (profile.h: the feedback disclosure rules,
 * no other member listed), printable to A4, and an index page for the
 * Secretariat. Inline CSS and SVG; no script, no external resource.
 *
 * Colours are Okabe and Ito's colour-blind-safe palette; every chart mark
 * also differs in shape and carries its value in a <title> and in the table
 * beside it.
 */
#include "render.h"

#include <math.h>
#include <string.h>

#include "util.h"

#define C_MEMBER "#D55E00" /* vermillion */
#define C_REGION "#0072B2" /* blue */
#define C_WORLD  "#000000"

#define esc render_html_escape

const char render_print_style[] =
	"<style>\n"
	"body{font:14px/1.45 'DejaVu Sans',Arial,sans-serif;color:#111;max-width:980px;"
	"margin:24px auto;padding:0 16px}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
	"border-bottom:1px solid #ccc}h3{font-size:15px;margin:18px 0 6px}\n"
	".stamp,.note{font-size:12px;color:#444}\n"
	".headline{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\n"
	".headline div{border:1px solid #bbb;border-radius:6px;padding:8px 12px;min-width:150px}\n"
	".headline b{display:block;font-size:24px}\n"
	".headline span{font-size:12px;color:#444}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px}\n"
	"th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}\n"
	"td.num{text-align:right;white-space:nowrap}\n"
	".legend span{margin-right:18px;font-size:13px}\n"
	"svg text{font:12px 'DejaVu Sans',Arial,sans-serif}\n"
	"@page{size:A4;margin:14mm}\n"
	/* Printed, a chart is scaled to the page (~688 of its 860 units): its text
	 * set larger so that it prints at 12px; a heading never ends a page. */
	"@media print{body{margin:0;max-width:none;font-size:11pt}a{color:#111;"
	"text-decoration:none}h2,h3{break-after:avoid;page-break-after:avoid}"
	"h2+table,h3+table,h2+svg{break-before:avoid;page-break-before:avoid}"
	"tr,svg,.headline{break-inside:avoid}svg text{font-size:15px}}\n"
	"</style>\n";

static void page_open(FILE *out, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
	      out);
	esc(out, title);
	fputs("</title>\n", out);
	fputs(render_print_style, out);
	fputs("</head>\n<body>\n", out);
}

static void stamp(FILE *out, const struct dataset *ds)
{
	char hex[2 * CV_HASH_LEN + 1];
	cv_hex(ds->chain, CV_HASH_LEN, hex);
	fprintf(out, "<p class=\"stamp\">%s version %u, cycle ", ds->def->id, ds->def->version);
	esc(out, ds->cycle);
	fprintf(out,
		"; store position: sequence %llu, chain %.16s; canvass %s; review: %zu of %zu "
		"returns approved%s</p>\n",
		(unsigned long long)ds->sequence, hex, CANVASS_VERSION, DS_APPROVED(ds),
		ds->returns, ds->approved_only ? " (approved returns only)" : "");
}

/* A group's mean of a score table, or NAN when hidden or empty. */
static double group_mean(const struct compare_cell *c)
{
	return c->hidden == SHOWN && c->n > 0 ? c->stats.mean : NAN;
}

static void fmt1(char *buf, size_t len, double x)
{
	if (isnan(x))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", x);
}

static void headlines(FILE *out, const struct profile *p)
{
	const struct compare_report *r = p->cmp;
	size_t world = r->n_groups - 1, answered = 0;
	char v[64], note[128];

	fputs("<section class=\"headline\">\n", out);
	if (r->has_scores) {
		fmt1(v, sizeof v, p->overall.value);
		render_html_headline(out, "Your overall score (0-100)", v,
				     "the weighted mean of all your scored answers");
		if (p->row->reg != NULL) {
			const struct compare_cell *c = &r->overall.cells[p->row->group];
			fmt1(v, sizeof v, group_mean(c));
			if (c->hidden != SHOWN)
				snprintf(v, sizeof v, "(suppressed)");
			snprintf(note, sizeof note, "%s",
				 c->hidden == SHOWN ? "mean of your region"
						    : "your region's mean: withheld to protect "
						      "other members' answers");
			render_html_headline(out, p->row->reg->region, v, note);
		}
		fmt1(v, sizeof v, group_mean(&r->overall.cells[world]));
		render_html_headline(out, "World", v, "mean of all members answering");
		if (!isnan(p->overall.rank_region)) {
			snprintf(v, sizeof v, "%.0f", p->overall.rank_region);
			render_html_headline(out, "Percentile rank, region", v,
					     "100: above every other member of the region");
		}
		if (!isnan(p->overall.rank_world)) {
			snprintf(v, sizeof v, "%.0f", p->overall.rank_world);
			render_html_headline(out, "Percentile rank, world", v,
					     "100: above every other member");
		}
	}
	for (size_t i = 0; i < r->n_questions; i++)
		answered += p->questions[i].display[0] != '\0';
	snprintf(v, sizeof v, "%zu of %zu", answered, r->n_questions);
	render_html_headline(out, "Questions answered", v, "special answers included");
	snprintf(v, sizeof v, "revision %u", p->row->revision);
	render_html_headline(out, "Your return", v,
			     p->row->late ? "submitted after the due date" : "on time");
	fputs("</section>\n", out);
}

/* Section scores as a dot plot: the member, its region, the world, on 0-100. */
static void dot_plot(FILE *out, const struct profile *p)
{
	const struct compare_report *r = p->cmp;
	size_t world = r->n_groups - 1, rows = r->n_sections + 1;
	const double left = 300, width = 520, row_h = 30, top = 28;
	double h = top + row_h * (double)rows + 30;

	fprintf(out,
		"<svg viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" aria-label=\"section "
		"scores: yours, your region's mean and the world's mean\">\n",
		left + width + 40, h);
	render_html_axis(out, left, width, top - 4, h - 26, 18);
	for (size_t s = 0; s < rows; s++) {
		const struct profile_line *l = s < r->n_sections ? &p->sections[s] : &p->overall;
		const char *label = s < r->n_sections ? r->ds->def->sections[s].title : "Overall";
		double y = top + row_h * (double)s + row_h / 2;
		double reg = p->row->reg ? group_mean(&l->t->cells[p->row->group]) : NAN;
		double wor = group_mean(&l->t->cells[world]);

		fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", left - 10, y + 4);
		esc(out, label);
		fputs("</text>\n", out);
		fprintf(out,
			"<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eee\"/>\n",
			left, y, left + width, y);
		if (!isnan(wor))
			fprintf(out,
				"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"" C_WORLD
				"\"><title>World mean %.1f (n %zu)</title></circle>\n",
				left + width * wor / 100, y, wor, l->t->cells[world].n);
		if (!isnan(reg))
			fprintf(out,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"11\" height=\"11\" "
				"fill=\"" C_REGION
				"\" transform=\"rotate(45 %.1f %.1f)\"><title>Region mean %.1f (n "
				"%zu)</title></rect>\n",
				left + width * reg / 100 - 5.5, y - 5.5, left + width * reg / 100,
				y, reg, l->t->cells[p->row->group].n);
		if (!isnan(l->value))
			fprintf(out,
				"<path d=\"M%.1f %.1f l7 12 h-14 z\" fill=\"" C_MEMBER
				"\"><title>You %.1f</title></path>\n",
				left + width * l->value / 100, y - 7, l->value);
	}
	fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">score (0-100)</text>\n",
		left + width / 2, h - 8);
	fputs("</svg>\n", out);
	fputs("<p class=\"legend\"><span><svg width=\"16\" height=\"14\"><path d=\"M8 1 l7 12 h-14 "
	      "z\" fill=\"" C_MEMBER "\"/></svg> you</span>",
	      out);
	if (p->row->reg != NULL) {
		fputs("<span><svg width=\"16\" height=\"14\"><rect x=\"3\" y=\"2\" width=\"9\" "
		      "height=\"9\" fill=\"" C_REGION
		      "\" transform=\"rotate(45 7.5 6.5)\"/></svg> ",
		      out);
		esc(out, p->row->reg->region);
		fputs(" (mean)</span>", out);
	}
	fputs("<span><svg width=\"16\" height=\"14\"><circle cx=\"8\" cy=\"7\" r=\"6\" "
	      "fill=\"" C_WORLD "\"/></svg> world (mean)</span></p>\n",
	      out);
}

/*
 * The member's answer as a person reads it: an option's label, not its id
 * ("Contracting party", not contracting_party); options of a multiple
 * choice each by its label; anything else as displayed.
 */
static const char *answer_label(const struct profile_line *l)
{
	static char buf[1024];
	const struct question *q = l->t->q;
	size_t used = 0;
	char ids[256], *save = NULL;

	if (q == NULL || (q->type != QT_CHOICE && q->type != QT_MULTI_CHOICE))
		return l->display;
	snprintf(ids, sizeof ids, "%s", l->display);
	buf[0] = '\0';
	for (char *id = strtok_r(ids, ";, ", &save); id != NULL;
	     id = strtok_r(NULL, ";, ", &save)) {
		int k = qdef_option_index(q, id);
		const char *label = k >= 0 && q->options[k].label ? q->options[k].label : id;
		int n = snprintf(buf + used, sizeof buf - used, "%s%s", used ? "; " : "", label);
		if (n < 0 || (size_t)n >= sizeof buf - used)
			break;
		used += (size_t)n;
	}
	return used > 0 ? buf : l->display;
}

static void line_row(FILE *out, const struct profile *p, const struct profile_line *l,
		     const char *label)
{
	size_t world = p->cmp->n_groups - 1;
	char buf[64];

	fputs("<tr><td>", out);
	esc(out, label);
	fputs("</td><td>", out);
	esc(out, l->display[0] ? answer_label(l) : "(no answer)");
	fputs("</td><td class=\"num\">", out);
	if (p->row->reg != NULL) {
		profile_group_figure(l, &l->t->cells[p->row->group], buf, sizeof buf);
		esc(out, buf);
	} else {
		fputs("-", out);
	}
	fputs("</td><td class=\"num\">", out);
	profile_group_figure(l, &l->t->cells[world], buf, sizeof buf);
	esc(out, buf);
	fputs("</td></tr>\n", out);
}

static void table_head(FILE *out, const struct profile *p, const char *first)
{
	fputs("<table>\n<tr><th>", out);
	esc(out, first);
	fputs("</th><th>your answer</th><th class=\"num\">", out);
	esc(out, p->row->reg ? p->row->reg->region : "region");
	fputs("</th><th class=\"num\">world</th></tr>\n", out);
}

int render_feedback_page(const struct profile *p, FILE *out)
{
	const struct compare_report *r = p->cmp;
	const struct dataset *ds = r->ds;
	char title[512];

	snprintf(title, sizeof title, "%s, cycle %s: feedback for %s", ds->def->title, ds->cycle,
		 p->row->reg ? p->row->reg->name : p->row->member);
	page_open(out, title);
	fputs("<header>\n<h1>", out);
	esc(out, p->row->reg ? p->row->reg->name : p->row->member);
	fputs(" (", out);
	esc(out, p->row->member);
	fputs(")</h1>\n<p>", out);
	esc(out, ds->def->title);
	fputs(", cycle ", out);
	esc(out, ds->cycle);
	fputs(": your return beside ", out);
	esc(out, p->row->reg ? p->row->reg->region : "the world");
	fputs(p->row->reg ? " and the world.</p>\n" : ".</p>\n", out);
	stamp(out, ds);
	if (render_confidential()) /* a past position (--as-of): not what the member was sent */
		fprintf(out, "<p><b>%s</b>: this page shows a past store position.</p>\n",
			RENDER_CONFIDENTIAL);
	fputs("</header>\n", out);
	headlines(out, p);
	if (r->has_scores) {
		fputs("<h2>Section scores</h2>\n", out);
		dot_plot(out, p);
		table_head(out, p, "score (0-100)");
		for (size_t s = 0; s < r->n_sections; s++)
			line_row(out, p, &p->sections[s], ds->def->sections[s].title);
		line_row(out, p, &p->overall, "Overall");
		fputs("</table>\n", out);
	}
	fputs("<h2>Your answers beside the groups</h2>\n", out);
	for (size_t i = 0; i < r->n_questions; i++) {
		const struct compare_table *t = &r->questions[i];
		if (i == 0 || t->section != r->questions[i - 1].section) {
			if (i > 0)
				fputs("</table>\n", out);
			fputs("<h3>", out);
			esc(out, ds->def->sections[t->section].title);
			fputs("</h3>\n", out);
			table_head(out, p, "question");
		}
		line_row(out, p, &p->questions[i], t->title);
	}
	if (r->n_questions > 0)
		fputs("</table>\n", out);
	fprintf(out,
		"<p class=\"note\">This page shows your answers next to region and world "
		"figures; it contains no other member's answers or codes. A group figure "
		"appears only where at least %zu other members answered (%zu for numbers); "
		"\"same\" is the share of the members answering who gave your answer; "
		"(suppressed) marks a figure withheld to protect other members' answers. "
		"Scores run from 0 to 100: docs/questionnaires.md \"Scores\".</p>\n",
		disclosure_min_n(&r->rules, DISCLOSURE_CHOICE),
		disclosure_min_n(&r->rules, DISCLOSURE_NUMERIC));
	fputs("</body>\n</html>\n", out);
	return ferror(out) ? -1 : 0;
}

int render_feedback_index(const struct dataset *ds, const char *const *written, size_t n, FILE *out)
{
	char title[512];

	snprintf(title, sizeof title, "%s, cycle %s: feedback pack", ds->def->title, ds->cycle);
	page_open(out, title);
	fprintf(out, "<p><b>%s</b></p>\n<h1>", RENDER_CONFIDENTIAL);
	esc(out, title);
	fputs("</h1>\n", out);
	stamp(out, ds);
	fprintf(out,
		"<p>%zu feedback pages, one per member with a return; each page is for "
		"that member only.</p>\n<table>\n<tr><th>member</th><th>name</th>"
		"<th>region</th><th>page</th></tr>\n",
		n);
	for (size_t i = 0; i < n; i++) {
		const struct ds_row *r = ds_find(ds, written[i]);
		fputs("<tr><td>", out);
		esc(out, written[i]);
		fputs("</td><td>", out);
		esc(out, r && r->reg ? r->reg->name : "");
		fputs("</td><td>", out);
		esc(out, r && r->reg ? r->reg->region : "(not in the registry)");
		fputs("</td><td><a href=\"", out);
		esc(out, written[i]);
		fputs(".html\">", out);
		esc(out, written[i]);
		fputs(".html</a></td></tr>\n", out);
	}
	fputs("</table>\n</body>\n</html>\n", out);
	return ferror(out) ? -1 : 0;
}
