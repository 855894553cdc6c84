/*
 * canvass-reporter: reads the store read-only, in one read transaction
 * (safe while the aggregator writes), and prints the Secretariat's reports.
 *
 *   canvass-reporter REPORT --data DIR --registry FILE --questionnaires DIR
 *                    --questionnaire ID [--cycle CYCLE] [options]
 *
 * The reports are the rows of report.h's table; main() finds the row,
 * checks the options against it, loads the definitions, the store and
 * what the row reads, and runs it.
 *
 * Exit status: 0 report written, 1 the report could not be made (store,
 * definitions, registry, unknown member), 2 usage error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "error.h"
#include "options.h"
#include "render.h"
#include "report.h"
#include "settings.h"
#include "util.h"

/* A report name, --help or --version: -1 to go on with *cmd, else the exit status. */
static int find_report(const char *name, const struct report_opts *o, const char *argv0,
		       const struct report_cmd **cmd)
{
	if ((*cmd = report_find(name)) != NULL)
		return -1;
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
		report_usage(stdout, o);
		return 0;
	}
	if (strcmp(name, "--version") == 0) { /* after REPORT, --version N is a setting */
		cv_print_version(argv0);
		return 0;
	}
	fprintf(stderr, "canvass-reporter: unknown or missing report \"%s\"\n", name);
	report_usage(stderr, o);
	return 2;
}

/* The registry, the definitions and the one definition reported on. */
static int load_definitions(struct report_ctx *c, struct registry **reg, struct qset **qs)
{
	const struct report_opts *o = c->o;
	char err[1024];

	if (registry_load(o->registry_path, reg, err, sizeof err) != 0 ||
	    qset_load_dir(o->qdir, qs, err, sizeof err) != 0) {
		fprintf(stderr, "canvass-reporter: %s\n", err);
		return CV_ECONFIG;
	}
	c->reg = *reg;
	c->qs = *qs;
	c->def = o->version ? qset_find(*qs, o->qid, (uint32_t)o->version)
			    : qset_latest(*qs, o->qid);
	if (c->def == NULL) {
		fprintf(stderr, "canvass-reporter: no questionnaire %s%s%.0ld in %s\n", o->qid,
			o->version ? " version " : "", o->version, o->qdir);
		return CV_ENOTFOUND;
	}
	return 0;
}

/* The store, read-only, and one view of it for the whole report. */
static int open_store(const struct report_opts *o, struct store **store, struct store_view **view)
{
	struct store_cfg scfg = {.dir = o->data, .readonly = true};
	char err[1024];
	int rc;

	if (store_open(store, &scfg, err, sizeof err) != 0) {
		fprintf(stderr, "canvass-reporter: %s\n", err);
		return CV_ESTORE;
	}
	if ((rc = store_view_open(*store, view)) != 0)
		fprintf(stderr, "canvass-reporter: %s: %s\n", o->data, cv_strerror(rc));
	return rc;
}

int main(int argc, char **argv)
{
	const struct report_cmd *cmd;
	struct report_opts o;
	struct report_ctx c = {.o = &o};
	struct registry *reg = NULL;
	struct qset *qs = NULL;
	struct store *store = NULL;
	char err[1024];
	int next, rc, status = 1;
	bool digest;

	options_init(&o);
	if ((status = find_report(argc > 1 ? argv[1] : "", &o, argv[0], &cmd)) >= 0)
		return status;
	status = 1;
	rc = settings_parse(o.tab, "reporter", argc - 1, argv + 1, &next, err, sizeof err);
	if (rc == SETTINGS_HELP) {
		report_usage(stdout, &o);
		settings_free(o.tab);
		return 0;
	}
	if (rc == 0)
		rc = report_check(cmd, &o, argc - 1 - next, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "canvass-reporter: %s\n", err);
		report_usage(stderr, &o);
		settings_free(o.tab);
		return 2;
	}
	digest = strcmp(cmd->name, "digest") == 0;
	render_set_suppressed_mark(o.suppressed_as != NULL ? o.suppressed_as : "x");
	/*
	 * Not for publication, in every format: a past store position (two can be
	 * differenced), disclosure control or one of its rules off, member-level rows,
	 * the view of a cycle that is not the published one (--publish; a second
	 * definition version: report.c).
	 */
	render_set_confidential(o.as_of != 0 || o.rules.k <= 1 || o.members || !o.share_rule ||
				!o.equal_rule || !o.link_rule || !o.special_rule ||
				(cmd->approved_only && o.approved_only != o.publish_approved) ||
				o.all_returns);
	/* The digest shares what was approved: every return only as a draft. */
	dataset_set_approved_only(o.approved_only || (digest && !o.all_returns));
	dataset_set_keep_reviews(digest);
	dataset_set_fast_load(!o.full_decode);
	dataset_set_threads((unsigned)o.threads);
	compare_progress(isatty(STDERR_FILENO) != 0);
	if (cv_crypto_init() != 0 || load_definitions(&c, &reg, &qs) != 0)
		goto out;
	if (cmd->input != INPUT_DEFINITION && open_store(&o, &store, &c.view) != 0)
		goto out;
	if (report_load(cmd, &c) != 0)
		goto out;
	if ((rc = cmd->run(&c)) != 0 || fflush(stdout) != 0) {
		if (rc != CV_ENOTFOUND)
			fprintf(stderr, "canvass-reporter: cannot write the report: %s\n",
				cv_strerror(rc));
		goto out;
	}
	status = 0;
out:
	report_unload(&c);
	store_view_close(&c.view);
	store_close(&store);
	registry_free(&reg);
	qset_free(&qs);
	settings_free(o.tab);
	return status;
}
