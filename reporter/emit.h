/*
 * emit.h - a built report to standard output in the format asked for: its
 * text, JSON, CSV or SDMX renderer, or an Excel workbook made of its CSV
 * tables with the JSON output's stamp on the Notes sheet.
 */
#ifndef CANVASS_REPORTER_EMIT_H
#define CANVASS_REPORTER_EMIT_H

#include <jansson.h>
#include <stdio.h>

/* One report's renderers; NULL where it has no such format. */
struct emitters {
	int (*text)(const void *r, FILE *out);
	int (*json)(const void *r, FILE *out);
	int (*csv)(const void *r, FILE *out);
	int (*sdmx)(const void *r, FILE *out);
};

/* r rendered in fmt (enum format) to standard output; 0 or a canvass code. */
int emit(const char *report, int fmt, const struct emitters *e, const void *r);

/*
 * The workbook: e->csv's tables, typed, with notes on the Notes sheet (NULL:
 * the stamp of e->json's output). notes is borrowed.
 */
int emit_xlsx(const char *report, const struct emitters *e, const void *r, json_t *notes);

#endif
