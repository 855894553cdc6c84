/*
 * canvass-bench: every figure of docs/performance.md, each beside its
 * baseline measured in the same run, printed as a table and written as
 * JSON. Run through bench/run.sh; --smoke for a tiny run that only proves
 * the benchmark still works (the test command runs it).
 */
#include "bench.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "settings.h"
#include "util.h"

struct figure {
	const char *name, *unit;
	double value, baseline, target;
	const char *baseline_name, *rule; /* rule: ">=" ratio at least target, "<=" value at most */
};

#define BENCH_READERS 4 /* members reading their status during an ingest */

static struct figure figs[64];
static size_t n_figs;

static void add(const char *name, double value, const char *unit, const char *bname, double base,
		const char *rule, double target)
{
	if (n_figs < sizeof figs / sizeof figs[0])
		figs[n_figs++] = (struct figure){name, unit, value, base, target, bname, rule};
}

/*
 * Runs argv with stdout to /dev/null; wall seconds and peak RSS (KiB).
 *
 * Linux keeps a process's peak RSS across execve, and a forked child starts
 * with its parent's pages counted: a reporter forked from this (large)
 * process would report at least this process's RSS. So the child re-executes
 * this program as a small spawner (SPAWN_FLAG), which forks the command from
 * its own few MiB and writes the command's peak RSS and wall time on a pipe.
 */
#define SPAWN_FLAG "--spawn-measured"

