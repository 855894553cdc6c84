/*
 * canvass-submit: sends JSON submissions to collectors and prints each
 * receipt or every problem. Files, a JSON Lines stream (--jsonl), several
 * in flight at once (--parallel), an outbox on disk (--outbox) so that what
 * never got a receipt is sent again by the next run, a progress bar on a
 * terminal and a summary at the end.
 *
 * With --check, each file is only validated by the collector (a dry run):
 * VALID counts as 0, REJECTED as 1, and nothing is stored.
 *
 * Exit status: 0 all stored (ACCEPTED or DUPLICATE), 1 at least one
 * refused (REJECTED, CONFLICT, MALFORMED, TOO_LARGE, UNSUPPORTED_VERSION,
 * or a file that is not a submission), 2 usage error, 3 at least one not
 * delivered (no answer, or only retryable answers), 4 the collector
 * refused this member's key at the handshake (or the handshake failed,
 * e.g. a wrong server key). The highest-priority outcome wins: 2, 4, 3, 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "error.h"
#include "keys.h"
#include "outbox.h"
#include "submit.h"
#include "review.h"
#include "settings.h"
#include "subjson.h"
#include "util.h"
#include "wire.h"

static int worse(int a, int b)
{
	static const int rank[] = {[EXIT_STORED] = 0,
				   [EXIT_REFUSED] = 1,
				   [EXIT_UNDELIVERED] = 2,
				   [EXIT_AUTH] = 3,
				   [EXIT_USAGE] = 4};
	return rank[b] > rank[a] ? b : a;
}

static void print_text(const char *file, const Canvass__Submission *s, const Canvass__Reply *r)
{
	const Canvass__Receipt *rc = r->receipt;
	char hex[2 * CV_HASH_LEN + 1] = "";

	printf("%s: %s %s %s/%s", file, wire_status_name(r->status), s->member, s->questionnaire,
	       s->cycle);
	if (rc != NULL) {
		if (rc->content_hash.len == CV_HASH_LEN)
			cv_hex(rc->content_hash.data, CV_HASH_LEN, hex);
		printf(" revision %u, sequence %llu, content %.16s%s", rc->revision,
		       (unsigned long long)rc->sequence, hex, rc->late ? ", LATE" : "");
	}
	if (r->message[0] != '\0')
		printf(" - %s", r->message);
	printf("\n");
	for (size_t i = 0; i < r->n_problems; i++) {
		const Canvass__Problem *p = r->problems[i];
		printf("  %-7s %-22s %-24s %s%s%s%s\n",
		       p->severity == CANVASS__SEVERITY__SEVERITY_WARNING ? "warning" : "error",
		       p->code, p->question[0] ? p->question : "-", p->message,
		       p->rule[0] ? " [rule " : "", p->rule, p->rule[0] ? "]" : "");
	}
}

static void print_json(const char *file, const Canvass__Reply *r, const char *local_status,
		       const char *local_error)
{
	json_t *o = r ? subjson_reply(r) : json_object();

	if (o == NULL)
		return;
	json_object_set_new(o, "file", json_string(file));
	if (local_error != NULL) {
		json_object_set_new(o, "status", json_string(local_status));
		json_object_set_new(o, "message", json_string(local_error));
	}
	subjson_print_line(stdout, o);
}

/* One submission to send. */
struct item {
	char *label;       /* what the output names: file, FILE:LINE, outbox entry */
	char *text;        /* JSON text, or NULL: read the file at label */
	char *outbox_path; /* its outbox entry, once written (or when it came from there) */
};

struct run {
	struct item *items;
	size_t n, cap, next;
	pthread_mutex_t lock;
	struct client_cfg cfg;
	const char *outbox;
	bool json, check, progress;
	int status;
	size_t done, accepted, duplicate, valid, refused, undelivered;
};

static int add_item(struct run *r, char *label, char *text, char *outbox_path)
{
	if (cv_reserve(&r->items, &r->cap, r->n, sizeof *r->items) != 0)
		return CV_ENOMEM;
	r->items[r->n].label = label;
	r->items[r->n].text = text;
	r->items[r->n].outbox_path = outbox_path;
	r->n++;
	return 0;
}

