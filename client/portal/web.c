/*
 * The portal's HTTP side: the gates every request passes (portal.h), the
 * routes, and what each does with the form, the drafts and the link.
 */
#include "portal.h"
#include "drafts.h"
#include "error.h"
#include "form.h"
#include "pages.h"
#include "subjson.h"
#include "util.h"
#include "wire.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TOKEN_BYTES 32
#define COOKIE      "canvass_portal"
#define MAX_FIELDS  4096 /* (the refusal of a longer form names it) */

struct portal {
	struct portal_cfg cfg;
	struct MHD_Daemon *mhd;
	char token[2 * TOKEN_BYTES + 1];
	char host[80];   /* what the Host header must say: 127.0.0.1:PORT */
	char origin[96]; /* http://HOST */
};

/* One request's body, gathered as MHD hands it over. */
struct body {
	char *data;
	size_t len;
	bool too_big;
};

/* An answer: an HTML page (or other text) in out, with its status. */
struct answer {
	unsigned status;
	const char *type;
	const char *location;    /* a redirect, or NULL */
	const char *set_cookie;  /* one Set-Cookie header, or NULL */
	const char *disposition; /* Content-Disposition, or NULL */
	char *text;
	size_t len;
};

static enum MHD_Result respond(struct MHD_Connection *c, struct answer *a)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(a->len, a->text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (r == NULL) {
		free(a->text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", a->type ? a->type : "text/html; charset=utf-8");
	/* Nothing from anywhere but here; no framing; no guessing of types. */
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; style-src 'self'; img-src 'self'; "
				"form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (a->location != NULL)
		MHD_add_response_header(r, "Location", a->location);
	if (a->set_cookie != NULL)
		MHD_add_response_header(r, "Set-Cookie", a->set_cookie);
	if (a->disposition != NULL)
		MHD_add_response_header(r, "Content-Disposition", a->disposition);
	ret = MHD_queue_response(c, a->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A page written by fn into the answer. */
#define PAGE(a, call)                                                                              \
	do {                                                                                       \
		FILE *out_ = open_memstream(&(a)->text, &(a)->len);                                \
		if (out_ != NULL) {                                                                \
			FILE *out = out_;                                                          \
			call;                                                                      \
			fclose(out_);                                                              \
		}                                                                                  \
	} while (0)

static void refuse(struct answer *a, unsigned status, enum lang lang, const char *words)
{
	a->status = status;
	PAGE(a, page_refused(out, lang, words));
}

static bool token_ok(const struct portal *p, const char *given)
{
	return given != NULL && strlen(given) == strlen(p->token) &&
	       sodium_memcmp(given, p->token, strlen(p->token)) == 0;
}

/* The gates of portal.h. 0: pass; else a refusal was put in a. */
static int gates(struct portal *p, struct MHD_Connection *c, const char *method, bool *set_cookie,
		 enum lang lang, struct answer *a)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");

	*set_cookie = false;
	if (host == NULL || strcmp(host, p->host) != 0) {
		refuse(a, 403, lang, "Forbidden: this portal answers to its own address only.");
		return -1;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
		refuse(a, 405, lang, "GET and POST only.");
		return -1;
	}
	if (!token_ok(p, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE))) {
		const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
		if (strcmp(method, "GET") != 0 || !token_ok(p, t)) {
			refuse(a, 403, lang, i18n(lang, M_FORBIDDEN));
			return -1;
		}
		*set_cookie = true; /* the printed URL: the cookie from now on */
	}
	if (strcmp(method, "POST") == 0) {
		const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
		const char *referer = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Referer");
		size_t ol = strlen(p->origin);
		bool same = origin != NULL
				    ? strcmp(origin, p->origin) == 0
				    : referer != NULL && strncmp(referer, p->origin, ol) == 0 &&
					      referer[ol] == '/';
		if (!same) {
			refuse(a, 403, lang, "Forbidden: a form of another site cannot post here.");
			return -1;
		}
	}
	return 0;
}

/* Decodes '+' and %XX in place; -1 when the result would hold a NUL byte. */
static int url_decode(char *s)
{
	for (char *c = strchr(s, '+'); c != NULL; c = strchr(c + 1, '+'))
		*c = ' ';
	return MHD_http_unescape(s) == strlen(s) ? 0 : -1;
}

/*
 * The fields of an application/x-www-form-urlencoded body (pointers into
 * body), or -1: more than max fields, or a NUL byte in one. A form is
 * taken whole or not at all.
 */
static long parse_fields(char *body, struct form_field *fields, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *pair = strtok_r(body, "&", &save); pair != NULL;
	     pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (n == max || url_decode(pair) != 0 || url_decode(eq + 1) != 0)
			return -1;
		fields[n].name = pair;
		fields[n].value = eq + 1;
		n++;
	}
	return (long)n;
}

/* The return a request is about (q, c arguments), checked against the schedule. */
static const struct questionnaire *return_of(struct portal *p, struct MHD_Connection *c,
					     const char **cycle)
{
	const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
	*cycle = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "c");
	if (q == NULL || *cycle == NULL ||
	    cycles_state(p->cfg.cycles, q, *cycle, cv_now_ms(), NULL) == CYCLE_UNKNOWN)
		return NULL;
	return qset_latest(p->cfg.qs, q);
}

