/*
 * canvass-collector: the member-facing daemon. Options and config,
 * registry and questionnaires, sockets, the event loop, teardown.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "error.h"
#include "log.h"
#include "relay.h"
#include "settings.h"
#include "util.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int main(int argc, char **argv)
{
	char *listen = NULL, *aggregator = NULL, *registry_path = NULL, *qdir = NULL;
	char *level = NULL, *pidfile = NULL;
	bool insecure = false;
	uint64_t max_message = 256 * 1024;
	long max_answers = 1000, max_string = 4000, max_pending = 10000, timeout_ms = 5000,
	     hwm = 10000;
	const struct setting tab[] = {
	    {"listen", SET_STRING, &listen, 0, 0, "ENDPOINT", "member-facing endpoint to bind"},
	    {"aggregator", SET_STRING, &aggregator, 0, 0, "ENDPOINT", "aggregator endpoint"},
	    {"registry", SET_STRING, &registry_path, 0, 0, "FILE", "member registry (CSV)"},
	    {"questionnaires", SET_STRING, &qdir, 0, 0, "DIR",
	     "questionnaire definitions (*.json)"},
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
	    {"hwm", SET_LONG, &hwm, 1, 1000000, "N", "socket high-water mark (10000)"},
	    {"pidfile", SET_STRING, &pidfile, 0, 0, "FILE", "write the PID here once ready"},
	    {"log-level", SET_STRING, &level, 0, 0, "LEVEL", "debug, info, warn, error (info)"},
	    {NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct collector *col = NULL;
	struct registry *reg = NULL;
	struct qset *qs = NULL;
	void *zctx = NULL;
	char err[512], q1[600], q2[600];
	int next, rc, status = 1, lvl;
	bool wrote_pidfile = false;

	rc = settings_parse(tab, "collector", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP ||
	    (rc == 0 && (next < argc || !listen || !aggregator || !registry_path || !qdir))) {
		FILE *out = rc == SETTINGS_HELP ? stdout : stderr;
		if (rc == 0)
			fprintf(stderr, "canvass-collector: --listen, --aggregator, --registry and "
					"--questionnaires are required\n");
		fprintf(out, "usage: canvass-collector --listen EP --aggregator EP --registry FILE "
			     "--questionnaires DIR [options]\n");
		settings_usage(tab, out);
		settings_free(tab);
		return rc == SETTINGS_HELP ? 0 : 2;
	}
	if (rc != 0) {
		fprintf(stderr, "canvass-collector: %s\n", err);
		settings_free(tab);
		return 2;
	}
	lvl = log_level_parse(level ? level : "info");
	if (lvl < 0) {
		fprintf(stderr, "canvass-collector: unknown log level %s\n", level);
		settings_free(tab);
		return 2;
	}
	log_init("collector", (enum log_level)lvl);
	if (!insecure) {
		log_event(LOG_ERROR, "no_authentication",
			  "msg=\"CURVE is not configured in this build; run with --insecure on an "
			  "ipc:// endpoint for local use\"");
		goto out;
	}
	if (strncmp(listen, "ipc://", 6) != 0) {
		log_event(LOG_ERROR, "insecure_refused",
			  "msg=\"--insecure is allowed on ipc:// endpoints only\" listen=%s",
			  log_quote(listen, q1, sizeof q1));
		goto out;
	}
	log_event(LOG_WARN, "insecure",
		  "msg=\"no authentication: member identity is taken from the payload\"");
	if (cv_crypto_init() != 0)
		goto out;
	if (registry_load(registry_path, &reg, err, sizeof err) != 0 ||
	    qset_load_dir(qdir, &qs, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "config_invalid", "error=%s", log_quote(err, q1, sizeof q1));
		goto out;
	}
	zctx = zmq_ctx_new();
	{
		struct collector_cfg ccfg = {
		    .listen = listen,
		    .aggregator = aggregator,
		    .intake = {.reg = reg, .qs = qs, .limits = wire_default_limits},
		    .max_pending = (size_t)max_pending,
		    .store_timeout_ms = timeout_ms,
		    .hwm = (int)hwm,
		};
		ccfg.intake.limits.max_message = (size_t)max_message;
		ccfg.intake.limits.max_answers = (size_t)max_answers;
		ccfg.intake.limits.max_string = (size_t)max_string;
		if (collector_open(&col, zctx, &ccfg, err, sizeof err) != 0) {
			log_event(LOG_ERROR, "listen_failed", "error=%s",
				  log_quote(err, q1, sizeof q1));
			goto out;
		}
	}
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_stop;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	if (pidfile != NULL && cv_write_pidfile(pidfile, err, sizeof err) != 0) {
		log_event(LOG_ERROR, "pidfile_failed", "error=%s", log_quote(err, q1, sizeof q1));
		goto out;
	}
	wrote_pidfile = pidfile != NULL;
	log_event(LOG_INFO, "ready", "listen=%s aggregator=%s members=%zu questionnaires=%zu",
		  log_quote(listen, q1, sizeof q1), log_quote(aggregator, q2, sizeof q2), reg->n,
		  qs->n);
	rc = collector_run(col, &stop_requested);
	{
		const struct collector_stats *st = collector_stats(col);
		log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "stopped",
			  "result=\"%s\" requests=%llu relayed=%llu rejected=%llu malformed=%llu "
			  "busy=%llu unavailable=%llu replies_dropped=%llu",
			  cv_strerror(rc), (unsigned long long)st->requests,
			  (unsigned long long)st->relayed, (unsigned long long)st->rejected,
			  (unsigned long long)st->malformed, (unsigned long long)st->busy,
			  (unsigned long long)st->unavailable,
			  (unsigned long long)st->replies_dropped);
	}
	status = rc == 0 ? 0 : 1;
out:
	if (wrote_pidfile)
		unlink(pidfile);
	collector_close(&col);
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	registry_free(&reg);
	qset_free(&qs);
	settings_free(tab);
	return status;
}
