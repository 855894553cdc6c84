/*
 * canvassctl backup DEST: a compacted copy of the live store (one read
 * snapshot; the aggregator keeps writing), then opened and verified: the
 * entries counted and the hash chain walked. See docs/operations.md for
 * restoring.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "settings.h"
#include "store.h"
#include "util.h"

int ctl_backup(int argc, char **argv)
{
	char *data = NULL, err[1024], hex[2 * CV_HASH_LEN + 1];
	const struct setting tab[] = {
		{"data", SET_STRING, &data, 0, 0, "DIR", "the live store directory"},
		{"*", SET_OTHERS, NULL, 0, 0, NULL, NULL},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct store *src = NULL, *copy = NULL;
	struct store_view *v = NULL;
	struct store_verify res;
	uint8_t head[CV_HASH_LEN];
	uint64_t seq;
	struct stat st;
	char path[4096];
	int next, rc, status = 1;

	rc = settings_parse(tab, "aggregator", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || rc != 0 || next != argc - 1 || data == NULL) {
		rc = ctl_usage(
			"backup", rc, err, tab,
			"usage: canvassctl backup [-c FILE] --data DIR DEST\n"
			"Writes a compacted, verified copy of the live store into DEST (a new "
			"or empty directory).\n");
		settings_free(tab);
		return rc;
	}
	{
		struct store_cfg cfg = {.dir = data, .readonly = true};
		if (store_open(&src, &cfg, err, sizeof err) != 0 ||
		    store_backup(src, argv[next], err, sizeof err) != 0) {
			fprintf(stderr, "canvassctl backup: %s\n", err);
			goto out;
		}
		store_close(&src);
	}
	{
		struct store_cfg cfg = {.dir = argv[next], .readonly = true};
		if (store_open(&copy, &cfg, err, sizeof err) != 0) {
			fprintf(stderr, "canvassctl backup: the copy does not open: %s\n", err);
			goto out;
		}
	}
	if ((rc = store_view_open(copy, &v)) != 0 || (rc = store_verify(v, &res)) != 0) {
		fprintf(stderr, "canvassctl backup: the copy does not read: %s\n", cv_strerror(rc));
		goto out;
	}
	if (res.first_bad != 0) {
		fprintf(stderr, "canvassctl backup: the copy is BROKEN at sequence %llu: %s\n",
			(unsigned long long)res.first_bad, res.reason);
		goto out;
	}
	store_view_head(v, &seq, head);
	cv_hex(head, CV_HASH_LEN, hex);
	snprintf(path, sizeof path, "%s/data.mdb", argv[next]);
	printf("backup %s: %llu entries verified; head sequence %llu, chain %s; %lld bytes\n",
	       argv[next], (unsigned long long)res.entries, (unsigned long long)seq, hex,
	       stat(path, &st) == 0 ? (long long)st.st_size : -1LL);
	status = 0;
out:
	store_view_close(&v);
	store_close(&copy);
	store_close(&src);
	settings_free(tab);
	return status;
}
