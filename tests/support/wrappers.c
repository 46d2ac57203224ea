/* SPDX-License-Identifier: MIT */
/* Future doubles: a scripted leaf, pending_once and interleave_pending. */
#include "support.h"

/* ---- leaf ------------------------------------------------------------------ */

static enum fut_poll
leaf_poll(struct fut_future *f, struct fut_context *cx)
{
    struct test_leaf *l = (struct test_leaf *)f;

    l->polls++;
    if (l->log != NULL)
        l->log->polls++;
    if (l->ready)
        return FUT_READY;
    if (l->pending_polls >= 0 && l->polls > l->pending_polls) {
        l->ready = 1;
        fut_waker_drop(&l->waker);
        return FUT_READY;
    }
    fut_waker_set(&l->waker, cx->waker);
    return FUT_PENDING;
}

static void
leaf_drop(struct fut_future *f)
{
    struct test_leaf *l = (struct test_leaf *)f;

    fut_waker_drop(&l->waker);
    if (l->log != NULL)
        l->log->drops++;
}

static int
leaf_result(const struct fut_future *f)
{
    const struct test_leaf *l = (const struct test_leaf *)f;

    return l->value < 0 ? l->value : 0;
}

static const struct fut_future_vtable leaf_vtable = {
    .poll = leaf_poll,
    .drop = leaf_drop,
    .result = leaf_result,
};

void
test_leaf_init(struct test_leaf *l, int pending_polls, int value,
               struct test_drop_log *log)
{
    l->base.vtable = &leaf_vtable;
    l->log = log;
    l->pending_polls = pending_polls;
    l->value = value;
    l->polls = 0;
    l->ready = 0;
    l->waker.vtable = NULL;
    l->waker.data = NULL;
}

void
test_leaf_wake(struct test_leaf *l)
{
    fut_waker_take_wake(&l->waker);
}

/* ---- pending_once ------------------------------------------------------------ */

static enum fut_poll
pending_once_poll(struct fut_future *f, struct fut_context *cx)
{
    struct test_pending_once *p = (struct test_pending_once *)f;

    if (!p->done_once) {
        p->done_once = 1;
        fut_waker_wake_by_ref(cx->waker);
        return FUT_PENDING;
    }
    return fut_future_poll(p->inner, cx);
}

static void
wrapper_drop(struct fut_future *f)
{
    struct test_pending_once *p = (struct test_pending_once *)f;

    fut_future_drop(p->inner);
}

static int
pending_once_result(const struct fut_future *f)
{
    const struct test_pending_once *p = (const struct test_pending_once *)f;

    return fut_future_result(p->inner);
}

static const struct fut_future_vtable pending_once_vtable = {
    .poll = pending_once_poll,
    .drop = wrapper_drop,
    .result = pending_once_result,
};

void
test_pending_once_init(struct test_pending_once *p, struct fut_future *inner)
{
    p->base.vtable = &pending_once_vtable;
    p->inner = inner;
    p->done_once = 0;
}

/* ---- interleave_pending --------------------------------------------------------- */

static enum fut_poll
interleave_poll(struct fut_future *f, struct fut_context *cx)
{
    struct test_interleave *p = (struct test_interleave *)f;

    p->flip = !p->flip;
    if (p->flip) {
        fut_waker_wake_by_ref(cx->waker);
        return FUT_PENDING;
    }
    return fut_future_poll(p->inner, cx);
}

static void
interleave_drop(struct fut_future *f)
{
    struct test_interleave *p = (struct test_interleave *)f;

    fut_future_drop(p->inner);
}

static int
interleave_result(const struct fut_future *f)
{
    const struct test_interleave *p = (const struct test_interleave *)f;

    return fut_future_result(p->inner);
}

static const struct fut_future_vtable interleave_vtable = {
    .poll = interleave_poll,
    .drop = interleave_drop,
    .result = interleave_result,
};

void
test_interleave_init(struct test_interleave *p, struct fut_future *inner)
{
    p->base.vtable = &interleave_vtable;
    p->inner = inner;
    p->flip = 0;
}

/* ---- drop_after ------------------------------------------------------------ */

static enum fut_poll
drop_after_poll(struct fut_future *f, struct fut_context *cx)
{
    struct test_drop_after *d = (struct test_drop_after *)f;

    if (d->ready || d->inner->vtable == NULL)
        return FUT_READY;
    if (d->polls >= d->n) {
        fut_future_drop(d->inner);
        return FUT_READY;
    }
    d->polls++;
    if (fut_future_poll(d->inner, cx) == FUT_READY) {
        d->ready = 1;
        return FUT_READY;
    }
    if (d->rewake)
        fut_waker_wake_by_ref(cx->waker);
    return FUT_PENDING;
}

static void
drop_after_drop(struct fut_future *f)
{
    struct test_drop_after *d = (struct test_drop_after *)f;

    fut_future_drop(d->inner);
}

static const struct fut_future_vtable drop_after_vtable = {
    .poll = drop_after_poll,
    .drop = drop_after_drop,
    .result = NULL,
};

void
test_drop_after_init(struct test_drop_after *d, struct fut_future *inner,
                     int n, int rewake)
{
    d->base.vtable = &drop_after_vtable;
    d->inner = inner;
    d->n = n;
    d->polls = 0;
    d->ready = 0;
    d->rewake = rewake;
}

int
test_poll_until_ready(struct fut_future *f, struct fut_context *cx, int max)
{
    int i;

    for (i = 1; i <= max; i++)
        if (fut_future_poll(f, cx) == FUT_READY)
            return i;
    return -1;
}
