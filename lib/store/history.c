#include "store.h"
#include "store_internal.h"
#include "review.h"
#include "error.h"
#include "wire.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Builds "a\0b\0c" into buf; returns its length or 0 when too long. */
size_t store_join_key(char *buf, size_t cap, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
	size_t n = la + 1 + lb + (c ? 1 + lc : 0);
	if (n > cap || n > STORE_MAX_KEY)
		return 0;
	memcpy(buf, a, la + 1);
	memcpy(buf + la + 1, b, lb + (c ? 1 : 0));
	if (c)
		memcpy(buf + la + 1 + lb + 1, c, lc);
	return n;
}

int store_put_check(const struct store_put *p)
{
	char buf[STORE_MAX_KEY + 1];
	if (store_join_key(buf, sizeof buf, p->questionnaire, p->cycle, p->member) == 0 ||
	    store_join_key(buf, sizeof buf, p->member, p->key, NULL) == 0 || p->key[0] == '\0')
		return CV_EINVAL;
	return 0;
}

void store_chain_hash(const Canvass__HistoryEntry *e, const uint8_t prev[CV_HASH_LEN],
		      uint8_t out[CV_HASH_LEN])
{
	crypto_hash_sha256_state st;
	uint8_t fixed[CV_HASH_LEN + 8 + 4 + 8 + 1], one[1024];
	const char *strs[] = {e->member, e->questionnaire, e->cycle, e->idempotency_key};
	size_t lens[4], total = sizeof fixed + e->content_hash.len, k;

	memcpy(fixed, prev, CV_HASH_LEN);
	cv_put_be64(fixed + CV_HASH_LEN, e->sequence);
	cv_put_be32(fixed + CV_HASH_LEN + 8, e->revision);
	cv_put_be64(fixed + CV_HASH_LEN + 12, (uint64_t)e->stored_at_ms);
	fixed[CV_HASH_LEN + 20] = e->late ? 1 : 0;
	for (size_t i = 0; i < 4; i++)
		total += lens[i] = strlen(strs[i]) + 1;
	if (total <= sizeof one) {
		/* The usual entry: the same bytes in one buffer, one cv_sha256. */
		memcpy(one, fixed, sizeof fixed);
		k = sizeof fixed;
		if (e->content_hash.len > 0)
			memcpy(one + k, e->content_hash.data, e->content_hash.len);
		k += e->content_hash.len;
		for (size_t i = 0; i < 4; i++) {
			memcpy(one + k, strs[i], lens[i]);
			k += lens[i];
		}
		cv_sha256(one, k, out);
		return;
	}
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, fixed, sizeof fixed);
	crypto_hash_sha256_update(&st, e->content_hash.data, e->content_hash.len);
	for (size_t i = 0; i < 4; i++)
		crypto_hash_sha256_update(&st, (const unsigned char *)strs[i], lens[i]);
	crypto_hash_sha256_final(&st, out);
}

/* The history entry at seq, decoded (*out the caller's). */
int store_read_entry(MDB_txn *txn, struct store *s, uint64_t seq, Canvass__HistoryEntry **out)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	int mrc;

	*out = NULL;
	cv_put_be64(kb, seq);
	if ((mrc = mdb_get(txn, s->history, &k, &v)) != 0)
		return mrc == MDB_NOTFOUND ? CV_ECORRUPT : store_map_err(mrc);
	return wire_decode_history(v.mv_data, v.mv_size, out) == 0 ? 0 : CV_ECORRUPT;
}

/*
 * A key used before: the entry stored under it when its content hash is
 * hash (*dup, the caller's: a DUPLICATE), else *dup NULL (a CONFLICT).
 */
