/*
 * fastload: the reports' in-place reading of stored entries against
 * protobuf-c, the reference. Random canonical submissions of every answer
 * kind (ids in the definition and not, texts with multi-byte UTF-8, lists,
 * specials, extreme numbers) must read back field for field; a review
 * entry is told apart; and for every prefix of an entry and every single
 * byte changed, the scanner either refuses or agrees with protobuf-c.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fastload.h"
#include "qdef.h"
#include "review.h"
#include "wire.h"

static const char *DEF =
	"{\"id\":\"t\",\"version\":3,\"title\":\"T\",\"sections\":[{\"id\":\"s\",\"title\":\"S\","
	"\"questions\":["
	"{\"id\":\"a_yes\",\"type\":\"yes_no\",\"text\":\"?\"},"
	"{\"id\":\"b_int\",\"type\":\"integer\",\"text\":\"?\"},"
	"{\"id\":\"c_num\",\"type\":\"number\",\"text\":\"?\"},"
	"{\"id\":\"d_text\",\"type\":\"text\",\"text\":\"?\"},"
	"{\"id\":\"e_multi\",\"type\":\"multi_choice\",\"text\":\"?\",\"options\":[{\"id\":\"x\","
	"\"label\":\"X\"},{\"id\":\"y\",\"label\":\"Y\"}]}]}]}";

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A canonical-ordered random submission (ids sorted, one answer per id). */
static Canvass__Submission *random_submission(Canvass__Answer *answers, Canvass__Answer **ptrs,
					      Canvass__StringList *lists, char *items[][3])
{
	static Canvass__Submission s;
	static const char *const ids[] = {"a_yes",  "b_int",   "c_num",
					  "d_text", "e_multi", "zz_unknown"};
	static const char *const texts[] = {
		"", "plain", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "tab\tnewline\n"};
	static const double numbers[] = {
		0.0, -0.0, 1e-308, -1.7976931348623157e308, 40.8, 4.9406564584124654e-324};
	size_t n = 0;

	canvass__submission__init(&s);
	s.questionnaire = (char *)"t";
	s.version = (uint32_t)(next() % 4);
	s.cycle = (char *)"2025";
	s.member = (char *)"KE";
	for (size_t i = 0; i < 6; i++) {
		Canvass__Answer *a = &answers[n];
		if (next() % 5 == 0)
			continue;
		canvass__answer__init(a);
		a->question = (char *)(uintptr_t)ids[i];
		switch (next() % 6) {
		case 0:
			a->value_case = CANVASS__ANSWER__VALUE_BOOLEAN;
			a->boolean = next() % 2;
			break;
		case 1:
			a->value_case = CANVASS__ANSWER__VALUE_INTEGER;
			a->integer = (int64_t)next();
			break;
		case 2:
			a->value_case = CANVASS__ANSWER__VALUE_NUMBER;
			a->number = numbers[next() % 6];
			break;
		case 3:
			a->value_case = CANVASS__ANSWER__VALUE_TEXT;
			a->text = (char *)(uintptr_t)texts[next() % 4];
			break;
		case 4:
			a->value_case = CANVASS__ANSWER__VALUE_LIST;
			canvass__string_list__init(&lists[n]);
			items[n][0] = (char *)"x";
			items[n][1] = (char *)"y";
			items[n][2] = (char *)"\xc3\xa9";
			lists[n].items = items[n];
			lists[n].n_items = next() % 4;
			a->list = &lists[n];
			break;
		default:
			a->value_case = CANVASS__ANSWER__VALUE_SPECIAL;
			a->special = 1 + next() % 2;
		}
		ptrs[n] = a;
		n++;
	}
	s.answers = ptrs;
	s.n_answers = n;
	return &s;
}

