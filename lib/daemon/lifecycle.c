#include "lifecycle.h"
#include "error.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "zap.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

/* How long the self-test waits for the refusal of its unknown key. */
#define SELFTEST_MS 5000

int daemon_start(struct daemon *d, const struct daemon_start_cfg *cfg)
{
	char err[512], q[600];
	int status;

	memset(d, 0, sizeof *d);
	d->insecure = cfg->insecure;
	d->pidfile = cfg->pidfile;
	if (cv_crypto_init() != 0) {
		log_event(LOG_ERROR, "crypto_init_failed", NULL);
		return 1;
	}
	if (cfg->insecure) {
		log_event(LOG_WARN, "insecure", "msg=%s",
			  log_quote(cfg->insecure_warning, q, sizeof q));
	} else if (cfg->key_path == NULL) {
		log_event(LOG_ERROR, "no_keys",
			  "msg=\"--key is required (or --insecure on ipc://)\"");
		return DAEMON_EXIT_CONFIG;
	} else if (keys_load_pair(cfg->key_path, &d->keys, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "keys_invalid", "error=%s", log_quote(err, q, sizeof q));
		return DAEMON_EXIT_CONFIG;
	}
	status = daemon_observe(cfg->component, cfg->http, &d->metrics, &d->reloads, &d->httpd);
	if (status != 0)
		return status;
	if ((d->zctx = zmq_ctx_new()) == NULL) {
		log_event(LOG_ERROR, "zmq_failed", "error=%s",
			  log_quote(zmq_strerror(errno), q, sizeof q));
		return 1;
	}
	if (!cfg->insecure && daemon_start_zap(d->zctx, &d->zap, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "zap_failed", "error=%s", log_quote(err, q, sizeof q));
		return 1;
	}
	return 0;
}

int daemon_selftest(struct daemon *d, void *sock)
{
	char err[512], q[600];

	if (d->insecure || sock == NULL)
		return 0;
	if (zap_selftest(d->zctx, sock, d->keys.public_z85, SELFTEST_MS, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "selftest_failed", "error=%s", log_quote(err, q, sizeof q));
		return 1;
	}
	return 0;
}

void daemon_selftest_passed(const struct daemon *d)
{
	if (!d->insecure)
		log_event(LOG_INFO, "selftest_passed", "msg=\"an unknown CURVE key is refused\"");
}

int daemon_serving(struct daemon *d)
{
	char err[512], q[600];

	daemon_install_signals(&d->stop, &d->reload);
	if (d->pidfile != NULL && cv_write_pidfile(d->pidfile, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "pidfile_failed", "error=%s", log_quote(err, q, sizeof q));
		return 1;
	}
	d->wrote_pidfile = d->pidfile != NULL;
	httpd_set_ready(d->httpd, true);
	daemon_notify_ready();
	return 0;
}

void daemon_stopping(struct daemon *d)
{
	httpd_set_ready(d->httpd, false);
	daemon_notify_stopping();
}

void daemon_finish(struct daemon *d)
{
	if (d->wrote_pidfile)
		unlink(d->pidfile);
	d->wrote_pidfile = false;
	httpd_stop(&d->httpd);
	metrics_free(&d->metrics);
	zap_stop(&d->zap);
	if (d->zctx != NULL)
		zmq_ctx_term(d->zctx);
	d->zctx = NULL;
	keys_wipe(&d->keys);
}
