/* The real daemons under load: ingest, latency at a fixed rate, idle members. */
#define _GNU_SOURCE /* SCHED_IDLE */
#include "bench.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "canvass.pb-c.h"
#include "error.h"
#include "util.h"
#include "wire.h"
#include "zap.h"

extern char **environ;

const char *const bench_regions[6] = {"Americas and Caribbean",
				      "Asia/Pacific",
				      "East and Southern Africa",
				      "Europe",
				      "North of Africa, Near and Middle East",
				      "West and Central Africa"};

double now_s(void)
{
	return (double)cv_mono_us() / 1e6;
}

long rss_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':')
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

struct body {
	char *p;
	size_t len;
};

static size_t on_data(char *d, size_t s, size_t n, void *arg)
{
	struct body *b = arg;
	char *np = realloc(b->p, b->len + s * n + 1);
	if (np == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, d, s * n);
	b->len += s * n;
	b->p[b->len] = '\0';
	return s * n;
}

/* A daemon's /metrics text (the caller frees it), or NULL. */
static char *fetch_metrics(const char *addr)
{
	struct body b = {0};
	char url[128];
	CURL *c = curl_easy_init();

	snprintf(url, sizeof url, "http://%s/metrics", addr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) != CURLE_OK) {
		free(b.p);
		b.p = NULL;
	}
	curl_easy_cleanup(c);
	return b.p;
}

int http_metric(const char *addr, const char *series, double *out)
{
	char *text = fetch_metrics(addr);
	size_t n = strlen(series);
	int rc = CV_ENOTFOUND;

	for (char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			*out = strtod(p + n + 1, NULL);
			rc = 0;
			break;
		}
	free(text);
	return rc;
}

int http_histogram(const char *addr, const char *name, double *le, double *count, size_t max,
		   size_t *n)
{
	char *text = fetch_metrics(addr), prefix[160];
	size_t pl;
	int rc = CV_ENOTFOUND;

	*n = 0;
	snprintf(prefix, sizeof prefix, "%s_bucket{le=\"", name);
	pl = strlen(prefix);
	for (char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *end;
		if (strncmp(p, prefix, pl) != 0 || *n == max ||
		    (end = strstr(p + pl, "} ")) == NULL)
			continue;
		le[*n] = strncmp(p + pl, "+Inf", 4) == 0 ? INFINITY : strtod(p + pl, NULL);
		count[(*n)++] = strtod(end + 2, NULL);
		rc = 0;
	}
	free(text);
	return rc;
}

/*
 * Reads key="value" from the daemon's "ready" log line into out: the
 * daemons bind port * (or 0 for HTTP) and name the port the kernel chose.
 */
static int ready_value(const char *log_path, const char *key, char *out, size_t len)
{
	char line[4096], pat[64];
	FILE *f = fopen(log_path, "r");
	int rc = CV_EINVAL;

	if (f == NULL)
		return CV_EIO;
	snprintf(pat, sizeof pat, " %s=\"", key);
	while (fgets(line, sizeof line, f) != NULL) {
		const char *v, *end;
		if (strstr(line, " event=ready ") == NULL || (v = strstr(line, pat)) == NULL)
			continue;
		v += strlen(pat);
		end = strchr(v, '"');
		if (end == NULL || (size_t)(end - v) >= len)
			continue;
		memcpy(out, v, (size_t)(end - v));
		out[end - v] = '\0';
		rc = 0;
	}
	fclose(f);
	return rc;
}

/*
 * The bench questionnaire: q questions over 10 sections, valid answers by
 * construction. With checks, every number question has the three quality
 * checks (a soft range, the change from the previous cycle, outliers).
 */
