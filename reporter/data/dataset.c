#include "dataset.h"
#include "canon.h"
#include "fastload.h"
#include "review.h"
#include "error.h"
#include "text.h"
#include "wire.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct load {
	struct dataset *d;
	uint64_t as_of;
	int rc;
	size_t cap;
	struct review_replay *replay; /* --as-of: the review states replayed */
	/* dataset_each: each row handed to fn, then forgotten. */
	struct store_view *v;
	ds_row_fn fn;
	void *fn_arg;
	struct ds_row row; /* the row being handed over; its buffers reused */
	int state;         /* its review state, read before (dataset_each) */
};

static bool approved_only;
static bool fast_load = true;
static bool keep_reviews;

void dataset_set_keep_reviews(bool on)
{
	keep_reviews = on;
}
static unsigned n_threads; /* dataset_set_threads; 0: the cores */

void dataset_set_fast_load(bool on)
{
	fast_load = on;
}

void dataset_set_approved_only(bool on)
{
	approved_only = on;
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ds_row *)a)->member, ((const struct ds_row *)b)->member);
}

static void row_clear(struct ds_row *r)
{
	review_free(&r->review);
	free(r->by_q);
	free(r->section_score);
	if (!r->in_arena) {
		free(r->member);
		WIRE_FREE(r->sub);
	}
}

/* A new row at the end (unsorted), zeroed. */
static struct ds_row *new_row(struct load *l)
{
	struct dataset *d = l->d;
	if (cv_reserve(&d->rows, &l->cap, d->n, sizeof *d->rows) != 0)
		return NULL;
	memset(&d->rows[d->n], 0, sizeof d->rows[d->n]);
	return &d->rows[d->n++];
}

static bool sorted_answers(const Canvass__Submission *sub)
{
	for (size_t i = 1; i < sub->n_answers; i++)
		if (strcmp(sub->answers[i - 1]->question, sub->answers[i]->question) >= 0)
			return false;
	return true;
}

static int take(struct load *l, const Canvass__HistoryEntry *e);

/* The row's submission and where it stands in the history. */
static void row_fill(struct ds_row *r, Canvass__Submission *sub, uint32_t revision,
		     uint64_t sequence, int64_t stored_at_ms, bool late)
{
	r->sub = sub;
	r->revision = revision;
	r->sequence = sequence;
	r->stored_at_ms = stored_at_ms;
	r->late = late;
	r->version = sub->version;
}

static int hand_over(struct load *l, struct ds_row *r);

/*
 * The head's rows without protobuf-c: each latest revision read in place
 * from the memory map into the dataset's arena (reporter/data/fastload.h). An
 * entry the scanner does not read, or whose answers are not in canonical
 * order, goes the protobuf-c way (take).
 */
static int visit_current_raw(const char *member, const uint8_t *buf, size_t len, void *arg)
{
	struct load *l = arg;
	struct fast_entry fe;
	struct ds_row *r;
	int rc;

	if (l->fn != NULL)
		arena_reset(l->d->arena); /* the row handed over before is gone: its answers too */
	rc = fast_history_entry(buf, len, l->d->def, l->d->arena, &fe);

	if (rc == CV_ENOMEM)
		return rc;
	/* The index row's return must be the entry's: another's is damage. */
	if (rc == 0 && (fe.review || strcmp(fe.member, member) != 0 ||
			strcmp(fe.sub->questionnaire, l->d->def->id) != 0 ||
			strcmp(fe.sub->cycle, l->d->cycle) != 0))
		return CV_ECORRUPT;
	if (rc != 0 || fe.review || !sorted_answers(fe.sub)) {
		Canvass__HistoryEntry *e;
		if (wire_check_strict(&canvass__history_entry__descriptor, buf, len, NULL) != 0 ||
		    wire_decode_history(buf, len, &e) != 0)
			return CV_ECORRUPT;
		if (e->review.len > 0 || strcmp(e->member, member) != 0 ||
		    strcmp(e->questionnaire, l->d->def->id) != 0 ||
		    strcmp(e->cycle, l->d->cycle) != 0) {
			WIRE_FREE(e);
			return CV_ECORRUPT;
		}
		rc = take(l, e);
		WIRE_FREE(e);
		return rc;
	}
	r = l->fn != NULL ? &l->row : new_row(l);
	if (r == NULL)
		return CV_ENOMEM;
	r->in_arena = true;
	r->member = fe.member;
	row_fill(r, fe.sub, fe.revision, fe.sequence, fe.stored_at_ms, fe.late);
	return l->fn != NULL ? hand_over(l, r) : 0;
}