/* The return's review state from the collector (the caller frees *reply), or NULL. */
static const Canvass__ReturnStatus *state_of(struct portal *p, const char *q, const char *cycle,
					     Canvass__Reply **reply)
{
	const char *detail;
	*reply = NULL;
	if (client_read(p->cfg.client, false, q, cycle, reply, &detail) != 0 || *reply == NULL)
		return NULL;
	for (size_t i = 0; i < (*reply)->n_returns; i++)
		if (strcmp((*reply)->returns[i]->questionnaire, q) == 0 &&
		    strcmp((*reply)->returns[i]->cycle, cycle) == 0)
			return (*reply)->returns[i];
	return NULL;
}

/* The stored submission of (q, cycle) into the form: 0 when there was one. */
static int take_stored(struct portal *p, struct form *f, const char *q, const char *cycle,
		       bool previous)
{
	Canvass__Reply *rep = NULL;
	const char *detail;
	int rc = client_read(p->cfg.client, true, q, cycle, &rep, &detail);
	if (rc == 0 && rep != NULL && rep->status == CANVASS__STATUS__VALID &&
	    rep->submission != NULL)
		rc = previous ? form_take_previous(f, p->cfg.qs, rep->submission)
			      : form_take_submission(f, rep->submission);
	else
		rc = CV_ENOTFOUND;
	WIRE_FREE(rep);
	return rc;
}

/* The form of a return: the draft, else the stored revision, else (asked) the previous cycle's. */
static int load_form(struct portal *p, const struct questionnaire *def, const char *cycle,
		     bool from_previous, struct form **out)
{
	char *text = NULL;
	size_t len;
	int rc = form_new(out, def, cycle, p->cfg.member);

	if (rc != 0)
		return rc;
	if (from_previous) {
		const struct cycle *prev = cycles_previous(p->cfg.cycles, def->id, cycle);
		if (prev != NULL)
			take_stored(p, *out, def->id, prev->cycle, true);
	} else if (drafts_load(p->cfg.drafts, def->id, cycle, &text, &len) == 0) {
		rc = form_take_draft(*out, text, len);
		free(text);
		if (rc != 0)
			return rc;
	} else {
		take_stored(p, *out, def->id, cycle, false);
	}
	return form_conditions(*out); /* which questions apply, also to an empty form */
}

/* The submission a form would send, parsed as the collector will read it. */
static int form_submission(struct form *f, Canvass__Submission **s, char *err, size_t errlen)
{
	char *text = form_submission_json(f);
	int rc;
	if (text == NULL)
		return CV_ENOMEM;
	rc = subjson_parse(text, strlen(text), s, err, errlen);
	free(text);
	return rc;
}

