#include "store.h"
#include "review.h"
#include "syncwatch.h"
#include "error.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_MAX_KEY 480 /* LMDB's default limit is 511 */

struct store {
	MDB_env *env;
	MDB_dbi history, current, idem, meta, review;
	bool has_review; /* false: a read-only open of a store from before reviews */
	int lock_fd;
	bool readonly;
	char *dir;
	uint64_t map_size, map_max;
	/* Head of the history as of the last commit (writer only). */
	uint64_t head_seq;
	uint8_t head_chain[CV_HASH_LEN];
	uint64_t splits; /* batches split because one transaction could not hold them */
};

struct store_view {
	struct store *s;
	MDB_txn *txn;
	uint64_t head_seq;
	uint8_t head_chain[CV_HASH_LEN];
};

/* LMDB and system errors as canvass codes: space problems are retryable. */
static int map_err(int mrc)
{
	if (mrc == MDB_MAP_FULL)
		return CV_EFULL;
	if (mrc == ENOSPC || mrc == EDQUOT)
		return CV_ENOSPC;
	if (mrc == EIO)
		return CV_EIO;
	if (mrc == MDB_TXN_FULL)
		return CV_EBATCH;
	return CV_ESTORE;
}

static int lmdb_fail(char *err, size_t errlen, const char *what, int mrc)
{
	return cv_fail(err, errlen, map_err(mrc), "%s: %s", what, mdb_strerror(mrc));
}

/* Reads the last history entry (head) inside txn. */
static int read_head(struct store *s, MDB_txn *txn, uint64_t *seq, uint8_t chain[CV_HASH_LEN])
{
	MDB_cursor *cur;
	MDB_val k, v;
	Canvass__HistoryEntry *e;
	int mrc, rc = 0;

	*seq = 0;
	memset(chain, 0, CV_HASH_LEN);
	if ((mrc = mdb_cursor_open(txn, s->history, &cur)) != 0)
		return map_err(mrc);
	mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (mrc == MDB_NOTFOUND) {
		mdb_cursor_close(cur);
		return 0;
	}
	if (mrc != 0) {
		mdb_cursor_close(cur);
		return map_err(mrc);
	}
	if (k.mv_size != 8 || wire_decode_history(v.mv_data, v.mv_size, &e) != 0) {
		rc = CV_ECORRUPT;
	} else {
		*seq = cv_get_be64(k.mv_data);
		if (e->chain_hash.len == CV_HASH_LEN)
			memcpy(chain, e->chain_hash.data, CV_HASH_LEN);
		else
			rc = CV_ECORRUPT;
		WIRE_FREE(e);
	}
	mdb_cursor_close(cur);
	return rc;
}

/*
 * A read-only open (canvassctl verify, the reporter) may have made LMDB's
 * lock file. Made by root, it would be root's, mode 0600, and the service
 * user's aggregator could not open the store any more: give it to the owner
 * of the data directory.
 */
static void keep_owner(const char *dir)
{
	char path[4200];
	struct stat d, l;

	if (geteuid() != 0 || stat(dir, &d) != 0)
		return;
	snprintf(path, sizeof path, "%s/lock.mdb", dir);
	/* (root may always chown; on a filesystem that refuses, nothing better is
	 * possible here, and the read itself succeeded.) */
	if (stat(path, &l) == 0 && (l.st_uid != d.st_uid || l.st_gid != d.st_gid) &&
	    chown(path, d.st_uid, d.st_gid) != 0)
		return;
}