/* Adds or replaces the member's row with entry e. */
static int take(struct load *l, const Canvass__HistoryEntry *e)
{
	struct dataset *d = l->d;
	struct ds_row *r = NULL;
	Canvass__Submission *sub;

	/* Read like wire input: a string with a NUL would be cut short by
	 * protobuf-c (and could then read as another question's id). */
	if (wire_check_strict(&canvass__submission__descriptor, e->submission.data,
			      e->submission.len, NULL) != 0 ||
	    wire_decode_submission(e->submission.data, e->submission.len, SIZE_MAX, &sub) != 0)
		return CV_ECORRUPT;
	/* Stored submissions are canonical already; sort only what is not. */
	if (!sorted_answers(sub) && canon_submission(sub, NULL) != 0) {
		WIRE_FREE(sub);
		return CV_ECORRUPT;
	}
	if (l->fn != NULL) {
		/* Streaming the head: one row at a time, freed once handed over. */
		int rc;
		r = &l->row;
		r->in_arena = true; /* not freed by row_clear: freed here */
		r->member = e->member;
		row_fill(r, sub, e->revision, e->sequence, e->stored_at_ms, e->late);
		rc = hand_over(l, r);
		WIRE_FREE(sub);
		r->sub = NULL;
		return rc;
	}
	/* Replaying the history: a later revision replaces the earlier one. */
	for (size_t i = 0; l->as_of != 0 && i < d->n; i++)
		if (strcmp(d->rows[i].member, e->member) == 0)
			r = &d->rows[i];
	if (r == NULL) {
		if ((r = new_row(l)) == NULL) {
			WIRE_FREE(sub);
			return CV_ENOMEM;
		}
		if ((r->member = strdup(e->member)) == NULL)
			return CV_ENOMEM;
	} else {
		WIRE_FREE(r->sub);
	}
	row_fill(r, sub, e->revision, e->sequence, e->stored_at_ms, e->late);
	return 0;
}

static int visit_current(const Canvass__HistoryEntry *e, void *arg)
{
	return take(arg, e);
}

static int visit_history(const Canvass__HistoryEntry *e, void *arg)
{
	struct load *l = arg;
	if (e->sequence > l->as_of)
		return 1; /* past the position: stop */
	if (e->sequence == l->as_of && e->chain_hash.len == CV_HASH_LEN)
		memcpy(l->d->chain, e->chain_hash.data, CV_HASH_LEN);
	if (strcmp(e->questionnaire, l->d->def->id) != 0 || strcmp(e->cycle, l->d->cycle) != 0)
		return 0;
	if (review_replay_entry(l->replay, e, NULL, 0) != 0)
		return CV_ECORRUPT;
	if (e->review.len > 0)
		return 0; /* a review action: no answers */
	return take(l, e);
}

/* a when it fits q's type (special answers always do), else NULL. */
static const Canvass__Answer *fitting(const struct question *q, const Canvass__Answer *a)
{
	int vc = a->value_case;
	bool fits;

	switch (q->type) {
	case QT_YES_NO: fits = vc == CANVASS__ANSWER__VALUE_BOOLEAN; break;
	case QT_INTEGER: fits = vc == CANVASS__ANSWER__VALUE_INTEGER; break;
	case QT_NUMBER: /* whole numbers travel as integers (canon.h) */
		fits = vc == CANVASS__ANSWER__VALUE_NUMBER || vc == CANVASS__ANSWER__VALUE_INTEGER;
		break;
	case QT_SCALE:
		fits = vc == CANVASS__ANSWER__VALUE_INTEGER && qdef_level_index(q, a->integer) >= 0;
		break;
	case QT_CHOICE:
		fits = vc == CANVASS__ANSWER__VALUE_TEXT && qdef_option_index(q, a->text) >= 0;
		break;
	case QT_MULTI_CHOICE: fits = vc == CANVASS__ANSWER__VALUE_LIST; break;
	case QT_TEXT: fits = vc == CANVASS__ANSWER__VALUE_TEXT; break;
	default: fits = false;
	}
	return fits || vc == CANVASS__ANSWER__VALUE_SPECIAL ? a : NULL;
}

