/* settings: INI file first, command line overrides, typed values. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "settings.h"

static void test_file_then_argv(void **state)
{
	char *dir = tu_tempdir();
	char *data = NULL, *listen = NULL;
	struct strlist eps = {0};
	uint64_t size = 0;
	long n = 7;
	bool flag = false;
	const struct setting tab[] = {
		{"data", SET_STRING, &data, 0, 0, "DIR", ""},
		{"listen", SET_STRING, &listen, 0, 0, "EP", ""},
		{"connect", SET_LIST, &eps, 0, 0, "EP", ""},
		{"map-size", SET_SIZE, &size, 0, 0, "SIZE", ""},
		{"batch", SET_LONG, &n, 1, 100, "N", ""},
		{"insecure", SET_FLAG, &flag, 0, 0, NULL, ""},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	char ini[4096];
	const char *path = tu_write(dir, "c.ini",
				    "[aggregator]\ndata = /from/file\nlisten = ipc://file\n"
				    "map-size = 2M\nbatch = 50\n[other]\ndata = /not/mine\n");
	char *argv[] = {"prog",      "-c", ini,          "--listen", "ipc://argv", "--connect=a",
			"--connect", "b",  "--insecure", "file1",    "file2",      NULL};
	int next = 0;
	char err[256];
	(void)state;

	snprintf(ini, sizeof ini, "%s", path);

	assert_int_equal(settings_parse(tab, "aggregator", 11, argv, &next, err, sizeof err), 0);
	assert_string_equal(data, "/from/file");
	assert_string_equal(listen, "ipc://argv");
	assert_int_equal(size, 2 * 1024 * 1024);
	assert_int_equal(n, 50);
	assert_true(flag);
	assert_int_equal(eps.n, 2);
	assert_string_equal(eps.items[1], "b");
	assert_int_equal(next, 9);
	settings_free(tab);
	assert_null(data);
	{
		/* -c after options with values is still read first; the command line wins. */
		char *late[] = {"prog", "--listen", "ipc://argv", "--insecure",
				"-c",   ini,        "f",          NULL};
		flag = false;
		assert_int_equal(settings_parse(tab, "aggregator", 7, late, &next, err, sizeof err),
				 0);
		assert_string_equal(data, "/from/file");
		assert_string_equal(listen, "ipc://argv");
		assert_true(flag);
		assert_int_equal(next, 6);
		settings_free(tab);
	}
	tu_rmtree(dir);
	free(dir);
}

