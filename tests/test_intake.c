/*
 * intake: one member frame through every check the collector makes before
 * relaying: strictness, identity, questionnaire, cycle, validation, the
 * canonical content and its hash, dry runs. The shipped registry,
 * questionnaires and a schedule whose 2025 cycle is open.
 */
#include "intake.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "canon.h"
#include "error.h"
#include "subjson.h"
#include "util.h"
#include "wire.h"

#define NOW_MS 1749945600000LL /* 2025-06-15 */

struct fx {
	struct registry *reg;
	struct qset *qs;
	struct cycles *cycles;
	struct intake in;
	struct intake_result *r;
	char *valid; /* KE's valid submission, JSON */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	static const char sched[] =
		"{\"cycles\": [{\"questionnaire\": \"integrity-self-assessment\", \"cycle\": "
		"\"2025\", \"opens\": \"2025-01-01\", \"due\": \"2025-12-31\", \"closes\": "
		"\"2026-01-31\"}]}";
	char err[512];
	size_t len;

	assert_int_equal(registry_load(tu_src("data/members.csv"), &f->reg, err, sizeof err), 0);
	assert_int_equal(qset_load_dir(tu_src("data/questionnaires"), &f->qs, err, sizeof err), 0);
	assert_int_equal(
		cycles_load_text("t", sched, sizeof sched - 1, &f->cycles, err, sizeof err), 0);
	f->in.reg = f->reg;
	f->in.qs = f->qs;
	f->in.cycles = f->cycles;
	f->in.limits = wire_default_limits;
	f->r = malloc(sizeof *f->r);
	intake_result_init(f->r);
	assert_int_equal(cv_read_file(tu_src("tests/corpus/valid/KE-2025.json"), 1 << 20, &f->valid,
				      &len, err, sizeof err),
			 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	intake_result_free(f->r);
	free(f->r);
	registry_free(&f->reg);
	qset_free(&f->qs);
	cycles_free(&f->cycles);
	free(f->valid);
	free(f);
	return 0;
}

/* Packs s as a Request (submit, or check when dry) with request id 9. */
static uint8_t *request(Canvass__Submission *s, bool dry, size_t *len)
{
	Canvass__Request req = CANVASS__REQUEST__INIT;
	uint8_t *buf;
	req.protocol_version = WIRE_PROTOCOL_VERSION;
	req.request_id = 9;
	req.body_case = dry ? CANVASS__REQUEST__BODY_CHECK : CANVASS__REQUEST__BODY_SUBMIT;
	if (dry)
		req.check = s;
	else
		req.submit = s;
	assert_int_equal(wire_pack(&req.base, &buf, len), 0);
	return buf;
}

static void check_json(struct fx *f, const char *json, bool dry)
{
	Canvass__Submission *s = tu_submission(json);
	size_t len;
	uint8_t *buf = request(s, dry, &len);
	intake_check(&f->in, buf, len, NULL, NULL, NOW_MS, f->r);
	free(buf);
	WIRE_FREE(s);
}

static void test_valid_is_relayed_canonical(void **state)
{
	struct fx *f = *state;
	uint8_t hash[CV_HASH_LEN];
	char hex[2 * CV_HASH_LEN + 1];

	check_json(f, f->valid, false);
	assert_int_equal(f->r->status, 0);
	assert_int_equal(f->r->request_id, 9);
	/* The hash is the SHA-256 of the canonical content; no id: the key is its hex. */
	cv_sha256(f->r->content, f->r->content_len, hash);
	assert_memory_equal(hash, f->r->hash, CV_HASH_LEN);
	cv_hex(hash, CV_HASH_LEN, hex);
	assert_string_equal(f->r->key, hex);
	assert_string_equal(f->r->store.member, "KE");
	assert_false(f->r->late);
	/* The client computes the same bytes. */
	{
		Canvass__Submission *s = tu_submission(f->valid);
		uint8_t *buf, h[CV_HASH_LEN];
		size_t len;
		assert_int_equal(canon_submission(s, NULL), 0);
		assert_int_equal(canon_pack(s, &buf, &len, h), 0);
		assert_memory_equal(h, f->r->hash, CV_HASH_LEN);
		free(buf);
		WIRE_FREE(s);
	}
}

/* s with its first `from` replaced by `to` (caller frees). */
static char *replaced(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t a, b = strlen(to);
	char *out;
	assert_non_null(p);
	a = (size_t)(p - s);
	out = malloc(strlen(s) - strlen(from) + b + 1);
	memcpy(out, s, a);
	memcpy(out + a, to, b);
	strcpy(out + a + b, p + strlen(from));
	return out;
}

static void test_same_content_same_hash(void **state)
{
	struct fx *f = *state;
	uint8_t first[CV_HASH_LEN];
	char *spelt;

	check_json(f, f->valid, false);
	assert_int_equal(f->r->status, 0);
	memcpy(first, f->r->hash, CV_HASH_LEN);
	/* 95.0 is the whole number 95: spelt 9.5e1 it is the same content. */
	spelt = replaced(f->valid, "\"cc_signed_share\": 95.0", "\"cc_signed_share\": 9.5e1");
	check_json(f, spelt, false);
	assert_int_equal(f->r->status, 0);
	assert_memory_equal(first, f->r->hash, CV_HASH_LEN);
	free(spelt);
}

static void test_strict_faults_are_malformed_with_the_field(void **state)
{
	struct fx *f = *state;
	Canvass__Submission *s = tu_submission(f->valid);
	uint8_t *buf;
	size_t len;

	buf = request(s, false, &len);
	/* Append an unknown field 99 to the whole request: refused, with the field named. */
	buf = realloc(buf, len + 3);
	memcpy(buf + len, "\x98\x06\x01", 3);
	intake_check(&f->in, buf, len + 3, NULL, NULL, NOW_MS, f->r);
	assert_int_equal(f->r->status, CANVASS__STATUS__MALFORMED);
	assert_int_equal(f->r->request_id, 9); /* still echoed */
	assert_int_equal(f->r->verdict.n, 1);
	assert_string_equal(f->r->verdict.items[0].code, "UNKNOWN_FIELD");
	assert_non_null(strstr(f->r->verdict.items[0].message, "field 99"));
	free(buf);
	WIRE_FREE(s);
}

static void test_identity_and_dry_run(void **state)
{
	struct fx *f = *state;
	Canvass__Submission *s = tu_submission(f->valid);
	uint8_t *buf;
	size_t len;

	/* Insecure mode takes the payload's member; the registry must know it. */
	free(s->member);
	s->member = strdup("XX");
	buf = request(s, false, &len);
	intake_check(&f->in, buf, len, NULL, NULL, NOW_MS, f->r);
	assert_int_equal(f->r->status, CANVASS__STATUS__REJECTED);
	assert_string_equal(f->r->verdict.items[0].code, "UNKNOWN_MEMBER");
	free(buf);
	/* A connection whose key is not the registry's key is UNAUTHORIZED. */
	free(s->member);
	s->member = strdup("KE");
	buf = request(s, false, &len);
	intake_check(&f->in, buf, len, "KE", "not-the-key", NOW_MS, f->r);
	assert_int_equal(f->r->status, CANVASS__STATUS__UNAUTHORIZED);
	free(buf);
	WIRE_FREE(s);
	/* A dry run of a questionnaire whose checks need the store: relayed with
	 * dry_run set and every checked question's number (the aggregator answers). */
	check_json(f, f->valid, true);
	assert_int_equal(f->r->status, 0);
	assert_true(f->r->store.dry_run);
	assert_int_equal(f->r->store.n_check_questions, 10);
	assert_int_equal(f->r->store.n_check_values, 10);
	assert_int_equal(f->r->store.n_check_min_answers, 10);
	assert_int_equal(f->r->store.n_check_previous, 0);   /* no question renamed */
	assert_string_equal(f->r->store.previous_cycle, ""); /* 2025 is the first cycle */
	for (size_t i = 0; i < f->r->store.n_check_questions; i++) {
		const Canvass__StoreRequest *st = &f->r->store;
		if (strcmp(st->check_questions[i], "hr_staff_total") == 0) {
			assert_true(st->check_values[i] == 5200);
			assert_true(st->check_relative[i] == 0.5 && st->check_absolute[i] == 100);
			assert_true(st->check_outlier_z[i] == 0);
		}
		if (strcmp(st->check_questions[i], "tr_advance_rulings_days") == 0) {
			assert_true(st->check_values[i] == 30.5);
			assert_true(isnan(st->check_relative[i]) && isnan(st->check_absolute[i]));
			assert_true(st->check_outlier_z[i] == 3.5 &&
				    st->check_min_answers[i] == 10);
		}
	}
	/* Without such checks a valid dry run is relayed too (only the store knows
	 * whether the return is approved: LOCKED), without checks. */
	{
		struct questionnaire *nq = NULL;
		for (size_t i = 0; i < f->qs->n; i++)
			if (strcmp(f->qs->items[i]->id, "integrity-self-assessment") == 0)
				nq = f->qs->items[i];
		assert_non_null(nq);
		nq->n_store_checks = 0; /* as if the definition had none */
		check_json(f, f->valid, true);
		assert_int_equal(f->r->status, 0);
		assert_true(f->r->store.dry_run);
		assert_non_null(f->r->content);
		assert_int_equal(f->r->store.n_check_questions, 0);
		nq->n_store_checks = 10;
	}
	/* The cycle closed: refused with its code. */
	s = tu_submission(f->valid);
	buf = request(s, false, &len);
	intake_check(&f->in, buf, len, NULL, NULL, NOW_MS + 400LL * 86400 * 1000, f->r);
	assert_int_equal(f->r->status, CANVASS__STATUS__REJECTED);
	assert_string_equal(f->r->verdict.items[0].code, "CYCLE_CLOSED");
	free(buf);
	WIRE_FREE(s);
}

static uint8_t *read_request(bool fetch, const char *q, const char *cycle, size_t *len)
{
	Canvass__Request req = CANVASS__REQUEST__INIT;
	Canvass__ReturnQuery rq = CANVASS__RETURN_QUERY__INIT;
	uint8_t *buf;
	rq.questionnaire = (char *)(uintptr_t)q;
	rq.cycle = (char *)(uintptr_t)cycle;
	req.protocol_version = WIRE_PROTOCOL_VERSION;
	req.request_id = 11;
	req.body_case = fetch ? CANVASS__REQUEST__BODY_FETCH : CANVASS__REQUEST__BODY_STATUS;
	if (fetch)
		req.fetch = &rq;
	else
		req.status = &rq;
	assert_int_equal(wire_pack(&req.base, &buf, len), 0);
	return buf;
}

/* status and fetch: relayed for the connection's member, never another. */
static void test_reads_are_the_connections_own(void **state)
{
	struct fx *f = *state;
	struct member *ke = (struct member *)(uintptr_t)registry_find(f->reg, "KE");
	uint8_t *buf;
	size_t len;

	free(ke->public_key);
	ke->public_key = strdup("KE-KEY");
	buf = read_request(false, "", "", &len);
	intake_check(&f->in, buf, len, "KE", "KE-KEY", NOW_MS, f->r);
	assert_int_equal(f->r->status, 0);
	assert_int_equal(f->r->request_id, 11);
	assert_int_equal(f->r->store.read, CANVASS__READ_KIND__READ_STATUS);
	assert_string_equal(f->r->store.member, "KE");
	assert_int_equal(f->r->store.submission.len, 0);
	free(buf);
	buf = read_request(true, "integrity-self-assessment", "2025", &len);
	intake_check(&f->in, buf, len, "KE", "KE-KEY", NOW_MS, f->r);
	assert_int_equal(f->r->status, 0);
	assert_int_equal(f->r->store.read, CANVASS__READ_KIND__READ_FETCH);
	assert_string_equal(f->r->store.member, "KE");
	assert_string_equal(f->r->store.questionnaire, "integrity-self-assessment");
	assert_string_equal(f->r->store.cycle, "2025");
	free(buf);
	/* A fetch names its return. */
	buf = read_request(true, "integrity-self-assessment", "", &len);
	intake_check(&f->in, buf, len, "KE", "KE-KEY", NOW_MS, f->r);
	assert_int_equal(f->r->status, CANVASS__STATUS__MALFORMED);
	free(buf);
	/* A revoked key reads nothing; without CURVE there is no identity to read by. */
	buf = read_request(false, "", "", &len);
	intake_check(&f->in, buf, len, "KE", "OLD-KEY", NOW_MS, f->r);
	assert_int_equal(f->r->status, CANVASS__STATUS__UNAUTHORIZED);
	intake_check(&f->in, buf, len, NULL, NULL, NOW_MS, f->r);
	assert_int_equal(f->r->status, CANVASS__STATUS__UNAUTHORIZED);
	free(buf);
}

static void test_rules_read_only_checked_answers(void **state)
{
	struct fx *f = *state;
	/* 50.5 cases concluded of 42 opened would fail a rule; but it is no integer:
	 * WRONG_TYPE only, and no rule reads it. */
	char *bad =
		replaced(f->valid, "\"ai_cases_concluded\": 30", "\"ai_cases_concluded\": 50.5");

	check_json(f, bad, false);
	assert_int_equal(f->r->status, CANVASS__STATUS__REJECTED);
	for (size_t i = 0; i < f->r->verdict.n; i++)
		assert_string_not_equal(f->r->verdict.items[i].code, "RULE_FAILED");
	assert_string_equal(f->r->verdict.items[0].code, "WRONG_TYPE");
	free(bad);
}

static void test_problems_beyond_the_cap_are_counted(void **state)
{
	struct fx *f = *state;
	size_t len = strlen(f->valid) + 300 * 32;
	char *many = malloc(len), *p;
	size_t o;

	/* 300 unknown questions: 200 listed, the message says 100 more. */
	p = strstr(f->valid, "\"answers\": {");
	assert_non_null(p);
	o = (size_t)(p - f->valid) + strlen("\"answers\": {");
	memcpy(many, f->valid, o);
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(many + o, len - o, "\"unknown_%d\": 1, ", i);
	snprintf(many + o, len - o, "%s", p + strlen("\"answers\": {"));
	check_json(f, many, false);
	assert_int_equal(f->r->status, CANVASS__STATUS__REJECTED);
	assert_int_equal(f->r->verdict.n, VALIDATE_MAX_PROBLEMS);
	assert_int_equal(f->r->verdict.dropped, 100);
	assert_string_equal(f->r->message,
			    "300 problems, 200 listed and 100 more not listed; nothing was stored");
	free(many);
}

/*
 * One result serves every request in turn (the collector's): after a
 * rejection with 300 problems and a frame that is not a request, a valid
 * submission is relayed exactly as the first time, with nothing left over.
 */
static void test_result_reused_across_requests(void **state)
{
	struct fx *f = *state;
	uint8_t hash[CV_HASH_LEN], *content;
	size_t clen, len = strlen(f->valid) + 300 * 32;
	char *many = malloc(len), *p;
	size_t o;

	check_json(f, f->valid, false);
	assert_int_equal(f->r->status, 0);
	memcpy(hash, f->r->hash, CV_HASH_LEN);
	clen = f->r->content_len;
	content = malloc(clen);
	memcpy(content, f->r->content, clen);

	p = strstr(f->valid, "\"answers\": {");
	o = (size_t)(p - f->valid) + strlen("\"answers\": {");
	memcpy(many, f->valid, o);
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(many + o, len - o, "\"unknown_%d\": 1, ", i);
	snprintf(many + o, len - o, "%s", p + strlen("\"answers\": {"));
	for (int round = 0; round < 3; round++) {
		check_json(f, many, false);
		assert_int_equal(f->r->status, CANVASS__STATUS__REJECTED);
		intake_check(&f->in, "\x08\x01\x1a\x05zz", 7, NULL, NULL, NOW_MS, f->r);
		assert_int_equal(f->r->status, CANVASS__STATUS__MALFORMED);
		assert_null(f->r->req);
		check_json(f, f->valid, false);
		assert_int_equal(f->r->status, 0);
		assert_string_equal(f->r->message, "");
		assert_int_equal(f->r->verdict.n, 0);
		assert_int_equal(f->r->verdict.errors, 0);
		assert_int_equal(f->r->verdict.dropped, 0);
		assert_string_equal(f->r->store.member, "KE");
		assert_int_equal(f->r->content_len, clen);
		assert_memory_equal(f->r->content, content, clen);
		assert_memory_equal(f->r->hash, hash, CV_HASH_LEN);
	}
	free(content);
	free(many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid_is_relayed_canonical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_reused_across_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_same_content_same_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strict_faults_are_malformed_with_the_field,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_and_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_are_the_connections_own, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rules_read_only_checked_answers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_problems_beyond_the_cap_are_counted, setup,
						teardown),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("intake", tests, NULL, NULL);
}
