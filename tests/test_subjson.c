/* subjson: the member-facing JSON submission format, good and bad. */
#include "canon.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "subjson.h"
#include "wire.h"

static void test_good(void **state)
{
	Canvass__Submission *s = tu_submission(
		"{\"questionnaire\":\"isa\",\"version\":2,\"cycle\":\"2025\",\"member\":\"KE\","
		"\"id\":\"k1\",\"answers\":{\"yes\":true,\"int\":-4,\"num\":12.5,\"txt\":\"hello\","
		"\"multi\":[\"a\",\"b\"],\"na\":{\"special\":\"not_applicable\"},"
		"\"dk\":{\"special\":\"dont_know\"},\"skipped\":null}}");
	(void)state;

	assert_string_equal(s->questionnaire, "isa");
	assert_int_equal(s->version, 2);
	assert_string_equal(s->cycle, "2025");
	assert_string_equal(s->member, "KE");
	assert_string_equal(s->idempotency_key, "k1");
	assert_int_equal(s->n_answers, 7); /* null means no answer */
	assert_int_equal(canon_submission(s, NULL), 0);
	/* sorted: dk int multi na num txt yes */
	assert_int_equal(s->answers[0]->value_case, CANVASS__ANSWER__VALUE_SPECIAL);
	assert_int_equal(s->answers[0]->special, CANVASS__SPECIAL__DONT_KNOW);
	assert_int_equal(s->answers[1]->integer, -4);
	assert_int_equal(s->answers[2]->list->n_items, 2);
	assert_string_equal(s->answers[2]->list->items[1], "b");
	assert_int_equal(s->answers[3]->special, CANVASS__SPECIAL__NOT_APPLICABLE);
	assert_true(s->answers[4]->number == 12.5);
	assert_string_equal(s->answers[5]->text, "hello");
	assert_int_equal(s->answers[6]->value_case, CANVASS__ANSWER__VALUE_BOOLEAN);
	assert_true(s->answers[6]->boolean);
	WIRE_FREE(s);
}

static void expect_error(const char *json, const char *fragment)
{
	Canvass__Submission *s = (void *)1;
	char err[512] = "";
	int rc = subjson_parse(json, strlen(json), &s, err, sizeof err);
	assert_int_equal(rc, CV_EINVAL);
	assert_null(s);
	if (strstr(err, fragment) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, fragment);
}

static void test_bad(void **state)
{
	(void)state;
	expect_error("", "line 1");
	expect_error("[1,2]", "must be a JSON object");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\"}",
		     "$.answers");
	expect_error("{\"version\":1,\"cycle\":\"c\",\"member\":\"KE\",\"answers\":{}}",
		     "$.questionnaire");
	expect_error("{\"questionnaire\":\"q\",\"version\":0,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{}}",
		     "$.version");
	expect_error("{\"questionnaire\":\"q\",\"version\":\"1\",\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{}}",
		     "$.version");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":2025,\"member\":\"KE\","
		     "\"answers\":{}}",
		     "$.cycle");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{},\"extra\":1}",
		     "$.extra: unknown key");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"id\":5,\"answers\":{}}",
		     "$.id");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{\"m\":[\"a\",3]}}",
		     "$.answers.m[1]");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{\"s\":{\"special\":\"maybe\"}}}",
		     "$.answers.s");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{\"a\":1,\"a\":2}}",
		     "duplicate");
	/* The string rule: no NUL (jansson refuses \u0000), no control but TAB, LF, CR. */
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{\"t\":\"abc\\u0000def\"}}",
		     "NUL");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{\"t\":\"bell\\u0007\"}}",
		     "$.answers.t: holds a control character");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\\u001b\","
		     "\"member\":\"KE\",\"answers\":{}}",
		     "(CONTROL_CHARACTER)");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{\"m\":[\"a\\u007f\"]}}",
		     "$.answers.m: holds a control character");
	expect_error("{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		     "\"answers\":{\"t\":\"caf\xc3\"}}",
		     "line 1");
}

static void test_load_file(void **state)
{
	char *dir = tu_tempdir();
	Canvass__Submission *s;
	char err[512];
	(void)state;

	assert_int_equal(subjson_load_file(tu_write(dir, "ok.json",
						    "{\"questionnaire\":\"q\",\"version\":1,"
						    "\"cycle\":\"c\",\"member\":\"KE\","
						    "\"answers\":{\"a\":1}}"),
					   &s, err, sizeof err),
			 0);
	WIRE_FREE(s);
	assert_int_equal(subjson_load_file(tu_write(dir, "bad.json", "{\"version\":1}"), &s, err,
					   sizeof err),
			 CV_EINVAL);
	assert_non_null(strstr(err, "bad.json: $.questionnaire"));
	assert_int_equal(subjson_load_file("/nonexistent/x.json", &s, err, sizeof err), CV_EIO);
	tu_rmtree(dir);
	free(dir);
}

static void test_reply_json(void **state)
{
	Canvass__Reply r = CANVASS__REPLY__INIT;
	Canvass__Problem p = CANVASS__PROBLEM__INIT, *pp = &p;
	json_t *j;
	(void)state;

	r.status = CANVASS__STATUS__REJECTED;
	r.message = (char *)"1 problem";
	p.code = (char *)"OUT_OF_RANGE";
	p.question = (char *)"q1";
	p.message = (char *)"too big";
	r.n_problems = 1;
	r.problems = &pp;
	j = subjson_reply(&r);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "REJECTED");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(j, "problems"), 0), "code")),
			    "OUT_OF_RANGE");
	assert_null(json_object_get(j, "receipt"));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_reply_json),
	};
	return cmocka_run_group_tests_name("subjson", tests, NULL, NULL);
}
