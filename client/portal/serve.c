/*
 * canvass-submit serve: the member's portal (portal.h, docs/portal.md).
 * Options (the link's, as every mode of canvass-submit, from the same
 * [submit] section), the questionnaires and schedule the forms are made
 * from, the drafts' directory; then it prints the address to open and
 * serves until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "cycles.h"
#include "drafts.h"
#include "error.h"
#include "keys.h"
#include "portal.h"
#include "qdef.h"
#include "settings.h"
#include "submit.h"
#include "text.h"
#include "util.h"

static void usage(FILE *out, const struct setting *tab)
{
	fprintf(out, "usage: canvass-submit serve --connect ENDPOINT --key FILE --server-key FILE "
		     "--member CODE --questionnaires DIR --cycles FILE [options]\n"
		     "serves the member's portal on a loopback address and prints the address "
		     "to open (with its secret token) on standard output\n");
	settings_usage(tab, out);
	fprintf(out, "exit status: 0 stopped by SIGINT or SIGTERM, 2 usage or configuration\n");
}

/* The drafts' directory when none is given: $XDG_DATA_HOME or ~/.local/share, /canvass/drafts. */
static const char *default_drafts(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/')
		snprintf(buf, len, "%s/canvass", xdg);
	else
		snprintf(buf, len, "%s/.local/share/canvass", home ? home : ".");
	mkdir(buf, 0700); /* (its parent exists or the drafts' open says so) */
	snprintf(buf + strlen(buf), len - strlen(buf), "/drafts");
	return buf;
}

int serve_main(int argc, char **argv)
{
	struct strlist connect = {0};
	char *key_path = NULL, *server_key_path = NULL, *member = NULL, *qdir = NULL;
	char *cycles_path = NULL, *drafts = NULL, *listen = NULL, *lang = NULL;
	bool allow_root = false;
	long timeout_ms = 5000, attempts = 3;
	const struct setting tab[] = {
		LINK_SETTINGS(connect, key_path, server_key_path),
		{"member", SET_STRING, &member, 0, 0, "CODE",
		 "this member's code (its key decides at the collector)"},
		{"questionnaires", SET_STRING, &qdir, 0, 0, "DIR",
		 "the questionnaire definitions the forms are made from"},
		{"cycles", SET_STRING, &cycles_path, 0, 0, "FILE",
		 "the cycle schedule: which returns are open, and when due"},
		{"listen", SET_STRING, &listen, 0, 0, "ADDR",
		 "loopback HOST:PORT to serve on (127.0.0.1:0: a port the kernel chooses)"},
		{"drafts", SET_STRING, &drafts, 0, 0, "DIR",
		 "where drafts are kept, 0700 (~/.local/share/canvass/drafts)"},
		{"lang", SET_STRING, &lang, 0, 0, "LANG", "en or fr: the portal's language (en)"},
		{"allow-root", SET_FLAG, &allow_root, 0, 0, NULL,
		 "serve even when run as root (refused otherwise)"},
		{"timeout-ms", SET_LONG, &timeout_ms, 10, 600000, "MS",
		 "wait for one answer (5000)"},
		{"attempts", SET_LONG, &attempts, 1, 100, "N", "sends per request (3)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct client_link link;
	char err[1024], dbuf[4096], *url = NULL;
	char *drafts_default = NULL;
	struct qset *qs = NULL;
	struct cycles *cycles = NULL;
	struct client *cl = NULL;
	struct portal *portal = NULL;
	sigset_t stop;
	int next, sig, rc, status = EXIT_USAGE;

	memset(&link, 0, sizeof link);
	rc = settings_parse(tab, "submit", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || (rc == 0 && (next < argc || connect.n == 0 || key_path == NULL ||
						server_key_path == NULL || member == NULL ||
						qdir == NULL || cycles_path == NULL))) {
		usage(rc == SETTINGS_HELP ? stdout : stderr, tab);
		settings_free(tab);
		return rc == SETTINGS_HELP ? 0 : EXIT_USAGE;
	}
	if (rc == 0 && geteuid() == 0 && !allow_root)
		rc = cv_fail(err, sizeof err, CV_ECONFIG,
			     "refusing to serve as root: the portal holds a member's key and "
			     "answers a browser; run it as the officer's user (--allow-root to "
			     "insist)");
	if (rc == 0 && lang != NULL && strcmp(lang, "en") != 0 && strcmp(lang, "fr") != 0)
		rc = cv_fail(err, sizeof err, CV_ECONFIG, "--lang: en or fr");
	if (rc == 0 && !text_id_ok(ID_MEMBER, member))
		rc = cv_fail(err, sizeof err, CV_ECONFIG, "--member: %s", text_id_rule(ID_MEMBER));
	if (rc == 0 && (qset_load_dir(qdir, &qs, err, sizeof err) != 0 ||
			cycles_load(cycles_path, &cycles, err, sizeof err) != 0))
		rc = CV_ECONFIG;
	if (drafts == NULL && rc == 0)
		drafts = drafts_default = strdup(default_drafts(dbuf, sizeof dbuf));
	if (rc == 0 && drafts_open(drafts, err, sizeof err) != 0)
		rc = CV_ECONFIG;
	if (rc == 0)
		rc = client_open_link(&cl, &link, connect.items, connect.n, key_path,
				      server_key_path, timeout_ms, (int)attempts, err, sizeof err);
	/* The signals that stop it, blocked in every thread: this one waits for them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (rc == 0) {
		struct portal_cfg pcfg = {.listen = listen ? listen : "127.0.0.1:0",
					  .qs = qs,
					  .cycles = cycles,
					  .member = member,
					  .drafts = drafts,
					  .client = cl,
					  .lang = i18n_parse(lang)};
		rc = portal_start(&portal, &pcfg, &url, err, sizeof err);
	}
	if (rc != 0) {
		fprintf(stderr, "canvass-submit serve: %s\n", err);
		goto out;
	}
	/* The address, with the token: for the person (or the program) that started it. */
	printf("canvass portal for %s: %s\n", member, url);
	fflush(stdout);
	sigwait(&stop, &sig);
	status = EXIT_STORED;
out:
	portal_stop(&portal);
	client_close(&cl);
	free(url);
	free(drafts_default);
	qset_free(&qs);
	cycles_free(&cycles);
	keys_wipe(&link.keys);
	settings_free(tab);
	return status;
}
