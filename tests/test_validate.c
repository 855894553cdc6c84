/* qdef + validate: definitions load or are refused with a path; every
 * question type and constraint produces its problem code. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "qdef.h"
#include "validate.h"
#include "wire.h"

static const char *DEF =
	"{\"id\":\"t\",\"version\":3,\"title\":\"T\",\"sections\":[{\"id\":\"s1\",\"title\":\"S1\","
	"\"questions\":["
	"{\"id\":\"yn\",\"type\":\"yes_no\",\"text\":\"?\",\"required\":true},"
	"{\"id\":\"int\",\"type\":\"integer\",\"text\":\"?\",\"min\":0,\"max\":10,"
	"\"allow_not_applicable\":true},"
	"{\"id\":\"num\",\"type\":\"number\",\"text\":\"?\",\"min\":0,\"max\":100,\"unit\":"
	"\"percent\"},"
	"{\"id\":\"sc\",\"type\":\"scale\",\"text\":\"?\",\"levels\":[{\"value\":1,\"label\":\"a\"}"
	","
	"{\"value\":2,\"label\":\"b\"},{\"value\":5,\"label\":\"c\"}],\"allow_dont_know\":true}]},"
	"{\"id\":\"s2\",\"title\":\"S2\",\"questions\":["
	"{\"id\":\"ch\",\"type\":\"choice\",\"text\":\"?\",\"options\":[{\"id\":\"x\",\"label\":"
	"\"X\"},"
	"{\"id\":\"y\",\"label\":\"Y\"}]},"
	"{\"id\":\"mc\",\"type\":\"multi_choice\",\"text\":\"?\",\"options\":[{\"id\":\"x\","
	"\"label\":"
	"\"X\"},{\"id\":\"y\",\"label\":\"Y\"}]},"
	"{\"id\":\"tx\",\"type\":\"text\",\"text\":\"?\",\"max_length\":5}]}]}";

static struct questionnaire *load_def(void)
{
	struct questionnaire *q;
	char err[512];
	if (qdef_load_text("def", DEF, strlen(DEF), &q, err, sizeof err) != 0)
		fail_msg("%s", err);
	return q;
}

static void test_definition(void **state)
{
	struct questionnaire *q = load_def();
	(void)state;
	assert_string_equal(q->id, "t");
	assert_int_equal(q->version, 3);
	assert_int_equal(q->n_sections, 2);
	assert_int_equal(q->n_questions, 7);
	assert_int_equal(qdef_question(q, "mc")->section, 1);
	assert_int_equal(qdef_question(q, "mc")->order, 5);
	assert_null(qdef_question(q, "nope"));
	assert_int_equal(qdef_level_index(qdef_question(q, "sc"), 5), 2);
	assert_int_equal(qdef_option_index(qdef_question(q, "ch"), "y"), 1);
	qdef_free(&q);
	assert_null(q);
}

/* Validates answers (a JSON object body) and returns the codes, space-separated. */
static const char *codes_for(const struct questionnaire *q, const char *answers)
{
	static char codes[1024];
	static struct verdict v;
	char json[2048];
	Canvass__Submission *s;

	snprintf(json, sizeof json,
		 "{\"questionnaire\":\"t\",\"version\":3,\"cycle\":\"2025\",\"member\":\"KE\","
		 "\"answers\":%s}",
		 answers);
	s = tu_submission(json);
	verdict_init(&v);
	validate_submission(q, s, &v);
	codes[0] = '\0';
	for (size_t i = 0; i < v.n; i++) {
		strcat(codes, i ? " " : "");
		strcat(codes, v.items[i].code);
		strcat(codes, ":");
		strcat(codes, v.items[i].question);
	}
	WIRE_FREE(s);
	return codes;
}

static void test_valid(void **state)
{
	struct questionnaire *q = load_def();
	(void)state;
	assert_string_equal(codes_for(q, "{\"yn\":true}"), "");
	assert_string_equal(codes_for(q, "{\"yn\":false,\"int\":10,\"num\":99.5,\"sc\":5,"
					 "\"ch\":\"x\",\"mc\":[\"y\",\"x\"],\"tx\":\"abcde\"}"),
			    "");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"int\":{\"special\":\"not_applicable\"},"
					 "\"sc\":{\"special\":\"dont_know\"},\"num\":0}"),
			    "");
	qdef_free(&q);
}

