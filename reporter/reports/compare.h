/*
 * compare.h - the compare report: for each question of a questionnaire and
 * cycle, and for each section score and the overall score, figures per WCO
 * region and for the world, over one dataset (dataset.h).
 *
 * Groups are the registry's regions (sorted by name) and then "World". A
 * member missing from the registry counts in World only and is reported.
 * "Not applicable" and "don't know" are counted apart and never enter the
 * figures. Disclosure control (disclosure.h) marks the cells to hide.
 */
#ifndef CANVASS_REPORTER_COMPARE_H
#define CANVASS_REPORTER_COMPARE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "disclosure.h"
#include "stats.h"

struct compare_cell {
	size_t n; /* members with a real answer (or a score) */
	size_t not_applicable;
	size_t dont_know;
	struct stats_summary stats; /* integer, number, scale, scores */
	size_t *counts;             /* per option (yes/no: [yes, no]) */
	double *values;             /* collected values, freed after summary */
	size_t n_values, cap;
	enum suppression hidden;
	enum suppression special_hidden; /* n/a and don't know: hidden too (disclosure.h) */
	bool order_shown;                /* min, quartiles, max may be published */
	/*
	 * A scored question: the least and greatest weight behind the section
	 * score [0] and the overall score [1] of the members who answered it
	 * with a value (their scored answers' weights). Where they differ, the
	 * score is not a combination of the question figures (compare.c).
	 */
	double w_lo[2], w_hi[2];
	bool w_any;
};

/* One table: a question, a section score or the overall score. */
struct compare_table {
	const struct question *q; /* NULL for scores */
	const char *id;           /* question id, section id, or "overall" */
	const char *title;
	size_t section;             /* for questions and section scores */
	bool numeric;               /* figures are stats (else counts per option) */
	struct compare_cell *cells; /* one per group */
};

struct compare_report {
	const struct dataset *ds; /* borrowed */
	size_t n_groups;
	size_t *group_submitted;
	size_t *group_expected;
	size_t unregistered;
	struct disclosure_rules rules;            /* applied */
	size_t suppressed_cells;                  /* cells hidden, all rules */
	size_t suppressed_by[DISCLOSURE_REASONS]; /* per rule (enum suppression) */
	size_t order_withheld;                    /* shown numeric cells without order statistics */
	size_t special_suppressed;     /* shown cells whose n/a and don't-know counts are hidden */
	struct disclosure_audit audit; /* the audit of every table (disclosure.h) */
	const char **names;            /* the groups' names, for the audit */
	struct compare_table *questions; /* in questionnaire order */
	size_t n_questions;
	struct compare_table *sections; /* section scores, in order */
	size_t n_sections;
	struct compare_table overall;
	bool has_scores;
	size_t rows;   /* rows added */
	size_t shares; /* compare_stream: the threads the rows are split among */
};

/* Number of options a question's counts have (0: no counts). */
size_t compare_n_options(const struct question *q);
/* Option id for counts[i] ("yes"/"no" for yes/no questions). */
const char *compare_option_id(const struct question *q, size_t i);

/* Builds the report over ds, with the disclosure rules given (disclosure.h). */
int compare_build(const struct dataset *ds, const struct disclosure_rules *rules,
		  struct compare_report **out);
/*
 * The same in three steps, for rows that are not all kept (dataset_each):
 * begin (ds gives the questionnaire and the registry), add each row
 * (a ds_row_fn; arg is the report), end (summaries and disclosure
 * control). The rows may come in any order: the figures do not depend on
 * it. On an error, compare_free the report.
 */
int compare_begin(const struct dataset *ds, const struct disclosure_rules *rules,
		  struct compare_report **out);
int compare_add_row(const struct dataset *ds, const struct ds_row *row, void *arg);
int compare_end(struct compare_report *r);
/*
 * The report over a streamed dataset (dataset_open_head), read by
 * dataset_threads() threads, each into a report of its own, merged before
 * compare_end: the same report as compare_build over the kept rows.
 */
int compare_stream(struct dataset *ds, struct store_view *v, const struct disclosure_rules *rules,
		   struct compare_report **out);
void compare_free(struct compare_report **r);

/* Progress on stderr while building long reports on a terminal. */
void compare_progress(bool on);

/* The table of question q (of the report's definition); NULL: not tabulated (consent). */
const struct compare_table *compare_question_table(const struct compare_report *r,
						   const struct question *q);

#endif
