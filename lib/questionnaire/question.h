/*
 * question.h - the model of a loaded questionnaire: sections, questions,
 * options, scoring, rules and quality checks, and the lookups every layer
 * above uses (qdef.h loads it from JSON, expr.h compiles against it).
 *
 * A questionnaire is immutable once loaded; every pointer into it stays
 * valid until the loader frees it (qdef_free). This header includes
 * nothing of the loader or of the expression language, so that both can
 * include it: the model is below them.
 */
#ifndef CANVASS_QUESTION_H
#define CANVASS_QUESTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "canvass.pb-c.h"

/*
 * The languages a definition may give its texts in (the WCO's working
 * languages). A text field holds the definition's default language; the
 * *_tr arrays hold each language's text when the definition gives them
 * (NULL otherwise), read with qdef_text.
 */
enum qlang { QLANG_EN, QLANG_FR, QLANGS };

enum qtype {
	QT_YES_NO,
	QT_INTEGER,
	QT_NUMBER,
	QT_SCALE,
	QT_CHOICE,
	QT_MULTI_CHOICE,
	QT_TEXT,
};

struct expr;

/* An option of a choice question, or a level of a scale (value used). */
struct qoption {
	char *id;      /* option id; NULL for scale levels */
	int64_t value; /* scale level value */
	char *label;
	char *label_tr[QLANGS];
	double score;   /* choice options of a scored question: 0..1 */
	char *replaces; /* the option of the previous version it continues; NULL: its own id */
};

/*
 * How a question counts towards its section's score (0-100): the answer
 * maps to 0..1 and the section score is the weighted mean of its scored,
 * answered questions, times 100. yes/no: yes 1, no 0 (or as given); scale:
 * (level - lowest) / (highest - lowest); choice: each option's score;
 * integer/number: linear from `zero` (0) to `full` (1), clamped.
 */
struct qscore {
	bool scored;
	double weight;
	double yes, no;    /* yes/no */
	double zero, full; /* integer, number */
};

/* A cross-question rule: an error rejects, a warning is reported. */
struct qrule {
	char *id;
	char *expr_src;
	struct expr *expr;
	bool warning;
	char *message;
};

/*
 * Quality checks of a number (integer, number, scale level): findings are
 * warnings, never refusals (docs/questionnaires.md, "Quality checks").
 */
struct qcheck {
	bool has_warn_below, has_warn_above; /* SOFT_RANGE */
	double warn_below, warn_above;
	bool change; /* CHANGE_FROM_PREVIOUS; at least one threshold */
	bool has_relative, has_absolute;
	double relative, absolute;
	double outlier_z; /* OUTLIER threshold; 0: not checked */
	unsigned outlier_min_answers;
};

struct question {
	char *id;
	size_t id_len; /* strlen(id), for the readers that compare ids with bytes */
	char *text;
	char *text_tr[QLANGS];
	char *hint; /* a note under the question for the person answering; NULL: none */
	char *hint_tr[QLANGS];
	enum qtype type;
	size_t section; /* index into questionnaire.sections */
	size_t order;   /* position in the questionnaire, from 0 */
	bool required;
	bool allow_not_applicable;
	bool allow_dont_know;
	bool has_min, has_max; /* integer, number */
	double min, max;
	char *unit;              /* may be NULL */
	size_t max_length;       /* text; 0 = the wire limit only */
	struct qoption *options; /* choice, multiple choice, scale */
	size_t n_options;
	int64_t level_lo, level_hi; /* a scale's lowest and highest level */
	size_t index_in_section;
	char *when_src; /* condition, or NULL: always applies */
	struct expr *when;
	struct qscore score;
	struct qcheck check;
	/*
	 * Lineage (docs/questionnaires.md, "Versions and lineage"): the question
	 * of the previous version it continues (NULL: the one of the same id,
	 * if any), and whether its figures are comparable with that one's.
	 */
	char *replaces;
	bool not_comparable;
	/*
	 * Set when the definition loads in a set (qset_load_dir): the id of the
	 * question it continues in the previous version when that id differs
	 * (borrowed from that version), else NULL.
	 */
	char *previous_id;
	/*
	 * The good-practice digest (docs/questionnaires.md, "Sharing good
	 * practice"): a consent question (a choice of exactly no, anonymously,
	 * with_name) for its section or for the whole questionnaire; a
	 * shareable answer, the section (key factor) it is about, and the
	 * consent question that governs it (its section's, else the
	 * questionnaire's; resolved at load, never NULL for a shareable one).
	 */
	enum qconsent { QCONSENT_NONE, QCONSENT_SECTION, QCONSENT_QUESTIONNAIRE } consent;
	bool share;
	char *about_src; /* "about" as given; NULL: its own section */
	size_t about;    /* index into questionnaire.sections */
	const struct question *consent_by;
};

/* A consent answer's level: what the member agreed to. */
enum qshare { QSHARE_NO, QSHARE_ANONYMOUSLY, QSHARE_WITH_NAME };

struct section {
	char *id;
	char *title;
	char *title_tr[QLANGS];
};

struct questionnaire {
	char *id;
	uint32_t version;
	char *title;
	char *title_tr[QLANGS];
	bool translated; /* "languages" given: every text in each of them */
	enum qlang languages[QLANGS];
	size_t n_languages;
	struct section *sections;
	size_t n_sections;
	struct question *questions; /* in questionnaire order */
	size_t n_questions;
	struct question **by_id; /* sorted by id, for lookups */
	struct qrule *rules;
	size_t n_rules;
	size_t n_store_checks; /* questions with a change or outlier check */
	size_t n_shared;       /* shareable questions */
};

/* A text in lang when the definition gives it, else in its default language (dflt). */
const char *qdef_text(const char *dflt, char *const tr[QLANGS], enum qlang lang);
/* "en", "fr"; and back (-1 for another code). */
const char *qlang_code(enum qlang lang);
int qlang_parse(const char *code);

/* A type's name in the definition format ("yes_no", ...), "?" if none. */
const char *qtype_name(enum qtype t);
/* The type of a name; CV_ENOTFOUND for an unknown name. */
int qtype_parse(const char *name, enum qtype *out);

const struct question *qdef_question(const struct questionnaire *q, const char *id);

/*
 * A consent answer's level: "anonymously", "with_name", else (no answer,
 * "no", a special answer) QSHARE_NO. Its option id back ("no", ...).
 */
enum qshare qdef_share_level(const Canvass__Answer *consent);
const char *qshare_name(enum qshare level);
/* The option ids a consent question has, in this order. */
extern const char *const qdef_consent_options[3];
/* Index of the option with that id, or -1. */
int qdef_option_index(const struct question *qn, const char *id);
/* Index of the scale level with that value, or -1. */
int qdef_level_index(const struct question *qn, int64_t value);

/*
 * The answer's score in 0..1 (see struct qscore). CV_ENOTFOUND when the
 * question is not scored or the answer gives no score (special, mismatch).
 */
int qdef_score(const struct question *qn, const Canvass__Answer *a, double *out);

#endif
