/*
 * form.h - a return being filled in: what the person typed, question by
 * question, and what of it would be sent.
 *
 * A form holds answers in the member-facing JSON format (submissions.md):
 * yes/no as true/false, integers and scale levels as integers, numbers,
 * option ids, lists of option ids, {"special": "not_applicable"} and
 * {"special": "dont_know"}; and, apart, what was typed but is not an answer
 * yet ("12,5" in a number field), so that nothing typed is lost and the
 * form can say where. Which questions apply is decided by the same
 * expressions the collector evaluates (expr.h), on the answers given: a
 * question that does not apply is not sent.
 *
 * Form fields of a page: a.ID (the answer: one value, or one per checked
 * option of a multiple choice), s.ID (a special answer for integer,
 * number, text and multiple choice questions: "", "not_applicable",
 * "dont_know"). A special answer of a yes/no, scale or choice question is a
 * value of its a.ID radio group ("special:not_applicable").
 */
#ifndef CANVASS_PORTAL_FORM_H
#define CANVASS_PORTAL_FORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "canvass.pb-c.h"
#include "qdef.h"

struct form {
	const struct questionnaire *def; /* borrowed */
	char *cycle, *member;
	json_t *answers;  /* question id -> JSON answer (owned) */
	json_t *unparsed; /* question id -> what was typed, not an answer (owned) */
	bool *applies;    /* per question, in questionnaire order (form_conditions) */
};

/* A name and value of a posted field, borrowed for the call. */
struct form_field {
	const char *name, *value;
};

int form_new(struct form **out, const struct questionnaire *def, const char *cycle,
	     const char *member);
void form_free(struct form **f);

/* The answers of a stored (or previous cycle's) submission: those of def's questions. */
int form_take_submission(struct form *f, const Canvass__Submission *s);
/*
 * The previous cycle's stored submission s into the form, following the
 * lineage when s answered an older version (docs/questionnaires.md,
 * "Versions and lineage"): each question takes the answer of the question
 * it continues, options renamed; a question whose meaning changed, or new,
 * stays empty.
 */
struct qset;
int form_take_previous(struct form *f, const struct qset *qs, const Canvass__Submission *s);

/*
 * The answers posted: for every question of the definition, its fields
 * (absent fields: no answer). Replaces what the form held.
 */
int form_take_post(struct form *f, const struct form_field *fields, size_t n);

/*
 * Which questions apply, into f->applies: the collector's expressions on
 * the answers given, repeated without the answers of questions that do not
 * apply until nothing changes.
 */
int form_conditions(struct form *f);

/*
 * The submission that would be sent (JSON text, the caller's to free):
 * the answers of the questions that apply. NULL when out of memory.
 */
char *form_submission_json(struct form *f);

/* The form as a draft (JSON text, the caller's) and back. */
char *form_draft_json(const struct form *f);
int form_take_draft(struct form *f, const char *text, size_t len);

/* Room for a number as form_typed writes it. */
#define FORM_NUMBER_MAX 32
/*
 * What was typed for q as the field shows it ("" when nothing), whole: a
 * text borrowed from f, or a number written into buf.
 */
const char *form_typed(const struct form *f, const struct question *q, char buf[FORM_NUMBER_MAX]);
/* The special answer given to q ("not_applicable", "dont_know"), or NULL. */
const char *form_special(const struct form *f, const struct question *q);
/* Whether option id is chosen for q (choice, multiple choice, yes/no "yes"/"no", scale level). */
bool form_chosen(const struct form *f, const struct question *q, const char *id);

#endif
