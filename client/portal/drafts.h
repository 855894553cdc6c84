/*
 * drafts.h - the member's drafts on its own disk: one file per return
 * (questionnaire, cycle), written the outbox's crash-safe way (mode 0600,
 * temporary file, fsync, rename, directory synced), so that a draft
 * survives a crash of the portal or of the machine, whole or as it was
 * before. A draft is never sent: only the person's "Send" sends.
 *
 * Files are DIR/HASH.draft.json, HASH the hex SHA-256 of the questionnaire
 * id, a NUL and the cycle (a cycle id may hold any printable character).
 */
#ifndef CANVASS_PORTAL_DRAFTS_H
#define CANVASS_PORTAL_DRAFTS_H

#include <stddef.h>

/* Creates dir (0700) when missing, drops writes cut short by a crash. */
int drafts_open(const char *dir, char *err, size_t errlen);
/* Writes the draft of (questionnaire, cycle). */
int drafts_save(const char *dir, const char *questionnaire, const char *cycle, const char *text,
		char *err, size_t errlen);
/* Reads it: 0 with *text (the caller's), CV_ENOTFOUND when there is none. */
int drafts_load(const char *dir, const char *questionnaire, const char *cycle, char **text,
		size_t *len);
/* Removes it (once sent and stored); none is fine. */
int drafts_remove(const char *dir, const char *questionnaire, const char *cycle);

#endif