static uint8_t *entry_bytes(const Canvass__Submission *s, bool review, size_t *len)
{
	Canvass__HistoryEntry e = CANVASS__HISTORY_ENTRY__INIT;
	uint8_t *sub, *buf, hash[CV_HASH_LEN] = {1};
	size_t sn;

	assert_int_equal(wire_pack(&s->base, &sub, &sn), 0);
	e.sequence = next() % 1000000;
	e.revision = (uint32_t)(1 + next() % 9);
	e.member = (char *)"KE";
	e.questionnaire = (char *)"t";
	e.cycle = (char *)"2025";
	e.idempotency_key = (char *)"k";
	e.content_hash.data = hash;
	e.content_hash.len = CV_HASH_LEN;
	e.prev_chain_hash = e.content_hash;
	e.chain_hash = e.content_hash;
	e.received_at_ms = -5;
	e.stored_at_ms = 1796000000000 + (int64_t)(next() % 1000);
	e.late = next() % 2;
	e.previous_sequence = next() % 5;
	if (review) {
		e.review.data = sub;
		e.review.len = sn;
	} else {
		e.submission.data = sub;
		e.submission.len = sn;
	}
	assert_int_equal(wire_pack(&e.base, &buf, len), 0);
	free(sub);
	return buf;
}

static bool same_answer(const Canvass__Answer *x, const Canvass__Answer *y)
{
	if (strcmp(x->question, y->question) != 0 || x->value_case != y->value_case)
		return false;
	switch (x->value_case) {
	case CANVASS__ANSWER__VALUE_BOOLEAN: return x->boolean == y->boolean;
	case CANVASS__ANSWER__VALUE_INTEGER: return x->integer == y->integer;
	case CANVASS__ANSWER__VALUE_NUMBER: return memcmp(&x->number, &y->number, 8) == 0;
	case CANVASS__ANSWER__VALUE_TEXT: return strcmp(x->text, y->text) == 0;
	case CANVASS__ANSWER__VALUE_SPECIAL: return x->special == y->special;
	case CANVASS__ANSWER__VALUE_LIST:
		if (x->list->n_items != y->list->n_items)
			return false;
		for (size_t i = 0; i < x->list->n_items; i++)
			if (strcmp(x->list->items[i], y->list->items[i]) != 0)
				return false;
		return true;
	default: return true;
	}
}

/* The scanner's reading of buf equals protobuf-c's (which must decode it). */
static bool agrees(const uint8_t *buf, size_t len, const struct fast_entry *f)
{
	Canvass__HistoryEntry *e;
	Canvass__Submission *s = NULL;
	bool same;

	if (wire_decode_history(buf, len, &e) != 0)
		return false;
	same = f->sequence == e->sequence && f->revision == e->revision &&
	       f->stored_at_ms == e->stored_at_ms && f->late == e->late &&
	       strcmp(f->member, e->member) == 0 && f->review == (e->review.len > 0);
	if (same && !f->review) {
		same = wire_decode_submission(e->submission.data, e->submission.len, SIZE_MAX,
					      &s) == 0 &&
		       f->sub->version == s->version && f->sub->n_answers == s->n_answers &&
		       strcmp(f->sub->questionnaire, s->questionnaire) == 0 &&
		       strcmp(f->sub->cycle, s->cycle) == 0 &&
		       strcmp(f->sub->member, s->member) == 0;
		for (size_t i = 0; same && i < s->n_answers; i++)
			same = same_answer(f->sub->answers[i], s->answers[i]);
	}
	WIRE_FREE(s);
	WIRE_FREE(e);
	return same;
}

static void test_equals_protobuf_c(void **state)
{
	struct questionnaire *def = NULL;
	struct arena *a;
	char err[256];
	size_t interned = 0;
	(void)state;

	assert_int_equal(qdef_load_text("t", DEF, strlen(DEF), &def, err, sizeof err), 0);
	assert_int_equal(arena_open(&a), 0);
	for (int round = 0; round < 3000; round++) {
		Canvass__Answer answers[6], *ptrs[6];
		Canvass__StringList lists[6];
		char *items[6][3];
		Canvass__Submission *s = random_submission(answers, ptrs, lists, items);
		bool review = round % 50 == 0;
		size_t len;
		uint8_t *buf = entry_bytes(s, review, &len);
		struct fast_entry f;

		assert_int_equal(fast_history_entry(buf, len, def, a, &f), 0);
		assert_true(agrees(buf, len, &f));
		assert_int_equal(f.review, review);
		if (!review)
			for (size_t i = 0; i < f.sub->n_answers; i++)
				for (size_t k = 0; k < def->n_questions; k++)
					interned +=
						f.sub->answers[i]->question == def->by_id[k]->id;
		free(buf);
	}
	assert_true(interned > 3000); /* ids of the definition are not copied */
	arena_close(&a);
	qdef_free(&def);
}

