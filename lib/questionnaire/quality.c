#include "quality.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool quality_answer_value(const Canvass__Answer *a, double *out)
{
	switch (a->value_case) {
	case CANVASS__ANSWER__VALUE_INTEGER: *out = (double)a->integer; return true;
	case CANVASS__ANSWER__VALUE_NUMBER: *out = a->number; return isfinite(a->number);
	default: return false;
	}
}

/* Index of the first element >= x. */
static size_t lower_bound(const double *v, size_t n, double x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void quality_stats_sorted(const double *v, size_t n, struct quality_stats *out)
{
	double m = (v[(n - 1) / 2] + v[n / 2]) / 2;
	/* The absolute deviations are two ascending runs: m - v[i] walking left
	 * from the median, v[j] - m walking right. Merge them up to rank n/2. */
	size_t p = lower_bound(v, n, m), i = p, j = p, k1 = (n - 1) / 2, k2 = n / 2;
	double d1 = 0, d2 = 0, sum = 0;

	for (size_t k = 0; k <= k2; k++) {
		double d;
		if (i > 0 && (j >= n || m - v[i - 1] <= v[j] - m))
			d = m - v[--i];
		else
			d = v[j++] - m;
		if (k == k1)
			d1 = d;
		if (k == k2)
			d2 = d;
	}
	out->n = n;
	out->median = m;
	out->mad = (d1 + d2) / 2;
	out->mean_ad = 0;
	if (out->mad == 0) {
		/* Only needed then (quality_modified_z): spare the pass otherwise. */
		for (size_t k = 0; k < n; k++)
			sum += fabs(v[k] - m);
		out->mean_ad = sum / (double)n;
	}
}

double quality_modified_z(const struct quality_stats *st, double x)
{
	if (st->mad > 0)
		return 0.6745 * (x - st->median) / st->mad;
	if (st->mean_ad > 0)
		return (x - st->median) / (1.253314 * st->mean_ad);
	return 0;
}

bool quality_change_exceeds(double prev, double x, bool has_rel, double rel, bool has_abs,
			    double abs, double *relative)
{
	double d = fabs(x - prev);
	bool over = has_rel || has_abs;

	*relative = prev != 0 ? d / fabs(prev) : 0;
	if (has_abs && !(d > abs))
		over = false;
	if (has_rel && !(prev != 0 ? *relative > rel : d > 0))
		over = false;
	return over;
}

void quality_sorted_insert(double *v, size_t *n, double x)
{
	size_t at = lower_bound(v, *n, x);
	memmove(v + at + 1, v + at, (*n - at) * sizeof *v);
	v[at] = x;
	(*n)++;
}

bool quality_sorted_remove(double *v, size_t *n, double x)
{
	size_t at = lower_bound(v, *n, x);
	if (at >= *n || v[at] != x)
		return false;
	memmove(v + at, v + at + 1, (*n - at - 1) * sizeof *v);
	(*n)--;
	return true;
}

bool quality_sorted_replace(double *v, size_t n, double old, double x)
{
	size_t at = lower_bound(v, n, old), to;

	if (at >= n || v[at] != old)
		return false;
	to = lower_bound(v, n, x); /* where x goes among all n, old included */
	if (to > at) {
		/* Left shift of (at, to): x lands just before the first value >= x. */
		memmove(v + at, v + at + 1, (to - at - 1) * sizeof *v);
		v[to - 1] = x;
	} else {
		memmove(v + to + 1, v + to, (at - to) * sizeof *v);
		v[to] = x;
	}
	return true;
}

/* A number for a finding's message: integers without decimals, else %.6g. */
static void quality_format(char *buf, size_t len, double x)
{
	if (x == floor(x) && fabs(x) < 1e15)
		snprintf(buf, len, "%.0f", x);
	else
		snprintf(buf, len, "%.6g", x);
}

void quality_msg_soft_range(char *buf, size_t len, double x, double bound, bool below)
{
	char xs[32], bs[32];
	quality_format(xs, sizeof xs, x);
	quality_format(bs, sizeof bs, bound);
	snprintf(buf, len, "%s is %s the expected range (%s %s): check it", xs,
		 below ? "below" : "above", below ? "warn_below" : "warn_above", bs);
}

void quality_msg_change(char *buf, size_t len, double x, double prev, double relative,
			const char *prev_cycle)
{
	char xs[32], ps[32], pct[48] = "";
	quality_format(xs, sizeof xs, x);
	quality_format(ps, sizeof ps, prev);
	if (prev != 0)
		snprintf(pct, sizeof pct, ", %s%.0f%%", x >= prev ? "+" : "-", relative * 100);
	snprintf(buf, len, "%s against %s in cycle %.32s%s: check it", xs, ps, prev_cycle, pct);
}

void quality_msg_outlier(char *buf, size_t len, double x, double median, double z, size_t n,
			 const char *label)
{
	char xs[32], ms[32];
	quality_format(xs, sizeof xs, x);
	quality_format(ms, sizeof ms, median);
	snprintf(buf, len,
		 "%s is far from the median %s of %.64s (modified z-score %.2f over %zu answers): "
		 "check it",
		 xs, ms, label, z, n);
}
