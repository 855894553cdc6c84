/*
 * relay: the collector's loop between members and the aggregator, over
 * real ZeroMQ sockets (ipc://, insecure mode) with a scripted aggregator
 * in the test: a valid submission is relayed as canonical bytes and the
 * aggregator's receipt comes back with its warnings; a refused one never
 * leaves the collector; a two-frame message is MALFORMED; when the
 * aggregator does not answer in time the member gets UNAVAILABLE.
 */
#include "relay.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "error.h"
#include "util.h"
#include "wire.h"

struct fx {
	char *dir, member_ep[4200], agg_ep[4200];
	void *zctx, *member, *agg;
	struct registry *reg;
	struct qset *qs;
	struct cycles *cycles;
	struct collector *col;
	pthread_t thread;
	volatile sig_atomic_t stop, reload;
	char *valid;
};

static void *run(void *arg)
{
	struct fx *f = arg;
	collector_run(f->col, &f->stop, &f->reload);
	return NULL;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	static const char sched[] =
		"{\"cycles\": [{\"questionnaire\": \"integrity-self-assessment\", \"cycle\": "
		"\"2025\", \"opens\": \"2000-01-01\", \"due\": \"2099-12-31\", \"closes\": "
		"\"2099-12-31\"}]}";
	struct collector_cfg cfg = {0};
	char err[512];
	size_t len;
	int zero = 0;

	f->dir = tu_tempdir();
	snprintf(f->member_ep, sizeof f->member_ep, "ipc://%s/col.sock", f->dir);
	snprintf(f->agg_ep, sizeof f->agg_ep, "ipc://%s/agg.sock", f->dir);
	assert_int_equal(registry_load(tu_src("data/members.csv"), &f->reg, err, sizeof err), 0);
	assert_int_equal(qset_load_dir(tu_src("data/questionnaires"), &f->qs, err, sizeof err), 0);
	assert_int_equal(
		cycles_load_text("t", sched, sizeof sched - 1, &f->cycles, err, sizeof err), 0);
	assert_int_equal(cv_read_file(tu_src("tests/corpus/valid/KE-2025.json"), 1 << 20, &f->valid,
				      &len, err, sizeof err),
			 0);
	f->zctx = zmq_ctx_new();
	/* The scripted aggregator: a ROUTER the collector's DEALER connects to. */
	f->agg = zmq_socket(f->zctx, ZMQ_ROUTER);
	zmq_setsockopt(f->agg, ZMQ_LINGER, &zero, sizeof zero);
	assert_int_equal(zmq_bind(f->agg, f->agg_ep), 0);
	cfg.listen = f->member_ep;
	cfg.aggregator = f->agg_ep;
	cfg.intake.reg = f->reg;
	cfg.intake.qs = f->qs;
	cfg.intake.cycles = f->cycles;
	cfg.intake.limits = wire_default_limits;
	cfg.max_pending = 16;
	cfg.member_max_pending = 2;
	cfg.member_reply_bytes = 1 << 20;
	cfg.store_timeout_ms = 500;
	cfg.hwm = 1000;
	cfg.handshake_ms = 5000;
	assert_int_equal(collector_open(&f->col, f->zctx, &cfg, err, sizeof err), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, run, f), 0);
	f->member = zmq_socket(f->zctx, ZMQ_DEALER);
	zmq_setsockopt(f->member, ZMQ_LINGER, &zero, sizeof zero);
	assert_int_equal(zmq_connect(f->member, f->member_ep), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	f->stop = 1;
	pthread_join(f->thread, NULL);
	zmq_close(f->member);
	zmq_close(f->agg);
	collector_close(&f->col);
	zmq_ctx_term(f->zctx);
	registry_free(&f->reg);
	qset_free(&f->qs);
	cycles_free(&f->cycles);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->valid);
	free(f);
	return 0;
}

static void send_request(struct fx *f, const char *json, uint64_t id, int more_frames)
{
	Canvass__Submission *s = tu_submission(json);
	Canvass__Request req = CANVASS__REQUEST__INIT;
	uint8_t *buf;
	size_t len;

	req.protocol_version = WIRE_PROTOCOL_VERSION;
	req.request_id = id;
	req.body_case = CANVASS__REQUEST__BODY_SUBMIT;
	req.submit = s;
	assert_int_equal(wire_pack(&req.base, &buf, &len), 0);
	if (more_frames)
		zmq_send(f->member, buf, len, ZMQ_SNDMORE);
	zmq_send(f->member, buf, len, 0);
	free(buf);
	WIRE_FREE(s);
}

static Canvass__Reply *member_reply(struct fx *f)
{
	zmq_pollitem_t item = {f->member, 0, ZMQ_POLLIN, 0};
	Canvass__Reply *r = NULL;
	zmq_msg_t msg;

	assert_int_equal(zmq_poll(&item, 1, 10000), 1);
	zmq_msg_init(&msg);
	assert_true(zmq_msg_recv(&msg, f->member, 0) >= 0);
	assert_int_equal(wire_decode_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 22, &r), 0);
	zmq_msg_close(&msg);
	return r;
}

