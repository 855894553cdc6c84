#include "xlsform.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "expr.h"
#include "qdef.h"

/* ------------------------------------------------------------ problems */

static void problem(struct xlsform_problems *p, const char *sheet, size_t row, size_t col,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void problem(struct xlsform_problems *p, const char *sheet, size_t row, size_t col,
		    const char *fmt, ...)
{
	char ref[16], msg[600], *item;
	va_list ap;

	if (p->n == XLSFORM_MAX_PROBLEMS) {
		p->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	xlsx_ref(row, col, ref);
	if ((item = malloc(strlen(sheet) + strlen(ref) + strlen(msg) + 4)) == NULL)
		return;
	sprintf(item, "%s!%s: %s", sheet, ref, msg);
	p->items[p->n++] = item;
}

void xlsform_problems_free(struct xlsform_problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->items[i]);
	p->n = p->more = 0;
}

/* ------------------------------------------------------------ the sheets */

#define NO_COL ((size_t)-1)

struct sheetcols {
	const struct xlsx_sheet *s;
	const char *name;
	const char *names[XLSX_MAX_COLS];
	bool used[XLSX_MAX_COLS];
};

/* The columns of a sheet's header row. */
static void header(struct sheetcols *c, const struct xlsx_sheet *s, const char *name)
{
	memset(c, 0, sizeof *c);
	c->s = s;
	c->name = name;
	for (size_t k = 0; s != NULL && k < s->cols; k++)
		c->names[k] = xlsx_cell(s, 0, k);
}

static size_t col(struct sheetcols *c, const char *name)
{
	for (size_t k = 0; c->s != NULL && k < c->s->cols; k++)
		if (c->names[k] != NULL && strcmp(c->names[k], name) == 0) {
			c->used[k] = true;
			return k;
		}
	return NO_COL;
}

static const char *cell(const struct sheetcols *c, size_t row, size_t k)
{
	return k == NO_COL ? NULL : xlsx_cell(c->s, row, k);
}

/* Columns no one asked for that hold something: a problem at their first cell. */
static void unused_columns(struct sheetcols *c, struct xlsform_problems *p)
{
	for (size_t k = 0; c->s != NULL && k < c->s->cols; k++) {
		if (c->used[k])
			continue;
		for (size_t r = 1; r < c->s->rows; r++)
			if (xlsx_cell(c->s, r, k) != NULL) {
				if (c->names[k] == NULL)
					problem(p, c->name, r, k, "a value under no column name");
				else
					problem(p, c->name, r, k,
						"the column \"%s\" has no meaning in canvass: "
						"leave it "
						"empty (docs/questionnaires.md lists the columns)",
						c->names[k]);
				break;
			}
	}
}

/* The languages of the label columns ("label::French (fr)" -> fr). */
struct langs {
	int code[QLANGS];
	size_t col[QLANGS];
	size_t n;
	size_t plain; /* a plain "label" column, or NO_COL */
};

static void label_columns(struct sheetcols *c, const char *base, struct langs *l,
			  struct xlsform_problems *p)
{
	size_t bl = strlen(base);
	l->n = 0;
	l->plain = col(c, base);
	for (size_t k = 0; c->s != NULL && k < c->s->cols; k++) {
		const char *h = c->names[k], *open, *close;
		char code[8] = "";
		int lang;
		if (h == NULL || strncmp(h, base, bl) != 0 || strncmp(h + bl, "::", 2) != 0)
			continue;
		c->used[k] = true;
		open = strrchr(h, '(');
		close = open ? strchr(open, ')') : NULL;
		if (open && close && close - open - 1 > 0 && close - open - 1 < (int)sizeof code)
			memcpy(code, open + 1, (size_t)(close - open - 1));
		lang = qlang_parse(code);
		if (lang < 0) {
			problem(p, c->name, 0, k,
				"\"%s\": canvass texts are in English (en) and French (fr), "
				"written "
				"label::English (en), label::French (fr)",
				h);
			continue;
		}
		if (l->n < QLANGS) {
			l->code[l->n] = lang;
			l->col[l->n++] = k;
		}
	}
}

/*
 * XLSForm's plain column (label, hint, form_title) beside translated ones
 * holds the default language's text (settings' default_language; English
 * when it is not given): folded in as that language's column.
 */
static void fold_plain(struct sheetcols *c, struct langs *l, int dflt, const char *base,
		       struct xlsform_problems *p)
{
	int code = dflt >= 0 ? dflt : QLANG_EN;
	if (l->plain == NO_COL || l->n == 0)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (l->code[i] == code) {
			problem(p, c->name, 0, l->plain,
				"both \"%s\" and a %s::... column give the %s text (the plain one "
				"is "
				"the default language's)",
				base, base, qlang_code((enum qlang)code));
			return;
		}
	if (l->n == QLANGS)
		return;
	for (size_t i = l->n; i > 0; i--) {
		l->code[i] = l->code[i - 1];
		l->col[i] = l->col[i - 1];
	}
	l->code[0] = code;
	l->col[0] = l->plain;
	l->n++;
}

/* settings' default_language as a language, or -1 (not given or not one of canvass's). */
static int default_language(struct sheetcols *c)
{
	const char *d = cell(c, 1, col(c, "default_language")), *open;
	char code[8] = "";
	if (d == NULL || (open = strrchr(d, '(')) == NULL || strlen(open) > 5)
		return -1;
	sscanf(open + 1, "%2[a-z]", code);
	return qlang_parse(code);
}

/* A translatable text from a row: a string, or an object per language. */
static json_t *text_at(struct sheetcols *c, const struct langs *l, size_t row, const char *what,
		       struct xlsform_problems *p)
{
	json_t *o;
	if (l->n == 0) {
		const char *v = cell(c, row, l->plain);
		if (v == NULL) {
			problem(p, c->name, row, l->plain == NO_COL ? 0 : l->plain, "no %s", what);
			return NULL;
		}
		return json_string(v);
	}
	o = json_object();
	for (size_t i = 0; i < l->n; i++) {
		const char *v = cell(c, row, l->col[i]);
		if (v == NULL)
			problem(p, c->name, row, l->col[i], "no %s in %s (a missing translation)",
				what, qlang_code((enum qlang)l->code[i]));
		else
			json_object_set_new(o, qlang_code((enum qlang)l->code[i]), json_string(v));
	}
	return o;
}

static json_t *number(const char *v, bool integer_only)
{
	char *end;
	double x;
	if (v == NULL)
		return NULL;
	x = strtod(v, &end);
	if (*end != '\0' || end == v || !isfinite(x))
		return NULL;
	if (x == floor(x) && fabs(x) < 9e15)
		return json_integer((json_int_t)x);
	return integer_only ? NULL : json_real(x);
}

static int boolean(const char *v)
{
	static const char *const yes[] = {"yes", "true", "true()", "1"};
	static const char *const no[] = {"no", "false", "false()", "0"};
	for (size_t k = 0; k < 4; k++) {
		if (strcasecmp(v, yes[k]) == 0)
			return 1;
		if (strcasecmp(v, no[k]) == 0)
			return 0;
	}
	return -1;
}

struct import {
	const struct xlsx *x;
	struct xlsform_problems *p;
	struct sheetcols survey, choices, settings, rules;
	struct langs survey_l, choices_l, settings_l, hint_l;
	json_t *doc;
	/* Per question of the definition: its survey row; per rule: its row. */
	size_t q_rows[4096], n_q;
	char q_ids[4096][65];
	bool q_yes_no[4096];
	size_t rule_rows[1024], n_rules;
	bool rule_from_constraint[1024];
	size_t sec_rows[256], n_secs;
};

static int yes_no_of(void *ctx, const char *id)
{
	struct import *im = ctx;
	for (size_t i = 0; i < im->n_q; i++)
		if (strcmp(im->q_ids[i], id) == 0)
			return im->q_yes_no[i];
	return 0;
}

/* The choices of a list: options or levels; NULL when the list has none. */
static json_t *list_items(struct import *im, const char *list, const char *kind, size_t at_row,
			  size_t at_col)
{
	struct sheetcols *c = &im->choices;
	size_t lc = col(c, "list_name"), nc = col(c, "name"), sc = col(c, "score");
	size_t pc = col(c, "replaces");
	json_t *items = json_array();
	size_t found = 0;

	for (size_t r = 1; c->s != NULL && r < c->s->rows; r++) {
		const char *ln = cell(c, r, lc), *name = cell(c, r, nc), *score = cell(c, r, sc);
		json_t *it, *label;
		if (ln == NULL || strcmp(ln, list) != 0)
			continue;
		found++;
		if (name == NULL) {
			problem(im->p, "choices", r, nc == NO_COL ? 0 : nc,
				"a choice without a name");
			continue;
		}
		label = text_at(c, &im->choices_l, r, "label", im->p);
		it = json_object();
		if (strcmp(kind, "scale") == 0) {
			json_t *v = number(name, true);
			if (v == NULL)
				problem(im->p, "choices", r, nc,
					"a scale level's name is its value, a whole number, not "
					"\"%s\"",
					name);
			json_object_set_new(it, "value", v ? v : json_integer(0));
		} else {
			json_object_set_new(it, "id", json_string(name));
		}
		if (label != NULL)
			json_object_set_new(it, "label", label);
		if (cell(c, r, pc) != NULL) {
			if (strcmp(kind, "scale") == 0)
				problem(im->p, "choices", r, pc,
					"a scale level continues the level of the same value: no "
					"replaces");
			else
				json_object_set_new(it, "replaces", json_string(cell(c, r, pc)));
		}
		if (score != NULL) {
			json_t *v = number(score, false);
			if (v == NULL)
				problem(im->p, "choices", r, sc, "a score is a number, not \"%s\"",
					score);
			else
				json_object_set_new(it, "score", v);
		}
		json_array_append_new(items, it);
	}
	if (found == 0) {
		problem(im->p, "survey", at_row, at_col, "no list \"%s\" in the choices sheet",
			list);
		json_decref(items);
		return NULL;
	}
	return items;
}

static void set_number(struct import *im, json_t *q, const char *key, const char *column,
		       size_t row, bool integer_only)
{
	size_t k = col(&im->survey, column);
	const char *v = cell(&im->survey, row, k);
	json_t *n;
	if (v == NULL)
		return;
	if ((n = number(v, integer_only)) == NULL)
		problem(im->p, "survey", row, k, "%s is %s, not \"%s\"", column,
			integer_only ? "a whole number" : "a number", v);
	else
		json_object_set_new(q, key, n);
}

static void set_flag(struct import *im, json_t *q, const char *key, size_t row)
{
	size_t k = col(&im->survey, key);
	const char *v = cell(&im->survey, row, k);
	int b;
	if (v == NULL)
		return;
	if ((b = boolean(v)) < 0)
		problem(im->p, "survey", row, k, "%s is yes or no, not \"%s\"", key, v);
	else
		json_object_set_new(q, key, json_boolean(b));
}

/* A group of number columns (score_*, change_*, outlier_*) into an object. */
static void set_group(struct import *im, json_t *q, const char *key, const char *flag_column,
		      const char *const *parts, const char *const *columns, size_t n, size_t row)
{
	size_t fk = flag_column ? col(&im->survey, flag_column) : NO_COL;
	const char *flag = cell(&im->survey, row, fk);
	json_t *o = json_object();
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		size_t k = col(&im->survey, columns[i]);
		const char *v = cell(&im->survey, row, k);
		json_t *num;
		if (v == NULL)
			continue;
		any = true;
		if ((num = number(v, strcmp(parts[i], "min_answers") == 0)) == NULL)
			problem(im->p, "survey", row, k, "%s is a number, not \"%s\"", columns[i],
				v);
		else
			json_object_set_new(o, parts[i], num);
	}
	if (flag_column != NULL && flag != NULL && boolean(flag) < 0)
		problem(im->p, "survey", row, fk, "%s is yes or no, not \"%s\"", flag_column, flag);
	if (flag_column != NULL && (flag == NULL || boolean(flag) != 1)) {
		if (any)
			problem(im->p, "survey", row, fk == NO_COL ? 0 : fk,
				"%s parts are given but %s is not yes", key, flag_column);
		json_decref(o);
		return;
	}
	if (flag_column == NULL && !any) {
		json_decref(o);
		return;
	}
	json_object_set_new(q, key, o);
}

