/*
 * canvassctl questionnaire export: a questionnaire definition as an XLSForm
 * workbook (docs/questionnaires.md, "Designing in a spreadsheet"): the
 * survey, choices and settings sheets of the XLSForm specification, with
 * canvass's own columns where XLSForm has none, and a rules sheet.
 *
 * The definition is read twice: loaded and checked as the daemons load it
 * (its expressions compiled, then written in XLSForm's syntax), and read as
 * JSON, so that every key it gives is written and none it leaves out is
 * invented. A key this export has no column for stops it (nothing written)
 * rather than dropping it.
 */
#include "ctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "error.h"
#include "expr.h"
#include "qdef.h"
#include "settings.h"
#include "xlsform.h"
#include "xlsx.h"
#include "util.h"

/* The survey sheet's columns (labels come after name, one per language). */
static const char *const survey_cols[] = {
	"type",
	"name",
	"label",
	"required",
	"relevant",
	"canvass_type",
	"min",
	"max",
	"unit",
	"max_length",
	"allow_not_applicable",
	"allow_dont_know",
	"warn_below",
	"warn_above",
	"change_relative",
	"change_absolute",
	"outlier",
	"outlier_threshold",
	"outlier_min_answers",
	"score",
	"score_weight",
	"score_yes",
	"score_no",
	"score_zero",
	"score_full",
	"replaces",
	"comparable",
	"consent",
	"share",
	"about",
};
#define N_SURVEY (sizeof survey_cols / sizeof survey_cols[0])

/* A question's keys and where each goes (NULL column: written by hand). */
static const struct {
	const char *key, *column;
} question_keys[] = {
	{"id", NULL},
	{"type", NULL},
	{"text", NULL},
	{"options", NULL},
	{"levels", NULL},
	{"when", NULL},
	{"score", NULL},
	{"change_from_previous", NULL},
	{"outlier", NULL},
	{"required", "required"},
	{"allow_not_applicable", "allow_not_applicable"},
	{"allow_dont_know", "allow_dont_know"},
	{"min", "min"},
	{"max", "max"},
	{"unit", "unit"},
	{"max_length", "max_length"},
	{"warn_below", "warn_below"},
	{"warn_above", "warn_above"},
	{"replaces", "replaces"},
	{"comparable", "comparable"},
	{"consent", "consent"},
	{"share", "share"},
	{"about", "about"},
	{"hint", NULL},
};

struct sheet {
	lxw_worksheet *ws;
	lxw_row_t row;
	const char *cols[N_SURVEY + QLANGS + 4];
	size_t n_cols;
};

struct xport {
	const struct questionnaire *def;
	lxw_workbook *wb;
	lxw_format *head;
	struct sheet survey, choices, settings, rules;
	char yes_no_list[80];
	char err[512];
};

static const char *language_name(enum qlang l)
{
	return l == QLANG_FR ? "French (fr)" : "English (en)";
}

/* Adds a column; the header row is written at once. */
static void column(struct xport *x, struct sheet *s, const char *name)
{
	s->cols[s->n_cols] = name;
	worksheet_write_string(s->ws, 0, (lxw_col_t)s->n_cols, name, x->head);
	s->n_cols++;
}

static int col_of(const struct sheet *s, const char *name)
{
	for (size_t i = 0; i < s->n_cols; i++)
		if (strcmp(s->cols[i], name) == 0)
			return (int)i;
	return -1;
}

static void put_str(struct sheet *s, const char *col, const char *v)
{
	int c = col_of(s, col);
	if (c >= 0 && v != NULL)
		worksheet_write_string(s->ws, s->row, (lxw_col_t)c, v, NULL);
}

