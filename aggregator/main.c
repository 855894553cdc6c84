/*
 * canvass-aggregator: the single writer. Options and config, logging,
 * keys and the ZAP handler, store and socket set-up with the start-up
 * self-test, the event loop, teardown.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "daemon.h"
#include "error.h"
#include "httpd.h"
#include "metrics.h"
#include "keys.h"
#include "log.h"
#include "registry.h"
#include "reviewers.h"
#include "server.h"
#include "settings.h"
#include "util.h"
#include "wire.h"
#include "zap.h"

static volatile sig_atomic_t stop_requested, reload_requested;

/* Admits the collectors' public keys; the User-Id is the file's base name. */
static int admit_collectors(struct zap *zap, const struct strlist *files, char *err, size_t errlen)
{
	struct zap_entry *e = calloc(files->n ? files->n : 1, sizeof *e);
	int rc = 0;

	if (e == NULL)
		return CV_ENOMEM;
	for (size_t i = 0; i < files->n && rc == 0; i++) {
		const char *base = strrchr(files->items[i], '/');
		size_t len;
		base = base ? base + 1 : files->items[i];
		len = strcspn(base, ".");
		snprintf(e[i].user, sizeof e[i].user, "%.*s", (int)len, base);
		rc = keys_load_public(files->items[i], e[i].key, err, errlen);
	}
	if (rc == 0)
		rc = zap_set_keys(zap, e, files->n);
	free(e);
	return rc;
}

