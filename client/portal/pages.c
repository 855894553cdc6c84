#include "pages.h"
#include "util.h"
#include "wire.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

const char pages_css[] =
	"body{font:16px/1.5 'DejaVu Sans',Arial,sans-serif;color:#111;background:#fff;"
	"max-width:60em;margin:0 auto;padding:0 1em 3em}\n"
	"header{border-bottom:2px solid #1a4f8b;margin-bottom:1em;display:flex;"
	"flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:1em}\n"
	"h1{font-size:1.6em;margin:.6em 0 .2em}h2{font-size:1.3em;margin:1.2em 0 .4em}\n"
	"a{color:#0b4a8b}a:focus,input:focus,button:focus,select:focus,textarea:focus{"
	"outline:3px solid #c25400;outline-offset:2px}\n"
	"table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #bbb;"
	"padding:.4em;text-align:left;vertical-align:top}\n"
	"fieldset.section{border:1px solid #888;border-radius:4px;margin:1.2em 0;"
	"padding:.6em 1em}fieldset.section>legend{font-weight:bold;font-size:1.15em;"
	"padding:0 .3em}\n"
	".q{margin:1em 0;padding:.5em 0;border-top:1px solid #ddd}.q fieldset{border:0;"
	"margin:0;padding:0}.q legend,.q>label{font-weight:bold;display:block;margin-bottom:.3em}\n"
	".q input[type=text],.q textarea,.q select{font:inherit;padding:.3em;border:1px solid "
	"#555;border-radius:3px}.q textarea{width:100%;min-height:4em}.q input[type=text]{"
	"width:14em;max-width:100%}\n"
	".choice{display:block;margin:.2em 0}.hint{display:block;color:#333;font-size:.95em;"
	"margin-top:.2em}\n"
	".warnbox{background:#fdf6e3;border:1px solid #8a6100;padding:.5em 1em}\n"
	".na{color:#333}.req{color:#8b0000}\n"
	".share{margin:.3em 0 0;font-size:.95em;color:#1f3d1f}\n"
	".error{color:#8b0000;font-weight:bold}.warning{color:#6b4500}\n"
	".query{border-left:4px solid #1a4f8b;background:#eef3fa;padding:.4em .8em;margin:.4em 0}\n"
	".note{background:#eef7ee;border:1px solid #2e6b2e;padding:.5em 1em}\n"
	".alert{background:#fbeeee;border:1px solid #8b0000;padding:.5em 1em}\n"
	".actions{display:flex;flex-wrap:wrap;gap:.6em;margin:1.5em 0}\n"
	".visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;"
	"clip:rect(0 0 0 0);white-space:nowrap}\n"
	"button{font:inherit;padding:.4em 1em;border:1px solid #1a4f8b;border-radius:4px;"
	"background:#1a4f8b;color:#fff;cursor:pointer}button.secondary{background:#fff;"
	"color:#1a4f8b}\n";

void pages_escape(FILE *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

#define esc pages_escape

/* A definition's text in the page's language (its default language when it has no such text). */
static enum qlang qlang_of(enum lang lang)
{
	return lang == LANG_FR ? QLANG_FR : QLANG_EN;
}
#define TITLE(lang, def) qdef_text((def)->title, (def)->title_tr, qlang_of(lang))
#define QTEXT(lang, q)   qdef_text((q)->text, (q)->text_tr, qlang_of(lang))
#define SECTION(lang, def, s)                                                                      \
	qdef_text((def)->sections[s].title, (def)->sections[s].title_tr, qlang_of(lang))
#define LABEL(lang, q, k) qdef_text((q)->options[k].label, (q)->options[k].label_tr, qlang_of(lang))

static void head(FILE *out, enum lang lang, const char *title)
{
	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>",
		i18n_code(lang));
	esc(out, title);
	fputs("</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n", out);
}

static void url_encode(FILE *out, const char *s);

/*
 * The top of every page: the returns, the other language (back to this
 * page: the form of q and c, or the returns when q is NULL).
 */
