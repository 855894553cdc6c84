/*
 * The good-practice digest in its four forms (docs/reports.md,
 * "Good-practice digest"): a printable self-contained HTML page (the
 * feedback pack's style, no script), Markdown, JSON, and the CSV rows an
 * xlsx workbook is made of. An anonymous entry is written without code,
 * name or any position of its member; its region only when its group is
 * not the withheld one (digest.h).
 */
#include "render.h"

#include <string.h>

#include "error.h"
#include "util.h"

#define esc render_html_escape

static const char *sharing_name(const struct digest_entry *e)
{
	return e->level == QSHARE_WITH_NAME ? "with_name" : "anonymously";
}

static const char *returns_words(const struct dataset *ds)
{
	return ds->approved_only ? "approved returns only"
				 : "every return, approved or not (a draft: not for publication)";
}

static const char *classification(void)
{
	return render_confidential() ? RENDER_CONFIDENTIAL : "public: shared with consent";
}

/* Where the digest stands: version, returns, store position, program, classification. */
static void stamp(FILE *out, const struct dataset *ds)
{
	char hex[2 * CV_HASH_LEN + 1];

	cv_hex(ds->chain, CV_HASH_LEN, hex);
	fprintf(out,
		"%s version %u; %s; store position: sequence %llu, chain %.16s; canvass %s; %s",
		ds->def->id, ds->def->version, returns_words(ds), (unsigned long long)ds->sequence,
		hex, CANVASS_VERSION, classification());
}

/* The member's name and code of a named entry: "Kenya Revenue Authority (KE)". */
static void named(FILE *out, const struct digest_entry *e, void (*put)(FILE *, const char *))
{
	put(out, e->row->reg != NULL ? e->row->reg->name : e->row->member);
	fputs(" (", out);
	put(out, e->row->member);
	fputc(')', out);
}

static void section_counts(FILE *out, const struct digest_section *s)
{
	fprintf(out, "%zu member%s shared: %zu with %s name, %zu anonymously.", s->n,
		s->n == 1 ? "" : "s", s->named, s->named == 1 ? "its" : "their", s->anonymous);
}

/* ------------------------------------------------------------ HTML */

static const char digest_style[] =
	"<style>\n"
	".entry{border-left:3px solid #0072B2;padding:2px 0 2px 12px;margin:10px 0 14px;"
	"break-inside:avoid;page-break-inside:avoid}\n"
	".entry h4{margin:0 0 4px;font-size:14px}\n"
	".entry dl{margin:0}.entry dt{font-weight:bold;font-size:13px;margin-top:4px}\n"
	".entry dd{margin:0 0 2px;white-space:pre-wrap}\n"
	".edited{font-weight:normal;font-size:12px;color:#444}\n"
	"</style>\n";

static void html_entry(FILE *out, const struct digest_entry *e)
{
	fputs("<article class=\"entry\">\n<h4>", out);
	if (e->level == QSHARE_WITH_NAME)
		named(out, e, esc);
	else
		fputs("A member, anonymously", out);
	fputs("</h4>\n<dl>\n", out);
	for (size_t f = 0; f < e->n_fields; f++) {
		fputs("<dt>", out);
		esc(out, e->fields[f].label);
		if (e->fields[f].edited)
			fputs(" <span class=\"edited\">(edited by the Secretariat)</span>", out);
		fputs("</dt>\n<dd>", out);
		esc(out, e->fields[f].text);
		fputs("</dd>\n", out);
	}
	fputs("</dl>\n</article>\n", out);
}

