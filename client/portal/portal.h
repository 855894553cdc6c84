/*
 * portal.h - the member's portal: a small web application on the member's
 * own machine, next to its key, that puts the questionnaire in front of a
 * person as a form and talks to the collector over the member's CURVE link
 * exactly as canvass-submit does (client.h). docs/portal.md.
 *
 * The portal holds the member's key, so it trusts nothing that reaches it:
 *   - it listens on a loopback address only (127.0.0.0/8 or ::1);
 *   - every request needs the secret token of this start: in the URL it
 *     printed, once, then an HttpOnly SameSite=Strict cookie; without it
 *     the answer is 403 and nothing else happens;
 *   - the Host header must name the bound address (no DNS rebinding);
 *   - every POST needs an Origin (or, without one, a Referer) of the portal
 *     itself (no cross-site request);
 *   - every page says Content-Security-Policy default-src 'none' with the
 *     style sheet from 'self' only, no frames, no CORS; every value in
 *     HTML is escaped; a request body is at most PORTAL_MAX_BODY bytes.
 * Requests are served one at a time on the portal's own thread.
 */
#ifndef CANVASS_PORTAL_H
#define CANVASS_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "cycles.h"
#include "i18n.h"
#include "qdef.h"

/* The largest request body (a posted form) the portal reads. */
#define PORTAL_MAX_BODY (256 * 1024)

struct portal_cfg {
	const char *listen;          /* "127.0.0.1:0", "[::1]:8080": loopback only */
	const struct qset *qs;       /* borrowed: the questionnaires, to make the forms */
	const struct cycles *cycles; /* borrowed: the schedule, for the open cycles */
	const char *member;          /* the member's code (its key decides at the collector) */
	const char *drafts;          /* the drafts' directory */
	struct client *client;       /* borrowed: the member's link to the collectors */
	enum lang lang;              /* the language of a first visit */
};

struct portal;

/*
 * Starts serving. *url gets the address to open (with the token; the
 * caller's to free). CV_ECONFIG (err says why) for an address that is not
 * loopback or cannot be bound.
 */
int portal_start(struct portal **out, const struct portal_cfg *cfg, char **url, char *err,
		 size_t errlen);
void portal_stop(struct portal **p);

#endif
