/*
 * aggregator server: StoreRequests over a real ZeroMQ socket (ipc://) into
 * a real LMDB store: ACCEPTED, DUPLICATE, CONFLICT, and MALFORMED for bytes
 * that do not hash to their content hash or are not strictly a
 * Submission; the same submission twice in one batch is stored once.
 */
#include "server.h"
#include "testutil.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <zmq.h>

#include "canon.h"
#include "error.h"
#include "util.h"
#include "wire.h"

struct fx {
	char *dir, endpoint[4200];
	void *zctx, *dealer;
	struct store *store;
	struct aggregator *agg;
	pthread_t thread;
	volatile sig_atomic_t stop;
};

static void *run(void *arg)
{
	struct fx *f = arg;
	aggregator_run(f->agg, &f->stop, NULL);
	return NULL;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_cfg scfg = {0};
	struct aggregator_cfg acfg = {0};
	char err[256];
	int zero = 0;

	f->dir = tu_tempdir();
	scfg.dir = f->dir;
	assert_int_equal(store_open(&f->store, &scfg, err, sizeof err), 0);
	snprintf(f->endpoint, sizeof f->endpoint, "ipc://%s/agg.sock", f->dir);
	f->zctx = zmq_ctx_new();
	acfg.listen = f->endpoint;
	acfg.store = f->store;
	acfg.batch_max = 100;
	acfg.batch_wait_us = 200000; /* long enough to put two requests in one batch */
	acfg.hwm = 1000;
	acfg.max_message = 512 * 1024;
	assert_int_equal(aggregator_open(&f->agg, f->zctx, &acfg, err, sizeof err), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, run, f), 0);
	f->dealer = zmq_socket(f->zctx, ZMQ_DEALER);
	zmq_setsockopt(f->dealer, ZMQ_LINGER, &zero, sizeof zero);
	assert_int_equal(zmq_connect(f->dealer, f->endpoint), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	f->stop = 1;
	pthread_join(f->thread, NULL);
	zmq_close(f->dealer);
	aggregator_close(&f->agg);
	zmq_ctx_term(f->zctx);
	store_close(&f->store);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* While set, send_store adds quality checks whose arrays differ in length. */
static bool mismatched_checks;

/* Sends a StoreRequest for the canonical content of json (extra bytes appended). */
static void send_store(struct fx *f, uint64_t ticket, const char *key, const char *json,
		       const void *extra, size_t extra_len, bool wrong_hash)
{
	Canvass__Submission *s = tu_submission(json);
	Canvass__StoreRequest r = CANVASS__STORE_REQUEST__INIT;
	uint8_t *content, hash[CV_HASH_LEN], *buf;
	size_t len, blen;

	assert_int_equal(canon_submission(s, NULL), 0);
	assert_int_equal(canon_pack(s, &content, &len, NULL), 0);
	content = realloc(content, len + extra_len);
	if (extra_len > 0)
		memcpy(content + len, extra, extra_len);
	len += extra_len;
	cv_sha256(content, len, hash);
	if (wrong_hash)
		hash[0] ^= 1;
	r.protocol_version = WIRE_PROTOCOL_VERSION;
	r.ticket = ticket;
	r.member = "KE";
	r.questionnaire = "q";
	r.cycle = "2025";
	r.idempotency_key = (char *)(uintptr_t)key;
	r.content_hash.data = hash;
	r.content_hash.len = CV_HASH_LEN;
	r.submission.data = content;
	r.submission.len = len;
	if (mismatched_checks) {
		static char *question[1] = {"x"};
		static double values[2] = {1, 2}, none[1] = {NAN}, z[1] = {3.5};
		static uint32_t min[1] = {3};
		r.check_questions = question;
		r.n_check_questions = 1;
		r.check_values = values;
		r.n_check_values = 2; /* one question, two numbers */
		r.check_relative = r.check_absolute = none;
		r.n_check_relative = r.n_check_absolute = 1;
		r.check_outlier_z = z;
		r.n_check_outlier_z = 1;
		r.check_min_answers = min;
		r.n_check_min_answers = 1;
	}
	assert_int_equal(wire_pack(&r.base, &buf, &blen), 0);
	assert_int_equal(zmq_send(f->dealer, buf, blen, 0), (int)blen);
	free(buf);
	free(content);
	WIRE_FREE(s);
}

/* The next StoreReply, within a deadline. */
static Canvass__StoreReply *reply(struct fx *f)
{
	zmq_pollitem_t item = {f->dealer, 0, ZMQ_POLLIN, 0};
	Canvass__StoreReply *r = NULL;
	zmq_msg_t msg;

	assert_int_equal(zmq_poll(&item, 1, 10000), 1);
	zmq_msg_init(&msg);
	assert_true(zmq_msg_recv(&msg, f->dealer, 0) >= 0);
	assert_int_equal(
		wire_decode_store_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 20, &r), 0);
	zmq_msg_close(&msg);
	return r;
}