/* Each line of a JSON Lines file (or - for stdin) is one submission. */
static int add_jsonl(struct run *r, const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t got;
	int rc = 0;

	if (f == NULL)
		return cv_fail(err, errlen, CV_EIO, "%s: cannot open", path);
	while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
		char label[4200];
		lineno++;
		if (got == 0 || strspn(line, " \t\r\n") == (size_t)got)
			continue;
		if ((size_t)got > SUBJSON_MAX_FILE) {
			rc = cv_fail(err, errlen, CV_ETOOBIG, "%s:%zu: longer than %d bytes", path,
				     lineno, SUBJSON_MAX_FILE);
			break;
		}
		snprintf(label, sizeof label, "%s:%zu", path, lineno);
		rc = add_item(r, strdup(label), strdup(line), NULL);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static void draw_progress(struct run *r)
{
	size_t width = 30, filled = r->n ? r->done * width / r->n : 0;
	char bar[31];
	memset(bar, '=', filled);
	memset(bar + filled, ' ', width - filled);
	bar[width] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu  stored %zu  duplicates %zu  refused %zu  undelivered %zu",
		bar, r->done, r->n, r->accepted + r->valid, r->duplicate, r->refused,
		r->undelivered);
	fflush(stderr);
}

/* Prints and counts one outcome; called with the lock held. */
static void record(struct run *r, const char *label, const Canvass__Submission *s,
		   const Canvass__Reply *rep, const char *local_status, const char *local_error,
		   int outcome)
{
	if (r->progress)
		fputs("\r\033[K", stderr);
	if (rep != NULL) {
		if (r->json)
			print_json(label, rep, NULL, NULL);
		else
			print_text(label, s, rep);
		if (rep->status == CANVASS__STATUS__ACCEPTED)
			r->accepted++;
		else if (rep->status == CANVASS__STATUS__DUPLICATE)
			r->duplicate++;
		else if (rep->status == CANVASS__STATUS__VALID)
			r->valid++;
	} else if (r->json) {
		print_json(label, NULL, local_status, local_error);
	} else {
		fprintf(stderr, "canvass-submit: %s: %s\n", label, local_error);
	}
	fflush(stdout);
	if (outcome == EXIT_REFUSED)
		r->refused++;
	else if (outcome == EXIT_UNDELIVERED || outcome == EXIT_AUTH)
		r->undelivered++;
	r->status = worse(r->status, outcome);
	r->done++;
	if (r->progress)
		draw_progress(r);
}

static void process(struct run *r, struct client *cl, struct item *it)
{
	Canvass__Submission *s = NULL;
	Canvass__Reply *rep = NULL;
	const char *detail = "";
	char err[1024];
	int rc, outcome;

	if (it->text != NULL)
		rc = subjson_parse(it->text, strlen(it->text), &s, err, sizeof err);
	else
		rc = subjson_load_file(it->label, &s, err, sizeof err);
	if (rc == 0 && (rc = client_prepare(s)) != 0)
		snprintf(err, sizeof err, "a question is answered twice");
	if (rc != 0) {
		pthread_mutex_lock(&r->lock);
		record(r, it->label, NULL, NULL, "INVALID_FILE", err, EXIT_REFUSED);
		pthread_mutex_unlock(&r->lock);
		WIRE_FREE(s);
		return;
	}
	/* Into the outbox before the first send: a crash from here on loses nothing. */
	if (r->outbox != NULL && it->outbox_path == NULL && !r->check &&
	    outbox_put(r->outbox, s, &it->outbox_path, err, sizeof err) != 0) {
		pthread_mutex_lock(&r->lock);
		record(r, it->label, NULL, NULL, "NOT_DELIVERED", err, EXIT_UNDELIVERED);
		pthread_mutex_unlock(&r->lock);
		WIRE_FREE(s);
		return;
	}
	rc = r->check ? client_check(cl, s, &rep, &detail) : client_submit(cl, s, &rep, &detail);
	if (rc != 0) {
		const char *st = rc == CV_ETIMEDOUT || rc == CV_EBUSY ? "NOT_DELIVERED"
				 : rc == CV_EAUTH                     ? "NOT_AUTHENTICATED"
								      : "INVALID_FILE";
		if (rc == CV_ETIMEDOUT)
			snprintf(err, sizeof err, "not delivered: no answer from any collector");
		else if (rc == CV_EAUTH || rc == CV_EBUSY)
			snprintf(err, sizeof err, "not delivered: %s", detail);
		else
			snprintf(err, sizeof err, "not sent: %s", cv_strerror(rc));
		outcome = rc == CV_ETIMEDOUT || rc == CV_EBUSY ? EXIT_UNDELIVERED
			  : rc == CV_EAUTH                     ? EXIT_AUTH
							       : EXIT_REFUSED;
		pthread_mutex_lock(&r->lock);
		record(r, it->label, s, NULL, st, err, outcome);
		pthread_mutex_unlock(&r->lock);
	} else {
		if (rep->status == CANVASS__STATUS__ACCEPTED ||
		    rep->status == CANVASS__STATUS__DUPLICATE ||
		    rep->status == CANVASS__STATUS__VALID)
			outcome = EXIT_STORED;
		else if (wire_status_retryable(rep->status))
			outcome = EXIT_UNDELIVERED;
		else
			outcome = EXIT_REFUSED;
		pthread_mutex_lock(&r->lock);
		record(r, it->label, s, rep, NULL, NULL, outcome);
		pthread_mutex_unlock(&r->lock);
	}
	/* A final answer, stored or refused, ends the outbox entry; else it stays. */
	if (it->outbox_path != NULL && (outcome == EXIT_STORED || outcome == EXIT_REFUSED))
		outbox_remove(it->outbox_path);
	WIRE_FREE(rep);
	WIRE_FREE(s);
}

