/*
 * dataset.h - what every report reads: the latest revision of each
 * member's submission for one questionnaire and cycle, at one store
 * position, decoded once, with each member's section and overall scores.
 *
 * The position is the head of the read snapshot, or an earlier sequence
 * (--as-of): then the history is replayed up to that sequence, so a report
 * "as of" a position equals the report made when the store stood there.
 * Rows are sorted by member code; pointers stay valid until dataset_free.
 */
#ifndef CANVASS_REPORTER_DATASET_H
#define CANVASS_REPORTER_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qdef.h"
#include "registry.h"
#include "store.h"

struct ds_row {
	char *member;
	const struct member *reg; /* NULL: not in the registry */
	size_t group;             /* region index; n_regions when unregistered */
	uint32_t revision;        /* latest revision as of the position */
	uint64_t sequence;
	int64_t stored_at_ms;
	bool late;
	uint32_t version;             /* questionnaire version answered */
	Canvass__Submission *sub;     /* answers sorted by question id */
	const Canvass__Answer **by_q; /* per question order: the fitting answer, or NULL */
	double *section_score;        /* per section, 0-100; NAN when nothing scored */
	double overall;               /* all scored answers, 0-100; NAN when none */
	double *section_weight;       /* per section, the weights of its scored answers */
	double overall_weight;        /* the weights of all its scored answers */
	int state;     /* review state as of the position (CANVASS__RETURN_STATE__) */
	bool in_arena; /* member and sub live in the dataset's arena */
	/* dataset_set_keep_reviews: the return's review state as of the position, or NULL. */
	Canvass__ReturnStatus *review;
};

struct dataset {
	const struct questionnaire *def; /* the version reports use (borrowed) */
	const struct registry *reg;      /* borrowed */
	char *cycle;
	uint64_t sequence; /* the store position */
	uint8_t chain[CV_HASH_LEN];
	struct ds_row *rows;
	size_t n;
	size_t other_version; /* rows on another version than def */
	/* Rows per questionnaire version answered (the first DS_VERSIONS met). */
#define DS_VERSIONS 16
	struct ds_version {
		uint32_t version;
		size_t rows;
	} versions[DS_VERSIONS];
	size_t n_versions;
	bool versions_overflow; /* more than DS_VERSIONS versions answered */
	size_t skipped_answers; /* answers that do not fit def */
	/* Review states of every return at the position, before --approved-only. */
	size_t returns;      /* returns stored */
	size_t by_state[4];  /* per CANVASS__RETURN_STATE__ (SUBMITTED, QUERIED, APPROVED) */
	bool approved_only;  /* rows hold the approved returns only */
	bool streamed;       /* dataset_open_head: no rows kept (rows NULL; n counts them) */
	struct arena *arena; /* the rows read in place (fastload.h); NULL: none */
};

/*
 * How the head is read: in place, without protobuf-c (on, the default), or
 * every entry unpacked by protobuf-c (off: the reference path, for tests
 * and `canvass-reporter --full-decode`). Both give the same rows.
 */
void dataset_set_fast_load(bool on);

/*
 * --approved-only for every dataset loaded from now on: rows hold only the
 * returns approved at the position (the counts above still cover all).
 */
void dataset_set_approved_only(bool on);
#define DS_APPROVED(d) ((d)->by_state[CANVASS__RETURN_STATE__APPROVED])
/*
 * Rows of every dataset loaded from now on (dataset_load) keep their
 * return's whole review state (ds_row.review: queries, editorial decisions).
 */
void dataset_set_keep_reviews(bool on);

/*
 * Loads (def's questionnaire, cycle) from v as of as_of (0: the head).
 * CV_EINVAL when as_of is beyond the head.
 */
int dataset_load(struct store_view *v, const struct questionnaire *def, const char *cycle,
		 const struct registry *reg, uint64_t as_of, struct dataset **out);
void dataset_free(struct dataset **d);

/*
 * The head read as a stream, for a report that summarises rows as they
 * come (compare without member rows): dataset_open_head gives a dataset
 * with the store position and no rows; dataset_each reads the returns'
 * states and where their entries lie in this thread, then splits the
 * entries, in member order, into n_args consecutive shares, each read by
 * a thread of its own (the first by this one) that hands each row,
 * complete as dataset_load makes it, to fn with its own args[i], then
 * forgets it (a row's pointers are valid during fn only). fn must touch
 * nothing but its arg. It leaves in d the counts dataset_load leaves (n,
 * returns, by_state, other_version, skipped_answers). Memory stays that of
 * one row a thread. With fast load off, rows come from dataset_load (the
 * reference path) in this thread, so both give the same rows.
 */
#define DS_MAX_THREADS 8
typedef int (*ds_row_fn)(const struct dataset *d, const struct ds_row *r, void *arg);
int dataset_open_head(struct store_view *v, const struct questionnaire *def, const char *cycle,
		      const struct registry *reg, struct dataset **out);
int dataset_each(struct dataset *d, struct store_view *v, ds_row_fn fn, void *const *args,
		 unsigned n_args);
/*
 * Runs fn on n (at most DS_MAX_THREADS) arguments, each stride bytes after
 * args: the first in this thread, the others in threads of their own (or
 * here, after, when one cannot start); returns when all are done.
 */
void ds_run_shares(unsigned n, void *(*fn)(void *), void *args, size_t stride);
/* Threads a streamed report uses: n (at most DS_MAX_THREADS), or 0 for the cores. */
void dataset_set_threads(unsigned n);
unsigned dataset_threads(void);

/*
 * The publication version of the dataset's cycle: the version most of its
 * rows answered (ties: the highest), 0 without rows. The one view of a
 * cycle that may be published is on that version (docs/reports.md); a
 * report with another definition is marked confidential.
 */
uint32_t dataset_publication_version(const struct dataset *d);
/* Whether d's definition is its cycle's publication version (true without rows). */
bool dataset_on_publication_version(const struct dataset *d);

/* The row's answer to q when it fits q's type, else NULL. */
const Canvass__Answer *ds_answer(const struct ds_row *r, const struct question *q);
/* The row of a member, or NULL. */
const struct ds_row *ds_find(const struct dataset *d, const char *member);
/* Number of groups: the registry's regions plus World. */
size_t ds_groups(const struct dataset *d);
/* Group name: a region, or "World" for the last. */
const char *ds_group_name(const struct dataset *d, size_t g);
/* The cycles of a questionnaire in the store (sorted; caller frees each and the array). */
int ds_cycles(struct store_view *v, const char *questionnaire, char ***out, size_t *n);

#endif
