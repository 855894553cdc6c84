/*
 * cycles.h - the schedule of questionnaire cycles: when each cycle of each
 * questionnaire opens, is due and closes.
 *
 * Loaded from a JSON file (docs/questionnaires.md):
 *   {"cycles": [{"questionnaire": "integrity-self-assessment", "cycle": "2025",
 *                "opens": "2025-01-15", "due": "2025-06-30", "closes": "2025-09-30"}]}
 * Times are UTC: a date alone means the start of that day for "opens" and
 * the end of that day for "due" and "closes"; "2025-06-30T12:00:00Z" is an
 * exact instant. Before opens a submission is refused (CYCLE_NOT_OPEN); up to
 * due it is on time; after due and up to closes it is accepted and marked
 * late; after closes it is refused (CYCLE_CLOSED). A cycle that is not listed
 * is refused (UNKNOWN_CYCLE).
 */
#ifndef CANVASS_CYCLES_H
#define CANVASS_CYCLES_H

#include <stddef.h>
#include <stdint.h>

struct cycle {
	char *questionnaire;
	char *cycle;
	int64_t opens_ms, due_ms, closes_ms; /* Unix ms, inclusive */
};

struct cycles {
	struct cycle *items;
	size_t n;
};

enum cycle_state { CYCLE_ON_TIME, CYCLE_LATE, CYCLE_NOT_OPEN, CYCLE_CLOSED, CYCLE_UNKNOWN };

int cycles_load(const char *path, struct cycles **out, char *err, size_t errlen);
int cycles_load_text(const char *name, const char *text, size_t len, struct cycles **out, char *err,
		     size_t errlen);
void cycles_free(struct cycles **c);

/* The state of (questionnaire, cycle) at now_ms; *found (may be NULL) gets the entry. */
enum cycle_state cycles_state(const struct cycles *c, const char *questionnaire, const char *cycle,
			      int64_t now_ms, const struct cycle **found);

/*
 * The cycle of the same questionnaire that opened last before this one
 * opened (the "previous cycle" of the change check), or NULL: none, or
 * this cycle is not listed.
 */
const struct cycle *cycles_previous(const struct cycles *c, const char *questionnaire,
				    const char *cycle);

/* Parses "YYYY-MM-DD" (start or end of day) or "YYYY-MM-DDTHH:MM:SSZ". */
int cycles_parse_time(const char *s, int end_of_day, int64_t *out_ms);

#endif
