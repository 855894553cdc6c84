#define _XOPEN_SOURCE 700
#include "testutil.h"
#include "subjson.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_tempdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	char *d;

	snprintf(tmpl, sizeof tmpl, "%s/canvass-test-XXXXXX", base && *base ? base : "/tmp");
	d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_src(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", CANVASS_SOURCE_DIR, rel);
	return buf;
}

const char *tu_write(const char *dir, const char *name, const char *text)
{
	static char buf[4096];
	FILE *f;

	snprintf(buf, sizeof buf, "%s/%s", dir, name);
	f = fopen(buf, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

Canvass__Submission *tu_submission(const char *json)
{
	Canvass__Submission *s = NULL;
	char err[256] = "";
	int rc = subjson_parse(json, strlen(json), &s, err, sizeof err);
	if (rc != 0)
		fail_msg("submission does not parse: %s", err);
	return s;
}
