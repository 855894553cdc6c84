/*
 * review: the state machine (every allowed and refused step), and the
 * store's side of it on a real LMDB store: actions as history entries in
 * their own transaction, a revision answering the open queries, LOCKED
 * writing nothing, action ids (DUPLICATE, CONFLICT), NOT_FOUND, the
 * replay of the history equal to the review table, and verify finding a
 * review row edited behind the store's back.
 */
#include "testutil.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "review.h"
#include "reviewers.h"
#include "store.h"
#include "util.h"
#include "wire.h"

/* ------------------------------------------------------ state machine */

static Canvass__ReviewAction action(int kind, const char *id)
{
	Canvass__ReviewAction a = CANVASS__REVIEW_ACTION__INIT;
	static char *qs[] = {"ps_aeo_operators", "au_electronic_share"};
	a.action = kind;
	a.questionnaire = (char *)"isa";
	a.cycle = (char *)"2025";
	a.member = (char *)"KE";
	a.reviewer = (char *)"alice";
	a.action_id = (char *)(uintptr_t)id;
	a.comment = (char *)(kind == CANVASS__REVIEW_ACTION_KIND__QUERY ? "typo?" : "");
	if (kind == CANVASS__REVIEW_ACTION_KIND__QUERY) {
		a.questions = qs;
		a.n_questions = 2;
	}
	return a;
}

static int step_action(Canvass__ReturnStatus *st, int kind, uint64_t seq)
{
	Canvass__ReviewAction a = action(kind, "x");
	struct review_event ev = {.kind = REVIEW_EV_ACTION, .seq = seq, .at_ms = 5, .action = &a};
	char why[160];
	return review_step(st, &ev, why, sizeof why);
}

static int step_revision(Canvass__ReturnStatus *st, uint32_t rev, uint64_t seq)
{
	struct review_event ev = {.kind = REVIEW_EV_REVISION, .seq = seq, .revision = rev};
	char why[160];
	return review_step(st, &ev, why, sizeof why);
}

static void test_state_machine(void **state)
{
	Canvass__ReturnStatus *st = review_new();
	(void)state;
	assert_int_equal(st->state, CANVASS__RETURN_STATE__SUBMITTED);
	/* Nothing to reopen, and a revision of a submitted return stays submitted. */
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__REOPEN, 2),
			 CANVASS__STATUS__WRONG_STATE);
	assert_int_equal(step_revision(st, 2, 3), 0);
	assert_int_equal(st->state, CANVASS__RETURN_STATE__SUBMITTED);
	/* Two queries: queried, both open; a revision answers both. */
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__QUERY, 4), 0);
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__QUERY, 5), 0);
	assert_int_equal(st->state, CANVASS__RETURN_STATE__QUERIED);
	assert_int_equal(wire_return_open_queries(st), 2);
	assert_int_equal(st->state_sequence, 5);
	assert_string_equal(st->queries[0]->questions[1], "au_electronic_share");
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__REOPEN, 6),
			 CANVASS__STATUS__WRONG_STATE);
	assert_int_equal(step_revision(st, 3, 7), 0);
	assert_int_equal(st->state, CANVASS__RETURN_STATE__SUBMITTED);
	assert_int_equal(wire_return_open_queries(st), 0);
	assert_int_equal(st->queries[0]->answered_by_revision, 3);
	assert_int_equal(st->queries[1]->closed_sequence, 7);
	/* A third query, then an approval closes it without an answer. */
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__QUERY, 8), 0);
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__APPROVE, 9), 0);
	assert_int_equal(st->state, CANVASS__RETURN_STATE__APPROVED);
	assert_int_equal(st->queries[2]->closed_sequence, 9);
	assert_int_equal(st->queries[2]->answered_by_revision, 0);
	/* Approved: locked against revisions, queries and a second approval. */
	assert_int_equal(step_revision(st, 4, 10), CANVASS__STATUS__LOCKED);
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__QUERY, 10),
			 CANVASS__STATUS__WRONG_STATE);
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__APPROVE, 10),
			 CANVASS__STATUS__WRONG_STATE);
	assert_int_equal(st->n_queries, 3);
	assert_int_equal(st->state_sequence, 9);
	/* Reopened: submitted, and a revision is taken again. */
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__REOPEN, 10), 0);
	assert_int_equal(st->state, CANVASS__RETURN_STATE__SUBMITTED);
	assert_int_equal(step_revision(st, 4, 11), 0);
	review_free(&st);
}