void write_questionnaire(const char *path, const char *id, int q, bool checks)
{
	FILE *f = fopen(path, "w");
	fprintf(f,
		"{\"id\": \"%s\", \"version\": 1, \"title\": \"Benchmark questionnaire\", "
		"\"sections\": [",
		id);
	for (int s = 0; s < 10; s++) {
		fprintf(f, "%s{\"id\": \"s%d\", \"title\": \"Section %d\", \"questions\": [",
			s ? "," : "", s, s + 1);
		for (int k = s; k < q; k += 10) {
			const char *sep = k == s ? "" : ",";
			switch (k % 10) {
			case 0:
			case 1:
			case 2:
			case 3:
				fprintf(f,
					"%s{\"id\": \"q%03d\", \"type\": \"scale\", \"text\": "
					"\"?\", "
					"\"score\": {}, \"levels\": [{\"value\": 0, \"label\": "
					"\"a\"}, "
					"{\"value\": 1, \"label\": \"b\"}, {\"value\": 2, "
					"\"label\": \"c\"}, "
					"{\"value\": 3, \"label\": \"d\"}, {\"value\": 4, "
					"\"label\": \"e\"}]}",
					sep, k);
				break;
			case 4:
			case 5:
			case 6:
				fprintf(f,
					"%s{\"id\": \"q%03d\", \"type\": \"number\", \"text\": "
					"\"?\", "
					"\"min\": 0, \"max\": 100, \"unit\": \"percent\"%s}",
					sep, k,
					checks ? ", \"warn_above\": 95, \"change_from_previous\": "
						 "{\"relative\": 0.5}, \"outlier\": {}"
					       : "");
				break;
			case 7:
			case 8:
				fprintf(f,
					"%s{\"id\": \"q%03d\", \"type\": \"yes_no\", \"text\": "
					"\"?\", "
					"\"score\": {}}",
					sep, k);
				break;
			default:
				fprintf(f,
					"%s{\"id\": \"q%03d\", \"type\": \"choice\", \"text\": "
					"\"?\", "
					"\"options\": [{\"id\": \"a\", \"label\": \"A\"}, {\"id\": "
					"\"b\", "
					"\"label\": \"B\"}, {\"id\": \"c\", \"label\": \"C\"}]}",
					sep, k);
			}
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
	fclose(f);
}

Canvass__Submission *bench_submission(const char *id, const char *code, int m, long i, int q)
{
	Canvass__Submission *s = malloc(sizeof *s);
	char buf[96];
	canvass__submission__init(s);
	s->questionnaire = strdup(id);
	s->version = 1;
	s->cycle = strdup("2026");
	s->member = strdup(code);
	snprintf(buf, sizeof buf, "%s-%s-%ld", id, code, i);
	s->idempotency_key = strdup(buf);
	s->answers = calloc((size_t)q, sizeof *s->answers);
	for (int k = 0; k < q; k++) {
		Canvass__Answer *a = malloc(sizeof *a);
		uint64_t h = (uint64_t)(m + 1) * 2654435761u ^ (uint64_t)(i + 1) * 40503u ^
			     (uint64_t)(k + 1) * 97u;
		canvass__answer__init(a);
		snprintf(buf, sizeof buf, "q%03d", k);
		a->question = strdup(buf);
		switch (k % 10) {
		case 0:
		case 1:
		case 2:
		case 3:
			a->value_case = CANVASS__ANSWER__VALUE_INTEGER;
			a->integer = (int64_t)(h % 5);
			break;
		case 4:
		case 5:
		case 6:
			a->value_case = CANVASS__ANSWER__VALUE_NUMBER;
			a->number = (double)(h % 1001) / 10.0;
			break;
		case 7:
		case 8:
			a->value_case = CANVASS__ANSWER__VALUE_BOOLEAN;
			a->boolean = h % 3 != 0;
			break;
		default:
			a->value_case = CANVASS__ANSWER__VALUE_TEXT;
			a->text = strdup(h % 3 == 0 ? "a" : h % 3 == 1 ? "b" : "c");
		}
		s->answers[s->n_answers++] = a;
	}
	return s;
}

uint8_t *make_request(const struct bench_pipeline *p, const char *qid, int m, long i, int questions,
		      size_t *len)
{
	Canvass__Request req = CANVASS__REQUEST__INIT;
	Canvass__Submission *s = bench_submission(qid, p->codes[m], m, i, questions);
	uint8_t *buf;
	req.protocol_version = WIRE_PROTOCOL_VERSION;
	req.request_id = (uint64_t)i + 1;
	req.body_case = CANVASS__REQUEST__BODY_SUBMIT;
	req.submit = s;
	wire_pack(&req.base, &buf, len);
	WIRE_FREE(s);
	return buf;
}

static pid_t spawn(char *const argv[], const char *log)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static int wait_file(const char *path, pid_t pid, double secs)
{
	double end = now_s() + secs;
	struct stat st;
	while (now_s() < end) {
		int status;
		if (stat(path, &st) == 0)
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return CV_EINVAL;
		usleep(10000); /* polling a readiness signal, with a deadline */
	}
	return CV_ETIMEDOUT;
}

/* Copies from into dir/name (the portal's questionnaire); quietly nothing on an error. */
static void copy_file(const char *from, const char *dir, const char *name)
{
	char path[600], buf[65536];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (in == NULL)
		return;
	if ((out = fopen(path, "wb")) != NULL) {
		while ((n = fread(buf, 1, sizeof buf, in)) > 0)
			fwrite(buf, 1, n, out);
		fclose(out);
	}
	fclose(in);
}

int pipeline_start(struct bench_pipeline *p, const struct bench_opts *o, int n_members)
{
	char path[512], qdir[300], reg[300], cyc[300], pid_a[300], pid_c[300], log[300];
	char agg_bin[512], col_bin[512], key_a[300], key_c[300], pub_a[300], pub_c[300];
	char err[256];
	FILE *f;

	snprintf(p->dir, sizeof p->dir, "/tmp/canvass-bench-XXXXXX");
	if (mkdtemp(p->dir) == NULL)
		return CV_EIO;
	snprintf(qdir, sizeof qdir, "%s/q", p->dir);
	mkdir(qdir, 0700);
	snprintf(path, sizeof path, "%s/bench.json", qdir);
	write_questionnaire(path, "bench", 40, false);
	snprintf(path, sizeof path, "%s/bench-checks.json", qdir);
	write_questionnaire(path, "bench-checks", 40, true);
	snprintf(path, sizeof path, "%s/bench-report.json", qdir);
	write_questionnaire(path, "bench-report", o->questions, false);
	copy_file(CANVASS_SOURCE_DIR "/data/questionnaires/integrity-self-assessment.v1.json", qdir,
		  "integrity-self-assessment.v1.json");
	snprintf(cyc, sizeof cyc, "%s/cycles.json", p->dir);
	f = fopen(cyc, "w");
	fprintf(f, "{\"cycles\": [{\"questionnaire\": \"bench\", \"cycle\": \"2026\", \"opens\": "
		   "\"2000-01-01\", \"due\": \"2099-12-31\", \"closes\": \"2099-12-31\"}, "
		   "{\"questionnaire\": \"bench-report\", \"cycle\": \"2026\", \"opens\": "
		   "\"2000-01-01\", \"due\": \"2099-12-31\", \"closes\": \"2099-12-31\"}, "
		   "{\"questionnaire\": \"bench-checks\", \"cycle\": \"2025\", \"opens\": "
		   "\"2000-01-01\", \"due\": \"2099-12-31\", \"closes\": \"2099-12-31\"}, "
		   "{\"questionnaire\": \"bench-checks\", \"cycle\": \"2026\", \"opens\": "
		   "\"2001-01-01\", \"due\": \"2099-12-31\", \"closes\": \"2099-12-31\"}, "
		   "{\"questionnaire\": \"integrity-self-assessment\", \"cycle\": \"2026\", "
		   "\"opens\": \"2000-01-01\", \"due\": \"2099-12-31\", \"closes\": "
		   "\"2099-12-31\"}]}\n");
	fclose(f);
	keys_generate(&p->aggregator);
	keys_generate(&p->collector);
	keys_save(p->dir, "aggregator", &p->aggregator, err, sizeof err);
	keys_save(p->dir, "collector", &p->collector, err, sizeof err);
	p->n_members = n_members;
	p->members = calloc((size_t)n_members, sizeof *p->members);
	p->codes = calloc((size_t)n_members, sizeof *p->codes);
	snprintf(reg, sizeof reg, "%s/registry.csv", p->dir);
	f = fopen(reg, "w");
	fprintf(f, "code,name,region,public_key\n");
	for (int i = 0; i < n_members; i++) {
		keys_generate(&p->members[i]);
		snprintf(p->codes[i], sizeof p->codes[i], "M%05d", i % 100000);
		fprintf(f, "%s,Member %d,\"%s\",%s\n", p->codes[i], i, bench_regions[i % 6],
			p->members[i].public_z85);
	}
	fclose(f);
	/* The kernel chooses every port; the "ready" log lines name them. */
	snprintf(p->agg_ep, sizeof p->agg_ep, "tcp://127.0.0.1:*");
	snprintf(p->col_ep, sizeof p->col_ep, "tcp://127.0.0.1:*");
	snprintf(p->agg_http, sizeof p->agg_http, "127.0.0.1:0");
	snprintf(p->col_http, sizeof p->col_http, "127.0.0.1:0");
	snprintf(agg_bin, sizeof agg_bin, "%s/canvass-aggregator", o->bindir);
	snprintf(col_bin, sizeof col_bin, "%s/canvass-collector", o->bindir);
	snprintf(key_a, sizeof key_a, "%s/aggregator.key", p->dir);
	snprintf(key_c, sizeof key_c, "%s/collector.key", p->dir);
	snprintf(pub_a, sizeof pub_a, "%s/aggregator.pub", p->dir);
	snprintf(pub_c, sizeof pub_c, "%s/collector.pub", p->dir);
	snprintf(pid_a, sizeof pid_a, "%s/agg.pid", p->dir);
	snprintf(pid_c, sizeof pid_c, "%s/col.pid", p->dir);
	snprintf(path, sizeof path, "%s/data", p->dir);
	if (o->prefill > 0 && fill_history(path, "bench", n_members, o->prefill, 40) != 0)
		return CV_EIO;
	snprintf(log, sizeof log, "%s/aggregator.log", p->dir);
	{
		char *argv[] = {
			agg_bin, "--data",          path,   "--listen",   p->agg_ep,   "--key",
			key_a,   "--collector-key", pub_c,  "--http",     p->agg_http, "--pidfile",
			pid_a,   "--log-level",     "info", "--registry", reg,         NULL};
		p->agg = spawn(argv, log);
	}
	if (p->agg < 0 || wait_file(pid_a, p->agg, 20) != 0 ||
	    ready_value(log, "listen", p->agg_ep, sizeof p->agg_ep) != 0 ||
	    ready_value(log, "http", p->agg_http, sizeof p->agg_http) != 0)
		return CV_EINVAL;
	snprintf(log, sizeof log, "%s/collector.log", p->dir);
	{
		char *argv[] = {col_bin,     "--listen",   p->col_ep, "--aggregator",
				p->agg_ep,   "--key",      key_c,     "--aggregator-key",
				pub_a,       "--registry", reg,       "--questionnaires",
				qdir,        "--cycles",   cyc,       "--http",
				p->col_http, "--pidfile",  pid_c,     "--max-pending",
				"100000",    "--hwm",      "100000",  "--log-level",
				"info",      NULL};
		p->col = spawn(argv, log);
	}
	if (p->col < 0 || wait_file(pid_c, p->col, 20) != 0 ||
	    ready_value(log, "listen", p->col_ep, sizeof p->col_ep) != 0 ||
	    ready_value(log, "http", p->col_http, sizeof p->col_http) != 0)
		return CV_EINVAL;
	/* Ready for members only once the collector reaches the aggregator. */
	for (double end = now_s() + 20; now_s() < end;) {
		double up = 0;
		if (http_metric(p->col_http, "canvass_collector_aggregator_connected", &up) == 0 &&
		    up >= 1)
			return 0;
		usleep(20000);
	}
	return CV_ETIMEDOUT;
}

void pipeline_stop(struct bench_pipeline *p)
{
	int status;
	if (p->col > 0) {
		kill(p->col, SIGTERM);
		waitpid(p->col, &status, 0);
	}
	if (p->agg > 0) {
		kill(p->agg, SIGTERM);
		waitpid(p->agg, &status, 0);
	}
	p->col = p->agg = 0;
	free(p->members);
	free(p->codes);
	p->members = NULL;
}

static void *client_socket(void *zctx, const struct bench_pipeline *p, int m)
{
	void *s = zmq_socket(zctx, ZMQ_DEALER);
	int zero = 0, hwm = 100000;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zap_make_client(s, &p->members[m], p->collector.public_z85);
	zmq_connect(s, p->col_ep);
	return s;
}

struct ingest_client {
	const struct bench_pipeline *p;
	void *zctx;
	int m, window;
	uint8_t **reqs;
	size_t *lens;
	long n, accepted, other;
};

static void *ingest_thread(void *arg)
{
	struct ingest_client *c = arg;
	void *s = client_socket(c->zctx, c->p, c->m);
	long sent = 0, got = 0;

	while (got < c->n) {
		zmq_msg_t msg;
		Canvass__Reply *r;
		while (sent < c->n && sent - got < c->window) {
			zmq_send(s, c->reqs[sent], c->lens[sent], 0);
			sent++;
		}
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, s, 0) < 0) {
			zmq_msg_close(&msg);
			break;
		}
		if (wire_decode_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 20, &r) == 0) {
			if (r->status == CANVASS__STATUS__ACCEPTED)
				c->accepted++;
			else
				c->other++;
			WIRE_FREE(r);
		}
		zmq_msg_close(&msg);
		got++;
	}
	zmq_close(s);
	return NULL;
}

