/*
 * canvass-poke: a test tool that sends hand-made, mostly hostile frames
 * to a collector over a real (CURVE) connection and reports what came
 * back, one JSON line per case. Used by the integration tests; not
 * installed.
 *
 *   canvass-poke --connect EP [--key F --server-key F] [--timeout-ms MS] CASE...
 *
 * Cases:
 *   valid:FILE        the submission in FILE, as a proper request
 *   random:N:SEED     N frames of random bytes (1-2048 bytes each)
 *   truncate:FILE     the request for FILE cut at every length 0..len-1
 *   big:BYTES         one frame of BYTES bytes (a valid request prefix, then padding)
 *   frames:K:FILE     the request for FILE followed by K-1 more frames
 *   version:V:FILE    the request for FILE with protocol version V
 *   answers:N:FILE    FILE's submission with N extra answers
 *   string:LEN:FILE   FILE's submission with a question id of LEN bytes
 *   duplicate:FILE    FILE's submission with its first answer given twice
 *   hold:FILE         the request for FILE, then wait for a line on stdin, then
 *                     the same request again on the same connection
 *   raw:FILE          the bytes of FILE, as they are, as one frame
 *   flood:N:FILE      the request for FILE N times without reading a reply (the
 *                     socket takes in as little as it can), prints
 *                     {"case": "flood", "sent": N}, waits for a line on stdin,
 *                     then reads what replies come (until none for --timeout-ms)
 *   latency:N:FILE    the request for FILE N times, one after the other, each
 *                     waiting for its reply; adds "ms": {"p50", "p99", "max"}
 * Output per case: {"case": ..., "sent": n, "replies": {"STATUS": count}, "no_reply": n,
 *                   "codes": [problem codes of the last reply],
 *                   "raw": [hex of each reply frame, up to 1000]}
 * The raw replies let a test decode them with another protobuf library.
 *
 * With --dump DIR nothing is sent: the first frame of every message goes
 * to DIR/CASE-N.bin instead (the fuzzers' seed corpus).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "keys.h"
#include "settings.h"
#include "subjson.h"
#include "util.h"
#include "wire.h"
#include "zap.h"

struct poke {
	void *zctx, *sock;
	const char *endpoint;
	struct keypair keys;
	char server_key[KEY_Z85_LEN + 1];
	int secure;
	long timeout_ms;
	json_t *replies;
	json_t *codes;
	json_t *raw;
	int sent, no_reply;
	const char *dump;
	const char *case_name;
};

static void reconnect(struct poke *p)
{
	int zero = 0;
	if (p->dump != NULL)
		return;
	if (p->sock)
		zmq_close(p->sock);
	p->sock = zmq_socket(p->zctx, ZMQ_DEALER);
	zmq_setsockopt(p->sock, ZMQ_LINGER, &zero, sizeof zero);
	if (p->secure)
		zap_make_client(p->sock, &p->keys, p->server_key);
	zmq_connect(p->sock, p->endpoint);
}

/* Sends nparts frames and waits for one reply; counts the outcome. */
static void exchange(struct poke *p, const void *const *parts, const size_t *lens, int nparts)
{
	zmq_pollitem_t item;
	zmq_msg_t msg;
	Canvass__Reply *r;
	const char *status = NULL;

	p->sent++;
	if (p->dump != NULL) {
		char path[4096];
		FILE *f;
		snprintf(path, sizeof path, "%s/%s-%d.bin", p->dump, p->case_name, p->sent);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(parts[0], 1, lens[0], f) != lens[0] || fclose(f) != 0)
			exit(1);
		return;
	}
	for (int i = 0; i < nparts; i++)
		zmq_send(p->sock, parts[i], lens[i], i + 1 < nparts ? ZMQ_SNDMORE : 0);
	item = (zmq_pollitem_t){p->sock, 0, ZMQ_POLLIN, 0};
	if (zmq_poll(&item, 1, p->timeout_ms) <= 0) {
		p->no_reply++;
		reconnect(p); /* the server may have dropped us; start clean */
		return;
	}
	zmq_msg_init(&msg);
	zmq_msg_recv(&msg, p->sock, 0);
	if (json_array_size(p->raw) < 1000) {
		size_t n = zmq_msg_size(&msg);
		char *hex = malloc(2 * n + 1);
		if (hex != NULL) {
			cv_hex(zmq_msg_data(&msg), n, hex);
			json_array_append_new(p->raw, json_string(hex));
			free(hex);
		}
	}
	if (wire_decode_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 22, &r) == 0) {
		status = wire_status_name(r->status);
		json_array_clear(p->codes);
		for (size_t i = 0; i < r->n_problems; i++)
			json_array_append_new(p->codes, json_string(r->problems[i]->code));
		WIRE_FREE(r);
	} else {
		status = "UNDECODABLE_REPLY";
	}
	zmq_msg_close(&msg);
	json_object_set_new(
		p->replies, status,
		json_integer(json_integer_value(json_object_get(p->replies, status)) + 1));
}

