/*
 * canvass-aggregator: the single writer. Options and config, logging,
 * store and socket set-up, the event loop, teardown.
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
#include "server.h"
#include "settings.h"
#include "util.h"
#include "wire.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int main(int argc, char **argv)
{
	char *data = NULL, *listen = NULL, *level = NULL, *pidfile = NULL;
	uint64_t map_size = 64ull << 20, map_max = 16ull << 30, max_message = 512 * 1024;
	long batch_max = 1000, batch_wait_us = 2000, hwm = 10000;
	const struct setting tab[] = {
	    {"data", SET_STRING, &data, 0, 0, "DIR", "data directory (created 0700)"},
	    {"listen", SET_STRING, &listen, 0, 0, "ENDPOINT", "endpoint for collectors"},
	    {"map-size", SET_SIZE, &map_size, 0, 0, "SIZE", "initial LMDB map size (64M)"},
	    {"map-max", SET_SIZE, &map_max, 0, 0, "SIZE", "cap the map grows to (16G)"},
	    {"batch-max", SET_LONG, &batch_max, 1, 100000, "N", "submissions per commit (1000)"},
	    {"batch-wait-us", SET_LONG, &batch_wait_us, 0, 1000000, "US",
	     "longest wait to fill a batch (2000)"},
	    {"hwm", SET_LONG, &hwm, 1, 1000000, "N", "socket high-water mark (10000)"},
	    {"max-message", SET_SIZE, &max_message, 0, 0, "SIZE", "largest request (512K)"},
	    {"pidfile", SET_STRING, &pidfile, 0, 0, "FILE", "write the PID here once ready"},
	    {"log-level", SET_STRING, &level, 0, 0, "LEVEL", "debug, info, warn, error (info)"},
	    {NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct aggregator *agg = NULL;
	struct store *store = NULL;
	void *zctx = NULL;
	char err[512];
	int next, rc, status = 1, lvl;
	bool wrote_pidfile = false;

	rc = settings_parse(tab, "aggregator", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || (rc == 0 && next < argc) || (rc == 0 && (!data || !listen))) {
		FILE *out = rc == SETTINGS_HELP ? stdout : stderr;
		if (rc == 0)
			fprintf(stderr, "canvass-aggregator: --data and --listen are required\n");
		fprintf(out, "usage: canvass-aggregator --data DIR --listen ENDPOINT [options]\n");
		settings_usage(tab, out);
		settings_free(tab);
		return rc == SETTINGS_HELP ? 0 : 2;
	}
	if (rc != 0) {
		fprintf(stderr, "canvass-aggregator: %s\n", err);
		settings_free(tab);
		return 2;
	}
	lvl = log_level_parse(level ? level : "info");
	if (lvl < 0) {
		fprintf(stderr, "canvass-aggregator: unknown log level %s\n", level);
		settings_free(tab);
		return 2;
	}
	log_init("aggregator", (enum log_level)lvl);
	if (cv_crypto_init() != 0) {
		log_event(LOG_ERROR, "crypto_init_failed", NULL);
		goto out;
	}

	{
		struct store_cfg scfg = {.dir = data, .map_size = map_size, .map_max = map_max};
		if ((rc = store_open(&store, &scfg, err, sizeof err)) != 0) {
			char q[600];
			log_event(LOG_ERROR, "store_open_failed", "error=%s",
				  log_quote(err, q, sizeof q));
			goto out;
		}
	}
	zctx = zmq_ctx_new();
	{
		struct aggregator_cfg acfg = {
		    .listen = listen,
		    .store = store,
		    .batch_max = (size_t)batch_max,
		    .batch_wait_us = batch_wait_us,
		    .hwm = (int)hwm,
		    .max_message = (size_t)max_message,
		};
		if ((rc = aggregator_open(&agg, zctx, &acfg, err, sizeof err)) != 0) {
			char q[600];
			log_event(LOG_ERROR, "listen_failed", "error=%s",
				  log_quote(err, q, sizeof q));
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
		char q[600];
		log_event(LOG_ERROR, "pidfile_failed", "error=%s", log_quote(err, q, sizeof q));
		goto out;
	}
	wrote_pidfile = pidfile != NULL;
	{
		char q1[600], q2[600];
		log_event(LOG_INFO, "ready", "listen=%s data=%s batch_max=%ld batch_wait_us=%ld",
			  log_quote(listen, q1, sizeof q1), log_quote(data, q2, sizeof q2),
			  batch_max, batch_wait_us);
	}
	rc = aggregator_run(agg, &stop_requested);
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
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	store_close(&store);
	settings_free(tab);
	return status;
}
