/*
 * daemon.h - what the canvass daemons share around their event loops:
 * signals, the endpoint policy, and starting the ZAP handler.
 */
#ifndef CANVASS_DAEMON_H
#define CANVASS_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "httpd.h"
#include "metrics.h"
#include "settings.h"
#include "zap.h"

/*
 * Exit status of a daemon whose configuration is unusable (EX_CONFIG of
 * sysexits.h): an endpoint it may not or cannot bind, missing or unreadable
 * keys, an invalid registry, questionnaire set or cycle schedule. The units
 * list it (with 2, a usage error) in RestartPreventExitStatus: restarting
 * changes nothing until the configuration does.
 */
#define DAEMON_EXIT_CONFIG 78

/*
 * On SIGHUP: reads the configuration file (and the command line over it)
 * again, as daemon_setup did. Settings named in live that changed are
 * applied to tab's targets (a new log-level at once) and named in applied
 * ("none" when there are none); the others that changed are left as they
 * run and logged as event=reload_ignored (they need a restart). When the
 * file does not parse, or names an unknown log-level, nothing is applied:
 * event=reload_refused, reloads{result="refused"}, a non-zero return.
 */
int daemon_reload(const struct setting *tab, const char *const *live, struct metric *reloads,
		  char *applied, size_t applied_len);
/* settings_free(tab), and what daemon_setup kept for reloading. */
void daemon_settings_free(const struct setting *tab);

/*
 * The start of every daemon's main: parses tab from the [component] section of
 * -c FILE and the command line, checks that the settings named in required
 * (NULL-terminated) are set, prints the usage for --help or a mistake, and
 * starts logging at the level of the table's "log-level" setting. Returns -1
 * to go on, or the exit status to return (0 after --help, 2 on a usage error;
 * the table is freed then).
 */
int daemon_setup(const char *program, const char *component, const struct setting *tab,
		 const char *const *required, const char *usage, int argc, char **argv);

/* SIGTERM/SIGINT set *stop, SIGHUP sets *reload (may be NULL); SIGPIPE ignored. */
void daemon_install_signals(volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

/*
 * Plaintext is allowed only on ipc:// endpoints, and only when insecure
 * was asked for explicitly; every other endpoint needs CURVE.
 */
int daemon_endpoint_allowed(const char *endpoint, bool insecure, char *err, size_t errlen);

/*
 * The endpoint a bound ZeroMQ socket listens on, written into buf (""
 * when none): with "tcp://127.0.0.1:*" the port the kernel chose. Daemons
 * name it in their "ready" log line. Returns buf.
 */
const char *daemon_bound_endpoint(void *sock, char *buf, size_t len);

/* The operator endpoint's settings, the same in both daemons. */
struct daemon_http {
	char *listen, *auth, *tls_cert, *tls_key;
	long health_window, health_threshold; /* seconds; errors */
};
/* Its rows of a settings table; threshold_help says the daemon's default. */
#define DAEMON_HTTP_SETTINGS(h, threshold_help)                                                    \
	{"http",                                                                                   \
	 SET_STRING,                                                                               \
	 &(h).listen,                                                                              \
	 0,                                                                                        \
	 0,                                                                                        \
	 "ADDR",                                                                                   \
	 "HOST:PORT for /metrics /health /ready: loopback, or any address with http-auth "         \
	 "and TLS"},                                                                               \
		{"http-auth",                                                                      \
		 SET_STRING,                                                                       \
		 &(h).auth,                                                                        \
		 0,                                                                                \
		 0,                                                                                \
		 "FILE",                                                                           \
		 "USER:SHA256HEX lines: HTTP basic authentication on every request"},              \
		{"http-tls-cert",                                                                  \
		 SET_STRING,                                                                       \
		 &(h).tls_cert,                                                                    \
		 0,                                                                                \
		 0,                                                                                \
		 "FILE",                                                                           \
		 "TLS certificate (PEM) for the http endpoint"},                                   \
		{"http-tls-key", SET_STRING, &(h).tls_key, 0, 0, "FILE", "its private key (PEM)"}, \
		{"health-window",                                                                  \
		 SET_LONG,                                                                         \
		 &(h).health_window,                                                               \
		 1,                                                                                \
		 86400,                                                                            \
		 "S",                                                                              \
		 "errors within this many seconds count for /health (60)"},                        \
	{                                                                                          \
		"health-threshold", SET_LONG, &(h).health_threshold, 1, 1000000, "N",              \
			threshold_help                                                             \
	}

/*
 * The metrics every daemon exports (process_*, canvass_build_info,
 * process_start_time_seconds, canvass_COMPONENT_reloads_total{result}, into
 * *reloads) and, when h->listen is set, the operator endpoint (httpd.h),
 * logged as event=http_listening with its bound address or event=http_failed.
 * Returns 0, or the exit status the daemon should give: DAEMON_EXIT_CONFIG
 * for unusable settings, 1 otherwise.
 */
int daemon_observe(const char *component, const struct daemon_http *h, struct metrics **metrics,
		   struct metric **reloads, struct httpd **out);

/*
 * Starts the ZAP handler. The environment variable
 * CANVASS_TEST_DISABLE_ZAP=1 (tests only) skips it, so that tests can show
 * that the start-up self-test then refuses to start the daemon.
 */
int daemon_start_zap(void *zctx, struct zap **out, char *err, size_t errlen);

/*
 * systemd's notify protocol (sd_notify; nothing happens without
 * NOTIFY_SOCKET): READY=1 once serving, STOPPING=1 when stopping, and
 * WATCHDOG=1 from the event loop at half the WatchdogSec interval.
 */
void daemon_notify_ready(void);
void daemon_notify_stopping(void);
/* Call from every event-loop iteration; pings the watchdog when due. */
void daemon_watchdog_tick(void);

#endif