int run_ingest(struct bench_pipeline *p, const struct bench_opts *o, const char *qid, double *rate,
	       long *accepted, double *batch_mean)
{
	return run_ingest_offset(p, o, qid, 0, rate, accepted, batch_mean);
}

int run_ingest_offset(struct bench_pipeline *p, const struct bench_opts *o, const char *qid,
		      long first, double *rate, long *accepted, double *batch_mean)
{
	void *zctx = zmq_ctx_new();
	struct ingest_client *cl = calloc((size_t)o->clients, sizeof *cl);
	pthread_t *th = calloc((size_t)o->clients, sizeof *th);
	long per = o->submissions / o->clients;
	double t0, t1, sum0 = 0, cnt0 = 0, sum1 = 0, cnt1 = 0;

	zmq_ctx_set(zctx, ZMQ_MAX_SOCKETS, 4096);
	for (int i = 0; i < o->clients; i++) {
		cl[i] = (struct ingest_client){
			.p = p, .zctx = zctx, .m = i, .window = o->window, .n = per};
		cl[i].reqs = calloc((size_t)per, sizeof *cl[i].reqs);
		cl[i].lens = calloc((size_t)per, sizeof *cl[i].lens);
		for (long k = 0; k < per; k++)
			cl[i].reqs[k] = make_request(p, qid, i, first + k, 40, &cl[i].lens[k]);
	}
	http_metric(p->agg_http, "canvass_aggregator_batch_size_sum", &sum0);
	http_metric(p->agg_http, "canvass_aggregator_batch_size_count", &cnt0);
	t0 = now_s();
	for (int i = 0; i < o->clients; i++)
		pthread_create(&th[i], NULL, ingest_thread, &cl[i]);
	*accepted = 0;
	for (int i = 0; i < o->clients; i++) {
		pthread_join(th[i], NULL);
		*accepted += cl[i].accepted;
	}
	t1 = now_s();
	http_metric(p->agg_http, "canvass_aggregator_batch_size_sum", &sum1);
	http_metric(p->agg_http, "canvass_aggregator_batch_size_count", &cnt1);
	*rate = (double)*accepted / (t1 - t0);
	*batch_mean = cnt1 > cnt0 ? (sum1 - sum0) / (cnt1 - cnt0) : 0;
	for (int i = 0; i < o->clients; i++) {
		for (long k = 0; k < per; k++)
			free(cl[i].reqs[k]);
		free(cl[i].reqs);
		free(cl[i].lens);
	}
	free(cl);
	free(th);
	zmq_ctx_term(zctx);
	return 0;
}

