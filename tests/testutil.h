/*
 * testutil.h - helpers shared by the cmocka unit tests: temporary
 * directories, paths into the source tree, building submissions.
 */
#ifndef CANVASS_TESTUTIL_H
#define CANVASS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "canvass.pb-c.h"
#include "store.h"

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string. */
char *tu_tempdir(void);
/* Removes a directory tree made by the tests. */
void tu_rmtree(const char *dir);
/* Path of a file in the source tree (static buffer, overwritten by the next call). */
const char *tu_src(const char *rel);
/* Writes text to dir/name and returns the path (static buffer). */
const char *tu_write(const char *dir, const char *name, const char *text);
/* A TCP connection to 127.0.0.1:port that sends nothing; fails the test if none. */
int tu_tcp_connect(int port);
/* 1 when the peer of fd closes the connection within ms, else 0 (data is dropped). */
int tu_peer_closed(int fd, int ms);
/* Parses a JSON submission; fails the test when it does not parse. */
Canvass__Submission *tu_submission(const char *json);

/*
 * A put of body (its own bytes as the submission) for member's isa/cycle
 * return under key; hash (CV_HASH_LEN bytes) holds the content hash and
 * must live as long as the put.
 */
struct store_put tu_put(const char *member, const char *cycle, const char *key, const char *body,
			uint8_t *hash);
/* A fresh writable store in a new temporary directory (*dir, the caller's). */
struct store *tu_store_open(char **dir);
/* Closes it and removes the directory. */
void tu_store_close(struct store **s, char **dir);
/* A cmocka fixture of one such store: *state is a struct tu_store_fx. */
struct tu_store_fx {
	char *dir;
	struct store *s;
};
int tu_store_setup(void **state);
int tu_store_teardown(void **state);

#endif
