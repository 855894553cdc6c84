/*
 * i18n.h - the member portal's own words in the WCO's working languages,
 * English and French. A page is in one language (the person's choice, a
 * cookie, or the portal's --lang); each message has both, so a missing
 * translation is a test failure (unit_portal checks every entry).
 *
 * Questionnaire texts (titles, questions, options) come from the
 * definition; only the portal's chrome is here.
 */
#ifndef CANVASS_PORTAL_I18N_H
#define CANVASS_PORTAL_I18N_H

enum lang { LANG_EN, LANG_FR, LANG_COUNT };

enum msg {
	M_TITLE,
	M_RETURNS,
	M_QUESTIONNAIRE,
	M_CYCLE,
	M_DUE,
	M_STATE,
	M_OPEN_QUERIES,
	M_ACTION,
	M_NOT_STARTED,
	M_DRAFT,
	M_SUBMITTED,
	M_QUERIED,
	M_APPROVED,
	M_LATE,
	M_FILL_IN,
	M_REVISE,
	M_VIEW,
	M_NO_OPEN_CYCLE,
	M_SAVE,
	M_CHECK,
	M_UPDATE,
	M_REVIEW_SEND,
	M_SEND,
	M_BACK,
	M_DOWNLOAD_JSON,
	M_REQUIRED,
	M_NOT_APPLICABLE,
	M_DONT_KNOW,
	M_ANSWER,
	M_YES,
	M_NO,
	M_NO_ANSWER,
	M_DOES_NOT_APPLY,
	M_DRAFT_SAVED,
	M_VALID,
	M_PROBLEMS,
	M_WARNINGS,
	M_QUERY_FROM,
	M_SUMMARY,
	M_SUMMARY_INTRO,
	M_RECEIPT,
	M_STORED,
	M_DUPLICATE,
	M_LOCKED,
	M_CLOSED,
	M_REJECTED,
	M_NOT_DELIVERED,
	M_SEQUENCE,
	M_REVISION,
	M_CONTENT_HASH,
	M_STORED_AT,
	M_LATE_NOTE,
	M_ON_TIME,
	M_MIN,
	M_MAX,
	M_UNIT,
	M_NOT_A_NUMBER,
	M_NOT_A_WHOLE_NUMBER,
	M_LANGUAGE,
	M_FROM_PREVIOUS,
	M_LOCKED_FORM,
	M_ERROR_AT,
	M_FORBIDDEN,
	M_DIGEST,
	M_SHARE_WITH_NAME,
	M_SHARE_ANONYMOUSLY,
	M_SHARE_NO,
	M_SHARE_EXCLUDED,
	M_SHARE_EDITED,
	M_SHARE_HELD,
	M_COUNT
};

/* The message in lang (static, never NULL). */
const char *i18n(enum lang lang, enum msg m);
/* "en" or "fr" for a language; a code's language (LANG_EN when unknown). */
const char *i18n_code(enum lang lang);
enum lang i18n_parse(const char *code);

#endif
