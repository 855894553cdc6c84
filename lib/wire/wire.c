#include "wire.h"
#include "arena.h"
#include "error.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct wire_limits wire_default_limits = {
	.max_message = 256 * 1024,
	.max_answers = 1000,
	.max_string = 4000,
	.max_list = 100,
};

int wire_peek_version(const void *buf, size_t len, uint32_t *version)
{
	const uint8_t *p = buf;
	uint64_t v = 0;

	/* Field 1, wire type 0 (varint): tag byte 0x08. */
	if (len < 2 || p[0] != 0x08)
		return CV_EMALFORMED;
	for (size_t i = 1; i < len && i < 11; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * (i - 1));
		if ((p[i] & 0x80) == 0) {
			*version = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
			return 0;
		}
	}
	return CV_EMALFORMED;
}

static int decode_with(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
		       size_t max, int versioned, ProtobufCAllocator *alloc, ProtobufCMessage **out)
{
	ProtobufCMessage *m;
	uint32_t version;

	*out = NULL;
	if (len > max)
		return CV_ETOOBIG;
	if (versioned) {
		if (wire_peek_version(buf, len, &version) != 0)
			return CV_EMALFORMED;
		if (version != WIRE_PROTOCOL_VERSION)
			return CV_EVERSION;
	}
	m = protobuf_c_message_unpack(desc, alloc, len, buf);
	if (m == NULL)
		return CV_EMALFORMED;
	*out = m;
	return 0;
}

static int decode(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len, size_t max,
		  int versioned, ProtobufCMessage **out)
{
	return decode_with(desc, buf, len, max, versioned, NULL, out);
}

static int string_ok(const char *s, size_t max)
{
	return s == NULL || strnlen(s, max + 1) <= max;
}

static int check_request_limits(const Canvass__Request *r, const struct wire_limits *lim)
{
	const Canvass__Submission *s;

	if (r->body_case == CANVASS__REQUEST__BODY_STATUS ||
	    r->body_case == CANVASS__REQUEST__BODY_FETCH) {
		const Canvass__ReturnQuery *q =
			r->body_case == CANVASS__REQUEST__BODY_STATUS ? r->status : r->fetch;
		return string_ok(q->questionnaire, lim->max_string) &&
				       string_ok(q->cycle, lim->max_string)
			       ? 0
			       : CV_ETOOBIG;
	}
	if (r->body_case == CANVASS__REQUEST__BODY_SUBMIT)
		s = r->submit;
	else if (r->body_case == CANVASS__REQUEST__BODY_CHECK)
		s = r->check;
	else
		return 0;
	if (s->n_answers > lim->max_answers)
		return CV_ETOOBIG;
	if (!string_ok(s->questionnaire, lim->max_string) ||
	    !string_ok(s->cycle, lim->max_string) || !string_ok(s->member, lim->max_string) ||
	    !string_ok(s->idempotency_key, lim->max_string))
		return CV_ETOOBIG;
	for (size_t i = 0; i < s->n_answers; i++) {
		const Canvass__Answer *a = s->answers[i];
		if (!string_ok(a->question, lim->max_string))
			return CV_ETOOBIG;
		if (a->value_case == CANVASS__ANSWER__VALUE_TEXT &&
		    !string_ok(a->text, lim->max_string))
			return CV_ETOOBIG;
		if (a->value_case == CANVASS__ANSWER__VALUE_LIST) {
			if (a->list->n_items > lim->max_list)
				return CV_ETOOBIG;
			for (size_t j = 0; j < a->list->n_items; j++)
				if (!string_ok(a->list->items[j], lim->max_string))
					return CV_ETOOBIG;
		}
	}
	return 0;
}

static int check_strict(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
			size_t max_repeated, struct wire_fault *f);

static int decode_request(const void *buf, size_t len, const struct wire_limits *lim,
			  struct arena *a, Canvass__Request **out, struct wire_fault *fault_out)
{
	ProtobufCAllocator alloc;
	ProtobufCMessage *m = NULL;
	uint32_t version;
	int rc;

