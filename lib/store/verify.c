#include "store.h"
#include "store_internal.h"
#include "review.h"
#include "error.h"
#include "util.h"
#include "wire.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The indexes as the history says they must be: one record per entry that
 * writes a row (a submission: its current and idem rows; a review action:
 * its idem row), sorted and compared with the tables after the walk.
 */
struct ix_rec {
	size_t koff, ckoff;        /* into the walk's key bytes, during the walk */
	const uint8_t *key, *ckey; /* its idem key; its return (q \0 c \0 m), after it */
	uint16_t klen, cklen;
	bool review;        /* a review action (its idem row only) */
	uint32_t revision;  /* the revision the entry names */
	uint64_t seq, prev; /* the entry's sequence and previous_sequence */
};

struct verify_walk {
	struct store_verify *out;
	uint8_t prev[CV_HASH_LEN];
	struct review_replay *replay;
	int replay_rc;
	struct ix_rec *ix; /* in history order */
	size_t n_ix, cap_ix;
	uint8_t *keys; /* every record's two keys, one after the other */
	size_t n_keys, cap_keys;
	int ix_rc;
};

/* Records what e writes in the indexes (nothing when it cannot be keyed: damage). */
static void index_entry(struct verify_walk *w, const Canvass__HistoryEntry *e)
{
	struct ix_rec r = {.seq = e->sequence,
			   .prev = e->previous_sequence,
			   .revision = e->revision,
			   .review = e->review.len > 0};
	char ck[STORE_MAX_KEY + 1], ik[STORE_MAX_KEY + 1];
	size_t ckl = store_join_key(ck, sizeof ck, e->questionnaire, e->cycle, e->member), ikl;

	if (w->ix_rc != 0)
		return;
	if (r.review) {
		Canvass__ReviewAction *a = NULL;
		size_t rl;
		a = canvass__review_action__unpack(NULL, e->review.len, e->review.data);
		if (a == NULL) {
			w->ix_rc = CV_ECORRUPT;
			return;
		}
		/* \1 reviewer \0 action id, as the store keys a review action. */
		rl = strlen(a->reviewer);
		ikl = 2 + rl + strlen(e->idempotency_key);
		if (ikl <= STORE_MAX_KEY) {
			ik[0] = '\1';
			memcpy(ik + 1, a->reviewer, rl + 1);
			memcpy(ik + 2 + rl, e->idempotency_key, ikl - 2 - rl);
		} else {
			ikl = 0;
		}
		canvass__review_action__free_unpacked(a, NULL);
	} else {
		ikl = store_join_key(ik, sizeof ik, e->member, e->idempotency_key, NULL);
	}
	if (ckl == 0 || ikl == 0) {
		w->ix_rc = CV_ECORRUPT;
		return;
	}
	if (cv_reserve(&w->ix, &w->cap_ix, w->n_ix, sizeof *w->ix) != 0) {
		w->ix_rc = CV_ENOMEM;
		return;
	}
	while (w->n_keys + ikl + ckl > w->cap_keys) /* doubling until both keys fit */
		if (cv_reserve(&w->keys, &w->cap_keys, w->cap_keys, 1) != 0) {
			w->ix_rc = CV_ENOMEM;
			return;
		}
	r.koff = w->n_keys;
	r.klen = (uint16_t)ikl;
	memcpy(w->keys + w->n_keys, ik, ikl);
	w->n_keys += ikl;
	r.ckoff = w->n_keys;
	r.cklen = (uint16_t)ckl;
	memcpy(w->keys + w->n_keys, ck, ckl);
	w->n_keys += ckl;
	w->ix[w->n_ix++] = r;
}

static int verify_one(const Canvass__HistoryEntry *e, void *arg)
{
	struct verify_walk *w = arg;
	struct store_verify *out = w->out;
	uint8_t h[CV_HASH_LEN];
	uint64_t want = out->entries + 1;
	const char *why = NULL;

	if (e->sequence != want)
		why = "sequence gap: an entry is missing or out of place";
	else if (e->content_hash.len != CV_HASH_LEN || e->chain_hash.len != CV_HASH_LEN ||
		 e->prev_chain_hash.len != CV_HASH_LEN)
		why = "malformed hashes";
	else if (memcmp(e->prev_chain_hash.data, w->prev, CV_HASH_LEN) != 0)
		why = "previous chain hash does not match the entry before";
	else if (e->review.len > 0 && e->submission.len > 0)
		why = "both a submission and a review action";
	if (why == NULL && e->review.len > 0) {
		review_content_hash(e->review.data, e->review.len, h);
		if (memcmp(h, e->content_hash.data, CV_HASH_LEN) != 0)
			why = "review action does not match its content hash (edited action)";
	} else if (why == NULL) {
		cv_sha256(e->submission.data, e->submission.len, h);
		if (memcmp(h, e->content_hash.data, CV_HASH_LEN) != 0)
			why = "content does not match its content hash (edited submission)";
	}
	if (why == NULL) {
		store_chain_hash(e, w->prev, h);
		if (memcmp(h, e->chain_hash.data, CV_HASH_LEN) != 0)
			why = "chain hash does not match the entry (edited entry)";
	}
	if (why != NULL) {
		out->first_bad = want;
		snprintf(out->reason, sizeof out->reason, "%s", why);
		return 1; /* stop at the first broken link */
	}
	memcpy(w->prev, e->chain_hash.data, CV_HASH_LEN);
	out->entries++;
	index_entry(w, e);
	if (w->replay_rc == 0 && out->review_problem[0] == '\0') {
		char step[160];
		int rc = review_replay_entry(w->replay, e, step, sizeof step);
		if (rc == CV_ECORRUPT)
			snprintf(out->review_problem, sizeof out->review_problem,
				 "%.16s %.48s %.24s: %s", e->member, e->questionnaire, e->cycle,
				 step);
		else if (rc != 0)
			w->replay_rc = rc;
	}
	return 0;
}

