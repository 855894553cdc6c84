#include "report.h"
#include "compare.h"
#include "completeness.h"
#include "digest.h"
#include "emit.h"
#include "error.h"
#include "export.h"
#include "findings.h"
#include "pack.h"
#include "profile.h"
#include "ranking.h"
#include "render.h"
#include "trend.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* export: every row of one cycle (ds) or of each cycle in cycles; xlsx: one sheet. */
struct export_job {
	struct store_view *view;
	const struct questionnaire
		*def; /* without --version: each cycle on its publication version */
	const struct dataset *ds;
	const struct registry *reg;
	char **cycles;
	size_t n_cycles;
	uint64_t as_of;
	bool jsonl;
	const struct qset *qs;
	bool explicit_version; /* --version given: every cycle on def */
};

static int export_rows(const void *job, FILE *out)
{
	const struct export_job *j = job;
	int rc = 0;

	if (j->ds != NULL)
		return export_write(j->ds, j->jsonl, true, out);
	for (size_t c = 0; rc == 0 && c < j->n_cycles; c++) {
		struct dataset *one = NULL;
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\rexport: cycle %s (%zu/%zu)", j->cycles[c], c + 1,
				j->n_cycles);
		rc = dataset_load(j->view, j->def, j->cycles[c], j->reg, j->as_of, &one);
		if (rc == 0 && !j->explicit_version && !dataset_on_publication_version(one)) {
			const struct questionnaire *pdef =
				qset_find(j->qs, j->def->id, dataset_publication_version(one));
			if (pdef != NULL) {
				dataset_free(&one);
				rc = dataset_load(j->view, pdef, j->cycles[c], j->reg, j->as_of,
						  &one);
			}
		}
		if (rc == 0)
			rc = export_write(one, j->jsonl, c == 0, out);
		dataset_free(&one);
	}
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	return rc;
}

static int ranking_text(const void *r, FILE *o)
{
	return render_ranking_text(r, o);
}
static int ranking_json(const void *r, FILE *o)
{
	return render_ranking_json(r, o);
}
static int ranking_csv(const void *r, FILE *o)
{
	return render_ranking_csv(r, o);
}
static int completeness_text(const void *r, FILE *o)
{
	return render_completeness_text(r, o);
}
static int completeness_json(const void *r, FILE *o)
{
	return render_completeness_json(r, o);
}
static int completeness_csv(const void *r, FILE *o)
{
	return render_completeness_csv(r, o);
}
static int trend_text(const void *r, FILE *o)
{
	return render_trend_text(r, o);
}
static int trend_json(const void *r, FILE *o)
{
	return render_trend_json(r, o);
}
static int trend_csv(const void *r, FILE *o)
{
	return render_trend_csv(r, o);
}
static int trend_sdmx(const void *r, FILE *o)
{
	return render_trend_sdmx(r, o);
}
static int findings_text(const void *r, FILE *o)
{
	return render_findings_text(r, o);
}
static int findings_json(const void *r, FILE *o)
{
	return render_findings_json(r, o);
}
static int findings_csv(const void *r, FILE *o)
{
	return render_findings_csv(r, o);
}

/* compare's renderers take whether member-level rows are wanted. */
struct compare_out {
	const struct compare_report *cmp;
	bool members;
};
static int compare_text(const void *r, FILE *o)
{
	const struct compare_out *c = r;
	return render_compare_text(c->cmp, c->members, o);
}
static int compare_json(const void *r, FILE *o)
{
	const struct compare_out *c = r;
	return render_compare_json(c->cmp, c->members, o);
}
static int compare_csv(const void *r, FILE *o)
{
	const struct compare_out *c = r;
	return render_compare_csv(c->cmp, o);
}
static int compare_sdmx(const void *r, FILE *o)
{
	const struct compare_out *c = r;
	return render_compare_sdmx(c->cmp, o);
}

