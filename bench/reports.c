/* The report store: filled directly, then read by the reporter and by a plain scan. */
#include "canon.h"
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "util.h"
#include "wire.h"

int fill_store(const char *dir, const struct bench_opts *o, long *answers)
{
	/* One submission per member, every question answered. */
	*answers = (long)o->report_members * o->questions;
	return fill_history(dir, "bench-report", o->report_members, o->report_members,
			    o->questions);
}

struct scan {
	long answers;
	double sum;
};

static int scan_one(const Canvass__HistoryEntry *e, void *arg)
{
	struct scan *sc = arg;
	Canvass__Submission *s;
	if (wire_decode_submission(e->submission.data, e->submission.len, SIZE_MAX, &s) != 0)
		return CV_ECORRUPT;
	for (size_t i = 0; i < s->n_answers; i++) {
		const Canvass__Answer *a = s->answers[i];
		sc->answers++;
		if (a->value_case == CANVASS__ANSWER__VALUE_INTEGER)
			sc->sum += (double)a->integer;
		else if (a->value_case == CANVASS__ANSWER__VALUE_NUMBER)
			sc->sum += a->number;
	}
	WIRE_FREE(s);
	return 0;
}

int scan_store(const char *dir, double *secs, long *answers)
{
	struct store_cfg cfg = {.dir = dir, .readonly = true};
	struct store *s;
	struct store_view *v;
	struct scan sc = {0};
	char err[256];
	double t0 = now_s();
	int rc;

	if ((rc = store_open(&s, &cfg, err, sizeof err)) != 0)
		return rc;
	store_view_open(s, &v);
	rc = store_view_each_current(v, "bench-report", "2026", scan_one, &sc);
	store_view_close(&v);
	store_close(&s);
	*secs = now_s() - t0;
	*answers = sc.answers;
	return rc;
}

int fill_history(const char *dir, const char *qid, int members, long n, int questions)
{
	struct store_cfg cfg = {.dir = dir, .map_size = 256u << 20, .map_max = 64ull << 30};
	struct store *s;
	struct store_put *puts = calloc(1000, sizeof *puts);
	uint8_t **bufs = calloc(1000, sizeof *bufs),
		(*hashes)[CV_HASH_LEN] = calloc(1000, CV_HASH_LEN);
	char(*codes)[16] = calloc(1000, sizeof *codes), (*keys)[32] = calloc(1000, sizeof *keys);
	char err[256];
	int rc;

	if (puts == NULL || bufs == NULL || hashes == NULL || codes == NULL || keys == NULL)
		return CV_ENOMEM;
	if ((rc = store_open(&s, &cfg, err, sizeof err)) != 0) {
		fprintf(stderr, "bench: %s\n", err);
		return rc;
	}
	for (long i = 0; i < n && rc == 0;) {
		size_t k = 0;
		for (; k < 1000 && i < n; k++, i++) {
			int m = (int)(i % members);
			Canvass__Submission *sub;
			size_t len;
			snprintf(codes[k], sizeof codes[k], "M%05d", m);
			snprintf(keys[k], sizeof keys[k], "prefill-%ld", i);
			sub = bench_submission(qid, codes[k], m, 1000000 + i, questions);
			canon_submission(sub, NULL);
			canon_pack(sub, &bufs[k], &len, hashes[k]);
			puts[k] = (struct store_put){.member = codes[k],
						     .questionnaire = qid,
						     .cycle = "2026",
						     .key = keys[k],
						     .content_hash = hashes[k],
						     .submission = bufs[k],
						     .submission_len = len};
			WIRE_FREE(sub);
		}
		rc = store_put_batch(s, puts, k);
		for (size_t j = 0; j < k; j++)
			free(bufs[j]);
	}
	store_close(&s);
	free(puts);
	free(bufs);
	free(hashes);
	free(codes);
	free(keys);
	return rc;
}
