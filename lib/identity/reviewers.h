/*
 * reviewers.h - the reviewers file: who may act on returns over the
 * aggregator's review endpoint (docs/review.md).
 *
 * One reviewer per line, "name,public_key": a name of 1 to 63 letters,
 * digits, '.', '_' or '-', and a CURVE public key in Z85 (40 characters,
 * as canvassctl keygen writes it to NAME.pub). Blank lines and lines
 * starting with '#' are skipped. A name or key given twice, or a line that
 * is not of this form, refuses the whole file with its line number.
 */
#ifndef CANVASS_REVIEWERS_H
#define CANVASS_REVIEWERS_H

#include <stddef.h>

#include "zap.h"

/* *out (the caller frees it) gets one zap_entry per reviewer: user = name. */
int reviewers_load(const char *path, struct zap_entry **out, size_t *n, char *err, size_t errlen);

#endif
