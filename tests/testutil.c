#define _XOPEN_SOURCE 700
#include "testutil.h"
#include "subjson.h"
#include "util.h"

#include <errno.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_tempdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	char *d;

	snprintf(tmpl, sizeof tmpl, "%s/canvass-test-XXXXXX", base && *base ? base : "/tmp");
	d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tu_src(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", CANVASS_SOURCE_DIR, rel);
	return buf;
}

const char *tu_write(const char *dir, const char *name, const char *text)
{
	static char buf[4096];
	FILE *f;

	snprintf(buf, sizeof buf, "%s/%s", dir, name);
	f = fopen(buf, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

Canvass__Submission *tu_submission(const char *json)
{
	Canvass__Submission *s = NULL;
	char err[256] = "";
	int rc = subjson_parse(json, strlen(json), &s, err, sizeof err);
	if (rc != 0)
		fail_msg("submission does not parse: %s", err);
	return s;
}

int tu_tcp_connect(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

int tu_peer_closed(int fd, int ms)
{
	int64_t deadline = cv_mono_ms() + ms;
	char buf[256];

	/* Whatever the peer sent before closing (a greeting) is read and dropped. */
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		int64_t left = deadline - cv_mono_ms();
		ssize_t n;

		if (poll(&p, 1, left > 0 ? (int)left : 0) != 1)
			return 0;
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return 1;
		if (n < 0 && left <= 0)
			return 0;
	}
}

struct store_put tu_put(const char *member, const char *cycle, const char *key, const char *body,
			uint8_t *hash)
{
	struct store_put p = {0};
	cv_sha256(body, strlen(body), hash);
	p.member = member;
	p.questionnaire = "isa";
	p.cycle = cycle;
	p.key = key;
	p.content_hash = hash;
	p.submission = (const uint8_t *)body;
	p.submission_len = strlen(body);
	p.received_at_ms = 1000;
	return p;
}

struct store *tu_store_open(char **dir)
{
	struct store_cfg cfg = {0};
	struct store *s = NULL;
	char err[512];

	*dir = tu_tempdir();
	cfg.dir = *dir;
	if (store_open(&s, &cfg, err, sizeof err) != 0)
		fail_msg("%s", err);
	return s;
}

void tu_store_close(struct store **s, char **dir)
{
	store_close(s);
	tu_rmtree(*dir);
	free(*dir);
	*dir = NULL;
}

int tu_store_setup(void **state)
{
	struct tu_store_fx *f = calloc(1, sizeof *f);
	if (f == NULL)
		return -1;
	f->s = tu_store_open(&f->dir);
	*state = f;
	return 0;
}

int tu_store_teardown(void **state)
{
	struct tu_store_fx *f = *state;
	tu_store_close(&f->s, &f->dir);
	free(f);
	return 0;
}