static int spawn_measured(int fd, char *const argv[])
{
	struct rusage ru;
	int status;
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		close(fd);
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return 127;
	dprintf(fd, "%ld %.6f\n", ru.ru_maxrss, now_s() - t0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
}

static double timed(char *const argv[], long *maxrss)
{
	double secs = NAN;
	int status, fds[2];
	char buf[64] = "";
	ssize_t n;
	pid_t pid;
	size_t argc = 0;

	*maxrss = 0;
	while (argv[argc] != NULL)
		argc++;
	if (pipe(fds) != 0)
		return NAN;
	pid = fork();
	if (pid == 0) {
		char fdarg[16], **av = calloc(argc + 4, sizeof *av);
		close(fds[0]);
		snprintf(fdarg, sizeof fdarg, "%d", fds[1]);
		av[0] = "canvass-bench";
		av[1] = SPAWN_FLAG;
		av[2] = fdarg;
		memcpy(av + 3, argv, argc * sizeof *av);
		execv("/proc/self/exe", av);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (n <= 0 || sscanf(buf, "%ld %lf", maxrss, &secs) != 2)
		return NAN;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? secs : NAN;
}

/* Bytes a file holds on disk. */
static double disk_mib(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (double)st.st_blocks * 512 / (1 << 20) : NAN;
}

/*
 * The cost curve of the compare report: a store of members x questions
 * answers for each size, its size on disk, the report's time and peak RSS.
 */
static void cost_curve(const struct bench_opts *o, const char *work, char *qdir, char *bin,
		       double rss_mib[3])
{
	const int factor[3] = {1, 10, 100};
	for (int k = 0; k < 3; k++) {
		struct bench_opts c = *o;
		char dir[600], reg[600], name[96], cmd[1400], *av[16];
		long answers = 0, maxrss = 0;
		double secs;
		FILE *f;

		c.report_members = o->report_members * factor[k] / 10;
		snprintf(dir, sizeof dir, "%s/curve-%d", work, k);
		snprintf(reg, sizeof reg, "%s/curve-%d.csv", work, k);
		fprintf(stderr, "bench: cost curve, %d members x %d questions\n", c.report_members,
			c.questions);
		if (fill_store(dir, &c, &answers) != 0 || (f = fopen(reg, "w")) == NULL) {
			rss_mib[k] = NAN;
			continue;
		}
		fprintf(f, "code,name,region\n");
		for (int m = 0; m < c.report_members; m++)
			fprintf(f, "M%05d,Member %d,\"%s\"\n", m, m, bench_regions[m % 6]);
		fclose(f);
		av[0] = bin;
		av[1] = "compare";
		av[2] = "--data";
		av[3] = dir;
		av[4] = "--registry";
		av[5] = reg;
		av[6] = "--questionnaires";
		av[7] = qdir;
		av[8] = "--questionnaire";
		av[9] = "bench-report";
		av[10] = "--cycle";
		av[11] = "2026";
		av[12] = NULL;
		secs = timed(av, &maxrss);
		rss_mib[k] = (double)maxrss / 1024;
		snprintf(name, sizeof name, "curve: compare, %.0e answers", (double)answers);
		add(strdup(name), secs, "s", NULL, NAN, "", NAN);
		snprintf(name, sizeof name, "curve: reporter peak RSS, %.0e answers",
			 (double)answers);
		add(strdup(name), rss_mib[k], "MiB", NULL, NAN, "", NAN);
		snprintf(dir, sizeof dir, "%s/curve-%d/data.mdb", work, k);
		snprintf(name, sizeof name, "curve: store size, %.0e answers", (double)answers);
		add(strdup(name), disk_mib(dir), "MiB", NULL, NAN, "", NAN);
		snprintf(cmd, sizeof cmd, "rm -rf %s/curve-%d %s", work, k, reg);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: could not remove the curve store\n");
	}
}

/* One run of the benchmark: its options, its pipeline and every figure measured. */
struct run {
	struct bench_opts o;
	struct bench_pipeline p;
	bool smoke;
	char work[256], path[512], reg[512], qdir[512], bin[512];
	size_t rlen;
	double rate, batch, rate_reading, reads_per_s, rate_checks, ceiling, rate_full,
		batch_checks, p50, p99, p999, lmdb, lmdb1, sq1, sqb, pg1, pgb, f50, f99, f999;
	long accepted, accepted_checks, done, idle_rss, agg_hwm, agg_checks_hwm, col_hwm, answers,
		fdone, col_flood_hwm;
	double scan_s; /* the plain C scan of the report store, seconds */
	struct portal_figures portal;
	double commit_p50, commit_p99; /* the aggregator's commits during the latency run */
};

/* Not measured until measured: NaN figures, -1 sizes. */
static void run_init(struct run *r)
{
	double *const nan_figs[] = {
		&r->rate,    &r->batch,     &r->rate_reading, &r->reads_per_s, &r->rate_checks,
		&r->ceiling, &r->rate_full, &r->batch_checks, &r->p50,         &r->p99,
		&r->p999,    &r->lmdb,      &r->lmdb1,        &r->sq1,         &r->sqb,
		&r->pg1,     &r->pgb,       &r->f50,          &r->f99,         &r->f999,
		&r->scan_s};
	for (size_t i = 0; i < sizeof nan_figs / sizeof nan_figs[0]; i++)
		*nan_figs[i] = NAN;
	r->idle_rss = r->agg_hwm = r->agg_checks_hwm = r->col_hwm = r->col_flood_hwm = -1;
	r->portal = (struct portal_figures){NAN, NAN, NAN, NAN, NAN, NAN};
	r->commit_p50 = r->commit_p99 = NAN;
}

/* The registry of the report store: report_members members over the six regions. */
static int write_registry(const char *path, const struct bench_opts *o)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "code,name,region\n");
	for (int m = 0; m < o->report_members; m++)
		fprintf(f, "M%05d,Member %d,\"%s\"\n", m, m, bench_regions[m % 6]);
	return fclose(f) == 0 ? 0 : -1;
}

/* --report-store DIR: only the report store, to profile a report on it. */
static int write_report_store(const char *dir, const struct bench_opts *o)
{
	char path[512], reg[512];
	long answers = 0;

	snprintf(path, sizeof path, "%s/q", dir);
	if (mkdir(dir, 0700) != 0 || mkdir(path, 0700) != 0)
		return 1;
	snprintf(path, sizeof path, "%s/q/bench-report.json", dir);
	write_questionnaire(path, "bench-report", o->questions, false);
	snprintf(path, sizeof path, "%s/store", dir);
	fill_store(path, o, &answers);
	snprintf(reg, sizeof reg, "%s/registry.csv", dir);
	if (write_registry(reg, o) != 0)
		return 1;
	printf("%ld answers in %s\n", answers, path);
	return 0;
}

