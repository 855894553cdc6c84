/*
 * store, failure paths: mdb_put and mdb_txn_commit are wrapped
 * (-Wl,--wrap) so that LMDB's failures can be injected. A failed batch
 * leaves nothing behind (the head, the indexes, the next sequence), a
 * full map grows up to its cap and then answers CV_EFULL, and the store
 * goes on once the fault is gone.
 */
#include "store.h"
#include "testutil.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

int __real_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags);
int __real_mdb_txn_commit(MDB_txn *txn);
int __real_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned flags, MDB_txn **txn);
int __wrap_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned flags, MDB_txn **txn);
int __wrap_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags);
int __wrap_mdb_txn_commit(MDB_txn *txn);

static int put_fault;    /* error for every mdb_put, 0: none */
static int commit_fault; /* error for the next mdb_txn_commit (the txn is freed) */
static int txn_puts_max; /* MDB_TXN_FULL past this many puts in one transaction, 0: no cap */
static int txn_puts;

int __wrap_mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned flags, MDB_txn **txn)
{
	txn_puts = 0;
	return __real_mdb_txn_begin(env, parent, flags, txn);
}

int __wrap_mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned flags)
{
	if (put_fault != 0)
		return put_fault;
	if (txn_puts_max > 0 && ++txn_puts > txn_puts_max)
		return MDB_TXN_FULL;
	return __real_mdb_put(txn, dbi, key, data, flags);
}

int __wrap_mdb_txn_commit(MDB_txn *txn)
{
	if (commit_fault != 0) {
		int rc = commit_fault;
		commit_fault = 0;
		mdb_txn_abort(txn); /* as a failed commit leaves it: freed */
		return rc;
	}
	return __real_mdb_txn_commit(txn);
}

static struct store_put make_put(const char *member, const char *key, const char *body)
{
	static uint8_t hash[CV_HASH_LEN];
	return tu_put(member, "2025", key, body, hash);
}

static uint64_t head(struct store *s)
{
	struct store_view *v;
	uint64_t seq;
	uint8_t chain[CV_HASH_LEN];
	assert_int_equal(store_view_open(s, &v), 0);
	store_view_head(v, &seq, chain);
	store_view_close(&v);
	return seq;
}

