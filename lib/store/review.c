#include "review.h"
#include "text.h"
#include "error.h"
#include "wire.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Canvass__ReturnStatus *review_new(void)
{
	Canvass__ReturnStatus *st = malloc(sizeof *st);
	if (st == NULL)
		return NULL;
	canvass__return_status__init(st);
	st->state = CANVASS__RETURN_STATE__SUBMITTED;
	return st;
}

Canvass__ReturnStatus *review_copy(const Canvass__ReturnStatus *st)
{
	size_t len = canvass__return_status__get_packed_size(st);
	uint8_t *buf = malloc(len ? len : 1);
	Canvass__ReturnStatus *copy = NULL;

	if (buf != NULL) {
		canvass__return_status__pack(st, buf);
		copy = canvass__return_status__unpack(NULL, len, buf);
	}
	free(buf);
	return copy;
}

void review_free(Canvass__ReturnStatus **st)
{
	if (st == NULL || *st == NULL)
		return;
	canvass__return_status__free_unpacked(*st, NULL);
	*st = NULL;
}

__attribute__((format(printf, 4, 5))) static int refuse(int status, char *why, size_t whylen,
							const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return status;
}

/* Closes the open queries at seq; answered_by: the revision, or 0 (an approval). */
static void close_open(Canvass__ReturnStatus *st, uint64_t seq, uint32_t answered_by)
{
	for (size_t i = 0; i < st->n_queries; i++)
		if (st->queries[i]->closed_sequence == 0) {
			st->queries[i]->closed_sequence = seq;
			st->queries[i]->answered_by_revision = answered_by;
		}
}

static int add_query(Canvass__ReturnStatus *st, const struct review_event *ev)
{
	const Canvass__ReviewAction *a = ev->action;
	Canvass__Query *q = malloc(sizeof *q), **grown;

	if (q == NULL)
		return CV_ENOMEM;
	canvass__query__init(q);
	q->sequence = ev->seq;
	q->at_ms = ev->at_ms;
	q->reviewer = wire_string(a->reviewer);
	q->comment = wire_string(a->comment);
	if (q->reviewer == NULL || q->comment == NULL)
		goto fail;
	if (a->n_questions > 0) {
		if ((q->questions = calloc(a->n_questions, sizeof *q->questions)) == NULL)
			goto fail;
		for (size_t i = 0; i < a->n_questions; i++) {
			if ((q->questions[i] = strdup(a->questions[i])) == NULL)
				goto fail;
			q->n_questions++;
		}
	}
	grown = realloc(st->queries, (st->n_queries + 1) * sizeof *grown);
	if (grown == NULL)
		goto fail;
	st->queries = grown;
	st->queries[st->n_queries++] = q;
	return 0;
fail:
	canvass__query__free_unpacked(q, NULL);
	return CV_ENOMEM;
}

/* The decision in force for question (NULL when none); its index in *at. */
static Canvass__Editorial *editorial_find(const Canvass__ReturnStatus *st, const char *question,
					  size_t *at)
{
	for (size_t i = 0; i < st->n_editorial; i++)
		if (strcmp(st->editorial[i]->question, question) == 0) {
			*at = i;
			return st->editorial[i];
		}
	return NULL;
}

static int editorial_cmp(const void *a, const void *b)
{
	return strcmp((*(Canvass__Editorial *const *)a)->question,
		      (*(Canvass__Editorial *const *)b)->question);
}

/*
 * The decision of an exclusion or an edit on question ("": the whole
 * return), replacing the one in force: an exclusion drops an edit, an edit
 * lifts an exclusion of that answer.
 */
static int editorial_set(Canvass__ReturnStatus *st, const struct review_event *ev,
			 const char *question)
{
	const Canvass__ReviewAction *a = ev->action;
	Canvass__Editorial *d = malloc(sizeof *d), **grown;
	size_t at;

	if (d == NULL)
		return CV_ENOMEM;
	canvass__editorial__init(d);
	d->question = wire_string(question);
	d->reviewer = wire_string(a->reviewer);
	d->comment = wire_string(a->comment);
	d->excluded = a->action == CANVASS__REVIEW_ACTION_KIND__EXCLUDE;
	d->text = wire_string(d->excluded ? "" : a->text);
	d->sequence = ev->seq;
	d->at_ms = ev->at_ms;
	if (d->question == NULL || d->reviewer == NULL || d->comment == NULL || d->text == NULL ||
	    (!d->excluded && a->answer_hash.len > 0 &&
	     (d->answer_hash.data = malloc(a->answer_hash.len)) == NULL))
		goto fail;
	if (!d->excluded && a->answer_hash.len > 0) {
		memcpy(d->answer_hash.data, a->answer_hash.data, a->answer_hash.len);
		d->answer_hash.len = a->answer_hash.len;
	}
	if (editorial_find(st, question, &at) != NULL) {
		canvass__editorial__free_unpacked(st->editorial[at], NULL);
		st->editorial[at] = d;
		return 0;
	}
	if ((grown = realloc(st->editorial, (st->n_editorial + 1) * sizeof *grown)) == NULL)
		goto fail;
	st->editorial = grown;
	st->editorial[st->n_editorial++] = d;
	qsort(st->editorial, st->n_editorial, sizeof *st->editorial, editorial_cmp);
	return 0;
fail:
	canvass__editorial__free_unpacked(d, NULL);
	return CV_ENOMEM;
}

