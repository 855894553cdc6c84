#include "server.h"
#include "arena.h"
#include "server_internal.h"
#include "returns.h"
#include "error.h"
#include "log.h"
#include "wire.h"

#include <stdlib.h>
#include <jansson.h>

#include <string.h>
#include <zmq.h>

#define CHECKS_MALFORMED "the quality checks' arrays differ in length"

/*
 * The quality findings of req into a->findings (none when the groups could
 * not be loaded: a store that cannot be read leaves the checks out, never
 * the answer). commit: req's numbers become the member's current ones.
 */
static void run_checks(struct aggregator *a, struct slot *sl, bool commit)
{
	verdict_init(a->findings);
	if (sl->plan == NULL)
		return;
	checks_run(a->checks, sl->req, sl->plan, commit, a->findings);
	checks_plan_free(&sl->plan);
	/*
	 * Counted, then kept from the member: an OUTLIER warning tells a member
	 * where its answer stands among the others', and repeated dry runs (or
	 * revisions) at chosen values would bisect the group's median and spread,
	 * one member's exact answer in a small group (docs/reports.md "What a
	 * member's receipts show"). The Secretariat's quality report lists them.
	 */
	{
		size_t kept = 0;
		for (size_t i = 0; i < a->findings->n; i++) {
			const struct problem *f = &a->findings->items[i];
			metric_add(a->m_findings, f->code, 1);
			if (strcmp(f->code, "OUTLIER") == 0)
				metric_add(a->m_outliers, f->group, 1);
			else
				a->findings->items[kept++] = *f;
		}
		a->findings->n = kept;
	}
	if (a->m_check_values != NULL) {
		size_t groups, values;
		checks_size(a->checks, &groups, &values);
		metric_set(a->m_check_values, NULL, (double)values);
	}
}

/* Puts a->findings on rep; *msgs and *ptrs are the caller's to free. */
static void attach_findings(struct aggregator *a, Canvass__StoreReply *rep, Canvass__Problem **msgs,
			    Canvass__Problem ***ptrs)
{
	*msgs = NULL;
	*ptrs = NULL;
	if (a->findings->n == 0 ||
	    verdict_to_wire(a->findings->items, a->findings->n, msgs, ptrs) != 0)
		return;
	rep->findings = *ptrs;
	rep->n_findings = a->findings->n;
}

/*
 * The request's checks: 0, or CV_EMALFORMED when their arrays differ in
 * length (answered MALFORMED). A store that cannot be read leaves the
 * checks out, never the answer.
 */
/*
 * A request answered on its own (a read, a dry run, a refusal): dropped
 * from slot n; with no earlier slot holding a request, the arena is reset.
 */
static void drop(struct aggregator *a, struct slot *sl, size_t n)
{
	sl->req = NULL;
	checks_plan_free(&sl->plan);
	if (n == 0)
		arena_reset(a->arena);
}

static int prepare_checks(struct aggregator *a, struct slot *sl)
{
	static struct log_limit lines;
	int rc;

	checks_plan_free(&sl->plan);
	rc = checks_prepare(a->checks, a->cfg.store, sl->req, &sl->plan);
	if (rc == 0 || rc == CV_EMALFORMED)
		return rc;
	log_limited(&lines, cv_mono_ms(), 1000, LOG_WARN, "checks_skipped",
		    "error=\"%s\" msg=\"the groups could not be read from the store\"",
		    cv_strerror(rc));
	return 0;
}

