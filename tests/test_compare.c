/* reporter: dataset (current and as of), compare figures by hand,
 * disclosure control, member profile, ranking, completeness, export. */
#include "canon.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "completeness.h"
#include "disclosure.h"
#include "error.h"
#include "export.h"
#include "profile.h"
#include "ranking.h"
#include "render.h"
#include "subjson.h"
#include "wire.h"

#define CLOSE(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static struct disclosure_rules rules_k(size_t k)
{
	struct disclosure_rules r;
	disclosure_defaults(&r);
	r.k = k;
	return r;
}

static const char *DEF =
	"{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\",\"title\":\"S\","
	"\"questions\":["
	"{\"id\":\"yn\",\"type\":\"yes_no\",\"text\":\"?\",\"allow_dont_know\":true,\"score\":{}},"
	"{\"id\":\"num\",\"type\":\"number\",\"text\":\"?\",\"allow_not_applicable\":true},"
	"{\"id\":\"mc\",\"type\":\"multi_choice\",\"text\":\"?\",\"options\":[{\"id\":\"x\","
	"\"label\":\"X\"},{\"id\":\"y\",\"label\":\"Y\"}]}]}]}";

struct fx {
	char *dir;
	struct questionnaire *q;
	struct registry *reg;
	struct store *s;
};

static void put(struct store *s, const char *member, const char *key, const char *answers)
{
	char json[1024];
	Canvass__Submission *sub;
	struct store_put p = {0};
	uint8_t *buf, hash[CV_HASH_LEN];
	size_t len;

	snprintf(json, sizeof json,
		 "{\"questionnaire\":\"t\",\"version\":1,\"cycle\":\"2025\",\"member\":\"%s\","
		 "\"answers\":%s}",
		 member, answers);
	sub = tu_submission(json);
	assert_int_equal(canon_submission(sub, NULL), 0);
	assert_int_equal(canon_pack(sub, &buf, &len, hash), 0);
	p.member = member;
	p.questionnaire = "t";
	p.cycle = "2025";
	p.key = key;
	p.content_hash = hash;
	p.submission = buf;
	p.submission_len = len;
	assert_int_equal(store_put_batch(s, &p, 1), 0);
	assert_int_equal(p.status, CANVASS__STATUS__ACCEPTED);
	free(buf);
	WIRE_FREE(sub);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_cfg cfg = {0};
	char err[512];

	f->dir = tu_tempdir();
	cfg.dir = f->dir;
	assert_int_equal(qdef_load_text("t", DEF, strlen(DEF), &f->q, err, sizeof err), 0);
	/* North 2 members, South 1, West 1 (never submits), East 3. */
	assert_int_equal(registry_load(tu_write(f->dir, "r.csv",
						"code,name,region\nAA,A,North\nBB,B,North\n"
						"CC,C,South\nDD,D,West\nEE,E,East\nFF,F,East\n"
						"GG,G,East\n"),
				       &f->reg, err, sizeof err),
			 0);
	assert_int_equal(store_open(&f->s, &cfg, err, sizeof err), 0);
	put(f->s, "AA", "a1", "{\"yn\":true,\"num\":1.0,\"mc\":[\"x\",\"y\"]}");
	put(f->s, "BB", "b1", "{\"yn\":{\"special\":\"dont_know\"},\"num\":3.0,\"mc\":[\"x\"]}");
	put(f->s, "CC", "c1", "{\"yn\":false,\"num\":{\"special\":\"not_applicable\"}}");
	put(f->s, "ZZ", "z1", "{\"yn\":true,\"num\":8.0}"); /* not in the registry */
	put(f->s, "EE", "e1", "{\"yn\":true,\"num\":2.0}");
	put(f->s, "FF", "f1", "{\"yn\":true,\"num\":4.0}");
	put(f->s, "GG", "g1", "{\"yn\":false,\"num\":6.0}");
	/* AA revises: sequence 8 */
	put(f->s, "AA", "a2", "{\"yn\":false,\"num\":5.0,\"mc\":[\"y\"]}");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(&f->s);
	registry_free(&f->reg);
	qdef_free(&f->q);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static struct dataset *load(struct fx *f, uint64_t as_of)
{
	struct store_view *v;
	struct dataset *d;
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(dataset_load(v, f->q, "2025", f->reg, as_of, &d), 0);
	store_view_close(&v);
	return d;
}

static void test_dataset_and_as_of(void **state)
{
	struct fx *f = *state;
	struct dataset *now = load(f, 0), *then = load(f, 7);
	struct store_view *v;
	struct dataset *d;

	assert_int_equal(now->sequence, 8);
	assert_int_equal(now->n, 7);
	assert_int_equal(ds_find(now, "AA")->revision, 2);
	assert_int_equal(then->sequence, 7);
	assert_int_equal(then->n, 7);
	assert_int_equal(ds_find(then, "AA")->revision, 1);
	assert_memory_not_equal(now->chain, then->chain, CV_HASH_LEN);
	/* AA's score: yes/no scored 1 or 0 */
	CLOSE(ds_find(then, "AA")->overall, 100.0);
	CLOSE(ds_find(now, "AA")->overall, 0.0);
	assert_true(isnan(ds_find(now, "BB")->overall)); /* don't know: no score */
	dataset_free(&now);
	dataset_free(&then);
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(dataset_load(v, f->q, "2025", f->reg, 99, &d), CV_EINVAL);
	store_view_close(&v);
}

/* The head read in place (the default) equals the head unpacked by protobuf-c. */
static void test_in_place_equals_full_decode(void **state)
{
	struct fx *f = *state;
	struct dataset *fast = load(f, 0), *full;

	dataset_set_fast_load(false);
	full = load(f, 0);
	dataset_set_fast_load(true);
	assert_non_null(fast->arena);
	assert_null(full->arena);
	assert_int_equal(fast->n, full->n);
	assert_int_equal(fast->skipped_answers, full->skipped_answers);
	for (size_t i = 0; i < fast->n; i++) {
		const struct ds_row *a = &fast->rows[i], *b = &full->rows[i];
		assert_true(a->in_arena);
		assert_false(b->in_arena);
		assert_string_equal(a->member, b->member);
		assert_true(a->revision == b->revision && a->sequence == b->sequence &&
			    a->stored_at_ms == b->stored_at_ms && a->late == b->late &&
			    a->version == b->version && a->state == b->state);
		assert_int_equal(a->sub->n_answers, b->sub->n_answers);
		for (size_t k = 0; k < f->q->n_questions; k++) {
			const Canvass__Answer *x = a->by_q[k], *y = b->by_q[k];
			uint8_t *px = NULL, *py = NULL;
			size_t lx = 0, ly = 0;
			assert_true((x == NULL) == (y == NULL));
			if (x == NULL)
				continue;
			assert_int_equal(wire_pack(&x->base, &px, &lx), 0);
			assert_int_equal(wire_pack(&y->base, &py, &ly), 0);
			assert_int_equal(lx, ly);
			assert_memory_equal(px, py, lx);
			free(px);
			free(py);
		}
		assert_true(a->overall == b->overall || (isnan(a->overall) && isnan(b->overall)));
	}
	dataset_free(&fast);
	dataset_free(&full);
}

/* A report rendered to a string (caller frees). */
static char *rendered(const struct compare_report *r, int how)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(how == 0   ? render_compare_text(r, false, m)
			 : how == 1 ? render_compare_json(r, false, m)
				    : render_compare_csv(r, m),
			 0);
	fclose(m);
	return buf;
}

