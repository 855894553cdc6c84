/*
 * canvassctl review: the Secretariat's side of the review loop
 * (docs/review.md). list, show, query, approve, reopen, and the digest's
 * exclude, edit and restore, over CURVE to the
 * aggregator's review endpoint with a reviewer's key pair; the reviewer is
 * whoever that key belongs to in the aggregator's reviewers file.
 *
 * An action carries an action id (random unless --action-id is given), so
 * a resend after a lost answer is answered DUPLICATE with the original
 * entry, never stored twice. Exit status: 0 done (ACCEPTED, DUPLICATE, or
 * a read answered), 1 refused (NOT_FOUND, WRONG_STATE, MALFORMED,
 * UNAUTHORIZED, CONFLICT), 2 usage, 3 no answer or only retryable ones,
 * 4 the aggregator refused this key at the handshake.
 */
#include "ctl.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "error.h"
#include "keys.h"
#include "review.h"
#include "settings.h"
#include "subjson.h"
#include "text.h"
#include "util.h"
#include "wire.h"
#include "zap.h"

enum { R_DONE = 0, R_REFUSED = 1, R_USAGE = 2, R_UNDELIVERED = 3, R_AUTH = 4 };

struct link {
	const char *endpoint;
	const struct keypair *keys; /* NULL: no CURVE (an --insecure aggregator on ipc://) */
	const char *server_key;
	long timeout_ms;
	int attempts;
};

/*
 * One exchange on a fresh DEALER: 0 with *out, CV_EAUTH when the handshake
 * was refused, CV_ETIMEDOUT when no answer came in time.
 */
static int exchange_once(void *zctx, const struct link *l, const uint8_t *buf, size_t len,
			 uint64_t request_id, Canvass__ReviewReply **out)
{
	void *sock = zmq_socket(zctx, ZMQ_DEALER), *mon = zmq_socket(zctx, ZMQ_PAIR);
	char mon_ep[64];
	int zero = 0, rc = CV_ETIMEDOUT;
	int64_t deadline = cv_mono_ms() + l->timeout_ms;

	*out = NULL;
	static unsigned serial; /* a fresh name per attempt: the last one may still be bound */
	snprintf(mon_ep, sizeof mon_ep, "inproc://canvassctl-review-%u", ++serial);
	if (sock == NULL || mon == NULL)
		goto done;
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
	if ((l->keys != NULL && zap_make_client(sock, l->keys, l->server_key) != 0) ||
	    zmq_socket_monitor(sock, mon_ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
	    zmq_connect(mon, mon_ep) != 0 || zmq_connect(sock, l->endpoint) != 0 ||
	    zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0) {
		rc = CV_EZMQ;
		goto done;
	}
	for (int64_t left; (left = deadline - cv_mono_ms()) > 0;) {
		zmq_pollitem_t items[2] = {{sock, 0, ZMQ_POLLIN, 0}, {mon, 0, ZMQ_POLLIN, 0}};
		if (zmq_poll(items, 2, (long)left) <= 0)
			continue;
		if (items[1].revents & ZMQ_POLLIN) {
			uint16_t ev;
			uint32_t value;
			if (zap_monitor_event(mon, ZMQ_DONTWAIT, &ev, &value) &&
			    ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
				rc = CV_EAUTH;
				break;
			}
		}
		if (items[0].revents & ZMQ_POLLIN) {
			zmq_msg_t m;
			Canvass__ReviewReply *r = NULL;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0 &&
			    wire_decode_review_reply(zmq_msg_data(&m), zmq_msg_size(&m), 64u << 20,
						     &r) == 0 &&
			    r->request_id == request_id) {
				*out = r;
				rc = 0;
			} else {
				WIRE_FREE(r);
			}
			zmq_msg_close(&m);
			if (rc == 0)
				break;
		}
	}
done:
	if (sock != NULL) {
		zmq_socket_monitor(sock, NULL, 0);
		zmq_close(sock);
	}
	if (mon != NULL)
		zmq_close(mon);
	return rc;
}

