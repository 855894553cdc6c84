#include "keys.h"
#include "config.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

bool keys_valid_z85(const char *s)
{
	uint8_t bin[32];
	if (s == NULL || strlen(s) != KEY_Z85_LEN)
		return false;
	return zmq_z85_decode(bin, s) != NULL;
}

int keys_generate(struct keypair *kp)
{
	if (zmq_curve_keypair(kp->public_z85, kp->secret_z85) != 0)
		return CV_EZMQ;
	return 0;
}

void keys_wipe(struct keypair *kp)
{
	sodium_memzero(kp->secret_z85, sizeof kp->secret_z85);
}

static int write_file(const char *path, mode_t mode, const char *text, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		return cv_fail(err, errlen, errno == EEXIST ? CV_EINVAL : CV_EIO, "%s: %s", path,
			       errno == EEXIST ? "exists already (not overwritten)"
					       : strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return cv_fail(err, errlen, CV_EIO, "%s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

int keys_save(const char *dir, const char *name, const struct keypair *kp, char *err, size_t errlen)
{
	char path[4096], text[256];
	int rc;

	snprintf(text, sizeof text,
		 "# canvass CURVE key pair \"%s\": keep this file secret\n[curve]\npublic = %s\n"
		 "secret = %s\n",
		 name, kp->public_z85, kp->secret_z85);
	snprintf(path, sizeof path, "%s/%s.key", dir, name);
	rc = write_file(path, 0600, text, err, errlen);
	sodium_memzero(text, sizeof text);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof path, "%s/%s.pub", dir, name);
	snprintf(text, sizeof text, "%s\n", kp->public_z85);
	return write_file(path, 0644, text, err, errlen);
}

int keys_load_pair(const char *path, struct keypair *kp, char *err, size_t errlen)
{
	struct config *cfg;
	struct stat st;
	const char *pub, *sec;
	int rc;

	if (stat(path, &st) != 0)
		return cv_fail(err, errlen, CV_EIO, "%s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return cv_fail(err, errlen, CV_ECONFIG,
			       "%s: secret key file is readable by others (chmod 600 it)", path);
	if ((rc = config_load(path, &cfg, err, errlen)) != 0)
		return rc;
	pub = config_get(cfg, "curve", "public");
	sec = config_get(cfg, "curve", "secret");
	if (!keys_valid_z85(pub) || !keys_valid_z85(sec)) {
		config_free(&cfg);
		return cv_fail(err, errlen, CV_ECONFIG,
			       "%s: expected [curve] public and secret, 40 characters of Z85 each",
			       path);
	}
	memcpy(kp->public_z85, pub, KEY_Z85_LEN + 1);
	memcpy(kp->secret_z85, sec, KEY_Z85_LEN + 1);
	config_free(&cfg);
	return 0;
}

int keys_load_public(const char *path, char out[KEY_Z85_LEN + 1], char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc = cv_read_file(path, 4096, &text, &len, err, errlen);

	if (rc != 0)
		return rc;
	/* A .pub file: the key alone on its first line. */
	if (len >= KEY_Z85_LEN) {
		char first[KEY_Z85_LEN + 1];
		memcpy(first, text, KEY_Z85_LEN);
		first[KEY_Z85_LEN] = '\0';
		if ((len == KEY_Z85_LEN || text[KEY_Z85_LEN] == '\n' ||
		     text[KEY_Z85_LEN] == '\r') &&
		    keys_valid_z85(first)) {
			memcpy(out, first, KEY_Z85_LEN + 1);
			free(text);
			return 0;
		}
	}
	sodium_memzero(text, len);
	free(text);
	{
		/* Otherwise the public half of a key pair file. */
		struct keypair kp;
		rc = keys_load_pair(path, &kp, err, errlen);
		if (rc == 0)
			memcpy(out, kp.public_z85, KEY_Z85_LEN + 1);
		keys_wipe(&kp);
		if (rc != 0)
			return cv_fail(err, errlen, CV_ECONFIG,
				       "%s: not a public key file (40 characters of Z85)", path);
	}
	return 0;
}
