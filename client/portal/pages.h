/*
 * pages.h - the member portal's pages, server-rendered HTML that works
 * without JavaScript (there is none): the returns, the form, the review
 * before sending, the receipt. Every value is escaped; every control has
 * its label, every section is a fieldset, every problem is said at its
 * question and listed at the top with a link to it (WCAG 2.1 AA is the
 * bar: docs/portal.md). Each function writes a whole page to out.
 */
#ifndef CANVASS_PORTAL_PAGES_H
#define CANVASS_PORTAL_PAGES_H

#include <stdbool.h>
#include <stdio.h>

#include "canvass.pb-c.h"
#include "cycles.h"
#include "form.h"
#include "i18n.h"
#include "qdef.h"

/* One line of the returns page: an open cycle of a questionnaire. */
struct return_row {
	const struct questionnaire *def; /* its latest version */
	const struct cycle *cycle;
	const Canvass__ReturnStatus *state; /* NULL: nothing stored yet */
	bool draft;                         /* a draft is saved */
	bool late;                          /* past the due date now */
};

/* The style sheet every page links (/style.css). */
extern const char pages_css[];

void page_returns(FILE *out, enum lang lang, const char *member, const struct return_row *rows,
		  size_t n, const char *note);

/*
 * The form. state: the return's review state (its open queries are shown
 * at their questions; approved: shown locked), or NULL. reply: a check's
 * or a refused send's answer (problems at their questions), or NULL.
 * note: a line at the top ("Draft saved..."), or NULL.
 */
void page_form(FILE *out, enum lang lang, const struct form *f, const Canvass__ReturnStatus *state,
	       const Canvass__Reply *reply, const char *note, bool has_previous);

/* The answers as they will be sent, and the Send button. */
void page_summary(FILE *out, enum lang lang, const struct form *f);

/*
 * After a send: the receipt, or why nothing was stored. rc: the client's
 * result (0: reply holds the answer).
 */
void page_receipt(FILE *out, enum lang lang, const struct form *f, int rc,
		  const Canvass__Reply *reply, const char *detail);

/* A refusal page (403 and the like) in words. */
void page_refused(FILE *out, enum lang lang, const char *words);

/* text escaped for HTML text and attribute values. */
void pages_escape(FILE *out, const char *text);

#endif