static void test_problems(void **state)
{
	struct questionnaire *q = load_def();
	(void)state;
	assert_string_equal(codes_for(q, "{}"), "MISSING_REQUIRED:yn");
	assert_string_equal(codes_for(q, "{\"yn\":1}"), "WRONG_TYPE:yn");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"int\":11}"), "OUT_OF_RANGE:int");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"int\":-1}"), "OUT_OF_RANGE:int");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"int\":1.5}"), "WRONG_TYPE:int");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"num\":100.01}"), "OUT_OF_RANGE:num");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"num\":\"5\"}"), "WRONG_TYPE:num");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"sc\":3}"), "NOT_AN_OPTION:sc");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"ch\":\"z\"}"), "NOT_AN_OPTION:ch");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"ch\":[\"x\"]}"), "WRONG_TYPE:ch");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"mc\":[\"x\",\"q\",\"x\"]}"),
			    "NOT_AN_OPTION:mc DUPLICATE_OPTION:mc");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"tx\":\"abcdef\"}"), "TOO_LONG:tx");
	assert_string_equal(codes_for(q, "{\"yn\":{\"special\":\"dont_know\"}}"),
			    "SPECIAL_NOT_ALLOWED:yn");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"sc\":{\"special\":\"not_applicable\"}}"),
			    "SPECIAL_NOT_ALLOWED:sc");
	assert_string_equal(codes_for(q, "{\"yn\":true,\"zz\":1}"), "UNKNOWN_QUESTION:zz");
	/* Every problem at once, not just the first. */
	assert_string_equal(codes_for(q, "{\"int\":99,\"ch\":\"z\",\"zz\":1}"),
			    "NOT_AN_OPTION:ch OUT_OF_RANGE:int UNKNOWN_QUESTION:zz "
			    "MISSING_REQUIRED:yn");
	qdef_free(&q);
}

static void test_normalises_numbers(void **state)
{
	struct questionnaire *q = load_def();
	/* 42.0 is the whole number 42: canonical form writes it as an integer. */
	Canvass__Submission *s = tu_submission(
		"{\"questionnaire\":\"t\",\"version\":3,\"cycle\":\"2025\",\"member\":\"KE\","
		"\"answers\":{\"yn\":true,\"num\":42.0}}");
	Canvass__Submission *t = tu_submission(
		"{\"questionnaire\":\"t\",\"version\":3,\"cycle\":\"2025\",\"member\":\"KE\","
		"\"answers\":{\"num\":42.5,\"yn\":true}}");
	struct verdict v;
	(void)state;

	verdict_init(&v);
	assert_int_equal(validate_submission(q, s, &v), 0);
	assert_string_equal(s->answers[0]->question, "num");
	assert_int_equal(s->answers[0]->value_case, CANVASS__ANSWER__VALUE_INTEGER);
	assert_int_equal(s->answers[0]->integer, 42);
	/* A number question takes a fraction as a number. */
	assert_int_equal(validate_submission(q, t, &v), 0);
	assert_int_equal(t->answers[0]->value_case, CANVASS__ANSWER__VALUE_NUMBER);
	assert_true(t->answers[0]->number == 42.5);
	WIRE_FREE(s);
	WIRE_FREE(t);
	qdef_free(&q);
}

static void test_cycle_and_key(void **state)
{
	struct questionnaire *q = load_def();
	Canvass__Submission *s = tu_submission(
		"{\"questionnaire\":\"t\",\"version\":3,\"cycle\":\"20 25\",\"member\":\"KE\","
		"\"id\":\"has space\",\"answers\":{\"yn\":true}}");
	struct verdict v;
	(void)state;

	verdict_init(&v);
	assert_int_equal(validate_submission(q, s, &v), 2);
	assert_string_equal(v.items[0].code, "INVALID_CYCLE");
	assert_string_equal(v.items[1].code, "INVALID_KEY");
	WIRE_FREE(s);
	qdef_free(&q);
}

static void expect_bad_def(const char *json, const char *fragment)
{
	struct questionnaire *q = (void *)1;
	char err[512] = "";
	assert_int_equal(qdef_load_text("bad.json", json, strlen(json), &q, err, sizeof err),
			 CV_ECONFIG);
	assert_null(q);
	if (strstr(err, fragment) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, fragment);
}