static int split_cycles(const char *list, char ***out, size_t *n)
{
	char *copy = strdup(list), *tok, *save = NULL;
	*out = NULL;
	*n = 0;
	if (copy == NULL)
		return CV_ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char **grown = realloc(*out, (*n + 1) * sizeof **out);
		if (grown == NULL)
			break;
		*out = grown;
		(*out)[(*n)++] = strdup(tok);
	}
	free(copy);
	return 0;
}

/*
 * Without --version, a report is on the cycle's publication version (the
 * one most of its returns answered), not the latest definition: when c->ds
 * was read with another one that is defined, c->def becomes it, c->ds is
 * freed and true is returned (read it again).
 */
static bool publication_def(struct report_ctx *c)
{
	const struct questionnaire *def;

	if (c->o->version != 0 || dataset_on_publication_version(c->ds))
		return false;
	def = qset_find(c->qs, c->o->qid, dataset_publication_version(c->ds));
	if (def == NULL)
		return false;
	c->def = def;
	dataset_free(&c->ds);
	return true;
}

/*
 * One view of a cycle may be published (docs/reports.md, "Which outputs may
 * be published"): a report on another definition version than the one most
 * of the cycle's returns answered is for the Secretariat only.
 */
static void mark_view(const struct dataset *ds)
{
	if (!dataset_on_publication_version(ds))
		render_set_confidential(true);
}

static int run_compare(struct report_ctx *c)
{
	const struct report_opts *o = c->o;
	struct compare_report *cmp = NULL;
	struct completeness *cp = NULL;
	struct profile *p = NULL;
	int rc;

	if (c->ds->streamed) {
		rc = compare_stream(c->ds, c->view, &o->rules, &cmp);
		if (rc == 0 && publication_def(c)) { /* read again, on the right version */
			compare_free(&cmp);
			rc = dataset_open_head(c->view, c->def, o->cycle, c->reg, &c->ds);
			if (rc == 0)
				rc = compare_stream(c->ds, c->view, &o->rules, &cmp);
		}
		if (rc != 0) {
			/* As when the rows are loaded first: the store's error. */
			fprintf(stderr, "canvass-reporter: %s: %s\n", o->data, cv_strerror(rc));
			return CV_ENOTFOUND;
		}
	} else {
		rc = compare_build(c->ds, &o->rules, &cmp);
	}
	mark_view(c->ds);
	if (rc == 0)
		rc = render_audit_gate(cmp);
	if (rc == 0 && o->fmt == FMT_HTML)
		rc = completeness_build(c->ds, &cp);
	if (rc == 0 && o->fmt == FMT_HTML && o->member != NULL &&
	    (rc = profile_build(c->ds, o->member, &o->rules, false, &p)) == CV_ENOTFOUND)
		fprintf(stderr, "canvass-reporter: no submission of %s\n", o->member);
	if (rc == 0 && o->fmt == FMT_HTML) {
		rc = render_compare_html(cmp, cp, p, o->members, stdout);
	} else if (rc == 0) {
		static const struct emitters e = {compare_text, compare_json, compare_csv,
						  compare_sdmx};
		struct compare_out co = {cmp, o->members};
		rc = emit("compare", o->fmt, &e, &co);
	}
	profile_free(&p);
	completeness_free(&cp);
	compare_free(&cmp);
	return rc;
}

static int run_member(struct report_ctx *c)
{
	const struct report_opts *o = c->o;
	struct profile *p = NULL;
	int rc = profile_build(c->ds, o->member, &o->rules, o->feedback, &p);

	mark_view(c->ds);
	if (rc == 0)
		rc = render_audit_gate(p->cmp);
	if (rc == CV_ENOTFOUND)
		fprintf(stderr, "canvass-reporter: no submission of %s for cycle %s\n", o->member,
			o->cycle);
	else if (rc == 0)
		rc = o->fmt == FMT_JSON ? render_profile_json(p, stdout)
					: render_profile_text(p, stdout);
	profile_free(&p);
	return rc;
}