static void test_relayed_and_answered(void **state)
{
	struct fx *f = *state;
	zmq_pollitem_t item = {f->agg, 0, ZMQ_POLLIN, 0};
	zmq_msg_t rid, body;
	Canvass__StoreRequest *sr;
	Canvass__Reply *r;
	uint8_t hash[CV_HASH_LEN];

	send_request(f, f->valid, 41, 0);
	assert_int_equal(zmq_poll(&item, 1, 10000), 1);
	zmq_msg_init(&rid);
	zmq_msg_init(&body);
	zmq_msg_recv(&rid, f->agg, 0);
	zmq_msg_recv(&body, f->agg, 0);
	assert_int_equal(
		wire_decode_store_request(zmq_msg_data(&body), zmq_msg_size(&body), 1 << 20, &sr),
		0);
	/* What is relayed: the member, and canonical bytes that hash to the content hash. */
	assert_string_equal(sr->member, "KE");
	cv_sha256(sr->submission.data, sr->submission.len, hash);
	assert_memory_equal(hash, sr->content_hash.data, CV_HASH_LEN);
	{
		Canvass__StoreReply rep = CANVASS__STORE_REPLY__INIT;
		Canvass__Receipt rc = CANVASS__RECEIPT__INIT;
		uint8_t *buf;
		size_t len;
		rep.protocol_version = WIRE_PROTOCOL_VERSION;
		rep.ticket = sr->ticket;
		rep.status = CANVASS__STATUS__ACCEPTED;
		rc.sequence = 77;
		rc.revision = 1;
		rc.member = "KE";
		rep.receipt = &rc;
		wire_pack(&rep.base, &buf, &len);
		zmq_send(f->agg, zmq_msg_data(&rid), zmq_msg_size(&rid), ZMQ_SNDMORE);
		zmq_send(f->agg, buf, len, 0);
		free(buf);
	}
	zmq_msg_close(&rid);
	zmq_msg_close(&body);
	WIRE_FREE(sr);
	r = member_reply(f);
	assert_int_equal(r->request_id, 41);
	assert_int_equal(r->status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(r->receipt->sequence, 77);
	WIRE_FREE(r);
}

static void test_refused_and_malformed_stay_here(void **state)
{
	struct fx *f = *state;
	zmq_pollitem_t item = {f->agg, 0, ZMQ_POLLIN, 0};
	Canvass__Reply *r;
	char *bad = strdup(f->valid);

	memcpy(strstr(bad, "\"2025\""), "\"1999\"", 6); /* no such cycle */
	send_request(f, bad, 42, 0);
	r = member_reply(f);
	assert_int_equal(r->request_id, 42);
	assert_int_equal(r->status, CANVASS__STATUS__REJECTED);
	assert_string_equal(r->problems[0]->code, "UNKNOWN_CYCLE");
	WIRE_FREE(r);
	send_request(f, f->valid, 43, 1); /* two frames */
	r = member_reply(f);
	assert_int_equal(r->status, CANVASS__STATUS__MALFORMED);
	WIRE_FREE(r);
	/* Nothing reached the aggregator. */
	assert_int_equal(zmq_poll(&item, 1, 0), 0);
	free(bad);
}

static void test_silent_aggregator_is_unavailable(void **state)
{
	struct fx *f = *state;
	Canvass__Reply *r;

	send_request(f, f->valid, 44, 0);
	/* The scripted aggregator never answers: after store_timeout_ms, UNAVAILABLE. */
	r = member_reply(f);
	assert_int_equal(r->request_id, 44);
	assert_int_equal(r->status, CANVASS__STATUS__UNAVAILABLE);
	assert_true(wire_status_retryable(r->status));
	WIRE_FREE(r);
}

static void test_member_in_flight_cap(void **state)
{
	struct fx *f = *state;
	Canvass__Reply *r;

	/* Two in flight for this member (the aggregator is silent); the third is BUSY. */
	send_request(f, f->valid, 51, 0);
	send_request(f, f->valid, 52, 0);
	send_request(f, f->valid, 53, 0);
	r = member_reply(f);
	assert_int_equal(r->request_id, 53);
	assert_int_equal(r->status, CANVASS__STATUS__BUSY);
	assert_non_null(strstr(r->message, "too many of your submissions are in flight"));
	WIRE_FREE(r);
	/* The two relayed ones time out as usual, and free the member's slots. */
	for (int i = 0; i < 2; i++) {
		r = member_reply(f);
		assert_int_equal(r->status, CANVASS__STATUS__UNAVAILABLE);
		WIRE_FREE(r);
	}
	assert_int_equal(collector_stats(f->col)->busy_in_flight, 1);
	send_request(f, f->valid, 54, 0);
	r = member_reply(f);
	assert_int_equal(r->request_id, 54);
	assert_int_equal(r->status, CANVASS__STATUS__UNAVAILABLE); /* relayed, not BUSY */
	WIRE_FREE(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relayed_and_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_and_malformed_stay_here, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_silent_aggregator_is_unavailable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_member_in_flight_cap, setup, teardown),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("relay", tests, NULL, NULL);
}
