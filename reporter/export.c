#include "export.h"
#include "error.h"
#include "render.h"
#include "subjson.h"
#include "util.h"

#include <jansson.h>
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
	case CANVASS__ANSWER__VALUE_INTEGER: fprintf(out, "%lld", (long long)a->integer); break;
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

int export_write(const struct dataset *ds, bool jsonl, bool header, FILE *out)
{
	const struct questionnaire *def = ds->def;
	char when[32];

	if (header && !jsonl)
		fputs("member,region,questionnaire,version,cycle,question,section,value,special,"
		      "revision,submitted,late,classification\n",
		      out);
	for (size_t i = 0; i < ds->n; i++) {
		const struct ds_row *r = &ds->rows[i];
		const char *region = r->reg ? r->reg->region : "";
		cv_utc_time(r->stored_at_ms, when, sizeof when);
		for (size_t k = 0; k < def->n_questions; k++) {
			const struct question *q = &def->questions[k];
			const Canvass__Answer *a = ds_answer(r, q);
			const char *special = special_of(a);
			if (jsonl) {
				json_t *v = special[0] ? json_null() : subjson_answer_value(a);
				json_t *o = json_pack(
					"{ss ss ss sI ss ss ss so ss sI ss sb ss}", "member",
					r->member, "region", region, "questionnaire", def->id,
					"version", (json_int_t)r->version, "cycle", ds->cycle,
					"question", q->id, "section", def->sections[q->section].id,
					"value", v ? v : json_null(), "special", special,
					"revision", (json_int_t)r->revision, "submitted", when,
					"late", (int)r->late, "classification", "confidential");
				char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
				if (text == NULL) {
					json_decref(o);
					return CV_ENOMEM;
				}
				fprintf(out, "%s\n", text);
				free(text);
				json_decref(o);
				continue;
			}
			render_csv_field(out, r->member);
			fputc(',', out);
			render_csv_field(out, region);
			fputc(',', out);
			render_csv_field(out, def->id);
			fprintf(out, ",%u,", r->version);
			render_csv_field(out, ds->cycle);
			fprintf(out, ",%s,%s,", q->id, def->sections[q->section].id);
			if (!special[0])
				export_csv_value(out, a);
			fprintf(out, ",%s,%u,%s,%s,confidential\n", special, r->revision, when,
				r->late ? "true" : "false");
		}
		if (ferror(out))
			return CV_EIO;
	}
	return 0;
}