/* An editorial step: kind on the questions named (none: the whole return). */
static int step_editorial(Canvass__ReturnStatus *st, int kind, uint64_t seq, const char *question,
			  const char *text)
{
	Canvass__ReviewAction a = action(kind, "e");
	char *qs[] = {(char *)(uintptr_t)question};
	uint8_t hash[32] = {7};
	struct review_event ev = {.kind = REVIEW_EV_ACTION, .seq = seq, .at_ms = 9, .action = &a};
	char why[160];
	a.comment = (char *)"why";
	a.questions = question ? qs : NULL;
	a.n_questions = question ? 1 : 0;
	a.text = (char *)(uintptr_t)(text ? text : "");
	if (text != NULL)
		a.answer_hash = (ProtobufCBinaryData){sizeof hash, hash};
	return review_step(st, &ev, why, sizeof why);
}

/* Exclude, edit, restore: in any state, changing none, one decision per answer in force. */
static void test_editorial_steps(void **state)
{
	Canvass__ReturnStatus *st = review_new();
	(void)state;
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__APPROVE, 2), 0);
	assert_int_equal(step_editorial(st, CANVASS__REVIEW_ACTION_KIND__EDIT, 3, "b", "B!"), 0);
	assert_int_equal(step_editorial(st, CANVASS__REVIEW_ACTION_KIND__EXCLUDE, 4, "a", NULL), 0);
	assert_int_equal(st->state, CANVASS__RETURN_STATE__APPROVED);
	assert_int_equal(st->state_sequence, 2);
	assert_int_equal(st->n_editorial, 2); /* sorted by question */
	assert_string_equal(st->editorial[0]->question, "a");
	assert_true(st->editorial[0]->excluded);
	assert_string_equal(st->editorial[1]->question, "b");
	assert_false(st->editorial[1]->excluded);
	assert_string_equal(st->editorial[1]->text, "B!");
	assert_int_equal(st->editorial[1]->answer_hash.len, 32);
	assert_int_equal(st->editorial[1]->sequence, 3);
	assert_string_equal(st->editorial[1]->reviewer, "alice");
	/* An exclusion of an edited answer replaces the edit; an edit lifts an exclusion. */
	assert_int_equal(step_editorial(st, CANVASS__REVIEW_ACTION_KIND__EXCLUDE, 5, "b", NULL), 0);
	assert_true(st->editorial[1]->excluded);
	assert_string_equal(st->editorial[1]->text, "");
	assert_int_equal(step_editorial(st, CANVASS__REVIEW_ACTION_KIND__EDIT, 6, "a", "A."), 0);
	assert_false(st->editorial[0]->excluded);
	/* The whole return, then a restore of one answer, then of everything. */
	assert_int_equal(step_editorial(st, CANVASS__REVIEW_ACTION_KIND__EXCLUDE, 7, NULL, NULL),
			 0);
	assert_int_equal(st->n_editorial, 3);
	assert_string_equal(st->editorial[0]->question, "");
	assert_int_equal(step_editorial(st, CANVASS__REVIEW_ACTION_KIND__RESTORE, 8, "a", NULL), 0);
	assert_int_equal(st->n_editorial, 2);
	assert_int_equal(step_editorial(st, CANVASS__REVIEW_ACTION_KIND__RESTORE, 9, NULL, NULL),
			 0);
	assert_int_equal(st->n_editorial, 0);
	/* A revision keeps the decisions; a query still works alongside. */
	assert_int_equal(step_action(st, CANVASS__REVIEW_ACTION_KIND__REOPEN, 10), 0);
	assert_int_equal(step_editorial(st, CANVASS__REVIEW_ACTION_KIND__EXCLUDE, 11, "a", NULL),
			 0);
	assert_int_equal(step_revision(st, 2, 12), 0);
	assert_int_equal(st->n_editorial, 1);
	assert_int_equal(st->state, CANVASS__RETURN_STATE__SUBMITTED);
	review_free(&st);
}