#define CONSENT_Q(scope)                                                                           \
	"{\"id\":\"c\",\"type\":\"choice\",\"text\":\"?\",\"consent\":\"" scope "\","              \
	"\"options\":[{\"id\":\"no\",\"label\":\"N\"},{\"id\":\"anonymously\",\"label\":\"A\"},"   \
	"{\"id\":\"with_name\",\"label\":\"W\"}]}"
#define SHARED_Q(id, extra)                                                                        \
	"{\"id\":\"" id "\",\"type\":\"text\",\"text\":\"?\",\"share\":true" extra "}"
#define TWO_S(a, b)                                                                                \
	"{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\",\"title\":\"S\"," \
	"\"questions\":[" a "]},{\"id\":\"u\",\"title\":\"U\",\"questions\":[" b "]}]}"

#define CONSENT_W                                                                                  \
	"{\"id\":\"w\",\"type\":\"choice\",\"text\":\"?\",\"consent\":\"questionnaire\","          \
	"\"options\":["                                                                            \
	"{\"id\":\"with_name\",\"label\":\"W\"},{\"id\":\"no\",\"label\":\"N\"},"                  \
	"{\"id\":\"anonymously\",\"label\":\"A\"}]}"
#define SHARING_OK                                                                                 \
	TWO_S(SHARED_Q("a", ",\"about\":\"u\"") "," CONSENT_Q("section"),                          \
	      SHARED_Q("b", ",\"about\":\"s\"") "," CONSENT_W)

/* A shared answer needs its consent question; a consent question is exactly that choice. */
static void test_bad_sharing(void)
{
	struct questionnaire *q = NULL;
	char err[512];

	expect_bad_def(TWO_S(SHARED_Q("a", ""), CONSENT_Q("section")),
		       "(question a): share: a shared answer needs a consent question");
	expect_bad_def(TWO_S(SHARED_Q("a", ",\"about\":\"nowhere\""), CONSENT_Q("questionnaire")),
		       "(question a): about: names no section");
	expect_bad_def(TWO_S("{\"id\":\"a\",\"type\":\"text\",\"text\":\"?\",\"about\":\"u\"}",
			     CONSENT_Q("questionnaire")),
		       "about: for a shared question");
	expect_bad_def(TWO_S(CONSENT_Q("everywhere"), SHARED_Q("a", "")),
		       "consent: \"section\" or");
	expect_bad_def(
		TWO_S("{\"id\":\"c\",\"type\":\"choice\",\"text\":\"?\",\"consent\":"
		      "\"section\",\"options\":[{\"id\":\"no\",\"label\":\"N\"},{\"id\":\"yes\","
		      "\"label\":\"Y\"},{\"id\":\"with_name\",\"label\":\"W\"}]}",
		      SHARED_Q("a", "")),
		"consent: a choice question with exactly the options no");
	expect_bad_def(TWO_S(CONSENT_Q("questionnaire"),
			     "{\"id\":\"d\",\"type\":\"choice\",\"text\":\"?\",\"consent\":"
			     "\"questionnaire\",\"options\":[{\"id\":\"no\",\"label\":\"N\"},"
			     "{\"id\":\"anonymously\",\"label\":\"A\"},{\"id\":\"with_name\","
			     "\"label\":\"W\"}]}"),
		       "(question d): consent: a second consent question for the questionnaire");
	expect_bad_def(TWO_S(SHARED_Q("a", ",\"about\":\"u\"") "," CONSENT_Q("section"),
			     SHARED_Q("b", "") ",{\"id\":\"d\",\"type\":\"choice\",\"text\":\"?\","
					       "\"consent\":\"section\",\"options\":[{\"id\":"
					       "\"no\",\"label\":\"N\"},{\"id\":\"anonymously\","
					       "\"label\":\"A\"},{\"id\":\"with_name\","
					       "\"label\":\"W\"}]}"),
		       "(question b): about: the shared answers about one section are governed by "
		       "one consent question");
	/* The section's consent governs before the questionnaire's; about names a section. */
	assert_int_equal(
		qdef_load_text("ok.json", SHARING_OK, strlen(SHARING_OK), &q, err, sizeof err), 0);
	assert_string_equal(qdef_question(q, "a")->consent_by->id, "c");
	assert_int_equal(qdef_question(q, "a")->about, 1);
	assert_string_equal(qdef_question(q, "b")->consent_by->id, "w");
	assert_int_equal(qdef_question(q, "b")->about, 0);
	assert_int_equal(q->n_shared, 2);
	qdef_free(&q);
}

