#include "httpd.h"
#include "error.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sodium.h>
#include <stdint.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_RING 4096
#define AUTH_MAX    64

struct auth_user {
	char name[64];
	uint8_t hash[CV_HASH_LEN]; /* SHA-256 of the password */
};

struct httpd {
	struct auth_user *users; /* NULL: no authentication */
	size_t n_users;
	char *tls_cert, *tls_key; /* PEM, kept while the daemon runs */
	struct MHD_Daemon *mhd;
	struct metrics *metrics;
	struct metric *m_health, *m_ready; /* what /health and /ready answer, as gauges */
	pthread_mutex_t lock;
	bool ready;
	long window_ms, threshold;
	int64_t errors[HEALTH_RING]; /* monotonic ms of recent errors, a ring */
	size_t next;
	char host[INET_ADDRSTRLEN];
};

static int parse_listen(const char *s, bool any_address, struct sockaddr_in *sa, char *err,
			size_t errlen)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	long port;
	char *end;

	if (colon == NULL || (size_t)(colon - s) >= sizeof host)
		return cv_fail(err, errlen, CV_ECONFIG, "http: \"%s\" is not HOST:PORT", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	/* Port 0: the kernel picks a free one; httpd_address() tells which. */
	if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535)
		return cv_fail(err, errlen, CV_ECONFIG, "http: bad port in \"%s\"", s);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return cv_fail(err, errlen, CV_ECONFIG, "http: \"%s\" is not an IPv4 address",
			       host);
	if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127 && !any_address)
		return cv_fail(err, errlen, CV_ECONFIG,
			       "http: \"%s\" is not a loopback address (127.0.0.0/8); another "
			       "address needs http-auth and http-tls-cert with http-tls-key",
			       host);
	return 0;
}

/* USER:SHA256HEX lines (# comments and blank lines skipped). */
static int load_auth(const char *path, struct httpd *h, char *err, size_t errlen)
{
	char *text = NULL, *line, *save = NULL;
	size_t len, lineno = 0;
	int rc;

	if ((rc = cv_read_file(path, 1 << 20, &text, &len, err, errlen)) != 0)
		return rc;
	h->users = calloc(AUTH_MAX, sizeof *h->users);
	if (h->users == NULL) {
		free(text);
		return CV_ENOMEM;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *hex;
		struct auth_user *u;
		size_t nl, k;
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		hex = colon != NULL ? colon + 1 : NULL;
		nl = colon != NULL ? (size_t)(colon - line) : 0;
		if (hex != NULL && strlen(hex) > 0 && hex[strlen(hex) - 1] == '\r')
			hex[strlen(hex) - 1] = '\0';
		if (colon == NULL || nl == 0 || nl >= sizeof u->name ||
		    strlen(hex) != 2 * CV_HASH_LEN || h->n_users == AUTH_MAX) {
			free(text);
			return cv_fail(
				err, errlen, CV_ECONFIG,
				"%s: line %zu: expected USER:SHA256HEX (64 hex digits of the "
				"password's SHA-256; at most %d users)",
				path, lineno, AUTH_MAX);
		}
		u = &h->users[h->n_users];
		memcpy(u->name, line, nl);
		u->name[nl] = '\0';
		for (k = 0; k < CV_HASH_LEN; k++) {
			unsigned v;
			if (sscanf(hex + 2 * k, "%2x", &v) != 1 ||
			    !isxdigit((unsigned char)hex[2 * k]) ||
			    !isxdigit((unsigned char)hex[2 * k + 1]))
				break;
			u->hash[k] = (uint8_t)v;
		}
		if (k != CV_HASH_LEN) {
			free(text);
			return cv_fail(err, errlen, CV_ECONFIG, "%s: line %zu: not hexadecimal",
				       path, lineno);
		}
		h->n_users++;
	}
	free(text);
	if (h->n_users == 0)
		return cv_fail(err, errlen, CV_ECONFIG, "%s: no user", path);
	return 0;
}

