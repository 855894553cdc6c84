#include "server.h"
#include "error.h"
#include "log.h"
#include "wire.h"
#include "zap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ROUTING_ID_MAX 256

/* One request of the batch in hand. */
struct slot {
	uint8_t rid[ROUTING_ID_MAX];
	size_t rid_len;
	Canvass__StoreRequest *req;
};

struct aggregator {
	void *sock;
	struct aggregator_cfg cfg;
	struct slot *slots;
	struct store_put *puts;
	struct aggregator_stats stats;
};

int aggregator_open(struct aggregator **out, void *zctx, const struct aggregator_cfg *cfg,
		    char *err, size_t errlen)
{
	struct aggregator *a = calloc(1, sizeof *a);
	int one = 1, zero = 0, rc;

	*out = NULL;
	if (a == NULL)
		return CV_ENOMEM;
	a->cfg = *cfg;
	if (a->cfg.batch_max == 0)
		a->cfg.batch_max = 1;
	a->slots = calloc(a->cfg.batch_max, sizeof *a->slots);
	a->puts = calloc(a->cfg.batch_max, sizeof *a->puts);
	if (a->slots == NULL || a->puts == NULL) {
		rc = CV_ENOMEM;
		goto fail;
	}
	a->sock = zmq_socket(zctx, ZMQ_ROUTER);
	if (a->sock == NULL) {
		rc = cv_fail(err, errlen, CV_EZMQ, "socket: %s", zmq_strerror(errno));
		goto fail;
	}
	{
		int64_t maxmsg = (int64_t)cfg->max_message;
		zmq_setsockopt(a->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
		zmq_setsockopt(a->sock, ZMQ_LINGER, &zero, sizeof zero);
		zmq_setsockopt(a->sock, ZMQ_SNDHWM, &cfg->hwm, sizeof cfg->hwm);
		zmq_setsockopt(a->sock, ZMQ_RCVHWM, &cfg->hwm, sizeof cfg->hwm);
		zmq_setsockopt(a->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
	}
	if (cfg->keys != NULL && zap_make_server(a->sock, cfg->keys) != 0) {
		rc = cv_fail(err, errlen, CV_EZMQ, "CURVE set-up: %s", zmq_strerror(errno));
		goto fail;
	}
	if (zmq_bind(a->sock, cfg->listen) != 0) {
		rc = cv_fail(err, errlen, CV_EZMQ, "bind %s: %s", cfg->listen, zmq_strerror(errno));
		goto fail;
	}
	*out = a;
	return 0;
fail:
	aggregator_close(&a);
	return rc;
}

void aggregator_close(struct aggregator **ap)
{
	struct aggregator *a;
	if (ap == NULL || *ap == NULL)
		return;
	a = *ap;
	if (a->sock != NULL)
		zmq_close(a->sock);
	if (a->slots != NULL)
		for (size_t i = 0; i < a->cfg.batch_max; i++)
			WIRE_FREE(a->slots[i].req);
	free(a->slots);
	free(a->puts);
	free(a);
	*ap = NULL;
}

const struct aggregator_stats *aggregator_stats(const struct aggregator *a)
{
	return &a->stats;
}

void *aggregator_socket(struct aggregator *a)
{
	return a->sock;
}

static void send_reply(struct aggregator *a, const uint8_t *rid, size_t rid_len,
		       const Canvass__StoreReply *rep)
{
	uint8_t *buf;
	size_t len;

	if (wire_pack(&rep->base, &buf, &len) != 0) {
		a->stats.replies_dropped++;
		return;
	}
	if (zmq_send(a->sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(a->sock, buf, len, ZMQ_DONTWAIT) < 0) {
		/* The collector is gone or not reading: its member will retry. */
		a->stats.replies_dropped++;
		log_event(LOG_WARN, "reply_dropped", "reason=\"%s\"", zmq_strerror(errno));
	}
	free(buf);
}

static void reply_status(struct aggregator *a, const uint8_t *rid, size_t rid_len, uint64_t ticket,
			 int status, const char *message)
{
	Canvass__StoreReply rep = CANVASS__STORE_REPLY__INIT;
	rep.protocol_version = WIRE_PROTOCOL_VERSION;
	rep.ticket = ticket;
	rep.status = status;
	rep.message = (char *)(uintptr_t)message;
	send_reply(a, rid, rid_len, &rep);
}

/*
 * Receives one multipart message. Returns 1 when a request was added to
 * the batch, 0 when the message was answered or dropped, -1 on EAGAIN.
 */
static int receive_one(struct aggregator *a, size_t n)
{
	struct slot *sl = &a->slots[n];
	zmq_msg_t body;
	int more, parts = 1, rc, status;
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
		reply_status(a, sl->rid, sl->rid_len, 0, CANVASS__STATUS__MALFORMED,
			     "expected exactly one frame");
		return 0;
	}
	rc = wire_decode_store_request(zmq_msg_data(&body), zmq_msg_size(&body), a->cfg.max_message,
				       &sl->req);
	zmq_msg_close(&body);
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
			/* Trust nothing: the hash must be the hash of these bytes. */
			uint8_t h[CV_HASH_LEN];
			cv_sha256(p->submission, p->submission_len, h);
			if (memcmp(h, p->content_hash, CV_HASH_LEN) != 0)
				rc = CV_EMALFORMED;
		}
		if (rc == 0)
			return 1;
	}
	status = rc == CV_ETOOBIG    ? CANVASS__STATUS__TOO_LARGE
		 : rc == CV_EVERSION ? CANVASS__STATUS__UNSUPPORTED_VERSION
				     : CANVASS__STATUS__MALFORMED;
	a->stats.malformed++;
	reply_status(a, sl->rid, sl->rid_len, sl->req ? sl->req->ticket : 0, status,
		     rc == CV_EVERSION ? "protocol version 1 only" : cv_strerror(rc));
	WIRE_FREE(sl->req);
	return 0;
}

