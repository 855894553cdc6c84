/*
 * store.h - the canvass LMDB store: layout, the aggregator's batched
 * writes and the readers' snapshots. docs/storage.md describes the layout.
 *
 * Tables (named LMDB databases):
 *   history : be64 sequence -> HistoryEntry (protobuf); append-only, the
 *             full record; written with MDB_APPEND, so writes stay in key order
 *   current : questionnaire \0 cycle \0 member -> be64 sequence, be32 revision
 *   idem    : member \0 idempotency key -> be64 sequence; a review action:
 *             \1 reviewer \0 action id -> be64 sequence
 *   review  : questionnaire \0 cycle \0 member -> ReturnStatus (protobuf), the
 *             review state of a return that has had a review action
 *   meta    : "format" -> "1"
 *
 * Only one process may open a store for writing (an flock on
 * DIR/aggregator.lock); readers open it read-only at any time and see a
 * consistent snapshot. The environment keeps LMDB's durable defaults: a
 * commit returns only once the data is on disk.
 */
#ifndef CANVASS_STORE_H
#define CANVASS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "canvass.pb-c.h"
#include "util.h"

#define STORE_FORMAT "1"

struct store;
struct store_view;

struct store_cfg {
	const char *dir;
	uint64_t map_size; /* initial map size, bytes */
	uint64_t map_max;  /* cap the map may grow to, bytes */
	bool readonly;
	/*
	 * The writer's count of failed syncs and EIO writes of the data file
	 * (the aggregator's syncwatch.h): a commit that failed while it moved
	 * stops the writer (CV_EIO) instead of answering STORAGE_FULL. NULL: no
	 * such count (every failed write is taken for a full disk).
	 */
	unsigned long (*sync_failures)(void);
};

/* One submission to write, and (after store_put_batch) its outcome. */
struct store_put {
	/* in: borrowed for the call */
	const char *member;
	const char *questionnaire;
	const char *cycle;
	const char *key;
	const uint8_t *content_hash; /* CV_HASH_LEN bytes */
	const uint8_t *submission;
	size_t submission_len;
	int64_t received_at_ms;
	bool late; /* in; for a DUPLICATE, out: the original's */
	/* out */
	int status;        /* CANVASS__STATUS__{ACCEPTED,DUPLICATE,CONFLICT,LOCKED} */
	uint64_t sequence; /* for ACCEPTED/DUPLICATE */
	uint32_t revision;
	uint8_t chain_hash[CV_HASH_LEN];
	int64_t stored_at_ms;
};

int store_open(struct store **out, const struct store_cfg *cfg, char *err, size_t errlen);
void store_close(struct store **s);

/*
 * Writes a batch in one durable transaction and fills every item's
 * outcome. 0: committed (each item ACCEPTED, DUPLICATE, CONFLICT, or LOCKED:
 * its return is approved, nothing written for it).
 * CV_EFULL: the map is at its cap; nothing of the batch was written.
 * CV_EINVAL: an item's keys are too long (nothing written; the caller
 * should check with store_put_check first). A batch larger than one LMDB
 * transaction holds (MDB_TXN_FULL) is split in halves, each committed
 * durably on its own (store_batch_splits counts it); should a later half
 * fail, the earlier ones stay stored and a resend gets DUPLICATE. Other
 * codes: LMDB failed.
 */
int store_put_batch(struct store *s, struct store_put *items, size_t n);
/* 0 when p's key fields fit the store's key limits. */
int store_put_check(const struct store_put *p);

/* A reviewer's action on a return, and (after store_review_act) its outcome. */
struct store_review {
	/* in: borrowed; reviewer set, fields checked with review_action_check */
	const Canvass__ReviewAction *action;
	/* out */
	int status; /* CANVASS__STATUS__: ACCEPTED, DUPLICATE (the action id was used
		     * for this same action), CONFLICT (for another), NOT_FOUND (no
		     * such return), WRONG_STATE (why says it) */
	char why[160];
	uint64_t sequence; /* ACCEPTED, DUPLICATE: the action's entry */
	uint32_t revision; /* the return's latest revision */
	uint8_t chain_hash[CV_HASH_LEN];
	int64_t stored_at_ms;
	Canvass__ReturnStatus *state; /* ACCEPTED, DUPLICATE: the state now; review_free */
};

/*
 * Appends a review action to the history and steps the return's review
 * state (lib/store/review.c), in one durable transaction. 0: committed or
 * refused (r->status); else a store error as for store_put_batch.
 */
int store_review_act(struct store *s, struct store_review *r);

/*
 * Writes a compacted copy of the store (its data.mdb) into dest, a directory
 * that must be empty or not exist yet (created 0700). Consistent: the copy is
 * one read snapshot; writers go on meanwhile.
 */
