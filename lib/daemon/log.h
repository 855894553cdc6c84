/*
 * log.h - one line per event on stderr, in logfmt:
 *   ts=2026-11-27T19:50:00.123Z level=info component=aggregator event=started k=v ...
 *
 * Only daemons and command-line tools log; library code returns errors.
 * Callers never pass answer values or secret keys. Values given through
 * log_kv_str() are quoted and escaped as logfmt requires.
 */
#ifndef CANVASS_LOG_H
#define CANVASS_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* component is borrowed and must outlive logging. */
void log_init(const char *component, enum log_level min);
/* Parses "debug", "info", "warn", "error"; returns -1 when unknown. */
int log_level_parse(const char *s);

/*
 * Logs event with extra fields given as printf format fmt (already in
 * key=value form; string values that may hold spaces go through %s of a
 * buffer filled by log_quote()).
 */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A repeated event (one per failed batch, say) logged at most once per
 * interval_ms: the others are counted, and the next line logged says how
 * many were left out (suppressed=N). now_ms: a monotonic clock (cv_mono_ms).
 * The caller keeps the state, one per event, zeroed.
 */
struct log_limit {
	int64_t last_ms;
	unsigned long suppressed;
	int logged; /* at least one line so far */
};
void log_limited(struct log_limit *lim, int64_t now_ms, long interval_ms, enum log_level level,
		 const char *event, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Quotes s for a logfmt value into out (always NUL-terminated). */
const char *log_quote(const char *s, char *out, size_t outlen);

#endif
