/*
 * util.h - small helpers shared by every canvass program: clocks,
 * hex, big-endian integers, SHA-256 and whole-file reads with a cap.
 */
#ifndef CANVASS_UTIL_H
#define CANVASS_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define CV_HASH_LEN 32

/* Wall clock, Unix epoch, milliseconds. */
int64_t cv_now_ms(void);
/* Monotonic clock, milliseconds; only differences are meaningful. */
int64_t cv_mono_ms(void);
/* Monotonic clock, microseconds. */
int64_t cv_mono_us(void);
/* The version (CMake's project version) and the commit built (git, at configure time). */
const char *cv_version(void);
const char *cv_commit(void);
/* "PROGRAM (canvass) VERSION, commit COMMIT" on stdout, PROGRAM from argv0. */
void cv_print_version(const char *argv0);
/* Sleeps ms milliseconds, resuming after signals. */
void cv_sleep_ms(long ms);

/* Formats Unix ms as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes); returns buf. */
const char *cv_utc_time(int64_t ms, char *buf, size_t len);

/* Writes 2*len hex digits and a NUL to out (size >= 2*len+1). */
void cv_hex(const uint8_t *in, size_t len, char *out);

/*
 * Shortest decimal form of x that reads back as exactly x (%.15g, %.16g or
 * %.17g, whichever is first to round-trip). Returns buf (>= 32 bytes).
 */
const char *cv_format_double(double x, char *buf, size_t len);

void cv_put_be64(uint8_t *p, uint64_t v);
uint64_t cv_get_be64(const uint8_t *p);
void cv_put_be32(uint8_t *p, uint32_t v);
uint32_t cv_get_be32(const uint8_t *p);

/* SHA-256 of len bytes. Never fails once cv_crypto_init() returned 0. */
void cv_sha256(const void *in, size_t len, uint8_t out[CV_HASH_LEN]);
/* Initialises libsodium; call once before any hashing. */
int cv_crypto_init(void);

/*
 * Reads a whole file of at most max bytes into *out (NUL-terminated,
 * caller frees). Returns CV_EIO or CV_ETOOBIG with a message in err.
 */
int cv_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen);

/*
 * Writes "PID\n" to path atomically (temporary file, then rename), mode
 * 0644. Daemons write it once they are ready to serve, so its appearance
 * is the readiness signal scripts and tests wait for.
 */
int cv_write_pidfile(const char *path, char *err, size_t errlen);
/* fsync()s directory dir, so that a name just made or renamed in it is durable. 0 or -1 (errno). */
int cv_sync_dir(const char *dir);
/* Writes s as one CSV field (RFC 4180): quoted, quotes doubled, when it holds , " CR or LF. */
void cv_csv_field(FILE *out, const char *s);

/*
 * Makes room for one more element in a growing array: when n == *cap,
 * doubles *cap (first: 16) and reallocs *arr (a pointer to the array
 * pointer). 0, or CV_ENOMEM with the array as it was.
 */
int cv_reserve(void *arr, size_t *cap, size_t n, size_t elem);

#endif
