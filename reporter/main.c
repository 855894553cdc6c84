/*
 * canvass-reporter: reads the store read-only, in one read transaction
 * (safe while the aggregator writes), and prints the Secretariat's reports.
 *
 *   canvass-reporter REPORT --data DIR --registry FILE --questionnaires DIR
 *                    --questionnaire ID [--cycle CYCLE] [options]
 *   REPORT: compare, member, ranking, completeness, trend, export
 *
 * Exit status: 0 report written, 1 the report could not be made (store,
 * definitions, registry, unknown member), 2 usage error.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include "compare.h"
#include "completeness.h"
#include "error.h"
#include "export.h"
#include "profile.h"
#include "ranking.h"
#include "render.h"
#include "settings.h"
#include "util.h"
#include "trend.h"

static const char *const reports[] = {"compare",       "member", "ranking", "completeness",
				      "trend",         "export", "quality", "sdmx-structure",
				      "feedback-pack", NULL};

int render_format(const char *s)
{
	static const char *const names[] = {"text",  "json", "csv",  "html",
					    "jsonl", "xlsx", "sdmx", "xml"};
	for (int i = 0; i < 8; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* Which formats each report has. */
static bool has_format(const char *report, int f)
{
	if (strcmp(report, "compare") == 0)
		return f != FMT_JSONL && f != FMT_XML;
	if (strcmp(report, "member") == 0)
		return f == FMT_TEXT || f == FMT_JSON;
	if (strcmp(report, "export") == 0)
		return f == FMT_CSV || f == FMT_JSONL || f == FMT_XLSX;
	if (strcmp(report, "sdmx-structure") == 0)
		return f == FMT_XML;
	if (strcmp(report, "feedback-pack") == 0)
		return f == FMT_HTML;
	if (strcmp(report, "trend") == 0 && f == FMT_SDMX)
		return true;
	return f == FMT_TEXT || f == FMT_JSON || f == FMT_CSV || f == FMT_XLSX;
}

/* export: every row of one cycle (ds) or of each cycle in cycles; xlsx: one sheet. */
struct export_job {
	struct store_view *view;
	const struct questionnaire *def;
	const struct dataset *ds;
	const struct registry *reg;
	char **cycles;
	size_t n_cycles;
	uint64_t as_of;
	bool jsonl;
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
		if (rc == 0)
			rc = export_write(one, j->jsonl, c == 0, out);
		dataset_free(&one);
	}
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	return rc;
}

/* Writes one page to dir/name through a temporary file (0600), then renames it. */
static int write_page(const char *dir, const char *name, const struct profile *p,
		      const struct dataset *ds, const char *const *codes, size_t n)
{
	char tmp[4096], path[4096];
	FILE *f;
	int fd, rc;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		return CV_EIO;
	}
	rc = p != NULL ? render_feedback_page(p, f) : render_feedback_index(ds, codes, n, f);
	if (fclose(f) != 0 || rc != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return CV_EIO;
	}
	return 0;
}