/* The question of a survey row, or NULL (problems said). */
static json_t *question_row(struct import *im, size_t row, const char *type, const char *name)
{
	struct sheetcols *c = &im->survey;
	size_t tk = col(c, "type"), ck = col(c, "canvass_type");
	const char *ctype = cell(c, row, ck), *list = NULL;
	json_t *q = json_object(), *text, *items;
	const char *kind = NULL;

	if (strcmp(type, "integer") == 0)
		kind = "integer";
	else if (strcmp(type, "decimal") == 0)
		kind = "number";
	else if (strcmp(type, "text") == 0)
		kind = "text";
	else if (strncmp(type, "select_one ", 11) == 0 ||
		 strncmp(type, "select_multiple ", 16) == 0) {
		bool multi = type[7] == 'm';
		list = type + (multi ? 16 : 11);
		while (*list == ' ')
			list++;
		kind = multi ? "multi_choice" : "choice";
		if (ctype != NULL &&
		    (multi || (strcmp(ctype, "yes_no") != 0 && strcmp(ctype, "scale") != 0)))
			problem(im->p, "survey", row, ck,
				"canvass_type is yes_no or scale (for a select_one), not \"%s\"",
				ctype);
		else if (ctype != NULL)
			kind = strcmp(ctype, "yes_no") == 0 ? "yes_no" : "scale";
	} else if (strcmp(type, "note") == 0) {
		problem(im->p, "survey", row, tk,
			"a note has no answer: canvass questionnaires have none (put the text into "
			"a "
			"section's or question's label)");
	} else {
		problem(im->p, "survey", row, tk,
			"the type \"%s\" is not one canvass has (integer, decimal, text, "
			"select_one "
			"LIST, select_multiple LIST, begin_group, end_group)",
			type);
	}
	if (kind != NULL && ctype != NULL && list == NULL)
		problem(im->p, "survey", row, ck, "canvass_type is only for a select_one");
	json_object_set_new(q, "id", json_string(name));
	json_object_set_new(q, "type", json_string(kind ? kind : "text"));
	if ((text = text_at(c, &im->survey_l, row, "label", im->p)) != NULL)
		json_object_set_new(q, "text", text);
	{
		/* A hint is optional: taken when any of its columns holds one. */
		bool any = cell(c, row, im->hint_l.plain) != NULL;
		for (size_t i = 0; i < im->hint_l.n; i++)
			any = any || cell(c, row, im->hint_l.col[i]) != NULL;
		if (any && (text = text_at(c, &im->hint_l, row, "hint", im->p)) != NULL)
			json_object_set_new(q, "hint", text);
	}
	set_flag(im, q, "required", row);
	set_flag(im, q, "allow_not_applicable", row);
	set_flag(im, q, "allow_dont_know", row);
	set_number(im, q, "min", "min", row, false);
	set_number(im, q, "max", "max", row, false);
	set_number(im, q, "max_length", "max_length", row, true);
	set_number(im, q, "warn_below", "warn_below", row, false);
	set_number(im, q, "warn_above", "warn_above", row, false);
	{
		const char *unit = cell(c, row, col(c, "unit"));
		const char *replaces = cell(c, row, col(c, "replaces"));
		const char *consent = cell(c, row, col(c, "consent"));
		const char *about = cell(c, row, col(c, "about"));
		if (unit != NULL)
			json_object_set_new(q, "unit", json_string(unit));
		if (replaces != NULL)
			json_object_set_new(q, "replaces", json_string(replaces));
		if (consent != NULL)
			json_object_set_new(q, "consent", json_string(consent));
		if (about != NULL)
			json_object_set_new(q, "about", json_string(about));
	}
	set_flag(im, q, "comparable", row);
	set_flag(im, q, "share", row);
	if (list != NULL && kind != NULL) {
		items = list_items(im, list, kind, row, tk);
		if (items != NULL && strcmp(kind, "yes_no") == 0) {
			size_t n = json_array_size(items), yes = 0, no = 0;
			for (size_t i = 0; i < n; i++) {
				const char *id = json_string_value(
					json_object_get(json_array_get(items, i), "id"));
				yes += id && strcmp(id, "yes") == 0;
				no += id && strcmp(id, "no") == 0;
			}
			if (n != 2 || yes != 1 || no != 1)
				problem(im->p, "survey", row, tk,
					"a yes_no question's list holds the choices yes and no, "
					"and "
					"no other: \"%s\" does not",
					list);
			json_decref(items);
		} else if (items != NULL) {
			json_object_set_new(q, strcmp(kind, "scale") == 0 ? "levels" : "options",
					    items);
		}
	}
	{
		static const char *const sp[] = {"weight", "yes", "no", "zero", "full"};
		static const char *const sc[] = {"score_weight", "score_yes", "score_no",
						 "score_zero", "score_full"};
		static const char *const cp[] = {"relative", "absolute"};
		static const char *const cc[] = {"change_relative", "change_absolute"};
		static const char *const op[] = {"threshold", "min_answers"};
		static const char *const oc[] = {"outlier_threshold", "outlier_min_answers"};
		set_group(im, q, "score", "score", sp, sc, 5, row);
		set_group(im, q, "change_from_previous", NULL, cp, cc, 2, row);
		set_group(im, q, "outlier", "outlier", op, oc, 2, row);
	}
	return q;
}