/* Sends req until a final answer: retryable ones and silence are retried. */
static int exchange(const struct link *l, Canvass__ReviewRequest *req, Canvass__ReviewReply **out)
{
	void *zctx = zmq_ctx_new();
	uint8_t *buf = NULL;
	size_t len;
	int rc = CV_ETIMEDOUT;
	long pause = 200;

	*out = NULL;
	req->protocol_version = WIRE_PROTOCOL_VERSION;
	randombytes_buf(&req->request_id, sizeof req->request_id);
	if (zctx == NULL || wire_pack(&req->base, &buf, &len) != 0) {
		if (zctx != NULL)
			zmq_ctx_term(zctx);
		return CV_ENOMEM;
	}
	for (int i = 0; i < l->attempts; i++) {
		Canvass__ReviewReply *r = NULL;
		rc = exchange_once(zctx, l, buf, len, req->request_id, &r);
		if (rc == 0) {
			WIRE_FREE(*out);
			*out = r;
			if (!wire_status_retryable(r->status))
				break;
		}
		if (rc == CV_EAUTH || rc == CV_EZMQ || i + 1 == l->attempts)
			break;
		cv_sleep_ms(pause);
		pause *= 2;
	}
	free(buf);
	zmq_ctx_term(zctx);
	return *out != NULL ? 0 : rc;
}

static void print_show(const Canvass__ReviewReply *r)
{
	char hex[2 * CV_HASH_LEN + 1], when[32];

	for (size_t i = 0; i < r->n_returns; i++)
		subjson_print_return(stdout, r->returns[i]);
	printf("revisions:\n");
	for (size_t i = 0; i < r->n_revisions; i++) {
		const Canvass__Revision *v = r->revisions[i];
		hex[0] = '\0';
		if (v->content_hash.len == CV_HASH_LEN)
			cv_hex(v->content_hash.data, CV_HASH_LEN, hex);
		printf("  revision %u  sequence %llu  %s  content %.16s%s\n", v->revision,
		       (unsigned long long)v->sequence,
		       cv_utc_time(v->stored_at_ms, when, sizeof when), hex,
		       v->late ? "  late" : "");
	}
	if (r->submission != NULL) {
		printf("answers (revision %u):\n",
		       r->n_revisions > 0 ? r->revisions[0]->revision : 0);
		size_t prec = (size_t)subjson_real_precision(r->submission);
		for (size_t i = 0; i < r->submission->n_answers; i++) {
			json_t *v = subjson_answer_value(r->submission->answers[i]);
			char *t = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
							    JSON_REAL_PRECISION(prec))
				    : NULL;
			printf("  %-32s ", r->submission->answers[i]->question);
			text_fputs_terminal(stdout, t ? t : "-"); /* an answer cannot steer it */
			putchar('\n');
			free(t);
			json_decref(v);
		}
	}
}

static json_t *reply_json(const Canvass__ReviewReply *r)
{
	json_t *o = json_object(), *rs = json_array(), *vs = json_array();
	char hex[2 * CV_HASH_LEN + 1];

	json_object_set_new(o, "status", json_string(wire_status_name(r->status)));
	json_object_set_new(o, "message", json_string(r->message));
	for (size_t i = 0; i < r->n_returns; i++)
		json_array_append_new(rs, subjson_return_status(r->returns[i]));
	json_object_set_new(o, "returns", rs);
	if (r->receipt != NULL) {
		json_t *a = json_pack("{sI sI ss}", "sequence", (json_int_t)r->receipt->sequence,
				      "stored_at_ms", (json_int_t)r->receipt->stored_at_ms,
				      "action_id", r->receipt->idempotency_key);
		if (r->receipt->chain_hash.len == CV_HASH_LEN) {
			cv_hex(r->receipt->chain_hash.data, CV_HASH_LEN, hex);
			json_object_set_new(a, "chain_hash", json_string(hex));
		}
		json_object_set_new(o, "entry", a);
	}
	for (size_t i = 0; i < r->n_revisions; i++) {
		const Canvass__Revision *v = r->revisions[i];
		json_t *j = json_pack("{sI sI sI sb ss}", "revision", (json_int_t)v->revision,
				      "sequence", (json_int_t)v->sequence, "stored_at_ms",
				      (json_int_t)v->stored_at_ms, "late", (int)v->late, "id",
				      v->idempotency_key);
		if (v->content_hash.len == CV_HASH_LEN) {
			cv_hex(v->content_hash.data, CV_HASH_LEN, hex);
			json_object_set_new(j, "content_hash", json_string(hex));
		}
		json_array_append_new(vs, j);
	}
	if (r->n_revisions > 0)
		json_object_set_new(o, "revisions", vs);
	else
		json_decref(vs);
	if (r->submission != NULL)
		json_object_set_new(o, "submission", subjson_from_submission(r->submission));
	return o;
}