static void test_action_check(void **state)
{
	Canvass__ReviewAction a = action(CANVASS__REVIEW_ACTION_KIND__QUERY, "id1");
	char why[160];
	(void)state;
	assert_int_equal(review_action_check(&a, why, sizeof why), 0);
	a.comment = (char *)"";
	assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	assert_string_equal(why, "a query needs a comment");
	a = action(CANVASS__REVIEW_ACTION_KIND__APPROVE, "");
	assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	a = action(CANVASS__REVIEW_ACTION_KIND__APPROVE, "id2");
	a.n_questions = 1;
	a.questions = (char *[]){"q"};
	assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	a = action(7, "id3");
	assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	/* The digest's actions: an edit names one shared answer and gives its text. */
	a = action(CANVASS__REVIEW_ACTION_KIND__EDIT, "id6");
	a.comment = (char *)"names removed";
	a.questions = (char *[]){"gi_ip_hr_initiative", "gi_ip_hr_results"};
	a.n_questions = 2;
	a.text = (char *)"new";
	assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	assert_string_equal(why, "an edit names one question and gives its new text");
	a.n_questions = 1;
	assert_int_equal(review_action_check(&a, why, sizeof why), 0);
	a.comment = (char *)"";
	assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	assert_string_equal(why, "an edit needs a comment");
	a = action(CANVASS__REVIEW_ACTION_KIND__EXCLUDE, "id7");
	assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	a.comment = (char *)"off topic";
	assert_int_equal(review_action_check(&a, why, sizeof why), 0);
	a.text = (char *)"x";
	assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	assert_string_equal(why, "only an edit gives a text");
	a = action(CANVASS__REVIEW_ACTION_KIND__RESTORE, "id8");
	assert_int_equal(review_action_check(&a, why, sizeof why), 0);
	/* Every field by the identifier rules of a submission: a key the store
	 * cannot join (over 480 bytes) never reaches it. */
	{
		static char longq[501];
		memset(longq, 'q', sizeof longq - 1);
		a = action(CANVASS__REVIEW_ACTION_KIND__APPROVE, "id4");
		a.questionnaire = longq;
		assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
		assert_string_equal(why, "questionnaire: 1-64 of A-Z a-z 0-9 _ . -");
		a = action(CANVASS__REVIEW_ACTION_KIND__APPROVE, "id4");
		a.cycle = longq;
		assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
		a = action(CANVASS__REVIEW_ACTION_KIND__APPROVE, "id4");
		a.member = (char *)"ke";
		assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
		assert_string_equal(why, "member: 2-16 of A-Z 0-9");
		a = action(CANVASS__REVIEW_ACTION_KIND__APPROVE, "an id");
		assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	}
	/* A question id breaks the id rule: refused, not only when too long. */
	a = action(CANVASS__REVIEW_ACTION_KIND__QUERY, "id5");
	a.questions = (char *[]){"not an id!"};
	a.n_questions = 1;
	assert_int_equal(review_action_check(&a, why, sizeof why), CV_EINVAL);
	assert_string_equal(why, "question ids: 1-64 of A-Z a-z 0-9 _ . -");
}

