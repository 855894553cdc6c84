/*
 * expr.h - the small expression language of questionnaire conditions
 * ("when") and cross-question rules, e.g.
 *
 *   staff_women + staff_men <= staff_total
 *   answered(cc_signed_share) or not cc_exists
 *   selected(au_payments, "e_payment") and au_electronic_share >= 50
 *
 * Grammar, loosest first: or; and; not; comparisons (== != < <= > >=,
 * not chained); + -; * /; unary -; primaries: numbers, "strings", true,
 * false, question ids, answered(id), selected(id, "option"),
 * count_selected(id), ( ... ).
 *
 * Expressions are compiled against a questionnaire when it is loaded:
 * unknown ids, unknown options and type errors are load errors with the
 * position. A question id stands for its answer: yes/no as true/false,
 * integer/number/scale as a number, choice/text as a string (multiple
 * choice only through selected()). At evaluation, an unanswered question, a
 * special answer ("not applicable", "don't know") or a division by zero
 * makes a value unknown; and/or follow three-valued (Kleene) logic.
 */
#ifndef CANVASS_EXPR_H
#define CANVASS_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "canvass.pb-c.h"

struct questionnaire;
struct question;
struct expr;

enum expr_type { EXPR_NUMBER, EXPR_BOOL, EXPR_STRING };
enum expr_truth { EXPR_FALSE = 0, EXPR_TRUE = 1, EXPR_UNKNOWN = 2 };

/*
 * Compiles src against q. The expression must be boolean. On error returns
 * CV_ECONFIG with "position N: reason" in err. *out is freed with expr_free.
 */
int expr_compile(const char *src, const struct questionnaire *q, struct expr **out, char *err,
		 size_t errlen);
void expr_free(struct expr **e);

/* The answer to q, or NULL when it has none. */
typedef const Canvass__Answer *(*expr_lookup_fn)(void *ctx, const struct question *q);

enum expr_truth expr_eval(const struct expr *e, expr_lookup_fn lookup, void *ctx);

/*
 * Whether q applies to s: it has no condition, or its condition holds on
 * s's answers. s is canonical (canon_submission: answers found by binary
 * search).
 */
bool expr_applies(const struct question *q, const Canvass__Submission *s);

/*
 * The expression written out again: EXPR_CANVASS in this language (one
 * canonical spelling: single spaces, the fewest parentheses), or
 * EXPR_XLSFORM in the XLSForm subset of XPath (docs/questionnaires.md,
 * "Designing in a spreadsheet"): ${id} for a question, = for ==, div for /,
 * not(...), true() and false(), 'strings'; a yes/no question as
 * ${id} = 'yes'; answered(id) as ${id} != ''. 0, or CV_ETOOBIG when it does
 * not fit in len bytes, or CV_EINVAL (a string holding both quote marks has
 * no XLSForm spelling).
 */
enum expr_syntax { EXPR_CANVASS, EXPR_XLSFORM };
int expr_print(const struct expr *e, enum expr_syntax syntax, char *buf, size_t len);

/* The questions an expression reads, in order of first use (borrowed). */
size_t expr_questions(const struct expr *e, const struct question **out, size_t max);

#endif