static void read_settings(struct import *im)
{
	struct sheetcols *c = &im->settings;
	size_t ik = col(c, "form_id"), vk = col(c, "version"), dk = col(c, "default_language");
	const char *id = cell(c, 1, ik), *version = cell(c, 1, vk), *dflt = cell(c, 1, dk);
	json_t *v = number(version, true), *title;

	if (c->s == NULL) {
		problem(im->p, "settings", 0, 0,
			"no settings sheet (form_id, version, form_title are needed)");
		json_decref(v);
		return;
	}
	if (id == NULL)
		problem(im->p, "settings", 1, ik == NO_COL ? 0 : ik, "no form_id");
	else
		json_object_set_new(im->doc, "id", json_string(id));
	if (v == NULL || json_integer_value(v) < 1)
		problem(im->p, "settings", 1, vk == NO_COL ? 0 : vk,
			"version is a whole number from 1%s%s%s", version ? ", not \"" : "",
			version ? version : "", version ? "\"" : "");
	json_object_set_new(im->doc, "version", v ? v : json_integer(0));
	label_columns(c, "form_title", &im->settings_l, im->p);
	fold_plain(c, &im->settings_l, default_language(c), "form_title", im->p);
	if (im->survey_l.n > 0) {
		/* languages: the default first (default_language, else the first column). */
		json_t *langs = json_array();
		int first = im->survey_l.code[0];
		if (dflt != NULL) {
			const char *open = strrchr(dflt, '(');
			char code[8] = "";
			if (open != NULL && strlen(open) <= 4 + 1)
				sscanf(open + 1, "%2[a-z]", code);
			first = qlang_parse(code);
			if (first < 0) {
				problem(im->p, "settings", 1, dk,
					"default_language is written \"English (en)\" or \"French "
					"(fr)\", not \"%s\"",
					dflt);
				first = im->survey_l.code[0];
			}
		}
		json_array_append_new(langs, json_string(qlang_code((enum qlang)first)));
		for (size_t i = 0; i < im->survey_l.n; i++)
			if (im->survey_l.code[i] != first)
				json_array_append_new(
					langs,
					json_string(qlang_code((enum qlang)im->survey_l.code[i])));
		json_object_set_new(im->doc, "languages", langs);
	}
	if ((title = text_at(c, &im->settings_l, 1, "form_title", im->p)) != NULL)
		json_object_set_new(im->doc, "title", title);
}

