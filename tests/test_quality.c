/*
 * test_quality.c - the quality checks' arithmetic (lib/questionnaire/quality.c) with
 * hand-worked values, and the aggregator's checks (aggregator/checks.c)
 * against a real LMDB store: previous cycle, world and region groups, too
 * few answers, special answers, dry runs that leave nothing behind.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "checks.h"
#include "error.h"
#include "quality.h"
#include "registry.h"
#include "store.h"
#include "wire.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void stats_of(const double *v, size_t n, struct quality_stats *st)
{
	double *s = malloc(n * sizeof *s);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		quality_sorted_insert(s, &k, v[i]);
	quality_stats_sorted(s, k, st);
	free(s);
}

static void test_median_and_mad(void **state)
{
	struct quality_stats st;
	(void)state;
	/* Odd: 1 2 3 4 100 -> median 3; |dev| 2 1 0 1 97 -> sorted 0 1 1 2 97 -> MAD 1. */
	stats_of((double[]){100, 1, 4, 2, 3}, 5, &st);
	NEAR(st.median, 3);
	NEAR(st.mad, 1);
	/* M(100) = 0.6745 * 97 / 1 = 65.4265; M(1) = 0.6745 * -2 = -1.349. */
	NEAR(quality_modified_z(&st, 100), 65.4265);
	NEAR(quality_modified_z(&st, 1), -1.349);
	/* Even: 10 20 30 40 -> median 25; |dev| 15 5 5 15 -> MAD (5 + 15) / 2 = 10. */
	stats_of((double[]){40, 10, 30, 20}, 4, &st);
	NEAR(st.median, 25);
	NEAR(st.mad, 10);
	NEAR(quality_modified_z(&st, 40), 0.6745 * 15 / 10);
	/* Ties: 5 5 5 6 9 -> median 5; |dev| 0 0 0 1 4 -> MAD 0; MeanAD 5/5 = 1. */
	stats_of((double[]){5, 9, 5, 6, 5}, 5, &st);
	NEAR(st.median, 5);
	NEAR(st.mad, 0);
	NEAR(st.mean_ad, 1);
	/* MAD = 0: M = (x - median) / (1.253314 * MeanAD) = 4 / 1.253314. */
	NEAR(quality_modified_z(&st, 9), 4 / 1.253314);
	/* All equal: no spread, no score. */
	stats_of((double[]){7, 7, 7}, 3, &st);
	NEAR(st.mad, 0);
	NEAR(st.mean_ad, 0);
	NEAR(quality_modified_z(&st, 7), 0);
	/* One answer. */
	stats_of((double[]){-2.5}, 1, &st);
	NEAR(st.median, -2.5);
	NEAR(st.mad, 0);
	/* Negative and fractional values: -3 -1 0 0.5 8 8 -> median (0 + 0.5) / 2 = 0.25;
	 * |dev| 3.25 1.25 0.25 0.25 7.75 7.75 -> sorted .25 .25 1.25 3.25 7.75 7.75 ->
	 * MAD (1.25 + 3.25) / 2 = 2.25. */
	stats_of((double[]){8, -1, 0.5, -3, 8, 0}, 6, &st);
	NEAR(st.median, 0.25);
	NEAR(st.mad, 2.25);
}

static void test_sorted_insert_remove(void **state)
{
	double v[8];
	size_t n = 0;
	(void)state;
	quality_sorted_insert(v, &n, 3);
	quality_sorted_insert(v, &n, 1);
	quality_sorted_insert(v, &n, 2);
	quality_sorted_insert(v, &n, 2);
	assert_int_equal(n, 4);
	NEAR(v[0], 1);
	NEAR(v[1], 2);
	NEAR(v[2], 2);
	NEAR(v[3], 3);
	assert_true(quality_sorted_remove(v, &n, 2));
	assert_false(quality_sorted_remove(v, &n, 5));
	assert_int_equal(n, 3);
	NEAR(v[1], 2);
	NEAR(v[2], 3);
	assert_false(quality_sorted_replace(v, n, 7, 1));
	/* A replace equals a remove and an insert, for every old, every new, duplicates too. */
	for (unsigned seed = 1; seed < 400; seed++) {
		double a[9], b[9];
		size_t na = 0, nb;
		unsigned r = seed;
		for (int k = 0; k < 8; k++) {
			r = r * 1103515245u + 12345u;
			quality_sorted_insert(a, &na, (double)((r >> 16) % 5));
		}
		r = r * 1103515245u + 12345u;
		double old = a[(r >> 16) % na], x = (double)((r >> 8) % 7) - 1;
		memcpy(b, a, sizeof a);
		nb = na;
		assert_true(quality_sorted_remove(b, &nb, old));
		quality_sorted_insert(b, &nb, x);
		assert_true(quality_sorted_replace(a, na, old, x));
		assert_memory_equal(a, b, na * sizeof *a);
	}
}