struct reader {
	const struct bench_pipeline *p;
	void *zctx;
	int m;
	volatile int *stop;
	long reads, other;
};

/* A member asking for its returns' state, one request at a time, until told to stop. */
static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	void *s = client_socket(r->zctx, r->p, r->m);
	Canvass__Request req = CANVASS__REQUEST__INIT;
	Canvass__ReturnQuery q = CANVASS__RETURN_QUERY__INIT;
	uint8_t *buf;
	size_t len;

	req.protocol_version = WIRE_PROTOCOL_VERSION;
	req.body_case = CANVASS__REQUEST__BODY_STATUS;
	req.status = &q;
	q.questionnaire = (char *)"bench";
	if (wire_pack(&req.base, &buf, &len) != 0) {
		zmq_close(s);
		return NULL;
	}
	while (!*r->stop) {
		zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
		Canvass__Reply *rep;
		zmq_msg_t msg;
		zmq_send(s, buf, len, 0);
		if (zmq_poll(&item, 1, 5000) <= 0)
			break;
		zmq_msg_init(&msg);
		if (zmq_msg_recv(&msg, s, 0) >= 0 &&
		    wire_decode_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 20, &rep) == 0) {
			if (rep->status == CANVASS__STATUS__VALID)
				r->reads++;
			else
				r->other++;
			WIRE_FREE(rep);
		}
		zmq_msg_close(&msg);
	}
	free(buf);
	zmq_close(s);
	return NULL;
}