	if (fault_out != NULL)
		fault_out->code = NULL;
	*out = NULL;
	if (len > lim->max_message)
		return CV_ETOOBIG;
	/* Strict first, so that a refusal can say which field and why. */
	rc = wire_peek_version(buf, len, &version);
	if (rc == 0 && version == WIRE_PROTOCOL_VERSION) {
		/* No repeated field may exceed the larger of the answer and list caps. */
		size_t max = lim->max_answers > lim->max_list ? lim->max_answers : lim->max_list;
		rc = check_strict(&canvass__request__descriptor, buf, len, max, fault_out);
	}
	if (a != NULL)
		arena_allocator(a, &alloc);
	if (rc == 0)
		rc = decode_with(&canvass__request__descriptor, buf, len, lim->max_message, 1,
				 a != NULL ? &alloc : NULL, &m);
	if (rc != 0)
		return rc;
	*out = (Canvass__Request *)m;
	rc = check_request_limits(*out, lim);
	if (rc != 0) {
		if (a == NULL)
			WIRE_FREE(*out);
		*out = NULL;
	}
	return rc;
}

int wire_decode_request(const void *buf, size_t len, const struct wire_limits *lim,
			Canvass__Request **out, struct wire_fault *fault)
{
	return decode_request(buf, len, lim, NULL, out, fault);
}

int wire_decode_request_in(struct arena *a, const void *buf, size_t len,
			   const struct wire_limits *lim, Canvass__Request **out,
			   struct wire_fault *fault)
{
	return decode_request(buf, len, lim, a, out, fault);
}

int wire_decode_reply(const void *buf, size_t len, size_t max, Canvass__Reply **out)
{
	return decode(&canvass__reply__descriptor, buf, len, max, 1, (ProtobufCMessage **)out);
}

int wire_decode_store_request(const void *buf, size_t len, size_t max, Canvass__StoreRequest **out)
{
	return decode(&canvass__store_request__descriptor, buf, len, max, 1,
		      (ProtobufCMessage **)out);
}

int wire_decode_store_request_in(struct arena *a, const void *buf, size_t len, size_t max,
				 Canvass__StoreRequest **out)
{
	ProtobufCAllocator alloc;
	arena_allocator(a, &alloc);
	return decode_with(&canvass__store_request__descriptor, buf, len, max, 1, &alloc,
			   (ProtobufCMessage **)out);
}

int wire_decode_store_reply(const void *buf, size_t len, size_t max, Canvass__StoreReply **out)
{
	return decode(&canvass__store_reply__descriptor, buf, len, max, 1,
		      (ProtobufCMessage **)out);
}

/* A strictly checked, versioned message of the review link. */
static int decode_strict(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
			 size_t max, size_t max_repeated, ProtobufCMessage **out,
			 struct wire_fault *f)
{
	uint32_t version;
	int rc;

	*out = NULL;
	if (f != NULL)
		f->code = NULL;
	if (len > max)
		return CV_ETOOBIG;
	rc = wire_peek_version(buf, len, &version);
	if (rc == 0 && version == WIRE_PROTOCOL_VERSION)
		rc = check_strict(desc, buf, len, max_repeated, f);
	if (rc == 0)
		rc = decode(desc, buf, len, max, 1, out);
	return rc;
}

int wire_decode_review_request(const void *buf, size_t len, size_t max,
			       Canvass__ReviewRequest **out, struct wire_fault *f)
{
	return decode_strict(&canvass__review_request__descriptor, buf, len, max, 1000,
			     (ProtobufCMessage **)out, f);
}

int wire_decode_review_reply(const void *buf, size_t len, size_t max, Canvass__ReviewReply **out)
{
	return decode_strict(&canvass__review_reply__descriptor, buf, len, max, SIZE_MAX,
			     (ProtobufCMessage **)out, NULL);
}

int wire_decode_history(const void *buf, size_t len, Canvass__HistoryEntry **out)
{
	return decode(&canvass__history_entry__descriptor, buf, len, SIZE_MAX, 0,
		      (ProtobufCMessage **)out);
}

int wire_decode_submission(const void *buf, size_t len, size_t max, Canvass__Submission **out)
{
	return decode(&canvass__submission__descriptor, buf, len, max, 0, (ProtobufCMessage **)out);
}

void wire_free(ProtobufCMessage **msg)
{
	if (msg == NULL || *msg == NULL)
		return;
	protobuf_c_message_free_unpacked(*msg, NULL);
	*msg = NULL;
}

char *wire_string(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : (char *)(uintptr_t)protobuf_c_empty_string;
}

int wire_pack(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	if (buf == NULL)
		return CV_ENOMEM;
	*len = protobuf_c_message_pack(m, buf);
	*out = buf;
	return 0;
}