static void returns_page(struct portal *p, enum lang lang, struct answer *a)
{
	Canvass__Reply *rep = NULL;
	const char *detail;
	struct return_row *rows = calloc(p->cfg.cycles->n ? p->cfg.cycles->n : 1, sizeof *rows);
	int64_t now = cv_now_ms();
	size_t n = 0;

	if (rows == NULL) {
		refuse(a, 500, lang, "out of memory");
		return;
	}
	if (client_read(p->cfg.client, false, NULL, NULL, &rep, &detail) != 0)
		rep = NULL;
	for (size_t i = 0; i < p->cfg.cycles->n; i++) {
		const struct cycle *cy = &p->cfg.cycles->items[i];
		const struct questionnaire *def = qset_latest(p->cfg.qs, cy->questionnaire);
		char *text = NULL;
		size_t len;
		if (def == NULL || now < cy->opens_ms || now > cy->closes_ms)
			continue;
		rows[n] = (struct return_row){.def = def, .cycle = cy, .late = now > cy->due_ms};
		for (size_t k = 0; rep != NULL && k < rep->n_returns; k++)
			if (strcmp(rep->returns[k]->questionnaire, def->id) == 0 &&
			    strcmp(rep->returns[k]->cycle, cy->cycle) == 0)
				rows[n].state = rep->returns[k];
		rows[n].draft = drafts_load(p->cfg.drafts, def->id, cy->cycle, &text, &len) == 0;
		free(text);
		n++;
	}
	a->status = 200;
	PAGE(a, page_returns(out, lang, p->cfg.member, rows, n,
			     rep == NULL ? i18n(lang, M_NOT_DELIVERED) : NULL));
	free(rows);
	WIRE_FREE(rep);
}

static void form_page(struct portal *p, struct MHD_Connection *c, enum lang lang, struct body *b,
		      struct answer *a)
{
	const char *cycle, *action = "";
	const struct questionnaire *def = return_of(p, c, &cycle);
	Canvass__Reply *st_rep = NULL, *check = NULL;
	const Canvass__ReturnStatus *st;
	struct form *f = NULL;
	const char *note = NULL;
	char err[512];
	bool from_prev;

	if (def == NULL) {
		refuse(a, 404, lang, "No such questionnaire or cycle.");
		return;
	}
	from_prev = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from") != NULL;
	st = state_of(p, def->id, cycle, &st_rep);
	if (b == NULL) {
		if (load_form(p, def, cycle, from_prev, &f) != 0) {
			refuse(a, 500, lang, "out of memory");
			goto out;
		}
	} else {
		struct form_field *fields = calloc(MAX_FIELDS, sizeof *fields);
		long n = fields ? parse_fields(b->data, fields, MAX_FIELDS) : 0;
		if (n < 0) {
			free(fields);
			refuse(a, 400, lang,
			       "The form could not be read: a field holds a NUL byte (%00), or "
			       "there are more than 4096 fields. Nothing was saved.");
			goto out;
		}
		for (long i = 0; i < n; i++)
			if (strcmp(fields[i].name, "action") == 0)
				action = fields[i].value;
		if (fields == NULL || form_new(&f, def, cycle, p->cfg.member) != 0 ||
		    form_take_post(f, fields, (size_t)n) != 0) {
			free(fields);
			refuse(a, 500, lang, "out of memory");
			goto out;
		}
		free(fields);
		/* Every action keeps what was typed: the draft first. */
		{
			char *draft = form_draft_json(f);
			if (draft == NULL ||
			    drafts_save(p->cfg.drafts, def->id, cycle, draft, err, sizeof err) != 0)
				note = "The draft could not be saved.";
			else if (strcmp(action, "save") == 0)
				note = i18n(lang, M_DRAFT_SAVED);
			free(draft);
		}
		if (strcmp(action, "review") == 0) {
			a->status = 200;
			PAGE(a, page_summary(out, lang, f));
			goto out;
		}
		if (strcmp(action, "check") == 0) {
			Canvass__Submission *s = NULL;
			const char *detail = NULL;
			if (form_submission(f, &s, err, sizeof err) != 0) {
				note = err;
			} else if (client_check(p->cfg.client, s, &check, &detail) != 0) {
				note = i18n(lang, M_NOT_DELIVERED);
			} else if (check->status == CANVASS__STATUS__VALID &&
				   check->n_problems == 0) {
				note = i18n(lang, M_VALID);
			}
			WIRE_FREE(s);
		}
	}
	a->status = 200;
	PAGE(a, page_form(out, lang, f, st, check, note,
			  cycles_previous(p->cfg.cycles, def->id, cycle) != NULL));
out:
	form_free(&f);
	WIRE_FREE(st_rep);
	WIRE_FREE(check);
}