static int run_ranking(struct report_ctx *c)
{
	static const struct emitters e = {ranking_text, ranking_json, ranking_csv, NULL};
	struct ranking *r = NULL;
	int rc = ranking_build(c->ds, c->o->section, &r);

	if (rc == CV_ENOTFOUND)
		fprintf(stderr, "canvass-reporter: no section %s\n", c->o->section);
	else if (rc == 0)
		rc = emit("ranking", c->o->fmt, &e, r);
	ranking_free(&r);
	return rc;
}

static int run_completeness(struct report_ctx *c)
{
	static const struct emitters e = {completeness_text, completeness_json, completeness_csv,
					  NULL};
	struct completeness *cp = NULL;
	int rc = completeness_build(c->ds, &cp);

	if (rc == 0)
		rc = emit("completeness", c->o->fmt, &e, cp);
	completeness_free(&cp);
	return rc;
}

static int run_trend(struct report_ctx *c)
{
	static const struct emitters e = {trend_text, trend_json, trend_csv, trend_sdmx};
	const struct report_opts *o = c->o;
	struct trend *t = NULL;
	int rc;

	if (o->member != NULL && registry_find(c->reg, o->member) == NULL) {
		fprintf(stderr, "canvass-reporter: no member %s in the registry\n", o->member);
		return CV_ENOTFOUND;
	}
	rc = trend_build(c->view, c->qs, o->qid, c->reg, c->cycles, c->n_cycles, o->member,
			 &o->rules, (uint64_t)o->as_of, &t);

	for (size_t k = 0; rc == 0 && k < t->n_cycles; k++)
		mark_view(t->ds[k]);
	for (size_t k = 0; rc == 0 && k < t->n_cycles; k++)
		rc = render_audit_gate(t->cmp[k]);
	if (rc == 0)
		rc = emit("trend", o->fmt, &e, t);
	trend_free(&t);
	return rc;
}

static int run_pack(struct report_ctx *c)
{
	mark_view(c->ds);
	return pack_write(c->ds, &c->o->rules, c->o->out_dir, c->o->member, c->o->pdf);
}

/* The structure needs the definition and the regions, not the store. */
static int run_structure(struct report_ctx *c)
{
	return render_sdmx_structure(c->def, c->reg, stdout);
}

/* export: every answer as a tidy row; xlsx: one sheet and the stamp on Notes. */
static int run_export(struct report_ctx *c)
{
	const struct report_opts *o = c->o;
	struct export_job j = {c->view,
			       c->def,
			       c->ds,
			       c->reg,
			       c->cycles,
			       c->n_cycles,
			       (uint64_t)o->as_of,
			       o->fmt == FMT_JSONL,
			       c->qs,
			       o->version != 0};
	static const struct emitters e = {NULL, NULL, export_rows, NULL};
	json_t *notes, *list;
	uint64_t seq;
	uint8_t chain[CV_HASH_LEN];
	char hex[2 * CV_HASH_LEN + 1];
	int rc;

	if (o->fmt != FMT_XLSX)
		return export_rows(&j, stdout);
	store_view_head(c->view, &seq, chain);
	cv_hex(chain, CV_HASH_LEN, hex);
	list = json_array();
	if (c->ds != NULL)
		json_array_append_new(list, json_string(c->ds->cycle));
	for (size_t k = 0; c->ds == NULL && k < c->n_cycles; k++)
		json_array_append_new(list, json_string(c->cycles[k]));
	notes = json_pack("{ss s{ss sI ss} so s{sI ss} s{ss ss} ss}", "report", "export",
			  "questionnaire", "id", c->def->id, "version", (json_int_t)c->def->version,
			  "title", c->def->title, "cycles", list, "store", "sequence",
			  (json_int_t)(o->as_of ? (uint64_t)o->as_of : seq), "chain_hash",
			  o->as_of ? "" : hex, "program", "name", "canvass-reporter", "version",
			  CANVASS_VERSION, "classification", RENDER_CONFIDENTIAL);
	rc = notes != NULL ? emit_xlsx("export", &e, &j, notes) : CV_ENOMEM;
	json_decref(notes);
	return rc;
}