/* Removes the run's directories. */
static int cleanup(struct run *r)
{
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", r->work, r->p.dir);
	if (system(cmd) == 0)
		return 0;
	fprintf(stderr, "bench: could not remove %s\n", r->work);
	return 1;
}

/* 1, 2, 4: the daemons under load, CURVE on, tcp loopback. */
/*
 * The latency run, and the aggregator's commit durations over the same run
 * (its histogram before and after): the disk's and LMDB's part of the tail,
 * to the histogram's bucket bounds.
 */
static void latency_and_commits(struct run *r)
{
	double le[32], before[32], after[32];
	size_t nb = 0, na = 0;
	int hb = http_histogram(r->p.agg_http, "canvass_aggregator_commit_duration_seconds", le,
				before, 32, &nb);

	run_latency(&r->p, &r->o, -1, &r->p50, &r->p99, &r->p999, &r->done);
	if (hb != 0 ||
	    http_histogram(r->p.agg_http, "canvass_aggregator_commit_duration_seconds", le, after,
			   32, &na) != 0 ||
	    na != nb || na == 0)
		return;
	{
		double total = after[na - 1] - before[na - 1];
		for (size_t i = 0; i < na && total > 0; i++) {
			double share = (after[i] - before[i]) / total;
			if (isnan(r->commit_p50) && share >= 0.5)
				r->commit_p50 = le[i];
			if (isnan(r->commit_p99) && share >= 0.99)
				r->commit_p99 = le[i];
		}
	}
}

static void phase_pipeline(struct run *r)
{
	fprintf(stderr, "bench: ingest, %d clients, %ld submissions of %zu bytes\n", r->o.clients,
		r->o.submissions, r->rlen);
	run_ingest(&r->p, &r->o, "bench", &r->rate, &r->accepted, &r->batch);
	r->agg_hwm = rss_kib(r->p.agg, "VmHWM");
	r->col_hwm = rss_kib(r->p.col, "VmHWM");
	fprintf(stderr, "bench: ingest again, quality checks on (12 numbers with 3 checks each)\n");
	run_ingest(&r->p, &r->o, "bench-checks", &r->rate_checks, &r->accepted_checks,
		   &r->batch_checks);
	r->agg_checks_hwm = rss_kib(r->p.agg, "VmHWM");
	fprintf(stderr, "bench: ingest again, %d members reading their status all along\n",
		BENCH_READERS);
	run_ingest_reading(&r->p, &r->o, BENCH_READERS, &r->rate_reading, &r->reads_per_s);
	fprintf(stderr, "bench: the transport ceiling (two CURVE hops to an echo)\n");
	if (run_transport_ceiling(&r->p, &r->o, &r->ceiling) != 0)
		r->ceiling = NAN;
	fprintf(stderr, "bench: latency at %ld/s for %.0f s\n", r->o.rate, r->o.latency_secs);
	latency_and_commits(r);
	fprintf(stderr, "bench: latency at %ld/s for %.0f s, another member flooding\n", r->o.rate,
		r->o.latency_secs);
	run_latency(&r->p, &r->o, r->o.clients + 1, &r->f50, &r->f99, &r->f999, &r->fdone);
	r->col_flood_hwm = rss_kib(r->p.col, "VmHWM");
	fprintf(stderr, "bench: the member's portal: form pages and checks over the link\n");
	{
		char qdir[300], cycles[300];
		snprintf(qdir, sizeof qdir, "%s/q", r->p.dir);
		snprintf(cycles, sizeof cycles, "%s/cycles.json", r->p.dir);
		if (run_portal(&r->p, &r->o, qdir, cycles, &r->portal) != 0)
			fprintf(stderr, "bench: the portal figures were not measured\n");
	}
	fprintf(stderr, "bench: %d idle members connected\n", r->o.idle_members);
	run_idle(&r->p, r->o.idle_members, &r->idle_rss);
	pipeline_stop(&r->p);
}