/* ------------------------------------------------------------- strictness */

#define STRICT_MAX_DEPTH  8
#define STRICT_MAX_FIELDS 64

/*
 * Where the scan is: the fields descended into, with their repetition
 * index. Formatted only when there is a fault, so that a valid message
 * costs no string work.
 */
struct strict_path {
	const ProtobufCFieldDescriptor *field[STRICT_MAX_DEPTH + 2];
	unsigned index[STRICT_MAX_DEPTH + 2];
	int n;
};

static void path_format(const struct strict_path *sp, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < sp->n && o < len; i++) {
		const ProtobufCFieldDescriptor *fd = sp->field[i];
		int w = fd->label == PROTOBUF_C_LABEL_REPEATED
				? snprintf(out + o, len - o, "%s%s[%u]", i ? "." : "", fd->name,
					   sp->index[i])
				: snprintf(out + o, len - o, "%s%s", i ? "." : "", fd->name);
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (out[0] == '\0')
		snprintf(out, len, "(message)");
}

static int fault(struct wire_fault *f, const char *code, const struct strict_path *sp,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fault(struct wire_fault *f, const char *code, const struct strict_path *sp,
		 const char *fmt, ...)
{
	va_list ap;

	if (f != NULL) {
		f->code = code;
		path_format(sp, f->where, sizeof f->where);
		va_start(ap, fmt);
		vsnprintf(f->what, sizeof f->what, fmt, ap);
		va_end(ap);
	}
	return CV_EMALFORMED;
}

/* Bytes of the varint at p (at most 10), or 0 when it runs past end or is too long. */
static size_t read_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (size_t i = 0; i < 10 && p + i < end; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if ((p[i] & 0x80) == 0) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

/* The wire type a field of this type is encoded with (unpacked). */
static unsigned wire_type_of(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: return 1;
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FLOAT: return 5;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE: return 2;
	default: return 0;
	}
}

static int strict_message(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
			  const uint8_t *end, struct strict_path *sp, size_t max_repeated,
			  struct wire_fault *f)
{
	unsigned seen[STRICT_MAX_FIELDS];
	/* The one-ofs given so far, by their shared case offset. */
	unsigned oneof_at[STRICT_MAX_FIELDS];
	size_t oneof_idx[STRICT_MAX_FIELDS], n_oneof = 0;

	memset(seen, 0,
	       (desc->n_fields < STRICT_MAX_FIELDS ? desc->n_fields : STRICT_MAX_FIELDS) *
		       sizeof seen[0]);
	if (sp->n > STRICT_MAX_DEPTH)
		return fault(f, "TOO_DEEP", sp, "messages nested more than %d deep",
			     STRICT_MAX_DEPTH);
	while (p < end) {
		const ProtobufCFieldDescriptor *fd;
		uint64_t tag, v;
		unsigned wt, want;
		size_t idx, k = read_varint(p, end, &tag);
		int rc = 0;

		if (k == 0 || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
			return fault(f, "TRUNCATED", sp, "a field tag is cut short or invalid");
		p += k;
		wt = (unsigned)(tag & 7);
		fd = protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3));
		if (fd == NULL)
			return fault(f, "UNKNOWN_FIELD", sp, "field %u is not in %s",
				     (unsigned)(tag >> 3), desc->short_name);
		idx = (size_t)(fd - desc->fields);
		/* From here on, faults are about this field. */
		sp->field[sp->n] = fd;
		sp->index[sp->n] = idx < STRICT_MAX_FIELDS ? seen[idx] : 0;
		sp->n++;
		want = wire_type_of(fd->type);
		if (wt != want)
			return fault(f, "WRONG_WIRE_TYPE", sp,
				     "sent with wire type %u; this field takes wire type %u", wt,
				     want);
		if (idx < STRICT_MAX_FIELDS) {
			/* Counted before anything is allocated: a flood of empty items is
			 * refused at the cost of the scan. */
			if (fd->label == PROTOBUF_C_LABEL_REPEATED && seen[idx] >= max_repeated)
				return CV_ETOOBIG;
			if (fd->label != PROTOBUF_C_LABEL_REPEATED && seen[idx] > 0)
				return fault(f, "REPEATED_FIELD", sp,
					     "a single field given more than once");
			if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
				/* Members of one oneof share their case offset. */
				for (size_t j = 0; j < n_oneof; j++)
					if (oneof_at[j] == fd->quantifier_offset)
						return fault(f, "REPEATED_FIELD", sp,
							     "a second value for the one-of that "
							     "already has %s",
							     desc->fields[oneof_idx[j]].name);
				oneof_at[n_oneof] = fd->quantifier_offset;
				oneof_idx[n_oneof++] = idx;
			}
			seen[idx]++;
		}
		switch (wt) {
		case 0:
			if ((k = read_varint(p, end, &v)) == 0)
				return fault(f, "TRUNCATED", sp, "the value is cut short");
			p += k;
			break;
		case 1:
		case 5:
			k = wt == 1 ? 8 : 4;
			if ((size_t)(end - p) < k)
				return fault(f, "TRUNCATED", sp, "the value is cut short");
			p += k;
			break;
		default:
			if ((k = read_varint(p, end, &v)) == 0 || v > (uint64_t)(end - p - k))
				return fault(f, "TRUNCATED", sp, "the value is cut short");
			p += k;
			if (fd->type == PROTOBUF_C_TYPE_STRING) {
				size_t at = 0;
				enum text_fault tf = text_check((const char *)p, (size_t)v, &at);
				if (tf != TEXT_OK)
					return fault(f, text_fault_code(tf), sp, "%s (at byte %zu)",
						     text_fault_words(tf), at);
			} else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
				rc = strict_message(fd->descriptor, p, p + v, sp, max_repeated, f);
				if (rc != 0)
					return rc;
			}
			p += v;
			break;
		}
		sp->n--;
	}
	return 0;
}