/*
 * quality: the previous cycle is --previous-cycle, or the store's cycle
 * sorting just before --cycle; "none" turns the change check off.
 */
static int run_quality(struct report_ctx *c)
{
	const struct report_opts *o = c->o;
	const char *previous = o->previous_cycle;
	struct dataset *prev = NULL;
	struct findings *f = NULL;
	char **cycles = NULL, *chosen = NULL;
	size_t n = 0;
	int rc = 0;

	if (previous == NULL) {
		rc = ds_cycles(c->view, c->def->id, &cycles, &n);
		for (size_t i = 0; rc == 0 && i < n; i++)
			if (strcmp(cycles[i], c->ds->cycle) < 0)
				chosen = cycles[i];
		previous = chosen;
	} else if (strcmp(previous, "none") == 0) {
		previous = NULL;
	}
	if (rc == 0 && previous != NULL)
		rc = dataset_load(c->view, c->def, previous, c->reg, (uint64_t)o->as_of, &prev);
	/* The previous cycle on its own publication version; compared by lineage. */
	if (rc == 0 && prev != NULL && !dataset_on_publication_version(prev)) {
		const struct questionnaire *pdef =
			qset_find(c->qs, c->def->id, dataset_publication_version(prev));
		if (pdef != NULL) {
			dataset_free(&prev);
			rc = dataset_load(c->view, pdef, previous, c->reg, (uint64_t)o->as_of,
					  &prev);
		}
	}
	if (rc == 0)
		rc = findings_build(c->ds, prev, c->qs, o->special_rate, &f);
	if (rc == 0) {
		static const struct emitters e = {findings_text, findings_json, findings_csv, NULL};
		rc = emit("quality", o->fmt, &e, f);
	}
	findings_free(&f);
	dataset_free(&prev);
	for (size_t i = 0; i < n; i++)
		free(cycles[i]);
	free(cycles);
	return rc;
}

static int digest_json(const void *d, FILE *o)
{
	return render_digest_json(d, o);
}
static int digest_csv(const void *d, FILE *o)
{
	return render_digest_csv(d, o);
}

/* digest: the approved returns (--all-returns: every one, a draft) at the position. */
static int run_digest(struct report_ctx *c)
{
	static const struct emitters e = {NULL, digest_json, digest_csv, NULL};
	struct digest *d = NULL;
	int rc;

	mark_view(c->ds);
	rc = digest_build(c->ds, c->qs, c->o->rules.k, stderr, &d);
	if (rc == 0 && c->o->fmt == FMT_HTML)
		rc = render_digest_html(d, stdout);
	else if (rc == 0 && c->o->fmt == FMT_MARKDOWN)
		rc = render_digest_markdown(d, stdout);
	else if (rc == 0)
		rc = emit("digest", c->o->fmt, &e, d);
	digest_free(&d);
	return rc;
}

#define F(fmt) (1u << (fmt))

