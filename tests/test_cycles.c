/* cycles: the schedule file and the state of a cycle at its boundaries. */
#include "testutil.h"

#include <string.h>

#include "cycles.h"
#include "error.h"
#include "util.h"

static const char *SCHED =
	"{\"cycles\": [{\"questionnaire\": \"isa\", \"cycle\": \"2025\", \"opens\": \"2025-02-01\","
	" \"due\": \"2025-06-30\", \"closes\": \"2025-09-30T12:00:00Z\"}]}";

static int64_t at(const char *s)
{
	int64_t ms;
	assert_int_equal(cycles_parse_time(s, 0, &ms), 0);
	return ms;
}

static void test_boundaries(void **state)
{
	struct cycles *c;
	const struct cycle *cy;
	char err[256];
	(void)state;

	assert_int_equal(cycles_load_text("s", SCHED, strlen(SCHED), &c, err, sizeof err), 0);
	/* opens: the first millisecond of the day */
	assert_int_equal(cycles_state(c, "isa", "2025", at("2025-01-31T23:59:59Z") + 999, &cy),
			 CYCLE_NOT_OPEN);
	assert_non_null(cy);
	assert_int_equal(cycles_state(c, "isa", "2025", at("2025-02-01T00:00:00Z"), NULL),
			 CYCLE_ON_TIME);
	/* due: up to the last millisecond of the day */
	assert_int_equal(cycles_state(c, "isa", "2025", at("2025-06-30T23:59:59Z") + 999, NULL),
			 CYCLE_ON_TIME);
	assert_int_equal(cycles_state(c, "isa", "2025", at("2025-07-01T00:00:00Z"), NULL),
			 CYCLE_LATE);
	/* closes: an exact instant, inclusive */
	assert_int_equal(cycles_state(c, "isa", "2025", at("2025-09-30T12:00:00Z"), NULL),
			 CYCLE_LATE);
	assert_int_equal(cycles_state(c, "isa", "2025", at("2025-09-30T12:00:00Z") + 1, NULL),
			 CYCLE_CLOSED);
	assert_int_equal(cycles_state(c, "isa", "2024", at("2025-03-01"), &cy), CYCLE_UNKNOWN);
	assert_null(cy);
	assert_int_equal(cycles_state(c, "other", "2025", at("2025-03-01"), NULL), CYCLE_UNKNOWN);
	assert_int_equal(cycles_state(NULL, "isa", "2025", at("2025-03-01"), NULL), CYCLE_UNKNOWN);
	cycles_free(&c);
}

static void test_times(void **state)
{
	int64_t ms;
	char buf[32];
	(void)state;
	assert_int_equal(cycles_parse_time("1970-01-01", 0, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(cycles_parse_time("1970-01-01", 1, &ms), 0);
	assert_int_equal(ms, 86399999);
	assert_int_equal(cycles_parse_time("2024-02-29", 0, &ms), 0); /* leap day */
	assert_string_equal(cv_utc_time(ms, buf, sizeof buf), "2024-02-29T00:00:00Z");
	assert_int_equal(cycles_parse_time("2025-02-29", 0, &ms), CV_EINVAL);
	assert_int_equal(cycles_parse_time("2025-13-01", 0, &ms), CV_EINVAL);
	assert_int_equal(cycles_parse_time("2025-1-01", 0, &ms), CV_EINVAL);
	assert_int_equal(cycles_parse_time("2025-01-01T10:00:00", 0, &ms), CV_EINVAL);
	assert_int_equal(cycles_parse_time("2025-01-01 ", 0, &ms), CV_EINVAL);
}

static void bad(const char *text, const char *fragment)
{
	struct cycles *c = (void *)1;
	char err[256] = "";
	assert_int_equal(cycles_load_text("s.json", text, strlen(text), &c, err, sizeof err),
			 CV_ECONFIG);
	assert_null(c);
	if (strstr(err, fragment) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, fragment);
}

static void test_bad_files(void **state)
{
	(void)state;
	bad("[]", "expected {\"cycles\"");
	bad("{\"cycles\": [{\"questionnaire\": \"q\", \"cycle\": \"1\", \"opens\": \"2025-01-01\","
	    " \"due\": \"2024-01-01\", \"closes\": \"2026-01-01\"}]}",
	    "$.cycles[0]: need opens <= due <= closes");
	bad("{\"cycles\": [{\"questionnaire\": \"q\", \"cycle\": \"1\", \"opens\": \"soon\","
	    " \"due\": \"2024-01-01\", \"closes\": \"2026-01-01\"}]}",
	    "$.cycles[0].opens");
	bad("{\"cycles\": [{\"questionnaire\": \"q\", \"cycle\": \"1\", \"opens\": \"2024-01-01\","
	    " \"due\": \"2024-01-01\"}]}",
	    "$.cycles[0]: expected");
	bad("{\"cycles\": [{\"questionnaire\": \"q\", \"cycle\": \"1\", \"opens\": \"2024-01-01\","
	    " \"due\": \"2024-01-01\", \"closes\": \"2024-01-01\"},"
	    " {\"questionnaire\": \"q\", \"cycle\": \"1\", \"opens\": \"2024-01-01\","
	    " \"due\": \"2024-01-01\", \"closes\": \"2024-01-01\"}]}",
	    "listed twice");
}

/* The previous cycle: the same questionnaire's that opened last before this one. */
static void test_previous(void **state)
{
	static const char sched[] =
		"{\"cycles\": ["
		"{\"questionnaire\": \"q\", \"cycle\": \"2026\", \"opens\": \"2026-01-01\", "
		"\"due\": \"2026-06-30\", \"closes\": \"2026-09-30\"},"
		"{\"questionnaire\": \"q\", \"cycle\": \"2024\", \"opens\": \"2024-01-01\", "
		"\"due\": \"2024-06-30\", \"closes\": \"2024-09-30\"},"
		"{\"questionnaire\": \"q\", \"cycle\": \"2025\", \"opens\": \"2025-01-01\", "
		"\"due\": \"2025-06-30\", \"closes\": \"2025-09-30\"},"
		"{\"questionnaire\": \"other\", \"cycle\": \"2025b\", \"opens\": \"2025-12-01\", "
		"\"due\": \"2025-12-30\", \"closes\": \"2025-12-31\"},"
		"{\"questionnaire\": \"q\", \"cycle\": \"2025s\", \"opens\": \"2025-01-01\", "
		"\"due\": \"2025-06-30\", \"closes\": \"2025-09-30\"}]}";
	struct cycles *c = NULL;
	char err[256];
	(void)state;

	assert_int_equal(cycles_load_text("s", sched, strlen(sched), &c, err, sizeof err), 0);
	assert_string_equal(cycles_previous(c, "q", "2026")->cycle, "2025"); /* listed first */
	assert_string_equal(cycles_previous(c, "q", "2025")->cycle, "2024");
	assert_null(cycles_previous(c, "q", "2024")); /* the first */
	assert_null(cycles_previous(c, "q", "2027")); /* not in the schedule */
	assert_null(
		cycles_previous(c, "other", "2025b")); /* another questionnaire's do not count */
	/* Two cycles opening on the same day are not each other's previous. */
	assert_string_equal(cycles_previous(c, "q", "2025s")->cycle, "2024");
	cycles_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_previous),
	};
	return cmocka_run_group_tests_name("cycles", tests, NULL, NULL);
}
