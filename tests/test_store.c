/* store: the LMDB layout, batches, duplicates, conflicts, revisions,
 * the hash chain, map growth and its cap, one writer at a time. */
#include "testutil.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "text.h"
#include "wire.h"

/* A put with content derived from body; content_hash/submission point into
 * static storage per slot so that several can live in one batch. */
static struct store_put make_put(int slot, const char *member, const char *cycle, const char *key,
				 const char *body)
{
	static uint8_t hashes[16][CV_HASH_LEN];
	return tu_put(member, cycle, key, body, hashes[slot]);
}

static void test_durable_flags(void **state)
{
	struct tu_store_fx *f = *state;
	unsigned int flags = store_env_flags(f->s);
	assert_int_equal(flags & (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC | MDB_WRITEMAP), 0);
}

static void test_accept_duplicate_conflict_revision(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_put p[4];
	uint8_t first_chain[CV_HASH_LEN];

	p[0] = make_put(0, "KE", "2025", "k1", "content one");
	assert_int_equal(store_put_batch(f->s, p, 1), 0);
	assert_int_equal(p[0].status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(p[0].sequence, 1);
	assert_int_equal(p[0].revision, 1);
	memcpy(first_chain, p[0].chain_hash, CV_HASH_LEN);

	/* Same key, same content: the original receipt. */
	p[0] = make_put(0, "KE", "2025", "k1", "content one");
	/* Same key, other content: conflict. */
	p[1] = make_put(1, "KE", "2025", "k1", "content two");
	/* New key, same member/questionnaire/cycle: revision 2. */
	p[2] = make_put(2, "KE", "2025", "k2", "content two");
	/* The same key in the same batch again: a duplicate of p[2]. */
	p[3] = make_put(3, "KE", "2025", "k2", "content two");
	assert_int_equal(store_put_batch(f->s, p, 4), 0);
	assert_int_equal(p[0].status, CANVASS__STATUS__DUPLICATE);
	assert_int_equal(p[0].sequence, 1);
	assert_int_equal(p[0].revision, 1);
	assert_memory_equal(p[0].chain_hash, first_chain, CV_HASH_LEN);
	assert_int_equal(p[1].status, CANVASS__STATUS__CONFLICT);
	assert_int_equal(p[2].status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(p[2].sequence, 2);
	assert_int_equal(p[2].revision, 2);
	assert_int_equal(p[3].status, CANVASS__STATUS__DUPLICATE);
	assert_int_equal(p[3].sequence, 2);

	/* Keys are per member: another member may use k1. */
	p[0] = make_put(0, "UG", "2025", "k1", "content one");
	assert_int_equal(store_put_batch(f->s, p, 1), 0);
	assert_int_equal(p[0].status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(p[0].sequence, 3);
	assert_int_equal(p[0].revision, 1);
}

static int count_entry(const Canvass__HistoryEntry *e, void *arg)
{
	(void)e;
	(*(size_t *)arg)++;
	return 0;
}

struct chain_walk {
	uint8_t prev[CV_HASH_LEN];
	uint64_t expect_seq;
	int broken;
};

static int walk_chain(const Canvass__HistoryEntry *e, void *arg)
{
	struct chain_walk *w = arg;
	uint8_t h[CV_HASH_LEN];
	store_chain_hash(e, w->prev, h);
	if (e->sequence != w->expect_seq || memcmp(h, e->chain_hash.data, CV_HASH_LEN) != 0 ||
	    memcmp(w->prev, e->prev_chain_hash.data, CV_HASH_LEN) != 0)
		w->broken = 1;
	memcpy(w->prev, e->chain_hash.data, CV_HASH_LEN);
	w->expect_seq++;
	return 0;
}

static void test_read_back_and_reopen(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_put p[3];
	struct store_view *v;
	Canvass__HistoryEntry *e;
	struct store_cfg cfg = {.dir = f->dir};
	struct chain_walk w = {.expect_seq = 1};
	uint8_t head[CV_HASH_LEN];
	uint64_t seq;
	size_t n = 0;
	char err[512];

	p[0] = make_put(0, "KE", "2025", "a", "ke one");
	p[1] = make_put(1, "KE", "2025", "b", "ke two");
	p[2] = make_put(2, "UG", "2025", "a", "ug one");
	assert_int_equal(store_put_batch(f->s, p, 3), 0);

	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(store_view_current(v, "isa", "2025", "KE", &e), 0);
	assert_int_equal(e->revision, 2);
	assert_int_equal(e->sequence, 2);
	assert_string_equal(e->idempotency_key, "b");
	assert_memory_equal(e->submission.data, "ke two", 6);
	WIRE_FREE(e);
	assert_int_equal(store_view_current(v, "isa", "2025", "FR", &e), CV_ENOTFOUND);
	assert_int_equal(store_view_current(v, "isa", "2024", "KE", &e), CV_ENOTFOUND);
	assert_int_equal(store_view_each_current(v, "isa", "2025", count_entry, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_view_each_current(v, "isa", "202", count_entry, &n), 0);
	assert_int_equal(n, 0); /* a prefix of a cycle is not that cycle */
	store_view_close(&v);

	/* Reopen: the history continues where it stopped, chain intact. */
	store_close(&f->s);
	if (store_open(&f->s, &cfg, err, sizeof err) != 0)
		fail_msg("%s", err);
	p[0] = make_put(0, "FR", "2025", "a", "fr one");
	assert_int_equal(store_put_batch(f->s, p, 1), 0);
	assert_int_equal(p[0].sequence, 4);
	assert_int_equal(store_view_open(f->s, &v), 0);
	store_view_head(v, &seq, head);
	assert_int_equal(seq, 4);
	assert_memory_equal(head, p[0].chain_hash, CV_HASH_LEN);
	assert_int_equal(store_view_each_history(v, walk_chain, &w), 0);
	assert_int_equal(w.broken, 0);
	assert_int_equal(w.expect_seq, 5);
	store_view_close(&v);
}

static void test_second_writer_refused_reader_allowed(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_cfg cfg = {.dir = f->dir};
	struct store *other = NULL, *reader = NULL;
	struct store_view *v;
	struct store_put p = make_put(0, "KE", "2025", "a", "x");
	char err[512] = "";
	size_t n = 0;

	assert_int_equal(store_open(&other, &cfg, err, sizeof err), CV_ELOCKED);
	assert_null(other);
	assert_non_null(strstr(err, "another aggregator"));

	assert_int_equal(store_put_batch(f->s, &p, 1), 0);
	/* LMDB forbids opening one environment twice in a process: readers
	 * next to a live writer are tested across processes (integration). */
	store_close(&f->s);
	cfg.readonly = true;
	assert_int_equal(store_open(&reader, &cfg, err, sizeof err), 0);
	assert_int_equal(store_view_open(reader, &v), 0);
	assert_int_equal(store_view_each_history(v, count_entry, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_put_batch(reader, &p, 1), CV_EINVAL);
	store_view_close(&v);
	store_close(&reader);
}

static void test_map_grows_then_full_at_cap(void **state)
{
	char *dir = tu_tempdir();
	struct store_cfg cfg = {.dir = dir, .map_size = 64 * 1024, .map_max = 1024 * 1024};
	struct store *s;
	struct store_view *v;
	uint64_t map_size, used;
	char err[512], key[32], *body = malloc(4000);
	size_t stored = 0, n = 0;
	int rc = 0;
	(void)state;

	memset(body, 'x', 3999);
	body[3999] = '\0';
	if (store_open(&s, &cfg, err, sizeof err) != 0)
		fail_msg("%s", err);
	for (int i = 0; i < 1000 && rc == 0; i++) {
		struct store_put p;
		snprintf(key, sizeof key, "k%d", i);
		body[0] = (char)('a' + i % 26);
		body[1] = (char)('a' + i / 26 % 26);
		p = make_put(0, "KE", "2025", key, body);
		rc = store_put_batch(s, &p, 1);
		if (rc == 0)
			stored++;
	}
	assert_int_equal(rc, CV_EFULL);
	store_usage(s, &map_size, &used);
	assert_true(map_size == 1024 * 1024); /* grew from 64K up to the cap */
	assert_true(stored > 100);            /* far more than 64K holds */
	/* What was stored before the cap is intact and readable. */
	assert_int_equal(store_view_open(s, &v), 0);
	assert_int_equal(store_view_each_history(v, count_entry, &n), 0);
	assert_int_equal(n, stored);
	store_view_close(&v);
	store_close(&s);
	tu_rmtree(dir);
	free(dir);
	free(body);
}

/* Rewrites history entry seq with LMDB directly, as an attacker with file access could. */
static void tamper(const char *dir, uint64_t seq, int delete_it)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;

	cv_put_be64(kb, seq);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "history", 0, &dbi), 0);
	if (delete_it) {
		assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	} else {
		Canvass__HistoryEntry *e;
		uint8_t *buf;
		size_t len;
		assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
		assert_int_equal(wire_decode_history(v.mv_data, v.mv_size, &e), 0);
		e->submission.data[0] ^= 1; /* one bit of one answer */
		assert_int_equal(wire_pack(&e->base, &buf, &len), 0);
		v.mv_data = buf;
		v.mv_size = len;
		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
		free(buf);
		WIRE_FREE(e);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void verify_dir(const char *dir, struct store_verify *res)
{
	struct store_cfg cfg = {.dir = dir, .readonly = true};
	struct store *s;
	struct store_view *v;
	char err[256];
	assert_int_equal(store_open(&s, &cfg, err, sizeof err), 0);
	assert_int_equal(store_view_open(s, &v), 0);
	assert_int_equal(store_verify(v, res), 0);
	store_view_close(&v);
	store_close(&s);
}

static void test_chain_catches_tampering(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_put p[4];
	struct store_verify res;

	p[0] = make_put(0, "KE", "2025", "a", "first");
	p[1] = make_put(1, "KE", "2025", "b", "second");
	p[2] = make_put(2, "UG", "2025", "a", "third");
	p[3] = make_put(3, "FR", "2025", "a", "fourth");
	assert_int_equal(store_put_batch(f->s, p, 4), 0);
	store_close(&f->s);

	verify_dir(f->dir, &res);
	assert_int_equal(res.entries, 4);
	assert_int_equal(res.first_bad, 0);

	tamper(f->dir, 3, 0);
	verify_dir(f->dir, &res);
	assert_int_equal(res.first_bad, 3);
	assert_int_equal(res.entries, 2);
	assert_non_null(strstr(res.reason, "content does not match"));

	tamper(f->dir, 2, 1);
	verify_dir(f->dir, &res);
	assert_int_equal(res.first_bad, 2);
	assert_non_null(strstr(res.reason, "sequence gap"));
}

static void test_key_limits(void **state)
{
	char longkey[600];
	struct store_put p = make_put(0, "KE", "2025", "k", "x");
	(void)state;
	assert_int_equal(store_put_check(&p), 0);
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	p.key = longkey;
	assert_int_equal(store_put_check(&p), CV_EINVAL);
	p.key = "";
	assert_int_equal(store_put_check(&p), CV_EINVAL);
}

/* docs/storage.md's formula, computed here apart, for e. */
static void chain_by_the_doc(const Canvass__HistoryEntry *e, const uint8_t prev[CV_HASH_LEN],
			     uint8_t out[CV_HASH_LEN])
{
	crypto_hash_sha256_state st;
	uint8_t b[8];
	const char *strs[] = {e->member, e->questionnaire, e->cycle, e->idempotency_key};

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, prev, CV_HASH_LEN);
	cv_put_be64(b, e->sequence);
	crypto_hash_sha256_update(&st, b, 8);
	cv_put_be32(b, e->revision);
	crypto_hash_sha256_update(&st, b, 4);
	cv_put_be64(b, (uint64_t)e->stored_at_ms);
	crypto_hash_sha256_update(&st, b, 8);
	b[0] = e->late ? 1 : 0;
	crypto_hash_sha256_update(&st, b, 1);
	crypto_hash_sha256_update(&st, e->content_hash.data, e->content_hash.len);
	for (size_t i = 0; i < 4; i++)
		crypto_hash_sha256_update(&st, (const unsigned char *)strs[i], strlen(strs[i]) + 1);
	crypto_hash_sha256_final(&st, out);
}

/* The chain hash as documented, for an entry of the usual size and one past the one-buffer path. */
static void test_chain_hash_formula(void **state)
{
	Canvass__HistoryEntry e = CANVASS__HISTORY_ENTRY__INIT;
	uint8_t prev[CV_HASH_LEN], content[3000], a[CV_HASH_LEN], b[CV_HASH_LEN];
	char key[TEXT_MAX_KEY + 1];
	(void)state;

	memset(prev, 0x5a, sizeof prev);
	for (size_t i = 0; i < sizeof content; i++)
		content[i] = (uint8_t)(i * 7);
	memset(key, 'k', TEXT_MAX_KEY);
	key[TEXT_MAX_KEY] = '\0';
	e.sequence = 0x0102030405060708ULL;
	e.revision = 3;
	e.stored_at_ms = 1749945600123LL;
	e.late = true;
	e.member = "KE";
	e.questionnaire = "integrity-self-assessment";
	e.cycle = "2025";
	e.idempotency_key = key;
	for (size_t len = 0; len <= sizeof content; len += len < 64 ? 32 : 1000) {
		e.content_hash.data = content;
		e.content_hash.len = len;
		store_chain_hash(&e, prev, a);
		chain_by_the_doc(&e, prev, b);
		assert_memory_equal(a, b, CV_HASH_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_hash_formula),
		cmocka_unit_test_setup_teardown(test_durable_flags, tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_accept_duplicate_conflict_revision,
						tu_store_setup, tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_read_back_and_reopen, tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_second_writer_refused_reader_allowed,
						tu_store_setup, tu_store_teardown),
		cmocka_unit_test(test_map_grows_then_full_at_cap),
		cmocka_unit_test_setup_teardown(test_chain_catches_tampering, tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test(test_key_limits),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
