#include "httpd.h"
#include "error.h"
#include "util.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_RING 4096

struct httpd {
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

static int parse_listen(const char *s, struct sockaddr_in *sa, char *err, size_t errlen)
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
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 ||
	    (ntohl(sa->sin_addr.s_addr) >> 24) != 127)
		return cv_fail(err, errlen, CV_ECONFIG,
			       "http: \"%s\" is not a loopback address (127.0.0.0/8)", host);
	return 0;
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
	if ((rc = parse_listen(cfg->listen, &sa, err, errlen)) != 0)
		return rc;
	h = calloc(1, sizeof *h);
	if (h == NULL)
		return CV_ENOMEM;
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
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, ntohs(sa.sin_port), NULL, NULL,
				  handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_CONNECTION_TIMEOUT,
				  10u, MHD_OPTION_END);
	if (h->mhd == NULL) {
		pthread_mutex_destroy(&h->lock);
		free(h);
		return cv_fail(err, errlen, CV_EIO, "http: cannot listen on %s", cfg->listen);
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
	free(*hp);
	*hp = NULL;
}