static void test_bad_definitions(void **state)
{
	(void)state;
	expect_bad_def("{", "bad.json: line 1");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[]}",
		       "$.sections: required");
	expect_bad_def("{\"id\":\"t t\",\"version\":1,\"title\":\"T\",\"sections\":[]}", "$.id");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"colour\","
		       "\"text\":\"?\"}]}]}",
		       "$.sections[0].questions[0].type: unknown type");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"choice\","
		       "\"text\":\"?\",\"options\":[{\"id\":\"x\",\"label\":\"X\"}]}]}]}",
		       "$.sections[0].questions[0].options: required");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"yes_no\","
		       "\"text\":\"?\"},{\"id\":\"a\",\"type\":\"yes_no\",\"text\":\"?\"}]}]}",
		       "question id used twice");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"integer\","
		       "\"text\":\"?\",\"min\":5,\"max\":1}]}]}",
		       "min is greater than max");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"yes_no\","
		       "\"text\":\"?\",\"requird\":true}]}]}",
		       "$.sections[0].questions[0].requird: unknown key");
	test_bad_sharing();
}

#define ONE_Q(q)                                                                                   \
	"{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\",\"title\":\"S\"," \
	"\"questions\":[" q "]}]}"

static void test_quality_checks(void **state)
{
	static const char def[] =
		ONE_Q("{\"id\":\"n\",\"type\":\"number\",\"text\":\"?\",\"min\":0,\"max\":100,"
		      "\"warn_below\":1,\"warn_above\":95,\"allow_dont_know\":true,"
		      "\"change_from_previous\":{\"relative\":0.5},\"outlier\":{}},"
		      "{\"id\":\"i\",\"type\":\"integer\",\"text\":\"?\",\"warn_above\":10,"
		      "\"outlier\":{\"threshold\":5,\"min_answers\":20}},"
		      "{\"id\":\"sc\",\"type\":\"scale\",\"text\":\"?\",\"warn_below\":1,"
		      "\"levels\":[{\"value\":0,\"label\":\"a\"},{\"value\":1,\"label\":\"b\"},"
		      "{\"value\":2,\"label\":\"c\"}]}");
	struct questionnaire *q;
	struct verdict *v = malloc(sizeof *v);
	Canvass__Submission *s;
	const struct question *n, *i;
	char err[512];
	(void)state;

	if (qdef_load_text("c", def, strlen(def), &q, err, sizeof err) != 0)
		fail_msg("%s", err);
	n = qdef_question(q, "n");
	i = qdef_question(q, "i");
	assert_true(n->check.has_warn_below && n->check.warn_below == 1);
	assert_true(n->check.has_warn_above && n->check.warn_above == 95);
	assert_true(n->check.change && n->check.has_relative && !n->check.has_absolute);
	assert_true(n->check.outlier_z == 3.5 && n->check.outlier_min_answers == 10);
	assert_true(i->check.outlier_z == 5 && i->check.outlier_min_answers == 20);
	assert_false(i->check.change);
	assert_int_equal(q->n_store_checks, 2);

	/* 0.85 typed for 85 %, 11 above 10, level 0 below 1: three warnings, stored. */
	s = tu_submission("{\"questionnaire\":\"t\",\"version\":1,\"cycle\":\"2025\","
			  "\"member\":\"KE\",\"answers\":{\"n\":0.85,\"i\":11,\"sc\":0}}");
	verdict_init(v);
	assert_int_equal(validate_submission(q, s, v), 0);
	assert_int_equal(v->n, 3);
	for (size_t k = 0; k < v->n; k++) {
		assert_string_equal(v->items[k].code, "SOFT_RANGE");
		assert_true(v->items[k].warning && v->items[k].finding);
	}
	assert_string_equal(v->items[0].question, "i");
	assert_true(v->items[0].value == 11 && v->items[0].reference == 10);
	assert_string_equal(v->items[0].message,
			    "11 is above the expected range (warn_above 10): check it");
	assert_string_equal(v->items[1].question, "n");
	assert_true(v->items[1].value == 0.85 && v->items[1].reference == 1);
	assert_string_equal(v->items[1].message,
			    "0.85 is below the expected range (warn_below 1): check it");
	assert_string_equal(v->items[2].question, "sc");
	WIRE_FREE(s);
	/* Inside the range, a special answer, an answer that fails its own check: none. */
	s = tu_submission(
		"{\"questionnaire\":\"t\",\"version\":1,\"cycle\":\"2025\","
		"\"member\":\"KE\",\"answers\":{\"n\":{\"special\":\"dont_know\"},\"i\":10,"
		"\"sc\":7}}");
	verdict_init(v);
	assert_int_equal(validate_submission(q, s, v), 1);
	assert_int_equal(v->n, 1);
	assert_string_equal(v->items[0].code, "NOT_AN_OPTION");
	WIRE_FREE(s);
	qdef_free(&q);
	free(v);

	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"yes_no\",\"text\":\"?\",\"outlier\":{}}"),
		       "$.sections[0].questions[0]: warn_below, warn_above, change_from_previous "
		       "and outlier apply to integer, number and scale questions only");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\",\"min\":0,"
			     "\"warn_below\":0}"),
		       "warn_below must lie above the lowest allowed answer");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\",\"max\":9,"
			     "\"warn_above\":9}"),
		       "warn_above must lie below the highest allowed answer");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\",\"max\":9,"
			     "\"warn_below\":10}"),
		       "warn_below must lie above the lowest allowed answer and not above the "
		       "highest");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\",\"min\":1,"
			     "\"warn_above\":0}"),
		       "warn_above must lie below the highest allowed answer and not below the "
		       "lowest");
	{
		/* The edges that are allowed: warn_below at the maximum, warn_above at the minimum.
		 */
		static const char edges[] = ONE_Q(
			"{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\",\"min\":1,\"max\":9,"
			"\"warn_below\":9},{\"id\":\"b\",\"type\":\"integer\",\"text\":\"?\","
			"\"min\":1,\"max\":9,\"warn_above\":1}");
		struct questionnaire *e = NULL;
		if (qdef_load_text("e", edges, strlen(edges), &e, err, sizeof err) != 0)
			fail_msg("%s", err);
		qdef_free(&e);
	}
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\","
			     "\"warn_below\":5,\"warn_above\":4}"),
		       "warn_below is greater than warn_above");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\","
			     "\"change_from_previous\":{}}"),
		       "$.sections[0].questions[0].change_from_previous: needs a relative or an "
		       "absolute threshold");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\","
			     "\"change_from_previous\":{\"relative\":-1}}"),
		       "change_from_previous.relative: must be 0 or more");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\","
			     "\"outlier\":{\"threshold\":0}}"),
		       "$.sections[0].questions[0].outlier: threshold must be greater than 0");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\","
			     "\"outlier\":{\"min_answers\":2}}"),
		       "min_answers: an integer from 3 to 100000");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\","
			     "\"outlier\":{\"z\":3}}"),
		       "$.sections[0].questions[0].outlier.z: unknown key");
	expect_bad_def(ONE_Q("{\"id\":\"a\",\"type\":\"scale\",\"text\":\"?\","
			     "\"warn_above\":2,\"levels\":[{\"value\":0,\"label\":\"a\"},"
			     "{\"value\":2,\"label\":\"b\"}]}"),
		       "warn_above must lie below the highest allowed answer");
}

