/*
 * outbox.h - the member client's outbox on disk: a submission is written
 * there (with its idempotency key) before it is first sent and removed once
 * a final answer came, so that one whose receipt never arrived is sent
 * again by the next run, after a crash or a restart. Resending is harmless:
 * the same key and content get DUPLICATE and the original receipt.
 *
 * Entries are files DIR/MEMBER-KEY.json (mode 0600), written to a
 * temporary name, fsynced and renamed, so a crash never leaves half a file.
 */
#ifndef CANVASS_CLIENT_OUTBOX_H
#define CANVASS_CLIENT_OUTBOX_H

#include <stddef.h>

#include "canvass.pb-c.h"

/* Creates dir (0700) when missing; drops *.tmp files left by a crash mid-write. */
int outbox_open(const char *dir, char *err, size_t errlen);
/* Writes s (canonical, key set) into dir; *path gets the entry's path (caller frees). */
int outbox_put(const char *dir, const Canvass__Submission *s, char **path, char *err,
	       size_t errlen);
/* Removes an entry once answered; a missing file is fine. */
int outbox_remove(const char *path);
/* Lists the pending entries' paths (sorted; caller frees each and the array). */
int outbox_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen);

#endif
