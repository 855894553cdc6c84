/*
 * metrics.h - counters, gauges and histograms in the Prometheus text
 * exposition format (version 0.0.4), for the daemons' /metrics endpoint.
 *
 * Families are registered once at start-up; a family has at most one label,
 * whose values are created on first use, up to METRICS_MAX_SERIES per family
 * (later values are counted under "other": no unbounded labels). All calls
 * are thread-safe: the event loop updates, the HTTP thread renders.
 */
#ifndef CANVASS_METRICS_H
#define CANVASS_METRICS_H

#include <stddef.h>

#define METRICS_MAX_SERIES 48

struct metrics;
struct metric;

int metrics_new(struct metrics **out);
void metrics_free(struct metrics **m);

/* label may be NULL for a family without a label: its one series is exported
 * (at 0) from the start. Returns NULL on ENOMEM. */
struct metric *metrics_counter(struct metrics *m, const char *name, const char *help,
			       const char *label);
struct metric *metrics_gauge(struct metrics *m, const char *name, const char *help,
			     const char *label);
/* bounds: upper bounds in ascending order (seconds, bytes...); +Inf is added. */
struct metric *metrics_histogram(struct metrics *m, const char *name, const char *help,
				 const double *bounds, size_t n_bounds);

/* value: the label's value, or NULL for a family without a label. */
void metric_add(struct metric *c, const char *value, double x);
void metric_set(struct metric *g, const char *value, double x);
void metric_observe(struct metric *h, double x);
/* Creates a labelled series at 0, so that it is exported before its first event. */
void metric_touch(struct metric *c, const char *value);

/*
 * Adds, at every render, the process_* metrics Prometheus's client libraries
 * export (CPU seconds, resident and virtual memory, open and maximum
 * descriptors; read from /proc) and canvass_build_info{component, version,
 * commit} 1. process_start_time_seconds is the daemon's own gauge.
 */
void metrics_process(struct metrics *m, const char *component);

/* The exposition text (caller frees). */
int metrics_render(struct metrics *m, char **out, size_t *len);

#endif
