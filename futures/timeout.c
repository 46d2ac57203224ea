/* SPDX-License-Identifier: MIT */
/* fut_timeout: race a future against an embedded sleep. */
#include "internal.h"

static void
finish(struct fut_timeout *t, int result, int timed_out)
{
    /* The inner is dropped in every case: when it won, because it is
     * READY and its output fields stay readable; when the deadline won,
     * because that is what a timeout means (cancellation is drop). */
    fut_future_drop(t->inner);
    fut_future_drop(&t->sleep.base);
    t->result = result;
    t->timed_out = timed_out;
    t->done = 1;
}

static enum fut_poll
timeout_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_timeout *t = (struct fut_timeout *)f;

    if (t->done)
        return FUT_READY;
    /* Inner first, so an inner that is ready at the deadline still wins. */
    if (fut_future_poll(t->inner, cx) == FUT_READY) {
        finish(t, fut_future_result(t->inner), 0);
        return FUT_READY;
    }
    if (fut_future_poll(&t->sleep.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    /* A sleep that could not arm its timer (no runtime in the context)
     * is READY with an error; that is not a timeout, and waiting on would
     * never end, so the error ends the timeout. */
    if (t->sleep.res != 0)
        finish(t, t->sleep.res, 0);
    else
        finish(t, -ETIMEDOUT, 1);
    return FUT_READY;
}

static void
timeout_drop(struct fut_future *f)
{
    struct fut_timeout *t = (struct fut_timeout *)f;

    /* After READY both were dropped, and the inner's storage is the
     * caller's again: do not touch it. */
    if (t->done)
        return;
    fut_future_drop(t->inner);
    fut_future_drop(&t->sleep.base);
}

static int
timeout_result(const struct fut_future *f)
{
    return ((const struct fut_timeout *)f)->result;
}

static const struct fut_future_vtable timeout_vtable = {
    .poll = timeout_poll,
    .drop = timeout_drop,
    .result = timeout_result,
};

static void
init_fields(struct fut_timeout *t, struct fut_future *inner)
{
    t->base.vtable = &timeout_vtable;
    t->inner = inner;
    t->timed_out = 0;
    t->result = 0;
    t->done = 0;
}

int
fut_timeout_init(struct fut_timeout *t, struct fut_future *inner,
                 int64_t duration_ns)
{
    int err;

    if (t == NULL || inner == NULL || duration_ns < 0)
        return -EINVAL;
    err = fut_sleep_init(&t->sleep, duration_ns);
    if (err != 0)
        return err;
    init_fields(t, inner);
    return 0;
}

int
fut_timeout_at_init(struct fut_timeout *t, struct fut_future *inner,
                    int64_t deadline_ns)
{
    int err;

    if (t == NULL || inner == NULL)
        return -EINVAL;
    err = fut_sleep_until_init(&t->sleep, deadline_ns);
    if (err != 0)
        return err;
    init_fields(t, inner);
    return 0;
}
