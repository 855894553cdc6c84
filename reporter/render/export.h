/*
 * export.h - tidy long data for R, pandas or a spreadsheet: one row per
 * member x question of the questionnaire, streamed as rows are produced.
 *
 * Columns: member, region, questionnaire, version, cycle, question, section,
 * value, special, revision, submitted, late, classification (always
 * "confidential": member-level data, not for publication). value is the answer (option ids
 * of a multiple choice joined with ";" in CSV, an array in JSON Lines);
 * special is "not_applicable", "dont_know", "unanswered" or empty. CSV
 * follows RFC 4180. Member-level data: for the Secretariat.
 */
#ifndef CANVASS_REPORTER_EXPORT_H
#define CANVASS_REPORTER_EXPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "dataset.h"

/*
 * The CSV value cell of one answer (nothing for NULL): true/false, the
 * integer, the shortest decimal that reads back as the same double, the
 * text (RFC 4180 quoting), option ids joined with ";". The JSON Lines
 * value is subjson_answer_value's.
 */
void export_csv_value(FILE *out, const Canvass__Answer *a);

/* Writes the header (CSV) when header is true, then every row of ds. */
int export_write(const struct dataset *ds, bool jsonl, bool header, FILE *out);

#endif
