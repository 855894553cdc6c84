/*
 * Reports as an Excel workbook (libxlsxwriter): the report's CSV tables,
 * typed. The CSV renderer writes the rows (text cells as they are, without
 * the formula guard a CSV file needs: a workbook cell written as a string is
 * never run); this file splits them into sheets (one per value of a "kind"
 * column, else one), writes numbers as numbers and true/false as booleans,
 * freezes the header row, sets filters and column widths, and adds a Notes
 * sheet with the report's stamp and disclosure statement.
 */
#include "render.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "error.h"
#include "util.h"

#define MAX_COLS   64
#define MAX_SHEETS 16
#define MAX_WIDTH  60

/* Columns that hold identifiers or text even when they read as numbers. */
static const char *const text_columns[] = {
	"questionnaire", "cycle",   "cycles",         "member",   "region",  "id",
	"kind",          "group",   "code",           "question", "section", "by",
	"special",       "message", "classification", "chain",    "missing", "previous_cycle",
	"option",        "figure",  "section_title",  "sharing",  "name",    "field",
	"text",          NULL};

struct sheet {
	char name[32];
	lxw_worksheet *ws;
	lxw_row_t next;
	double width[MAX_COLS];
};

struct book {
	lxw_workbook *wb;
	lxw_format *head;
	char *header[MAX_COLS];
	bool text[MAX_COLS];
	size_t n_cols, kind_col;
	bool has_kind, in_header;
	struct sheet sheets[MAX_SHEETS];
	size_t n_sheets;
	const char *single; /* the one sheet's name when there is no kind column */
	char *row[MAX_COLS];
	size_t n_row;
	int rc;
};

/*
 * Whether a column of report holds text. "submitted" is the time of a
 * return in export (an ISO 8601 string) and a count in completeness.
 */
static bool is_text_column(const char *report, const char *name)
{
	if (strcmp(name, "submitted") == 0)
		return strcmp(report, "export") == 0;
	for (size_t i = 0; text_columns[i] != NULL; i++)
		if (strcmp(name, text_columns[i]) == 0)
			return true;
	return false;
}

static void on_field(void *s, size_t len, void *arg)
{
	struct book *b = arg;
	char *copy;
	if (b->n_row >= MAX_COLS) {
		b->rc = CV_EINVAL;
		return;
	}
	copy = malloc(len + 1);
	if (copy == NULL) {
		b->rc = CV_ENOMEM;
		return;
	}
	memcpy(copy, s ? s : "", len);
	copy[len] = '\0';
	b->row[b->n_row++] = copy;
}

static struct sheet *sheet_for(struct book *b, const char *name)
{
	struct sheet *sh;
	char clean[32];
	size_t k = 0;

	/* Excel: at most 31 characters, none of : \ / ? * [ ] */
	for (const char *p = name; *p && k < 31; p++)
		clean[k++] = strchr(":\\/?*[]", *p) ? '_' : *p;
	clean[k] = '\0';
	if (k == 0)
		snprintf(clean, sizeof clean, "rows");
	for (size_t i = 0; i < b->n_sheets; i++)
		if (strcmp(b->sheets[i].name, clean) == 0)
			return &b->sheets[i];
	if (b->n_sheets == MAX_SHEETS) {
		b->rc = CV_EINVAL;
		return NULL;
	}
	sh = &b->sheets[b->n_sheets++];
	memset(sh, 0, sizeof *sh);
	snprintf(sh->name, sizeof sh->name, "%s", clean);
	sh->ws = workbook_add_worksheet(b->wb, sh->name);
	if (sh->ws == NULL) {
		b->rc = CV_EINVAL;
		return NULL;
	}
	for (size_t c = 0; c < b->n_cols; c++) {
		worksheet_write_string(sh->ws, 0, (lxw_col_t)c, b->header[c], b->head);
		sh->width[c] = (double)strlen(b->header[c]) + 2;
	}
	worksheet_freeze_panes(sh->ws, 1, 0);
	sh->next = 1;
	return sh;
}

/* A number when the whole cell reads as a finite one. */
static bool as_number(const char *s, double *out)
{
	char *end;
	if (s[0] == '\0' || strchr(" \t\n", s[0]) != NULL)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno == 0 && isfinite(*out);
}

static void write_row(struct book *b)
{
	struct sheet *sh;

	sh = sheet_for(b, b->has_kind && b->kind_col < b->n_row ? b->row[b->kind_col] : b->single);
	if (sh == NULL)
		return;
	for (size_t c = 0; c < b->n_row && c < b->n_cols; c++) {
		const char *v = b->row[c];
		lxw_col_t col = (lxw_col_t)c;
		double x, w = (double)strlen(v) + 2;
		if (v[0] == '\0')
			continue;
		if (!b->text[c] && as_number(v, &x))
			worksheet_write_number(sh->ws, sh->next, col, x, NULL);
		else if (!b->text[c] && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0))
			worksheet_write_boolean(sh->ws, sh->next, col, v[0] == 't', NULL);
		else
			worksheet_write_string(sh->ws, sh->next, col, v, NULL);
		if (w > sh->width[c])
			sh->width[c] = w > MAX_WIDTH ? MAX_WIDTH : w;
	}
	sh->next++;
}

