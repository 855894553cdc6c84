/*
 * returns.h - what the aggregator answers from a read snapshot of the store
 * about returns and their review state: a member's status and fetch
 * (relayed by a collector as StoreRequest.read) and a reviewer's list and
 * show; and a reviewer's action, which it writes (store_review_act).
 *
 * Replies are built from malloc'd parts and freed with protobuf-c's
 * free_unpacked (the default allocator), whatever their origin.
 */
#ifndef CANVASS_AGGREGATOR_RETURNS_H
#define CANVASS_AGGREGATOR_RETURNS_H

#include "canvass.pb-c.h"
#include "cycles.h"
#include "qdef.h"
#include "registry.h"
#include "store.h"

/* At most this many returns in one status or list answer. */
#define REVIEW_MAX_RETURNS 10000

/*
 * A member's read: fills rep (status, message, returns, submission) for
 * req->read on req->member's own returns. 0, or a store error.
 */
int review_answer_read(struct store *s, const Canvass__StoreRequest *req, Canvass__StoreReply *rep);
/* Frees what review_answer_read put on rep (not rep itself). */
void review_read_clear(Canvass__StoreReply *rep);

/*
 * A reviewer's request (list, show or act; reviewer: the connection's
 * name). *out is the reply (free with canvass__review_reply__free_unpacked).
 * Returns 0, or the store error of a write that failed (then *out says
 * STORAGE_FULL or INTERNAL); an action's outcome is in *act when act is
 * not NULL (its status 0 when none was written).
 */
struct review_scope {
	const struct registry *reg;  /* regions of list and show; may be NULL */
	const struct qset *qs;       /* the definitions a query's question ids must be in */
	const struct cycles *cycles; /* the schedule: no query or reopen after a cycle closed */
	int64_t now_ms;              /* the time the schedule is read at */
};

/*
 * What the aggregator knows to refuse an action that could never be
 * answered (docs/review.md "What a reviewer cannot do"): a query naming a
 * question that is not in the questionnaire version of the return's latest
 * revision (NOT_FOUND), and a query or a reopen once the return's cycle
 * has closed (WRONG_STATE: the member can no longer revise).
 */
int review_answer(struct store *s, const struct review_scope *scope, const char *reviewer,
		  const Canvass__ReviewRequest *req, Canvass__ReviewReply **out,
		  struct store_review *act);

/* The review state of a return not yet read: approved (1), not (0), or a store error. */
int review_locked(struct store *s, const char *questionnaire, const char *cycle,
		  const char *member);

#endif
