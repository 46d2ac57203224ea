/* SPDX-License-Identifier: MIT */
/* A counting allocator that can be told to fail, for -ENOMEM paths. */
#include <stdlib.h>

#include "support.h"

static long fail_after = -1;
static long live;

static void *
fa_malloc(size_t size)
{
    void *p;

    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    p = malloc(size);
    if (p != NULL)
        __atomic_fetch_add(&live, 1, __ATOMIC_SEQ_CST);
    return p;
}

static void
fa_free(void *p)
{
    if (p != NULL)
        __atomic_fetch_sub(&live, 1, __ATOMIC_SEQ_CST);
    free(p);
}

void
test_failalloc_install(void)
{
    fail_after = -1;
    live = 0;
    fut_replace_allocator(fa_malloc, fa_free);
}

void
test_failalloc_fail_after(long n)
{
    fail_after = n;
}

long
test_failalloc_live(void)
{
    return __atomic_load_n(&live, __ATOMIC_SEQ_CST);
}