static void test_change(void **state)
{
	double rel;
	(void)state;
	/* 40 -> 4000: |d| 3960, relative 99. */
	assert_true(quality_change_exceeds(40, 4000, true, 2, true, 50, &rel));
	NEAR(rel, 99);
	/* Both thresholds must be exceeded: 40 -> 100 is +150 %, but only 60 > 50. */
	assert_false(quality_change_exceeds(40, 100, true, 2, true, 50, &rel));
	NEAR(rel, 1.5);
	/* Only one given: only that one. */
	assert_true(quality_change_exceeds(40, 100, false, 0, true, 50, &rel));
	assert_false(quality_change_exceeds(40, 80, false, 0, true, 50, &rel));
	/* Equal to a threshold is not above it. */
	assert_false(quality_change_exceeds(100, 200, true, 1, false, 0, &rel));
	/* Falls count as much as rises. */
	assert_true(quality_change_exceeds(4000, 40, true, 0.5, false, 0, &rel));
	NEAR(rel, 0.99);
	/* From 0: any change exceeds the relative threshold; the absolute one still holds. */
	assert_true(quality_change_exceeds(0, 3, true, 5, false, 0, &rel));
	NEAR(rel, 0);
	assert_false(quality_change_exceeds(0, 3, true, 5, true, 10, &rel));
	assert_false(quality_change_exceeds(0, 0, true, 5, false, 0, &rel));
	/* No threshold: never. */
	assert_false(quality_change_exceeds(1, 1000, false, 0, false, 0, &rel));
}

static void test_answer_value(void **state)
{
	Canvass__Answer a = CANVASS__ANSWER__INIT;
	double x;
	(void)state;
	a.value_case = CANVASS__ANSWER__VALUE_INTEGER;
	a.integer = 42;
	assert_true(quality_answer_value(&a, &x));
	NEAR(x, 42);
	a.value_case = CANVASS__ANSWER__VALUE_NUMBER;
	a.number = 2.5;
	assert_true(quality_answer_value(&a, &x));
	NEAR(x, 2.5);
	a.value_case = CANVASS__ANSWER__VALUE_SPECIAL;
	a.special = CANVASS__SPECIAL__DONT_KNOW;
	assert_false(quality_answer_value(&a, &x));
	a.value_case = CANVASS__ANSWER__VALUE_TEXT;
	a.text = "a";
	assert_false(quality_answer_value(&a, &x));
}

/* ------------------------------------------------ the aggregator's checks */

struct fx {
	char *dir;
	struct store *store;
	struct registry *reg;
	struct checks *checks;
	int next;
};