static void send_one(struct poke *p, const void *buf, size_t len)
{
	const void *parts[1] = {buf};
	size_t lens[1] = {len};
	exchange(p, parts, lens, 1);
}

static Canvass__Submission *load(const char *file)
{
	Canvass__Submission *s;
	char err[512];
	if (subjson_load_file(file, &s, err, sizeof err) != 0) {
		fprintf(stderr, "canvass-poke: %s\n", err);
		exit(2);
	}
	return s;
}

static void pack_request(Canvass__Submission *s, uint32_t version, uint8_t **buf, size_t *len)
{
	Canvass__Request req = CANVASS__REQUEST__INIT;
	req.protocol_version = version;
	req.request_id = 1;
	req.body_case = CANVASS__REQUEST__BODY_SUBMIT;
	req.submit = s;
	wire_pack(&req.base, buf, len);
}

static void add_answers(Canvass__Submission *s, long n, size_t id_len)
{
	Canvass__Answer **a = realloc(s->answers, (s->n_answers + (size_t)n) * sizeof *a);
	s->answers = a;
	for (long i = 0; i < n; i++) {
		Canvass__Answer *x = malloc(sizeof *x);
		canvass__answer__init(x);
		x->question = malloc(id_len > 31 ? id_len + 1 : 32);
		if (id_len > 31) {
			memset(x->question, 'q', id_len);
			x->question[id_len] = '\0';
		} else {
			snprintf(x->question, 32, "extra_%ld", i);
		}
		x->value_case = CANVASS__ANSWER__VALUE_INTEGER;
		x->integer = i;
		s->answers[s->n_answers++] = x;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sends n requests without reading; then, on a line from stdin, reads the replies. */
static void flood(struct poke *p, const uint8_t *buf, size_t len, long n)
{
	int one = 1, small = 4096;
	char l[16];

	zmq_close(p->sock);
	p->sock = zmq_socket(p->zctx, ZMQ_DEALER);
	zmq_setsockopt(p->sock, ZMQ_LINGER, &(int){0}, sizeof(int));
	zmq_setsockopt(p->sock, ZMQ_RCVHWM, &one, sizeof one);
	zmq_setsockopt(p->sock, ZMQ_RCVBUF, &small, sizeof small);
	zmq_setsockopt(p->sock, ZMQ_SNDHWM, &(int){0}, sizeof(int)); /* no limit: block never */
	if (p->secure)
		zap_make_client(p->sock, &p->keys, p->server_key);
	zmq_connect(p->sock, p->endpoint);
	for (long i = 0; i < n; i++)
		if (zmq_send(p->sock, buf, len, 0) >= 0)
			p->sent++;
	printf("{\"case\": \"flood\", \"sent\": %d}\n", p->sent);
	fflush(stdout);
	if (fgets(l, sizeof l, stdin) == NULL)
		exit(2);
	for (;;) {
		zmq_pollitem_t item = {p->sock, 0, ZMQ_POLLIN, 0};
		zmq_msg_t msg;
		Canvass__Reply *r;
		const char *status = "UNDECODABLE_REPLY";
		if (zmq_poll(&item, 1, p->timeout_ms) <= 0)
			break;
		zmq_msg_init(&msg);
		zmq_msg_recv(&msg, p->sock, 0);
		if (wire_decode_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), 1 << 22, &r) == 0) {
			status = wire_status_name(r->status);
			WIRE_FREE(r);
		}
		zmq_msg_close(&msg);
		json_object_set_new(
			p->replies, status,
			json_integer(json_integer_value(json_object_get(p->replies, status)) + 1));
	}
}

