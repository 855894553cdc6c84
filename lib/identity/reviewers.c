#include "reviewers.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 63)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int reviewers_load(const char *path, struct zap_entry **out, size_t *n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct zap_entry *e = NULL;
	size_t cap = 0, count = 0, lineno = 0;
	char line[512];
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (f == NULL)
		return cv_fail(err, errlen, CV_EIO, "%s: %s", path, strerror(errno));
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		size_t len = strlen(line);
		char *comma, *key;
		uint8_t raw[32];

		lineno++;
		if (len > 0 && line[len - 1] != '\n' && !feof(f)) {
			rc = cv_fail(err, errlen, CV_ECONFIG, "%s:%zu: line too long", path,
				     lineno);
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
				   line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		comma = strchr(line, ',');
		key = comma ? comma + 1 : NULL;
		if (comma == NULL || !name_ok(line, (size_t)(comma - line)) ||
		    strlen(key) != KEY_Z85_LEN || zmq_z85_decode(raw, key) == NULL) {
			rc = cv_fail(err, errlen, CV_ECONFIG,
				     "%s:%zu: expected \"name,public_key\" (a name of letters, "
				     "digits, . _ -; a 40-character Z85 key)",
				     path, lineno);
			break;
		}
		*comma = '\0';
		for (size_t i = 0; i < count && rc == 0; i++)
			if (strcmp(e[i].user, line) == 0 || strcmp(e[i].key, key) == 0)
				rc = cv_fail(err, errlen, CV_ECONFIG,
					     "%s:%zu: reviewer %s or its key is listed twice", path,
					     lineno, line);
		if (rc != 0)
			break;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct zap_entry *g = realloc(e, ncap * sizeof *g);
			if (g == NULL) {
				rc = CV_ENOMEM;
				break;
			}
			e = g;
			cap = ncap;
		}
		memset(&e[count], 0, sizeof e[count]);
		memcpy(e[count].user, line, (size_t)(comma - line) + 1); /* name_ok: < 64 */
		memcpy(e[count].key, key, KEY_Z85_LEN + 1);
		count++;
	}
	if (rc == 0 && ferror(f))
		rc = cv_fail(err, errlen, CV_EIO, "%s: read error", path);
	fclose(f);
	if (rc != 0) {
		free(e);
		return rc;
	}
	*out = e;
	*n = count;
	return 0;
}
