/*
 * canvass-reporter: reads the store read-only (safe while the aggregator
 * writes) and prints cross-member comparisons.
 *
 *   canvass-reporter compare --data DIR --registry FILE --questionnaires DIR
 *                    --questionnaire ID --cycle CYCLE [--version N] [--format text|json]
 *
 * Exit status: 0 report printed, 1 the report could not be made (store,
 * definitions, registry), 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "error.h"
#include "settings.h"

static void usage(FILE *out, const struct setting *tab)
{
	fprintf(out, "usage: canvass-reporter compare --data DIR --registry FILE "
		     "--questionnaires DIR --questionnaire ID --cycle CYCLE [options]\n");
	settings_usage(tab, out);
}

int main(int argc, char **argv)
{
	char *data = NULL, *registry_path = NULL, *qdir = NULL, *qid = NULL, *cycle = NULL;
	char *format = NULL;
	long version = 0;
	const struct setting tab[] = {
		{"data", SET_STRING, &data, 0, 0, "DIR", "store directory"},
		{"registry", SET_STRING, &registry_path, 0, 0, "FILE", "member registry (CSV)"},
		{"questionnaires", SET_STRING, &qdir, 0, 0, "DIR", "questionnaire definitions"},
		{"questionnaire", SET_STRING, &qid, 0, 0, "ID", "questionnaire id"},
		{"version", SET_LONG, &version, 0, 1000000, "N",
		 "definition version to report with (latest)"},
		{"cycle", SET_STRING, &cycle, 0, 0, "CYCLE", "cycle, e.g. 2025"},
		{"format", SET_STRING, &format, 0, 0, "FORMAT", "text or json (text)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	const struct questionnaire *def;
	struct compare_report *rep = NULL;
	struct store_view *view = NULL;
	struct registry *reg = NULL;
	struct store *store = NULL;
	struct qset *qs = NULL;
	char err[1024];
	int next, rc, status = 1;

	if (argc < 2 || strcmp(argv[1], "compare") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
			usage(stdout, tab);
			return 0;
		}
		fprintf(stderr, "canvass-reporter: unknown or missing report (compare)\n");
		usage(stderr, tab);
		return 2;
	}
	rc = settings_parse(tab, "reporter", argc - 1, argv + 1, &next, err, sizeof err);
	if (rc == SETTINGS_HELP) {
		usage(stdout, tab);
		settings_free(tab);
		return 0;
	}
	if (rc != 0 || next < argc - 1 || !data || !registry_path || !qdir || !qid || !cycle ||
	    (format && strcmp(format, "text") != 0 && strcmp(format, "json") != 0)) {
		fprintf(stderr, "canvass-reporter: %s\n",
			rc != 0 ? err
				: "--data, --registry, --questionnaires, --questionnaire and "
				  "--cycle "
				  "are required; --format is text or json");
		usage(stderr, tab);
		settings_free(tab);
		return 2;
	}
	if (cv_crypto_init() != 0)
		goto out;
	if (registry_load(registry_path, &reg, err, sizeof err) != 0 ||
	    qset_load_dir(qdir, &qs, err, sizeof err) != 0) {
		fprintf(stderr, "canvass-reporter: %s\n", err);
		goto out;
	}
	def = version ? qset_find(qs, qid, (uint32_t)version) : qset_latest(qs, qid);
	if (def == NULL) {
		fprintf(stderr, "canvass-reporter: no questionnaire %s%s%.0ld in %s\n", qid,
			version ? " version " : "", version, qdir);
		goto out;
	}
	{
		struct store_cfg scfg = {.dir = data, .readonly = true};
		if (store_open(&store, &scfg, err, sizeof err) != 0) {
			fprintf(stderr, "canvass-reporter: %s\n", err);
			goto out;
		}
	}
	if ((rc = store_view_open(store, &view)) != 0 ||
	    (rc = compare_build(view, def, cycle, reg, &rep)) != 0) {
		fprintf(stderr, "canvass-reporter: %s: %s\n", data, cv_strerror(rc));
		goto out;
	}
	if (format != NULL && strcmp(format, "json") == 0)
		rc = compare_render_json(rep, stdout);
	else
		rc = compare_render_text(rep, stdout);
	if (rc != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "canvass-reporter: cannot write the report\n");
		goto out;
	}
	status = 0;
out:
	compare_free(&rep);
	store_view_close(&view);
	store_close(&store);
	registry_free(&reg);
	qset_free(&qs);
	settings_free(tab);
	return status;
}
