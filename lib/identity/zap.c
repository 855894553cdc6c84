#include "zap.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct zap {
	void *zctx;
	void *handler;  /* REP on inproc://zeromq.zap.01, used by the thread only */
	void *ctl_main; /* PAIR: main side */
	void *ctl_thr;  /* PAIR: thread side */
	pthread_t thread;
	int running;
	pthread_mutex_t lock;
	struct zap_entry *entries; /* sorted by key; guarded by lock */
	size_t n_entries;
	struct zap_entry *review_entries; /* ZAP_REVIEW_DOMAIN's; sorted, guarded by lock */
	size_t n_review;
	struct zap_stats stats;          /* guarded by lock */
	long max_connections, connected; /* guarded by lock */
	long max_handshaking;            /* guarded by lock; copied into count */
	void *mon;                       /* PAIR on the watched socket's monitor (thread's) */
	struct conn_counter count;       /* the thread's; copied into stats under lock */
};

#define CONN_FDS 65536

int conn_counter_init(struct conn_counter *cc)
{
	memset(cc, 0, sizeof *cc);
	cc->order = calloc(CONN_FDS, sizeof *cc->order);
	cc->talked = calloc(CONN_FDS, 1);
	if (cc->order == NULL || cc->talked == NULL) {
		conn_counter_free(cc);
		return CV_ENOMEM;
	}
	return 0;
}

void conn_counter_free(struct conn_counter *cc)
{
	free(cc->order);
	free(cc->talked);
	cc->order = NULL;
	cc->talked = NULL;
}

long conn_counter_handshaking(const struct conn_counter *cc)
{
	uint64_t done = cc->succeeded + cc->failed;
	long n = cc->accepted > done ? (long)(cc->accepted - done) : 0;
	return n < cc->connected ? n : cc->connected;
}

long conn_counter_authenticated(const struct conn_counter *cc)
{
	return cc->connected - conn_counter_handshaking(cc);
}

/* Bytes received on a TCP descriptor; -1 when not TCP (ipc://) or unknown. */
static long long bytes_received(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
		return -1;
	return (long long)ti.tcpi_bytes_received;
}

/* Shuts down the oldest connection that is still silent, if any. */
static void shed_one(struct conn_counter *cc)
{
	for (;;) {
		uint32_t victim = 0;
		uint64_t oldest = UINT64_MAX;
		long long got;

		for (uint32_t fd = 0; fd < cc->top; fd++)
			if (cc->order[fd] != 0 && !cc->talked[fd] && cc->order[fd] < oldest) {
				oldest = cc->order[fd];
				victim = fd;
			}
		if (oldest == UINT64_MAX)
			return;
		cc->talked[victim] = 1; /* looked at once */
		got = bytes_received((int)victim);
		if (got < 0 || got >= CONN_SHED_BELOW)
			continue;
		/* ZeroMQ sees the end of the stream and closes the connection itself. */
		if (shutdown((int)victim, SHUT_RDWR) == 0) {
			cc->shed++;
			return;
		}
	}
}

int conn_counter_drain(struct conn_counter *cc, void *mon)
{
	uint16_t event;
	uint32_t fd;
	int n = 0;

	while (mon != NULL && zap_monitor_event(mon, ZMQ_DONTWAIT, &event, &fd)) {
		n++;
		switch (event) {
		case ZMQ_EVENT_ACCEPTED:
			cc->accepted++;
			if (fd < CONN_FDS) {
				if (cc->order[fd] == 0)
					cc->connected++;
				cc->order[fd] = ++cc->serial;
				cc->talked[fd] = 0;
				if (fd >= cc->top)
					cc->top = fd + 1;
			}
			if (cc->max_handshaking > 0 &&
			    conn_counter_handshaking(cc) > cc->max_handshaking)
				shed_one(cc);
			break;
		case ZMQ_EVENT_DISCONNECTED:
			if (fd < CONN_FDS && cc->order[fd] != 0) {
				cc->order[fd] = 0;
				cc->connected--;
			}
			break;
		case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: cc->succeeded++; break;
		case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: cc->failed++; break;
		default: /* HANDSHAKE_FAILED_PROTOCOL, _NO_DETAIL */
			cc->failed++;
			cc->failed_protocol++;
			break;
		}
	}
	return n;
}