/* A dry run: the findings against what is stored now; nothing is written. */
static void answer_dry_run(struct aggregator *a, struct slot *sl)
{
	Canvass__StoreReply rep = CANVASS__STORE_REPLY__INIT;
	Canvass__Problem *msgs, **ptrs;
	int locked = review_locked(a->cfg.store, sl->req->questionnaire, sl->req->cycle,
				   sl->req->member);

	if (locked != 0) {
		/* An approved return takes no revision: a dry run says so first. */
		aggregator_reply_status(
			a, sl->rid, sl->rid_len, sl->req->ticket,
			locked == 1 ? CANVASS__STATUS__LOCKED : CANVASS__STATUS__INTERNAL,
			locked == 1 ? LOCKED_MESSAGE : "the store could not be read");
		metric_add(a->m_results, locked == 1 ? "locked" : "internal", 1);
		return;
	}
	if (prepare_checks(a, sl) != 0) {
		aggregator_reply_status(a, sl->rid, sl->rid_len, sl->req->ticket,
					CANVASS__STATUS__MALFORMED, CHECKS_MALFORMED);
		a->stats.malformed++;
		metric_add(a->m_results, "malformed", 1);
		return;
	}
	run_checks(a, sl, false);
	rep.protocol_version = WIRE_PROTOCOL_VERSION;
	rep.ticket = sl->req->ticket;
	rep.status = CANVASS__STATUS__VALID;
	rep.message = (char *)"valid; nothing was stored (dry run)";
	attach_findings(a, &rep, &msgs, &ptrs);
	aggregator_send_reply(a, sl->rid, sl->rid_len, &rep);
	free(msgs);
	free(ptrs);
	a->stats.dry_runs++;
	metric_add(a->m_results, "valid", 1);
}

/*
 * Receives one multipart message. Returns 1 when a request was added to
 * the batch, 0 when the message was answered or dropped, -1 on EAGAIN.
 */
int aggregator_receive_one(struct aggregator *a, size_t n)
{
	struct slot *sl = &a->slots[n];
	zmq_msg_t body;
	int more, parts = 1, rc, status;
	const char *why = NULL;
	size_t more_len = sizeof more;
	int r;

	r = zmq_recv(a->sock, sl->rid, sizeof sl->rid, ZMQ_DONTWAIT);
	if (r < 0)
		return -1;
	sl->rid_len = (size_t)r > sizeof sl->rid ? sizeof sl->rid : (size_t)r;
	zmq_msg_init(&body);
	zmq_getsockopt(a->sock, ZMQ_RCVMORE, &more, &more_len);
	if (more) {
		zmq_msg_recv(&body, a->sock, 0);
		parts++;
		zmq_getsockopt(a->sock, ZMQ_RCVMORE, &more, &more_len);
		while (more) { /* drain extra frames of a malformed message */
			zmq_msg_t extra;
			zmq_msg_init(&extra);
			zmq_msg_recv(&extra, a->sock, 0);
			zmq_msg_close(&extra);
			parts++;
			zmq_getsockopt(a->sock, ZMQ_RCVMORE, &more, &more_len);
		}
	}
	if (parts != 2) {
		zmq_msg_close(&body);
		a->stats.malformed++;
		aggregator_reply_status(a, sl->rid, sl->rid_len, 0, CANVASS__STATUS__MALFORMED,
					"expected exactly one frame");
		return 0;
	}
	rc = wire_decode_store_request_in(a->arena, zmq_msg_data(&body), zmq_msg_size(&body),
					  a->cfg.max_message, &sl->req);
	zmq_msg_close(&body);
	if (rc == 0 && sl->req->read != CANVASS__READ_KIND__READ_NONE) {
		aggregator_answer_read(a, sl);
		drop(a, sl, n);
		return 0;
	}
	if (rc == 0) {
		struct store_put *p = &a->puts[n];
		memset(p, 0, sizeof *p);
		p->member = sl->req->member;
		p->questionnaire = sl->req->questionnaire;
		p->cycle = sl->req->cycle;
		p->key = sl->req->idempotency_key;
		p->content_hash = sl->req->content_hash.data;
		p->submission = sl->req->submission.data;
		p->submission_len = sl->req->submission.len;
		p->received_at_ms = sl->req->received_at_ms;
		p->late = sl->req->late;
		if (sl->req->content_hash.len != CV_HASH_LEN || sl->req->member[0] == '\0' ||
		    store_put_check(p) != 0) {
			rc = CV_EMALFORMED;
		} else {
			/* Trust nothing: the hash must be the hash of these bytes, and
			 * the bytes strictly a Submission (no hidden fields, UTF-8). */
			uint8_t h[CV_HASH_LEN];
			cv_sha256(p->submission, p->submission_len, h);
			if (memcmp(h, p->content_hash, CV_HASH_LEN) != 0 ||
			    wire_check_strict(&canvass__submission__descriptor, p->submission,
					      p->submission_len, NULL) != 0)
				rc = CV_EMALFORMED;
		}
		if (rc == 0 && sl->req->dry_run) {
			answer_dry_run(a, sl);
			drop(a, sl, n);
			return 0;
		}
		if (rc == 0) {
			if ((rc = prepare_checks(a, sl)) == 0)
				return 1;
			why = CHECKS_MALFORMED;
		}
	}
	status = rc == CV_ETOOBIG    ? CANVASS__STATUS__TOO_LARGE
		 : rc == CV_EVERSION ? CANVASS__STATUS__UNSUPPORTED_VERSION
				     : CANVASS__STATUS__MALFORMED;
	a->stats.malformed++;
	metric_add(a->m_results, "malformed", 1);
	aggregator_reply_status(a, sl->rid, sl->rid_len, sl->req ? sl->req->ticket : 0, status,
				why != NULL         ? why
				: rc == CV_EVERSION ? "protocol version 1 only"
						    : cv_strerror(rc));
	drop(a, sl, n);
	return 0;
}