int store_open(struct store **out, const struct store_cfg *cfg, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof *s);
	unsigned int flags = 0; /* DIR holds data.mdb and lock.mdb */
	MDB_txn *txn = NULL;
	char path[4096];
	int mrc, rc;

	*out = NULL;
	if (s == NULL)
		return CV_ENOMEM;
	s->lock_fd = -1;
	s->readonly = cfg->readonly;
	if ((s->dir = strdup(cfg->dir)) == NULL) {
		free(s);
		return CV_ENOMEM;
	}
	s->map_size = cfg->map_size ? cfg->map_size : 64ull << 20;
	s->map_max = cfg->map_max ? cfg->map_max : 64ull << 30;
	if (s->map_max < s->map_size)
		s->map_max = s->map_size;

	if (!cfg->readonly) {
		if (mkdir(cfg->dir, 0700) != 0 && errno != EEXIST) {
			rc = cv_fail(err, errlen, CV_EIO, "%s: cannot create: %s", cfg->dir,
				     strerror(errno));
			goto fail;
		}
		snprintf(path, sizeof path, "%s/aggregator.lock", cfg->dir);
		s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (s->lock_fd < 0) {
			rc = cv_fail(err, errlen, CV_EIO, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
			rc = cv_fail(err, errlen, CV_ELOCKED,
				     "%s: another aggregator is using this data directory",
				     cfg->dir);
			goto fail;
		}
	} else {
		flags |= MDB_RDONLY;
	}
	if ((mrc = mdb_env_create(&s->env)) != 0 || (mrc = mdb_env_set_maxdbs(s->env, 8)) != 0 ||
	    (mrc = mdb_env_set_maxreaders(s->env, 126)) != 0 ||
	    (!cfg->readonly && (mrc = mdb_env_set_mapsize(s->env, s->map_size)) != 0)) {
		rc = lmdb_fail(err, errlen, "lmdb setup", mrc);
		goto fail;
	}
	/* Durable defaults: no MDB_NOSYNC, MDB_NOMETASYNC, MDB_MAPASYNC, MDB_WRITEMAP. */
	if ((mrc = mdb_env_open(s->env, cfg->dir, flags, 0600)) != 0) {
		rc = lmdb_fail(err, errlen, cfg->dir, mrc);
		goto fail;
	}
	if (!cfg->readonly) {
		int dead = 0;
		mdb_reader_check(s->env, &dead);
	} else {
		keep_owner(cfg->dir);
		MDB_envinfo info;
		mdb_env_info(s->env, &info);
		s->map_size = info.me_mapsize;
	}
	if ((mrc = mdb_txn_begin(s->env, NULL, cfg->readonly ? MDB_RDONLY : 0, &txn)) != 0) {
		rc = lmdb_fail(err, errlen, "begin", mrc);
		goto fail;
	}
	{
		unsigned int dflags = cfg->readonly ? 0 : MDB_CREATE;
		if ((mrc = mdb_dbi_open(txn, "history", dflags, &s->history)) != 0 ||
		    (mrc = mdb_dbi_open(txn, "current", dflags, &s->current)) != 0 ||
		    (mrc = mdb_dbi_open(txn, "idem", dflags, &s->idem)) != 0 ||
		    (mrc = mdb_dbi_open(txn, "meta", dflags, &s->meta)) != 0 ||
		    ((mrc = mdb_dbi_open(txn, "review", dflags, &s->review)) != 0 &&
		     !(mrc == MDB_NOTFOUND && cfg->readonly))) {
			rc = mrc == MDB_NOTFOUND
				     ? cv_fail(err, errlen, CV_ENOTFOUND,
					       "%s: not a canvass store (no tables)", cfg->dir)
				     : lmdb_fail(err, errlen, "open tables", mrc);
			goto fail;
		}
	}
	s->has_review = mrc == 0;
	{
		MDB_val k = {6, (void *)(uintptr_t) "format"}, v;
		mrc = mdb_get(txn, s->meta, &k, &v);
		if (mrc == MDB_NOTFOUND && !cfg->readonly) {
			v.mv_size = strlen(STORE_FORMAT);
			v.mv_data = (void *)(uintptr_t)STORE_FORMAT;
			mrc = mdb_put(txn, s->meta, &k, &v, 0);
		} else if (mrc == 0 && (v.mv_size != strlen(STORE_FORMAT) ||
					memcmp(v.mv_data, STORE_FORMAT, v.mv_size) != 0)) {
			rc = cv_fail(err, errlen, CV_EVERSION, "%s: store format %.*s, expected %s",
				     cfg->dir, (int)v.mv_size, (const char *)v.mv_data,
				     STORE_FORMAT);
			goto fail;
		}
		if (mrc != 0 && !(mrc == MDB_NOTFOUND && cfg->readonly)) {
			rc = lmdb_fail(err, errlen, "format", mrc);
			goto fail;
		}
	}
	if ((rc = read_head(s, txn, &s->head_seq, s->head_chain)) != 0) {
		cv_fail(err, errlen, rc, "%s: cannot read the history head: %s", cfg->dir,
			cv_strerror(rc));
		goto fail;
	}
	if ((mrc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		rc = lmdb_fail(err, errlen, "commit", mrc);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	store_close(&s);
	return rc;
}

void store_close(struct store **sp)
{
	struct store *s;
	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	if (s->env != NULL)
		mdb_env_close(s->env);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	free(s->dir);
	free(s);
	*sp = NULL;
}

/* Builds "a\0b\0c" into buf; returns its length or 0 when too long. */
static size_t join_key(char *buf, size_t cap, const char *a, const char *b, const char *c)
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
	if (join_key(buf, sizeof buf, p->questionnaire, p->cycle, p->member) == 0 ||
	    join_key(buf, sizeof buf, p->member, p->key, NULL) == 0 || p->key[0] == '\0')
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
static int read_entry(MDB_txn *txn, struct store *s, uint64_t seq, Canvass__HistoryEntry **out)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	int mrc;

	*out = NULL;
	cv_put_be64(kb, seq);
	if ((mrc = mdb_get(txn, s->history, &k, &v)) != 0)
		return mrc == MDB_NOTFOUND ? CV_ECORRUPT : map_err(mrc);
	return wire_decode_history(v.mv_data, v.mv_size, out) == 0 ? 0 : CV_ECORRUPT;
}

/*
 * A key used before: the entry stored under it when its content hash is
 * hash (*dup, the caller's: a DUPLICATE), else *dup NULL (a CONFLICT).
 */
static int original(MDB_txn *txn, struct store *s, uint64_t seq, const uint8_t *hash,
		    Canvass__HistoryEntry **dup)
{
	int rc = read_entry(txn, s, seq, dup);

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

/* Fills p's receipt from a stored entry (a duplicate's original). */
static int receipt_from(MDB_txn *txn, struct store *s, uint64_t seq, struct store_put *p)
{
	Canvass__HistoryEntry *e;
	int rc = original(txn, s, seq, p->content_hash, &e);

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

/* The review row of a return (key "q\0c\0m"); *out NULL when it has none. */
static int get_review(MDB_txn *txn, struct store *s, const char *key, size_t kl,
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
		return map_err(mrc);
	*out = canvass__return_status__unpack(NULL, v.mv_size, v.mv_data);
	return *out != NULL ? 0 : CV_ECORRUPT;
}

/* Writes a return's review row; an LMDB code. */
static int put_review(MDB_txn *txn, struct store *s, const char *key, size_t kl,
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

/*
 * Chains e after the head (prev_chain_hash, chain_hash into chain) and
 * appends it to the history at its sequence. 0 or a canvass code.
 */
static int append_entry(MDB_txn *txn, struct store *s, Canvass__HistoryEntry *e,
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
	return mrc == 0 ? 0 : map_err(mrc);
}

static int put_one(MDB_txn *txn, struct store *s, struct store_put *p, uint64_t *head_seq,
		   uint8_t head_chain[CV_HASH_LEN], int64_t now_ms)
{
	char ckey[STORE_MAX_KEY + 1], ikey[STORE_MAX_KEY + 1];
	uint8_t seqb[8], curb[12];
	size_t ck = join_key(ckey, sizeof ckey, p->questionnaire, p->cycle, p->member);
	size_t ik = join_key(ikey, sizeof ikey, p->member, p->key, NULL);
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
		return map_err(mrc);

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
		return map_err(mrc);
	}

	p->sequence = *head_seq + 1;
	p->stored_at_ms = now_ms;
	/* A reviewed return: the revision is a step of its review state. */
	if (prev_seq != 0 && (rc = get_review(txn, s, ckey, ck, &rv)) != 0)
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
	if ((rc = append_entry(txn, s, &e, head_chain, p->chain_hash)) != 0) {
		review_free(&rv);
		return rc;
	}
	cv_put_be64(seqb, p->sequence);
	mrc = rv != NULL ? put_review(txn, s, ckey, ck, rv) : 0;
	review_free(&rv);
	if (mrc != 0)
		return map_err(mrc);

	cv_put_be64(curb, p->sequence);
	cv_put_be32(curb + 8, p->revision);
	k.mv_size = ck;
	k.mv_data = ckey;
	v.mv_size = 12;
	v.mv_data = curb;
	if ((mrc = mdb_put(txn, s->current, &k, &v, 0)) != 0)
		return map_err(mrc);
	k.mv_size = ik;
	k.mv_data = ikey;
	v.mv_size = 8;
	v.mv_data = seqb;
	if ((mrc = mdb_put(txn, s->idem, &k, &v, MDB_NOOVERWRITE)) != 0)
		return map_err(mrc);

	p->status = CANVASS__STATUS__ACCEPTED;
	*head_seq = p->sequence;
	memcpy(head_chain, p->chain_hash, CV_HASH_LEN);
	return 0;
}

/*
 * What a failed commit means. A sync that failed stops the writer whatever
 * the free space (CV_EIO): pages the kernel dropped are never written again.
 * So does an environment LMDB marked unusable (a failed meta-page write:
 * MDB_PANIC from then on). Otherwise the error came from a write before any
 * sync: ENOSPC, EDQUOT or a short write (LMDB's EIO) mean the disk is full
 * (CV_ENOSPC, retryable: nothing of the failed transaction is referenced by
 * the last durable meta page).
 */
static int classify_commit_error(struct store *s, int rc, unsigned long syncs_failed_before)
{
	MDB_txn *probe;
	int mrc;

	if (syncwatch_failures() != syncs_failed_before)
		return CV_EIO;
	mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &probe);
	if (mrc == MDB_PANIC)
		return CV_ESTORE;
	if (mrc == 0)
		mdb_txn_abort(probe);
	if (rc == CV_EIO || rc == CV_ENOSPC)
		return CV_ENOSPC;
	return rc;
}

/* Grows the map towards its cap; CV_EFULL when already there. */
static int grow(struct store *s)
{
	uint64_t next = s->map_size * 2;
	if (s->map_size >= s->map_max)
		return CV_EFULL;
	if (next > s->map_max)
		next = s->map_max;
	if (mdb_env_set_mapsize(s->env, next) != 0)
		return CV_ESTORE;
	s->map_size = next;
	return 0;
}

/*
 * One write transaction: fn writes in it from the head (head_seq,
 * head_chain, advanced as it appends), then the commit, durable. A full map
 * grows and fn runs again from the start; the head moves only on success.
 */
typedef int (*write_fn)(MDB_txn *txn, struct store *s, uint64_t *head_seq,
			uint8_t head_chain[CV_HASH_LEN], int64_t now_ms, void *arg);

static int write_txn(struct store *s, write_fn fn, void *arg)
{
	for (;;) {
		uint64_t head_seq = s->head_seq;
		uint8_t head_chain[CV_HASH_LEN];
		MDB_txn *txn;
		int mrc, rc;

		if (s->readonly)
			return CV_EINVAL;
		memcpy(head_chain, s->head_chain, CV_HASH_LEN);
		if ((mrc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
			return map_err(mrc);
		rc = fn(txn, s, &head_seq, head_chain, cv_now_ms(), arg);
		if (rc != 0) {
			mdb_txn_abort(txn);
		} else {
			unsigned long syncs_failed = syncwatch_failures();
			mrc = mdb_txn_commit(txn);
			rc = mrc == 0 ? 0 : map_err(mrc);
			if (rc != 0 && rc != CV_EFULL && rc != CV_EBATCH)
				rc = classify_commit_error(s, rc, syncs_failed);
		}
		if (rc == CV_EFULL) {
			if ((rc = grow(s)) != 0)
				return rc;
			continue; /* redo the whole transaction in a larger map */
		}
		/* CV_ENOSPC: nothing of it is written; the caller answers
		 * STORAGE_FULL and later transactions succeed once space returns. */
		if (rc != 0)
			return rc;
		s->head_seq = head_seq;
		memcpy(s->head_chain, head_chain, CV_HASH_LEN);
		return 0;
	}
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
	int rc = write_txn(s, put_all, &b);

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

/* The outcome of an action whose id was used before: the original's receipt. */
static int review_duplicate(MDB_txn *txn, struct store *s, uint64_t seq,
			    const uint8_t hash[CV_HASH_LEN], struct store_review *r)
{
	Canvass__HistoryEntry *e;
	int rc = original(txn, s, seq, hash, &e);

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
	size_t ck = join_key(ckey, sizeof ckey, a->questionnaire, a->cycle, a->member);
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
		    (rc = get_review(txn, s, ckey, ck, &r->state)) != 0)
			return rc;
		return 0;
	}
	if (mrc != MDB_NOTFOUND) {
		free(action);
		return map_err(mrc);
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
		return mrc != 0 ? map_err(mrc) : CV_ECORRUPT;
	}
	cur_seq = cv_get_be64(v.mv_data);
	r->revision = cv_get_be32((const uint8_t *)v.mv_data + 8);
	if ((rc = get_review(txn, s, ckey, ck, &st)) != 0 ||
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
	rc = append_entry(txn, s, &e, head_chain, r->chain_hash);
	free(action);
	if (rc != 0) {
		review_free(&st);
		return rc;
	}
	cv_put_be64(seqb, r->sequence);
	mrc = put_review(txn, s, ckey, ck, st);
	if (mrc == 0) {
		k.mv_size = il;
		k.mv_data = ikey;
		v.mv_size = 8;
		v.mv_data = seqb;
		mrc = mdb_put(txn, s->idem, &k, &v, MDB_NOOVERWRITE);
	}
	if (mrc != 0) {
		review_free(&st);
		return map_err(mrc);
	}
	r->status = CANVASS__STATUS__ACCEPTED;
	r->state = st;
	*head_seq = r->sequence;
	memcpy(head_chain, r->chain_hash, CV_HASH_LEN);
	return 0;
}

int store_review_act(struct store *s, struct store_review *r)
{
	int rc = write_txn(s, act_one, r);
	if (rc != 0)
		review_free(&r->state);
	return rc;
}

int store_backup(struct store *s, const char *dest, char *err, size_t errlen)
{
	char path[4096];
	int mrc;

	if (mkdir(dest, 0700) != 0 && errno != EEXIST)
		return cv_fail(err, errlen, CV_EIO, "%s: %s", dest, strerror(errno));
	snprintf(path, sizeof path, "%s/data.mdb", dest);
	if (access(path, F_OK) == 0)
		return cv_fail(err, errlen, CV_EINVAL,
			       "%s: holds a store already (not overwritten)", dest);
	mrc = mdb_env_copy2(s->env, dest, MDB_CP_COMPACT);
	if (mrc != 0)
		return cv_fail(err, errlen, map_err(mrc), "%s: %s", dest, mdb_strerror(mrc));
	chmod(path, 0600);
	return 0;
}

int store_readers(struct store *s, unsigned *n)
{
	MDB_envinfo info;
	if (mdb_env_info(s->env, &info) != 0)
		return CV_ESTORE;
	*n = info.me_numreaders;
	return 0;
}

uint64_t store_batch_splits(const struct store *s)
{
	return s->splits;
}

uint64_t store_head_sequence(const struct store *s)
{
	return s->head_seq;
}

unsigned int store_env_flags(struct store *s)
{
	unsigned int flags = 0;
	mdb_env_get_flags(s->env, &flags);
	return flags;
}

void store_usage(struct store *s, uint64_t *map_size, uint64_t *used)
{
	MDB_envinfo info;
	MDB_stat st;
	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &st);
	*map_size = info.me_mapsize;
	*used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
}

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
		return map_err(mrc);
	}
	if ((rc = read_head(s, v->txn, &v->head_seq, v->head_chain)) != 0) {
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
	return read_entry(v->txn, v->s, seq, out);
}

int store_view_each_current_raw(struct store_view *v, const char *questionnaire, const char *cycle,
				store_raw_fn fn, void *arg)
{
	char prefix[STORE_MAX_KEY + 1];
	size_t plen = join_key(prefix, sizeof prefix - 1, questionnaire, cycle, "");
	MDB_cursor *cur;
	MDB_val k, val;
	int mrc, rc = 0;

	if (plen == 0)
		return CV_EINVAL;
	if ((mrc = mdb_cursor_open(v->txn, v->s->current, &cur)) != 0)
		return map_err(mrc);
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
			rc = mrc == MDB_NOTFOUND ? CV_ECORRUPT : map_err(mrc);
			mrc = 0;
			break;
		}
		if ((rc = fn(member, hv.mv_data, hv.mv_size, arg)) != 0)
			break;
	}
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = map_err(mrc);
	mdb_cursor_close(cur);
	return rc;
}