/* 5: baselines on records of the same size. */
static void phase_baselines(struct run *r)
{
	fprintf(stderr, "bench: baselines\n");
	snprintf(r->path, sizeof r->path, "%s/lmdb", r->work);
	baseline_lmdb(r->path, r->o.submissions, r->rlen, 1000, &r->lmdb);
	snprintf(r->path, sizeof r->path, "%s/lmdb1", r->work);
	baseline_lmdb(r->path, r->smoke ? 50 : 500, r->rlen, 1, &r->lmdb1);
	baseline_sqlite(r->work, r->smoke ? 50 : 1000, r->rlen, 1, &r->sq1);
	baseline_sqlite(r->work, r->o.submissions, r->rlen, 1000, &r->sqb);
	if (!r->smoke) {
		char why[256] = "";
		if (baseline_postgres(r->work, 1000, r->rlen, 1, &r->pg1, why, sizeof why) != 0 ||
		    baseline_postgres(r->work, r->o.submissions, r->rlen, 1000, &r->pgb, why,
				      sizeof why) != 0)
			fprintf(stderr, "bench: PostgreSQL baseline skipped: %s\n", why);
	}
}

/* compare's figures beside the plain scan, SQLite and PostgreSQL on the same store. */
static void compare_figures(struct run *r, double secs, long maxrss)
{
	char why[256] = "smoke run";
	double scan_s = NAN, sqlite_cmp = NAN, pg_cmp = NAN;
	long rows = 0;

	scan_store(r->path, &scan_s, &r->answers);
	baseline_sqlite_compare(r->work, r->path, &sqlite_cmp, &rows);
	add("compare report", secs, "s", "plain C scan", scan_s, "<=x", 1.5);
	add("compare report", secs, "s", "SQLite GROUP BY + median", sqlite_cmp, "", NAN);
	/* Like the ingest baselines: not in the smoke run. */
	if (r->smoke || baseline_postgres_compare(r->work, r->path, &pg_cmp, why, sizeof why) != 0)
		fprintf(stderr, "bench: PostgreSQL compare baseline: %s\n", why);
	add("compare report", secs, "s", "PostgreSQL percentile_cont", pg_cmp, ">=x", 10);
	add("reporter peak RSS (compare)", (double)maxrss / 1024, "MiB", NULL, NAN, "<=abs", 64);
	r->scan_s = scan_s;
}

/* 3: reports over a store of report_members x questions answers. */
static void phase_reports(struct run *r)
{
	static char *const reports[][2] = {
		{"compare", NULL}, {"member", "M00001"}, {"completeness", NULL}, {"export", NULL}};
	double rss[3];

	fprintf(stderr, "bench: filling the report store (%d members x %d questions)\n",
		r->o.report_members, r->o.questions);
	snprintf(r->path, sizeof r->path, "%s/store", r->work);
	fill_store(r->path, &r->o, &r->answers);
	snprintf(r->reg, sizeof r->reg, "%s/registry.csv", r->work);
	if (write_registry(r->reg, &r->o) != 0)
		fprintf(stderr, "bench: cannot write %s\n", r->reg);
	snprintf(r->qdir, sizeof r->qdir, "%s/q", r->p.dir);
	snprintf(r->bin, sizeof r->bin, "%s/canvass-reporter", r->o.bindir);
	for (int k = 0; k < 4; k++) {
		long maxrss = 0;
		char *av[20] = {r->bin,
				reports[k][0],
				"--data",
				r->path,
				"--registry",
				r->reg,
				"--questionnaires",
				r->qdir,
				"--questionnaire",
				"bench-report",
				"--cycle",
				"2026",
				NULL};
		int a = 12;
		double secs;
		if (reports[k][1] != NULL) {
			av[a++] = "--member";
			av[a++] = reports[k][1];
		}
		av[a] = NULL;
		secs = timed(av, &maxrss);
		if (k == 0) {
			compare_figures(r, secs, maxrss);
		} else {
			char name[64];
			snprintf(name, sizeof name, "%s report", reports[k][0]);
			add(strdup(name), secs, "s", "plain C scan", r->scan_s, "<=x", 2);
		}
	}
	cost_curve(&r->o, r->work, r->qdir, r->bin, rss);
	add("reporter peak RSS, 10x the answers", rss[2], "MiB",
	    "reporter peak RSS, the answers above", rss[1], "<=x", 10);
}