/* A JSON value in its column: numbers as numbers, true/false as yes/no. */
static void put_json(struct sheet *s, const char *col, json_t *v)
{
	int c = col_of(s, col);
	if (c < 0 || v == NULL)
		return;
	if (json_is_number(v))
		worksheet_write_number(s->ws, s->row, (lxw_col_t)c, json_number_value(v), NULL);
	else if (json_is_boolean(v))
		worksheet_write_string(s->ws, s->row, (lxw_col_t)c, json_is_true(v) ? "yes" : "no",
				       NULL);
	else if (json_is_string(v))
		worksheet_write_string(s->ws, s->row, (lxw_col_t)c, json_string_value(v), NULL);
}

/* A translatable text into label (or label::Language (code)) columns. */
static void put_text(struct xport *x, struct sheet *s, const char *base, json_t *text)
{
	char col[64];
	if (!x->def->translated) {
		put_str(s, base, json_string_value(text));
		return;
	}
	for (size_t i = 0; i < x->def->n_languages; i++) {
		enum qlang l = x->def->languages[i];
		snprintf(col, sizeof col, "%s::%s", base, language_name(l));
		put_str(s, col, json_string_value(json_object_get(text, qlang_code(l))));
	}
}

static void label_columns(struct xport *x, struct sheet *s, const char *base)
{
	static char names[3][QLANGS][48];
	int which = strcmp(base, "label") == 0 ? 0 : strcmp(base, "hint") == 0 ? 1 : 2;
	if (!x->def->translated) {
		column(x, s, base);
		return;
	}
	for (size_t i = 0; i < x->def->n_languages; i++) {
		snprintf(names[which][i], sizeof names[which][i], "%s::%s", base,
			 language_name(x->def->languages[i]));
		column(x, s, names[which][i]);
	}
}

static int fail(struct xport *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct xport *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err, sizeof x->err, fmt, ap);
	va_end(ap);
	return CV_EINVAL;
}

/* The choices of one list: options (id, label, score) or scale levels (value, label). */
static void choices_rows(struct xport *x, const char *list, json_t *items, bool levels)
{
	size_t i;
	json_t *it;
	char name[32];

	json_array_foreach (items, i, it) {
		struct sheet *s = &x->choices;
		s->row++;
		put_str(s, "list_name", list);
		if (levels) {
			snprintf(name, sizeof name, "%lld",
				 (long long)json_integer_value(json_object_get(it, "value")));
			put_str(s, "name", name);
		} else {
			put_str(s, "name", json_string_value(json_object_get(it, "id")));
		}
		put_text(x, s, "label", json_object_get(it, "label"));
		put_json(s, "score", json_object_get(it, "score"));
		put_json(s, "replaces", json_object_get(it, "replaces"));
	}
}

static int expression(struct xport *x, const struct expr *e, const char *what, char *buf,
		      size_t len)
{
	int rc = expr_print(e, EXPR_XLSFORM, buf, len);
	if (rc == CV_EINVAL)
		return fail(x, "%s: a string holding both ' and \" has no XLSForm spelling", what);
	if (rc != 0)
		return fail(x, "%s: the expression is too long", what);
	return 0;
}

