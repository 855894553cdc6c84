#include "store.h"
#include "store_internal.h"
#include "review.h"
#include "error.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct verify_walk {
	struct store_verify *out;
	uint8_t prev[CV_HASH_LEN];
	struct review_replay *replay;
	int replay_rc;
};

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
	review_replay_close(&w.replay);
	return rc;
}