/*
 * The head streamed (rows summarised as they are read, none kept) gives the
 * report the kept rows give, in text, JSON and CSV, read in place or by
 * protobuf-c, by one, two or three threads, with and without disclosure
 * control; the dataset's counts are the same.
 */
static void test_streamed_equals_kept(void **state)
{
	struct fx *f = *state;

	for (int fast = 0; fast < 2; fast++) {
		for (unsigned threads = 1; threads <= 3; threads++) {
			for (size_t k = 1; k <= 3; k += 2) {
				struct disclosure_rules rules = rules_k(k);
				struct dataset *kept, *streamed;
				struct compare_report *a, *b;
				struct store_view *v;
				void *args[1];

				dataset_set_fast_load(fast != 0);
				dataset_set_threads(threads);
				assert_int_equal(dataset_threads(), threads);
				kept = load(f, 0);
				assert_int_equal(compare_build(kept, &rules, &a), 0);
				assert_int_equal(store_view_open(f->s, &v), 0);
				assert_int_equal(
					dataset_open_head(v, f->q, "2025", f->reg, &streamed), 0);
				assert_true(streamed->streamed);
				assert_int_equal(compare_stream(streamed, v, &rules, &b), 0);
				/* Once only. */
				args[0] = b;
				assert_int_equal(
					dataset_each(streamed, v, compare_add_row, args, 1),
					CV_EINVAL);
				store_view_close(&v);
				assert_null(streamed->rows);
				assert_null(ds_find(streamed, "AA"));
				assert_int_equal(streamed->n, kept->n);
				assert_int_equal(streamed->returns, kept->returns);
				assert_memory_equal(streamed->by_state, kept->by_state,
						    sizeof kept->by_state);
				assert_int_equal(streamed->other_version, kept->other_version);
				assert_int_equal(streamed->skipped_answers, kept->skipped_answers);
				assert_int_equal(streamed->sequence, kept->sequence);
				assert_memory_equal(streamed->chain, kept->chain, CV_HASH_LEN);
				assert_int_equal(b->rows, kept->n);
				for (int how = 0; how < 3; how++) {
					char *x = rendered(a, how), *y = rendered(b, how);
					assert_string_equal(x, y);
					free(x);
					free(y);
				}
				compare_free(&a);
				compare_free(&b);
				dataset_free(&kept);
				dataset_free(&streamed);
			}
		}
	}
	dataset_set_fast_load(true);
	dataset_set_threads(0);
}

