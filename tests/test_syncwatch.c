/*
 * syncwatch: the aggregator's interposed syncs and writes count a failure
 * of the watched file only, whatever else the process writes or syncs.
 * Character devices fail fdatasync (EINVAL) every time: /dev/full plays
 * the watched store, /dev/null and a pipe the other files.
 */
#include "syncwatch.h"
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>

static void test_counts_only_the_watched_file(void **state)
{
	int watched = open("/dev/full", O_WRONLY), other = open("/dev/null", O_WRONLY), p[2];
	unsigned long before;
	(void)state;

	assert_true(watched >= 0 && other >= 0);
	assert_int_equal(pipe(p), 0);
	before = syncwatch_failures();
	/* Nothing watched yet: a failed sync of any file is nobody's business. */
	assert_int_not_equal(fdatasync(other), 0);
	assert_int_equal(syncwatch_failures(), before);
	assert_int_equal(syncwatch_watch("/dev/full"), 0);
	assert_int_not_equal(fdatasync(other), 0);
	assert_int_not_equal(fsync(p[1]), 0);
	assert_int_equal(syncwatch_failures(), before);
	/* The watched file: counted, by sync and by the other descriptor of it too. */
	assert_int_not_equal(fdatasync(watched), 0);
	assert_int_equal(syncwatch_failures(), before + 1);
	{
		int again = open("/dev/full", O_WRONLY);
		assert_int_not_equal(fsync(again), 0);
		close(again);
	}
	assert_int_equal(syncwatch_failures(), before + 2);
	/* A write that fails with ENOSPC (a full disk) is not a device error. */
	assert_int_equal(pwrite(watched, "x", 1, 0), -1);
	assert_int_equal(syncwatch_failures(), before + 2);
	assert_int_equal(syncwatch_watch("/nonexistent/data.mdb"), -1);
	close(watched);
	close(other);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_only_the_watched_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
