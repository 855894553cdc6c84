/*
 * quality.h - the quality checks' arithmetic, shared by the aggregator
 * (findings in receipts) and the reporter (the quality report), so that
 * both grade the same answer the same way. docs/questionnaires.md
 * ("Quality checks") gives the formulas and their references.
 *
 *   SOFT_RANGE            x < warn_below or x > warn_above
 *   CHANGE_FROM_PREVIOUS  d = x - p (p: the member's answer in the previous
 *                         cycle); reported when every threshold given is
 *                         exceeded: |d| > absolute, |d| / |p| > relative
 *                         (p = 0: any d != 0 exceeds the relative one)
 *   OUTLIER               modified z-score (Iglewicz and Hoaglin, 1993):
 *                         M = 0.6745 (x - median) / MAD; when MAD = 0,
 *                         M = (x - median) / (1.253314 * MeanAD); when both
 *                         are 0, M = 0. Reported when |M| > threshold and the
 *                         group holds at least min_answers answers.
 */
#ifndef CANVASS_QUALITY_H
#define CANVASS_QUALITY_H

#include <stdbool.h>
#include <stddef.h>

#include "canvass.pb-c.h"

#define QUALITY_DEFAULT_Z           3.5
#define QUALITY_DEFAULT_MIN_ANSWERS 10

/* Location and spread of a sample. */
struct quality_stats {
	size_t n;
	double median;
	double mad;     /* median absolute deviation from the median */
	double mean_ad; /* mean absolute deviation from the median */
};

/* The number an answer gives to the checks (integer, number, scale level). */
bool quality_answer_value(const Canvass__Answer *a, double *out);

/* Median, MAD and MeanAD of sorted[0..n-1] (ascending); n > 0. O(n). */
void quality_stats_sorted(const double *sorted, size_t n, struct quality_stats *out);

/* The modified z-score of x in a sample with these statistics. */
double quality_modified_z(const struct quality_stats *st, double x);

/*
 * Whether going from prev to x exceeds every threshold given (at least one
 * must be). *relative gets |x - prev| / |prev| (0 when prev is 0).
 */
bool quality_change_exceeds(double prev, double x, bool has_rel, double rel, bool has_abs,
			    double abs, double *relative);

/* Inserts x into sorted[0..*n-1] (room for one more); keeps it ascending. */
void quality_sorted_insert(double *sorted, size_t *n, double x);
/* Removes one x from sorted[0..*n-1]; false when x is not there. */
bool quality_sorted_remove(double *sorted, size_t *n, double x);
/*
 * Replaces one old by x in sorted[0..n-1], keeping it ascending, in one
 * move (a remove and an insert shift twice); false when old is not there.
 */
bool quality_sorted_replace(double *sorted, size_t n, double old, double x);

/*
 * The findings' messages, the same in receipts and in the quality report:
 *   "0.85 is below the expected range (warn_below 1): check it"
 *   "4000 against 40 in cycle 2025, +9900%: check it"
 *   "500 is far from the median 15 of the world (modified z-score 81.78 over
 *    11 answers): check it"
 */
void quality_msg_soft_range(char *buf, size_t len, double x, double bound, bool below);
void quality_msg_change(char *buf, size_t len, double x, double prev, double relative,
			const char *prev_cycle);
void quality_msg_outlier(char *buf, size_t len, double x, double median, double z, size_t n,
			 const char *label);

#endif
