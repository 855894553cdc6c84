/*
 * render.h - every report in every format it has: aligned text for a
 * terminal, JSON (one document; schema in docs/reports.md), CSV (RFC 4180,
 * tidy: one row per group and figure) and one self-contained HTML page
 * with inline SVG charts (no network, no JavaScript).
 *
 * Every output states the store position (sequence and chain hash), the
 * questionnaire version, the program version and the disclosure threshold,
 * and says which figures were suppressed and why.
 */
#ifndef CANVASS_REPORTER_RENDER_H
#define CANVASS_REPORTER_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "compare.h"
#include "completeness.h"
#include "digest.h"
#include "findings.h"
#include "profile.h"
#include "ranking.h"
#include "trend.h"

enum format {
	FMT_TEXT,
	FMT_JSON,
	FMT_CSV,
	FMT_HTML,
	FMT_JSONL,
	FMT_XLSX,
	FMT_SDMX,
	FMT_XML,
	FMT_MARKDOWN
};

/* Parses "text", "json", "csv", "html", "jsonl", "xlsx", "sdmx", "xml", "markdown"; -1 when
 * unknown. */
int render_format(const char *s);

int render_compare_text(const struct compare_report *r, bool members, FILE *out);
int render_compare_json(const struct compare_report *r, bool members, FILE *out);
int render_compare_csv(const struct compare_report *r, FILE *out);
/* completeness and a member (may be NULL) feed the HTML page's charts. */
int render_compare_html(const struct compare_report *r, const struct completeness *c,
			const struct profile *member, bool members, FILE *out);

int render_profile_text(const struct profile *p, FILE *out);
int render_profile_json(const struct profile *p, FILE *out);

int render_ranking_text(const struct ranking *r, FILE *out);
int render_ranking_json(const struct ranking *r, FILE *out);
int render_ranking_csv(const struct ranking *r, FILE *out);

int render_completeness_text(const struct completeness *c, FILE *out);
int render_completeness_json(const struct completeness *c, FILE *out);
int render_completeness_csv(const struct completeness *c, FILE *out);

int render_trend_text(const struct trend *t, FILE *out);
int render_trend_json(const struct trend *t, FILE *out);
int render_trend_csv(const struct trend *t, FILE *out);

/* Shared by the HTML pages (render_html.c): text escaped for HTML and XML. */
void render_html_escape(FILE *out, const char *s);
/* The 0-100 axis of a score chart: gridlines from top to bottom, labels at label_y. */
void render_html_axis(FILE *out, double left, double width, double top, double bottom,
		      double label_y);
/* One headline figure: a label, the value, a note (in a .headline section). */
void render_html_headline(FILE *out, const char *label, const char *value, const char *note);

/* The good-practice digest (render_digest.c). */
int render_digest_html(const struct digest *d, FILE *out);
int render_digest_markdown(const struct digest *d, FILE *out);
int render_digest_json(const struct digest *d, FILE *out);
int render_digest_csv(const struct digest *d, FILE *out);

/*
 * The style of the printable pages (the feedback pack, the digest): a
 * <style> element, A4 print rules, no heading stranded at a page's end.
 */
extern const char render_print_style[];
/* The stamp every JSON output starts with: report, questionnaire, cycle, store, program... */
json_t *render_json_stamp(const char *report, const struct dataset *ds, bool confidential);

/*
 * The feedback pack (render_feedback.c): a member's page from its feedback
 * profile, and the index of the pages written (codes[0..n)).
 */
int render_feedback_page(const struct profile *p, FILE *out);
int render_feedback_index(const struct dataset *ds, const char *const *codes, size_t n, FILE *out);

/*
 * SDMX (render_sdmx.c): the compare figures as an SDMX-CSV 2.0 data message
 * (one row per observation; a suppressed cell keeps its row, without
 * OBS_VALUE, with its CONF_STATUS), trend's for every cycle on the latest
 * definition, and the SDMX-ML 3.0 structure message of a questionnaire
 * version (docs/reports.md "SDMX").
 */
int render_compare_sdmx(const struct compare_report *r, FILE *out);
int render_trend_sdmx(const struct trend *t, FILE *out);
int render_sdmx_structure(const struct questionnaire *def, const struct registry *reg, FILE *out);

/*
 * An Excel workbook of a report's CSV output (render_xlsx.c): a sheet per
 * value of its "kind" column (else one, named report), numbers as numbers,
 * the header row frozen, filters, column widths; a Notes sheet with every
 * scalar of notes (the stamp and the disclosure statement) by JSON path.
 */
int render_xlsx(const char *report, const char *csv, size_t len, json_t *notes, FILE *out);
/* While on, CSV text cells are written as they are, without the formula guard (for xlsx). */
void render_csv_set_raw(bool on);

/* The quality report: always confidential (member codes and answers). */
int render_findings_text(const struct findings *f, FILE *out);
int render_findings_json(const struct findings *f, FILE *out);
int render_findings_csv(const struct findings *f, FILE *out);

/* Disclosure control as every output states it (render_disclosure.c). */
struct disclosure_tally {
	struct disclosure_rules rules;
	bool any;     /* at least one report added */
	size_t cells; /* hidden cells, all rules */
	size_t by[DISCLOSURE_REASONS];
	size_t order_withheld;         /* shown numeric cells without order statistics */
	size_t specials;               /* shown cells whose n/a and don't-know counts are hidden */
	struct disclosure_audit audit; /* summed over the reports added */
};
/* Adds one report's counts (trend adds one per cycle). */
void render_tally_add(struct disclosure_tally *t, const struct compare_report *r);
/* The rules applied and the cells each hid: one or two lines of text. */
void render_disclosure_text(FILE *out, const struct disclosure_tally *t);
/* The same as a JSON object (new reference). */
json_t *render_disclosure_json(const struct disclosure_tally *t);
/*
 * An n/a or don't-know count of a shown cell as text: the count, or the
 * mark when the cell's special counts are hidden (buf: 24 bytes).
 */
const char *render_special(const struct compare_cell *c, size_t count, char *buf);
/*
 * Before a public output is written: 0 when the report's audit found
 * nothing that can be worked out, or when the output is confidential
 * anyway; else the audit's finding on standard error and CV_EDISCLOSE
 * (nothing is written).
 */
int render_audit_gate(const struct compare_report *cmp);
/* What a hidden figure shows in text, CSV and HTML ("x" unless set). */
void render_set_suppressed_mark(const char *mark);
const char *render_suppressed_mark(void);
/*
 * Marks every output of this run confidential (--as-of: reports at other
 * store positions can be differenced). Member-level outputs always are.
 */
void render_set_confidential(bool on);
bool render_confidential(void);
#define RENDER_CONFIDENTIAL "CONFIDENTIAL: for the Secretariat only, not for publication"

/*
 * Helpers shared by the renderers. render_csv_field writes one RFC 4180
 * field; a text a spreadsheet would run as a formula (starting with = + -
 * @, TAB or CR) is neutralised as OWASP recommends: quoted, with a single
 * quote before it (the JSON outputs keep the text as it is).
 */
void render_csv_field(FILE *out, const char *s);
void render_csv_num(FILE *out, double x);

#endif
