#include "arena.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>

#define ARENA_BLOCK (1u << 20)

struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(8) uint8_t data[];
};

struct arena {
	struct block *head;
	size_t bytes;
};

int arena_open(struct arena **out)
{
	*out = calloc(1, sizeof **out);
	return *out != NULL ? 0 : CV_ENOMEM;
}

static void free_blocks(struct block *b)
{
	for (struct block *next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
}

void arena_close(struct arena **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	free_blocks((*ap)->head);
	free(*ap);
	*ap = NULL;
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct block *b = a->head;
	void *p;

	if (n > SIZE_MAX - 7)
		return NULL;
	n = (n + 7) & ~(size_t)7;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		if (cap > SIZE_MAX - sizeof *b || (b = malloc(sizeof *b + cap)) == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
		a->bytes += cap;
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

size_t arena_bytes(const struct arena *a)
{
	return a->bytes;
}

void arena_reset(struct arena *a)
{
	struct block *keep = NULL, **pp = &a->head;

	/* Keep the first block of the default size found; free the others. */
	while (*pp != NULL) {
		struct block *b = *pp;
		if (keep == NULL && b->cap == ARENA_BLOCK) {
			keep = b;
			*pp = b->next;
			continue;
		}
		pp = &b->next;
	}
	free_blocks(a->head);
	a->head = keep;
	a->bytes = 0;
	if (keep != NULL) {
		keep->next = NULL;
		keep->used = 0;
		a->bytes = keep->cap;
	}
}

static void *pb_alloc(void *data, size_t n)
{
	return arena_alloc(data, n);
}

static void pb_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

void arena_allocator(struct arena *a, ProtobufCAllocator *out)
{
	out->alloc = pb_alloc;
	out->free = pb_free;
	out->allocator_data = a;
}
