/*
 * canvass-aggregator: the single writer. Options and config, what only the
 * aggregator checks and opens (the store, the reviewers, the registry of
 * the outlier check), the event loop with reloads; the rest of a daemon's
 * life is lifecycle.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "cycles.h"
#include "error.h"
#include "keys.h"
#include "lifecycle.h"
#include "log.h"
#include "qdef.h"
#include "registry.h"
#include "reviewers.h"
#include "server.h"
#include "settings.h"
#include "syncwatch.h"
#include "util.h"
#include "zap.h"

struct options {
	char *data, *listen, *level, *pidfile, *key_path, *events, *registry_path;
	char *review_listen, *reviewers_path, *qdir, *cycles_path;
	struct daemon_http http;
	struct strlist collector_keys;
	bool insecure;
	uint64_t map_size, map_max, max_message;
	long batch_max, batch_wait_us, hwm;
	struct setting tab[26]; /* the rows of options_init, with the NULL row */
};

/* The defaults and the settings table over them (docs/operations.md). */
static void options_init(struct options *o)
{
	const struct setting tab[] = {
		{"data", SET_STRING, &o->data, 0, 0, "DIR", "data directory (created 0700)"},
		{"listen", SET_STRING, &o->listen, 0, 0, "ENDPOINT", "endpoint for collectors"},
		{"key", SET_STRING, &o->key_path, 0, 0, "FILE", "this aggregator's CURVE key pair"},
		{"collector-key", SET_LIST, &o->collector_keys, 0, 0, "FILE",
		 "public key (.pub) of an admitted collector; repeat"},
		{"insecure", SET_FLAG, &o->insecure, 0, 0, NULL,
		 "no CURVE (ipc:// only, development)"},
		{"map-size", SET_SIZE, &o->map_size, 0, 0, "SIZE", "initial LMDB map size (64M)"},
		{"map-max", SET_SIZE, &o->map_max, 0, 0, "SIZE", "cap the map grows to (16G)"},
		{"batch-max", SET_LONG, &o->batch_max, 1, 100000, "N",
		 "submissions per commit (1000)"},
		{"batch-wait-us", SET_LONG, &o->batch_wait_us, 0, 1000000, "US",
		 "extra wait to fill a batch (0: what is queued)"},
		{"hwm", SET_LONG, &o->hwm, 1, 1000000, "N", "socket high-water mark (10000)"},
		{"max-message", SET_SIZE, &o->max_message, 0, 0, "SIZE", "largest request (512K)"},
		{"registry", SET_STRING, &o->registry_path, 0, 0, "FILE",
		 "member registry: the regions of the outlier check (none: world only)"},
		{"review-listen", SET_STRING, &o->review_listen, 0, 0, "ENDPOINT",
		 "endpoint for reviewers (canvassctl review); needs --reviewers"},
		{"reviewers", SET_STRING, &o->reviewers_path, 0, 0, "FILE",
		 "reviewers file: name,public_key per line (re-read on SIGHUP)"},
		{"questionnaires", SET_STRING, &o->qdir, 0, 0, "DIR",
		 "questionnaire definitions: a query names only their question ids (with "
		 "--review-listen)"},
		{"cycles", SET_STRING, &o->cycles_path, 0, 0, "FILE",
		 "cycle schedule: no query or reopen once a cycle closed (with --review-listen)"},
		{"events", SET_STRING, &o->events, 0, 0, "ENDPOINT",
		 "PUB endpoint of the event feed (ipc:// or tcp://127.x)"},
		DAEMON_HTTP_SETTINGS(o->http, "errors in the window that make /health fail (1)"),
		{"pidfile", SET_STRING, &o->pidfile, 0, 0, "FILE", "write the PID here once ready"},
		{"log-level", SET_STRING, &o->level, 0, 0, "LEVEL",
		 "debug, info, warn, error (info)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	_Static_assert(sizeof tab == sizeof o->tab, "options: the table's size");
	memset(o, 0, sizeof *o);
	o->http = (struct daemon_http){.health_window = 60, .health_threshold = 1};
	o->map_size = 64ull << 20;
	o->map_max = 16ull << 30;
	o->max_message = 512 * 1024;
	o->batch_max = 1000;
	o->hwm = 10000;
	memcpy(o->tab, tab, sizeof tab);
}

/* What the settings cannot be: logged, DAEMON_EXIT_CONFIG; else 0. */
static int options_check(const struct options *o)
{
	char err[512], q[600];

	if (daemon_endpoint_allowed(o->listen, o->insecure, err, sizeof err) != 0 ||
	    (o->review_listen != NULL &&
	     daemon_endpoint_allowed(o->review_listen, o->insecure, err, sizeof err) != 0)) {
		log_event(LOG_ERROR, "endpoint_refused", "error=%s", log_quote(err, q, sizeof q));
		return DAEMON_EXIT_CONFIG;
	}
	if (!o->insecure && o->collector_keys.n == 0) {
		log_event(LOG_ERROR, "no_keys",
			  "msg=\"--key and at least one --collector-key are required (or "
			  "--insecure on ipc://)\"");
		return DAEMON_EXIT_CONFIG;
	}
	if (o->events != NULL && strncmp(o->events, "ipc://", 6) != 0 &&
	    strncmp(o->events, "tcp://127.", 10) != 0) {
		log_event(LOG_ERROR, "events_refused",
			  "msg=\"the event feed binds to ipc:// or tcp://127.x only\" events=%s",
			  log_quote(o->events, q, sizeof q));
		return DAEMON_EXIT_CONFIG;
	}
	if (o->review_listen != NULL && !o->insecure && o->reviewers_path == NULL) {
		log_event(LOG_ERROR, "no_reviewers",
			  "msg=\"--review-listen needs --reviewers (or --insecure on ipc://)\"");
		return DAEMON_EXIT_CONFIG;
	}
	if (o->review_listen != NULL && (o->qdir == NULL || o->cycles_path == NULL)) {
		log_event(LOG_ERROR, "no_schedule",
			  "msg=\"--review-listen needs --questionnaires and --cycles: reviewers' "
			  "actions are checked against them\"");
		return DAEMON_EXIT_CONFIG;
	}
	return 0;
}

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

/* What the aggregator holds that a reload may replace. */
struct held {
	struct registry *registry;
	struct zap_entry *reviewers;
	size_t n_reviewers;
	struct qset *qs;       /* with --questionnaires */
	struct cycles *cycles; /* with --cycles */
};

/* The definitions and the schedule, both or neither; 0 or a canvass code (err). */
static int schedule_load(const struct options *o, struct qset **qs, struct cycles **cycles,
			 char *err, size_t errlen)
{
	int rc = 0;
	*qs = NULL;
	*cycles = NULL;
	if (o->qdir != NULL)
		rc = qset_load_dir(o->qdir, qs, err, errlen);
	if (rc == 0 && o->cycles_path != NULL)
		rc = cycles_load(o->cycles_path, cycles, err, errlen);
	if (rc != 0) {
		qset_free(qs);
		cycles_free(cycles);
	}
	return rc;
}

static void held_free(struct held *h)
{
	registry_free(&h->registry);
	free(h->reviewers);
	qset_free(&h->qs);
	cycles_free(&h->cycles);
}

/* Loads the reviewers and the registry named by o; logged, 0 or an exit status. */
static int held_load(const struct options *o, struct held *h)
{
	char err[512], q[600];

	if (o->reviewers_path != NULL && reviewers_load(o->reviewers_path, &h->reviewers,
							&h->n_reviewers, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "reviewers_invalid", "error=%s", log_quote(err, q, sizeof q));
		return DAEMON_EXIT_CONFIG;
	}
	if (o->registry_path != NULL &&
	    registry_load(o->registry_path, &h->registry, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "registry_invalid", "error=%s", log_quote(err, q, sizeof q));
		return DAEMON_EXIT_CONFIG;
	}
	if (schedule_load(o, &h->qs, &h->cycles, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "config_invalid", "error=%s", log_quote(err, q, sizeof q));
		return DAEMON_EXIT_CONFIG;
	}
	return 0;
}

/*
 * SIGHUP: the settings a reload applies, the collectors' keys, the
 * reviewers and the registry; each refused part keeps what is in force.
 */
static void reload(struct options *o, struct daemon *d, struct aggregator *agg, struct held *h)
{
	static const char *const live[] = {
		"log-level", "batch-wait-us", "health-window",  "health-threshold", "collector-key",
		"registry",  "reviewers",     "questionnaires", "cycles",           NULL};
	char applied[512], err[512], q[600];

	d->reload = 0;
	if (daemon_reload(o->tab, live, d->reloads, applied, sizeof applied) != 0)
		return;
	aggregator_set_batch_wait(agg, o->batch_wait_us);
	httpd_set_health(d->httpd, o->http.health_window * 1000, o->http.health_threshold);
	if (d->zap != NULL && admit_collectors(d->zap, &o->collector_keys, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "reload_refused",
			  "error=%s msg=\"the admitted collector keys stay\"",
			  log_quote(err, q, sizeof q));
		metric_add(d->reloads, "refused", 1);
		return;
	}
	if (o->reviewers_path != NULL) {
		struct zap_entry *fresh = NULL;
		size_t n_fresh = 0;
		if (reviewers_load(o->reviewers_path, &fresh, &n_fresh, err, sizeof err) != 0 ||
		    (d->zap != NULL && zap_set_review_keys(d->zap, fresh, n_fresh) != 0) ||
		    aggregator_set_reviewers(agg, fresh, n_fresh) != 0) {
			log_event(LOG_ERROR, "reload_refused",
				  "error=%s msg=\"the reviewers in force stay\"",
				  log_quote(err, q, sizeof q));
			free(fresh);
			metric_add(d->reloads, "refused", 1);
			return;
		}
		free(h->reviewers);
		h->reviewers = fresh;
		h->n_reviewers = n_fresh;
	}
	if (o->registry_path != NULL) {
		struct registry *fresh = NULL;
		if (registry_load(o->registry_path, &fresh, err, sizeof err) != 0) {
			log_event(LOG_ERROR, "reload_refused",
				  "error=%s msg=\"the registry in force stays\"",
				  log_quote(err, q, sizeof q));
			metric_add(d->reloads, "refused", 1);
			return;
		}
		aggregator_set_registry(agg, fresh);
		registry_free(&h->registry);
		h->registry = fresh;
	} else if (h->registry != NULL) {
		aggregator_set_registry(agg, NULL);
		registry_free(&h->registry);
	}
	{
		struct qset *qs;
		struct cycles *cycles;
		if (schedule_load(o, &qs, &cycles, err, sizeof err) != 0) {
			log_event(LOG_ERROR, "reload_refused",
				  "error=%s msg=\"the questionnaires and cycles in force stay\"",
				  log_quote(err, q, sizeof q));
			metric_add(d->reloads, "refused", 1);
			return;
		}
		aggregator_set_schedule(agg, qs, cycles);
		qset_free(&h->qs);
		cycles_free(&h->cycles);
		h->qs = qs;
		h->cycles = cycles;
	}
	metric_add(d->reloads, "ok", 1);
	log_event(LOG_INFO, "reloaded", "collectors=%zu reviewers=%zu settings_changed=%s",
		  o->collector_keys.n, h->n_reviewers, log_quote(applied, q, sizeof q));
}

/* The "ready" line: the bound endpoints (with a port of * or 0, the kernel's). */
static void log_ready(const struct options *o, struct aggregator *agg, const struct daemon *d,
		      const struct held *h)
{
	char bound[256], ev[256], web[64], rv[256], q1[300], q2[600], q3[300], q4[300], q5[300];

	log_event(LOG_INFO, "ready",
		  "listen=%s review=%s events=%s http=%s data=%s batch_max=%ld "
		  "batch_wait_us=%ld collectors=%zu reviewers=%zu curve=%s",
		  log_quote(daemon_bound_endpoint(aggregator_socket(agg), bound, sizeof bound), q1,
			    sizeof q1),
		  log_quote(daemon_bound_endpoint(aggregator_review_socket(agg), rv, sizeof rv), q5,
			    sizeof q5),
		  log_quote(daemon_bound_endpoint(aggregator_events_socket(agg), ev, sizeof ev), q3,
			    sizeof q3),
		  log_quote(httpd_address(d->httpd, web, sizeof web), q4, sizeof q4),
		  log_quote(o->data, q2, sizeof q2), o->batch_max, o->batch_wait_us,
		  o->collector_keys.n, h->n_reviewers, o->insecure ? "off" : "on");
}

static void log_stopped(struct aggregator *agg, int rc)
{
	const struct aggregator_stats *st = aggregator_stats(agg);
	log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "stopped",
		  "result=\"%s\" batches=%llu accepted=%llu duplicate=%llu conflict=%llu "
		  "malformed=%llu storage_full=%llu replies_dropped=%llu",
		  cv_strerror(rc), (unsigned long long)st->batches,
		  (unsigned long long)st->accepted, (unsigned long long)st->duplicate,
		  (unsigned long long)st->conflict, (unsigned long long)st->malformed,
		  (unsigned long long)st->storage_full, (unsigned long long)st->replies_dropped);
}

int main(int argc, char **argv)
{
	static const char *const required[] = {"data", "listen", NULL};
	struct options o;
	struct daemon d;
	struct held h = {0};
	struct aggregator *agg = NULL;
	struct store *store = NULL;
	char err[512], q[600];
	int rc, status;

	options_init(&o);
	status = daemon_setup("canvass-aggregator", "aggregator", o.tab, required,
			      "canvass-aggregator --data DIR --listen ENDPOINT "
			      "(--key FILE --collector-key FILE... | --insecure) [options]",
			      argc, argv);
	if (status >= 0)
		return status;
	memset(&d, 0, sizeof d);
	if ((status = options_check(&o)) != 0)
		goto out;
	{
		const struct daemon_start_cfg start = {
			.component = "aggregator",
			.http = &o.http,
			.insecure = o.insecure,
			.insecure_warning = "no authentication of collectors",
			.key_path = o.key_path,
			.pidfile = o.pidfile,
		};
		if ((status = held_load(&o, &h)) != 0 || (status = daemon_start(&d, &start)) != 0)
			goto out;
	}
	status = 1;
	if (d.zap != NULL && (admit_collectors(d.zap, &o.collector_keys, err, sizeof err) != 0 ||
			      zap_set_review_keys(d.zap, h.reviewers, h.n_reviewers) != 0)) {
		log_event(LOG_ERROR, "zap_failed", "error=%s", log_quote(err, q, sizeof q));
		goto out;
	}
	{
		struct store_cfg scfg = {.dir = o.data,
					 .map_size = o.map_size,
					 .map_max = o.map_max,
					 .sync_failures = syncwatch_failures};
		char path[4200];
		if (store_open(&store, &scfg, err, sizeof err) != 0) {
			log_event(LOG_ERROR, "store_open_failed", "error=%s",
				  log_quote(err, q, sizeof q));
			goto out;
		}
		/* Failed syncs and device errors of the store's file stop the writer. */
		snprintf(path, sizeof path, "%s/data.mdb", o.data);
		if (syncwatch_watch(path) != 0) {
			log_event(LOG_ERROR, "store_open_failed", "error=%s",
				  log_quote(strerror(errno), q, sizeof q));
			goto out;
		}
	}
	{
		struct aggregator_cfg acfg = {
			.listen = o.listen,
			.store = store,
			.batch_max = (size_t)o.batch_max,
			.batch_wait_us = o.batch_wait_us,
			.hwm = (int)o.hwm,
			.max_message = (size_t)o.max_message,
			.keys = o.insecure ? NULL : &d.keys,
			.events = o.events,
			.metrics = d.metrics,
			.http = d.httpd,
			.registry = h.registry,
			.review_listen = o.review_listen,
			.qs = h.qs,
			.cycles = h.cycles,
		};
		if (aggregator_open(&agg, d.zctx, &acfg, err, sizeof err) != 0) {
			log_event(LOG_ERROR, "listen_failed", "error=%s",
				  log_quote(err, q, sizeof q));
			status = DAEMON_EXIT_CONFIG;
			goto out;
		}
	}
	if (aggregator_set_reviewers(agg, h.reviewers, h.n_reviewers) != 0 ||
	    daemon_selftest(&d, aggregator_socket(agg)) != 0 ||
	    daemon_selftest(&d, aggregator_review_socket(agg)) != 0)
		goto out;
	daemon_selftest_passed(&d);
	log_ready(&o, agg, &d, &h);
	if (daemon_serving(&d) != 0)
		goto out;
	while ((rc = aggregator_run(agg, &d.stop, &d.reload)) == AGGREGATOR_RELOAD)
		reload(&o, &d, agg, &h);
	daemon_stopping(&d);
	log_stopped(agg, rc);
	status = rc == 0 ? 0 : 1;
out:
	aggregator_close(&agg);
	daemon_finish(&d);
	store_close(&store);
	held_free(&h);
	daemon_settings_free(o.tab);
	return status;
}
