/* What a user would otherwise pick, on the same records, in the same run. */
#include "bench.h"

#include <lmdb.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef CANVASS_BENCH_PG
#include <libpq-fe.h>
#endif

#include "error.h"
#include "store.h"
#include "util.h"
#include "wire.h"

static void fill_record(uint8_t *r, size_t len, long i)
{
	for (size_t k = 0; k < len; k++)
		r[k] = (uint8_t)((size_t)i * 31 + k * 7);
}

int baseline_lmdb(const char *dir, long n, size_t record, int per_commit, double *rate)
{
	MDB_env *env;
	MDB_dbi dbi;
	uint8_t *r = malloc(record), key[8];
	double t0;

	mkdir(dir, 0700);
	if (mdb_env_create(&env) != 0 || mdb_env_set_mapsize(env, (size_t)1 << 32) != 0 ||
	    mdb_env_open(env, dir, 0, 0600) != 0)
		return CV_ESTORE;
	t0 = now_s();
	for (long i = 0; i < n;) {
		MDB_txn *txn;
		mdb_txn_begin(env, NULL, 0, &txn);
		mdb_dbi_open(txn, NULL, 0, &dbi);
		for (long k = 0; k < per_commit && i < n; k++, i++) {
			MDB_val kv = {8, key}, vv = {record, r};
			cv_put_be64(key, (uint64_t)i + 1);
			fill_record(r, record, i);
			mdb_put(txn, dbi, &kv, &vv, MDB_APPEND);
		}
		if (mdb_txn_commit(txn) != 0)
			return CV_ESTORE;
	}
	*rate = (double)n / (now_s() - t0);
	mdb_env_close(env);
	free(r);
	return 0;
}

int baseline_sqlite(const char *dir, long n, size_t record, int batch, double *rate)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *ins;
	uint8_t *r = malloc(record);
	double t0;

	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/bench-%d.sqlite", dir, batch);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return CV_EIO;
	sqlite3_exec(
		db,
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		"CREATE TABLE submissions(seq INTEGER PRIMARY KEY, member TEXT, key TEXT UNIQUE,"
		" body BLOB)",
		NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO submissions(member, key, body) VALUES (?, ?, ?)", -1,
			   &ins, NULL);
	t0 = now_s();
	for (long i = 0; i < n;) {
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (int k = 0; k < batch && i < n; k++, i++) {
			char key[32];
			snprintf(key, sizeof key, "k%ld", i);
			fill_record(r, record, i);
			sqlite3_bind_text(ins, 1, "M00001", -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 2, key, -1, SQLITE_TRANSIENT);
			sqlite3_bind_blob(ins, 3, r, (int)record, SQLITE_STATIC);
			sqlite3_step(ins);
			sqlite3_reset(ins);
		}
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	*rate = (double)n / (now_s() - t0);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	free(r);
	return 0;
}

#ifdef CANVASS_BENCH_PG
/* A temporary PostgreSQL cluster under dir on a unix socket, fsync on. */
struct pg {
	const char *bin;
	char pgdata[512], sockdir[512];
	PGconn *c;
};

static int pg_start(struct pg *pg, const char *dir, char *why, size_t whylen)
{
	static const char *const bins[] = {"/usr/lib/postgresql/15/bin",
					   "/usr/lib/postgresql/16/bin", NULL};
	char cmd[2048], conninfo[600];

	pg->bin = NULL;
	pg->c = NULL;
	for (int i = 0; bins[i]; i++) {
		char p[600];
		snprintf(p, sizeof p, "%s/initdb", bins[i]);
		if (access(p, X_OK) == 0)
			pg->bin = bins[i];
	}
	if (pg->bin == NULL) {
		snprintf(why, whylen, "no PostgreSQL server (apt-get install postgresql)");
		return CV_ENOTFOUND;
	}
	snprintf(pg->pgdata, sizeof pg->pgdata, "%s/pg", dir);
	snprintf(pg->sockdir, sizeof pg->sockdir, "%s/pgsock", dir);
	mkdir(dir, 0777);
	mkdir(pg->sockdir, 0777);
	chmod(dir, 0777);
	chmod(pg->sockdir, 0777);
	/* The server refuses to run as root: use the postgres account where we are root. */
	snprintf(cmd, sizeof cmd,
		 "%s sh -c '%s/initdb -D %s -A trust -U bench >/dev/null 2>&1 && "
		 "%s/pg_ctl -D %s -o \"-k %s -c listen_addresses= -c fsync=on "
		 "-c synchronous_commit=on\" -w start >/dev/null 2>&1'",
		 geteuid() == 0 ? "runuser -u postgres --" : "", pg->bin, pg->pgdata, pg->bin,
		 pg->pgdata, pg->sockdir);
	if (system(cmd) != 0) {
		snprintf(why, whylen, "could not start PostgreSQL");
		return CV_EIO;
	}
	snprintf(conninfo, sizeof conninfo, "host=%s user=bench dbname=postgres", pg->sockdir);
	pg->c = PQconnectdb(conninfo);
	if (PQstatus(pg->c) != CONNECTION_OK) {
		snprintf(why, whylen, "%s", PQerrorMessage(pg->c));
		return CV_EIO;
	}
	return 0;
}

