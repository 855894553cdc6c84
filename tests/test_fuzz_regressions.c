/* Replays every input under tests/fuzz/regressions/ (crashes the fuzzers
 * once found, kept so that they stay fixed) through the fuzz targets. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"
#include "util.h"

static size_t replay(const char *sub, int (*fn)(const uint8_t *, size_t))
{
	char dir[4096], path[8192], err[256];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/tests/fuzz/regressions/%s", CANVASS_SOURCE_DIR, sub);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char *buf;
		size_t len;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		assert_int_equal(cv_read_file(path, 1 << 24, &buf, &len, err, sizeof err), 0);
		fn((const uint8_t *)buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void test_replay(void **state)
{
	size_t n;
	(void)state;
	fuzz_init(CANVASS_SOURCE_DIR);
	n = replay("request", fuzz_request) + replay("json", fuzz_json) +
	    replay("store_request", fuzz_store_request);
	print_message("replayed %zu regression inputs\n", n);
	/* The targets also take edge cases directly. */
	fuzz_request((const uint8_t *)"", 0);
	fuzz_json((const uint8_t *)"{", 1);
	fuzz_store_request((const uint8_t *)"\x08\x01", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
	};
	return cmocka_run_group_tests_name("fuzz_regressions", tests, NULL, NULL);
}
