#include "client.h"
#include "canon.h"
#include "error.h"
#include "util.h"
#include "wire.h"
#include "zap.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define CLIENT_MAX_REPLY (4 * 1024 * 1024)

struct client {
	void *zctx;
	void *sock;
	void *mon; /* PAIR reading the socket monitor's handshake events */
	/* For the current socket: 0 none yet, 1 ok, -1 key refused (ZAP 400), -2 failed,
	 * -3 refused for now (ZAP 500: the collector's connection limit). */
	int handshake;
	size_t current; /* endpoint in use */
	struct client_cfg cfg;
};

int client_open(struct client **out, const struct client_cfg *cfg, char *err, size_t errlen)
{
	struct client *c;

	*out = NULL;
	if (cfg->n_endpoints == 0)
		return cv_fail(err, errlen, CV_EINVAL, "no collector endpoint given");
	if (cv_crypto_init() != 0)
		return cv_fail(err, errlen, CV_EINVAL, "libsodium failed to initialise");
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return CV_ENOMEM;
	c->cfg = *cfg;
	if (c->cfg.timeout_ms <= 0)
		c->cfg.timeout_ms = 5000;
	if (c->cfg.attempts <= 0)
		c->cfg.attempts = 5;
	if (c->cfg.backoff_ms <= 0)
		c->cfg.backoff_ms = 200;
	c->zctx = zmq_ctx_new();
	if (c->zctx == NULL) {
		free(c);
		return cv_fail(err, errlen, CV_EZMQ, "zmq: %s", zmq_strerror(errno));
	}
	*out = c;
	return 0;
}

static void drop_socket(struct client *c)
{
	if (c->sock != NULL) {
		zmq_socket_monitor(c->sock, NULL, 0);
		zmq_close(c->sock);
		c->sock = NULL;
	}
	if (c->mon != NULL) {
		zmq_close(c->mon);
		c->mon = NULL;
	}
}

void client_close(struct client **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	drop_socket(*cp);
	zmq_ctx_term((*cp)->zctx);
	free(*cp);
	*cp = NULL;
}

static int ensure_socket(struct client *c)
{
	static unsigned serial;
	char mon_ep[64];
	int zero = 0;

	if (c->sock != NULL)
		return 0;
	c->handshake = 0;
	c->sock = zmq_socket(c->zctx, ZMQ_DEALER);
	if (c->sock == NULL)
		return CV_EZMQ;
	zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
	/* Watch the handshake, so that a refused key is reported as such. */
	snprintf(mon_ep, sizeof mon_ep, "inproc://canvass-client-%p-%u", (void *)c, serial++);
	c->mon = zmq_socket(c->zctx, ZMQ_PAIR);
	if (c->mon == NULL ||
	    (c->cfg.keys != NULL &&
	     zap_make_client(c->sock, c->cfg.keys, c->cfg.server_key) != 0) ||
	    zmq_socket_monitor(c->sock, mon_ep,
			       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
				       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
				       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
	    zmq_connect(c->mon, mon_ep) != 0) {
		drop_socket(c);
		return CV_EZMQ;
	}
	zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_connect(c->sock, c->cfg.endpoints[c->current]) != 0) {
		drop_socket(c);
		return CV_EZMQ;
	}
	return 0;
}

static void read_monitor(struct client *c)
{
	uint16_t event;
	uint32_t value;

	while (zap_monitor_event(c->mon, ZMQ_DONTWAIT, &event, &value)) {
		if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
			c->handshake = 1;
		else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
			c->handshake = value == 400 ? -1 : -3;
		else if (c->handshake != 1)
			c->handshake = -2;
	}
}

/* Waits up to timeout for the reply to request_id; others are stale. */
static int await_reply(struct client *c, uint64_t request_id, Canvass__Reply **out)
{
	int64_t deadline = cv_mono_ms() + c->cfg.timeout_ms;
	zmq_pollitem_t items[2] = {{c->sock, 0, ZMQ_POLLIN, 0}, {c->mon, 0, ZMQ_POLLIN, 0}};

	for (;;) {
		int64_t left = deadline - cv_mono_ms();
		zmq_msg_t msg;
		Canvass__Reply *r;
		int rc;

		if (left <= 0)
			return c->handshake < 0 ? CV_EAUTH : CV_ETIMEDOUT;
		items[0].revents = items[1].revents = 0;
		rc = zmq_poll(items, 2, (long)left);
		if (rc < 0 && errno != EINTR)
			return CV_EZMQ;
		if (rc <= 0)
			continue;
		if (items[1].revents & ZMQ_POLLIN) {
			read_monitor(c);
			if (c->handshake == -1)
				return CV_EAUTH; /* refused: waiting longer changes nothing */
			if (c->handshake == -3)
				return CV_EBUSY; /* another collector may have room */
		}
		if (!(items[0].revents & ZMQ_POLLIN))
			continue;
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, c->sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&msg);
			continue;
		}
		rc = wire_decode_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), CLIENT_MAX_REPLY,
				       &r);
		zmq_msg_close(&msg);
		if (rc != 0)
			continue;
		if (r->request_id != request_id && r->request_id != 0) {
			WIRE_FREE(r);
			continue;
		}
		*out = r;
		return 0;
	}
}

int client_prepare(Canvass__Submission *s)
{
	uint8_t *content, hash[CV_HASH_LEN];
	size_t clen;
	char *key;
	int rc;

	if (canon_submission(s, NULL) != 0)
		return CV_EINVAL;
	if (s->idempotency_key[0] != '\0')
		return 0;
	if ((rc = canon_pack(s, &content, &clen, hash)) != 0)
		return rc;
	free(content);
	key = malloc(2 * CV_HASH_LEN + 1);
	if (key == NULL)
		return CV_ENOMEM;
	cv_hex(hash, CV_HASH_LEN, key);
	if (s->idempotency_key != protobuf_c_empty_string)
		free(s->idempotency_key);
	s->idempotency_key = key;
	return 0;
}

