#include "outbox.h"
#include "error.h"
#include "subjson.h"
#include "text.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "DIR/.PID-RANDOM.tmp": a write in progress, by the process PID. */
static bool tmp_of_dead_process(const char *name)
{
	long pid;
	char *end;
	size_t l = strlen(name);

	if (name[0] != '.' || l < 5 || strcmp(name + l - 4, ".tmp") != 0)
		return false;
	pid = strtol(name + 1, &end, 10);
	if (end == name + 1 || *end != '-' || pid <= 0)
		return true; /* not ours to guess about: an old-style leftover */
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int outbox_open(const char *dir, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cv_fail(err, errlen, CV_EIO, "%s: %s", dir, strerror(errno));
	/*
	 * A temporary file is a write cut short by a crash: never sent, safe to
	 * drop - unless its process still runs (another run on the same outbox).
	 */
	d = opendir(dir);
	if (d == NULL)
		return cv_fail(err, errlen, CV_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (tmp_of_dead_process(de->d_name)) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	closedir(d);
	return 0;
}

int outbox_entry_name(const Canvass__Submission *s, char *name, size_t len)
{
	uint8_t h[CV_HASH_LEN];
	char hex[2 * CV_HASH_LEN + 1];
	size_t ml = strlen(s->member), kl = strlen(s->idempotency_key);
	char *id = malloc(ml + kl + 2);

	if (id == NULL)
		return CV_ENOMEM;
	/* member NUL key: no two (member, key) pairs give the same bytes. */
	memcpy(id, s->member, ml + 1);
	memcpy(id + ml + 1, s->idempotency_key, kl + 1);
	cv_sha256(id, ml + 1 + kl, h);
	free(id);
	cv_hex(h, CV_HASH_LEN, hex);
	snprintf(name, len, "%s-%s.json", text_id_ok(ID_MEMBER, s->member) ? s->member : "member",
		 hex);
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int outbox_write(const char *dir, const char *name, const char *text, size_t len, char **path,
		 char *err, size_t errlen)
{
	char final[4096], tmp[4096];
	int fd = -1, rc = 0;

	if (path != NULL)
		*path = NULL;
	snprintf(final, sizeof final, "%s/%s", dir, name);
	/* A name of this process's own, so that concurrent writers never share one. */
	snprintf(tmp, sizeof tmp, "%s/.%ld-XXXXXX.tmp", dir, (long)getpid());
	fd = mkstemps(tmp, 4);
	if (fd < 0) {
		tmp[0] = '\0';
		rc = cv_fail(err, errlen, CV_EIO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	/* The file is durable before its name is; the name once the directory is synced. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, len) != 0 || fsync(fd) != 0) {
		rc = cv_fail(err, errlen, CV_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = cv_fail(err, errlen, CV_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, final) != 0) {
		rc = cv_fail(err, errlen, CV_EIO, "%s: %s", final, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (cv_sync_dir(dir) != 0) {
		rc = cv_fail(err, errlen, CV_EIO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (path != NULL && (*path = strdup(final)) == NULL)
		rc = CV_ENOMEM;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return rc;
}

int outbox_put(const char *dir, const Canvass__Submission *s, char **path, char *err, size_t errlen)
{
	char name[128];
	json_t *j = subjson_from_submission(s);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc;

	json_decref(j);
	*path = NULL;
	if (text == NULL || outbox_entry_name(s, name, sizeof name) != 0) {
		free(text);
		return CV_ENOMEM;
	}
	rc = outbox_write(dir, name, text, strlen(text), path, err, errlen);
	free(text);
	return rc;
}

int outbox_remove(const char *path)
{
	return unlink(path) == 0 || errno == ENOENT ? 0 : CV_EIO;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int outbox_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **out = NULL;
	size_t count = 0;

	*paths = NULL;
	*n = 0;
	if (d == NULL)
		return cv_fail(err, errlen, CV_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char **grown, path[4096];
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		grown = realloc(out, (count + 1) * sizeof *out);
		if (grown == NULL)
			break;
		out = grown;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if ((out[count] = strdup(path)) == NULL)
			break;
		count++;
	}
	closedir(d);
	if (count > 1)
		qsort(out, count, sizeof *out, cmp);
	*paths = out;
	*n = count;
	return 0;
}
