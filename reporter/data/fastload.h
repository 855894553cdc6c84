/*
 * fastload.h - the report path that does not unpack every submission with
 * protobuf-c: a stored history entry is read straight from the store's
 * memory map (an LMDB read transaction keeps it valid), its Submission
 * built in an arena, question ids pointing at the definition's own strings
 * (no copy), numbers and texts read in one pass over the wire bytes.
 *
 * The result equals canvass__history_entry__unpack + canvass__submission__
 * unpack field by field (tests/test_fastload.c checks it on many
 * submissions, and canvassctl verify could not tell them apart); an entry
 * the scanner does not read exactly as protobuf-c would (an unknown field,
 * a wire type it does not expect, a string that is not where it should be)
 * is refused, and the caller falls back to protobuf-c for that entry.
 */
#ifndef CANVASS_REPORTER_FASTLOAD_H
#define CANVASS_REPORTER_FASTLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "canvass.pb-c.h"
#include "qdef.h"

/* The fields of a history entry the reports read. */
struct fast_entry {
	uint64_t sequence;
	uint32_t revision;
	int64_t stored_at_ms;
	bool late;
	bool review;              /* a review action: no submission */
	char *member;             /* in the arena */
	Canvass__Submission *sub; /* in the arena; NULL for a review action */
};

/*
 * Reads a packed HistoryEntry. def (may be NULL) lends its question ids.
 * 0, CV_EMALFORMED (use protobuf-c instead), CV_ENOMEM.
 */
int fast_history_entry(const uint8_t *buf, size_t len, const struct questionnaire *def,
		       struct arena *a, struct fast_entry *out);

#endif
