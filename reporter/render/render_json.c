/* Reports as one JSON document each (schema in docs/reports.md). */
#include "render.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "util.h"

static json_t *real_or_null(double x)
{
	return isnan(x) ? json_null() : json_real(x);
}

json_t *render_json_stamp(const char *report, const struct dataset *ds, bool confidential)
{
	char hex[2 * CV_HASH_LEN + 1];
	json_t *o;
	cv_hex(ds->chain, CV_HASH_LEN, hex);
	o = json_pack("{ss s{ss sI ss} ss s{sI ss} s{ss ss}}", "report", report, "questionnaire",
		      "id", ds->def->id, "version", (json_int_t)ds->def->version, "title",
		      ds->def->title, "cycle", ds->cycle, "store", "sequence",
		      (json_int_t)ds->sequence, "chain_hash", hex, "program", "name",
		      "canvass-reporter", "version", CANVASS_VERSION);
	if (o != NULL)
		json_object_set_new(
			o, "review",
			json_pack(
				"{sI sI sI sI sb}", "returns", (json_int_t)ds->returns, "submitted",
				(json_int_t)ds->by_state[CANVASS__RETURN_STATE__SUBMITTED],
				"queried", (json_int_t)ds->by_state[CANVASS__RETURN_STATE__QUERIED],
				"approved", (json_int_t)DS_APPROVED(ds), "approved_only",
				(int)ds->approved_only));
	if (o != NULL)
		json_object_set_new(o, "classification",
				    json_string(confidential || render_confidential()
							? RENDER_CONFIDENTIAL
							: "public: disclosure control applied"));
	return o;
}

static void add_tally(json_t *root, const struct compare_report *r)
{
	struct disclosure_tally t = {0};
	render_tally_add(&t, r);
	json_object_set_new(root, "disclosure", render_disclosure_json(&t));
}