static void banner(FILE *out, enum lang lang, const char *q, const char *c)
{
	fputs("<header><p><a href=\"/\">", out);
	esc(out, i18n(lang, M_RETURNS));
	fprintf(out, "</a></p><p><a href=\"/lang?l=%s&amp;next=", lang == LANG_FR ? "en" : "fr");
	if (q == NULL) {
		fputs("%2F", out);
	} else {
		/* next is itself a URL: its own query encoded once more. */
		char *inner = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&inner, &len);
		if (m != NULL) {
			fputs("/form?q=", m);
			url_encode(m, q);
			fputs("&c=", m);
			url_encode(m, c);
			fclose(m);
			url_encode(out, inner);
			free(inner);
		}
	}
	fprintf(out, "\" lang=\"%s\">", lang == LANG_FR ? "en" : "fr");
	esc(out, i18n(lang, M_LANGUAGE));
	fputs("</a></p></header>\n<main>\n", out);
}

static void foot(FILE *out)
{
	fputs("</main>\n</body>\n</html>\n", out);
}

/* s percent-encoded for a query string: letters, digits and -_. as they are. */
static void url_encode(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.')
			fputc(c, out);
		else
			fprintf(out, "%%%02X", c);
	}
}

/* "/form?q=ID&c=CYCLE" for the form of a return, escaped for an attribute. */
static void form_href(FILE *out, const char *path, const char *q, const char *c)
{
	fprintf(out, "%s?q=", path);
	url_encode(out, q);
	fputs("&amp;c=", out);
	url_encode(out, c);
}

static void date_of(int64_t ms, char *buf, size_t len)
{
	cv_utc_time(ms, buf, len);
	if (strlen(buf) >= 10)
		buf[10] = '\0'; /* the day: YYYY-MM-DD */
}

void page_returns(FILE *out, enum lang lang, const char *member, const struct return_row *rows,
		  size_t n, const char *note)
{
	head(out, lang, i18n(lang, M_TITLE));
	banner(out, lang, NULL, NULL);
	fputs("<h1>", out);
	esc(out, i18n(lang, M_RETURNS));
	fputs(" (", out);
	esc(out, member);
	fputs(")</h1>\n", out);
	if (note != NULL) {
		fputs("<p class=\"note\" role=\"status\">", out);
		esc(out, note);
		fputs("</p>\n", out);
	}
	if (n == 0) {
		fputs("<p>", out);
		esc(out, i18n(lang, M_NO_OPEN_CYCLE));
		fputs("</p>\n", out);
		foot(out);
		return;
	}
	fputs("<table>\n<thead><tr>", out);
	for (enum msg m = M_QUESTIONNAIRE; m <= M_ACTION; m++) {
		fputs("<th scope=\"col\">", out);
		esc(out, i18n(lang, m));
		fputs("</th>", out);
	}
	fputs("</tr></thead>\n<tbody>\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct return_row *r = &rows[i];
		const Canvass__ReturnStatus *st = r->state;
		size_t open = st ? wire_return_open_queries(st) : 0;
		char due[32];
		enum msg verb = M_FILL_IN;
		date_of(r->cycle->due_ms, due, sizeof due);
		fputs("<tr><td>", out);
		esc(out, TITLE(lang, r->def));
		fputs("</td><td>", out);
		esc(out, r->cycle->cycle);
		fputs("</td><td>", out);
		esc(out, due);
		if (r->late) {
			fputs(" (", out);
			esc(out, i18n(lang, M_LATE));
			fputs(")", out);
		}
		fputs("</td><td>", out);
		if (st == NULL) {
			esc(out, i18n(lang, r->draft ? M_DRAFT : M_NOT_STARTED));
		} else {
			verb = M_REVISE;
			esc(out, i18n(lang, M_SUBMITTED));
			fprintf(out, " %u", st->receipt ? st->receipt->revision : 0);
			if (st->receipt != NULL && st->receipt->late) {
				fputs(", ", out);
				esc(out, i18n(lang, M_LATE));
			}
			if (st->state == CANVASS__RETURN_STATE__QUERIED) {
				fputs("; ", out);
				esc(out, i18n(lang, M_QUERIED));
			} else if (st->state == CANVASS__RETURN_STATE__APPROVED) {
				fputs("; ", out);
				esc(out, i18n(lang, M_APPROVED));
				verb = M_VIEW;
			}
			if (r->draft) {
				fputs("; ", out);
				esc(out, i18n(lang, M_DRAFT));
			}
		}
		fprintf(out, "</td><td>%zu</td><td><a href=\"", open);
		form_href(out, "/form", r->def->id, r->cycle->cycle);
		fputs("\">", out);
		esc(out, i18n(lang, verb));
		fputs("<span class=\"visually-hidden\"> ", out);
		esc(out, r->def->id);
		fputs(" ", out);
		esc(out, r->cycle->cycle);
		fputs("</span></a></td></tr>\n", out);
	}
	fputs("</tbody>\n</table>\n", out);
	foot(out);
}