/* Brings the watched socket's count up to date (thread only). */
static void refresh_count(struct zap *z)
{
	pthread_mutex_lock(&z->lock);
	z->count.max_handshaking = z->max_handshaking;
	pthread_mutex_unlock(&z->lock);
	if (z->mon == NULL || conn_counter_drain(&z->count, z->mon) == 0)
		return;
	pthread_mutex_lock(&z->lock);
	z->connected = conn_counter_authenticated(&z->count);
	z->stats.connected = z->connected;
	z->stats.handshaking = conn_counter_handshaking(&z->count);
	z->stats.failed_protocol = z->count.failed_protocol;
	z->stats.shed = z->count.shed;
	pthread_mutex_unlock(&z->lock);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct zap_entry *)a)->key, ((const struct zap_entry *)b)->key);
}

/* Property frame in ZMTP form: name length (1), name, value length (4, BE), value. */
static size_t metadata(uint8_t *buf, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	buf[0] = (uint8_t)nl;
	memcpy(buf + 1, name, nl);
	cv_put_be32(buf + 1 + nl, (uint32_t)vl);
	memcpy(buf + 5 + nl, value, vl);
	return 5 + nl + vl;
}

static void handle_request(struct zap *z)
{
	/* version, request id, domain, address, identity, mechanism, credentials... */
	zmq_msg_t frames[8];
	int n = 0, more = 1;
	size_t ml = sizeof more;
	const char *status = "400", *text = "refused";
	char user[64] = "", key[KEY_Z85_LEN + 1] = "";
	uint8_t meta[128];
	size_t meta_len = 0;

	while (more) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, z->handler, 0) < 0) {
			zmq_msg_close(&m);
			break;
		}
		if (n < 8)
			frames[n++] = m;
		else
			zmq_msg_close(&m);
		zmq_getsockopt(z->handler, ZMQ_RCVMORE, &more, &ml);
	}
	/* Every connection accepted so far is counted before deciding. */
	refresh_count(z);
	if (n >= 6 && zmq_msg_size(&frames[0]) == 3 &&
	    memcmp(zmq_msg_data(&frames[0]), "1.0", 3) == 0) {
		int curve = zmq_msg_size(&frames[5]) == 5 &&
			    memcmp(zmq_msg_data(&frames[5]), "CURVE", 5) == 0;
		pthread_mutex_lock(&z->lock);
		/* Each domain admits its own keys only: a member's key opens no
		 * reviewer socket, and a reviewer's no member socket. */
		bool review = zmq_msg_size(&frames[2]) == strlen(ZAP_REVIEW_DOMAIN) &&
			      memcmp(zmq_msg_data(&frames[2]), ZAP_REVIEW_DOMAIN,
				     strlen(ZAP_REVIEW_DOMAIN)) == 0;
		if (curve && n >= 7 && zmq_msg_size(&frames[6]) == 32) {
			struct zap_entry probe, *hit;
			zmq_z85_encode(probe.key, zmq_msg_data(&frames[6]), 32);
			hit = review ? bsearch(&probe, z->review_entries, z->n_review,
					       sizeof *z->review_entries, entry_cmp)
				     : bsearch(&probe, z->entries, z->n_entries, sizeof *z->entries,
					       entry_cmp);
			if (hit == NULL) {
				text = "unknown key";
				z->stats.refused_unknown_key++;
			} else if (!review && z->max_connections > 0 &&
				   z->connected >= z->max_connections) {
				/* The new connection is in its handshake: only the others
				 * count. Not 300, RFC 27's temporary error: for 300 libzmq
				 * closes without an ERROR, and the client could not tell. */
				status = "500";
				text = "connection limit";
				z->stats.refused_limit++;
			} else {
				status = "200";
				text = "OK";
				snprintf(user, sizeof user, "%s", hit->user);
				snprintf(key, sizeof key, "%s", hit->key);
				meta_len = metadata(meta, ZAP_KEY_PROPERTY, key);
				z->stats.admitted++;
			}
		} else {
			text = "CURVE required";
			z->stats.refused_mechanism++;
		}
		pthread_mutex_unlock(&z->lock);
	}
	/* Reply: version, request id, status code, status text, user id, metadata. */
	zmq_send(z->handler, "1.0", 3, ZMQ_SNDMORE);
	if (n >= 2)
		zmq_send(z->handler, zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]),
			 ZMQ_SNDMORE);
	else
		zmq_send(z->handler, "", 0, ZMQ_SNDMORE);
	zmq_send(z->handler, status, 3, ZMQ_SNDMORE);
	zmq_send(z->handler, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(z->handler, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(z->handler, meta, meta_len, 0);
	for (int i = 0; i < n; i++)
		zmq_msg_close(&frames[i]);
}

/* A control message: "STOP", or "WATCH <endpoint>" (answered "OK" or "ERR"). */
static int on_control(struct zap *z)
{
	char msg[256];
	int n = zmq_recv(z->ctl_thr, msg, sizeof msg - 1, 0);
	int zero = 0;

	if (n < 0 || (n >= 4 && memcmp(msg, "STOP", 4) == 0))
		return 1;
	msg[n < (int)sizeof msg - 1 ? n : (int)sizeof msg - 1] = '\0';
	if (strncmp(msg, "WATCH ", 6) == 0 && z->mon == NULL) {
		z->mon = zmq_socket(z->zctx, ZMQ_PAIR);
		if (z->mon != NULL && conn_counter_init(&z->count) == 0 &&
		    zmq_setsockopt(z->mon, ZMQ_LINGER, &zero, sizeof zero) == 0 &&
		    zmq_connect(z->mon, msg + 6) == 0) {
			zmq_send(z->ctl_thr, "OK", 2, 0);
			return 0;
		}
	}
	zmq_send(z->ctl_thr, "ERR", 3, 0);
	return 0;
}

static void *zap_thread(void *arg)
{
	struct zap *z = arg;

	for (;;) {
		zmq_pollitem_t items[3] = {{z->handler, 0, ZMQ_POLLIN, 0},
					   {z->ctl_thr, 0, ZMQ_POLLIN, 0},
					   {z->mon, 0, ZMQ_POLLIN, 0}};
		if (zmq_poll(items, z->mon != NULL ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((items[1].revents & ZMQ_POLLIN) && on_control(z) != 0)
			break;
		if (z->mon != NULL && (items[2].revents & ZMQ_POLLIN))
			refresh_count(z);
		if (items[0].revents & ZMQ_POLLIN)
			handle_request(z);
	}
	if (z->mon != NULL)
		zmq_close(z->mon);
	z->mon = NULL;
	conn_counter_free(&z->count);
	return NULL;
}

int zap_start(struct zap **out, void *zctx, char *err, size_t errlen)
{
	struct zap *z = calloc(1, sizeof *z);
	char ctl[64];
	int zero = 0;

	*out = NULL;
	if (z == NULL)
		return CV_ENOMEM;
	z->zctx = zctx;
	pthread_mutex_init(&z->lock, NULL);
	snprintf(ctl, sizeof ctl, "inproc://canvass-zap-ctl-%p", (void *)z);
	z->handler = zmq_socket(zctx, ZMQ_REP);
	z->ctl_main = zmq_socket(zctx, ZMQ_PAIR);
	z->ctl_thr = zmq_socket(zctx, ZMQ_PAIR);
	if (z->handler == NULL || z->ctl_main == NULL || z->ctl_thr == NULL)
		goto fail;
	zmq_setsockopt(z->handler, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(z->ctl_main, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(z->ctl_thr, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_bind(z->handler, "inproc://zeromq.zap.01") != 0 || zmq_bind(z->ctl_thr, ctl) != 0 ||
	    zmq_connect(z->ctl_main, ctl) != 0)
		goto fail;
	if (pthread_create(&z->thread, NULL, zap_thread, z) != 0)
		goto fail;
	z->running = 1;
	*out = z;
	return 0;
fail:
	cv_fail(err, errlen, CV_EZMQ, "ZAP handler: %s", zmq_strerror(errno));
	zap_stop(&z);
	return CV_EZMQ;
}

static int set_table(struct zap *z, struct zap_entry **table, size_t *count,
		     const struct zap_entry *entries, size_t n)
{
	struct zap_entry *copy = malloc((n ? n : 1) * sizeof *copy), *old;

	if (copy == NULL)
		return CV_ENOMEM;
	if (n > 0) { /* an empty table (every key revoked) may come as NULL */
		memcpy(copy, entries, n * sizeof *copy);
		qsort(copy, n, sizeof *copy, entry_cmp);
	}
	pthread_mutex_lock(&z->lock);
	old = *table;
	*table = copy;
	*count = n;
	pthread_mutex_unlock(&z->lock);
	free(old);
	return 0;
}

int zap_set_keys(struct zap *z, const struct zap_entry *entries, size_t n)
{
	return set_table(z, &z->entries, &z->n_entries, entries, n);
}

int zap_set_review_keys(struct zap *z, const struct zap_entry *entries, size_t n)
{
	return set_table(z, &z->review_entries, &z->n_review, entries, n);
}

void zap_set_connection_cap(struct zap *z, long max, long max_handshaking)
{
	if (z == NULL)
		return;
	pthread_mutex_lock(&z->lock);
	z->max_connections = max;
	z->max_handshaking = max_handshaking;
	pthread_mutex_unlock(&z->lock);
}

int zap_watch(struct zap *z, const char *monitor_ep)
{
	char msg[256], reply[8];
	int n;

	if (z == NULL || strlen(monitor_ep) > sizeof msg - 7)
		return CV_EINVAL;
	n = snprintf(msg, sizeof msg, "WATCH %s", monitor_ep);
	if (zmq_send(z->ctl_main, msg, (size_t)n, 0) < 0 ||
	    (n = zmq_recv(z->ctl_main, reply, sizeof reply, 0)) < 0)
		return CV_EZMQ;
	return n == 2 && memcmp(reply, "OK", 2) == 0 ? 0 : CV_EZMQ;
}

void zap_report_connected(struct zap *z, long connected)
{
	if (z == NULL)
		return;
	pthread_mutex_lock(&z->lock);
	z->connected = connected;
	pthread_mutex_unlock(&z->lock);
}

void zap_get_stats(struct zap *z, struct zap_stats *out)
{
	pthread_mutex_lock(&z->lock);
	*out = z->stats;
	pthread_mutex_unlock(&z->lock);
}

void zap_stop(struct zap **zp)
{
	struct zap *z;
	if (zp == NULL || *zp == NULL)
		return;
	z = *zp;
	if (z->running) {
		zmq_send(z->ctl_main, "STOP", 4, 0);
		pthread_join(z->thread, NULL);
	}
	if (z->handler)
		zmq_close(z->handler);
	if (z->ctl_main)
		zmq_close(z->ctl_main);
	if (z->ctl_thr)
		zmq_close(z->ctl_thr);
	pthread_mutex_destroy(&z->lock);
	free(z->entries);
	free(z->review_entries);
	free(z);
	*zp = NULL;
}

int zap_monitor_event(void *mon, int flags, uint16_t *event, uint32_t *value)
{
	uint8_t ev[6];
	char addr[256];
	if (zmq_recv(mon, ev, sizeof ev, flags) < 6)
		return 0;
	zmq_recv(mon, addr, sizeof addr, 0);
	memcpy(event, ev, sizeof *event);
	memcpy(value, ev + 2, sizeof *value);
	return 1;
}

int zap_make_server_domain(void *sock, const struct keypair *kp, const char *domain)
{
	int one = 1;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, kp->secret_z85, KEY_Z85_LEN) != 0 ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0)
		return CV_EZMQ;
	return 0;
}

int zap_make_server(void *sock, const struct keypair *kp)
{
	return zap_make_server_domain(sock, kp, ZAP_DOMAIN);
}

int zap_make_client(void *sock, const struct keypair *kp, const char *server_public_z85)
{
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_public_z85, KEY_Z85_LEN) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, kp->public_z85, KEY_Z85_LEN) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, kp->secret_z85, KEY_Z85_LEN) != 0)
		return CV_EZMQ;
	return 0;
}