/* n exchanges one after the other; the reply times in ms go into ms. */
static json_t *latency(struct poke *p, const uint8_t *buf, size_t len, long n)
{
	double *ms = calloc((size_t)(n > 0 ? n : 1), sizeof *ms);
	long k = 0;
	json_t *out;

	for (long i = 0; i < n; i++) {
		int64_t t0 = cv_mono_us();
		int before = p->no_reply;
		send_one(p, buf, len);
		if (p->no_reply == before)
			ms[k++] = (double)(cv_mono_us() - t0) / 1000.0;
	}
	qsort(ms, (size_t)k, sizeof *ms, cmp_double);
	out = json_pack("{sf sf sf}", "p50", k ? ms[k / 2] : 0.0, "p99",
			k ? ms[(size_t)((double)k * 0.99) < (size_t)k ? (size_t)((double)k * 0.99)
								      : (size_t)k - 1]
			  : 0.0,
			"max", k ? ms[k - 1] : 0.0);
	free(ms);
	return out;
}

static void run_case(struct poke *p, const char *spec)
{
	char kind[32] = "", a1[4096] = "", a2[4096] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	Canvass__Submission *s = NULL;
	json_t *line, *ms = NULL;
	char *text;

	sscanf(spec, "%31[^:]:%4095[^:]:%4095s", kind, a1, a2);
	p->case_name = kind;
	p->replies = json_object();
	p->codes = json_array();
	p->raw = json_array();
	p->sent = p->no_reply = 0;
	reconnect(p);
	if (strcmp(kind, "valid") == 0 || strcmp(kind, "hold") == 0) {
		s = load(a1);
		pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
		send_one(p, buf, len);
		if (strcmp(kind, "hold") == 0) {
			char l[16], *first = json_dumps(p->replies, JSON_COMPACT);
			printf("{\"case\": \"hold\", \"first\": %s}\n", first);
			free(first);
			fflush(stdout);
			json_object_clear(p->replies);
			if (fgets(l, sizeof l, stdin) == NULL)
				exit(2);
			send_one(p, buf, len);
		}
	} else if (strcmp(kind, "flood") == 0 || strcmp(kind, "latency") == 0) {
		s = load(a2);
		pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
		if (kind[0] == 'f')
			flood(p, buf, len, atol(a1));
		else
			ms = latency(p, buf, len, atol(a1));
	} else if (strcmp(kind, "raw") == 0) {
		char err[512], *bytes;
		if (cv_read_file(a1, 1 << 24, &bytes, &len, err, sizeof err) != 0) {
			fprintf(stderr, "canvass-poke: %s\n", err);
			exit(2);
		}
		buf = (uint8_t *)bytes;
		send_one(p, buf, len);
	} else if (strcmp(kind, "random") == 0) {
		long n = atol(a1);
		srand((unsigned)atol(a2));
		for (long i = 0; i < n; i++) {
			size_t l = 1 + (size_t)rand() % 2048;
			uint8_t *r = malloc(l);
			for (size_t k = 0; k < l; k++)
				r[k] = (uint8_t)rand();
			send_one(p, r, l);
			free(r);
		}
	} else if (strcmp(kind, "truncate") == 0) {
		s = load(a1);
		pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
		for (size_t cut = 0; cut < len; cut++)
			send_one(p, buf, cut);
	} else if (strcmp(kind, "big") == 0) {
		len = (size_t)atol(a1);
		buf = calloc(len, 1);
		buf[0] = 0x08; /* protocol_version 1, then a huge unknown field */
		buf[1] = 0x01;
		send_one(p, buf, len);
	} else if (strcmp(kind, "frames") == 0) {
		int k = atoi(a1);
		const void **parts = calloc((size_t)k, sizeof *parts);
		size_t *lens = calloc((size_t)k, sizeof *lens);
		s = load(a2);
		pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
		for (int i = 0; i < k; i++) {
			parts[i] = buf;
			lens[i] = len;
		}
		exchange(p, parts, lens, k);
		free(parts);
		free(lens);
	} else if (strcmp(kind, "version") == 0) {
		s = load(a2);
		pack_request(s, (uint32_t)atol(a1), &buf, &len);
		send_one(p, buf, len);
	} else if (strcmp(kind, "answers") == 0) {
		s = load(a2);
		add_answers(s, atol(a1), 0);
		pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
		send_one(p, buf, len);
	} else if (strcmp(kind, "duplicate") == 0) {
		Canvass__Answer *copy;
		uint8_t *abuf;
		size_t alen;
		s = load(a1);
		wire_pack(&s->answers[0]->base, &abuf, &alen);
		copy = (Canvass__Answer *)protobuf_c_message_unpack(&canvass__answer__descriptor,
								    NULL, alen, abuf);
		free(abuf);
		s->answers = realloc(s->answers, (s->n_answers + 1) * sizeof *s->answers);
		s->answers[s->n_answers++] = copy;
		pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
		send_one(p, buf, len);
	} else if (strcmp(kind, "string") == 0) {
		s = load(a2);
		add_answers(s, 1, (size_t)atol(a1));
		pack_request(s, WIRE_PROTOCOL_VERSION, &buf, &len);
		send_one(p, buf, len);
	} else {
		fprintf(stderr, "canvass-poke: unknown case %s\n", spec);
		exit(2);
	}
	line = json_pack("{ss si sO si sO sO}", "case", kind, "sent", p->sent, "replies",
			 p->replies, "no_reply", p->no_reply, "codes", p->codes, "raw", p->raw);
	if (ms != NULL)
		json_object_set_new(line, "ms", ms);
	text = json_dumps(line, JSON_COMPACT);
	printf("%s\n", text);
	fflush(stdout);
	free(text);
	json_decref(line);
	json_decref(p->replies);
	json_decref(p->codes);
	json_decref(p->raw);
	free(buf);
	WIRE_FREE(s);
}

