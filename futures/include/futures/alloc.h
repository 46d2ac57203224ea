/* SPDX-License-Identifier: MIT */
/* The allocator libfutures uses, replaceable (as uv_replace_allocator). */
#ifndef FUTURES_ALLOC_H
#define FUTURES_ALLOC_H

#include "common.h"

FUT__BEGIN_DECLS

typedef void *(*fut_malloc_fn)(size_t size);
typedef void (*fut_free_fn)(void *ptr);

/**
 * fut_replace_allocator - make libfutures allocate with @malloc_fn and
 * release with @free_fn (both required; @malloc_fn returns NULL on failure,
 * which libfutures reports as -ENOMEM). Call it before creating any
 * libfutures object, from one thread: memory allocated by the previous pair
 * would otherwise be freed by the new one. Returns 0, or -EINVAL for NULL.
 */
FUT_API int fut_replace_allocator(fut_malloc_fn malloc_fn,
                                  fut_free_fn free_fn);

/**
 * fut_mem_alloc - allocate @size bytes with libfutures' allocator (the one
 * fut_replace_allocator() installed, malloc by default). For backend and
 * extension authors, so that their allocations follow the program's
 * choice. Returns NULL on failure (report it as -ENOMEM). Any thread.
 */
FUT_API void *fut_mem_alloc(size_t size);

/** fut_mem_free - release memory from fut_mem_alloc(). NULL is ignored. */
FUT_API void fut_mem_free(void *ptr);

FUT__END_DECLS

#endif /* FUTURES_ALLOC_H */
