/*
 * wire.h - encoding and decoding of canvass messages (proto/canvass.proto).
 *
 * Every decoder checks the size before decoding and the protocol version
 * before trusting the layout: a frame larger than its limit is CV_ETOOBIG,
 * a version other than WIRE_PROTOCOL_VERSION is CV_EVERSION, bytes that
 * are not the message are CV_EMALFORMED. Decoded messages belong to the
 * caller and are freed with wire_free() (NULL-safe).
 */
#ifndef CANVASS_WIRE_H
#define CANVASS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "canvass.pb-c.h"
#include "util.h"

struct arena;

#define WIRE_PROTOCOL_VERSION 1u

/* Explicit caps on what a peer may send. */
struct wire_limits {
	size_t max_message; /* bytes in one frame */
	size_t max_answers; /* answers in one submission */
	size_t max_string;  /* bytes in any id or text */
	size_t max_list;    /* items in a multiple-choice answer */
};

/* Defaults: 256 KiB, 1000 answers, 4000-byte strings, 100 list items. */
extern const struct wire_limits wire_default_limits;

/*
 * Reads protocol_version from the first field of a top-level message
 * without decoding the rest. Returns CV_EMALFORMED when absent.
 */
int wire_peek_version(const void *buf, size_t len, uint32_t *version);

/*
 * Why bytes were refused as not strictly a message: a stable problem code
 * (UNKNOWN_FIELD, WRONG_WIRE_TYPE, REPEATED_FIELD, INVALID_UTF8,
 * NUL_IN_STRING, CONTROL_CHARACTER, TRUNCATED, TOO_DEEP), the field path
 * ("submit.answers[2].text") and the reason in words. Never echoes the bytes.
 */
struct wire_fault {
	const char *code; /* static; NULL when there is no fault to tell */
	char where[128];
	char what[128];
};

/*
 * Checks bytes as a strict decoder would, beyond what protobuf-c's
 * unpack checks: every field known to desc, sent with its own wire type,
 * a singular field (or one-of) at most once, every string valid by the
 * string rule of text.h, nested messages likewise. Returns 0 or
 * CV_EMALFORMED with *f filled in (f may be NULL).
 */
int wire_check_strict(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
		      struct wire_fault *f);

/*
 * Member -> collector: decodes strictly (wire_check_strict; *fault says
 * why on CV_EMALFORMED, fault may be NULL) and enforces lim's answer,
 * string and list caps (CV_ETOOBIG).
 */
int wire_decode_request(const void *buf, size_t len, const struct wire_limits *lim,
			Canvass__Request **out, struct wire_fault *fault);
/*
 * The same, decoded into the arena a (arena.h): nothing to free; *out
 * lives until arena_reset(a). The strict check admits no unknown field, so
 * canon_submission never has one to free.
 */
int wire_decode_request_in(struct arena *a, const void *buf, size_t len,
			   const struct wire_limits *lim, Canvass__Request **out,
			   struct wire_fault *fault);
/*
 * Reads request_id (field 2) of a Request that could not be decoded, as
 * far as its top-level fields can be read: 0, CV_ENOTFOUND or CV_EMALFORMED.
 */
int wire_peek_request_id(const void *buf, size_t len, uint64_t *id);
int wire_decode_reply(const void *buf, size_t len, size_t max, Canvass__Reply **out);
int wire_decode_store_request(const void *buf, size_t len, size_t max, Canvass__StoreRequest **out);
/* The same, decoded into the arena a: nothing to free; *out lives until arena_reset(a). */
int wire_decode_store_request_in(struct arena *a, const void *buf, size_t len, size_t max,
				 Canvass__StoreRequest **out);
int wire_decode_store_reply(const void *buf, size_t len, size_t max, Canvass__StoreReply **out);
/* Stored records are not versioned per message; size-checked only. */
/* The review link: strictly checked (wire_check_strict) and versioned. */
int wire_decode_review_request(const void *buf, size_t len, size_t max,
			       Canvass__ReviewRequest **out, struct wire_fault *f);
int wire_decode_review_reply(const void *buf, size_t len, size_t max, Canvass__ReviewReply **out);
int wire_decode_history(const void *buf, size_t len, Canvass__HistoryEntry **out);
int wire_decode_submission(const void *buf, size_t len, size_t max, Canvass__Submission **out);

/* Frees any message decoded above or built with malloc'd fields. */
void wire_free(ProtobufCMessage **msg);
#define WIRE_FREE(p) wire_free((ProtobufCMessage **)(void *)&(p))

/* Packs m into a malloc'd buffer (*out, caller frees). */
int wire_pack(const ProtobufCMessage *m, uint8_t **out, size_t *len);
/*
 * A string field's value for a message built by hand and freed with
 * protobuf-c's free_unpacked: a malloc'd copy, or protobuf-c's own empty
 * string for "" or NULL (which it never frees). NULL when out of memory.
 */
char *wire_string(const char *s);

/* Status enum <-> stable upper-case name ("ACCEPTED", ...). */
const char *wire_status_name(int status);
/* True for statuses a client should retry with the same key. */
int wire_status_retryable(int status);

/* A return's state <-> "submitted", "queried", "approved" ("unknown"
 * otherwise; parse gives 0 for an unknown name). */
const char *wire_return_state_name(int state);
int wire_return_state_parse(const char *name);
/* The open queries of a return. */
size_t wire_return_open_queries(const Canvass__ReturnStatus *st);

#endif