/* Each review row must equal the replay of the history, byte for byte. */
struct table_check {
	struct store_view *v;
	struct review_replay *replay;
	struct store_verify *out;
};

static int same_state(const Canvass__ReturnStatus *a, const Canvass__ReturnStatus *b)
{
	uint8_t *pa = NULL, *pb = NULL;
	size_t la, lb;
	int same = wire_pack(&a->base, &pa, &la) == 0 && wire_pack(&b->base, &pb, &lb) == 0 &&
		   la == lb && memcmp(pa, pb, la) == 0;
	free(pa);
	free(pb);
	return same;
}

static int check_replayed(const char *q, const char *c, const char *m,
			  const Canvass__ReturnStatus *st, void *arg)
{
	struct table_check *t = arg;
	Canvass__ReturnStatus *row = NULL;
	int rc = store_view_review(t->v, q, c, m, &row);

	if (rc != 0)
		return rc;
	if (row == NULL || !same_state(row, st)) {
		snprintf(t->out->review_problem, sizeof t->out->review_problem,
			 "%.16s %.48s %.24s: the review table %s the history's actions", m, q, c,
			 row == NULL ? "lacks a row for" : "differs from");
		review_free(&row);
		return 1;
	}
	review_free(&row);
	t->out->reviewed++;
	return 0;
}

/* A row for a return the history has no action on. */
static int check_row(struct table_check *t)
{
	MDB_cursor *cur;
	MDB_val k, val;
	int mrc;

	if (!t->v->s->has_review)
		return 0;
	if ((mrc = mdb_cursor_open(t->v->txn, t->v->s->review, &cur)) != 0)
		return store_map_err(mrc);
	for (mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		char key[STORE_MAX_KEY + 1];
		const char *c, *m;
		if (k.mv_size > STORE_MAX_KEY)
			break;
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		c = key + strlen(key) + 1;
		m = (size_t)(c - key) < k.mv_size ? c + strlen(c) + 1 : c;
		if ((size_t)(m - key) > k.mv_size ||
		    review_replay_get(t->replay, key, c, m) == NULL) {
			snprintf(
				t->out->review_problem, sizeof t->out->review_problem,
				"the review table has a row the history has no action for (%.200s)",
				key);
			break;
		}
	}
	mdb_cursor_close(cur);
	return 0;
}

/* LMDB's default order of keys: bytes, then the shorter first. */
static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c != 0 ? c : al < bl ? -1 : al > bl;
}

static int by_return(const void *x, const void *y)
{
	const struct ix_rec *a = x, *b = y;
	int c = key_cmp(a->ckey, a->cklen, b->ckey, b->cklen);
	return c != 0 ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int by_idem(const void *x, const void *y)
{
	const struct ix_rec *a = x, *b = y;
	return key_cmp(a->key, a->klen, b->key, b->klen);
}

/* The first difference into out->index_problem (when there is none yet). */
static void index_wrong(struct store_verify *out, const char *before, const void *key, size_t klen,
			const char *after)
{
	char k[STORE_MAX_KEY + 1];
	if (out->index_problem[0] != '\0')
		return;
	/* The key's NULs as spaces, its \1 as '!': readable, never cut at a NUL. */
	for (size_t i = 0; i < klen && i < STORE_MAX_KEY; i++) {
		uint8_t c = ((const uint8_t *)key)[i];
		k[i] = c == 0 ? ' ' : c < 0x20 ? '!' : (char)c;
	}
	k[klen < STORE_MAX_KEY ? klen : STORE_MAX_KEY] = '\0';
	snprintf(out->index_problem, sizeof out->index_problem, "%s%.200s%s", before, k, after);
}

/*
 * Each return's entries in order: revisions 1, 2, ... and every entry's
 * previous_sequence (a revision's: the revision before; an action's: the
 * revision in force), then the current table row by row.
 */
static int check_current(struct store_view *v, struct ix_rec *ix, size_t n,
			 struct store_verify *out)
{
	MDB_cursor *cur;
	MDB_val k, val;
	size_t i = 0;
	int mrc;

	qsort(ix, n, sizeof *ix, by_return);
	if ((mrc = mdb_cursor_open(v->txn, v->s->current, &cur)) != 0)
		return store_map_err(mrc);
	mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST);
	while (i < n && out->index_problem[0] == '\0') {
		size_t end = i;
		uint64_t latest = 0;
		uint32_t rev = 0;
		for (;
		     end < n && key_cmp(ix[i].ckey, ix[i].cklen, ix[end].ckey, ix[end].cklen) == 0;
		     end++) {
			const struct ix_rec *r = &ix[end];
			if (!r->review)
				rev++;
			/* A revision follows the one before (0: none); an action, the one in force.
			 */
			if (r->revision != rev || r->prev != latest)
				index_wrong(
					out, "history: ", r->ckey, r->cklen,
					": an entry names the wrong revision or previous entry");
			if (!r->review)
				latest = r->seq;
		}
		if (rev > 0) {
			uint8_t want[12];
			cv_put_be64(want, latest);
			cv_put_be32(want + 8, rev);
			if (mrc != 0 || key_cmp(k.mv_data, k.mv_size, ix[i].ckey, ix[i].cklen) != 0)
				index_wrong(out, "current: no row, or another, for ", ix[i].ckey,
					    ix[i].cklen, "");
			else if (val.mv_size != 12 || memcmp(val.mv_data, want, 12) != 0)
				index_wrong(out, "current: the row of ", ix[i].ckey, ix[i].cklen,
					    " points at another entry than its latest revision");
			else
				out->indexed++;
			if (mrc == 0)
				mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT);
		}
		i = end;
	}
	if (out->index_problem[0] == '\0' && mrc == 0)
		index_wrong(out, "current: a row the history has no revision for (", k.mv_data,
			    k.mv_size, ")");
	mdb_cursor_close(cur);
	return 0;
}