static void test_shipped_set(void **state)
{
	struct qset *set;
	char err[512];
	const struct questionnaire *q;
	(void)state;

	if (qset_load_dir(tu_src("data/questionnaires"), &set, err, sizeof err) != 0)
		fail_msg("%s", err);
	q = qset_latest(set, "integrity-self-assessment");
	assert_non_null(q);
	assert_int_equal(q->n_sections, 10);
	assert_true(q->n_questions >= 30);
	assert_true(q->n_rules >= 3);
	q = qset_find(set, "gender-integrity", 1);
	assert_non_null(q);
	assert_int_equal(q->n_sections, 10);
	assert_string_equal(q->sections[0].title, "1. Leadership and Commitment");
	assert_string_equal(q->sections[9].title, "10. Relationship with the Private Sector");
	assert_int_equal(q->n_shared, 0);
	/* Version 2: version 1's questions and the initiatives, shared with consent. */
	q = qset_latest(set, "gender-integrity");
	assert_int_equal(q->version, 2);
	assert_int_equal(q->n_sections, 11);
	assert_string_equal(q->sections[10].id, "initiatives");
	assert_int_equal(q->n_shared, 30);
	for (size_t i = 0; i < q->n_questions; i++) {
		const struct question *qn = &q->questions[i];
		if (qn->share) {
			assert_string_equal(qn->consent_by->id, "gi_ip_consent");
			assert_true(qn->about < 10);
		}
		assert_true(qn->section == 10 || qn->consent == QCONSENT_NONE);
	}
	for (size_t i = 0; i < qset_find(set, "gender-integrity", 1)->n_questions; i++)
		assert_non_null(
			qdef_question(q, qset_find(set, "gender-integrity", 1)->questions[i].id));
	assert_int_equal(qdef_question(q, "gi_ip_consent")->consent, QCONSENT_SECTION);
	assert_int_equal(qdef_question(q, "gi_ip_hr_results")->about, 7);
	qset_free(&set);
}