int store_backup(struct store *s, const char *dest, char *err, size_t errlen);

/* Reader table slots used so far (a high-water mark). */
int store_readers(struct store *s, unsigned *n);
/* How many batches were split so far (one transaction could not hold them). */
uint64_t store_batch_splits(const struct store *s);
/* The writer's last committed sequence. */
uint64_t store_head_sequence(const struct store *s);

/* The LMDB environment flags in force (mdb_env_get_flags), for checks. */
unsigned int store_env_flags(struct store *s);

/* Current map size and the pages in use, bytes. */
void store_usage(struct store *s, uint64_t *map_size, uint64_t *used);

/* Read snapshot; all entries handed out are valid until the view closes. */
int store_view_open(struct store *s, struct store_view **out);
void store_view_close(struct store_view **v);
/* Last sequence number and its chain hash (zeros in an empty store). */
void store_view_head(const struct store_view *v, uint64_t *seq, uint8_t chain[CV_HASH_LEN]);

/* Callback for iterations; a non-zero return stops and is passed back. */
typedef int (*store_entry_fn)(const Canvass__HistoryEntry *e, void *arg);

/* Latest revision of every member for (questionnaire, cycle), by member. */
int store_view_each_current(struct store_view *v, const char *questionnaire, const char *cycle,
			    store_entry_fn fn, void *arg);
/*
 * The same, each entry as its packed bytes in the store's memory map: valid
 * until the view closes, read-only, not decoded (the reports' fast path);
 * member is the return's, from the index (valid during the call only).
 */
typedef int (*store_raw_fn)(const char *member, const uint8_t *entry, size_t len, void *arg);
int store_view_each_current_raw(struct store_view *v, const char *questionnaire, const char *cycle,
				store_raw_fn fn, void *arg);
/* Every history entry in sequence order. */
int store_view_each_history(struct store_view *v, store_entry_fn fn, void *arg);
/* One entry; *out is the caller's (WIRE_FREE). CV_ENOTFOUND when absent. */
int store_view_current(struct store_view *v, const char *questionnaire, const char *cycle,
		       const char *member, Canvass__HistoryEntry **out);

/* The entry at sequence seq; CV_ENOTFOUND beyond the head. *out is the caller's. */
int store_view_entry(struct store_view *v, uint64_t seq, Canvass__HistoryEntry **out);
/* A return's review row; *out NULL (0 returned) when it has none. review_free it. */
int store_view_review(struct store_view *v, const char *questionnaire, const char *cycle,
		      const char *member, Canvass__ReturnStatus **out);
/* Callback for store_view_each_return: a return and its latest revision. */
typedef int (*store_return_fn)(const char *questionnaire, const char *cycle, const char *member,
			       uint64_t sequence, uint32_t revision, void *arg);
/*
 * Every stored return, by questionnaire, cycle, member; NULL or "" matches
 * any questionnaire, cycle or member. Reads the index only.
 */
int store_view_each_return(struct store_view *v, const char *questionnaire, const char *cycle,
			   const char *member, store_return_fn fn, void *arg);

/* Clears reader slots left by dead processes; *dead (may be NULL) gets their number. */
int store_reader_check(struct store *s, int *dead);

/* The outcome of walking the history chain. */
struct store_verify {
	uint64_t entries;   /* entries that verified, from sequence 1 on */
	uint64_t first_bad; /* sequence of the first broken link; 0 when all verify */
	char reason[128];
	/* The review table against a replay of the history's actions (lib/store/review.h):
	 * returns whose row matched, and the first difference ("" when none). */
	uint64_t reviewed;
	char review_problem[320];
	/* The current and idem tables against the history, rebuilt from it: returns
	 * whose current row matched, and the first difference ("" when none). */
	uint64_t indexed;
	char index_problem[320];
};

/*
 * Walks the whole history in sequence order and checks every link: no
 * gaps, each entry's content hash, previous chain hash and chain hash.
 * When the chain verifies, the review table must equal the replay of the
 * history's review actions (out->review_problem says where it does not),
 * and the current and idem tables what the history wrote in them, row by
 * row, every entry naming its revision and previous entry rightly
 * (out->index_problem).
 * Returns 0 when the walk was made (the result says whether it verified).
 * Note: removing entries at the end leaves a shorter valid chain; compare
 * the head with a receipt or a report to detect that.
 */
int store_verify(struct store_view *v, struct store_verify *out);

/* The chain hash of e given the previous entry's chain hash. */
void store_chain_hash(const Canvass__HistoryEntry *e, const uint8_t prev[CV_HASH_LEN],
		      uint8_t out[CV_HASH_LEN]);

#endif
