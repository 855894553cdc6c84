/*
 * bench.h - the canvass benchmark: ingest, latency, reports and memory,
 * each beside a baseline measured in the same run on the same records.
 * Figures are timings on a shared machine: printed, never asserted.
 */
#ifndef CANVASS_BENCH_H
#define CANVASS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "canvass.pb-c.h"
#include "keys.h"

struct bench_opts {
	bool smoke;
	int clients;      /* member clients for ingest */
	long submissions; /* distinct submissions for ingest */
	int window;       /* in flight per client */
	long rate;        /* latency: offered submissions per second */
	double latency_secs;
	int idle_members;   /* connected, silent members for the memory figure */
	int report_members; /* members in the report store */
	int questions;      /* questions of the bench questionnaire */
	long prefill;       /* submissions in the aggregator's store before it starts */
	const char *bindir; /* where the canvass programs are */
	const char *json_out;
};

/* A running pipeline of the real daemons, CURVE on, on loopback tcp. */
struct bench_pipeline {
	char dir[256];
	char col_ep[64], agg_ep[64], col_http[32], agg_http[32];
	pid_t agg, col;
	struct keypair collector, aggregator;
	struct keypair *members;
	char (*codes)[12];
	int n_members;
};

double now_s(void);
long rss_kib(pid_t pid, const char *field); /* "VmHWM" or "VmRSS" */
int http_metric(const char *addr, const char *series, double *out);
/* A histogram's cumulative buckets (le, count) from a daemon's /metrics: 0, or not found. */
int http_histogram(const char *addr, const char *name, double *le, double *count, size_t max,
		   size_t *n);

/* load.c */
/* The six WCO regions, for the benchmark's registries. */
extern const char *const bench_regions[6];
/* A valid submission of member code (index m, variant i) to the bench questionnaire id
 * with q questions; the caller frees it with WIRE_FREE. */
Canvass__Submission *bench_submission(const char *id, const char *code, int m, long i, int q);
int pipeline_start(struct bench_pipeline *p, const struct bench_opts *o, int n_members);
/* The bench questionnaire id with q questions (12 numbers with checks when checks) at path. */
void write_questionnaire(const char *path, const char *id, int q, bool checks);
void pipeline_stop(struct bench_pipeline *p);
/* One packed Request of member m, distinct by i; *len set; caller frees. */
/* A submit request of member m for questionnaire qid (bench, bench-checks), cycle 2026. */
uint8_t *make_request(const struct bench_pipeline *p, const char *qid, int m, long i, int questions,
		      size_t *len);
int run_ingest(struct bench_pipeline *p, const struct bench_opts *o, const char *qid, double *rate,
	       long *accepted, double *batch_mean);
/* The same with variants first.. of each member's submissions (new content). */
int run_ingest_offset(struct bench_pipeline *p, const struct bench_opts *o, const char *qid,
		      long first, double *rate, long *accepted, double *batch_mean);
/*
 * Ingest ("bench", new content) while readers members (after the flood
 * member) ask for their returns' state (canvass-submit status) all along,
 * one request at a time each: the ingest rate and the reads answered per s.
 */
int run_ingest_reading(struct bench_pipeline *p, const struct bench_opts *o, int readers,
		       double *rate, double *reads_per_s);
/*
 * Receipts at a fixed rate for one member. flood_member >= 0: meanwhile that
 * member floods from two connections with requests it never reads the
 * (~20 KB REJECTED) replies of, from a thread at the lowest CPU priority.
 */
int run_latency(struct bench_pipeline *p, const struct bench_opts *o, int flood_member, double *p50,
		double *p99, double *p999, long *done);
int run_idle(struct bench_pipeline *p, int n, long *collector_rss_kib);
/*
 * The pipeline's transport ceiling: the same ingest clients, two CURVE hops
 * through a ROUTER-DEALER relay to an echo that answers at once with an
 * ACCEPTED reply (no validation, no storage).
 */
int run_transport_ceiling(struct bench_pipeline *p, const struct bench_opts *o, double *rate);

/* portal.c */
struct portal_figures {
	double form_p50, form_p99;   /* seconds: a form page rendered */
	double check_p50, check_p99; /* a check answered (a dry run at the collector) */
	double css_p50, css_p99;     /* the baseline: the stylesheet, same server */
};
/*
 * canvass-submit serve for the pipeline's first member, the integrity
 * self-assessment (in qdir, its cycle 2026 in cycles): each page timed
 * from an HTTP client over loopback. 0, or an error (figures NAN).
 */
int run_portal(struct bench_pipeline *p, const struct bench_opts *o, const char *qdir,
	       const char *cycles, struct portal_figures *out);

/* baselines.c */
int baseline_lmdb(const char *dir, long n, size_t record, int per_commit, double *rate);
int baseline_sqlite(const char *dir, long n, size_t record, int batch, double *rate);
int baseline_postgres(const char *dir, long n, size_t record, int batch, double *rate, char *why,
		      size_t whylen);
/* Loads the answers table and times the compare figures; *rows gets the row count. */
int baseline_sqlite_compare(const char *dir, const char *store_dir, double *secs, long *rows);
/* PostgreSQL computing the compare figures (GROUP BY, percentile_cont) on the same answers. */
int baseline_postgres_compare(const char *dir, const char *store_dir, double *secs, char *why,
			      size_t whylen);

/* reports.c */
int fill_store(const char *dir, const struct bench_opts *o, long *answers);
/* n submissions of qid (revisions of members M00000...) written straight into a store. */
int fill_history(const char *dir, const char *qid, int members, long n, int questions);
int scan_store(const char *dir, double *secs, long *answers);

#endif
