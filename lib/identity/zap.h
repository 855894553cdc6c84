/*
 * zap.h - the ZAP handler (ZeroMQ RFC 27) that decides which CURVE keys a
 * daemon admits, and the start-up self-test that proves it is in force.
 *
 * A CURVE server with no ZAP handler admits every key. So each daemon
 * starts a handler (zap_start) before it binds, and after binding proves
 * with a throwaway key that an unknown key is refused (zap_selftest); if
 * not, it must not start.
 *
 * The handler admits the keys of its table only, binds the entry's user
 * id (the member code) as the connection's User-Id, and adds the key
 * itself as the connection property "X-Canvass-Key", so that the daemon
 * can check per message that the key is still registered. It runs on its
 * own thread; zap_set_keys() swaps the table atomically (SIGHUP reload).
 */
#ifndef CANVASS_ZAP_H
#define CANVASS_ZAP_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define ZAP_DOMAIN "canvass"
/* The aggregator's reviewer socket: its own domain and keys (the reviewers file). */
#define ZAP_REVIEW_DOMAIN "canvass-review"
#define ZAP_KEY_PROPERTY  "X-Canvass-Key"

struct zap_entry {
	char key[KEY_Z85_LEN + 1]; /* public key, Z85 */
	char user[64];             /* User-Id bound to connections with that key */
};

struct zap_stats {
	uint64_t admitted;
	uint64_t refused_unknown_key;
	uint64_t refused_mechanism;
	uint64_t refused_limit;
	uint64_t failed_protocol; /* handshakes that failed below ZAP (from the monitor) */
	uint64_t shed;            /* connections closed at acceptance (handshake bound) */
	long connected;           /* connections of the watched socket past the handshake */
	long handshaking;         /* accepted and still in the handshake */
};

/*
 * Connections of a socket, counted from its monitor (ZMQ_EVENT_ACCEPTED,
 * DISCONNECTED, HANDSHAKE_SUCCEEDED and the HANDSHAKE_FAILED_* events).
 * ACCEPTED and DISCONNECTED carry the descriptor, the handshake events do
 * not; but every accepted connection ends its handshake with exactly one
 * SUCCEEDED or FAILED event (libzmq 4.3 reports a timeout or a close
 * during the handshake as FAILED_NO_DETAIL), so
 *     handshaking   = accepted - succeeded - failed
 *     authenticated = open - handshaking.
 * max_handshaking (0: none) bounds the first: for each connection accepted
 * beyond it, the oldest connection that has sent fewer than
 * CONN_SHED_BELOW bytes (less than a greeting, a HELLO and an INITIATE) is
 * shut down, so that silent connections make room for new ones instead of
 * keeping them out. A connection past its CURVE handshake has always sent
 * more, so even a reused descriptor of one is never touched.
 */
struct conn_counter {
	uint64_t *order; /* per descriptor: acceptance order, 0 when closed */
	uint8_t *talked; /* per descriptor: sent CONN_SHED_BELOW bytes or more (or shed) */
	uint32_t top;    /* highest descriptor seen + 1 */
	uint64_t serial; /* acceptance order */
	long connected;
	uint64_t accepted, succeeded, failed;
	uint64_t failed_protocol;
	uint64_t shed;
	long max_handshaking;
};
#define CONN_SHED_BELOW 512
int conn_counter_init(struct conn_counter *cc);
void conn_counter_free(struct conn_counter *cc);
/* Reads every event waiting on the monitor PAIR mon; returns how many. */
int conn_counter_drain(struct conn_counter *cc, void *mon);
long conn_counter_handshaking(const struct conn_counter *cc);
long conn_counter_authenticated(const struct conn_counter *cc);

struct zap;

int zap_start(struct zap **out, void *zctx, char *err, size_t errlen);
/*
 * Caps the connections: when max connections are past their handshake
 * already, a new handshake is refused with ZAP status 500 ("connection
 * limit"), which the client sees (HANDSHAKE_FAILED_AUTH, value 500) and
 * tells from 400, an unknown key. Connections still in
 * the handshake do not count; max_handshaking bounds those (conn_counter).
 * 0: no cap.
 */
void zap_set_connection_cap(struct zap *z, long max, long max_handshaking);
/*
 * Counts the connections of a server socket in the handler's own thread:
 * monitor_ep is the endpoint given to zmq_socket_monitor() for that socket
 * (ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED and the handshake failures).
 * The handler reads every event waiting there before each decision; since
 * a connection's ACCEPTED event is queued before its handshake can reach
 * the handler, the count it decides on always includes it. Returns once
 * the handler is connected to the monitor.
 */
int zap_watch(struct zap *z, const char *monitor_ep);
/* For a handler without a watched socket (tests): connections past the handshake. */
void zap_report_connected(struct zap *z, long connected);

/* Replaces the admitted keys with a copy of entries[0..n). */
int zap_set_keys(struct zap *z, const struct zap_entry *entries, size_t n);
/* The same for ZAP_REVIEW_DOMAIN's sockets (no connection cap applies there). */
int zap_set_review_keys(struct zap *z, const struct zap_entry *entries, size_t n);
void zap_get_stats(struct zap *z, struct zap_stats *out);
void zap_stop(struct zap **z);

/*
 * Connects to bound_socket's last endpoint with a fresh, unregistered
 * key and returns 0 only if the handshake is refused for authentication
 * within timeout_ms. Any other outcome (admitted, no answer) is an error.
 */
int zap_selftest(void *zctx, void *bound_socket, const char *server_public_z85, int timeout_ms,
		 char *err, size_t errlen);

/*
 * Reads one event from a socket monitor's PAIR socket (libzmq 4.3 format:
 * 16-bit event, 32-bit value, then the address frame). flags: 0 or
 * ZMQ_DONTWAIT. Returns 1 with *event and *value set, 0 when none was read.
 */
int zap_monitor_event(void *mon, int flags, uint16_t *event, uint32_t *value);

/* Makes a CURVE server of sock with the given key pair and the ZAP domain. */
int zap_make_server(void *sock, const struct keypair *kp);
/* The same in another ZAP domain (ZAP_REVIEW_DOMAIN). */
int zap_make_server_domain(void *sock, const struct keypair *kp, const char *domain);
/* Makes a CURVE client of sock. */
int zap_make_client(void *sock, const struct keypair *kp, const char *server_public_z85);

#endif