/* The endpoint a local client can reach: a wildcard address becomes loopback. */
static void reachable(const char *last, char *out, size_t len)
{
	if (strncmp(last, "tcp://0.0.0.0:", 14) == 0)
		snprintf(out, len, "tcp://127.0.0.1:%s", last + 14);
	else if (strncmp(last, "tcp://[::]:", 11) == 0)
		snprintf(out, len, "tcp://[::1]:%s", last + 11);
	else
		snprintf(out, len, "%s", last);
}

int zap_selftest(void *zctx, void *bound_socket, const char *server_public_z85, int timeout_ms,
		 char *err, size_t errlen)
{
	char last[512] = "", endpoint[1024], mon_ep[64];
	size_t last_len = sizeof last;
	struct keypair throwaway;
	void *probe = NULL, *mon = NULL;
	int zero = 0, rc = CV_EINVAL;
	int64_t deadline;

	if (zmq_getsockopt(bound_socket, ZMQ_LAST_ENDPOINT, last, &last_len) != 0 || !last[0])
		return cv_fail(err, errlen, CV_EZMQ, "self-test: no bound endpoint");
	reachable(last, endpoint, sizeof endpoint);
	if (keys_generate(&throwaway) != 0)
		return cv_fail(err, errlen, CV_EZMQ, "self-test: cannot make a key");
	/* A name of its own per call: a previous self-test's monitor endpoint may
	 * still be bound while libzmq closes it in the background. */
	static unsigned serial;
	snprintf(mon_ep, sizeof mon_ep, "inproc://canvass-selftest-%p-%u", (void *)&throwaway,
		 ++serial);
	probe = zmq_socket(zctx, ZMQ_DEALER);
	mon = zmq_socket(zctx, ZMQ_PAIR);
	if (probe == NULL || mon == NULL)
		goto out;
	zmq_setsockopt(probe, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
	if (zap_make_client(probe, &throwaway, server_public_z85) != 0 ||
	    zmq_socket_monitor(probe, mon_ep,
			       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
				       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
				       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
	    zmq_connect(mon, mon_ep) != 0 || zmq_connect(probe, endpoint) != 0) {
		cv_fail(err, errlen, CV_EZMQ, "self-test: %s", zmq_strerror(errno));
		goto out;
	}
	deadline = cv_mono_ms() + timeout_ms;
	for (;;) {
		zmq_pollitem_t item = {mon, 0, ZMQ_POLLIN, 0};
		int64_t left = deadline - cv_mono_ms();
		uint16_t event;
		uint32_t value;

		if (left <= 0) {
			cv_fail(err, errlen, CV_ETIMEDOUT,
				"self-test: no handshake answer from %s within %d ms", endpoint,
				timeout_ms);
			break;
		}
		if (zmq_poll(&item, 1, (long)left) <= 0)
			continue;
		if (!zap_monitor_event(mon, 0, &event, &value))
			continue;
		if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
			rc = 0; /* refused, as it must be */
			break;
		}
		if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
			cv_fail(err, errlen, CV_EINVAL,
				"self-test: an unregistered CURVE key was admitted on %s (no "
				"working "
				"ZAP handler); refusing to start",
				endpoint);
			break;
		}
		cv_fail(err, errlen, CV_EINVAL,
			"self-test: handshake failed without an "
			"authentication answer on %s",
			endpoint);
		break;
	}
out:
	keys_wipe(&throwaway);
	if (probe) {
		zmq_socket_monitor(probe, NULL, 0);
		zmq_close(probe);
	}
	if (mon)
		zmq_close(mon);
	return rc;
}