/*
 * The constraint "can never hold": a conjunction (" and ") of ". op number"
 * that no number meets, within the question's min and max.
 */
static bool never_holds(const char *src, json_t *q)
{
	double lo = -INFINITY, hi = INFINITY;
	bool lo_open = false, hi_open = false;
	json_t *mn = json_object_get(q, "min"), *mx = json_object_get(q, "max");

	if (strstr(src, " or ") != NULL || strstr(src, "not") != NULL)
		return false;
	if (mn != NULL)
		lo = json_number_value(mn);
	if (mx != NULL)
		hi = json_number_value(mx);
	for (const char *part = src; part != NULL;) {
		const char *and = strstr(part, " and ");
		char op[3] = "", one[128];
		double v;
		int used = 0;
		size_t len = and? (size_t)(and-part) : strlen(part);
		if (len >= sizeof one)
			return false;
		memcpy(one, part, len);
		one[len] = '\0';
		part = and? and+5 : NULL;
		if (sscanf(one, " . %2[<>=!] %lf %n", op, &v, &used) < 2 || one[used] != '\0')
			return false;
		if (strcmp(op, ">") == 0 || strcmp(op, ">=") == 0) {
			if (v > lo || (v == lo && op[1] == '\0')) {
				lo = v;
				lo_open = op[1] == '\0';
			}
		} else if (strcmp(op, "<") == 0 || strcmp(op, "<=") == 0) {
			if (v < hi || (v == hi && op[1] == '\0')) {
				hi = v;
				hi_open = op[1] == '\0';
			}
		} else if (strcmp(op, "=") == 0) {
			if (v > lo)
				lo = v, lo_open = false;
			if (v < hi)
				hi = v, hi_open = false;
		} else {
			return false;
		}
	}
	return lo > hi || (lo == hi && (lo_open || hi_open));
}

