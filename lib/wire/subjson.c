#include "subjson.h"
#include "text.h"
#include "error.h"
#include "util.h"
#include "wire.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int set_string(char **field, json_t *v)
{
	*field = strdup(json_string_value(v));
	return *field == NULL ? CV_ENOMEM : 0;
}

static int parse_answer(const char *qid, json_t *v, Canvass__Answer **out, char *err, size_t errlen)
{
	Canvass__Answer *a = malloc(sizeof *a);
	int rc = 0;

	*out = NULL;
	if (a == NULL)
		return CV_ENOMEM;
	canvass__answer__init(a);
	if ((a->question = strdup(qid)) == NULL) {
		free(a);
		return CV_ENOMEM;
	}
	switch (json_typeof(v)) {
	case JSON_TRUE:
	case JSON_FALSE:
		a->value_case = CANVASS__ANSWER__VALUE_BOOLEAN;
		a->boolean = json_is_true(v);
		break;
	case JSON_INTEGER:
		a->value_case = CANVASS__ANSWER__VALUE_INTEGER;
		a->integer = json_integer_value(v);
		break;
	case JSON_REAL:
		a->value_case = CANVASS__ANSWER__VALUE_NUMBER;
		a->number = json_real_value(v);
		break;
	case JSON_STRING:
		a->value_case = CANVASS__ANSWER__VALUE_TEXT;
		rc = set_string(&a->text, v);
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *item;
		a->value_case = CANVASS__ANSWER__VALUE_LIST;
		a->list = malloc(sizeof *a->list);
		if (a->list == NULL) {
			a->value_case = CANVASS__ANSWER__VALUE__NOT_SET;
			rc = CV_ENOMEM;
			break;
		}
		canvass__string_list__init(a->list);
		a->list->items = calloc(json_array_size(v) + 1, sizeof *a->list->items);
		if (a->list->items == NULL) {
			rc = CV_ENOMEM;
			break;
		}
		json_array_foreach (v, i, item) {
			if (!json_is_string(item)) {
				rc = cv_fail(err, errlen, CV_EINVAL,
					     "$.answers.%s[%zu]: must be a string (an option id)",
					     qid, i);
				break;
			}
			if ((rc = set_string(&a->list->items[i], item)) != 0)
				break;
			a->list->n_items = i + 1;
		}
		break;
	}
	case JSON_OBJECT: {
		json_t *sp = json_object_get(v, "special");
		const char *s = json_string_value(sp);
		if (json_object_size(v) != 1 || s == NULL ||
		    (strcmp(s, "not_applicable") != 0 && strcmp(s, "dont_know") != 0)) {
			rc = cv_fail(err, errlen, CV_EINVAL,
				     "$.answers.%s: an object answer must be {\"special\": "
				     "\"not_applicable\"} or {\"special\": \"dont_know\"}",
				     qid);
			break;
		}
		a->value_case = CANVASS__ANSWER__VALUE_SPECIAL;
		a->special = strcmp(s, "not_applicable") == 0 ? CANVASS__SPECIAL__NOT_APPLICABLE
							      : CANVASS__SPECIAL__DONT_KNOW;
		break;
	}
	case JSON_NULL: break;
	}
	if (rc != 0) {
		WIRE_FREE(a);
		return rc;
	}
	*out = a;
	return 0;
}