/* The idem table row by row: every key the history used, at its entry. */
static int check_idem(struct store_view *v, struct ix_rec *ix, size_t n, struct store_verify *out)
{
	MDB_cursor *cur;
	MDB_val k, val;
	int mrc;

	qsort(ix, n, sizeof *ix, by_idem);
	if ((mrc = mdb_cursor_open(v->txn, v->s->idem, &cur)) != 0)
		return store_map_err(mrc);
	mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST);
	for (size_t i = 0; i < n && out->index_problem[0] == '\0'; i++) {
		uint8_t want[8];
		if (i > 0 && by_idem(&ix[i - 1], &ix[i]) == 0) {
			index_wrong(out, "history: the key ", ix[i].key, ix[i].klen,
				    " is used by two entries");
			break;
		}
		cv_put_be64(want, ix[i].seq);
		if (mrc != 0 || key_cmp(k.mv_data, k.mv_size, ix[i].key, ix[i].klen) != 0)
			index_wrong(out, "idem: no row, or another, for ", ix[i].key, ix[i].klen,
				    "");
		else if (val.mv_size != 8 || memcmp(val.mv_data, want, 8) != 0)
			index_wrong(out, "idem: the row of ", ix[i].key, ix[i].klen,
				    " points at another entry");
		if (mrc == 0)
			mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT);
	}
	if (out->index_problem[0] == '\0' && mrc == 0)
		index_wrong(out, "idem: a row the history never used (", k.mv_data, k.mv_size, ")");
	mdb_cursor_close(cur);
	return 0;
}

int store_verify(struct store_view *v, struct store_verify *out)
{
	struct verify_walk w = {.out = out};
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = review_replay_open(&w.replay)) != 0)
		return rc;
	rc = store_view_each_history(v, verify_one, &w);
	if (rc == 1) {
		rc = 0;
	} else if (rc == CV_ECORRUPT) {
		/* An entry that does not even decode. */
		out->first_bad = out->entries + 1;
		snprintf(out->reason, sizeof out->reason, "entry does not decode");
		rc = 0;
	} else if (rc == 0 && w.replay_rc != 0) {
		rc = w.replay_rc;
	} else if (rc == 0 && out->review_problem[0] == '\0') {
		struct table_check t = {.v = v, .replay = w.replay, .out = out};
		rc = review_replay_each(w.replay, check_replayed, &t);
		if (rc == 1)
			rc = 0;
		if (rc == 0 && out->review_problem[0] == '\0')
			rc = check_row(&t);
	}
	if (rc == 0 && out->first_bad == 0 && w.ix_rc != 0 && w.ix_rc != CV_ECORRUPT)
		rc = w.ix_rc;
	if (rc == 0 && out->first_bad == 0 && w.ix_rc == CV_ECORRUPT)
		snprintf(out->index_problem, sizeof out->index_problem,
			 "history: an entry cannot be keyed (damaged fields)");
	for (size_t i = 0; i < w.n_ix; i++) { /* the key bytes are where they stay now */
		w.ix[i].key = w.keys + w.ix[i].koff;
		w.ix[i].ckey = w.keys + w.ix[i].ckoff;
	}
	if (rc == 0 && out->first_bad == 0 && out->index_problem[0] == '\0')
		rc = check_current(v, w.ix, w.n_ix, out);
	if (rc == 0 && out->first_bad == 0 && out->index_problem[0] == '\0')
		rc = check_idem(v, w.ix, w.n_ix, out);
	free(w.ix);
	free(w.keys);
	review_replay_close(&w.replay);
	return rc;
}
