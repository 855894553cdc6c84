/*
 * qdef.h - questionnaire definitions: loading the JSON files the
 * Secretariat writes into the model of question.h (qdef.c), and sets of
 * them with the lineage between their versions (qset.c).
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

#include "question.h"

struct qset {
	struct questionnaire **items;
	size_t n;
};

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

/*
 * Lineage (docs/questionnaires.md, "Versions and lineage"). The question of
 * the previous version (*prev, NULL when the set has none) that q of def
 * continues: the one named by q's "replaces", else the one of q's id; NULL
 * when q is new.
 */
const struct question *qset_previous(const struct qset *set, const struct questionnaire *def,
				     const struct question *q, const struct questionnaire **prev);
/*
 * The question of version to (older than from) that q of from continues,
 * through every version between; NULL when the chain breaks (q is newer).
 * *comparable is false when a step of the chain says its meaning changed
 * ("comparable": false). A version missing from the set: by id.
 */
const struct question *qset_continued(const struct qset *set, const struct questionnaire *from,
				      const struct question *q, const struct questionnaire *to,
				      bool *comparable);
/*
 * Checks def's lineage against the previous version in set (as loading a
 * set with def in it would; def is not added): 0, or CV_ECONFIG with the
 * reason in err.
 */
int qset_check_lineage(const struct qset *set, struct questionnaire *def, char *err, size_t errlen);
/* The id of the option of the continued question that o continues. */
const char *qdef_option_was(const struct qoption *o);
#endif
