#include "intake.h"
#include "arena.h"
#include "canon.h"
#include "error.h"
#include "quality.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void intake_result_init(struct intake_result *r)
{
	memset(r, 0, sizeof *r);
}

/*
 * Ready for the next request. The verdict's problems (about 100 KB) are
 * not zeroed: verdict_init empties the list, and clearing them for every
 * request was a quarter of the collector's work.
 */
void intake_result_clear(struct intake_result *r)
{
	r->req = NULL;
	if (r->arena != NULL)
		arena_reset(r->arena);
	free(r->content);
	r->status = 0;
	r->request_id = 0;
	r->late = false;
	r->message[0] = '\0';
	verdict_init(&r->verdict);
	canvass__store_request__init(&r->store);
	r->content = NULL;
	r->content_len = 0;
	memset(r->hash, 0, sizeof r->hash);
	r->key[0] = '\0';
	r->member[0] = '\0';
}

void intake_result_free(struct intake_result *r)
{
	intake_result_clear(r);
	arena_close(&r->arena);
}

static void answer(struct intake_result *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void answer(struct intake_result *r, int status, const char *fmt, ...)
{
	va_list ap;
	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	va_end(ap);
	text_sanitize(r->message);
}

/* The cycle's schedule: refused before it opens and after it closes; late in between. */
static void check_cycle(const struct intake *in, const Canvass__Submission *s, int64_t now_ms,
			struct intake_result *r)
{
	const struct cycle *cy;
	char when[32];

	switch (cycles_state(in->cycles, s->questionnaire, s->cycle, now_ms, &cy)) {
	case CYCLE_ON_TIME: break;
	case CYCLE_LATE: r->late = true; break;
	case CYCLE_NOT_OPEN:
		verdict_add(&r->verdict, 0, "CYCLE_NOT_OPEN", NULL, "cycle %.32s opens at %s",
			    s->cycle, cv_utc_time(cy->opens_ms, when, sizeof when));
		break;
	case CYCLE_CLOSED:
		verdict_add(&r->verdict, 0, "CYCLE_CLOSED", NULL, "cycle %.32s closed at %s",
			    s->cycle, cv_utc_time(cy->closes_ms, when, sizeof when));
		break;
	case CYCLE_UNKNOWN:
		verdict_add(&r->verdict, 0, "UNKNOWN_CYCLE", NULL,
			    "questionnaire %.64s has no cycle \"%.32s\"", s->questionnaire,
			    s->cycle);
		break;
	}
}

/*
 * The questions whose checks need the store, with the member's numbers
 * (NaN: unanswered, special, or not applying) and the checks' parameters,
 * as parallel arrays in the request's arena.
 */
static int add_checks(const struct intake *in, const struct questionnaire *q,
		      const Canvass__Submission *s, struct intake_result *r)
{
	const struct cycle *prev = cycles_previous(in->cycles, s->questionnaire, s->cycle);
	size_t cap = q->n_store_checks, n = 0;
	Canvass__StoreRequest *st = &r->store;
	bool renamed = false;

	st->check_questions = arena_alloc(r->arena, cap * sizeof *st->check_questions);
	st->check_previous = arena_alloc(r->arena, cap * sizeof *st->check_previous);
	st->check_values = arena_alloc(r->arena, cap * sizeof *st->check_values);
	st->check_relative = arena_alloc(r->arena, cap * sizeof *st->check_relative);
	st->check_absolute = arena_alloc(r->arena, cap * sizeof *st->check_absolute);
	st->check_outlier_z = arena_alloc(r->arena, cap * sizeof *st->check_outlier_z);
	st->check_min_answers = arena_alloc(r->arena, cap * sizeof *st->check_min_answers);
	if (st->check_questions == NULL || st->check_previous == NULL || st->check_values == NULL ||
	    st->check_relative == NULL || st->check_absolute == NULL ||
	    st->check_outlier_z == NULL || st->check_min_answers == NULL)
		return CV_ENOMEM;
	/* One merge of two lists sorted by id: the definition's and the answers. */
	for (size_t i = 0, j = 0; i < q->n_questions && n < cap; i++) {
		const struct question *qn = q->by_id[i];
		const struct qcheck *k = &qn->check;
		/* A question whose meaning changed is not compared with the one it continues. */
		bool change = k->change && !qn->not_comparable;
		int cmp = -1;

		while (j < s->n_answers && (cmp = strcmp(s->answers[j]->question, qn->id)) < 0)
			j++;
		if (!k->change && k->outlier_z <= 0)
			continue;
		st->check_questions[n] = qn->id;
		/* Lineage: the previous cycle answered it maybe under another id. */
		st->check_previous[n] = qn->previous_id != NULL ? qn->previous_id : (char *)"";
		renamed |= qn->previous_id != NULL;
		if (!(j < s->n_answers && cmp == 0 &&
		      quality_answer_value(s->answers[j], &st->check_values[n])))
			st->check_values[n] = NAN;
		st->check_relative[n] = change && k->has_relative ? k->relative : NAN;
		st->check_absolute[n] = change && k->has_absolute ? k->absolute : NAN;
		st->check_outlier_z[n] = k->outlier_z;
		st->check_min_answers[n] = k->outlier_min_answers;
		n++;
	}
	st->n_check_questions = st->n_check_values = st->n_check_relative = n;
	st->n_check_absolute = st->n_check_outlier_z = st->n_check_min_answers = n;
	st->n_check_previous = renamed ? n : 0;
	st->previous_cycle = prev != NULL ? prev->cycle : (char *)"";
	return 0;
}

/*
 * A member's read of its own returns: relayed as a StoreRequest with read
 * set, for the member of the connection (never one named in the payload).
 */
static void read_own(const struct intake *in, const char *peer, struct intake_result *r)
{
	bool fetch = r->req->body_case == CANVASS__REQUEST__BODY_FETCH;
	Canvass__ReturnQuery *q = fetch ? r->req->fetch : r->req->status;

	if (peer == NULL) {
		/* Insecure mode has no identity to read by. */
		answer(r, CANVASS__STATUS__UNAUTHORIZED,
		       "reading returns needs an authenticated (CURVE) connection");
		return;
	}
	if (registry_find(in->reg, peer) == NULL) {
		answer(r, CANVASS__STATUS__UNAUTHORIZED, "member %.16s is not in the registry",
		       peer);
		return;
	}
	if (fetch && (q->questionnaire[0] == '\0' || q->cycle[0] == '\0')) {
		answer(r, CANVASS__STATUS__MALFORMED, "fetch needs a questionnaire and a cycle");
		return;
	}
	snprintf(r->member, sizeof r->member, "%s", peer);
	canvass__store_request__init(&r->store);
	r->store.protocol_version = WIRE_PROTOCOL_VERSION;
	r->store.member = r->member;
	r->store.questionnaire = q->questionnaire;
	r->store.cycle = q->cycle;
	r->store.read = fetch ? CANVASS__READ_KIND__READ_FETCH : CANVASS__READ_KIND__READ_STATUS;
	r->status = 0;
}

void intake_check(const struct intake *in, const void *buf, size_t len, const char *peer,
		  const char *peer_key, int64_t now_ms, struct intake_result *r)
{
	const struct questionnaire *q;
	const struct member *m;
	Canvass__Submission *s;
	struct wire_fault fault;
	bool dry_run = false;
	int rc;

	intake_result_clear(r);
	verdict_init(&r->verdict);
	if (peer != NULL) {
		/* The key must still be this member's key in the registry in force. */
		m = registry_find(in->reg, peer);
		if (m == NULL || m->public_key == NULL || peer_key == NULL ||
		    strcmp(m->public_key, peer_key) != 0) {
			answer(r, CANVASS__STATUS__UNAUTHORIZED,
			       "the key of this connection is no longer registered for %.16s",
			       peer);
			return;
		}
	}
	if (r->arena == NULL && arena_open(&r->arena) != 0) {
		answer(r, CANVASS__STATUS__INTERNAL, "out of memory");
		return;
	}
	rc = wire_decode_request_in(r->arena, buf, len, &in->limits, &r->req, &fault);
	/* A refused request still gets its request id back when it can be read. */
	if (rc != 0 && wire_peek_request_id(buf, len, &r->request_id) != 0)
		r->request_id = 0;
	if (rc == CV_ETOOBIG) {
		answer(r, CANVASS__STATUS__TOO_LARGE,
		       "over a limit: at most %zu bytes, %zu answers, %zu-byte strings, "
		       "%zu list items",
		       in->limits.max_message, in->limits.max_answers, in->limits.max_string,
		       in->limits.max_list);
		return;
	}
	if (rc == CV_EVERSION) {
		answer(r, CANVASS__STATUS__UNSUPPORTED_VERSION,
		       "this collector speaks protocol version %u", WIRE_PROTOCOL_VERSION);
		return;
	}
	if (rc != 0) {
		if (fault.code != NULL) {
			verdict_add(&r->verdict, 0, fault.code, NULL, "%s: %s", fault.where,
				    fault.what);
			answer(r, CANVASS__STATUS__MALFORMED, "not a valid canvass request: %s %s",
			       fault.where, fault.what);
		} else {
			answer(r, CANVASS__STATUS__MALFORMED, "not a canvass request");
		}
		return;
	}
	r->request_id = r->req->request_id;
	if (r->req->body_case == CANVASS__REQUEST__BODY_STATUS ||
	    r->req->body_case == CANVASS__REQUEST__BODY_FETCH) {
		read_own(in, peer, r);
		return;
	}
	if (r->req->body_case == CANVASS__REQUEST__BODY_SUBMIT) {
		s = r->req->submit;
	} else if (r->req->body_case == CANVASS__REQUEST__BODY_CHECK) {
		s = r->req->check;
		dry_run = true;
	} else {
		answer(r, CANVASS__STATUS__MALFORMED, "the request has no body");
		return;
	}

	/* Identity: the connection's, never only the payload's. */
	if (peer != NULL) {
		if (strcmp(peer, s->member) != 0)
			verdict_add(&r->verdict, 0, "MEMBER_MISMATCH", NULL,
				    "this connection is member %s; the submission names %.16s",
				    peer, s->member);
		m = registry_find(in->reg, peer);
	} else {
		m = registry_find(in->reg, s->member);
	}
	if (m == NULL) {
		verdict_add(&r->verdict, 0, "UNKNOWN_MEMBER", NULL,
			    "member %.16s is not in the registry", peer ? peer : s->member);
		answer(r, CANVASS__STATUS__REJECTED, "submission refused");
		return;
	}
	snprintf(r->member, sizeof r->member, "%s", m->code);

	q = qset_find(in->qs, s->questionnaire, s->version);
	if (q == NULL) {
		if (qset_latest(in->qs, s->questionnaire) == NULL)
			verdict_add(&r->verdict, 0, "UNKNOWN_QUESTIONNAIRE", NULL,
				    "no questionnaire \"%.64s\"", s->questionnaire);
		else
			verdict_add(&r->verdict, 0, "UNKNOWN_VERSION", NULL,
				    "questionnaire %.64s has no version %u (latest is %u)",
				    s->questionnaire, s->version,
				    qset_latest(in->qs, s->questionnaire)->version);
		answer(r, CANVASS__STATUS__REJECTED, "submission refused");
		return;
	}
	check_cycle(in, s, now_ms, r);
	validate_submission(q, s, &r->verdict);
	if (r->verdict.errors > 0 && r->verdict.dropped > 0) {
		/* The reply lists at most VALIDATE_MAX_PROBLEMS: say how many are left out. */
		answer(r, CANVASS__STATUS__REJECTED,
		       "%zu problems, %zu listed and %zu more not listed; nothing was stored",
		       r->verdict.n + r->verdict.dropped, r->verdict.n, r->verdict.dropped);
		return;
	}
	if (r->verdict.errors > 0) {
		answer(r, CANVASS__STATUS__REJECTED, "%zu problem%s; nothing was stored",
		       r->verdict.errors, r->verdict.errors == 1 ? "" : "s");
		return;
	}
	/* A valid dry run goes to the aggregator too: only the store knows whether
	 * the return is approved (LOCKED), and the checks that need it. */
	/* Canonical content: the member is the authenticated one (r outlives s). */
	s->member = r->member;
	if (canon_pack(s, &r->content, &r->content_len, r->hash) != 0) {
		answer(r, CANVASS__STATUS__INTERNAL, "out of memory");
		return;
	}
	if (s->idempotency_key[0] != '\0')
		snprintf(r->key, sizeof r->key, "%s", s->idempotency_key);
	else
		cv_hex(r->hash, CV_HASH_LEN, r->key);

	canvass__store_request__init(&r->store);
	r->store.protocol_version = WIRE_PROTOCOL_VERSION;
	r->store.member = r->member;
	r->store.questionnaire = s->questionnaire;
	r->store.cycle = s->cycle;
	r->store.idempotency_key = r->key;
	r->store.content_hash.data = r->hash;
	r->store.content_hash.len = CV_HASH_LEN;
	r->store.submission.data = r->content;
	r->store.submission.len = r->content_len;
	r->store.received_at_ms = now_ms;
	r->store.late = r->late;
	r->store.dry_run = dry_run;
	if (q->n_store_checks > 0 && add_checks(in, q, s, r) != 0) {
		answer(r, CANVASS__STATUS__INTERNAL, "out of memory");
		return;
	}
	r->status = 0;
}
