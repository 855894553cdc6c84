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

static const char *const palette[] = {"#1b6ca8", "#e07b39", "#3a9a5b", "#b8405e",
				      "#7d5ba6", "#c9a227", "#4aa3a1", "#8c6d46"};

static void esc(FILE *out, const char *s)
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

static const char *color(size_t g, size_t world)
{
	return g == world ? "#222222" : palette[g % 8];
}

static void legend(FILE *out, const struct compare_report *r, const char *member)
{
	size_t world = r->n_groups - 1;
	fputs("<p class=\"legend\">", out);
	for (size_t g = 0; g < r->n_groups; g++) {
		fprintf(out, "<span><i style=\"background:%s\"></i>", color(g, world));
		esc(out, ds_group_name(r->ds, g));
		fputs("</span> ", out);
	}
	if (member != NULL) {
		fputs("<span><i style=\"background:#ff2d55\"></i>", out);
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

static void scores_chart(FILE *out, const struct compare_report *r, const struct profile *member)
{
	size_t world = r->n_groups - 1, left = 300, width = 500, bar = 9;
	size_t per = (r->n_groups + (member ? 1 : 0)) * bar + 14;
	size_t n = r->n_sections + 1, h = n * per + 30;

	fprintf(out,
		"<svg viewBox=\"0 0 %zu %zu\" width=\"%zu\" height=\"%zu\" role=\"img\" "
		"aria-label=\"section scores\">\n",
		left + width + 60, h, left + width + 60, h);
	for (int tick = 0; tick <= 100; tick += 25)
		fprintf(out,
			"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"%zu\" class=\"grid\"/>"
			"<text x=\"%.1f\" y=\"%zu\" class=\"tick\">%d</text>\n",
			left + width * tick / 100.0, left + width * tick / 100.0, h - 18,
			left + width * tick / 100.0, h - 4, tick);
	for (size_t s = 0; s < n; s++) {
		const struct compare_table *t = s < r->n_sections ? &r->sections[s] : &r->overall;
		size_t y0 = s * per + 4;
		fprintf(out, "<text x=\"%zu\" y=\"%zu\" text-anchor=\"end\" class=\"lbl\">",
			left - 8, y0 + per / 2);
		esc(out, t->title);
		fputs("</text>\n", out);
		for (size_t g = 0; g < r->n_groups; g++) {
			const struct compare_cell *c = &t->cells[g];
			double x = c->stats.mean;
			size_t y = y0 + g * bar;
			if (c->hidden != SHOWN || isnan(x)) {
				fprintf(out, "<text x=\"%zu\" y=\"%zu\" class=\"note\">%s</text>\n",
					left + 4, y + bar - 1,
					c->hidden != SHOWN ? "suppressed" : "no data");
				continue;
			}
			fprintf(out,
				"<rect x=\"%zu\" y=\"%zu\" width=\"%.1f\" height=\"%zu\" "
				"fill=\"%s\"><title>",
				left, y, width * x / 100.0, bar - 2, color(g, world));
			esc(out, ds_group_name(r->ds, g));
			fprintf(out, ": %.1f (n %zu)</title></rect>\n", x, c->n);
		}
		if (member != NULL) {
			double x = s < r->n_sections ? member->sections[s].value
						     : member->overall.value;
			size_t y = y0 + r->n_groups * bar;
			if (!isnan(x))
				fprintf(out,
					"<rect x=\"%zu\" y=\"%zu\" width=\"%.1f\" height=\"%zu\" "
					"fill=\"#ff2d55\"><title>%s: %.1f</title></rect>\n",
					left, y, width * x / 100.0, bar - 2, member->row->member,
					x);
		}
	}
	fputs("</svg>\n", out);
}

static void scale_chart(FILE *out, const struct compare_report *r, const struct compare_table *t)
{
	const struct question *q = t->q;
	size_t left = 300, width = 500, row_h = 20, h = r->n_groups * row_h + 10;
	static const char *const shades[] = {"#d7301f", "#fc8d59", "#fdcc8a", "#b3cde3",
					     "#6497b1", "#005b96", "#03396c", "#011f4b"};

	fprintf(out, "<h3>");
	esc(out, t->id);
	fputs(": ", out);
	esc(out, t->title);
	fprintf(out,
		"</h3>\n<svg viewBox=\"0 0 %zu %zu\" width=\"%zu\" height=\"%zu\" role=\"img\">\n",
		left + width + 10, h, left + width + 10, h);
	for (size_t g = 0; g < r->n_groups; g++) {
		/* Shares of each level, from the cell's values: recount from the dataset. */
		const struct compare_cell *c = &t->cells[g];
		size_t counts[100] = {0}, total = 0;
		double x = left;
		size_t y = 4 + g * row_h;
		fprintf(out, "<text x=\"%zu\" y=\"%zu\" text-anchor=\"end\" class=\"lbl\">",
			left - 8, y + 13);
		esc(out, ds_group_name(r->ds, g));
		fputs("</text>\n", out);
		if (c->hidden != SHOWN || c->n == 0 || !c->order_shown) {
			/* A distribution is at least order statistics: the same threshold. */
			fprintf(out, "<text x=\"%zu\" y=\"%zu\" class=\"note\">%s</text>\n",
				left + 4, y + 13,
				c->hidden != SHOWN ? "suppressed"
				: c->n == 0        ? "no answers"
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

static void heatmap(FILE *out, const struct compare_report *r)
{
	const struct dataset *ds = r->ds;
	size_t cell = 34, rowh = 12, left = 60, top = 90;
	size_t w = left + cell * r->n_sections + 10, h = top + rowh * ds->n + 10;

	fprintf(out,
		"<svg viewBox=\"0 0 %zu %zu\" width=\"%zu\" height=\"%zu\" role=\"img\" "
		"aria-label=\"members by sections\">\n",
		w, h, w, h);
	for (size_t s = 0; s < r->n_sections; s++) {
		fprintf(out, "<text transform=\"translate(%zu,%zu) rotate(-60)\" class=\"tick\">",
			left + s * cell + cell / 2, top - 6);
		esc(out, ds->def->sections[s].id);
		fputs("</text>\n", out);
	}
	for (size_t i = 0; i < ds->n; i++) {
		const struct ds_row *row = &ds->rows[i];
		size_t y = top + i * rowh;
		fprintf(out,
			"<text x=\"%zu\" y=\"%zu\" text-anchor=\"end\" class=\"tick\">%s</text>\n",
			left - 4, y + rowh - 2, row->member);
		for (size_t s = 0; s < r->n_sections; s++) {
			double x = row->section_score[s];
			if (isnan(x)) {
				fprintf(out,
					"<rect x=\"%zu\" y=\"%zu\" width=\"%zu\" height=\"%zu\" "
					"fill=\"#f0f0f0\"/>\n",
					left + s * cell, y, cell - 1, rowh - 1);
				continue;
			}
			/* From pale to deep blue as the score rises. */
			fprintf(out,
				"<rect x=\"%zu\" y=\"%zu\" width=\"%zu\" height=\"%zu\" "
				"fill=\"rgb(%d,%d,%d)\"><title>%s %s: %.1f</title></rect>\n",
				left + s * cell, y, cell - 1, rowh - 1, (int)(230 - 200 * x / 100),
				(int)(240 - 150 * x / 100), 255 - (int)(60 * x / 100), row->member,
				ds->def->sections[s].id, x);
		}
	}
	fputs("</svg>\n", out);
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
		fprintf(out, "</td><td>%zu</td><td>%zu</td><td>%zu</td>", c->n, c->not_applicable,
			c->dont_know);
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

int render_compare_html(const struct compare_report *r, const struct completeness *c,
			const struct profile *member, bool members, FILE *out)
{
	const struct dataset *ds = r->ds;
	char hex[2 * CV_HASH_LEN + 1];
	size_t world = r->n_groups - 1;

	cv_hex(ds->chain, CV_HASH_LEN, hex);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", out);
	esc(out, ds->def->title);
	fputs("</title>\n<style>\n"
	      "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;"
	      "max-width:1000px;margin:24px auto;padding:0 16px}\n"
	      "h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:"
	      "1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:18px 0 4px}\n"
	      ".stamp{color:#666;font-size:12px}.note{fill:#999;color:#999;font-style:italic;"
	      "font-size:11px}\n.lbl{font-size:12px;fill:#333}.val,.tick{font-size:10px;fill:#666}"
	      ".grid{stroke:#eee}\n"
	      ".legend span{margin-right:12px;font-size:12px;white-space:nowrap}.legend i{display:"
	      "inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}\n"
	      "table{border-collapse:collapse;margin:12px 0;font-size:12px}caption{text-align:left;"
	      "font-weight:600;padding:4px 0}\n"
	      "td,th{border-bottom:1px solid #eee;padding:2px 8px;text-align:right}td:first-child,"
	      "th:first-child{text-align:left}\n.warn{background:#fff4e5;border:1px solid #f0c36d;"
	      "padding:6px 10px}\n</style></head><body>\n<h1>",
	      out);
	esc(out, ds->def->title);
	fprintf(out,
		"</h1>\n<p class=\"stamp\">canvass compare &middot; %s version %u &middot; "
		"cycle ",
		ds->def->id, ds->def->version);
	esc(out, ds->cycle);
	fprintf(out, " &middot; store position: sequence %llu, chain %s &middot; canvass %s</p>\n",
		(unsigned long long)ds->sequence, hex, CANVASS_VERSION);
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
	fprintf(out,
		"<p>%zu of %zu registered members submitted. n/a and don't know are "
		"counted apart and never in the figures.</p>\n",
		r->group_submitted[world] - r->unregistered, r->group_expected[world]);
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
