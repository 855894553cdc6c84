/*
 * subjson.h - the member-facing JSON form of a submission, and of replies.
 *
 *   {"questionnaire": "integrity-self-assessment", "version": 1,
 *    "cycle": "2025", "member": "KE", "id": "optional idempotency key",
 *    "answers": {"q_id": value, ...}}
 *
 * Values: true/false (yes/no), integers (integer, scale level), numbers,
 * strings (choice option id, free text), arrays of strings (multiple
 * choice), {"special": "not_applicable"} or {"special": "dont_know"}.
 * null, like leaving the question out, means "no answer".
 * Documented in docs/submissions.md.
 */
#ifndef CANVASS_SUBJSON_H
#define CANVASS_SUBJSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "canvass.pb-c.h"

/* Largest submission file read from disk. */
#define SUBJSON_MAX_FILE (1024 * 1024)

/*
 * Parses JSON text into a Submission (caller frees with WIRE_FREE). On
 * failure returns CV_EINVAL (or CV_ENOMEM) with "JSON path: reason" in err.
 */
int subjson_parse(const char *text, size_t len, Canvass__Submission **out, char *err,
		  size_t errlen);
int subjson_load_file(const char *path, Canvass__Submission **out, char *err, size_t errlen);

/* The submission as member-facing JSON (new reference), "id" included when set. */
json_t *subjson_from_submission(const Canvass__Submission *s);

/*
 * The JSON_REAL_PRECISION to dump subjson_from_submission(s) with, so that
 * every number reads back exactly and none shows more digits than the
 * document's most precise number needs (40.8, not 40.799999999999997).
 */
int subjson_real_precision(const Canvass__Submission *s);

/* JSON value of one answer (new reference), or NULL when it has none. */
json_t *subjson_answer_value(const Canvass__Answer *a);

/* Reply as JSON (new reference): status, receipt, problems, message. */
json_t *subjson_reply(const Canvass__Reply *r);

/*
 * A return's state as JSON (new reference): questionnaire, cycle, member,
 * state ("submitted", "queried", "approved"), open_queries, receipt (as in
 * subjson_reply), region when set, state_sequence, and queries: sequence,
 * reviewer, at (UTC), comment, questions, open, answered_by_revision,
 * closed_sequence.
 */
json_t *subjson_return_status(const Canvass__ReturnStatus *st);

/*
 * Writes o as one compact JSON line to out and releases it (o may be
 * NULL: nothing written). 0, or -1 when it could not be written.
 */
int subjson_print_line(FILE *out, json_t *o);

/* The same as text: a line for the return, one per query (open ones first). */
void subjson_print_return(FILE *out, const Canvass__ReturnStatus *st);

#endif