/* The strict scan, with a cap on the items of any repeated field (CV_ETOOBIG). */
static int check_strict(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
			size_t max_repeated, struct wire_fault *f)
{
	const uint8_t *p = buf;
	struct strict_path sp;

	sp.n = 0;
	return strict_message(desc, p, p + len, &sp, max_repeated, f);
}

int wire_check_strict(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
		      struct wire_fault *f)
{
	return check_strict(desc, buf, len, SIZE_MAX, f);
}

int wire_peek_request_id(const void *buf, size_t len, uint64_t *id)
{
	const uint8_t *p = buf, *end = p + len;

	/* Top-level fields in order, as far as they can be read. */
	while (p < end) {
		uint64_t tag, v;
		size_t k = read_varint(p, end, &tag);
		if (k == 0)
			return CV_EMALFORMED;
		p += k;
		switch (tag & 7) {
		case 0:
			if ((k = read_varint(p, end, &v)) == 0)
				return CV_EMALFORMED;
			if (tag == ((2u << 3) | 0)) {
				*id = v;
				return 0;
			}
			p += k;
			break;
		case 1: p += 8; break;
		case 5: p += 4; break;
		case 2:
			if ((k = read_varint(p, end, &v)) == 0 || v > (uint64_t)(end - p - k))
				return CV_EMALFORMED;
			p += k + v;
			break;
		default: return CV_EMALFORMED;
		}
	}
	return CV_ENOTFOUND;
}

const char *wire_status_name(int status)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&canvass__status__descriptor, status);
	return v != NULL ? v->name : "STATUS_UNKNOWN";
}

int wire_status_retryable(int status)
{
	return status == CANVASS__STATUS__BUSY || status == CANVASS__STATUS__UNAVAILABLE ||
	       status == CANVASS__STATUS__STORAGE_FULL || status == CANVASS__STATUS__INTERNAL;
}

const char *wire_return_state_name(int state)
{
	switch (state) {
	case CANVASS__RETURN_STATE__SUBMITTED: return "submitted";
	case CANVASS__RETURN_STATE__QUERIED: return "queried";
	case CANVASS__RETURN_STATE__APPROVED: return "approved";
	default: return "unknown";
	}
}

int wire_return_state_parse(const char *name)
{
	for (int s = CANVASS__RETURN_STATE__SUBMITTED; s <= CANVASS__RETURN_STATE__APPROVED; s++)
		if (strcmp(name, wire_return_state_name(s)) == 0)
			return s;
	return 0;
}

size_t wire_return_open_queries(const Canvass__ReturnStatus *st)
{
	size_t n = 0;
	for (size_t i = 0; i < st->n_queries; i++)
		n += st->queries[i]->closed_sequence == 0;
	return n;
}