int run_ingest_reading(struct bench_pipeline *p, const struct bench_opts *o, int readers,
		       double *rate, double *reads_per_s)
{
	void *zctx = zmq_ctx_new();
	struct reader *rd = calloc((size_t)readers, sizeof *rd);
	pthread_t *th = calloc((size_t)readers, sizeof *th);
	volatile int stop = 0;
	long accepted, reads = 0;
	double batch, t0 = now_s(), t1;

	for (int i = 0; i < readers; i++) {
		rd[i] = (struct reader){
			.p = p, .zctx = zctx, .m = o->clients + 2 + i, .stop = &stop};
		pthread_create(&th[i], NULL, reader_thread, &rd[i]);
	}
	/* Distinct content from the first ingest's: "bench" again, new variants. */
	run_ingest_offset(p, o, "bench", 1000000, rate, &accepted, &batch);
	stop = 1;
	t1 = now_s();
	for (int i = 0; i < readers; i++) {
		pthread_join(th[i], NULL);
		reads += rd[i].reads;
	}
	*reads_per_s = (double)reads / (t1 - t0);
	free(rd);
	free(th);
	zmq_ctx_term(zctx);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct flood {
	const struct bench_pipeline *p;
	int m;
	atomic_int stop;
	long sent;
};

/* Two connections sending requests whose REJECTED replies are never read. */
static void *flood_thread(void *arg)
{
	struct flood *f = arg;
	struct sched_param none = {0};
	Canvass__Request req = CANVASS__REQUEST__INIT;
	Canvass__Submission *s;
	void *zctx, *socks[2];
	uint8_t *buf;
	size_t len;

	/* Lowest priority, inherited by this context's I/O thread: the flooding
	 * member's CPU is not the collector's on a real network. */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &none);
	zctx = zmq_ctx_new();
	s = bench_submission("bench", f->p->codes[f->m], f->m, 1, 40);
	s->answers = realloc(s->answers, (s->n_answers + 201) * sizeof *s->answers);
	for (int i = 0; i < 201; i++) {
		Canvass__Answer *a = malloc(sizeof *a);
		canvass__answer__init(a);
		a->question = malloc(48);
		snprintf(a->question, 48, "not_a_question_%03d_of_this_questionnaire", i);
		a->value_case = CANVASS__ANSWER__VALUE_INTEGER;
		a->integer = i;
		s->answers[s->n_answers++] = a;
	}
	req.protocol_version = WIRE_PROTOCOL_VERSION;
	req.request_id = 1;
	req.body_case = CANVASS__REQUEST__BODY_SUBMIT;
	req.submit = s;
	wire_pack(&req.base, &buf, &len);
	for (int i = 0; i < 2; i++) {
		int one = 1, small = 4096, zero = 0;
		socks[i] = zmq_socket(zctx, ZMQ_DEALER);
		zmq_setsockopt(socks[i], ZMQ_LINGER, &zero, sizeof zero);
		zmq_setsockopt(socks[i], ZMQ_RCVHWM, &one, sizeof one);
		zmq_setsockopt(socks[i], ZMQ_RCVBUF, &small, sizeof small);
		zap_make_client(socks[i], &f->p->members[f->m], f->p->collector.public_z85);
		zmq_connect(socks[i], f->p->col_ep);
	}
	while (!atomic_load(&f->stop)) {
		int busy = 0;
		for (int i = 0; i < 2; i++) {
			if (zmq_send(socks[i], buf, len, ZMQ_DONTWAIT) >= 0)
				f->sent++;
			else
				busy++;
		}
		if (busy == 2)
			usleep(1000); /* both queues full: the collector is not taking more */
	}
	for (int i = 0; i < 2; i++)
		zmq_close(socks[i]);
	zmq_ctx_term(zctx);
	free(buf);
	WIRE_FREE(s);
	return NULL;
}

