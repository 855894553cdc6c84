/*
 * zap: the ZAP handler admits the keys of its table only, binds the member
 * code and the key to the connection, refuses past the connection cap, and
 * the self-test proves all that is in force - or fails when it is not.
 * Real libzmq, CURVE over ipc:// in a temporary directory.
 */
#include "zap.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "error.h"
#include "util.h"

struct fx {
	void *zctx, *server;
	struct zap *zap;
	struct keypair server_keys, member, stranger;
	char *dir, endpoint[4200];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct zap_entry e;
	char err[256];
	int zero = 0;

	f->dir = tu_tempdir();
	snprintf(f->endpoint, sizeof f->endpoint, "ipc://%s/zap.sock", f->dir);
	f->zctx = zmq_ctx_new();
	assert_int_equal(keys_generate(&f->server_keys), 0);
	assert_int_equal(keys_generate(&f->member), 0);
	assert_int_equal(keys_generate(&f->stranger), 0);
	assert_int_equal(zap_start(&f->zap, f->zctx, err, sizeof err), 0);
	memset(&e, 0, sizeof e);
	memcpy(e.key, f->member.public_z85, KEY_Z85_LEN);
	snprintf(e.user, sizeof e.user, "KE");
	assert_int_equal(zap_set_keys(f->zap, &e, 1), 0);
	f->server = zmq_socket(f->zctx, ZMQ_ROUTER);
	zmq_setsockopt(f->server, ZMQ_LINGER, &zero, sizeof zero);
	assert_int_equal(zap_make_server(f->server, &f->server_keys), 0);
	assert_int_equal(zmq_bind(f->server, f->endpoint), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	zmq_close(f->server);
	zap_stop(&f->zap);
	zmq_ctx_term(f->zctx);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Sends "hello" with kp; returns the User-Id the server saw, or NULL when nothing arrived. */
static char *send_as(struct fx *f, const struct keypair *kp, int timeout_ms)
{
	void *c = zmq_socket(f->zctx, ZMQ_DEALER);
	zmq_pollitem_t item = {f->server, 0, ZMQ_POLLIN, 0};
	int zero = 0;
	char *user = NULL;

	zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof zero);
	assert_int_equal(zap_make_client(c, kp, f->server_keys.public_z85), 0);
	assert_int_equal(zmq_connect(c, f->endpoint), 0);
	zmq_send(c, "hello", 5, ZMQ_DONTWAIT);
	if (zmq_poll(&item, 1, timeout_ms) == 1) {
		zmq_msg_t id, body;
		zmq_msg_init(&id);
		zmq_msg_init(&body);
		zmq_msg_recv(&id, f->server, 0);
		zmq_msg_recv(&body, f->server, 0);
		user = strdup(zmq_msg_gets(&body, "User-Id"));
		assert_string_equal(zmq_msg_gets(&body, ZAP_KEY_PROPERTY), kp->public_z85);
		zmq_msg_close(&id);
		zmq_msg_close(&body);
	}
	zmq_close(c);
	return user;
}

static void test_admits_registered_refuses_others(void **state)
{
	struct fx *f = *state;
	struct zap_stats st;
	char *user = send_as(f, &f->member, 5000);

	assert_non_null(user);
	assert_string_equal(user, "KE"); /* the identity comes from the key */
	free(user);
	/* An unknown key never gets a message through. */
	assert_null(send_as(f, &f->stranger, 300));
	zap_get_stats(f->zap, &st);
	assert_true(st.admitted >= 1);
	assert_true(st.refused_unknown_key >= 1);
	/* Revoked: the table is replaced, the key refused from then on. */
	assert_int_equal(zap_set_keys(f->zap, NULL, 0), 0);
	assert_null(send_as(f, &f->member, 300));
}

static void test_selftest(void **state)
{
	struct fx *f = *state;
	char err[256];
	void *bare;
	int zero = 0;
	char ep[4300];

	/* With the handler in force, an unknown key is refused: the self-test passes. */
	assert_int_equal(
		zap_selftest(f->zctx, f->server, f->server_keys.public_z85, 5000, err, sizeof err),
		0);
	/* Without a handler a CURVE server admits every key: the self-test fails. */
	zap_stop(&f->zap);
	bare = zmq_socket(f->zctx, ZMQ_ROUTER);
	zmq_setsockopt(bare, ZMQ_LINGER, &zero, sizeof zero);
	assert_int_equal(zap_make_server(bare, &f->server_keys), 0);
	snprintf(ep, sizeof ep, "ipc://%s/bare.sock", f->dir);
	assert_int_equal(zmq_bind(bare, ep), 0);
	assert_int_not_equal(
		zap_selftest(f->zctx, bare, f->server_keys.public_z85, 2000, err, sizeof err), 0);
	zmq_close(bare);
}

/*
 * How the handshake of a client with kp ends, as the client sees it: 200
 * when it succeeds, else the ZAP status of the refusal (400, 500), or -1.
 */
static int handshake_status(struct fx *f, const struct keypair *kp)
{
	void *c = zmq_socket(f->zctx, ZMQ_DEALER), *mon = zmq_socket(f->zctx, ZMQ_PAIR);
	static unsigned serial;
	char mon_ep[64];
	int zero = 0, status = -1;
	uint16_t event;
	uint32_t value;

	snprintf(mon_ep, sizeof mon_ep, "inproc://test-zap-client-%u", serial++);
	zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
	assert_int_equal(zap_make_client(c, kp, f->server_keys.public_z85), 0);
	assert_int_equal(
		zmq_socket_monitor(c, mon_ep,
				   ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH),
		0);
	assert_int_equal(zmq_connect(mon, mon_ep), 0);
	assert_int_equal(zmq_connect(c, f->endpoint), 0);
	zmq_setsockopt(mon, ZMQ_RCVTIMEO, &(int){10000}, sizeof(int));
	if (zap_monitor_event(mon, 0, &event, &value))
		status = event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ? 200 : (int)value;
	zmq_socket_monitor(c, NULL, 0);
	zmq_close(c);
	zmq_close(mon);
	return status;
}

static void test_connection_cap(void **state)
{
	struct fx *f = *state;
	struct zap_stats st;

	zap_set_connection_cap(f->zap, 1, 0);
	/* One connection past its handshake: a second is refused, not as a bad key. */
	zap_report_connected(f->zap, 1);
	assert_int_equal(handshake_status(f, &f->member), 500);
	zap_get_stats(f->zap, &st);
	assert_int_equal(st.refused_limit, 1);
	/* An unknown key is refused as such, whatever the count. */
	assert_int_equal(handshake_status(f, &f->stranger), 400);
	/* Connections in their handshake do not count: this one is admitted. */
	zap_report_connected(f->zap, 0);
	assert_int_equal(handshake_status(f, &f->member), 200);
}

/* A synthetic monitor event, in libzmq 4.3's format. */
static void post_event(void *pair, uint16_t event, uint32_t value)
{
	uint8_t frame[6];
	memcpy(frame, &event, 2);
	memcpy(frame + 2, &value, 4);
	zmq_send(pair, frame, 6, ZMQ_SNDMORE);
	zmq_send(pair, "tcp://127.0.0.1:1", 17, 0);
}

static void test_counter_arithmetic(void **state)
{
	struct fx *f = *state;
	struct conn_counter cc;
	void *in = zmq_socket(f->zctx, ZMQ_PAIR), *out = zmq_socket(f->zctx, ZMQ_PAIR);

	assert_int_equal(zmq_bind(in, "inproc://test-counter"), 0);
	assert_int_equal(zmq_connect(out, "inproc://test-counter"), 0);
	assert_int_equal(conn_counter_init(&cc), 0);
	/* Four accepted: one admitted, one refused (auth), one timed out, one silent. */
	for (uint32_t fd = 100; fd < 104; fd++)
		post_event(out, ZMQ_EVENT_ACCEPTED, fd);
	post_event(out, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0);
	post_event(out, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400);
	post_event(out, ZMQ_EVENT_DISCONNECTED, 101);
	post_event(out, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 110);
	post_event(out, ZMQ_EVENT_DISCONNECTED, 102);
	assert_int_equal(conn_counter_drain(&cc, in), 9);
	assert_int_equal(cc.connected, 2);
	assert_int_equal(conn_counter_handshaking(&cc), 1);
	assert_int_equal(conn_counter_authenticated(&cc), 1);
	assert_int_equal(cc.failed_protocol, 1);
	/* The admitted one closes; a descriptor closed twice counts once. */
	post_event(out, ZMQ_EVENT_DISCONNECTED, 100);
	post_event(out, ZMQ_EVENT_DISCONNECTED, 100);
	assert_int_equal(conn_counter_drain(&cc, in), 2);
	assert_int_equal(conn_counter_authenticated(&cc), 0);
	assert_int_equal(conn_counter_handshaking(&cc), 1);
	conn_counter_free(&cc);
	zmq_close(in);
	zmq_close(out);
}

/* Waits for events on mon until cond holds or 10 s pass. */
#define DRAIN_UNTIL(cc, mon, cond)                                                                 \
	do {                                                                                       \
		int64_t deadline_ = cv_mono_ms() + 10000;                                          \
		while (!(cond) && cv_mono_ms() < deadline_) {                                      \
			zmq_pollitem_t it_ = {(mon), 0, ZMQ_POLLIN, 0};                            \
			zmq_poll(&it_, 1, 100);                                                    \
			conn_counter_drain((cc), (mon));                                           \
		}                                                                                  \
	} while (0)

static void test_handshake_bound_sheds_silent_connections(void **state)
{
	struct fx *f = *state;
	struct conn_counter cc;
	void *server = zmq_socket(f->zctx, ZMQ_ROUTER), *mon = zmq_socket(f->zctx, ZMQ_PAIR);
	char ep[256];
	size_t len = sizeof ep;
	int fds[6], zero = 0, port;

	zmq_setsockopt(server, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(server, ZMQ_HANDSHAKE_IVL, &(int){60000}, sizeof(int));
	assert_int_equal(zap_make_server(server, &f->server_keys), 0);
	assert_int_equal(zmq_socket_monitor(server, "inproc://test-shed",
					    ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
						    ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
						    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
						    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
						    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL),
			 0);
	assert_int_equal(zmq_connect(mon, "inproc://test-shed"), 0);
	assert_int_equal(zmq_bind(server, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(server, ZMQ_LAST_ENDPOINT, ep, &len), 0);
	port = atoi(strrchr(ep, ':') + 1);
	assert_int_equal(conn_counter_init(&cc), 0);
	cc.max_handshaking = 2;
	/* Six TCP connections that never send a byte: for each beyond the bound the
	 * oldest silent one is shut, so the two newest stay. */
	for (int i = 0; i < 6; i++)
		fds[i] = tu_tcp_connect(port);
	DRAIN_UNTIL(&cc, mon, cc.accepted == 6 && cc.connected == 2);
	assert_int_equal(cc.accepted, 6);
	assert_int_equal(cc.shed, 4);
	assert_int_equal(cc.connected, 2);
	assert_int_equal(conn_counter_handshaking(&cc), 2);
	/* The shed ones see the end of the stream at once, not at the handshake timeout
	 * (a minute here); the two newest stay open. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(tu_peer_closed(fds[i], 10000), 1);
	for (int i = 4; i < 6; i++)
		assert_int_equal(tu_peer_closed(fds[i], 0), 0);
	for (int i = 0; i < 6; i++)
		close(fds[i]);
	conn_counter_free(&cc);
	zmq_socket_monitor(server, NULL, 0);
	zmq_close(server);
	zmq_close(mon);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_admits_registered_refuses_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_selftest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_arithmetic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_bound_sheds_silent_connections,
						setup, teardown),
	};
	return cmocka_run_group_tests_name("zap", tests, NULL, NULL);
}