/* A restore: the decisions on question withdrawn (NULL: every decision of the return). */
static void editorial_clear(Canvass__ReturnStatus *st, const char *question)
{
	size_t kept = 0;
	for (size_t i = 0; i < st->n_editorial; i++) {
		if (question == NULL || strcmp(st->editorial[i]->question, question) == 0)
			canvass__editorial__free_unpacked(st->editorial[i], NULL);
		else
			st->editorial[kept++] = st->editorial[i];
	}
	st->n_editorial = kept;
}

/*
 * The editorial actions: allowed in every state (a digest is made once
 * returns are approved, often after the cycle closed), they change no
 * state and close no query.
 */
static int editorial_step(Canvass__ReturnStatus *st, const struct review_event *ev)
{
	const Canvass__ReviewAction *a = ev->action;
	int rc = 0;

	if (a->action == CANVASS__REVIEW_ACTION_KIND__RESTORE) {
		if (a->n_questions == 0)
			editorial_clear(st, NULL);
		for (size_t i = 0; i < a->n_questions; i++)
			editorial_clear(st, a->questions[i]);
		return 0;
	}
	if (a->n_questions == 0)
		return editorial_set(st, ev, "");
	for (size_t i = 0; rc == 0 && i < a->n_questions; i++)
		rc = editorial_set(st, ev, a->questions[i]);
	return rc;
}

int review_step(Canvass__ReturnStatus *st, const struct review_event *ev, char *why, size_t whylen)
{
	int state = st->state;

	if (ev->kind == REVIEW_EV_REVISION) {
		if (state == CANVASS__RETURN_STATE__APPROVED)
			return refuse(CANVASS__STATUS__LOCKED, why, whylen,
				      "the return is approved and locked: the Secretariat must "
				      "reopen it before a revision");
		close_open(st, ev->seq, ev->revision);
		st->state = CANVASS__RETURN_STATE__SUBMITTED;
		return 0;
	}
	switch (ev->action->action) {
	case CANVASS__REVIEW_ACTION_KIND__QUERY:
		if (state == CANVASS__RETURN_STATE__APPROVED)
			return refuse(CANVASS__STATUS__WRONG_STATE, why, whylen,
				      "the return is approved: reopen it before querying it");
		if (add_query(st, ev) != 0)
			return CV_ENOMEM;
		st->state = CANVASS__RETURN_STATE__QUERIED;
		break;
	case CANVASS__REVIEW_ACTION_KIND__APPROVE:
		if (state == CANVASS__RETURN_STATE__APPROVED)
			return refuse(CANVASS__STATUS__WRONG_STATE, why, whylen,
				      "the return is approved already");
		close_open(st, ev->seq, 0);
		st->state = CANVASS__RETURN_STATE__APPROVED;
		break;
	case CANVASS__REVIEW_ACTION_KIND__REOPEN:
		if (state != CANVASS__RETURN_STATE__APPROVED)
			return refuse(CANVASS__STATUS__WRONG_STATE, why, whylen,
				      "only an approved return can be reopened; this one is %s",
				      wire_return_state_name(state));
		st->state = CANVASS__RETURN_STATE__SUBMITTED;
		break;
	case CANVASS__REVIEW_ACTION_KIND__EXCLUDE:
	case CANVASS__REVIEW_ACTION_KIND__EDIT:
	case CANVASS__REVIEW_ACTION_KIND__RESTORE:
		return editorial_step(st, ev) != 0 ? CV_ENOMEM : 0;
	default: return refuse(CANVASS__STATUS__WRONG_STATE, why, whylen, "unknown action");
	}
	st->state_sequence = ev->seq;
	return 0;
}