static void test_errors(void **state)
{
	long n = 0;
	const struct setting tab[] = {
		{"batch", SET_LONG, &n, 1, 100, "N", ""},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	char *bad_value[] = {"prog", "--batch", "500", NULL};
	char *unknown[] = {"prog", "--nope", NULL};
	char *missing[] = {"prog", "--batch", NULL};
	char *help[] = {"prog", "--help", NULL};
	char *nofile[] = {"prog", "-c", "/nonexistent.ini", NULL};
	char err[256];
	int next;
	(void)state;

	assert_int_equal(settings_parse(tab, "x", 3, bad_value, &next, err, sizeof err),
			 CV_ECONFIG);
	assert_non_null(strstr(err, "from 1 to 100"));
	assert_int_equal(settings_parse(tab, "x", 2, unknown, &next, err, sizeof err), CV_ECONFIG);
	assert_non_null(strstr(err, "--nope"));
	assert_int_equal(settings_parse(tab, "x", 2, missing, &next, err, sizeof err), CV_ECONFIG);
	assert_int_equal(settings_parse(tab, "x", 2, help, &next, err, sizeof err), SETTINGS_HELP);
	assert_int_equal(settings_parse(tab, "x", 3, nofile, &next, err, sizeof err), CV_ECONFIG);
	assert_non_null(strstr(err, "/nonexistent.ini"));
	{
		/* A size with bounds: below, above, and at the bounds. */
		uint64_t sz = 0;
		const struct setting sizes[] = {
			{"reply-bytes", SET_SIZE, &sz, 65536, 1L << 30, "SIZE", ""},
			{NULL, 0, NULL, 0, 0, NULL, NULL},
		};
		char *small[] = {"prog", "--reply-bytes", "1K", NULL};
		char *big[] = {"prog", "--reply-bytes", "2G", NULL};
		char *low[] = {"prog", "--reply-bytes", "64K", NULL};
		char *high[] = {"prog", "--reply-bytes", "1G", NULL};
		assert_int_equal(settings_parse(sizes, "x", 3, small, &next, err, sizeof err),
				 CV_ECONFIG);
		assert_non_null(strstr(err, "from 65536 to 1073741824 bytes"));
		assert_int_equal(settings_parse(sizes, "x", 3, big, &next, err, sizeof err),
				 CV_ECONFIG);
		assert_int_equal(settings_parse(sizes, "x", 3, low, &next, err, sizeof err), 0);
		assert_int_equal(sz, 65536);
		assert_int_equal(settings_parse(sizes, "x", 3, high, &next, err, sizeof err), 0);
		assert_int_equal(sz, 1u << 30);
	}
}

static void test_reload(void **state)
{
	char *dir = tu_tempdir(), ini[4096], applied[256], ignored[256], err[256];
	char *listen = NULL, *registry = NULL;
	struct strlist keys = {0};
	long answers = 1000, hwm = 10000;
	const struct setting tab[] = {
		{"listen", SET_STRING, &listen, 0, 0, "EP", ""},
		{"registry", SET_STRING, &registry, 0, 0, "FILE", ""},
		{"collector-key", SET_LIST, &keys, 0, 0, "FILE", ""},
		{"max-answers", SET_LONG, &answers, 1, 100000, "N", ""},
		{"hwm", SET_LONG, &hwm, 1, 1000000, "N", ""},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	static const char *const live[] = {"registry", "collector-key", "max-answers", NULL};
	struct settings_shadow *defaults = NULL;
	char *argv[] = {"prog", "-c", ini, "--hwm", "50", NULL};
	int next;
	(void)state;

	snprintf(ini, sizeof ini, "%s",
		 tu_write(dir, "c.ini",
			  "[x]\nlisten = ipc://a\nregistry = /r1\ncollector-key = k1\n"));
	assert_int_equal(settings_defaults(tab, &defaults), 0);
	assert_int_equal(settings_parse(tab, "x", 5, argv, &next, err, sizeof err), 0);
	assert_string_equal(registry, "/r1");
	assert_int_equal(hwm, 50);

	/* Nothing changed: nothing applied, nothing ignored. */
	assert_int_equal(settings_reload(tab, defaults, "x", 5, argv, live, applied, sizeof applied,
					 ignored, sizeof ignored, err, sizeof err),
			 0);
	assert_string_equal(applied, "");
	assert_string_equal(ignored, "");

	/* Live ones are applied; a restart-only one is named and left; the command
	 * line still wins over the file (hwm stays 50); a key removed from the file
	 * falls back to its built-in default (max-answers 1000). */
	tu_write(dir, "c.ini",
		 "[x]\nlisten = ipc://b\nregistry = /r2\ncollector-key = k1\ncollector-key = "
		 "k2\nmax-answers = 7\nhwm = 99\n");
	assert_int_equal(settings_reload(tab, defaults, "x", 5, argv, live, applied, sizeof applied,
					 ignored, sizeof ignored, err, sizeof err),
			 0);
	assert_string_equal(applied, "registry,collector-key,max-answers");
	assert_string_equal(ignored, "listen");
	assert_string_equal(registry, "/r2");
	assert_string_equal(listen, "ipc://a");
	assert_int_equal(keys.n, 2);
	assert_string_equal(keys.items[1], "k2");
	assert_int_equal(answers, 7);
	assert_int_equal(hwm, 50);
	tu_write(dir, "c.ini", "[x]\nlisten = ipc://a\nregistry = /r2\n");
	assert_int_equal(settings_reload(tab, defaults, "x", 5, argv, live, applied, sizeof applied,
					 ignored, sizeof ignored, err, sizeof err),
			 0);
	assert_string_equal(applied, "collector-key,max-answers");
	assert_int_equal(keys.n, 0);
	assert_int_equal(answers, 1000);

	/* A file that does not parse: an error, and nothing changes. */
	tu_write(dir, "c.ini", "[x]\nregistry = /r3\nmax-answers = many\n");
	assert_int_equal(settings_reload(tab, defaults, "x", 5, argv, live, applied, sizeof applied,
					 ignored, sizeof ignored, err, sizeof err),
			 CV_ECONFIG);
	assert_non_null(strstr(err, "max-answers"));
	assert_string_equal(registry, "/r2");

	settings_shadow_free(&defaults);
	settings_free(tab);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_then_argv),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_reload),
	};
	return cmocka_run_group_tests_name("settings", tests, NULL, NULL);
}
