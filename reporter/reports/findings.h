/*
 * findings.h - the quality report: every finding over the stored returns
 * of one questionnaire and cycle, recomputed on the final data with the
 * same arithmetic as the receipts (lib/questionnaire/quality.c), plus what only the
 * whole cycle shows.
 *
 *   SOFT_RANGE, CHANGE_FROM_PREVIOUS, OUTLIER  per return and question, as in
 *       receipts; the outlier groups hold every return's current number
 *       (world, and the member's region in the registry)
 *   HIGH_SPECIAL_RATE  per question: of the returns that answer it, the share
 *       answering "don't know" or "not applicable" is at least the threshold
 *   SAME_LEVEL  per return: every scale question answered, all with the same
 *       level (at least three scale questions)
 *
 * Findings are sorted by member (question-level ones, without a member,
 * first), then question order, then code.
 */
#ifndef CANVASS_REPORTER_FINDINGS_H
#define CANVASS_REPORTER_FINDINGS_H

#include <stddef.h>

#include "dataset.h"
#include "qdef.h"

struct finding {
	const char *member;   /* NULL: about a question (HIGH_SPECIAL_RATE) */
	const char *region;   /* the member's region, or NULL */
	const char *question; /* NULL: about a return (SAME_LEVEL) */
	size_t order;         /* question order (SIZE_MAX for none) */
	const char *code;
	double value;      /* the answer; HIGH_SPECIAL_RATE: the rate; SAME_LEVEL: the level */
	double reference;  /* bound, previous answer, median; HIGH_SPECIAL_RATE: the threshold */
	double score;      /* OUTLIER: modified z; CHANGE_FROM_PREVIOUS: relative change */
	const char *group; /* OUTLIER: "world" or the region; CHANGE: the previous cycle */
	size_t n;          /* OUTLIER: answers in the group; HIGH_SPECIAL_RATE: returns answering;
			      SAME_LEVEL: scale questions */
	char message[200];
};

struct findings {
	const struct dataset *ds;   /* borrowed */
	const struct dataset *prev; /* borrowed; NULL: no previous cycle */
	const struct qset *qs;      /* borrowed: the lineage between their versions */
	double special_rate;        /* HIGH_SPECIAL_RATE threshold */
	struct finding *items;
	size_t n;
	size_t returns; /* returns examined */
};

/*
 * prev may be NULL; on another version than ds, its questions are those
 * ds's continue (qs: the lineage; a question whose meaning changed is not
 * compared). special_rate in (0, 1].
 */
int findings_build(const struct dataset *ds, const struct dataset *prev, const struct qset *qs,
		   double special_rate, struct findings **out);
void findings_free(struct findings **f);

#endif
