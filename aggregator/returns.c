#include "returns.h"
#include "error.h"
#include "log.h"
#include "wire.h"
#include "review.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dup_bytes(ProtobufCBinaryData *to, const ProtobufCBinaryData *from)
{
	to->len = 0;
	to->data = NULL;
	if (from->len == 0)
		return 0;
	if ((to->data = malloc(from->len)) == NULL)
		return CV_ENOMEM;
	memcpy(to->data, from->data, from->len);
	to->len = from->len;
	return 0;
}

/* A receipt (malloc'd) of a stored revision. */
static Canvass__Receipt *receipt_of(const Canvass__HistoryEntry *e)
{
	Canvass__Receipt *r = malloc(sizeof *r);
	if (r == NULL)
		return NULL;
	canvass__receipt__init(r);
	r->sequence = e->sequence;
	r->revision = e->revision;
	r->stored_at_ms = e->stored_at_ms;
	r->late = e->late;
	r->idempotency_key = wire_string(e->idempotency_key);
	r->member = wire_string(e->member);
	if (r->idempotency_key == NULL || r->member == NULL ||
	    dup_bytes(&r->content_hash, &e->content_hash) != 0 ||
	    dup_bytes(&r->chain_hash, &e->chain_hash) != 0) {
		canvass__receipt__free_unpacked(r, NULL);
		return NULL;
	}
	return r;
}

/* The status of one return (malloc'd), its latest revision at seq. */
static int status_of(struct store_view *v, const struct registry *reg, const char *q, const char *c,
		     const char *m, uint64_t seq, Canvass__ReturnStatus **out)
{
	Canvass__ReturnStatus *st = NULL;
	Canvass__HistoryEntry *e = NULL;
	int rc;

	*out = NULL;
	if ((rc = store_view_review(v, q, c, m, &st)) != 0)
		return rc;
	if (st == NULL && (st = review_new()) == NULL)
		return CV_ENOMEM;
	if ((rc = store_view_entry(v, seq, &e)) != 0) {
		review_free(&st);
		return rc == CV_ENOTFOUND ? CV_ECORRUPT : rc;
	}
	st->receipt = receipt_of(e);
	WIRE_FREE(e);
	st->questionnaire = wire_string(q);
	st->cycle = wire_string(c);
	st->member = wire_string(m);
	if (reg != NULL) {
		const struct member *mm = registry_find(reg, m);
		st->region = wire_string(mm != NULL ? mm->region : "");
	}
	if (st->receipt == NULL || st->questionnaire == NULL || st->cycle == NULL ||
	    st->member == NULL || st->region == NULL) {
		review_free(&st);
		return CV_ENOMEM;
	}
	*out = st;
	return 0;
}

/* Returns gathered by a walk of the current index. */
struct gather {
	struct store_view *v;
	const struct registry *reg;
	int state;          /* 0: any */
	const char *region; /* NULL or "": any */
	Canvass__ReturnStatus **items;
	size_t n, cap;
	int truncated;
};

static int gather_one(const char *q, const char *c, const char *m, uint64_t seq, uint32_t rev,
		      void *arg)
{
	struct gather *g = arg;
	Canvass__ReturnStatus *st;
	int rc;

	(void)rev;
	if (g->region != NULL && g->region[0] != '\0') {
		const struct member *mm = g->reg ? registry_find(g->reg, m) : NULL;
		if (mm == NULL || strcmp(mm->region, g->region) != 0)
			return 0;
	}
	if ((rc = status_of(g->v, g->reg, q, c, m, seq, &st)) != 0)
		return rc;
	if (g->state != 0 && (int)st->state != g->state) {
		review_free(&st);
		return 0;
	}
	if (g->n == REVIEW_MAX_RETURNS) {
		review_free(&st);
		g->truncated = 1;
		return 1;
	}
	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 16;
		Canvass__ReturnStatus **grown = realloc(g->items, ncap * sizeof *grown);
		if (grown == NULL) {
			review_free(&st);
			return CV_ENOMEM;
		}
		g->items = grown;
		g->cap = ncap;
	}
	g->items[g->n++] = st;
	return 0;
}

static void gather_free(struct gather *g)
{
	for (size_t i = 0; i < g->n; i++)
		review_free(&g->items[i]);
	free(g->items);
	g->items = NULL;
	g->n = 0;
}

