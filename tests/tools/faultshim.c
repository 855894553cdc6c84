/*
 * faultshim.so - an LD_PRELOAD library for the storage fault tests: makes
 * writes and syncs of a data.mdb fail on demand. Not installed.
 *
 * CANVASS_FAULT_FILE names a control file, read at every call; its first
 * line is the fault in force (an empty or missing file: none):
 *   sync EIO       fdatasync() and fsync() fail with EIO
 *   data ENOSPC    writes of data pages (offset >= 2 pages) fail with ENOSPC
 *   data EIO       ... fail with EIO
 *   data short     ... write half and return the short count
 *   meta ENOSPC    writes of the meta pages (offset < 2 pages) fail with ENOSPC
 * Only file descriptors of a file named data.mdb are touched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define META_BYTES (2 * 4096)

static void fault(char *what, size_t wlen, char *err, size_t elen)
{
	const char *path = getenv("CANVASS_FAULT_FILE");
	char line[64] = "";
	FILE *f;

	what[0] = err[0] = '\0';
	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return;
	if (fgets(line, sizeof line, f) != NULL)
		sscanf(line, "%15s %15s", what, err);
	fclose(f);
	(void)wlen;
	(void)elen;
}

static int is_data_mdb(int fd)
{
	char link[64], target[4096];
	ssize_t n;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof target - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	n = (ssize_t)strlen(target);
	return n >= 8 && strcmp(target + n - 8, "data.mdb") == 0;
}

static int code(const char *err)
{
	return strcmp(err, "ENOSPC") == 0 ? ENOSPC : EIO;
}

static int sync_fault(int fd)
{
	char what[16], err[16];
	fault(what, sizeof what, err, sizeof err);
	if (strcmp(what, "sync") == 0 && is_data_mdb(fd)) {
		errno = code(err);
		return -1;
	}
	return 0;
}

int fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return sync_fault(fd) != 0 ? -1 : real(fd);
}

int fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return sync_fault(fd) != 0 ? -1 : real(fd);
}

/* 0: no fault; -1 with errno; or 1: write only half (short). */
static int write_fault(int fd, off_t off)
{
	char what[16], err[16];
	fault(what, sizeof what, err, sizeof err);
	if (what[0] == '\0' || !is_data_mdb(fd))
		return 0;
	if ((strcmp(what, "data") == 0 && off >= META_BYTES) ||
	    (strcmp(what, "meta") == 0 && off < META_BYTES)) {
		if (strcmp(err, "short") == 0)
			return 1;
		errno = code(err);
		return -1;
	}
	return 0;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t (*real)(int, const void *, size_t, off_t) =
		(ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
	int f = write_fault(fd, off);
	if (f < 0)
		return -1;
	return real(fd, buf, f == 1 && n > 1 ? n / 2 : n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t (*real)(int, const struct iovec *, int) =
		(ssize_t(*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
	int f = write_fault(fd, lseek(fd, 0, SEEK_CUR));
	if (f < 0)
		return -1;
	return real(fd, iov, f == 1 && iovcnt > 1 ? iovcnt / 2 : iovcnt);
}