void aggregator_answer_batch(struct aggregator *a, size_t n, int store_rc)
{
	for (size_t i = 0; i < n; i++) {
		struct slot *sl = &a->slots[i];
		struct store_put *p = &a->puts[i];
		Canvass__StoreReply rep = CANVASS__STORE_REPLY__INIT;
		Canvass__Receipt rc = CANVASS__RECEIPT__INIT;
		Canvass__Problem *msgs = NULL, **ptrs = NULL;

		rep.protocol_version = WIRE_PROTOCOL_VERSION;
		rep.ticket = sl->req->ticket;
		if (store_rc == CV_EFULL || store_rc == CV_ENOSPC) {
			rep.status = CANVASS__STATUS__STORAGE_FULL;
			rep.message =
				store_rc == CV_EFULL
					? (char *)"the store reached its size cap; retry later"
					: (char *)"no space left on the device; retry later";
			a->stats.storage_full++;
		} else if (store_rc != 0) {
			rep.status = CANVASS__STATUS__INTERNAL;
			rep.message = (char *)"storage failed; retry later";
		} else {
			rep.status = p->status;
			if (p->status == CANVASS__STATUS__CONFLICT) {
				rep.message =
					(char *)"this id was used before for different content";
				a->stats.conflict++;
			} else if (p->status == CANVASS__STATUS__LOCKED) {
				rep.message = (char *)LOCKED_MESSAGE;
				a->stats.locked++;
			} else {
				if (p->status == CANVASS__STATUS__ACCEPTED)
					a->stats.accepted++;
				else
					a->stats.duplicate++;
				rc.sequence = p->sequence;
				rc.revision = p->revision;
				rc.content_hash.data = (uint8_t *)(uintptr_t)p->content_hash;
				rc.content_hash.len = CV_HASH_LEN;
				rc.chain_hash.data = p->chain_hash;
				rc.chain_hash.len = CV_HASH_LEN;
				rc.stored_at_ms = p->stored_at_ms;
				rc.idempotency_key = (char *)(uintptr_t)p->key;
				rc.member = (char *)(uintptr_t)p->member;
				rc.late = p->late;
				rep.receipt = &rc;
				run_checks(a, sl, p->status == CANVASS__STATUS__ACCEPTED);
				attach_findings(a, &rep, &msgs, &ptrs);
			}
		}
		aggregator_send_reply(a, sl->rid, sl->rid_len, &rep);
		free(msgs);
		free(ptrs);
		if (a->cfg.metrics != NULL) {
			char name[32];
			const char *st = wire_status_name(rep.status);
			size_t k;
			for (k = 0; st[k] && k + 1 < sizeof name; k++)
				name[k] = (char)(st[k] >= 'A' && st[k] <= 'Z' ? st[k] + 32 : st[k]);
			name[k] = '\0';
			metric_add(a->m_results, name, 1);
			if (rep.status == CANVASS__STATUS__ACCEPTED && p->late)
				metric_add(a->m_late, NULL, 1);
		}
		if (store_rc == 0)
			aggregator_publish(a, p, rep.status);
		sl->req = NULL; /* in the arena, reset before the next batch */
		checks_plan_free(&sl->plan);
	}
}
