/*
 * pack.h - the feedback pack: one printable page per member with a return
 * (each member's feedback profile, revealing no other member's values),
 * an index, and with pdf a PDF of every page printed by headless Chromium.
 *
 * The directory is created 0700 (or is an empty directory of this user,
 * made 0700: a directory with files in it is refused, never written over),
 * every file 0600, new, through a temporary file renamed into place. Member codes are file names: a code that is not
 * letters, digits, '_' or '-' is skipped (the registry never has one).
 */
#ifndef CANVASS_REPORTER_PACK_H
#define CANVASS_REPORTER_PACK_H

#include <stdbool.h>

#include "dataset.h"
#include "disclosure.h"

/*
 * Writes the pack of ds into dir (only: one member's page, or NULL for all).
 * 0; or CV_ENOTFOUND, said on standard error with the path: no Chromium for
 * pdf, dir not usable (above), only has no return, a page not written.
 */
int pack_write(const struct dataset *ds, const struct disclosure_rules *rules, const char *dir,
	       const char *only, bool pdf);

#endif