/* 12 members: A01..A08 in region "East", B01..B04 in region "West". */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_cfg cfg = {0};
	char csv[1024] = "code,name,region\n", err[256];
	for (int i = 1; i <= 8; i++)
		snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "A%02d,Member A%d,East\n", i,
			 i);
	for (int i = 1; i <= 4; i++)
		snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "B%02d,Member B%d,West\n", i,
			 i);
	f->dir = tu_tempdir();
	assert_int_equal(
		registry_load(tu_write(f->dir, "members.csv", csv), &f->reg, err, sizeof err), 0);
	cfg.dir = f->dir;
	cfg.map_size = 8 << 20;
	cfg.map_max = 64 << 20;
	assert_int_equal(store_open(&f->store, &cfg, err, sizeof err), 0);
	assert_int_equal(checks_open(&f->checks), 0);
	checks_set_registry(f->checks, f->reg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	checks_close(&f->checks);
	store_close(&f->store);
	registry_free(&f->reg);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Stores a submission of member for cycle with one answer to question (NAN: don't know). */
static void store_answer_to(struct fx *f, const char *member, const char *cycle,
			    const char *question, double x)
{
	Canvass__Submission s = CANVASS__SUBMISSION__INIT;
	Canvass__Answer a = CANVASS__ANSWER__INIT, *ap = &a;
	struct store_put p = {0};
	uint8_t *buf, hash[CV_HASH_LEN];
	size_t len;
	char key[32];

	s.questionnaire = "q";
	s.version = 1;
	s.cycle = (char *)(uintptr_t)cycle;
	s.member = (char *)(uintptr_t)member;
	s.n_answers = 1;
	s.answers = &ap;
	a.question = (char *)(uintptr_t)question;
	if (isnan(x)) {
		a.value_case = CANVASS__ANSWER__VALUE_SPECIAL;
		a.special = CANVASS__SPECIAL__DONT_KNOW;
	} else {
		a.value_case = CANVASS__ANSWER__VALUE_NUMBER;
		a.number = x;
	}
	assert_int_equal(canon_pack(&s, &buf, &len, hash), 0);
	snprintf(key, sizeof key, "k%d", f->next++);
	p.member = member;
	p.questionnaire = "q";
	p.cycle = cycle;
	p.key = key;
	p.content_hash = hash;
	p.submission = buf;
	p.submission_len = len;
	assert_int_equal(store_put_batch(f->store, &p, 1), 0);
	assert_int_equal(p.status, CANVASS__STATUS__ACCEPTED);
	free(buf);
}

static void store_answer(struct fx *f, const char *member, const char *cycle, double x)
{
	store_answer_to(f, member, cycle, "n", x);
}

/* The arrays of one checked question, "n", as the collector fills them. */
struct one_check {
	char *question;
	double value, relative, absolute, outlier_z;
	uint32_t min_answers;
};

/* A request for member's answer x to "n" (NAN: no number); k holds its arrays. */
static void request(Canvass__StoreRequest *r, struct one_check *k, const char *member,
		    const char *cycle, const char *previous, double x)
{
	canvass__store_request__init(r);
	r->member = (char *)(uintptr_t)member;
	r->questionnaire = "q";
	r->cycle = (char *)(uintptr_t)cycle;
	r->previous_cycle = (char *)(uintptr_t)previous;
	*k = (struct one_check){"n", x, 2, 50, 3.5, 10};
	r->check_questions = &k->question;
	r->check_values = &k->value;
	r->check_relative = &k->relative;
	r->check_absolute = &k->absolute;
	r->check_outlier_z = &k->outlier_z;
	r->check_min_answers = &k->min_answers;
	r->n_check_questions = r->n_check_values = r->n_check_relative = 1;
	r->n_check_absolute = r->n_check_outlier_z = r->n_check_min_answers = 1;
}

/* Runs the checks of r: the findings, and commits when asked. */
static void run_request(struct fx *f, const Canvass__StoreRequest *r, bool commit,
			struct verdict *v)
{
	struct checks_plan *plan;
	verdict_init(v);
	assert_int_equal(checks_prepare(f->checks, f->store, r, &plan), 0);
	assert_non_null(plan);
	checks_run(f->checks, r, plan, commit, v);
	checks_plan_free(&plan);
}

/* Runs the checks of member's x: the findings, and commits when asked. */
static void run(struct fx *f, const char *member, const char *cycle, const char *previous, double x,
		bool commit, struct verdict *v)
{
	Canvass__StoreRequest r;
	struct one_check k;
	request(&r, &k, member, cycle, previous, x);
	run_request(f, &r, commit, v);
}

static const struct problem *finding(const struct verdict *v, const char *code, const char *group)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->items[i].code, code) == 0 &&
		    (group == NULL || strcmp(v->items[i].group, group) == 0))
			return &v->items[i];
	return NULL;
}