int store_original(MDB_txn *txn, struct store *s, uint64_t seq, const uint8_t *hash,
		   Canvass__HistoryEntry **dup)
{
	int rc = store_read_entry(txn, s, seq, dup);

	if (rc != 0)
		return rc;
	if ((*dup)->content_hash.len != CV_HASH_LEN || (*dup)->chain_hash.len != CV_HASH_LEN) {
		WIRE_FREE(*dup);
		return CV_ECORRUPT;
	}
	if (memcmp((*dup)->content_hash.data, hash, CV_HASH_LEN) != 0)
		WIRE_FREE(*dup);
	return 0;
}

/* Fills p's receipt from a stored entry (a duplicate's store_original). */
static int receipt_from(MDB_txn *txn, struct store *s, uint64_t seq, struct store_put *p)
{
	Canvass__HistoryEntry *e;
	int rc = store_original(txn, s, seq, p->content_hash, &e);

	if (rc != 0)
		return rc;
	p->status = e != NULL ? CANVASS__STATUS__DUPLICATE : CANVASS__STATUS__CONFLICT;
	if (e != NULL) {
		p->sequence = e->sequence;
		p->revision = e->revision;
		memcpy(p->chain_hash, e->chain_hash.data, CV_HASH_LEN);
		p->stored_at_ms = e->stored_at_ms;
		p->late = e->late;
	}
	WIRE_FREE(e);
	return 0;
}

/*
 * Chains e after the head (prev_chain_hash, chain_hash into chain) and
 * appends it to the history at its sequence. 0 or a canvass code.
 */
int store_append_entry(MDB_txn *txn, struct store *s, Canvass__HistoryEntry *e,
		       uint8_t head_chain[CV_HASH_LEN], uint8_t chain[CV_HASH_LEN])
{
	uint8_t seqb[8], *packed;
	size_t plen;
	MDB_val k = {8, seqb}, v;
	int mrc, rc;

	e->prev_chain_hash.data = head_chain;
	e->prev_chain_hash.len = CV_HASH_LEN;
	store_chain_hash(e, head_chain, chain);
	e->chain_hash.data = chain;
	e->chain_hash.len = CV_HASH_LEN;
	if ((rc = wire_pack(&e->base, &packed, &plen)) != 0)
		return rc;
	cv_put_be64(seqb, e->sequence);
	v.mv_size = plen;
	v.mv_data = packed;
	mrc = mdb_put(txn, s->history, &k, &v, MDB_APPEND);
	free(packed);
	return mrc == 0 ? 0 : store_map_err(mrc);
}

