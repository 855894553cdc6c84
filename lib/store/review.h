/*
 * review.h - the review state machine of a return (questionnaire, cycle,
 * member): every transition in one place (docs/review.md).
 *
 *   (none) --revision--> SUBMITTED
 *   SUBMITTED --query--> QUERIED       QUERIED --query--> QUERIED
 *   QUERIED --revision--> SUBMITTED    (its open queries answered by it)
 *   SUBMITTED --revision--> SUBMITTED
 *   SUBMITTED, QUERIED --approve--> APPROVED (open queries closed by it)
 *   APPROVED --reopen--> SUBMITTED
 *   APPROVED --revision--> refused LOCKED
 *   anything else: refused WRONG_STATE
 *   any state --exclude, edit, restore--> the same state (the editorial
 *     decisions of the good-practice digest, ReturnStatus.editorial)
 *
 * The state is a Canvass__ReturnStatus (state, queries, state_sequence),
 * the value of the store's review table. The aggregator applies each
 * event in the transaction that stores it; --as-of and canvassctl verify
 * replay the history through the same function. A return without a row
 * is SUBMITTED with no queries. Strings and arrays are allocated with
 * malloc, so an unpacked state may be stepped and freed with
 * canvass__return_status__free_unpacked.
 */
#ifndef CANVASS_REVIEW_H
#define CANVASS_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "canvass.pb-c.h"

/* The domain prefix of a review entry's content hash. */
#define REVIEW_HASH_DOMAIN     "canvass review"
#define REVIEW_HASH_DOMAIN_LEN 15 /* with its \0 */

/* Limits of an action, checked by review_action_check (ids: text.h's rules). */
#define REVIEW_MAX_COMMENT   4000
#define REVIEW_MAX_QUESTIONS 100
#define REVIEW_MAX_TEXT      16000 /* an edit's text */

struct review_event {
	int kind;                            /* REVIEW_EV_* */
	uint64_t seq;                        /* the event's history sequence */
	int64_t at_ms;                       /* its stored time */
	uint32_t revision;                   /* REVIEW_EV_REVISION: the revision stored */
	const Canvass__ReviewAction *action; /* the others: the action */
};

enum { REVIEW_EV_REVISION = 1, REVIEW_EV_ACTION = 2 };

/* A fresh state: SUBMITTED, no queries (NULL on allocation failure). */
Canvass__ReturnStatus *review_new(void);
void review_free(Canvass__ReturnStatus **st);
/* A copy of st, freed with review_free (NULL on allocation failure). */
Canvass__ReturnStatus *review_copy(const Canvass__ReturnStatus *st);

/*
 * Applies ev to st. 0: applied. CANVASS__STATUS__LOCKED (a revision of an
 * approved return) or CANVASS__STATUS__WRONG_STATE (an action the state
 * does not allow): st unchanged, why says it in words. CV_ENOMEM.
 */
int review_step(Canvass__ReturnStatus *st, const struct review_event *ev, char *why, size_t whylen);

/* 0 when a's fields are within the limits above and its kind is known. */
int review_action_check(const Canvass__ReviewAction *a, char *why, size_t whylen);

/* A state's name and the open queries of a return: wire.h (wire_return_*). */
/* "query", "approve", "reopen", "exclude", "edit", "restore". */
const char *review_action_name(int kind);

/* SHA-256 of a review entry's packed action, with the domain prefix. */
void review_content_hash(const uint8_t *packed, size_t len, uint8_t out[32]);

/*
 * Replaying the history: the review state of every return that had a
 * review action, rebuilt entry by entry through review_step (for
 * --as-of, and for canvassctl verify, which compares it with the review
 * table). Entries must come in sequence order.
 */
struct review_replay;
int review_replay_open(struct review_replay **out);
void review_replay_close(struct review_replay **r);
/*
 * Applies history entry e: a revision steps its return (when that return
 * had an action), an action steps or creates it. 0, CV_ENOMEM, or
 * CV_ECORRUPT with why: the entry is not a step the state machine allows
 * (a revision of an approved return, an action its state refused).
 */
int review_replay_entry(struct review_replay *r, const Canvass__HistoryEntry *e, char *why,
			size_t whylen);
/* The replayed state of a return, or NULL when it had no action. */
const Canvass__ReturnStatus *review_replay_get(const struct review_replay *r,
					       const char *questionnaire, const char *cycle,
					       const char *member);
/* Calls fn for every replayed return (any order); a non-zero return stops. */
int review_replay_each(const struct review_replay *r,
		       int (*fn)(const char *questionnaire, const char *cycle, const char *member,
				 const Canvass__ReturnStatus *st, void *arg),
		       void *arg);
size_t review_replay_count(const struct review_replay *r);

#endif