const struct report_cmd report_table[] = {
	{"compare",
	 F(FMT_TEXT) | F(FMT_JSON) | F(FMT_CSV) | F(FMT_XLSX) | F(FMT_SDMX) | F(FMT_HTML), "text",
	 INPUT_COMPARE, true, "compare (text, json, csv, xlsx, sdmx, html)", run_compare},
	{"member", F(FMT_TEXT) | F(FMT_JSON), "text", INPUT_CYCLE, true,
	 "member (text, json; --member, --feedback)", run_member},
	{"ranking", F(FMT_TEXT) | F(FMT_JSON) | F(FMT_CSV) | F(FMT_XLSX), "text", INPUT_CYCLE, true,
	 "ranking (text, json, csv, xlsx; --section)", run_ranking},
	{"completeness", F(FMT_TEXT) | F(FMT_JSON) | F(FMT_CSV) | F(FMT_XLSX), "text", INPUT_CYCLE,
	 false, "completeness (text, json, csv, xlsx)", run_completeness},
	{"trend", F(FMT_TEXT) | F(FMT_JSON) | F(FMT_CSV) | F(FMT_XLSX) | F(FMT_SDMX), "text",
	 INPUT_CYCLES, true, "trend (text, json, csv, xlsx, sdmx; --cycles, --member)", run_trend},
	{"export", F(FMT_CSV) | F(FMT_JSONL) | F(FMT_XLSX), "csv", INPUT_EXPORT, true,
	 "export (csv, jsonl, xlsx)", run_export},
	{"quality", F(FMT_TEXT) | F(FMT_JSON) | F(FMT_CSV) | F(FMT_XLSX), "text", INPUT_CYCLE,
	 false, "quality (text, json, csv, xlsx; --previous-cycle, --special-rate)", run_quality},
	{"sdmx-structure", F(FMT_XML), "xml", INPUT_DEFINITION, false,
	 "sdmx-structure (xml: the SDMX structure of compare and trend's sdmx format; no --data, "
	 "no --cycle)",
	 run_structure},
	{"feedback-pack", F(FMT_HTML), "html", INPUT_CYCLE, true,
	 "feedback-pack (html: a page per member and an index, --out DIR; --member, --pdf)",
	 run_pack},
	{"digest", F(FMT_HTML) | F(FMT_MARKDOWN) | F(FMT_JSON) | F(FMT_XLSX), "html", INPUT_CYCLE,
	 false,
	 "digest (html, markdown, json, xlsx: the good-practice digest of the approved returns; "
	 "--all-returns)",
	 run_digest},
	{NULL, 0, NULL, 0, false, NULL, NULL},
};

