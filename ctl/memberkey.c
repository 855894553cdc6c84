/*
 * canvassctl member-key: sets, rotates or revokes a member's public key in
 * the registry. The new registry is written next to the old one, loaded and
 * checked like the collector loads it (one key per member, no key shared),
 * synced, and renamed over the old one: a reader sees the old file or the
 * new one, never a mix. With --reload PIDFILE the collector is asked to
 * reload (SIGHUP) once the file is in place.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "keys.h"
#include "registry.h"
#include "settings.h"
#include "util.h"

/* reg into a new file tmp (mode), synced. */
static int write_synced(const struct registry *reg, const char *tmp, mode_t mode, char *err,
			size_t errlen)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok;

	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return cv_fail(err, errlen, CV_EIO, "%s: %s", tmp, strerror(errno));
	}
	ok = registry_write(reg, f) == 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok) {
		unlink(tmp);
		return cv_fail(err, errlen, CV_EIO, "%s: %s", tmp, strerror(errno));
	}
	return 0;
}

static int reload(const char *pidfile, long *pid, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len;

	if (cv_read_file(pidfile, 64, &text, &len, err, errlen) != 0)
		return CV_EIO;
	*pid = strtol(text, NULL, 10);
	free(text);
	if (*pid <= 1 || kill((pid_t)*pid, SIGHUP) != 0)
		return cv_fail(err, errlen, CV_EINVAL, "%s: no running process (pid %ld): %s",
			       pidfile, *pid, *pid <= 1 ? "invalid" : strerror(errno));
	return 0;
}

int ctl_member_key(int argc, char **argv)
{
	char *registry = NULL, *pidfile = NULL, err[8600], key[KEY_Z85_LEN + 1] = "";
	char tmp[4200];
	bool revoke = false;
	const struct setting tab[] = {
		{"registry", SET_STRING, &registry, 0, 0, "FILE",
		 "the member registry to edit (required)"},
		{"revoke", SET_FLAG, &revoke, 0, 0, NULL,
		 "remove the member's key: it is refused from the next handshake"},
		{"reload", SET_STRING, &pidfile, 0, 0, "PIDFILE",
		 "then send SIGHUP to the collector whose pidfile this is"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct registry *reg = NULL, *check = NULL;
	const struct member *m;
	char *old_key = NULL, dir[4200];
	struct stat st;
	int next, rc, status = 1;

	rc = settings_parse(tab, "canvassctl", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || rc != 0 || registry == NULL || next != argc - (revoke ? 1 : 2)) {
		rc = ctl_usage(
			"member-key", rc, err, tab,
			"usage: canvassctl member-key --registry FILE [--reload PIDFILE] "
			"(CODE KEY.pub | --revoke CODE)\n"
			"Sets (or rotates) member CODE's public key to the one in KEY.pub, or "
			"revokes it,\nrewriting the registry atomically after checking it; "
			"prints what changed.\n");
		settings_free(tab);
		return rc;
	}
	if (!revoke && keys_load_public(argv[next + 1], key, err, sizeof err) != 0)
		goto fail;
	if (registry_load(registry, &reg, err, sizeof err) != 0)
		goto fail;
	m = registry_find(reg, argv[next]);
	if (m == NULL) {
		snprintf(err, sizeof err, "%s: no member %s", registry, argv[next]);
		goto fail;
	}
	if (!revoke) {
		const struct member *holder = registry_find_key(reg, key);
		if (holder != NULL && holder != m) {
			snprintf(err, sizeof err, "%s: that key is member %s's already", registry,
				 holder->code);
			goto fail;
		}
	}
	if (stat(registry, &st) != 0) {
		snprintf(err, sizeof err, "%s: %s", registry, strerror(errno));
		goto fail;
	}
	{
		/* The member's row changes; every other row is written as it was read. */
		struct member *row = &reg->members[m - reg->members];
		old_key = row->public_key;
		row->public_key = revoke ? NULL : strdup(key);
		if (!revoke && row->public_key == NULL) {
			snprintf(err, sizeof err, "out of memory");
			goto fail;
		}
	}
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", registry, (long)getpid());
	snprintf(dir, sizeof dir, "%s", registry); /* dirname() may write into it */
	if (write_synced(reg, tmp, st.st_mode & 0777, err, sizeof err) != 0)
		goto fail;
	/* The owner stays (a registry the operator keeps as root:canvass, say). */
	if (fchownat(AT_FDCWD, tmp, st.st_uid, st.st_gid, 0) != 0 && geteuid() == 0) {
		snprintf(err, sizeof err, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	/* The collector's own check, on the file about to replace the old one. */
	if (registry_load(tmp, &check, err, sizeof err) != 0) {
		unlink(tmp);
		goto fail;
	}
	if (rename(tmp, registry) != 0 || cv_sync_dir(dirname(dir)) != 0) {
		snprintf(err, sizeof err, "%s: %s", registry, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	if (revoke)
		printf("%s: key revoked (was %s) in %s\n", m->code, old_key ? old_key : "none",
		       registry);
	else
		printf("%s: key %s (was %s) in %s\n", m->code, key, old_key ? old_key : "none",
		       registry);
	status = 0;
	if (pidfile != NULL) {
		long pid = 0;
		if (reload(pidfile, &pid, err, sizeof err) != 0) {
			fprintf(stderr,
				"canvassctl member-key: the registry is written, but the reload "
				"failed: %s\n",
				err);
			status = 1;
		} else {
			printf("collector (pid %ld) asked to reload\n", pid);
		}
	}
	goto out;
fail:
	fprintf(stderr, "canvassctl member-key: %s\n", err);
out:
	free(old_key);
	registry_free(&reg);
	registry_free(&check);
	settings_free(tab);
	return status;
}
