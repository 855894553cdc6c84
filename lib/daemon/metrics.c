#include "metrics.h"
#include "error.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util.h"

enum kind { COUNTER, GAUGE, HISTOGRAM };

struct series {
	char *label_value; /* NULL: the family has no label */
	double value;
};

struct metric {
	struct metrics *owner;
	enum kind kind;
	char *name, *help, *label;
	struct series series[METRICS_MAX_SERIES + 1];
	size_t n_series;
	/* histogram */
	double *bounds;
	unsigned long long *buckets; /* cumulative at render */
	size_t n_bounds;
	double sum;
	unsigned long long count;
	struct metric *next;
};

struct metrics {
	pthread_mutex_t lock;
	struct metric *first, *last;
	char *component; /* metrics_process: process_* and canvass_build_info */
};

int metrics_new(struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof *m);
	if (m == NULL)
		return CV_ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return 0;
}

void metrics_free(struct metrics **mp)
{
	struct metric *f, *next;
	if (mp == NULL || *mp == NULL)
		return;
	for (f = (*mp)->first; f != NULL; f = next) {
		next = f->next;
		for (size_t i = 0; i < f->n_series; i++)
			free(f->series[i].label_value);
		free(f->name);
		free(f->help);
		free(f->label);
		free(f->bounds);
		free(f->buckets);
		free(f);
	}
	pthread_mutex_destroy(&(*mp)->lock);
	free((*mp)->component);
	free(*mp);
	*mp = NULL;
}

static struct metric *add_family(struct metrics *m, enum kind kind, const char *name,
				 const char *help, const char *label)
{
	struct metric *f = calloc(1, sizeof *f);
	if (f == NULL)
		return NULL;
	f->owner = m;
	f->kind = kind;
	f->name = strdup(name);
	f->help = strdup(help);
	f->label = label ? strdup(label) : NULL;
	/* A family without a label is one series, exported at 0 from the start. */
	if (label == NULL && kind != HISTOGRAM)
		f->n_series = 1;
	if (f->name == NULL || f->help == NULL || (label && f->label == NULL)) {
		free(f->name);
		free(f->help);
		free(f->label);
		free(f);
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	if (m->last)
		m->last->next = f;
	else
		m->first = f;
	m->last = f;
	pthread_mutex_unlock(&m->lock);
	return f;
}

struct metric *metrics_counter(struct metrics *m, const char *name, const char *help,
			       const char *label)
{
	return add_family(m, COUNTER, name, help, label);
}

struct metric *metrics_gauge(struct metrics *m, const char *name, const char *help,
			     const char *label)
{
	return add_family(m, GAUGE, name, help, label);
}

struct metric *metrics_histogram(struct metrics *m, const char *name, const char *help,
				 const double *bounds, size_t n_bounds)
{
	struct metric *f = add_family(m, HISTOGRAM, name, help, NULL);
	if (f == NULL)
		return NULL;
	f->bounds = malloc(n_bounds * sizeof *f->bounds);
	f->buckets = calloc(n_bounds + 1, sizeof *f->buckets);
	if (f->bounds == NULL || f->buckets == NULL)
		return NULL; /* owned by the registry; freed with it */
	memcpy(f->bounds, bounds, n_bounds * sizeof *bounds);
	f->n_bounds = n_bounds;
	return f;
}

/* The series for value; called with the lock held. */
static struct series *find(struct metric *f, const char *value)
{
	for (size_t i = 0; i < f->n_series; i++) {
		const char *v = f->series[i].label_value;
		if ((v == NULL && value == NULL) || (v && value && strcmp(v, value) == 0))
			return &f->series[i];
	}
	if (f->n_series == METRICS_MAX_SERIES) {
		/* Bounded: everything further is "other". */
		for (size_t i = 0; i < f->n_series; i++)
			if (f->series[i].label_value &&
			    strcmp(f->series[i].label_value, "other") == 0)
				return &f->series[i];
		value = "other";
		if (f->n_series > METRICS_MAX_SERIES)
			return &f->series[0];
	}
	f->series[f->n_series].label_value = value ? strdup(value) : NULL;
	f->series[f->n_series].value = 0;
	return &f->series[f->n_series++];
}

void metric_add(struct metric *f, const char *value, double x)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->owner->lock);
	find(f, value)->value += x;
	pthread_mutex_unlock(&f->owner->lock);
}

void metric_set(struct metric *f, const char *value, double x)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->owner->lock);
	find(f, value)->value = x;
	pthread_mutex_unlock(&f->owner->lock);
}

void metric_touch(struct metric *f, const char *value)
{
	metric_add(f, value, 0);
}

