#include "outbox.h"
#include "error.h"
#include "subjson.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int outbox_open(const char *dir, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cv_fail(err, errlen, CV_EIO, "%s: %s", dir, strerror(errno));
	/* A *.tmp entry is a write cut short by a crash: never sent, safe to drop. */
	d = opendir(dir);
	if (d == NULL)
		return cv_fail(err, errlen, CV_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".tmp") == 0) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	closedir(d);
	return 0;
}

int outbox_put(const char *dir, const Canvass__Submission *s, char **path, char *err, size_t errlen)
{
	char final[4096], tmp[4200];
	json_t *j = subjson_from_submission(s);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	size_t len;
	int fd, rc = 0;

	json_decref(j);
	if (text == NULL)
		return CV_ENOMEM;
	/* Member codes and keys are printable without spaces or slashes. */
	snprintf(final, sizeof final, "%s/%s-%.128s.json", dir, s->member, s->idempotency_key);
	for (char *c = final + strlen(dir) + 1; *c; c++)
		if (*c == '/')
			*c = '_';
	snprintf(tmp, sizeof tmp, "%s.tmp", final);
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		rc = cv_fail(err, errlen, CV_EIO, "%s: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, final) != 0)
		rc = cv_fail(err, errlen, CV_EIO, "%s: %s", final, strerror(errno));
	free(text);
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	{
		/* The rename is durable once the directory is synced. */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	*path = strdup(final);
	return *path ? 0 : CV_ENOMEM;
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
