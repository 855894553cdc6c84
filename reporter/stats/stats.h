/*
 * stats.h - descriptive statistics for the comparison reports.
 *
 * Quantiles use the definition R calls type 7 and numpy uses by default:
 * for sorted x[0..n-1] and p in [0,1], h = (n-1)p, and the quantile is
 * x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
 * The standard deviation is the sample one (denominator n-1); it is NAN
 * when n < 2. Every figure of an empty sample is NAN.
 */
#ifndef CANVASS_REPORTER_STATS_H
#define CANVASS_REPORTER_STATS_H

#include <stddef.h>

struct stats_summary {
	size_t n;
	double mean, sd, min, q1, median, q3, max;
};

/* Sorts v in place and summarises it. */
void stats_summarize(double *v, size_t n, struct stats_summary *out);
/* The same for values sorted already (ascending). */
void stats_summarize_sorted(const double *v, size_t n, struct stats_summary *out);
/*
 * Merges k (at most 64) ascending arrays into out (room for all): the array
 * a sort of their concatenation gives. 0, or -1 when k is too large.
 */
int stats_merge(const double *const *parts, const size_t *lens, size_t k, double *out);
/* Quantile p of sorted values (type 7). NAN when n == 0. */
double stats_quantile(const double *sorted, size_t n, double p);

#endif
