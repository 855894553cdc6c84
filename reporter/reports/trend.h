/*
 * trend.h - figures across cycles: for each number, scale and yes/no
 * question, each section score and the overall score, the mean (or the
 * share answering yes) per region and for the world in every cycle, and one
 * member's own values with --member.
 *
 * Each cycle is read with the questionnaire version most of its
 * submissions answered. A question whose definition (type, wording, unit,
 * bounds, levels or options, scoring) differs between the versions used is
 * flagged and named, never silently mixed; a section score is flagged when
 * any of its scored questions changed.
 */
#ifndef CANVASS_REPORTER_TREND_H
#define CANVASS_REPORTER_TREND_H

#include <stdbool.h>

#include "compare.h"

struct trend_point {
	double value; /* NAN: no figure */
	size_t n;
	enum suppression hidden;
};

struct trend_series {
	const char *id, *title, *kind; /* kind: "mean", "share yes", "score" */
	bool changed;
	char change_note[200];
	struct trend_point *points; /* [cycle * (groups + 1) + group]; the member last */
};

struct trend {
	char **cycles; /* borrowed */
	size_t n_cycles;
	struct dataset **ds;         /* one per cycle, owned */
	struct compare_report **cmp; /* one per cycle, owned */
	size_t n_groups;
	const char *member; /* or NULL */
	const struct dataset *latest;
	struct trend_series *series;
	size_t n_series;
};

int trend_build(struct store_view *v, const struct qset *qs, const char *questionnaire,
		const struct registry *reg, char **cycles, size_t n_cycles, const char *member,
		const struct disclosure_rules *rules, uint64_t as_of, struct trend **out);
void trend_free(struct trend **t);

/* Writes a signature of q's definition into buf: equal signatures compare. */
void trend_signature(const struct question *q, char *buf, size_t len);

#endif