static void test_reviewers_file(void **state)
{
	char *dir = tu_tempdir();
	struct zap_entry *e = NULL;
	size_t n = 0;
	char err[512];
	const char *key = "rq:rldMy0/xS3Hj:eD[oA@N)P]bI7GEV1i(N1^:T";
	char text[512];
	(void)state;
	snprintf(text, sizeof text, "# who may review\n\nalice,%s\n", key);
	assert_int_equal(reviewers_load(tu_write(dir, "ok.csv", text), &e, &n, err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].user, "alice");
	assert_string_equal(e[0].key, key);
	free(e);
	snprintf(text, sizeof text, "alice,%s\nbob,%s\n", key, key);
	assert_int_equal(reviewers_load(tu_write(dir, "twice.csv", text), &e, &n, err, sizeof err),
			 CV_ECONFIG);
	assert_non_null(strstr(err, ":2: reviewer bob or its key is listed twice"));
	assert_int_equal(reviewers_load(tu_write(dir, "bad.csv", "alice,notakey\n"), &e, &n, err,
					sizeof err),
			 CV_ECONFIG);
	assert_non_null(strstr(err, "bad.csv:1: expected"));
	assert_int_equal(
		reviewers_load(tu_write(dir, "name.csv", "al ice,x\n"), &e, &n, err, sizeof err),
		CV_ECONFIG);
	tu_rmtree(dir);
	free(dir);
}

/* -------------------------------------------------------------- store */

/* Stores body as member's revision of isa/2025 under key; its status. */
static int put(struct tu_store_fx *f, const char *member, const char *key, const char *body,
	       struct store_put *out)
{
	static uint8_t hash[CV_HASH_LEN];
	struct store_put p = tu_put(member, "2025", key, body, hash);
	assert_int_equal(store_put_batch(f->s, &p, 1), 0);
	if (out != NULL)
		*out = p;
	return p.status;
}

static int act(struct tu_store_fx *f, int kind, const char *id, struct store_review *r)
{
	Canvass__ReviewAction a = action(kind, id);
	memset(r, 0, sizeof *r);
	r->action = &a;
	assert_int_equal(store_review_act(f->s, r), 0);
	r->action = NULL;
	return r->status;
}

static void assert_verifies(struct tu_store_fx *f, uint64_t entries, uint64_t reviewed)
{
	struct store_view *v;
	struct store_verify res;
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(store_verify(v, &res), 0);
	assert_int_equal(res.first_bad, 0);
	assert_string_equal(res.review_problem, "");
	assert_int_equal(res.entries, entries);
	assert_int_equal(res.reviewed, reviewed);
	store_view_close(&v);
}