const Canvass__Answer *ds_answer(const struct ds_row *r, const struct question *q)
{
	return r->by_q[q->order];
}

/*
 * Maps the row's answers to the definition's questions in one merge of two
 * lists sorted by id; counts the answers that fit no question.
 */
static int index_row(struct dataset *d, struct ds_row *r)
{
	const struct questionnaire *def = d->def;
	const Canvass__Submission *s = r->sub;
	size_t i = 0, k = 0;

	if (r->by_q != NULL)
		memset(r->by_q, 0, def->n_questions * sizeof *r->by_q);
	else if ((r->by_q = calloc(def->n_questions ? def->n_questions : 1, sizeof *r->by_q)) ==
		 NULL)
		return CV_ENOMEM;
	while (i < s->n_answers) {
		/* (an id read in place is the definition's own string: no compare) */
		int c = k >= def->n_questions ? -1
			: s->answers[i]->question == def->by_id[k]->id
				? 0
				: strcmp(s->answers[i]->question, def->by_id[k]->id);
		if (c == 0) {
			const Canvass__Answer *a = fitting(def->by_id[k], s->answers[i]);
			r->by_q[def->by_id[k]->order] = a;
			d->skipped_answers += a == NULL;
			i++;
			k++;
		} else if (c < 0) {
			d->skipped_answers++; /* no such question in this version */
			i++;
		} else {
			k++;
		}
	}
	return 0;
}

/* Section and overall scores: weighted means of the scored answers, x100. */
static int score_row(const struct dataset *d, struct ds_row *r)
{
	const struct questionnaire *def = d->def;
	double *num = calloc(def->n_sections, sizeof *num), *den;
	double all_num = 0, all_den = 0;

	den = calloc(def->n_sections, sizeof *den);
	if (r->section_score == NULL) /* the scores, then the weights behind them */
		r->section_score = calloc(2 * def->n_sections + 1, sizeof *r->section_score);
	r->section_weight = r->section_score != NULL ? r->section_score + def->n_sections : NULL;
	if (num == NULL || den == NULL || r->section_score == NULL) {
		free(num);
		free(den);
		return CV_ENOMEM;
	}
	for (size_t i = 0; i < def->n_questions; i++) {
		const struct question *q = &def->questions[i];
		double x;
		if (!q->score.scored || qdef_score(q, ds_answer(r, q), &x) != 0)
			continue;
		num[q->section] += q->score.weight * x;
		den[q->section] += q->score.weight;
		all_num += q->score.weight * x;
		all_den += q->score.weight;
	}
	for (size_t s = 0; s < def->n_sections; s++) {
		r->section_score[s] = den[s] > 0 ? 100 * num[s] / den[s] : NAN;
		r->section_weight[s] = den[s];
	}
	r->overall = all_den > 0 ? 100 * all_num / all_den : NAN;
	r->overall_weight = all_den;
	free(num);
	free(den);
	return 0;
}

/* The return's review state at the head (rows of the head only). */
static int head_state(struct store_view *v, const struct dataset *d, struct ds_row *r)
{
	Canvass__ReturnStatus *st = NULL;
	int rc = store_view_review(v, d->def->id, d->cycle, r->member, &st);
	r->state = st != NULL ? (int)st->state : CANVASS__RETURN_STATE__SUBMITTED;
	if (keep_reviews)
		r->review = st;
	else
		review_free(&st);
	return rc;
}

/* Adds rows answering version to d's tally of versions. */
static void count_version(struct dataset *d, uint32_t version, size_t rows)
{
	size_t i = 0;

	while (i < d->n_versions && d->versions[i].version != version)
		i++;
	if (i == DS_VERSIONS) {
		d->versions_overflow = true;
		return;
	}
	if (i == d->n_versions)
		d->versions[d->n_versions++] = (struct ds_version){version, 0};
	d->versions[i].rows += rows;
}

uint32_t dataset_publication_version(const struct dataset *d)
{
	const struct ds_version *best = NULL;

	for (size_t i = 0; i < d->n_versions; i++) {
		const struct ds_version *v = &d->versions[i];
		if (best == NULL || v->rows > best->rows ||
		    (v->rows == best->rows && v->version > best->version))
			best = v;
	}
	return best != NULL ? best->version : 0;
}