int render_digest_html(const struct digest *d, FILE *out)
{
	const struct dataset *ds = d->ds;
	char v[32];

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
	      "Good-practice digest: ",
	      out);
	esc(out, ds->def->title);
	fputs("</title>\n", out);
	fputs(render_print_style, out);
	fputs(digest_style, out);
	fputs("</head>\n<body>\n<main>\n", out);
	if (render_confidential())
		fprintf(out, "<p><b>%s</b></p>\n", RENDER_CONFIDENTIAL);
	fputs("<h1>Good-practice digest</h1>\n<p>", out);
	esc(out, ds->def->title);
	fputs(", cycle ", out);
	esc(out, ds->cycle);
	fputs("</p>\n<p class=\"stamp\">", out);
	stamp(out, ds);
	fputs("</p>\n", out);
	fputs("<section class=\"headline\">\n", out);
	snprintf(v, sizeof v, "%zu", d->members);
	render_html_headline(out, "Members who shared", v, "with their consent, in this digest");
	snprintf(v, sizeof v, "%zu", d->n_sections);
	render_html_headline(out, "Key factors", v, "with at least one entry");
	fputs("</section>\n", out);
	fprintf(out,
		"<p class=\"note\">Each member chose, in its answers, whether to share its "
		"initiatives with its name or anonymously. An anonymous entry names neither the "
		"member nor, where fewer than %zu members of its region share anonymously about "
		"a key factor, its region (those stand under \"Region not given\"). Anonymous "
		"entries are listed in the order of their text.</p>\n",
		d->k);
	if (d->n_sections == 0)
		fputs("<p>No member shared an initiative in this cycle.</p>\n", out);
	for (size_t s = 0; s < d->n_sections; s++) {
		const struct digest_section *sec = &d->sections[s];
		fputs("<section>\n<h2>", out);
		esc(out, sec->title);
		fputs("</h2>\n<p class=\"note\">", out);
		section_counts(out, sec);
		fputs("</p>\n", out);
		for (size_t i = 0; i < sec->n; i++) {
			if (i == 0 || sec->entries[i].group != sec->entries[i - 1].group) {
				fputs("<h3>", out);
				esc(out, digest_group_name(d, sec->entries[i].group));
				fputs("</h3>\n", out);
			}
			html_entry(out, &sec->entries[i]);
		}
		fputs("</section>\n", out);
	}
	fputs("</main>\n</body>\n</html>\n", out);
	return ferror(out) ? CV_EIO : 0;
}

/* -------------------------------------------------------- Markdown */

/*
 * Text as Markdown reads it back: every character Markdown could take for
 * markup escaped (a backslash before ASCII punctuation, an entity for <, &
 * and =, which no backslash escapes), a line break as a hard break.
 */
static void md_text(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\r' && s[1] == '\n')
			continue;
		if (c == '\n' || c == '\r')
			fputs("  \n", out);
		else if (c == '<')
			fputs("&lt;", out);
		else if (c == '&')
			fputs("&amp;", out);
		else if (c == '=')
			fputs("&#61;", out);
		else if (c == '>')
			fputs("&gt;", out);
		else if (c == '|')
			fputs("&#124;", out);
		else if (c == '~')
			fputs("&#126;", out);
		else if (strchr("\\`*_{}[]()#+-.!", c) != NULL)
			fprintf(out, "\\%c", c);
		else if (c == ' ' && (s[1] == '\n' || s[1] == '\0' || s[1] == '\r'))
			fputs("&#32;", out); /* trailing blanks would make a hard break */
		else
			fputc(c, out);
	}
}

int render_digest_markdown(const struct digest *d, FILE *out)
{
	const struct dataset *ds = d->ds;

	if (render_confidential())
		fprintf(out, "**%s**\n\n", RENDER_CONFIDENTIAL);
	fputs("# Good-practice digest\n\n", out);
	md_text(out, ds->def->title);
	fputs(", cycle ", out);
	md_text(out, ds->cycle);
	fputs("\n\n*", out);
	stamp(out, ds);
	fputs("*\n\n", out);
	fprintf(out,
		"%zu member%s shared. An anonymous entry names neither the member nor, where "
		"fewer than %zu members of its region share anonymously about a key factor, its "
		"region.\n",
		d->members, d->members == 1 ? "" : "s", d->k);
	for (size_t s = 0; s < d->n_sections; s++) {
		const struct digest_section *sec = &d->sections[s];
		fputs("\n## ", out);
		md_text(out, sec->title);
		fputs("\n\n", out);
		section_counts(out, sec);
		fputc('\n', out);
		for (size_t i = 0; i < sec->n; i++) {
			const struct digest_entry *e = &sec->entries[i];
			if (i == 0 || e->group != sec->entries[i - 1].group) {
				fputs("\n### ", out);
				md_text(out, digest_group_name(d, e->group));
				fputc('\n', out);
			}
			fputs("\n#### ", out);
			if (e->level == QSHARE_WITH_NAME)
				named(out, e, md_text);
			else
				fputs("A member, anonymously", out);
			fputc('\n', out);
			for (size_t f = 0; f < e->n_fields; f++) {
				fputs("\n**", out);
				md_text(out, e->fields[f].label);
				fputs(e->fields[f].edited ? "** (edited by the Secretariat)\n\n"
							  : "**\n\n",
				      out);
				md_text(out, e->fields[f].text);
				fputc('\n', out);
			}
		}
	}
	return ferror(out) ? CV_EIO : 0;
}