static int question_row(struct xport *x, json_t *jq)
{
	struct sheet *s = &x->survey;
	const char *id = json_string_value(json_object_get(jq, "id"));
	const char *type = json_string_value(json_object_get(jq, "type"));
	const struct question *q = qdef_question(x->def, id);
	json_t *sc = json_object_get(jq, "score"),
	       *ch = json_object_get(jq, "change_from_previous");
	json_t *ol = json_object_get(jq, "outlier");
	char t[160], expr[4096];
	const char *key;
	json_t *v;

	json_object_foreach (jq, key, v) {
		size_t k = 0;
		while (k < sizeof question_keys / sizeof question_keys[0] &&
		       strcmp(question_keys[k].key, key) != 0)
			k++;
		if (k == sizeof question_keys / sizeof question_keys[0])
			return fail(x, "question %s: the key \"%s\" has no column in the workbook",
				    id, key);
	}
	if (q == NULL)
		return fail(x, "question %s: not in the loaded definition", id);
	s->row++;
	if (strcmp(type, "yes_no") == 0)
		snprintf(t, sizeof t, "select_one %s", x->yes_no_list);
	else if (strcmp(type, "integer") == 0 || strcmp(type, "text") == 0)
		snprintf(t, sizeof t, "%s", type);
	else if (strcmp(type, "number") == 0)
		snprintf(t, sizeof t, "decimal");
	else if (strcmp(type, "multi_choice") == 0)
		snprintf(t, sizeof t, "select_multiple %s", id);
	else
		snprintf(t, sizeof t, "select_one %s", id); /* choice, scale */
	put_str(s, "type", t);
	put_str(s, "name", id);
	put_text(x, s, "label", json_object_get(jq, "text"));
	if (json_object_get(jq, "hint") != NULL)
		put_text(x, s, "hint", json_object_get(jq, "hint"));
	if (strcmp(type, "yes_no") == 0 || strcmp(type, "scale") == 0)
		put_str(s, "canvass_type", type);
	for (size_t k = 0; k < sizeof question_keys / sizeof question_keys[0]; k++)
		if (question_keys[k].column != NULL)
			put_json(s, question_keys[k].column,
				 json_object_get(jq, question_keys[k].key));
	if (q->when != NULL) {
		if (expression(x, q->when, id, expr, sizeof expr) != 0)
			return CV_EINVAL;
		put_str(s, "relevant", expr);
	}
	if (ch != NULL) {
		put_json(s, "change_relative", json_object_get(ch, "relative"));
		put_json(s, "change_absolute", json_object_get(ch, "absolute"));
	}
	if (ol != NULL) {
		put_str(s, "outlier", "yes");
		put_json(s, "outlier_threshold", json_object_get(ol, "threshold"));
		put_json(s, "outlier_min_answers", json_object_get(ol, "min_answers"));
	}
	if (sc != NULL) {
		static const char *const parts[] = {"weight", "yes", "no", "zero", "full"};
		put_str(s, "score", "yes");
		for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
			char col[32];
			snprintf(col, sizeof col, "score_%s", parts[k]);
			put_json(s, col, json_object_get(sc, parts[k]));
		}
	}
	if (json_object_get(jq, "options") != NULL)
		choices_rows(x, id, json_object_get(jq, "options"), false);
	if (json_object_get(jq, "levels") != NULL)
		choices_rows(x, id, json_object_get(jq, "levels"), true);
	return 0;
}

static void yes_no_choices(struct xport *x)
{
	static const char *const names[] = {"yes", "no"};
	static const char *const words[QLANGS][2] = {{"Yes", "No"}, {"Oui", "Non"}};
	for (int k = 0; k < 2; k++) {
		struct sheet *s = &x->choices;
		char col[64];
		s->row++;
		put_str(s, "list_name", x->yes_no_list);
		put_str(s, "name", names[k]);
		if (!x->def->translated) {
			put_str(s, "label", words[QLANG_EN][k]);
			continue;
		}
		for (size_t i = 0; i < x->def->n_languages; i++) {
			enum qlang l = x->def->languages[i];
			snprintf(col, sizeof col, "label::%s", language_name(l));
			put_str(s, col, words[l][k]);
		}
	}
}