/* Compiles a translated expression against def; its canonical text, or NULL. */
static char *compiled(struct import *im, const struct questionnaire *def, const char *sheet,
		      size_t row, size_t k, const char *src, const char *self)
{
	char canvass[4096], err[512], *out;
	struct expr *e = NULL;

	if (xlsform_expression(src, self, yes_no_of, im, canvass, sizeof canvass, err,
			       sizeof err) != 0) {
		problem(im->p, sheet, row, k, "%s", err);
		return NULL;
	}
	if (expr_compile(canvass, def, &e, err, sizeof err) != 0) {
		problem(im->p, sheet, row, k, "%s (read as: %s)", err, canvass);
		return NULL;
	}
	out = malloc(4096);
	if (out != NULL && expr_print(e, EXPR_CANVASS, out, 4096) != 0) {
		problem(im->p, sheet, row, k, "too long");
		free(out);
		out = NULL;
	}
	expr_free(&e);
	return out;
}

/* Where a loader error's JSON path points: the row (and sheet) that made it. */
static void loader_problem(struct import *im, const char *err)
{
	const char *path = strstr(err, "$.");
	unsigned s, q, r;
	if (path != NULL && sscanf(path, "$.sections[%u].questions[%u]", &s, &q) == 2) {
		size_t idx = 0;
		json_t *secs = json_object_get(im->doc, "sections");
		for (unsigned i = 0; i < s && i < json_array_size(secs); i++)
			idx += json_array_size(
				json_object_get(json_array_get(secs, i), "questions"));
		if (idx + q < im->n_q) {
			problem(im->p, "survey", im->q_rows[idx + q], 0, "%s", path);
			return;
		}
	}
	if (path != NULL && sscanf(path, "$.sections[%u]", &s) == 1 && s < im->n_secs) {
		problem(im->p, "survey", im->sec_rows[s], 0, "%s", path);
		return;
	}
	if (path != NULL && sscanf(path, "$.rules[%u]", &r) == 1 && r < im->n_rules) {
		problem(im->p, im->rule_from_constraint[r] ? "survey" : "rules", im->rule_rows[r],
			0, "%s", path);
		return;
	}
	problem(im->p, "settings", 0, 0, "%s", path ? path : err);
}