int run_latency(struct bench_pipeline *p, const struct bench_opts *o, int flood_member, double *p50,
		double *p99, double *p999, long *done)
{
	void *zctx = zmq_ctx_new();
	int m = o->clients < p->n_members ? o->clients : 0; /* a member that did not ingest */
	struct flood fl = {.p = p, .m = flood_member};
	pthread_t flooder;
	void *s = client_socket(zctx, p, m);
	long n = (long)(o->rate * o->latency_secs), got = 0;
	double *sent_at = calloc((size_t)n + 1, sizeof *sent_at);
	double *lat = calloc((size_t)n + 1, sizeof *lat);
	uint8_t **reqs = calloc((size_t)n + 1, sizeof *reqs);
	size_t *lens = calloc((size_t)n + 1, sizeof *lens);
	double t0;
	long next = 0;

	for (long k = 0; k < n; k++)
		reqs[k] = make_request(p, "bench", m, 1000000 + k, 40, &lens[k]);
	/* Warm the connection: the handshake is not part of the latency. */
	{
		size_t wl;
		uint8_t *w = make_request(p, "bench", m, 999999, 40, &wl);
		zmq_send(s, w, wl, 0);
		zmq_recv(s, lat, 8, 0);
		free(w);
	}
	atomic_init(&fl.stop, 0);
	if (flood_member >= 0)
		pthread_create(&flooder, NULL, flood_thread, &fl);
	t0 = now_s();
	while (got < n) {
		double due = t0 + (double)next / (double)o->rate, now = now_s();
		zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
		if (next < n && now >= due) {
			sent_at[next] = now_s();
			zmq_send(s, reqs[next], lens[next], 0);
			next++;
			continue;
		}
		if (zmq_poll(&item, 1, next < n ? (long)((due - now) * 1000) : 1000) > 0) {
			zmq_msg_t msg;
			Canvass__Reply *r;
			zmq_msg_init(&msg);
			zmq_msg_recv(&msg, s, 0);
			if (wire_decode_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 20,
					      &r) == 0) {
				uint64_t id = r->request_id - 1000001;
				if (id < (uint64_t)n)
					lat[got++] = now_s() - sent_at[id];
				WIRE_FREE(r);
			}
			zmq_msg_close(&msg);
		} else if (next >= n) {
			break; /* nothing more came within a second */
		}
	}
	if (flood_member >= 0) {
		atomic_store(&fl.stop, 1);
		pthread_join(flooder, NULL);
		fprintf(stderr, "bench: the flooding member sent %ld requests\n", fl.sent);
	}
	qsort(lat, (size_t)got, sizeof *lat, cmp_double);
	*p50 = got ? lat[(size_t)(0.5 * (double)(got - 1))] : NAN;
	*p99 = got ? lat[(size_t)(0.99 * (double)(got - 1))] : NAN;
	*p999 = got ? lat[(size_t)(0.999 * (double)(got - 1))] : NAN;
	*done = got;
	for (long k = 0; k < n; k++)
		free(reqs[k]);
	free(reqs);
	free(lens);
	free(sent_at);
	free(lat);
	zmq_close(s);
	zmq_ctx_term(zctx);
	return 0;
}

