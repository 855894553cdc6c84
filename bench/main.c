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

int main(int argc, char **argv)
{
	if (argc > 3 && strcmp(argv[1], SPAWN_FLAG) == 0)
		return spawn_measured(atoi(argv[2]), argv + 3);
	struct bench_opts o = {.clients = 16,
			       .submissions = 40000,
			       .window = 64,
			       .rate = 500,
			       .latency_secs = 10,
			       .idle_members = 1000,
			       .report_members = 5000,
			       .questions = 200};
	char *bindir = NULL, *json_out = NULL, *commit = NULL, *report_store = NULL;
	bool smoke = false, ingest_only = false, latency_only = false;
	long clients = 0, submissions = 0;
	const struct setting tab[] = {
		{"bindir", SET_STRING, &bindir, 0, 0, "DIR", "the canvass programs (required)"},
		{"json", SET_STRING, &json_out, 0, 0, "FILE", "write the figures here as JSON"},
		{"commit", SET_STRING, &commit, 0, 0, "SHA", "the canvass commit measured"},
		{"smoke", SET_FLAG, &smoke, 0, 0, NULL, "a tiny run: proves the benchmark works"},
		{"clients", SET_LONG, &clients, 0, 1000, "N", "ingest clients (16)"},
		{"submissions", SET_LONG, &submissions, 0, 100000000, "N",
		 "ingest submissions (40000)"},
		{"ingest-only", SET_FLAG, &ingest_only, 0, 0, NULL,
		 "only the durable ingest and the transport ceiling, printed, to profile ingest"},
		{"latency-only", SET_FLAG, &latency_only, 0, 0, NULL,
		 "only the ack latency at 500/s, printed"},
		{"report-store", SET_STRING, &report_store, 0, 0, "DIR",
		 "only write the report store (DIR/store, DIR/registry.csv, DIR/q) and exit, "
		 "to profile a report on it"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct bench_pipeline p;
	char err[512], work[256], path[512], reg[512], qdir[512], bin[512];
	double rate = NAN, batch = NAN, rate_reading = NAN, reads_per_s = NAN, rate_checks = NAN,
	       ceiling = NAN, rate_full = NAN, batch_checks = NAN, p50 = NAN, p99 = NAN, p999 = NAN,
	       lmdb = NAN, lmdb1 = NAN;
	double sq1 = NAN, sqb = NAN, pg1 = NAN, pgb = NAN, scan_s = NAN, sqlite_cmp = NAN;
	double f50 = NAN, f99 = NAN, f999 = NAN;
	long accepted = 0, accepted_checks = 0, done = 0, idle_rss = -1, agg_hwm = -1,
	     agg_checks_hwm = -1, col_hwm = -1, answers = 0, rows = 0, fdone = 0,
	     col_flood_hwm = -1;
	size_t rlen;
	int next;

	memset(&p, 0, sizeof p);
	if (settings_parse(tab, "bench", argc, argv, &next, err, sizeof err) != 0 ||
	    bindir == NULL) {
		fprintf(stderr, "usage: canvass-bench --bindir DIR [--smoke] [--json FILE]\n");
		settings_usage(tab, stderr);
		return 2;
	}
	if (smoke)
		o = (struct bench_opts){.clients = 2,
					.submissions = 400,
					.window = 16,
					.rate = 200,
					.latency_secs = 1,
					.idle_members = 20,
					.report_members = 300,
					.questions = 40,
					.smoke = true};
	if (clients)
		o.clients = (int)clients;
	if (submissions)
		o.submissions = submissions;
	o.bindir = bindir;
	if (report_store != NULL) {
		FILE *f;
		snprintf(path, sizeof path, "%s/q", report_store);
		if (mkdir(report_store, 0700) != 0 || mkdir(path, 0700) != 0)
			return 1;
		snprintf(path, sizeof path, "%s/q/bench-report.json", report_store);
		write_questionnaire(path, "bench-report", o.questions, false);
		snprintf(path, sizeof path, "%s/store", report_store);
		fill_store(path, &o, &answers);
		snprintf(reg, sizeof reg, "%s/registry.csv", report_store);
		if ((f = fopen(reg, "w")) == NULL)
			return 1;
		fprintf(f, "code,name,region\n");
		for (int m = 0; m < o.report_members; m++)
			fprintf(f, "M%05d,Member %d,\"%s\"\n", m, m, bench_regions[m % 6]);
		fclose(f);
		printf("%ld answers in %s\n", answers, path);
		return 0;
	}
	{
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl); /* 1000 idle members need the descriptors */
	}
	cv_crypto_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(work, sizeof work, "/tmp/canvass-bench-work-XXXXXX");
	if (mkdtemp(work) == NULL)
		return 1;

	/* 1, 2, 4: the daemons under load, CURVE on, tcp loopback. */
	fprintf(stderr, "bench: starting the pipeline\n");
	if (pipeline_start(&p, &o,
			   (o.clients + 2 + BENCH_READERS > o.idle_members
				    ? o.clients + 2 + BENCH_READERS
				    : o.idle_members)) != 0) {
		fprintf(stderr, "bench: the pipeline did not start (logs in %s)\n", p.dir);
		pipeline_stop(&p); /* whichever daemon did start */
		return 1;
	}
	free(make_request(&p, "bench", 0, 0, 40, &rlen));
	if (latency_only) {
		char cmd[600];
		run_latency(&p, &o, -1, &p50, &p99, &p999, &done);
		pipeline_stop(&p);
		printf("ack latency at %ld/s: p50 %.3f ms, p99 %.3f ms, p999 %.3f ms (%ld "
		       "receipts)\n",
		       o.rate, p50 * 1000, p99 * 1000, p999 * 1000, done);
		snprintf(cmd, sizeof cmd, "rm -rf %s %s", work, p.dir);
		return system(cmd) == 0 ? 0 : 1;
	}
	fprintf(stderr, "bench: ingest, %d clients, %ld submissions of %zu bytes\n", o.clients,
		o.submissions, rlen);
	run_ingest(&p, &o, "bench", &rate, &accepted, &batch);
	if (ingest_only) {
		if (run_transport_ceiling(&p, &o, &ceiling) != 0)
			ceiling = NAN;
		pipeline_stop(&p);
		printf("durable ingest %.0f /s (%ld accepted, mean batch %.1f); transport ceiling "
		       "%.0f /s; ratio %.2fx\n",
		       rate, accepted, batch, ceiling, rate / ceiling);
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf %s %s", work, p.dir);
		return system(cmd) == 0 ? 0 : 1;
	}
	agg_hwm = rss_kib(p.agg, "VmHWM");
	col_hwm = rss_kib(p.col, "VmHWM");
	fprintf(stderr, "bench: ingest again, quality checks on (12 numbers with 3 checks each)\n");
	run_ingest(&p, &o, "bench-checks", &rate_checks, &accepted_checks, &batch_checks);
	agg_checks_hwm = rss_kib(p.agg, "VmHWM");
	fprintf(stderr, "bench: ingest again, %d members reading their status all along\n",
		BENCH_READERS);
	run_ingest_reading(&p, &o, BENCH_READERS, &rate_reading, &reads_per_s);
	fprintf(stderr, "bench: the transport ceiling (two CURVE hops to an echo)\n");
	if (run_transport_ceiling(&p, &o, &ceiling) != 0)
		ceiling = NAN;
	fprintf(stderr, "bench: latency at %ld/s for %.0f s\n", o.rate, o.latency_secs);
	run_latency(&p, &o, -1, &p50, &p99, &p999, &done);
	fprintf(stderr, "bench: latency at %ld/s for %.0f s, another member flooding\n", o.rate,
		o.latency_secs);
	run_latency(&p, &o, o.clients + 1, &f50, &f99, &f999, &fdone);
	col_flood_hwm = rss_kib(p.col, "VmHWM");
	fprintf(stderr, "bench: %d idle members connected\n", o.idle_members);
	run_idle(&p, o.idle_members, &idle_rss);
	pipeline_stop(&p);

	/* 5: baselines on records of the same size. */
	fprintf(stderr, "bench: baselines\n");
	snprintf(path, sizeof path, "%s/lmdb", work);
	baseline_lmdb(path, o.submissions, rlen, 1000, &lmdb);
	snprintf(path, sizeof path, "%s/lmdb1", work);
	baseline_lmdb(path, smoke ? 50 : 500, rlen, 1, &lmdb1);
	baseline_sqlite(work, smoke ? 50 : 1000, rlen, 1, &sq1);
	baseline_sqlite(work, o.submissions, rlen, 1000, &sqb);
	if (!smoke) {
		char why[256] = "";
		if (baseline_postgres(work, 1000, rlen, 1, &pg1, why, sizeof why) != 0 ||
		    baseline_postgres(work, o.submissions, rlen, 1000, &pgb, why, sizeof why) != 0)
			fprintf(stderr, "bench: PostgreSQL baseline skipped: %s\n", why);
	}

	/* 3: reports over a store of report_members x questions answers. */
	fprintf(stderr, "bench: filling the report store (%d members x %d questions)\n",
		o.report_members, o.questions);
	snprintf(path, sizeof path, "%s/store", work);
	fill_store(path, &o, &answers);
	snprintf(reg, sizeof reg, "%s/registry.csv", work);
	{
		FILE *f = fopen(reg, "w");
		fprintf(f, "code,name,region\n");
		for (int m = 0; m < o.report_members; m++)
			fprintf(f, "M%05d,Member %d,\"%s\"\n", m, m, bench_regions[m % 6]);
		fclose(f);
	}
	snprintf(qdir, sizeof qdir, "%s/q", p.dir);
	snprintf(bin, sizeof bin, "%s/canvass-reporter", bindir);
	{
		static char *const reports[][2] = {{"compare", NULL},
						   {"member", "M00001"},
						   {"completeness", NULL},
						   {"export", NULL}};
		for (int k = 0; k < 4; k++) {
			long maxrss = 0;
			char *av[20] = {bin,
					reports[k][0],
					"--data",
					path,
					"--registry",
					reg,
					"--questionnaires",
					qdir,
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
				scan_store(path, &scan_s, &answers);
				baseline_sqlite_compare(work, path, &sqlite_cmp, &rows);
				add("compare report", secs, "s", "plain C scan", scan_s, "<=x",
				    1.5);
				add("compare report", secs, "s", "SQLite GROUP BY + median",
				    sqlite_cmp, "", NAN);
				{
					char why[256] = "smoke run";
					double pg_cmp = NAN;
					/* Like the ingest baselines: not in the smoke run. */
					if (smoke ||
					    baseline_postgres_compare(work, path, &pg_cmp, why,
								      sizeof why) != 0)
						fprintf(stderr,
							"bench: PostgreSQL compare baseline: %s\n",
							why);
					add("compare report", secs, "s",
					    "PostgreSQL percentile_cont", pg_cmp, ">=x", 10);
				}
				add("reporter peak RSS (compare)", (double)maxrss / 1024, "MiB",
				    NULL, NAN, "<=abs", 64);
			} else {
				char name[64];
				snprintf(name, sizeof name, "%s report", reports[k][0]);
				add(strdup(name), secs, "s", "plain C scan", scan_s, "<=x", 2);
			}
		}
	}

	{
		double rss[3];
		cost_curve(&o, work, qdir, bin, rss);
		add("reporter peak RSS, 10x the answers", rss[2], "MiB",
		    "reporter peak RSS, the answers above", rss[1], "<=x", 10);
	}
	{
		/* Ingest into a store that already holds many submissions. */
		struct bench_pipeline q;
		struct bench_opts po = o;
		long acc = 0;
		double b = NAN;
		memset(&q, 0, sizeof q);
		po.prefill = smoke ? 2000 : 1000000;
		fprintf(stderr, "bench: ingest into a store of %ld submissions\n", po.prefill);
		if (pipeline_start(&q, &po, o.clients + 2) != 0 ||
		    run_ingest(&q, &o, "bench", &rate_full, &acc, &b) != 0)
			rate_full = NAN;
		pipeline_stop(&q);
		if (q.dir[0] != '\0') {
			char cmd[300];
			snprintf(cmd, sizeof cmd, "rm -rf %s", q.dir);
			if (system(cmd) != 0)
				fprintf(stderr, "bench: could not remove %s\n", q.dir);
		}
		add(smoke ? "durable ingest into a store of 2000"
			  : "durable ingest into a store of 1e6",
		    rate_full, "/s", "durable ingest, empty store", rate, ">=", 0.9);
	}
	add("durable ingest", rate, "/s", "raw LMDB, 1000 per commit", lmdb, ">=", 0.5);
	add("durable ingest", rate, "/s", "SQLite WAL FULL, 1 tx each", sq1, ">=", 10);
	add("durable ingest", rate, "/s", "SQLite WAL FULL, 1000 per tx", sqb, "", NAN);
	add("durable ingest", rate, "/s", "PostgreSQL, 1 tx each", pg1, ">=", 20);
	add("durable ingest", rate, "/s", "PostgreSQL, 1000 per tx", pgb, ">=", 3);
	add("durable ingest", rate, "/s", "transport ceiling: 2 CURVE hops, echo", ceiling,
	    ">=", 0.7);
	add("mean batch size during ingest", batch, "", NULL, NAN, "", NAN);
	add("durable ingest, members reading status", rate_reading, "/s",
	    "durable ingest, no reads", rate, ">=", 0.9);
	add("status reads answered during that ingest", reads_per_s, "/s", NULL, NAN, "", NAN);
	add("durable ingest, quality checks on", rate_checks, "/s", "durable ingest, checks off",
	    rate, ">=", 0.9);
	add("ack latency p50", p50 * 1000, "ms", "one durable LMDB commit", 1000 / lmdb1, "", NAN);
	add("ack latency p99", p99 * 1000, "ms", "one durable LMDB commit", 1000 / lmdb1, "<=abs",
	    2);
	add("ack latency p999", p999 * 1000, "ms", "one durable LMDB commit", 1000 / lmdb1, "<=abs",
	    5);
	add("ack latency p99, member flooding", f99 * 1000, "ms", "ack latency p99, no flood",
	    p99 * 1000, "<=abs", 10);
	add("collector peak RSS, after flood", (double)col_flood_hwm / 1024, "MiB",
	    "collector peak RSS, ingest", (double)col_hwm / 1024, "", NAN);
	/* (libzmq's buffers per connection: documented, no target) */
	add("collector RSS, idle members", (double)idle_rss / 1024, "MiB", NULL, NAN, "", NAN);
	add("collector peak RSS, ingest", (double)col_hwm / 1024, "MiB", NULL, NAN, "", NAN);
	add("aggregator peak RSS, ingest", (double)agg_hwm / 1024, "MiB", NULL, NAN, "<=abs", 64);
	add("aggregator peak RSS, both ingests", (double)agg_checks_hwm / 1024, "MiB",
	    "aggregator peak RSS, ingest", (double)agg_hwm / 1024, "", NAN);

	/* The table: value, baseline, ratio, target. */
	printf("canvass benchmark%s: %ld cores; %d clients, %ld submissions (%ld accepted) of %zu "
	       "bytes; "
	       "latency at %ld/s (%ld receipts); %d idle members; report store %ld answers "
	       "(%d members x %d questions); commit %s\n\n",
	       smoke ? " (SMOKE: tiny, figures meaningless)" : "", sysconf(_SC_NPROCESSORS_ONLN),
	       o.clients, o.submissions, accepted, rlen, o.rate, done, o.idle_members, answers,
	       o.report_members, o.questions, commit ? commit : "?");
	printf("%-32s %12s  %-30s %12s %9s  %s\n", "figure", "canvass", "baseline (same run)",
	       "baseline", "ratio", "target");
	for (size_t i = 0; i < n_figs; i++) {
		struct figure *f = &figs[i];
		char v[32], b[32] = "", ratio[16] = "", target[48] = "";
		double r = NAN;
		snprintf(v, sizeof v, "%.4g %s", f->value, f->unit);
		if (f->baseline_name && !isnan(f->baseline)) {
			snprintf(b, sizeof b, "%.4g %s", f->baseline, f->unit);
			r = f->value / f->baseline;
			if (strcmp(f->rule, ">=x") == 0)
				r = f->baseline / f->value;
			snprintf(ratio, sizeof ratio, "%.2fx", r);
		} else if (f->baseline_name) {
			snprintf(b, sizeof b, "n/a");
		}
		if (strcmp(f->rule, ">=") == 0)
			snprintf(target, sizeof target, ">= %.3gx: %s", f->target,
				 isnan(r)         ? "not measured"
				 : r >= f->target ? "met"
						  : "MISSED");
		else if (strcmp(f->rule, ">=x") == 0)
			snprintf(target, sizeof target, "baseline/canvass >= %.3g: %s", f->target,
				 isnan(r)         ? "not measured"
				 : r >= f->target ? "met"
						  : "MISSED");
		else if (strcmp(f->rule, "<=x") == 0)
			snprintf(target, sizeof target, "<= %.3gx: %s", f->target,
				 isnan(r)         ? "not measured"
				 : r <= f->target ? "met"
						  : "MISSED");
		else if (strcmp(f->rule, "<=abs") == 0)
			snprintf(target, sizeof target, "<= %.3g %s: %s", f->target, f->unit,
				 isnan(f->value)         ? "not measured"
				 : f->value <= f->target ? "met"
							 : "MISSED");
		printf("%-32s %12s  %-30s %12s %9s  %s\n", f->name, v,
		       f->baseline_name ? f->baseline_name : "", b, ratio, target);
	}
	if (json_out != NULL) {
		FILE *f = fopen(json_out, "w");
		char fs[64] = "?";
		FILE *pp = popen("stat -f -c %T /tmp 2>/dev/null", "r");
		if (pp) {
			if (fgets(fs, sizeof fs, pp))
				fs[strcspn(fs, "\n")] = '\0';
			pclose(pp);
		}
		fprintf(f,
			"{\"smoke\": %s, \"cores\": %ld, \"filesystem\": \"%s\", \"commit\": "
			"\"%s\", "
			"\"submission_bytes\": %zu, \"figures\": [",
			smoke ? "true" : "false", sysconf(_SC_NPROCESSORS_ONLN), fs,
			commit ? commit : "", rlen);
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
	{
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf %s %s", work, p.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: could not remove %s\n", work);
	}
	curl_global_cleanup();
	settings_free(tab);
	return 0;
}
