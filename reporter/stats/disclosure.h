/*
 * disclosure.h - statistical disclosure control: which published cells a
 * table may show, for every report and format (compare, trend, member
 * feedback; text, JSON, CSV, HTML). docs/reports.md, "Disclosure control",
 * states the attacker model and each rule with its reference.
 *
 * A table is one figure (a question, a section score, the overall score)
 * across groups: the regions, then World as the last group. World adds up
 * the regions and the members missing from the registry (never published
 * on their own). A cell publishes n (members who answered with a value),
 * the n/a and don't-know counts and the figures; "members" (who submitted)
 * is public anyway (completeness).
 *
 * Rules, each on a cell and on every aggregate an attacker can work out
 * by subtraction (World minus the shown regions):
 *   min_n        fewer than T members answered: T = K for counts and
 *                shares, max(K, 4) for numbers (mean and sd are two
 *                moments: an insider must still face three unknowns);
 *   shares       one option holds all or all but one of those answering
 *                (group attribute disclosure), when the share rule is on;
 *   equal_values all answers equal, or all but one (the odd one knows the
 *                rest), when the equal-values rule is on;
 *   complementary a shown cell hidden because World minus the shown
 *                regions would break a rule: the shown region with the
 *                fewest answers is hidden, repeatedly, or else World;
 *   linked       a score cell hidden because, beside the question cells
 *                of its group, it would give an answer away (a question
 *                of it hidden there, or members' scores of different
 *                weights: the caller decides, disclosure_cell.linked),
 *                when the link rule is on.
 * The n/a and don't-know counts of a shown cell are a table of their own
 * (DISCLOSURE_SPECIAL), under the same rules, when the special rule is on.
 * A hidden cell hides its n, n/a and don't-know counts too. Order
 * statistics (min, quartiles, max) of a shown cell need n >= K_order and
 * are never in feedback. In a member's feedback the member knows its own
 * answer: its region and World count the other members only (n - 1).
 * K <= 1 turns disclosure control off (Secretariat use).
 *
 * Decisions depend only on the table's data and the rules, so every report
 * built from the same store position and settings hides the same cells;
 * feedback only ever hides more.
 */
#ifndef CANVASS_REPORTER_DISCLOSURE_H
#define CANVASS_REPORTER_DISCLOSURE_H

#include <stdbool.h>
#include <stddef.h>

enum suppression {
	SHOWN = 0,
	SUPPRESSED_PRIMARY,       /* min_n */
	SUPPRESSED_SHARES,        /* shares */
	SUPPRESSED_EQUAL,         /* equal_values */
	SUPPRESSED_COMPLEMENTARY, /* complementary */
	SUPPRESSED_LINKED,        /* linked: a score that would give its questions away */
};
#define DISCLOSURE_REASONS 6

struct disclosure_rules {
	size_t k;          /* minimum answering members (min-group) */
	size_t k_order;    /* order statistics need this many (min-group-order) */
	bool shares;       /* the group attribute rule on shares (share-rule) */
	bool equal_values; /* the equal-values rule (equal-rule) */
	bool linked;       /* scores hidden where a question of theirs is (link-rule) */
	bool specials;     /* the rules on n/a and don't-know counts (special-rule) */
	bool feedback;     /* a member's own feedback: no order statistics */
	size_t own_group;  /* feedback: the member's region; else (size_t)-1 */
};

/* Defaults: K 3, K_order 10, every rule on, not feedback. */
void disclosure_defaults(struct disclosure_rules *r);

enum disclosure_kind {
	DISCLOSURE_NUMERIC, /* n, mean, sd, order statistics */
	DISCLOSURE_CHOICE,  /* n, a count per option (one option per member) */
	DISCLOSURE_MULTI,   /* n, a count per option (several per member) */
	DISCLOSURE_COUNTS,  /* n only (free text) */
	/*
	 * The special answers of a cell: n is the members who submitted but
	 * gave no value, counts are [not applicable, don't know, no answer].
	 * A group where everyone gave a value has nothing to protect.
	 */
	DISCLOSURE_SPECIAL,
};

struct disclosure_cell {
	size_t members;       /* members of the group who submitted */
	size_t n;             /* of them, who answered with a value */
	const size_t *counts; /* per option (choices), n_options of them */
	size_t n_options;
	const double *values; /* numeric: the n answers, sorted ascending */
	bool linked;          /* hidden already (SUPPRESSED_LINKED), by a linked table */
};

/*
 * Decides one table of groups cells (World last); writes out[]. Returns
 * the number of hidden cells; by_reason[s] (when not NULL) is increased
 * for each. Returns (size_t)-1 when out of memory (then everything is
 * hidden as SUPPRESSED_PRIMARY: failing closed).
 */
size_t disclosure_table(const struct disclosure_rules *r, enum disclosure_kind kind,
			const struct disclosure_cell *cells, size_t groups, enum suppression *out,
			size_t by_reason[DISCLOSURE_REASONS]);

/*
 * The audit of a decided table, before a public output is written: the
 * published sums of its shown cells (each region, World) are solved in
 * exact integer arithmetic over the groups' blocks (each region, and the
 * members missing from the registry), reduced to row echelon form, and
 * every aggregate a row isolates (a shown cell, World minus the shown
 * regions, or any other) is judged by the rules again, for an outsider and
 * for an insider member of it (feedback: the member's own group). Counts
 * go to a; the first aggregate that breaks a rule is described in
 * a->first (names: the groups' names). Returns the aggregates that break
 * a rule (0: nothing derivable), or (size_t)-1 when out of memory.
 */
struct disclosure_audit {
	size_t tables;     /* tables audited */
	size_t equations;  /* published sums solved */
	size_t aggregates; /* aggregates isolated and judged */
	size_t failures;   /* aggregates that break a rule */
	char first[256];   /* the first failure, in words */
};
size_t disclosure_audit_table(const struct disclosure_rules *r, enum disclosure_kind kind,
			      const struct disclosure_cell *cells, size_t groups,
			      const enum suppression *out, const char *table,
			      const char *const *names, struct disclosure_audit *a);

/* True when a shown cell of n answers may show its order statistics. */
bool disclosure_order_stats(const struct disclosure_rules *r, size_t n);

/* The threshold T on n for a kind of table. */
size_t disclosure_min_n(const struct disclosure_rules *r, enum disclosure_kind kind);

/*
 * Stable code ("min_n", "shares", "equal_values", "complementary",
 * "linked"; "" when shown).
 */
const char *disclosure_code(enum suppression s);
/* Words for a reader. */
const char *disclosure_reason(enum suppression s);

#endif
