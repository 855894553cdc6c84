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

#include <stdbool.h>
#include <stdio.h>

#include "compare.h"
#include "completeness.h"
#include "profile.h"
#include "ranking.h"
#include "trend.h"

enum format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_HTML, FMT_JSONL };

/* Parses "text", "json", "csv", "html", "jsonl"; -1 when unknown. */
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

/* Helpers shared by the renderers. */
void render_csv_field(FILE *out, const char *s);
void render_csv_num(FILE *out, double x);

#endif
