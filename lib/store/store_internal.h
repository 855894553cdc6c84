/*
 * store_internal.h - what the parts of the store share, private to
 * the .c files of lib/store: the handle's layout and the helpers every part uses.
 *
 *   store.c    the environment: open, close, one durable write
 *              transaction (store_write_txn), growth, backup, usage
 *   history.c  the hash-chained history and the indexes a submission
 *              writes (current, idem)
 *   actions.c  review actions: the review table, entries in the history
 *   view.c     read-only views: the current index, history, review states
 *   verify.c   the chain and every table checked against the history
 *
 * An MDB_val never outlives its transaction; every helper taking a txn
 * runs inside the caller's transaction and commits nothing.
 */
#ifndef CANVASS_STORE_INTERNAL_H
#define CANVASS_STORE_INTERNAL_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

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
	unsigned long (*sync_failures)(void); /* store_cfg's, or NULL */
};

struct store_view {
	struct store *s;
	MDB_txn *txn;
	uint64_t head_seq;
	uint8_t head_chain[CV_HASH_LEN];
};

/* LMDB and system errors as canvass codes: space problems are retryable. */
int store_map_err(int mrc);

/*
 * One write transaction: fn writes in it from the head (head_seq,
 * head_chain, advanced as it appends), then the commit, durable. A full map
 * grows and fn runs again from the start; the head moves only on success.
 */
typedef int (*store_write_fn)(MDB_txn *txn, struct store *s, uint64_t *head_seq,
			      uint8_t head_chain[CV_HASH_LEN], int64_t now_ms, void *arg);
int store_write_txn(struct store *s, store_write_fn fn, void *arg);

/* Reads the last history entry (head) inside txn. */
int store_read_head(struct store *s, MDB_txn *txn, uint64_t *seq, uint8_t chain[CV_HASH_LEN]);
/* Builds "a\0b\0c" into buf; returns its length or 0 when too long. */
size_t store_join_key(char *buf, size_t cap, const char *a, const char *b, const char *c);
/* The history entry at seq, decoded (*out the caller's). */
int store_read_entry(MDB_txn *txn, struct store *s, uint64_t seq, Canvass__HistoryEntry **out);
/*
 * A key used before: the entry stored under it when its content hash is
 * hash (*dup, the caller's: a DUPLICATE), else *dup NULL (a CONFLICT).
 */
int store_original(MDB_txn *txn, struct store *s, uint64_t seq, const uint8_t *hash,
		   Canvass__HistoryEntry **dup);
/*
 * Chains e after the head (prev_chain_hash, chain_hash into chain) and
 * appends it to the history at its sequence. 0 or a canvass code.
 */
int store_append_entry(MDB_txn *txn, struct store *s, Canvass__HistoryEntry *e,
		       uint8_t head_chain[CV_HASH_LEN], uint8_t chain[CV_HASH_LEN]);
/* The review row of a return (key "q\0c\0m"); *out NULL when it has none. */
int store_get_review(MDB_txn *txn, struct store *s, const char *key, size_t kl,
		     Canvass__ReturnStatus **out);
/* Writes a return's review row; an LMDB code. */
int store_put_review(MDB_txn *txn, struct store *s, const char *key, size_t kl,
		     const Canvass__ReturnStatus *st);

#endif
