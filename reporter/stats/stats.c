#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Sorts doubles (no NaN) ascending: quicksort with a median of three and
 * insertion sort below 24, comparisons inlined (qsort's callback per
 * comparison was a third of the compare report's time). The result is the
 * same sorted array qsort gives.
 */
static void sort_doubles(double *v, size_t n)
{
	while (n > 24) {
		size_t i = 0, j = n - 1, mid = n / 2;
		double pivot, t;
		/* median of three into v[mid] */
		if (v[mid] < v[0]) {
			t = v[mid], v[mid] = v[0], v[0] = t;
		}
		if (v[n - 1] < v[mid]) {
			t = v[mid], v[mid] = v[n - 1], v[n - 1] = t;
			if (v[mid] < v[0]) {
				t = v[mid], v[mid] = v[0], v[0] = t;
			}
		}
		pivot = v[mid];
		for (;;) {
			while (v[i] < pivot)
				i++;
			while (pivot < v[j])
				j--;
			if (i >= j)
				break;
			t = v[i], v[i] = v[j], v[j] = t;
			i++;
			j--;
		}
		/* v[0..j] <= pivot <= v[j+1..n): recurse into the smaller part */
		if (j + 1 < n - j - 1) {
			sort_doubles(v, j + 1);
			v += j + 1;
			n -= j + 1;
		} else {
			sort_doubles(v + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t k = i;
		while (k > 0 && x < v[k - 1]) {
			v[k] = v[k - 1];
			k--;
		}
		v[k] = x;
	}
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

/*
 * Answers on a scale or counts of a few distinct whole numbers: counted,
 * not compared (one pass to look, one to count, one to write). 0 when
 * sorted so, -1 when the values are not such (then nothing was changed).
 */
#define COUNT_SORT_RANGE 1024
static int count_sort(double *v, size_t n)
{
	unsigned counts[COUNT_SORT_RANGE];
	double lo, hi;
	size_t k = 0;

	if (n < 64)
		return -1;
	lo = hi = v[0];
	for (size_t i = 0; i < n; i++) {
		double x = v[i];
		if (x != floor(x) || !(x >= -1e9 && x <= 1e9))
			return -1;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
		if (hi - lo >= COUNT_SORT_RANGE || hi - lo > (double)n)
			return -1;
	}
	memset(counts, 0, sizeof counts);
	for (size_t i = 0; i < n; i++)
		counts[(size_t)(v[i] - lo)]++;
	for (size_t d = 0; d <= (size_t)(hi - lo); d++)
		for (unsigned c = 0; c < counts[d]; c++)
			v[k++] = lo + (double)d;
	return 0;
}

void stats_summarize(double *v, size_t n, struct stats_summary *out)
{
	if (count_sort(v, n) != 0)
		sort_doubles(v, n);
	stats_summarize_sorted(v, n, out);
}

/* Two ascending arrays into out. */
static void merge2(const double *x, size_t nx, const double *y, size_t ny, double *out)
{
	size_t i = 0, j = 0, o = 0;
	while (i < nx && j < ny)
		out[o++] = y[j] < x[i] ? y[j++] : x[i++];
	while (i < nx)
		out[o++] = x[i++];
	while (j < ny)
		out[o++] = y[j++];
}

int stats_merge(const double *const *parts, const size_t *lens, size_t k, double *out)
{
	size_t total = 0;
	double *tmp;

	if (k > 64)
		return -1;
	for (size_t i = 0; i < k; i++)
		total += lens[i];
	if (total == 0)
		return 0;
	if (k == 1) {
		memcpy(out, parts[0], total * sizeof *out);
		return 0;
	}
	/* Halves, each merged into scratch, then the two into out. */
	if ((tmp = malloc(total * sizeof *tmp)) == NULL)
		return -1;
	{
		size_t h = k / 2, left = 0;
		for (size_t i = 0; i < h; i++)
			left += lens[i];
		if (stats_merge(parts, lens, h, tmp) != 0 ||
		    stats_merge(parts + h, lens + h, k - h, tmp + left) != 0) {
			free(tmp);
			return -1;
		}
		merge2(tmp, left, tmp + left, total - left, out);
	}
	free(tmp);
	return 0;
}

void stats_summarize_sorted(const double *v, size_t n, struct stats_summary *out)
{
	double sum = 0, ss = 0;

	out->n = n;
	if (n == 0) {
		out->mean = out->sd = out->min = out->q1 = out->median = out->q3 = out->max = NAN;
		return;
	}
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
