/*
 * budget: a member's in-flight count and unread reply bytes. The unread
 * count is what ZeroMQ holds: real libzmq sockets over ipc:// show it
 * rising while the peer does not read, and falling to zero once it does.
 */
#include "budget.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "error.h"
#include "util.h"

/* A Reply of about len bytes (its message text). */
static void make_reply(Canvass__Reply *r, char *text, size_t len)
{
	canvass__reply__init(r);
	memset(text, 'x', len);
	text[len] = '\0';
	r->message = text;
}

static void test_in_flight_cap(void **state)
{
	struct budget b;
	struct budget_entry *e;

	(void)state;
	assert_int_equal(budget_init(&b, 2, 1000), 0);
	e = budget_get(&b, "KE", 2);
	assert_non_null(e);
	assert_ptr_equal(budget_get(&b, "KE", 2), e); /* one entry per member */
	assert_ptr_not_equal(budget_get(&b, "UG", 2), e);
	assert_int_equal(budget_admit(&b, e), BUDGET_OK);
	e->in_flight = 2;
	assert_int_equal(budget_admit(&b, e), BUDGET_IN_FLIGHT);
	/* An entry with work in flight survives the sweep; an idle one goes. */
	budget_sweep(&b);
	assert_int_equal(b.n_entries, 1);
	e->in_flight = 0;
	budget_sweep(&b);
	assert_int_equal(b.n_entries, 0);
	budget_free(&b);
}

static void test_charge_and_give_back(void **state)
{
	struct budget b;
	struct budget_entry *e;
	Canvass__Reply r;
	char text[700];
	zmq_msg_t m[4];

	(void)state;
	assert_int_equal(budget_init(&b, 10, 1000), 0);
	e = budget_get(&b, "KE", 2);
	make_reply(&r, text, 600);
	assert_int_equal(budget_msg_init(&b, e, &m[0], &r.base), 0);
	assert_true(atomic_load(&e->unread) > 600);
	assert_int_equal(budget_admit(&b, e), BUDGET_OK); /* under 1000 */
	assert_int_equal(budget_msg_init(&b, e, &m[1], &r.base), 0);
	/* At the budget: new work is refused, but replies still fit up to twice it. */
	assert_int_equal(budget_admit(&b, e), BUDGET_UNREAD);
	assert_int_equal(budget_msg_init(&b, e, &m[2], &r.base), 0);
	assert_int_equal(budget_msg_init(&b, e, &m[3], &r.base), CV_EBUSY);
	assert_true(budget_unread(&b) <= 2000);
	/* The bytes packed are the Reply's, exactly. */
	{
		Canvass__Reply *back =
			canvass__reply__unpack(NULL, zmq_msg_size(&m[0]), zmq_msg_data(&m[0]));
		assert_non_null(back);
		assert_string_equal(back->message, text);
		canvass__reply__free_unpacked(back, NULL);
	}
	budget_sweep(&b);
	assert_int_equal(b.n_entries, 1); /* replies outstanding: kept */
	for (int i = 0; i < 3; i++)
		zmq_msg_close(&m[i]);
	assert_int_equal(atomic_load(&e->unread), 0);
	assert_int_equal(budget_unread(&b), 0);
	assert_int_equal(budget_admit(&b, e), BUDGET_OK);
	budget_sweep(&b);
	assert_int_equal(b.n_entries, 0);
	budget_free(&b);
}

static void test_many_members(void **state)
{
	struct budget b;
	char key[16];

	(void)state;
	assert_int_equal(budget_init(&b, 10, 1000), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "M%d", i);
		budget_get(&b, key, strlen(key))->in_flight = 1;
	}
	assert_int_equal(b.n_entries, 5000);
	for (int i = 0; i < 5000; i++) {
		struct budget_entry *e;
		snprintf(key, sizeof key, "M%d", i);
		e = budget_get(&b, key, strlen(key));
		assert_int_equal(e->in_flight, 1); /* found again after the table grew */
		e->in_flight = 0;
	}
	assert_int_equal(b.n_entries, 5000);
	budget_sweep(&b);
	assert_int_equal(b.n_entries, 0);
	budget_free(&b);
}

