/* expr: the condition and rule language - parsing, precedence, types,
 * three-valued evaluation, division by zero. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "expr.h"
#include "qdef.h"
#include "wire.h"

static const char *DEF =
	"{\"id\":\"t\",\"version\":1,\"title\":\"T\",\"sections\":[{\"id\":\"s\",\"title\":\"S\","
	"\"questions\":["
	"{\"id\":\"a\",\"type\":\"integer\",\"text\":\"?\",\"allow_dont_know\":true},"
	"{\"id\":\"b\",\"type\":\"integer\",\"text\":\"?\"},"
	"{\"id\":\"c\",\"type\":\"number\",\"text\":\"?\"},"
	"{\"id\":\"yes\",\"type\":\"yes_no\",\"text\":\"?\"},"
	"{\"id\":\"ch\",\"type\":\"choice\",\"text\":\"?\",\"options\":[{\"id\":\"x\",\"label\":"
	"\"X\"},"
	"{\"id\":\"y\",\"label\":\"Y\"}]},"
	"{\"id\":\"mc\",\"type\":\"multi_choice\",\"text\":\"?\",\"options\":[{\"id\":\"x\","
	"\"label\":"
	"\"X\"},{\"id\":\"y\",\"label\":\"Y\"}]},"
	"{\"id\":\"tx\",\"type\":\"text\",\"text\":\"?\"}]}]}";

static struct questionnaire *def;

static int setup(void **state)
{
	char err[256];
	(void)state;
	if (qdef_load_text("t", DEF, strlen(DEF), &def, err, sizeof err) != 0)
		fail_msg("%s", err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	qdef_free(&def);
	return 0;
}

static const Canvass__Answer *lookup(void *ctx, const struct question *q)
{
	const Canvass__Submission *s = ctx;
	for (size_t i = 0; i < s->n_answers; i++)
		if (strcmp(s->answers[i]->question, q->id) == 0)
			return s->answers[i];
	return NULL;
}

/* Evaluates src on the answers object given as JSON. */
static enum expr_truth eval(const char *src, const char *answers)
{
	char json[1024], err[256];
	struct expr *e;
	Canvass__Submission *s;
	enum expr_truth t;

	if (expr_compile(src, def, &e, err, sizeof err) != 0)
		fail_msg("\"%s\" does not compile: %s", src, err);
	snprintf(json, sizeof json,
		 "{\"questionnaire\":\"t\",\"version\":1,\"cycle\":\"c\",\"member\":\"KE\","
		 "\"answers\":%s}",
		 answers);
	s = tu_submission(json);
	t = expr_eval(e, lookup, s);
	WIRE_FREE(s);
	expr_free(&e);
	return t;
}

static void compile_error(const char *src, const char *fragment)
{
	struct expr *e = (void *)1;
	char err[256] = "";
	assert_int_equal(expr_compile(src, def, &e, err, sizeof err), CV_ECONFIG);
	assert_null(e);
	if (strstr(err, fragment) == NULL)
		fail_msg("\"%s\": error \"%s\" does not mention \"%s\"", src, err, fragment);
}

static void test_arithmetic_and_precedence(void **state)
{
	(void)state;
	assert_int_equal(eval("1 + 2 * 3 == 7", "{}"), EXPR_TRUE);
	assert_int_equal(eval("(1 + 2) * 3 == 9", "{}"), EXPR_TRUE);
	assert_int_equal(eval("10 - 4 - 3 == 3", "{}"), EXPR_TRUE); /* left to right */
	assert_int_equal(eval("12 / 3 / 2 == 2", "{}"), EXPR_TRUE);
	assert_int_equal(eval("-2 * -3 == 6", "{}"), EXPR_TRUE);
	assert_int_equal(eval("a + b <= c", "{\"a\":2,\"b\":3,\"c\":5.0}"), EXPR_TRUE);
	assert_int_equal(eval("a + b <= c", "{\"a\":2,\"b\":4,\"c\":5.0}"), EXPR_FALSE);
	/* not binds tighter than and, and tighter than or */
	assert_int_equal(eval("not false and false", "{}"), EXPR_FALSE);
	assert_int_equal(eval("true or false and false", "{}"), EXPR_TRUE);
	assert_int_equal(eval("not (true and false)", "{}"), EXPR_TRUE);
}

