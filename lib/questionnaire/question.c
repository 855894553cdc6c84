#include "question.h"
#include "error.h"

#include <string.h>

static const char *const qtype_names[] = {
	[QT_YES_NO] = "yes_no", [QT_INTEGER] = "integer", [QT_NUMBER] = "number",
	[QT_SCALE] = "scale",   [QT_CHOICE] = "choice",   [QT_MULTI_CHOICE] = "multi_choice",
	[QT_TEXT] = "text",
};

const char *qtype_name(enum qtype t)
{
	return (size_t)t < sizeof qtype_names / sizeof qtype_names[0] ? qtype_names[t] : "?";
}

const char *qdef_text(const char *dflt, char *const tr[QLANGS], enum qlang lang)
{
	return (unsigned)lang < QLANGS && tr[lang] != NULL ? tr[lang] : dflt;
}

const char *qlang_code(enum qlang lang)
{
	return lang == QLANG_FR ? "fr" : "en";
}

int qlang_parse(const char *code)
{
	return strcmp(code, "en") == 0 ? QLANG_EN : strcmp(code, "fr") == 0 ? QLANG_FR : -1;
}

int qtype_parse(const char *name, enum qtype *out)
{
	for (size_t t = 0; t < sizeof qtype_names / sizeof qtype_names[0]; t++)
		if (strcmp(name, qtype_names[t]) == 0) {
			*out = (enum qtype)t;
			return 0;
		}
	return CV_ENOTFOUND;
}

const struct question *qdef_question(const struct questionnaire *q, const char *id)
{
	size_t lo = 0, hi = q->n_questions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, q->by_id[mid]->id);
		if (c == 0)
			return q->by_id[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int qdef_option_index(const struct question *qn, const char *id)
{
	for (size_t i = 0; i < qn->n_options; i++)
		if (qn->options[i].id != NULL && strcmp(qn->options[i].id, id) == 0)
			return (int)i;
	return -1;
}

int qdef_level_index(const struct question *qn, int64_t value)
{
	for (size_t i = 0; i < qn->n_options; i++)
		if (qn->options[i].value == value)
			return (int)i;
	return -1;
}

int qdef_score(const struct question *qn, const Canvass__Answer *a, double *out)
{
	const struct qscore *sc = &qn->score;
	double x;
	int idx;

	if (!sc->scored || a == NULL)
		return CV_ENOTFOUND;
	switch (qn->type) {
	case QT_YES_NO:
		if (a->value_case != CANVASS__ANSWER__VALUE_BOOLEAN)
			return CV_ENOTFOUND;
		*out = a->boolean ? sc->yes : sc->no;
		return 0;
	case QT_SCALE: {
		if (a->value_case != CANVASS__ANSWER__VALUE_INTEGER ||
		    qdef_level_index(qn, a->integer) < 0)
			return CV_ENOTFOUND;
		*out = (double)(a->integer - qn->level_lo) / (double)(qn->level_hi - qn->level_lo);
		return 0;
	}
	case QT_CHOICE:
		if (a->value_case != CANVASS__ANSWER__VALUE_TEXT ||
		    (idx = qdef_option_index(qn, a->text)) < 0)
			return CV_ENOTFOUND;
		*out = qn->options[idx].score;
		return 0;
	case QT_INTEGER:
	case QT_NUMBER:
		if (a->value_case == CANVASS__ANSWER__VALUE_INTEGER)
			x = (double)a->integer;
		else if (a->value_case == CANVASS__ANSWER__VALUE_NUMBER)
			x = a->number;
		else
			return CV_ENOTFOUND;
		x = (x - sc->zero) / (sc->full - sc->zero);
		*out = x < 0 ? 0 : x > 1 ? 1 : x;
		return 0;
	default: return CV_ENOTFOUND;
	}
}

const char *const qdef_consent_options[3] = {"no", "anonymously", "with_name"};

enum qshare qdef_share_level(const Canvass__Answer *consent)
{
	if (consent == NULL || consent->value_case != CANVASS__ANSWER__VALUE_TEXT)
		return QSHARE_NO;
	if (strcmp(consent->text, "with_name") == 0)
		return QSHARE_WITH_NAME;
	if (strcmp(consent->text, "anonymously") == 0)
		return QSHARE_ANONYMOUSLY;
	return QSHARE_NO;
}

const char *qshare_name(enum qshare level)
{
	return qdef_consent_options[level <= QSHARE_WITH_NAME ? level : QSHARE_NO];
}
