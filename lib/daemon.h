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
 * applied to tab's targets (a new log-level at once); the others that
 * changed are left as they run and named in ignored (they need a restart).
 * Nothing is applied when the file does not parse (CV_ECONFIG, the reason
 * in err); an unknown log-level is refused the same way, the running one
 * staying.
 */
int daemon_reload_settings(const struct setting *tab, const char *const *live, char *applied,
			   size_t applied_len, char *ignored, size_t ignored_len, char *err,
			   size_t errlen);
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

/*
 * Starts the operator HTTP endpoint (httpd.h; port 0: the kernel's choice)
 * and logs event=http_listening with the bound address, or event=http_failed.
 * Returns 0 or the error (CV_ECONFIG: the settings are unusable).
 */
int daemon_start_http(const struct httpd_cfg *cfg, struct httpd **out);

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
