#include "store.h"
#include "store_internal.h"
#include "error.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int store_view_open(struct store *s, struct store_view **out)
{
	struct store_view *v = calloc(1, sizeof *v);
	int mrc, rc;

	*out = NULL;
	if (v == NULL)
		return CV_ENOMEM;
	v->s = s;
	mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &v->txn);
	if (mrc == MDB_MAP_RESIZED) {
		/* The writer grew the map since we opened it: adopt its size. */
		mdb_env_set_mapsize(s->env, 0);
		mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &v->txn);
	}
	if (mrc != 0) {
		free(v);
		return store_map_err(mrc);
	}
	if ((rc = store_read_head(s, v->txn, &v->head_seq, v->head_chain)) != 0) {
		store_view_close(&v);
		return rc;
	}
	*out = v;
	return 0;
}

void store_view_close(struct store_view **vp)
{
	if (vp == NULL || *vp == NULL)
		return;
	if ((*vp)->txn != NULL)
		mdb_txn_abort((*vp)->txn);
	free(*vp);
	*vp = NULL;
}

void store_view_head(const struct store_view *v, uint64_t *seq, uint8_t chain[CV_HASH_LEN])
{
	*seq = v->head_seq;
	memcpy(chain, v->head_chain, CV_HASH_LEN);
}

static int get_entry(struct store_view *v, uint64_t seq, Canvass__HistoryEntry **out)
{
	return store_read_entry(v->txn, v->s, seq, out);
}

