#include "fastload.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ wire */

struct rd {
	const uint8_t *p, *end;
};

static int varint(struct rd *r, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;
		if (r->p >= r->end)
			return -1;
		b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* A length-delimited field's bytes. */
static int bytes(struct rd *r, const uint8_t **p, size_t *n)
{
	uint64_t len;
	if (varint(r, &len) != 0 || len > (uint64_t)(r->end - r->p))
		return -1;
	*p = r->p;
	*n = (size_t)len;
	r->p += len;
	return 0;
}

static int fixed64(struct rd *r, uint64_t *out)
{
	uint64_t v = 0;
	if (r->end - r->p < 8)
		return -1;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | r->p[i];
	r->p += 8;
	*out = v;
	return 0;
}

/* A NUL-terminated copy of a string field in the arena (NULL: a NUL inside, or no memory). */
static char *str(struct arena *a, const uint8_t *p, size_t n)
{
	char *s;
	if (memchr(p, 0, n) != NULL || (s = arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * id (NUL-terminated) against the n bytes at p, byte for byte: <0, 0, >0
 * as strcmp orders them. Bytes with a NUL inside never equal an id, and
 * nothing past either end is read.
 */
static int id_cmp(const char *id, size_t len, const uint8_t *p, size_t n)
{
	int c = memcmp(id, p, len < n ? len : n);
	if (c != 0)
		return c;
	return len < n ? -1 : len > n;
}

/*
 * The definition's own id for these bytes, or an arena copy. *hint: where
 * the previous answer's id was found; a canonical submission's ids come in
 * order, so the next one is usually right after it.
 */
static char *question_id(const struct questionnaire *def, struct arena *a, const uint8_t *p,
			 size_t n, size_t *hint)
{
	size_t lo = 0, hi = def != NULL ? def->n_questions : 0;
	for (size_t k = *hint; k < hi && k < *hint + 2; k++) {
		int c = id_cmp(def->by_id[k]->id, def->by_id[k]->id_len, p, n);
		if (c == 0) {
			*hint = k + 1;
			return (char *)(uintptr_t)def->by_id[k]->id;
		}
		if (c > 0)
			break;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *id = def->by_id[mid]->id;
		int c = id_cmp(id, def->by_id[mid]->id_len, p, n);
		if (c == 0) {
			*hint = mid + 1;
			return (char *)(uintptr_t)id;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return str(a, p, n);
}

#define TAG(field, wt) (((uint64_t)(field) << 3) | (wt))

static int string_list(struct arena *a, const uint8_t *p, size_t n, Canvass__StringList **out)
{
	struct rd r = {p, p + n};
	Canvass__StringList *l = arena_alloc(a, sizeof *l);
	size_t count = 0;
	uint64_t tag;

	if (l == NULL)
		return CV_ENOMEM;
	canvass__string_list__init(l);
	/* Count first: one array of the right size. */
	while (r.p < r.end) {
		const uint8_t *s;
		size_t sn;
		if (varint(&r, &tag) != 0 || tag != TAG(1, 2) || bytes(&r, &s, &sn) != 0)
			return CV_EMALFORMED;
		count++;
	}
	if (count > 0 && (l->items = arena_alloc(a, count * sizeof *l->items)) == NULL)
		return CV_ENOMEM;
	r.p = p;
	while (r.p < r.end) {
		const uint8_t *s = NULL;
		size_t sn = 0;
		if (varint(&r, &tag) != 0 || bytes(&r, &s, &sn) != 0 ||
		    (l->items[l->n_items++] = str(a, s, sn)) == NULL)
			return CV_EMALFORMED;
	}
	*out = l;
	return 0;
}

static int answer(const struct questionnaire *def, struct arena *a, const uint8_t *p, size_t n,
		  Canvass__Answer *ans, size_t *hint)
{
	struct rd r = {p, p + n};
	int rc;

	canvass__answer__init(ans);
	while (r.p < r.end) {
		uint64_t tag, v;
		const uint8_t *s;
		size_t sn;
		if (varint(&r, &tag) != 0)
			return CV_EMALFORMED;
		switch (tag) {
		case TAG(1, 2):
			if (bytes(&r, &s, &sn) != 0 ||
			    (ans->question = question_id(def, a, s, sn, hint)) == NULL)
				return CV_EMALFORMED;
			break;
		case TAG(2, 0):
			if (varint(&r, &v) != 0)
				return CV_EMALFORMED;
			ans->value_case = CANVASS__ANSWER__VALUE_BOOLEAN;
			ans->boolean = v != 0;
			break;
		case TAG(3, 0):
			if (varint(&r, &v) != 0)
				return CV_EMALFORMED;
			ans->value_case = CANVASS__ANSWER__VALUE_INTEGER;
			ans->integer = (int64_t)(v >> 1) ^ -(int64_t)(v & 1); /* zigzag */
			break;
		case TAG(4, 1):
			if (fixed64(&r, &v) != 0)
				return CV_EMALFORMED;
			ans->value_case = CANVASS__ANSWER__VALUE_NUMBER;
			memcpy(&ans->number, &v, sizeof v);
			break;
		case TAG(5, 2):
			if (bytes(&r, &s, &sn) != 0 || (ans->text = str(a, s, sn)) == NULL)
				return CV_EMALFORMED;
			ans->value_case = CANVASS__ANSWER__VALUE_TEXT;
			break;
		case TAG(6, 2):
			if (bytes(&r, &s, &sn) != 0 ||
			    (rc = string_list(a, s, sn, &ans->list)) != 0)
				return CV_EMALFORMED;
			ans->value_case = CANVASS__ANSWER__VALUE_LIST;
			break;
		case TAG(7, 0):
			if (varint(&r, &v) != 0 || v > CANVASS__SPECIAL__DONT_KNOW)
				return CV_EMALFORMED;
			ans->value_case = CANVASS__ANSWER__VALUE_SPECIAL;
			ans->special = (Canvass__Special)v;
			break;
		default: return CV_EMALFORMED; /* anything else: protobuf-c decides */
		}
	}
	return 0;
}

static int submission(const struct questionnaire *def, struct arena *a, const uint8_t *p, size_t n,
		      Canvass__Submission **out)
{
	struct rd r = {p, p + n};
	Canvass__Submission *sub = arena_alloc(a, sizeof *sub);
	size_t count = 0, hint = 0;
	uint64_t tag, v;
	const uint8_t *s = NULL;
	size_t sn = 0;

	if (sub == NULL)
		return CV_ENOMEM;
	canvass__submission__init(sub);
	/* First pass: the number of answers, and that every field is one we read. */
	while (r.p < r.end) {
		if (varint(&r, &tag) != 0)
			return CV_EMALFORMED;
		if (tag == TAG(2, 0)) {
			if (varint(&r, &v) != 0 || v > UINT32_MAX)
				return CV_EMALFORMED;
		} else if (tag == TAG(1, 2) || tag == TAG(3, 2) || tag == TAG(4, 2) ||
			   tag == TAG(5, 2) || tag == TAG(6, 2)) {
			if (bytes(&r, &s, &sn) != 0)
				return CV_EMALFORMED;
			count += tag == TAG(6, 2);
		} else {
			return CV_EMALFORMED;
		}
	}
	if (count > 0 && ((sub->answers = arena_alloc(a, count * sizeof *sub->answers)) == NULL))
		return CV_ENOMEM;
	{
		Canvass__Answer *slab = count ? arena_alloc(a, count * sizeof *slab) : NULL;
		if (count > 0 && slab == NULL)
			return CV_ENOMEM;
		r.p = p;
		while (r.p < r.end) {
			char **field = NULL;
			s = NULL;
			sn = 0;
			if (varint(&r, &tag) != 0)
				return CV_EMALFORMED;
			if (tag == TAG(2, 0)) {
				if (varint(&r, &v) != 0)
					return CV_EMALFORMED;
				sub->version = (uint32_t)v;
				continue;
			}
			if (bytes(&r, &s, &sn) != 0)
				return CV_EMALFORMED;
			switch (tag) {
			case TAG(1, 2): field = &sub->questionnaire; break;
			case TAG(3, 2): field = &sub->cycle; break;
			case TAG(4, 2): field = &sub->member; break;
			case TAG(5, 2): field = &sub->idempotency_key; break;
			default: {
				Canvass__Answer *ans = &slab[sub->n_answers];
				int rc = answer(def, a, s, sn, ans, &hint);
				if (rc != 0)
					return rc;
				sub->answers[sub->n_answers++] = ans;
				continue;
			}
			}
			if ((*field = str(a, s, sn)) == NULL)
				return CV_EMALFORMED;
		}
	}
	*out = sub;
	return 0;
}

int fast_history_entry(const uint8_t *buf, size_t len, const struct questionnaire *def,
		       struct arena *a, struct fast_entry *out)
{
	struct rd r = {buf, buf + len};
	const uint8_t *sub_p = NULL;
	size_t sub_n = 0;

	memset(out, 0, sizeof *out);
	while (r.p < r.end) {
		uint64_t tag, v;
		const uint8_t *s;
		size_t sn;
		if (varint(&r, &tag) != 0)
			return CV_EMALFORMED;
		switch (tag & 7) {
		case 0:
			if (varint(&r, &v) != 0)
				return CV_EMALFORMED;
			switch (tag >> 3) {
			case 1: out->sequence = v; break;
			case 2:
				if (v > UINT32_MAX)
					return CV_EMALFORMED;
				out->revision = (uint32_t)v;
				break;
			case 10: break; /* received_at_ms */
			case 11: out->stored_at_ms = (int64_t)v; break;
			case 13: out->late = v != 0; break;
			case 15: break; /* previous_sequence */
			default: return CV_EMALFORMED;
			}
			break;
		case 2:
			if (bytes(&r, &s, &sn) != 0)
				return CV_EMALFORMED;
			switch (tag >> 3) {
			case 3:
				if ((out->member = str(a, s, sn)) == NULL)
					return CV_EMALFORMED;
				break;
			case 4:
			case 5:
			case 6:
			case 7:
			case 8:
			case 9: break;
			case 12:
				sub_p = s;
				sub_n = sn;
				break;
			case 14: out->review = sn > 0; break;
			default: return CV_EMALFORMED;
			}
			break;
		default: return CV_EMALFORMED;
		}
	}
	if (out->member == NULL && (out->member = str(a, (const uint8_t *)"", 0)) == NULL)
		return CV_ENOMEM;
	if (out->review)
		return 0;
	return submission(def, a, sub_p != NULL ? sub_p : (const uint8_t *)"", sub_n, &out->sub);
}