/* Ingest into a store that already holds many submissions. */
static void phase_full_store(struct run *r)
{
	struct bench_pipeline q;
	struct bench_opts po = r->o;
	long acc = 0;
	double b = NAN;

	memset(&q, 0, sizeof q);
	po.prefill = r->smoke ? 2000 : 1000000;
	fprintf(stderr, "bench: ingest into a store of %ld submissions\n", po.prefill);
	if (pipeline_start(&q, &po, r->o.clients + 2) != 0 ||
	    run_ingest(&q, &r->o, "bench", &r->rate_full, &acc, &b) != 0)
		r->rate_full = NAN;
	pipeline_stop(&q);
	if (q.dir[0] != '\0') {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf %s", q.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: could not remove %s\n", q.dir);
	}
	add(r->smoke ? "durable ingest into a store of 2000" : "durable ingest into a store of 1e6",
	    r->rate_full, "/s", "durable ingest, empty store", r->rate, ">=", 0.9);
}

/* The figures of the pipeline phase and the baselines, with their targets. */
static void pipeline_figures(const struct run *r)
{
	add("durable ingest", r->rate, "/s", "raw LMDB, 1000 per commit", r->lmdb, ">=", 0.5);
	add("durable ingest", r->rate, "/s", "SQLite WAL FULL, 1 tx each", r->sq1, ">=", 10);
	add("durable ingest", r->rate, "/s", "SQLite WAL FULL, 1000 per tx", r->sqb, "", NAN);
	add("durable ingest", r->rate, "/s", "PostgreSQL, 1 tx each", r->pg1, ">=", 20);
	add("durable ingest", r->rate, "/s", "PostgreSQL, 1000 per tx", r->pgb, ">=", 3);
	add("durable ingest", r->rate, "/s", "transport ceiling: 2 CURVE hops, echo", r->ceiling,
	    ">=", 0.7);
	add("mean batch size during ingest", r->batch, "", NULL, NAN, "", NAN);
	add("durable ingest, members reading status", r->rate_reading, "/s",
	    "durable ingest, no reads", r->rate, ">=", 0.9);
	add("status reads answered during that ingest", r->reads_per_s, "/s", NULL, NAN, "", NAN);
	add("durable ingest, quality checks on", r->rate_checks, "/s", "durable ingest, checks off",
	    r->rate, ">=", 0.9);
	add("ack latency p50", r->p50 * 1000, "ms", "one durable LMDB commit", 1000 / r->lmdb1, "",
	    NAN);
	add("ack latency p99", r->p99 * 1000, "ms", "one durable LMDB commit", 1000 / r->lmdb1,
	    "<=abs", 2);
	add("ack latency p999", r->p999 * 1000, "ms", "one durable LMDB commit", 1000 / r->lmdb1,
	    "<=abs", 5);
	/* The histogram's bucket bounds: at most this long (the disk's and LMDB's part). */
	add("commit duration p50, same run", r->commit_p50 * 1000, "ms", NULL, NAN, "", NAN);
	add("commit duration p99, same run", r->commit_p99 * 1000, "ms", "ack latency p99",
	    r->p99 * 1000, "", NAN);
	add("ack latency p99, member flooding", r->f99 * 1000, "ms", "ack latency p99, no flood",
	    r->p99 * 1000, "<=abs", 10);
	add("collector peak RSS, after flood", (double)r->col_flood_hwm / 1024, "MiB",
	    "collector peak RSS, ingest", (double)r->col_hwm / 1024, "", NAN);
	/* (libzmq's buffers per connection: documented, no target) */
	add("collector RSS, idle members", (double)r->idle_rss / 1024, "MiB", NULL, NAN, "", NAN);
	add("collector peak RSS, ingest", (double)r->col_hwm / 1024, "MiB", NULL, NAN, "", NAN);
	add("aggregator peak RSS, ingest", (double)r->agg_hwm / 1024, "MiB", NULL, NAN, "<=abs",
	    64);
	add("aggregator peak RSS, both ingests", (double)r->agg_checks_hwm / 1024, "MiB",
	    "aggregator peak RSS, ingest", (double)r->agg_hwm / 1024, "", NAN);
	add("portal: form page p50", r->portal.form_p50 * 1000, "ms", "portal: stylesheet p50",
	    r->portal.css_p50 * 1000, "", NAN);
	add("portal: form page p99", r->portal.form_p99 * 1000, "ms", "portal: stylesheet p99",
	    r->portal.css_p99 * 1000, "<=abs", 50);
	add("portal: check p50", r->portal.check_p50 * 1000, "ms", "portal: stylesheet p50",
	    r->portal.css_p50 * 1000, "", NAN);
	add("portal: check p99", r->portal.check_p99 * 1000, "ms", "portal: stylesheet p99",
	    r->portal.css_p99 * 1000, "<=abs", 50);
}

