#include "budget.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

/* Sits in front of every reply's bytes; the free callback's hint. */
struct charge {
	struct budget *b;
	struct budget_entry *e;
	size_t len;
	max_align_t align[];
};

static size_t hash(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (size_t)h;
}

int budget_init(struct budget *b, size_t max_in_flight, size_t reply_bytes)
{
	memset(b, 0, sizeof *b);
	b->n_buckets = 256;
	b->buckets = calloc(b->n_buckets, sizeof *b->buckets);
	if (b->buckets == NULL)
		return CV_ENOMEM;
	b->max_in_flight = max_in_flight;
	b->reply_bytes = reply_bytes;
	atomic_init(&b->unread, 0);
	atomic_init(&b->released, false);
	atomic_init(&b->freed, 0);
	return 0;
}

void budget_free(struct budget *b)
{
	for (size_t i = 0; b->buckets != NULL && i < b->n_buckets; i++) {
		struct budget_entry *e = b->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(b->buckets);
	b->buckets = NULL;
	b->n_entries = 0;
}

static int grow(struct budget *b)
{
	size_t n = b->n_buckets * 2;
	struct budget_entry **nb = calloc(n, sizeof *nb);

	if (nb == NULL)
		return CV_ENOMEM;
	for (size_t i = 0; i < b->n_buckets; i++) {
		struct budget_entry *e = b->buckets[i], *next;
		for (; e != NULL; e = next) {
			size_t k = hash(e->key, e->key_len) & (n - 1);
			next = e->next;
			e->next = nb[k];
			nb[k] = e;
		}
	}
	free(b->buckets);
	b->buckets = nb;
	b->n_buckets = n;
	return 0;
}

struct budget_entry *budget_get(struct budget *b, const void *key, size_t key_len)
{
	size_t k = hash(key, key_len) & (b->n_buckets - 1);
	struct budget_entry *e;

	for (e = b->buckets[k]; e != NULL; e = e->next)
		if (e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
			return e;
	if (b->n_entries >= b->n_buckets && grow(b) == 0)
		k = hash(key, key_len) & (b->n_buckets - 1);
	e = malloc(sizeof *e + key_len);
	if (e == NULL)
		return NULL;
	atomic_init(&e->unread, 0);
	e->in_flight = 0;
	e->key_len = key_len;
	memcpy(e->key, key, key_len);
	e->next = b->buckets[k];
	b->buckets[k] = e;
	b->n_entries++;
	return e;
}

enum budget_verdict budget_admit(const struct budget *b, struct budget_entry *e)
{
	if (atomic_load(&e->unread) >= b->reply_bytes)
		return BUDGET_UNREAD;
	if (e->in_flight >= b->max_in_flight)
		return BUDGET_IN_FLIGHT;
	return BUDGET_OK;
}

int budget_full(const struct budget *b, struct budget_entry *e)
{
	return atomic_load(&e->unread) + BUDGET_SHORT_REPLY > 2 * b->reply_bytes;
}

/* Frees a released budget once: both conditions are final, two may see them. */
static void finish(struct budget *b)
{
	if (atomic_exchange(&b->freed, 1) == 0) {
		budget_free(b);
		free(b);
	}
}

static void give_back(void *data, void *hint)
{
	struct charge *c = hint;
	struct budget *b = c->b;
	size_t len = c->len, before;

	(void)data;
	atomic_fetch_sub(&c->e->unread, len); /* the entry before the total: see finish */
	before = atomic_fetch_sub(&b->unread, len);
	free(c);
	if (before == len && atomic_load(&b->released))
		finish(b);
}

int budget_new(struct budget **out, size_t max_in_flight, size_t reply_bytes)
{
	struct budget *b = malloc(sizeof *b);
	int rc;

	*out = NULL;
	if (b == NULL)
		return CV_ENOMEM;
	if ((rc = budget_init(b, max_in_flight, reply_bytes)) != 0) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void budget_release(struct budget **bp)
{
	struct budget *b;

	if (bp == NULL || (b = *bp) == NULL)
		return;
	*bp = NULL;
	atomic_store(&b->released, true);
	if (atomic_load(&b->unread) == 0)
		finish(b);
}

int budget_msg_init(struct budget *b, struct budget_entry *e, zmq_msg_t *m,
		    const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	struct charge *c;

	if (atomic_load(&e->unread) + len > 2 * b->reply_bytes)
		return CV_EBUSY;
	c = malloc(sizeof *c + (len ? len : 1));
	if (c == NULL)
		return CV_ENOMEM;
	c->b = b;
	c->e = e;
	c->len = len;
	protobuf_c_message_pack(msg, (uint8_t *)c->align);
	/* Charged before ZeroMQ can release it. */
	atomic_fetch_add(&e->unread, len);
	atomic_fetch_add(&b->unread, len);
	if (zmq_msg_init_data(m, c->align, len, give_back, c) != 0) {
		give_back(c->align, c);
		return CV_ENOMEM;
	}
	return 0;
}

void budget_sweep(struct budget *b)
{
	for (size_t i = 0; i < b->n_buckets; i++) {
		struct budget_entry **pe = &b->buckets[i];
		while (*pe != NULL) {
			struct budget_entry *e = *pe;
			/* Only this thread charges: an entry at 0 gets no callback later. */
			if (e->in_flight == 0 && atomic_load(&e->unread) == 0) {
				*pe = e->next;
				free(e);
				b->n_entries--;
			} else {
				pe = &e->next;
			}
		}
	}
}

size_t budget_unread(const struct budget *b)
{
	return atomic_load(&b->unread);
}
