/* stats: against values computed by hand (and checked with R's quantile type 7). */
#include "testutil.h"

#include <math.h>

#include "stats.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_sample),
		cmocka_unit_test(test_interpolation),
		cmocka_unit_test(test_small_samples),
		cmocka_unit_test(test_ties),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
