/*
 * error.h - canvass error codes.
 *
 * Every fallible library function returns 0 on success or one of the
 * negative CV_E* codes below. cv_strerror() turns any code into a static
 * string. Functions that can explain more (a file, a JSON path, a line)
 * also take an (err, errlen) buffer which they fill on failure.
 */
#ifndef CANVASS_ERROR_H
#define CANVASS_ERROR_H

#include <stddef.h>

enum cv_error {
	CV_OK = 0,
	CV_ENOMEM = -1,     /* allocation failed */
	CV_EINVAL = -2,     /* invalid argument or input */
	CV_EIO = -3,        /* file or disk I/O failed */
	CV_ETOOBIG = -4,    /* input over a configured limit */
	CV_EMALFORMED = -5, /* bytes are not a valid message */
	CV_EVERSION = -6,   /* protocol or format version not supported */
	CV_ENOTFOUND = -7,  /* no such entry */
	CV_ESTORE = -8,     /* LMDB reported an error */
	CV_EFULL = -9,      /* store reached its map size cap */
	CV_EZMQ = -10,      /* ZeroMQ reported an error */
	CV_ECONFIG = -11,   /* configuration is invalid */
	CV_ETIMEDOUT = -12, /* no answer before the deadline */
	CV_ELOCKED = -13,   /* resource held by another process */
	CV_ECORRUPT = -14,  /* stored data fails an integrity check */
	CV_EAUTH = -15,     /* the peer refused our key, or the handshake failed */
	CV_ENOSPC = -16,    /* no space left on the device */
	CV_EBATCH = -17,    /* more than one write transaction holds */
	CV_EBUSY = -18,     /* at a limit for now; retry later */
	CV_EDISCLOSE = -19, /* a public output would let an answer be worked out */
};

/* Static, never NULL, also for unknown codes. */
const char *cv_strerror(int code);

/* printf into err (when err is not NULL) and return code. */
int cv_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
