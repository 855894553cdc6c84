/*
 * ranking.h - members ordered by their overall score or one section score,
 * highest first. Ties share a rank and the next rank skips ("1, 2, 2, 4",
 * standard competition ranking); members with no scored answer are listed
 * apart, unranked. A member-level report: for the Secretariat.
 */
#ifndef CANVASS_REPORTER_RANKING_H
#define CANVASS_REPORTER_RANKING_H

#include "dataset.h"

struct ranking_line {
	const struct ds_row *row;
	double score; /* NAN: unranked */
	size_t rank;  /* 1-based; 0 when unranked */
	bool tied;
};

struct ranking {
	const struct dataset *ds;
	const char *by; /* "overall" or a section id */
	const char *title;
	struct ranking_line *lines;
	size_t n, ranked, ties;
};

/* section: a section id, or NULL for the overall score. CV_ENOTFOUND: no such section. */
int ranking_build(const struct dataset *ds, const char *section, struct ranking **out);
void ranking_free(struct ranking **r);

#endif
