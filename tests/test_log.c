/*
 * log: logfmt lines on stderr; a repeated event is logged at most once per
 * interval, and the next line says how many were left out.
 */
#include "log.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs fn with stderr going to a file; returns what it wrote (caller frees). */
static char *captured(void (*fn)(void))
{
	char path[] = "/tmp/canvass-test-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *text = calloc(1, 65536);
	FILE *f;

	assert_true(fd >= 0 && saved >= 0 && text != NULL);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	fread(text, 1, 65535, f);
	fclose(f);
	unlink(path);
	return text;
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

static void repeated(void)
{
	struct log_limit lim = {0};
	/* 136 a second for three seconds, then one more after a quiet spell. */
	for (int i = 0; i < 408; i++)
		log_limited(&lim, 1000 + i * 1000 / 136, 1000, LOG_WARN, "storage_full", "batch=%d",
			    i);
	log_limited(&lim, 10000, 1000, LOG_WARN, "storage_full", "batch=%d", 999);
}

static void test_repeated_event_limited(void **state)
{
	char *text;

	(void)state;
	log_init("test", LOG_INFO);
	text = captured(repeated);
	/* One line per second of the burst (t = 1000, 2000, 3000 ms), then the last. */
	assert_int_equal(count(text, "event=storage_full"), 4);
	assert_non_null(strstr(text, "event=storage_full batch=0\n"));
	assert_non_null(strstr(text, "batch=136 suppressed=135\n"));
	assert_non_null(strstr(text, "batch=272 suppressed=135\n"));
	/* 407 - 272 = 135 left out before the quiet spell's line. */
	assert_non_null(strstr(text, "batch=999 suppressed=135\n"));
	free(text);
}

static void below_level(void)
{
	struct log_limit lim = {0};
	log_limited(&lim, 0, 1000, LOG_DEBUG, "noise", NULL);
	log_event(LOG_INFO, "kept", "k=%d", 1);
}

static void test_level_and_format(void **state)
{
	char *text;

	(void)state;
	log_init("test", LOG_INFO);
	text = captured(below_level);
	assert_null(strstr(text, "noise"));
	assert_non_null(strstr(text, " level=info component=test event=kept k=1\n"));
	assert_true(strncmp(text, "ts=", 3) == 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeated_event_limited),
		cmocka_unit_test(test_level_and_format),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