static const char *COND =
	"{\"id\":\"c\",\"version\":1,\"title\":\"C\",\"sections\":[{\"id\":\"s\",\"title\":\"S\","
	"\"questions\":["
	"{\"id\":\"has_unit\",\"type\":\"yes_no\",\"text\":\"?\",\"required\":true,"
	"\"score\":{\"weight\":2}},"
	"{\"id\":\"unit_staff\",\"type\":\"integer\",\"text\":\"?\",\"required\":true,"
	"\"when\":\"has_unit\"},"
	"{\"id\":\"staff_total\",\"type\":\"integer\",\"text\":\"?\",\"min\":0},"
	"{\"id\":\"staff_women\",\"type\":\"integer\",\"text\":\"?\",\"min\":0,"
	"\"allow_dont_know\":true},"
	"{\"id\":\"level\",\"type\":\"scale\",\"text\":\"?\",\"score\":{},\"levels\":["
	"{\"value\":1,\"label\":\"a\"},{\"value\":3,\"label\":\"b\"},{\"value\":5,\"label\":\"c\"}]"
	"},"
	"{\"id\":\"kind\",\"type\":\"choice\",\"text\":\"?\",\"score\":{},\"options\":["
	"{\"id\":\"x\",\"label\":\"X\",\"score\":0.25},{\"id\":\"y\",\"label\":\"Y\",\"score\":1}]}"
	","
	"{\"id\":\"share\",\"type\":\"number\",\"text\":\"?\",\"score\":{\"zero\":20,\"full\":80}}"
	"]}],\"rules\":["
	"{\"id\":\"women_le_total\",\"expr\":\"staff_women <= staff_total\",\"severity\":\"error\","
	"\"message\":\"more women than staff\"},"
	"{\"id\":\"unit_small\",\"expr\":\"unit_staff * 10 <= "
	"staff_total\",\"severity\":\"warning\","
	"\"message\":\"a large unit\"}]}";

static const char *cond_codes(const struct questionnaire *q, const char *answers)
{
	static char codes[1024];
	static struct verdict v;
	char json[2048];
	Canvass__Submission *s;

	snprintf(json, sizeof json,
		 "{\"questionnaire\":\"c\",\"version\":1,\"cycle\":\"2025\",\"member\":\"KE\","
		 "\"answers\":%s}",
		 answers);
	s = tu_submission(json);
	verdict_init(&v);
	validate_submission(q, s, &v);
	codes[0] = '\0';
	for (size_t i = 0; i < v.n; i++) {
		strcat(codes, i ? " " : "");
		strcat(codes, v.items[i].warning ? "w:" : "");
		strcat(codes, v.items[i].code);
		strcat(codes, ":");
		strcat(codes, v.items[i].rule[0] ? v.items[i].rule : v.items[i].question);
	}
	WIRE_FREE(s);
	return codes;
}