static void test_types_of_answers(void **state)
{
	(void)state;
	assert_int_equal(eval("yes", "{\"yes\":true}"), EXPR_TRUE);
	assert_int_equal(eval("yes == false", "{\"yes\":true}"), EXPR_FALSE);
	assert_int_equal(eval("ch == \"y\"", "{\"ch\":\"y\"}"), EXPR_TRUE);
	assert_int_equal(eval("ch != \"y\"", "{\"ch\":\"x\"}"), EXPR_TRUE);
	assert_int_equal(eval("selected(mc, \"y\")", "{\"mc\":[\"x\",\"y\"]}"), EXPR_TRUE);
	assert_int_equal(eval("selected(mc, \"y\")", "{\"mc\":[\"x\"]}"), EXPR_FALSE);
	assert_int_equal(eval("selected(ch, \"x\")", "{\"ch\":\"x\"}"), EXPR_TRUE);
	assert_int_equal(eval("tx == \"hello \\\"you\\\"\"", "{\"tx\":\"hello \\\"you\\\"\"}"),
			 EXPR_TRUE);
}

static void test_unknown_values(void **state)
{
	(void)state;
	/* Unanswered and special answers are unknown, never zero. */
	assert_int_equal(eval("a >= 0", "{}"), EXPR_UNKNOWN);
	assert_int_equal(eval("a >= 0", "{\"a\":{\"special\":\"dont_know\"}}"), EXPR_UNKNOWN);
	assert_int_equal(eval("answered(a)", "{\"a\":{\"special\":\"dont_know\"}}"), EXPR_FALSE);
	assert_int_equal(eval("answered(a)", "{\"a\":0}"), EXPR_TRUE);
	assert_int_equal(eval("answered(a)", "{}"), EXPR_FALSE);
	/* Kleene logic: a known operand can settle and/or. */
	assert_int_equal(eval("false and a > 1", "{}"), EXPR_FALSE);
	assert_int_equal(eval("a > 1 and false", "{}"), EXPR_FALSE);
	assert_int_equal(eval("true or a > 1", "{}"), EXPR_TRUE);
	assert_int_equal(eval("a > 1 or true", "{}"), EXPR_TRUE);
	assert_int_equal(eval("true and a > 1", "{}"), EXPR_UNKNOWN);
	assert_int_equal(eval("not a > 1", "{}"), EXPR_UNKNOWN);
	/* Division by zero is unknown, not infinity and not a crash. */
	assert_int_equal(eval("a / b > 1", "{\"a\":5,\"b\":0}"), EXPR_UNKNOWN);
	assert_int_equal(eval("a / b > 1", "{\"a\":5,\"b\":2}"), EXPR_TRUE);
	assert_int_equal(eval("1 / 0 == 1 or true", "{}"), EXPR_TRUE);
}

static void test_compile_errors(void **state)
{
	(void)state;
	compile_error("nope > 1", "position 1: unknown question \"nope\"");
	compile_error("a > 1 and zz", "position 11: unknown question \"zz\"");
	compile_error("a + yes > 1", "position 3: + needs a number on both sides");
	compile_error("a == \"x\"", "compares a number with a string");
	compile_error("ch < \"x\"", "can only be compared with == or !=");
	compile_error("a + 1", "the expression is a number, not true/false");
	compile_error("mc == \"x\"", "use selected(id, \"option\")");
	compile_error("selected(mc, \"z\")", "\"z\" is not an option");
	compile_error("selected(a, \"x\")", "needs a choice question");
	compile_error("not a", "not needs true/false");
	compile_error("1 < a < 3", "cannot be chained");
	compile_error("(a > 1", "expected )");
	compile_error("a > ", "unexpected end");
	compile_error("a > 1 )", "unexpected \")\"");
	compile_error("tx == \"open", "unterminated string");
	compile_error("", "unexpected end");
}

static void test_questions_read(void **state)
{
	struct expr *e;
	const struct question *qs[4];
	char err[128];
	(void)state;
	assert_int_equal(expr_compile("b + a >= b or answered(c)", def, &e, err, sizeof err), 0);
	assert_int_equal(expr_questions(e, qs, 4), 3);
	assert_string_equal(qs[0]->id, "b");
	assert_string_equal(qs[1]->id, "a");
	assert_string_equal(qs[2]->id, "c");
	expr_free(&e);
}

