/* wire: encode/decode, size and version checks, strict decoding. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
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
	assert_int_equal(wire_decode_request(buf, len, &wire_default_limits, &r, NULL),
			 CV_EVERSION);
	free(buf);
	/* Version 0 is not encoded at all: the message cannot be trusted. */
	pack_request(s, 0, &buf, &len);
	assert_int_equal(wire_decode_request(buf, len, &wire_default_limits, &r, NULL),
			 CV_EMALFORMED);
	free(buf);
	assert_int_equal(wire_decode_request("\x08\x01\xff", 3, &wire_default_limits, &r, NULL),
			 CV_EMALFORMED);
	assert_int_equal(wire_decode_request("", 0, &wire_default_limits, &r, NULL), CV_EMALFORMED);
	WIRE_FREE(s);
}

/* Bytes of one length-delimited field. */
static size_t put_ld(uint8_t *p, unsigned num, const void *data, size_t len)
{
	p[0] = (uint8_t)((num << 3) | 2);
	p[1] = (uint8_t)len; /* short fields only */
	memcpy(p + 2, data, len);
	return len + 2;
}

/* A Request around one Submission body of n bytes. */
static size_t request_of(uint8_t *out, const uint8_t *sub, size_t n)
{
	size_t k = 0;
	out[k++] = 0x08, out[k++] = 0x01; /* protocol_version 1 */
	out[k++] = 0x10, out[k++] = 0x2a; /* request_id 42 */
	out[k++] = 0x1a, out[k++] = (uint8_t)n;
	memcpy(out + k, sub, n);
	return k + n;
}

static void expect_fault(const uint8_t *req, size_t len, const char *code, const char *where)
{
	Canvass__Request *r = NULL;
	struct wire_fault f;
	uint64_t id = 0;

	assert_int_equal(wire_decode_request(req, len, &wire_default_limits, &r, &f),
			 CV_EMALFORMED);
	assert_null(r);
	assert_non_null(f.code);
	assert_string_equal(f.code, code);
	assert_string_equal(f.where, where);
	assert_int_equal(wire_peek_request_id(req, len, &id), 0);
	assert_int_equal(id, 42);
}

static void test_strict(void **state)
{
	uint8_t sub[128], ans[64], req[256];
	size_t n, a;
	(void)state;

	/* NUL inside the member: protobuf-c would stop at it; strictly, refused. */
	n = put_ld(sub, 4, "KE\0FR", 5);
	expect_fault(req, request_of(req, sub, n), "NUL_IN_STRING", "submit.member");
	/* Overlong UTF-8 in the cycle. */
	n = put_ld(sub, 3, "\xc0\xaf", 2);
	expect_fault(req, request_of(req, sub, n), "INVALID_UTF8", "submit.cycle");
	/* A boolean sent as fixed64, in the second answer. */
	n = 0;
	a = put_ld(ans, 1, "x", 1);
	ans[a++] = 0x10, ans[a++] = 0x01; /* boolean true, varint: fine */
	n += put_ld(sub + n, 6, ans, a);
	a = put_ld(ans, 1, "y", 1);
	ans[a++] = 0x11; /* field 2, wire type 1 */
	memset(ans + a, 0, 8), ans[a] = 1, a += 8;
	n += put_ld(sub + n, 6, ans, a);
	expect_fault(req, request_of(req, sub, n), "WRONG_WIRE_TYPE", "submit.answers[1].boolean");
	/* An unknown field 99 in the submission. */
	n = put_ld(sub, 4, "KE", 2);
	sub[n++] = 0x98, sub[n++] = 0x06, sub[n++] = 0x01; /* field 99, varint 1 */
	expect_fault(req, request_of(req, sub, n), "UNKNOWN_FIELD", "submit");
	/* The member twice; two values for one answer's one-of. */
	n = put_ld(sub, 4, "KE", 2);
	n += put_ld(sub + n, 4, "FR", 2);
	expect_fault(req, request_of(req, sub, n), "REPEATED_FIELD", "submit.member");
	a = put_ld(ans, 1, "x", 1);
	ans[a++] = 0x10, ans[a++] = 0x01; /* boolean */
	ans[a++] = 0x18, ans[a++] = 0x02; /* integer */
	n = put_ld(sub, 6, ans, a);
	expect_fault(req, request_of(req, sub, n), "REPEATED_FIELD", "submit.answers[0].integer");
	/* Control characters in a list item. */
	a = put_ld(ans, 1, "x", 1);
	{
		uint8_t list[16];
		size_t l = put_ld(list, 1, "a\x01", 2);
		a += put_ld(ans + a, 6, list, l);
	}
	n = put_ld(sub, 6, ans, a);
	expect_fault(req, request_of(req, sub, n), "CONTROL_CHARACTER",
		     "submit.answers[0].list.items[0]");
	/* TAB, LF, CR and multi-byte characters are text. */
	n = put_ld(sub, 4, "KE", 2);
	a = put_ld(ans, 1, "x", 1);
	a += put_ld(ans + a, 5, "a\tb\nc\r\xe2\x82\xac", 9);
	n += put_ld(sub + n, 6, ans, a);
	{
		Canvass__Request *r;
		n = request_of(req, sub, n);
		assert_int_equal(wire_decode_request(req, n, &wire_default_limits, &r, NULL), 0);
		assert_string_equal(r->submit->answers[0]->text, "a\tb\nc\r\xe2\x82\xac");
		WIRE_FREE(r);
	}
}

