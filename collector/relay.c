#include "relay.h"
#include "budget.h"
#include "text.h"
#include "error.h"
#include "log.h"
#include "daemon.h"
#include "zap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <zmq.h>

#define ROUTING_ID_MAX 256

/* A submission waiting for the aggregator's answer. */
struct pending {
	uint64_t ticket; /* 0: free */
	uint64_t request_id;
	int64_t deadline_ms;
	uint8_t rid[ROUTING_ID_MAX];
	size_t rid_len;
	struct budget_entry *who; /* the member's budget, charged while in flight */
	struct problem *warnings; /* validation warnings, sent with the receipt */
	size_t n_warnings;
	int64_t received_us; /* for the acknowledgement latency */
	bool dry_run, late, read;
};

struct collector {
	struct collector_cfg cfg;
	void *members;      /* ROUTER */
	void *upstream;     /* DEALER to the aggregator */
	void *upstream_mon; /* PAIR: the upstream socket's connection events */
	int upstream_up;    /* aggregator connections with a completed handshake */
	struct pending *pending;
	size_t *free_slots;
	size_t n_free;
	uint64_t generation;
	struct intake_result *result;
	struct collector_stats stats;
	struct budget *budget;     /* its own lifetime: ZeroMQ's callbacks may outlive c */
	void *members_mon;         /* PAIR: the member socket's events (insecure mode only) */
	struct conn_counter count; /* insecure mode only; else the ZAP handler counts */
	struct metric *m_requests, *m_rejections, *m_pending, *m_latency, *m_connected,
		*m_handshaking, *m_shed, *m_handshake_failures, *m_upstream, *m_dropped, *m_unread,
		*m_cut, *m_findings;
};

static void register_metrics(struct collector *c)
{
	static const double secs[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
				      0.1,    0.25,  0.5,   1,     2.5,  5};
	static const char *const results[] = {"accepted", "duplicate",   "conflict",     "rejected",
					      "busy",     "unavailable", "storage_full", "valid"};
	struct metrics *m = c->cfg.metrics;

	if (m == NULL)
		return;
	c->m_requests = metrics_counter(m, "canvass_collector_replies_total",
					"Replies to members, by status", "status");
	for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
		metric_touch(c->m_requests, results[i]);
	c->m_dropped = metrics_counter(m, "canvass_collector_replies_dropped_total",
				       "Replies not sent, by reason", "reason");
	metric_touch(c->m_dropped, "member_budget");
	metric_touch(c->m_dropped, "hwm");
	metric_touch(c->m_dropped, "gone");
	c->m_cut = metrics_counter(
		m, "canvass_collector_unread_disconnects_total",
		"Member connections closed: unread replies at 2 x member-reply-bytes", NULL);
	c->m_unread =
		metrics_gauge(m, "canvass_collector_unread_reply_bytes",
			      "Bytes of replies ZeroMQ holds, not yet written to members", NULL);
	c->m_rejections = metrics_counter(m, "canvass_collector_rejections_total",
					  "Errors in refused submissions, by problem code", "code");
	c->m_findings =
		metrics_counter(m, "canvass_collector_findings_total",
				"Quality findings in replies sent to members, by code", "code");
	metric_touch(c->m_findings, "SOFT_RANGE");
	metric_touch(c->m_findings, "CHANGE_FROM_PREVIOUS");
	metric_touch(c->m_findings, "OUTLIER");
	c->m_pending = metrics_gauge(m, "canvass_collector_pending",
				     "Submissions waiting for the aggregator's answer", NULL);
	c->m_latency = metrics_histogram(m, "canvass_collector_ack_latency_seconds",
					 "From a submission's arrival to its receipt", secs, 13);
	c->m_connected =
		metrics_gauge(m, "canvass_collector_connected_members",
			      "Member connections past the handshake, until they close", NULL);
	c->m_handshaking = metrics_gauge(m, "canvass_collector_handshaking_connections",
					 "Connections accepted and still in the handshake", NULL);
	c->m_shed =
		metrics_counter(m, "canvass_collector_connections_shed_total",
				"Connections closed at acceptance: beyond max-handshaking", NULL);
	c->m_handshake_failures =
		metrics_counter(m, "canvass_collector_handshake_failures_total",
				"Refused or failed member handshakes, by reason", "reason");
	metric_touch(c->m_handshake_failures, "unknown_key");
	metric_touch(c->m_handshake_failures, "not_curve");
	metric_touch(c->m_handshake_failures, "protocol");
	c->m_upstream = metrics_gauge(m, "canvass_collector_aggregator_connected",
				      "1 while the link to the aggregator is up", NULL);
}

