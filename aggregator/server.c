#include "server.h"
#include "arena.h"
#include "server_internal.h"
#include "error.h"
#include "log.h"
#include "wire.h"
#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <jansson.h>

#include <string.h>
#include <zmq.h>

static void register_metrics(struct aggregator *a)
{
	static const double sizes[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};
	static const double secs[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
				      0.025,  0.05,    0.1,    0.25,  0.5,    1};
	struct metrics *m = a->cfg.metrics;
	const char *results[] = {"accepted", "duplicate", "conflict", "storage_full",
				 "internal", "malformed", "valid",    "locked"};

	if (m == NULL)
		return;
	a->m_results =
		metrics_counter(m, "canvass_aggregator_submissions_total",
				"Submissions answered by the aggregator, by result", "result");
	for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
		metric_touch(a->m_results, results[i]);
	a->m_late = metrics_counter(m, "canvass_aggregator_late_submissions_total",
				    "Submissions stored after their cycle's due date", NULL);
	metric_touch(a->m_late, NULL);
	a->m_batch = metrics_histogram(m, "canvass_aggregator_batch_size",
				       "Submissions per write transaction", sizes, 11);
	a->m_commit = metrics_histogram(m, "canvass_aggregator_commit_duration_seconds",
					"Duration of a batch's write transaction, commit included",
					secs, 13);
	a->m_map = metrics_gauge(m, "canvass_store_map_size_bytes", "LMDB map size", NULL);
	a->m_used = metrics_gauge(m, "canvass_store_used_bytes", "LMDB pages in use", NULL);
	a->m_history = metrics_gauge(m, "canvass_store_history_entries",
				     "Entries in the history (last sequence)", NULL);
	a->m_readers = metrics_gauge(m, "canvass_store_readers",
				     "LMDB reader table slots used (high-water mark)", NULL);
	a->m_dropped = metrics_counter(m, "canvass_aggregator_replies_dropped_total",
				       "Replies to collectors that were gone or not reading", NULL);
	metric_touch(a->m_dropped, NULL);
	a->m_last_commit = metrics_gauge(m, "canvass_aggregator_last_commit_timestamp_seconds",
					 "Unix time of the last committed batch", NULL);
	a->m_events = metrics_counter(m, "canvass_aggregator_events_published_total",
				      "Events published on the feed", NULL);
	metric_touch(a->m_events, NULL);
	a->m_subscribers = metrics_gauge(m, "canvass_aggregator_event_subscriptions",
					 "Subscriptions to the event feed", NULL);
	a->m_findings =
		metrics_counter(m, "canvass_aggregator_findings_total",
				"Quality findings made for receipts and dry runs, by code (OUTLIER "
				"is never sent to the member)",
				"code");
	metric_touch(a->m_findings, "CHANGE_FROM_PREVIOUS");
	metric_touch(a->m_findings, "OUTLIER");
	a->m_outliers = metrics_counter(
		m, "canvass_aggregator_outliers_total",
		"OUTLIER findings made at intake, by group (world or region)", "group");
	metric_touch(a->m_outliers, "world");
	a->m_review =
		metrics_counter(m, "canvass_aggregator_review_requests_total",
				"Reviewer requests answered, by request and status", "request");
	a->m_reads =
		metrics_counter(m, "canvass_aggregator_member_reads_total",
				"Members' reads of their own returns answered, by kind", "kind");
	metric_touch(a->m_reads, "status");
	metric_touch(a->m_reads, "fetch");
	a->m_check_values = metrics_gauge(
		m, "canvass_aggregator_check_values",
		"Members' current numbers held in memory for the quality checks", NULL);
}

