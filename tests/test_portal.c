/*
 * portal: the member portal's words (both languages, every message) and its
 * forms (posted fields to answers, the collector's conditions, drafts back
 * and forth), against the shipped integrity self-assessment.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "form.h"
#include "i18n.h"
#include "pages.h"
#include "qdef.h"
#include "wire.h"

static void test_every_message_in_both_languages(void **state)
{
	(void)state;
	for (int m = 0; m < M_COUNT; m++) {
		const char *en = i18n(LANG_EN, (enum msg)m), *fr = i18n(LANG_FR, (enum msg)m);
		if (en[0] == '\0' || fr[0] == '\0')
			fail_msg("message %d lacks a language", m);
		/* Only words spelt the same in both may read the same. */
		if (strcmp(en, fr) == 0 && m != M_QUESTIONNAIRE && m != M_CYCLE && m != M_ACTION)
			fail_msg("message %d is not translated: %s", m, en);
	}
	assert_int_equal(i18n_parse("fr"), LANG_FR);
	assert_int_equal(i18n_parse("de"), LANG_EN);
}

static struct questionnaire *isa(void)
{
	struct questionnaire *q = NULL;
	char err[512];
	if (qdef_load_file(tu_src("data/questionnaires/integrity-self-assessment.v1.json"), &q, err,
			   sizeof err) != 0)
		fail_msg("%s", err);
	return q;
}

static bool applies(const struct form *f, const char *id)
{
	const struct question *q = qdef_question(f->def, id);
	return f->applies[q->order];
}

static void test_post_to_answers(void **state)
{
	struct questionnaire *q = isa();
	struct form *f = NULL;
	const struct form_field fields[] = {
		{"a.lc_strategy", "yes"},
		{"a.lc_commitment", "special:dont_know"},
		{"a.au_electronic_share", " 87,5 "}, /* a comma for the decimal point */
		{"a.hr_staff_total", "12 000"},      /* not a whole number: kept, not sent */
		{"a.tr_advance_rulings_days", ""},
		{"s.tr_advance_rulings_days", "dont_know"},
		{"a.au_payments", "e_payment"},
		{"a.au_payments", "bank_transfer"},
		{"a.au_payments", "not_an_option"},
		{"a.rf_rkc", "contracting_party"},
		{"a.rm_programme", "no"},
		{"a.rm_stage", "planning"},            /* does not apply: rm_programme is no */
		{"a.ps_notes", "<b>bold</b> \x01 ok"}, /* a control becomes '?' */
	};
	char *json, num[FORM_NUMBER_MAX];
	(void)state;

	assert_int_equal(form_new(&f, q, "2025", "KE"), 0);
	assert_int_equal(form_take_post(f, fields, sizeof fields / sizeof fields[0]), 0);
	assert_true(form_chosen(f, qdef_question(q, "lc_strategy"), "yes"));
	assert_string_equal(form_special(f, qdef_question(q, "lc_commitment")), "dont_know");
	assert_string_equal(form_typed(f, qdef_question(q, "au_electronic_share"), num), "87.5");
	assert_string_equal(form_typed(f, qdef_question(q, "hr_staff_total"), num), "12 000");
	assert_string_equal(form_special(f, qdef_question(q, "tr_advance_rulings_days")),
			    "dont_know");
	assert_true(form_chosen(f, qdef_question(q, "au_payments"), "bank_transfer"));
	assert_false(form_chosen(f, qdef_question(q, "au_payments"), "not_an_option"));
	assert_false(applies(f, "rm_stage"));
	assert_true(applies(f, "lc_strategy"));
	json = form_submission_json(f);
	assert_non_null(json);
	assert_null(strstr(json, "rm_stage"));       /* not sent: it does not apply */
	assert_null(strstr(json, "hr_staff_total")); /* not an answer yet */
	assert_non_null(strstr(json, "\"au_electronic_share\": 87.5"));
	assert_non_null(strstr(json, "\"ps_notes\": \"<b>bold</b> ? ok\""));
	free(json);
	form_free(&f);
	qdef_free(&q);
}

/* A draft holds what was typed, the unparsed too, and comes back the same. */
static void test_draft_round_trip(void **state)
{
	struct questionnaire *q = isa();
	struct form *f = NULL, *g = NULL;
	const struct form_field fields[] = {
		{"a.rm_programme", "yes"},
		{"a.rm_stage", "evaluation"},
		{"a.hr_staff_total", "lots"},
	};
	char *draft, *again, num[FORM_NUMBER_MAX], *long_text = malloc(6001);
	struct form_field long_field = {"a.hr_staff_total", long_text};
	(void)state;

	assert_int_equal(form_new(&f, q, "2025", "KE"), 0);
	assert_int_equal(form_take_post(f, fields, 3), 0);
	assert_true(applies(f, "rm_stage"));
	draft = form_draft_json(f);
	assert_int_equal(form_new(&g, q, "2025", "KE"), 0);
	assert_int_equal(form_take_draft(g, draft, strlen(draft)), 0);
	again = form_draft_json(g);
	assert_string_equal(draft, again);
	assert_true(applies(g, "rm_stage"));
	assert_string_equal(form_typed(g, qdef_question(q, "hr_staff_total"), num), "lots");
	/* What was typed comes back whole, however long (the check says what is wrong). */
	assert_non_null(long_text);
	memset(long_text, '9', 6000);
	long_text[3] = 'x';
	long_text[6000] = '\0';
	assert_int_equal(form_take_post(g, &long_field, 1), 0);
	assert_string_equal(form_typed(g, qdef_question(q, "hr_staff_total"), num), long_text);
	/* A number written with more digits than a buffer would hold is still read whole. */
	memset(long_text, '0', 6000);
	long_text[5998] = '7';
	assert_int_equal(form_take_post(g, &long_field, 1), 0);
	assert_string_equal(form_typed(g, qdef_question(q, "hr_staff_total"), num), "70");
	memset(long_text, 'a', 6000);
	long_field.name = "a.ps_notes";
	assert_int_equal(form_take_post(g, &long_field, 1), 0);
	assert_string_equal(form_typed(g, qdef_question(q, "ps_notes"), num), long_text);
	free(long_text);
	/* A draft is the member's file, read with care: not JSON, or ids of nothing. */
	assert_int_equal(form_take_draft(g, "{", 1), CV_EINVAL);
	assert_int_equal(form_take_draft(g, "{\"answers\":{\"nope\":1}}", 22), 0);
	free(draft);
	free(again);
	form_free(&f);
	form_free(&g);
	qdef_free(&q);
}