static int parse_root(json_t *root, Canvass__Submission *s, char *err, size_t errlen)
{
	static const char *const keys[] = {"questionnaire", "version", "cycle", "member", "id",
					   "answers",       NULL};
	static const char *const strs[] = {"questionnaire", "cycle", "member"};
	char **fields[] = {&s->questionnaire, &s->cycle, &s->member};
	const char *key;
	json_t *v, *answers;
	int rc;

	if (!json_is_object(root))
		return cv_fail(err, errlen, CV_EINVAL, "$: a submission must be a JSON object");
	json_object_foreach (root, key, v) {
		bool known = false;
		for (size_t i = 0; keys[i] != NULL; i++)
			known = known || strcmp(key, keys[i]) == 0;
		if (!known)
			return cv_fail(err, errlen, CV_EINVAL, "$.%s: unknown key", key);
	}
	for (size_t i = 0; i < 3; i++) {
		v = json_object_get(root, strs[i]);
		if (!json_is_string(v))
			return cv_fail(err, errlen, CV_EINVAL, "$.%s: required, a string", strs[i]);
		if ((rc = set_string(fields[i], v)) != 0)
			return rc;
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > UINT32_MAX)
		return cv_fail(err, errlen, CV_EINVAL, "$.version: required, an integer from 1");
	s->version = (uint32_t)json_integer_value(v);
	v = json_object_get(root, "id");
	if (v != NULL) {
		if (!json_is_string(v))
			return cv_fail(err, errlen, CV_EINVAL, "$.id: must be a string");
		if ((rc = set_string(&s->idempotency_key, v)) != 0)
			return rc;
	}
	answers = json_object_get(root, "answers");
	if (!json_is_object(answers))
		return cv_fail(err, errlen, CV_EINVAL, "$.answers: required, an object");
	s->answers = calloc(json_object_size(answers) + 1, sizeof *s->answers);
	if (s->answers == NULL)
		return CV_ENOMEM;
	json_object_foreach (answers, key, v) {
		Canvass__Answer *a;
		if ((rc = parse_answer(key, v, &a, err, errlen)) != 0)
			return rc;
		if (a->value_case == CANVASS__ANSWER__VALUE__NOT_SET) {
			WIRE_FREE(a); /* null: no answer */
			continue;
		}
		s->answers[s->n_answers++] = a;
	}
	return 0;
}

/* The string rule (text.h) on one string of the file; JSON itself already means UTF-8. */
static int string_ok(const char *str, const char *path, const char *key, char *err, size_t errlen)
{
	enum text_fault f = text_check(str, strlen(str), NULL);
	char safe[72];

	if (f == TEXT_OK)
		return 0;
	return cv_fail(err, errlen, CV_EINVAL, "%s%s: %s (%s)", path,
		       key ? text_copy(safe, sizeof safe, key) : "", text_fault_words(f),
		       text_fault_code(f));
}

static int check_strings(const Canvass__Submission *s, char *err, size_t errlen)
{
	int rc = string_ok(s->questionnaire, "$.questionnaire", NULL, err, errlen);

	if (rc == 0)
		rc = string_ok(s->cycle, "$.cycle", NULL, err, errlen);
	if (rc == 0)
		rc = string_ok(s->member, "$.member", NULL, err, errlen);
	if (rc == 0)
		rc = string_ok(s->idempotency_key, "$.id", NULL, err, errlen);
	for (size_t i = 0; rc == 0 && i < s->n_answers; i++) {
		const Canvass__Answer *a = s->answers[i];
		rc = string_ok(a->question, "$.answers key ", a->question, err, errlen);
		if (rc == 0 && a->value_case == CANVASS__ANSWER__VALUE_TEXT)
			rc = string_ok(a->text, "$.answers.", a->question, err, errlen);
		for (size_t k = 0; rc == 0 && a->value_case == CANVASS__ANSWER__VALUE_LIST &&
				   k < a->list->n_items;
		     k++)
			rc = string_ok(a->list->items[k], "$.answers.", a->question, err, errlen);
	}
	return rc;
}

int subjson_parse(const char *text, size_t len, Canvass__Submission **out, char *err, size_t errlen)
{
	Canvass__Submission *s;
	json_error_t jerr;
	json_t *root;
	int rc;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return cv_fail(err, errlen, CV_EINVAL, "line %d column %d: %s", jerr.line,
			       jerr.column, jerr.text);
	s = malloc(sizeof *s);
	if (s == NULL) {
		json_decref(root);
		return CV_ENOMEM;
	}
	canvass__submission__init(s);
	rc = parse_root(root, s, err, errlen);
	json_decref(root);
	if (rc == 0)
		rc = check_strings(s, err, errlen);
	if (rc != 0) {
		if (rc == CV_ENOMEM)
			cv_fail(err, errlen, rc, "out of memory");
		WIRE_FREE(s);
		return rc;
	}
	*out = s;
	return 0;
}