int review_answer_read(struct store *s, const Canvass__StoreRequest *req, Canvass__StoreReply *rep)
{
	struct store_view *v = NULL;
	struct gather g = {0};
	char msg[256];
	int rc;

	if ((rc = store_view_open(s, &v)) != 0)
		return rc;
	g.v = v;
	if (req->read == CANVASS__READ_KIND__READ_FETCH) {
		Canvass__HistoryEntry *e = NULL;
		rc = store_view_current(v, req->questionnaire, req->cycle, req->member, &e);
		if (rc == CV_ENOTFOUND || rc == CV_EINVAL) {
			rep->status = CANVASS__STATUS__NOT_FOUND;
			snprintf(msg, sizeof msg, "no stored submission of %.16s for %.64s %.32s",
				 req->member, req->questionnaire, req->cycle);
			rep->message = strdup(msg);
			store_view_close(&v);
			return rep->message != NULL ? 0 : CV_ENOMEM;
		}
		if (rc == 0 && (rc = dup_bytes(&rep->submission, &e->submission)) == 0)
			rc = gather_one(req->questionnaire, req->cycle, req->member, e->sequence,
					e->revision, &g);
		WIRE_FREE(e);
	} else {
		rc = store_view_each_return(v, req->questionnaire, req->cycle, req->member,
					    gather_one, &g);
		if (rc == 1)
			rc = 0;
	}
	store_view_close(&v);
	if (rc != 0) {
		gather_free(&g);
		free(rep->submission.data);
		rep->submission.data = NULL;
		rep->submission.len = 0;
		return rc;
	}
	rep->status = CANVASS__STATUS__VALID;
	snprintf(msg, sizeof msg, "%zu return%s%s", g.n, g.n == 1 ? "" : "s",
		 g.truncated ? " (the first ones only: narrow by questionnaire or cycle)" : "");
	rep->message = strdup(msg);
	rep->returns = g.items;
	rep->n_returns = g.n;
	return rep->message != NULL ? 0 : CV_ENOMEM;
}

void review_read_clear(Canvass__StoreReply *rep)
{
	for (size_t i = 0; i < rep->n_returns; i++)
		review_free(&rep->returns[i]);
	free(rep->returns);
	rep->returns = NULL;
	rep->n_returns = 0;
	free(rep->submission.data);
	rep->submission.data = NULL;
	rep->submission.len = 0;
	if (rep->message != NULL && rep->message != protobuf_c_empty_string)
		free(rep->message);
	rep->message = NULL;
}

__attribute__((format(printf, 3, 4))) static void say(Canvass__ReviewReply *rep, int status,
						      const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	rep->status = status;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (rep->message != protobuf_c_empty_string)
		free(rep->message);
	rep->message = wire_string(msg);
}

/* show: the return, its revisions newest first (following previous_sequence), its answers. */
static int show(struct store_view *v, const struct registry *reg, const Canvass__ReturnRef *ref,
		Canvass__ReviewReply *rep)
{
	Canvass__HistoryEntry *e = NULL;
	Canvass__ReturnStatus *st = NULL;
	int rc = store_view_current(v, ref->questionnaire, ref->cycle, ref->member, &e);

	if (rc == CV_ENOTFOUND || rc == CV_EINVAL) {
		say(rep, CANVASS__STATUS__NOT_FOUND, "%.16s has no return for %.64s %.32s",
		    ref->member, ref->questionnaire, ref->cycle);
		return 0;
	}
	if (rc != 0)
		return rc;
	if ((rc = status_of(v, reg, ref->questionnaire, ref->cycle, ref->member, e->sequence,
			    &st)) != 0 ||
	    (rep->returns = malloc(sizeof *rep->returns)) == NULL) {
		review_free(&st);
		WIRE_FREE(e);
		return rc != 0 ? rc : CV_ENOMEM;
	}
	rep->returns[0] = st;
	rep->n_returns = 1;
	if (wire_decode_submission(e->submission.data, e->submission.len, SIZE_MAX,
				   &rep->submission) != 0) {
		WIRE_FREE(e);
		return CV_ECORRUPT;
	}
	while (e != NULL) {
		Canvass__Revision *r = malloc(sizeof *r), **grown;
		uint64_t prev = e->previous_sequence;
		if (r == NULL)
			rc = CV_ENOMEM;
		grown = r ? realloc(rep->revisions, (rep->n_revisions + 1) * sizeof *grown) : NULL;
		if (grown == NULL) {
			free(r);
			rc = CV_ENOMEM;
			break;
		}
		rep->revisions = grown;
		canvass__revision__init(r);
		rep->revisions[rep->n_revisions++] = r;
		r->revision = e->revision;
		r->sequence = e->sequence;
		r->stored_at_ms = e->stored_at_ms;
		r->late = e->late;
		r->idempotency_key = wire_string(e->idempotency_key);
		if (r->idempotency_key == NULL ||
		    dup_bytes(&r->content_hash, &e->content_hash) != 0) {
			rc = CV_ENOMEM;
			break;
		}
		WIRE_FREE(e);
		if (prev == 0)
			break;
		/* Only ever backwards, to a revision of the same return: a damaged
		 * previous_sequence (it is not chained) cannot make a loop. */
		if (prev >= r->sequence) {
			rc = CV_ECORRUPT;
			break;
		}
		if ((rc = store_view_entry(v, prev, &e)) != 0)
			break;
		if (e->review.len > 0 || strcmp(e->member, ref->member) != 0 ||
		    strcmp(e->questionnaire, ref->questionnaire) != 0 ||
		    strcmp(e->cycle, ref->cycle) != 0) {
			rc = CV_ECORRUPT;
			break;
		}
	}
	WIRE_FREE(e);
	if (rc != 0)
		return rc;
	say(rep, CANVASS__STATUS__VALID, "%s", wire_return_state_name(st->state));
	return 0;
}