int review_action_check(const Canvass__ReviewAction *a, char *why, size_t whylen)
{
	bool edit = a->action == CANVASS__REVIEW_ACTION_KIND__EDIT;

	if (a->action < CANVASS__REVIEW_ACTION_KIND__QUERY ||
	    a->action > CANVASS__REVIEW_ACTION_KIND__RESTORE)
		return refuse(CV_EINVAL, why, whylen,
			      "action must be query, approve, reopen, exclude, edit or restore");
	/* The identifier rules of a submission (docs/protocol.md "Strings"). */
	if (!text_id_ok(ID_NAME, a->questionnaire))
		return refuse(CV_EINVAL, why, whylen, "questionnaire: %s", text_id_rule(ID_NAME));
	if (!text_id_ok(ID_CYCLE, a->cycle))
		return refuse(CV_EINVAL, why, whylen, "cycle: %s", text_id_rule(ID_CYCLE));
	if (!text_id_ok(ID_MEMBER, a->member))
		return refuse(CV_EINVAL, why, whylen, "member: %s", text_id_rule(ID_MEMBER));
	if (!text_id_ok(ID_KEY, a->action_id))
		return refuse(CV_EINVAL, why, whylen, "action_id: %s", text_id_rule(ID_KEY));
	if (strlen(a->comment) > REVIEW_MAX_COMMENT)
		return refuse(CV_EINVAL, why, whylen, "comment: at most %d bytes",
			      REVIEW_MAX_COMMENT);
	if ((a->action == CANVASS__REVIEW_ACTION_KIND__QUERY ||
	     a->action == CANVASS__REVIEW_ACTION_KIND__EXCLUDE || edit) &&
	    a->comment[0] == '\0')
		return refuse(CV_EINVAL, why, whylen, "%s needs a comment",
			      a->action == CANVASS__REVIEW_ACTION_KIND__QUERY ? "a query"
			      : edit                                          ? "an edit"
									      : "an exclude");
	if (a->n_questions > REVIEW_MAX_QUESTIONS)
		return refuse(CV_EINVAL, why, whylen, "at most %d question ids",
			      REVIEW_MAX_QUESTIONS);
	if (a->n_questions > 0 && (a->action == CANVASS__REVIEW_ACTION_KIND__APPROVE ||
				   a->action == CANVASS__REVIEW_ACTION_KIND__REOPEN))
		return refuse(CV_EINVAL, why, whylen,
			      "only a query, an exclude, an edit or a restore names questions");
	if (edit && (a->n_questions != 1 || a->text[0] == '\0'))
		return refuse(CV_EINVAL, why, whylen,
			      "an edit names one question and gives its new text");
	if (!edit && (a->text[0] != '\0' || a->answer_hash.len > 0))
		return refuse(CV_EINVAL, why, whylen, "only an edit gives a text");
	if (strlen(a->text) > REVIEW_MAX_TEXT)
		return refuse(CV_EINVAL, why, whylen, "text: at most %d bytes", REVIEW_MAX_TEXT);
	if (a->answer_hash.len != 0 && a->answer_hash.len != 32)
		return refuse(CV_EINVAL, why, whylen, "answer_hash: 32 bytes");
	for (size_t i = 0; i < a->n_questions; i++)
		if (!text_id_ok(ID_NAME, a->questions[i]))
			return refuse(CV_EINVAL, why, whylen, "question ids: %s",
				      text_id_rule(ID_NAME));
	return 0;
}

const char *review_action_name(int kind)
{
	switch (kind) {
	case CANVASS__REVIEW_ACTION_KIND__QUERY: return "query";
	case CANVASS__REVIEW_ACTION_KIND__APPROVE: return "approve";
	case CANVASS__REVIEW_ACTION_KIND__REOPEN: return "reopen";
	case CANVASS__REVIEW_ACTION_KIND__EXCLUDE: return "exclude";
	case CANVASS__REVIEW_ACTION_KIND__EDIT: return "edit";
	case CANVASS__REVIEW_ACTION_KIND__RESTORE: return "restore";
	default: return "unknown";
	}
}

void review_content_hash(const uint8_t *packed, size_t len, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)REVIEW_HASH_DOMAIN,
				  REVIEW_HASH_DOMAIN_LEN);
	crypto_hash_sha256_update(&st, packed, len);
	crypto_hash_sha256_final(&st, out);
}

/* ------------------------------------------------------------ replay */

struct replay_slot {
	char *key; /* "q\0c\0m" with its length; NULL: empty */
	size_t len;
	Canvass__ReturnStatus *st;
};

struct review_replay {
	struct replay_slot *slots;
	size_t cap, n; /* cap: a power of two */
};

