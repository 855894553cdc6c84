/*
 * canvass-submit: sends JSON submission files to a collector and prints
 * each receipt or every problem.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "error.h"
#include "keys.h"
#include "settings.h"
#include "subjson.h"
#include "util.h"
#include "wire.h"

enum { EXIT_STORED = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNDELIVERED = 3, EXIT_AUTH = 4 };

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
	char *text;

	if (o == NULL)
		return;
	json_object_set_new(o, "file", json_string(file));
	if (local_error != NULL) {
		json_object_set_new(o, "status", json_string(local_status));
		json_object_set_new(o, "message", json_string(local_error));
	}
	text = json_dumps(o, JSON_COMPACT);
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(o);
}

int main(int argc, char **argv)
{
	struct strlist connect = {0};
	char *key_path = NULL, *server_key_path = NULL;
	bool as_json = false, check = false;
	long timeout_ms = 5000, attempts = 5;
	const struct setting tab[] = {
		{"connect", SET_LIST, &connect, 0, 0, "ENDPOINT",
		 "collector endpoint (repeat for failover)"},
		{"key", SET_STRING, &key_path, 0, 0, "FILE", "this member's CURVE key pair (.key)"},
		{"server-key", SET_STRING, &server_key_path, 0, 0, "FILE",
		 "the collectors' public key (.pub)"},
		{"json", SET_FLAG, &as_json, 0, 0, NULL, "one JSON receipt per line on stdout"},
		{"check", SET_FLAG, &check, 0, 0, NULL,
		 "dry run: the collector's verdict, nothing stored (VALID or REJECTED)"},
		{"timeout-ms", SET_LONG, &timeout_ms, 10, 600000, "MS",
		 "wait for one answer (5000)"},
		{"attempts", SET_LONG, &attempts, 1, 100, "N", "sends per submission (5)"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct client *cl = NULL;
	struct keypair keys;
	char server_key[KEY_Z85_LEN + 1] = "";
	char err[1024];
	int next, rc, status = EXIT_STORED;

	memset(&keys, 0, sizeof keys);
	rc = settings_parse(tab, "submit", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || (rc == 0 && (next >= argc || connect.n == 0))) {
		FILE *out = rc == SETTINGS_HELP ? stdout : stderr;
		fprintf(out,
			"usage: canvass-submit --connect ENDPOINT [--key FILE --server-key FILE] "
			"[options] FILE...\n");
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
	if (rc == 0) {
		struct client_cfg cfg = {
			.endpoints = connect.items,
			.n_endpoints = connect.n,
			.timeout_ms = timeout_ms,
			.attempts = (int)attempts,
			.keys = key_path ? &keys : NULL,
			.server_key = key_path ? server_key : NULL,
		};
		rc = client_open(&cl, &cfg, err, sizeof err);
	}
	if (rc != 0) {
		fprintf(stderr, "canvass-submit: %s\n", err);
		keys_wipe(&keys);
		settings_free(tab);
		return EXIT_USAGE;
	}
	for (int i = next; i < argc; i++) {
		const char *file = argv[i];
		Canvass__Submission *s = NULL;
		Canvass__Reply *r = NULL;
		const char *detail = "";

		if (subjson_load_file(file, &s, err, sizeof err) != 0) {
			if (as_json)
				print_json(file, NULL, "INVALID_FILE", err);
			else
				fprintf(stderr, "canvass-submit: %s\n", err);
			status = worse(status, EXIT_REFUSED);
			continue;
		}
		rc = check ? client_check(cl, s, &r, &detail) : client_submit(cl, s, &r, &detail);
		if (rc != 0) {
			const char *st = rc == CV_ETIMEDOUT ? "NOT_DELIVERED"
					 : rc == CV_EAUTH   ? "NOT_AUTHENTICATED"
							    : "INVALID_FILE";
			if (rc == CV_ETIMEDOUT)
				snprintf(err, sizeof err,
					 "not delivered: no answer from any collector");
			else if (rc == CV_EAUTH)
				snprintf(err, sizeof err, "not delivered: %s", detail);
			else
				snprintf(err, sizeof err, "not sent: %s", cv_strerror(rc));
			if (as_json)
				print_json(file, NULL, st, err);
			else
				fprintf(stderr, "canvass-submit: %s: %s\n", file, err);
			status = worse(status, rc == CV_ETIMEDOUT ? EXIT_UNDELIVERED
					       : rc == CV_EAUTH   ? EXIT_AUTH
								  : EXIT_REFUSED);
		} else {
			if (as_json)
				print_json(file, r, NULL, NULL);
			else
				print_text(file, s, r);
			if (r->status == CANVASS__STATUS__ACCEPTED ||
			    r->status == CANVASS__STATUS__DUPLICATE ||
			    r->status == CANVASS__STATUS__VALID)
				status = worse(status, EXIT_STORED);
			else if (wire_status_retryable(r->status))
				status = worse(status, EXIT_UNDELIVERED);
			else
				status = worse(status, EXIT_REFUSED);
		}
		WIRE_FREE(r);
		WIRE_FREE(s);
	}
	client_close(&cl);
	keys_wipe(&keys);
	settings_free(tab);
	return status;
}
