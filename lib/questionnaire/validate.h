/*
 * validate.h - checks a submission against its questionnaire definition
 * and collects every problem, not only the first.
 *
 * Problem codes are stable strings (docs/submissions.md lists them all):
 *   UNKNOWN_QUESTION, DUPLICATE_ANSWER, WRONG_TYPE, OUT_OF_RANGE,
 *   NOT_AN_OPTION, DUPLICATE_OPTION, TOO_LONG, SPECIAL_NOT_ALLOWED,
 *   MISSING_REQUIRED, NOT_APPLICABLE_HERE, RULE_FAILED, INVALID_CYCLE,
 *   INVALID_KEY; and the warning SOFT_RANGE (a quality check the definition
 *   alone can make: warn_below / warn_above).
 * A question whose condition ("when") is not true does not apply: it must
 * not be answered (except "not applicable") and is never required. Rules
 * read only answers that passed their own checks; a rule whose value is
 * unknown (an operand unanswered, special or failing its own check, a
 * division by zero) is not checked.
 * The collector adds UNKNOWN_QUESTIONNAIRE, UNKNOWN_VERSION, UNKNOWN_MEMBER
 * and MEMBER_MISMATCH, which need more than the definition.
 */
#ifndef CANVASS_VALIDATE_H
#define CANVASS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "canvass.pb-c.h"
#include "qdef.h"

#define VALIDATE_MAX_PROBLEMS 200

struct problem {
	char code[32];
	char question[72];
	char rule[72]; /* RULE_FAILED: the rule's id */
	char message[200];
	int warning; /* 0: error (rejects), 1: warning (reported) */
	/* Quality findings (quality.h): the answer and what it was compared with. */
	bool finding;
	double value, reference, score;
	char group[72];
	unsigned group_size;
};

/* Problems found so far. Past VALIDATE_MAX_PROBLEMS, only counted. */
struct verdict {
	struct problem items[VALIDATE_MAX_PROBLEMS];
	size_t n;       /* problems stored */
	size_t errors;  /* errors found, stored or not */
	size_t dropped; /* problems not stored */
};

void verdict_init(struct verdict *v);
void verdict_add(struct verdict *v, int warning, const char *code, const char *question,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Adds a quality finding (a warning). group may be NULL. Returns the
 * problem, or NULL when the verdict is full.
 */
struct problem *verdict_add_finding(struct verdict *v, const char *code, const char *question,
				    double value, double reference, double score, const char *group,
				    unsigned group_size, const char *message);
/*
 * The wire form of items[0..n-1]: *msgs and *ptrs are calloc'd (the
 * caller frees both); the strings are borrowed from items. CV_ENOMEM.
 */
int verdict_to_wire(const struct problem *items, size_t n, Canvass__Problem **msgs,
		    Canvass__Problem ***ptrs);

/*
 * Validates s against q and puts it in canonical form in place
 * (canon_submission). Returns the number of errors added to v (0: valid).
 */
size_t validate_submission(const struct questionnaire *q, Canvass__Submission *s,
			   struct verdict *v);

#endif