static void test_peek_request_id(void **state)
{
	uint64_t id = 0;
	(void)state;
	assert_int_equal(wire_peek_request_id("\x08\x01\x10\x07", 4, &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(wire_peek_request_id("\x08\x01", 2, &id), CV_ENOTFOUND);
	assert_int_equal(wire_peek_request_id("\x08", 1, &id), CV_EMALFORMED);
	assert_int_equal(wire_peek_request_id("\x0a\x7f", 2, &id), CV_EMALFORMED);
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

static void test_empty_items_refused_before_allocation(void **state)
{
	/* 5000 empty answers (2 bytes each) in a 10 KB frame: TOO_LARGE from the scan. */
	size_t n = 5000, k = 0;
	uint8_t *req = malloc(16 + 2 * n), *sub = malloc(2 * n);
	Canvass__Request *r = (void *)1;
	uint64_t id = 0;
	(void)state;

	for (size_t i = 0; i < n; i++)
		sub[2 * i] = 0x32, sub[2 * i + 1] = 0x00; /* field 6, length 0 */
	req[k++] = 0x08, req[k++] = 0x01;                 /* protocol_version 1 */
	req[k++] = 0x10, req[k++] = 0x05;                 /* request_id 5 */
	req[k++] = 0x1a;                                  /* submit, length as a varint */
	req[k++] = (uint8_t)(0x80 | ((2 * n) & 0x7f));
	req[k++] = (uint8_t)((2 * n) >> 7);
	memcpy(req + k, sub, 2 * n);
	k += 2 * n;
	assert_int_equal(wire_decode_request(req, k, &wire_default_limits, &r, NULL), CV_ETOOBIG);
	assert_null(r);
	assert_int_equal(wire_peek_request_id(req, k, &id), 0);
	assert_int_equal(id, 5);
	free(req);
	free(sub);
}

/* Decoded into an arena: the same message as with malloc, and the same refusals. */
static void test_decode_in_arena(void **state)
{
	Canvass__Submission *s = tu_submission(SUB);
	Canvass__Request *r, *in;
	struct arena *a;
	uint8_t *buf, *again, *again_in;
	size_t len, n1, n2;
	(void)state;

	assert_int_equal(arena_open(&a), 0);
	pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
	assert_int_equal(wire_decode_request(buf, len, &wire_default_limits, &r, NULL), 0);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(
			wire_decode_request_in(a, buf, len, &wire_default_limits, &in, NULL), 0);
		assert_int_equal(wire_pack(&r->base, &again, &n1), 0);
		assert_int_equal(wire_pack(&in->base, &again_in, &n2), 0);
		assert_int_equal(n1, n2);
		assert_memory_equal(again, again_in, n1);
		assert_memory_equal(again, buf, len);
		free(again);
		free(again_in);
		arena_reset(a);
	}
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *part = malloc(cut ? cut : 1);
		Canvass__Request *m = NULL;
		int rc1, rc2;
		memcpy(part, buf, cut);
		rc1 = wire_decode_request(part, cut, &wire_default_limits, &m, NULL);
		WIRE_FREE(m);
		rc2 = wire_decode_request_in(a, part, cut, &wire_default_limits, &in, NULL);
		assert_int_equal(rc1, rc2);
		if (rc2 != 0)
			assert_null(in);
		arena_reset(a);
		free(part);
	}
	/* Over a limit: refused and nothing to free. */
	{
		struct wire_limits lim = wire_default_limits;
		lim.max_answers = 2;
		assert_int_equal(wire_decode_request_in(a, buf, len, &lim, &in, NULL), CV_ETOOBIG);
		assert_null(in);
	}
	WIRE_FREE(r);
	free(buf);
	WIRE_FREE(s);
	arena_close(&a);
}

/* A reset keeps one block for the next request and frees the rest. */
static void test_arena_reset(void **state)
{
	struct arena *a;
	uint8_t *first, *big, *next;
	(void)state;

	assert_int_equal(arena_open(&a), 0);
	first = arena_alloc(a, 10);
	assert_non_null(first);
	assert_int_equal((uintptr_t)first % 8, 0);
	big = arena_alloc(a, 3u << 20); /* a block of its own */
	assert_non_null(big);
	memset(big, 0xab, 3u << 20);
	assert_int_equal(arena_bytes(a), (1u << 20) + (3u << 20));
	assert_null(arena_alloc(a, SIZE_MAX - 3));
	arena_reset(a);
	assert_int_equal(arena_bytes(a), 1u << 20);
	next = arena_alloc(a, 10);
	assert_ptr_equal(next, first);
	arena_reset(a);
	arena_close(&a);
	arena_close(&a); /* harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_decode_in_arena),
		cmocka_unit_test(test_arena_reset),
		cmocka_unit_test(test_truncated_at_every_offset),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_peek_request_id),
		cmocka_unit_test(test_empty_items_refused_before_allocation),
		cmocka_unit_test(test_status_names),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