int subjson_load_file(const char *path, Canvass__Submission **out, char *err, size_t errlen)
{
	char *text, inner[512];
	size_t len;
	int rc;

	*out = NULL;
	rc = cv_read_file(path, SUBJSON_MAX_FILE, &text, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = subjson_parse(text, len, out, inner, sizeof inner);
	free(text);
	if (rc != 0)
		return cv_fail(err, errlen, rc, "%s: %s", path, inner);
	return 0;
}

json_t *subjson_answer_value(const Canvass__Answer *a)
{
	json_t *arr;

	switch (a->value_case) {
	case CANVASS__ANSWER__VALUE_BOOLEAN: return json_boolean(a->boolean);
	case CANVASS__ANSWER__VALUE_INTEGER: return json_integer(a->integer);
	case CANVASS__ANSWER__VALUE_NUMBER: return json_real(a->number);
	case CANVASS__ANSWER__VALUE_TEXT: return json_string(a->text);
	case CANVASS__ANSWER__VALUE_LIST:
		arr = json_array();
		for (size_t i = 0; arr && i < a->list->n_items; i++)
			json_array_append_new(arr, json_string(a->list->items[i]));
		return arr;
	case CANVASS__ANSWER__VALUE_SPECIAL:
		return json_pack("{ss}", "special",
				 a->special == CANVASS__SPECIAL__NOT_APPLICABLE ? "not_applicable"
										: "dont_know");
	default: return NULL;
	}
}

/* The fewest significant digits that read back as x exactly. */
static int digits_needed(double x)
{
	char buf[40];
	for (int p = 1; p < 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, x);
		if (strtod(buf, NULL) == x)
			return p;
	}
	return 17;
}

int subjson_real_precision(const Canvass__Submission *s)
{
	int p = 1;
	for (size_t i = 0; i < s->n_answers; i++)
		if (s->answers[i]->value_case == CANVASS__ANSWER__VALUE_NUMBER) {
			int d = digits_needed(s->answers[i]->number);
			p = d > p ? d : p;
		}
	return p;
}

json_t *subjson_from_submission(const Canvass__Submission *s)
{
	json_t *answers = json_object();
	json_t *o = json_pack("{ss sI ss ss}", "questionnaire", s->questionnaire, "version",
			      (json_int_t)s->version, "cycle", s->cycle, "member", s->member);

	if (o == NULL || answers == NULL) {
		json_decref(o);
		json_decref(answers);
		return NULL;
	}
	if (s->idempotency_key[0] != '\0')
		json_object_set_new(o, "id", json_string(s->idempotency_key));
	for (size_t i = 0; i < s->n_answers; i++) {
		json_t *v = subjson_answer_value(s->answers[i]);
		if (v != NULL)
			json_object_set_new(answers, s->answers[i]->question, v);
	}
	json_object_set_new(o, "answers", answers);
	return o;
}

/* The quality findings, whose numbers the JSON output carries. */
static bool is_finding(const char *code)
{
	return strcmp(code, "SOFT_RANGE") == 0 || strcmp(code, "CHANGE_FROM_PREVIOUS") == 0 ||
	       strcmp(code, "OUTLIER") == 0;
}

static json_t *receipt_json(const Canvass__Receipt *rc)
{
	json_t *rj = json_object();
	char hex[2 * CV_HASH_LEN + 1];

	if (rj == NULL)
		return NULL;
	json_object_set_new(rj, "member", json_string(rc->member));
	json_object_set_new(rj, "id", json_string(rc->idempotency_key));
	json_object_set_new(rj, "sequence", json_integer((json_int_t)rc->sequence));
	json_object_set_new(rj, "revision", json_integer(rc->revision));
	if (rc->content_hash.len == CV_HASH_LEN) {
		cv_hex(rc->content_hash.data, CV_HASH_LEN, hex);
		json_object_set_new(rj, "content_hash", json_string(hex));
	}
	if (rc->chain_hash.len == CV_HASH_LEN) {
		cv_hex(rc->chain_hash.data, CV_HASH_LEN, hex);
		json_object_set_new(rj, "chain_hash", json_string(hex));
	}
	json_object_set_new(rj, "stored_at_ms", json_integer(rc->stored_at_ms));
	json_object_set_new(rj, "late", json_boolean(rc->late));
	return rj;
}

