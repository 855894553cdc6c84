#include "daemon.h"
#include "error.h"
#include "log.h"

#include <stdio.h>

#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <zmq.h>

#include "util.h"
#include <string.h>

static volatile sig_atomic_t *stop_flag;
static volatile sig_atomic_t *reload_flag;

static void on_stop(int sig)
{
	(void)sig;
	if (stop_flag)
		*stop_flag = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	if (reload_flag)
		*reload_flag = 1;
}

void daemon_install_signals(volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	struct sigaction sa;

	stop_flag = stop;
	reload_flag = reload;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = reload ? on_reload : SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int daemon_endpoint_allowed(const char *endpoint, bool insecure, char *err, size_t errlen)
{
	bool ipc = strncmp(endpoint, "ipc://", 6) == 0;
	if (insecure && !ipc)
		return cv_fail(err, errlen, CV_ECONFIG,
			       "%s: plaintext (--insecure) is allowed on ipc:// endpoints only",
			       endpoint);
	return 0;
}

int daemon_start_zap(void *zctx, struct zap **out, char *err, size_t errlen)
{
	const char *off = getenv("CANVASS_TEST_DISABLE_ZAP");
	*out = NULL;
	if (off != NULL && strcmp(off, "1") == 0)
		return 0;
	return zap_start(out, zctx, err, errlen);
}

static int64_t watchdog_every_ms = -1; /* -1: not asked yet; 0: off */
static int64_t watchdog_next_ms;

void daemon_notify_ready(void)
{
	sd_notify(0, "READY=1\nSTATUS=serving");
	daemon_watchdog_tick();
}

void daemon_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void daemon_watchdog_tick(void)
{
	int64_t now;
	if (watchdog_every_ms < 0) {
		uint64_t usec = 0;
		watchdog_every_ms = sd_watchdog_enabled(0, &usec) > 0 ? (int64_t)(usec / 2000) : 0;
		if (watchdog_every_ms == 0 && usec > 0)
			watchdog_every_ms = 1;
	}
	if (watchdog_every_ms == 0)
		return;
	now = cv_mono_ms();
	if (now >= watchdog_next_ms) {
		sd_notify(0, "WATCHDOG=1");
		watchdog_next_ms = now + watchdog_every_ms;
	}
}

static const struct setting *named(const struct setting *tab, const char *name)
{
	for (; tab->name != NULL; tab++)
		if (strcmp(tab->name, name) == 0)
			return tab;
	return NULL;
}

/* What a reload reads again: kept from daemon_setup. */
static struct {
	const char *component;
	int argc;
	char **argv;
	struct settings_shadow *defaults;
} setup_args;

int daemon_setup(const char *program, const char *component, const struct setting *tab,
		 const char *const *required, const char *usage, int argc, char **argv)
{
	const struct setting *lv = named(tab, "log-level");
	const char *level = lv ? *(char **)lv->target : NULL;
	char err[512];
	int next, rc, lvl;

	settings_shadow_free(&setup_args.defaults);
	if (settings_defaults(tab, &setup_args.defaults) != 0) {
		fprintf(stderr, "%s: out of memory\n", program);
		return 1;
	}
	setup_args.component = component;
	setup_args.argc = argc;
	setup_args.argv = argv;
	rc = settings_parse(tab, component, argc, argv, &next, err, sizeof err);
	if (rc == 0 && next < argc)
		rc = cv_fail(err, sizeof err, CV_ECONFIG, "unexpected argument %s", argv[next]);
	for (size_t i = 0; rc == 0 && required[i] != NULL; i++) {
		const struct setting *s = named(tab, required[i]);
		if (s != NULL && s->type == SET_STRING && *(char **)s->target == NULL)
			rc = cv_fail(err, sizeof err, CV_ECONFIG, "--%s is required", required[i]);
	}
	if (rc == 0) {
		level = lv ? *(char **)lv->target : NULL;
		if ((lvl = log_level_parse(level ? level : "info")) < 0)
			rc = cv_fail(err, sizeof err, CV_ECONFIG, "unknown log level %s", level);
	}
	if (rc != 0) {
		FILE *out = rc == SETTINGS_HELP ? stdout : stderr;
		if (rc != SETTINGS_HELP)
			fprintf(stderr, "%s: %s\n", program, err);
		fprintf(out, "usage: %s\n", usage);
		settings_usage(tab, out);
		settings_free(tab);
		settings_shadow_free(&setup_args.defaults);
		return rc == SETTINGS_HELP ? 0 : 2;
	}
	log_init(component, (enum log_level)lvl);
	return -1;
}

static int reload_settings(const struct setting *tab, const char *const *live, char *applied,
			   size_t applied_len, char *ignored, size_t ignored_len, char *err,
			   size_t errlen)
{
	const struct setting *lv = named(tab, "log-level");
	char *old_level = NULL;
	int rc, lvl;

	if (setup_args.defaults == NULL)
		return cv_fail(err, errlen, CV_EINVAL, "daemon_setup was not called");
	/* A bad log level must not be applied: check it on a copy first. */
	if (lv != NULL && *(char **)lv->target != NULL &&
	    (old_level = strdup(*(char **)lv->target)) == NULL)
		return CV_ENOMEM;
	rc = settings_reload(tab, setup_args.defaults, setup_args.component, setup_args.argc,
			     setup_args.argv, live, applied, applied_len, ignored, ignored_len, err,
			     errlen);
	if (rc == 0 && lv != NULL) {
		const char *level = *(char **)lv->target;
		if ((lvl = log_level_parse(level ? level : "info")) < 0) {
			rc = cv_fail(err, errlen, CV_ECONFIG, "unknown log level %s", level);
			free(*(char **)lv->target); /* the old one stays */
			*(char **)lv->target = old_level;
			old_level = NULL;
		} else {
			log_init(setup_args.component, (enum log_level)lvl);
		}
	}
	free(old_level);
	return rc;
}

int daemon_reload(const struct setting *tab, const char *const *live, struct metric *reloads,
		  char *applied, size_t applied_len)
{
	char ignored[512], err[8700], q[9000];

	if (reload_settings(tab, live, applied, applied_len, ignored, sizeof ignored, err,
			    sizeof err) != 0) {
		log_event(LOG_ERROR, "reload_refused",
			  "error=%s msg=\"the configuration file does not parse; nothing changed\"",
			  log_quote(err, q, sizeof q));
		metric_add(reloads, "refused", 1);
		return CV_ECONFIG;
	}
	if (ignored[0] != '\0')
		log_event(LOG_WARN, "reload_ignored",
			  "settings=%s msg=\"changed, but only a restart applies them; the running "
			  "values stay\"",
			  log_quote(ignored, q, sizeof q));
	if (applied[0] == '\0')
		snprintf(applied, applied_len, "none");
	return 0;
}

void daemon_settings_free(const struct setting *tab)
{
	settings_free(tab);
	settings_shadow_free(&setup_args.defaults);
}

const char *daemon_bound_endpoint(void *sock, char *buf, size_t len)
{
	size_t n = len;

	if (len == 0)
		return buf;
	if (sock == NULL || zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, buf, &n) != 0)
		buf[0] = '\0';
	buf[len - 1] = '\0';
	return buf;
}

