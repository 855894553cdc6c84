/*
 * outbox.h - the member client's outbox on disk: a submission is written
 * there (with its idempotency key) before it is first sent and removed once
 * a final answer came, so that one whose receipt never arrived is sent
 * again by the next run, after a crash or a restart. Resending is harmless:
 * the same key and content get DUPLICATE and the original receipt.
 *
 * Entries are files DIR/MEMBER-HASH.json (mode 0600), HASH the hex SHA-256
 * of the member code, a NUL and the idempotency key: ids that differ in any
 * byte (batch/1, batch_1) never share a file, whatever a file name can hold.
 * Each is written to a temporary name of the writing process's own
 * (DIR/.PID-XXXXXX.tmp), fsynced, renamed, and the directory fsynced, so a
 * crash leaves a complete entry or none, and two runs on one outbox never
 * write the same temporary file. The same submission put twice is one
 * entry; removing an entry already removed is fine.
 */
#ifndef CANVASS_CLIENT_OUTBOX_H
#define CANVASS_CLIENT_OUTBOX_H

#include <stddef.h>

#include "canvass.pb-c.h"

/*
 * Creates dir (0700) when missing; drops temporary files left by a crash
 * mid-write (those of processes that no longer run).
 */
int outbox_open(const char *dir, char *err, size_t errlen);
/*
 * Writes len bytes of text as dir/name the crash-safe way described above
 * (mode 0600, a temporary name of this process's, fsync, rename, the
 * directory synced): a complete file or none. *path (when not NULL) gets
 * its path (caller frees). The drafts of the member's portal use it too.
 */
int outbox_write(const char *dir, const char *name, const char *text, size_t len, char **path,
		 char *err, size_t errlen);
/* Writes s (canonical, key set) into dir; *path gets the entry's path (caller frees). */
int outbox_put(const char *dir, const Canvass__Submission *s, char **path, char *err,
	       size_t errlen);
/* The entry's file name for s (member and key set) into name (>= 90 bytes). */
int outbox_entry_name(const Canvass__Submission *s, char *name, size_t len);
/* Removes an entry once answered; a missing file is fine. */
int outbox_remove(const char *path);
/* Lists the pending entries' paths (sorted; caller frees each and the array). */
int outbox_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen);

#endif
