/*
 * server_internal.h - what the parts of the aggregator's server share,
 * private to aggregator/: the handle's layout and the replies. The server
 * has one caller per file:
 *
 *   server.c     the loop: sockets, the batch cycle, metrics, events
 *   ingest.c     collectors' store requests: submissions (quality checks,
 *                group commit, receipts) and dry runs
 *   reads.c      members' reads of their own returns (status, fetch)
 *   reviewing.c  reviewers' requests (list, show, actions)
 *
 * Everything runs on the aggregator's one thread.
 */
#ifndef CANVASS_AGGREGATOR_SERVER_INTERNAL_H
#define CANVASS_AGGREGATOR_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks.h"
#include "server.h"
#include "store.h"

#define ROUTING_ID_MAX 256

/* One request of the batch in hand. */
struct slot {
	uint8_t rid[ROUTING_ID_MAX];
	size_t rid_len;
	Canvass__StoreRequest *req; /* in the aggregator's arena: dropped, never freed */
	struct checks_plan *plan;   /* the quality checks' groups of req */
};

struct aggregator {
	void *sock;
	void *events; /* PUB, or NULL */
	struct aggregator_cfg cfg;
	struct slot *slots;
	struct store_put *puts;
	struct aggregator_stats stats;
	struct checks *checks;
	/*
	 * The requests of the batch being gathered, decoded without a malloc
	 * per field; reset once the batch is answered (and when no slot holds
	 * a request).
	 */
	struct arena *arena;
	struct verdict *findings; /* one request's quality findings */
	struct metric *m_findings, *m_outliers, *m_check_values;
	struct metric *m_results, *m_late, *m_batch, *m_commit, *m_map, *m_used, *m_history,
		*m_readers, *m_dropped, *m_last_commit, *m_events, *m_subscribers;
	long subscriptions;
	void *review;                /* ROUTER for reviewers, or NULL */
	struct zap_entry *reviewers; /* the reviewers in force, for the per-message check */
	size_t n_reviewers;
	struct metric *m_review, *m_reads;
};

/* The store's gauges (map size, used, history, readers) from the store now. */
void aggregator_update_gauges(struct aggregator *a);

/* One event per outcome, never answer values. */
void aggregator_publish(struct aggregator *a, const struct store_put *p, int status);

/* Sends rep to the collector rid; a reply that cannot go is counted as dropped. */
void aggregator_send_reply(struct aggregator *a, const uint8_t *rid, size_t rid_len,
			   const Canvass__StoreReply *rep);

/* A reply of only a status and a message. */
void aggregator_reply_status(struct aggregator *a, const uint8_t *rid, size_t rid_len,
			     uint64_t ticket, int status, const char *message);

/* A member's read of its own returns (relayed by its collector), answered now. */
void aggregator_answer_read(struct aggregator *a, struct slot *sl);

/*
 * Receives one multipart message. Returns 1 when a request was added to
 * the batch, 0 when the message was answered or dropped, -1 on EAGAIN.
 */
int aggregator_receive_one(struct aggregator *a, size_t n);

/* Answers the n requests of the batch after its commit (store_rc: its result). */
void aggregator_answer_batch(struct aggregator *a, size_t n, int store_rc);

/*
 * One reviewer message: [routing id][ReviewRequest]. Reads are answered
 * from a snapshot; an action is written in its own durable transaction and
 * answered after its commit. Returns 0, or the store error of a write
 * that must stop the writer (as a failed batch does).
 */
int aggregator_on_review(struct aggregator *a);

#endif
