/*
 * canvass-collector: the member-facing daemon. Options and config,
 * registry and questionnaires, keys and the ZAP handler, sockets and the
 * start-up self-test, the event loop with reloads, teardown.
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
#include "cycles.h"
#include "relay.h"
#include "settings.h"
#include "util.h"
#include "zap.h"

static volatile sig_atomic_t stop_requested, reload_requested;

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

int main(int argc, char **argv)
{
	char *listen = NULL, *aggregator = NULL, *registry_path = NULL, *qdir = NULL;
	char *level = NULL, *pidfile = NULL, *key_path = NULL, *agg_key_path = NULL;
	char *cycles_path = NULL;
	struct daemon_http ops_http = {.health_window = 60, .health_threshold = 100};
	bool insecure = false;
	uint64_t max_message = 256 * 1024;
	long max_connections = 10000, max_handshaking = 1000, member_max_pending = 1000;
	uint64_t member_reply_bytes = 1024 * 1024;
	long max_answers = 1000, max_string = 4000, max_pending = 10000, timeout_ms = 5000,
	     hwm = 10000, handshake_ms = 5000;
	const struct setting tab[] = {
		{"listen", SET_STRING, &listen, 0, 0, "ENDPOINT", "member-facing endpoint to bind"},
		{"aggregator", SET_STRING, &aggregator, 0, 0, "ENDPOINT", "aggregator endpoint"},
		{"registry", SET_STRING, &registry_path, 0, 0, "FILE",
		 "member registry (CSV code,name,region,public_key)"},
		{"questionnaires", SET_STRING, &qdir, 0, 0, "DIR",
		 "questionnaire definitions (*.json)"},
		{"cycles", SET_STRING, &cycles_path, 0, 0, "FILE",
		 "cycle schedule (JSON: opens, due, closes)"},
		{"key", SET_STRING, &key_path, 0, 0, "FILE",
		 "this collector's CURVE key pair (.key)"},
		{"aggregator-key", SET_STRING, &agg_key_path, 0, 0, "FILE",
		 "the aggregator's public key (.pub)"},
		{"insecure", SET_FLAG, &insecure, 0, 0, NULL,
		 "no CURVE: identity from the payload (ipc:// only, development)"},
		{"max-message", SET_SIZE, &max_message, 0, 0, "SIZE", "largest request (256K)"},
		{"max-answers", SET_LONG, &max_answers, 1, 100000, "N",
		 "answers per submission (1000)"},
		{"max-string", SET_LONG, &max_string, 16, 1000000, "N",
		 "bytes in any id or text (4000)"},
		{"max-pending", SET_LONG, &max_pending, 1, 1000000, "N",
		 "submissions awaiting storage (10000)"},
		{"store-timeout-ms", SET_LONG, &timeout_ms, 10, 600000, "MS",
		 "wait for the aggregator (5000)"},
		{"member-max-pending", SET_LONG, &member_max_pending, 1, 1000000, "N",
		 "one member's submissions awaiting storage; more get BUSY (1000)"},
		{"member-reply-bytes", SET_SIZE, &member_reply_bytes, 65536, 1L << 30, "SIZE",
		 "one member's unread replies: at this new requests get BUSY, at twice "
		 "this replies are dropped (1M; 64K to 1G)"},
		{"max-connections", SET_LONG, &max_connections, 0, 1000000, "N",
		 "member connections past the handshake; more are refused at the handshake "
		 "(10000; 0: no cap)"},
		{"max-handshaking", SET_LONG, &max_handshaking, 0, 1000000, "N",
		 "connections in the handshake; for each accepted beyond, the oldest silent "
		 "one is closed (1000; 0: no cap)"},
		{"handshake-ms", SET_LONG, &handshake_ms, 100, 600000, "MS",
		 "longest CURVE handshake (5000)"},
		{"hwm", SET_LONG, &hwm, 1, 1000000, "N", "socket high-water mark (10000)"},
		DAEMON_HTTP_SETTINGS(
			ops_http,
			"storage errors relayed in the window that make /health fail (100)"),
		{"pidfile", SET_STRING, &pidfile, 0, 0, "FILE", "write the PID here once ready"},
		{"log-level", SET_STRING, &level, 0, 0, "LEVEL", "debug, info, warn, error (info)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct keypair keys;
	char agg_key[KEY_Z85_LEN + 1] = "";
	struct collector *col = NULL;
	struct config_set cs = {0};
	struct zap *zap = NULL;
	struct metrics *metrics = NULL;
	struct metric *m_reloads = NULL;
	struct httpd *httpd = NULL;
	void *zctx = NULL;
	char err[512], q1[600], q2[600];
	int rc, status = 1;
	bool wrote_pidfile = false;
	size_t with_keys = 0;

	{
		static const char *const required[] = {"listen",         "aggregator", "registry",
						       "questionnaires", "cycles",     NULL};
		int setup = daemon_setup(
			"canvass-collector", "collector", tab, required,
			"canvass-collector --listen EP --aggregator EP --registry FILE "
			"--questionnaires DIR --cycles FILE (--key FILE --aggregator-key FILE | "
			"--insecure) [options]",
			argc, argv);
		if (setup >= 0)
			return setup;
	}
	memset(&keys, 0, sizeof keys);
	if (cv_crypto_init() != 0)
		goto out;
	if (daemon_endpoint_allowed(listen, insecure, err, sizeof err) != 0 ||
	    daemon_endpoint_allowed(aggregator, insecure, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "endpoint_refused", "error=%s", log_quote(err, q1, sizeof q1));
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (insecure) {
		log_event(LOG_WARN, "insecure",
			  "msg=\"no authentication: member identity is taken from the payload\"");
	} else if (key_path == NULL || agg_key_path == NULL) {
		log_event(LOG_ERROR, "no_keys",
			  "msg=\"--key and --aggregator-key are required (or --insecure on "
			  "ipc://)\"");
		status = DAEMON_EXIT_CONFIG;
		goto out;
	} else if (keys_load_pair(key_path, &keys, err, sizeof err) != 0 ||
		   keys_load_public(agg_key_path, agg_key, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "keys_invalid", "error=%s", log_quote(err, q1, sizeof q1));
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (load_config(registry_path, qdir, cycles_path, &cs, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "config_invalid", "error=%s", log_quote(err, q1, sizeof q1));
		status = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if ((status = daemon_observe("collector", &ops_http, &metrics, &m_reloads, &httpd)) != 0)
		goto out;
	status = 1;
	zctx = zmq_ctx_new();
	if (!insecure) {
		if (daemon_start_zap(zctx, &zap, err, sizeof err) != 0 ||
		    admit_registry(zap, cs.reg, &with_keys) != 0) {
			log_event(LOG_ERROR, "zap_failed", "error=%s",
				  log_quote(err, q1, sizeof q1));
			goto out;
		}
		zap_set_connection_cap(zap, max_connections, max_handshaking);
	}
	{
		struct collector_cfg ccfg = {
			.listen = listen,
			.aggregator = aggregator,
			.intake = {.reg = cs.reg,
				   .qs = cs.qs,
				   .cycles = cs.cycles,
				   .limits = wire_default_limits},
			.max_pending = (size_t)max_pending,
			.member_max_pending = (size_t)member_max_pending,
			.member_reply_bytes = (size_t)member_reply_bytes,
			.max_handshaking = max_handshaking,
			.store_timeout_ms = timeout_ms,
			.hwm = (int)hwm,
			.handshake_ms = handshake_ms,
			.keys = insecure ? NULL : &keys,
			.aggregator_key = insecure ? NULL : agg_key,
			.metrics = metrics,
			.zap = zap,
			.http = httpd,
		};
		ccfg.intake.limits.max_message = (size_t)max_message;
		ccfg.intake.limits.max_answers = (size_t)max_answers;
		ccfg.intake.limits.max_string = (size_t)max_string;
		if (collector_open(&col, zctx, &ccfg, err, sizeof err) != 0) {
			log_event(LOG_ERROR, "listen_failed", "error=%s",
				  log_quote(err, q1, sizeof q1));
			status = DAEMON_EXIT_CONFIG;
			goto out;
		}
	}
	if (!insecure) {
		/* Fail closed: prove that an unknown key is refused, or do not start. */
		if (zap_selftest(zctx, collector_member_socket(col), keys.public_z85, 5000, err,
				 sizeof err) != 0) {
			log_event(LOG_ERROR, "selftest_failed", "error=%s",
				  log_quote(err, q1, sizeof q1));
			goto out;
		}
		log_event(LOG_INFO, "selftest_passed", "msg=\"an unknown CURVE key is refused\"");
	}
	daemon_install_signals(&stop_requested, &reload_requested);
	{
		/* The bound endpoints: with a port of * or 0, the ones the kernel chose. */
		char bound[256], web[64], q3[300];
		log_event(LOG_INFO, "ready",
			  "listen=%s http=%s aggregator=%s members=%zu members_with_keys=%zu "
			  "questionnaires=%zu curve=%s",
			  log_quote(daemon_bound_endpoint(collector_member_socket(col), bound,
							  sizeof bound),
				    q1, sizeof q1),
			  log_quote(httpd_address(httpd, web, sizeof web), q3, sizeof q3),
			  log_quote(aggregator, q2, sizeof q2), cs.reg->n, with_keys, cs.qs->n,
			  insecure ? "off" : "on");
	}
	/* The pidfile last: whoever waits for it finds the ready line logged. */
	if (pidfile != NULL && cv_write_pidfile(pidfile, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "pidfile_failed", "error=%s", log_quote(err, q1, sizeof q1));
		goto out;
	}
	wrote_pidfile = pidfile != NULL;
	httpd_set_ready(httpd, true);
	daemon_notify_ready();
	while ((rc = collector_run(col, &stop_requested, &reload_requested)) == COLLECTOR_RELOAD) {
		/* What a reload applies; the other settings need a restart. */
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
		struct config_set next_cs;
		char applied[512];
		reload_requested = 0;
		if (daemon_reload(tab, live, m_reloads, applied, sizeof applied) != 0)
			continue;
		{
			struct collector_limits lim = {
				.wire = wire_default_limits,
				.store_timeout_ms = timeout_ms,
				.member_max_pending = (size_t)member_max_pending,
				.member_reply_bytes = (size_t)member_reply_bytes,
				.max_handshaking = max_handshaking,
			};
			lim.wire.max_answers = (size_t)max_answers;
			lim.wire.max_string = (size_t)max_string;
			collector_set_limits(col, &lim);
			zap_set_connection_cap(zap, max_connections, max_handshaking);
			httpd_set_health(httpd, ops_http.health_window * 1000,
					 ops_http.health_threshold);
		}
		if (load_config(registry_path, qdir, cycles_path, &next_cs, err, sizeof err) != 0) {
			log_event(LOG_ERROR, "reload_refused",
				  "error=%s msg=\"previous set stays\"",
				  log_quote(err, q1, sizeof q1));
			metric_add(m_reloads, "refused", 1);
			continue;
		}
		if (!insecure && admit_registry(zap, next_cs.reg, &with_keys) != 0) {
			log_event(LOG_ERROR, "reload_refused", "error=\"out of memory\"");
			metric_add(m_reloads, "refused", 1);
			config_set_free(&next_cs);
			continue;
		}
		collector_set_intake(col, next_cs.reg, next_cs.qs, next_cs.cycles);
		config_set_free(&cs);
		cs = next_cs;
		metric_add(m_reloads, "ok", 1);
		log_event(LOG_INFO, "reloaded",
			  "members=%zu members_with_keys=%zu questionnaires=%zu cycles=%zu "
			  "settings_changed=%s",
			  cs.reg->n, with_keys, cs.qs->n, cs.cycles->n,
			  log_quote(applied, q1, sizeof q1));
	}
	httpd_set_ready(httpd, false);
	daemon_notify_stopping();
	{
		const struct collector_stats *st = collector_stats(col);
		struct zap_stats zs = {0};
		if (zap)
			zap_get_stats(zap, &zs);
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
	status = rc == 0 ? 0 : 1;
out:
	if (wrote_pidfile)
		unlink(pidfile);
	collector_close(&col);
	httpd_stop(&httpd);
	zap_stop(&zap);
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	keys_wipe(&keys);
	config_set_free(&cs);
	metrics_free(&metrics);
	daemon_settings_free(tab);
	return status;
}