/* A figure's verdict against its target, into buf. */
static void verdict(const struct figure *f, double r, char *buf, size_t len)
{
	const char *v = isnan(r) ? "not measured" : "";
	if (strcmp(f->rule, ">=") == 0)
		snprintf(buf, len, ">= %.3gx: %s", f->target,
			 *v               ? v
			 : r >= f->target ? "met"
					  : "MISSED");
	else if (strcmp(f->rule, ">=x") == 0)
		snprintf(buf, len, "baseline/canvass >= %.3g: %s", f->target,
			 *v               ? v
			 : r >= f->target ? "met"
					  : "MISSED");
	else if (strcmp(f->rule, "<=x") == 0)
		snprintf(buf, len, "<= %.3gx: %s", f->target,
			 *v               ? v
			 : r <= f->target ? "met"
					  : "MISSED");
	else if (strcmp(f->rule, "<=abs") == 0)
		snprintf(buf, len, "<= %.3g %s: %s", f->target, f->unit,
			 isnan(f->value)         ? "not measured"
			 : f->value <= f->target ? "met"
						 : "MISSED");
}

/* The table: value, baseline, ratio, target. */
static void print_table(const struct run *r, const char *commit)
{
	printf("canvass benchmark%s: %ld cores; %d clients, %ld submissions (%ld accepted) of %zu "
	       "bytes; "
	       "latency at %ld/s (%ld receipts); %d idle members; report store %ld answers "
	       "(%d members x %d questions); commit %s\n\n",
	       r->smoke ? " (SMOKE: tiny, figures meaningless)" : "", sysconf(_SC_NPROCESSORS_ONLN),
	       r->o.clients, r->o.submissions, r->accepted, r->rlen, r->o.rate, r->done,
	       r->o.idle_members, r->answers, r->o.report_members, r->o.questions,
	       commit ? commit : "?");
	printf("%-32s %12s  %-30s %12s %9s  %s\n", "figure", "canvass", "baseline (same run)",
	       "baseline", "ratio", "target");
	for (size_t i = 0; i < n_figs; i++) {
		const struct figure *f = &figs[i];
		char v[32], b[32] = "", ratio[16] = "", target[48] = "";
		double x = NAN;
		snprintf(v, sizeof v, "%.4g %s", f->value, f->unit);
		if (f->baseline_name && !isnan(f->baseline)) {
			snprintf(b, sizeof b, "%.4g %s", f->baseline, f->unit);
			x = strcmp(f->rule, ">=x") == 0 ? f->baseline / f->value
							: f->value / f->baseline;
			snprintf(ratio, sizeof ratio, "%.2fx", x);
		} else if (f->baseline_name) {
			snprintf(b, sizeof b, "n/a");
		}
		verdict(f, x, target, sizeof target);
		printf("%-32s %12s  %-30s %12s %9s  %s\n", f->name, v,
		       f->baseline_name ? f->baseline_name : "", b, ratio, target);
	}
}