#define A                                                                                          \
	"{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\",\"member\":\"KE\",\"answers\":" \
	"{\"x\":1}}"
#define B                                                                                          \
	"{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\",\"member\":\"KE\",\"answers\":" \
	"{\"x\":2}}"

static void expect(struct fx *f, uint64_t ticket, int status, uint64_t sequence)
{
	Canvass__StoreReply *r = reply(f);
	assert_int_equal(r->ticket, ticket);
	assert_int_equal(r->status, status);
	if (sequence != 0) {
		assert_non_null(r->receipt);
		assert_int_equal(r->receipt->sequence, sequence);
	}
	WIRE_FREE(r);
}

static void test_outcomes(void **state)
{
	struct fx *f = *state;

	send_store(f, 1, "k1", A, NULL, 0, false);
	expect(f, 1, CANVASS__STATUS__ACCEPTED, 1);
	send_store(f, 2, "k1", A, NULL, 0, false);
	expect(f, 2, CANVASS__STATUS__DUPLICATE, 1);
	send_store(f, 3, "k1", B, NULL, 0, false);
	expect(f, 3, CANVASS__STATUS__CONFLICT, 0);
	/* The hash is not the hash of the bytes. */
	send_store(f, 4, "k2", B, NULL, 0, true);
	expect(f, 4, CANVASS__STATUS__MALFORMED, 0);
	/* Hidden bytes (field 99) under a matching hash: not strictly a Submission. */
	send_store(f, 5, "k3", B, "\x98\x06\x01", 3, false);
	expect(f, 5, CANVASS__STATUS__MALFORMED, 0);
	/* Quality checks whose arrays differ in length: refused, nothing stored. */
	mismatched_checks = true;
	send_store(f, 6, "k4", B, NULL, 0, false);
	mismatched_checks = false;
	expect(f, 6, CANVASS__STATUS__MALFORMED, 0);
	assert_int_equal(store_head_sequence(f->store), 1);
}

static void test_twice_in_one_batch_is_stored_once(void **state)
{
	struct fx *f = *state;
	Canvass__StoreReply *r1, *r2;

	send_store(f, 7, "same", B, NULL, 0, false);
	send_store(f, 8, "same", B, NULL, 0, false);
	r1 = reply(f);
	r2 = reply(f);
	if (r1->ticket != 7) {
		Canvass__StoreReply *t = r1;
		r1 = r2;
		r2 = t;
	}
	assert_int_equal(r1->status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(r2->status, CANVASS__STATUS__DUPLICATE);
	assert_int_equal(r1->receipt->sequence, r2->receipt->sequence);
	assert_int_equal(store_head_sequence(f->store), 1);
	WIRE_FREE(r1);
	WIRE_FREE(r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_twice_in_one_batch_is_stored_once, setup,
						teardown),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