static int list(struct store_view *v, const struct registry *reg, const Canvass__ReviewList *l,
		Canvass__ReviewReply *rep)
{
	struct gather g = {.v = v, .reg = reg, .state = l->state, .region = l->region};
	int rc;

	if (l->region[0] != '\0' && reg == NULL) {
		say(rep, CANVASS__STATUS__REJECTED,
		    "this aggregator has no registry setting: it cannot tell regions");
		return 0;
	}
	rc = store_view_each_return(v, l->questionnaire, l->cycle, NULL, gather_one, &g);
	if (rc == 1)
		rc = 0;
	if (rc != 0) {
		gather_free(&g);
		return rc;
	}
	rep->returns = g.items;
	rep->n_returns = g.n;
	say(rep, CANVASS__STATUS__VALID, "%zu return%s%s", g.n, g.n == 1 ? "" : "s",
	    g.truncated ? " (the first ones only)" : "");
	return 0;
}

/*
 * The questions an action names, each in the definition of the version the
 * return's latest revision answered (a query: any question; an exclude,
 * edit or restore: a shared one; an edit: a shared text the revision
 * answers, whose SHA-256 goes into hash): 0 (rep untouched), 1 (rep says
 * NOT_FOUND or MALFORMED), or a store error. Without a return,
 * store_review_act answers.
 */
static int questions_known(struct store *s, const struct qset *qs, const Canvass__ReviewAction *a,
			   Canvass__ReviewReply *rep, uint8_t hash[32])
{
	struct store_view *v = NULL;
	Canvass__HistoryEntry *e = NULL;
	Canvass__Submission *sub = NULL;
	const struct questionnaire *def;
	bool query = a->action == CANVASS__REVIEW_ACTION_KIND__QUERY;
	int rc = store_view_open(s, &v);

	if (rc != 0)
		return rc;
	rc = store_view_current(v, a->questionnaire, a->cycle, a->member, &e);
	store_view_close(&v);
	if (rc == CV_ENOTFOUND || rc == CV_EINVAL)
		return 0;
	if (rc != 0)
		return rc;
	if (wire_decode_submission(e->submission.data, e->submission.len, SIZE_MAX, &sub) != 0) {
		WIRE_FREE(e);
		return CV_ECORRUPT;
	}
	def = qset_find(qs, a->questionnaire, sub->version);
	rc = 0;
	if (def == NULL) {
		say(rep, CANVASS__STATUS__NOT_FOUND,
		    "no definition of %.64s version %u here: the questions cannot be checked",
		    a->questionnaire, sub->version);
		rc = 1;
	}
	for (size_t i = 0; rc == 0 && i < a->n_questions; i++) {
		const struct question *q = qdef_question(def, a->questions[i]);
		if (q == NULL || (!query && !q->share)) {
			say(rep, CANVASS__STATUS__NOT_FOUND,
			    "%.64s version %u has no %squestion %.64s", a->questionnaire,
			    sub->version, query ? "" : "shared ", a->questions[i]);
			rc = 1;
		} else if (a->action == CANVASS__REVIEW_ACTION_KIND__EDIT) {
			const Canvass__Answer *ans = NULL;
			for (size_t k = 0; k < sub->n_answers && ans == NULL; k++)
				if (strcmp(sub->answers[k]->question, q->id) == 0)
					ans = sub->answers[k];
			if (q->type != QT_TEXT) {
				say(rep, CANVASS__STATUS__MALFORMED,
				    "%.64s is not a text question: exclude it rather than edit it",
				    q->id);
				rc = 1;
			} else if (ans == NULL || ans->value_case != CANVASS__ANSWER__VALUE_TEXT) {
				say(rep, CANVASS__STATUS__NOT_FOUND,
				    "%.16s has no text answer to %.64s to edit", a->member, q->id);
				rc = 1;
			} else if (q->max_length > 0 && strlen(a->text) > q->max_length) {
				say(rep, CANVASS__STATUS__MALFORMED,
				    "the edited text is longer than %.64s allows (%zu bytes)",
				    q->id, q->max_length);
				rc = 1;
			} else {
				crypto_hash_sha256(hash, (const unsigned char *)ans->text,
						   strlen(ans->text));
			}
		}
	}
	WIRE_FREE(sub);
	WIRE_FREE(e);
	return rc;
}

