/*
 * completeness.h - who has answered: per region and for the world, the
 * members expected (the registry's members), those who submitted on time
 * and late, those missing (listed), the revisions made, and how many
 * returns are submitted, queried and approved (listed). The registry in
 * force stands for the cycle's membership.
 */
#ifndef CANVASS_REPORTER_COMPLETENESS_H
#define CANVASS_REPORTER_COMPLETENESS_H

#include "dataset.h"

struct completeness_group {
	size_t expected, on_time, late, missing;
	size_t revisions;           /* submissions stored, revisions included */
	size_t revised;             /* members with more than one revision */
	const char **missing_codes; /* borrowed from the registry */
	/* Review states of the returns (docs/review.md), with the members in each. */
	size_t submitted, queried, approved;
	const char **submitted_codes, **queried_codes, **approved_codes; /* borrowed */
};

struct completeness {
	const struct dataset *ds;
	size_t n_groups;
	struct completeness_group *groups; /* regions, then World */
	size_t unregistered;               /* submissions from members not in the registry */
};

int completeness_build(const struct dataset *ds, struct completeness **out);
void completeness_free(struct completeness **c);

#endif
