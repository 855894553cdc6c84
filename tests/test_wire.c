/* wire: encode/decode, size and version checks, canonical content. */
#include "canon.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"
#include "wire.h"

static const char *SUB = "{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\","
			 "\"member\":\"KE\",\"answers\":{\"b\":true,\"a\":3,"
			 "\"c\":[\"x\",\"y\"],\"d\":{\"special\":\"dont_know\"}}}";

static void pack_request(Canvass__Submission *s, uint32_t version, uint8_t **buf, size_t *len)
{
	Canvass__Request req = CANVASS__REQUEST__INIT;
	req.protocol_version = version;
	req.request_id = 77;
	req.body_case = CANVASS__REQUEST__BODY_SUBMIT;
	req.submit = s;
	assert_int_equal(wire_pack(&req.base, buf, len), 0);
}

static void test_roundtrip(void **state)
{
	Canvass__Submission *s = tu_submission(SUB);
	Canvass__Request *r;
	uint8_t *buf;
	size_t len;
	(void)state;

	pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
	assert_int_equal(wire_decode_request(buf, len, &wire_default_limits, &r, NULL), 0);
	assert_int_equal(r->request_id, 77);
	assert_int_equal(r->body_case, CANVASS__REQUEST__BODY_SUBMIT);
	assert_string_equal(r->submit->member, "KE");
	assert_int_equal(r->submit->n_answers, 4);
	WIRE_FREE(r);
	free(buf);
	WIRE_FREE(s);
}

static void test_truncated_at_every_offset(void **state)
{
	Canvass__Submission *s = tu_submission(SUB);
	Canvass__Request *r;
	uint8_t *buf;
	size_t len, decoded = 0;
	(void)state;

	pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
	for (size_t cut = 0; cut < len; cut++) {
		/* A copy of exactly cut bytes, so ASan sees any over-read. */
		uint8_t *part = malloc(cut ? cut : 1);
		int rc;
		memcpy(part, buf, cut);
		rc = wire_decode_request(part, cut, &wire_default_limits, &r, NULL);
		if (rc == 0) {
			decoded++;
			WIRE_FREE(r);
		} else {
			assert_true(rc == CV_EMALFORMED);
			assert_null(r);
		}
		free(part);
	}
	/* The submission is one length-delimited field: every cut inside it fails. */
	assert_true(decoded <= 2);
	free(buf);
	WIRE_FREE(s);
}

static void test_oversized(void **state)
{
	struct wire_limits lim = wire_default_limits;
	Canvass__Submission *s = tu_submission(SUB);
	Canvass__Request *r;
	uint8_t *buf;
	size_t len;
	(void)state;

	pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
	lim.max_message = len - 1;
	assert_int_equal(wire_decode_request(buf, len, &lim, &r, NULL), CV_ETOOBIG);
	lim = wire_default_limits;
	lim.max_answers = 3;
	assert_int_equal(wire_decode_request(buf, len, &lim, &r, NULL), CV_ETOOBIG);
	lim = wire_default_limits;
	lim.max_list = 1;
	assert_int_equal(wire_decode_request(buf, len, &lim, &r, NULL), CV_ETOOBIG);
	lim = wire_default_limits;
	lim.max_string = 3; /* "2025" is 4 bytes */
	assert_int_equal(wire_decode_request(buf, len, &lim, &r, NULL), CV_ETOOBIG);
	assert_null(r);
	free(buf);
	WIRE_FREE(s);
}

static void test_version(void **state)
{
	Canvass__Submission *s = tu_submission(SUB);
	Canvass__Request *r;
	uint8_t *buf;
	size_t len;
	uint32_t v;
	(void)state;

	pack_request(s, 2, &buf, &len);
	assert_int_equal(wire_peek_version(buf, len, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(wire_decode_request(buf, len, &wire_default_limits, &r, NULL), CV_EVERSION);
	free(buf);
	/* Version 0 is not encoded at all: the message cannot be trusted. */
	pack_request(s, 0, &buf, &len);
	assert_int_equal(wire_decode_request(buf, len, &wire_default_limits, &r, NULL), CV_EMALFORMED);
	free(buf);
	assert_int_equal(wire_decode_request("\x08\x01\xff", 3, &wire_default_limits, &r, NULL),
			 CV_EMALFORMED);
	assert_int_equal(wire_decode_request("", 0, &wire_default_limits, &r, NULL), CV_EMALFORMED);
	WIRE_FREE(s);
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

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(wire_status_name(CANVASS__STATUS__ACCEPTED), "ACCEPTED");
	assert_string_equal(wire_status_name(CANVASS__STATUS__STORAGE_FULL), "STORAGE_FULL");
	assert_string_equal(wire_status_name(999), "STATUS_UNKNOWN");
	assert_true(wire_status_retryable(CANVASS__STATUS__BUSY));
	assert_false(wire_status_retryable(CANVASS__STATUS__REJECTED));
	assert_false(wire_status_retryable(CANVASS__STATUS__CONFLICT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated_at_every_offset),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_canonical_content),
		cmocka_unit_test(test_duplicate_question),
		cmocka_unit_test(test_status_names),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