/* 1 (rep says WRONG_STATE) when a's kind needs a revision and the cycle has closed. */
static int cycle_closed(const struct review_scope *sc, const Canvass__ReviewAction *a,
			Canvass__ReviewReply *rep)
{
	const struct cycle *cy = NULL;

	if ((a->action != CANVASS__REVIEW_ACTION_KIND__QUERY &&
	     a->action != CANVASS__REVIEW_ACTION_KIND__REOPEN) ||
	    sc->cycles == NULL ||
	    cycles_state(sc->cycles, a->questionnaire, a->cycle, sc->now_ms, &cy) != CYCLE_CLOSED)
		return 0;
	say(rep, CANVASS__STATUS__WRONG_STATE,
	    "the %.32s cycle of %.64s has closed: the member can no longer revise, so a %s "
	    "could never be answered (approve the return as it stands)",
	    a->cycle, a->questionnaire, review_action_name(a->action));
	return 1;
}

static int act(struct store *s, const struct review_scope *sc, const char *reviewer,
	       const Canvass__ReviewAction *in, Canvass__ReviewReply *rep, struct store_review *r)
{
	Canvass__ReviewAction a = *in;
	uint8_t hash[32];
	char why[160];
	int rc;

	a.reviewer = (char *)(uintptr_t)reviewer; /* the connection's, never the payload's */
	if (review_action_check(&a, why, sizeof why) != 0) {
		say(rep, CANVASS__STATUS__MALFORMED, "%s", why);
		return 0;
	}
	if (cycle_closed(sc, &a, rep))
		return 0;
	if (a.n_questions > 0 && sc->qs != NULL &&
	    (rc = questions_known(s, sc->qs, &a, rep, hash)) != 0)
		return rc == 1 ? 0 : rc;
	if (a.action == CANVASS__REVIEW_ACTION_KIND__EDIT) {
		if (sc->qs == NULL) {
			say(rep, CANVASS__STATUS__NOT_FOUND,
			    "no questionnaire definitions here: an edit cannot be checked");
			return 0;
		}
		a.answer_hash = (ProtobufCBinaryData){sizeof hash, hash};
	}
	r->action = &a;
	rc = store_review_act(s, r);
	r->action = NULL;
	if (rc == CV_EFULL || rc == CV_ENOSPC) {
		say(rep, CANVASS__STATUS__STORAGE_FULL, "the store is full; retry later");
		return rc;
	}
	if (rc == CV_EINVAL) {
		/* An action the store cannot key (review_action_check lets none by). */
		say(rep, CANVASS__STATUS__MALFORMED, "the action cannot be stored as it is");
		return 0;
	}
	if (rc != 0) {
		say(rep, CANVASS__STATUS__INTERNAL, "storage failed; retry later");
		return rc;
	}
	rep->status = r->status;
	if (r->status == CANVASS__STATUS__ACCEPTED || r->status == CANVASS__STATUS__DUPLICATE) {
		Canvass__Receipt *rc_ = malloc(sizeof *rc_);
		ProtobufCBinaryData chain = {CV_HASH_LEN, r->chain_hash};
		struct store_view *v = NULL;
		if (rc_ == NULL)
			return CV_ENOMEM;
		canvass__receipt__init(rc_);
		rep->receipt = rc_;
		rc_->sequence = r->sequence;
		rc_->revision = r->revision;
		rc_->stored_at_ms = r->stored_at_ms;
		rc_->idempotency_key = wire_string(in->action_id);
		rc_->member = wire_string(in->member);
		if (rc_->idempotency_key == NULL || rc_->member == NULL ||
		    dup_bytes(&rc_->chain_hash, &chain) != 0)
			return CV_ENOMEM;
		/* The return as it stands now, from a snapshot after the commit. */
		if (store_view_open(s, &v) == 0) {
			Canvass__HistoryEntry *cur = NULL;
			Canvass__ReturnStatus *st = NULL;
			if (store_view_current(v, in->questionnaire, in->cycle, in->member, &cur) ==
				    0 &&
			    status_of(v, sc->reg, in->questionnaire, in->cycle, in->member,
				      cur->sequence, &st) == 0 &&
			    (rep->returns = malloc(sizeof *rep->returns)) != NULL) {
				rep->returns[0] = st;
				rep->n_returns = 1;
			} else {
				review_free(&st);
			}
			WIRE_FREE(cur);
			store_view_close(&v);
		}
		say(rep, r->status,
		    r->status == CANVASS__STATUS__ACCEPTED
			    ? "%s stored; the return is %s"
			    : "%s was stored before under this action id; the return is %s",
		    review_action_name(in->action),
		    wire_return_state_name(rep->n_returns ? (int)rep->returns[0]->state : 0));
	} else {
		say(rep, r->status, "%s", r->why);
	}
	return 0;
}