/*
 * The previous cycle answered version 1; the form is version 2, whose
 * "total" continues "staff" (renamed), whose "kind" renames the option
 * "old" to "new", and whose "level" changed meaning: the form starts with
 * the old answers under the new ids, without the not comparable one.
 */
static void test_previous_version_by_lineage(void **state)
{
	static const char *v1 =
		"{\"id\":\"l\",\"version\":1,\"title\":\"L\",\"sections\":[{\"id\":\"s\","
		"\"title\":\"S\",\"questions\":["
		"{\"id\":\"staff\",\"type\":\"integer\",\"text\":\"?\"},"
		"{\"id\":\"kind\",\"type\":\"choice\",\"text\":\"?\",\"options\":[{\"id\":\"old\","
		"\"label\":\"O\"},{\"id\":\"same\",\"label\":\"S\"}]},"
		"{\"id\":\"level\",\"type\":\"integer\",\"text\":\"?\"}]}]}";
	static const char *v2 =
		"{\"id\":\"l\",\"version\":2,\"title\":\"L\",\"sections\":[{\"id\":\"s\","
		"\"title\":\"S\",\"questions\":["
		"{\"id\":\"total\",\"type\":\"integer\",\"text\":\"?\",\"replaces\":\"staff\"},"
		"{\"id\":\"kind\",\"type\":\"choice\",\"text\":\"?\",\"options\":[{\"id\":\"new\","
		"\"label\":\"N\",\"replaces\":\"old\"},{\"id\":\"same\",\"label\":\"S\"}]},"
		"{\"id\":\"level\",\"type\":\"integer\",\"text\":\"?\",\"comparable\":false},"
		"{\"id\":\"fresh\",\"type\":\"integer\",\"text\":\"?\"}]}]}";
	char *dir = tu_tempdir(), err[512];
	struct qset *qs = NULL;
	struct form *f = NULL;
	Canvass__Submission *sub;
	(void)state;

	tu_write(dir, "l.v1.json", v1);
	tu_write(dir, "l.v2.json", v2);
	if (qset_load_dir(dir, &qs, err, sizeof err) != 0)
		fail_msg("%s", err);
	sub = tu_submission("{\"questionnaire\":\"l\",\"version\":1,\"cycle\":\"2024\","
			    "\"member\":\"KE\",\"answers\":{\"staff\":120,\"kind\":\"old\","
			    "\"level\":3}}");
	assert_non_null(sub);
	assert_int_equal(form_new(&f, qset_find(qs, "l", 2), "2025", "KE"), 0);
	assert_int_equal(form_take_previous(f, qs, sub), 0);
	assert_int_equal(json_integer_value(json_object_get(f->answers, "total")), 120);
	assert_string_equal(json_string_value(json_object_get(f->answers, "kind")), "new");
	assert_null(json_object_get(f->answers, "level")); /* its meaning changed */
	assert_null(json_object_get(f->answers, "fresh"));
	assert_null(json_object_get(f->answers, "staff"));
	form_free(&f);
	WIRE_FREE(sub);
	qset_free(&qs);
	tu_rmtree(dir);
	free(dir);
}

/* A question's hint is shown under it, in the person's language, escaped. */
static void test_hint_on_the_form(void **state)
{
	static const char *def =
		"{\"id\":\"h\",\"version\":1,\"languages\":[\"en\",\"fr\"],\"title\":{\"en\":\"H\","
		"\"fr\":\"H\"},\"sections\":[{\"id\":\"s\",\"title\":{\"en\":\"S\",\"fr\":\"S\"},"
		"\"questions\":[{\"id\":\"total\",\"type\":\"integer\",\"min\":0,"
		"\"text\":{\"en\":\"Staff?\",\"fr\":\"Agents ?\"},"
		"\"hint\":{\"en\":\"On <31> December\",\"fr\":\"Au 31 décembre\"}}]}]}";
	struct questionnaire *q = NULL;
	struct form *f = NULL;
	char err[256], *html = NULL;
	size_t len = 0;
	FILE *out;
	(void)state;

	if (qdef_load_text("h", def, strlen(def), &q, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(form_new(&f, q, "2025", "KE"), 0);
	assert_int_equal(form_conditions(f), 0);
	for (int l = 0; l < 2; l++) {
		out = open_memstream(&html, &len);
		page_form(out, l == 0 ? LANG_EN : LANG_FR, f, NULL, NULL, NULL, false);
		fclose(out);
		assert_non_null(
			strstr(html, l == 0 ? "On &lt;31&gt; December. " : "Au 31 décembre. "));
		free(html);
	}
	form_free(&f);
	qdef_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_message_in_both_languages),
		cmocka_unit_test(test_post_to_answers),
		cmocka_unit_test(test_draft_round_trip),
		cmocka_unit_test(test_previous_version_by_lineage),
		cmocka_unit_test(test_hint_on_the_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
