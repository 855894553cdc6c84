/*
 * digest.h - the good-practice digest: what members agreed to share of a
 * questionnaire and cycle, grouped by key factor (the section a shared
 * answer is about) and region, each entry attributed or anonymous as its
 * member chose, edited where the Secretariat edited it (docs/reports.md,
 * "Good-practice digest").
 *
 * An entry is one member's shared answers about one section (all governed
 * by one consent question: qdef.c checks it). A consent of "no", none, or
 * a special answer shares nothing; an answer the Secretariat excluded is
 * left out; an edit replaces the answer it was made on, and an answer
 * revised since its edit is held back (never shown unedited). An
 * anonymous entry carries no member code, name or sequence; its region
 * only when at least k members of that region share anonymously about
 * that section, else it stands in the group "Region not given".
 */
#ifndef CANVASS_REPORTER_DIGEST_H
#define CANVASS_REPORTER_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dataset.h"

struct digest_field {
	const struct question *q; /* of the row's own version */
	char *label;              /* the question's text, without its key factor's title */
	char *text;               /* what is shown: the answer, or the Secretariat's edit */
	bool edited;
};

struct digest_entry {
	const struct ds_row *row; /* its member: never rendered for an anonymous entry */
	enum qshare level;        /* QSHARE_ANONYMOUSLY or QSHARE_WITH_NAME */
	size_t group;             /* see digest_group_name */
	struct digest_field *fields;
	size_t n_fields;
};

struct digest_section {
	const char *id, *title;
	struct digest_entry *entries; /* in output order: by group, named by name, then
					 anonymous by text */
	size_t n, cap;
	size_t named, anonymous; /* entries of each kind (one member, one entry) */
};

struct digest {
	const struct dataset *ds;
	size_t k; /* the disclosure threshold for an anonymous entry's region */
	size_t n_regions;
	struct digest_section *sections;
	size_t n_sections;
	size_t members;   /* members with at least one entry */
	size_t excluded;  /* answers the Secretariat left out */
	size_t held_back; /* answers revised after their edit */
};

/*
 * Builds the digest of ds (rows with their review states kept:
 * dataset_set_keep_reviews), each row read with its own version's
 * definition from qs. Held-back answers are named on err (the
 * Secretariat's terminal), never in the digest. 0 or CV_ENOMEM.
 */
int digest_build(const struct dataset *ds, const struct qset *qs, size_t k, FILE *err,
		 struct digest **out);
void digest_free(struct digest **d);

/* A group's name: a region, "Not in the member registry", or "Region not given". */
const char *digest_group_name(const struct digest *d, size_t group);
/* Whether the group is that of anonymous entries whose region is withheld. */
bool digest_group_withheld(const struct digest *d, size_t group);

#endif
