/*
 * relay.h - the collector's event loop. Members talk to a ROUTER socket;
 * checked submissions go to the aggregator over a DEALER socket, and the
 * aggregator's answer goes back to the member who asked. The collector
 * never answers ACCEPTED by itself: only the aggregator's reply does.
 *
 * Every limit is explicit: at most max_pending submissions wait for the
 * aggregator (more get BUSY), and one that waits longer than
 * store_timeout_ms gets UNAVAILABLE (retry with the same id is harmless).
 */
#ifndef CANVASS_COLLECTOR_RELAY_H
#define CANVASS_COLLECTOR_RELAY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intake.h"
#include "httpd.h"
#include "keys.h"
#include "metrics.h"
#include "zap.h"

struct collector_cfg {
	const char *listen;     /* member-facing endpoint to bind */
	const char *aggregator; /* aggregator endpoint to connect */
	struct intake intake;
	size_t max_pending;
	size_t member_max_pending; /* per member: submissions in flight (BUSY beyond) */
	size_t member_reply_bytes; /* per member: unread reply bytes (budget.h) */
	long store_timeout_ms;
	int hwm;
	long handshake_ms;    /* ZMQ_HANDSHAKE_IVL on the member socket */
	long max_handshaking; /* insecure mode; with CURVE the ZAP handler's (zap.h) */
	/* CURVE: both NULL only in insecure mode (ipc:// only). */
	const struct keypair *keys; /* this collector's key pair */
	const char *aggregator_key; /* aggregator public key, Z85 */
	struct metrics *metrics;    /* borrowed; NULL: none */
	struct zap *zap;            /* borrowed; for handshake failure counts */
	struct httpd *http;         /* borrowed; storage trouble counts for /health */
};

/* Returned by collector_run when a reload was asked for. */
#define COLLECTOR_RELOAD 1

struct collector_stats {
	uint64_t requests, relayed, rejected, malformed, busy, unavailable, unauthorized;
	uint64_t checked; /* dry runs answered VALID */
	uint64_t answered, late_store_replies, replies_dropped;
	uint64_t busy_unread, busy_in_flight; /* BUSY for a member over its budget */
	uint64_t unread_disconnects;          /* connections closed: unread replies (budget.h) */
	uint64_t reads;                       /* status and fetch answers relayed */
};

struct collector;

int collector_open(struct collector **out, void *zctx, const struct collector_cfg *cfg, char *err,
		   size_t errlen);
/*
 * Serves until *stop is set (submissions in flight then get UNAVAILABLE
 * and it returns 0) or *reload is set (it returns COLLECTOR_RELOAD with
 * everything in flight kept; call collector_set_intake, then run again).
 */
int collector_run(struct collector *c, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);
/* The limits a reload may change, from the next request on. */
struct collector_limits {
	struct wire_limits wire; /* max_answers, max_string (max_message stays) */
	long store_timeout_ms;
	size_t member_max_pending, member_reply_bytes;
	long max_handshaking; /* insecure mode; with CURVE, zap_set_connection_cap */
};
void collector_set_limits(struct collector *c, const struct collector_limits *l);
/* Replaces the registry and questionnaires used from the next request on. */
void collector_set_intake(struct collector *c, const struct registry *reg, const struct qset *qs,
			  const struct cycles *cycles);
const struct collector_stats *collector_stats(const struct collector *c);
/* The member-facing socket, for the start-up self-test. */
void *collector_member_socket(struct collector *c);
void collector_close(struct collector **c);

#endif