const struct report_cmd *report_find(const char *name)
{
	for (const struct report_cmd *r = report_table; r->name != NULL; r++)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

int report_load(const struct report_cmd *cmd, struct report_ctx *c)
{
	const struct report_opts *o = c->o;
	int rc;

	if (cmd->input == INPUT_DEFINITION)
		return 0;
	if (cmd->input == INPUT_CYCLES || (cmd->input == INPUT_EXPORT && o->cycle == NULL)) {
		rc = o->cycles_list ? split_cycles(o->cycles_list, &c->cycles, &c->n_cycles)
				    : ds_cycles(c->view, o->qid, &c->cycles, &c->n_cycles);
		if (rc == 0 && c->n_cycles == 0) {
			fprintf(stderr, "canvass-reporter: no cycles of %s in the store\n", o->qid);
			return CV_ENOTFOUND;
		}
		if (rc != 0)
			fprintf(stderr, "canvass-reporter: %s: %s\n", o->data, cv_strerror(rc));
		return rc;
	}
	if (cmd->input == INPUT_COMPARE && !o->members && o->fmt != FMT_HTML && o->as_of == 0) {
		/* Figures only: the rows are summarised as they are read, none kept. */
		if ((rc = dataset_open_head(c->view, c->def, o->cycle, c->reg, &c->ds)) != 0)
			fprintf(stderr, "canvass-reporter: %s: %s\n", o->data, cv_strerror(rc));
		return rc;
	}
	rc = dataset_load(c->view, c->def, o->cycle, c->reg, (uint64_t)o->as_of, &c->ds);
	if (rc == 0 && publication_def(c))
		rc = dataset_load(c->view, c->def, o->cycle, c->reg, (uint64_t)o->as_of, &c->ds);
	if (rc == CV_EINVAL)
		fprintf(stderr, "canvass-reporter: --as-of %ld is beyond the store's head\n",
			o->as_of);
	else if (rc != 0)
		fprintf(stderr, "canvass-reporter: %s: %s\n", o->data, cv_strerror(rc));
	return rc;
}

void report_unload(struct report_ctx *c)
{
	for (size_t i = 0; i < c->n_cycles; i++)
		free(c->cycles[i]);
	free(c->cycles);
	c->cycles = NULL;
	c->n_cycles = 0;
	dataset_free(&c->ds);
}

int report_check(const struct report_cmd *cmd, struct report_opts *o, int extra, char *err,
		 size_t errlen)
{
	bool structure = cmd->input == INPUT_DEFINITION;

	o->fmt = render_format(o->format ? o->format : cmd->default_format);
	disclosure_defaults(&o->rules);
	o->rules.k = (size_t)o->min_group;
	o->rules.k_order = (size_t)o->min_group_order;
	o->rules.shares = o->share_rule;
	o->rules.equal_values = o->equal_rule;
	o->rules.linked = o->link_rule;
	o->rules.specials = o->special_rule;
	if (o->publish != NULL && strcmp(o->publish, "all") != 0 &&
	    strcmp(o->publish, "approved") != 0)
		return cv_fail(err, errlen, CV_ECONFIG, "--publish is all or approved, not \"%s\"",
			       o->publish);
	o->publish_approved = o->publish != NULL && strcmp(o->publish, "approved") == 0;
	if (extra > 0 || !o->registry_path || !o->qdir || !o->qid || (!structure && !o->data))
		return cv_fail(err, errlen, CV_ECONFIG,
			       structure
				       ? "--registry, --questionnaires and --questionnaire are "
					 "required"
				       : "--data, --registry, --questionnaires and --questionnaire "
					 "are required");
	if (o->fmt == FMT_SDMX && o->member != NULL)
		return cv_fail(err, errlen, CV_ECONFIG,
			       "sdmx is for aggregates: a member's series (--member) has none");
	if (!o->cycle && (cmd->input == INPUT_CYCLE || cmd->input == INPUT_COMPARE))
		return cv_fail(err, errlen, CV_ECONFIG, "--cycle is required for %s", cmd->name);
	if (o->fmt < 0 || (cmd->formats & (1u << o->fmt)) == 0)
		return cv_fail(err, errlen, CV_ECONFIG, "%s has no format \"%s\"", cmd->name,
			       o->format ? o->format : "text");
	if (o->special_rate_text != NULL) {
		char *end;
		o->special_rate = strtod(o->special_rate_text, &end);
		if (end == o->special_rate_text || *end != '\0' || !(o->special_rate > 0) ||
		    o->special_rate > 1)
			return cv_fail(err, errlen, CV_ECONFIG,
				       "--special-rate must be a share above 0 and at most 1");
	}
	if (o->fmt == FMT_XLSX && isatty(STDOUT_FILENO))
		return cv_fail(err, errlen, CV_ECONFIG,
			       "xlsx is a binary file: redirect standard output to a file");
	if (strcmp(cmd->name, "feedback-pack") == 0 && o->out_dir == NULL)
		return cv_fail(err, errlen, CV_ECONFIG, "feedback-pack needs --out DIR");
	if (o->approved_only && strcmp(cmd->name, "digest") == 0)
		return cv_fail(err, errlen, CV_ECONFIG,
			       "digest shares only approved returns already (--all-returns adds "
			       "the others, as a draft)");
	if (o->approved_only && !cmd->approved_only)
		return cv_fail(err, errlen, CV_ECONFIG,
			       "--approved-only is not for %s (completeness counts every state)",
			       cmd->name);
	if (o->all_returns && strcmp(cmd->name, "digest") != 0)
		return cv_fail(err, errlen, CV_ECONFIG, "--all-returns is for digest only");
	if (strcmp(cmd->name, "member") == 0 && o->member == NULL)
		return cv_fail(err, errlen, CV_ECONFIG, "member needs --member CODE");
	return 0;
}

void report_usage(FILE *out, const struct report_opts *o)
{
	fprintf(out,
		"usage: canvass-reporter REPORT --data DIR --registry FILE --questionnaires DIR "
		"--questionnaire ID [--cycle CYCLE] [options]\n");
	for (const struct report_cmd *r = report_table; r->name != NULL; r++)
		fprintf(out, "%s %s\n", r == report_table ? "reports:" : "        ", r->usage);
	fprintf(out, "xlsx is an Excel workbook, written to standard output: redirect it to a "
		     "file\n");
	settings_usage(o->tab, out);
}
