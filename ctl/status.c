/*
 * canvassctl status: one table for the whole pipeline. Each process is
 * asked over its loopback HTTP endpoint (/ready and /metrics, with libcurl)
 * twice, a second apart: up or down, uptime, throughput, queue depth, store
 * size and map use, last commit. Exit status 1 when any process is down or
 * not ready.
 */
#include "ctl.h"

#include <curl/curl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "settings.h"
#include "util.h"

/* Bodies are read up to this size; a larger one is an error, never a partial read. */
#define STATUS_MAX_BODY (8u << 20)

struct body {
	char *p;
	size_t len, cap;
	bool toobig;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;

	/* The cap is checked before growing: b->p always stays the live buffer. */
	if (add > STATUS_MAX_BODY || b->len + add > STATUS_MAX_BODY) {
		b->toobig = true;
		return 0; /* curl stops with a write error */
	}
	if (b->len + add + 1 > b->cap) {
		/* Doubling: a large body costs a few copies, not one per chunk. */
		size_t cap = b->cap ? b->cap : 16384;
		char *np;
		while (cap < b->len + add + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/*
 * GET http://ADDR/PATH; returns the HTTP status (0: unreachable or the body
 * was over STATUS_MAX_BODY, which is said on stderr), body in *out.
 */
static long get(const char *addr, const char *path, char **out)
{
	struct body b = {0};
	char url[512];
	long code = 0;
	CURL *c = curl_easy_init();

	*out = NULL;
	if (c == NULL)
		return 0;
	snprintf(url, sizeof url, "http://%s%s", addr, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (b.toobig) {
		fprintf(stderr, "canvassctl: %s: the response is over %u MiB; not read\n", url,
			STATUS_MAX_BODY >> 20);
		free(b.p);
		return 0;
	}
	*out = b.p;
	return code;
}

/* Value of the series "name" (exactly, labels included) in a metrics text; NAN when absent. */
static double metric(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	return NAN;
}

struct proc {
	const char *name, *addr;
	long ready;
	char *m1, *m2;
};

static void fmt_duration(double s, char *buf, size_t len)
{
	if (s < 0)
		s = 0; /* clocks a second apart */
	if (isnan(s))
		snprintf(buf, len, "-");
	else if (s < 120)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0fm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%.1fh", s / 3600);
	else
		snprintf(buf, len, "%.1fd", s / 86400);
}

int ctl_status(int argc, char **argv)
{
	struct strlist extra = {0};
	char *agg_http = NULL, *col_http = NULL, *cfg_path = NULL, err[512];
	long interval_ms = 1000;
	const struct setting tab[] = {
		{"aggregator-http", SET_STRING, &agg_http, 0, 0, "ADDR",
		 "the aggregator's endpoint"},
		{"collector-http", SET_LIST, &extra, 0, 0, "ADDR",
		 "a collector's endpoint; repeat"},
		{"interval-ms", SET_LONG, &interval_ms, 100, 60000, "MS",
		 "between the two samples for throughput (1000)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct proc procs[34];
	size_t n = 0;
	int next, rc, status = 0;
	time_t now = time(NULL);

	/* -c FILE: the http keys of [aggregator] and [collector]. */
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
			cfg_path = argv[i + 1];
	rc = settings_parse(tab, "status", argc, argv, &next, err, sizeof err);
	if (rc == 0 && cfg_path != NULL) {
		struct setting agg_tab[] = {{"http", SET_STRING, &agg_http, 0, 0, NULL, NULL},
					    {"*", SET_OTHERS, NULL, 0, 0, NULL, NULL},
					    {NULL, 0, NULL, 0, 0, NULL, NULL}};
		struct setting col_tab[] = {{"http", SET_STRING, &col_http, 0, 0, NULL, NULL},
					    {"*", SET_OTHERS, NULL, 0, 0, NULL, NULL},
					    {NULL, 0, NULL, 0, 0, NULL, NULL}};
		char *args[] = {"status", "-c", cfg_path, NULL};
		int k;
		if (agg_http == NULL)
			rc = settings_parse(agg_tab, "aggregator", 3, args, &k, err, sizeof err);
		if (rc == 0)
			rc = settings_parse(col_tab, "collector", 3, args, &k, err, sizeof err);
	}
	if (rc == SETTINGS_HELP || rc != 0 || next != argc ||
	    (agg_http == NULL && col_http == NULL && extra.n == 0)) {
		rc = ctl_usage("status", rc, err, tab,
			       "usage: canvassctl status -c FILE | --aggregator-http ADDR "
			       "[--collector-http ADDR]...\n");
		settings_free(tab); /* frees agg_http too, whichever table set it */
		free(col_http);
		return rc;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (agg_http)
		procs[n++] = (struct proc){.name = "aggregator", .addr = agg_http};
	if (col_http)
		procs[n++] = (struct proc){.name = "collector", .addr = col_http};
	for (size_t i = 0; i < extra.n && n < 34; i++)
		procs[n++] = (struct proc){.name = "collector", .addr = extra.items[i]};
	for (size_t i = 0; i < n; i++) {
		char *body = NULL;
		procs[i].ready = get(procs[i].addr, "/ready", &body);
		free(body);
		get(procs[i].addr, "/metrics", &procs[i].m1);
	}
	cv_sleep_ms(interval_ms); /* the sampling interval of the rates, not a synchronisation */
	for (size_t i = 0; i < n; i++)
		get(procs[i].addr, "/metrics", &procs[i].m2);

	printf("%-10s %-20s %-9s %7s %12s %9s %6s %21s %10s\n", "process", "endpoint", "state",
	       "uptime", "submissions", "per sec", "queue", "store used / map", "last commit");
	for (size_t i = 0; i < n; i++) {
		struct proc *p = &procs[i];
		bool agg = strcmp(p->name, "aggregator") == 0;
		const char *state = p->ready == 200 ? "up" : p->ready == 0 ? "DOWN" : "NOT READY";
		char up[16] = "-", last[24] = "-", store[40] = "-", q[16] = "-";
		double total1, total2, queue;

		if (p->ready != 200)
			status = 1;
		if (p->m2 == NULL) {
			printf("%-10s %-20s %-9s\n", p->name, p->addr, state);
			continue;
		}
		fmt_duration((double)now - metric(p->m2, "process_start_time_seconds"), up,
			     sizeof up);
		if (agg) {
			const char *k = "canvass_aggregator_submissions_total{result=\"accepted\"}";
			double used = metric(p->m2, "canvass_store_used_bytes");
			double map = metric(p->m2, "canvass_store_map_size_bytes");
			double lc =
				metric(p->m2, "canvass_aggregator_last_commit_timestamp_seconds");
			total1 = p->m1 ? metric(p->m1, k) : NAN;
			total2 = metric(p->m2, k);
			queue = NAN;
			snprintf(store, sizeof store, "%.1f / %.0f MiB (%.0f%%)", used / 1048576,
				 map / 1048576, map > 0 ? 100 * used / map : 0);
			if (!isnan(lc))
				fmt_duration((double)now - lc, last, sizeof last);
			if (!isnan(lc))
				strncat(last, " ago", sizeof last - strlen(last) - 1);
		} else {
			const char *k = "canvass_collector_replies_total{status=\"accepted\"}";
			total1 = p->m1 ? metric(p->m1, k) : NAN;
			total2 = metric(p->m2, k);
			queue = metric(p->m2, "canvass_collector_pending");
		}
		if (!isnan(queue))
			snprintf(q, sizeof q, "%.0f", queue);
		printf("%-10s %-20s %-9s %7s %12.0f %9.1f %6s %21s %10s\n", p->name, p->addr, state,
		       up, total2, (total2 - total1) * 1000.0 / (double)interval_ms, q, store,
		       last);
	}
	for (size_t i = 0; i < n; i++) {
		free(procs[i].m1);
		free(procs[i].m2);
	}
	curl_global_cleanup();
	settings_free(tab);
	free(col_http);
	return status;
}