int main(int argc, char **argv)
{
	char *endpoint = NULL, *key = NULL, *server_key = NULL, *dump = NULL, err[512];
	long timeout_ms = 2000;
	const struct setting tab[] = {
		{"connect", SET_STRING, &endpoint, 0, 0, "EP", "collector endpoint"},
		{"key", SET_STRING, &key, 0, 0, "FILE", "member key pair"},
		{"server-key", SET_STRING, &server_key, 0, 0, "FILE", "collector public key"},
		{"timeout-ms", SET_LONG, &timeout_ms, 1, 600000, "MS", "wait per reply"},
		{"dump", SET_STRING, &dump, 0, 0, "DIR", "write frames to DIR instead of sending"},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct poke p;
	int next;

	memset(&p, 0, sizeof p);
	if (settings_parse(tab, "poke", argc, argv, &next, err, sizeof err) != 0 ||
	    (!endpoint && !dump)) {
		fprintf(stderr,
			"usage: canvass-poke --connect EP [--key F --server-key F] CASE...\n");
		return 2;
	}
	cv_crypto_init();
	p.endpoint = endpoint;
	p.dump = dump;
	p.timeout_ms = timeout_ms;
	if (key != NULL) {
		if (keys_load_pair(key, &p.keys, err, sizeof err) != 0 ||
		    keys_load_public(server_key, p.server_key, err, sizeof err) != 0) {
			fprintf(stderr, "canvass-poke: %s\n", err);
			return 2;
		}
		p.secure = 1;
	}
	p.zctx = zmq_ctx_new();
	for (int i = next; i < argc; i++)
		run_case(&p, argv[i]);
	if (p.sock)
		zmq_close(p.sock);
	zmq_ctx_term(p.zctx);
	settings_free(tab);
	return 0;
}