int collector_open(struct collector **out, void *zctx, const struct collector_cfg *cfg, char *err,
		   size_t errlen)
{
	struct collector *c = calloc(1, sizeof *c);
	int one = 1, zero = 0, rc;
	int64_t maxmsg = (int64_t)cfg->intake.limits.max_message;

	*out = NULL;
	if (c == NULL)
		return CV_ENOMEM;
	c->cfg = *cfg;
	c->pending = calloc(cfg->max_pending, sizeof *c->pending);
	c->free_slots = calloc(cfg->max_pending, sizeof *c->free_slots);
	c->result = malloc(sizeof *c->result);
	if (c->pending == NULL || c->free_slots == NULL || c->result == NULL ||
	    budget_new(&c->budget, cfg->member_max_pending, cfg->member_reply_bytes) != 0) {
		rc = CV_ENOMEM;
		goto fail;
	}
	intake_result_init(c->result);
	for (size_t i = 0; i < cfg->max_pending; i++)
		c->free_slots[c->n_free++] = cfg->max_pending - 1 - i;

	c->members = zmq_socket(zctx, ZMQ_ROUTER);
	c->upstream = zmq_socket(zctx, ZMQ_DEALER);
	if (c->members == NULL || c->upstream == NULL) {
		rc = cv_fail(err, errlen, CV_EZMQ, "socket: %s", zmq_strerror(errno));
		goto fail;
	}
	zmq_setsockopt(c->members, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
	zmq_setsockopt(c->members, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(c->members, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
	zmq_setsockopt(c->members, ZMQ_SNDHWM, &cfg->hwm, sizeof cfg->hwm);
	zmq_setsockopt(c->members, ZMQ_RCVHWM, &cfg->hwm, sizeof cfg->hwm);
	/* Sends fail at once (BUSY/UNAVAILABLE) while no aggregator is connected. */
	zmq_setsockopt(c->upstream, ZMQ_IMMEDIATE, &one, sizeof one);
	zmq_setsockopt(c->upstream, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(c->upstream, ZMQ_SNDHWM, &cfg->hwm, sizeof cfg->hwm);
	zmq_setsockopt(c->upstream, ZMQ_RCVHWM, &cfg->hwm, sizeof cfg->hwm);
	{
		int hs = (int)cfg->handshake_ms;
		zmq_setsockopt(c->members, ZMQ_HANDSHAKE_IVL, &hs, sizeof hs);
	}
	if (cfg->keys != NULL &&
	    (zap_make_server(c->members, cfg->keys) != 0 ||
	     zap_make_client(c->upstream, cfg->keys, cfg->aggregator_key) != 0)) {
		rc = cv_fail(err, errlen, CV_EZMQ, "CURVE set-up: %s", zmq_strerror(errno));
		goto fail;
	}
	{
		/* With CURVE the ZAP handler counts the connections in its own thread,
		 * before each handshake it decides (zap_watch); without, this loop does. */
		char mon_ep[64];
		snprintf(mon_ep, sizeof mon_ep, "inproc://canvass-members-%p", (void *)c);
		if (zmq_socket_monitor(c->members, mon_ep,
				       ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
					       ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
					       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
					       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
					       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0) {
			rc = cv_fail(err, errlen, CV_EZMQ, "monitor: %s", zmq_strerror(errno));
			goto fail;
		}
		if (cfg->zap != NULL) {
			if (zap_watch(cfg->zap, mon_ep) != 0) {
				rc = cv_fail(err, errlen, CV_EZMQ,
					     "monitor: the ZAP handler cannot watch");
				goto fail;
			}
		} else {
			c->members_mon = zmq_socket(zctx, ZMQ_PAIR);
			if (c->members_mon == NULL || conn_counter_init(&c->count) != 0 ||
			    zmq_connect(c->members_mon, mon_ep) != 0) {
				rc = cv_fail(err, errlen, CV_EZMQ, "monitor: %s",
					     zmq_strerror(errno));
				goto fail;
			}
			zmq_setsockopt(c->members_mon, ZMQ_LINGER, &zero, sizeof zero);
			c->count.max_handshaking = cfg->max_handshaking;
		}
	}
	register_metrics(c);
	if (zmq_bind(c->members, cfg->listen) != 0) {
		rc = cv_fail(err, errlen, CV_EZMQ, "bind %s: %s", cfg->listen, zmq_strerror(errno));
		goto fail;
	}
	{
		/* Watch the aggregator link: a full queue (BUSY) and a missing aggregator
		 * (UNAVAILABLE) are different answers. */
		char mon_ep[64];
		snprintf(mon_ep, sizeof mon_ep, "inproc://canvass-upstream-%p", (void *)c);
		c->upstream_mon = zmq_socket(zctx, ZMQ_PAIR);
		if (c->upstream_mon == NULL ||
		    zmq_socket_monitor(c->upstream, mon_ep,
				       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) !=
			    0 ||
		    zmq_connect(c->upstream_mon, mon_ep) != 0) {
			rc = cv_fail(err, errlen, CV_EZMQ, "monitor: %s", zmq_strerror(errno));
			goto fail;
		}
		zmq_setsockopt(c->upstream_mon, ZMQ_LINGER, &zero, sizeof zero);
	}
	if (zmq_connect(c->upstream, cfg->aggregator) != 0) {
		rc = cv_fail(err, errlen, CV_EZMQ, "connect %s: %s", cfg->aggregator,
			     zmq_strerror(errno));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	collector_close(&c);
	return rc;
}

void collector_close(struct collector **cp)
{
	struct collector *c;
	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	if (c->members) {
		int64_t deadline = cv_mono_ms() + 2000;
		zmq_socket_monitor(c->members, NULL, 0);
		zmq_close(c->members);
		/* ZeroMQ gives back the replies it held (and runs their callbacks) as it closes. */
		while (c->budget != NULL && budget_unread(c->budget) > 0 && cv_mono_ms() < deadline)
			cv_sleep_ms(5);
	}
	if (c->members_mon)
		zmq_close(c->members_mon);
	conn_counter_free(&c->count);
	if (c->upstream) {
		zmq_socket_monitor(c->upstream, NULL, 0);
		zmq_close(c->upstream);
	}
	if (c->upstream_mon)
		zmq_close(c->upstream_mon);
	if (c->result)
		intake_result_free(c->result);
	for (size_t i = 0; c->pending != NULL && i < c->cfg.max_pending; i++)
		free(c->pending[i].warnings);
	if (c->budget != NULL && budget_unread(c->budget) > 0) /* freed by the last callback */
		log_event(LOG_WARN, "replies_not_released", "bytes=%zu", budget_unread(c->budget));
	budget_release(&c->budget);
	free(c->result);
	free(c->pending);
	free(c->free_slots);
	free(c);
	*cp = NULL;
}

const struct collector_stats *collector_stats(const struct collector *c)
{
	return &c->stats;
}

void collector_set_intake(struct collector *c, const struct registry *reg, const struct qset *qs,
			  const struct cycles *cycles)
{
	c->cfg.intake.reg = reg;
	c->cfg.intake.qs = qs;
	c->cfg.intake.cycles = cycles;
}

void collector_set_limits(struct collector *c, const struct collector_limits *l)
{
	size_t max_message = c->cfg.intake.limits.max_message; /* ZMQ_MAXMSGSIZE: fixed */
	c->cfg.intake.limits = l->wire;
	c->cfg.intake.limits.max_message = max_message;
	c->cfg.store_timeout_ms = l->store_timeout_ms;
	c->budget->max_in_flight = l->member_max_pending;
	c->budget->reply_bytes = l->member_reply_bytes;
	c->count.max_handshaking = l->max_handshaking;
}

void *collector_member_socket(struct collector *c)
{
	return c->members;
}

static void count_drop(struct collector *c, const char *reason)
{
	c->stats.replies_dropped++;
	metric_add(c->m_dropped, reason, 1);
}

/*
 * Whether fd (the message's ZMQ_SRCFD, which libzmq deprecates: by the time
 * it is read the connection may be gone and the number another's) is still
 * a socket connected from the address the message came from. A descriptor
 * that is not is never shut down; the member's replies stay bounded by its
 * budget either way.
 */
static bool same_peer(int fd, zmq_msg_t *msg)
{
	const char *want = zmq_msg_gets(msg, "Peer-Address");
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	char host[INET6_ADDRSTRLEN] = "";

	if (want == NULL || getpeername(fd, (struct sockaddr *)&sa, &len) != 0)
		return false;
	if (sa.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
	else if (sa.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof host);
	else
		return false; /* ipc://: no address to tell connections apart */
	return strcmp(host, want) == 0;
}

/*
 * Sends a Reply to a member, charged to its budget (who); a reply that does
 * not fit the budget or ZeroMQ's queue is dropped and counted by reason.
 */
static void reply_ex(struct collector *c, struct budget_entry *who, const uint8_t *rid,
		     size_t rid_len, uint64_t request_id, int status, const char *message,
		     const struct problem *items, size_t n_items, Canvass__Receipt *receipt,
		     const Canvass__StoreReply *read)
{
	Canvass__Reply rep = CANVASS__REPLY__INIT;
	Canvass__Problem *probs = NULL, **pp = NULL;
	Canvass__Submission *sub = NULL;
	char text[512];
	zmq_msg_t body;
	size_t n = items ? n_items : 0;
	size_t bytes;
	int rc;

	rep.protocol_version = WIRE_PROTOCOL_VERSION;
	rep.request_id = request_id;
	rep.status = status;
	/* Whatever a reply echoes is valid UTF-8, so that any proto3 decoder reads it. */
	text_copy(text, sizeof text, message ? message : "");
	rep.message = text;
	rep.receipt = receipt;
	if (read != NULL) {
		/* A read's answer: the member's own returns, its stored submission. */
		rep.returns = read->returns;
		rep.n_returns = read->n_returns;
		if (read->submission.len > 0 &&
		    wire_decode_submission(read->submission.data, read->submission.len, SIZE_MAX,
					   &sub) == 0)
			rep.submission = sub;
	}
	if (n > 0) {
		if (verdict_to_wire(items, n, &probs, &pp) != 0)
			n = 0;
		rep.n_problems = n;
		rep.problems = pp;
	}
	rc = who != NULL ? budget_msg_init(c->budget, who, &body, &rep.base) : CV_ENOMEM;
	free(probs);
	free(pp);
	WIRE_FREE(sub);
	if (rc != 0) {
		count_drop(c, "member_budget");
		return;
	}
	bytes = zmq_msg_size(&body);
	if (zmq_send(c->members, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_msg_send(&body, c->members, ZMQ_DONTWAIT) < 0) {
		/* EAGAIN: this connection's queue is at hwm; else the member has gone. */
		count_drop(c, errno == EAGAIN ? "hwm" : "gone");
		zmq_msg_close(&body); /* gives the bytes back */
		return;
	}
	c->stats.answered++;
	log_event(LOG_DEBUG, "reply", "status=%s problems=%zu bytes=%zu", wire_status_name(status),
		  n, bytes);
	if (c->m_requests != NULL) {
		char name[32];
		const char *st = wire_status_name(status);
		size_t k;
		for (k = 0; st[k] && k + 1 < sizeof name; k++)
			name[k] = (char)(st[k] >= 'A' && st[k] <= 'Z' ? st[k] + 32 : st[k]);
		name[k] = '\0';
		metric_add(c->m_requests, name, 1);
		for (size_t i = 0; i < n; i++) {
			if (status == CANVASS__STATUS__REJECTED && !items[i].warning)
				metric_add(c->m_rejections, items[i].code, 1);
			if (items[i].finding)
				metric_add(c->m_findings, items[i].code, 1);
		}
	}
}

static void reply(struct collector *c, struct budget_entry *who, const uint8_t *rid, size_t rid_len,
		  uint64_t request_id, int status, const char *message, const struct problem *items,
		  size_t n_items, Canvass__Receipt *receipt)
{
	reply_ex(c, who, rid, rid_len, request_id, status, message, items, n_items, receipt, NULL);
}

static void count_status(struct collector *c, int status)
{
	switch (status) {
	case CANVASS__STATUS__REJECTED: c->stats.rejected++; break;
	case CANVASS__STATUS__BUSY: c->stats.busy++; break;
	case CANVASS__STATUS__UNAVAILABLE: c->stats.unavailable++; break;
	case CANVASS__STATUS__UNAUTHORIZED: c->stats.unauthorized++; break;
	case CANVASS__STATUS__VALID: c->stats.checked++; break;
	default: c->stats.malformed++; break;
	}
}

static void on_member(struct collector *c)
{
	uint8_t rid[ROUTING_ID_MAX];
	struct intake_result *r = c->result;
	zmq_msg_t body;
	size_t rid_len, more_len;
	int more = 0, parts = 1;
	const char *peer, *peer_key;
	struct budget_entry *who;
	int64_t received_us;
	int n;

	n = zmq_recv(c->members, rid, sizeof rid, ZMQ_DONTWAIT);
	if (n < 0)
		return;
	rid_len = (size_t)n > sizeof rid ? sizeof rid : (size_t)n;
	c->stats.requests++;
	zmq_msg_init(&body);
	more_len = sizeof more;
	zmq_getsockopt(c->members, ZMQ_RCVMORE, &more, &more_len);
	if (more) {
		zmq_msg_recv(&body, c->members, 0);
		parts++;
		zmq_getsockopt(c->members, ZMQ_RCVMORE, &more, &more_len);
		while (more) {
			zmq_msg_t extra;
			zmq_msg_init(&extra);
			zmq_msg_recv(&extra, c->members, 0);
			zmq_msg_close(&extra);
			parts++;
			zmq_getsockopt(c->members, ZMQ_RCVMORE, &more, &more_len);
		}
	}
	/* The ZAP handler binds the member code and the key; none in insecure mode. */
	peer = parts > 1 ? zmq_msg_gets(&body, "User-Id") : NULL;
	peer_key = parts > 1 ? zmq_msg_gets(&body, ZAP_KEY_PROPERTY) : NULL;
	if (c->cfg.keys == NULL) {
		peer = peer_key = NULL;
	} else if (peer == NULL || peer[0] == '\0') {
		/* Cannot happen behind the ZAP handler; refuse rather than trust. */
		peer = "?";
	}
	/* A member's budget covers all its connections; without CURVE, one connection. */
	who = peer != NULL ? budget_get(c->budget, peer, strlen(peer))
			   : budget_get(c->budget, rid, rid_len);
	if (parts != 2) {
		zmq_msg_close(&body);
		c->stats.malformed++;
		reply(c, who, rid, rid_len, 0, CANVASS__STATUS__MALFORMED,
		      "a request is exactly one frame", NULL, 0, NULL);
		return;
	}
	if (who != NULL && budget_admit(c->budget, who) == BUDGET_UNREAD) {
		/* Not even checked: a member that does not read its replies gets no more work. */
		uint64_t request_id = 0;
		int fd = zmq_msg_get(&body, ZMQ_SRCFD);
		wire_peek_request_id(zmq_msg_data(&body), zmq_msg_size(&body), &request_id);
		if (budget_full(c->budget, who) && fd >= 0 && same_peer(fd, &body)) {
			/* Not even a BUSY fits: close the connection this came on (ZeroMQ drops
			 * its queued replies with it); the member may reconnect and resend. */
			if (shutdown(fd, SHUT_RDWR) == 0) {
				static struct log_limit cut_lines;
				c->stats.unread_disconnects++;
				metric_add(c->m_cut, NULL, 1);
				log_limited(&cut_lines, cv_mono_ms(), 1000, LOG_WARN,
					    "member_disconnected",
					    "member=%s reason=unread_replies unread_bytes=%zu",
					    peer != NULL ? peer : "-",
					    (size_t)atomic_load(&who->unread));
			}
			zmq_msg_close(&body); /* (peer points into its properties) */
			count_drop(c, "member_budget");
			return;
		}
		zmq_msg_close(&body);
		c->stats.busy++;
		c->stats.busy_unread++;
		reply(c, who, rid, rid_len, request_id, CANVASS__STATUS__BUSY,
		      "your unread replies are at this collector's limit: read them, then "
		      "resend",
		      NULL, 0, NULL);
		return;
	}
	received_us = cv_mono_us();
	intake_check(&c->cfg.intake, zmq_msg_data(&body), zmq_msg_size(&body), peer, peer_key,
		     cv_now_ms(), r);
	zmq_msg_close(&body);
	if (r->status != 0) {
		count_status(c, r->status);
		reply(c, who, rid, rid_len, r->request_id, r->status, r->message, r->verdict.items,
		      r->verdict.n, NULL);
		return;
	}
	if (c->n_free == 0) {
		c->stats.busy++;
		reply(c, who, rid, rid_len, r->request_id, CANVASS__STATUS__BUSY,
		      "too many submissions in flight; retry later", NULL, 0, NULL);
		return;
	}
	if (who == NULL || budget_admit(c->budget, who) == BUDGET_IN_FLIGHT) {
		c->stats.busy++;
		c->stats.busy_in_flight++;
		reply(c, who, rid, rid_len, r->request_id, CANVASS__STATUS__BUSY,
		      "too many of your submissions are in flight at this collector; retry "
		      "later",
		      NULL, 0, NULL);
		return;
	}
	{
		size_t slot = c->free_slots[c->n_free - 1];
		struct pending *p = &c->pending[slot];
		uint8_t *buf;
		size_t len;

		c->generation++;
		r->store.ticket = (c->generation << 20) | slot;
		if (wire_pack(&r->store.base, &buf, &len) != 0) {
			reply(c, who, rid, rid_len, r->request_id, CANVASS__STATUS__INTERNAL,
			      "out of memory", NULL, 0, NULL);
			return;
		}
		if (zmq_send(c->upstream, buf, len, ZMQ_DONTWAIT) < 0) {
			free(buf);
			if (c->upstream_up > 0) {
				c->stats.busy++;
				reply(c, who, rid, rid_len, r->request_id, CANVASS__STATUS__BUSY,
				      "the storage queue is full; retry later", NULL, 0, NULL);
			} else {
				c->stats.unavailable++;
				reply(c, who, rid, rid_len, r->request_id,
				      CANVASS__STATUS__UNAVAILABLE,
				      "storage is not reachable; retry later", NULL, 0, NULL);
			}
			return;
		}
		free(buf);
		c->n_free--;
		p->ticket = r->store.ticket;
		p->who = who;
		who->in_flight++;
		p->request_id = r->request_id;
		p->deadline_ms = cv_mono_ms() + c->cfg.store_timeout_ms;
		memcpy(p->rid, rid, rid_len);
		p->rid_len = rid_len;
		p->n_warnings = 0;
		p->received_us = received_us;
		p->dry_run = r->store.dry_run;
		p->read = r->store.read != CANVASS__READ_KIND__READ_NONE;
		p->late = r->late;
		if (r->verdict.n > 0) {
			/* Only warnings remain on a valid submission; they go with the receipt. */
			p->warnings = malloc(r->verdict.n * sizeof *p->warnings);
			if (p->warnings != NULL) {
				memcpy(p->warnings, r->verdict.items,
				       r->verdict.n * sizeof *p->warnings);
				p->n_warnings = r->verdict.n;
			}
		}
		c->stats.relayed++;
		metric_set(c->m_pending, NULL, (double)(c->cfg.max_pending - c->n_free));
	}
}

static void release(struct collector *c, struct pending *p)
{
	p->ticket = 0;
	p->who->in_flight--;
	p->who = NULL;
	free(p->warnings);
	p->warnings = NULL;
	p->n_warnings = 0;
	c->free_slots[c->n_free++] = (size_t)(p - c->pending);
	metric_set(c->m_pending, NULL, (double)(c->cfg.max_pending - c->n_free));
}

/*
 * Appends the aggregator's quality findings to the collector's own warnings
 * (what does not fit VALIDATE_MAX_PROBLEMS in all is left out). Only what
 * the finding says about this member's answer is kept; the text is checked
 * UTF-8 again on the way to the member (reply()).
 */
static void add_findings(struct pending *p, const Canvass__StoreReply *sr)
{
	size_t n = p->n_warnings + sr->n_findings;
	struct problem *w;

	if (n > VALIDATE_MAX_PROBLEMS)
		n = VALIDATE_MAX_PROBLEMS;
	if (n <= p->n_warnings || (w = realloc(p->warnings, n * sizeof *w)) == NULL)
		return;
	p->warnings = w;
	for (size_t i = 0; p->n_warnings < n; i++) {
		const Canvass__Problem *f = sr->findings[i];
		struct problem *d = &w[p->n_warnings++];
		memset(d, 0, sizeof *d);
		d->warning = 1;
		d->finding = true;
		text_copy(d->code, sizeof d->code, f->code);
		text_copy(d->question, sizeof d->question, f->question);
		text_copy(d->message, sizeof d->message, f->message);
		text_copy(d->group, sizeof d->group, f->group);
		d->value = f->value;
		d->reference = f->reference;
		d->score = f->score;
		d->group_size = f->group_size;
	}
}

static void on_upstream(struct collector *c)
{
	Canvass__StoreReply *sr;
	struct pending *p;
	zmq_msg_t msg;
	int more = 0;
	size_t more_len = sizeof more;

	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, c->upstream, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&msg);
		return;
	}
	zmq_getsockopt(c->upstream, ZMQ_RCVMORE, &more, &more_len);
	if (more || wire_decode_store_reply(zmq_msg_data(&msg), zmq_msg_size(&msg),
					    c->cfg.intake.limits.max_message, &sr) != 0) {
		zmq_msg_close(&msg);
		while (more) {
			zmq_msg_init(&msg);
			zmq_msg_recv(&msg, c->upstream, 0);
			zmq_getsockopt(c->upstream, ZMQ_RCVMORE, &more, &more_len);
			zmq_msg_close(&msg);
		}
		static struct log_limit bad_lines;
		log_limited(&bad_lines, cv_mono_ms(), 1000, LOG_WARN, "bad_store_reply", NULL);
		return;
	}
	zmq_msg_close(&msg);
	p = &c->pending[(sr->ticket & 0xfffff) % c->cfg.max_pending];
	if (p->ticket != sr->ticket || sr->ticket == 0) {
		/* Answered already (timed out): the member's retry settles it. */
		c->stats.late_store_replies++;
		WIRE_FREE(sr);
		return;
	}
	if (p->read) {
		reply_ex(c, p->who, p->rid, p->rid_len, p->request_id, sr->status, sr->message,
			 NULL, 0, NULL, sr);
		c->stats.reads++;
		release(c, p);
		WIRE_FREE(sr);
		return;
	}
	if (sr->n_findings > 0 && (sr->receipt != NULL || sr->status == CANVASS__STATUS__VALID))
		add_findings(p, sr);
	{
		char note[128];
		const char *text = sr->message;
		int answered = sr->receipt != NULL || sr->status == CANVASS__STATUS__VALID;
		size_t nw = answered ? p->n_warnings : 0;
		if (sr->status == CANVASS__STATUS__VALID && p->dry_run) {
			snprintf(note, sizeof note, "valid%s%s; nothing was stored (dry run)",
				 p->late ? " but late" : "", nw ? ", with warnings" : "");
			text = note;
		} else if (nw > 0 && text[0] == '\0') {
			snprintf(note, sizeof note, "stored, with %zu warning%s", nw,
				 nw == 1 ? "" : "s");
			text = note;
		}
		reply(c, p->who, p->rid, p->rid_len, p->request_id, sr->status, text, p->warnings,
		      nw, sr->receipt);
		if (p->dry_run)
			c->stats.checked++;
		else
			metric_observe(c->m_latency, (double)(cv_mono_us() - p->received_us) / 1e6);
		if (sr->status == CANVASS__STATUS__STORAGE_FULL ||
		    sr->status == CANVASS__STATUS__INTERNAL)
			httpd_record_error(c->cfg.http);
	}
	release(c, p);
	WIRE_FREE(sr);
}

static void expire(struct collector *c, int all)
{
	int64_t now = cv_mono_ms();
	for (size_t i = 0; i < c->cfg.max_pending; i++) {
		struct pending *p = &c->pending[i];
		if (p->ticket == 0 || (!all && p->deadline_ms > now))
			continue;
		c->stats.unavailable++;
		httpd_record_error(c->cfg.http);
		reply(c, p->who, p->rid, p->rid_len, p->request_id, CANVASS__STATUS__UNAVAILABLE,
		      "storage did not answer in time; the submission may or may not be "
		      "stored: resend it with the same id",
		      NULL, 0, NULL);
		release(c, p);
	}
}

static void on_upstream_event(struct collector *c)
{
	uint16_t event;
	uint32_t value;

	while (zap_monitor_event(c->upstream_mon, ZMQ_DONTWAIT, &event, &value)) {
		if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
			c->upstream_up++;
			metric_set(c->m_upstream, NULL, 1);
			log_event(LOG_INFO, "aggregator_connected", NULL);
		} else if (event == ZMQ_EVENT_DISCONNECTED && c->upstream_up > 0) {
			c->upstream_up--;
			metric_set(c->m_upstream, NULL, c->upstream_up > 0);
			log_event(LOG_WARN, "aggregator_disconnected", NULL);
		}
	}
}

static void on_member_event(struct collector *c)
{
	conn_counter_drain(&c->count, c->members_mon);
	metric_set(c->m_connected, NULL, (double)conn_counter_authenticated(&c->count));
	metric_set(c->m_handshaking, NULL, (double)conn_counter_handshaking(&c->count));
	metric_set(c->m_handshake_failures, "protocol", (double)c->count.failed_protocol);
	metric_set(c->m_shed, NULL, (double)c->count.shed);
}

/* Gauges and counts read from elsewhere, refreshed by the loop. */
static void refresh_metrics(struct collector *c)
{
	metric_set(c->m_pending, NULL, (double)(c->cfg.max_pending - c->n_free));
	metric_set(c->m_unread, NULL, (double)budget_unread(c->budget));
	if (c->cfg.zap != NULL && c->m_handshake_failures != NULL) {
		struct zap_stats zs;
		zap_get_stats(c->cfg.zap, &zs);
		metric_set(c->m_handshake_failures, "unknown_key", (double)zs.refused_unknown_key);
		metric_set(c->m_handshake_failures, "not_curve", (double)zs.refused_mechanism);
		metric_set(c->m_handshake_failures, "connection_limit", (double)zs.refused_limit);
		metric_set(c->m_handshake_failures, "protocol", (double)zs.failed_protocol);
		metric_set(c->m_connected, NULL, (double)zs.connected);
		metric_set(c->m_handshaking, NULL, (double)zs.handshaking);
		metric_set(c->m_shed, NULL, (double)zs.shed);
	}
}

static int readable(void *sock)
{
	int ev = 0;
	size_t el = sizeof ev;
	return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &el) == 0 && (ev & ZMQ_POLLIN);
}

/* Reads the aggregator's answers waiting, up to 1000. */
static void drain_upstream(struct collector *c)
{
	for (int i = 0; i < 1000; i++) {
		on_upstream(c);
		if (!readable(c->upstream))
			break;
	}
}

int collector_run(struct collector *c, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	zmq_pollitem_t items[4] = {
		{c->members, 0, ZMQ_POLLIN, 0},
		{c->upstream, 0, ZMQ_POLLIN, 0},
		{c->upstream_mon, 0, ZMQ_POLLIN, 0},
		{c->members_mon, 0, ZMQ_POLLIN, 0},
	};
	int64_t next_sweep = cv_mono_ms() + 100;

	while (!*stop) {
		int rc;
		if (*reload)
			return COLLECTOR_RELOAD;
		daemon_watchdog_tick();
		/* The member monitor is this loop's only without CURVE (else ZAP's). */
		rc = zmq_poll(items, c->members_mon != NULL ? 4 : 3, 100);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return CV_EZMQ;
		}
		if (items[2].revents & ZMQ_POLLIN)
			on_upstream_event(c);
		if (c->members_mon != NULL && (items[3].revents & ZMQ_POLLIN))
			on_member_event(c);
		/* Answers first: they free slots for new requests. */
		if (items[1].revents & ZMQ_POLLIN)
			drain_upstream(c);
		if (items[0].revents & ZMQ_POLLIN)
			for (int i = 0; i < 1000; i++) {
				on_member(c);
				if (!readable(c->members))
					break;
				/* A flood of requests does not hold back the answers waiting. */
				if (i % 8 == 7 && readable(c->upstream))
					drain_upstream(c);
			}
		if (cv_mono_ms() >= next_sweep) {
			expire(c, 0);
			budget_sweep(c->budget);
			refresh_metrics(c);
			next_sweep = cv_mono_ms() + 100;
		}
	}
	expire(c, 1);
	return 0;
}
