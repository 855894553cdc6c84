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
#include <zmq.h>

#include "error.h"

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

static void test_connection_cap(void **state)
{
	struct fx *f = *state;
	struct zap_stats st;

	zap_set_connection_cap(f->zap, 1);
	/* Counted from acceptance: one open already, and the one handshaking. */
	zap_report_connected(f->zap, 2);
	assert_null(send_as(f, &f->member, 300));
	zap_get_stats(f->zap, &st);
	assert_true(st.refused_limit >= 1);
	zap_report_connected(f->zap, 1); /* only the one handshaking */
	{
		char *user = send_as(f, &f->member, 5000);
		assert_non_null(user);
		free(user);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_admits_registered_refuses_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_selftest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_cap, setup, teardown),
	};
	return cmocka_run_group_tests_name("zap", tests, NULL, NULL);
}