/* Replies to a peer that does not read stay charged; reading gives them back. */
static void test_unread_follows_the_peer(void **state)
{
	char *dir = tu_tempdir(), ep[4200], text[64 * 1024];
	void *zctx = zmq_ctx_new();
	void *server = zmq_socket(zctx, ZMQ_ROUTER), *peer = zmq_socket(zctx, ZMQ_DEALER);
	struct budget b;
	struct budget_entry *e;
	Canvass__Reply r;
	uint8_t rid[256];
	int zero = 0, one = 1, n, sent = 0;
	int64_t deadline;

	(void)state;
	snprintf(ep, sizeof ep, "ipc://%s/budget.sock", dir);
	zmq_setsockopt(server, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(peer, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(peer, ZMQ_RCVHWM, &one, sizeof one);
	assert_int_equal(zmq_bind(server, ep), 0);
	assert_int_equal(zmq_connect(peer, ep), 0);
	assert_int_equal(zmq_send(peer, "hi", 2, 0), 2);
	n = zmq_recv(server, rid, sizeof rid, 0);
	assert_true(n > 0);
	zmq_recv(server, text, sizeof text, 0);

	assert_int_equal(budget_init(&b, 10, 4 << 20), 0);
	e = budget_get(&b, "KE", 2);
	make_reply(&r, text, sizeof text - 1);
	/* 8 MiB of replies the peer does not read: more than the socket buffers hold. */
	for (int i = 0; i < 128; i++) {
		zmq_msg_t m;
		if (budget_msg_init(&b, e, &m, &r.base) != 0)
			break;
		assert_true(zmq_send(server, rid, (size_t)n, ZMQ_SNDMORE) >= 0);
		assert_true(zmq_msg_send(&m, server, 0) >= 0);
		sent++;
	}
	assert_true(sent > 64); /* up to twice the budget */
	assert_true(budget_unread(&b) <= 8u << 20);
	assert_true(budget_unread(&b) > 1u << 20); /* the kernel does not take it all */
	assert_int_equal(budget_admit(&b, e), BUDGET_UNREAD);
	/* The peer reads everything: the collector holds nothing any more. */
	for (int i = 0; i < sent; i++)
		assert_true(zmq_recv(peer, text, sizeof text, 0) > 0);
	deadline = cv_mono_ms() + 10000;
	while (budget_unread(&b) > 0 && cv_mono_ms() < deadline)
		cv_sleep_ms(1);
	assert_int_equal(budget_unread(&b), 0);
	assert_int_equal(budget_admit(&b, e), BUDGET_OK);
	zmq_close(peer);
	zmq_close(server);
	zmq_ctx_term(zctx);
	budget_free(&b);
	tu_rmtree(dir);
	free(dir);
}

/*
 * The owner goes (the collector closes) while ZeroMQ still holds a reply:
 * the budget stays until that reply's callback, which frees it. Under the
 * sanitizers a write to freed memory here fails the test.
 */
static void test_release_before_the_last_reply(void **state)
{
	struct budget *b;
	struct budget_entry *e;
	Canvass__Reply r;
	char text[100];
	zmq_msg_t m[2];
	(void)state;

	assert_int_equal(budget_new(&b, 10, 1000), 0);
	e = budget_get(b, "KE", 2);
	make_reply(&r, text, 50);
	assert_int_equal(budget_msg_init(b, e, &m[0], &r.base), 0);
	assert_int_equal(budget_msg_init(b, e, &m[1], &r.base), 0);
	budget_release(&b);
	assert_null(b);
	zmq_msg_close(&m[0]); /* a late callback: the budget is still there */
	zmq_msg_close(&m[1]); /* the last: it frees the budget */
	/* Nothing held: freed at once. */
	assert_int_equal(budget_new(&b, 10, 1000), 0);
	budget_release(&b);
	assert_null(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_flight_cap),
		cmocka_unit_test(test_charge_and_give_back),
		cmocka_unit_test(test_release_before_the_last_reply),
		cmocka_unit_test(test_many_members),
		cmocka_unit_test(test_unread_follows_the_peer),
	};
	return cmocka_run_group_tests_name("budget", tests, NULL, NULL);
}