/* ------------------------------------------------------------ JSON */

static json_t *entry_json(const struct digest *d, const struct digest_entry *e)
{
	json_t *o = json_object(), *fields = json_array();

	json_object_set_new(o, "sharing", json_string(sharing_name(e)));
	if (e->level == QSHARE_WITH_NAME) {
		json_object_set_new(o, "member", json_string(e->row->member));
		json_object_set_new(o, "name",
				    json_string(e->row->reg ? e->row->reg->name : e->row->member));
	}
	json_object_set_new(o, "region",
			    digest_group_withheld(d, e->group) || e->group >= d->n_regions
				    ? json_null()
				    : json_string(digest_group_name(d, e->group)));
	for (size_t f = 0; f < e->n_fields; f++)
		json_array_append_new(fields,
				      json_pack("{ss ss ss sb}", "question", e->fields[f].q->id,
						"label", e->fields[f].label, "text",
						e->fields[f].text, "edited", e->fields[f].edited));
	json_object_set_new(o, "fields", fields);
	return o;
}

int render_digest_json(const struct digest *d, FILE *out)
{
	json_t *root = render_json_stamp("digest", d->ds, false), *secs = json_array();
	int rc;

	if (root == NULL || secs == NULL) {
		json_decref(root);
		json_decref(secs);
		return CV_ENOMEM;
	}
	json_object_set_new(root, "classification", json_string(classification()));
	json_object_set_new(root, "returns",
			    json_string(d->ds->approved_only ? "approved" : "all"));
	json_object_set_new(root, "anonymity", json_pack("{sI}", "threshold", (json_int_t)d->k));
	json_object_set_new(root, "counts", json_pack("{sI}", "members", (json_int_t)d->members));
	for (size_t s = 0; s < d->n_sections; s++) {
		const struct digest_section *sec = &d->sections[s];
		json_t *entries = json_array();
		for (size_t i = 0; i < sec->n; i++)
			json_array_append_new(entries, entry_json(d, &sec->entries[i]));
		json_array_append_new(secs,
				      json_pack("{ss ss sI sI sI so}", "id", sec->id, "title",
						sec->title, "members", (json_int_t)sec->n,
						"with_name", (json_int_t)sec->named, "anonymously",
						(json_int_t)sec->anonymous, "entries", entries));
	}
	json_object_set_new(root, "sections", secs);
	rc = json_dumpf(root, out, JSON_INDENT(1));
	fputc('\n', out);
	json_decref(root);
	return rc == 0 && !ferror(out) ? 0 : CV_EIO;
}

/* ------------------------------------------------------------- CSV */

/* One row per field: what the xlsx workbook is made of. */
int render_digest_csv(const struct digest *d, FILE *out)
{
	fputs("section,section_title,region,sharing,member,name,question,field,text,edited\r\n",
	      out);
	for (size_t s = 0; s < d->n_sections; s++) {
		const struct digest_section *sec = &d->sections[s];
		for (size_t i = 0; i < sec->n; i++) {
			const struct digest_entry *e = &sec->entries[i];
			bool anon = e->level == QSHARE_ANONYMOUSLY;
			for (size_t f = 0; f < e->n_fields; f++) {
				render_csv_field(out, sec->id);
				fputc(',', out);
				render_csv_field(out, sec->title);
				fputc(',', out);
				render_csv_field(out, digest_group_name(d, e->group));
				fprintf(out, ",%s,", sharing_name(e));
				render_csv_field(out, anon ? "" : e->row->member);
				fputc(',', out);
				render_csv_field(out, anon          ? ""
						      : e->row->reg ? e->row->reg->name
								    : e->row->member);
				fputc(',', out);
				render_csv_field(out, e->fields[f].q->id);
				fputc(',', out);
				render_csv_field(out, e->fields[f].label);
				fputc(',', out);
				render_csv_field(out, e->fields[f].text);
				fprintf(out, ",%s\r\n", e->fields[f].edited ? "true" : "false");
			}
		}
	}
	return ferror(out) ? CV_EIO : 0;
}
