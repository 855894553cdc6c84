/*
 * budget.h - what one member may cost the collector.
 *
 * Two bounds, per member (all of a member's connections together):
 *
 *   in flight   submissions relayed to the aggregator and not yet answered;
 *               at max_in_flight a new request gets BUSY.
 *   unread      bytes of replies handed to ZeroMQ that ZeroMQ has not yet
 *               released (written to the connection, or dropped with it).
 *               At reply_bytes a new request gets BUSY without being
 *               checked; a reply that would take the member past
 *               2 x reply_bytes is dropped and counted, and once not even
 *               a BUSY fits (budget_full) the collector closes the
 *               connection a new request comes on, as Redis does with a
 *               client past its output buffer's hard limit. So a member
 *               that never reads its replies holds at most 2 x reply_bytes.
 *
 * The unread count is exact: every reply is a zero-copy ZeroMQ message
 * whose free callback (run by a ZeroMQ I/O thread) gives its bytes back.
 * Entries live while anything is in flight or unread; budget_sweep frees
 * the idle ones. Everything but the callback runs on the collector's loop.
 */
#ifndef CANVASS_COLLECTOR_BUDGET_H
#define CANVASS_COLLECTOR_BUDGET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>
#include <zmq.h>

struct budget_entry {
	struct budget_entry *next;
	atomic_size_t unread; /* reply bytes ZeroMQ holds for this member */
	size_t in_flight;
	size_t key_len;
	uint8_t key[];
};

struct budget {
	struct budget_entry **buckets;
	size_t n_buckets, n_entries;
	size_t max_in_flight, reply_bytes;
	atomic_size_t unread; /* all members together */
	atomic_bool released; /* budget_release: freed by whoever sees unread reach 0 */
	atomic_int freed;
};

enum budget_verdict { BUDGET_OK, BUDGET_IN_FLIGHT, BUDGET_UNREAD };

int budget_init(struct budget *b, size_t max_in_flight, size_t reply_bytes);
/* Frees every entry; call once ZeroMQ has released every reply (budget_idle). */
void budget_free(struct budget *b);

/*
 * A budget of its own (heap), for an owner that may go before ZeroMQ has
 * released every reply: budget_release frees it at once when nothing is
 * unread, else the last reply's free callback does (on ZeroMQ's thread), so
 * a late callback never writes to freed memory. *bp is NULL afterwards.
 */
int budget_new(struct budget **out, size_t max_in_flight, size_t reply_bytes);
void budget_release(struct budget **bp);
/* The member's entry, made on first use; NULL when out of memory. */
struct budget_entry *budget_get(struct budget *b, const void *key, size_t key_len);
/* May this member have one more request served? */
enum budget_verdict budget_admit(const struct budget *b, struct budget_entry *e);
/* Not even a short reply (BUDGET_SHORT_REPLY bytes) fits the member's unread budget. */
#define BUDGET_SHORT_REPLY 512
int budget_full(const struct budget *b, struct budget_entry *e);
/*
 * Packs msg into m as a zero-copy message charged to e until ZeroMQ releases
 * it. CV_EBUSY (m untouched) when it would take e past 2 x reply_bytes;
 * CV_ENOMEM. Close m yourself if the send fails: that gives the bytes back.
 */
int budget_msg_init(struct budget *b, struct budget_entry *e, zmq_msg_t *m,
		    const ProtobufCMessage *msg);
/* Frees the entries with nothing in flight or unread. */
void budget_sweep(struct budget *b);
/* Bytes of replies ZeroMQ still holds, all members together. */
size_t budget_unread(const struct budget *b);

#endif