static int write_workbook(struct xport *x, json_t *doc)
{
	json_t *sections = json_object_get(doc, "sections"), *sec, *jq, *rules, *r;
	size_t i, k;
	bool any_yes_no = false;
	char expr[4096];

	x->head = workbook_add_format(x->wb);
	format_set_bold(x->head);
	x->survey.ws = workbook_add_worksheet(x->wb, "survey");
	x->choices.ws = workbook_add_worksheet(x->wb, "choices");
	x->settings.ws = workbook_add_worksheet(x->wb, "settings");
	x->rules.ws = workbook_add_worksheet(x->wb, "rules");
	/* survey: type, name, the labels, then the rest. */
	column(x, &x->survey, "type");
	column(x, &x->survey, "name");
	label_columns(x, &x->survey, "label");
	label_columns(x, &x->survey, "hint");
	for (k = 3; k < N_SURVEY; k++)
		column(x, &x->survey, survey_cols[k]);
	column(x, &x->choices, "list_name");
	column(x, &x->choices, "name");
	label_columns(x, &x->choices, "label");
	column(x, &x->choices, "score");
	column(x, &x->choices, "replaces");
	column(x, &x->settings, "form_id");
	column(x, &x->settings, "version");
	label_columns(x, &x->settings, "form_title");
	if (x->def->translated)
		column(x, &x->settings, "default_language");
	column(x, &x->rules, "name");
	column(x, &x->rules, "expression");
	column(x, &x->rules, "severity");
	column(x, &x->rules, "message");
	/* A list name no question takes. */
	snprintf(x->yes_no_list, sizeof x->yes_no_list, "yes_no");
	while (qdef_question(x->def, x->yes_no_list) != NULL &&
	       strlen(x->yes_no_list) + 2 < sizeof x->yes_no_list)
		strcat(x->yes_no_list, "_");
	json_array_foreach (sections, i, sec) {
		json_t *qs = json_object_get(sec, "questions");
		const char *key;
		json_t *v;
		json_object_foreach (sec, key, v) {
			if (strcmp(key, "id") != 0 && strcmp(key, "title") != 0 &&
			    strcmp(key, "questions") != 0)
				return fail(x, "section %s: the key \"%s\" has no column",
					    json_string_value(json_object_get(sec, "id")), key);
		}
		x->survey.row++;
		put_str(&x->survey, "type", "begin_group");
		put_str(&x->survey, "name", json_string_value(json_object_get(sec, "id")));
		put_text(x, &x->survey, "label", json_object_get(sec, "title"));
		json_array_foreach (qs, k, jq) {
			any_yes_no =
				any_yes_no || strcmp(json_string_value(json_object_get(jq, "type")),
						     "yes_no") == 0;
			if (question_row(x, jq) != 0)
				return CV_EINVAL;
		}
		x->survey.row++;
		put_str(&x->survey, "type", "end_group");
	}
	if (any_yes_no)
		yes_no_choices(x);
	x->settings.row = 1;
	put_str(&x->settings, "form_id", x->def->id);
	put_json(&x->settings, "version", json_object_get(doc, "version"));
	put_text(x, &x->settings, "form_title", json_object_get(doc, "title"));
	if (x->def->translated)
		put_str(&x->settings, "default_language", language_name(x->def->languages[0]));
	rules = json_object_get(doc, "rules");
	json_array_foreach (rules, i, r) {
		const char *rid = json_string_value(json_object_get(r, "id"));
		if (i >= x->def->n_rules || strcmp(x->def->rules[i].id, rid) != 0)
			return fail(x, "rule %s: not in the loaded definition", rid);
		if (expression(x, x->def->rules[i].expr, rid, expr, sizeof expr) != 0)
			return CV_EINVAL;
		x->rules.row++;
		put_str(&x->rules, "name", rid);
		put_str(&x->rules, "expression", expr);
		put_json(&x->rules, "severity", json_object_get(r, "severity"));
		put_json(&x->rules, "message", json_object_get(r, "message"));
	}
	worksheet_freeze_panes(x->survey.ws, 1, 0);
	worksheet_freeze_panes(x->choices.ws, 1, 0);
	worksheet_set_column(x->survey.ws, 0, 2, 28, NULL);
	return 0;
}

/* The JSON of the file in dir that defines (id, version), or NULL. */
static json_t *definition_json(const char *dir, const char *id, uint32_t version)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	json_t *found = NULL;

	if (d == NULL)
		return NULL;
	while (found == NULL && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char path[4096];
		json_t *doc;
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if ((doc = json_load_file(path, JSON_REJECT_DUPLICATES, NULL)) == NULL)
			continue;
		if (json_is_string(json_object_get(doc, "id")) &&
		    strcmp(json_string_value(json_object_get(doc, "id")), id) == 0 &&
		    json_integer_value(json_object_get(doc, "version")) == (json_int_t)version)
			found = doc;
		else
			json_decref(doc);
	}
	closedir(d);
	return found;
}

