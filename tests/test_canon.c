/* canon: one canonical form - order, number spelling, sets, unknown fields. */
#include "canon.h"
#include "testutil.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"
#include "wire.h"

static const char *SUB = "{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\","
			 "\"member\":\"KE\",\"answers\":{\"b\":true,\"a\":3,"
			 "\"c\":[\"x\",\"y\"],\"d\":{\"special\":\"dont_know\"}}}";

static void hash_of(Canvass__Submission *s, uint8_t h[CV_HASH_LEN])
{
	uint8_t *buf;
	size_t len;
	canon_submission(s, NULL);
	assert_int_equal(canon_pack(s, &buf, &len, h), 0);
	free(buf);
}

static void test_canonical_content(void **state)
{
	Canvass__Submission *a = tu_submission(SUB);
	Canvass__Submission *b = tu_submission(
		"{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\",\"member\":\"KE\","
		"\"id\":\"my-key\",\"answers\":{\"d\":{\"special\":\"dont_know\"},"
		"\"c\":[\"x\",\"y\"],\"a\":3,\"b\":true}}");
	Canvass__Submission *c = tu_submission(
		"{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\",\"member\":\"KE\","
		"\"answers\":{\"a\":4,\"b\":true,\"c\":[\"x\",\"y\"],\"d\":{\"special\":\"dont_"
		"know\"}}}");
	uint8_t ha[CV_HASH_LEN], hb[CV_HASH_LEN], hc[CV_HASH_LEN], *buf;
	size_t len;
	(void)state;

	assert_int_equal(canon_submission(a, NULL), 0);
	assert_int_equal(canon_submission(b, NULL), 0);
	assert_int_equal(canon_submission(c, NULL), 0);
	assert_string_equal(a->answers[0]->question, "a");
	assert_string_equal(a->answers[3]->question, "d");
	/* Order of answers and the idempotency key do not change the content. */
	assert_int_equal(canon_pack(a, &buf, &len, ha), 0);
	free(buf);
	assert_int_equal(canon_pack(b, &buf, &len, hb), 0);
	free(buf);
	assert_int_equal(canon_pack(c, &buf, &len, hc), 0);
	free(buf);
	assert_memory_equal(ha, hb, CV_HASH_LEN);
	assert_memory_not_equal(ha, hc, CV_HASH_LEN);
	assert_string_equal(b->idempotency_key, "my-key"); /* left as it was */
	WIRE_FREE(a);
	WIRE_FREE(b);
	WIRE_FREE(c);
}

static void test_duplicate_question(void **state)
{
	Canvass__Submission *s = tu_submission(SUB);
	const char *dup = NULL;
	(void)state;

	free(s->answers[1]->question);
	s->answers[1]->question = strdup("b");
	free(s->answers[0]->question);
	s->answers[0]->question = strdup("b");
	assert_int_equal(canon_submission(s, &dup), CV_EINVAL);
	assert_string_equal(dup, "b");
	WIRE_FREE(s);
}

static void test_number_spellings(void **state)
{
	static const char *const spell[] = {"87", "87.0", "8.7e1", "870e-1", "87.000000000"};
	uint8_t first[CV_HASH_LEN], h[CV_HASH_LEN];
	char json[256];
	(void)state;

	for (size_t i = 0; i < sizeof spell / sizeof spell[0]; i++) {
		Canvass__Submission *s;
		snprintf(json, sizeof json,
			 "{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\",\"member\":"
			 "\"KE\",\"answers\":{\"n\":%s,\"m\":[\"b\",\"a\"]}}",
			 spell[i]);
		s = tu_submission(json);
		hash_of(s, i == 0 ? first : h);
		/* A whole number is an integer; a multiple choice is sorted. */
		assert_int_equal(s->answers[1]->value_case, CANVASS__ANSWER__VALUE_INTEGER);
		assert_int_equal(s->answers[1]->integer, 87);
		assert_string_equal(s->answers[0]->list->items[0], "a");
		if (i > 0)
			assert_memory_equal(first, h, CV_HASH_LEN);
		WIRE_FREE(s);
	}
}

static void test_numbers_kept(void **state)
{
	Canvass__Submission *s = tu_submission(
		"{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\",\"member\":\"KE\","
		"\"answers\":{\"a\":0.5,\"b\":1e20,\"c\":-0.0,\"d\":9007199254740992.0,"
		"\"e\":-3.0}}");
	(void)state;

	assert_int_equal(canon_submission(s, NULL), 0);
	assert_int_equal(s->answers[0]->value_case, CANVASS__ANSWER__VALUE_NUMBER); /* 0.5 */
	assert_int_equal(s->answers[1]->value_case, CANVASS__ANSWER__VALUE_NUMBER); /* > 2^53 */
	assert_int_equal(s->answers[2]->value_case, CANVASS__ANSWER__VALUE_INTEGER);
	assert_int_equal(s->answers[2]->integer, 0);                                 /* -0.0 is 0 */
	assert_int_equal(s->answers[3]->value_case, CANVASS__ANSWER__VALUE_INTEGER); /* 2^53 */
	assert_int_equal(s->answers[4]->integer, -3);
	/* Not a number stays what it is: validation refuses it as WRONG_TYPE. */
	s->answers[0]->number = NAN;
	assert_int_equal(canon_submission(s, NULL), 0);
	assert_int_equal(s->answers[0]->value_case, CANVASS__ANSWER__VALUE_NUMBER);
	WIRE_FREE(s);
}

static void test_unknown_fields_dropped(void **state)
{
	Canvass__Submission *clean = tu_submission(SUB), *hidden;
	uint8_t *buf, *with, hc[CV_HASH_LEN], hh[CV_HASH_LEN];
	size_t len;
	(void)state;

	/* Field 99 appended: protobuf-c keeps it as an unknown field and would pack it again. */
	assert_int_equal(wire_pack(&clean->base, &buf, &len), 0);
	with = malloc(len + 5);
	memcpy(with, buf, len);
	memcpy(with + len, "\x9a\x06\x02hi", 5);
	hidden = (Canvass__Submission *)protobuf_c_message_unpack(&canvass__submission__descriptor,
								  NULL, len + 5, with);
	assert_non_null(hidden);
	assert_int_equal(hidden->base.n_unknown_fields, 1);
	hash_of(clean, hc);
	hash_of(hidden, hh);
	assert_int_equal(hidden->base.n_unknown_fields, 0);
	assert_memory_equal(hc, hh, CV_HASH_LEN);
	free(buf);
	free(with);
	WIRE_FREE(clean);
	WIRE_FREE(hidden);
}

/* The content hash: FIPS 180-2's vectors, and libsodium's digest for every length to 2 KiB. */
static void test_sha256(void **state)
{
	uint8_t h[CV_HASH_LEN], ref[CV_HASH_LEN], buf[2048];
	char hex[2 * CV_HASH_LEN + 1];
	(void)state;

	assert_int_equal(cv_crypto_init(), 0);
	cv_sha256("", 0, h);
	cv_hex(h, CV_HASH_LEN, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cv_sha256("abc", 3, h);
	cv_hex(h, CV_HASH_LEN, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	randombytes_buf(buf, sizeof buf);
	for (size_t n = 0; n <= sizeof buf; n++) {
		cv_sha256(buf, n, h);
		crypto_hash_sha256(ref, buf, n);
		assert_memory_equal(h, ref, CV_HASH_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_content),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_duplicate_question),
		cmocka_unit_test(test_number_spellings),
		cmocka_unit_test(test_numbers_kept),
		cmocka_unit_test(test_unknown_fields_dropped),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("canon", tests, NULL, NULL);
}