static int pg_stop(struct pg *pg)
{
	char cmd[2048];
	int rc = 0;

	if (pg->c != NULL)
		PQfinish(pg->c);
	pg->c = NULL;
	if (pg->bin == NULL)
		return 0;
	snprintf(cmd, sizeof cmd, "%s %s/pg_ctl -D %s -m fast stop >/dev/null 2>&1",
		 geteuid() == 0 ? "runuser -u postgres --" : "", pg->bin, pg->pgdata);
	if (system(cmd) != 0)
		rc = CV_EIO;
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", pg->pgdata, pg->sockdir);
	if (system(cmd) != 0)
		rc = rc ? rc : CV_EIO;
	return rc;
}
#endif

int baseline_postgres(const char *dir, long n, size_t record, int batch, double *rate, char *why,
		      size_t whylen)
{
#ifndef CANVASS_BENCH_PG
	(void)dir, (void)n, (void)record, (void)batch, (void)rate;
	snprintf(why, whylen, "built without libpq");
	return CV_ENOTFOUND;
#else
	struct pg pg;
	uint8_t *r = malloc(record);
	double t0;
	int rc;

	if (r == NULL)
		return CV_ENOMEM;
	if ((rc = pg_start(&pg, dir, why, whylen)) != 0)
		goto stop;
	PQclear(PQexec(pg.c, "CREATE TABLE submissions(seq bigserial PRIMARY KEY, member text,"
			     " key text UNIQUE, body bytea)"));
	PQclear(PQprepare(pg.c, "ins",
			  "INSERT INTO submissions(member, key, body) VALUES ($1, $2, $3)", 3,
			  NULL));
	t0 = now_s();
	for (long i = 0; i < n;) {
		PQclear(PQexec(pg.c, "BEGIN"));
		for (int k = 0; k < batch && i < n; k++, i++) {
			char key[32];
			const char *vals[3] = {"M00001", key, (const char *)r};
			int lens[3] = {0, 0, (int)record}, fmts[3] = {0, 0, 1};
			snprintf(key, sizeof key, "k%ld", i);
			fill_record(r, record, i);
			PQclear(PQexecPrepared(pg.c, "ins", 3, vals, lens, fmts, 0));
		}
		PQclear(PQexec(pg.c, "COMMIT"));
	}
	*rate = (double)n / (now_s() - t0);
stop:
	if (pg_stop(&pg) != 0 && rc == 0)
		rc = CV_EIO;
	free(r);
	return rc;
#endif
}

/* The number the compare baselines count for an answer: integer, number, yes (1) / no (0). */
static bool answer_number(const Canvass__Answer *a, double *v)
{
	switch (a->value_case) {
	case CANVASS__ANSWER__VALUE_INTEGER: *v = (double)a->integer; return true;
	case CANVASS__ANSWER__VALUE_NUMBER: *v = a->number; return true;
	case CANVASS__ANSWER__VALUE_BOOLEAN: *v = a->boolean; return true;
	default: return false;
	}
}

struct load_ctx {
	sqlite3_stmt *ins;
	long rows;
	const struct registry *reg;
};

