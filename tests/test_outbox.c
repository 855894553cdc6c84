/*
 * outbox: names that cannot collide, one entry per submission, a crash or
 * a failing disk leaves a complete entry or none. fsync and rename are
 * wrapped (-Wl,--wrap) so that their failures can be injected.
 */
#include "outbox.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "util.h"
#include "wire.h"

int __real_fsync(int fd);
int __real_rename(const char *from, const char *to);
int __wrap_fsync(int fd);
int __wrap_rename(const char *from, const char *to);

static int fail_fsync_at; /* fail the Nth fsync from now (1-based), 0: never */
static int fail_rename;   /* fail every rename */

int __wrap_fsync(int fd)
{
	if (fail_fsync_at > 0 && --fail_fsync_at == 0) {
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

int __wrap_rename(const char *from, const char *to)
{
	if (fail_rename) {
		errno = ENOSPC;
		return -1;
	}
	return __real_rename(from, to);
}

static Canvass__Submission *sub(const char *member, const char *key)
{
	char json[512];
	snprintf(json, sizeof json,
		 "{\"questionnaire\":\"q\",\"version\":1,\"cycle\":\"2025\",\"member\":\"%s\","
		 "\"id\":\"%s\",\"answers\":{\"a\":1}}",
		 member, key);
	return tu_submission(json);
}

/* Files in dir; *tmp gets how many of them are temporary (start with '.'). */
static size_t count(const char *dir, size_t *tmp)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	*tmp = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_name[0] == '.')
			(*tmp)++;
		else
			n++;
	}
	closedir(d);
	return n;
}

static void test_names_never_collide(void **state)
{
	char *dir = tu_tempdir(), err[256], *p1, *p2, *p3, **list;
	Canvass__Submission *a = sub("KE", "batch/1"), *b = sub("KE", "batch_1");
	Canvass__Submission *c = sub("FR", "batch/1");
	size_t n, tmp;
	struct stat st;
	(void)state;

	assert_int_equal(outbox_open(dir, err, sizeof err), 0);
	assert_int_equal(outbox_put(dir, a, &p1, err, sizeof err), 0);
	assert_int_equal(outbox_put(dir, b, &p2, err, sizeof err), 0);
	assert_int_equal(outbox_put(dir, c, &p3, err, sizeof err), 0);
	assert_string_not_equal(p1, p2);
	assert_string_not_equal(p1, p3);
	assert_int_equal(count(dir, &tmp), 3);
	assert_int_equal(tmp, 0);
	assert_int_equal(stat(p1, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* The same submission again is the same entry. */
	free(p2);
	assert_int_equal(outbox_put(dir, a, &p2, err, sizeof err), 0);
	assert_string_equal(p1, p2);
	assert_int_equal(outbox_list(dir, &list, &n, err, sizeof err), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	/* Removing twice is fine: a second copy answered after the first. */
	assert_int_equal(outbox_remove(p1), 0);
	assert_int_equal(outbox_remove(p2), 0);
	assert_int_equal(count(dir, &tmp), 2);
	free(p1), free(p2), free(p3);
	WIRE_FREE(a), WIRE_FREE(b), WIRE_FREE(c);
	tu_rmtree(dir);
	free(dir);
}

static void test_failures_leave_nothing(void **state)
{
	char *dir = tu_tempdir(), err[256], *p = NULL;
	Canvass__Submission *a = sub("KE", "k1");
	size_t tmp;
	(void)state;

	assert_int_equal(outbox_open(dir, err, sizeof err), 0);
	/* The file's fsync fails: no entry, no temporary file. */
	fail_fsync_at = 1;
	assert_int_equal(outbox_put(dir, a, &p, err, sizeof err), CV_EIO);
	assert_null(p);
	assert_non_null(strstr(err, "Input/output error"));
	assert_int_equal(count(dir, &tmp), 0);
	assert_int_equal(tmp, 0);
	/* The rename fails: likewise. */
	fail_rename = 1;
	assert_int_equal(outbox_put(dir, a, &p, err, sizeof err), CV_EIO);
	fail_rename = 0;
	assert_null(p);
	assert_int_equal(count(dir, &tmp), 0);
	assert_int_equal(tmp, 0);
	/* The directory's fsync fails: the caller hears of it (the name may not be durable). */
	fail_fsync_at = 2;
	assert_int_equal(outbox_put(dir, a, &p, err, sizeof err), CV_EIO);
	assert_null(p);
	fail_fsync_at = 0;
	assert_int_equal(count(dir, &tmp), 1);
	assert_int_equal(tmp, 0);
	WIRE_FREE(a);
	tu_rmtree(dir);
	free(dir);
}

static void test_open_drops_only_dead_writers_files(void **state)
{
	char *dir = tu_tempdir(), err[256], name[64];
	size_t tmp;
	(void)state;

	assert_int_equal(outbox_open(dir, err, sizeof err), 0);
	/* A crash mid-write by a process that is gone (pid 2^22+1 is above pid_max's default). */
	tu_write(dir, ".4194305-abcdef.tmp", "{\"half");
	/* A write in progress by a live process: this one. */
	snprintf(name, sizeof name, ".%ld-abcdef.tmp", (long)getpid());
	tu_write(dir, name, "{\"in progress");
	assert_int_equal(outbox_open(dir, err, sizeof err), 0);
	assert_int_equal(count(dir, &tmp), 0);
	assert_int_equal(tmp, 1);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_never_collide),
		cmocka_unit_test(test_failures_leave_nothing),
		cmocka_unit_test(test_open_drops_only_dead_writers_files),
	};
	cv_crypto_init();
	return cmocka_run_group_tests_name("outbox", tests, NULL, NULL);
}
