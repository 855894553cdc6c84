#include "checks.h"
#include "canon.h"
#include "error.h"
#include "log.h"
#include "quality.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_BUCKETS 1024

/* Numbers kept sorted ascending. */
struct vec {
	double *v;
	size_t n, cap;
};

/* One member's current number in a group, and the region it was counted in. */
struct gmember {
	char code[REGISTRY_MAX_CODE + 1];
	double value;
	long region; /* index into the registry's regions; -1: none */
};

/* Every member's current number for one (questionnaire, cycle, question). */
struct group {
	struct group *next;
	char *key; /* questionnaire \0 cycle \0 question */
	size_t key_len;
	bool loaded;
	struct gmember *m; /* sorted by code */
	size_t n, cap;
	struct vec world;
	struct vec *regions; /* one per registry region */
	size_t n_regions;
};

struct checks {
	struct group *buckets[N_BUCKETS];
	const struct registry *reg;
	size_t groups, values;
	uint64_t generation; /* counts the drops: plans of an older one are stale */
};

int checks_open(struct checks **out)
{
	*out = calloc(1, sizeof **out);
	return *out != NULL ? 0 : CV_ENOMEM;
}

static void group_free(struct group *g)
{
	free(g->key);
	free(g->m);
	free(g->world.v);
	for (size_t i = 0; i < g->n_regions; i++)
		free(g->regions[i].v);
	free(g->regions);
	free(g);
}

static void drop_all(struct checks *c)
{
	for (size_t b = 0; b < N_BUCKETS; b++) {
		while (c->buckets[b] != NULL) {
			struct group *g = c->buckets[b];
			c->buckets[b] = g->next;
			group_free(g);
		}
	}
	c->groups = c->values = 0;
	c->generation++;
}

void checks_close(struct checks **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	drop_all(*cp);
	free(*cp);
	*cp = NULL;
}

void checks_set_registry(struct checks *c, const struct registry *reg)
{
	drop_all(c);
	c->reg = reg;
}

void checks_size(const struct checks *c, size_t *groups, size_t *values)
{
	*groups = c->groups;
	*values = c->values;
}

/* questionnaire \0 cycle \0 question; 0 when it does not fit (no snprintf: a hot path). */
static size_t make_key(char *buf, size_t cap, const char *q, const char *cycle,
		       const char *question)
{
	size_t lq = strlen(q), lc = strlen(cycle), ln = strlen(question);
	if (lq + lc + ln + 2 > cap)
		return 0;
	memcpy(buf, q, lq);
	buf[lq] = '\0';
	memcpy(buf + lq + 1, cycle, lc);
	buf[lq + 1 + lc] = '\0';
	memcpy(buf + lq + lc + 2, question, ln);
	return lq + lc + ln + 2;
}

static size_t hash(const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)key[i]) * 1099511628211ull;
	return (size_t)(h % N_BUCKETS);
}

static struct group *find(struct checks *c, const char *q, const char *cycle, const char *question,
			  bool create)
{
	char key[512];
	size_t len = make_key(key, sizeof key, q, cycle, question), b;
	struct group *g;

	if (len == 0)
		return NULL;
	b = hash(key, len);
	for (g = c->buckets[b]; g != NULL; g = g->next)
		if (g->key_len == len && memcmp(g->key, key, len) == 0)
			return g;
	if (!create || (g = calloc(1, sizeof *g)) == NULL)
		return NULL;
	g->n_regions = c->reg != NULL ? c->reg->n_regions : 0;
	if ((g->key = malloc(len)) == NULL ||
	    (g->n_regions > 0 && (g->regions = calloc(g->n_regions, sizeof *g->regions)) == NULL)) {
		group_free(g);
		return NULL;
	}
	memcpy(g->key, key, len);
	g->key_len = len;
	g->next = c->buckets[b];
	c->buckets[b] = g;
	c->groups++;
	return g;
}

static long member_region(const struct checks *c, const char *code)
{
	const struct member *m = c->reg != NULL ? registry_find(c->reg, code) : NULL;
	return m != NULL ? (long)m->region_index : -1;
}

