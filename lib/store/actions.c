#include "store.h"
#include "store_internal.h"
#include "review.h"
#include "error.h"
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The review row of a return (key "q\0c\0m"); *out NULL when it has none. */
int store_get_review(MDB_txn *txn, struct store *s, const char *key, size_t kl,
		     Canvass__ReturnStatus **out)
{
	MDB_val k = {kl, (void *)(uintptr_t)key}, v;
	int mrc;

	*out = NULL;
	if (!s->has_review)
		return 0;
	mrc = mdb_get(txn, s->review, &k, &v);
	if (mrc == MDB_NOTFOUND)
		return 0;
	if (mrc != 0)
		return store_map_err(mrc);
	*out = canvass__return_status__unpack(NULL, v.mv_size, v.mv_data);
	if (*out == NULL)
		return CV_ECORRUPT;
	/* Read like wire input: a state the enum has not is a damaged row (proto3
	 * enums are open: protobuf-c keeps any number). */
	if ((*out)->state < CANVASS__RETURN_STATE__SUBMITTED ||
	    (*out)->state > CANVASS__RETURN_STATE__APPROVED) {
		review_free(out);
		return CV_ECORRUPT;
	}
	return 0;
}

/* Writes a return's review row; an LMDB code. */
int store_put_review(MDB_txn *txn, struct store *s, const char *key, size_t kl,
		     const Canvass__ReturnStatus *st)
{
	uint8_t *buf;
	size_t len;
	MDB_val k = {kl, (void *)(uintptr_t)key}, v;
	int mrc;

	if (wire_pack(&st->base, &buf, &len) != 0)
		return ENOMEM;
	v.mv_size = len;
	v.mv_data = buf;
	mrc = mdb_put(txn, s->review, &k, &v, 0);
	free(buf);
	return mrc;
}

/* The outcome of an action whose id was used before: the store_original's receipt. */
static int review_duplicate(MDB_txn *txn, struct store *s, uint64_t seq,
			    const uint8_t hash[CV_HASH_LEN], struct store_review *r)
{
	Canvass__HistoryEntry *e;
	int rc = store_original(txn, s, seq, hash, &e);

	if (rc != 0)
		return rc;
	r->status = e != NULL ? CANVASS__STATUS__DUPLICATE : CANVASS__STATUS__CONFLICT;
	if (e != NULL) {
		r->sequence = e->sequence;
		r->revision = e->revision;
		memcpy(r->chain_hash, e->chain_hash.data, CV_HASH_LEN);
		r->stored_at_ms = e->stored_at_ms;
	} else {
		snprintf(r->why, sizeof r->why,
			 "this action id was used before for another action");
	}
	WIRE_FREE(e);
	return 0;
}

