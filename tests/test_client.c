/*
 * client: the member client library against a scripted collector (a real
 * ZeroMQ ROUTER on ipc:// in this process): the default key is the hex
 * content hash of the canonical form, a stale reply is ignored, a
 * retryable answer is retried with the same key, a silent collector is
 * left for the next endpoint.
 */
#include "client.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "canon.h"
#include "error.h"
#include "util.h"
#include "wire.h"

#define SUB                                                                                        \
	"{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\",\"member\":\"KE\","             \
	"\"answers\":{\"b\":true,\"a\":87}}"

/* A collector that answers each request with the next status of its script. */
struct scripted {
	void *zctx;
	char endpoint[4200];
	const int *statuses; /* 0 ends the script: later requests get no answer */
	int stale_first;     /* send a reply to another request id first */
	int served, pos;
	char keys[8][140];
	pthread_t thread;
	volatile int stop, bound;
};

static void *serve(void *arg)
{
	struct scripted *s = arg;
	void *sock = zmq_socket(s->zctx, ZMQ_ROUTER);
	int zero = 0, timeout = 50;

	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
	assert_int_equal(zmq_bind(sock, s->endpoint), 0);
	__atomic_store_n(&s->bound, 1, __ATOMIC_SEQ_CST);
	while (!s->stop) {
		zmq_msg_t id, body;
		Canvass__Request *req;
		zmq_msg_init(&id);
		zmq_msg_init(&body);
		if (zmq_msg_recv(&id, sock, 0) < 0) {
			zmq_msg_close(&id);
			zmq_msg_close(&body);
			continue;
		}
		zmq_msg_recv(&body, sock, 0);
		if (wire_decode_request(zmq_msg_data(&body), zmq_msg_size(&body),
					&wire_default_limits, &req, NULL) == 0) {
			int status = s->statuses[s->pos];
			if (status != 0)
				s->pos++; /* the script's 0 ends it: stay there */
			if (s->served < 8)
				snprintf(s->keys[s->served], sizeof s->keys[0], "%s",
					 req->submit->idempotency_key);
			s->served++;
			if (status != 0) {
				Canvass__Reply rep = CANVASS__REPLY__INIT;
				uint8_t *buf;
				size_t len;
				rep.protocol_version = WIRE_PROTOCOL_VERSION;
				if (s->stale_first) {
					rep.request_id = req->request_id + 1;
					rep.status = CANVASS__STATUS__REJECTED;
					wire_pack(&rep.base, &buf, &len);
					zmq_send(sock, zmq_msg_data(&id), zmq_msg_size(&id),
						 ZMQ_SNDMORE);
					zmq_send(sock, buf, len, 0);
					free(buf);
				}
				rep.request_id = req->request_id;
				rep.status = status;
				wire_pack(&rep.base, &buf, &len);
				zmq_send(sock, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
				zmq_send(sock, buf, len, 0);
				free(buf);
			}
			WIRE_FREE(req);
		}
		zmq_msg_close(&id);
		zmq_msg_close(&body);
	}
	zmq_close(sock);
	return NULL;
}

static void start(struct scripted *s, void *zctx, const char *dir, const char *name,
		  const int *statuses, int stale_first)
{
	memset(s, 0, sizeof *s);
	s->zctx = zctx;
	s->statuses = statuses;
	s->stale_first = stale_first;
	snprintf(s->endpoint, sizeof s->endpoint, "ipc://%s/%s.sock", dir, name);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	/* Ready once bound, with a deadline. */
	for (int64_t end = cv_mono_ms() + 10000; !__atomic_load_n(&s->bound, __ATOMIC_SEQ_CST);) {
		assert_true(cv_mono_ms() < end);
		zmq_poll(NULL, 0, 1);
	}
}

static void finish(struct scripted *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
}

/* A client of the endpoints (borrowed: they must outlive it), backoff 10 ms. */
static struct client *open_client(char **eps, size_t n, long timeout_ms, int attempts)
{
	struct client_cfg cfg = {.endpoints = eps,
				 .n_endpoints = n,
				 .timeout_ms = timeout_ms,
				 .attempts = attempts,
				 .backoff_ms = 10};
	struct client *c;
	char err[256];
	assert_int_equal(client_open(&c, &cfg, err, sizeof err), 0);
	return c;
}

static void test_prepare_sets_the_content_key(void **state)
{
	Canvass__Submission *a = tu_submission(SUB);
	Canvass__Submission *b = tu_submission(
		"{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\",\"member\":\"KE\","
		"\"answers\":{\"a\":8.7e1,\"b\":true}}");
	uint8_t *buf, hash[CV_HASH_LEN];
	char hex[2 * CV_HASH_LEN + 1];
	size_t len;
	(void)state;

	assert_int_equal(client_prepare(a), 0);
	assert_int_equal(client_prepare(b), 0);
	assert_string_equal(a->idempotency_key, b->idempotency_key);
	assert_int_equal(canon_pack(a, &buf, &len, hash), 0);
	cv_hex(hash, CV_HASH_LEN, hex);
	assert_string_equal(a->idempotency_key, hex);
	free(buf);
	/* Idempotent, and an explicit key is kept. */
	assert_int_equal(client_prepare(a), 0);
	assert_string_equal(a->idempotency_key, hex);
	WIRE_FREE(a);
	WIRE_FREE(b);
}

static void test_retry_stale_and_failover(void **state)
{
	static const int busy_then_ok[] = {CANVASS__STATUS__BUSY, CANVASS__STATUS__ACCEPTED, 0};
	static const int silent[] = {0};
	static const int ok[] = {CANVASS__STATUS__ACCEPTED, 0};
	char *dir = tu_tempdir();
	void *zctx = zmq_ctx_new();
	struct scripted one = {0}, dead = {0}, alive = {0};
	struct client *c;
	Canvass__Submission *s;
	Canvass__Reply *r = NULL;
	const char *detail = NULL;
	char *eps[2]; /* borrowed by each client for its whole life */
	(void)state;

	/* BUSY is retried, with the same key; a stale reply to another id is ignored. */
	start(&one, zctx, dir, "one", busy_then_ok, 1);
	eps[0] = one.endpoint;
	c = open_client(eps, 1, 5000, 3);
	s = tu_submission(SUB);
	assert_int_equal(client_submit(c, s, &r, &detail), 0);
	assert_int_equal(r->status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(one.served, 2);
	assert_string_equal(one.keys[0], one.keys[1]);
	assert_string_equal(one.keys[0], s->idempotency_key);
	WIRE_FREE(r);
	WIRE_FREE(s);
	client_close(&c);
	finish(&one);

	/* A collector that never answers: the next endpoint gets the submission. */
	start(&dead, zctx, dir, "dead", silent, 0);
	start(&alive, zctx, dir, "alive", ok, 0);
	eps[0] = dead.endpoint;
	eps[1] = alive.endpoint;
	c = open_client(eps, 2, 300, 3);
	s = tu_submission(SUB);
	assert_int_equal(client_submit(c, s, &r, &detail), 0);
	assert_int_equal(r->status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(alive.served, 1);
	assert_true(dead.served <= 1);
	if (dead.served == 1) /* a resend to another collector keeps its key */
		assert_string_equal(dead.keys[0], alive.keys[0]);
	WIRE_FREE(r);
	WIRE_FREE(s);
	client_close(&c);
	finish(&dead);
	finish(&alive);

	/* Nobody answers at all: CV_ETIMEDOUT, no reply. */
	start(&dead, zctx, dir, "dead2", silent, 0);
	eps[0] = dead.endpoint;
	c = open_client(eps, 1, 200, 2);
	s = tu_submission(SUB);
	r = NULL;
	assert_int_equal(client_submit(c, s, &r, &detail), CV_ETIMEDOUT);
	assert_null(r);
	WIRE_FREE(s);
	client_close(&c);
	finish(&dead);
	zmq_ctx_term(zctx);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prepare_sets_the_content_key),
		cmocka_unit_test(test_retry_stale_and_failover),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
