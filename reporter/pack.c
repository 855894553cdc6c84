#include "pack.h"
#include "error.h"
#include "profile.h"
#include "render.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Writes one page to dir/name through a temporary file (0600), then renames it. */
static int write_page(const char *dir, const char *name, const struct profile *p,
		      const struct dataset *ds, const char *const *codes, size_t n)
{
	char tmp[4096], path[4096];
	FILE *f;
	int fd, rc;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	/* A new file, never one planted there (a link included). */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "canvass-reporter: %s: %s\n", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CV_ENOTFOUND;
	}
	rc = p != NULL ? render_feedback_page(p, f) : render_feedback_index(ds, codes, n, f);
	if (fclose(f) != 0 || rc != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "canvass-reporter: %s: %s\n", path,
			rc != 0 ? cv_strerror(rc) : strerror(errno));
		unlink(tmp);
		return CV_ENOTFOUND;
	}
	return 0;
}

/*
 * The pack's directory: made 0700, or an existing empty directory of this
 * user, made 0700. Anything else is refused with its reason on standard
 * error (1): a file, a directory with files in it (a pack is never mixed
 * into, nor written over, other files), one it cannot make.
 */
static int prepare_dir(const char *dir)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	bool empty = true;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		fprintf(stderr, "canvass-reporter: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "canvass-reporter: %s: exists and is not a directory\n", dir);
		return 1;
	}
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "canvass-reporter: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (!empty) {
		fprintf(stderr,
			"canvass-reporter: %s: exists and is not empty; the pack goes into a new "
			"or "
			"empty directory\n",
			dir);
		return 1;
	}
	if (st.st_uid != geteuid() || chmod(dir, 0700) != 0) {
		fprintf(stderr, "canvass-reporter: %s: not this user's to make private (0700)\n",
			dir);
		return 1;
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

/* The pack (pack.h). */
int pack_write(const struct dataset *ds, const struct disclosure_rules *rules, const char *dir,
	       const char *only, bool pdf)
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
	if (prepare_dir(dir) != 0) {
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
		if (rc == 0)
			rc = render_audit_gate(p->cmp);
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
