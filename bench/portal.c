/*
 * The member's portal over the real link: canvass-submit serve for one
 * member of the benchmark's pipeline, with the integrity self-assessment in
 * its schedule. Timed end to end from an HTTP client on loopback (libcurl,
 * one connection kept open, as a browser does):
 *   - a form page rendered (GET /form: the definition, the return's state
 *     and its latest revision fetched over the CURVE link, the HTML);
 *   - a check answered (POST /form, action=check: the answers read, the
 *     draft saved, a dry run at the collector, the page with its problems);
 *   - the baseline: the portal's stylesheet (GET /style.css), the same
 *     server and the same gates with no page to build.
 */
#include "bench.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "qdef.h"

extern char **environ;

struct sink {
	size_t bytes;
};

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	(void)data;
	s->bytes += size * n;
	return size * n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile(double *v, size_t n, double q)
{
	size_t i;
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	i = (size_t)ceil(q * (double)n);
	return v[i == 0 ? 0 : i - 1];
}

/* One request on c; its wall seconds, or NAN when it failed or was not 200. */
static double timed_request(CURL *c, const char *url, const char *post)
{
	struct sink s = {0};
	long status = 0;
	double t0;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	if (post != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	t0 = now_s();
	if (curl_easy_perform(c) != CURLE_OK)
		return NAN;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status == 200 && s.bytes > 0 ? now_s() - t0 : NAN;
}

/* A form body answering every question of def (a value each, within its bounds). */
static char *answers_body(const struct questionnaire *def)
{
	size_t cap = 16384, len = 0;
	char *b = malloc(cap);

	if (b == NULL)
		return NULL;
	len = (size_t)snprintf(b, cap, "action=check");
	for (size_t i = 0; i < def->n_questions && len + 256 < cap; i++) {
		const struct question *q = &def->questions[i];
		char v[96] = "";
		switch (q->type) {
		case QT_YES_NO: snprintf(v, sizeof v, "yes"); break;
		case QT_SCALE: snprintf(v, sizeof v, "%lld", (long long)q->options[0].value); break;
		case QT_INTEGER:
		case QT_NUMBER: snprintf(v, sizeof v, "%.0f", q->has_min ? q->min : 0); break;
		case QT_CHOICE:
		case QT_MULTI_CHOICE: snprintf(v, sizeof v, "%s", q->options[0].id); break;
		case QT_TEXT: snprintf(v, sizeof v, "benchmark"); break;
		}
		len += (size_t)snprintf(b + len, cap - len, "&a.%s=%s", q->id, v);
	}
	return b;
}

/* The portal's address line ("canvass portal for CODE: URL") from its output file. */
static int portal_url(const char *path, pid_t pid, char *url, size_t len)
{
	for (double end = now_s() + 20; now_s() < end;) {
		char line[512];
		int status;
		FILE *f = fopen(path, "r");
		if (f != NULL) {
			while (fgets(line, sizeof line, f) != NULL) {
				char *u = strstr(line, "http://");
				if (strncmp(line, "canvass portal for ", 19) == 0 && u != NULL) {
					u[strcspn(u, "\r\n")] = '\0';
					snprintf(url, len, "%s", u);
					fclose(f);
					return 0;
				}
			}
			fclose(f);
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			return CV_EINVAL;
		usleep(10000); /* polling a readiness signal, with a deadline */
	}
	return CV_ETIMEDOUT;
}

int run_portal(struct bench_pipeline *p, const struct bench_opts *o, const char *qdir,
	       const char *cycles, struct portal_figures *out)
{
	char bin[512], key[300], pub[300], drafts[300], log[300], url[512], origin[160];
	char form_url[640], check_url[640], css_url[640], err[256], hdr[200];
	char qdir_arg[300], cycles_arg[300];
	char *argv[24];
	int n = 0, runs = o->smoke ? 20 : 300, rc = CV_EINVAL;
	double *t_form = calloc((size_t)runs, sizeof *t_form);
	double *t_check = calloc((size_t)runs, sizeof *t_check);
	double *t_css = calloc((size_t)runs, sizeof *t_css);
	struct qset *qs = NULL;
	const struct questionnaire *def;
	posix_spawn_file_actions_t fa;
	struct curl_slist *headers = NULL;
	char *body = NULL;
	size_t nf = 0, nc = 0, ns = 0;
	pid_t pid = -1;
	CURL *c = NULL;

	*out = (struct portal_figures){NAN, NAN, NAN, NAN, NAN, NAN};
	if (t_form == NULL || t_check == NULL || t_css == NULL ||
	    qset_load_dir(qdir, &qs, err, sizeof err) != 0 ||
	    (def = qset_latest(qs, "integrity-self-assessment")) == NULL ||
	    (body = answers_body(def)) == NULL)
		goto out;
	/* The member's key in a file of its own, as the member has it. */
	if (keys_save(p->dir, p->codes[0], &p->members[0], err, sizeof err) != 0)
		goto out;
	snprintf(bin, sizeof bin, "%s/canvass-submit", o->bindir);
	snprintf(key, sizeof key, "%s/%s.key", p->dir, p->codes[0]);
	snprintf(pub, sizeof pub, "%s/collector.pub", p->dir);
	snprintf(drafts, sizeof drafts, "%s/drafts", p->dir);
	snprintf(log, sizeof log, "%s/portal.out", p->dir);
	argv[n++] = bin;
	argv[n++] = "serve";
	argv[n++] = "--connect";
	argv[n++] = p->col_ep;
	argv[n++] = "--key";
	argv[n++] = key;
	argv[n++] = "--server-key";
	argv[n++] = pub;
	argv[n++] = "--member";
	argv[n++] = p->codes[0];
	snprintf(qdir_arg, sizeof qdir_arg, "%s", qdir);
	snprintf(cycles_arg, sizeof cycles_arg, "%s", cycles);
	argv[n++] = "--questionnaires";
	argv[n++] = qdir_arg;
	argv[n++] = "--cycles";
	argv[n++] = cycles_arg;
	argv[n++] = "--drafts";
	argv[n++] = drafts;
	if (geteuid() == 0)
		argv[n++] = "--allow-root";
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	if (pid < 0 || portal_url(log, pid, url, sizeof url) != 0)
		goto out;
	/* http://127.0.0.1:PORT/?token=...: the origin is everything before "/?". */
	snprintf(origin, sizeof origin, "%.*s", (int)(strstr(url, "/?") - url), url);
	snprintf(form_url, sizeof form_url, "%s/form?q=integrity-self-assessment&c=2026", origin);
	snprintf(check_url, sizeof check_url, "%s", form_url);
	snprintf(css_url, sizeof css_url, "%s/style.css", origin);
	snprintf(hdr, sizeof hdr, "Origin: %s", origin);
	headers = curl_slist_append(NULL, hdr);
	if ((c = curl_easy_init()) == NULL)
		goto out;
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_COOKIEFILE, ""); /* the session cookie, kept */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	/* The printed address once: the token becomes the cookie. */
	if (isnan(timed_request(c, url, NULL)))
		goto out;
	/* Warm: the first form and check set up the link and the draft directory. */
	timed_request(c, form_url, NULL);
	timed_request(c, check_url, body);
	for (int i = 0; i < runs; i++) {
		double x;
		if (!isnan(x = timed_request(c, css_url, NULL)))
			t_css[ns++] = x;
		if (!isnan(x = timed_request(c, form_url, NULL)))
			t_form[nf++] = x;
		if (!isnan(x = timed_request(c, check_url, body)))
			t_check[nc++] = x;
	}
	if (nf == (size_t)runs && nc == (size_t)runs && ns == (size_t)runs) {
		out->form_p50 = quantile(t_form, nf, 0.5);
		out->form_p99 = quantile(t_form, nf, 0.99);
		out->check_p50 = quantile(t_check, nc, 0.5);
		out->check_p99 = quantile(t_check, nc, 0.99);
		out->css_p50 = quantile(t_css, ns, 0.5);
		out->css_p99 = quantile(t_css, ns, 0.99);
		rc = 0;
	} else {
		fprintf(stderr,
			"bench: portal: %zu forms, %zu checks, %zu stylesheets of %d answered\n",
			nf, nc, ns, runs);
	}
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (pid > 0) {
		int status;
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	qset_free(&qs);
	free(body);
	free(t_form), free(t_check), free(t_css);
	return rc;
}