static uint64_t fnv1a(const char *k, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)k[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* "q\0c\0m" into buf (REVIEW_KEY_MAX); its length, or 0 when too long. */
#define REVIEW_KEY_MAX 512
static size_t make_key(char *buf, const char *q, const char *c, const char *m)
{
	size_t lq = strlen(q), lc = strlen(c), lm = strlen(m);
	if (lq + lc + lm + 2 > REVIEW_KEY_MAX)
		return 0;
	memcpy(buf, q, lq + 1);
	memcpy(buf + lq + 1, c, lc + 1);
	memcpy(buf + lq + lc + 2, m, lm);
	return lq + lc + lm + 2;
}

static struct replay_slot *find_slot(struct replay_slot *slots, size_t cap, const char *key,
				     size_t len)
{
	size_t i = (size_t)fnv1a(key, len) & (cap - 1);
	while (slots[i].key != NULL && (slots[i].len != len || memcmp(slots[i].key, key, len) != 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

int review_replay_open(struct review_replay **out)
{
	struct review_replay *r = calloc(1, sizeof *r);
	*out = NULL;
	if (r == NULL || (r->slots = calloc(64, sizeof *r->slots)) == NULL) {
		free(r);
		return CV_ENOMEM;
	}
	r->cap = 64;
	*out = r;
	return 0;
}

void review_replay_close(struct review_replay **rp)
{
	struct review_replay *r;
	if (rp == NULL || *rp == NULL)
		return;
	r = *rp;
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].key != NULL) {
			free(r->slots[i].key);
			review_free(&r->slots[i].st);
		}
	free(r->slots);
	free(r);
	*rp = NULL;
}

static int grow_replay(struct review_replay *r)
{
	size_t ncap = r->cap * 2;
	struct replay_slot *ns = calloc(ncap, sizeof *ns);
	if (ns == NULL)
		return CV_ENOMEM;
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].key != NULL)
			*find_slot(ns, ncap, r->slots[i].key, r->slots[i].len) = r->slots[i];
	free(r->slots);
	r->slots = ns;
	r->cap = ncap;
	return 0;
}

int review_replay_entry(struct review_replay *r, const Canvass__HistoryEntry *e, char *why,
			size_t whylen)
{
	char key[REVIEW_KEY_MAX];
	size_t len = make_key(key, e->questionnaire, e->cycle, e->member);
	struct replay_slot *slot;
	Canvass__ReviewAction *a = NULL;
	struct review_event ev = {.seq = e->sequence, .at_ms = e->stored_at_ms};
	char inner[160];
	int rc;

	if (len == 0)
		return refuse(CV_ECORRUPT, why, whylen, "key too long");
	slot = find_slot(r->slots, r->cap, key, len);
	if (e->review.len == 0) {
		if (slot->key == NULL)
			return 0; /* a return without actions: nothing to replay */
		ev.kind = REVIEW_EV_REVISION;
		ev.revision = e->revision;
	} else {
		a = canvass__review_action__unpack(NULL, e->review.len, e->review.data);
		if (a == NULL)
			return refuse(CV_ECORRUPT, why, whylen,
				      "the review action does not decode");
		ev.kind = REVIEW_EV_ACTION;
		ev.action = a;
		if (slot->key == NULL) {
			if (r->n + 1 > r->cap / 2) {
				if ((rc = grow_replay(r)) != 0) {
					canvass__review_action__free_unpacked(a, NULL);
					return rc;
				}
				slot = find_slot(r->slots, r->cap, key, len);
			}
			if ((slot->key = malloc(len)) == NULL ||
			    (slot->st = review_new()) == NULL) {
				free(slot->key);
				slot->key = NULL;
				canvass__review_action__free_unpacked(a, NULL);
				return CV_ENOMEM;
			}
			memcpy(slot->key, key, len);
			slot->len = len;
			r->n++;
		}
	}
	rc = review_step(slot->st, &ev, inner, sizeof inner);
	if (a != NULL)
		canvass__review_action__free_unpacked(a, NULL);
	if (rc > 0)
		return refuse(CV_ECORRUPT, why, whylen,
			      "sequence %llu is not a step its state allows: %s",
			      (unsigned long long)e->sequence, inner);
	return rc;
}

const Canvass__ReturnStatus *review_replay_get(const struct review_replay *r,
					       const char *questionnaire, const char *cycle,
					       const char *member)
{
	char key[REVIEW_KEY_MAX];
	size_t len = make_key(key, questionnaire, cycle, member);
	const struct replay_slot *slot;
	if (len == 0)
		return NULL;
	slot = find_slot(r->slots, r->cap, key, len);
	return slot->key != NULL ? slot->st : NULL;
}

int review_replay_each(const struct review_replay *r,
		       int (*fn)(const char *questionnaire, const char *cycle, const char *member,
				 const Canvass__ReturnStatus *st, void *arg),
		       void *arg)
{
	for (size_t i = 0; i < r->cap; i++) {
		const struct replay_slot *s = &r->slots[i];
		char key[REVIEW_KEY_MAX + 1];
		const char *c, *m;
		int rc;
		if (s->key == NULL)
			continue;
		memcpy(key, s->key, s->len);
		key[s->len] = '\0';
		c = key + strlen(key) + 1;
		m = c + strlen(c) + 1;
		if ((rc = fn(key, c, m, s->st, arg)) != 0)
			return rc;
	}
	return 0;
}

size_t review_replay_count(const struct review_replay *r)
{
	return r->n;
}
