#include "error.h"

#include <stdarg.h>
#include <stdio.h>

const char *cv_strerror(int code)
{
	switch (code) {
	case CV_OK: return "success";
	case CV_ENOMEM: return "out of memory";
	case CV_EINVAL: return "invalid input";
	case CV_EIO: return "I/O error";
	case CV_ETOOBIG: return "over a size limit";
	case CV_EMALFORMED: return "malformed message";
	case CV_EVERSION: return "unsupported version";
	case CV_ENOTFOUND: return "not found";
	case CV_ESTORE: return "storage error";
	case CV_EFULL: return "store full";
	case CV_EZMQ: return "messaging error";
	case CV_ECONFIG: return "invalid configuration";
	case CV_ETIMEDOUT: return "timed out";
	case CV_ELOCKED: return "locked by another process";
	case CV_ECORRUPT: return "integrity check failed";
	case CV_EAUTH: return "authentication failed";
	case CV_ENOSPC: return "no space left on the device";
	case CV_EBATCH: return "more than one write transaction holds";
	case CV_EBUSY: return "at a limit; retry later";
	case CV_EDISCLOSE: return "the disclosure audit found a figure that gives an answer away";
	}
	return "unknown error";
}

int cv_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}