static void test_store_loop(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_review r;
	struct store_put p;
	struct store_view *v;
	Canvass__ReturnStatus *st;
	Canvass__HistoryEntry *e;

	/* No return yet: nothing to act on, nothing written. */
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__QUERY, "a0", &r),
			 CANVASS__STATUS__NOT_FOUND);
	assert_int_equal(store_head_sequence(f->s), 0);
	assert_int_equal(put(f, "KE", "k1", "one", NULL), CANVASS__STATUS__ACCEPTED);
	assert_int_equal(put(f, "FR", "k1", "fr", NULL), CANVASS__STATUS__ACCEPTED);
	/* A query: entry 3, the return queried. */
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__QUERY, "a1", &r),
			 CANVASS__STATUS__ACCEPTED);
	assert_int_equal(r.sequence, 3);
	assert_int_equal(r.revision, 1);
	assert_int_equal(r.state->state, CANVASS__RETURN_STATE__QUERIED);
	review_free(&r.state);
	/* The same id again: the original entry; for another action: CONFLICT. */
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__QUERY, "a1", &r),
			 CANVASS__STATUS__DUPLICATE);
	assert_int_equal(r.sequence, 3);
	review_free(&r.state);
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__APPROVE, "a1", &r),
			 CANVASS__STATUS__CONFLICT);
	assert_int_equal(store_head_sequence(f->s), 3);
	/* The entry: a review action, hashed with its domain, linked to revision 1. */
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(store_view_entry(v, 3, &e), 0);
	assert_true(e->review.len > 0);
	assert_int_equal(e->submission.len, 0);
	assert_int_equal(e->previous_sequence, 1);
	{
		uint8_t h[CV_HASH_LEN];
		review_content_hash(e->review.data, e->review.len, h);
		assert_memory_equal(h, e->content_hash.data, CV_HASH_LEN);
	}
	WIRE_FREE(e);
	store_view_close(&v);
	/* A revision answers the query. */
	assert_int_equal(put(f, "KE", "k2", "two", &p), CANVASS__STATUS__ACCEPTED);
	assert_int_equal(p.revision, 2);
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(store_view_review(v, "isa", "2025", "KE", &st), 0);
	assert_int_equal(st->state, CANVASS__RETURN_STATE__SUBMITTED);
	assert_int_equal(st->queries[0]->answered_by_revision, 2);
	assert_int_equal(st->queries[0]->closed_sequence, 4);
	review_free(&st);
	assert_int_equal(store_view_review(v, "isa", "2025", "FR", &st), 0);
	assert_null(st); /* never reviewed: no row */
	assert_int_equal(store_view_entry(v, 4, &e), 0);
	assert_int_equal(e->previous_sequence, 1); /* the revision before, not the action */
	WIRE_FREE(e);
	store_view_close(&v);
	/* Approved: a revision is LOCKED and writes nothing; its retry of stored
	 * content is still a DUPLICATE. */
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__APPROVE, "a2", &r),
			 CANVASS__STATUS__ACCEPTED);
	review_free(&r.state);
	assert_int_equal(put(f, "KE", "k3", "three", &p), CANVASS__STATUS__LOCKED);
	assert_int_equal(p.sequence, 0);
	assert_int_equal(store_head_sequence(f->s), 5);
	assert_int_equal(put(f, "KE", "k2", "two", &p), CANVASS__STATUS__DUPLICATE);
	assert_int_equal(p.sequence, 4);
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__APPROVE, "a3", &r),
			 CANVASS__STATUS__WRONG_STATE);
	assert_non_null(strstr(r.why, "approved already"));
	/* Reopened: the revision is taken. */
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__REOPEN, "a4", &r),
			 CANVASS__STATUS__ACCEPTED);
	review_free(&r.state);
	assert_int_equal(put(f, "KE", "k3", "three", &p), CANVASS__STATUS__ACCEPTED);
	assert_int_equal(p.revision, 3);
	assert_verifies(f, 7, 1);
}

static int count_return(const char *q, const char *c, const char *m, uint64_t seq, uint32_t rev,
			void *arg)
{
	(void)c, (void)seq, (void)rev;
	/* Record what was visited: "questionnaire/member;" */
	strcat(arg, q);
	strcat(arg, "/");
	strcat(arg, m);
	strcat(arg, ";");
	return 0;
}