static void *worker(void *arg)
{
	struct run *r = arg;
	struct client *cl = NULL;
	char err[512];

	if (client_open(&cl, &r->cfg, err, sizeof err) != 0) {
		pthread_mutex_lock(&r->lock);
		fprintf(stderr, "canvass-submit: %s\n", err);
		r->status = worse(r->status, EXIT_USAGE);
		pthread_mutex_unlock(&r->lock);
		return NULL;
	}
	for (;;) {
		struct item *it;
		pthread_mutex_lock(&r->lock);
		it = r->next < r->n ? &r->items[r->next++] : NULL;
		pthread_mutex_unlock(&r->lock);
		if (it == NULL)
			break;
		process(r, cl, it);
	}
	client_close(&cl);
	return NULL;
}

/* A file only its owner reads (0600), for writing. */
static FILE *open_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		cv_fail(err, errlen, CV_EIO, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

/*
 * canvass-submit status | fetch: this member's own returns, read over its
 * own CURVE connection (the key decides whose).
 */
static int read_main(bool fetch, int argc, char **argv)
{
	struct strlist connect = {0};
	char *key_path = NULL, *server_key_path = NULL, *questionnaire = NULL, *cycle = NULL;
	char *out_path = NULL;
	bool as_json = false;
	long timeout_ms = 5000, attempts = 5;
	const struct setting tab[] = {
		LINK_SETTINGS(connect, key_path, server_key_path),
		{"questionnaire", SET_STRING, &questionnaire, 0, 0, "ID",
		 fetch ? "the return's questionnaire (required)" : "only this questionnaire"},
		{"cycle", SET_STRING, &cycle, 0, 0, "CYCLE",
		 fetch ? "the return's cycle (required)" : "only this cycle"},
		{fetch ? "out" : "json", fetch ? SET_STRING : SET_FLAG,
		 fetch ? (void *)&out_path : (void *)&as_json, 0, 0, fetch ? "FILE" : NULL,
		 fetch ? "write the submission here (0600) instead of stdout"
		       : "the answer as one JSON object"},
		{"timeout-ms", SET_LONG, &timeout_ms, 10, 600000, "MS",
		 "wait for one answer (5000)"},
		{"attempts", SET_LONG, &attempts, 1, 100, "N", "sends (5)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	const char *name = fetch ? "fetch" : "status";
	struct client_link link;
	char err[1024];
	struct client *cl = NULL;
	Canvass__Reply *rep = NULL;
	const char *detail = NULL;
	int next, rc, status = EXIT_USAGE;

	memset(&link, 0, sizeof link);
	rc = settings_parse(tab, "submit", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP ||
	    (rc == 0 && (next < argc || connect.n == 0 || key_path == NULL ||
			 (fetch && (questionnaire == NULL || cycle == NULL))))) {
		FILE *o = rc == SETTINGS_HELP ? stdout : stderr;
		fprintf(o,
			"usage: canvass-submit %s --connect ENDPOINT --key FILE --server-key FILE "
			"%s\n",
			name,
			fetch ? "--questionnaire ID --cycle CYCLE [--out FILE]"
			      : "[--questionnaire ID] [--cycle CYCLE] [--json]");
		settings_usage(tab, o);
		fprintf(o, "exit status: 0 answered, 1 refused (NOT_FOUND, UNAUTHORIZED...), "
			   "2 usage, 3 no answer, 4 key refused at the handshake\n");
		settings_free(tab);
		return rc == SETTINGS_HELP ? 0 : EXIT_USAGE;
	}
	if (rc == 0 && server_key_path == NULL)
		rc = cv_fail(err, sizeof err, CV_ECONFIG, "--key and --server-key go together");
	if (rc == 0)
		rc = client_open_link(&cl, &link, connect.items, connect.n, key_path,
				      server_key_path, timeout_ms, (int)attempts, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "canvass-submit: %s\n", err);
		goto out;
	}
	rc = client_read(cl, fetch, questionnaire, cycle, &rep, &detail);
	if (rc != 0) {
		fprintf(stderr, "canvass-submit: %s: %s\n", name,
			detail ? detail : cv_strerror(rc));
		status = rc == CV_EAUTH ? EXIT_AUTH : EXIT_UNDELIVERED;
		goto out;
	}
	if (rep->status != CANVASS__STATUS__VALID) {
		fprintf(stderr, "canvass-submit: %s: %s - %s\n", name,
			wire_status_name(rep->status), rep->message);
		status = wire_status_retryable(rep->status) ? EXIT_UNDELIVERED : EXIT_REFUSED;
		goto out;
	}
	status = EXIT_STORED;
	if (fetch) {
		/* The stored answers as the JSON a member sends, without the stored id:
		 * a revision made from it gets its own. */
		json_t *o = rep->submission ? subjson_from_submission(rep->submission) : NULL;
		FILE *f = stdout;
		if (o != NULL)
			json_object_del(o, "id");
		if (o != NULL && out_path != NULL)
			f = open_private(out_path, err, sizeof err);
		if (o == NULL || f == NULL ||
		    json_dumpf(o, f,
			       JSON_INDENT(2) | JSON_ENSURE_ASCII |
				       JSON_REAL_PRECISION(
					       subjson_real_precision(rep->submission))) != 0 ||
		    fputc('\n', f) == EOF || (f != stdout && fclose(f) != 0)) {
			fprintf(stderr, "canvass-submit: fetch: %s\n",
				o == NULL ? "the answer carried no submission" : err);
			status = EXIT_REFUSED;
		} else if (rep->n_returns > 0 && rep->returns[0]->receipt != NULL) {
			fprintf(stderr,
				"canvass-submit: fetched %s %s revision %u (sequence %llu), %s\n",
				questionnaire, cycle, rep->returns[0]->receipt->revision,
				(unsigned long long)rep->returns[0]->receipt->sequence,
				wire_return_state_name(rep->returns[0]->state));
		}
		json_decref(o);
	} else if (as_json) {
		subjson_print_line(stdout, subjson_reply(rep));
	} else {
		if (rep->n_returns == 0)
			printf("no returns stored%s%s%s%s\n", questionnaire ? " for " : "",
			       questionnaire ? questionnaire : "", cycle ? " " : "",
			       cycle ? cycle : "");
		for (size_t i = 0; i < rep->n_returns; i++)
			subjson_print_return(stdout, rep->returns[i]);
	}
out:
	WIRE_FREE(rep);
	client_close(&cl);
	keys_wipe(&link.keys);
	settings_free(tab);
	return status;
}

int main(int argc, char **argv)
{
	struct strlist connect = {0}, jsonl = {0};
	char *key_path = NULL, *server_key_path = NULL, *outbox = NULL;
	bool as_json = false, check = false, quiet = false;
	long timeout_ms = 5000, attempts = 5, parallel = 4;
	const struct setting tab[] = {
		LINK_SETTINGS(connect, key_path, server_key_path),
		{"jsonl", SET_LIST, &jsonl, 0, 0, "FILE",
		 "submissions as JSON Lines (- for stdin); repeatable"},
		{"outbox", SET_STRING, &outbox, 0, 0, "DIR",
		 "keep each submission here until answered; resend what is left"},
		{"parallel", SET_LONG, &parallel, 1, 64, "N", "submissions in flight at once (4)"},
		{"json", SET_FLAG, &as_json, 0, 0, NULL, "one JSON receipt per line on stdout"},
		{"check", SET_FLAG, &check, 0, 0, NULL,
		 "dry run: the collector's verdict, nothing stored (VALID or REJECTED)"},
		{"quiet", SET_FLAG, &quiet, 0, 0, NULL, "no progress bar or summary on stderr"},
		{"timeout-ms", SET_LONG, &timeout_ms, 10, 600000, "MS",
		 "wait for one answer (5000)"},
		{"attempts", SET_LONG, &attempts, 1, 100, "N", "sends per submission (5)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct run r;
	struct keypair keys;
	char server_key[KEY_Z85_LEN + 1] = "";
	char err[1024];
	pthread_t threads[64];
	long started = 0;
	int next, rc;

	if (argc > 1 && (strcmp(argv[1], "status") == 0 || strcmp(argv[1], "fetch") == 0))
		return read_main(strcmp(argv[1], "fetch") == 0, argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	memset(&r, 0, sizeof r);
	memset(&keys, 0, sizeof keys);
	pthread_mutex_init(&r.lock, NULL);
	rc = settings_parse(tab, "submit", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP ||
	    (rc == 0 && ((next >= argc && jsonl.n == 0 && outbox == NULL) || connect.n == 0))) {
		FILE *out = rc == SETTINGS_HELP ? stdout : stderr;
		fprintf(out,
			"usage: canvass-submit --connect ENDPOINT [--key FILE --server-key FILE] "
			"[options] [FILE...]\n"
			"       canvass-submit status|fetch ... (this member's own returns; "
			"status --help, fetch --help)\n"
			"       canvass-submit serve ... (the member's portal in a browser; "
			"serve --help)\n");
		settings_usage(tab, out);
		fprintf(out, "exit status: 0 stored, 1 refused, 2 usage, 3 not delivered, "
			     "4 key refused at the handshake\n");
		settings_free(tab);
		return rc == SETTINGS_HELP ? 0 : EXIT_USAGE;
	}
	if (rc == 0 && (key_path == NULL) != (server_key_path == NULL))
		rc = cv_fail(err, sizeof err, CV_ECONFIG, "--key and --server-key go together");
	if (rc == 0 && key_path != NULL &&
	    (keys_load_pair(key_path, &keys, err, sizeof err) != 0 ||
	     keys_load_public(server_key_path, server_key, err, sizeof err) != 0))
		rc = CV_ECONFIG;
	if (rc == 0 && outbox != NULL && !check) {
		char **pending;
		size_t n_pending;
		rc = outbox_open(outbox, err, sizeof err);
		if (rc == 0)
			rc = outbox_list(outbox, &pending, &n_pending, err, sizeof err);
		/* What a previous run left is sent first. */
		for (size_t i = 0; rc == 0 && i < n_pending; i++) {
			char *text;
			size_t len;
			rc = cv_read_file(pending[i], SUBJSON_MAX_FILE, &text, &len, err,
					  sizeof err);
			if (rc != 0 && access(pending[i], F_OK) != 0 && errno == ENOENT) {
				/* Answered meanwhile by another run on the same outbox. */
				rc = 0;
				continue;
			}
			if (rc == 0)
				rc = add_item(&r, strdup(pending[i]), text, strdup(pending[i]));
		}
		for (size_t i = 0; rc == 0 && i < n_pending; i++)
			free(pending[i]);
		if (rc == 0)
			free(pending);
	}
	for (int i = next; rc == 0 && i < argc; i++)
		rc = add_item(&r, strdup(argv[i]), NULL, NULL);
	for (size_t i = 0; rc == 0 && i < jsonl.n; i++)
		rc = add_jsonl(&r, jsonl.items[i], err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "canvass-submit: %s\n", err);
		keys_wipe(&keys);
		settings_free(tab);
		return EXIT_USAGE;
	}
	r.cfg = (struct client_cfg){
		.endpoints = connect.items,
		.n_endpoints = connect.n,
		.timeout_ms = timeout_ms,
		.attempts = (int)attempts,
		.keys = key_path ? &keys : NULL,
		.server_key = key_path ? server_key : NULL,
	};
	r.outbox = check ? NULL : outbox;
	r.json = as_json;
	r.check = check;
	r.progress = !quiet && !as_json && r.n > 1 && isatty(STDERR_FILENO);
	r.status = EXIT_STORED;
	if (parallel > (long)r.n)
		parallel = r.n ? (long)r.n : 1;
	for (started = 0; started < parallel; started++)
		if (pthread_create(&threads[started], NULL, worker, &r) != 0)
			break;
	if (started == 0)
		worker(&r);
	for (long i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (r.progress)
		fputs("\r\033[K", stderr);
	if (!quiet && r.n > 1)
		fprintf(stderr,
			"canvass-submit: %zu submissions: %zu %s, %zu duplicates, %zu refused, %zu "
			"not "
			"delivered%s\n",
			r.n, check ? r.valid : r.accepted, check ? "valid" : "accepted",
			r.duplicate, r.refused, r.undelivered,
			r.undelivered && r.outbox ? " (kept in the outbox: run again to resend)"
						  : "");
	for (size_t i = 0; i < r.n; i++) {
		free(r.items[i].label);
		free(r.items[i].text);
		free(r.items[i].outbox_path);
	}
	free(r.items);
	keys_wipe(&keys);
	settings_free(tab);
	pthread_mutex_destroy(&r.lock);
	return r.status;
}