static void test_change_from_previous(void **state)
{
	struct fx *f = *state;
	struct verdict *v = malloc(sizeof *v);
	const struct problem *p;

	store_answer(f, "A01", "2025", 40);
	store_answer(f, "A02", "2025", NAN); /* don't know last year */
	/* 40 -> 4000: both thresholds exceeded; the reference is last year's 40. */
	run(f, "A01", "2026", "2025", 4000, false, v);
	p = finding(v, "CHANGE_FROM_PREVIOUS", NULL);
	assert_non_null(p);
	assert_true(p->warning && p->finding);
	assert_string_equal(p->question, "n");
	NEAR(p->value, 4000);
	NEAR(p->reference, 40);
	NEAR(p->score, 99);
	assert_string_equal(p->group, "2025");
	assert_non_null(strstr(p->message, "4000 against 40 in cycle 2025, +9900%"));
	/* 40 -> 80: not both. */
	run(f, "A01", "2026", "2025", 80, false, v);
	assert_null(finding(v, "CHANGE_FROM_PREVIOUS", NULL));
	/* Special last year, no answer last year, no previous cycle: nothing to compare. */
	run(f, "A02", "2026", "2025", 4000, false, v);
	assert_null(finding(v, "CHANGE_FROM_PREVIOUS", NULL));
	run(f, "A03", "2026", "2025", 4000, false, v);
	assert_null(finding(v, "CHANGE_FROM_PREVIOUS", NULL));
	run(f, "A01", "2026", "", 4000, false, v);
	assert_null(finding(v, "CHANGE_FROM_PREVIOUS", NULL));
	/* Special this year: no number, no finding. */
	run(f, "A01", "2026", "2025", NAN, false, v);
	assert_int_equal(v->n, 0);
	/* A later revision of last year's return is what counts. */
	store_answer(f, "A01", "2025", 3900);
	checks_set_registry(f->checks, f->reg); /* drop the cache: reload from the store */
	run(f, "A01", "2026", "2025", 4000, false, v);
	assert_null(finding(v, "CHANGE_FROM_PREVIOUS", NULL));
	free(v);
}

static void test_outliers_world_and_region(void **state)
{
	struct fx *f = *state;
	struct verdict *v = malloc(sizeof *v);
	const struct problem *p;
	/* East A01..A08: 10..17; West B01..B03: 20, 21, 22 (B04 unanswered). */
	for (int i = 1; i <= 8; i++) {
		char code[8];
		snprintf(code, sizeof code, "A%02d", i);
		store_answer(f, code, "2026", 9 + i);
	}
	store_answer(f, "B01", "2026", 20);
	store_answer(f, "B02", "2026", 21);
	store_answer(f, "B03", "2026", 22);
	/*
	 * A08 revises 17 -> 500. World: 10..16, 20, 21, 22, 500 (11 answers, the
	 * member's own included) -> median 15; |dev| 5 4 3 2 1 0 1 5 6 7 485 ->
	 * sorted 0 1 1 2 3 4 5 5 6 7 485 -> MAD 4; M = 0.6745 * 485 / 4 = 81.78.
	 * East: 10..16, 500 (8 answers) is under min_answers 10: no region test.
	 */
	run(f, "A08", "2026", "", 500, false, v);
	p = finding(v, "OUTLIER", "world");
	assert_non_null(p);
	NEAR(p->value, 500);
	NEAR(p->reference, 15);
	NEAR(p->score, 0.6745 * 485 / 4);
	assert_int_equal(p->group_size, 11);
	assert_null(finding(v, "OUTLIER", "East"));
	assert_int_equal(v->n, 1);
	/* The dry run left the group as it was: an honest 18 is no outlier. */
	run(f, "A08", "2026", "", 18, false, v);
	assert_int_equal(v->n, 0);
	/* B04's first answer, 19, stored: 12 answers, median 15.5, MAD 3.5,
	 * M = 0.6745; West (4 answers) is under the minimum. */
	run(f, "B04", "2026", "", 19, true, v);
	assert_int_equal(v->n, 0);
	/* A region group large enough: the minimum lowered to 4, B04 tries 90. West 20 21 22 90 ->
	 * median 21.5; |dev| 1.5 .5 .5 68.5 -> MAD (0.5 + 1.5) / 2 = 1; M = 0.6745 * 68.5. */
	{
		Canvass__StoreRequest r;
		struct one_check k;
		request(&r, &k, "B04", "2026", "", 90);
		k.min_answers = 4;
		run_request(f, &r, false, v);
		p = finding(v, "OUTLIER", "West");
		assert_non_null(p);
		NEAR(p->reference, 21.5);
		NEAR(p->score, 0.6745 * 68.5);
		assert_int_equal(p->group_size, 4);
		assert_non_null(finding(v, "OUTLIER", "world"));
	}
	/* Too few answers in the world for the default minimum: a fresh questionnaire cycle. */
	run(f, "A01", "2027", "", 1e6, false, v);
	assert_int_equal(v->n, 0);
	free(v);
}