/* A member's returns: by questionnaire (never one whose id merely starts alike), cycle, member. */
static void test_each_return(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_view *v;
	char seen[512];
	const char *qs[] = {"isa", "isa-x", "isa"};
	const char *members[] = {"KE", "KE", "FR"};
	const char *keys[] = {"k1", "k2", "k3"};
	uint8_t hash[3][CV_HASH_LEN];
	struct store_put p[3];

	for (int i = 0; i < 3; i++) {
		memset(&p[i], 0, sizeof p[i]);
		cv_sha256(qs[i], strlen(qs[i]), hash[i]);
		p[i].member = members[i];
		p[i].questionnaire = qs[i];
		p[i].cycle = "2025";
		p[i].key = keys[i];
		p[i].content_hash = hash[i];
		p[i].submission = (const uint8_t *)qs[i];
		p[i].submission_len = strlen(qs[i]);
	}
	assert_int_equal(store_put_batch(f->s, p, 3), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(p[i].status, CANVASS__STATUS__ACCEPTED);
	assert_int_equal(store_view_open(f->s, &v), 0);
	seen[0] = '\0';
	assert_int_equal(store_view_each_return(v, "isa", "", "KE", count_return, seen), 0);
	assert_string_equal(seen, "isa/KE;");
	seen[0] = '\0';
	assert_int_equal(store_view_each_return(v, NULL, "2025", "KE", count_return, seen), 0);
	assert_string_equal(seen, "isa/KE;isa-x/KE;");
	seen[0] = '\0';
	assert_int_equal(store_view_each_return(v, "isa", "2025", NULL, count_return, seen), 0);
	assert_string_equal(seen, "isa/FR;isa/KE;");
	seen[0] = '\0';
	assert_int_equal(store_view_each_return(v, "isa", "2024", NULL, count_return, seen), 0);
	assert_string_equal(seen, "");
	store_view_close(&v);
}

/* The replay at each position equals what the table said then (as --as-of needs). */
static void test_replay_as_of(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_review r;
	struct store_view *v;
	struct review_replay *rp;
	Canvass__HistoryEntry *e;
	int want[] = {0, CANVASS__RETURN_STATE__SUBMITTED, CANVASS__RETURN_STATE__QUERIED,
		      CANVASS__RETURN_STATE__SUBMITTED, CANVASS__RETURN_STATE__APPROVED};

	assert_int_equal(put(f, "KE", "k1", "one", NULL), CANVASS__STATUS__ACCEPTED);
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__QUERY, "a1", &r),
			 CANVASS__STATUS__ACCEPTED);
	review_free(&r.state);
	assert_int_equal(put(f, "KE", "k2", "two", NULL), CANVASS__STATUS__ACCEPTED);
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__APPROVE, "a2", &r),
			 CANVASS__STATUS__ACCEPTED);
	review_free(&r.state);
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(review_replay_open(&rp), 0);
	for (uint64_t seq = 1; seq <= 4; seq++) {
		const Canvass__ReturnStatus *st;
		char why[160];
		assert_int_equal(store_view_entry(v, seq, &e), 0);
		assert_int_equal(review_replay_entry(rp, e, why, sizeof why), 0);
		WIRE_FREE(e);
		st = review_replay_get(rp, "isa", "2025", "KE");
		assert_int_equal(st ? (int)st->state : CANVASS__RETURN_STATE__SUBMITTED, want[seq]);
	}
	assert_int_equal(review_replay_count(rp), 1);
	review_replay_close(&rp);
	store_view_close(&v);
	assert_verifies(f, 4, 1);
}

/* verify: a review row edited behind the store's back (approved by hand). */
static int count_entry(const Canvass__HistoryEntry *e, void *arg)
{
	(void)e;
	(void)arg;
	return 0;
}

/* Closes f's store, writes one row of table dbi with LMDB itself, reopens it read-only. */
static void forge(struct tu_store_fx *f, const char *dbi_name, const void *key, size_t klen,
		  const void *val, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {klen, (void *)(uintptr_t)key}, v = {vlen, (void *)(uintptr_t)val};
	struct store_cfg cfg = {.dir = f->dir, .readonly = true};
	char err[256];

	store_close(&f->s);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, dbi_name, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(&f->s, &cfg, err, sizeof err), 0);
}

static const char KE_KEY[] = "isa\0"
			     "2025\0"
			     "KE";

/* forged as KE's review row. */
static void forge_review_row(struct tu_store_fx *f, const Canvass__ReturnStatus *forged)
{
	uint8_t buf[64];
	size_t len = canvass__return_status__pack(forged, buf);
	forge(f, "review", KE_KEY, sizeof KE_KEY - 1, buf, len);
}

static struct store_verify verify_now(struct tu_store_fx *f)
{
	struct store_view *v;
	struct store_verify res;
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(store_verify(v, &res), 0);
	store_view_close(&v);
	return res;
}

/*
 * KE's current row pointed at FR's entry: verify finds it (the chain and the
 * review table are intact), and a read of KE's return refuses the entry.
 */