int ctl_review(int argc, char **argv)
{
	static const char *const verbs[] = {"list",    "show", "query",   "approve", "reopen",
					    "exclude", "edit", "restore", NULL};
	/* The action of each verb from query on (the proto's ReviewActionKind). */
	static const Canvass__ReviewActionKind kinds[] = {
		CANVASS__REVIEW_ACTION_KIND__QUERY,  CANVASS__REVIEW_ACTION_KIND__APPROVE,
		CANVASS__REVIEW_ACTION_KIND__REOPEN, CANVASS__REVIEW_ACTION_KIND__EXCLUDE,
		CANVASS__REVIEW_ACTION_KIND__EDIT,   CANVASS__REVIEW_ACTION_KIND__RESTORE};
	char *endpoint = NULL, *key_path = NULL, *server_key_path = NULL;
	char *questionnaire = NULL, *cycle = NULL, *member = NULL, *comment = NULL;
	char *state = NULL, *region = NULL, *action_id = NULL, *text = NULL;
	struct strlist questions = {0};
	bool as_json = false;
	long timeout_ms = 5000, attempts = 3;
	const struct setting tab[] = {
		{"connect", SET_STRING, &endpoint, 0, 0, "ENDPOINT",
		 "the aggregator's review endpoint (its review-listen)"},
		{"key", SET_STRING, &key_path, 0, 0, "FILE",
		 "this reviewer's CURVE key pair (.key)"},
		{"server-key", SET_STRING, &server_key_path, 0, 0, "FILE",
		 "the aggregator's public key (.pub)"},
		{"questionnaire", SET_STRING, &questionnaire, 0, 0, "ID", "questionnaire id"},
		{"cycle", SET_STRING, &cycle, 0, 0, "CYCLE", "cycle"},
		{"member", SET_STRING, &member, 0, 0, "CODE", "member code (every verb but list)"},
		{"comment", SET_STRING, &comment, 0, 0, "TEXT",
		 "what the Secretariat says (required for query, exclude and edit)"},
		{"question", SET_LIST, &questions, 0, 0, "ID",
		 "a question the query concerns, or a shared answer to exclude, edit or restore; "
		 "repeat"},
		{"text", SET_STRING, &text, 0, 0, "TEXT",
		 "edit: the text the good-practice digest shows instead of the answer"},
		{"state", SET_STRING, &state, 0, 0, "STATE",
		 "list: only submitted, queried or approved returns"},
		{"region", SET_STRING, &region, 0, 0, "REGION", "list: only this region's members"},
		{"action-id", SET_STRING, &action_id, 0, 0, "ID",
		 "the action's id (default: random); a resend with it is harmless"},
		{"json", SET_FLAG, &as_json, 0, 0, NULL, "the answer as one JSON object"},
		{"timeout-ms", SET_LONG, &timeout_ms, 10, 600000, "MS",
		 "wait for one answer (5000)"},
		{"attempts", SET_LONG, &attempts, 1, 100, "N", "sends (3)"},
		{"*", SET_OTHERS, NULL, 0, 0, NULL, NULL},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	static const char usage[] =
		"usage: canvassctl review VERB --connect ENDPOINT --key FILE --server-key FILE "
		"[options]\n"
		"  list    --questionnaire ID --cycle CYCLE [--state STATE] [--region REGION]\n"
		"  show    --questionnaire ID --cycle CYCLE --member CODE\n"
		"  query   --questionnaire ID --cycle CYCLE --member CODE --comment TEXT "
		"[--question ID]...\n"
		"  approve --questionnaire ID --cycle CYCLE --member CODE [--comment TEXT]\n"
		"  reopen  --questionnaire ID --cycle CYCLE --member CODE [--comment TEXT]\n"
		"  exclude --questionnaire ID --cycle CYCLE --member CODE --comment TEXT "
		"[--question ID]...\n"
		"  edit    --questionnaire ID --cycle CYCLE --member CODE --comment TEXT "
		"--question ID --text TEXT\n"
		"  restore --questionnaire ID --cycle CYCLE --member CODE [--comment TEXT] "
		"[--question ID]...\n"
		"exclude, edit and restore decide what the good-practice digest shows of "
		"shared answers\n(without --question: every shared answer of the return).\n"
		"exit status: 0 done, 1 refused, 2 usage, 3 no answer, 4 key refused at the "
		"handshake\n";
	Canvass__ReviewRequest req = CANVASS__REVIEW_REQUEST__INIT;
	Canvass__ReviewList lreq = CANVASS__REVIEW_LIST__INIT;
	Canvass__ReturnRef sreq = CANVASS__RETURN_REF__INIT;
	Canvass__ReviewAction areq = CANVASS__REVIEW_ACTION__INIT;
	Canvass__ReviewReply *rep = NULL;
	struct keypair keys;
	char server_key[KEY_Z85_LEN + 1] = "", err[1024], idbuf[33];
	int verb = -1, next, rc, status = R_USAGE;

	memset(&keys, 0, sizeof keys);
	if (argc >= 2)
		for (int i = 0; verbs[i] != NULL; i++)
			if (strcmp(argv[1], verbs[i]) == 0)
				verb = i;
	rc = settings_parse(tab, "review", verb >= 0 ? argc - 1 : argc, verb >= 0 ? argv + 1 : argv,
			    &next, err, sizeof err);
	if (rc == 0 && (verb < 0 || next != (verb >= 0 ? argc - 1 : argc)))
		rc = cv_fail(err, sizeof err, CV_EINVAL,
			     "give one of list, show, query, approve, "
			     "reopen, exclude, edit, restore, then the options");
	if (rc == 0 && (endpoint == NULL || questionnaire == NULL || cycle == NULL))
		rc = cv_fail(err, sizeof err, CV_EINVAL,
			     "--connect, --questionnaire and --cycle are required");
	if (rc == 0 && verb >= 1 && member == NULL)
		rc = cv_fail(err, sizeof err, CV_EINVAL, "--member is required");
	if (rc == 0 && (verb == 2 || verb == 5 || verb == 6) && comment == NULL)
		rc = cv_fail(err, sizeof err, CV_EINVAL, "%s needs --comment",
			     verb == 2   ? "a query"
			     : verb == 5 ? "an exclude"
					 : "an edit");
	if (rc == 0 && questions.n > 0 && (verb < 2 || verb == 3 || verb == 4))
		rc = cv_fail(err, sizeof err, CV_EINVAL,
			     "--question goes with query, exclude, edit and restore only");
	if (rc == 0 && verb == 6 && (questions.n != 1 || text == NULL))
		rc = cv_fail(err, sizeof err, CV_EINVAL, "an edit needs one --question and --text");
	if (rc == 0 && verb != 6 && text != NULL)
		rc = cv_fail(err, sizeof err, CV_EINVAL, "--text goes with edit only");
	if (rc == 0 && state != NULL && wire_return_state_parse(state) == 0)
		rc = cv_fail(err, sizeof err, CV_EINVAL, "--state: submitted, queried or approved");
	if (rc == 0 && (key_path == NULL) != (server_key_path == NULL))
		rc = cv_fail(err, sizeof err, CV_EINVAL, "--key and --server-key go together");
	if (rc != 0) {
		status = ctl_usage("review", rc, err, tab, usage);
		goto out;
	}
	if (key_path != NULL &&
	    (keys_load_pair(key_path, &keys, err, sizeof err) != 0 ||
	     keys_load_public(server_key_path, server_key, err, sizeof err) != 0)) {
		fprintf(stderr, "canvassctl review: %s\n", err);
		goto out;
	}
	switch (verb) {
	case 0:
		req.body_case = CANVASS__REVIEW_REQUEST__BODY_LIST;
		req.list = &lreq;
		lreq.questionnaire = questionnaire;
		lreq.cycle = cycle;
		lreq.state = state ? wire_return_state_parse(state) : 0;
		lreq.region = region ? region : (char *)"";
		break;
	case 1:
		req.body_case = CANVASS__REVIEW_REQUEST__BODY_SHOW;
		req.show = &sreq;
		sreq.questionnaire = questionnaire;
		sreq.cycle = cycle;
		sreq.member = member;
		break;
	default:
		req.body_case = CANVASS__REVIEW_REQUEST__BODY_ACT;
		req.act = &areq;
		areq.action = kinds[verb - 2];
		areq.text = text ? text : (char *)"";
		areq.questionnaire = questionnaire;
		areq.cycle = cycle;
		areq.member = member;
		areq.comment = comment ? comment : (char *)"";
		areq.questions = questions.items;
		areq.n_questions = questions.n;
		if (action_id == NULL) {
			uint8_t raw[16];
			randombytes_buf(raw, sizeof raw);
			cv_hex(raw, sizeof raw, idbuf);
		}
		areq.action_id = action_id ? action_id : idbuf;
	}
	{
		struct link l = {.endpoint = endpoint,
				 .keys = key_path ? &keys : NULL,
				 .server_key = server_key,
				 .timeout_ms = timeout_ms,
				 .attempts = (int)attempts};
		rc = exchange(&l, &req, &rep);
	}
	if (rc != 0) {
		fprintf(stderr, "canvassctl review: %s\n",
			rc == CV_EAUTH
				? "the aggregator refused this key at the handshake (is it in "
				  "the reviewers file, and --server-key the aggregator's?)"
				: "no answer from the aggregator's review endpoint");
		status = rc == CV_EAUTH ? R_AUTH : R_UNDELIVERED;
		goto out;
	}
	if (as_json) {
		subjson_print_line(stdout, reply_json(rep));
	} else if (rep->status == CANVASS__STATUS__VALID && verb == 0) {
		printf("%s %s: %s\n", questionnaire, cycle, rep->message);
		for (size_t i = 0; i < rep->n_returns; i++) {
			const Canvass__ReturnStatus *st = rep->returns[i];
			printf("  %-6s %-40.40s %-10s revision %-3u open queries %zu\n", st->member,
			       st->region, wire_return_state_name(st->state),
			       st->receipt ? st->receipt->revision : 0,
			       wire_return_open_queries(st));
		}
	} else if (rep->status == CANVASS__STATUS__VALID) {
		print_show(rep);
	} else {
		printf("%s: %s", wire_status_name(rep->status), rep->message);
		if (rep->receipt != NULL)
			printf(" (history sequence %llu)",
			       (unsigned long long)rep->receipt->sequence);
		printf("\n");
		for (size_t i = 0; i < rep->n_returns; i++)
			subjson_print_return(stdout, rep->returns[i]);
	}
	status = rep->status == CANVASS__STATUS__VALID ||
				 rep->status == CANVASS__STATUS__ACCEPTED ||
				 rep->status == CANVASS__STATUS__DUPLICATE
			 ? R_DONE
		 : wire_status_retryable(rep->status) ? R_UNDELIVERED
						      : R_REFUSED;
	if (status != R_DONE && !as_json)
		fprintf(stderr, "canvassctl review: %s\n", wire_status_name(rep->status));
out:
	WIRE_FREE(rep);
	keys_wipe(&keys);
	settings_free(tab);
	return status;
}