static void send_page(struct portal *p, struct MHD_Connection *c, enum lang lang, struct answer *a)
{
	const char *cycle, *detail = NULL;
	const struct questionnaire *def = return_of(p, c, &cycle);
	Canvass__Submission *s = NULL;
	Canvass__Reply *rep = NULL;
	struct form *f = NULL;
	char *text = NULL, err[512] = "";
	size_t len;
	int rc;

	if (def == NULL) {
		refuse(a, 404, lang, "No such questionnaire or cycle.");
		return;
	}
	/* What is sent is the draft the person reviewed, never anything else. */
	if (form_new(&f, def, cycle, p->cfg.member) != 0 ||
	    drafts_load(p->cfg.drafts, def->id, cycle, &text, &len) != 0 ||
	    form_take_draft(f, text, len) != 0) {
		free(text);
		form_free(&f);
		refuse(a, 409, lang, "Nothing to send: open the form, then \"Review and send\".");
		return;
	}
	free(text);
	rc = form_submission(f, &s, err, sizeof err);
	if (rc == 0)
		rc = client_submit(p->cfg.client, s, &rep, &detail);
	if (rc == 0 && rep != NULL &&
	    (rep->status == CANVASS__STATUS__ACCEPTED || rep->status == CANVASS__STATUS__DUPLICATE))
		drafts_remove(p->cfg.drafts, def->id, cycle); /* stored: the draft has served */
	a->status = 200;
	PAGE(a, page_receipt(out, lang, f, rc, rep, rc != 0 && detail == NULL ? err : detail));
	WIRE_FREE(s);
	WIRE_FREE(rep);
	form_free(&f);
}

static void json_page(struct portal *p, struct MHD_Connection *c, enum lang lang, struct answer *a)
{
	const char *cycle;
	const struct questionnaire *def = return_of(p, c, &cycle);
	struct form *f = NULL;
	char *text;

	if (def == NULL || load_form(p, def, cycle, false, &f) != 0 ||
	    (text = form_submission_json(f)) == NULL) {
		form_free(&f);
		refuse(a, 404, lang, "No such questionnaire or cycle.");
		return;
	}
	a->status = 200;
	a->type = "application/json";
	a->disposition = "attachment; filename=\"submission.json\"";
	a->text = text;
	a->len = strlen(text);
	form_free(&f);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct portal *p = cls;
	struct body *b = *state;
	struct answer a = {.status = 200};
	const char *lang_cookie;
	char set[160];
	enum lang lang;
	bool first_visit;
	(void)version;

	/* A POST's body arrives in pieces: gather it (bounded), answer at the end. */
	if (strcmp(method, "POST") == 0) {
		if (b == NULL) {
			if ((b = calloc(1, sizeof *b)) == NULL)
				return MHD_NO;
			*state = b;
			return MHD_YES;
		}
		if (*upload_len > 0) {
			if (!b->too_big && b->len + *upload_len <= PORTAL_MAX_BODY) {
				char *grown = realloc(b->data, b->len + *upload_len + 1);
				if (grown == NULL)
					return MHD_NO;
				b->data = grown;
				memcpy(b->data + b->len, upload, *upload_len);
				b->len += *upload_len;
				b->data[b->len] = '\0';
			} else {
				b->too_big = true;
			}
			*upload_len = 0;
			return MHD_YES;
		}
	}
	lang_cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "lang");
	lang = lang_cookie != NULL && lang_cookie[0] ? i18n_parse(lang_cookie) : p->cfg.lang;
	if (gates(p, c, method, &first_visit, lang, &a) != 0)
		return respond(c, &a);
	if (b != NULL && b->too_big) {
		refuse(&a, 413, lang, "The form is larger than this portal reads.");
		return respond(c, &a);
	}
	if (first_visit) {
		/* The token leaves the address bar for a cookie no script can read. */
		snprintf(set, sizeof set, COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/",
			 p->token);
		a.set_cookie = set;
		a.status = 303;
		a.location = "/";
		return respond(c, &a);
	}
	if (strcmp(url, "/style.css") == 0) {
		a.type = "text/css; charset=utf-8";
		a.text = strdup(pages_css);
		a.len = a.text ? strlen(a.text) : 0;
	} else if (strcmp(url, "/lang") == 0) {
		const char *l = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "l");
		const char *next = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "next");
		snprintf(set, sizeof set, "lang=%s; SameSite=Strict; Path=/",
			 i18n_code(i18n_parse(l)));
		a.set_cookie = set;
		a.status = 303;
		/* Back to a page of this portal only. */
		a.location = next != NULL && next[0] == '/' && next[1] != '/' ? next : "/";
	} else if (strcmp(url, "/") == 0 && strcmp(method, "GET") == 0) {
		returns_page(p, lang, &a);
	} else if (strcmp(url, "/form") == 0) {
		form_page(p, c, lang, strcmp(method, "POST") == 0 ? b : NULL, &a);
	} else if (strcmp(url, "/send") == 0 && strcmp(method, "POST") == 0) {
		send_page(p, c, lang, &a);
	} else if (strcmp(url, "/json") == 0) {
		json_page(p, c, lang, &a);
	} else {
		refuse(&a, 404, lang, "No such page.");
	}
	if (a.text == NULL) { /* a redirect, or out of memory */
		a.text = strdup("");
		a.len = 0;
	}
	return respond(c, &a);
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
		      enum MHD_RequestTerminationCode toe)
{
	struct body *b = *state;
	(void)cls;
	(void)c;
	(void)toe;
	if (b != NULL) {
		free(b->data);
		free(b);
	}
	*state = NULL;
}