bool dataset_on_publication_version(const struct dataset *d)
{
	if (d->versions_overflow)
		return false;
	return d->n_versions == 0 || dataset_publication_version(d) == d->def->version;
}

/* What every row gets once its answers are in: region, answers by question, scores. */
static int complete_row(struct dataset *d, struct ds_row *r)
{
	int rc;
	r->reg = registry_find(d->reg, r->member);
	r->group = r->reg ? r->reg->region_index : d->reg->n_regions;
	if (r->version != d->def->version)
		d->other_version++;
	count_version(d, r->version, 1);
	rc = index_row(d, r);
	return rc != 0 ? rc : score_row(d, r);
}

/* dataset_each: the row completed (its state read before) and handed over. */
static int hand_over(struct load *l, struct ds_row *r)
{
	int rc;

	r->state = l->state;
	if ((rc = complete_row(l->d, r)) != 0)
		return rc;
	l->d->n++;
	return l->fn(l->d, r, l->fn_arg);
}

static struct dataset *dataset_new(const struct questionnaire *def, const char *cycle,
				   const struct registry *reg)
{
	struct dataset *d = calloc(1, sizeof *d);
	if (d == NULL)
		return NULL;
	d->def = def;
	d->reg = reg;
	d->approved_only = approved_only;
	if ((d->cycle = strdup(cycle)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

int dataset_load(struct store_view *v, const struct questionnaire *def, const char *cycle,
		 const struct registry *reg, uint64_t as_of, struct dataset **out)
{
	struct dataset *d = dataset_new(def, cycle, reg);
	struct load l = {.d = d, .as_of = as_of};
	uint64_t head;
	uint8_t head_chain[CV_HASH_LEN];
	int rc;

	*out = NULL;
	if (d == NULL)
		return CV_ENOMEM;
	store_view_head(v, &head, head_chain);
	if (as_of > head) {
		dataset_free(&d);
		return CV_EINVAL;
	}
	if (as_of == 0 || as_of == head) {
		l.as_of = 0;
		d->sequence = head;
		memcpy(d->chain, head_chain, CV_HASH_LEN);
		rc = fast_load ? arena_open(&d->arena) : 0;
		if (rc == 0)
			rc = fast_load ? store_view_each_current_raw(v, def->id, cycle,
								     visit_current_raw, &l)
				       : store_view_each_current(v, def->id, cycle, visit_current,
								 &l);
	} else {
		d->sequence = as_of;
		rc = review_replay_open(&l.replay);
		if (rc == 0)
			rc = store_view_each_history(v, visit_history, &l);
		if (rc == 1)
			rc = 0;
	}
	/* Each return's review state as of the position. */
	for (size_t i = 0; rc == 0 && i < d->n; i++) {
		struct ds_row *r = &d->rows[i];
		if (l.replay != NULL) {
			const Canvass__ReturnStatus *st =
				review_replay_get(l.replay, def->id, cycle, r->member);
			r->state = st != NULL ? (int)st->state : CANVASS__RETURN_STATE__SUBMITTED;
			if (keep_reviews && st != NULL && (r->review = review_copy(st)) == NULL)
				rc = CV_ENOMEM;
		} else {
			rc = head_state(v, d, r);
		}
		if (rc == 0 && (r->state < CANVASS__RETURN_STATE__SUBMITTED ||
				r->state > CANVASS__RETURN_STATE__APPROVED))
			rc = CV_ECORRUPT; /* (the store refuses such a row; never index by it) */
		if (rc == 0)
			d->by_state[r->state] += 1;
	}
	review_replay_close(&l.replay);
	d->returns = d->n;
	if (rc == 0 && approved_only) {
		/* Only approved returns from here on: the others leave the dataset. */
		size_t kept = 0;
		for (size_t i = 0; i < d->n; i++) {
			if (d->rows[i].state == CANVASS__RETURN_STATE__APPROVED)
				d->rows[kept++] = d->rows[i];
			else
				row_clear(&d->rows[i]);
		}
		d->n = kept;
	}
	if (rc == 0 && d->n > 1)
		qsort(d->rows, d->n, sizeof *d->rows, row_cmp);
	for (size_t i = 0; rc == 0 && i < d->n; i++)
		rc = complete_row(d, &d->rows[i]);
	if (rc != 0) {
		dataset_free(&d);
		return rc;
	}
	*out = d;
	return 0;
}

int dataset_open_head(struct store_view *v, const struct questionnaire *def, const char *cycle,
		      const struct registry *reg, struct dataset **out)
{
	struct dataset *d = dataset_new(def, cycle, reg);

	*out = NULL;
	if (d == NULL)
		return CV_ENOMEM;
	store_view_head(v, &d->sequence, d->chain);
	d->streamed = true;
	*out = d;
	return 0;
}

void ds_run_shares(unsigned n, void *(*fn)(void *), void *args, size_t stride)
{
	pthread_t tid[DS_MAX_THREADS];
	bool started[DS_MAX_THREADS] = {false};

	for (unsigned t = 1; t < n && t < DS_MAX_THREADS; t++)
		started[t] = pthread_create(&tid[t], NULL, fn, (char *)args + t * stride) == 0;
	if (n > 0)
		fn(args);
	for (unsigned t = 1; t < n && t < DS_MAX_THREADS; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			fn((char *)args + t * stride); /* no thread: here, now */
	}
}

void dataset_set_threads(unsigned n)
{
	n_threads = n;
}

unsigned dataset_threads(void)
{
	long cores;

	if (n_threads > 0)
		return n_threads < DS_MAX_THREADS ? n_threads : DS_MAX_THREADS;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cores < 1 ? 1 : cores > DS_MAX_THREADS ? DS_MAX_THREADS : (unsigned)cores;
}

/* A return to hand over: its latest entry where the map holds it, its state. */
struct slot {
	const uint8_t *p;
	size_t len;
	int state;
	char member[TEXT_MAX_MEMBER + 1]; /* the current row's, which the entry's must be */
};

struct gather {
	struct dataset *d;
	struct store_view *v;
	struct slot *s;
	size_t n, cap;
};

/* In the view's thread: each return's state (counted), and its entry unless filtered out. */
static int gather_one(const char *member, const uint8_t *p, size_t len, void *arg)
{
	struct gather *g = arg;
	Canvass__ReturnStatus *st = NULL;
	int state, rc = store_view_review(g->v, g->d->def->id, g->d->cycle, member, &st);

	if (rc != 0)
		return rc;
	state = st != NULL ? (int)st->state : CANVASS__RETURN_STATE__SUBMITTED;
	review_free(&st);
	if (state < CANVASS__RETURN_STATE__SUBMITTED || state > CANVASS__RETURN_STATE__APPROVED)
		return CV_ECORRUPT;
	g->d->returns++;
	g->d->by_state[state] += 1;
	if (approved_only && state != CANVASS__RETURN_STATE__APPROVED)
		return 0;
	if (strlen(member) > TEXT_MAX_MEMBER)
		return CV_ECORRUPT; /* no member code is that long: a damaged key */
	if (cv_reserve(&g->s, &g->cap, g->n, sizeof *g->s) != 0)
		return CV_ENOMEM;
	g->s[g->n] = (struct slot){p, len, state, ""};
	memcpy(g->s[g->n++].member, member, strlen(member) + 1);
	return 0;
}

/* One thread's share: its slots, read into rows of its own and handed to fn. */
struct worker {
	struct dataset d; /* a copy of the dataset: counters and arena of its own */
	const struct slot *s;
	size_t n;
	ds_row_fn fn;
	void *arg;
	int rc;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct load l = {.d = &w->d, .fn = w->fn, .fn_arg = w->arg};

	w->rc = arena_open(&w->d.arena);
	for (size_t i = 0; w->rc == 0 && i < w->n; i++) {
		l.state = w->s[i].state;
		w->rc = visit_current_raw(w->s[i].member, w->s[i].p, w->s[i].len, &l);
	}
	free(l.row.by_q);
	free(l.row.section_score);
	arena_close(&w->d.arena);
	return NULL;
}

int dataset_each(struct dataset *d, struct store_view *v, ds_row_fn fn, void *const *args,
		 unsigned n_args)
{
	struct gather g = {.d = d, .v = v};
	struct worker w[DS_MAX_THREADS];
	unsigned n = n_args;
	int rc = 0;

	if (!d->streamed || d->n > 0 || d->returns > 0 || n == 0 || n > DS_MAX_THREADS)
		return CV_EINVAL; /* a dataset is streamed once */
	if (!fast_load) {
		/* The reference path: every row decoded by protobuf-c and kept, then handed over.
		 */
		struct dataset *full = NULL;
		rc = dataset_load(v, d->def, d->cycle, d->reg, 0, &full);
		for (size_t i = 0; rc == 0 && i < full->n; i++)
			rc = fn(full, &full->rows[i], args[i % n]);
		if (rc == 0) {
			d->n = full->n;
			d->returns = full->returns;
			memcpy(d->by_state, full->by_state, sizeof d->by_state);
			d->other_version = full->other_version;
			d->skipped_answers = full->skipped_answers;
			memcpy(d->versions, full->versions, sizeof d->versions);
			d->n_versions = full->n_versions;
			d->versions_overflow = full->versions_overflow;
		}
		dataset_free(&full);
		return rc;
	}
	/* The states and the entries' places in this thread (the view is not shared)... */
	rc = store_view_each_current_raw(v, d->def->id, d->cycle, gather_one, &g);
	/* ... then each thread reads its share of the entries, in member order. */
	for (unsigned t = 0; rc == 0 && t < n; t++) {
		size_t lo = g.n * t / n, hi = g.n * (t + 1) / n;
		w[t] = (struct worker){
			.d = *d, .s = g.s + lo, .n = hi - lo, .fn = fn, .arg = args[t]};
		w[t].d.n = w[t].d.other_version = w[t].d.skipped_answers = 0;
		w[t].d.n_versions = 0;
		w[t].d.arena = NULL;
		w[t].d.rows = NULL;
	}
	if (rc == 0) {
		ds_run_shares(n, work, w, sizeof *w);
		for (unsigned t = 0; t < n; t++) {
			if (rc == 0)
				rc = w[t].rc;
			d->n += w[t].d.n;
			d->other_version += w[t].d.other_version;
			d->skipped_answers += w[t].d.skipped_answers;
			for (size_t i = 0; i < w[t].d.n_versions; i++)
				count_version(d, w[t].d.versions[i].version,
					      w[t].d.versions[i].rows);
			d->versions_overflow |= w[t].d.versions_overflow;
		}
	}
	free(g.s);
	return rc;
}

void dataset_free(struct dataset **dp)
{
	if (dp == NULL || *dp == NULL)
		return;
	for (size_t i = 0; (*dp)->rows != NULL && i < (*dp)->n; i++)
		row_clear(&(*dp)->rows[i]);
	free((*dp)->rows);
	arena_close(&(*dp)->arena);
	free((*dp)->cycle);
	free(*dp);
	*dp = NULL;
}

const struct ds_row *ds_find(const struct dataset *d, const char *member)
{
	struct ds_row key = {.member = (char *)(uintptr_t)member};
	if (d->rows == NULL)
		return NULL; /* streamed: no rows kept */
	return bsearch(&key, d->rows, d->n, sizeof *d->rows, row_cmp);
}

size_t ds_groups(const struct dataset *d)
{
	return d->reg->n_regions + 1;
}

const char *ds_group_name(const struct dataset *d, size_t g)
{
	return g < d->reg->n_regions ? d->reg->regions[g] : "World";
}

struct cycles_ctx {
	const char *q;
	char **items;
	size_t n;
	int rc;
};

static int collect_cycle(const Canvass__HistoryEntry *e, void *arg)
{
	struct cycles_ctx *c = arg;
	char **grown;
	if (strcmp(e->questionnaire, c->q) != 0)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->items[i], e->cycle) == 0)
			return 0;
	grown = realloc(c->items, (c->n + 1) * sizeof *grown);
	if (grown == NULL)
		return CV_ENOMEM;
	c->items = grown;
	if ((c->items[c->n] = strdup(e->cycle)) == NULL)
		return CV_ENOMEM;
	c->n++;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ds_cycles(struct store_view *v, const char *questionnaire, char ***out, size_t *n)
{
	struct cycles_ctx c = {.q = questionnaire};
	int rc = store_view_each_history(v, collect_cycle, &c);
	if (rc != 0) {
		for (size_t i = 0; i < c.n; i++)
			free(c.items[i]);
		free(c.items);
		return rc;
	}
	if (c.n > 1)
		qsort(c.items, c.n, sizeof *c.items, str_cmp);
	*out = c.items;
	*n = c.n;
	return 0;
}