/* The digest decisions in force: [{question, decision, text, sequence, reviewer, at, comment}]. */
static json_t *editorial_json(const Canvass__ReturnStatus *st)
{
	json_t *arr = json_array();
	char when[32];

	for (size_t i = 0; arr != NULL && i < st->n_editorial; i++) {
		const Canvass__Editorial *d = st->editorial[i];
		json_t *dj = json_object();
		json_object_set_new(dj, "question", json_string(d->question));
		json_object_set_new(dj, "decision",
				    json_string(d->excluded ? "excluded" : "edited"));
		if (!d->excluded)
			json_object_set_new(dj, "text", json_string(d->text));
		json_object_set_new(dj, "sequence", json_integer((json_int_t)d->sequence));
		json_object_set_new(dj, "reviewer", json_string(d->reviewer));
		json_object_set_new(dj, "at",
				    json_string(cv_utc_time(d->at_ms, when, sizeof when)));
		json_object_set_new(dj, "comment", json_string(d->comment));
		json_array_append_new(arr, dj);
	}
	return arr;
}

json_t *subjson_return_status(const Canvass__ReturnStatus *st)
{
	json_t *o = json_object(), *qs = json_array();
	size_t open = 0;
	char when[32];

	if (o == NULL || qs == NULL) {
		json_decref(o);
		json_decref(qs);
		return NULL;
	}
	json_object_set_new(o, "questionnaire", json_string(st->questionnaire));
	json_object_set_new(o, "cycle", json_string(st->cycle));
	json_object_set_new(o, "member", json_string(st->member));
	if (st->region[0] != '\0')
		json_object_set_new(o, "region", json_string(st->region));
	json_object_set_new(o, "state", json_string(wire_return_state_name(st->state)));
	if (st->receipt != NULL)
		json_object_set_new(o, "receipt", receipt_json(st->receipt));
	json_object_set_new(o, "state_sequence", json_integer((json_int_t)st->state_sequence));
	for (size_t i = 0; i < st->n_queries; i++) {
		const Canvass__Query *q = st->queries[i];
		json_t *qj = json_object(), *ids = json_array();
		for (size_t k = 0; ids != NULL && k < q->n_questions; k++)
			json_array_append_new(ids, json_string(q->questions[k]));
		json_object_set_new(qj, "sequence", json_integer((json_int_t)q->sequence));
		json_object_set_new(qj, "reviewer", json_string(q->reviewer));
		json_object_set_new(qj, "at",
				    json_string(cv_utc_time(q->at_ms, when, sizeof when)));
		json_object_set_new(qj, "comment", json_string(q->comment));
		json_object_set_new(qj, "questions", ids);
		json_object_set_new(qj, "open", json_boolean(q->closed_sequence == 0));
		json_object_set_new(qj, "answered_by_revision",
				    json_integer((json_int_t)q->answered_by_revision));
		json_object_set_new(qj, "closed_sequence",
				    json_integer((json_int_t)q->closed_sequence));
		json_array_append_new(qs, qj);
		open += q->closed_sequence == 0;
	}
	json_object_set_new(o, "open_queries", json_integer((json_int_t)open));
	json_object_set_new(o, "queries", qs);
	json_object_set_new(o, "editorial", editorial_json(st));
	return o;
}

static void print_query(FILE *out, const Canvass__Query *q)
{
	char when[32];

	if (q->closed_sequence == 0)
		fprintf(out, "  OPEN query %llu", (unsigned long long)q->sequence);
	else if (q->answered_by_revision != 0)
		fprintf(out, "  answered query %llu (by revision %u)",
			(unsigned long long)q->sequence, q->answered_by_revision);
	else
		fprintf(out, "  closed query %llu (by the approval at %llu)",
			(unsigned long long)q->sequence, (unsigned long long)q->closed_sequence);
	fprintf(out, ", %s, %s", q->reviewer, cv_utc_time(q->at_ms, when, sizeof when));
	for (size_t k = 0; k < q->n_questions; k++)
		fprintf(out, "%s%s", k == 0 ? ", on " : " ", q->questions[k]);
	fputs(": ", out);
	text_fputs_terminal(out, q->comment); /* a reviewer's words cannot steer a terminal */
	fputc('\n', out);
}