static void test_conditions_and_rules(void **state)
{
	struct questionnaire *q;
	char err[256];
	(void)state;

	if (qdef_load_text("c", COND, strlen(COND), &q, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(q->n_rules, 2);
	/* The unit applies: its staff count is required. */
	assert_string_equal(cond_codes(q, "{\"has_unit\":true}"), "MISSING_REQUIRED:unit_staff");
	/* It does not apply: not required, and an answer is an error... */
	assert_string_equal(cond_codes(q, "{\"has_unit\":false}"), "");
	assert_string_equal(cond_codes(q, "{\"has_unit\":false,\"unit_staff\":3}"),
			    "NOT_APPLICABLE_HERE:unit_staff");
	/* ...except "not applicable" itself. */
	assert_string_equal(
		cond_codes(q,
			   "{\"has_unit\":false,\"unit_staff\":{\"special\":\"not_applicable\"}}"),
		"");
	/* Unknown condition (unanswered) means it does not apply. */
	assert_string_equal(cond_codes(q, "{\"unit_staff\":3}"),
			    "MISSING_REQUIRED:has_unit NOT_APPLICABLE_HERE:unit_staff");
	/* Rules: an error rejects, a warning is reported; unknown operands skip the rule. */
	assert_string_equal(
		cond_codes(q, "{\"has_unit\":false,\"staff_total\":10,\"staff_women\":11}"),
		"RULE_FAILED:women_le_total");
	assert_string_equal(
		cond_codes(q, "{\"has_unit\":false,\"staff_total\":10,\"staff_women\":10}"), "");
	assert_string_equal(cond_codes(q, "{\"has_unit\":false,\"staff_total\":10,"
					  "\"staff_women\":{\"special\":\"dont_know\"}}"),
			    "");
	assert_string_equal(cond_codes(q, "{\"has_unit\":true,\"unit_staff\":5,\"staff_total\":10,"
					  "\"staff_women\":2}"),
			    "w:RULE_FAILED:unit_small");
	qdef_free(&q);
}

static void test_scores(void **state)
{
	struct questionnaire *q;
	Canvass__Answer a = CANVASS__ANSWER__INIT;
	char err[256];
	double x;
	(void)state;

	if (qdef_load_text("c", COND, strlen(COND), &q, err, sizeof err) != 0)
		fail_msg("%s", err);
	a.value_case = CANVASS__ANSWER__VALUE_BOOLEAN;
	a.boolean = 1;
	assert_int_equal(qdef_score(qdef_question(q, "has_unit"), &a, &x), 0);
	assert_true(x == 1.0);
	assert_true(qdef_question(q, "has_unit")->score.weight == 2.0);
	a.value_case = CANVASS__ANSWER__VALUE_INTEGER;
	a.integer = 3;
	assert_int_equal(qdef_score(qdef_question(q, "level"), &a, &x), 0);
	assert_true(x == 0.5); /* (3 - 1) / (5 - 1) */
	assert_int_equal(qdef_score(qdef_question(q, "staff_total"), &a, &x), CV_ENOTFOUND);
	a.value_case = CANVASS__ANSWER__VALUE_TEXT;
	a.text = (char *)"x";
	assert_int_equal(qdef_score(qdef_question(q, "kind"), &a, &x), 0);
	assert_true(x == 0.25);
	a.value_case = CANVASS__ANSWER__VALUE_NUMBER;
	a.number = 50;
	assert_int_equal(qdef_score(qdef_question(q, "share"), &a, &x), 0);
	assert_true(x == 0.5);
	a.number = 95; /* clamped */
	assert_int_equal(qdef_score(qdef_question(q, "share"), &a, &x), 0);
	assert_true(x == 1.0);
	a.value_case = CANVASS__ANSWER__VALUE_SPECIAL;
	a.special = CANVASS__SPECIAL__DONT_KNOW;
	assert_int_equal(qdef_score(qdef_question(q, "share"), &a, &x), CV_ENOTFOUND);
	qdef_free(&q);
}

static void test_bad_logic(void **state)
{
	(void)state;
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"integer\","
		       "\"text\":\"?\"}]}],\"rules\":[{\"id\":\"r\",\"expr\":\"a <= b\","
		       "\"severity\":\"error\",\"message\":\"m\"}]}",
		       "bad.json: $.rules[0].expr: position 6: unknown question \"b\"");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"integer\","
		       "\"text\":\"?\"}]}],\"rules\":[{\"id\":\"r\",\"expr\":\"a <= 1\","
		       "\"severity\":\"fatal\",\"message\":\"m\"}]}",
		       "$.rules[0].severity: must be \"error\" or \"warning\"");
	expect_bad_def(
		"{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		"\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"yes_no\","
		"\"text\":\"?\",\"when\":\"a\"}]}]}",
		"$.sections[0].questions[0].when: a condition cannot depend on its own question");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"integer\","
		       "\"text\":\"?\",\"when\":\"a +\"}]}]}",
		       "$.sections[0].questions[0].when: position 4: unexpected end");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"text\","
		       "\"text\":\"?\",\"score\":{}}]}]}",
		       "$.sections[0].questions[0].score: multiple choice and text questions "
		       "cannot be scored");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"choice\","
		       "\"text\":\"?\",\"score\":{},\"options\":[{\"id\":\"x\",\"label\":\"X\"},"
		       "{\"id\":\"y\",\"label\":\"Y\",\"score\":1}]}]}]}",
		       "every option of a scored choice needs a score");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\","
		       "\"title\":\"S\",\"questions\":[{\"id\":\"a\",\"type\":\"number\","
		       "\"text\":\"?\",\"score\":{\"zero\":1}}]}]}",
		       "needs distinct zero and full");
}

