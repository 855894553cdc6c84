/*
 * profile.h - the member report: one member against its region and the
 * world, per question, section score and overall score, with its
 * percentile rank.
 *
 * Percentile rank of a value x in a group of n values: 100 * (below +
 * equal / 2) / n, where below counts values less than x and equal those
 * equal to it (the member included) - the "mid-rank" definition, so that
 * ties share a rank and the middle of a group is 50.
 *
 * The feedback version (for the member itself) is built with the feedback
 * disclosure rule and never lists another member.
 */
#ifndef CANVASS_REPORTER_PROFILE_H
#define CANVASS_REPORTER_PROFILE_H

#include <stdbool.h>

#include "compare.h"

struct profile_line {
	const struct compare_table *t;
	double value;       /* the member's number or score; NAN when none */
	char display[256];  /* the member's answer as text ("" when none) */
	double rank_region; /* percentile ranks; NAN when not applicable or hidden */
	double rank_world;
};

struct profile {
	const struct ds_row *row;
	struct compare_report *cmp; /* owned */
	bool feedback;
	struct profile_line *questions, *sections, overall;
};

/* CV_ENOTFOUND when the member has no submission in the dataset. */
int profile_build(const struct dataset *ds, const char *member,
		  const struct disclosure_rules *rules, bool feedback, struct profile **out);
void profile_free(struct profile **p);

/*
 * A group's figure beside the member's answer, as text: "mean 15.30, n 29"
 * (numbers, scores), "70% same, n 34" (the share giving the member's own
 * option), "(suppressed)", or "-" (nothing to show).
 */
void profile_group_figure(const struct profile_line *l, const struct compare_cell *c, char *buf,
			  size_t len);

/* Percentile rank of x among values v[0..n) (mid-rank); NAN when n == 0. */
double profile_percentile(const double *v, size_t n, double x);

#endif
