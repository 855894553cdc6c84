#include "export.h"
#include "error.h"
#include "render.h"
#include "subjson.h"
#include "util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *special_of(const Canvass__Answer *a)
{
	if (a == NULL)
		return "unanswered";
	if (a->value_case == CANVASS__ANSWER__VALUE_SPECIAL)
		return a->special == CANVASS__SPECIAL__NOT_APPLICABLE ? "not_applicable"
								      : "dont_know";
	return "";
}

void export_csv_value(FILE *out, const Canvass__Answer *a)
{
	char buf[64];
	if (a == NULL)
		return;
	switch (a->value_case) {
	case CANVASS__ANSWER__VALUE_BOOLEAN: fputs(a->boolean ? "true" : "false", out); break;
	case CANVASS__ANSWER__VALUE_INTEGER: {
		/* (as "%lld" writes it, without printf's parsing: most answers are integers) */
		uint64_t u = a->integer < 0 ? 0 - (uint64_t)a->integer : (uint64_t)a->integer;
		size_t k = sizeof buf;
		do {
			buf[--k] = (char)('0' + u % 10);
			u /= 10;
		} while (u > 0);
		if (a->integer < 0)
			buf[--k] = '-';
		fwrite(buf + k, 1, sizeof buf - k, out);
		break;
	}
	case CANVASS__ANSWER__VALUE_NUMBER:
		fputs(cv_format_double(a->number, buf, sizeof buf), out);
		break;
	case CANVASS__ANSWER__VALUE_TEXT: render_csv_field(out, a->text); break;
	case CANVASS__ANSWER__VALUE_LIST: {
		size_t len = 1;
		char *joined;
		for (size_t i = 0; i < a->list->n_items; i++)
			len += strlen(a->list->items[i]) + 1;
		joined = calloc(len, 1);
		for (size_t i = 0; joined && i < a->list->n_items; i++) {
			if (i)
				strcat(joined, ";");
			strcat(joined, a->list->items[i]);
		}
		render_csv_field(out, joined);
		free(joined);
		break;
	}
	default: break;
	}
}

/* What render_csv_field writes for s, as a string (caller frees; NULL: no memory). */
static char *csv_string(void (*write)(FILE *, const void *), const void *arg, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	if (m == NULL)
		return NULL;
	write(m, arg);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct row_parts {
	const struct dataset *ds;
	const struct ds_row *r;
	const char *when;
};

/* member,region,questionnaire,version,cycle, */
static void write_head(FILE *m, const void *arg)
{
	const struct row_parts *p = arg;
	render_csv_field(m, p->r->member);
	fputc(',', m);
	render_csv_field(m, p->r->reg ? p->r->reg->region : "");
	fputc(',', m);
	render_csv_field(m, p->ds->def->id);
	fprintf(m, ",%u,", p->r->version);
	render_csv_field(m, p->ds->cycle);
	fputc(',', m);
}

/* ,revision,submitted,late,classification and the line's end */
static void write_tail(FILE *m, const void *arg)
{
	const struct row_parts *p = arg;
	fprintf(m, ",%u,%s,%s,confidential\n", p->r->revision, p->when,
		p->r->late ? "true" : "false");
}

static int export_csv(const struct dataset *ds, FILE *out)
{
	const struct questionnaire *def = ds->def;
	char **qpart = calloc(def->n_questions ? def->n_questions : 1, sizeof *qpart);
	size_t *qlen = calloc(def->n_questions ? def->n_questions : 1, sizeof *qlen);
	int rc = qpart != NULL && qlen != NULL ? 0 : CV_ENOMEM;

	/*
	 * A row's lines share their start and end, and a question's its middle:
	 * each is rendered once, then copied for every answer.
	 */
	for (size_t k = 0; rc == 0 && k < def->n_questions; k++) {
		/* question,section, */
		const struct question *q = &def->questions[k];
		const char *sec = def->sections[q->section].id;
		int n = snprintf(NULL, 0, "%s,%s,", q->id, sec);
		if (n < 0 || (qpart[k] = malloc((size_t)n + 1)) == NULL) {
			rc = CV_ENOMEM;
			break;
		}
		snprintf(qpart[k], (size_t)n + 1, "%s,%s,", q->id, sec);
		qlen[k] = (size_t)n;
	}
	for (size_t i = 0; rc == 0 && i < ds->n; i++) {
		const struct ds_row *r = &ds->rows[i];
		char when[32], *head, *tail;
		size_t hlen, tlen;
		struct row_parts parts = {ds, r, when};

		cv_utc_time(r->stored_at_ms, when, sizeof when);
		head = csv_string(write_head, &parts, &hlen);
		tail = csv_string(write_tail, &parts, &tlen);
		for (size_t k = 0; head != NULL && tail != NULL && k < def->n_questions; k++) {
			const Canvass__Answer *a = ds_answer(r, &def->questions[k]);
			const char *special = special_of(a);
			fwrite(head, 1, hlen, out);
			fwrite(qpart[k], 1, qlen[k], out);
			if (!special[0])
				export_csv_value(out, a);
			fputc(',', out);
			fputs(special, out);
			fwrite(tail, 1, tlen, out);
		}
		if (head == NULL || tail == NULL)
			rc = CV_ENOMEM;
		free(head);
		free(tail);
		if (rc == 0 && ferror(out))
			rc = CV_EIO;
	}
	for (size_t k = 0; qpart != NULL && k < def->n_questions; k++)
		free(qpart[k]);
	free(qpart);
	free(qlen);
	return rc;
}

int export_write(const struct dataset *ds, bool jsonl, bool header, FILE *out)
{
	const struct questionnaire *def = ds->def;
	char when[32];

	if (header && !jsonl)
		fputs("member,region,questionnaire,version,cycle,question,section,value,special,"
		      "revision,submitted,late,classification\n",
		      out);
	if (!jsonl)
		return export_csv(ds, out);
	for (size_t i = 0; i < ds->n; i++) {
		const struct ds_row *r = &ds->rows[i];
		const char *region = r->reg ? r->reg->region : "";
		cv_utc_time(r->stored_at_ms, when, sizeof when);
		for (size_t k = 0; k < def->n_questions; k++) {
			const struct question *q = &def->questions[k];
			const Canvass__Answer *a = ds_answer(r, q);
			const char *special = special_of(a);
			json_t *v = special[0] ? json_null() : subjson_answer_value(a);
			json_t *o = json_pack("{ss ss ss sI ss ss ss so ss sI ss sb ss}", "member",
					      r->member, "region", region, "questionnaire", def->id,
					      "version", (json_int_t)r->version, "cycle", ds->cycle,
					      "question", q->id, "section",
					      def->sections[q->section].id, "value",
					      v ? v : json_null(), "special", special, "revision",
					      (json_int_t)r->revision, "submitted", when, "late",
					      (int)r->late, "classification", "confidential");
			if (subjson_print_line(out, o) != 0)
				return o == NULL ? CV_ENOMEM : CV_EIO;
		}
		if (ferror(out))
			return CV_EIO;
	}
	return 0;
}