static void test_figures(void **state)
{
	struct fx *f = *state;
	struct dataset *ds = load(f, 0);
	struct compare_report *r;
	const struct compare_cell *c;

	struct disclosure_rules off = rules_k(1);

	assert_int_equal(compare_build(ds, &off, &r), 0);
	assert_int_equal(r->n_groups, 5); /* East North South West World */
	assert_string_equal(ds_group_name(ds, 0), "East");
	assert_int_equal(r->unregistered, 1);
	assert_int_equal(r->group_expected[4], 7);
	assert_int_equal(r->group_submitted[3], 0);
	/* yes/no, North: AA no (revised), BB don't know */
	c = &r->questions[0].cells[1];
	assert_int_equal(c->n, 1);
	assert_int_equal(c->dont_know, 1);
	assert_int_equal(c->counts[1], 1);
	/* yes/no, World: yes ZZ EE FF; no AA CC GG; dk BB */
	c = &r->questions[0].cells[4];
	assert_int_equal(c->counts[0], 3);
	assert_int_equal(c->counts[1], 3);
	/* number, World: 5 3 8 2 4 6 (CC n/a) */
	c = &r->questions[1].cells[4];
	assert_int_equal(c->stats.n, 6);
	CLOSE(c->stats.mean, 28.0 / 6);
	CLOSE(c->stats.median, 4.5);
	assert_int_equal(c->not_applicable, 1);
	/* number, South: only n/a -> n 0, no figures */
	c = &r->questions[1].cells[2];
	assert_int_equal(c->n, 0);
	assert_true(isnan(c->stats.mean));
	/* multiple choice, World: AA [y], BB [x] */
	c = &r->questions[2].cells[4];
	assert_int_equal(c->n, 2);
	assert_int_equal(c->counts[0], 1);
	assert_int_equal(c->counts[1], 1);
	/* overall score, World: yes/no scored: 0 1 1 0 1 0 (BB no score) -> 50 */
	CLOSE(r->overall.cells[4].stats.mean, 50.0);
	assert_int_equal(r->suppressed_cells, 0);
	compare_free(&r);
	dataset_free(&ds);
}