/* A PDF of dir/code.html by headless Chromium: 0, or CV_ENOTFOUND without it. */
static int print_pdf(const char *chromium, const char *dir, const char *code)
{
	char page[4200], pdf[4200], abs[4096];
	char *argv[] = {(char *)(uintptr_t)chromium, "--headless", "--no-sandbox", "--disable-gpu",
			"--no-pdf-header-footer",    pdf,          page,           NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, rc;

	if (realpath(dir, abs) == NULL)
		return CV_EIO;
	snprintf(page, sizeof page, "file://%s/%s.html", abs, code);
	snprintf(pdf, sizeof pdf, "--print-to-pdf=%s/%s.pdf", abs, code);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, chromium, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return CV_EIO;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return CV_EIO;
	snprintf(pdf, sizeof pdf, "%s/%s.pdf", abs, code);
	return chmod(pdf, 0600) == 0 ? 0 : CV_EIO; /* as private as the page */
}

/* The first of chromium, chromium-browser on PATH, or NULL. */
static const char *find_chromium(char *buf, size_t len)
{
	const char *path = getenv("PATH");
	static const char *const names[] = {"chromium", "chromium-browser", NULL};
	for (size_t k = 0; names[k] != NULL; k++) {
		const char *p = path ? path : "/usr/bin";
		while (*p) {
			size_t n = strcspn(p, ":");
			snprintf(buf, len, "%.*s/%s", (int)n, p, names[k]);
			if (access(buf, X_OK) == 0)
				return buf;
			p += n + (p[n] == ':');
		}
	}
	return NULL;
}

/*
 * feedback-pack: one page per member with a return (or only --member), the
 * index, and with --pdf a PDF of each page. Member codes are file names:
 * the registry's codes are letters and digits.
 */
static int feedback_pack(const struct dataset *ds, const struct disclosure_rules *rules,
			 const char *dir, const char *only, bool pdf)
{
	const char **codes = calloc(ds->n ? ds->n : 1, sizeof *codes);
	char chromium[4096], name[64];
	const char *browser = NULL;
	struct timespec t0, t1;
	size_t n = 0;
	int rc = 0;

	if (codes == NULL)
		return CV_ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pdf && (browser = find_chromium(chromium, sizeof chromium)) == NULL) {
		fprintf(stderr, "canvass-reporter: --pdf needs headless Chromium (chromium) on "
				"PATH\n");
		free(codes);
		return CV_ENOTFOUND;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "canvass-reporter: %s: %s\n", dir, strerror(errno));
		free(codes);
		return CV_ENOTFOUND;
	}
	for (size_t i = 0; i < ds->n && rc == 0; i++) {
		const char *code = ds->rows[i].member;
		struct profile *p = NULL;
		if (only != NULL && strcmp(only, code) != 0)
			continue;
		if (code[0] == '\0' ||
		    code[strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz0123456789_-")] != '\0')
			continue; /* not a safe file name; the registry never has one */
		rc = profile_build(ds, code, rules, true, &p);
		snprintf(name, sizeof name, "%s.html", code);
		if (rc == 0)
			rc = write_page(dir, name, p, ds, NULL, 0);
		profile_free(&p);
		if (rc == 0 && browser != NULL)
			rc = print_pdf(browser, dir, code);
		if (rc == 0)
			codes[n++] = code;
	}
	if (rc == 0 && only != NULL && n == 0) {
		fprintf(stderr, "canvass-reporter: no submission of %s for cycle %s\n", only,
			ds->cycle);
		rc = CV_ENOTFOUND;
	}
	if (rc == 0)
		rc = write_page(dir, "index.html", NULL, ds, codes, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0)
		fprintf(stderr, "feedback pack: %zu pages%s and index.html in %s (%.2f s)\n", n,
			browser ? " with their PDFs" : "", dir,
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(codes);
	return rc;
}

/* One report's renderers, for emit(). */
struct emitters {
	int (*text)(const void *r, FILE *out);
	int (*json)(const void *r, FILE *out);
	int (*csv)(const void *r, FILE *out);
	int (*sdmx)(const void *r, FILE *out); /* NULL: none */
};

/* What the Notes sheet of a workbook keeps of the JSON output: its stamp. */
static json_t *stamp_of(const char *json, size_t len)
{
	static const char *const keep[] = {"report",
					   "questionnaire",
					   "cycle",
					   "cycles",
					   "member",
					   "by",
					   "store",
					   "program",
					   "classification",
					   "disclosure",
					   "previous_cycle",
					   "returns",
					   "special_rate_threshold",
					   "counts",
					   NULL};
	json_t *all = json_loadb(json, len, 0, NULL), *notes = json_object();

	for (size_t i = 0; all != NULL && notes != NULL && keep[i] != NULL; i++) {
		json_t *v = json_object_get(all, keep[i]);
		if (v != NULL)
			json_object_set(notes, keep[i], v);
	}
	json_decref(all);
	return notes;
}

/*
 * The workbook: the CSV tables, typed, and the JSON output's stamp on the
 * Notes sheet (or notes, when the report has no JSON output).
 */
static int emit_xlsx(const char *report, const struct emitters *e, const void *r, json_t *notes)
{
	char *csv = NULL, *json = NULL;
	size_t csv_len = 0, json_len = 0;
	FILE *mc = open_memstream(&csv, &csv_len), *mj = NULL;
	int rc;

	if (mc == NULL)
		return CV_ENOMEM;
	render_csv_set_raw(true);
	rc = e->csv(r, mc);
	render_csv_set_raw(false);
	if (fclose(mc) != 0 && rc == 0)
		rc = CV_ENOMEM;
	if (rc == 0 && notes == NULL && e->json != NULL) {
		if ((mj = open_memstream(&json, &json_len)) == NULL) {
			rc = CV_ENOMEM;
		} else {
			rc = e->json(r, mj);
			if (fclose(mj) != 0 && rc == 0)
				rc = CV_ENOMEM;
		}
		if (rc == 0)
			notes = stamp_of(json, json_len);
	} else if (notes != NULL) {
		json_incref(notes);
	}
	if (rc == 0)
		rc = render_xlsx(report, csv, csv_len, notes, stdout);
	json_decref(notes);
	free(csv);
	free(json);
	return rc;
}

static int emit(const char *report, int fmt, const struct emitters *e, const void *r)
{
	switch (fmt) {
	case FMT_JSON: return e->json(r, stdout);
	case FMT_CSV: return e->csv(r, stdout);
	case FMT_SDMX: return e->sdmx(r, stdout);
	case FMT_XLSX: return emit_xlsx(report, e, r, NULL);
	default: return e->text(r, stdout);
	}
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

static int export_report(struct store_view *view, const struct questionnaire *def,
			 const struct dataset *ds, const struct registry *reg, char **cycles,
			 size_t n_cycles, uint64_t as_of, int fmt)
{
	struct export_job j = {view, def, ds, reg, cycles, n_cycles, as_of, fmt == FMT_JSONL};
	static const struct emitters e = {NULL, NULL, export_rows, NULL};
	json_t *notes, *list;
	uint64_t seq;
	uint8_t chain[CV_HASH_LEN];
	char hex[2 * CV_HASH_LEN + 1];
	int rc;

	if (fmt != FMT_XLSX)
		return export_rows(&j, stdout);
	store_view_head(view, &seq, chain);
	cv_hex(chain, CV_HASH_LEN, hex);
	list = json_array();
	if (ds != NULL)
		json_array_append_new(list, json_string(ds->cycle));
	for (size_t c = 0; ds == NULL && c < n_cycles; c++)
		json_array_append_new(list, json_string(cycles[c]));
	notes = json_pack("{ss s{ss sI ss} so s{sI ss} s{ss ss} ss}", "report", "export",
			  "questionnaire", "id", def->id, "version", (json_int_t)def->version,
			  "title", def->title, "cycles", list, "store", "sequence",
			  (json_int_t)(as_of ? as_of : seq), "chain_hash", as_of ? "" : hex,
			  "program", "name", "canvass-reporter", "version", CANVASS_VERSION,
			  "classification", RENDER_CONFIDENTIAL);
	rc = notes != NULL ? emit_xlsx("export", &e, &j, notes) : CV_ENOMEM;
	json_decref(notes);
	return rc;
}

/*
 * The quality report: the previous cycle is --previous-cycle, or the
 * store's cycle sorting just before --cycle; "none" turns the change check off.
 */
static int quality_report(struct store_view *view, const struct questionnaire *def,
			  const struct dataset *ds, const struct registry *reg,
			  const char *previous, double special_rate, uint64_t as_of, int fmt)
{
	struct dataset *prev = NULL;
	struct findings *f = NULL;
	char **cycles = NULL, *chosen = NULL;
	size_t n = 0;
	int rc = 0;

	if (previous == NULL) {
		rc = ds_cycles(view, def->id, &cycles, &n);
		for (size_t i = 0; rc == 0 && i < n; i++)
			if (strcmp(cycles[i], ds->cycle) < 0)
				chosen = cycles[i];
		previous = chosen;
	} else if (strcmp(previous, "none") == 0) {
		previous = NULL;
	}
	if (rc == 0 && previous != NULL)
		rc = dataset_load(view, def, previous, reg, as_of, &prev);
	if (rc == 0)
		rc = findings_build(ds, prev, special_rate, &f);
	if (rc == 0) {
		static const struct emitters e = {findings_text, findings_json, findings_csv, NULL};
		rc = emit("quality", fmt, &e, f);
	}
	findings_free(&f);
	dataset_free(&prev);
	for (size_t i = 0; i < n; i++)
		free(cycles[i]);
	free(cycles);
	return rc;
}

static void usage(FILE *out, const struct setting *tab)
{
	fprintf(out,
		"usage: canvass-reporter REPORT --data DIR --registry FILE --questionnaires DIR "
		"--questionnaire ID [--cycle CYCLE] [options]\n"
		"reports: compare (text, json, csv, xlsx, sdmx, html), member (text, json; "
		"--member, "
		"--feedback), ranking (text, json, csv, xlsx; --section),\n"
		"         completeness (text, json, csv, xlsx), trend (text, json, csv, xlsx, "
		"sdmx; "
		"--cycles, --member), export (csv, jsonl, xlsx),\n"
		"         quality (text, json, csv, xlsx; --previous-cycle, --special-rate),\n"
		"         feedback-pack (html: a page per member and an index, --out DIR; "
		"--member, --pdf),\n"
		"         sdmx-structure (xml: the SDMX structure of compare and trend's sdmx "
		"format; no --data, no --cycle)\n"
		"xlsx is an Excel workbook, written to standard output: redirect it to a file\n");
	settings_usage(tab, out);
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

int main(int argc, char **argv)
{
	char *data = NULL, *registry_path = NULL, *qdir = NULL, *qid = NULL, *cycle = NULL;
	char *format = NULL, *member = NULL, *section = NULL, *cycles_list = NULL;
	char *previous_cycle = NULL, *special_rate_text = NULL, *out_dir = NULL;
	bool pdf = false;
	double special_rate = 0.25;
	long version = 0, as_of = 0, min_group = 3, min_group_order = 10, threads = 0;
	bool feedback = false, members = false, share_rule = true, equal_rule = true;
	bool approved_only = false, full_decode = false;
	char *suppressed_as = NULL;
	struct disclosure_rules rules;
	const struct setting tab[] = {
		{"data", SET_STRING, &data, 0, 0, "DIR", "store directory"},
		{"registry", SET_STRING, &registry_path, 0, 0, "FILE", "member registry (CSV)"},
		{"questionnaires", SET_STRING, &qdir, 0, 0, "DIR", "questionnaire definitions"},
		{"questionnaire", SET_STRING, &qid, 0, 0, "ID", "questionnaire id"},
		{"version", SET_LONG, &version, 0, 1000000, "N",
		 "definition version to report with (latest)"},
		{"cycle", SET_STRING, &cycle, 0, 0, "CYCLE", "cycle, e.g. 2025"},
		{"format", SET_STRING, &format, 0, 0, "FORMAT",
		 "text, json, csv, html, jsonl, xlsx, sdmx, xml"},
		{"as-of", SET_LONG, &as_of, 0, 2147483647L, "SEQ",
		 "the report as it was at store sequence SEQ"},
		{"min-group", SET_LONG, &min_group, 1, 1000, "K",
		 "disclosure: hide figures of fewer than K answering members (3; numbers "
		 "need at least 4; 1 turns disclosure control off)"},
		{"min-group-order", SET_LONG, &min_group_order, 1, 1000000, "N",
		 "disclosure: min, quartiles and max only with N answering (10); never in "
		 "feedback"},
		{"share-rule", SET_FLAG, &share_rule, 0, 0, NULL,
		 "disclosure: hide shares where one option holds all or all but one (on; "
		 "--share-rule=false turns it off)"},
		{"equal-rule", SET_FLAG, &equal_rule, 0, 0, NULL,
		 "disclosure: hide numbers where all answers, or all but one, are equal (on)"},
		{"suppressed-as", SET_STRING, &suppressed_as, 0, 0, "TEXT",
		 "what a hidden figure shows in text, CSV and HTML (x)"},
		{"member", SET_STRING, &member, 0, 0, "CODE", "member (member, trend, html)"},
		{"feedback", SET_FLAG, &feedback, 0, 0, NULL,
		 "member: the version for the member itself"},
		{"section", SET_STRING, &section, 0, 0, "ID", "ranking: by this section's score"},
		{"cycles", SET_STRING, &cycles_list, 0, 0, "LIST",
		 "trend: cycles, comma-separated (all in the store)"},
		{"previous-cycle", SET_STRING, &previous_cycle, 0, 0, "CYCLE",
		 "quality: the cycle changes are measured from (the store's cycle before "
		 "--cycle; \"none\": no change check)"},
		{"special-rate", SET_STRING, &special_rate_text, 0, 0, "SHARE",
		 "quality: report questions whose share of don't know / not applicable "
		 "answers is at least SHARE, 0-1 (0.25)"},
		{"out", SET_STRING, &out_dir, 0, 0, "DIR",
		 "feedback-pack: the directory the pages go to (created 0700)"},
		{"pdf", SET_FLAG, &pdf, 0, 0, NULL,
		 "feedback-pack: a PDF of every page too, printed by headless Chromium"},
		{"approved-only", SET_FLAG, &approved_only, 0, 0, NULL,
		 "compare, member, ranking, trend, export, feedback-pack: only the returns "
		 "approved at the position (docs/review.md)"},
		{"full-decode", SET_FLAG, &full_decode, 0, 0, NULL,
		 "read every submission with protobuf-c, not in place (the reference "
		 "path: the same output, slower)"},
		{"threads", SET_LONG, &threads, 0, DS_MAX_THREADS, "N",
		 "compare without member rows reads the store with N threads (default 0: one "
		 "per core, at most 8); the same output whatever N"},
		{"members", SET_FLAG, &members, 0, 0, NULL,
		 "compare: add member-level rows and the heatmap (Secretariat only)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	const char *report = argc > 1 ? argv[1] : "";
	const struct questionnaire *def;
	struct registry *reg = NULL;
	struct qset *qs = NULL;
	struct store *store = NULL;
	struct store_view *view = NULL;
	struct dataset *ds = NULL;
	char err[1024], **cycles = NULL;
	size_t n_cycles = 0;
	int next, rc, fmt, status = 1;
	bool known = false;

	for (size_t i = 0; reports[i]; i++)
		known = known || strcmp(report, reports[i]) == 0;
	if (!known) {
		if (strcmp(report, "-h") == 0 || strcmp(report, "--help") == 0) {
			usage(stdout, tab);
			return 0;
		}
		if (strcmp(report, "--version") == 0) { /* after REPORT, --version N is a setting */
			cv_print_version(argv[0]);
			return 0;
		}
		fprintf(stderr, "canvass-reporter: unknown or missing report \"%s\"\n", report);
		usage(stderr, tab);
		return 2;
	}
	rc = settings_parse(tab, "reporter", argc - 1, argv + 1, &next, err, sizeof err);
	if (rc == SETTINGS_HELP) {
		usage(stdout, tab);
		settings_free(tab);
		return 0;
	}
	bool structure = strcmp(report, "sdmx-structure") == 0;
	bool pack = strcmp(report, "feedback-pack") == 0;
	fmt = render_format(format                          ? format
			    : strcmp(report, "export") == 0 ? "csv"
			    : structure                     ? "xml"
			    : pack                          ? "html"
							    : "text");
	disclosure_defaults(&rules);
	rules.k = (size_t)min_group;
	rules.k_order = (size_t)min_group_order;
	rules.shares = share_rule;
	rules.equal_values = equal_rule;
	render_set_suppressed_mark(suppressed_as != NULL ? suppressed_as : "x");
	/* Reports at two store positions can be differenced: --as-of is for the Secretariat. */
	render_set_confidential(as_of != 0);
	if (rc == 0 && structure && (next < argc - 1 || !registry_path || !qdir || !qid))
		rc = cv_fail(err, sizeof err, CV_ECONFIG,
			     "--registry, --questionnaires and --questionnaire are required");
	else if (rc == 0 && !structure &&
		 (next < argc - 1 || !data || !registry_path || !qdir || !qid))
		rc = cv_fail(
			err, sizeof err, CV_ECONFIG,
			"--data, --registry, --questionnaires and --questionnaire are required");
	if (rc == 0 && fmt == FMT_SDMX && member != NULL)
		rc = cv_fail(err, sizeof err, CV_ECONFIG,
			     "sdmx is for aggregates: a member's series (--member) has none");
	if (rc == 0 && !cycle && !structure && strcmp(report, "trend") != 0 &&
	    strcmp(report, "export") != 0)
		rc = cv_fail(err, sizeof err, CV_ECONFIG, "--cycle is required for %s", report);
	if (rc == 0 && (fmt < 0 || !has_format(report, fmt)))
		rc = cv_fail(err, sizeof err, CV_ECONFIG, "%s has no format \"%s\"", report,
			     format ? format : "text");
	if (rc == 0 && special_rate_text != NULL) {
		char *end;
		special_rate = strtod(special_rate_text, &end);
		if (end == special_rate_text || *end != '\0' || !(special_rate > 0) ||
		    special_rate > 1)
			rc = cv_fail(err, sizeof err, CV_ECONFIG,
				     "--special-rate must be a share above 0 and at most 1");
	}
	if (rc == 0 && fmt == FMT_XLSX && isatty(STDOUT_FILENO))
		rc = cv_fail(err, sizeof err, CV_ECONFIG,
			     "xlsx is a binary file: redirect standard output to a file");
	if (rc == 0 && pack && out_dir == NULL)
		rc = cv_fail(err, sizeof err, CV_ECONFIG, "feedback-pack needs --out DIR");
	if (rc == 0 && approved_only &&
	    (strcmp(report, "completeness") == 0 || strcmp(report, "quality") == 0 || structure))
		rc = cv_fail(err, sizeof err, CV_ECONFIG,
			     "--approved-only is not for %s (completeness counts every state)",
			     report);
	dataset_set_approved_only(approved_only);
	dataset_set_fast_load(!full_decode);
	dataset_set_threads((unsigned)threads);
	if (rc == 0 && strcmp(report, "member") == 0 && member == NULL)
		rc = cv_fail(err, sizeof err, CV_ECONFIG, "member needs --member CODE");
	if (rc != 0) {
		fprintf(stderr, "canvass-reporter: %s\n", err);
		usage(stderr, tab);
		settings_free(tab);
		return 2;
	}
	compare_progress(isatty(STDERR_FILENO) != 0);
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
	if (structure) {
		/* The structure needs the definition and the regions, not the store. */
		if ((rc = render_sdmx_structure(def, reg, stdout)) != 0 || fflush(stdout) != 0) {
			fprintf(stderr, "canvass-reporter: cannot write the structure: %s\n",
				cv_strerror(rc));
			goto out;
		}
		status = 0;
		goto out;
	}
	{
		struct store_cfg scfg = {.dir = data, .readonly = true};
		if (store_open(&store, &scfg, err, sizeof err) != 0) {
			fprintf(stderr, "canvass-reporter: %s\n", err);
			goto out;
		}
	}
	if ((rc = store_view_open(store, &view)) != 0) {
		fprintf(stderr, "canvass-reporter: %s: %s\n", data, cv_strerror(rc));
		goto out;
	}

	if (strcmp(report, "trend") == 0 || (strcmp(report, "export") == 0 && cycle == NULL)) {
		rc = cycles_list ? split_cycles(cycles_list, &cycles, &n_cycles)
				 : ds_cycles(view, qid, &cycles, &n_cycles);
		if (rc == 0 && n_cycles == 0) {
			fprintf(stderr, "canvass-reporter: no cycles of %s in the store\n", qid);
			goto out;
		}
	} else if (strcmp(report, "compare") == 0 && !members && fmt != FMT_HTML && as_of == 0) {
		/* Figures only: the rows are summarised as they are read, none kept. */
		rc = dataset_open_head(view, def, cycle, reg, &ds);
	} else {
		rc = dataset_load(view, def, cycle, reg, (uint64_t)as_of, &ds);
		if (rc == CV_EINVAL)
			fprintf(stderr,
				"canvass-reporter: --as-of %ld is beyond the store's head\n",
				as_of);
	}
	if (rc != 0) {
		if (rc != CV_EINVAL)
			fprintf(stderr, "canvass-reporter: %s: %s\n", data, cv_strerror(rc));
		goto out;
	}

	if (strcmp(report, "compare") == 0) {
		struct compare_report *cmp = NULL;
		struct completeness *c = NULL;
		struct profile *p = NULL;
		if (ds->streamed) {
			rc = compare_stream(ds, view, &rules, &cmp);
			if (rc != 0) {
				/* As when the rows are loaded first: the store's error. */
				fprintf(stderr, "canvass-reporter: %s: %s\n", data,
					cv_strerror(rc));
				goto out;
			}
		} else {
			rc = compare_build(ds, &rules, &cmp);
		}
		if (rc == 0 && fmt == FMT_HTML)
			rc = completeness_build(ds, &c);
		if (rc == 0 && fmt == FMT_HTML && member != NULL &&
		    (rc = profile_build(ds, member, &rules, false, &p)) == CV_ENOTFOUND)
			fprintf(stderr, "canvass-reporter: no submission of %s\n", member);
		if (rc == 0 && fmt == FMT_HTML) {
			rc = render_compare_html(cmp, c, p, members, stdout);
		} else if (rc == 0) {
			static const struct emitters e = {compare_text, compare_json, compare_csv,
							  compare_sdmx};
			struct compare_out co = {cmp, members};
			rc = emit("compare", fmt, &e, &co);
		}
		profile_free(&p);
		completeness_free(&c);
		compare_free(&cmp);
	} else if (strcmp(report, "member") == 0) {
		struct profile *p = NULL;
		rc = profile_build(ds, member, &rules, feedback, &p);
		if (rc == CV_ENOTFOUND)
			fprintf(stderr, "canvass-reporter: no submission of %s for cycle %s\n",
				member, cycle);
		else if (rc == 0)
			rc = fmt == FMT_JSON ? render_profile_json(p, stdout)
					     : render_profile_text(p, stdout);
		profile_free(&p);
	} else if (strcmp(report, "ranking") == 0) {
		struct ranking *r = NULL;
		rc = ranking_build(ds, section, &r);
		if (rc == CV_ENOTFOUND)
			fprintf(stderr, "canvass-reporter: no section %s\n", section);
		else if (rc == 0) {
			static const struct emitters e = {ranking_text, ranking_json, ranking_csv,
							  NULL};
			rc = emit("ranking", fmt, &e, r);
		}
		ranking_free(&r);
	} else if (strcmp(report, "completeness") == 0) {
		struct completeness *c = NULL;
		rc = completeness_build(ds, &c);
		if (rc == 0) {
			static const struct emitters e = {completeness_text, completeness_json,
							  completeness_csv, NULL};
			rc = emit("completeness", fmt, &e, c);
		}
		completeness_free(&c);
	} else if (strcmp(report, "trend") == 0) {
		struct trend *t = NULL;
		rc = trend_build(view, qs, qid, reg, cycles, n_cycles, member, &rules,
				 (uint64_t)as_of, &t);
		if (rc == 0) {
			static const struct emitters e = {trend_text, trend_json, trend_csv,
							  trend_sdmx};
			rc = emit("trend", fmt, &e, t);
		}
		trend_free(&t);
	} else if (pack) {
		rc = feedback_pack(ds, &rules, out_dir, member, pdf);
	} else if (strcmp(report, "quality") == 0) {
		rc = quality_report(view, def, ds, reg, previous_cycle, special_rate,
				    (uint64_t)as_of, fmt);
	} else {
		rc = export_report(view, def, ds, reg, cycles, n_cycles, (uint64_t)as_of, fmt);
	}
	if (rc != 0 || fflush(stdout) != 0) {
		if (rc != CV_ENOTFOUND)
			fprintf(stderr, "canvass-reporter: cannot write the report: %s\n",
				cv_strerror(rc));
		goto out;
	}
	status = 0;
out:
	for (size_t i = 0; i < n_cycles; i++)
		free(cycles[i]);
	free(cycles);
	dataset_free(&ds);
	store_view_close(&view);
	store_close(&store);
	registry_free(&reg);
	qset_free(&qs);
	settings_free(tab);
	return status;
}