/* src compiled, then written in canvass (want_c; NULL: src itself) and XLSForm (want_x). */
static void printed(const char *src, const char *want_c, const char *want_x)
{
	char err[256], buf[512];
	struct expr *e;

	if (expr_compile(src, def, &e, err, sizeof err) != 0)
		fail_msg("%s: %s", src, err);
	assert_int_equal(expr_print(e, EXPR_CANVASS, buf, sizeof buf), 0);
	assert_string_equal(buf, want_c ? want_c : src);
	assert_int_equal(expr_print(e, EXPR_XLSFORM, buf, sizeof buf), 0);
	assert_string_equal(buf, want_x);
	/* Too small a buffer is said, never cut silently. */
	assert_int_equal(expr_print(e, EXPR_XLSFORM, buf, 4), CV_ETOOBIG);
	expr_free(&e);
}

static void test_count_selected(void **state)
{
	(void)state;
	assert_int_equal(eval("count_selected(mc) == 2", "{\"mc\":[\"x\",\"y\"]}"), EXPR_TRUE);
	assert_int_equal(eval("count_selected(mc) == 0", "{\"mc\":[]}"), EXPR_TRUE);
	assert_int_equal(eval("count_selected(ch) == 1", "{\"ch\":\"x\"}"), EXPR_TRUE);
	assert_int_equal(eval("count_selected(mc) > 0", "{}"), EXPR_UNKNOWN);
}

static void test_print(void **state)
{
	char err[256], buf[64];
	struct expr *e;
	(void)state;

	printed("a + b <= c", NULL, "${a} + ${b} <= ${c}");
	printed("yes", NULL, "${yes} = 'yes'");
	printed("not yes", NULL, "not(${yes} = 'yes')");
	printed("yes == false", "not yes", "${yes} = 'no'");
	printed("yes != true", "not yes", "${yes} = 'no'");
	printed("true == yes", "yes", "${yes} = 'yes'");
	printed("(yes == false) == (a < 1)", "(not yes) == (a < 1)",
		"(${yes} = 'no') = (${a} < 1)");
	printed("count_selected(mc) >= 2 or count_selected(ch) == 1", NULL,
		"count-selected(${mc}) >= 2 or count-selected(${ch}) = 1");
	printed("not yes or answered(c)", NULL, "not(${yes} = 'yes') or ${c} != ''");
	printed("a < 100 or yes", NULL, "${a} < 100 or ${yes} = 'yes'");
	printed("selected(mc, \"x\") and ch == \"y\"", NULL,
		"selected(${mc}, 'x') and ${ch} = 'y'");
	printed("(a + b) * c / 2 > -a", NULL, "(${a} + ${b}) * ${c} div 2 > -${a}");
	printed("a - (b - c) >= 1.5", NULL, "${a} - (${b} - ${c}) >= 1.5");
	printed("((a)) == b", "a == b", "${a} = ${b}");
	printed("not (a == b and yes)", "not (a == b and yes)",
		"not(${a} = ${b} and ${yes} = 'yes')");
	printed("(a < b) == (b < c)", NULL, "(${a} < ${b}) = (${b} < ${c})");
	printed("tx == \"it's\"", NULL, "${tx} = \"it's\"");
	printed("tx == \"say \\\"hi\\\"\"", NULL, "${tx} = 'say \"hi\"'");
	printed("true or false", NULL, "true() or false()");
	/* A string with both quote marks has no XLSForm spelling: said. */
	assert_int_equal(expr_compile("tx == \"it's \\\"x\\\"\"", def, &e, err, sizeof err), 0);
	assert_int_equal(expr_print(e, EXPR_XLSFORM, buf, sizeof buf), CV_EINVAL);
	expr_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arithmetic_and_precedence),
		cmocka_unit_test(test_types_of_answers),
		cmocka_unit_test(test_unknown_values),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_questions_read),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_count_selected),
	};
	return cmocka_run_group_tests_name("expr", tests, setup, teardown);
}