int run_idle(struct bench_pipeline *p, int n, long *collector_rss_kib)
{
	void *zctx = zmq_ctx_new();
	void **socks = calloc((size_t)n, sizeof *socks);
	double connected = 0;

	zmq_ctx_set(zctx, ZMQ_MAX_SOCKETS, n + 64);
	for (int i = 0; i < n && i < p->n_members; i++)
		socks[i] = client_socket(zctx, p, i);
	for (double end = now_s() + 60; now_s() < end;) {
		if (http_metric(p->col_http, "canvass_collector_connected_members", &connected) ==
			    0 &&
		    connected >= n)
			break;
		usleep(50000);
	}
	*collector_rss_kib = rss_kib(p->col, "VmRSS");
	for (int i = 0; i < n && i < p->n_members; i++)
		zmq_close(socks[i]);
	free(socks);
	zmq_ctx_term(zctx);
	return connected >= n ? 0 : CV_ETIMEDOUT;
}

/* ------------------------------------------------- the transport ceiling */

struct ceiling {
	void *zctx;
	void *echo, *front, *back, *control;
	const struct bench_pipeline *p;
	uint8_t *reply;
	size_t reply_len;
	atomic_int stop;
};

/* Answers every request at once with the same ACCEPTED reply: no decoding, no storage. */
static void *echo_thread(void *arg)
{
	struct ceiling *c = arg;
	zmq_pollitem_t item = {c->echo, 0, ZMQ_POLLIN, 0};

	while (!atomic_load(&c->stop)) {
		if (zmq_poll(&item, 1, 100) <= 0)
			continue;
		for (;;) {
			zmq_msg_t part;
			int more = 1;
			size_t more_len = sizeof more;
			/* routing ids (the relay's, the member's), then the request */
			zmq_msg_init(&part);
			if (zmq_msg_recv(&part, c->echo, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&part);
				break;
			}
			zmq_getsockopt(c->echo, ZMQ_RCVMORE, &more, &more_len);
			if (more) {
				zmq_msg_send(&part, c->echo, ZMQ_SNDMORE);
			} else {
				zmq_msg_close(&part);
				zmq_send(c->echo, c->reply, c->reply_len, 0);
			}
		}
	}
	return NULL;
}

