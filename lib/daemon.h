/*
 * daemon.h - what the canvass daemons share around their event loops:
 * signals, the endpoint policy, and starting the ZAP handler.
 */
#ifndef CANVASS_DAEMON_H
#define CANVASS_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "settings.h"
#include "zap.h"

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