/* Sends req (its body set) and waits for the final answer, retrying as client.h says. */
static int exchange(struct client *c, Canvass__Request *req, Canvass__Reply **reply,
		    const char **detail)
{
	Canvass__Reply *last = NULL;
	int auth_failure = 0;
	uint8_t *buf = NULL;
	size_t len;
	long backoff = c->cfg.backoff_ms;
	int rc;

	*reply = NULL;
	req->protocol_version = WIRE_PROTOCOL_VERSION;
	randombytes_buf(&req->request_id, sizeof req->request_id);
	if ((rc = wire_pack(&req->base, &buf, &len)) != 0)
		return rc;

	for (int attempt = 0; attempt < c->cfg.attempts; attempt++) {
		Canvass__Reply *r = NULL;

		if (ensure_socket(c) != 0 || zmq_send(c->sock, buf, len, ZMQ_DONTWAIT) < 0) {
			/* Nothing queued: treat like a lost answer. */
			rc = CV_ETIMEDOUT;
		} else {
			rc = await_reply(c, req->request_id, &r);
		}
		if (rc == 0 && !wire_status_retryable(r->status)) {
			WIRE_FREE(last);
			free(buf);
			*reply = r;
			return 0;
		}
		if (rc == 0) {
			WIRE_FREE(last);
			last = r;
		} else if (rc == CV_EAUTH) {
			auth_failure = c->handshake;
		} else if (rc == CV_EBUSY && auth_failure == 0) {
			auth_failure = -3;
		}
		/* Next endpoint, fresh socket: a stale answer cannot be confused. */
		drop_socket(c);
		c->current = (c->current + 1) % c->cfg.n_endpoints;
		/* A refused key is retried too: a key just added is admitted once the
		 * collector has reloaded its registry. */
		if (attempt + 1 < c->cfg.attempts &&
		    (rc == 0 || rc == CV_EBUSY || rc == CV_EAUTH)) {
			long jitter = (long)randombytes_uniform((uint32_t)(backoff / 2 + 1));
			cv_sleep_ms(backoff / 2 + jitter);
			if (backoff < 10000)
				backoff *= 2;
		}
	}
	free(buf);
	if (last != NULL) {
		*reply = last;
		return 0;
	}
	if (auth_failure == -3) {
		if (detail != NULL)
			*detail = "the collector refused the connection for now: it is at its "
				  "connection limit; retry later";
		return CV_EBUSY;
	}
	if (auth_failure != 0) {
		static const char refused[] =
			"the collector refused the handshake: this member's key "
			"is not registered (or revoked)";
		static const char failed_keys[] = "the CURVE handshake failed (is the collector's "
						  "public key right?)";
		static const char failed_plain[] =
			"the handshake failed (does the collector require "
			"CURVE? give --key and --server-key)";
		if (detail != NULL)
			*detail = auth_failure == -1    ? refused
				  : c->cfg.keys != NULL ? failed_keys
							: failed_plain;
		return CV_EAUTH;
	}
	return CV_ETIMEDOUT;
}

static int send_request(struct client *c, Canvass__Submission *s, int check, Canvass__Reply **reply,
			const char **detail)
{
	Canvass__Request req = CANVASS__REQUEST__INIT;
	int rc;

	*reply = NULL;
	if ((rc = client_prepare(s)) != 0)
		return rc;
	if (check) {
		req.body_case = CANVASS__REQUEST__BODY_CHECK;
		req.check = s;
	} else {
		req.body_case = CANVASS__REQUEST__BODY_SUBMIT;
		req.submit = s;
	}
	return exchange(c, &req, reply, detail);
}

int client_read(struct client *c, bool fetch, const char *questionnaire, const char *cycle,
		Canvass__Reply **reply, const char **detail)
{
	Canvass__Request req = CANVASS__REQUEST__INIT;
	Canvass__ReturnQuery q = CANVASS__RETURN_QUERY__INIT;

	q.questionnaire = (char *)(uintptr_t)(questionnaire ? questionnaire : "");
	q.cycle = (char *)(uintptr_t)(cycle ? cycle : "");
	if (fetch) {
		req.body_case = CANVASS__REQUEST__BODY_FETCH;
		req.fetch = &q;
	} else {
		req.body_case = CANVASS__REQUEST__BODY_STATUS;
		req.status = &q;
	}
	return exchange(c, &req, reply, detail);
}

int client_submit(struct client *c, Canvass__Submission *s, Canvass__Reply **reply,
		  const char **detail)
{
	return send_request(c, s, 0, reply, detail);
}

int client_check(struct client *c, Canvass__Submission *s, Canvass__Reply **reply,
		 const char **detail)
{
	return send_request(c, s, 1, reply, detail);
}

int client_open_link(struct client **out, struct client_link *link, char *const *endpoints,
		     size_t n_endpoints, const char *key_path, const char *server_key_path,
		     long timeout_ms, int attempts, char *err, size_t errlen)
{
	struct client_cfg cfg = {.endpoints = endpoints,
				 .n_endpoints = n_endpoints,
				 .timeout_ms = timeout_ms,
				 .attempts = attempts,
				 .keys = &link->keys,
				 .server_key = link->server_key};

	*out = NULL;
	if (keys_load_pair(key_path, &link->keys, err, errlen) != 0 ||
	    keys_load_public(server_key_path, link->server_key, err, errlen) != 0)
		return CV_ECONFIG;
	return client_open(out, &cfg, err, errlen);
}
