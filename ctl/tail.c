/*
 * canvassctl tail: prints the aggregator's event feed live, one line per
 * outcome (member, questionnaire, cycle, revision, sequence, status, late),
 * optionally only one member's or one questionnaire's.
 */
#include "ctl.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "daemon.h"
#include "settings.h"
#include "util.h"

static volatile sig_atomic_t stop;

int ctl_tail(int argc, char **argv)
{
	char *events = NULL, *member = NULL, *questionnaire = NULL, err[512];
	bool as_json = false;
	long count = 0, idle_ms = 0;
	const struct setting tab[] = {
		{"events", SET_STRING, &events, 0, 0, "ENDPOINT", "the aggregator's event feed"},
		{"member", SET_STRING, &member, 0, 0, "CODE", "only this member's events"},
		{"questionnaire", SET_STRING, &questionnaire, 0, 0, "ID",
		 "only this questionnaire's events"},
		{"json", SET_FLAG, &as_json, 0, 0, NULL, "print each event as JSON"},
		{"count", SET_LONG, &count, 0, 100000000, "N", "exit after N events (0: never)"},
		{"idle-ms", SET_LONG, &idle_ms, 0, 86400000, "MS",
		 "exit after this long without an event (0: never)"},
		{"*", SET_OTHERS, NULL, 0, 0, NULL, NULL},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	void *zctx, *sub;
	char topic[256];
	long seen = 0;
	int next, rc, zero = 0;

	rc = settings_parse(tab, "aggregator", argc, argv, &next, err, sizeof err);
	if (rc == SETTINGS_HELP || rc != 0 || next != argc || events == NULL) {
		rc = ctl_usage("tail", rc, err, tab,
			       "usage: canvassctl tail [-c FILE] --events ENDPOINT [--member CODE] "
			       "[--questionnaire ID] [--json]\n");
		settings_free(tab);
		return rc;
	}
	daemon_install_signals(&stop, NULL);
	zctx = zmq_ctx_new();
	sub = zmq_socket(zctx, ZMQ_SUB);
	zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
	/* The topic is "QUESTIONNAIRE MEMBER": a questionnaire filters by prefix. */
	snprintf(topic, sizeof topic, "%s%s", questionnaire ? questionnaire : "",
		 questionnaire ? " " : "");
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, strlen(topic));
	if (zmq_connect(sub, events) != 0) {
		fprintf(stderr, "canvassctl tail: %s: %s\n", events, zmq_strerror(zmq_errno()));
		rc = 1;
		goto out;
	}
	fprintf(stderr, "canvassctl tail: following %s\n", events);
	while (!stop && (count == 0 || seen < count)) {
		zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
		char t[256], body[4096];
		int n, more = 0;
		size_t ml = sizeof more;
		json_t *e;

		n = zmq_poll(&item, 1, idle_ms > 0 ? idle_ms : -1);
		if (n == 0)
			break; /* idle */
		if (n < 0)
			continue;
		n = zmq_recv(sub, t, sizeof t - 1, 0);
		zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
		if (n < 0 || !more)
			continue;
		n = zmq_recv(sub, body, sizeof body - 1, 0);
		if (n < 0 || (size_t)n >= sizeof body)
			continue;
		body[n] = '\0';
		e = json_loads(body, 0, NULL);
		if (e == NULL)
			continue;
		if (member == NULL ||
		    (json_string_value(json_object_get(e, "member")) != NULL &&
		     strcmp(json_string_value(json_object_get(e, "member")), member) == 0)) {
			if (as_json) {
				printf("%s\n", body);
			} else {
				char when[32];
				time_t secs = (time_t)(json_integer_value(
							       json_object_get(e, "stored_at_ms")) /
						       1000);
				struct tm tm;
				gmtime_r(&secs, &tm);
				strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
				printf("%s %-4s %s/%s revision %lld sequence %lld %s%s\n", when,
				       json_string_value(json_object_get(e, "member")),
				       json_string_value(json_object_get(e, "questionnaire")),
				       json_string_value(json_object_get(e, "cycle")),
				       (long long)json_integer_value(
					       json_object_get(e, "revision")),
				       (long long)json_integer_value(
					       json_object_get(e, "sequence")),
				       json_string_value(json_object_get(e, "status")),
				       json_is_true(json_object_get(e, "late")) ? " LATE" : "");
			}
			fflush(stdout);
			seen++;
		}
		json_decref(e);
	}
	rc = 0;
out:
	zmq_close(sub);
	zmq_ctx_term(zctx);
	settings_free(tab);
	return rc;
}