void aggregator_update_gauges(struct aggregator *a)
{
	uint64_t map, used;
	unsigned readers;

	if (a->cfg.metrics == NULL)
		return;
	store_usage(a->cfg.store, &map, &used);
	metric_set(a->m_map, NULL, (double)map);
	metric_set(a->m_used, NULL, (double)used);
	if (store_readers(a->cfg.store, &readers) == 0)
		metric_set(a->m_readers, NULL, readers);
	metric_set(a->m_history, NULL, (double)store_head_sequence(a->cfg.store));
}

/* One event per outcome, never answer values. */
void aggregator_publish(struct aggregator *a, const struct store_put *p, int status)
{
	char topic[256], *text;
	json_t *o;

	if (a->events == NULL)
		return;
	o = json_pack("{ss ss ss sI sI ss sb sI}", "member", p->member, "questionnaire",
		      p->questionnaire, "cycle", p->cycle, "revision", (json_int_t)p->revision,
		      "sequence", (json_int_t)p->sequence, "status", wire_status_name(status),
		      "late", (int)p->late, "stored_at_ms", (json_int_t)p->stored_at_ms);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return;
	snprintf(topic, sizeof topic, "%s %s", p->questionnaire, p->member);
	if (zmq_send(a->events, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
	    zmq_send(a->events, text, strlen(text), ZMQ_DONTWAIT) >= 0)
		metric_add(a->m_events, NULL, 1);
	free(text);
}

int aggregator_open(struct aggregator **out, void *zctx, const struct aggregator_cfg *cfg,
		    char *err, size_t errlen)
{
	struct aggregator *a = calloc(1, sizeof *a);
	int one = 1, zero = 0, rc;

	*out = NULL;
	if (a == NULL)
		return CV_ENOMEM;
	a->cfg = *cfg;
	if (a->cfg.batch_max == 0)
		a->cfg.batch_max = 1;
	a->slots = calloc(a->cfg.batch_max, sizeof *a->slots);
	a->puts = calloc(a->cfg.batch_max, sizeof *a->puts);
	a->findings = malloc(sizeof *a->findings);
	if (a->slots == NULL || a->puts == NULL || a->findings == NULL ||
	    checks_open(&a->checks) != 0 || arena_open(&a->arena) != 0) {
		rc = CV_ENOMEM;
		goto fail;
	}
	a->sock = zmq_socket(zctx, ZMQ_ROUTER);
	if (a->sock == NULL) {
		rc = cv_fail(err, errlen, CV_EZMQ, "socket: %s", zmq_strerror(errno));
		goto fail;
	}
	{
		int64_t maxmsg = (int64_t)cfg->max_message;
		zmq_setsockopt(a->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
		zmq_setsockopt(a->sock, ZMQ_LINGER, &zero, sizeof zero);
		zmq_setsockopt(a->sock, ZMQ_SNDHWM, &cfg->hwm, sizeof cfg->hwm);
		zmq_setsockopt(a->sock, ZMQ_RCVHWM, &cfg->hwm, sizeof cfg->hwm);
		zmq_setsockopt(a->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
	}
	if (cfg->keys != NULL && zap_make_server(a->sock, cfg->keys) != 0) {
		rc = cv_fail(err, errlen, CV_EZMQ, "CURVE set-up: %s", zmq_strerror(errno));
		goto fail;
	}
	if (cfg->events != NULL) {
		int hwm = 100000;
		/* XPUB: a PUB that also hears (un)subscriptions, for the metric. */
		a->events = zmq_socket(zctx, ZMQ_XPUB);
		if (a->events == NULL ||
		    zmq_setsockopt(a->events, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
		    zmq_setsockopt(a->events, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
		    zmq_bind(a->events, cfg->events) != 0) {
			rc = cv_fail(err, errlen, CV_EZMQ, "events %s: %s", cfg->events,
				     zmq_strerror(errno));
			goto fail;
		}
	}
	if (cfg->review_listen != NULL) {
		int64_t maxmsg = (int64_t)cfg->max_message;
		a->review = zmq_socket(zctx, ZMQ_ROUTER);
		if (a->review == NULL ||
		    zmq_setsockopt(a->review, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
		    zmq_setsockopt(a->review, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
		    (cfg->keys != NULL &&
		     zap_make_server_domain(a->review, cfg->keys, ZAP_REVIEW_DOMAIN) != 0) ||
		    zmq_bind(a->review, cfg->review_listen) != 0) {
			rc = cv_fail(err, errlen, CV_EZMQ, "review endpoint %s: %s",
				     cfg->review_listen, zmq_strerror(errno));
			goto fail;
		}
	}
	checks_set_registry(a->checks, cfg->registry);
	register_metrics(a);
	aggregator_update_gauges(a);
	if (zmq_bind(a->sock, cfg->listen) != 0) {
		rc = cv_fail(err, errlen, CV_EZMQ, "bind %s: %s", cfg->listen, zmq_strerror(errno));
		goto fail;
	}
	*out = a;
	return 0;
fail:
	aggregator_close(&a);
	return rc;
}

void aggregator_close(struct aggregator **ap)
{
	struct aggregator *a;
	if (ap == NULL || *ap == NULL)
		return;
	a = *ap;
	if (a->sock != NULL) {
		/* The last answers (a failed batch's INTERNAL) still reach the
		 * collectors, within a bound: closing never hangs on a dead peer. */
		int linger = AGGREGATOR_CLOSE_LINGER_MS;
		zmq_setsockopt(a->sock, ZMQ_LINGER, &linger, sizeof linger);
		zmq_close(a->sock);
	}
	if (a->events != NULL)
		zmq_close(a->events);
	if (a->review != NULL)
		zmq_close(a->review);
	free(a->reviewers);
	if (a->slots != NULL)
		for (size_t i = 0; i < a->cfg.batch_max; i++)
			checks_plan_free(&a->slots[i].plan);
	arena_close(&a->arena);
	free(a->slots);
	free(a->puts);
	free(a->findings);
	checks_close(&a->checks);
	free(a);
	*ap = NULL;
}

const struct aggregator_stats *aggregator_stats(const struct aggregator *a)
{
	return &a->stats;
}

void *aggregator_events_socket(struct aggregator *a)
{
	return a->events;
}

void aggregator_set_registry(struct aggregator *a, const struct registry *reg)
{
	checks_set_registry(a->checks, reg);
	a->cfg.registry = reg;
}

void aggregator_set_schedule(struct aggregator *a, const struct qset *qs,
			     const struct cycles *cycles)
{
	a->cfg.qs = qs;
	a->cfg.cycles = cycles;
}

void *aggregator_socket(struct aggregator *a)
{
	return a->sock;
}

void *aggregator_review_socket(struct aggregator *a)
{
	return a->review;
}

int aggregator_set_reviewers(struct aggregator *a, const struct zap_entry *e, size_t n)
{
	struct zap_entry *copy = malloc((n ? n : 1) * sizeof *copy);
	if (copy == NULL)
		return CV_ENOMEM;
	if (n > 0)
		memcpy(copy, e, n * sizeof *copy);
	free(a->reviewers);
	a->reviewers = copy;
	a->n_reviewers = n;
	return 0;
}

void aggregator_send_reply(struct aggregator *a, const uint8_t *rid, size_t rid_len,
			   const Canvass__StoreReply *rep)
{
	uint8_t *buf;
	size_t len;

	if (wire_pack(&rep->base, &buf, &len) != 0) {
		a->stats.replies_dropped++;
		return;
	}
	if (zmq_send(a->sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(a->sock, buf, len, ZMQ_DONTWAIT) < 0) {
		/* The collector is gone or not reading: its member will retry. */
		a->stats.replies_dropped++;
		log_event(LOG_WARN, "reply_dropped", "reason=\"%s\"", zmq_strerror(errno));
	}
	free(buf);
}

void aggregator_reply_status(struct aggregator *a, const uint8_t *rid, size_t rid_len,
			     uint64_t ticket, int status, const char *message)
{
	Canvass__StoreReply rep = CANVASS__STORE_REPLY__INIT;
	rep.protocol_version = WIRE_PROTOCOL_VERSION;
	rep.ticket = ticket;
	rep.status = status;
	rep.message = (char *)(uintptr_t)message;
	aggregator_send_reply(a, rid, rid_len, &rep);
}

/* Subscription messages: first byte 1 subscribes, 0 unsubscribes. */
static void on_subscription(struct aggregator *a)
{
	uint8_t buf[256];
	int n;
	while ((n = zmq_recv(a->events, buf, sizeof buf, ZMQ_DONTWAIT)) >= 1) {
		a->subscriptions += buf[0] == 1 ? 1 : -1;
		if (a->subscriptions < 0)
			a->subscriptions = 0;
		metric_set(a->m_subscribers, NULL, (double)a->subscriptions);
	}
}

/*
 * After a storage failure that stops the writer: for a bounded time keep
 * reading, and answer every request INTERNAL, so that the collectors have
 * read the failed batch's answers before the connection closes (closing on
 * unread data would reset it, and a reset discards what the peer has not
 * read yet).
 */
static void drain_after_failure(struct aggregator *a)
{
	int64_t end = cv_mono_ms() + AGGREGATOR_STOP_GRACE_MS, left;
	zmq_pollitem_t item = {a->sock, 0, ZMQ_POLLIN, 0};

	while ((left = end - cv_mono_ms()) > 0) {
		int got;
		item.revents = 0;
		if (zmq_poll(&item, 1, (long)left) <= 0)
			continue; /* timeout or a signal: the loop checks the time */
		while ((got = aggregator_receive_one(a, 0)) >= 0) {
			if (got == 1) {
				aggregator_reply_status(
					a, a->slots[0].rid, a->slots[0].rid_len,
					a->slots[0].req->ticket, CANVASS__STATUS__INTERNAL,
					"storage failed; the aggregator is stopping");
				a->slots[0].req = NULL;
				checks_plan_free(&a->slots[0].plan);
				arena_reset(a->arena);
			}
		}
	}
}

void aggregator_set_batch_wait(struct aggregator *a, long batch_wait_us)
{
	a->cfg.batch_wait_us = batch_wait_us;
}

int aggregator_run(struct aggregator *a, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	zmq_pollitem_t item = {a->sock, 0, ZMQ_POLLIN, 0};
	zmq_pollitem_t both[3] = {{a->sock, 0, ZMQ_POLLIN, 0}};
	int n_items = 1, i_events = -1, i_review = -1;

	/* Only the sockets there are (a NULL socket would poll descriptor 0). */
	if (a->events != NULL) {
		i_events = n_items++;
		both[i_events] = (zmq_pollitem_t){a->events, 0, ZMQ_POLLIN, 0};
	}
	if (a->review != NULL) {
		i_review = n_items++;
		both[i_review] = (zmq_pollitem_t){a->review, 0, ZMQ_POLLIN, 0};
	}

	int64_t next_reader_check = cv_mono_ms() + 60000;

	while (!*stop) {
		size_t n = 0;
		int64_t deadline;
		int rc;

		if (reload != NULL && *reload)
			return AGGREGATOR_RELOAD;
		daemon_watchdog_tick();
		if (cv_mono_ms() >= next_reader_check) {
			int dead = 0;
			/* Reader slots of crashed reporters would pin old pages forever. */
			if (store_reader_check(a->cfg.store, &dead) == 0 && dead > 0)
				log_event(LOG_WARN, "stale_readers_cleared", "count=%d", dead);
			next_reader_check = cv_mono_ms() + 60000;
		}

		both[0].revents = both[1].revents = both[2].revents = 0;
		if (zmq_poll(both, n_items, 500) < 0) {
			if (errno == EINTR)
				continue;
			return CV_EZMQ;
		}
		if (i_events >= 0 && (both[i_events].revents & ZMQ_POLLIN))
			on_subscription(a);
		if (i_review >= 0 && (both[i_review].revents & ZMQ_POLLIN)) {
			/* A few at a time: reviewers never hold back the members' batches. */
			for (int i = 0; i < 16; i++) {
				int ev = 0;
				size_t el = sizeof ev;
				if ((rc = aggregator_on_review(a)) != 0) {
					log_event(LOG_ERROR, "storage_failed",
						  "error=\"%s\" during=review", cv_strerror(rc));
					httpd_record_error(a->cfg.http);
					drain_after_failure(a);
					return rc;
				}
				if (zmq_getsockopt(a->review, ZMQ_EVENTS, &ev, &el) != 0 ||
				    !(ev & ZMQ_POLLIN))
					break;
			}
		}
		if (!(both[0].revents & ZMQ_POLLIN))
			continue;
		/* Gather a batch: what is queued now, then up to batch_wait_us more. */
		deadline = cv_mono_us() + a->cfg.batch_wait_us;
		arena_reset(a->arena); /* no slot holds a request between batches */
		while (n < a->cfg.batch_max && arena_bytes(a->arena) < AGGREGATOR_ARENA_CAP) {
			int got = aggregator_receive_one(a, n);
			if (got == 1) {
				n++;
				continue;
			}
			if (got == 0)
				continue;
			{
				int64_t left_us = deadline - cv_mono_us();
				if (n == 0 || left_us <= 0 || *stop)
					break;
				item.revents = 0;
				if (zmq_poll(&item, 1, (long)((left_us + 999) / 1000)) <= 0 ||
				    !(item.revents & ZMQ_POLLIN))
					break;
			}
		}
		if (n == 0)
			continue;
		{
			int64_t t0 = cv_mono_us();
			uint64_t splits = store_batch_splits(a->cfg.store);
			rc = store_put_batch(a->cfg.store, a->puts, n);
			if (store_batch_splits(a->cfg.store) != splits)
				log_event(LOG_WARN, "batch_split",
					  "batch=%zu splits=%llu msg=\"one transaction could not "
					  "hold "
					  "the batch: written in parts; lower batch-max\"",
					  n,
					  (unsigned long long)(store_batch_splits(a->cfg.store) -
							       splits));
			metric_observe(a->m_commit, (double)(cv_mono_us() - t0) / 1e6);
			metric_observe(a->m_batch, (double)n);
		}
		a->stats.batches++;
		aggregator_answer_batch(a, n, rc);
		if (rc == 0) {
			metric_set(a->m_last_commit, NULL, (double)cv_now_ms() / 1000);
			aggregator_update_gauges(a);
		} else {
			httpd_record_error(a->cfg.http);
			/* Part of a split batch may be stored although its answer is a
			 * failure: read the checks' groups back from the store. */
			checks_set_registry(a->checks, a->cfg.registry);
		}
		log_event(LOG_DEBUG, "batch", "size=%zu result=%s", n, cv_strerror(rc));
		if (rc == CV_EFULL || rc == CV_ENOSPC) {
			/* Retryable: keep serving; the next batch tries again. One line a
			 * second at most: a full store fails every batch. */
			static struct log_limit full_lines;
			log_limited(&full_lines, cv_mono_ms(), 1000, LOG_WARN, "storage_full",
				    "reason=\"%s\" batch=%zu", cv_strerror(rc), n);
		} else if (rc != 0) {
			/* An I/O error on commit: never retry an fsync that failed. Exit;
			 * a restart recovers from the last durable commit. */
			log_event(LOG_ERROR, "storage_failed", "error=\"%s\" batch=%zu",
				  cv_strerror(rc), n);
			drain_after_failure(a);
			return rc;
		}
	}
	return 0;
}