/* Index of code in g, or where it would go (*found false). */
static size_t member_at(const struct group *g, const char *code, bool *found)
{
	size_t lo = 0, hi = g->n;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int k = strcmp(code, g->m[mid].code);
		if (k == 0) {
			*found = true;
			return mid;
		}
		if (k < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static struct vec *region_vec(struct group *g, long region)
{
	return region >= 0 && (size_t)region < g->n_regions ? &g->regions[region] : NULL;
}

static void unset(struct checks *c, struct group *g, const char *code)
{
	bool found;
	size_t i = member_at(g, code, &found);
	struct vec *rv;

	if (!found)
		return;
	quality_sorted_remove(g->world.v, &g->world.n, g->m[i].value);
	if ((rv = region_vec(g, g->m[i].region)) != NULL)
		quality_sorted_remove(rv->v, &rv->n, g->m[i].value);
	memmove(&g->m[i], &g->m[i + 1], (g->n - i - 1) * sizeof *g->m);
	g->n--;
	c->values--;
}

/* A revision of member i of g: it stays where it is; its number moves to x in the sorted groups. */
static void move_value(struct group *g, size_t i, double x)
{
	struct vec *rv = region_vec(g, g->m[i].region);
	quality_sorted_replace(g->world.v, g->world.n, g->m[i].value, x);
	if (rv != NULL)
		quality_sorted_replace(rv->v, rv->n, g->m[i].value, x);
	g->m[i].value = x;
}

static int set(struct checks *c, struct group *g, const char *code, long region, double x)
{
	bool found;
	size_t i;
	struct vec *rv = region_vec(g, region);

	if (strlen(code) > REGISTRY_MAX_CODE)
		return CV_EINVAL;
	/* Room first, so that a failure leaves the group as it was. */
	if (cv_reserve(&g->m, &g->cap, g->n, sizeof *g->m) != 0 ||
	    cv_reserve(&g->world.v, &g->world.cap, g->world.n, sizeof(double)) != 0 ||
	    (rv != NULL && cv_reserve(&rv->v, &rv->cap, rv->n, sizeof(double)) != 0))
		return CV_ENOMEM;
	unset(c, g, code);
	i = member_at(g, code, &found);
	memmove(&g->m[i + 1], &g->m[i], (g->n - i) * sizeof *g->m);
	memcpy(g->m[i].code, code, strlen(code) + 1);
	g->m[i].value = x;
	g->m[i].region = region;
	g->n++;
	c->values++;
	quality_sorted_insert(g->world.v, &g->world.n, x);
	if (rv != NULL)
		quality_sorted_insert(rv->v, &rv->n, x);
	return 0;
}

/* ------------------------------------------------------------ loading */

struct loading {
	struct checks *c;
	struct group **groups; /* of one cycle, not loaded yet */
	const char **questions;
	size_t n;
	int rc;
};

static int load_entry(const Canvass__HistoryEntry *e, void *arg)
{
	struct loading *l = arg;
	Canvass__Submission *s =
		canvass__submission__unpack(NULL, e->submission.len, e->submission.data);
	long region;

	if (s == NULL)
		return CV_ECORRUPT;
	region = member_region(l->c, e->member);
	for (size_t i = 0; i < l->n && l->rc == 0; i++) {
		const Canvass__Answer *a = canon_find_answer(s, l->questions[i]);
		double x;
		if (a != NULL && quality_answer_value(a, &x))
			l->rc = set(l->c, l->groups[i], e->member, region, x);
	}
	canvass__submission__free_unpacked(s, NULL);
	return l->rc;
}

/* One checked question of a request, read from its arrays. */
struct check_item {
	const char *question, *previous;  /* previous: its id in the previous cycle */
	double value, relative, absolute; /* relative, absolute: NaN when not a bound */
	double outlier_z;                 /* 0: no outlier test */
	uint32_t min_answers;
	bool answered; /* false: no number (NaN on the wire) */
	bool change;   /* CHANGE_FROM_PREVIOUS is checked: a bound given */
};

/*
 * Fills the groups of plan[0..n-1] that are not loaded yet, all of one
 * cycle, in one pass over the store's current returns of that cycle
 * (previous: the previous cycle's, its questions by their previous ids).
 */
static int load_cycle(struct checks *c, struct store_view *view, const char *questionnaire,
		      const char *cycle, const struct check_item *items, struct group **plan,
		      size_t n, bool previous)
{
	struct loading l = {.c = c};
	int rc = 0;

	l.groups = calloc(n, sizeof *l.groups);
	l.questions = calloc(n, sizeof *l.questions);
	if (l.groups == NULL || l.questions == NULL) {
		rc = CV_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (plan[i] == NULL || plan[i]->loaded)
			continue;
		/* The same question twice in a request: load its group once. */
		for (size_t k = 0; k < l.n; k++)
			if (l.groups[k] == plan[i])
				goto next;
		l.groups[l.n] = plan[i];
		l.questions[l.n++] = previous ? items[i].previous : items[i].question;
	next:;
	}
	if (l.n == 0)
		goto out;
	rc = store_view_each_current(view, questionnaire, cycle, load_entry, &l);
	for (size_t i = 0; i < l.n; i++) {
		if (rc == 0) {
			l.groups[i]->loaded = true;
			continue;
		}
		/* Not half a group: empty it; the next request tries again. */
		while (l.groups[i]->n > 0)
			unset(c, l.groups[i], l.groups[i]->m[l.groups[i]->n - 1].code);
	}
out:
	free(l.groups);
	free(l.questions);
	return rc;
}

/*
 * The checks of one request: its items, and their groups found once:
 * [0, n) this cycle, [n, 2n) the previous one.
 */
struct checks_plan {
	uint64_t generation; /* the cache's, when the plan was made */
	size_t n;
	struct check_item *items;
	struct group *groups[];
};

void checks_plan_free(struct checks_plan **p)
{
	if (p != NULL) {
		free(*p);
		*p = NULL;
	}
}

/* The request's checks, read and checked: CV_EMALFORMED when the arrays differ in length. */
static int read_items(const Canvass__StoreRequest *req, struct check_item *items)
{
	size_t n = req->n_check_questions;

	if (req->n_check_values != n || req->n_check_relative != n || req->n_check_absolute != n ||
	    req->n_check_outlier_z != n || req->n_check_min_answers != n ||
	    (req->n_check_previous != 0 && req->n_check_previous != n))
		return CV_EMALFORMED;
	for (size_t i = 0; i < n; i++) {
		struct check_item *it = &items[i];
		const char *prev = req->n_check_previous ? req->check_previous[i] : "";
		it->question = req->check_questions[i];
		it->previous = prev[0] != '\0' ? prev : it->question;
		it->value = req->check_values[i];
		it->answered = !isnan(it->value);
		it->relative = req->check_relative[i];
		it->absolute = req->check_absolute[i];
		it->change = !isnan(it->relative) || !isnan(it->absolute);
		it->outlier_z = req->check_outlier_z[i];
		it->min_answers = req->check_min_answers[i];
	}
	return 0;
}

int checks_prepare(struct checks *c, struct store *s, const Canvass__StoreRequest *req,
		   struct checks_plan **out)
{
	struct checks_plan *plan;
	struct store_view *view = NULL;
	bool has_prev = req->previous_cycle[0] != '\0', missing = false;
	size_t n = req->n_check_questions;
	int rc;

	*out = NULL;
	if (n == 0 && req->n_check_values == 0)
		return 0;
	plan = calloc(1, sizeof *plan + 2 * n * sizeof plan->groups[0] + n * sizeof *plan->items);
	if (plan == NULL)
		return CV_ENOMEM;
	plan->generation = c->generation;
	plan->n = n;
	plan->items = (struct check_item *)(void *)&plan->groups[2 * n];
	if (read_items(req, plan->items) != 0) {
		free(plan);
		return CV_EMALFORMED;
	}
	for (size_t i = 0; i < n; i++) {
		const struct check_item *it = &plan->items[i];
		struct group **cur = &plan->groups[i], **prev = &plan->groups[n + i];
		*cur = find(c, req->questionnaire, req->cycle, it->question, true);
		if (it->change && has_prev)
			*prev = find(c, req->questionnaire, req->previous_cycle, it->previous,
				     true);
		missing |= (*cur != NULL && !(*cur)->loaded) || (*prev != NULL && !(*prev)->loaded);
	}
	*out = plan;
	if (!missing)
		return 0;
	if ((rc = store_view_open(s, &view)) != 0)
		return rc;
	rc = load_cycle(c, view, req->questionnaire, req->cycle, plan->items, plan->groups, n,
			false);
	if (rc == 0 && has_prev)
		rc = load_cycle(c, view, req->questionnaire, req->previous_cycle, plan->items,
				plan->groups + n, n, true);
	store_view_close(&view);
	return rc;
}

/* ------------------------------------------------------------ checking */

static void check_change(const struct group *pg, const Canvass__StoreRequest *req,
			 const struct check_item *it, struct verdict *v)
{
	char msg[200];
	double rel;
	bool found;
	size_t i;

	if (pg == NULL || !pg->loaded)
		return;
	i = member_at(pg, req->member, &found);
	if (!found ||
	    !quality_change_exceeds(pg->m[i].value, it->value, !isnan(it->relative), it->relative,
				    !isnan(it->absolute), it->absolute, &rel))
		return;
	quality_msg_change(msg, sizeof msg, it->value, pg->m[i].value, rel, req->previous_cycle);
	verdict_add_finding(v, "CHANGE_FROM_PREVIOUS", it->question, it->value, pg->m[i].value, rel,
			    req->previous_cycle, 0, msg);
}

static void check_outlier(const struct vec *vv, const char *group, const struct check_item *it,
			  struct verdict *v)
{
	struct quality_stats st;
	double z;

	if (vv == NULL || vv->n == 0 || vv->n < it->min_answers)
		return;
	quality_stats_sorted(vv->v, vv->n, &st);
	z = quality_modified_z(&st, it->value);
	if (!(fabs(z) > it->outlier_z))
		return;
	/*
	 * Counted, never told (ingest.c run_checks): no words to write. The
	 * quality report words it for the Secretariat.
	 */
	verdict_add_finding(v, "OUTLIER", it->question, it->value, st.median, z, group,
			    (unsigned)vv->n, "");
}

void checks_run(struct checks *c, const Canvass__StoreRequest *req, const struct checks_plan *plan,
		bool commit, struct verdict *v)
{
	long region;
	bool fresh;

	if (plan == NULL)
		return;
	region = member_region(c, req->member);
	fresh = plan->generation == c->generation;
	for (size_t i = 0; i < plan->n; i++) {
		const struct check_item *it = &plan->items[i];
		struct group *g, *pg = NULL;
		struct gmember old;
		bool had, moved, has_prev = it->change && req->previous_cycle[0] != '\0';
		size_t at;

		if (it->answered && !isfinite(it->value))
			continue;
		/* A plan made before the cache was dropped points at freed groups. */
		if (fresh) {
			g = plan->groups[i];
			pg = plan->groups[plan->n + i];
		} else {
			g = find(c, req->questionnaire, req->cycle, it->question, false);
			if (has_prev)
				pg = find(c, req->questionnaire, req->previous_cycle, it->previous,
					  false);
		}
		if (it->answered && has_prev)
			check_change(pg, req, it, v);
		if (g == NULL || !g->loaded)
			continue;
		at = member_at(g, req->member, &had);
		if (had)
			old = g->m[at];
		/* The common case, a revision of a number: moved in place (and back). */
		moved = had && it->answered && old.region == region;
		if (moved) {
			move_value(g, at, it->value);
		} else if (it->answered) {
			if (set(c, g, req->member, region, it->value) != 0) {
				log_event(LOG_WARN, "check_skipped", "reason=\"out of memory\"");
				continue;
			}
		} else {
			unset(c, g, req->member);
		}
		if (it->answered && it->outlier_z > 0) {
			check_outlier(&g->world, "world", it, v);
			if (c->reg != NULL && region >= 0)
				check_outlier(region_vec(g, region), c->reg->regions[region], it,
					      v);
		}
		if (commit)
			continue;
		if (moved)
			move_value(g, at, old.value);
		else if (had)
			set(c, g, old.code, old.region, old.value);
		else
			unset(c, g, req->member);
	}
}