/* The form value of option k of q: its id, or a scale level's number (into buf). */
static const char *option_value(const struct question *q, size_t k, char *buf, size_t len)
{
	if (q->type != QT_SCALE)
		return q->options[k].id;
	snprintf(buf, len, "%lld", (long long)q->options[k].value);
	return buf;
}

/* The label of option k of q: a scale level's "2 (Regular communication)". */
static void option_label(FILE *out, enum lang lang, const struct question *q, size_t k)
{
	if (q->type == QT_SCALE) {
		fprintf(out, "%lld", (long long)q->options[k].value);
		if (q->options[k].label != NULL) {
			fputs(" (", out);
			esc(out, LABEL(lang, q, k));
			fputs(")", out);
		}
		return;
	}
	esc(out, q->options[k].label ? LABEL(lang, q, k) : q->options[k].id);
}

/* The problems a reply names for question id (or, id NULL, for none), as list items. */
static size_t problems_at(FILE *out, const Canvass__Reply *r, const char *id, bool warnings)
{
	size_t n = 0;
	for (size_t i = 0; r != NULL && i < r->n_problems; i++) {
		const Canvass__Problem *p = r->problems[i];
		bool warn = p->severity == CANVASS__SEVERITY__SEVERITY_WARNING;
		if (warn != warnings || (id ? strcmp(p->question, id) != 0 : p->question[0] != 0))
			continue;
		fprintf(out, "<p class=\"%s\">", warn ? "warning" : "error");
		esc(out, p->message);
		fputs(" (", out);
		esc(out, p->code);
		fputs(")</p>\n", out);
		n++;
	}
	return n;
}

static bool has_problem(const Canvass__Reply *r, const char *id)
{
	for (size_t i = 0; r != NULL && i < r->n_problems; i++)
		if (strcmp(r->problems[i]->question, id) == 0)
			return true;
	return false;
}

/* The id attribute of q's first control (where "Go to the question" leads). */
static void control_id(FILE *out, const struct question *q)
{
	fputs("a.", out);
	esc(out, q->id);
}

/* The hint under a question: the definition's hint, its bounds and unit. */
static void hint(FILE *out, enum lang lang, const struct question *q)
{
	bool any = false;
	fputs("<span class=\"hint\" id=\"h-", out);
	esc(out, q->id);
	fputs("\">", out);
	if (q->hint != NULL) {
		esc(out, qdef_text(q->hint, q->hint_tr, qlang_of(lang)));
		fputs(q->has_min || q->has_max || q->unit ? ". " : "", out);
	}
	if (q->has_min) {
		fprintf(out, "%s %g", i18n(lang, M_MIN), q->min);
		any = true;
	}
	if (q->has_max) {
		fprintf(out, "%s%s %g", any ? ", " : "", i18n(lang, M_MAX), q->max);
		any = true;
	}
	if (q->unit != NULL) {
		fprintf(out, "%s%s: ", any ? ", " : "", i18n(lang, M_UNIT));
		esc(out, q->unit);
	}
	fputs("</span>", out);
}

/* A radio or checkbox with its label. */
static void choice(FILE *out, const char *type, const struct question *q, const char *value,
		   size_t k, bool checked, bool disabled)
{
	fprintf(out, "<span class=\"choice\"><input type=\"%s\" name=\"", type);
	control_id(out, q);
	fputs("\" id=\"", out);
	control_id(out, q);
	if (k > 0)
		fprintf(out, ".%zu", k);
	fputs("\" value=\"", out);
	esc(out, value);
	fprintf(out, "\"%s%s> <label for=\"", checked ? " checked" : "",
		disabled ? " disabled" : "");
	control_id(out, q);
	if (k > 0)
		fprintf(out, ".%zu", k);
	fputs("\">", out);
}