static void answer_batch(struct aggregator *a, size_t n, int store_rc)
{
	for (size_t i = 0; i < n; i++) {
		struct slot *sl = &a->slots[i];
		struct store_put *p = &a->puts[i];
		Canvass__StoreReply rep = CANVASS__STORE_REPLY__INIT;
		Canvass__Receipt rc = CANVASS__RECEIPT__INIT;

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
			}
		}
		send_reply(a, sl->rid, sl->rid_len, &rep);
		WIRE_FREE(sl->req);
	}
}

int aggregator_run(struct aggregator *a, volatile sig_atomic_t *stop)
{
	zmq_pollitem_t item = {a->sock, 0, ZMQ_POLLIN, 0};

	int64_t next_reader_check = cv_mono_ms() + 60000;

	while (!*stop) {
		size_t n = 0;
		int64_t deadline;
		int rc;

		if (cv_mono_ms() >= next_reader_check) {
			int dead = 0;
			/* Reader slots of crashed reporters would pin old pages forever. */
			if (store_reader_check(a->cfg.store, &dead) == 0 && dead > 0)
				log_event(LOG_WARN, "stale_readers_cleared", "count=%d", dead);
			next_reader_check = cv_mono_ms() + 60000;
		}

		item.revents = 0;
		if (zmq_poll(&item, 1, 500) < 0) {
			if (errno == EINTR)
				continue;
			return CV_EZMQ;
		}
		if (!(item.revents & ZMQ_POLLIN))
			continue;
		/* Gather a batch: what is queued now, then up to batch_wait_us more. */
		deadline = cv_mono_us() + a->cfg.batch_wait_us;
		while (n < a->cfg.batch_max) {
			int got = receive_one(a, n);
			if (got == 1) {
				n++;
				continue;
			}
			if (got == 0)
				continue;
			{
				int64_t left_us = deadline - cv_mono_us();
				if (n == 0 || left_us <= 0 || *stop)
					break;
				item.revents = 0;
				if (zmq_poll(&item, 1, (long)((left_us + 999) / 1000)) <= 0 ||
				    !(item.revents & ZMQ_POLLIN))
					break;
			}
		}
		if (n == 0)
			continue;
		rc = store_put_batch(a->cfg.store, a->puts, n);
		a->stats.batches++;
		answer_batch(a, n, rc);
		log_event(LOG_DEBUG, "batch", "size=%zu result=%s", n, cv_strerror(rc));
		if (rc == CV_EFULL || rc == CV_ENOSPC) {
			/* Retryable: keep serving; the next batch tries again. */
			log_event(LOG_WARN, "storage_full", "reason=\"%s\" batch=%zu",
				  cv_strerror(rc), n);
		} else if (rc != 0) {
			/* An I/O error on commit: never retry an fsync that failed. Exit;
			 * a restart recovers from the last durable commit. */
			log_event(LOG_ERROR, "storage_failed", "error=\"%s\" batch=%zu",
				  cv_strerror(rc), n);
			return rc;
		}
	}
	return 0;
}