static struct questionnaire *load(struct import *im)
{
	char *text = json_dumps(im->doc, JSON_COMPACT), err[1024];
	struct questionnaire *def = NULL;
	if (text == NULL)
		return NULL;
	if (qdef_load_text("workbook", text, strlen(text), &def, err, sizeof err) != 0)
		loader_problem(im, err);
	free(text);
	return def;
}

/* The index-th question of the document (in questionnaire order), or NULL. */
static json_t *question_at(struct import *im, size_t index)
{
	json_t *secs = json_object_get(im->doc, "sections");
	for (size_t s = 0; s < json_array_size(secs); s++) {
		json_t *qs = json_object_get(json_array_get(secs, s), "questions");
		if (index < json_array_size(qs))
			return json_array_get(qs, index);
		index -= json_array_size(qs);
	}
	return NULL;
}

/*
 * An expression's problems that need no loaded definition: outside the
 * subset, a ${name} no question has, and (before: the question's index,
 * for a relevant) a question at or after it.
 */
static void precheck(struct import *im, const char *sheet, size_t row, size_t k, const char *src,
		     const char *self, size_t before)
{
	char out[4096], err[512];
	const char *p = src;

	if (xlsform_expression(src, self, yes_no_of, im, out, sizeof out, err, sizeof err) != 0) {
		problem(im->p, sheet, row, k, "%s", err);
		return;
	}
	while ((p = strstr(p, "${")) != NULL) {
		const char *end = strchr(p, '}');
		char name[65];
		size_t i = 0;
		if (end == NULL || (size_t)(end - p - 2) >= sizeof name)
			return;
		snprintf(name, sizeof name, "%.*s", (int)(end - p - 2), p + 2);
		while (i < im->n_q && strcmp(im->q_ids[i], name) != 0)
			i++;
		if (i == im->n_q)
			problem(im->p, sheet, row, k, "\"%s\" is no question's name", name);
		else if (before != NO_COL && i >= before)
			problem(im->p, sheet, row, k,
				"the condition reads \"%s\", %s: a condition reads only the "
				"answers "
				"before it",
				name, i == before ? "its own question" : "a later question");
		p = end + 1;
	}
}

