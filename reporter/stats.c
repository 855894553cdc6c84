#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double stats_quantile(const double *sorted, size_t n, double p)
{
	double h, lo;
	size_t i;

	if (n == 0)
		return NAN;
	h = (double)(n - 1) * p;
	lo = floor(h);
	i = (size_t)lo;
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + (h - lo) * (sorted[i + 1] - sorted[i]);
}

void stats_summarize(double *v, size_t n, struct stats_summary *out)
{
	double sum = 0, ss = 0;

	out->n = n;
	if (n == 0) {
		out->mean = out->sd = out->min = out->q1 = out->median = out->q3 = out->max = NAN;
		return;
	}
	qsort(v, n, sizeof *v, cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	out->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - out->mean) * (v[i] - out->mean);
	out->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
	out->min = v[0];
	out->max = v[n - 1];
	out->q1 = stats_quantile(v, n, 0.25);
	out->median = stats_quantile(v, n, 0.5);
	out->q3 = stats_quantile(v, n, 0.75);
}
