#include "canon.h"
#include "error.h"
#include "wire.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: every integer up to it is exactly a double, and back. */
#define CANON_EXACT 9007199254740992.0

static void drop_unknown(ProtobufCMessage *m)
{
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		free(m->unknown_fields[i].data);
	free(m->unknown_fields);
	m->unknown_fields = NULL;
	m->n_unknown_fields = 0;
}

static int answer_cmp(const void *a, const void *b)
{
	const Canvass__Answer *x = *(Canvass__Answer *const *)a;
	const Canvass__Answer *y = *(Canvass__Answer *const *)b;
	return strcmp(x->question, y->question);
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void canon_answer(Canvass__Answer *a)
{
	drop_unknown(&a->base);
	if (a->value_case == CANVASS__ANSWER__VALUE_NUMBER && isfinite(a->number) &&
	    a->number == floor(a->number) && fabs(a->number) <= CANON_EXACT) {
		int64_t x = (int64_t)a->number; /* -0.0 becomes 0 */
		a->value_case = CANVASS__ANSWER__VALUE_INTEGER;
		a->integer = x;
	} else if (a->value_case == CANVASS__ANSWER__VALUE_LIST && a->list != NULL) {
		drop_unknown(&a->list->base);
		if (a->list->n_items > 1)
			qsort(a->list->items, a->list->n_items, sizeof a->list->items[0], item_cmp);
	}
}

int canon_submission(Canvass__Submission *s, const char **dup)
{
	bool sorted = true;

	drop_unknown(&s->base);
	for (size_t i = 0; i < s->n_answers; i++) {
		canon_answer(s->answers[i]);
		/* Members usually send them in order: then no sort. */
		if (i > 0 && sorted &&
		    strcmp(s->answers[i - 1]->question, s->answers[i]->question) >= 0)
			sorted = false;
	}
	if (sorted)
		return 0;
	qsort(s->answers, s->n_answers, sizeof s->answers[0], answer_cmp);
	for (size_t i = 1; i < s->n_answers; i++) {
		if (strcmp(s->answers[i - 1]->question, s->answers[i]->question) == 0) {
			if (dup != NULL)
				*dup = s->answers[i]->question;
			return CV_EINVAL;
		}
	}
	return 0;
}

int canon_pack(const Canvass__Submission *s, uint8_t **out, size_t *len, uint8_t hash[CV_HASH_LEN])
{
	/* A shallow copy shares every pointer with s; only the key differs. */
	Canvass__Submission c = *s;
	int rc;

	c.idempotency_key = (char *)"";
	rc = wire_pack(&c.base, out, len);
	if (rc == 0 && hash != NULL)
		cv_sha256(*out, *len, hash);
	return rc;
}

long canon_find_index(const Canvass__Submission *s, const char *question)
{
	size_t lo = 0, hi = s->n_answers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(question, s->answers[mid]->question);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

const Canvass__Answer *canon_find_answer(const Canvass__Submission *s, const char *question)
{
	long i = canon_find_index(s, question);
	return i < 0 ? NULL : s->answers[i];
}