static void test_disclosure(void **state)
{
	struct fx *f = *state;
	struct dataset *ds = load(f, 0);
	struct compare_report *r;
	struct disclosure_rules k3 = rules_k(3);
	(void)state;

	/* Through compare: K = 3 on the fixture. */
	assert_int_equal(compare_build(ds, &k3, &r), 0);
	/* number: North 2 answers, South 0 (n/a), East 3: numbers need 4. */
	assert_int_equal(r->questions[1].cells[1].hidden, SUPPRESSED_PRIMARY);
	assert_int_equal(r->questions[1].cells[2].hidden, SUPPRESSED_PRIMARY);
	assert_int_equal(r->questions[1].cells[0].hidden, SUPPRESSED_PRIMARY);
	assert_int_equal(r->questions[1].cells[3].hidden, SHOWN); /* West: nobody submitted */
	/* World (6 answers) minus nothing shown = everything hidden plus ZZ: safe. */
	assert_int_equal(r->questions[1].cells[4].hidden, SHOWN);
	/* yes/no: East 2 yes 1 no: "all but one" in one option: the shares rule. */
	assert_int_equal(r->questions[0].cells[0].hidden, SUPPRESSED_SHARES);
	assert_true(r->suppressed_cells > 0);
	assert_int_equal(r->suppressed_by[SUPPRESSED_PRIMARY] +
				 r->suppressed_by[SUPPRESSED_SHARES] +
				 r->suppressed_by[SUPPRESSED_EQUAL] +
				 r->suppressed_by[SUPPRESSED_COMPLEMENTARY] +
				 r->suppressed_by[SUPPRESSED_LINKED],
			 r->suppressed_cells);
	/*
	 * Linked tables: wherever the scored yes/no is hidden, the section and
	 * overall scores are too (a score beside the other questions would
	 * give it away); where it is shown, the scores follow their own rules.
	 */
	for (size_t g = 0; g < 5; g++) {
		if (r->questions[0].cells[g].hidden == SHOWN)
			continue;
		assert_int_not_equal(r->sections[0].cells[g].hidden, SHOWN);
		assert_int_not_equal(r->overall.cells[g].hidden, SHOWN);
	}
	/*
	 * Special answers: World's number cell is shown (6 values) but of the
	 * two members without a value (CC n/a, BB no answer) the counts would
	 * tell which did what: too few (min_n).
	 */
	assert_int_equal(r->questions[1].cells[4].hidden, SHOWN);
	assert_int_equal(r->questions[1].cells[4].special_hidden, SUPPRESSED_PRIMARY);
	assert_true(r->special_suppressed > 0);
	/* The audit solved every table's sums and found nothing to work out. */
	assert_true(r->audit.tables >= r->n_questions);
	assert_true(r->audit.equations > 0);
	assert_int_equal(r->audit.failures, 0);
	assert_int_equal(render_audit_gate(r), 0);
	{
		/* Had it found something, a public output is refused, a confidential one not. */
		struct compare_report bad = *r;
		bad.audit.failures = 1;
		assert_int_equal(render_audit_gate(&bad), CV_EDISCLOSE);
		render_set_confidential(true);
		assert_int_equal(render_audit_gate(&bad), 0);
		render_set_confidential(false);
	}
	/* World's number cell (6 answers) is shown without order statistics (K_order 10). */
	assert_false(r->questions[1].cells[4].order_shown);
	{
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		assert_int_equal(render_compare_text(r, false, m), 0);
		fclose(m);
		assert_non_null(strstr(text, "(suppressed: min_n)"));
		assert_non_null(strstr(text, "Disclosure control (docs/reports.md)"));
		assert_non_null(strstr(text, "store position: sequence 8"));
		free(text);
	}
	compare_free(&r);
	dataset_free(&ds);
}

static void test_profile_and_feedback(void **state)
{
	struct fx *f = *state;
	struct dataset *ds = load(f, 0);
	struct profile *p;
	double v[] = {1, 2, 2, 3};

	CLOSE(profile_percentile(v, 4, 2), 50.0); /* (1 + 2/2) / 4 */
	CLOSE(profile_percentile(v, 4, 3), 87.5); /* (3 + 1/2) / 4 */
	CLOSE(profile_percentile(v, 4, 1), 12.5);
	assert_true(isnan(profile_percentile(v, 0, 1)));

	struct disclosure_rules off = rules_k(1), k3 = rules_k(3);

	assert_int_equal(profile_build(ds, "EE", &off, false, &p), 0);
	/* EE number 2 among East {2,4,6} and World {5,3,8,2,4,6} */
	CLOSE(p->questions[1].value, 2.0);
	CLOSE(p->questions[1].rank_region, 100.0 * 0.5 / 3);
	CLOSE(p->questions[1].rank_world, 100.0 * 0.5 / 6);
	profile_free(&p);
	/* Feedback with K = 3: East has 3 members, so only 2 others: hidden. */
	assert_int_equal(profile_build(ds, "EE", &k3, true, &p), 0);
	assert_int_equal(p->questions[1].t->cells[0].hidden, SUPPRESSED_PRIMARY);
	assert_true(isnan(p->questions[1].rank_region));
	{
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		assert_int_equal(render_profile_text(p, m), 0);
		fclose(m);
		/* No other member's code appears in the feedback. */
		assert_null(strstr(text, "FF"));
		assert_null(strstr(text, "GG"));
		assert_null(strstr(text, "ZZ"));
		assert_non_null(strstr(text, "EE"));
		free(text);
	}
	profile_free(&p);
	assert_int_equal(profile_build(ds, "DD", &off, false, &p), CV_ENOTFOUND);
	dataset_free(&ds);
}

