/*
 * disclosure: each rule on hand-worked tables, including the six attacks of
 * the disclosure issue (thresholds on answers, World minus the shown
 * regions, the insider, order statistics, feedback, shares).
 */
#include "disclosure.h"
#include "testutil.h"

#include <string.h>

static struct disclosure_rules rules(size_t k)
{
	struct disclosure_rules r;
	disclosure_defaults(&r);
	r.k = k;
	return r;
}

/* A choice cell: members, then the count of each of two options. */
static struct disclosure_cell choice(size_t members, const size_t *counts)
{
	struct disclosure_cell c = {0};
	c.members = members;
	c.n = counts[0] + counts[1];
	c.counts = counts;
	c.n_options = 2;
	return c;
}

static struct disclosure_cell numeric(size_t members, const double *v, size_t n)
{
	struct disclosure_cell c = {0};
	c.members = members;
	c.n = n;
	c.values = v;
	return c;
}

static void test_thresholds_count_answers(void **state)
{
	/* Attack 1: 1 answer, 1 n/a, 1 don't know: 3 members but n is 1. */
	struct disclosure_rules r = rules(3);
	static const double a[] = {4}, w[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	static const double b[] = {1, 2, 3, 5, 6, 7, 8, 9};
	struct disclosure_cell cells[3] = {numeric(3, a, 1), numeric(8, b, 8), numeric(11, w, 9)};
	enum suppression out[3];
	size_t by[DISCLOSURE_REASONS] = {0};
	(void)state;

	assert_int_equal(disclosure_table(&r, DISCLOSURE_NUMERIC, cells, 3, out, by), 2);
	assert_int_equal(out[0], SUPPRESSED_PRIMARY);
	/* World minus the other region would give it back: that region goes too. */
	assert_int_equal(out[1], SUPPRESSED_COMPLEMENTARY);
	assert_int_equal(out[2], SHOWN);
	assert_int_equal(by[SUPPRESSED_PRIMARY], 1);
	assert_int_equal(by[SUPPRESSED_COMPLEMENTARY], 1);
	/* Numbers need four answers whatever K below 4 says: mean and sd are two moments. */
	assert_int_equal(disclosure_min_n(&r, DISCLOSURE_NUMERIC), 4);
	assert_int_equal(disclosure_min_n(&r, DISCLOSURE_CHOICE), 3);
	r.k = 5;
	assert_int_equal(disclosure_min_n(&r, DISCLOSURE_NUMERIC), 5);
}

static void test_world_minus_shown_regions(void **state)
{
	/* Attack 2: two regions of one answer each; the rest large. */
	struct disclosure_rules r = rules(3);
	static const size_t a[] = {1, 0}, b[] = {0, 1}, c[] = {6, 4}, d[] = {5, 7}, w[] = {12, 12};
	struct disclosure_cell cells[5] = {choice(1, a), choice(1, b), choice(10, c), choice(12, d),
					   choice(24, w)};
	enum suppression out[5];
	(void)state;

	assert_int_equal(disclosure_table(&r, DISCLOSURE_CHOICE, cells, 5, out, NULL), 3);
	assert_int_equal(out[0], SUPPRESSED_PRIMARY);
	assert_int_equal(out[1], SUPPRESSED_PRIMARY);
	/* World minus C and D would be the two together (n 2): C, the smaller, goes too. */
	assert_int_equal(out[2], SUPPRESSED_COMPLEMENTARY);
	assert_int_equal(out[3], SHOWN);
	assert_int_equal(out[4], SHOWN);
}

static void test_insider(void **state)
{
	/*
	 * Attack 3: three hidden regions of one answer each: World minus the
	 * shown gives n 3 (enough), yes 2, no 1 - a member who said no learns
	 * both others said yes. The shares rule on the aggregate catches it.
	 */
	struct disclosure_rules r = rules(3);
	static const size_t a[] = {1, 0}, b[] = {1, 0}, c[] = {0, 1}, d[] = {6, 4}, w[] = {8, 5};
	struct disclosure_cell cells[5] = {choice(1, a), choice(1, b), choice(1, c), choice(10, d),
					   choice(13, w)};
	enum suppression out[5];
	(void)state;

	disclosure_table(&r, DISCLOSURE_CHOICE, cells, 5, out, NULL);
	assert_int_equal(out[3], SUPPRESSED_COMPLEMENTARY);
	assert_int_equal(out[4], SHOWN); /* World minus nothing: all 13 together */
	/* Numbers: two hidden regions of two answers: 4 together, 3 unknown to an insider. */
	{
		static const double x[] = {1, 2}, y[] = {3, 9}, z[] = {1, 2, 4, 5, 6, 7, 8},
				    ww[] = {1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9};
		struct disclosure_cell nc[4] = {numeric(2, x, 2), numeric(2, y, 2),
						numeric(7, z, 7), numeric(11, ww, 11)};
		enum suppression o[4];
		disclosure_table(&r, DISCLOSURE_NUMERIC, nc, 4, o, NULL);
		assert_int_equal(o[0], SUPPRESSED_PRIMARY);
		assert_int_equal(o[1], SUPPRESSED_PRIMARY);
		assert_int_equal(o[2], SHOWN);
		assert_int_equal(o[3], SHOWN);
	}
}

static void test_order_statistics(void **state)
{
	/* Attack 4: with n <= 5 the five order statistics give the whole sample. */
	struct disclosure_rules r = rules(3);
	(void)state;
	assert_false(disclosure_order_stats(&r, 5));
	assert_false(disclosure_order_stats(&r, 9));
	assert_true(disclosure_order_stats(&r, 10));
	r.k_order = 20;
	assert_false(disclosure_order_stats(&r, 19));
	/* Attack 5: never in a member's feedback. */
	r.feedback = true;
	assert_false(disclosure_order_stats(&r, 1000));
	/* Off: everything. */
	r = rules(1);
	assert_true(disclosure_order_stats(&r, 1));
}

static void test_feedback_counts_the_others(void **state)
{
	struct disclosure_rules r = rules(3);
	static const size_t own[] = {2, 1}, other[] = {3, 3}, w[] = {5, 4};
	struct disclosure_cell cells[3] = {choice(3, own), choice(6, other), choice(9, w)};
	enum suppression out[3];
	(void)state;

	/* Published in compare (3 answers)... */
	disclosure_table(&r, DISCLOSURE_CHOICE, cells, 3, out, NULL);
	assert_int_equal(out[0], SUPPRESSED_SHARES); /* 2 of 3 in one option: all but one */
	/* ...and in the member's feedback only where 3 others answered. */
	{
		static const size_t own2[] = {2, 2};
		struct disclosure_cell c2[3] = {choice(4, own2), choice(6, other), choice(10, w)};
		r.own_group = 0;
		r.feedback = true;
		disclosure_table(&r, DISCLOSURE_CHOICE, c2, 3, out, NULL);
		assert_int_equal(out[0], SHOWN); /* 3 others; 2 + 2: no option holds n - 1 */
		r.own_group = 1;
		disclosure_table(&r, DISCLOSURE_CHOICE, c2, 3, out, NULL);
		assert_int_equal(out[1], SHOWN);
	}
	{
		static const size_t own3[] = {2, 1};
		struct disclosure_cell c3[3] = {choice(3, own3), choice(6, other), choice(9, w)};
		r.own_group = 0;
		r.shares = false;
		disclosure_table(&r, DISCLOSURE_CHOICE, c3, 3, out, NULL);
		assert_int_equal(out[0], SUPPRESSED_PRIMARY); /* 2 others < 3 */
		assert_int_equal(out[1], SUPPRESSED_COMPLEMENTARY);
	}
}

static void test_shares(void **state)
{
	/* Attack 6: a choice taken by all, or by all but one. */
	struct disclosure_rules r = rules(3);
	static const size_t all[] = {5, 0}, but_one[] = {4, 1}, mixed[] = {3, 2};
	enum suppression out[2];
	(void)state;
	{
		struct disclosure_cell c[2] = {choice(5, all), choice(5, all)};
		disclosure_table(&r, DISCLOSURE_CHOICE, c, 2, out, NULL);
		assert_int_equal(out[0], SUPPRESSED_SHARES);
		assert_int_equal(out[1], SUPPRESSED_SHARES);
	}
	{
		static const size_t w[] = {7, 3};
		struct disclosure_cell c[3] = {choice(5, but_one), choice(5, mixed), choice(10, w)};
		enum suppression o[3];
		disclosure_table(&r, DISCLOSURE_CHOICE, c, 3, o, NULL);
		assert_int_equal(o[0], SUPPRESSED_SHARES);
		/* World minus the other region would give the first back. */
		assert_int_equal(o[1], SUPPRESSED_COMPLEMENTARY);
		assert_int_equal(o[2], SHOWN);
	}
	/* Multiple choice: an option selected by everybody. */
	{
		static const size_t sel[] = {4, 1};
		struct disclosure_cell c[2] = {choice(4, sel), choice(4, sel)};
		c[0].n = c[1].n = 4;
		disclosure_table(&r, DISCLOSURE_MULTI, c, 2, out, NULL);
		assert_int_equal(out[0], SUPPRESSED_SHARES);
	}
	/*
	 * Multiple choice: an option nobody selected tells every member's
	 * answer to it; one selected by one tells that one everyone else's.
	 * A single choice's empty option says only "not this one".
	 */
	{
		static const size_t none[] = {3, 0, 2}, one[] = {3, 1, 2}, two[] = {3, 2, 2},
				    single[] = {3, 0, 3};
		struct disclosure_cell c[2] = {choice(6, none), choice(6, none)};
		c[0].n_options = c[1].n_options = 3;
		c[0].n = c[1].n = 6;
		disclosure_table(&r, DISCLOSURE_MULTI, c, 2, out, NULL);
		assert_int_equal(out[0], SUPPRESSED_SHARES);
		c[0].counts = c[1].counts = one;
		disclosure_table(&r, DISCLOSURE_MULTI, c, 2, out, NULL);
		assert_int_equal(out[0], SUPPRESSED_SHARES);
		c[0].counts = c[1].counts = two;
		disclosure_table(&r, DISCLOSURE_MULTI, c, 2, out, NULL);
		assert_int_equal(out[0], SHOWN);
		c[0].counts = c[1].counts = single;
		disclosure_table(&r, DISCLOSURE_CHOICE, c, 2, out, NULL);
		assert_int_equal(out[0], SHOWN);
	}
	/* The rule can be turned off. */
	r.shares = false;
	{
		struct disclosure_cell c[2] = {choice(5, all), choice(5, all)};
		disclosure_table(&r, DISCLOSURE_CHOICE, c, 2, out, NULL);
		assert_int_equal(out[0], SHOWN);
	}
}

static void test_equal_values(void **state)
{
	struct disclosure_rules r = rules(3);
	static const double same[] = {2, 2, 2, 2}, but_one[] = {1, 2, 2, 2}, top[] = {2, 2, 2, 7},
			    two_two[] = {1, 1, 2, 2};
	enum suppression out[2];
	(void)state;
	{
		struct disclosure_cell c[2] = {numeric(4, same, 4), numeric(4, same, 4)};
		disclosure_table(&r, DISCLOSURE_NUMERIC, c, 2, out, NULL);
		assert_int_equal(out[0], SUPPRESSED_EQUAL);
	}
	{
		struct disclosure_cell c[2] = {numeric(4, but_one, 4), numeric(4, top, 4)};
		disclosure_table(&r, DISCLOSURE_NUMERIC, c, 2, out, NULL);
		assert_int_equal(out[0], SUPPRESSED_EQUAL);
		assert_int_equal(out[1], SUPPRESSED_EQUAL);
	}
	{
		struct disclosure_cell c[2] = {numeric(4, two_two, 4), numeric(4, two_two, 4)};
		disclosure_table(&r, DISCLOSURE_NUMERIC, c, 2, out, NULL);
		assert_int_equal(out[0], SHOWN);
		assert_int_equal(out[1], SHOWN);
	}
	/* On the aggregate too: two hidden regions whose answers are all 5. */
	{
		static const double a[] = {5}, b[] = {5, 5, 5}, c[] = {1, 2, 3, 4},
				    w[] = {1, 2, 3, 4, 5, 5, 5, 5};
		struct disclosure_cell cells[4] = {numeric(1, a, 1), numeric(3, b, 3),
						   numeric(4, c, 4), numeric(8, w, 8)};
		enum suppression o[4];
		disclosure_table(&r, DISCLOSURE_NUMERIC, cells, 4, o, NULL);
		assert_int_equal(o[0], SUPPRESSED_PRIMARY);
		assert_int_equal(o[1], SUPPRESSED_PRIMARY);
		assert_int_equal(o[2], SUPPRESSED_COMPLEMENTARY);
		assert_int_equal(o[3], SHOWN);
	}
}

static void test_unregistered_and_off(void **state)
{
	/* One member outside every region: World minus the regions would be it. */
	struct disclosure_rules r = rules(3);
	static const size_t a[] = {3, 3}, b[] = {4, 4}, w[] = {8, 7};
	struct disclosure_cell cells[3] = {choice(6, a), choice(8, b), choice(15, w)};
	enum suppression out[3];
	(void)state;

	disclosure_table(&r, DISCLOSURE_CHOICE, cells, 3, out, NULL);
	assert_int_equal(out[0], SUPPRESSED_COMPLEMENTARY);
	assert_int_equal(out[1], SHOWN);
	assert_int_equal(out[2], SHOWN);
	/* K 1: nothing hidden, whatever the table. */
	r = rules(1);
	assert_int_equal(disclosure_table(&r, DISCLOSURE_CHOICE, cells, 3, out, NULL), 0);
	assert_string_equal(disclosure_code(SUPPRESSED_SHARES), "shares");
	assert_string_equal(disclosure_code(SHOWN), "");
}

static void test_linked(void **state)
{
	/*
	 * A score table whose question is hidden in region 0 (the caller marks
	 * it linked): hidden there even though its own figures pass, and World
	 * minus the shown regions is then checked as for any hidden cell.
	 */
	struct disclosure_rules r = rules(3);
	static const double a[] = {10, 20, 30, 40, 50}, b[] = {1, 2, 3, 4, 5, 6},
			    c[] = {7, 8, 9, 11, 12, 13};
	static const double w[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 30, 40, 50};
	struct disclosure_cell cells[4] = {numeric(5, a, 5), numeric(6, b, 6), numeric(6, c, 6),
					   numeric(17, w, 17)};
	enum suppression out[4];
	size_t by[DISCLOSURE_REASONS] = {0};
	(void)state;

	cells[0].linked = true;
	assert_int_equal(disclosure_table(&r, DISCLOSURE_NUMERIC, cells, 4, out, by), 1);
	assert_int_equal(out[0], SUPPRESSED_LINKED);
	assert_int_equal(out[1], SHOWN);
	assert_int_equal(by[SUPPRESSED_LINKED], 1);
	assert_string_equal(disclosure_code(SUPPRESSED_LINKED), "linked");
	/* A cell its own rules hide says so, not "linked". */
	cells[1].linked = true;
	cells[1].n = 2;
	assert_int_equal(disclosure_table(&r, DISCLOSURE_NUMERIC, cells, 4, out, NULL), 2);
	assert_int_equal(out[1], SUPPRESSED_PRIMARY);
	/* World minus region 2 would be regions 0 and 1: 7 answers, passes. */
	assert_int_equal(out[2], SHOWN);
}

/* A special-answer cell: members, value answers, then n/a, dk, no answer. */
static struct disclosure_cell special(size_t members, size_t values, const size_t *k)
{
	struct disclosure_cell c = {0};
	c.members = members;
	c.n = members - values;
	c.counts = k;
	c.n_options = 3;
	return c;
}

static void test_special_answers(void **state)
{
	/*
	 * Attack 4: who gave no value is known; which special answer each gave
	 * is not to be learnt. Region 0: 9 members, 7 values, 2 n/a: both
	 * without a value said n/a. Region 1: 10 members, 4 without a value,
	 * n/a 2, dk 1, no answer 1: shown. Region 2: all values: nothing to
	 * protect. World: 29 members (3 of them unregistered), 9 without a
	 * value: n/a 4, dk 3, none 2.
	 */
	struct disclosure_rules r = rules(3);
	static const size_t k0[] = {2, 0, 0}, k1[] = {2, 1, 1}, k2[] = {0, 0, 0}, kw[] = {4, 3, 2};
	struct disclosure_cell cells[4] = {special(9, 7, k0), special(10, 6, k1),
					   special(10, 10, k2), special(29, 20, kw)};
	enum suppression out[4];
	(void)state;

	disclosure_table(&r, DISCLOSURE_SPECIAL, cells, 4, out, NULL);
	assert_int_equal(out[0], SUPPRESSED_PRIMARY); /* 2 < K */
	assert_int_equal(out[1], SHOWN);
	assert_int_equal(out[2], SHOWN);
	/* World minus regions 1 and 2: 5 without a value, n/a 2, dk 2, none 1: passes. */
	assert_int_equal(out[3], SHOWN);
	/* Region 1 with 3 n/a of 4: one kind holds all but one. */
	static const size_t k1b[] = {3, 0, 1}, kwb[] = {5, 2, 2};
	cells[1] = special(10, 6, k1b);
	cells[3] = special(29, 20, kwb);
	disclosure_table(&r, DISCLOSURE_SPECIAL, cells, 4, out, NULL);
	assert_int_equal(out[1], SUPPRESSED_SHARES);
}

static void test_audit(void **state)
{
	/*
	 * Regions A (5 answers), B (1), C (6) and World (12 + 2 unregistered =
	 * 14). Decided by the rules: B hidden, and then its complement. The
	 * audit solves the shown sums over the blocks A, B, C, unregistered and
	 * judges each aggregate it isolates: nothing.
	 */
	struct disclosure_rules r = rules(3);
	static const size_t a[] = {3, 2}, b[] = {1, 0}, c[] = {2, 4}, w[] = {8, 6};
	struct disclosure_cell cells[4] = {choice(5, a), choice(1, b), choice(6, c), choice(14, w)};
	const char *names[] = {"A", "B", "C", "World"};
	enum suppression out[4];
	struct disclosure_audit au = {0};
	(void)state;

	disclosure_table(&r, DISCLOSURE_CHOICE, cells, 4, out, NULL);
	assert_int_equal(out[1], SUPPRESSED_PRIMARY);
	assert_int_equal(
		disclosure_audit_table(&r, DISCLOSURE_CHOICE, cells, 4, out, "q", names, &au), 0);
	assert_int_equal(au.tables, 1);
	assert_true(au.equations >= 2);
	assert_int_equal(au.failures, 0);
	/*
	 * A decision that forgot the complement: A, C and World shown with B
	 * hidden: World - A - C is B and the unregistered (3 answers: 3 of
	 * option 0, none of option 1): all chose option 0. The audit finds it.
	 */
	out[0] = out[2] = out[3] = SHOWN;
	out[1] = SUPPRESSED_PRIMARY;
	assert_int_equal(
		disclosure_audit_table(&r, DISCLOSURE_CHOICE, cells, 4, out, "q", names, &au), 1);
	assert_int_equal(au.failures, 1);
	assert_non_null(strstr(au.first, "q: B + members missing from the registry"));
	assert_non_null(strstr(au.first, "breaks shares"));
	/* Everything shown: B alone is a published cell of one answer. */
	out[1] = SHOWN;
	memset(&au, 0, sizeof au);
	assert_true(disclosure_audit_table(&r, DISCLOSURE_CHOICE, cells, 4, out, "q", names, &au) >=
		    1);
	assert_non_null(strstr(au.first, "q: B can be worked out and breaks min_n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thresholds_count_answers),
		cmocka_unit_test(test_world_minus_shown_regions),
		cmocka_unit_test(test_insider),
		cmocka_unit_test(test_order_statistics),
		cmocka_unit_test(test_feedback_counts_the_others),
		cmocka_unit_test(test_shares),
		cmocka_unit_test(test_equal_values),
		cmocka_unit_test(test_unregistered_and_off),
		cmocka_unit_test(test_linked),
		cmocka_unit_test(test_special_answers),
		cmocka_unit_test(test_audit),
	};
	return cmocka_run_group_tests_name("disclosure", tests, NULL, NULL);
}
