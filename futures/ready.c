/* SPDX-License-Identifier: MIT */
/* The simplest combinators: ready, pending, yield, map and then. */
#include "internal.h"

/* ---- ready -------------------------------------------------------------- */

static enum fut_poll
ready_poll(struct fut_future *f, struct fut_context *cx)
{
    FUT__UNUSED(f);
    FUT__UNUSED(cx);
    return FUT_READY;
}

static void
nothing_drop(struct fut_future *f)
{
    /* These futures hold no waker and own no child. */
    FUT__UNUSED(f);
}

static int
ready_result(const struct fut_future *f)
{
    const struct fut_ready *r = (const struct fut_ready *)f;

    return r->value < 0 ? r->value : 0;
}

static const struct fut_future_vtable ready_vtable = {
    .poll = ready_poll,
    .drop = nothing_drop,
    .result = ready_result,
};

int
fut_ready_init(struct fut_ready *f, int value)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = &ready_vtable;
    f->value = value;
    return 0;
}

/* ---- pending ------------------------------------------------------------ */

static enum fut_poll
pending_poll(struct fut_future *f, struct fut_context *cx)
{
    /* The one future allowed to be PENDING without arranging a wake-up:
     * nothing will ever make it progress, which is its whole purpose. */
    FUT__UNUSED(f);
    FUT__UNUSED(cx);
    return FUT_PENDING;
}

static const struct fut_future_vtable pending_vtable = {
    .poll = pending_poll,
    .drop = nothing_drop,
    .result = NULL,
};

int
fut_pending_init(struct fut_pending *f)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = &pending_vtable;
    return 0;
}

/* ---- yield -------------------------------------------------------------- */

static enum fut_poll
yield_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_yield *y = (struct fut_yield *)f;

    if (y->yielded)
        return FUT_READY;
    y->yielded = 1;
    /* Waking before returning PENDING puts the task at the back of the
     * run queue, so every other ready task gets a turn first. */
    fut_waker_wake_by_ref(cx->waker);
    return FUT_PENDING;
}

static const struct fut_future_vtable yield_vtable = {
    .poll = yield_poll,
    .drop = nothing_drop,
    .result = NULL,
};

int
fut_yield_init(struct fut_yield *f)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = &yield_vtable;
    f->yielded = 0;
    return 0;
}

/* ---- map ---------------------------------------------------------------- */

static enum fut_poll
map_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_map *m = (struct fut_map *)f;

    if (m->done)
        return FUT_READY;
    if (fut_future_poll(m->inner, cx) == FUT_PENDING)
        return FUT_PENDING;
    /* The function reads the inner output through the inner's own fields
     * and result slot, so it runs before the drop clears the vtable. */
    m->result = m->fn(m->inner, m->arg);
    fut_future_drop(m->inner);
    m->done = 1;
    return FUT_READY;
}

static void
map_drop(struct fut_future *f)
{
    struct fut_map *m = (struct fut_map *)f;

    /* Once done, the inner storage is the caller's again: do not touch it. */
    if (!m->done)
        fut_future_drop(m->inner);
}

static int
map_result(const struct fut_future *f)
{
    return ((const struct fut_map *)f)->result;
}

static const struct fut_future_vtable map_vtable = {
    .poll = map_poll,
    .drop = map_drop,
    .result = map_result,
};

int
fut_map_init(struct fut_map *m, struct fut_future *inner, fut_map_fn fn,
             void *arg)
{
    if (m == NULL || inner == NULL || fn == NULL)
        return -EINVAL;
    m->base.vtable = &map_vtable;
    m->inner = inner;
    m->fn = fn;
    m->arg = arg;
    m->result = 0;
    m->done = 0;
    return 0;
}

/* ---- then --------------------------------------------------------------- */

enum { THEN_FIRST = 0, THEN_SECOND = 1, THEN_DONE = 2 };

static enum fut_poll
then_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_then *t = (struct fut_then *)f;
    struct fut_future *next = NULL;
    int err;

    switch (t->state) {
    case THEN_FIRST:
        if (fut_future_poll(t->first, cx) == FUT_PENDING)
            return FUT_PENDING;
        err = t->fn(t->first, t->arg, &next);
        fut_future_drop(t->first);
        if (err == 0 && next == NULL)
            err = -EINVAL; /* the function broke its contract */
        if (err < 0) {
            t->result = err;
            t->state = THEN_DONE;
            return FUT_READY;
        }
        t->second = next;
        t->state = THEN_SECOND;
        /* Poll the second future at once: it may be ready already, and
         * it must register a waker before we may return PENDING. */
        FUT__FALLTHROUGH;
    case THEN_SECOND:
        if (fut_future_poll(t->second, cx) == FUT_PENDING)
            return FUT_PENDING;
        t->result = fut_future_result(t->second);
        fut_future_drop(t->second);
        t->state = THEN_DONE;
        return FUT_READY;
    default:
        return FUT_READY;
    }
}

static void
then_drop(struct fut_future *f)
{
    struct fut_then *t = (struct fut_then *)f;

    if (t->state == THEN_FIRST)
        fut_future_drop(t->first);
    else if (t->state == THEN_SECOND)
        fut_future_drop(t->second);
}

static int
then_result(const struct fut_future *f)
{
    return ((const struct fut_then *)f)->result;
}

static const struct fut_future_vtable then_vtable = {
    .poll = then_poll,
    .drop = then_drop,
    .result = then_result,
};

int
fut_then_init(struct fut_then *t, struct fut_future *first, fut_then_fn fn,
              void *arg)
{
    if (t == NULL || first == NULL || fn == NULL)
        return -EINVAL;
    t->base.vtable = &then_vtable;
    t->first = first;
    t->fn = fn;
    t->arg = arg;
    t->second = NULL;
    t->result = 0;
    t->state = THEN_FIRST;
    return 0;
}
