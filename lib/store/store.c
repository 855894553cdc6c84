#include "store.h"
#include "store_internal.h"
#include "error.h"
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* LMDB and system errors as canvass codes: space problems are retryable. */
int store_map_err(int mrc)
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
	return cv_fail(err, errlen, store_map_err(mrc), "%s: %s", what, mdb_strerror(mrc));
}

/* Reads the last history entry (head) inside txn. */
int store_read_head(struct store *s, MDB_txn *txn, uint64_t *seq, uint8_t chain[CV_HASH_LEN])
{
	MDB_cursor *cur;
	MDB_val k, v;
	Canvass__HistoryEntry *e;
	int mrc, rc = 0;

	*seq = 0;
	memset(chain, 0, CV_HASH_LEN);
	if ((mrc = mdb_cursor_open(txn, s->history, &cur)) != 0)
		return store_map_err(mrc);
	mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (mrc == MDB_NOTFOUND) {
		mdb_cursor_close(cur);
		return 0;
	}
	if (mrc != 0) {
		mdb_cursor_close(cur);
		return store_map_err(mrc);
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
	s->sync_failures = cfg->sync_failures;
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
	if ((rc = store_read_head(s, txn, &s->head_seq, s->head_chain)) != 0) {
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

static unsigned long sync_failures(const struct store *s)
{
	return s->sync_failures != NULL ? s->sync_failures() : 0;
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

	if (sync_failures(s) != syncs_failed_before)
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

int store_write_txn(struct store *s, store_write_fn fn, void *arg)
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
			return store_map_err(mrc);
		rc = fn(txn, s, &head_seq, head_chain, cv_now_ms(), arg);
		if (rc != 0) {
			mdb_txn_abort(txn);
		} else {
			unsigned long syncs_failed = sync_failures(s);
			mrc = mdb_txn_commit(txn);
			rc = mrc == 0 ? 0 : store_map_err(mrc);
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
		return cv_fail(err, errlen, store_map_err(mrc), "%s: %s", dest, mdb_strerror(mrc));
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

int store_reader_check(struct store *s, int *dead)
{
	int n = 0, mrc = mdb_reader_check(s->env, &n);
	if (dead != NULL)
		*dead = n;
	return mrc == 0 ? 0 : store_map_err(mrc);
}