static int start_http(const struct httpd_cfg *cfg, struct httpd **out)
{
	char err[8700], q[9000], addr[64];
	int rc = httpd_start(out, cfg, err, sizeof err);

	if (rc != 0) {
		log_event(LOG_ERROR, "http_failed", "error=%s", log_quote(err, q, sizeof q));
		return rc;
	}
	log_event(LOG_INFO, "http_listening", "http=%s",
		  log_quote(httpd_address(*out, addr, sizeof addr), q, sizeof q));
	return 0;
}

int daemon_observe(const char *component, const struct daemon_http *h, struct metrics **metrics,
		   struct metric **reloads, struct httpd **out)
{
	char name[96];
	int rc;

	if (metrics_new(metrics) != 0)
		return 1;
	metric_set(metrics_gauge(*metrics, "process_start_time_seconds",
				 "Start time of the process since the Unix epoch", NULL),
		   NULL, (double)cv_now_ms() / 1000);
	metrics_process(*metrics, component);
	snprintf(name, sizeof name, "canvass_%s_reloads_total", component);
	*reloads = metrics_counter(*metrics, name, "SIGHUP reloads of the configuration, by result",
				   "result");
	metric_touch(*reloads, "ok");
	metric_touch(*reloads, "refused");
	if (h->listen != NULL) {
		struct httpd_cfg cfg = {.listen = h->listen,
					.metrics = *metrics,
					.health_window_ms = h->health_window * 1000,
					.health_threshold = h->health_threshold,
					.auth_file = h->auth,
					.tls_cert = h->tls_cert,
					.tls_key = h->tls_key};
		if ((rc = start_http(&cfg, out)) != 0)
			return rc == CV_ECONFIG ? DAEMON_EXIT_CONFIG : 1;
	} else if (h->auth != NULL || h->tls_cert != NULL) {
		log_event(LOG_ERROR, "http_failed", "error=\"http-auth and http-tls-* need http\"");
		return DAEMON_EXIT_CONFIG;
	}
	return 0;
}
