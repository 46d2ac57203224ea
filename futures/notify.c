/* SPDX-License-Identifier: MIT */
/* Notifiers: a flag and the doorbell, safe to ring from a signal handler. */
#include "rt.h"

#include <sched.h>
#include <string.h>

/*
 * A signal touches three words and the backend's notify (an eventfd
 * write, uv_async_send(), ev_async_send(): each async-signal-safe), and
 * takes no lock: a handler that interrupts the runtime's thread while it
 * holds the shared lock must not wait for it. Closing is made safe the
 * way libuv closes a uv_async_t: the signal counts itself in `busy` before
 * it looks at `closed`, and close sets `closed` before it waits for
 * `busy` to drop to zero (both sequentially consistent, so one of the two
 * sees the other). The runtime's close does the same with
 * shared->signal_busy before it frees the backend.
 */

static int
ring(struct fut_handle *sh)
{
    int err = 0;

    __atomic_fetch_add(&sh->signal_busy, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&sh->closed, __ATOMIC_SEQ_CST)) {
        err = -ESHUTDOWN;
    } else {
        __atomic_store_n(&sh->signalled, 1, __ATOMIC_SEQ_CST);
        if (!__atomic_exchange_n(&sh->notified, 1, __ATOMIC_SEQ_CST))
            (void)fut__backend_notify(sh->be);
    }
    __atomic_fetch_sub(&sh->signal_busy, 1, __ATOMIC_SEQ_CST);
    return err;
}

int
fut_notify_init(struct fut_notify *n, struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;

    if (n == NULL || rt == NULL || rt->closing)
        return -EINVAL;
    memset(n, 0, sizeof *n);
    n->handle = rt->shared;
    fut__shared_ref(rt->shared);
    n->next = rt->notifies;
    if (rt->notifies != NULL)
        rt->notifies->prev = n;
    rt->notifies = n;
    n->bound = 1;
    return 0;
}

int
fut_notify_signal(struct fut_notify *n)
{
    int err = 0;

    if (n == NULL)
        return -EINVAL;
    __atomic_fetch_add(&n->busy, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&n->closed, __ATOMIC_SEQ_CST))
        err = -ESHUTDOWN;
    else if (!__atomic_exchange_n(&n->pending, 1, __ATOMIC_SEQ_CST))
        err = ring(n->handle);
    else if (fut_handle_is_closed(n->handle))
        err = -ESHUTDOWN;
    __atomic_fetch_sub(&n->busy, 1, __ATOMIC_SEQ_CST);
    return err;
}

static void
unbind(struct rt *rt, struct fut_notify *n)
{
    if (n->prev != NULL)
        n->prev->next = n->next;
    else
        rt->notifies = n->next;
    if (n->next != NULL)
        n->next->prev = n->prev;
    n->prev = n->next = NULL;
    n->bound = 0;
}

void
fut_notify_close(struct fut_notify *n)
{
    if (n == NULL || n->handle == NULL ||
        __atomic_load_n(&n->closed, __ATOMIC_SEQ_CST))
        return;
    __atomic_store_n(&n->closed, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&n->busy, __ATOMIC_SEQ_CST) != 0)
        sched_yield();
    fut_waker_drop(&n->waiter);
    if (n->bound)
        unbind(n->handle->rt, n);
    fut__shared_unref(n->handle);
    n->handle = NULL;
}

void
fut__notify_collect(struct rt *rt)
{
    struct fut_notify *n;

    if (!__atomic_exchange_n(&rt->shared->signalled, 0, __ATOMIC_SEQ_CST))
        return;
    for (n = rt->notifies; n != NULL; n = n->next)
        if (__atomic_load_n(&n->pending, __ATOMIC_SEQ_CST))
            fut_waker_take_wake(&n->waiter);
}

void
fut__notify_fini(struct rt *rt)
{
    while (rt->notifies != NULL) {
        struct fut_notify *n = rt->notifies;

        fut_waker_drop(&n->waiter);
        unbind(rt, n);
    }
}

/* ---- the wait future ----------------------------------------------------------- */

static enum fut_poll
wait_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_notify_wait *w = (struct fut_notify_wait *)f;
    struct fut_notify *n = w->n;

    if (n == NULL)
        return FUT_READY;
    if (__atomic_exchange_n(&n->pending, 0, __ATOMIC_SEQ_CST)) {
        w->result = 0;
    } else if (n->handle == NULL || !n->bound) {
        w->result = -ESHUTDOWN;
    } else {
        fut_waker_set(&n->waiter, cx->waker);
        return FUT_PENDING;
    }
    if (n->handle != NULL)
        fut_waker_drop(&n->waiter);
    w->n = NULL;
    return FUT_READY;
}

static void
wait_drop(struct fut_future *f)
{
    struct fut_notify_wait *w = (struct fut_notify_wait *)f;

    if (w->n != NULL && w->n->handle != NULL)
        fut_waker_drop(&w->n->waiter);
    w->n = NULL;
}

static int
wait_result(const struct fut_future *f)
{
    return ((const struct fut_notify_wait *)f)->result;
}

static const struct fut_future_vtable wait_vtable = {
    .poll = wait_poll,
    .drop = wait_drop,
    .result = wait_result,
};

int
fut_notify_wait_init(struct fut_notify_wait *w, struct fut_notify *n)
{
    if (w == NULL || n == NULL)
        return -EINVAL;
    w->base.vtable = &wait_vtable;
    w->n = n;
    w->result = 0;
    return 0;
}
