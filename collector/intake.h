/*
 * intake.h - what the collector does with one member request before it
 * relays anything: size and shape, version, identity, questionnaire,
 * cycle, validation, canonical form and content hash.
 *
 * Identity comes from the connection: peer is the member code the ZAP
 * handler bound to the connection (User-Id) and peer_key the CURVE key it
 * admitted. Each message is checked against the registry in force, so a
 * key revoked by a reload stops working at once, even on a connection
 * opened before (UNAUTHORIZED). Only when the collector runs with
 * --insecure (local development, no CURVE) is there no peer, and the
 * payload's claim is taken instead, provided the registry knows it.
 *
 * A validate-only request (dry run) goes through every check and is
 * answered REJECTED here when invalid; a valid one is relayed with dry_run
 * set, and the aggregator answers VALID with the findings of the checks
 * that need the store (change from the previous cycle, outliers), or
 * LOCKED when the return is approved, storing nothing.
 *
 * A status or fetch (the member's own returns) is relayed with read set and
 * the connection's member code; the aggregator answers it from a read
 * snapshot.
 *
 * For those checks every relayed request carries, per checked question,
 * the member's number and the check's parameters (parallel arrays:
 * StoreRequest.check_questions, check_values, ...) and the previous cycle
 * of the schedule: the aggregator compares without the definition and
 * without decoding the submission again.
 */
#ifndef CANVASS_COLLECTOR_INTAKE_H
#define CANVASS_COLLECTOR_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cycles.h"
#include "qdef.h"
#include "registry.h"
#include "text.h"
#include "util.h"
#include "validate.h"
#include "wire.h"

struct intake {
	const struct registry *reg;  /* borrowed */
	const struct qset *qs;       /* borrowed */
	const struct cycles *cycles; /* borrowed */
	struct wire_limits limits;
};

/* Outcome of one request; reused across requests (intake_result_clear). */
struct intake_result {
	/* 0: relay store to the aggregator; otherwise the status to answer. */
	int status;
	uint64_t request_id;
	bool late; /* after the cycle's due date */
	char message[256];
	struct verdict verdict; /* errors, or the warnings that travel in the receipt */
	/* When relaying: store points into the fields below and req. */
	Canvass__StoreRequest store;
	Canvass__Request *req; /* in arena */
	struct arena *arena;   /* the decoded request's; reset for each request */
	uint8_t *content;      /* packed canonical submission */
	size_t content_len;
	uint8_t hash[CV_HASH_LEN];
	char key[TEXT_MAX_KEY + 1];
	char member[REGISTRY_MAX_CODE + 1];
};

void intake_result_init(struct intake_result *r);
void intake_result_clear(struct intake_result *r);
/* clear, and frees the arena: for a result no longer used. */
void intake_result_free(struct intake_result *r);

/*
 * Checks buf (one frame from a member) at now_ms. peer and peer_key are the
 * connection's member code and key, or NULL in insecure mode. Always fills
 * r: r->status == 0 means relay r->store; anything else is the answer.
 */
void intake_check(const struct intake *in, const void *buf, size_t len, const char *peer,
		  const char *peer_key, int64_t now_ms, struct intake_result *r);

#endif
