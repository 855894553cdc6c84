/*
 * qdef.h - questionnaire definitions: loading the JSON files the
 * Secretariat writes, and looking questions up.
 *
 * A definition is immutable once loaded; every pointer into it stays valid
 * until qset_free() of the set that holds it. The loader accepts a file
 * only when all of it is valid: on failure nothing is returned and err
 * names the file, the JSON path and the reason. The format is documented
 * in docs/questionnaires.md.
 */
#ifndef CANVASS_QDEF_H
#define CANVASS_QDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum qtype {
	QT_YES_NO,
	QT_INTEGER,
	QT_NUMBER,
	QT_SCALE,
	QT_CHOICE,
	QT_MULTI_CHOICE,
	QT_TEXT,
};

/* An option of a choice question, or a level of a scale (value used). */
struct qoption {
	char *id;      /* option id; NULL for scale levels */
	int64_t value; /* scale level value */
	char *label;
};

struct question {
	char *id;
	char *text;
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
};

struct section {
	char *id;
	char *title;
};

struct questionnaire {
	char *id;
	uint32_t version;
	char *title;
	struct section *sections;
	size_t n_sections;
	struct question *questions; /* in questionnaire order */
	size_t n_questions;
	struct question **by_id; /* sorted by id, for lookups */
};

struct qset {
	struct questionnaire **items;
	size_t n;
};

const char *qtype_name(enum qtype t);

/* Loads one definition file. *out is the caller's, freed with qdef_free(). */
int qdef_load_file(const char *path, struct questionnaire **out, char *err, size_t errlen);
/* Same, from JSON text; name is used in error messages. */
int qdef_load_text(const char *name, const char *text, size_t len, struct questionnaire **out,
		   char *err, size_t errlen);
void qdef_free(struct questionnaire **q);

/* Loads every *.json file of dir. Duplicate (id, version) pairs are refused. */
int qset_load_dir(const char *dir, struct qset **out, char *err, size_t errlen);
void qset_free(struct qset **set);

/* Borrowed pointers into the set, or NULL. */
const struct questionnaire *qset_find(const struct qset *set, const char *id, uint32_t version);
const struct questionnaire *qset_latest(const struct qset *set, const char *id);
const struct question *qdef_question(const struct questionnaire *q, const char *id);
/* Index of the option with that id, or -1. */
int qdef_option_index(const struct question *qn, const char *id);
/* Index of the scale level with that value, or -1. */
int qdef_level_index(const struct question *qn, int64_t value);

#endif
