#define _GNU_SOURCE
#include "syncwatch.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_ulong failures;

unsigned long syncwatch_failures(void)
{
	return atomic_load(&failures);
}

/* A write that failed with EIO is a device error, not a full disk: stop too. */
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);
	ssize_t rc;

	if (real == NULL && (real = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(
				     RTLD_NEXT, "pwrite")) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((rc = real(fd, buf, n, off)) < 0 && errno == EIO)
		atomic_fetch_add(&failures, 1);
	return rc;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	static ssize_t (*real)(int, const struct iovec *, int);
	ssize_t rc;

	if (real == NULL && (real = (ssize_t(*)(int, const struct iovec *, int))dlsym(
				     RTLD_NEXT, "writev")) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((rc = real(fd, iov, iovcnt)) < 0 && errno == EIO)
		atomic_fetch_add(&failures, 1);
	return rc;
}

/* Calls the C library's name(fd) (found once) and counts a failure. */
static int watched_sync(const char *name, int (**real)(int), int fd)
{
	int rc;

	if (*real == NULL && (*real = (int (*)(int))dlsym(RTLD_NEXT, name)) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((rc = (*real)(fd)) != 0)
		atomic_fetch_add(&failures, 1);
	return rc;
}

int fdatasync(int fd)
{
	static int (*real)(int);
	return watched_sync("fdatasync", &real, fd);
}

int fsync(int fd)
{
	static int (*real)(int);
	return watched_sync("fsync", &real, fd);
}
