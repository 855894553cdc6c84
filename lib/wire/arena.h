/*
 * arena.h - bump allocation in blocks, everything freed at once: the
 * reporter's rows read in place, and the collector's decoded requests
 * (one arena reused for every request, so that a request costs no
 * malloc/free per field).
 */
#ifndef CANVASS_ARENA_H
#define CANVASS_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct arena;

int arena_open(struct arena **out);
void arena_close(struct arena **a);
/* 8-byte aligned; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Bytes of the blocks held. */
size_t arena_bytes(const struct arena *a);
/*
 * Forgets every allocation: keeps one block of the default size for the
 * next use and frees the rest (a large request does not stay resident).
 */
void arena_reset(struct arena *a);
/*
 * A protobuf-c allocator that allocates in a (its free does nothing): a
 * message unpacked with it lives until arena_reset or arena_close and must
 * never be given to protobuf_c_message_free_unpacked with another allocator.
 */
void arena_allocator(struct arena *a, ProtobufCAllocator *out);

#endif