void metric_observe(struct metric *f, double x)
{
	size_t i;
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->owner->lock);
	for (i = 0; i < f->n_bounds && x > f->bounds[i]; i++)
		;
	f->buckets[i]++;
	f->sum += x;
	f->count++;
	pthread_mutex_unlock(&f->owner->lock);
}

/* Growable output buffer. */
struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t ncap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
			char *np = realloc(b->p, ncap);
			if (np == NULL) {
				b->failed = 1;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

static void number(struct buf *b, double x)
{
	char text[40];

	if (isnan(x))
		put(b, "NaN");
	else if (isinf(x))
		put(b, x > 0 ? "+Inf" : "-Inf");
	else if (x == (double)(long long)x && x < 1e15 && x > -1e15)
		put(b, "%lld", (long long)x);
	else /* the shortest form that reads back as x: 0.00025, not 0.00025000000000000001 */
		put(b, "%s", cv_format_double(x, text, sizeof text));
}

static void family(struct buf *b, const char *name, const char *kind, const char *help, double x)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n%s ", name, help, name, kind, name);
	number(b, x);
	put(b, "\n");
}

/* The process_* metrics of Prometheus's client libraries, read from /proc. */
static void process_metrics(struct buf *b, const char *component)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long utime = 0, stime = 0, vsize = 0;
	long rss = 0, open_fds = 0;
	struct rlimit rl;
	char stat[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	DIR *d;

	if (f != NULL) {
		size_t n = fread(stat, 1, sizeof stat - 1, f);
		char *p;
		stat[n] = '\0';
		fclose(f);
		/* After the command's closing parenthesis: fields 3 on; utime is 14. */
		p = strrchr(stat, ')');
		if (p != NULL)
			sscanf(p + 2,
			       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d "
			       "%*d "
			       "%*d %*d %*u %lu %ld",
			       &utime, &stime, &vsize, &rss);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			open_fds += e->d_name[0] != '.';
		closedir(d);
		open_fds--; /* the directory's own descriptor */
	}
	family(b, "process_cpu_seconds_total", "counter", "User and system CPU time spent, seconds",
	       ticks > 0 ? (double)(utime + stime) / (double)ticks : 0);
	family(b, "process_resident_memory_bytes", "gauge", "Resident memory size, bytes",
	       (double)rss * (double)page);
	family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size, bytes",
	       (double)vsize);
	family(b, "process_open_fds", "gauge", "Open file descriptors", (double)open_fds);
	family(b, "process_max_fds", "gauge", "Limit of open file descriptors",
	       getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
		       ? (double)rl.rlim_cur
		       : -1);
	put(b,
	    "# HELP canvass_build_info The canvass version and commit of this process\n"
	    "# TYPE canvass_build_info gauge\n"
	    "canvass_build_info{component=\"%s\",version=\"%s\",commit=\"%s\"} 1\n",
	    component, cv_version(), cv_commit());
}

void metrics_process(struct metrics *m, const char *component)
{
	pthread_mutex_lock(&m->lock);
	free(m->component);
	m->component = strdup(component);
	pthread_mutex_unlock(&m->lock);
}

int metrics_render(struct metrics *m, char **out, size_t *len)
{
	static const char *const kinds[] = {"counter", "gauge", "histogram"};
	struct buf b = {0};

	pthread_mutex_lock(&m->lock);
	for (struct metric *f = m->first; f != NULL; f = f->next) {
		put(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, kinds[f->kind]);
		if (f->kind == HISTOGRAM) {
			unsigned long long cum = 0;
			for (size_t i = 0; i <= f->n_bounds; i++) {
				cum += f->buckets[i];
				if (i < f->n_bounds) {
					put(&b, "%s_bucket{le=\"", f->name);
					number(&b, f->bounds[i]);
					put(&b, "\"} %llu\n", cum);
				} else {
					put(&b, "%s_bucket{le=\"+Inf\"} %llu\n", f->name, cum);
				}
			}
			put(&b, "%s_sum ", f->name);
			number(&b, f->sum);
			put(&b, "\n%s_count %llu\n", f->name, f->count);
			continue;
		}
		for (size_t i = 0; i < f->n_series; i++) {
			if (f->label && f->series[i].label_value)
				put(&b, "%s{%s=\"%s\"} ", f->name, f->label,
				    f->series[i].label_value);
			else
				put(&b, "%s ", f->name);
			number(&b, f->series[i].value);
			put(&b, "\n");
		}
	}
	if (m->component != NULL)
		process_metrics(&b, m->component);
	pthread_mutex_unlock(&m->lock);
	if (b.failed) {
		free(b.p);
		return CV_ENOMEM;
	}
	*out = b.p ? b.p : strdup("");
	*len = b.len;
	return *out ? 0 : CV_ENOMEM;
}