/* A ROUTER-DEALER relay, CURVE on both hops, as the collector stands. */
static void *relay_thread(void *arg)
{
	struct ceiling *c = arg;
	zmq_proxy_steerable(c->front, c->back, NULL, c->control);
	return NULL;
}

int run_transport_ceiling(struct bench_pipeline *p, const struct bench_opts *o, double *rate)
{
	struct ceiling c = {.p = p};
	Canvass__Reply rep = CANVASS__REPLY__INIT;
	Canvass__Receipt rc = CANVASS__RECEIPT__INIT;
	uint8_t hash[CV_HASH_LEN] = {0};
	char echo_ep[64], front_ep[64], saved[64];
	size_t len = sizeof echo_ep;
	pthread_t te, tr;
	long accepted;
	double batch;
	void *ctl;
	int zero = 0, hwm = 100000;

	/* A reply of a receipt's size: what the members read back from the collector. */
	rep.protocol_version = WIRE_PROTOCOL_VERSION;
	rep.status = CANVASS__STATUS__ACCEPTED;
	rc.sequence = 1000000;
	rc.revision = 1;
	rc.content_hash.data = hash;
	rc.content_hash.len = CV_HASH_LEN;
	rc.chain_hash.data = hash;
	rc.chain_hash.len = CV_HASH_LEN;
	rc.stored_at_ms = 1;
	rc.idempotency_key = "M00000-bench-0";
	rc.member = "M00000";
	rep.receipt = &rc;
	if (wire_pack(&rep.base, &c.reply, &c.reply_len) != 0)
		return CV_ENOMEM;
	c.zctx = zmq_ctx_new();
	c.echo = zmq_socket(c.zctx, ZMQ_ROUTER);
	c.front = zmq_socket(c.zctx, ZMQ_ROUTER);
	c.back = zmq_socket(c.zctx, ZMQ_DEALER);
	c.control = zmq_socket(c.zctx, ZMQ_PAIR);
	ctl = zmq_socket(c.zctx, ZMQ_PAIR);
	for (void **s = (void *[]){c.echo, c.front, c.back, NULL}; *s; s++) {
		zmq_setsockopt(*s, ZMQ_LINGER, &zero, sizeof zero);
		zmq_setsockopt(*s, ZMQ_SNDHWM, &hwm, sizeof hwm);
		zmq_setsockopt(*s, ZMQ_RCVHWM, &hwm, sizeof hwm);
	}
	zap_make_server(c.echo, &p->aggregator);
	zap_make_server(c.front, &p->collector);
	zap_make_client(c.back, &p->collector, p->aggregator.public_z85);
	zmq_bind(c.control, "inproc://ceiling-control");
	zmq_connect(ctl, "inproc://ceiling-control");
	if (zmq_bind(c.echo, "tcp://127.0.0.1:*") != 0 ||
	    zmq_getsockopt(c.echo, ZMQ_LAST_ENDPOINT, echo_ep, &len) != 0 ||
	    zmq_connect(c.back, echo_ep) != 0 || zmq_bind(c.front, "tcp://127.0.0.1:*") != 0) {
		free(c.reply);
		zmq_ctx_term(c.zctx);
		return CV_EZMQ;
	}
	len = sizeof front_ep;
	zmq_getsockopt(c.front, ZMQ_LAST_ENDPOINT, front_ep, &len);
	pthread_create(&te, NULL, echo_thread, &c);
	pthread_create(&tr, NULL, relay_thread, &c);
	/* The same clients as the ingest, pointed at the relay. */
	snprintf(saved, sizeof saved, "%s", p->col_ep);
	snprintf(p->col_ep, sizeof p->col_ep, "%s", front_ep);
	run_ingest(p, o, "bench", rate, &accepted, &batch);
	snprintf(p->col_ep, sizeof p->col_ep, "%s", saved);
	zmq_send(ctl, "TERMINATE", 9, 0);
	pthread_join(tr, NULL);
	atomic_store(&c.stop, 1);
	pthread_join(te, NULL);
	for (void **s = (void *[]){c.echo, c.front, c.back, c.control, ctl, NULL}; *s; s++)
		zmq_close(*s);
	zmq_ctx_term(c.zctx);
	free(c.reply);
	return accepted > 0 ? 0 : CV_EIO;
}
