/* compare: figures per region and world from a real store, by hand. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "error.h"
#include "subjson.h"
#include "wire.h"

#define CLOSE(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static const char *DEF =
	"{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\",\"title\":\"S\","
	"\"questions\":["
	"{\"id\":\"yn\",\"type\":\"yes_no\",\"text\":\"?\",\"allow_dont_know\":true},"
	"{\"id\":\"num\",\"type\":\"number\",\"text\":\"?\",\"allow_not_applicable\":true},"
	"{\"id\":\"mc\",\"type\":\"multi_choice\",\"text\":\"?\",\"options\":[{\"id\":\"x\","
	"\"label\":\"X\"},{\"id\":\"y\",\"label\":\"Y\"}]}]}]}";

static void put(struct store *s, const char *member, const char *answers)
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
	assert_int_equal(wire_canonicalize(sub, NULL), 0);
	assert_int_equal(wire_pack_content(sub, &buf, &len, hash), 0);
	p.member = member;
	p.questionnaire = "t";
	p.cycle = "2025";
	p.key = member; /* one key per member is enough here */
	p.content_hash = hash;
	p.submission = buf;
	p.submission_len = len;
	assert_int_equal(store_put_batch(s, &p, 1), 0);
	assert_int_equal(p.status, CANVASS__STATUS__ACCEPTED);
	free(buf);
	WIRE_FREE(sub);
}

static void test_compare(void **state)
{
	char *dir = tu_tempdir();
	struct store_cfg cfg = {.dir = dir};
	struct questionnaire *q;
	struct registry *reg;
	struct store *s;
	struct store_view *v;
	struct compare_report *r;
	const struct compare_cell *c;
	char err[512];
	(void)state;

	assert_int_equal(qdef_load_text("t", DEF, strlen(DEF), &q, err, sizeof err), 0);
	assert_int_equal(registry_load(tu_write(dir, "r.csv",
						"code,name,region\nAA,A,North\nBB,B,North\n"
						"CC,C,South\nDD,D,West\n"),
				       &reg, err, sizeof err),
			 0);
	assert_int_equal(store_open(&s, &cfg, err, sizeof err), 0);
	put(s, "AA", "{\"yn\":true,\"num\":1.0,\"mc\":[\"x\",\"y\"]}");
	put(s, "BB", "{\"yn\":{\"special\":\"dont_know\"},\"num\":3.0,\"mc\":[\"x\"]}");
	put(s, "CC", "{\"yn\":false,\"num\":{\"special\":\"not_applicable\"}}");
	put(s, "ZZ", "{\"yn\":true,\"num\":8.0}"); /* not in the registry */

	assert_int_equal(store_view_open(s, &v), 0);
	assert_int_equal(compare_build(v, q, "2025", reg, &r), 0);
	assert_int_equal(r->submitted, 4);
	assert_int_equal(r->unregistered, 1);
	assert_int_equal(r->sequence, 4);
	assert_int_equal(r->n_groups, 4); /* North South West World */
	assert_string_equal(r->groups[0], "North");
	assert_string_equal(r->groups[3], "World");
	assert_int_equal(r->group_expected[3], 4);
	assert_int_equal(r->group_submitted[2], 0);

	/* yes/no, North: AA yes, BB don't know -> n 1, 100% yes */
	c = &r->questions[0].cells[0];
	assert_int_equal(c->n, 1);
	assert_int_equal(c->dont_know, 1);
	assert_int_equal(c->counts[0], 1);
	assert_int_equal(c->counts[1], 0);
	/* yes/no, World: yes AA ZZ, no CC, dk BB */
	c = &r->questions[0].cells[3];
	assert_int_equal(c->n, 3);
	assert_int_equal(c->counts[0], 2);
	assert_int_equal(c->counts[1], 1);
	assert_int_equal(c->dont_know, 1);

	/* number, North: 1 and 3 */
	c = &r->questions[1].cells[0];
	assert_int_equal(c->stats.n, 2);
	CLOSE(c->stats.mean, 2.0);
	CLOSE(c->stats.median, 2.0);
	/* number, South: only n/a -> no figures, n/a never a zero */
	c = &r->questions[1].cells[1];
	assert_int_equal(c->n, 0);
	assert_int_equal(c->not_applicable, 1);
	assert_true(isnan(c->stats.mean));
	/* number, West: empty region */
	assert_int_equal(r->questions[1].cells[2].n, 0);
	/* number, World: 1 3 8 */
	c = &r->questions[1].cells[3];
	CLOSE(c->stats.mean, 4.0);
	CLOSE(c->stats.median, 3.0);
	CLOSE(c->stats.sd, sqrt(13.0));

	/* multiple choice, World: 2 answered, x by 2, y by 1 */
	c = &r->questions[2].cells[3];
	assert_int_equal(c->n, 2);
	assert_int_equal(c->counts[0], 2);
	assert_int_equal(c->counts[1], 1);

	{
		/* Both renderers run and name the store position. */
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		assert_int_equal(compare_render_text(r, m), 0);
		fclose(m);
		assert_non_null(strstr(text, "store position: sequence 4"));
		assert_non_null(strstr(text, "1 from members not in the registry"));
		free(text);
		m = open_memstream(&text, &len);
		assert_int_equal(compare_render_json(r, m), 0);
		fclose(m);
		{
			json_error_t je;
			json_t *j = json_loads(text, 0, &je);
			json_t *w;
			assert_non_null(j);
			w = json_array_get(
				json_object_get(json_array_get(json_object_get(j, "questions"), 1),
						"groups"),
				3);
			assert_string_equal(json_string_value(json_object_get(w, "group")),
					    "World");
			CLOSE(json_real_value(json_object_get(w, "mean")), 4.0);
			assert_true(json_is_null(json_object_get(
				json_array_get(
					json_object_get(
						json_array_get(json_object_get(j, "questions"), 1),
						"groups"),
					1),
				"mean")));
			json_decref(j);
		}
		free(text);
	}
	compare_free(&r);
	store_view_close(&v);
	store_close(&s);
	registry_free(&reg);
	qdef_free(&q);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("compare", tests, NULL, NULL);
}
