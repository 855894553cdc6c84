/*
 * canvass-collector: the member-facing daemon. Options and config, what
 * only the collector loads (registry, questionnaires, cycles: one set,
 * replaced whole on reload), the event loop with reloads; the rest of a
 * daemon's life is lifecycle.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycles.h"
#include "daemon.h"
#include "error.h"
#include "keys.h"
#include "lifecycle.h"
#include "log.h"
#include "relay.h"
#include "settings.h"
#include "util.h"
#include "zap.h"

struct options {
	char *listen, *aggregator, *registry_path, *qdir, *cycles_path;
	char *level, *pidfile, *key_path, *agg_key_path;
	struct daemon_http http;
	bool insecure;
	uint64_t max_message, member_reply_bytes;
	long max_connections, max_handshaking, member_max_pending;
	long max_answers, max_string, max_pending, timeout_ms, hwm, handshake_ms;
	struct setting tab[28]; /* the rows of options_init, with the NULL row */
};

/* The defaults and the settings table over them (docs/operations.md). */
static void options_init(struct options *o)
{
	const struct setting tab[] = {
		{"listen", SET_STRING, &o->listen, 0, 0, "ENDPOINT",
		 "member-facing endpoint to bind"},
		{"aggregator", SET_STRING, &o->aggregator, 0, 0, "ENDPOINT", "aggregator endpoint"},
		{"registry", SET_STRING, &o->registry_path, 0, 0, "FILE",
		 "member registry (CSV code,name,region,public_key)"},
		{"questionnaires", SET_STRING, &o->qdir, 0, 0, "DIR",
		 "questionnaire definitions (*.json)"},
		{"cycles", SET_STRING, &o->cycles_path, 0, 0, "FILE",
		 "cycle schedule (JSON: opens, due, closes)"},
		{"key", SET_STRING, &o->key_path, 0, 0, "FILE",
		 "this collector's CURVE key pair (.key)"},
		{"aggregator-key", SET_STRING, &o->agg_key_path, 0, 0, "FILE",
		 "the aggregator's public key (.pub)"},
		{"insecure", SET_FLAG, &o->insecure, 0, 0, NULL,
		 "no CURVE: identity from the payload (ipc:// only, development)"},
		{"max-message", SET_SIZE, &o->max_message, 0, 0, "SIZE", "largest request (256K)"},
		{"max-answers", SET_LONG, &o->max_answers, 1, 100000, "N",
		 "answers per submission (1000)"},
		{"max-string", SET_LONG, &o->max_string, 16, 1000000, "N",
		 "bytes in any id or text (4000)"},
		{"max-pending", SET_LONG, &o->max_pending, 1, 1000000, "N",
		 "submissions awaiting storage (10000)"},
		{"store-timeout-ms", SET_LONG, &o->timeout_ms, 10, 600000, "MS",
		 "wait for the aggregator (5000)"},
		{"member-max-pending", SET_LONG, &o->member_max_pending, 1, 1000000, "N",
		 "one member's submissions awaiting storage; more get BUSY (1000)"},
		{"member-reply-bytes", SET_SIZE, &o->member_reply_bytes, 65536, 1L << 30, "SIZE",
		 "one member's unread replies: at this new requests get BUSY, at twice "
		 "this replies are dropped (1M; 64K to 1G)"},
		{"max-connections", SET_LONG, &o->max_connections, 0, 1000000, "N",
		 "member connections past the handshake; more are refused at the handshake "
		 "(10000; 0: no cap)"},
		{"max-handshaking", SET_LONG, &o->max_handshaking, 0, 1000000, "N",
		 "connections in the handshake; for each accepted beyond, the oldest silent "
		 "one is closed (1000; 0: no cap)"},
		{"handshake-ms", SET_LONG, &o->handshake_ms, 100, 600000, "MS",
		 "longest CURVE handshake (5000)"},
		{"hwm", SET_LONG, &o->hwm, 1, 1000000, "N", "socket high-water mark (10000)"},
		DAEMON_HTTP_SETTINGS(
			o->http,
			"storage errors relayed in the window that make /health fail (100)"),
		{"pidfile", SET_STRING, &o->pidfile, 0, 0, "FILE", "write the PID here once ready"},
		{"log-level", SET_STRING, &o->level, 0, 0, "LEVEL",
		 "debug, info, warn, error (info)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	_Static_assert(sizeof tab == sizeof o->tab, "options: the table's size");
	memset(o, 0, sizeof *o);
	o->http = (struct daemon_http){.health_window = 60, .health_threshold = 100};
	o->max_message = 256 * 1024;
	o->max_connections = 10000;
	o->max_handshaking = 1000;
	o->member_max_pending = 1000;
	o->member_reply_bytes = 1024 * 1024;
	o->max_answers = 1000;
	o->max_string = 4000;
	o->max_pending = 10000;
	o->timeout_ms = 5000;
	o->hwm = 10000;
	o->handshake_ms = 5000;
	memcpy(o->tab, tab, sizeof tab);
}

/* The limits a reload may change, from the options. */
static struct collector_limits options_limits(const struct options *o)
{
	struct collector_limits lim = {
		.wire = wire_default_limits,
		.store_timeout_ms = o->timeout_ms,
		.member_max_pending = (size_t)o->member_max_pending,
		.member_reply_bytes = (size_t)o->member_reply_bytes,
		.max_handshaking = o->max_handshaking,
	};
	lim.wire.max_message = (size_t)o->max_message;
	lim.wire.max_answers = (size_t)o->max_answers;
	lim.wire.max_string = (size_t)o->max_string;
	return lim;
}

/* Admitted keys: every registry member that has one. */
static int admit_registry(struct zap *zap, const struct registry *reg, size_t *with_keys)
{
	struct zap_entry *e = calloc(reg->n ? reg->n : 1, sizeof *e);
	size_t n = 0;
	int rc;

	if (e == NULL)
		return CV_ENOMEM;
	for (size_t i = 0; i < reg->n; i++) {
		if (reg->members[i].public_key == NULL)
			continue;
		snprintf(e[n].key, sizeof e[n].key, "%s", reg->members[i].public_key);
		snprintf(e[n].user, sizeof e[n].user, "%s", reg->members[i].code);
		n++;
	}
	rc = zap != NULL ? zap_set_keys(zap, e, n) : 0;
	free(e);
	*with_keys = n;
	if (zap != NULL && n < reg->n)
		/* Loud: a member without a key cannot connect at all. */
		log_event(LOG_WARN, "members_without_keys",
			  "members=%zu without_key=%zu msg=\"%s\"", reg->n, reg->n - n,
			  n == 0 ? "no member has a public key: every member is refused at the "
				   "handshake (canvassctl member-key sets one)"
				 : "these members are refused at the handshake until canvassctl "
				   "member-key sets their key");
	return rc;
}

/* What a reload replaces, all at once or not at all. */
struct config_set {
	struct registry *reg;
	struct qset *qs;
	struct cycles *cycles;
};

static void config_set_free(struct config_set *cs)
{
	registry_free(&cs->reg);
	qset_free(&cs->qs);
	cycles_free(&cs->cycles);
}

/* Loads the registry, questionnaires and cycles; on any error nothing is returned. */
static int load_config(const char *registry_path, const char *qdir, const char *cycles_path,
		       struct config_set *out, char *err, size_t errlen)
{
	struct config_set cs = {0};
	int rc = registry_load(registry_path, &cs.reg, err, errlen);
	if (rc == 0)
		rc = qset_load_dir(qdir, &cs.qs, err, errlen);
	if (rc == 0)
		rc = cycles_load(cycles_path, &cs.cycles, err, errlen);
	if (rc != 0) {
		config_set_free(&cs);
		return rc;
	}
	*out = cs;
	return 0;
}

/* SIGHUP: the settings a reload applies, then a new set, whole or not at all. */
static void reload(struct options *o, struct daemon *d, struct collector *col,
		   struct config_set *cs, size_t *with_keys)
{
	static const char *const live[] = {"registry",
					   "questionnaires",
					   "cycles",
					   "log-level",
					   "max-answers",
					   "max-string",
					   "store-timeout-ms",
					   "member-max-pending",
					   "member-reply-bytes",
					   "max-connections",
					   "max-handshaking",
					   "health-window",
					   "health-threshold",
					   NULL};
	struct config_set next;
	struct collector_limits lim;
	char applied[512], err[512], q[600];

	d->reload = 0;
	if (daemon_reload(o->tab, live, d->reloads, applied, sizeof applied) != 0)
		return;
	lim = options_limits(o);
	collector_set_limits(col, &lim);
	zap_set_connection_cap(d->zap, o->max_connections, o->max_handshaking);
	httpd_set_health(d->httpd, o->http.health_window * 1000, o->http.health_threshold);
	if (load_config(o->registry_path, o->qdir, o->cycles_path, &next, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "reload_refused", "error=%s msg=\"previous set stays\"",
			  log_quote(err, q, sizeof q));
		metric_add(d->reloads, "refused", 1);
		return;
	}
	if (!o->insecure && admit_registry(d->zap, next.reg, with_keys) != 0) {
		log_event(LOG_ERROR, "reload_refused", "error=\"out of memory\"");
		metric_add(d->reloads, "refused", 1);
		config_set_free(&next);
		return;
	}
	collector_set_intake(col, next.reg, next.qs, next.cycles);
	config_set_free(cs);
	*cs = next;
	metric_add(d->reloads, "ok", 1);
	log_event(LOG_INFO, "reloaded",
		  "members=%zu members_with_keys=%zu questionnaires=%zu cycles=%zu "
		  "settings_changed=%s",
		  cs->reg->n, *with_keys, cs->qs->n, cs->cycles->n,
		  log_quote(applied, q, sizeof q));
}

/* The "ready" line: the bound endpoint (with a port of * or 0, the kernel's). */
static void log_ready(const struct options *o, struct collector *col, const struct daemon *d,
		      const struct config_set *cs, size_t with_keys)
{
	char bound[256], web[64], q1[300], q2[600], q3[300];
	log_event(
		LOG_INFO, "ready",
		"listen=%s http=%s aggregator=%s members=%zu members_with_keys=%zu "
		"questionnaires=%zu curve=%s",
		log_quote(daemon_bound_endpoint(collector_member_socket(col), bound, sizeof bound),
			  q1, sizeof q1),
		log_quote(httpd_address(d->httpd, web, sizeof web), q3, sizeof q3),
		log_quote(o->aggregator, q2, sizeof q2), cs->reg->n, with_keys, cs->qs->n,
		o->insecure ? "off" : "on");
}

static void log_stopped(struct collector *col, const struct daemon *d, int rc)
{
	const struct collector_stats *st = collector_stats(col);
	struct zap_stats zs = {0};
	if (d->zap)
		zap_get_stats(d->zap, &zs);
	log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "stopped",
		  "result=\"%s\" requests=%llu relayed=%llu rejected=%llu malformed=%llu "
		  "busy=%llu busy_member_budget=%llu unavailable=%llu unauthorized=%llu "
		  "replies_dropped=%llu "
		  "handshakes_admitted=%llu handshakes_refused=%llu",
		  cv_strerror(rc), (unsigned long long)st->requests,
		  (unsigned long long)st->relayed, (unsigned long long)st->rejected,
		  (unsigned long long)st->malformed, (unsigned long long)st->busy,
		  (unsigned long long)(st->busy_unread + st->busy_in_flight),
		  (unsigned long long)st->unavailable, (unsigned long long)st->unauthorized,
		  (unsigned long long)st->replies_dropped, (unsigned long long)zs.admitted,
		  (unsigned long long)(zs.refused_unknown_key + zs.refused_mechanism));
}

int main(int argc, char **argv)
{
	static const char *const required[] = {"listen",         "aggregator", "registry",
					       "questionnaires", "cycles",     NULL};
	struct options o;
	struct daemon d;
	struct collector *col = NULL;
	struct config_set cs = {0};
	char agg_key[KEY_Z85_LEN + 1] = "", err[512], q[600];
	size_t with_keys = 0;
	int rc, status;

	options_init(&o);
	status = daemon_setup(
		"canvass-collector", "collector", o.tab, required,
		"canvass-collector --listen EP --aggregator EP --registry FILE "
		"--questionnaires DIR --cycles FILE (--key FILE --aggregator-key FILE | "
		"--insecure) [options]",
		argc, argv);
	if (status >= 0)
		return status;
	memset(&d, 0, sizeof d);
	status = DAEMON_EXIT_CONFIG;
	if (daemon_endpoint_allowed(o.listen, o.insecure, err, sizeof err) != 0 ||
	    daemon_endpoint_allowed(o.aggregator, o.insecure, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "endpoint_refused", "error=%s", log_quote(err, q, sizeof q));
		goto out;
	}
	if (!o.insecure && o.agg_key_path == NULL) {
		log_event(LOG_ERROR, "no_keys",
			  "msg=\"--key and --aggregator-key are required (or --insecure on "
			  "ipc://)\"");
		goto out;
	}
	if (!o.insecure && keys_load_public(o.agg_key_path, agg_key, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "keys_invalid", "error=%s", log_quote(err, q, sizeof q));
		goto out;
	}
	if (load_config(o.registry_path, o.qdir, o.cycles_path, &cs, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "config_invalid", "error=%s", log_quote(err, q, sizeof q));
		goto out;
	}
	{
		const struct daemon_start_cfg start = {
			.component = "collector",
			.http = &o.http,
			.insecure = o.insecure,
			.insecure_warning = "no authentication: member identity is taken from the "
					    "payload",
			.key_path = o.key_path,
			.pidfile = o.pidfile,
		};
		if ((status = daemon_start(&d, &start)) != 0)
			goto out;
	}
	status = 1;
	if (!o.insecure) {
		if (admit_registry(d.zap, cs.reg, &with_keys) != 0) {
			log_event(LOG_ERROR, "zap_failed", "error=\"out of memory\"");
			goto out;
		}
		zap_set_connection_cap(d.zap, o.max_connections, o.max_handshaking);
	}
	{
		const struct collector_limits lim = options_limits(&o);
		struct collector_cfg ccfg = {
			.listen = o.listen,
			.aggregator = o.aggregator,
			.intake = {.reg = cs.reg,
				   .qs = cs.qs,
				   .cycles = cs.cycles,
				   .limits = lim.wire},
			.max_pending = (size_t)o.max_pending,
			.member_max_pending = lim.member_max_pending,
			.member_reply_bytes = lim.member_reply_bytes,
			.max_handshaking = lim.max_handshaking,
			.store_timeout_ms = lim.store_timeout_ms,
			.hwm = (int)o.hwm,
			.handshake_ms = o.handshake_ms,
			.keys = o.insecure ? NULL : &d.keys,
			.aggregator_key = o.insecure ? NULL : agg_key,
			.metrics = d.metrics,
			.zap = d.zap,
			.http = d.httpd,
		};
		if (collector_open(&col, d.zctx, &ccfg, err, sizeof err) != 0) {
			log_event(LOG_ERROR, "listen_failed", "error=%s",
				  log_quote(err, q, sizeof q));
			status = DAEMON_EXIT_CONFIG;
			goto out;
		}
	}
	if (daemon_selftest(&d, collector_member_socket(col)) != 0)
		goto out;
	daemon_selftest_passed(&d);
	log_ready(&o, col, &d, &cs, with_keys);
	if (daemon_serving(&d) != 0)
		goto out;
	while ((rc = collector_run(col, &d.stop, &d.reload)) == COLLECTOR_RELOAD)
		reload(&o, &d, col, &cs, &with_keys);
	daemon_stopping(&d);
	log_stopped(col, &d, rc);
	status = rc == 0 ? 0 : 1;
out:
	collector_close(&col);
	daemon_finish(&d);
	config_set_free(&cs);
	daemon_settings_free(o.tab);
	return status;
}