int xlsform_import(const struct xlsx *x, json_t **out, struct xlsform_problems *p)
{
	struct import *im = calloc(1, sizeof *im);
	struct sheetcols *c;
	json_t *sections, *section = NULL, *rules = NULL;
	struct questionnaire *def = NULL;
	size_t tk, nk, rk, ck, mk;
	int rc = CV_EINVAL;

	*out = NULL;
	if (im == NULL)
		return CV_ENOMEM;
	im->x = x;
	im->p = p;
	im->doc = json_object();
	header(&im->survey, xlsx_sheet(x, "survey"), "survey");
	header(&im->choices, xlsx_sheet(x, "choices"), "choices");
	header(&im->settings, xlsx_sheet(x, "settings"), "settings");
	header(&im->rules, xlsx_sheet(x, "rules"), "rules");
	for (size_t i = 0; i < x->n; i++)
		for (size_t m = 0; m < x->sheets[i].n_merges; m++) {
			size_t r = 0, k = 0;
			const char *ref = x->sheets[i].merges[m].ref;
			char first[16];
			sscanf(ref, "%15[A-Z0-9]", first);
			for (size_t j = 0; first[j] && isupper((unsigned char)first[j]); j++)
				k = k * 26 + (size_t)(first[j] - 'A' + 1);
			r = (size_t)strtoul(first + strspn(first, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
					    NULL, 10);
			problem(p, x->sheets[i].name, r ? r - 1 : 0, k ? k - 1 : 0,
				"merged cells (%s): every value in a cell of its own", ref);
		}
	c = &im->survey;
	if (c->s == NULL || c->s->rows < 2) {
		problem(p, "survey", 0, 0,
			c->s == NULL ? "no survey sheet" : "the survey is empty");
		goto done;
	}
	label_columns(c, "label", &im->survey_l, p);
	label_columns(&im->choices, "label", &im->choices_l, p);
	label_columns(c, "hint", &im->hint_l, p);
	{
		int dflt = default_language(&im->settings);
		fold_plain(c, &im->survey_l, dflt, "label", p);
		fold_plain(&im->choices, &im->choices_l, dflt, "label", p);
		fold_plain(c, &im->hint_l, dflt, "hint", p);
	}
	read_settings(im);
	tk = col(c, "type");
	nk = col(c, "name");
	rk = col(c, "relevant");
	ck = col(c, "constraint");
	mk = col(c, "constraint_message");
	if (tk == NO_COL || nk == NO_COL)
		problem(p, "survey", 0, 0, "the survey sheet needs the columns type and name");
	sections = json_array();
	json_object_set_new(im->doc, "sections", sections);
	rules = json_array();
	/* Sections and questions, expressions left for when the rest loads. */
	for (size_t r = 1; tk != NO_COL && nk != NO_COL && r < c->s->rows; r++) {
		const char *type = cell(c, r, tk), *name = cell(c, r, nk);
		bool any = false;
		for (size_t k = 0; k < c->s->cols; k++)
			any = any || xlsx_cell(c->s, r, k) != NULL;
		if (!any)
			continue;
		if (type == NULL) {
			problem(p, "survey", r, tk, "a row without a type");
			continue;
		}
		if (strcmp(type, "begin_group") == 0 || strcmp(type, "begin group") == 0) {
			json_t *title;
			if (section != NULL)
				problem(p, "survey", r, tk,
					"a group inside a group: canvass sections are not nested");
			section = json_object();
			json_object_set_new(section, "id", json_string(name ? name : ""));
			if (name == NULL)
				problem(p, "survey", r, nk, "a group without a name");
			if ((title = text_at(c, &im->survey_l, r, "label", p)) != NULL)
				json_object_set_new(section, "title", title);
			json_object_set_new(section, "questions", json_array());
			json_array_append_new(sections, section);
			if (im->n_secs < sizeof im->sec_rows / sizeof im->sec_rows[0])
				im->sec_rows[im->n_secs++] = r;
			continue;
		}
		if (strcmp(type, "end_group") == 0 || strcmp(type, "end group") == 0) {
			if (section == NULL)
				problem(p, "survey", r, tk, "end_group without a begin_group");
			section = NULL;
			continue;
		}
		if (name == NULL) {
			problem(p, "survey", r, nk, "a question without a name");
			continue;
		}
		for (size_t i = 0; i < im->n_q; i++)
			if (strcmp(im->q_ids[i], name) == 0)
				problem(p, "survey", r, nk,
					"\"%s\" is the name of another question too (row %zu)",
					name, im->q_rows[i] + 1);
		if (section == NULL) {
			problem(p, "survey", r, tk,
				"a question outside a group: every question belongs to a section "
				"(begin_group ... end_group)");
			continue;
		}
		{
			json_t *q = question_row(im, r, type, name);
			json_array_append_new(json_object_get(section, "questions"), q);
			if (im->n_q < sizeof im->q_rows / sizeof im->q_rows[0]) {
				im->q_rows[im->n_q] = r;
				snprintf(im->q_ids[im->n_q], sizeof im->q_ids[0], "%s", name);
				im->q_yes_no[im->n_q] =
					strcmp(json_string_value(json_object_get(q, "type")),
					       "yes_no") == 0;
				im->n_q++;
			}
		}
	}
	if (section != NULL)
		problem(p, "survey", im->sec_rows[im->n_secs - 1], tk,
			"this group has no end_group");
	/*
	 * The expressions, as far as they can be checked without the definition
	 * loading (so that their problems come with the others): the subset,
	 * the questions they name, and which come before.
	 */
	for (size_t i = 0; i < im->n_q; i++) {
		size_t row = im->q_rows[i];
		const char *rel = cell(c, row, rk), *con = cell(c, row, ck);
		json_t *q;
		if (rel != NULL)
			precheck(im, "survey", row, rk, rel, NULL, i);
		if (con == NULL)
			continue;
		precheck(im, "survey", row, ck, con, im->q_ids[i], NO_COL);
		if ((q = question_at(im, i)) != NULL && never_holds(con, q))
			problem(p, "survey", row, ck,
				"the constraint can never hold (with min and max): no answer would "
				"be accepted");
	}
	{
		struct sheetcols *rs = &im->rules;
		size_t e_k = col(rs, "expression");
		for (size_t r = 1; rs->s != NULL && e_k != NO_COL && r < rs->s->rows; r++) {
			const char *src = cell(rs, r, e_k);
			if (src != NULL)
				precheck(im, "rules", r, e_k, src, NULL, NO_COL);
		}
	}
	unused_columns(c, p);
	{
		struct sheetcols *cc = &im->choices;
		col(cc, "list_name");
		col(cc, "name");
		col(cc, "score");
		col(cc, "replaces");
		unused_columns(cc, p);
		unused_columns(&im->settings, p);
	}
	if (p->n > 0)
		goto done;
	/* The definition without its expressions must load before they are compiled. */
	if ((def = load(im)) == NULL)
		goto done;
	{
		json_t *secs = json_object_get(im->doc, "sections");
		size_t idx = 0;
		for (size_t s = 0; s < json_array_size(secs); s++) {
			json_t *qs = json_object_get(json_array_get(secs, s), "questions");
			for (size_t i = 0; i < json_array_size(qs); i++, idx++) {
				json_t *q = json_array_get(qs, i);
				size_t row = im->q_rows[idx];
				const char *rel = cell(c, row, rk), *con = cell(c, row, ck);
				const char *id = json_string_value(json_object_get(q, "id"));
				char *when, *expr;
				if (rel != NULL && (when = compiled(im, def, "survey", row, rk, rel,
								    NULL)) != NULL) {
					json_object_set_new(q, "when", json_string(when));
					free(when);
				}
				if (con == NULL)
					continue;
				if ((expr = compiled(im, def, "survey", row, ck, con, id)) !=
				    NULL) {
					char rid[80];
					const char *msg = cell(c, row, mk);
					json_t *rule = json_object();
					snprintf(rid, sizeof rid, "%s_constraint", id);
					json_object_set_new(rule, "id", json_string(rid));
					json_object_set_new(rule, "expr", json_string(expr));
					json_object_set_new(rule, "severity", json_string("error"));
					if (msg != NULL) {
						json_object_set_new(rule, "message",
								    json_string(msg));
					} else {
						char m[200];
						snprintf(m, sizeof m,
							 "The answer to %s does not meet its "
							 "constraint",
							 id);
						json_object_set_new(rule, "message",
								    json_string(m));
					}
					json_array_append_new(rules, rule);
					if (im->n_rules < 1024) {
						im->rule_rows[im->n_rules] = row;
						im->rule_from_constraint[im->n_rules++] = true;
					}
					free(expr);
				}
			}
		}
	}
	/* canvass's rules sheet. */
	{
		struct sheetcols *rc_ = &im->rules;
		size_t n_k = col(rc_, "name"), e_k = col(rc_, "expression"),
		       s_k = col(rc_, "severity");
		size_t m_k = col(rc_, "message");
		for (size_t r = 1; rc_->s != NULL && r < rc_->s->rows; r++) {
			const char *rid = cell(rc_, r, n_k), *src = cell(rc_, r, e_k);
			const char *sev = cell(rc_, r, s_k), *msg = cell(rc_, r, m_k);
			char *expr;
			json_t *rule;
			if (rid == NULL && src == NULL && sev == NULL && msg == NULL)
				continue;
			if (rid == NULL || src == NULL || sev == NULL || msg == NULL) {
				problem(p, "rules", r,
					rid == NULL   ? n_k
					: src == NULL ? e_k
					: sev == NULL ? s_k
						      : m_k,
					"a rule needs its name, expression, severity and message");
				continue;
			}
			if ((expr = compiled(im, def, "rules", r, e_k, src, NULL)) == NULL)
				continue;
			rule = json_object();
			json_object_set_new(rule, "id", json_string(rid));
			json_object_set_new(rule, "expr", json_string(expr));
			json_object_set_new(rule, "severity", json_string(sev));
			json_object_set_new(rule, "message", json_string(msg));
			json_array_append_new(rules, rule);
			if (im->n_rules < 1024)
				im->rule_rows[im->n_rules++] = r;
			free(expr);
		}
		unused_columns(rc_, p);
	}
	if (json_array_size(rules) > 0)
		json_object_set(im->doc, "rules", rules);
	qdef_free(&def);
	if (p->n > 0)
		goto done;
	/* The whole of it, as the daemons load it. */
	if ((def = load(im)) == NULL)
		goto done;
	*out = json_incref(im->doc);
	rc = 0;
done:
	json_decref(rules);
	qdef_free(&def);
	json_decref(im->doc);
	free(im);
	return rc;
}