static int put_one(MDB_txn *txn, struct store *s, struct store_put *p, uint64_t *head_seq,
		   uint8_t head_chain[CV_HASH_LEN], int64_t now_ms)
{
	char ckey[STORE_MAX_KEY + 1], ikey[STORE_MAX_KEY + 1];
	uint8_t seqb[8], curb[12];
	size_t ck = store_join_key(ckey, sizeof ckey, p->questionnaire, p->cycle, p->member);
	size_t ik = store_join_key(ikey, sizeof ikey, p->member, p->key, NULL);
	MDB_val k, v;
	Canvass__HistoryEntry e = CANVASS__HISTORY_ENTRY__INIT;
	Canvass__ReturnStatus *rv = NULL;
	uint64_t prev_seq = 0;
	int mrc, rc;

	if (ck == 0 || ik == 0)
		return CV_EINVAL;
	k.mv_size = ik;
	k.mv_data = ikey;
	mrc = mdb_get(txn, s->idem, &k, &v);
	if (mrc == 0) {
		if (v.mv_size != 8)
			return CV_ECORRUPT;
		return receipt_from(txn, s, cv_get_be64(v.mv_data), p);
	}
	if (mrc != MDB_NOTFOUND)
		return store_map_err(mrc);

	p->revision = 1;
	k.mv_size = ck;
	k.mv_data = ckey;
	mrc = mdb_get(txn, s->current, &k, &v);
	if (mrc == 0) {
		if (v.mv_size != 12)
			return CV_ECORRUPT;
		prev_seq = cv_get_be64(v.mv_data);
		p->revision = cv_get_be32((const uint8_t *)v.mv_data + 8) + 1;
	} else if (mrc != MDB_NOTFOUND) {
		return store_map_err(mrc);
	}

	p->sequence = *head_seq + 1;
	p->stored_at_ms = now_ms;
	/* A reviewed return: the revision is a step of its review state. */
	if (prev_seq != 0 && (rc = store_get_review(txn, s, ckey, ck, &rv)) != 0)
		return rc;
	if (rv != NULL) {
		struct review_event ev = {.kind = REVIEW_EV_REVISION,
					  .seq = p->sequence,
					  .at_ms = now_ms,
					  .revision = p->revision};
		char why[160];
		rc = review_step(rv, &ev, why, sizeof why);
		if (rc == CANVASS__STATUS__LOCKED) {
			review_free(&rv);
			p->status = CANVASS__STATUS__LOCKED;
			p->sequence = 0;
			p->revision = 0;
			return 0;
		}
		if (rc != 0) {
			review_free(&rv);
			return rc;
		}
	}
	e.sequence = p->sequence;
	e.revision = p->revision;
	e.member = (char *)(uintptr_t)p->member;
	e.questionnaire = (char *)(uintptr_t)p->questionnaire;
	e.cycle = (char *)(uintptr_t)p->cycle;
	e.idempotency_key = (char *)(uintptr_t)p->key;
	e.content_hash.data = (uint8_t *)(uintptr_t)p->content_hash;
	e.content_hash.len = CV_HASH_LEN;
	e.received_at_ms = p->received_at_ms;
	e.late = p->late;
	e.stored_at_ms = now_ms;
	e.submission.data = (uint8_t *)(uintptr_t)p->submission;
	e.submission.len = p->submission_len;
	e.previous_sequence = prev_seq;
	if ((rc = store_append_entry(txn, s, &e, head_chain, p->chain_hash)) != 0) {
		review_free(&rv);
		return rc;
	}
	cv_put_be64(seqb, p->sequence);
	mrc = rv != NULL ? store_put_review(txn, s, ckey, ck, rv) : 0;
	review_free(&rv);
	if (mrc != 0)
		return store_map_err(mrc);

	cv_put_be64(curb, p->sequence);
	cv_put_be32(curb + 8, p->revision);
	k.mv_size = ck;
	k.mv_data = ckey;
	v.mv_size = 12;
	v.mv_data = curb;
	if ((mrc = mdb_put(txn, s->current, &k, &v, 0)) != 0)
		return store_map_err(mrc);
	k.mv_size = ik;
	k.mv_data = ikey;
	v.mv_size = 8;
	v.mv_data = seqb;
	if ((mrc = mdb_put(txn, s->idem, &k, &v, MDB_NOOVERWRITE)) != 0)
		return store_map_err(mrc);

	p->status = CANVASS__STATUS__ACCEPTED;
	*head_seq = p->sequence;
	memcpy(head_chain, p->chain_hash, CV_HASH_LEN);
	return 0;
}

struct batch {
	struct store_put *items;
	size_t n;
};

static int put_all(MDB_txn *txn, struct store *s, uint64_t *head_seq,
		   uint8_t head_chain[CV_HASH_LEN], int64_t now_ms, void *arg)
{
	struct batch *b = arg;
	int rc = 0;
	for (size_t i = 0; i < b->n && rc == 0; i++)
		rc = put_one(txn, s, &b->items[i], head_seq, head_chain, now_ms);
	return rc;
}

int store_put_batch(struct store *s, struct store_put *items, size_t n)
{
	struct batch b = {items, n};
	int rc = store_write_txn(s, put_all, &b);

	if (rc == CV_EBATCH && n > 1) {
		/* More than one transaction holds: two halves, each durable. */
		size_t half = n / 2;
		s->splits++;
		rc = store_put_batch(s, items, half);
		if (rc == 0)
			rc = store_put_batch(s, items + half, n - half);
	}
	return rc;
}
