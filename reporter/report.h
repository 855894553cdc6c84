/*
 * report.h - the table of reports, the way git has a table of commands:
 * one row per report with its name, the formats it renders, what it reads
 * from the store, the options only it takes, and the function that builds
 * and renders it. canvass-reporter's main() finds the row, checks the
 * options against it (options.h), loads what the row says and calls it.
 *
 * A report writes to standard output and returns 0 or a canvass code;
 * CV_ENOTFOUND means it has said why on standard error already.
 */
#ifndef CANVASS_REPORTER_REPORT_H
#define CANVASS_REPORTER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "options.h"
#include "qdef.h"
#include "registry.h"
#include "store.h"

/* What a report reads before it runs. */
enum report_input {
	INPUT_DEFINITION, /* the definition and the registry only, no store */
	INPUT_CYCLE,      /* one cycle's dataset (--cycle) */
	INPUT_COMPARE,    /* one cycle's dataset, streamed when no row is kept */
	INPUT_CYCLES,     /* the cycles of --cycles, or every cycle in the store */
	INPUT_EXPORT,     /* --cycle's dataset, or every cycle without it */
};

/* What main() has loaded for a report; it frees all of it. */
struct report_ctx {
	const struct report_opts *o;
	const struct qset *qs;
	const struct questionnaire *def;
	const struct registry *reg;
	struct store_view *view; /* NULL for INPUT_DEFINITION */
	struct dataset *ds;      /* NULL for INPUT_DEFINITION, INPUT_CYCLES, export of all */
	char **cycles;           /* INPUT_CYCLES, and export without --cycle */
	size_t n_cycles;
};

struct report_cmd {
	const char *name;
	unsigned formats; /* 1u << enum format, for each format it renders */
	const char *default_format;
	enum report_input input;
	bool approved_only; /* takes --approved-only */
	const char *usage;  /* its formats and own options, for --help */
	int (*run)(struct report_ctx *c);
};

/* The row of a report's name (borrowed, static), or NULL. */
const struct report_cmd *report_find(const char *name);
/* Every row, in the order of --help; the last has a NULL name. */
extern const struct report_cmd report_table[];

/*
 * After settings_parse: the format, the disclosure rules, the special rate,
 * and every combination the report cannot take (a missing --cycle, a format
 * it has not, ...). 0, or CV_ECONFIG with the reason in err. extra: the
 * arguments left after the settings (none is allowed).
 */
int report_check(const struct report_cmd *cmd, struct report_opts *o, int extra, char *err,
		 size_t errlen);

/* The usage: every report with its formats and own options, then the settings. */
void report_usage(FILE *out, const struct report_opts *o);

/*
 * Loads what cmd->input says into c (c->o, c->qs, c->def, c->reg and
 * c->view set by the caller). 0, or a canvass code with the reason on
 * standard error.
 */
int report_load(const struct report_cmd *cmd, struct report_ctx *c);
/* Frees what report_load put in c. */
void report_unload(struct report_ctx *c);

#endif