static int act_one(MDB_txn *txn, struct store *s, uint64_t *head_seq,
		   uint8_t head_chain[CV_HASH_LEN], int64_t now_ms, void *arg)
{
	struct store_review *r = arg;
	const Canvass__ReviewAction *a = r->action;
	char ckey[STORE_MAX_KEY + 1], ikey[STORE_MAX_KEY + 1];
	size_t ck = store_join_key(ckey, sizeof ckey, a->questionnaire, a->cycle, a->member);
	size_t rl = strlen(a->reviewer), il = 1 + rl + 1 + strlen(a->action_id);
	uint8_t seqb[8], hash[CV_HASH_LEN], *action = NULL;
	size_t alen;
	Canvass__HistoryEntry e = CANVASS__HISTORY_ENTRY__INIT;
	Canvass__ReturnStatus *st = NULL;
	MDB_val k, v;
	uint64_t cur_seq;
	int mrc, rc;

	review_free(&r->state);
	r->status = 0;
	r->why[0] = '\0';
	if (ck == 0 || il > STORE_MAX_KEY || a->reviewer[0] == '\0')
		return CV_EINVAL;
	/* The idempotency key of an action: \1 reviewer \0 action id (no member
	 * code starts with \1). */
	ikey[0] = '\1';
	memcpy(ikey + 1, a->reviewer, rl + 1);
	memcpy(ikey + 2 + rl, a->action_id, il - 2 - rl);
	if ((rc = wire_pack(&a->base, &action, &alen)) != 0)
		return rc;
	review_content_hash(action, alen, hash);
	k.mv_size = il;
	k.mv_data = ikey;
	mrc = mdb_get(txn, s->idem, &k, &v);
	if (mrc == 0) {
		free(action);
		if (v.mv_size != 8)
			return CV_ECORRUPT;
		if ((rc = review_duplicate(txn, s, cv_get_be64(v.mv_data), hash, r)) != 0)
			return rc;
		if (r->status == CANVASS__STATUS__DUPLICATE &&
		    (rc = store_get_review(txn, s, ckey, ck, &r->state)) != 0)
			return rc;
		return 0;
	}
	if (mrc != MDB_NOTFOUND) {
		free(action);
		return store_map_err(mrc);
	}
	k.mv_size = ck;
	k.mv_data = ckey;
	mrc = mdb_get(txn, s->current, &k, &v);
	if (mrc == MDB_NOTFOUND) {
		free(action);
		r->status = CANVASS__STATUS__NOT_FOUND;
		snprintf(r->why, sizeof r->why, "%.16s has no return for %.64s %.32s", a->member,
			 a->questionnaire, a->cycle);
		return 0;
	}
	if (mrc != 0 || v.mv_size != 12) {
		free(action);
		return mrc != 0 ? store_map_err(mrc) : CV_ECORRUPT;
	}
	cur_seq = cv_get_be64(v.mv_data);
	r->revision = cv_get_be32((const uint8_t *)v.mv_data + 8);
	if ((rc = store_get_review(txn, s, ckey, ck, &st)) != 0 ||
	    (st == NULL && (st = review_new()) == NULL)) {
		free(action);
		return rc != 0 ? rc : CV_ENOMEM;
	}
	{
		struct review_event ev = {.kind = REVIEW_EV_ACTION,
					  .seq = *head_seq + 1,
					  .at_ms = now_ms,
					  .action = a};
		rc = review_step(st, &ev, r->why, sizeof r->why);
	}
	if (rc != 0) {
		free(action);
		review_free(&st);
		if (rc < 0)
			return rc;
		r->status = rc; /* WRONG_STATE: nothing written */
		return 0;
	}
	r->sequence = *head_seq + 1;
	r->stored_at_ms = now_ms;
	e.sequence = r->sequence;
	e.revision = r->revision;
	e.member = a->member;
	e.questionnaire = a->questionnaire;
	e.cycle = a->cycle;
	e.idempotency_key = a->action_id;
	e.content_hash.data = hash;
	e.content_hash.len = CV_HASH_LEN;
	e.received_at_ms = now_ms;
	e.stored_at_ms = now_ms;
	e.review.data = action;
	e.review.len = alen;
	e.previous_sequence = cur_seq;
	rc = store_append_entry(txn, s, &e, head_chain, r->chain_hash);
	free(action);
	if (rc != 0) {
		review_free(&st);
		return rc;
	}
	cv_put_be64(seqb, r->sequence);
	mrc = store_put_review(txn, s, ckey, ck, st);
	if (mrc == 0) {
		k.mv_size = il;
		k.mv_data = ikey;
		v.mv_size = 8;
		v.mv_data = seqb;
		mrc = mdb_put(txn, s->idem, &k, &v, MDB_NOOVERWRITE);
	}
	if (mrc != 0) {
		review_free(&st);
		return store_map_err(mrc);
	}
	r->status = CANVASS__STATUS__ACCEPTED;
	r->state = st;
	*head_seq = r->sequence;
	memcpy(head_chain, r->chain_hash, CV_HASH_LEN);
	return 0;
}

int store_review_act(struct store *s, struct store_review *r)
{
	int rc = store_write_txn(s, act_one, r);
	if (rc != 0) {
		/* Nothing was committed: no outcome, whatever the transaction had set. */
		review_free(&r->state);
		r->status = 0;
		r->sequence = 0;
	}
	return rc;
}