static void on_row(int term, void *arg)
{
	struct book *b = arg;
	(void)term;
	if (b->rc == 0 && b->in_header) {
		b->n_cols = b->n_row;
		for (size_t c = 0; c < b->n_row; c++) {
			b->header[c] = b->row[c];
			b->text[c] = is_text_column(b->single, b->row[c]);
			if (strcmp(b->row[c], "kind") == 0) {
				b->has_kind = true;
				b->kind_col = c;
			}
			b->row[c] = NULL;
		}
		b->in_header = false;
	} else if (b->rc == 0) {
		write_row(b);
	}
	for (size_t c = 0; c < b->n_row; c++)
		free(b->row[c]);
	b->n_row = 0;
}

/* The Notes sheet: every scalar of the stamp, by its JSON path. */
static void note(lxw_worksheet *ws, lxw_row_t *r, const char *path, json_t *v, lxw_format *bold)
{
	char key[256], num[64];
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach (v, k, x) {
			snprintf(key, sizeof key, "%s%s%s", path, path[0] ? "." : "", k);
			note(ws, r, key, x, bold);
		}
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach (v, i, x) {
			snprintf(key, sizeof key, "%s[%zu]", path, i);
			note(ws, r, key, x, bold);
		}
		return;
	}
	worksheet_write_string(ws, *r, 0, path, bold);
	if (json_is_string(v))
		worksheet_write_string(ws, *r, 1, json_string_value(v), NULL);
	else if (json_is_number(v))
		worksheet_write_number(ws, *r, 1, json_number_value(v), NULL);
	else if (json_is_boolean(v))
		worksheet_write_boolean(ws, *r, 1, json_is_true(v), NULL);
	else {
		snprintf(num, sizeof num, "null");
		worksheet_write_string(ws, *r, 1, num, NULL);
	}
	(*r)++;
}

/* Copies the finished workbook file to out. */
static int copy_out(const char *path, FILE *out)
{
	FILE *in = fopen(path, "rb");
	char buf[65536];
	size_t n;
	int rc = 0;

	if (in == NULL)
		return CV_EIO;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = CV_EIO;
	if (ferror(in))
		rc = CV_EIO;
	fclose(in);
	return rc;
}

int render_xlsx(const char *report, const char *csv, size_t len, json_t *notes, FILE *out)
{
	char path[] = "/tmp/canvass-xlsx-XXXXXX";
	const char *tmpdir = getenv("TMPDIR");
	char pathbuf[512];
	struct book b = {.in_header = true, .single = report};
	struct csv_parser p;
	lxw_worksheet *ns;
	lxw_row_t r = 0;
	int fd;

	/* libxlsxwriter writes a file: a private temporary one, then copied. */
	if (tmpdir != NULL && tmpdir[0] != '\0' &&
	    (size_t)snprintf(pathbuf, sizeof pathbuf, "%s/canvass-xlsx-XXXXXX", tmpdir) <
		    sizeof pathbuf)
		fd = mkstemp(pathbuf);
	else
		fd = mkstemp(strcpy(pathbuf, path));
	if (fd < 0)
		return CV_EIO;
	close(fd);
	b.wb = workbook_new(pathbuf);
	if (b.wb == NULL) {
		unlink(pathbuf);
		return CV_EIO;
	}
	b.head = workbook_add_format(b.wb);
	format_set_bold(b.head);
	if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL) != 0) {
		workbook_close(b.wb);
		unlink(pathbuf);
		return CV_ENOMEM;
	}
	if (csv_parse(&p, csv, len, on_field, on_row, &b) != len && b.rc == 0)
		b.rc = CV_EINVAL;
	if (b.rc == 0)
		csv_fini(&p, on_field, on_row, &b);
	csv_free(&p);
	for (size_t c = 0; c < b.n_row; c++) /* a row cut short by an error */
		free(b.row[c]);
	if (b.rc == 0 && b.n_sheets == 0)
		sheet_for(&b, b.single); /* no rows: the header alone */
	for (size_t s = 0; s < b.n_sheets; s++) {
		worksheet_autofilter(b.sheets[s].ws, 0, 0, b.sheets[s].next - 1,
				     (lxw_col_t)(b.n_cols ? b.n_cols - 1 : 0));
		for (size_t c = 0; c < b.n_cols; c++)
			worksheet_set_column(b.sheets[s].ws, (lxw_col_t)c, (lxw_col_t)c,
					     b.sheets[s].width[c], NULL);
	}
	ns = workbook_add_worksheet(b.wb, "Notes");
	if (ns != NULL) {
		worksheet_set_column(ns, 0, 0, 40, NULL);
		worksheet_set_column(ns, 1, 1, 90, NULL);
		note(ns, &r, "", notes, b.head);
	}
	for (size_t c = 0; c < b.n_cols; c++)
		free(b.header[c]);
	if (workbook_close(b.wb) != LXW_NO_ERROR && b.rc == 0)
		b.rc = CV_EIO;
	if (b.rc == 0)
		b.rc = copy_out(pathbuf, out);
	unlink(pathbuf);
	return b.rc;
}
