/*
 * lifecycle.h - the life of a canvass daemon from start-up to teardown,
 * written once for the aggregator and the collector. Each daemon's main
 * is then its options, what only it checks and opens, its loop and its
 * reload:
 *
 *   daemon_setup(...)                       options and config (daemon.h)
 *   daemon_start(&d, &cfg)                  keys, metrics, /health, ZAP
 *   ... open the daemon's own sockets ...
 *   daemon_selftest(&d, sock) per socket    an unknown key is refused
 *   log the "ready" line, daemon_serving(&d)  signals, pidfile, READY=1
 *   loop until d.stop; daemon_stopping(&d)
 *   daemon_finish(&d)                       teardown, whatever happened
 *
 * Every function that fails has logged why and returns the exit status
 * for main to return: DAEMON_EXIT_CONFIG for settings that cannot work
 * (restarting changes nothing), 1 otherwise. A struct daemon lives on
 * main's stack for the whole run: the signal handlers write its flags.
 */
#ifndef CANVASS_LIFECYCLE_H
#define CANVASS_LIFECYCLE_H

#include <signal.h>
#include <stdbool.h>

#include "daemon.h"
#include "keys.h"

struct daemon_start_cfg {
	const char *component; /* "aggregator", "collector": metrics and logs */
	const struct daemon_http *http;
	bool insecure;                /* no CURVE: keys are neither needed nor loaded */
	const char *insecure_warning; /* logged as event=insecure */
	const char *key_path;         /* this daemon's key pair; required unless insecure */
	const char *pidfile;          /* written by daemon_serving, removed by daemon_finish */
};

struct daemon {
	bool insecure;
	void *zctx;              /* the ZeroMQ context of every socket */
	struct zap *zap;         /* the ZAP handler; NULL when insecure */
	struct keypair keys;     /* wiped by daemon_finish */
	struct metrics *metrics; /* the process's metrics, for the daemon's own */
	struct metric *reloads;  /* canvass_COMPONENT_reloads_total{result} */
	struct httpd *httpd;     /* the operator endpoint, or NULL */
	const char *pidfile;
	bool wrote_pidfile;
	volatile sig_atomic_t stop, reload; /* set by SIGTERM/SIGINT and SIGHUP */
};

/*
 * Initialises d, the crypto library, loads the key pair (event=no_keys or
 * keys_invalid when it cannot), starts the metrics and the operator
 * endpoint (daemon_observe), the ZeroMQ context and the ZAP handler.
 * 0 or an exit status; daemon_finish(d) is due either way.
 */
int daemon_start(struct daemon *d, const struct daemon_start_cfg *cfg);

/*
 * Fails closed: proves that a CURVE server socket of the daemon refuses an
 * unknown key (zap_selftest), or the daemon does not start. Nothing when
 * insecure. 0 or an exit status.
 */
int daemon_selftest(struct daemon *d, void *sock);
/* Logs event=selftest_passed once every socket passed (nothing when insecure). */
void daemon_selftest_passed(const struct daemon *d);

/*
 * Serving: the signal handlers, the pidfile (last, so that whoever waits
 * for it finds the "ready" line logged), /ready and systemd's READY=1.
 * 0 or an exit status.
 */
int daemon_serving(struct daemon *d);
/* Leaving the loop: /ready fails, systemd's STOPPING=1. */
void daemon_stopping(struct daemon *d);
/* Removes the pidfile it wrote, stops and frees all daemon_start made. */
void daemon_finish(struct daemon *d);

#endif