/* Parses "127.0.0.1:0" or "[::1]:8080" into sa; loopback addresses only. */
static int loopback_address(const char *listen, struct sockaddr_storage *sa, socklen_t *len,
			    char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	long port;
	char *end;

	memset(sa, 0, sizeof *sa);
	if (colon == NULL || (size_t)(colon - listen) >= sizeof host)
		return cv_fail(err, errlen, CV_ECONFIG, "%s: HOST:PORT expected", listen);
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535)
		return cv_fail(err, errlen, CV_ECONFIG, "%s: no port", listen);
	snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return cv_fail(err, errlen, CV_ECONFIG,
				       "%s: the portal listens on a loopback address only", listen);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof *s6;
		return 0;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1 ||
		    (ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			return cv_fail(err, errlen, CV_ECONFIG,
				       "%s: the portal listens on a loopback address only", listen);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof *s4;
		return 0;
	}
}

int portal_start(struct portal **out, const struct portal_cfg *cfg, char **url, char *err,
		 size_t errlen)
{
	struct portal *p = calloc(1, sizeof *p);
	struct sockaddr_storage sa;
	socklen_t salen;
	const union MHD_DaemonInfo *info;
	uint8_t raw[TOKEN_BYTES];
	char host[64];
	int rc;

	*out = NULL;
	*url = NULL;
	if (p == NULL)
		return CV_ENOMEM;
	p->cfg = *cfg;
	if ((rc = loopback_address(cfg->listen, &sa, &salen, err, errlen)) != 0) {
		free(p);
		return rc;
	}
	randombytes_buf(raw, sizeof raw);
	cv_hex(raw, sizeof raw, p->token);
	sodium_memzero(raw, sizeof raw);
	p->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0,
		NULL, NULL, handle, p, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_NOTIFY_COMPLETED, completed, p, MHD_OPTION_CONNECTION_LIMIT, 64u,
		MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)64 * 1024, MHD_OPTION_END);
	if (p->mhd == NULL) {
		free(p);
		return cv_fail(err, errlen, CV_ECONFIG, "%s: cannot listen there", cfg->listen);
	}
	info = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (sa.ss_family == AF_INET6)
		snprintf(host, sizeof host, "[::1]");
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
	snprintf(p->host, sizeof p->host, "%s:%u", host, info ? info->port : 0);
	snprintf(p->origin, sizeof p->origin, "http://%s", p->host);
	if ((*url = malloc(strlen(p->origin) + sizeof "/?token=" + sizeof p->token)) == NULL) {
		portal_stop(&p);
		return CV_ENOMEM;
	}
	sprintf(*url, "%s/?token=%s", p->origin, p->token);
	*out = p;
	return 0;
}

void portal_stop(struct portal **pp)
{
	struct portal *p;
	if (pp == NULL || (p = *pp) == NULL)
		return;
	if (p->mhd != NULL)
		MHD_stop_daemon(p->mhd);
	sodium_memzero(p->token, sizeof p->token);
	free(p);
	*pp = NULL;
}
