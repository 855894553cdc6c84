/*
 * text.h - the one string rule of canvass, and its identifier classes.
 *
 * Every string that crosses the wire or is read from a JSON file obeys
 * the string rule (docs/protocol.md, "Strings"):
 *   - valid UTF-8 as RFC 3629 defines it: no overlong forms, no UTF-16
 *     surrogates (U+D800..U+DFFF), nothing above U+10FFFF;
 *   - no NUL, no other C0 control character but TAB, LF and CR, no DEL,
 *     no C1 control character (U+0080..U+009F).
 * Identifiers are narrower still; each class has its character set and
 * length (text_id_ok). Replies echo what a peer sent only through
 * text_sanitize, so that every reply is valid proto3 whatever came in.
 *
 * Nothing here allocates; every function but text_fputs_terminal (which
 * writes to a stream) is pure.
 */
#ifndef CANVASS_TEXT_H
#define CANVASS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What text_check found. */
enum text_fault {
	TEXT_OK = 0,
	TEXT_BAD_UTF8, /* not UTF-8: a stray byte, overlong form, surrogate, > U+10FFFF, cut short
			*/
	TEXT_NUL,      /* a NUL byte */
	TEXT_CONTROL,  /* a control character other than TAB, LF, CR (or DEL, or C1) */
};

/*
 * Checks len bytes of s against the string rule. Returns TEXT_OK or the
 * first fault, with its byte offset in *at (when at is not NULL).
 */
enum text_fault text_check(const char *s, size_t len, size_t *at);

/* Stable problem code of a fault: "INVALID_UTF8", "NUL_IN_STRING", "CONTROL_CHARACTER". */
const char *text_fault_code(enum text_fault f);
/* Human words for a fault ("is not valid UTF-8", ...). */
const char *text_fault_words(enum text_fault f);

/* Identifier classes, each with its character set and length. */
enum text_id {
	ID_MEMBER, /* A-Z 0-9, 2-16 bytes */
	ID_NAME,   /* questionnaire, question, option, rule, section: A-Z a-z 0-9 _ . -, 1-64 */
	ID_CYCLE,  /* printable ASCII without space (0x21-0x7e), 1-32 */
	ID_KEY,    /* idempotency key: printable ASCII without space, 1-128 */
};

#define TEXT_MAX_MEMBER 16
#define TEXT_MAX_NAME   64
#define TEXT_MAX_CYCLE  32
#define TEXT_MAX_KEY    128

/* True when the NUL-terminated s is an identifier of class kind. */
bool text_id_ok(enum text_id kind, const char *s);
/* The class's rule in words, for error messages: "1-64 of A-Z a-z 0-9 _ . -". */
const char *text_id_rule(enum text_id kind);

/*
 * Makes the NUL-terminated s valid UTF-8 in place, never longer: every
 * byte that does not start a valid sequence becomes '?', and a sequence
 * cut short at the end (e.g. by a bounded snprintf) is dropped. Control
 * characters other than TAB, LF and CR become '?' too. Returns s.
 */
char *text_sanitize(char *s);

/*
 * Copies src into dst (size len >= 1) as text_sanitize would leave it,
 * cut at a character boundary when it does not fit. Returns dst.
 */
char *text_copy(char *dst, size_t len, const char *src);

/*
 * Writes s to a terminal (text reports, review show, status) so that it
 * cannot steer it: a control character as \xNN, a bidirectional formatting
 * character (U+061C, U+200E/F, U+202A..E, U+2066..9; allowed in text, as
 * right-to-left scripts use them) as <U+202E>, bytes that are not UTF-8 as
 * '?'. Everything else as it is.
 */
void text_fputs_terminal(FILE *out, const char *s);
/* The same into dst (size len >= 1), cut before the first piece that does not fit. */
char *text_terminal_copy(char *dst, size_t len, const char *src);

#endif
