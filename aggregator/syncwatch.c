#define _GNU_SOURCE
#include "syncwatch.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_ulong failures;
/* The watched file: 0/0 until syncwatch_watch. */
static atomic_ulong watched_dev, watched_ino;

/* The C library's functions, looked up once for every thread. */
static struct {
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*pwrite64)(int, const void *, size_t, off64_t);
	ssize_t (*writev)(int, const struct iovec *, int);
	int (*fdatasync)(int);
	int (*fsync)(int);
} libc;
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static void resolve(void)
{
	libc.pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
	libc.pwrite64 =
		(ssize_t(*)(int, const void *, size_t, off64_t))dlsym(RTLD_NEXT, "pwrite64");
	libc.writev = (ssize_t(*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
	libc.fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	libc.fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
}

int syncwatch_watch(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	atomic_store(&watched_dev, (unsigned long)st.st_dev);
	atomic_store(&watched_ino, (unsigned long)st.st_ino);
	return 0;
}

unsigned long syncwatch_failures(void)
{
	return atomic_load(&failures);
}

/* Counts a failure of fd when fd is the watched file; errno is kept. */
static void count(int fd)
{
	int saved = errno;
	struct stat st;
	if (atomic_load(&watched_ino) != 0 && fstat(fd, &st) == 0 &&
	    (unsigned long)st.st_ino == atomic_load(&watched_ino) &&
	    (unsigned long)st.st_dev == atomic_load(&watched_dev))
		atomic_fetch_add(&failures, 1);
	errno = saved;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t rc;
	pthread_once(&resolved, resolve);
	if (libc.pwrite == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((rc = libc.pwrite(fd, buf, n, off)) < 0 && errno == EIO)
		count(fd);
	return rc;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	ssize_t rc;
	pthread_once(&resolved, resolve);
	if (libc.pwrite64 == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((rc = libc.pwrite64(fd, buf, n, off)) < 0 && errno == EIO)
		count(fd);
	return rc;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t rc;
	pthread_once(&resolved, resolve);
	if (libc.writev == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((rc = libc.writev(fd, iov, iovcnt)) < 0 && errno == EIO)
		count(fd);
	return rc;
}

int fdatasync(int fd)
{
	int rc;
	pthread_once(&resolved, resolve);
	if (libc.fdatasync == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((rc = libc.fdatasync(fd)) != 0)
		count(fd);
	return rc;
}

int fsync(int fd)
{
	int rc;
	pthread_once(&resolved, resolve);
	if (libc.fsync == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((rc = libc.fsync(fd)) != 0)
		count(fd);
	return rc;
}
