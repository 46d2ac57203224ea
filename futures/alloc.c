/* SPDX-License-Identifier: MIT */
/* The replaceable allocator behind every libfutures allocation. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static fut_malloc_fn alloc_malloc = malloc;
static fut_free_fn alloc_free = free;

int
fut_replace_allocator(fut_malloc_fn malloc_fn, fut_free_fn free_fn)
{
    if (malloc_fn == NULL || free_fn == NULL)
        return -EINVAL;
    alloc_malloc = malloc_fn;
    alloc_free = free_fn;
    return 0;
}

void *
fut__malloc(size_t size)
{
    return alloc_malloc(size);
}

void *
fut__calloc(size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    p = alloc_malloc(n * size);
    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

void
fut__free(void *ptr)
{
    if (ptr != NULL)
        alloc_free(ptr);
}

void *
fut_mem_alloc(size_t size)
{
    return alloc_malloc(size);
}

void
fut_mem_free(void *ptr)
{
    if (ptr != NULL)
        alloc_free(ptr);
}
