#include "wire.h"
#include "error.h"

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

static int decode(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len, size_t max,
		  int versioned, ProtobufCMessage **out)
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
	m = protobuf_c_message_unpack(desc, NULL, len, buf);
	if (m == NULL)
		return CV_EMALFORMED;
	*out = m;
	return 0;
}

static int string_ok(const char *s, size_t max)
{
	return s == NULL || strnlen(s, max + 1) <= max;
}

static int check_request_limits(const Canvass__Request *r, const struct wire_limits *lim)
{
	const Canvass__Submission *s;

	if (r->body_case != CANVASS__REQUEST__BODY_SUBMIT)
		return 0;
	s = r->submit;
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

int wire_decode_request(const void *buf, size_t len, const struct wire_limits *lim,
			Canvass__Request **out)
{
	ProtobufCMessage *m;
	int rc = decode(&canvass__request__descriptor, buf, len, lim->max_message, 1, &m);
	if (rc != 0) {
		*out = NULL;
		return rc;
	}
	*out = (Canvass__Request *)m;
	rc = check_request_limits(*out, lim);
	if (rc != 0)
		WIRE_FREE(*out);
	return rc;
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

int wire_decode_store_reply(const void *buf, size_t len, size_t max, Canvass__StoreReply **out)
{
	return decode(&canvass__store_reply__descriptor, buf, len, max, 1,
		      (ProtobufCMessage **)out);
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

static int answer_cmp(const void *a, const void *b)
{
	const Canvass__Answer *x = *(Canvass__Answer *const *)a;
	const Canvass__Answer *y = *(Canvass__Answer *const *)b;
	return strcmp(x->question, y->question);
}

int wire_canonicalize(Canvass__Submission *s, const char **dup)
{
	if (s->n_answers > 1)
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

int wire_pack_content(const Canvass__Submission *s, uint8_t **out, size_t *len,
		      uint8_t hash[CV_HASH_LEN])
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