/* Does the request carry a listed user and its password? */
static bool authorized(struct httpd *h, struct MHD_Connection *c)
{
	char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
	bool ok = false;

	if (user != NULL && pass != NULL) {
		uint8_t hash[CV_HASH_LEN];
		cv_sha256(pass, strlen(pass), hash);
		for (size_t i = 0; i < h->n_users; i++)
			ok |= strcmp(h->users[i].name, user) == 0 &&
			      sodium_memcmp(h->users[i].hash, hash, CV_HASH_LEN) == 0;
		sodium_memzero(pass, strlen(pass));
	}
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static size_t recent_errors(struct httpd *h)
{
	int64_t since = cv_mono_ms() - h->window_ms;
	size_t n = 0;
	for (size_t i = 0; i < HEALTH_RING; i++)
		n += h->errors[i] != 0 && h->errors[i] >= since;
	return n;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type, char *body,
			     size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	struct httpd *h = cls;
	char text[160];
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;

	if (h->users != NULL && !authorized(h, c)) {
		static const char denied[] = "authentication required\n";
		struct MHD_Response *r = MHD_create_response_from_buffer(
			sizeof denied - 1, (void *)(uintptr_t)denied, MHD_RESPMEM_PERSISTENT);
		enum MHD_Result ret;
		if (r == NULL)
			return MHD_NO;
		ret = MHD_queue_basic_auth_fail_response(c, "canvass", r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, 405, "text/plain", (char *)"GET only\n", 9, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") == 0) {
		char *body;
		size_t len;
		bool ready;
		size_t n;
		pthread_mutex_lock(&h->lock);
		n = recent_errors(h);
		ready = h->ready;
		pthread_mutex_unlock(&h->lock);
		metric_set(h->m_health, NULL, (long)n >= h->threshold ? 0 : 1);
		metric_set(h->m_ready, NULL, ready ? 1 : 0);
		if (metrics_render(h->metrics, &body, &len) != 0)
			return reply(c, 500, "text/plain", (char *)"out of memory\n", 14,
				     MHD_RESPMEM_PERSISTENT);
		return reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", body, len,
			     MHD_RESPMEM_MUST_FREE);
	}
	if (strcmp(url, "/health") == 0) {
		size_t n;
		unsigned code;
		pthread_mutex_lock(&h->lock);
		n = recent_errors(h);
		pthread_mutex_unlock(&h->lock);
		code = (long)n >= h->threshold ? 500 : 200;
		snprintf(text, sizeof text, "%s: %zu errors in the last %ld s (threshold %ld)\n",
			 code == 200 ? "ok" : "unhealthy", n, h->window_ms / 1000, h->threshold);
		return reply(c, code, "text/plain", text, strlen(text), MHD_RESPMEM_MUST_COPY);
	}
	if (strcmp(url, "/ready") == 0) {
		bool ready;
		pthread_mutex_lock(&h->lock);
		ready = h->ready;
		pthread_mutex_unlock(&h->lock);
		return ready ? reply(c, 200, "text/plain", (char *)"ready\n", 6,
				     MHD_RESPMEM_PERSISTENT)
			     : reply(c, 503, "text/plain", (char *)"not ready\n", 10,
				     MHD_RESPMEM_PERSISTENT);
	}
	return reply(c, 404, "text/plain", (char *)"not found: /metrics /health /ready\n", 35,
		     MHD_RESPMEM_PERSISTENT);
}

int httpd_start(struct httpd **out, const struct httpd_cfg *cfg, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	struct httpd *h;
	int rc;

	*out = NULL;
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return cv_fail(err, errlen, CV_ECONFIG,
			       "http: http-tls-cert and http-tls-key go together");
	if ((rc = parse_listen(cfg->listen, cfg->auth_file != NULL && cfg->tls_cert != NULL, &sa,
			       err, errlen)) != 0)
		return rc;
	h = calloc(1, sizeof *h);
	if (h == NULL)
		return CV_ENOMEM;
	if ((cfg->auth_file != NULL && (rc = load_auth(cfg->auth_file, h, err, errlen)) != 0) ||
	    (cfg->tls_cert != NULL && ((rc = cv_read_file(cfg->tls_cert, 1 << 20, &h->tls_cert,
							  &(size_t){0}, err, errlen)) != 0 ||
				       (rc = cv_read_file(cfg->tls_key, 1 << 20, &h->tls_key,
							  &(size_t){0}, err, errlen)) != 0))) {
		free(h->users);
		free(h->tls_cert);
		free(h->tls_key);
		free(h);
		return rc;
	}
	pthread_mutex_init(&h->lock, NULL);
	inet_ntop(AF_INET, &sa.sin_addr, h->host, sizeof h->host);
	h->metrics = cfg->metrics;
	if (h->metrics != NULL) {
		h->m_health =
			metrics_gauge(h->metrics, "canvass_health_ok",
				      "1 while /health answers 200, 0 while it answers 500", NULL);
		h->m_ready = metrics_gauge(h->metrics, "canvass_ready",
					   "1 while /ready answers 200 (serving)", NULL);
	}
	h->window_ms = cfg->health_window_ms > 0 ? cfg->health_window_ms : 60000;
	h->threshold = cfg->health_threshold > 0 ? cfg->health_threshold : 1;
	if (h->tls_cert != NULL)
		h->mhd = MHD_start_daemon(
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, ntohs(sa.sin_port), NULL,
			NULL, handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			MHD_OPTION_HTTPS_MEM_KEY, h->tls_key, MHD_OPTION_HTTPS_MEM_CERT,
			h->tls_cert, MHD_OPTION_END);
	else
		h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, ntohs(sa.sin_port), NULL,
					  NULL, handle, h, MHD_OPTION_SOCK_ADDR,
					  (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, 32u,
					  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (h->mhd == NULL) {
		pthread_mutex_destroy(&h->lock);
		free(h->users);
		free(h->tls_cert);
		if (h->tls_key != NULL)
			sodium_memzero(h->tls_key, strlen(h->tls_key));
		free(h->tls_key);
		free(h);
		return cv_fail(err, errlen, CV_EIO,
			       "http: cannot listen on %s (or the TLS certificate and key do not "
			       "load)",
			       cfg->listen);
	}
	*out = h;
	return 0;
}

const char *httpd_address(const struct httpd *h, char *buf, size_t len)
{
	const union MHD_DaemonInfo *info;

	if (h == NULL)
		return "";
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(buf, len, "%s:%u", h->host, info != NULL ? (unsigned)info->port : 0u);
	return buf;
}

void httpd_set_health(struct httpd *h, long window_ms, long threshold)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->window_ms = window_ms > 0 ? window_ms : h->window_ms;
	h->threshold = threshold > 0 ? threshold : h->threshold;
	pthread_mutex_unlock(&h->lock);
}

void httpd_set_ready(struct httpd *h, bool ready)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->ready = ready;
	pthread_mutex_unlock(&h->lock);
}

void httpd_record_error(struct httpd *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->errors[h->next] = cv_mono_ms();
	h->next = (h->next + 1) % HEALTH_RING;
	pthread_mutex_unlock(&h->lock);
}

void httpd_stop(struct httpd **hp)
{
	if (hp == NULL || *hp == NULL)
		return;
	MHD_stop_daemon((*hp)->mhd);
	pthread_mutex_destroy(&(*hp)->lock);
	free((*hp)->users);
	free((*hp)->tls_cert);
	if ((*hp)->tls_key != NULL) /* a secret */
		sodium_memzero((*hp)->tls_key, strlen((*hp)->tls_key));
	free((*hp)->tls_key);
	free(*hp);
	*hp = NULL;
}