static int export_cmd(int argc, char **argv)
{
	char *qdir = NULL, *out = NULL, err[1024];
	long version = 0;
	const struct setting tab[] = {
		{"questionnaires", SET_STRING, &qdir, 0, 0, "DIR",
		 "the questionnaire definitions (as the collector loads them)"},
		{"version", SET_LONG, &version, 0, 1000000, "N", "the version (the latest)"},
		{"out", SET_STRING, &out, 0, 0, "FILE",
		 "the workbook to write (.xlsx; must not exist)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct xport x = {0};
	struct qset *qs = NULL;
	json_t *doc = NULL;
	struct stat st;
	int next, rc, status = 1;

	rc = settings_parse(tab, "canvassctl", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || rc != 0 || next != argc - 1 || qdir == NULL || out == NULL) {
		if (rc == 0 && (qdir == NULL || out == NULL))
			snprintf(err, sizeof err, "--questionnaires and --out are required");
		rc = ctl_usage(
			"questionnaire export", rc == 0 ? -1 : rc, err, tab,
			"usage: canvassctl questionnaire export --questionnaires DIR "
			"[--version N] --out FILE.xlsx ID\n"
			"Writes the questionnaire ID (its latest version, or N) as an XLSForm "
			"workbook:\nthe survey, choices, settings and rules sheets "
			"(docs/questionnaires.md,\n\"Designing in a spreadsheet\").\n");
		settings_free(tab);
		return rc;
	}
	if (qset_load_dir(qdir, &qs, err, sizeof err) != 0) {
		fprintf(stderr, "canvassctl questionnaire export: %s\n", err);
		goto done;
	}
	x.def = version ? qset_find(qs, argv[next], (uint32_t)version)
			: qset_latest(qs, argv[next]);
	if (x.def == NULL || (doc = definition_json(qdir, x.def->id, x.def->version)) == NULL) {
		fprintf(stderr,
			"canvassctl questionnaire export: no questionnaire %s%s%.0ld in %s\n",
			argv[next], version ? " version " : "", version, qdir);
		goto done;
	}
	if (lstat(out, &st) == 0 || errno != ENOENT) {
		fprintf(stderr, "canvassctl questionnaire export: %s exists; not overwritten\n",
			out);
		goto done;
	}
	if ((x.wb = workbook_new(out)) == NULL) {
		fprintf(stderr, "canvassctl questionnaire export: %s: cannot be written\n", out);
		goto done;
	}
	rc = write_workbook(&x, doc);
	if (workbook_close(x.wb) != LXW_NO_ERROR && rc == 0) {
		fprintf(stderr, "canvassctl questionnaire export: %s: cannot be written\n", out);
		rc = CV_EIO;
	}
	if (rc != 0) {
		if (x.err[0])
			fprintf(stderr, "canvassctl questionnaire export: %s; nothing written\n",
				x.err);
		unlink(out);
		goto done;
	}
	printf("%s version %u: %zu sections, %zu questions, %zu rules -> %s\n", x.def->id,
	       x.def->version, x.def->n_sections, x.def->n_questions, x.def->n_rules, out);
	status = 0;
done:
	json_decref(doc);
	qset_free(&qs);
	settings_free(tab);
	return status;
}

#define IMPORT_MAX_FILE (64u << 20)

static size_t count_questions(json_t *doc)
{
	size_t n = 0, i;
	json_t *sec;
	json_array_foreach (json_object_get(doc, "sections"), i, sec)
		n += json_array_size(json_object_get(sec, "questions"));
	return n;
}

/* The whole of a file of at most max bytes, or NULL (errno: EFBIG over it). */
static char *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		char *grown;
		if (*len == cap) {
			if (cap >= max + 1) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			cap = cap ? cap * 2 : 65536;
			if ((grown = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f) || *len > max) {
		int e = ferror(f) ? EIO : EFBIG;
		free(buf);
		fclose(f);
		errno = e;
		return NULL;
	}
	fclose(f);
	return buf;
}

/*
 * The lineage of an imported definition against the versions in qdir:
 * 0 when it holds (or there is nothing to check it against).
 */
static int check_against(const char *qdir, const char *form, const char *text)
{
	struct qset *qs = NULL;
	struct questionnaire *def = NULL;
	char err[1024];
	int rc = 0;

	if (qset_load_dir(qdir, &qs, err, sizeof err) != 0 ||
	    qdef_load_text(form, text, strlen(text), &def, err, sizeof err) != 0 ||
	    (qset_find(qs, def->id, def->version) != NULL &&
	     snprintf(err, sizeof err, "%s version %u is already in %s", def->id, def->version,
		      qdir) > 0) ||
	    qset_check_lineage(qs, def, err, sizeof err) != 0) {
		fprintf(stderr, "%s: %s\ncanvassctl questionnaire import: %s: nothing written\n",
			form, err, form);
		rc = CV_ECONFIG;
	}
	qdef_free(&def);
	qset_free(&qs);
	return rc;
}

static int import_cmd(int argc, char **argv)
{
	char *out = NULL, *qdir = NULL, err[1024], *data = NULL, *text = NULL;
	const struct setting tab[] = {
		{"out", SET_STRING, &out, 0, 0, "FILE",
		 "the definition to write (JSON; must not exist; default: standard output)"},
		{"questionnaires", SET_STRING, &qdir, 0, 0, "DIR",
		 "check the lineage (replaces) against the versions there, as the collector "
		 "would load the set with this one added"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct xlsform_problems problems = {0};
	struct xlsx *x = NULL;
	json_t *doc = NULL;
	size_t len;
	int next, rc, status = 1;
	FILE *o = NULL;

	rc = settings_parse(tab, "canvassctl", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || rc != 0 || next != argc - 1) {
		rc = ctl_usage(
			"questionnaire import", rc, err, tab,
			"usage: canvassctl questionnaire import [--out FILE.json] "
			"[--questionnaires "
			"DIR] FORM.xlsx\n"
			"Reads an XLSForm workbook (docs/questionnaires.md, \"Designing in a "
			"spreadsheet\")\nand writes the questionnaire definition it describes, "
			"checked as the daemons\ncheck it at load; or lists every problem of the "
			"workbook, each with its sheet\nand cell, and writes nothing (exit 1).\n");
		settings_free(tab);
		return rc;
	}
	if ((data = slurp(argv[next], IMPORT_MAX_FILE, &len)) == NULL) {
		fprintf(stderr, "canvassctl questionnaire import: %s: %s\n", argv[next],
			errno == EFBIG ? "over the limit of 64 MiB" : strerror(errno));
		goto done;
	}
	if (xlsx_read(data, len, &x, err, sizeof err) != 0) {
		fprintf(stderr, "canvassctl questionnaire import: %s: %s\n", argv[next], err);
		goto done;
	}
	if (xlsform_import(x, &doc, &problems) != 0) {
		for (size_t i = 0; i < problems.n; i++)
			fprintf(stderr, "%s: %s\n", argv[next], problems.items[i]);
		if (problems.more > 0)
			fprintf(stderr, "%s: and %zu more problems\n", argv[next], problems.more);
		fprintf(stderr,
			"canvassctl questionnaire import: %s: %zu problem%s; nothing "
			"written\n",
			argv[next], problems.n + problems.more,
			problems.n + problems.more == 1 ? "" : "s");
		goto done;
	}
	if ((text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)) ==
	    NULL)
		goto done;
	if (qdir != NULL && check_against(qdir, argv[next], text) != 0)
		goto done;
	if (out != NULL) {
		int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 || (o = fdopen(fd, "w")) == NULL) {
			fprintf(stderr, "canvassctl questionnaire import: %s: %s\n", out,
				errno == EEXIST ? "exists; not overwritten" : strerror(errno));
			if (fd >= 0)
				close(fd);
			goto done;
		}
	}
	fprintf(o ? o : stdout, "%s\n", text);
	if ((o ? fclose(o) : fflush(stdout)) != 0) {
		fprintf(stderr, "canvassctl questionnaire import: cannot write the definition\n");
		o = NULL;
		goto done;
	}
	o = NULL;
	fprintf(stderr, "%s version %lld: %zu sections, %zu questions read from %s\n",
		json_string_value(json_object_get(doc, "id")),
		(long long)json_integer_value(json_object_get(doc, "version")),
		json_array_size(json_object_get(doc, "sections")), (size_t)0 + count_questions(doc),
		argv[next]);
	status = 0;
done:
	xlsform_problems_free(&problems);
	json_decref(doc);
	xlsx_free(&x);
	free(data);
	free(text);
	settings_free(tab);
	return status;
}

/* What changed of a question that continues prev: into buf ("" when nothing). */
static void question_changes(const struct question *prev, const struct question *q, bool adjacent,
			     char *buf, size_t len)
{
	size_t o = 0;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (o < len)                                                                       \
			o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__);                      \
	} while (0)
	buf[0] = '\0';
	if (prev->type != q->type)
		ADD("; type %s -> %s", qtype_name(prev->type), qtype_name(q->type));
	if (strcmp(prev->text, q->text) != 0)
		ADD("; text reworded");
	if ((prev->unit == NULL) != (q->unit == NULL) ||
	    (q->unit && prev->unit && strcmp(prev->unit, q->unit) != 0))
		ADD("; unit %s -> %s", prev->unit ? prev->unit : "(none)",
		    q->unit ? q->unit : "(none)");
	if (prev->has_min != q->has_min || prev->min != q->min || prev->has_max != q->has_max ||
	    prev->max != q->max)
		ADD("; bounds changed");
	if (q->type == QT_SCALE && prev->type == QT_SCALE) {
		bool same = prev->n_options == q->n_options;
		for (size_t i = 0; same && i < q->n_options; i++)
			same = prev->options[i].value == q->options[i].value &&
			       strcmp(prev->options[i].label, q->options[i].label) == 0;
		if (!same)
			ADD("; scale levels changed");
	} else if (q->n_options > 0 && prev->n_options > 0 && q->type != QT_SCALE) {
		for (size_t i = 0; i < q->n_options; i++) {
			const struct qoption *op = &q->options[i];
			const char *was = adjacent ? qdef_option_was(op) : op->id;
			int k = qdef_option_index(prev, was);
			if (k < 0)
				ADD("; option %s added", op->id);
			else if (strcmp(was, op->id) != 0)
				ADD("; option %s renamed %s", was, op->id);
			else if (strcmp(prev->options[k].label, op->label) != 0)
				ADD("; option %s relabelled", op->id);
		}
		for (size_t k = 0; k < prev->n_options; k++) {
			bool kept = false;
			for (size_t i = 0; i < q->n_options && !kept; i++)
				kept = strcmp(adjacent ? qdef_option_was(&q->options[i])
						       : q->options[i].id,
					      prev->options[k].id) == 0;
			if (!kept)
				ADD("; option %s removed", prev->options[k].id);
		}
	}
#undef ADD
}