/* store_view_each_current's step: the entry decoded, then the caller's function. */
struct decode_walk {
	store_entry_fn fn;
	void *arg;
};

static int decode_one(const char *member, const uint8_t *entry, size_t len, void *arg)
{
	struct decode_walk *w = arg;
	(void)member;
	Canvass__HistoryEntry *e;
	int rc;
	if (wire_decode_history(entry, len, &e) != 0)
		return CV_ECORRUPT;
	rc = w->fn(e, w->arg);
	WIRE_FREE(e);
	return rc;
}

int store_view_each_current(struct store_view *v, const char *questionnaire, const char *cycle,
			    store_entry_fn fn, void *arg)
{
	struct decode_walk w = {fn, arg};
	return store_view_each_current_raw(v, questionnaire, cycle, decode_one, &w);
}

int store_view_each_history(struct store_view *v, store_entry_fn fn, void *arg)
{
	MDB_cursor *cur;
	MDB_val k, val;
	int mrc, rc = 0;

	if ((mrc = mdb_cursor_open(v->txn, v->s->history, &cur)) != 0)
		return map_err(mrc);
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
		rc = map_err(mrc);
	mdb_cursor_close(cur);
	return rc;
}

int store_view_current(struct store_view *v, const char *questionnaire, const char *cycle,
		       const char *member, Canvass__HistoryEntry **out)
{
	char key[STORE_MAX_KEY + 1];
	size_t kl = join_key(key, sizeof key, questionnaire, cycle, member);
	MDB_val k = {kl, key}, val;
	int mrc;

	*out = NULL;
	if (kl == 0)
		return CV_EINVAL;
	mrc = mdb_get(v->txn, v->s->current, &k, &val);
	if (mrc == MDB_NOTFOUND)
		return CV_ENOTFOUND;
	if (mrc != 0)
		return map_err(mrc);
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
	size_t kl = join_key(key, sizeof key, questionnaire, cycle, member);

	*out = NULL;
	if (kl == 0)
		return CV_EINVAL;
	return get_review(v->txn, v->s, key, kl, out);
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
			       ? join_key(prefix, sizeof prefix - 1, questionnaire, cycle, "")
			       : join_key(prefix, sizeof prefix - 1, questionnaire, "", NULL);
		if (plen == 0) /* "q\0c\0" or "q\0": never another questionnaire's */
			return CV_EINVAL;
	}
	if ((mrc = mdb_cursor_open(v->txn, v->s->current, &cur)) != 0)
		return map_err(mrc);
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
		rc = map_err(mrc);
	mdb_cursor_close(cur);
	return rc;
}

int store_reader_check(struct store *s, int *dead)
{
	int n = 0, mrc = mdb_reader_check(s->env, &n);
	if (dead != NULL)
		*dead = n;
	return mrc == 0 ? 0 : map_err(mrc);
}

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
		return map_err(mrc);
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