int store_view_each_current_raw(struct store_view *v, const char *questionnaire, const char *cycle,
				store_raw_fn fn, void *arg)
{
	char prefix[STORE_MAX_KEY + 1];
	size_t plen = store_join_key(prefix, sizeof prefix - 1, questionnaire, cycle, "");
	MDB_cursor *cur;
	MDB_val k, val;
	int mrc, rc = 0;

	if (plen == 0)
		return CV_EINVAL;
	if ((mrc = mdb_cursor_open(v->txn, v->s->current, &cur)) != 0)
		return store_map_err(mrc);
	k.mv_size = plen;
	k.mv_data = prefix;
	for (mrc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		uint8_t kb[8];
		MDB_val hk = {8, kb}, hv;
		char member[STORE_MAX_KEY + 1];
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if (val.mv_size != 12 || k.mv_size > STORE_MAX_KEY) {
			rc = CV_ECORRUPT;
			break;
		}
		memcpy(member, (const char *)k.mv_data + plen, k.mv_size - plen);
		member[k.mv_size - plen] = '\0';
		memcpy(kb, val.mv_data, 8);
		if ((mrc = mdb_get(v->txn, v->s->history, &hk, &hv)) != 0) {
			rc = mrc == MDB_NOTFOUND ? CV_ECORRUPT : store_map_err(mrc);
			mrc = 0;
			break;
		}
		if ((rc = fn(member, hv.mv_data, hv.mv_size, arg)) != 0)
			break;
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_map_err(mrc);
	mdb_cursor_close(cur);
	return rc;
}

/* store_view_each_current's step: the entry decoded, then the caller's function. */
struct decode_walk {
	store_entry_fn fn;
	void *arg;
	const char *questionnaire, *cycle;
};

static int decode_one(const char *member, const uint8_t *entry, size_t len, void *arg)
{
	struct decode_walk *w = arg;
	Canvass__HistoryEntry *e;
	int rc;
	if (wire_decode_history(entry, len, &e) != 0)
		return CV_ECORRUPT;
	/* An index row that points at another return's entry is damage. */
	if (e->review.len > 0 || strcmp(e->member, member) != 0 ||
	    strcmp(e->questionnaire, w->questionnaire) != 0 || strcmp(e->cycle, w->cycle) != 0) {
		WIRE_FREE(e);
		return CV_ECORRUPT;
	}
	rc = w->fn(e, w->arg);
	WIRE_FREE(e);
	return rc;
}

int store_view_each_current(struct store_view *v, const char *questionnaire, const char *cycle,
			    store_entry_fn fn, void *arg)
{
	struct decode_walk w = {fn, arg, questionnaire, cycle};
	return store_view_each_current_raw(v, questionnaire, cycle, decode_one, &w);
}

int store_view_each_history(struct store_view *v, store_entry_fn fn, void *arg)
{
	MDB_cursor *cur;
	MDB_val k, val;
	int mrc, rc = 0;

	if ((mrc = mdb_cursor_open(v->txn, v->s->history, &cur)) != 0)
		return store_map_err(mrc);
	for (mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		Canvass__HistoryEntry *e;
		if (wire_decode_history(val.mv_data, val.mv_size, &e) != 0) {
			rc = CV_ECORRUPT;
			break;
		}
		rc = fn(e, arg);
		WIRE_FREE(e);
		if (rc != 0)
			break;
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_map_err(mrc);
	mdb_cursor_close(cur);
	return rc;
}

int store_view_current(struct store_view *v, const char *questionnaire, const char *cycle,
		       const char *member, Canvass__HistoryEntry **out)
{
	char key[STORE_MAX_KEY + 1];
	size_t kl = store_join_key(key, sizeof key, questionnaire, cycle, member);
	MDB_val k = {kl, key}, val;
	int mrc;

	*out = NULL;
	if (kl == 0)
		return CV_EINVAL;
	mrc = mdb_get(v->txn, v->s->current, &k, &val);
	if (mrc == MDB_NOTFOUND)
		return CV_ENOTFOUND;
	if (mrc != 0)
		return store_map_err(mrc);
	if (val.mv_size != 12)
		return CV_ECORRUPT;
	return get_entry(v, cv_get_be64(val.mv_data), out);
}

int store_view_entry(struct store_view *v, uint64_t seq, Canvass__HistoryEntry **out)
{
	int rc;
	*out = NULL;
	rc = get_entry(v, seq, out);
	if (rc == CV_ECORRUPT && *out == NULL && (seq == 0 || seq > v->head_seq))
		return CV_ENOTFOUND;
	return rc;
}

int store_view_review(struct store_view *v, const char *questionnaire, const char *cycle,
		      const char *member, Canvass__ReturnStatus **out)
{
	char key[STORE_MAX_KEY + 1];
	size_t kl = store_join_key(key, sizeof key, questionnaire, cycle, member);

	*out = NULL;
	if (kl == 0)
		return CV_EINVAL;
	return store_get_review(v->txn, v->s, key, kl, out);
}

int store_view_each_return(struct store_view *v, const char *questionnaire, const char *cycle,
			   const char *member, store_return_fn fn, void *arg)
{
	char prefix[STORE_MAX_KEY + 1];
	size_t plen = 0;
	MDB_cursor *cur;
	MDB_val k, val;
	int mrc, rc = 0;

	if (questionnaire != NULL && questionnaire[0] != '\0') {
		plen = cycle != NULL && cycle[0] != '\0'
			       ? store_join_key(prefix, sizeof prefix - 1, questionnaire, cycle, "")
			       : store_join_key(prefix, sizeof prefix - 1, questionnaire, "", NULL);
		if (plen == 0) /* "q\0c\0" or "q\0": never another questionnaire's */
			return CV_EINVAL;
	}
	if ((mrc = mdb_cursor_open(v->txn, v->s->current, &cur)) != 0)
		return store_map_err(mrc);
	k.mv_size = plen;
	k.mv_data = prefix;
	for (mrc = mdb_cursor_get(cur, &k, &val, plen ? MDB_SET_RANGE : MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		char key[STORE_MAX_KEY + 1];
		const char *q, *c, *m;
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if (val.mv_size != 12 || k.mv_size > STORE_MAX_KEY) {
			rc = CV_ECORRUPT;
			break;
		}
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		q = key;
		c = q + strlen(q) + 1;
		if ((size_t)(c - key) >= k.mv_size) {
			rc = CV_ECORRUPT;
			break;
		}
		m = c + strlen(c) + 1;
		if ((size_t)(m - key) > k.mv_size) {
			rc = CV_ECORRUPT;
			break;
		}
		if (cycle != NULL && cycle[0] != '\0' && plen == 0 && strcmp(c, cycle) != 0)
			continue;
		if (member != NULL && member[0] != '\0' && strcmp(m, member) != 0)
			continue;
		if ((rc = fn(q, c, m, cv_get_be64(val.mv_data),
			     cv_get_be32((const uint8_t *)val.mv_data + 8), arg)) != 0)
			break;
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_map_err(mrc);
	mdb_cursor_close(cur);
	return rc;
}
