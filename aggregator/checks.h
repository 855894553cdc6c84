/*
 * checks.h - the quality checks that need the store, made by the single
 * writer at intake: the change from the member's answer in the previous
 * cycle (CHANGE_FROM_PREVIOUS) and the outlier test against the other
 * members' current answers (OUTLIER), world and region.
 *
 * The collector sends, per checked question, the member's number and the
 * check's parameters (StoreRequest.check_questions, check_values, ...:
 * parallel arrays); the aggregator keeps in memory,
 * per (questionnaire, cycle, question), every member's current number,
 * sorted, so that a check costs a binary search and a walk of half the
 * group, not a scan of the store. A group is loaded from the store (the
 * "current" table, one decode per member) the first time a request needs
 * it, and kept up to date with every accepted revision after its commit.
 * The store stays the only source: the cache is rebuilt after a restart
 * and dropped when the registry (the members' regions) is reloaded.
 */
#ifndef CANVASS_AGGREGATOR_CHECKS_H
#define CANVASS_AGGREGATOR_CHECKS_H

#include <stdbool.h>

#include "canvass.pb-c.h"
#include "registry.h"
#include "store.h"
#include "validate.h"

struct checks;

int checks_open(struct checks **out);
void checks_close(struct checks **c);

/* The registry that gives regions (borrowed; NULL: world groups only). Drops the cache. */
void checks_set_registry(struct checks *c, const struct registry *reg);

/* The groups one request needs, found once (checks_prepare) for checks_run. */
struct checks_plan;
void checks_plan_free(struct checks_plan **p);

/*
 * Reads req's checks, finds the groups they need and loads from the store,
 * in one snapshot, those that are not in memory yet; *plan (the caller
 * frees it; NULL when req has no checks) is for checks_run. Call before
 * the batch holding req is written, so that a group never holds a revision
 * whose findings are still to be computed. CV_EMALFORMED (no plan): the
 * arrays differ in length. On a store error the plan is still made (the
 * groups that could not be read are left out of the checks).
 */
int checks_prepare(struct checks *c, struct store *s, const Canvass__StoreRequest *req,
		   struct checks_plan **plan);

/*
 * Adds req's findings to v. When commit, req's numbers become the member's
 * current ones (call in commit order, once the revision is stored);
 * otherwise (a dry run, a duplicate) the groups are left as they were.
 * plan NULL: no checks; a stale plan (the cache dropped since): the groups
 * are looked up again.
 */
void checks_run(struct checks *c, const Canvass__StoreRequest *req, const struct checks_plan *plan,
		bool commit, struct verdict *v);

/* Groups and numbers held, for the metrics. */
void checks_size(const struct checks *c, size_t *groups, size_t *values);

#endif
