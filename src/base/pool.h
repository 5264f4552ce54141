/*
 * pool.h — a list of allocations freed together.
 *
 * Parsed documents (an OCI spec, a manifest) own many small arrays; a pool
 * lets the parser allocate them freely and the owner free them in one call.
 */
#ifndef CPOD_POOL_H
#define CPOD_POOL_H
#include "err.h"

typedef struct pool {
	void **ptrs;
	size_t n, cap;
} mem_pool;

/* Zeroed memory owned by the pool; NULL (with err set) when out of memory. */
CPOD_INTERNAL void *pool_alloc(mem_pool *p, size_t size, cpod_err *err);
CPOD_INTERNAL void *pool_calloc(mem_pool *p, size_t n, size_t size, cpod_err *err);
CPOD_INTERNAL char *pool_strdup(mem_pool *p, const char *s, cpod_err *err);
/* Takes ownership of a malloc'd pointer (freed with the pool). */
CPOD_INTERNAL int pool_adopt(mem_pool *p, void *ptr, cpod_err *err);
CPOD_INTERNAL void pool_free(mem_pool *p);

#endif