/* The special answers of a question whose control is not a radio group: a select. */
static void special_select(FILE *out, enum lang lang, const struct form *f,
			   const struct question *q, bool disabled)
{
	const char *sp = form_special(f, q);
	if (!q->allow_not_applicable && !q->allow_dont_know)
		return;
	fputs("<span class=\"choice\"><label for=\"s.", out);
	esc(out, q->id);
	fputs("\">", out);
	esc(out, i18n(lang, M_ANSWER));
	fputs(":</label> <select name=\"s.", out);
	esc(out, q->id);
	fputs("\" id=\"s.", out);
	esc(out, q->id);
	fprintf(out, "\"%s><option value=\"\">-</option>", disabled ? " disabled" : "");
	if (q->allow_not_applicable)
		fprintf(out, "<option value=\"not_applicable\"%s>%s</option>",
			sp && strcmp(sp, "not_applicable") == 0 ? " selected" : "",
			i18n(lang, M_NOT_APPLICABLE));
	if (q->allow_dont_know)
		fprintf(out, "<option value=\"dont_know\"%s>%s</option>",
			sp && strcmp(sp, "dont_know") == 0 ? " selected" : "",
			i18n(lang, M_DONT_KNOW));
	fputs("</select></span>", out);
}

/* The decision in force on a shared answer (question "" : the whole return), or NULL. */
static const Canvass__Editorial *editorial(const Canvass__ReturnStatus *state, const char *id)
{
	for (size_t k = 0; state != NULL && k < state->n_editorial; k++)
		if (strcmp(state->editorial[k]->question, id) == 0)
			return state->editorial[k];
	return NULL;
}

/*
 * Under a shared answer: whether and how the good-practice digest will
 * show it, from the consent answer as the form stands and the
 * Secretariat's decisions (docs/portal.md).
 */
