/*
 * httpd.h - the daemons' operator endpoint (libmicrohttpd): on a loopback
 * address, or on any address with both TLS (a certificate and its key, PEM)
 * and HTTP basic authentication (a file of USER:SHA256HEX lines, the hex
 * SHA-256 of each user's password); with an auth file, every request needs
 * a listed user and password, whatever the address:
 *
 *   GET /metrics   Prometheus text format
 *   GET /health    200 "ok", or 500 when errors recorded in the last window
 *                  (storage failures, ...) reach the threshold
 *   GET /ready     200 once the daemon serves (sockets bound, store open,
 *                  self-test passed), 503 before and while stopping
 *
 * It runs on its own thread; the calls below are thread-safe.
 */
#ifndef CANVASS_HTTPD_H
#define CANVASS_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics.h"

struct httpd_cfg {
	const char *listen;      /* "127.0.0.1:9101" (any 127.x address, or localhost);
				  * port 0 lets the kernel choose (see httpd_address) */
	struct metrics *metrics; /* borrowed */
	long health_window_ms;   /* errors older than this no longer count */
	long health_threshold;   /* errors in the window that make /health 500 */
	const char *auth_file;   /* NULL: no authentication */
	const char *tls_cert;    /* PEM files; both or neither (NULL: plain HTTP) */
	const char *tls_key;
};

struct httpd;

int httpd_start(struct httpd **out, const struct httpd_cfg *cfg, char *err, size_t errlen);
/* "HOST:PORT" the endpoint is bound to, written into buf; returns buf ("" for NULL h). */
const char *httpd_address(const struct httpd *h, char *buf, size_t len);
void httpd_set_ready(struct httpd *h, bool ready);
/* Changes the /health window and threshold (a reload). NULL-safe. */
void httpd_set_health(struct httpd *h, long window_ms, long threshold);
/* Records one error for /health (e.g. a storage failure). NULL-safe. */
void httpd_record_error(struct httpd *h);
void httpd_stop(struct httpd **h);

#endif
