/* Replays every input under tests/fuzz/regressions/ (crashes the fuzzers
 * once found, kept so that they stay fixed) through the fuzz targets. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"
#include "util.h"
#include "wire.h"

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
	n = replay("request", fuzz_request) + replay("request", fuzz_roundtrip) +
	    replay("roundtrip", fuzz_roundtrip) + replay("json", fuzz_json) +
	    replay("store_request", fuzz_store_request);
	print_message("replayed %zu regression inputs\n", n);
	/* The targets also take edge cases directly. */
	fuzz_request((const uint8_t *)"", 0);
	fuzz_json((const uint8_t *)"{", 1);
	fuzz_store_request((const uint8_t *)"\x08\x01", 2);
}

/* The round-trip target reaches packing: a valid frame is relayable and checked. */
static void test_roundtrip_reaches_packing(void **state)
{
	char err[256], *text;
	size_t len;
	Canvass__Submission *s;
	Canvass__Request req = CANVASS__REQUEST__INIT;
	uint8_t *buf;
	(void)state;

	fuzz_init(CANVASS_SOURCE_DIR);
	assert_int_equal(cv_read_file(tu_src("tests/corpus/valid/KE-2025.json"), 1 << 20, &text,
				      &len, err, sizeof err),
			 0);
	s = tu_submission(text);
	req.protocol_version = WIRE_PROTOCOL_VERSION;
	req.request_id = 1;
	req.body_case = CANVASS__REQUEST__BODY_SUBMIT;
	req.submit = s;
	assert_int_equal(wire_pack(&req.base, &buf, &len), 0);
	assert_int_equal(fuzz_roundtrip(buf, len), 1);
	assert_int_equal(fuzz_roundtrip(buf, len / 2), 0);
	free(buf);
	free(text);
	WIRE_FREE(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_roundtrip_reaches_packing),
	};
	return cmocka_run_group_tests_name("fuzz_regressions", tests, NULL, NULL);
}
