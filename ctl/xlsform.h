/*
 * xlsform.h - an XLSForm workbook read as a questionnaire definition
 * (docs/questionnaires.md, "Designing in a spreadsheet"): the survey,
 * choices and settings sheets of the XLSForm specification, canvass's own
 * columns and rules sheet, XLSForm's expressions translated into canvass's
 * language. Every problem of the workbook is found at once, each with its
 * sheet and cell; the definition is then checked exactly as the daemons
 * check it at load.
 */
#ifndef CANVASS_XLSFORM_H
#define CANVASS_XLSFORM_H

#include <jansson.h>
#include <stddef.h>

#include "xlsx.h"

#define XLSFORM_MAX_PROBLEMS 200

struct xlsform_problems {
	char *items[XLSFORM_MAX_PROBLEMS]; /* "survey!H14: reason" */
	size_t n;
	size_t more; /* found beyond the ones kept */
};

/*
 * The definition the workbook describes: 0 and *out (the caller's), or
 * CV_EINVAL with every problem in p (freed with xlsform_problems_free), or
 * CV_ENOMEM.
 */
int xlsform_import(const struct xlsx *x, json_t **out, struct xlsform_problems *p);
void xlsform_problems_free(struct xlsform_problems *p);

/*
 * One XLSForm expression in canvass's language, unchecked (the caller
 * compiles it): ${id} to id, = to ==, div to /, not() to not, true() and
 * false() to true and false, 'strings' to "strings", count-selected to
 * count_selected, "." to self (NULL: "." is refused). A yes/no question
 * compared with 'yes' or 'no' reads as true or false; ${id} != '' as
 * answered(id). yes_no(ctx, id) says whether id is a yes/no question.
 * 0, or CV_EINVAL with the reason in err.
 */
typedef int (*xlsform_yes_no_fn)(void *ctx, const char *id);
int xlsform_expression(const char *src, const char *self, xlsform_yes_no_fn yes_no, void *ctx,
		       char *out, size_t outlen, char *err, size_t errlen);

#endif