static void test_commit_and_unanswered(void **state)
{
	struct fx *f = *state;
	struct verdict *v = malloc(sizeof *v);
	size_t groups, values;
	for (int i = 1; i <= 8; i++) {
		char code[8];
		snprintf(code, sizeof code, "A%02d", i);
		store_answer(f, code, "2026", 10);
	}
	run(f, "B01", "2026", "", 10, true, v);
	checks_size(f->checks, &groups, &values);
	assert_int_equal(values, 9);
	/* A revision without a number takes the member out of the group. */
	run(f, "B01", "2026", "", NAN, true, v);
	checks_size(f->checks, &groups, &values);
	assert_int_equal(values, 8);
	/* A plan made before the cache was dropped is not followed (ASan would see). */
	{
		Canvass__StoreRequest r;
		struct one_check k;
		struct checks_plan *plan;
		request(&r, &k, "B02", "2026", "", 1e6);
		assert_int_equal(checks_prepare(f->checks, f->store, &r, &plan), 0);
		checks_set_registry(f->checks, f->reg);
		verdict_init(v);
		checks_run(f->checks, &r, plan, false, v);
		assert_int_equal(v->n, 0); /* the group is not in memory now: not tested */
		checks_plan_free(&plan);
	}
	/* A dry run of a member not in the group adds nothing. */
	run(f, "B02", "2026", "", 11, false, v);
	checks_size(f->checks, &groups, &values);
	assert_int_equal(values, 8);
	free(v);
}

/* Arrays of different lengths are refused; the lineage array is all or nothing. */
static void test_arrays_checked(void **state)
{
	struct fx *f = *state;
	Canvass__StoreRequest r;
	struct one_check k;
	double two[2] = {1, 2};
	char *previous[2] = {"m", ""};
	struct checks_plan *plan = (struct checks_plan *)f; /* must be cleared */
	struct verdict *v = malloc(sizeof *v);

	request(&r, &k, "A01", "2026", "", 5);
	r.check_values = two;
	r.n_check_values = 2; /* one question, two numbers */
	assert_int_equal(checks_prepare(f->checks, f->store, &r, &plan), CV_EMALFORMED);
	assert_null(plan);
	request(&r, &k, "A01", "2026", "", 5);
	r.n_check_min_answers = 0;
	assert_int_equal(checks_prepare(f->checks, f->store, &r, &plan), CV_EMALFORMED);
	request(&r, &k, "A01", "2026", "", 5);
	r.check_previous = previous;
	r.n_check_previous = 2;
	assert_int_equal(checks_prepare(f->checks, f->store, &r, &plan), CV_EMALFORMED);
	r.n_check_questions = r.n_check_values = r.n_check_relative = 0;
	r.n_check_absolute = r.n_check_outlier_z = r.n_check_min_answers = r.n_check_previous = 0;
	assert_int_equal(checks_prepare(f->checks, f->store, &r, &plan), 0); /* no checks */
	assert_null(plan);
	/* Lineage: "n" this cycle was "m" last cycle; both bounds NaN: no change check. */
	store_answer_to(f, "A01", "2025", "m", 10);
	request(&r, &k, "A01", "2026", "2025", 500);
	r.check_previous = previous;
	r.n_check_previous = 1;
	run_request(f, &r, false, v);
	assert_non_null(finding(v, "CHANGE_FROM_PREVIOUS", NULL));
	k.relative = k.absolute = NAN;
	run_request(f, &r, false, v);
	assert_null(finding(v, "CHANGE_FROM_PREVIOUS", NULL));
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_and_mad),
		cmocka_unit_test(test_sorted_insert_remove),
		cmocka_unit_test(test_change),
		cmocka_unit_test(test_answer_value),
		cmocka_unit_test_setup_teardown(test_change_from_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outliers_world_and_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_and_unanswered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arrays_checked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
