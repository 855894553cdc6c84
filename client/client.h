/*
 * client.h - the member client library: sends submissions to collectors
 * and waits for the receipt, retrying when the answer does not come.
 *
 * Retries are safe because every submission carries an idempotency key:
 * when the caller leaves it empty, client_submit() sets it to the hex
 * SHA-256 of the canonical content, so a resend of the same content is
 * answered DUPLICATE with the original receipt, never stored twice.
 *
 * On a timeout the client drops its socket (a late answer can no longer
 * arrive and be mistaken) and tries the next endpoint. A retryable answer
 * (BUSY, UNAVAILABLE, STORAGE_FULL, INTERNAL) is retried after an
 * exponential backoff with jitter, also on the next endpoint.
 */
#ifndef CANVASS_CLIENT_H
#define CANVASS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "canvass.pb-c.h"
#include "keys.h"

struct client_cfg {
	char *const *endpoints; /* borrowed; at least one */
	size_t n_endpoints;
	long timeout_ms;            /* wait for one answer (default 5000) */
	int attempts;               /* sends in all (default 5) */
	long backoff_ms;            /* first retry pause (default 200, doubles) */
	const struct keypair *keys; /* the member's CURVE keys; NULL: plaintext */
	const char *server_key;     /* the collectors' public key (Z85) */
};

struct client;

int client_open(struct client **out, const struct client_cfg *cfg, char *err, size_t errlen);

/* A member's link as the files name it: its key pair and the collectors' key. */
struct client_link {
	struct keypair keys;
	char server_key[KEY_Z85_LEN + 1];
};

/*
 * Loads key_path (the member's pair) and server_key_path (the collectors'
 * public key) into link, which must outlive the client (it reconnects with
 * them), and opens the client on endpoints. CV_ECONFIG with err when a file
 * does not load. keys_wipe(&link->keys) once the client is closed.
 */
int client_open_link(struct client **out, struct client_link *link, char *const *endpoints,
		     size_t n_endpoints, const char *key_path, const char *server_key_path,
		     long timeout_ms, int attempts, char *err, size_t errlen);
void client_close(struct client **c);

/*
 * Puts s in canonical form and sets its idempotency key to the hex SHA-256
 * of its content when it has none (idempotent). client_submit does it too;
 * call it first to learn the key before sending (e.g. for an outbox).
 * CV_EINVAL when s repeats a question.
 */
int client_prepare(Canvass__Submission *s);

/*
 * Submits s. s is put in canonical form and its idempotency key filled in
 * when empty. Returns 0 with *reply (the caller's; WIRE_FREE) once a final
 * answer came, or the last retryable one when attempts ran out; returns
 * CV_ETIMEDOUT when no answer came at all, CV_EINVAL when s repeats a
 * question, CV_EAUTH when a collector refused the member's key or the
 * CURVE handshake failed (a wrong server key) and no answer came, CV_EBUSY
 * when collectors refused the connection only for their connection limit.
 * *detail, when not NULL, gets a static explanation for CV_EAUTH, CV_EBUSY.
 */
int client_submit(struct client *c, Canvass__Submission *s, Canvass__Reply **reply,
		  const char **detail);

/*
 * A dry run: the same checks through the same socket and path, answered
 * VALID or REJECTED; nothing is stored. Returns as client_submit.
 */
int client_check(struct client *c, Canvass__Submission *s, Canvass__Reply **reply,
		 const char **detail);

/*
 * Reads this member's own returns (its key decides whose): fetch false, the
 * state of every return matching questionnaire and cycle (NULL or "": any)
 * in reply->returns; fetch true, the latest stored submission of that
 * return in reply->submission (NOT_FOUND when there is none). Retried and
 * returned as client_submit.
 */
int client_read(struct client *c, bool fetch, const char *questionnaire, const char *cycle,
		Canvass__Reply **reply, const char **detail);

#endif