static int dump(json_t *root, FILE *out)
{
	int rc;
	if (root == NULL)
		return CV_ENOMEM;
	rc = json_dumpf(root, out, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
	fputc('\n', out);
	json_decref(root);
	return rc == 0 && !ferror(out) ? 0 : CV_EIO;
}

static json_t *cell_json(const struct compare_table *t, const char *group,
			 const struct compare_cell *c)
{
	size_t nopt = t->q ? compare_n_options(t->q) : 0;
	json_t *o = json_pack("{ss}", "group", group);

	if (o == NULL)
		return NULL;
	if (c->hidden != SHOWN) {
		/* A hidden cell hides its counts too. */
		json_object_set_new(o, "suppressed", json_string(disclosure_code(c->hidden)));
		json_object_set_new(o, "reason", json_string(disclosure_reason(c->hidden)));
		return o;
	}
	json_object_set_new(o, "n", json_integer((json_int_t)c->n));
	if (c->special_hidden != SHOWN) {
		/* Which special answer each member without a value gave: protected. */
		json_object_set_new(o, "not_applicable", json_null());
		json_object_set_new(o, "dont_know", json_null());
		json_object_set_new(o, "special_suppressed",
				    json_string(disclosure_code(c->special_hidden)));
	} else {
		json_object_set_new(o, "not_applicable",
				    json_integer((json_int_t)c->not_applicable));
		json_object_set_new(o, "dont_know", json_integer((json_int_t)c->dont_know));
	}
	if (t->numeric) {
		bool order = c->order_shown || c->n == 0;
		json_object_set_new(o, "mean", real_or_null(c->stats.mean));
		json_object_set_new(o, "sd", real_or_null(c->stats.sd));
		json_object_set_new(o, "min", order ? real_or_null(c->stats.min) : json_null());
		json_object_set_new(o, "q1", order ? real_or_null(c->stats.q1) : json_null());
		json_object_set_new(o, "median",
				    order ? real_or_null(c->stats.median) : json_null());
		json_object_set_new(o, "q3", order ? real_or_null(c->stats.q3) : json_null());
		json_object_set_new(o, "max", order ? real_or_null(c->stats.max) : json_null());
		if (!order)
			json_object_set_new(o, "order_statistics", json_string("withheld"));
	} else if (nopt > 0) {
		json_t *opts = json_array();
		for (size_t i = 0; i < nopt; i++)
			json_array_append_new(
				opts,
				json_pack("{ss sI so}", "id", compare_option_id(t->q, i), "count",
					  (json_int_t)c->counts[i], "share",
					  c->n ? json_real((double)c->counts[i] / (double)c->n)
					       : json_null()));
		json_object_set_new(o, "options", opts);
	}
	return o;
}

static json_t *table_json(const struct compare_report *r, const struct compare_table *t)
{
	json_t *cells = json_array();
	json_t *o;
	for (size_t g = 0; g < r->n_groups; g++)
		json_array_append_new(cells, cell_json(t, ds_group_name(r->ds, g), &t->cells[g]));
	o = json_pack("{ss ss so}", "id", t->id, "text", t->title, "groups", cells);
	if (o != NULL && t->q != NULL) {
		json_object_set_new(o, "section", json_string(r->ds->def->sections[t->section].id));
		json_object_set_new(o, "type", json_string(qtype_name(t->q->type)));
	}
	return o;
}

int render_compare_json(const struct compare_report *r, bool members, FILE *out)
{
	const struct dataset *ds = r->ds;
	json_t *root = render_json_stamp("compare", ds, members);
	json_t *groups = json_array(), *questions = json_array(), *scores = json_array();

	if (root == NULL)
		return CV_ENOMEM;
	for (size_t g = 0; g < r->n_groups; g++)
		json_array_append_new(groups,
				      json_pack("{ss sI sI}", "group", ds_group_name(ds, g),
						"submitted", (json_int_t)r->group_submitted[g],
						"expected", (json_int_t)r->group_expected[g]));
	for (size_t i = 0; i < r->n_questions; i++)
		json_array_append_new(questions, table_json(r, &r->questions[i]));
	if (r->has_scores) {
		for (size_t s = 0; s < r->n_sections; s++)
			json_array_append_new(scores, table_json(r, &r->sections[s]));
		json_array_append_new(scores, table_json(r, &r->overall));
	}
	json_object_set_new(root, "submissions",
			    json_pack("{sI sI sI sI}", "total",
				      (json_int_t)r->group_submitted[r->n_groups - 1],
				      "unregistered", (json_int_t)r->unregistered, "other_version",
				      (json_int_t)ds->other_version, "skipped_answers",
				      (json_int_t)ds->skipped_answers));
	add_tally(root, r);
	json_object_set_new(root, "groups", groups);
	json_object_set_new(root, "scores", scores);
	json_object_set_new(root, "questions", questions);
	if (members) {
		json_t *rows = json_array();
		for (size_t i = 0; i < ds->n; i++) {
			json_t *sec = json_object();
			for (size_t s = 0; s < r->n_sections; s++)
				json_object_set_new(sec, ds->def->sections[s].id,
						    real_or_null(ds->rows[i].section_score[s]));
			json_array_append_new(
				rows, json_pack("{ss ss? so so sI sb}", "member",
						ds->rows[i].member, "region",
						ds->rows[i].reg ? ds->rows[i].reg->region : NULL,
						"sections", sec, "overall",
						real_or_null(ds->rows[i].overall), "revision",
						(json_int_t)ds->rows[i].revision, "late",
						(int)ds->rows[i].late));
		}
		json_object_set_new(root, "members", rows);
	}
	return dump(root, out);
}

static json_t *profile_line_json(const struct profile *p, const struct profile_line *l)
{
	const struct dataset *ds = p->cmp->ds;
	size_t world = p->cmp->n_groups - 1;
	json_t *o = json_pack("{ss ss so so so}", "id", l->t->id, "answer", l->display, "value",
			      real_or_null(l->value), "rank_region", real_or_null(l->rank_region),
			      "rank_world", real_or_null(l->rank_world));
	if (o == NULL)
		return NULL;
	if (p->row->reg != NULL)
		json_object_set_new(o, "region",
				    cell_json(l->t, ds_group_name(ds, p->row->group),
					      &l->t->cells[p->row->group]));
	json_object_set_new(o, "world", cell_json(l->t, "World", &l->t->cells[world]));
	return o;
}

int render_profile_json(const struct profile *p, FILE *out)
{
	const struct dataset *ds = p->cmp->ds;
	json_t *root =
		render_json_stamp(p->feedback ? "member-feedback" : "member", ds, !p->feedback);
	json_t *lines = json_array(), *scores = json_array();

	if (root == NULL)
		return CV_ENOMEM;
	json_object_set_new(root, "member",
			    json_pack("{ss ss? sI sb}", "code", p->row->member, "region",
				      p->row->reg ? p->row->reg->region : NULL, "revision",
				      (json_int_t)p->row->revision, "late", (int)p->row->late));
	for (size_t s = 0; s < p->cmp->n_sections; s++)
		json_array_append_new(scores, profile_line_json(p, &p->sections[s]));
	json_array_append_new(scores, profile_line_json(p, &p->overall));
	for (size_t i = 0; i < p->cmp->n_questions; i++)
		json_array_append_new(lines, profile_line_json(p, &p->questions[i]));
	json_object_set_new(root, "scores", scores);
	json_object_set_new(root, "questions", lines);
	add_tally(root, p->cmp);
	if (!p->feedback && p->row->reg != NULL) {
		json_t *peers = json_array();
		for (size_t i = 0; i < ds->n; i++)
			if (ds->rows[i].reg && ds->rows[i].group == p->row->group)
				json_array_append_new(peers,
						      json_pack("{ss so}", "member",
								ds->rows[i].member, "overall",
								real_or_null(ds->rows[i].overall)));
		json_object_set_new(root, "peers", peers);
	}
	return dump(root, out);
}

int render_ranking_json(const struct ranking *r, FILE *out)
{
	json_t *root = render_json_stamp("ranking", r->ds, true), *lines = json_array();
	if (root == NULL)
		return CV_ENOMEM;
	json_object_set_new(root, "by", json_string(r->by));
	json_object_set_new(root, "ties",
			    json_string("competition ranking: ties share a rank and "
					"the next rank skips (1, 2, 2, 4)"));
	for (size_t i = 0; i < r->n; i++) {
		const struct ranking_line *l = &r->lines[i];
		json_array_append_new(
			lines, json_pack("{so ss ss? so sb}", "rank",
					 l->rank ? json_integer((json_int_t)l->rank) : json_null(),
					 "member", l->row->member, "region",
					 l->row->reg ? l->row->reg->region : NULL, "score",
					 real_or_null(l->score), "tied", (int)l->tied));
	}
	json_object_set_new(root, "ranking", lines);
	return dump(root, out);
}

int render_completeness_json(const struct completeness *c, FILE *out)
{
	json_t *root = render_json_stamp("completeness", c->ds, false), *groups = json_array();
	if (root == NULL)
		return CV_ENOMEM;
	for (size_t g = 0; g < c->n_groups; g++) {
		const struct completeness_group *cg = &c->groups[g];
		json_t *missing = json_array(), *states = json_object(), *o;
		const char *names[] = {"submitted", "queried", "approved"};
		const size_t counts[] = {cg->submitted, cg->queried, cg->approved};
		const char **codes[] = {cg->submitted_codes, cg->queried_codes, cg->approved_codes};
		for (size_t i = 0; i < cg->missing; i++)
			json_array_append_new(missing, json_string(cg->missing_codes[i]));
		o = json_pack("{ss sI sI sI sI sI sI so}", "group", ds_group_name(c->ds, g),
			      "expected", (json_int_t)cg->expected, "on_time",
			      (json_int_t)cg->on_time, "late", (json_int_t)cg->late,
			      "missing_count", (json_int_t)cg->missing, "revisions",
			      (json_int_t)cg->revisions, "revised", (json_int_t)cg->revised,
			      "missing", missing);
		/* Review states: a count and the members, per state. */
		for (int k = 0; k < 3; k++) {
			json_t *list = json_array();
			for (size_t i = 0; i < counts[k]; i++)
				json_array_append_new(list, json_string(codes[k][i]));
			json_object_set_new(o, names[k], json_integer((json_int_t)counts[k]));
			json_object_set_new(states, names[k], list);
		}
		json_object_set_new(o, "members_by_state", states);
		json_array_append_new(groups, o);
	}
	json_object_set_new(root, "groups", groups);
	json_object_set_new(root, "unregistered", json_integer((json_int_t)c->unregistered));
	return dump(root, out);
}

int render_trend_json(const struct trend *t, FILE *out)
{
	json_t *root = render_json_stamp("trend", t->latest, t->member != NULL),
	       *cycles = json_array(), *series = json_array();
	size_t cols = t->n_groups + 1;
	struct disclosure_tally tally = {0};

	if (root == NULL)
		return CV_ENOMEM;
	for (size_t c = 0; c < t->n_cycles; c++)
		render_tally_add(&tally, t->cmp[c]);
	json_object_set_new(root, "disclosure", render_disclosure_json(&tally));
	for (size_t c = 0; c < t->n_cycles; c++)
		json_array_append_new(cycles,
				      json_pack("{ss sI sI sI sI sI}", "cycle", t->cycles[c],
						"version", (json_int_t)t->ds[c]->def->version,
						"members", (json_int_t)t->ds[c]->n, "sequence",
						(json_int_t)t->ds[c]->sequence, "returns",
						(json_int_t)t->ds[c]->returns, "approved",
						(json_int_t)DS_APPROVED(t->ds[c])));
	for (size_t i = 0; i < t->n_series; i++) {
		const struct trend_series *s = &t->series[i];
		json_t *groups = json_array();
		for (size_t g = 0; g <= t->n_groups; g++) {
			json_t *vals;
			if (g == t->n_groups && t->member == NULL)
				break;
			vals = json_array();
			for (size_t c = 0; c < t->n_cycles; c++) {
				const struct trend_point *p = &s->points[c * cols + g];
				json_array_append_new(vals, p->hidden != SHOWN
								    ? json_string("suppressed")
								    : real_or_null(p->value));
			}
			json_array_append_new(
				groups, json_pack("{ss so}", "group",
						  g == t->n_groups ? t->member
								   : ds_group_name(t->latest, g),
						  "values", vals));
		}
		json_array_append_new(series, json_pack("{ss ss ss sb ss so}", "id", s->id, "text",
							s->title, "figure", s->kind, "changed",
							(int)s->changed, "change_note",
							s->change_note, "groups", groups));
	}
	json_object_set_new(root, "cycles", cycles);
	json_object_set_new(root, "series", series);
	return dump(root, out);
}

static json_t *num_or_null(double x, bool set)
{
	return set ? json_real(x) : json_null();
}

int render_findings_json(const struct findings *f, FILE *out)
{
	json_t *root = render_json_stamp("quality", f->ds, true), *items = json_array();
	size_t counts[5] = {0};
	static const char *const codes[] = {"SOFT_RANGE", "CHANGE_FROM_PREVIOUS", "OUTLIER",
					    "HIGH_SPECIAL_RATE", "SAME_LEVEL"};
	json_t *by_code = json_object();

	if (root == NULL || items == NULL || by_code == NULL) {
		json_decref(root);
		json_decref(items);
		json_decref(by_code);
		return CV_ENOMEM;
	}
	json_object_set_new(root, "previous_cycle",
			    f->prev ? json_string(f->prev->cycle) : json_null());
	json_object_set_new(root, "returns", json_integer((json_int_t)f->returns));
	json_object_set_new(root, "special_rate_threshold", json_real(f->special_rate));
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->items[i];
		bool outlier = strcmp(x->code, "OUTLIER") == 0;
		bool change = strcmp(x->code, "CHANGE_FROM_PREVIOUS") == 0;
		bool soft = strcmp(x->code, "SOFT_RANGE") == 0;
		bool same = strcmp(x->code, "SAME_LEVEL") == 0;
		for (size_t c = 0; c < 5; c++)
			counts[c] += strcmp(x->code, codes[c]) == 0;
		json_array_append_new(
			items,
			json_pack("{ss so so so so so so so so ss}", "code", x->code, "member",
				  x->member ? json_string(x->member) : json_null(), "region",
				  x->region ? json_string(x->region) : json_null(), "question",
				  x->question ? json_string(x->question) : json_null(), "value",
				  json_real(x->value), "reference",
				  num_or_null(x->reference, !same), "score",
				  num_or_null(x->score, outlier || change), "group",
				  x->group ? json_string(x->group) : json_null(), "n",
				  !soft && !change ? json_integer((json_int_t)x->n) : json_null(),
				  "message", x->message));
	}
	for (size_t c = 0; c < 5; c++)
		json_object_set_new(by_code, codes[c], json_integer((json_int_t)counts[c]));
	json_object_set_new(root, "counts", by_code);
	json_object_set_new(root, "findings", items);
	return dump(root, out);
}
