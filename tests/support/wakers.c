/* SPDX-License-Identifier: MIT */
/* Counting and noop wakers for tests. */
#include "support.h"

static struct fut_waker tw_clone(const void *data);

static void
tw_wake(const void *data)
{
    struct test_waker *tw = (struct test_waker *)data;

    __atomic_fetch_add(&tw->wakes, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_sub(&tw->live, 1, __ATOMIC_SEQ_CST);
}

static void
tw_wake_by_ref(const void *data)
{
    struct test_waker *tw = (struct test_waker *)data;

    __atomic_fetch_add(&tw->wakes, 1, __ATOMIC_SEQ_CST);
}

static void
tw_drop(const void *data)
{
    struct test_waker *tw = (struct test_waker *)data;

    __atomic_fetch_sub(&tw->live, 1, __ATOMIC_SEQ_CST);
}

static const struct fut_waker_vtable tw_vtable = {
    .clone = tw_clone,
    .wake = tw_wake,
    .wake_by_ref = tw_wake_by_ref,
    .drop = tw_drop,
};

static struct fut_waker
tw_clone(const void *data)
{
    struct test_waker *tw = (struct test_waker *)data;
    struct fut_waker w = { &tw_vtable, data };

    __atomic_fetch_add(&tw->clones, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&tw->live, 1, __ATOMIC_SEQ_CST);
    return w;
}

void
test_waker_init(struct test_waker *tw)
{
    tw->waker.vtable = &tw_vtable;
    tw->waker.data = tw;
    tw->wakes = 0;
    tw->clones = 0;
    tw->live = 0;
}

struct fut_context
test_cx(struct test_waker *tw, struct fut_runtime *rt)
{
    struct fut_context cx;

    fut_context_init(&cx, &tw->waker, rt);
    return cx;
}

struct fut_context
test_noop_cx(void)
{
    struct fut_context cx;

    fut_context_init(&cx, fut_waker_noop(), NULL);
    return cx;
}
