/*
 * disclosure.h - statistical disclosure control for group figures.
 *
 * A table is one figure (a question, a section score) across groups: the
 * regions, then World as the last group, which adds the regions up (plus
 * members not in the registry). With a threshold K:
 *
 * - primary: a group with 0 < n < K shows no figures;
 * - complementary: when exactly one region is hidden and World is shown,
 *   World minus the other regions would give the hidden one back, so the
 *   shown region with the smallest n is hidden as well.
 *
 * n itself stays visible (who answered is not the secret; what they
 * answered is). "Not applicable" and "don't know" counts are hidden with the
 * figures. In a member's own feedback a group must hold at least K members
 * other than the member (n - 1 >= K), since the member knows its own value.
 */
#ifndef CANVASS_REPORTER_DISCLOSURE_H
#define CANVASS_REPORTER_DISCLOSURE_H

#include <stddef.h>

enum suppression { SHOWN = 0, SUPPRESSED_PRIMARY = 1, SUPPRESSED_COMPLEMENTARY = 2 };

/*
 * Decides, for n[0..groups-1] (World last), which groups are suppressed;
 * writes out[]. k <= 1 suppresses nothing. own_member_group, when not
 * (size_t)-1, is the group of the member a feedback report is for (it
 * applies the n - 1 >= K rule to that group and to World). Returns the
 * number of suppressed groups.
 */
size_t disclosure_decide(const size_t *n, size_t groups, size_t k, size_t own_member_group,
			 enum suppression *out);

const char *disclosure_reason(enum suppression s);

#endif
