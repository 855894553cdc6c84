#include "canon.h"
#include "targets.h"
#include "xlsform.h"
#include "xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "returns.h"
#include "review.h"
#include "export.h"
#include "fastload.h"
#include "arena.h"
#include "intake.h"
#include "store.h"
#include "subjson.h"
#include "util.h"
#include "wire.h"
#include <jansson.h>

static struct registry *reg;
static struct qset *qs;
static struct cycles *cycles;
static struct intake in;
static struct intake_result *result;

void fuzz_init(const char *srcdir)
{
	char path[4096], err[512];

	if (reg != NULL)
		return;
	cv_crypto_init();
	snprintf(path, sizeof path, "%s/data/members.csv", srcdir);
	if (registry_load(path, &reg, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	snprintf(path, sizeof path, "%s/data/questionnaires", srcdir);
	if (qset_load_dir(path, &qs, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	{
		static const char sched[] =
			"{\"cycles\": [{\"questionnaire\": \"integrity-self-assessment\", "
			"\"cycle\": \"2025\", \"opens\": \"2000-01-01\", \"due\": \"2099-12-31\", "
			"\"closes\": \"2099-12-31\"}]}";
		if (cycles_load_text("fuzz", sched, sizeof sched - 1, &cycles, err, sizeof err) !=
		    0)
			abort();
	}
	in.reg = reg;
	in.qs = qs;
	in.cycles = cycles;
	in.limits = wire_default_limits;
	result = malloc(sizeof *result);
	intake_result_init(result);
}

/* 2025-06-15, inside the 2025 cycle, so that inputs reach packing. */
#define FUZZ_NOW_MS 1749945600000LL

int fuzz_request(const uint8_t *data, size_t size)
{
	int relayable;

	/* Insecure path: the payload's member claim, then full validation and packing. */
	intake_check(&in, data, size, NULL, NULL, FUZZ_NOW_MS, result);
	relayable = result->status == 0;
	intake_result_clear(result);
	/* And as an authenticated member whose key matches nobody. */
	intake_check(&in, data, size, "KE", "0000000000000000000000000000000000000000", FUZZ_NOW_MS,
		     result);
	intake_result_clear(result);
	return relayable;
}

#define MUST(cond)                                                                                 \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "round trip: %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The CSV cell read back: RFC 4180 quotes removed. */
static char *csv_cell(const Canvass__Answer *a)
{
	char *buf = NULL, *out;
	size_t len = 0, k = 0;
	FILE *f = open_memstream(&buf, &len);

	MUST(f != NULL);
	export_csv_value(f, a);
	fclose(f);
	out = calloc(len + 1, 1);
	MUST(out != NULL);
	if (len > 0 && buf[0] == '"') {
		for (size_t i = 1; i + 1 < len; i++) {
			out[k++] = buf[i];
			if (buf[i] == '"')
				i++; /* "" is one quote */
		}
	} else {
		memcpy(out, buf, len);
		k = len;
	}
	out[k] = '\0';
	free(buf);
	return out;
}

static void export_reproduces(const Canvass__Answer *a)
{
	char *cell = csv_cell(a), *text;
	json_t *v = subjson_answer_value(a), *back;

	MUST(v != NULL);
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	MUST(text != NULL);
	back = json_loads(text, JSON_DECODE_ANY, NULL);
	MUST(back != NULL && json_equal(v, back));
	switch (a->value_case) {
	case CANVASS__ANSWER__VALUE_BOOLEAN:
		MUST(strcmp(cell, a->boolean ? "true" : "false") == 0);
		MUST(json_is_boolean(back) && json_is_true(back) == a->boolean);
		break;
	case CANVASS__ANSWER__VALUE_INTEGER:
		MUST(strtoll(cell, NULL, 10) == a->integer);
		MUST(json_is_integer(back) && json_integer_value(back) == a->integer);
		break;
	case CANVASS__ANSWER__VALUE_NUMBER:
		MUST(strtod(cell, NULL) == a->number);
		MUST(json_is_real(back) && json_real_value(back) == a->number);
		break;
	case CANVASS__ANSWER__VALUE_TEXT:
		/* A formula-leading text is written with a ' before it (render.h). */
		if (a->text[0] != '\0' && strchr("=+-@\t\r", a->text[0]) != NULL)
			MUST(cell[0] == '\'' && strcmp(cell + 1, a->text) == 0);
		else
			MUST(strcmp(cell, a->text) == 0);
		MUST(json_is_string(back) && strcmp(json_string_value(back), a->text) == 0);
		break;
	case CANVASS__ANSWER__VALUE_LIST: {
		char *p = cell;
		if (a->list->n_items > 0 && strchr("=+-@", a->list->items[0][0]) != NULL)
			p++; /* neutralised as a formula: the ' before it */
		MUST(json_array_size(back) == a->list->n_items);
		for (size_t i = 0; i < a->list->n_items; i++) {
			size_t n = strlen(a->list->items[i]);
			MUST(strncmp(p, a->list->items[i], n) == 0);
			MUST(p[n] == (i + 1 < a->list->n_items ? ';' : '\0'));
			p += n + 1;
			MUST(strcmp(json_string_value(json_array_get(back, i)),
				    a->list->items[i]) == 0);
		}
		break;
	}
	default: break;
	}
	free(cell);
	free(text);
	json_decref(v);
	json_decref(back);
}

int fuzz_roundtrip(const uint8_t *data, size_t size)
{
	Canvass__Submission *s;
	uint8_t *again, hash[CV_HASH_LEN];
	size_t len;

	intake_check(&in, data, size, NULL, NULL, FUZZ_NOW_MS, result);
	if (result->status != 0) {
		intake_result_clear(result);
		return 0;
	}
	/* What would be stored: strictly a Submission, canonical, hashed as said. */
	MUST(wire_check_strict(&canvass__submission__descriptor, result->content,
			       result->content_len, NULL) == 0);
	cv_sha256(result->content, result->content_len, hash);
	MUST(memcmp(hash, result->hash, CV_HASH_LEN) == 0);
	MUST(wire_decode_submission(result->content, result->content_len, SIZE_MAX, &s) == 0);
	MUST(canon_submission(s, NULL) == 0);
	MUST(canon_pack(s, &again, &len, NULL) == 0);
	MUST(len == result->content_len && memcmp(again, result->content, len) == 0);
	MUST(s->idempotency_key[0] == '\0');
	for (size_t i = 0; i < s->n_answers; i++)
		export_reproduces(s->answers[i]);
	free(again);
	WIRE_FREE(s);
	intake_result_clear(result);
	return 1;
}

int fuzz_json(const uint8_t *data, size_t size)
{
	Canvass__Submission *s;
	char err[256];

	if (subjson_parse((const char *)data, size, &s, err, sizeof err) == 0) {
		const struct questionnaire *q = qset_latest(qs, "integrity-self-assessment");
		struct verdict *v = malloc(sizeof *v);
		uint8_t *buf, hash[CV_HASH_LEN];
		size_t len;

		verdict_init(v);
		validate_submission(q, s, v);
		if (canon_pack(s, &buf, &len, hash) == 0)
			free(buf);
		free(v);
		WIRE_FREE(s);
		return 1;
	}
	return 0;
}

int fuzz_entry(const uint8_t *data, size_t size)
{
	static struct arena *a;
	const struct questionnaire *def = qset_latest(qs, "integrity-self-assessment");
	struct fast_entry f;
	Canvass__HistoryEntry *e;

	if (a == NULL && arena_open(&a) != 0)
		abort();
	arena_reset(a);
	if (fast_history_entry(data, size, def, a, &f) != 0)
		return 0;
	/* What is read in place is what protobuf-c reads, field for field. */
	MUST(wire_decode_history(data, size, &e) == 0);
	MUST(f.sequence == e->sequence && f.revision == e->revision && f.late == e->late &&
	     f.stored_at_ms == e->stored_at_ms && strcmp(f.member, e->member) == 0 &&
	     f.review == (e->review.len > 0));
	if (!f.review) {
		Canvass__Submission *sub;
		MUST(wire_decode_submission(e->submission.data, e->submission.len, SIZE_MAX,
					    &sub) == 0);
		MUST(f.sub->n_answers == sub->n_answers && f.sub->version == sub->version &&
		     strcmp(f.sub->questionnaire, sub->questionnaire) == 0 &&
		     strcmp(f.sub->cycle, sub->cycle) == 0);
		for (size_t i = 0; i < sub->n_answers; i++)
			MUST(strcmp(f.sub->answers[i]->question, sub->answers[i]->question) == 0 &&
			     f.sub->answers[i]->value_case == sub->answers[i]->value_case);
		WIRE_FREE(sub);
	}
	WIRE_FREE(e);
	return 1;
}

/* The aggregator's quality checks: an empty store of their own, opened once. */
static struct store *check_store;
static struct checks *check_cache;
static char check_dir[64];
static void checks_cleanup(void)
{
	char path[128];
	checks_close(&check_cache);
	store_close(&check_store);
	snprintf(path, sizeof path, "%s/data.mdb", check_dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/lock.mdb", check_dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/aggregator.lock", check_dir);
	unlink(path);
	rmdir(check_dir);
}

/*
 * Returns for the reads and review requests to find (as fuzz_seeds.py
 * names them): q/2025 of KE (two revisions, queried) and FR.
 */
static void seed_store(void)
{
	static const char *const members[] = {"KE", "FR", "KE"};
	static const char *const keys[] = {"k1", "k2", "k3"};
	struct store_put p[3];
	uint8_t hash[3][CV_HASH_LEN];
	Canvass__ReviewAction a = CANVASS__REVIEW_ACTION__INIT;
	struct store_review r = {.action = &a};

	for (int i = 0; i < 3; i++) {
		Canvass__Submission s = CANVASS__SUBMISSION__INIT;
		uint8_t *buf;
		size_t len;
		s.questionnaire = (char *)"q";
		s.version = 1;
		s.cycle = (char *)"2025";
		s.member = (char *)(uintptr_t)members[i];
		if (wire_pack(&s.base, &buf, &len) != 0)
			abort();
		cv_sha256(buf, len, hash[i]);
		p[i] = (struct store_put){.member = members[i],
					  .questionnaire = "q",
					  .cycle = "2025",
					  .key = keys[i],
					  .content_hash = hash[i],
					  .submission = buf,
					  .submission_len = len};
	}
	if (store_put_batch(check_store, p, 3) != 0)
		abort();
	for (int i = 0; i < 3; i++)
		free((void *)(uintptr_t)p[i].submission);
	a.action = CANVASS__REVIEW_ACTION_KIND__QUERY;
	a.questionnaire = (char *)"q";
	a.cycle = (char *)"2025";
	a.member = (char *)"KE";
	a.comment = (char *)"seed";
	a.action_id = (char *)"seed";
	a.reviewer = (char *)"fuzz";
	if (store_review_act(check_store, &r) != 0 || r.status != CANVASS__STATUS__ACCEPTED)
		abort();
	review_free(&r.state);
}

/* The fuzz run's store and checks cache, made on first use. */
static void ensure_store(void)
{
	if (check_cache == NULL) {
		struct store_cfg cfg = {.map_size = 1 << 20, .map_max = 1 << 20};
		char err[256];
		snprintf(check_dir, sizeof check_dir, "/tmp/canvass-fuzz-XXXXXX");
		cfg.dir = mkdtemp(check_dir);
		if (cfg.dir == NULL || store_open(&check_store, &cfg, err, sizeof err) != 0 ||
		    checks_open(&check_cache) != 0)
			abort();
		checks_set_registry(check_cache, reg);
		atexit(checks_cleanup);
		seed_store();
	}
}

static void run_checks(const Canvass__StoreRequest *r)
{
	static struct verdict v;
	static unsigned long runs;
	struct checks_plan *plan = NULL;

	ensure_store();
	if (++runs % 1000 == 0) /* bounded memory over a long run */
		checks_set_registry(check_cache, reg);
	verdict_init(&v);
	(void)checks_prepare(check_cache, check_store, r, &plan);
	checks_run(check_cache, r, plan, !r->dry_run, &v);
	checks_plan_free(&plan);
	for (size_t i = 0; i < v.n; i++)
		if (v.items[i].warning != 1 || !v.items[i].finding)
			abort(); /* findings are warnings, always */
}

/* A member's read, answered from the store as the aggregator does; the answer must pack. */
static void run_read(const Canvass__StoreRequest *r)
{
	Canvass__StoreReply rep = CANVASS__STORE_REPLY__INIT;
	uint8_t *buf = NULL;
	size_t len;

	ensure_store();
	if (r->member[0] != '\0' && review_answer_read(check_store, r, &rep) == 0 &&
	    wire_pack(&rep.base, &buf, &len) != 0)
		abort();
	free(buf);
	review_read_clear(&rep);
}

/* A reviewer's request (reads and actions) against the same store; the answer must pack. */
static void run_review(const uint8_t *data, size_t size)
{
	Canvass__ReviewRequest *req;
	Canvass__ReviewReply *rep = NULL;
	struct store_review act = {0};
	uint8_t *buf = NULL;
	size_t len;

	if (wire_decode_review_request(data, size, 512 * 1024, &req, NULL) != 0)
		return;
	ensure_store();
	{
		const struct review_scope scope = {
			.reg = reg, .qs = qs, .cycles = cycles, .now_ms = cv_now_ms()};
		(void)review_answer(check_store, &scope, "fuzz", req, &rep, &act);
	}
	if (rep == NULL || wire_pack(&rep->base, &buf, &len) != 0)
		abort();
	free(buf);
	canvass__review_reply__free_unpacked(rep, NULL);
	review_free(&act.state);
	WIRE_FREE(req);
}

int fuzz_store_request(const uint8_t *data, size_t size)
{
	Canvass__StoreRequest *r;
	int through = 0;

	run_review(data, size);
	if (wire_decode_store_request(data, size, 512 * 1024, &r) == 0 &&
	    r->read != CANVASS__READ_KIND__READ_NONE) {
		run_read(r);
		WIRE_FREE(r);
		through = 1;
	} else if (r != NULL) {
		struct store_put p = {0};
		p.member = r->member;
		p.questionnaire = r->questionnaire;
		p.cycle = r->cycle;
		p.key = r->idempotency_key;
		if (store_put_check(&p) == 0) {
			run_checks(r); /* the aggregator checks only requests that passed */
			through = 1;
		}
		WIRE_FREE(r);
	}
	return through;
}

int fuzz_xlsx(const uint8_t *data, size_t size)
{
	struct xlsx *x = NULL;
	struct xlsform_problems problems = {0};
	json_t *doc = NULL;
	char err[512];
	int ok;

	if (xlsx_read(data, size, &x, err, sizeof err) != 0)
		return 0;
	ok = xlsform_import(x, &doc, &problems) == 0;
	/* A definition that imports is one the daemons load. */
	if (ok && (json_object_get(doc, "id") == NULL || json_object_get(doc, "sections") == NULL))
		abort();
	json_decref(doc);
	xlsform_problems_free(&problems);
	xlsx_free(&x);
	return ok;
}
