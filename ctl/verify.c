/*
 * canvassctl verify: walks the history's hash chain and reports the first
 * broken link, or that all entries verify. canvassctl history: the history
 * entries (no answer values) as JSON Lines, for audits and checks.
 * Both open the store read-only; the aggregator may keep running.
 */
#include "ctl.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "review.h"
#include "settings.h"
#include "store.h"
#include "subjson.h"
#include "util.h"
#include "wire.h"

/* Opens the store named by --data (or [aggregator] data in -c FILE). */
static int open_store(const char *cmd, int argc, char **argv, const struct setting *tab,
		      char **data, struct store **store, struct store_view **view)
{
	char err[1024];
	int next, rc = settings_parse(tab, "aggregator", argc, argv, &next, err, sizeof err);

	if (rc == SETTINGS_HELP || rc != 0 || next != argc || *data == NULL) {
		char usage[128];
		snprintf(usage, sizeof usage,
			 "usage: canvassctl %s [-c FILE] --data DIR [options]\n", cmd);
		return ctl_usage(cmd, rc, err, tab, usage);
	}
	{
		struct store_cfg cfg = {.dir = *data, .readonly = true};
		if (store_open(store, &cfg, err, sizeof err) != 0) {
			fprintf(stderr, "canvassctl %s: %s\n", cmd, err);
			return 1;
		}
	}
	if ((rc = store_view_open(*store, view)) != 0) {
		fprintf(stderr, "canvassctl %s: %s: %s\n", cmd, *data, cv_strerror(rc));
		store_close(store);
		return 1;
	}
	return -1; /* opened */
}

int ctl_verify(int argc, char **argv)
{
	char *data = NULL;
	const struct setting tab[] = {
		{"data", SET_STRING, &data, 0, 0, "DIR", "store directory"},
		{"*", SET_OTHERS, NULL, 0, 0, NULL, NULL},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct store *store = NULL;
	struct store_view *view = NULL;
	struct store_verify res;
	uint8_t head[CV_HASH_LEN];
	char hex[2 * CV_HASH_LEN + 1];
	uint64_t seq;
	int rc = open_store("verify", argc, argv, tab, &data, &store, &view);

	if (rc >= 0) {
		settings_free(tab);
		return rc;
	}
	rc = store_verify(view, &res);
	store_view_head(view, &seq, head);
	cv_hex(head, CV_HASH_LEN, hex);
	if (rc != 0) {
		fprintf(stderr, "canvassctl verify: %s: %s\n", data, cv_strerror(rc));
		rc = 1;
	} else if (res.first_bad != 0) {
		printf("BROKEN at sequence %llu: %s; the %llu entries before it verify\n",
		       (unsigned long long)res.first_bad, res.reason,
		       (unsigned long long)res.entries);
		rc = 1;
	} else if (res.review_problem[0] != '\0') {
		printf("chain verified (%llu entries), but REVIEW STATE WRONG: %s\n",
		       (unsigned long long)res.entries, res.review_problem);
		rc = 1;
	} else if (res.index_problem[0] != '\0') {
		printf("chain verified (%llu entries), but INDEX WRONG: %s\n",
		       (unsigned long long)res.entries, res.index_problem);
		rc = 1;
	} else {
		printf("verified: all %llu entries; head sequence %llu, chain %s\n",
		       (unsigned long long)res.entries, (unsigned long long)seq, hex);
		printf("review: the states of %llu reviewed returns match the history\n",
		       (unsigned long long)res.reviewed);
		printf("indexes: the current rows of %llu returns and every idempotency key "
		       "match the history\n",
		       (unsigned long long)res.indexed);
		rc = 0;
	}
	store_view_close(&view);
	store_close(&store);
	settings_free(tab);
	return rc;
}

struct dump_ctx {
	const char *member;
};

static int dump_one(const Canvass__HistoryEntry *e, void *arg)
{
	const struct dump_ctx *d = arg;
	char ch[2 * CV_HASH_LEN + 1] = "", cc[2 * CV_HASH_LEN + 1] = "";
	json_t *o;

	if (d->member != NULL && strcmp(d->member, e->member) != 0)
		return 0;
	if (e->content_hash.len == CV_HASH_LEN)
		cv_hex(e->content_hash.data, CV_HASH_LEN, ch);
	if (e->chain_hash.len == CV_HASH_LEN)
		cv_hex(e->chain_hash.data, CV_HASH_LEN, cc);
	o = json_pack("{sI sI ss ss ss ss ss ss sI sI sb}", "sequence", (json_int_t)e->sequence,
		      "revision", (json_int_t)e->revision, "member", e->member, "questionnaire",
		      e->questionnaire, "cycle", e->cycle, "id", e->idempotency_key, "content_hash",
		      ch, "chain_hash", cc, "received_at_ms", (json_int_t)e->received_at_ms,
		      "stored_at_ms", (json_int_t)e->stored_at_ms, "late", (int)e->late);
	if (o != NULL)
		json_object_set_new(o, "previous_sequence",
				    json_integer((json_int_t)e->previous_sequence));
	if (o != NULL && e->review.len > 0) {
		/* A review action: who, what, on which questions, and the comment. */
		Canvass__ReviewAction *a =
			canvass__review_action__unpack(NULL, e->review.len, e->review.data);
		json_t *r = a ? json_pack("{ss ss ss}", "action", review_action_name(a->action),
					  "reviewer", a->reviewer, "comment", a->comment)
			      : NULL;
		json_t *qs = json_array();
		for (size_t i = 0; a != NULL && qs != NULL && i < a->n_questions; i++)
			json_array_append_new(qs, json_string(a->questions[i]));
		if (r != NULL)
			json_object_set_new(r, "questions", qs);
		else
			json_decref(qs);
		json_object_set_new(o, "kind", json_string("review"));
		json_object_set_new(o, "review", r ? r : json_null());
		if (a != NULL)
			canvass__review_action__free_unpacked(a, NULL);
	} else if (o != NULL) {
		json_object_set_new(o, "kind", json_string("submission"));
	}
	subjson_print_line(stdout, o);
	return 0;
}

int ctl_history(int argc, char **argv)
{
	char *data = NULL, *member = NULL;
	const struct setting tab[] = {
		{"data", SET_STRING, &data, 0, 0, "DIR", "store directory"},
		{"member", SET_STRING, &member, 0, 0, "CODE", "only this member's entries"},
		{"*", SET_OTHERS, NULL, 0, 0, NULL, NULL},
		{NULL, 0, NULL, 0, 0, NULL, NULL},
	};
	struct store *store = NULL;
	struct store_view *view = NULL;
	struct dump_ctx d;
	int rc = open_store("history", argc, argv, tab, &data, &store, &view);

	if (rc >= 0) {
		settings_free(tab);
		return rc;
	}
	d.member = member;
	rc = store_view_each_history(view, dump_one, &d);
	if (rc != 0)
		fprintf(stderr, "canvassctl history: %s: %s\n", data, cv_strerror(rc));
	store_view_close(&view);
	store_close(&store);
	settings_free(tab);
	return rc == 0 && fflush(stdout) == 0 ? 0 : 1;
}