int review_answer(struct store *s, const struct review_scope *sc, const char *reviewer,
		  const Canvass__ReviewRequest *req, Canvass__ReviewReply **out,
		  struct store_review *r)
{
	Canvass__ReviewReply *rep = malloc(sizeof *rep);
	struct store_view *v = NULL;
	int rc = 0;

	*out = rep;
	if (rep == NULL)
		return CV_ENOMEM;
	canvass__review_reply__init(rep);
	rep->protocol_version = WIRE_PROTOCOL_VERSION;
	rep->request_id = req->request_id;
	switch (req->body_case) {
	case CANVASS__REVIEW_REQUEST__BODY_ACT: return act(s, sc, reviewer, req->act, rep, r);
	case CANVASS__REVIEW_REQUEST__BODY_LIST:
	case CANVASS__REVIEW_REQUEST__BODY_SHOW:
		if ((rc = store_view_open(s, &v)) == 0) {
			rc = req->body_case == CANVASS__REVIEW_REQUEST__BODY_LIST
				     ? list(v, sc->reg, req->list, rep)
				     : show(v, sc->reg, req->show, rep);
			store_view_close(&v);
		}
		if (rc != 0) {
			canvass__review_reply__free_unpacked(rep, NULL);
			if ((*out = rep = malloc(sizeof *rep)) == NULL)
				return CV_ENOMEM;
			canvass__review_reply__init(rep);
			rep->protocol_version = WIRE_PROTOCOL_VERSION;
			rep->request_id = req->request_id;
			say(rep, CANVASS__STATUS__INTERNAL, "the store could not be read: %s",
			    cv_strerror(rc));
			log_event(LOG_WARN, "review_read_failed", "error=\"%s\"", cv_strerror(rc));
		}
		return 0;
	default: say(rep, CANVASS__STATUS__MALFORMED, "the request has no body"); return 0;
	}
}

int review_locked(struct store *s, const char *questionnaire, const char *cycle, const char *member)
{
	struct store_view *v = NULL;
	Canvass__ReturnStatus *st = NULL;
	int rc = store_view_open(s, &v);

	if (rc != 0)
		return rc;
	rc = store_view_review(v, questionnaire, cycle, member, &st);
	store_view_close(&v);
	if (rc != 0)
		return rc == CV_EINVAL ? 0 : rc;
	rc = st != NULL && st->state == CANVASS__RETURN_STATE__APPROVED;
	review_free(&st);
	return rc;
}
