/*
 * pool.c — allocations freed together (see pool.h).
 */
#include "pool.h"

CPOD_INTERNAL int pool_adopt(mem_pool *p, void *ptr, cpod_err *err)
{
	if (!ptr)
		return 0;
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		void **n = realloc(p->ptrs, ncap * sizeof(*n));
		if (!n) {
			free(ptr);
			return err_nomem(err);
		}
		p->ptrs = n;
		p->cap = ncap;
	}
	p->ptrs[p->n++] = ptr;
	return 0;
}

CPOD_INTERNAL void *pool_alloc(mem_pool *p, size_t size, cpod_err *err)
{
	void *ptr = calloc(1, size ? size : 1);
	if (!ptr) {
		err_nomem(err);
		return NULL;
	}
	if (pool_adopt(p, ptr, err) < 0)
		return NULL;
	return ptr;
}

CPOD_INTERNAL void *pool_calloc(mem_pool *p, size_t n, size_t size, cpod_err *err)
{
	if (size && n > SIZE_MAX / size) {
		err_nomem(err);
		return NULL;
	}
	return pool_alloc(p, n * size, err);
}

CPOD_INTERNAL char *pool_strdup(mem_pool *p, const char *s, cpod_err *err)
{
	size_t len = strlen(s);
	char *d = pool_alloc(p, len + 1, err);
	if (d)
		memcpy(d, s, len + 1);
	return d;
}

CPOD_INTERNAL void pool_free(mem_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->ptrs[i]);
	free(p->ptrs);
	p->ptrs = NULL;
	p->n = p->cap = 0;
}