/* The figures as JSON, for docs/performance.md's tables. */
static void write_json(const struct run *r, const char *path, const char *commit)
{
	FILE *f = fopen(path, "w"), *pp;
	char fs[64] = "?";

	if (f == NULL) {
		fprintf(stderr, "bench: cannot write %s\n", path);
		return;
	}
	if ((pp = popen("stat -f -c %T /tmp 2>/dev/null", "r")) != NULL) {
		if (fgets(fs, sizeof fs, pp))
			fs[strcspn(fs, "\n")] = '\0';
		pclose(pp);
	}
	fprintf(f,
		"{\"smoke\": %s, \"cores\": %ld, \"filesystem\": \"%s\", \"commit\": "
		"\"%s\", "
		"\"submission_bytes\": %zu, \"figures\": [",
		r->smoke ? "true" : "false", sysconf(_SC_NPROCESSORS_ONLN), fs,
		commit ? commit : "", r->rlen);
	for (size_t i = 0; i < n_figs; i++)
		fprintf(f,
			"%s{\"figure\": \"%s\", \"unit\": \"%s\", \"value\": %.6g, "
			"\"baseline\": \"%s\", \"baseline_value\": %.6g}",
			i ? ", " : "", figs[i].name, figs[i].unit,
			isnan(figs[i].value) ? -1 : figs[i].value,
			figs[i].baseline_name ? figs[i].baseline_name : "",
			isnan(figs[i].baseline) ? -1 : figs[i].baseline);
	fprintf(f, "]}\n");
	fclose(f);
}

/* The options of a normal run, or of a smoke run. */
static struct bench_opts default_opts(bool smoke)
{
	if (smoke)
		return (struct bench_opts){.clients = 2,
					   .submissions = 400,
					   .window = 16,
					   .rate = 200,
					   .latency_secs = 1,
					   .idle_members = 20,
					   .report_members = 300,
					   .questions = 40,
					   .smoke = true};
	return (struct bench_opts){.clients = 16,
				   .submissions = 40000,
				   .window = 64,
				   .rate = 500,
				   .latency_secs = 10,
				   .idle_members = 1000,
				   .report_members = 5000,
				   .questions = 200};
}

