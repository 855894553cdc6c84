/*
 * canon.h - the one canonical form of a submission: what "the same
 * content" means, for the member client (which derives the default
 * idempotency key from it) and the collector (which hashes and stores it)
 * alike. docs/protocol.md ("Canonical form") states it for independent
 * clients:
 *
 *   - answers sorted by question id (bytewise);
 *   - the items of a multiple-choice list sorted (bytewise);
 *   - a number that is a whole number within +-2^53 (87.0, 8.7e1, -0.0)
 *     is written as an integer (87), so one value has one spelling;
 *   - fields the schema does not know are dropped;
 *   - packed as protobuf-c packs (fields in field-number order, proto3
 *     defaults left out), with the idempotency key left empty. The
 *     content hash is the SHA-256 of those bytes.
 */
#ifndef CANVASS_CANON_H
#define CANVASS_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "canvass.pb-c.h"
#include "util.h"

/*
 * Puts s in canonical form in place (idempotent). Returns CV_EINVAL when
 * two answers name the same question (*dup, when not NULL, then points at
 * that borrowed question id); s is canonical all the same. Unknown fields
 * are dropped and freed with free() (a message decoded into an arena has
 * none: wire_decode_request_in admits none).
 */
int canon_submission(Canvass__Submission *s, const char **dup);

/* Index of the answer to question in a canonical s, or -1 (binary search). */
long canon_find_index(const Canvass__Submission *s, const char *question);
/* The answer to question in a canonical s, or NULL. */
const Canvass__Answer *canon_find_answer(const Canvass__Submission *s, const char *question);

/*
 * Packs the content of a canonical s: the submission with its
 * idempotency key left out (s itself is unchanged). *out is malloc'd
 * (caller frees); hash, when not NULL, receives its SHA-256, the content
 * hash of receipts.
 */
int canon_pack(const Canvass__Submission *s, uint8_t **out, size_t *len, uint8_t hash[CV_HASH_LEN]);

#endif
