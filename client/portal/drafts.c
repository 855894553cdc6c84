#include "drafts.h"
#include "error.h"
#include "outbox.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The draft's file name for (questionnaire, cycle) into name (>= 80 bytes). */
static void draft_name(const char *questionnaire, const char *cycle, char *name, size_t len)
{
	size_t ql = strlen(questionnaire), cl = strlen(cycle);
	char *id = malloc(ql + cl + 2), hex[2 * CV_HASH_LEN + 1];
	uint8_t h[CV_HASH_LEN];

	if (id == NULL) {
		snprintf(name, len, "unnamed.draft.json");
		return;
	}
	memcpy(id, questionnaire, ql + 1);
	memcpy(id + ql + 1, cycle, cl);
	cv_sha256(id, ql + 1 + cl, h);
	free(id);
	cv_hex(h, CV_HASH_LEN, hex);
	snprintf(name, len, "%s.draft.json", hex);
}

int drafts_open(const char *dir, char *err, size_t errlen)
{
	return outbox_open(dir, err, errlen);
}

int drafts_save(const char *dir, const char *questionnaire, const char *cycle, const char *text,
		char *err, size_t errlen)
{
	char name[128];
	draft_name(questionnaire, cycle, name, sizeof name);
	return outbox_write(dir, name, text, strlen(text), NULL, err, errlen);
}

int drafts_load(const char *dir, const char *questionnaire, const char *cycle, char **text,
		size_t *len)
{
	char name[128], path[4200], err[256];
	draft_name(questionnaire, cycle, name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	*text = NULL;
	if (access(path, F_OK) != 0)
		return CV_ENOTFOUND;
	return cv_read_file(path, 4 * 1024 * 1024, text, len, err, sizeof err);
}

int drafts_remove(const char *dir, const char *questionnaire, const char *cycle)
{
	char name[128], path[4200];
	draft_name(questionnaire, cycle, name, sizeof name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return unlink(path) == 0 || errno == ENOENT ? 0 : CV_EIO;
}