static void test_failed_commit_leaves_nothing(void **state)
{
	char *dir = tu_tempdir(), err[256];
	struct store_cfg cfg = {.dir = dir};
	struct store *s;
	struct store_put p;
	(void)state;

	assert_int_equal(store_open(&s, &cfg, err, sizeof err), 0);
	p = make_put("KE", "k1", "first");
	assert_int_equal(store_put_batch(s, &p, 1), 0);
	assert_int_equal(p.sequence, 1);
	/* The commit fails with EIO: an error, and nothing of the batch is stored. */
	commit_fault = EIO;
	p = make_put("KE", "k2", "second");
	assert_int_not_equal(store_put_batch(s, &p, 1), 0);
	assert_int_equal(head(s), 1);
	assert_int_equal(store_head_sequence(s), 1);
	/* Once the fault is gone the same submission is new, at the next sequence. */
	p = make_put("KE", "k2", "second");
	assert_int_equal(store_put_batch(s, &p, 1), 0);
	assert_int_equal(p.status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(p.sequence, 2);
	assert_int_equal(p.revision, 2);
	store_close(&s);
	tu_rmtree(dir);
	free(dir);
}

/* A review action whose commit failed has no outcome: nothing to publish or count. */
static void test_failed_review_commit_has_no_outcome(void **state)
{
	char *dir = tu_tempdir(), err[256];
	struct store_cfg cfg = {.dir = dir};
	struct store *s;
	struct store_put p;
	Canvass__ReviewAction a = CANVASS__REVIEW_ACTION__INIT;
	struct store_review r;
	(void)state;

	assert_int_equal(store_open(&s, &cfg, err, sizeof err), 0);
	p = make_put("KE", "k1", "first");
	assert_int_equal(store_put_batch(s, &p, 1), 0);
	a.action = CANVASS__REVIEW_ACTION_KIND__APPROVE;
	a.questionnaire = (char *)"isa";
	a.cycle = (char *)"2025";
	a.member = (char *)"KE";
	a.reviewer = (char *)"alice";
	a.action_id = (char *)"approve-1";
	a.comment = (char *)"";
	memset(&r, 0, sizeof r);
	r.action = &a;
	commit_fault = ENOSPC;
	assert_int_not_equal(store_review_act(s, &r), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.sequence, 0);
	assert_null(r.state);
	assert_int_equal(head(s), 1);
	/* The retry is the first time it is stored, at the next sequence. */
	memset(&r, 0, sizeof r);
	r.action = &a;
	assert_int_equal(store_review_act(s, &r), 0);
	assert_int_equal(r.status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(r.sequence, 2);
	canvass__return_status__free_unpacked(r.state, NULL);
	store_close(&s);
	tu_rmtree(dir);
	free(dir);
}

static void test_full_map_grows_then_refuses(void **state)
{
	char *dir = tu_tempdir(), err[256];
	struct store_cfg cfg = {.dir = dir, .map_size = 1 << 20, .map_max = 1 << 20};
	struct store *s;
	struct store_put p;
	(void)state;

	assert_int_equal(store_open(&s, &cfg, err, sizeof err), 0);
	/* At its cap: MDB_MAP_FULL is CV_EFULL (answered STORAGE_FULL), nothing written. */
	put_fault = MDB_MAP_FULL;
	p = make_put("KE", "k1", "body");
	assert_int_equal(store_put_batch(s, &p, 1), CV_EFULL);
	put_fault = 0;
	assert_int_equal(head(s), 0);
	p = make_put("KE", "k1", "body");
	assert_int_equal(store_put_batch(s, &p, 1), 0);
	assert_int_equal(p.sequence, 1);
	store_close(&s);
	tu_rmtree(dir);
	free(dir);
	/* Below its cap the map grows and the batch is redone. */
	dir = tu_tempdir();
	cfg.dir = dir;
	cfg.map_max = 1 << 22;
	assert_int_equal(store_open(&s, &cfg, err, sizeof err), 0);
	{
		uint64_t size0, size1, used;
		store_usage(s, &size0, &used);
		put_fault = MDB_MAP_FULL;
		p = make_put("KE", "k1", "body");
		/* Every put fails: it grows to the cap, then refuses. */
		assert_int_equal(store_put_batch(s, &p, 1), CV_EFULL);
		put_fault = 0;
		store_usage(s, &size1, &used);
		assert_true(size1 > size0);
		assert_int_equal(size1, 1 << 22);
	}
	p = make_put("KE", "k1", "body");
	assert_int_equal(store_put_batch(s, &p, 1), 0);
	store_close(&s);
	tu_rmtree(dir);
	free(dir);
}

static void test_oversized_batch_is_split(void **state)
{
	char *dir = tu_tempdir(), err[256];
	struct store_cfg cfg = {.dir = dir};
	struct store *s;
	struct store_put p[10];
	char keys[10][8], bodies[10][16];
	uint8_t hashes[10][CV_HASH_LEN];
	(void)state;

	assert_int_equal(store_open(&s, &cfg, err, sizeof err), 0);
	/* One transaction holds 3 puts per item x 2 items: a batch of 10 is split. */
	txn_puts_max = 6;
	for (int i = 0; i < 10; i++) {
		snprintf(keys[i], sizeof keys[i], "k%d", i);
		snprintf(bodies[i], sizeof bodies[i], "body %d", i);
		memset(&p[i], 0, sizeof p[i]);
		cv_sha256(bodies[i], strlen(bodies[i]), hashes[i]);
		p[i].member = i % 2 ? "KE" : "FR";
		p[i].questionnaire = "isa";
		p[i].cycle = "2025";
		p[i].key = keys[i];
		p[i].content_hash = hashes[i];
		p[i].submission = (const uint8_t *)bodies[i];
		p[i].submission_len = strlen(bodies[i]);
	}
	assert_int_equal(store_put_batch(s, p, 10), 0);
	txn_puts_max = 0;
	assert_true(store_batch_splits(s) >= 3);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(p[i].status, CANVASS__STATUS__ACCEPTED);
		assert_int_equal(p[i].sequence, (uint64_t)i + 1); /* in order, each once */
	}
	assert_int_equal(head(s), 10);
	store_close(&s);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_commit_leaves_nothing),
		cmocka_unit_test(test_failed_review_commit_has_no_outcome),
		cmocka_unit_test(test_full_map_grows_then_refuses),
		cmocka_unit_test(test_oversized_batch_is_split),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("store_faults", tests, NULL, NULL);
}
