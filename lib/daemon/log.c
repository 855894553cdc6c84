#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_component = "canvass";
static enum log_level log_min = LOG_INFO;

void log_init(const char *component, enum log_level min)
{
	log_component = component;
	log_min = min;
}

int log_level_parse(const char *s)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *log_quote(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	if (outlen < 3) {
		if (outlen)
			out[0] = '\0';
		return out;
	}
	out[o++] = '"';
	for (; *s && o + 3 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			out[o++] = ' ';
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

static void vlog(enum log_level level, const char *event, unsigned long suppressed, const char *fmt,
		 va_list ap) __attribute__((format(printf, 4, 0)));

static void vlog(enum log_level level, const char *event, unsigned long suppressed, const char *fmt,
		 va_list ap)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	char line[2048], ts[32];
	struct timespec now;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof line, "ts=%s.%03ldZ level=%s component=%s event=%s", ts,
		     now.tv_nsec / 1000000, names[level], log_component, event);
	if (fmt != NULL && fmt[0] != '\0' && n > 0 && (size_t)n < sizeof line - 1) {
		line[n++] = ' ';
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	}
	if (suppressed > 0) {
		size_t len = strlen(line);
		snprintf(line + len, sizeof line - len, " suppressed=%lu", suppressed);
	}
	fprintf(stderr, "%s\n", line);
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	vlog(level, event, 0, fmt, ap);
	va_end(ap);
}

void log_limited(struct log_limit *lim, int64_t now_ms, long interval_ms, enum log_level level,
		 const char *event, const char *fmt, ...)
{
	va_list ap;

	if (level < log_min)
		return;
	if (lim->logged && now_ms - lim->last_ms < interval_ms) {
		lim->suppressed++;
		return;
	}
	va_start(ap, fmt);
	vlog(level, event, lim->suppressed, fmt, ap);
	va_end(ap);
	lim->logged = 1;
	lim->last_ms = now_ms;
	lim->suppressed = 0;
}