static int load_one(const Canvass__HistoryEntry *e, void *arg)
{
	struct load_ctx *l = arg;
	Canvass__Submission *s;
	int region = (int)(strtol(e->member + 1, NULL, 10) % 6);
	if (wire_decode_submission(e->submission.data, e->submission.len, SIZE_MAX, &s) != 0)
		return CV_ECORRUPT;
	for (size_t i = 0; i < s->n_answers; i++) {
		const Canvass__Answer *a = s->answers[i];
		double v;
		if (!answer_number(a, &v))
			continue;
		sqlite3_bind_text(l->ins, 1, e->member, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(l->ins, 2, region);
		sqlite3_bind_text(l->ins, 3, a->question, -1, SQLITE_TRANSIENT);
		sqlite3_bind_double(l->ins, 4, v);
		sqlite3_step(l->ins);
		sqlite3_reset(l->ins);
		l->rows++;
	}
	WIRE_FREE(s);
	return 0;
}

int baseline_sqlite_compare(const char *dir, const char *store_dir, double *secs, long *rows)
{
	char path[512];
	struct store *st;
	struct store_view *v;
	struct store_cfg cfg = {.dir = store_dir, .readonly = true};
	struct load_ctx l = {0};
	sqlite3 *db;
	sqlite3_stmt *q;
	double t0;
	char err[256];
	long groups = 0;

	snprintf(path, sizeof path, "%s/answers.sqlite", dir);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK || store_open(&st, &cfg, err, sizeof err) != 0)
		return CV_EIO;
	sqlite3_exec(db,
		     "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
		     "CREATE TABLE answers(member TEXT, region INT, question TEXT, value REAL);"
		     "BEGIN",
		     NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO answers VALUES (?, ?, ?, ?)", -1, &l.ins, NULL);
	store_view_open(st, &v);
	store_view_each_current(v, "bench-report", "2026", load_one, &l);
	store_view_close(&v);
	store_close(&st);
	sqlite3_finalize(l.ins);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	/* The compare figures: n, mean, sd, min, max and the median, per question and region. */
	t0 = now_s();
	sqlite3_prepare_v2(
		db,
		"WITH ranked AS (SELECT question, region, value, "
		" ROW_NUMBER() OVER (PARTITION BY question, region ORDER BY value) AS rn, "
		" COUNT(*) OVER (PARTITION BY question, region) AS cnt FROM answers) "
		"SELECT question, region, COUNT(*), AVG(value), MIN(value), MAX(value), "
		" SQRT((SUM(value*value) - SUM(value)*SUM(value)/COUNT(*)) / (COUNT(*) - 1)), "
		" AVG(CASE WHEN rn IN ((cnt + 1) / 2, (cnt + 2) / 2) THEN value END) "
		"FROM ranked GROUP BY question, region",
		-1, &q, NULL);
	while (sqlite3_step(q) == SQLITE_ROW)
		groups++;
	sqlite3_finalize(q);
	*secs = now_s() - t0;
	*rows = l.rows;
	sqlite3_close(db);
	return groups > 0 ? 0 : CV_EINVAL;
}

#ifdef CANVASS_BENCH_PG
struct copy_ctx {
	PGconn *c;
	long rows;
	int rc;
};

/* One COPY line per numeric answer: member, region, question, value. */
static int copy_one(const Canvass__HistoryEntry *e, void *arg)
{
	struct copy_ctx *l = arg;
	Canvass__Submission *s;
	int region = (int)(strtol(e->member + 1, NULL, 10) % 6);
	char line[256];

	if (wire_decode_submission(e->submission.data, e->submission.len, SIZE_MAX, &s) != 0)
		return CV_ECORRUPT;
	for (size_t i = 0; i < s->n_answers && l->rc == 0; i++) {
		const Canvass__Answer *a = s->answers[i];
		double v;
		int n;
		if (!answer_number(a, &v))
			continue;
		n = snprintf(line, sizeof line, "%s\t%d\t%s\t%.17g\n", e->member, region,
			     a->question, v);
		if (PQputCopyData(l->c, line, n) != 1)
			l->rc = CV_EIO;
		l->rows++;
	}
	WIRE_FREE(s);
	return l->rc;
}
#endif

int baseline_postgres_compare(const char *dir, const char *store_dir, double *secs, char *why,
			      size_t whylen)
{
#ifndef CANVASS_BENCH_PG
	(void)dir, (void)store_dir, (void)secs;
	snprintf(why, whylen, "built without libpq");
	return CV_ENOTFOUND;
#else
	struct store_cfg cfg = {.dir = store_dir, .readonly = true};
	struct copy_ctx l = {0};
	struct store *st = NULL;
	struct store_view *v = NULL;
	struct pg pg;
	PGresult *res;
	char err[256];
	double t0;
	int rc;

	if ((rc = pg_start(&pg, dir, why, whylen)) != 0)
		goto stop;
	l.c = pg.c;
	PQclear(PQexec(pg.c, "CREATE TABLE answers(member text, region int, question text, "
			     "value double precision)"));
	PQclear(PQexec(pg.c, "COPY answers FROM STDIN"));
	if (store_open(&st, &cfg, err, sizeof err) != 0 || store_view_open(st, &v) != 0) {
		snprintf(why, whylen, "cannot read the report store");
		rc = CV_EIO;
		goto stop;
	}
	rc = store_view_each_current(v, "bench-report", "2026", copy_one, &l);
	store_view_close(&v);
	store_close(&st);
	if (PQputCopyEnd(pg.c, NULL) != 1 || rc != 0) {
		snprintf(why, whylen, "COPY failed");
		rc = CV_EIO;
		goto stop;
	}
	PQclear(PQgetResult(pg.c));
	/* Indexed as a user would for this query, and analysed. */
	PQclear(PQexec(pg.c, "CREATE INDEX ON answers(question, region); ANALYZE answers"));
	/* The compare figures per question, for every region and the world. */
	t0 = now_s();
	res = PQexec(pg.c, "SELECT question, region, count(*), avg(value), stddev_samp(value), "
			   "min(value), max(value), "
			   "percentile_cont(0.25) WITHIN GROUP (ORDER BY value), "
			   "percentile_cont(0.5) WITHIN GROUP (ORDER BY value), "
			   "percentile_cont(0.75) WITHIN GROUP (ORDER BY value) "
			   "FROM answers GROUP BY GROUPING SETS ((question, region), (question))");
	*secs = now_s() - t0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) == 0) {
		snprintf(why, whylen, "%s", PQresultErrorMessage(res));
		rc = CV_EIO;
	}
	PQclear(res);
stop:
	if (pg_stop(&pg) != 0 && rc == 0)
		rc = CV_EIO;
	return rc;
#endif
}
