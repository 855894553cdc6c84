/*
 * compare.h - the compare report: for each question of a questionnaire
 * and cycle, figures per WCO region and for the world, computed from the
 * latest revision of every member's submission in one store snapshot.
 *
 * Groups are the registry's regions (sorted by name) and then "World".
 * A member missing from the registry counts in World only and is
 * reported. Answers are matched to the chosen definition by question id
 * and type; an answer that does not match is counted as skipped, never
 * guessed. "Not applicable" and "don't know" are counted apart and never
 * enter the statistics.
 */
#ifndef CANVASS_REPORTER_COMPARE_H
#define CANVASS_REPORTER_COMPARE_H

#include <stdint.h>
#include <stdio.h>

#include "qdef.h"
#include "registry.h"
#include "stats.h"
#include "store.h"

struct compare_cell {
	size_t n; /* members with a real answer */
	size_t not_applicable;
	size_t dont_know;
	struct stats_summary stats; /* integer, number, scale */
	size_t *counts;             /* per option (yes/no: [yes, no]) */
	double *values;             /* collected values, freed after summary */
	size_t n_values, cap;
};

struct compare_question {
	const struct question *q;   /* borrowed from the definition */
	struct compare_cell *cells; /* n_groups */
};

struct compare_report {
	const struct questionnaire *def; /* borrowed */
	char *cycle;
	uint64_t sequence; /* store position */
	uint8_t chain[CV_HASH_LEN];
	size_t submitted;       /* members with a submission */
	size_t unregistered;    /* of which not in the registry */
	size_t other_version;   /* submissions on another version */
	size_t skipped_answers; /* answers not matching the definition */
	const char **groups;    /* borrowed region names, then "World" */
	size_t n_groups;
	size_t *group_submitted; /* submissions per group */
	size_t *group_expected;  /* registry members per group */
	struct compare_question *questions;
	size_t n_questions;
};

/* Number of options a question's counts have (0: no counts). */
size_t compare_n_options(const struct question *q);
/* Option id for counts[i] ("yes"/"no" for yes/no questions). */
const char *compare_option_id(const struct question *q, size_t i);

int compare_build(struct store_view *v, const struct questionnaire *def, const char *cycle,
		  const struct registry *reg, struct compare_report **out);
void compare_free(struct compare_report **r);

int compare_render_text(const struct compare_report *r, FILE *out);
int compare_render_json(const struct compare_report *r, FILE *out);

#endif
