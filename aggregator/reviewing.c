#include "server.h"
#include "server_internal.h"
#include "returns.h"
#include "review.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "wire.h"

#include <stdlib.h>
#include <jansson.h>

#include <string.h>
#include <zmq.h>

/* The reviewer a review message's key belongs to now, or NULL. */
static const char *reviewer_of(struct aggregator *a, const char *key)
{
	if (a->cfg.keys == NULL)
		return "local"; /* insecure mode: no keys, one anonymous reviewer */
	for (size_t i = 0; key != NULL && i < a->n_reviewers; i++)
		if (strcmp(a->reviewers[i].key, key) == 0)
			return a->reviewers[i].user;
	return NULL;
}

static void publish_review(struct aggregator *a, const Canvass__ReviewAction *act,
			   const struct store_review *r, const char *reviewer)
{
	char topic[256], *text;
	json_t *o, *qs = json_array();
	int state = r->state != NULL ? (int)r->state->state : 0;

	if (a->events == NULL || qs == NULL) {
		json_decref(qs);
		return;
	}
	for (size_t i = 0; i < act->n_questions; i++)
		json_array_append_new(qs, json_string(act->questions[i]));
	/* Never the comment: it may quote answers. */
	o = json_pack("{ss ss ss sI sI ss ss ss ss so sI}", "member", act->member, "questionnaire",
		      act->questionnaire, "cycle", act->cycle, "revision", (json_int_t)r->revision,
		      "sequence", (json_int_t)r->sequence, "status", "ACCEPTED", "review",
		      review_action_name(act->action), "reviewer", reviewer, "state",
		      wire_return_state_name(state), "questions", qs, "stored_at_ms",
		      (json_int_t)r->stored_at_ms);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return;
	snprintf(topic, sizeof topic, "%s %s", act->questionnaire, act->member);
	if (zmq_send(a->events, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
	    zmq_send(a->events, text, strlen(text), ZMQ_DONTWAIT) >= 0)
		metric_add(a->m_events, NULL, 1);
	free(text);
}

/*
 * One reviewer message: [routing id][ReviewRequest]. Reads are answered
 * from a snapshot; an action is written in its own durable transaction and
 * answered after its commit. Returns 0, or the store error of a write
 * that must stop the writer (as a failed batch does).
 */
int aggregator_on_review(struct aggregator *a)
{
	uint8_t rid[ROUTING_ID_MAX];
	zmq_msg_t body;
	int r, more = 0, parts = 1, rc = 0;
	size_t more_len = sizeof more, rid_len;
	const char *reviewer;
	Canvass__ReviewRequest *req = NULL;
	Canvass__ReviewReply *rep = NULL, fixed = CANVASS__REVIEW_REPLY__INIT;
	struct store_review act = {0};
	struct wire_fault fault;
	char msg[320], label[48];
	uint8_t *buf;
	size_t len;

	r = zmq_recv(a->review, rid, sizeof rid, ZMQ_DONTWAIT);
	if (r < 0)
		return 0;
	rid_len = (size_t)r > sizeof rid ? sizeof rid : (size_t)r;
	zmq_msg_init(&body);
	zmq_getsockopt(a->review, ZMQ_RCVMORE, &more, &more_len);
	while (more) {
		zmq_msg_t extra;
		zmq_msg_t *m = parts == 1 ? &body : &extra;
		if (parts > 1)
			zmq_msg_init(&extra);
		zmq_msg_recv(m, a->review, 0);
		zmq_getsockopt(a->review, ZMQ_RCVMORE, &more, &more_len);
		if (parts > 1)
			zmq_msg_close(&extra);
		parts++;
	}
	fixed.protocol_version = WIRE_PROTOCOL_VERSION;
	fixed.message = msg;
	reviewer = parts == 2 ? reviewer_of(a, zmq_msg_gets(&body, ZAP_KEY_PROPERTY)) : NULL;
	if (parts != 2) {
		fixed.status = CANVASS__STATUS__MALFORMED;
		snprintf(msg, sizeof msg, "a request is exactly one frame");
	} else if (reviewer == NULL) {
		wire_peek_request_id(zmq_msg_data(&body), zmq_msg_size(&body), &fixed.request_id);
		fixed.status = CANVASS__STATUS__UNAUTHORIZED;
		snprintf(msg, sizeof msg,
			 "the key of this connection is no longer in the reviewers file");
	} else if ((rc = wire_decode_review_request(zmq_msg_data(&body), zmq_msg_size(&body),
						    a->cfg.max_message, &req, &fault)) != 0) {
		wire_peek_request_id(zmq_msg_data(&body), zmq_msg_size(&body), &fixed.request_id);
		fixed.status = rc == CV_ETOOBIG    ? CANVASS__STATUS__TOO_LARGE
			       : rc == CV_EVERSION ? CANVASS__STATUS__UNSUPPORTED_VERSION
						   : CANVASS__STATUS__MALFORMED;
		if (fault.code != NULL)
			snprintf(msg, sizeof msg, "not a review request: %s %s: %s", fault.code,
				 fault.where, fault.what);
		else
			snprintf(msg, sizeof msg, "%s",
				 rc == CV_EVERSION ? "protocol version 1 only" : cv_strerror(rc));
		rc = 0;
	} else {
		const struct review_scope scope = {.reg = a->cfg.registry,
						   .qs = a->cfg.qs,
						   .cycles = a->cfg.cycles,
						   .now_ms = cv_now_ms()};
		rc = review_answer(a->cfg.store, &scope, reviewer, req, &rep, &act);
	}
	zmq_msg_close(&body);
	if (rep == NULL)
		rep = &fixed;
	snprintf(label, sizeof label, "%s_%s",
		 req == NULL ? "invalid"
		 : req->body_case == CANVASS__REVIEW_REQUEST__BODY_ACT
			 ? review_action_name(req->act->action)
		 : req->body_case == CANVASS__REVIEW_REQUEST__BODY_LIST ? "list"
									: "show",
		 wire_status_name(rep->status));
	for (char *c = label; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	metric_add(a->m_review, label, 1);
	/* Counted, logged and published only once committed. */
	if (rc == 0 && req != NULL && req->body_case == CANVASS__REVIEW_REQUEST__BODY_ACT &&
	    act.status == CANVASS__STATUS__ACCEPTED) {
		a->stats.review_actions++;
		log_event(LOG_INFO, "review",
			  "reviewer=%s action=%s questionnaire=%.64s cycle=%.32s member=%.16s "
			  "sequence=%llu",
			  reviewer, review_action_name(req->act->action), req->act->questionnaire,
			  req->act->cycle, req->act->member, (unsigned long long)act.sequence);
		publish_review(a, req->act, &act, reviewer);
		aggregator_update_gauges(a);
	}
	if (wire_pack(&rep->base, &buf, &len) == 0) {
		if (zmq_send(a->review, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
		    zmq_send(a->review, buf, len, ZMQ_DONTWAIT) < 0)
			a->stats.replies_dropped++;
		free(buf);
	}
	if (rep != &fixed)
		canvass__review_reply__free_unpacked(rep, NULL);
	review_free(&act.state);
	WIRE_FREE(req);
	if (rc == CV_EFULL || rc == CV_ENOSPC)
		rc = 0; /* retryable: answered STORAGE_FULL */
	return rc;
}