int main(int argc, char **argv)
{
	char *data = NULL, *listen = NULL, *level = NULL, *pidfile = NULL, *key_path = NULL;
	char *events = NULL, *registry_path = NULL, *review_listen = NULL, *reviewers_path = NULL;
	struct registry *registry = NULL;
	struct zap_entry *reviewers = NULL;
	size_t n_reviewers = 0;
	struct daemon_http ops_http = {.health_window = 60, .health_threshold = 1};
	struct strlist collector_keys = {0};
	bool insecure = false;
	uint64_t map_size = 64ull << 20, map_max = 16ull << 30, max_message = 512 * 1024;
	long batch_max = 1000, batch_wait_us = 0, hwm = 10000;
	const struct setting tab[] = {
		{"data", SET_STRING, &data, 0, 0, "DIR", "data directory (created 0700)"},
		{"listen", SET_STRING, &listen, 0, 0, "ENDPOINT", "endpoint for collectors"},
		{"key", SET_STRING, &key_path, 0, 0, "FILE", "this aggregator's CURVE key pair"},
		{"collector-key", SET_LIST, &collector_keys, 0, 0, "FILE",
		 "public key (.pub) of an admitted collector; repeat"},
		{"insecure", SET_FLAG, &insecure, 0, 0, NULL,
		 "no CURVE (ipc:// only, development)"},
		{"map-size", SET_SIZE, &map_size, 0, 0, "SIZE", "initial LMDB map size (64M)"},
		{"map-max", SET_SIZE, &map_max, 0, 0, "SIZE", "cap the map grows to (16G)"},
		{"batch-max", SET_LONG, &batch_max, 1, 100000, "N",
		 "submissions per commit (1000)"},
		{"batch-wait-us", SET_LONG, &batch_wait_us, 0, 1000000, "US",
		 "extra wait to fill a batch (0: what is queued)"},
		{"hwm", SET_LONG, &hwm, 1, 1000000, "N", "socket high-water mark (10000)"},
		{"max-message", SET_SIZE, &max_message, 0, 0, "SIZE", "largest request (512K)"},
		{"registry", SET_STRING, &registry_path, 0, 0, "FILE",
		 "member registry: the regions of the outlier check (none: world only)"},
		{"review-listen", SET_STRING, &review_listen, 0, 0, "ENDPOINT",
		 "endpoint for reviewers (canvassctl review); needs --reviewers"},
		{"reviewers", SET_STRING, &reviewers_path, 0, 0, "FILE",
		 "reviewers file: name,public_key per line (re-read on SIGHUP)"},
		{"events", SET_STRING, &events, 0, 0, "ENDPOINT",
		 "PUB endpoint of the event feed (ipc:// or tcp://127.x)"},
		DAEMON_HTTP_SETTINGS(ops_http, "errors in the window that make /health fail (1)"),
		{"pidfile", SET_STRING, &pidfile, 0, 0, "FILE", "write the PID here once ready"},
		{"log-level", SET_STRING, &level, 0, 0, "LEVEL", "debug, info, warn, error (info)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct aggregator *agg = NULL;
	struct store *store = NULL;
	struct zap *zap = NULL;
	struct metrics *metrics = NULL;
	struct httpd *httpd = NULL;
	struct metric *m_reloads = NULL;
	struct keypair keys;
	void *zctx = NULL;
	char err[512], q1[600], q2[600];
	int rc, status = 1;
	bool wrote_pidfile = false;

	{
		static const char *const required[] = {"data", "listen", NULL};
		int setup =
			daemon_setup("canvass-aggregator", "aggregator", tab, required,
				     "canvass-aggregator --data DIR --listen ENDPOINT "
				     "(--key FILE --collector-key FILE... | --insecure) [options]",
				     argc, argv);
		if (setup >= 0)
			return setup;
	}
	memset(&keys, 0, sizeof keys);
	if (cv_crypto_init() != 0) {
		log_event(LOG_ERROR, "crypto_init_failed", NULL);
		goto out;
	}
	if (daemon_endpoint_allowed(listen, insecure, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "endpoint_refused", "error=%s", log_quote(err, q1, sizeof q1));
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (insecure) {
		log_event(LOG_WARN, "insecure", "msg=\"no authentication of collectors\"");
	} else if (key_path == NULL || collector_keys.n == 0) {
		log_event(
			LOG_ERROR, "no_keys",
			"msg=\"--key and at least one --collector-key are required (or --insecure "
			"on ipc://)\"");
		status = DAEMON_EXIT_CONFIG;
		goto out;
	} else if (keys_load_pair(key_path, &keys, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "keys_invalid", "error=%s", log_quote(err, q1, sizeof q1));
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (events != NULL && strncmp(events, "ipc://", 6) != 0 &&
	    strncmp(events, "tcp://127.", 10) != 0) {
		log_event(LOG_ERROR, "events_refused",
			  "msg=\"the event feed binds to ipc:// or tcp://127.x only\" events=%s",
			  log_quote(events, q1, sizeof q1));
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (review_listen != NULL &&
	    daemon_endpoint_allowed(review_listen, insecure, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "endpoint_refused", "error=%s", log_quote(err, q1, sizeof q1));
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (review_listen != NULL && !insecure && reviewers_path == NULL) {
		log_event(LOG_ERROR, "no_reviewers",
			  "msg=\"--review-listen needs --reviewers (or --insecure on ipc://)\"");
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (reviewers_path != NULL &&
	    reviewers_load(reviewers_path, &reviewers, &n_reviewers, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "reviewers_invalid", "error=%s",
			  log_quote(err, q1, sizeof q1));
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (registry_path != NULL &&
	    registry_load(registry_path, &registry, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "registry_invalid", "error=%s", log_quote(err, q1, sizeof q1));
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if ((status = daemon_observe("aggregator", &ops_http, &metrics, &m_reloads, &httpd)) != 0)
		goto out;
	status = 1;
	{
		struct store_cfg scfg = {.dir = data, .map_size = map_size, .map_max = map_max};
		if ((rc = store_open(&store, &scfg, err, sizeof err)) != 0) {
			log_event(LOG_ERROR, "store_open_failed", "error=%s",
				  log_quote(err, q1, sizeof q1));
			goto out;
		}
	}
	zctx = zmq_ctx_new();
	if (!insecure &&
	    (daemon_start_zap(zctx, &zap, err, sizeof err) != 0 ||
	     (zap != NULL && admit_collectors(zap, &collector_keys, err, sizeof err) != 0))) {
		log_event(LOG_ERROR, "zap_failed", "error=%s", log_quote(err, q1, sizeof q1));
		goto out;
	}
	if (zap != NULL && zap_set_review_keys(zap, reviewers, n_reviewers) != 0)
		goto out;
	{
		struct aggregator_cfg acfg = {
			.listen = listen,
			.store = store,
			.batch_max = (size_t)batch_max,
			.batch_wait_us = batch_wait_us,
			.hwm = (int)hwm,
			.max_message = (size_t)max_message,
			.keys = insecure ? NULL : &keys,
			.events = events,
			.metrics = metrics,
			.http = httpd,
			.registry = registry,
			.review_listen = review_listen,
		};
		if ((rc = aggregator_open(&agg, zctx, &acfg, err, sizeof err)) != 0) {
			log_event(LOG_ERROR, "listen_failed", "error=%s",
				  log_quote(err, q1, sizeof q1));
			status = DAEMON_EXIT_CONFIG;
			goto out;
		}
		if (aggregator_set_reviewers(agg, reviewers, n_reviewers) != 0)
			goto out;
	}
	if (!insecure) {
		if (zap_selftest(zctx, aggregator_socket(agg), keys.public_z85, 5000, err,
				 sizeof err) != 0 ||
		    (aggregator_review_socket(agg) != NULL &&
		     zap_selftest(zctx, aggregator_review_socket(agg), keys.public_z85, 5000, err,
				  sizeof err) != 0)) {
			log_event(LOG_ERROR, "selftest_failed", "error=%s",
				  log_quote(err, q1, sizeof q1));
			goto out;
		}
		log_event(LOG_INFO, "selftest_passed", "msg=\"an unknown CURVE key is refused\"");
	}
	daemon_install_signals(&stop_requested, &reload_requested);
	{
		/* The bound endpoints: with a port of * or 0, the ones the kernel chose. */
		char bound[256], ev[256], web[64], rv[256], q3[300], q4[300], q5[300];
		log_event(LOG_INFO, "ready",
			  "listen=%s review=%s events=%s http=%s data=%s batch_max=%ld "
			  "batch_wait_us=%ld collectors=%zu reviewers=%zu curve=%s",
			  log_quote(daemon_bound_endpoint(aggregator_socket(agg), bound,
							  sizeof bound),
				    q1, sizeof q1),
			  log_quote(daemon_bound_endpoint(aggregator_review_socket(agg), rv,
							  sizeof rv),
				    q5, sizeof q5),
			  log_quote(daemon_bound_endpoint(aggregator_events_socket(agg), ev,
							  sizeof ev),
				    q3, sizeof q3),
			  log_quote(httpd_address(httpd, web, sizeof web), q4, sizeof q4),
			  log_quote(data, q2, sizeof q2), batch_max, batch_wait_us,
			  collector_keys.n, n_reviewers, insecure ? "off" : "on");
	}
	/* The pidfile last: whoever waits for it finds the ready line logged. */
	if (pidfile != NULL && cv_write_pidfile(pidfile, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "pidfile_failed", "error=%s", log_quote(err, q1, sizeof q1));
		goto out;
	}
	wrote_pidfile = pidfile != NULL;
	httpd_set_ready(httpd, true);
	daemon_notify_ready();
	while ((rc = aggregator_run(agg, &stop_requested, &reload_requested)) ==
	       AGGREGATOR_RELOAD) {
		/* What a reload applies; the other settings need a restart. */
		static const char *const live[] = {
			"log-level",     "batch-wait-us", "health-window", "health-threshold",
			"collector-key", "registry",      "reviewers",     NULL};
		char applied[512];
		reload_requested = 0;
		if (daemon_reload(tab, live, m_reloads, applied, sizeof applied) != 0)
			continue;
		aggregator_set_batch_wait(agg, batch_wait_us);
		httpd_set_health(httpd, ops_http.health_window * 1000, ops_http.health_threshold);
		if (zap != NULL && admit_collectors(zap, &collector_keys, err, sizeof err) != 0) {
			log_event(LOG_ERROR, "reload_refused",
				  "error=%s msg=\"the admitted collector keys stay\"",
				  log_quote(err, q1, sizeof q1));
			metric_add(m_reloads, "refused", 1);
			continue;
		}
		if (reviewers_path != NULL) {
			struct zap_entry *fresh = NULL;
			size_t n_fresh = 0;
			if (reviewers_load(reviewers_path, &fresh, &n_fresh, err, sizeof err) !=
				    0 ||
			    (zap != NULL && zap_set_review_keys(zap, fresh, n_fresh) != 0) ||
			    aggregator_set_reviewers(agg, fresh, n_fresh) != 0) {
				log_event(LOG_ERROR, "reload_refused",
					  "error=%s msg=\"the reviewers in force stay\"",
					  log_quote(err, q1, sizeof q1));
				free(fresh);
				metric_add(m_reloads, "refused", 1);
				continue;
			}
			free(reviewers);
			reviewers = fresh;
			n_reviewers = n_fresh;
		}
		if (registry_path != NULL) {
			struct registry *fresh = NULL;
			if (registry_load(registry_path, &fresh, err, sizeof err) != 0) {
				log_event(LOG_ERROR, "reload_refused",
					  "error=%s msg=\"the registry in force stays\"",
					  log_quote(err, q1, sizeof q1));
				metric_add(m_reloads, "refused", 1);
				continue;
			}
			aggregator_set_registry(agg, fresh);
			registry_free(&registry);
			registry = fresh;
		} else if (registry != NULL) {
			aggregator_set_registry(agg, NULL);
			registry_free(&registry);
		}
		metric_add(m_reloads, "ok", 1);
		log_event(LOG_INFO, "reloaded", "collectors=%zu reviewers=%zu settings_changed=%s",
			  collector_keys.n, n_reviewers, log_quote(applied, q1, sizeof q1));
	}
	httpd_set_ready(httpd, false);
	daemon_notify_stopping();
	{
		const struct aggregator_stats *st = aggregator_stats(agg);
		log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "stopped",
			  "result=\"%s\" batches=%llu accepted=%llu duplicate=%llu conflict=%llu "
			  "malformed=%llu storage_full=%llu replies_dropped=%llu",
			  cv_strerror(rc), (unsigned long long)st->batches,
			  (unsigned long long)st->accepted, (unsigned long long)st->duplicate,
			  (unsigned long long)st->conflict, (unsigned long long)st->malformed,
			  (unsigned long long)st->storage_full,
			  (unsigned long long)st->replies_dropped);
	}
	status = rc == 0 ? 0 : 1;
out:
	if (wrote_pidfile)
		unlink(pidfile);
	aggregator_close(&agg);
	httpd_stop(&httpd);
	metrics_free(&metrics);
	zap_stop(&zap);
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	store_close(&store);
	registry_free(&registry);
	free(reviewers);
	keys_wipe(&keys);
	daemon_settings_free(tab);
	return status;
}