static void test_verify_rebuilds_the_indexes(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_put fr;
	struct store_verify res;
	struct store_view *v;
	uint8_t row[12];

	assert_int_equal(put(f, "KE", "k1", "one", NULL), CANVASS__STATUS__ACCEPTED);
	assert_int_equal(put(f, "KE", "k2", "two", NULL), CANVASS__STATUS__ACCEPTED);
	assert_int_equal(put(f, "FR", "k1", "three", &fr), CANVASS__STATUS__ACCEPTED);
	res = verify_now(f);
	assert_string_equal(res.index_problem, "");
	assert_int_equal(res.indexed, 2);
	cv_put_be64(row, fr.sequence);
	cv_put_be32(row + 8, 2);
	forge(f, "current", KE_KEY, sizeof KE_KEY - 1, row, sizeof row);
	res = verify_now(f);
	assert_int_equal(res.first_bad, 0);
	assert_string_equal(res.review_problem, "");
	assert_non_null(strstr(res.index_problem, "current: the row of isa 2025 KE points at "
						  "another entry than its latest revision"));
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(store_view_each_current(v, "isa", "2025", count_entry, NULL), CV_ECORRUPT);
	store_view_close(&v);
}

/* An idempotency key pointed elsewhere is found too. */
static void test_verify_checks_every_key(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_verify res;
	uint8_t row[8];
	static const char key[] = "KE\0"
				  "k1";

	assert_int_equal(put(f, "KE", "k1", "one", NULL), CANVASS__STATUS__ACCEPTED);
	assert_int_equal(put(f, "KE", "k2", "two", NULL), CANVASS__STATUS__ACCEPTED);
	cv_put_be64(row, 2);
	forge(f, "idem", key, sizeof key - 1, row, sizeof row);
	res = verify_now(f);
	assert_non_null(
		strstr(res.index_problem, "idem: the row of KE k1 points at another entry"));
}

static void test_verify_finds_an_edited_row(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_review r;
	struct store_view *v;
	struct store_verify res;
	Canvass__ReturnStatus forged = CANVASS__RETURN_STATUS__INIT;

	assert_int_equal(put(f, "KE", "k1", "one", NULL), CANVASS__STATUS__ACCEPTED);
	assert_int_equal(act(f, CANVASS__REVIEW_ACTION_KIND__QUERY, "a1", &r),
			 CANVASS__STATUS__ACCEPTED);
	review_free(&r.state);
	forged.state = CANVASS__RETURN_STATE__APPROVED;
	forged.state_sequence = 2;
	forge_review_row(f, &forged);
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(store_verify(v, &res), 0);
	assert_int_equal(res.first_bad, 0); /* the chain itself is intact */
	assert_non_null(strstr(res.review_problem, "KE isa 2025: the review table differs"));
	store_view_close(&v);
}

/* A review row whose state the enum has not is damage, never an index (the reporter's). */
static void test_state_outside_the_enum_is_damage(void **state)
{
	struct tu_store_fx *f = *state;
	struct store_view *v;
	Canvass__ReturnStatus forged = CANVASS__RETURN_STATUS__INIT, *st = NULL;

	assert_int_equal(put(f, "KE", "k1", "one", NULL), CANVASS__STATUS__ACCEPTED);
	forged.state = 9;
	forged.state_sequence = 1;
	forge_review_row(f, &forged);
	assert_int_equal(store_view_open(f->s, &v), 0);
	assert_int_equal(store_view_review(v, "isa", "2025", "KE", &st), CV_ECORRUPT);
	assert_null(st);
	store_view_close(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_action_check),
		cmocka_unit_test(test_editorial_steps),
		cmocka_unit_test(test_reviewers_file),
		cmocka_unit_test_setup_teardown(test_store_loop, tu_store_setup, tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_replay_as_of, tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_each_return, tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_verify_finds_an_edited_row, tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_state_outside_the_enum_is_damage,
						tu_store_setup, tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_verify_rebuilds_the_indexes, tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_verify_checks_every_key, tu_store_setup,
						tu_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