static void test_ranking_and_completeness(void **state)
{
	struct fx *f = *state;
	struct dataset *ds = load(f, 0);
	struct ranking *r;
	struct completeness *c;

	assert_int_equal(ranking_build(ds, NULL, &r), 0);
	/* overall: 100 for EE FF ZZ (tied, rank 1), 0 for AA CC GG (rank 4), BB unranked */
	assert_int_equal(r->ranked, 6);
	assert_int_equal(r->lines[0].rank, 1);
	assert_string_equal(r->lines[0].row->member, "EE");
	assert_int_equal(r->lines[2].rank, 1);
	assert_true(r->lines[2].tied);
	assert_int_equal(r->lines[3].rank, 4);
	assert_int_equal(r->lines[6].rank, 0);
	assert_string_equal(r->lines[6].row->member, "BB");
	ranking_free(&r);
	assert_int_equal(ranking_build(ds, "nope", &r), CV_ENOTFOUND);

	assert_int_equal(completeness_build(ds, &c), 0);
	assert_int_equal(c->groups[4].expected, 7);
	assert_int_equal(c->groups[4].on_time, 6);
	assert_int_equal(c->groups[4].missing, 1);
	assert_string_equal(c->groups[3].missing_codes[0], "DD");
	assert_int_equal(c->groups[1].revisions, 3); /* AA twice, BB once */
	assert_int_equal(c->groups[1].revised, 1);
	assert_int_equal(c->unregistered, 1);
	completeness_free(&c);
	dataset_free(&ds);
}

static void test_export(void **state)
{
	struct fx *f = *state;
	struct dataset *ds = load(f, 0);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	assert_int_equal(export_write(ds, false, true, m), 0);
	fclose(m);
	/* Header plus 7 members x 3 questions. */
	{
		size_t lines = 0;
		for (char *p = text; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 1 + 7 * 3);
	}
	assert_non_null(strstr(text, "AA,North,t,1,2025,mc,s,y,,2,"));
	assert_non_null(strstr(text, "BB,North,t,1,2025,yn,s,,dont_know,1,"));
	assert_non_null(strstr(text, "CC,South,t,1,2025,mc,s,,unanswered,1,"));
	free(text);
	dataset_free(&ds);
}

/* Integers are written exactly as "%lld" writes them, to both ends of the range. */
static void test_export_integers(void **state)
{
	const int64_t xs[] = {0, 7, -7, 10, -10, 1234567890123LL, INT64_MAX, INT64_MIN};
	(void)state;
	for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
		Canvass__Answer a = CANVASS__ANSWER__INIT;
		char want[32], *got = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&got, &len);
		a.value_case = CANVASS__ANSWER__VALUE_INTEGER;
		a.integer = xs[i];
		export_csv_value(m, &a);
		fclose(m);
		snprintf(want, sizeof want, "%lld", (long long)xs[i]);
		assert_string_equal(got, want);
		free(got);
	}
}

/*
 * A member's "% same" is the share of its group giving its own answer: a
 * special answer to a yes/no question is neither yes nor no (it was once
 * told the share of "no").
 */
static void test_same_share_of_a_special_answer(void **state)
{
	struct question q = {.id = (char *)"yn", .type = QT_YES_NO};
	size_t counts[2] = {45, 55}; /* yes, no */
	struct compare_cell c = {.n = 100, .not_applicable = 3, .counts = counts, .hidden = SHOWN};
	struct compare_table t = {.q = &q, .id = "yn", .title = "yn", .cells = &c};
	struct profile_line l = {.t = &t};
	char buf[64];
	(void)state;

	snprintf(l.display, sizeof l.display, "yes");
	profile_group_figure(&l, &c, buf, sizeof buf);
	assert_string_equal(buf, "45% same, n 100");
	snprintf(l.display, sizeof l.display, "no");
	profile_group_figure(&l, &c, buf, sizeof buf);
	assert_string_equal(buf, "55% same, n 100");
	snprintf(l.display, sizeof l.display, "not applicable");
	profile_group_figure(&l, &c, buf, sizeof buf);
	assert_string_equal(buf, "n 100");
	snprintf(l.display, sizeof l.display, "don't know");
	profile_group_figure(&l, &c, buf, sizeof buf);
	assert_string_equal(buf, "n 100");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_integers),
		cmocka_unit_test(test_same_share_of_a_special_answer),
		cmocka_unit_test_setup_teardown(test_dataset_and_as_of, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_place_equals_full_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streamed_equals_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disclosure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_and_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ranking_and_completeness, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export, setup, teardown),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("reports", tests, NULL, NULL);
}