static int diff_cmd(int argc, char **argv)
{
	char *qdir = NULL, err[1024], changes[2048];
	const struct setting tab[] = {
		{"questionnaires", SET_STRING, &qdir, 0, 0, "DIR",
		 "the questionnaire definitions (both versions)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	const struct questionnaire *a, *b;
	struct qset *qs = NULL;
	long va, vb;
	char *end1, *end2;
	int next, rc, status = 1;
	size_t n = 0;

	rc = settings_parse(tab, "canvassctl", argc, argv, &next, err, sizeof err);
	if (rc == 0 && qdir == NULL) {
		rc = -1;
		snprintf(err, sizeof err, "--questionnaires is required");
	}
	if (rc == SETTINGS_HELP || rc != 0 || next != argc - 3) {
		rc = ctl_usage(
			"questionnaire diff", rc, err, tab,
			"usage: canvassctl questionnaire diff --questionnaires DIR ID V1 V2\n"
			"Lists the questions of version V2 added, removed, renamed (by "
			"lineage: \"replaces\")\nand changed since V1, with their options, "
			"and those whose meaning changed\n(docs/questionnaires.md, \"Versions "
			"and lineage\").\n");
		settings_free(tab);
		return rc;
	}
	va = strtol(argv[next + 1], &end1, 10);
	vb = strtol(argv[next + 2], &end2, 10);
	if (qset_load_dir(qdir, &qs, err, sizeof err) != 0) {
		fprintf(stderr, "canvassctl questionnaire diff: %s\n", err);
		goto done;
	}
	if (*end1 || *end2 || va < 1 || vb <= va) {
		fprintf(stderr, "canvassctl questionnaire diff: V1 and V2 are versions, V1 < V2\n");
		settings_free(tab);
		qset_free(&qs);
		return 2;
	}
	a = qset_find(qs, argv[next], (uint32_t)va);
	b = qset_find(qs, argv[next], (uint32_t)vb);
	if (a == NULL || b == NULL) {
		fprintf(stderr,
			"canvassctl questionnaire diff: no questionnaire %s version %ld in %s\n",
			argv[next], a == NULL ? va : vb, qdir);
		goto done;
	}
	printf("%s: version %ld -> %ld\n", argv[next], va, vb);
	for (size_t i = 0; i < b->n_questions; i++) {
		const struct question *q = &b->questions[i];
		bool comparable;
		const struct question *p = qset_continued(qs, b, q, a, &comparable);
		if (p == NULL) {
			printf("added      %s\n", q->id);
			n++;
			continue;
		}
		question_changes(p, q, vb == va + 1, changes, sizeof changes);
		if (strcmp(p->id, q->id) != 0)
			printf("renamed    %s -> %s%s%s\n", p->id, q->id, changes[0] ? ": " : "",
			       changes[0] ? changes + 2 : "");
		else if (changes[0])
			printf("changed    %s: %s\n", q->id, changes + 2);
		if (!comparable)
			printf("not comparable %s: its meaning changed (\"comparable\": false)\n",
			       q->id);
		n += strcmp(p->id, q->id) != 0 || changes[0] || !comparable;
	}
	for (size_t k = 0; k < a->n_questions; k++) {
		bool continued = false;
		for (size_t i = 0; i < b->n_questions && !continued; i++) {
			bool comparable;
			continued = qset_continued(qs, b, &b->questions[i], a, &comparable) ==
				    &a->questions[k];
		}
		if (!continued) {
			printf("removed    %s\n", a->questions[k].id);
			n++;
		}
	}
	if (n == 0)
		printf("no differences\n");
	status = 0;
done:
	qset_free(&qs);
	settings_free(tab);
	return status;
}

int ctl_questionnaire(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "diff") == 0)
		return diff_cmd(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return import_cmd(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return export_cmd(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		cv_print_version("questionnaire");
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: canvassctl questionnaire export --questionnaires DIR [--version N] "
		       "--out FILE.xlsx ID\n"
		       "       canvassctl questionnaire import [--out FILE.json] FORM.xlsx\n"
		       "       canvassctl questionnaire diff --questionnaires DIR ID V1 V2\n"
		       "  export  a definition as an XLSForm workbook (docs/questionnaires.md)\n"
		       "  import  an XLSForm workbook as a definition, every problem with its "
		       "cell\n"
		       "  diff    what changed between two versions, by lineage\n");
		return 0;
	}
	fprintf(stderr, "usage: canvassctl questionnaire export --questionnaires DIR [--version N] "
			"--out FILE.xlsx ID\n"
			"       canvassctl questionnaire import [--out FILE.json] FORM.xlsx\n"
			"       canvassctl questionnaire diff --questionnaires DIR ID V1 V2\n");
	return 2;
}
