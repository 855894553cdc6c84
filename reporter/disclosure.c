#include "disclosure.h"

#include <stdbool.h>

size_t disclosure_decide(const size_t *n, size_t groups, size_t k, size_t own_member_group,
			 enum suppression *out)
{
	size_t world = groups - 1, hidden_regions = 0, count = 0, hidden = (size_t)-1;
	size_t in_regions = 0, outside;

	for (size_t g = 0; g < groups; g++) {
		bool own = own_member_group != (size_t)-1 && (g == own_member_group || g == world);
		/* In feedback the member's own value is known: count the others. */
		size_t others = own && n[g] > 0 ? n[g] - 1 : n[g];

		out[g] = k > 1 && n[g] > 0 && others < k ? SUPPRESSED_PRIMARY : SHOWN;
		if (g != world)
			in_regions += n[g];
		if (out[g] != SHOWN) {
			count++;
			if (g != world) {
				hidden_regions++;
				hidden = g;
			}
		}
	}
	if (k <= 1 || out[world] != SHOWN)
		return count;
	outside = n[world] > in_regions ? n[world] - in_regions : 0;
	if (hidden_regions == 1 && outside == 0) {
		/* World minus the shown regions would reveal the hidden one. */
		size_t best = (size_t)-1;
		for (size_t g = 0; g < world; g++)
			if (g != hidden && out[g] == SHOWN && n[g] > 0 &&
			    (best == (size_t)-1 || n[g] < n[best]))
				best = g;
		if (best != (size_t)-1)
			out[best] = SUPPRESSED_COMPLEMENTARY;
		else
			out[world] = SUPPRESSED_COMPLEMENTARY;
		count++;
	} else if (hidden_regions == 0 && outside > 0 && outside < k) {
		/* Members outside every region (not in the registry) would be
		 * World minus the regions: hide World. */
		out[world] = SUPPRESSED_COMPLEMENTARY;
		count++;
	}
	return count;
}

const char *disclosure_reason(enum suppression s)
{
	switch (s) {
	case SUPPRESSED_PRIMARY: return "fewer members than the disclosure threshold";
	case SUPPRESSED_COMPLEMENTARY:
		return "complementary: it would reveal a suppressed group by subtraction";
	default: return "";
	}
}
