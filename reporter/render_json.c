/* compare report as one JSON document (schema in docs/reports.md). */
#include "compare.h"
#include "error.h"

#include <jansson.h>
#include <math.h>

static json_t *real_or_null(double x)
{
	return isnan(x) ? json_null() : json_real(x);
}

static json_t *cell_json(const struct compare_question *cq, const char *group,
			 const struct compare_cell *c)
{
	const struct question *q = cq->q;
	json_t *o =
		json_pack("{ss sI sI sI}", "group", group, "n", (json_int_t)c->n, "not_applicable",
			  (json_int_t)c->not_applicable, "dont_know", (json_int_t)c->dont_know);
	size_t nopt = compare_n_options(q);

	if (o == NULL)
		return NULL;
	if (q->type == QT_INTEGER || q->type == QT_NUMBER || q->type == QT_SCALE) {
		json_object_set_new(o, "mean", real_or_null(c->stats.mean));
		json_object_set_new(o, "sd", real_or_null(c->stats.sd));
		json_object_set_new(o, "min", real_or_null(c->stats.min));
		json_object_set_new(o, "q1", real_or_null(c->stats.q1));
		json_object_set_new(o, "median", real_or_null(c->stats.median));
		json_object_set_new(o, "q3", real_or_null(c->stats.q3));
		json_object_set_new(o, "max", real_or_null(c->stats.max));
	} else if (nopt > 0) {
		json_t *opts = json_array();
		for (size_t i = 0; i < nopt; i++)
			json_array_append_new(
				opts,
				json_pack("{ss sI so}", "id", compare_option_id(q, i), "count",
					  (json_int_t)c->counts[i], "share",
					  c->n ? json_real((double)c->counts[i] / (double)c->n)
					       : json_null()));
		json_object_set_new(o, "options", opts);
	}
	return o;
}

int compare_render_json(const struct compare_report *r, FILE *out)
{
	char hex[2 * CV_HASH_LEN + 1];
	json_t *root, *groups = json_array(), *questions = json_array();
	int rc;

	cv_hex(r->chain, CV_HASH_LEN, hex);
	for (size_t g = 0; g < r->n_groups; g++)
		json_array_append_new(groups,
				      json_pack("{ss sI sI}", "group", r->groups[g], "submitted",
						(json_int_t)r->group_submitted[g], "expected",
						(json_int_t)r->group_expected[g]));
	for (size_t i = 0; i < r->n_questions; i++) {
		const struct compare_question *cq = &r->questions[i];
		json_t *cells = json_array();
		for (size_t g = 0; g < r->n_groups; g++)
			json_array_append_new(cells, cell_json(cq, r->groups[g], &cq->cells[g]));
		json_array_append_new(questions,
				      json_pack("{ss ss ss ss so}", "id", cq->q->id, "section",
						r->def->sections[cq->q->section].id, "type",
						qtype_name(cq->q->type), "text", cq->q->text,
						"groups", cells));
	}
	root = json_pack("{ss s{ss sI ss} ss s{sI ss} s{ss ss} s{sI sI sI sI} so so}", "report",
			 "compare", "questionnaire", "id", r->def->id, "version",
			 (json_int_t)r->def->version, "title", r->def->title, "cycle", r->cycle,
			 "store", "sequence", (json_int_t)r->sequence, "chain_hash", hex, "program",
			 "name", "canvass-reporter", "version", CANVASS_VERSION, "submissions",
			 "total", (json_int_t)r->submitted, "unregistered",
			 (json_int_t)r->unregistered, "other_version", (json_int_t)r->other_version,
			 "skipped_answers", (json_int_t)r->skipped_answers, "groups", groups,
			 "questions", questions);
	if (root == NULL)
		return CV_ENOMEM;
	rc = json_dumpf(root, out, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
	fputc('\n', out);
	json_decref(root);
	return rc == 0 && !ferror(out) ? 0 : CV_EIO;
}