/*
 * Truncated or altered bytes, read against the definition (its ids are
 * matched in place): refused, or read exactly as protobuf-c reads them.
 */
static void test_damaged_entries(void **state)
{
	struct questionnaire *def = NULL;
	struct arena *a;
	size_t refused = 0, read = 0;
	char err[256];
	(void)state;

	assert_int_equal(qdef_load_text("t", DEF, strlen(DEF), &def, err, sizeof err), 0);
	assert_int_equal(arena_open(&a), 0);
	for (int round = 0; round < 40; round++) {
		Canvass__Answer answers[6], *ptrs[6];
		Canvass__StringList lists[6];
		char *items[6][3];
		size_t len;
		uint8_t *buf =
			entry_bytes(random_submission(answers, ptrs, lists, items), false, &len);
		uint8_t *copy = malloc(len);
		for (size_t cut = 0; cut < len; cut++) {
			struct fast_entry f;
			if (fast_history_entry(buf, cut, def, a, &f) == 0) {
				assert_true(agrees(buf, cut, &f));
				read++;
			} else {
				refused++;
			}
		}
		for (size_t at = 0; at < len; at++) {
			struct fast_entry f;
			memcpy(copy, buf, len);
			copy[at] ^= (uint8_t)(1u << (next() % 8));
			if (fast_history_entry(copy, len, def, a, &f) == 0) {
				assert_true(agrees(copy, len, &f));
				read++;
			} else {
				refused++;
			}
		}
		free(copy);
		free(buf);
	}
	assert_true(refused > 0 && read > 0);
	arena_close(&a);
	qdef_free(&def);
}

/*
 * A stored question id that is a known id, a NUL, then more ("b_int\0zz"):
 * no id of the definition (which the comparison once read past the end
 * of), and an id with a NUL is refused as a whole.
 */
static void test_id_with_nul_after_a_known_id(void **state)
{
	struct questionnaire *def = NULL;
	struct arena *a;
	Canvass__Submission s = CANVASS__SUBMISSION__INIT;
	Canvass__Answer an = CANVASS__ANSWER__INIT, *ptr = &an;
	struct fast_entry f;
	char err[256];
	size_t len;
	uint8_t *buf, *at;
	(void)state;

	assert_int_equal(qdef_load_text("t", DEF, strlen(DEF), &def, err, sizeof err), 0);
	assert_int_equal(arena_open(&a), 0);
	s.questionnaire = (char *)"t";
	s.version = 3;
	s.cycle = (char *)"2025";
	s.member = (char *)"KE";
	an.question = (char *)"b_intXzz";
	an.value_case = CANVASS__ANSWER__VALUE_INTEGER;
	an.integer = 7;
	s.answers = &ptr;
	s.n_answers = 1;
	buf = entry_bytes(&s, false, &len);
	at = NULL;
	for (size_t i = 0; at == NULL && i + 8 <= len; i++)
		if (memcmp(buf + i, "b_intXzz", 8) == 0)
			at = buf + i;
	assert_non_null(at);
	assert_int_equal(fast_history_entry(buf, len, def, a, &f), 0); /* as it is: read */
	at[5] = '\0';
	assert_int_not_equal(fast_history_entry(buf, len, def, a, &f), 0);
	free(buf);
	arena_close(&a);
	qdef_free(&def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equals_protobuf_c),
		cmocka_unit_test(test_damaged_entries),
		cmocka_unit_test(test_id_with_nul_after_a_known_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
