/* stats: against values computed by hand (and checked with R's quantile type 7). */
#include "testutil.h"

#include <math.h>

#include "stats.h"

#include <stdlib.h>
#include <string.h>

#define CLOSE(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_known_sample(void **state)
{
	/* 2 4 4 4 5 5 7 9: mean 5, sample sd sqrt(32/7). */
	double v[] = {9, 4, 2, 5, 4, 7, 4, 5};
	struct stats_summary s;
	(void)state;

	stats_summarize(v, 8, &s);
	assert_int_equal(s.n, 8);
	CLOSE(s.mean, 5.0);
	CLOSE(s.sd, sqrt(32.0 / 7.0));
	CLOSE(s.min, 2.0);
	CLOSE(s.max, 9.0);
	/* h = 7 * 0.25 = 1.75: 4 + 0.75 * (4 - 4) = 4 */
	CLOSE(s.q1, 4.0);
	/* h = 3.5: 4 + 0.5 * (5 - 4) = 4.5 */
	CLOSE(s.median, 4.5);
	/* h = 5.25: 5 + 0.25 * (7 - 5) = 5.5 */
	CLOSE(s.q3, 5.5);
}

static void test_interpolation(void **state)
{
	double v[] = {1, 2, 3, 4};
	(void)state;
	/* h = 3 * 0.25 = 0.75: 1.75;  median 2.5;  h = 2.25: 3.25 */
	CLOSE(stats_quantile(v, 4, 0.25), 1.75);
	CLOSE(stats_quantile(v, 4, 0.5), 2.5);
	CLOSE(stats_quantile(v, 4, 0.75), 3.25);
	CLOSE(stats_quantile(v, 4, 0.0), 1.0);
	CLOSE(stats_quantile(v, 4, 1.0), 4.0);
}

static void test_small_samples(void **state)
{
	double one[] = {3.5}, two[] = {10, 0};
	struct stats_summary s;
	(void)state;

	stats_summarize(one, 1, &s);
	CLOSE(s.mean, 3.5);
	CLOSE(s.median, 3.5);
	CLOSE(s.q1, 3.5);
	assert_true(isnan(s.sd)); /* undefined for n = 1, never 0 */

	stats_summarize(two, 2, &s);
	CLOSE(s.mean, 5.0);
	CLOSE(s.sd, sqrt(50.0));
	CLOSE(s.q1, 2.5);
	CLOSE(s.median, 5.0);
	CLOSE(s.q3, 7.5);

	stats_summarize(NULL, 0, &s);
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.mean) && isnan(s.median) && isnan(s.min));
}

static void test_ties(void **state)
{
	double v[] = {3, 3, 3, 3, 3};
	struct stats_summary s;
	(void)state;
	stats_summarize(v, 5, &s);
	CLOSE(s.sd, 0.0);
	CLOSE(s.q1, 3.0);
	CLOSE(s.q3, 3.0);
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The summary sorts in its own way; it must give qsort's order, and a merge of
 * sorted parts the sort of their concatenation: many sizes, ties, extremes. */
static void test_sort_and_merge(void **state)
{
	static const double pool[] = {0, 1, -1, 2.5, 1e308, -1e308, 5e-324, 3, 3, 3, 7.25, -0.5};
	unsigned seed = 7;
	(void)state;
	for (size_t n = 0; n < 3000; n += 1 + n / 3) {
		double *v = malloc((n + 1) * sizeof *v), *want = malloc((n + 1) * sizeof *want);
		double *merged = malloc((n + 1) * sizeof *merged);
		struct stats_summary a, b;
		const double *parts[5];
		size_t lens[5], at = 0;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			v[i] = (seed >> 16) % 3 == 0 ? pool[(seed >> 8) % 12]
						     : (double)((int)(seed >> 12) % 1000) / 7.0;
		}
		memcpy(want, v, n * sizeof *v);
		qsort(want, n, sizeof *want, dcmp);
		/* five parts, each sorted, merged */
		for (size_t k = 0; k < 5; k++) {
			size_t len = k < 4 ? n / 5 : n - at;
			parts[k] = v + at;
			lens[k] = len;
			at += len;
		}
		for (size_t k = 0; k < 5; k++)
			qsort(v + (parts[k] - v), lens[k], sizeof *v, dcmp);
		assert_int_equal(stats_merge(parts, lens, 5, merged), 0);
		/* parts that are empty (a region nobody in it answered): no copy from them */
		{
			const double *some[3] = {NULL, want, NULL};
			size_t nlens[3] = {0, n, 0};
			assert_int_equal(stats_merge(some, nlens, 3, merged), 0);
			assert_memory_equal(merged, want, n * sizeof *want);
		}
		assert_memory_equal(merged, want, n * sizeof *want);
		memcpy(merged, want, n * sizeof *want);
		for (size_t i = 0; i + 1 < n; i += 2) { /* unsort */
			double t = merged[i];
			merged[i] = merged[n - 1 - i];
			merged[n - 1 - i] = t;
		}
		stats_summarize(merged, n, &a);
		assert_memory_equal(merged, want, n * sizeof *want);
		stats_summarize_sorted(want, n, &b);
		assert_memory_equal(&a, &b, sizeof a);
		free(v);
		free(want);
		free(merged);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Whole numbers of a small range are counted; anything else is compared: the same order. */
static void test_counted_and_compared(void **state)
{
	double a[500], b[500];
	struct stats_summary s1, s2;
	(void)state;

	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 500; i++) {
			unsigned h = (unsigned)(i * 2654435761u + (unsigned)round * 40503u);
			a[i] = round == 0   ? (double)(h % 5)         /* a scale */
			       : round == 1 ? (double)(h % 300) - 150 /* whole, negative too */
			       : round == 2 ? (double)(h % 1001) / 10 /* decimals: compared */
					    : (double)(h % 100000);   /* too wide: compared */
			b[i] = a[i];
		}
		stats_summarize(a, 500, &s1);
		qsort(b, 500, sizeof *b, cmp_d);
		stats_summarize_sorted(b, 500, &s2);
		assert_memory_equal(a, b, sizeof a);
		assert_true(s1.mean == s2.mean && s1.median == s2.median && s1.q1 == s2.q1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_sample),   cmocka_unit_test(test_interpolation),
		cmocka_unit_test(test_small_samples),  cmocka_unit_test(test_ties),
		cmocka_unit_test(test_sort_and_merge), cmocka_unit_test(test_counted_and_compared),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