/* Texts in English and French: both given, read in either; a missing one refuses the file. */
static void test_translations(void **state)
{
	static const char ok[] =
		"{\"id\":\"t\",\"version\":1,\"languages\":[\"en\",\"fr\"],"
		"\"title\":{\"en\":\"Title\",\"fr\":\"Titre\"},"
		"\"sections\":[{\"id\":\"s\",\"title\":{\"fr\":\"Partie\",\"en\":\"Part\"},"
		"\"questions\":[{\"id\":\"q\",\"type\":\"choice\","
		"\"text\":{\"en\":\"Which?\",\"fr\":\"Lequel ?\"},"
		"\"options\":[{\"id\":\"a\",\"label\":{\"en\":\"A\",\"fr\":\"Ah\"}},"
		"{\"id\":\"b\",\"label\":{\"en\":\"B\",\"fr\":\"Bé\"}}]}]}]}";
	struct questionnaire *q = NULL;
	const struct question *qn;
	char err[512], bad[2048];
	(void)state;

	assert_int_equal(qdef_load_text("t.json", ok, strlen(ok), &q, err, sizeof err), 0);
	qn = qdef_question(q, "q");
	assert_string_equal(q->title, "Title"); /* the default language: the first declared */
	assert_string_equal(qdef_text(q->title, q->title_tr, QLANG_FR), "Titre");
	assert_string_equal(qdef_text(q->sections[0].title, q->sections[0].title_tr, QLANG_FR),
			    "Partie");
	assert_string_equal(qdef_text(qn->text, qn->text_tr, QLANG_FR), "Lequel ?");
	assert_string_equal(qdef_text(qn->text, qn->text_tr, QLANG_EN), "Which?");
	assert_string_equal(qdef_text(qn->options[1].label, qn->options[1].label_tr, QLANG_FR),
			    "Bé");
	qdef_free(&q);
	/* A missing translation, named with its path. */
	snprintf(bad, sizeof bad, "%.*s%s", (int)(strstr(ok, ",\"fr\":\"Lequel ?\"") - ok), ok,
		 strstr(ok, ",\"fr\":\"Lequel ?\"") + strlen(",\"fr\":\"Lequel ?\""));
	expect_bad_def(bad,
		       "$.sections[0].questions[0].text: no \"fr\" text (a missing translation)");
	/* A string where both languages are due; a language not declared; an empty text. */
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"languages\":[\"en\",\"fr\"],\"title\":\"T\","
		       "\"sections\":[]}",
		       "$.title: must give each language");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"languages\":[\"en\"],"
		       "\"title\":{\"en\":\"T\",\"fr\":\"T\"},\"sections\":[]}",
		       "a language \"languages\" does not declare");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"languages\":[\"en\",\"de\"],"
		       "\"title\":\"T\",\"sections\":[]}",
		       "$.languages: languages are \"en\" and \"fr\"");
	expect_bad_def("{\"id\":\"t\",\"version\":1,\"languages\":[\"en\",\"fr\"],"
		       "\"title\":{\"en\":\"T\",\"fr\":\"\"},\"sections\":[]}",
		       "each language's text must be a non-empty string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translations),
		cmocka_unit_test(test_definition),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_normalises_numbers),
		cmocka_unit_test(test_cycle_and_key),
		cmocka_unit_test(test_bad_definitions),
		cmocka_unit_test(test_shipped_set),
		cmocka_unit_test(test_conditions_and_rules),
		cmocka_unit_test(test_scores),
		cmocka_unit_test(test_bad_logic),
		cmocka_unit_test(test_quality_checks),
	};
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
