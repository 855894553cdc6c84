/*
 * Replays every input under tests/fuzz/regressions/ (crashes the fuzzers
 * once found, and the hostile cases fixed by hand, kept so that they stay
 * fixed) through the fuzz targets. Each file's name says its verdict:
 * pass-* must get through the target (relayable, parsed, read, checked),
 * refuse-* must be refused; a crash-* found by a fuzzer only must not crash.
 */
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
	size_t pass = 0, refuse = 0;
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
		if (strncmp(de->d_name, "pass-", 5) == 0) {
			if (fn((const uint8_t *)buf, len) != 1)
				fail_msg("%s/%s: refused, should pass", sub, de->d_name);
			pass++;
		} else if (strncmp(de->d_name, "refuse-", 7) == 0) {
			if (fn((const uint8_t *)buf, len) != 0)
				fail_msg("%s/%s: got through, should be refused", sub, de->d_name);
			refuse++;
		} else {
			fn((const uint8_t *)buf, len); /* a fuzzer's crash: must not crash */
		}
		free(buf);
		n++;
	}
	closedir(d);
	/* Every corpus holds at least one of each: a target that refuses, or
	 * passes, everything would not pass this. */
	if (pass == 0 || refuse == 0)
		fail_msg("%s: %zu pass-* and %zu refuse-* inputs; at least one of each", sub, pass,
			 refuse);
	return n;
}

static void test_replay(void **state)
{
	size_t n;
	(void)state;
	fuzz_init(CANVASS_SOURCE_DIR);
	n = replay("request", fuzz_request) + replay("request", fuzz_roundtrip) +
	    replay("roundtrip", fuzz_roundtrip) + replay("json", fuzz_json) +
	    replay("store_request", fuzz_store_request) + replay("entry", fuzz_entry) +
	    replay("xlsx", fuzz_xlsx);
	print_message("replayed %zu regression inputs\n", n);
	assert_true(n >= 20);
	/* The targets also take edge cases directly. */
	assert_int_equal(fuzz_request((const uint8_t *)"", 0), 0);
	assert_int_equal(fuzz_json((const uint8_t *)"{", 1), 0);
	assert_int_equal(fuzz_entry((const uint8_t *)"", 0), 1); /* an empty entry reads */
	assert_int_equal(fuzz_xlsx((const uint8_t *)"PK", 2), 0);
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
