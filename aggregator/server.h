/*
 * server.h - the aggregator's event loop: receives StoreRequests from
 * collectors on a ZeroMQ ROUTER socket, writes them in batches (group
 * commit) and answers each one only after its batch committed durably.
 *
 * A batch closes when it holds batch_max requests or batch_wait_us has
 * passed since its first request, whichever comes first. Replies go out
 * without blocking; a reply to a collector that went away is counted and
 * dropped (the member's retry gets the original receipt as DUPLICATE).
 *
 * The event feed publishes one message per outcome on a PUB socket, two
 * frames: the topic "QUESTIONNAIRE MEMBER" (subscribers filter by prefix)
 * and a JSON object with member, questionnaire, cycle, revision, sequence,
 * status, late and stored_at_ms - never answer values. A slow subscriber
 * loses events (PUB drops at its high-water mark); storage never waits.
 */
#ifndef CANVASS_AGGREGATOR_SERVER_H
#define CANVASS_AGGREGATOR_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "httpd.h"
#include "keys.h"
#include "metrics.h"
#include "registry.h"
#include "cycles.h"
#include "qdef.h"
#include "store.h"
#include "zap.h"

struct aggregator_cfg {
	const char *listen;              /* ZeroMQ endpoint to bind */
	struct store *store;             /* borrowed */
	size_t batch_max;                /* requests per transaction */
	long batch_wait_us;              /* longest wait for a batch to fill */
	int hwm;                         /* ZeroMQ high-water mark, messages */
	size_t max_message;              /* largest StoreRequest frame, bytes */
	const struct keypair *keys;      /* CURVE server keys; NULL in insecure mode */
	const char *events;              /* PUB endpoint for the event feed, or NULL */
	struct metrics *metrics;         /* borrowed; NULL: none */
	struct httpd *http;              /* borrowed; storage failures go to /health */
	const struct registry *registry; /* borrowed: regions for the outlier check; may be NULL */
	const char *review_listen;       /* reviewers' endpoint (ZAP_REVIEW_DOMAIN), or NULL */
	const struct qset *qs;           /* borrowed: the question ids a query may name */
	const struct cycles *cycles;     /* borrowed: no query or reopen once a cycle closed */
};

/* What a revision or dry run of an approved return is answered (LOCKED). */
#define LOCKED_MESSAGE                                                                             \
	"the return is approved and locked: no revision until the Secretariat reopens it"

/* How long closing waits for answers still queued to collectors, ms. */
#define AGGREGATOR_CLOSE_LINGER_MS 2000
/*
 * After a storage failure stops the writer, how long it goes on reading
 * (answering INTERNAL) so that collectors read the last answers first, ms.
 */
#define AGGREGATOR_STOP_GRACE_MS 500
/* A batch stops gathering when its decoded requests hold this much (bytes). */
#define AGGREGATOR_ARENA_CAP (16u << 20)

struct aggregator_stats {
	uint64_t batches, accepted, duplicate, conflict, malformed, storage_full;
	uint64_t replies_dropped, dry_runs, locked, review_actions;
};

struct aggregator;

/* Regions for the outlier check from now on (borrowed; NULL: world only). */
void aggregator_set_registry(struct aggregator *a, const struct registry *reg);
/* The definitions and the schedule reviewers' actions are checked against (borrowed). */
void aggregator_set_schedule(struct aggregator *a, const struct qset *qs,
			     const struct cycles *cycles);

int aggregator_open(struct aggregator **out, void *zctx, const struct aggregator_cfg *cfg,
		    char *err, size_t errlen);
/*
 * Serves until *stop becomes non-zero (the batch in hand is finished and
 * answered first). Returns 0, AGGREGATOR_RELOAD (run it again), or the
 * store error that stopped it (an I/O error on commit is never retried:
 * the process should exit and restart).
 */
int aggregator_run(struct aggregator *a, volatile sig_atomic_t *stop,
		   volatile sig_atomic_t *reload);
/* Returned by aggregator_run when *reload was set (between batches). */
#define AGGREGATOR_RELOAD 1
/* batch-wait-us, which a reload may change, from the next batch on (batch-max
 * sizes the batch's buffers: a restart changes it). */
void aggregator_set_batch_wait(struct aggregator *a, long batch_wait_us);
const struct aggregator_stats *aggregator_stats(const struct aggregator *a);
/* The reviewers' socket (NULL when there is none), for the start-up self-test. */
void *aggregator_review_socket(struct aggregator *a);
/* The reviewers in force (copied): each review message's key must be one of them. */
int aggregator_set_reviewers(struct aggregator *a, const struct zap_entry *e, size_t n);
/* The collector-facing socket, for the start-up self-test. */
void *aggregator_socket(struct aggregator *a);
/* The event feed's XPUB socket, or NULL when there is none. */
void *aggregator_events_socket(struct aggregator *a);
void aggregator_close(struct aggregator **a);

#endif