static void sharing(FILE *out, enum lang lang, const struct form *f, const struct question *q,
		    const Canvass__ReturnStatus *state)
{
	const Canvass__Editorial *all = editorial(state, ""), *d = editorial(state, q->id);
	const struct question *c = q->consent_by;
	enum msg m = form_chosen(f, c, "with_name")     ? M_SHARE_WITH_NAME
		     : form_chosen(f, c, "anonymously") ? M_SHARE_ANONYMOUSLY
							: M_SHARE_NO;
	char num[FORM_NUMBER_MAX];

	if (m != M_SHARE_NO && all != NULL && all->excluded)
		d = all;
	if (m != M_SHARE_NO && d != NULL && d->excluded)
		m = M_SHARE_EXCLUDED;
	fputs("<p class=\"share\" id=\"s-", out);
	esc(out, q->id);
	fprintf(out, "\"><strong>%s:</strong> ", i18n(lang, M_DIGEST));
	esc(out, i18n(lang, m));
	if (m == M_SHARE_EXCLUDED) {
		fputs(" (", out);
		esc(out, d->comment);
		fputs(")", out);
	} else if (m != M_SHARE_NO && d != NULL && !d->excluded) {
		const char *now = form_typed(f, q, num);
		uint8_t h[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(h, (const unsigned char *)now, strlen(now));
		fputs("; ", out);
		if (d->answer_hash.len != sizeof h || memcmp(d->answer_hash.data, h, sizeof h)) {
			esc(out, i18n(lang, M_SHARE_HELD));
		} else {
			esc(out, i18n(lang, M_SHARE_EDITED));
			fputs(" (", out);
			esc(out, d->comment);
			fputs("): <q>", out);
			esc(out, d->text);
			fputs("</q>", out);
		}
	}
	fputs("</p>\n", out);
}

static void question(FILE *out, enum lang lang, const struct form *f, size_t i,
		     const Canvass__ReturnStatus *state, const Canvass__Reply *reply, bool locked)
{
	const struct question *q = &f->def->questions[i];
	const char *sp = form_special(f, q);
	bool radios = q->type == QT_YES_NO || q->type == QT_SCALE || q->type == QT_CHOICE;
	bool group = radios || q->type == QT_MULTI_CHOICE;
	char described[320], num[FORM_NUMBER_MAX];

	fputs("<div class=\"q\" id=\"q-", out);
	esc(out, q->id);
	fputs("\">\n", out);
	/* An open query of the Secretariat, beside the question it concerns. */
	for (size_t k = 0; state != NULL && k < state->n_queries; k++) {
		const Canvass__Query *qq = state->queries[k];
		for (size_t j = 0; qq->closed_sequence == 0 && j < qq->n_questions; j++)
			if (strcmp(qq->questions[j], q->id) == 0) {
				fputs("<div class=\"query\" role=\"note\"><strong>", out);
				esc(out, i18n(lang, M_QUERY_FROM));
				fputs(":</strong> ", out);
				esc(out, qq->comment);
				fputs("</div>\n", out);
			}
	}
	if (!f->applies[i]) {
		fputs("<p class=\"na\"><strong>", out);
		esc(out, QTEXT(lang, q));
		fputs("</strong><br>", out);
		esc(out, i18n(lang, M_DOES_NOT_APPLY));
		fputs("</p>\n</div>\n", out);
		return;
	}
	snprintf(described, sizeof described, "h-%s%s%s%s%s%s%s", q->id,
		 has_problem(reply, q->id) ? " e-" : "", has_problem(reply, q->id) ? q->id : "",
		 json_object_get(f->unparsed, q->id) ? " t-" : "",
		 json_object_get(f->unparsed, q->id) ? q->id : "", q->share ? " s-" : "",
		 q->share ? q->id : "");
	if (group) {
		fputs("<fieldset aria-describedby=\"", out);
		esc(out, described);
		fputs("\"><legend>", out);
	} else {
		fputs("<label for=\"", out);
		control_id(out, q);
		fputs("\">", out);
	}
	esc(out, QTEXT(lang, q));
	if (q->required) {
		fputs(" <span class=\"req\">(", out);
		esc(out, i18n(lang, M_REQUIRED));
		fputs(")</span>", out);
	}
	fputs(group ? "</legend>\n" : "</label>\n", out);
	switch (q->type) {
	case QT_YES_NO:
		choice(out, "radio", q, "yes", 1, form_chosen(f, q, "yes"), locked);
		fprintf(out, "%s</label></span>\n", i18n(lang, M_YES));
		choice(out, "radio", q, "no", 2, form_chosen(f, q, "no"), locked);
		fprintf(out, "%s</label></span>\n", i18n(lang, M_NO));
		break;
	case QT_SCALE:
	case QT_CHOICE:
	case QT_MULTI_CHOICE:
		for (size_t k = 0; k < q->n_options; k++) {
			char level[32];
			const char *id = option_value(q, k, level, sizeof level);
			choice(out, q->type == QT_MULTI_CHOICE ? "checkbox" : "radio", q, id, k + 1,
			       form_chosen(f, q, id), locked);
			option_label(out, lang, q, k);
			fputs("</label></span>\n", out);
		}
		break;
	case QT_INTEGER:
	case QT_NUMBER:
		fputs("<input type=\"text\" inputmode=\"", out);
		fputs(q->type == QT_INTEGER ? "numeric" : "decimal", out);
		fputs("\" name=\"", out);
		control_id(out, q);
		fputs("\" id=\"", out);
		control_id(out, q);
		fputs("\" value=\"", out);
		esc(out, sp ? "" : form_typed(f, q, num));
		fputs("\" aria-describedby=\"", out);
		esc(out, described);
		fprintf(out, "\"%s>\n", locked ? " disabled" : "");
		break;
	case QT_TEXT:
		fputs("<textarea name=\"", out);
		control_id(out, q);
		fputs("\" id=\"", out);
		control_id(out, q);
		fputs("\"", out);
		if (q->max_length > 0)
			fprintf(out, " maxlength=\"%zu\"", q->max_length);
		fputs(" aria-describedby=\"", out);
		esc(out, described);
		fprintf(out, "\"%s>", locked ? " disabled" : "");
		esc(out, sp ? "" : form_typed(f, q, num));
		fputs("</textarea>\n", out);
		break;
	}
	if (radios) {
		size_t k = q->n_options + 3;
		if (q->allow_not_applicable) {
			choice(out, "radio", q, "special:not_applicable", k++,
			       sp && strcmp(sp, "not_applicable") == 0, locked);
			fprintf(out, "%s</label></span>\n", i18n(lang, M_NOT_APPLICABLE));
		}
		if (q->allow_dont_know) {
			choice(out, "radio", q, "special:dont_know", k,
			       sp && strcmp(sp, "dont_know") == 0, locked);
			fprintf(out, "%s</label></span>\n", i18n(lang, M_DONT_KNOW));
		}
	} else {
		special_select(out, lang, f, q, locked);
	}
	hint(out, lang, q);
	if (q->share)
		sharing(out, lang, f, q, state);
	if (group)
		fputs("</fieldset>\n", out);
	if (json_object_get(f->unparsed, q->id) != NULL) {
		fputs("<p class=\"error\" id=\"t-", out);
		esc(out, q->id);
		fputs("\">&laquo;", out);
		esc(out, form_typed(f, q, num));
		fprintf(out, "&raquo; %s</p>\n",
			i18n(lang, q->type == QT_NUMBER ? M_NOT_A_NUMBER : M_NOT_A_WHOLE_NUMBER));
	}
	if (has_problem(reply, q->id)) {
		fputs("<div id=\"e-", out);
		esc(out, q->id);
		fputs("\">\n", out);
		problems_at(out, reply, q->id, false);
		problems_at(out, reply, q->id, true);
		fputs("</div>\n", out);
	}
	fputs("</div>\n", out);
}

/*
 * Every problem of the reply, with a link to its question: on the form
 * itself (elsewhere false), or from another page to the form's question.
 */
static void problem_list(FILE *out, enum lang lang, const struct form *f,
			 const Canvass__Reply *reply, bool elsewhere)
{
	for (int warnings = 0; warnings < 2; warnings++) {
		size_t n = 0;
		for (size_t i = 0; i < reply->n_problems; i++)
			n += (reply->problems[i]->severity ==
			      CANVASS__SEVERITY__SEVERITY_WARNING) == (warnings == 1);
		if (n == 0)
			continue;
		fprintf(out, "<div class=\"%s\" role=\"alert\"><h2>",
			warnings ? "warnbox" : "alert");
		esc(out, i18n(lang, warnings ? M_WARNINGS : M_PROBLEMS));
		fputs("</h2>\n<ul>\n", out);
		for (size_t i = 0; i < reply->n_problems; i++) {
			const Canvass__Problem *p = reply->problems[i];
			const struct question *q = qdef_question(f->def, p->question);
			if ((p->severity == CANVASS__SEVERITY__SEVERITY_WARNING) != (warnings == 1))
				continue;
			fputs("<li>", out);
			if (q != NULL) {
				fputs("<a href=\"", out);
				if (elsewhere)
					form_href(out, "/form", f->def->id, f->cycle);
				fputs("#q-", out);
				esc(out, q->id);
				fputs("\">", out);
				esc(out, QTEXT(lang, q));
				fputs("</a>: ", out);
			}
			esc(out, p->message);
			fputs("</li>\n", out);
		}
		fputs("</ul></div>\n", out);
	}
}

void page_form(FILE *out, enum lang lang, const struct form *f, const Canvass__ReturnStatus *state,
	       const Canvass__Reply *reply, const char *note, bool has_previous)
{
	bool locked = state != NULL && state->state == CANVASS__RETURN_STATE__APPROVED;

	head(out, lang, TITLE(lang, f->def));
	banner(out, lang, f->def->id, f->cycle);
	fputs("<h1>", out);
	esc(out, TITLE(lang, f->def));
	fputs("</h1>\n<p>", out);
	esc(out, i18n(lang, M_CYCLE));
	fputs(" ", out);
	esc(out, f->cycle);
	fputs(" &middot; ", out);
	esc(out, f->member);
	fputs("</p>\n", out);
	if (note != NULL) {
		fputs("<p class=\"note\" role=\"status\">", out);
		esc(out, note);
		fputs("</p>\n", out);
	}
	if (locked) {
		fputs("<p class=\"note\">", out);
		esc(out, i18n(lang, M_LOCKED_FORM));
		fputs("</p>\n", out);
	}
	if (reply != NULL)
		problem_list(out, lang, f, reply, false);
	/* Queries on the whole return (no question named). */
	for (size_t k = 0; state != NULL && k < state->n_queries; k++)
		if (state->queries[k]->closed_sequence == 0 &&
		    state->queries[k]->n_questions == 0) {
			fputs("<div class=\"query\" role=\"note\"><strong>", out);
			esc(out, i18n(lang, M_QUERY_FROM));
			fputs(":</strong> ", out);
			esc(out, state->queries[k]->comment);
			fputs("</div>\n", out);
		}
	if (has_previous && !locked) {
		fputs("<p><a href=\"", out);
		form_href(out, "/form", f->def->id, f->cycle);
		fputs("&amp;from=previous\">", out);
		esc(out, i18n(lang, M_FROM_PREVIOUS));
		fputs("</a></p>\n", out);
	}
	fputs("<form method=\"post\" action=\"", out);
	form_href(out, "/form", f->def->id, f->cycle);
	fputs("\">\n", out);
	for (size_t i = 0; i < f->def->n_questions; i++) {
		const struct question *q = &f->def->questions[i];
		if (i == 0 || q->section != f->def->questions[i - 1].section) {
			if (i > 0)
				fputs("</fieldset>\n", out);
			fputs("<fieldset class=\"section\"><legend>", out);
			esc(out, SECTION(lang, f->def, q->section));
			fputs("</legend>\n", out);
		}
		question(out, lang, f, i, state, reply, locked);
	}
	if (f->def->n_questions > 0)
		fputs("</fieldset>\n", out);
	if (!locked) {
		fputs("<div class=\"actions\">\n", out);
		fprintf(out,
			"<button type=\"submit\" name=\"action\" value=\"save\" "
			"class=\"secondary\">%s</button>\n",
			i18n(lang, M_SAVE));
		fprintf(out,
			"<button type=\"submit\" name=\"action\" value=\"update\" "
			"class=\"secondary\">%s</button>\n",
			i18n(lang, M_UPDATE));
		fprintf(out,
			"<button type=\"submit\" name=\"action\" value=\"check\">%s</button>\n",
			i18n(lang, M_CHECK));
		fprintf(out,
			"<button type=\"submit\" name=\"action\" value=\"review\">%s</button>\n",
			i18n(lang, M_REVIEW_SEND));
		fputs("</div>\n", out);
	}
	fputs("</form>\n<p><a href=\"", out);
	form_href(out, "/json", f->def->id, f->cycle);
	fputs("\">", out);
	esc(out, i18n(lang, M_DOWNLOAD_JSON));
	fputs("</a></p>\n", out);
	foot(out);
}

/* q's answer as a person reads it (labels, not ids). */
static void answer_words(FILE *out, enum lang lang, const struct form *f, const struct question *q)
{
	const char *sp = form_special(f, q);
	char num[FORM_NUMBER_MAX];
	bool any = false;

	if (sp != NULL) {
		esc(out, i18n(lang, strcmp(sp, "dont_know") == 0 ? M_DONT_KNOW : M_NOT_APPLICABLE));
		return;
	}
	switch (q->type) {
	case QT_YES_NO:
		if (form_chosen(f, q, "yes") || form_chosen(f, q, "no")) {
			esc(out, i18n(lang, form_chosen(f, q, "yes") ? M_YES : M_NO));
			any = true;
		}
		break;
	case QT_SCALE:
	case QT_CHOICE:
	case QT_MULTI_CHOICE:
		for (size_t k = 0; k < q->n_options; k++) {
			char level[32];
			const char *id = option_value(q, k, level, sizeof level);
			if (form_chosen(f, q, id)) {
				fputs(any ? "; " : "", out);
				option_label(out, lang, q, k);
				any = true;
			}
		}
		break;
	default:
		if (json_object_get(f->answers, q->id) != NULL) {
			esc(out, form_typed(f, q, num));
			if (q->unit != NULL) {
				fputs(" ", out);
				esc(out, q->unit);
			}
			any = true;
		}
	}
	if (!any)
		esc(out, i18n(lang, M_NO_ANSWER));
}

void page_summary(FILE *out, enum lang lang, const struct form *f)
{
	head(out, lang, i18n(lang, M_SUMMARY));
	banner(out, lang, f->def->id, f->cycle);
	fputs("<h1>", out);
	esc(out, i18n(lang, M_SUMMARY));
	fputs("</h1>\n<p>", out);
	esc(out, TITLE(lang, f->def));
	fputs(" &middot; ", out);
	esc(out, i18n(lang, M_CYCLE));
	fputs(" ", out);
	esc(out, f->cycle);
	fputs("</p>\n<p>", out);
	esc(out, i18n(lang, M_SUMMARY_INTRO));
	fputs("</p>\n<table>\n", out);
	for (size_t i = 0; i < f->def->n_questions; i++) {
		const struct question *q = &f->def->questions[i];
		if (!f->applies[i])
			continue;
		fputs("<tr><th scope=\"row\">", out);
		esc(out, QTEXT(lang, q));
		fputs("</th><td>", out);
		answer_words(out, lang, f, q);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n<form method=\"post\" action=\"", out);
	form_href(out, "/send", f->def->id, f->cycle);
	fprintf(out,
		"\">\n<div class=\"actions\"><button type=\"submit\" name=\"action\" "
		"value=\"send\">%s</button> <a href=\"",
		i18n(lang, M_SEND));
	form_href(out, "/form", f->def->id, f->cycle);
	fputs("\">", out);
	esc(out, i18n(lang, M_BACK));
	fputs("</a></div>\n</form>\n", out);
	foot(out);
}

void page_receipt(FILE *out, enum lang lang, const struct form *f, int rc,
		  const Canvass__Reply *reply, const char *detail)
{
	enum msg words = M_NOT_DELIVERED;

	if (rc == 0 && reply != NULL) {
		switch (reply->status) {
		case CANVASS__STATUS__ACCEPTED: words = M_STORED; break;
		case CANVASS__STATUS__DUPLICATE: words = M_DUPLICATE; break;
		case CANVASS__STATUS__LOCKED: words = M_LOCKED; break;
		case CANVASS__STATUS__REJECTED: words = M_REJECTED; break;
		default: words = M_NOT_DELIVERED;
		}
		for (size_t i = 0; words == M_REJECTED && i < reply->n_problems; i++)
			if (strcmp(reply->problems[i]->code, "CYCLE_CLOSED") == 0)
				words = M_CLOSED;
	}
	head(out, lang, i18n(lang, M_RECEIPT));
	banner(out, lang, NULL, NULL);
	fputs("<h1>", out);
	esc(out, i18n(lang, M_RECEIPT));
	fputs("</h1>\n<p>", out);
	esc(out, TITLE(lang, f->def));
	fputs(" &middot; ", out);
	esc(out, f->cycle);
	fprintf(out, "</p>\n<p class=\"%s\" role=\"status\">",
		words == M_STORED || words == M_DUPLICATE ? "note" : "alert");
	esc(out, i18n(lang, words));
	if (rc != 0 && detail != NULL) {
		fputs(" (", out);
		esc(out, detail);
		fputs(")", out);
	}
	fputs("</p>\n", out);
	if (rc == 0 && reply != NULL && reply->receipt != NULL) {
		const Canvass__Receipt *r = reply->receipt;
		char hex[2 * 32 + 1] = "", when[40];
		if (r->content_hash.len == 32)
			cv_hex(r->content_hash.data, 32, hex);
		fprintf(out, "<table>\n<tr><th scope=\"row\">%s</th><td>%u</td></tr>\n",
			i18n(lang, M_REVISION), r->revision);
		fprintf(out, "<tr><th scope=\"row\">%s</th><td>%llu</td></tr>\n",
			i18n(lang, M_SEQUENCE), (unsigned long long)r->sequence);
		fprintf(out, "<tr><th scope=\"row\">%s</th><td><code>%s</code></td></tr>\n",
			i18n(lang, M_CONTENT_HASH), hex);
		fprintf(out, "<tr><th scope=\"row\">%s</th><td>%s, %s</td></tr>\n</table>\n",
			i18n(lang, M_STORED_AT), cv_utc_time(r->stored_at_ms, when, sizeof when),
			i18n(lang, r->late ? M_LATE_NOTE : M_ON_TIME));
	}
	if (rc == 0 && reply != NULL && reply->n_problems > 0)
		problem_list(out, lang, f, reply, true);
	fputs("<p><a href=\"", out);
	form_href(out, "/form", f->def->id, f->cycle);
	fputs("\">", out);
	esc(out, i18n(lang, M_BACK));
	fputs("</a></p>\n", out);
	foot(out);
}

void page_refused(FILE *out, enum lang lang, const char *words)
{
	head(out, lang, "canvass");
	fputs("<main>\n<h1>canvass</h1>\n<p class=\"alert\" role=\"alert\">", out);
	esc(out, words);
	fputs("</p>\n", out);
	foot(out);
}