int main(int argc, char **argv)
{
	if (argc > 3 && strcmp(argv[1], SPAWN_FLAG) == 0)
		return spawn_measured(atoi(argv[2]), argv + 3);
	char *bindir = NULL, *json_out = NULL, *commit = NULL, *report_store = NULL;
	bool smoke = false, ingest_only = false, latency_only = false, checks_only = false;
	long clients = 0, submissions = 0;
	const struct setting tab[] = {
		{"bindir", SET_STRING, &bindir, 0, 0, "DIR", "the canvass programs (required)"},
		{"json", SET_STRING, &json_out, 0, 0, "FILE", "write the figures here as JSON"},
		{"commit", SET_STRING, &commit, 0, 0, "SHA", "the canvass commit measured"},
		{"smoke", SET_FLAG, &smoke, 0, 0, NULL, "a tiny run: proves the benchmark works"},
		{"clients", SET_LONG, &clients, 0, 1000, "N", "ingest clients (16)"},
		{"submissions", SET_LONG, &submissions, 0, 100000000, "N",
		 "ingest submissions (40000)"},
		{"checks-only", SET_FLAG, &checks_only, 0, 0, NULL,
		 "only durable ingest with the quality checks off, then on, and their ratio"},
		{"ingest-only", SET_FLAG, &ingest_only, 0, 0, NULL,
		 "only the durable ingest and the transport ceiling, printed, to profile ingest"},
		{"latency-only", SET_FLAG, &latency_only, 0, 0, NULL,
		 "only the ack latency at 500/s, printed"},
		{"report-store", SET_STRING, &report_store, 0, 0, "DIR",
		 "only write the report store (DIR/store, DIR/registry.csv, DIR/q) and exit, "
		 "to profile a report on it"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	static struct run r; /* large: not on the stack */
	char err[512];
	int next;

	if (settings_parse(tab, "bench", argc, argv, &next, err, sizeof err) != 0 ||
	    bindir == NULL) {
		fprintf(stderr, "usage: canvass-bench --bindir DIR [--smoke] [--json FILE]\n");
		settings_usage(tab, stderr);
		return 2;
	}
	run_init(&r);
	r.smoke = smoke;
	r.o = default_opts(smoke);
	r.o.clients = clients ? (int)clients : r.o.clients;
	r.o.submissions = submissions ? submissions : r.o.submissions;
	r.o.bindir = bindir;
	if (report_store != NULL)
		return write_report_store(report_store, &r.o);
	{
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl); /* 1000 idle members need the descriptors */
	}
	cv_crypto_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(r.work, sizeof r.work, "/tmp/canvass-bench-work-XXXXXX");
	if (mkdtemp(r.work) == NULL)
		return 1;
	fprintf(stderr, "bench: starting the pipeline\n");
	if (pipeline_start(&r.p, &r.o,
			   (r.o.clients + 2 + BENCH_READERS > r.o.idle_members
				    ? r.o.clients + 2 + BENCH_READERS
				    : r.o.idle_members)) != 0) {
		fprintf(stderr, "bench: the pipeline did not start (logs in %s)\n", r.p.dir);
		pipeline_stop(&r.p); /* whichever daemon did start */
		return 1;
	}
	free(make_request(&r.p, "bench", 0, 0, 40, &r.rlen));
	if (latency_only) {
		latency_and_commits(&r);
		pipeline_stop(&r.p);
		printf("ack latency at %ld/s: p50 %.3f ms, p99 %.3f ms, p999 %.3f ms (%ld "
		       "receipts); commits over the same run: p50 <= %g ms, p99 <= %g ms\n",
		       r.o.rate, r.p50 * 1000, r.p99 * 1000, r.p999 * 1000, r.done,
		       r.commit_p50 * 1000, r.commit_p99 * 1000);
		return cleanup(&r);
	}
	if (checks_only) {
		run_ingest(&r.p, &r.o, "bench", &r.rate, &r.accepted, &r.batch);
		run_ingest(&r.p, &r.o, "bench-checks", &r.rate_checks, &r.accepted_checks,
			   &r.batch_checks);
		pipeline_stop(&r.p);
		printf("durable ingest %.0f /s checks off, %.0f /s checks on (%ld accepted); ratio "
		       "%.2fx\n",
		       r.rate, r.rate_checks, r.accepted_checks, r.rate_checks / r.rate);
		return cleanup(&r);
	}
	if (ingest_only) {
		run_ingest(&r.p, &r.o, "bench", &r.rate, &r.accepted, &r.batch);
		if (run_transport_ceiling(&r.p, &r.o, &r.ceiling) != 0)
			r.ceiling = NAN;
		pipeline_stop(&r.p);
		printf("durable ingest %.0f /s (%ld accepted, mean batch %.1f); transport ceiling "
		       "%.0f /s; ratio %.2fx\n",
		       r.rate, r.accepted, r.batch, r.ceiling, r.rate / r.ceiling);
		return cleanup(&r);
	}
	phase_pipeline(&r);
	phase_baselines(&r);
	phase_reports(&r);
	phase_full_store(&r);
	pipeline_figures(&r);
	print_table(&r, commit);
	if (json_out != NULL)
		write_json(&r, json_out, commit);
	cleanup(&r);
	curl_global_cleanup();
	settings_free(tab);
	return 0;
}