void subjson_print_return(FILE *out, const Canvass__ReturnStatus *st)
{
	char when[32];

	fprintf(out, "%s %s %s: %s", st->member, st->questionnaire, st->cycle,
		wire_return_state_name(st->state));
	if (st->receipt != NULL)
		fprintf(out, ", revision %u (sequence %llu, stored %s%s)", st->receipt->revision,
			(unsigned long long)st->receipt->sequence,
			cv_utc_time(st->receipt->stored_at_ms, when, sizeof when),
			st->receipt->late ? ", late" : "");
	fprintf(out, ", %zu open quer%s\n", wire_return_open_queries(st),
		wire_return_open_queries(st) == 1 ? "y" : "ies");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < st->n_queries; i++)
			if ((st->queries[i]->closed_sequence == 0) == (pass == 0))
				print_query(out, st->queries[i]);
	for (size_t i = 0; i < st->n_editorial; i++) {
		const Canvass__Editorial *d = st->editorial[i];
		fprintf(out, "  digest: %s%s %s (sequence %llu, %s, %s): ",
			d->question[0] ? d->question : "every shared answer",
			d->question[0] ? "" : " of the return", d->excluded ? "excluded" : "edited",
			(unsigned long long)d->sequence, d->reviewer,
			cv_utc_time(d->at_ms, when, sizeof when));
		text_fputs_terminal(out, d->comment);
		fputc('\n', out);
		if (!d->excluded) {
			fputs("    shown as: ", out);
			text_fputs_terminal(out, d->text);
			fputc('\n', out);
		}
	}
}

json_t *subjson_reply(const Canvass__Reply *r)
{
	json_t *o = json_object(), *probs = json_array();

	if (o == NULL || probs == NULL) {
		json_decref(o);
		json_decref(probs);
		return NULL;
	}
	json_object_set_new(o, "status", json_string(wire_status_name(r->status)));
	json_object_set_new(o, "message", json_string(r->message));
	if (r->receipt != NULL)
		json_object_set_new(o, "receipt", receipt_json(r->receipt));
	for (size_t i = 0; i < r->n_problems; i++) {
		const Canvass__Problem *p = r->problems[i];
		json_t *pj = json_pack(
			"{ss ss ss ss}", "code", p->code, "question", p->question, "severity",
			p->severity == CANVASS__SEVERITY__SEVERITY_WARNING ? "warning" : "error",
			"message", p->message);
		if (pj != NULL && p->rule[0] != '\0')
			json_object_set_new(pj, "rule", json_string(p->rule));
		if (pj != NULL && is_finding(p->code)) {
			json_object_set_new(pj, "value", json_real(p->value));
			json_object_set_new(pj, "reference", json_real(p->reference));
			if (strcmp(p->code, "SOFT_RANGE") != 0) {
				json_object_set_new(pj, "score", json_real(p->score));
				json_object_set_new(pj, "group", json_string(p->group));
			}
			if (strcmp(p->code, "OUTLIER") == 0)
				json_object_set_new(pj, "group_size",
						    json_integer((json_int_t)p->group_size));
		}
		json_array_append_new(probs, pj);
	}
	json_object_set_new(o, "problems", probs);
	if (r->n_returns > 0) {
		json_t *rs = json_array();
		for (size_t i = 0; rs != NULL && i < r->n_returns; i++)
			json_array_append_new(rs, subjson_return_status(r->returns[i]));
		json_object_set_new(o, "returns", rs);
	}
	return o;
}

int subjson_print_line(FILE *out, json_t *o)
{
	int rc = o != NULL && json_dumpf(o, out, JSON_COMPACT) == 0 && fputc('\n', out) != EOF ? 0
											       : -1;
	json_decref(o);
	return rc;
}
