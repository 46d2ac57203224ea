/* SPDX-License-Identifier: MIT */
/* fut_stream_next: a future over one fut_stream_poll_next() call. */
#include <limits.h>

#include "internal.h"

/*
 * `res` doubles as the "finished" flag: a stream reports 1, 0 or a negative
 * errno, never INT_MIN, so INT_MIN marks a future that has not been READY.
 */
#define NOT_YET INT_MIN

/*
 * A pending poll_next leaves a clone of the waker in the stream (the
 * channel, the interval's timer), which keeps it until it wakes it. The
 * waker may point into storage freed right after this future is dropped (a
 * join's or select's child waker), so the future notes the registration
 * (a plain copy of the waker, no reference, and the stream's number for
 * it) when PENDING and withdraws it through the stream's forget slot when
 * it is dropped or finishes; the number keeps it from withdrawing a newer
 * registration of the same task.
 */
static void
next_forget(struct fut_stream_next *n)
{
    if (n->reg.waker.vtable != NULL) {
        fut_stream_forget_reg(n->stream, &n->reg);
        fut_reg_clear(&n->reg);
    }
}

static enum fut_poll
next_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_stream_next *n = (struct fut_stream_next *)f;
    int res = 0;

    if (n->res != NOT_YET)
        return FUT_READY;
    if (fut_stream_poll_next(n->stream, cx, n->item, &res) == FUT_PENDING) {
        fut_stream_note(n->stream, cx, &n->reg);
        return FUT_PENDING;
    }
    next_forget(n);
    /* A broken stream could report INT_MIN; keep the future fused. */
    n->res = res == NOT_YET ? -EIO : res;
    return FUT_READY;
}

static void
next_drop(struct fut_future *f)
{
    /* The stream and the item are borrowed: only the waker goes. */
    next_forget((struct fut_stream_next *)f);
}

static int
next_result(const struct fut_future *f)
{
    const struct fut_stream_next *n = (const struct fut_stream_next *)f;

    return n->res < 0 && n->res != NOT_YET ? n->res : 0;
}

static const struct fut_future_vtable next_vtable = {
    .poll = next_poll,
    .drop = next_drop,
    .result = next_result,
};

int
fut_stream_next_init(struct fut_stream_next *n, struct fut_stream *s,
                     void *item)
{
    if (n == NULL || s == NULL || item == NULL)
        return -EINVAL;
    n->base.vtable = &next_vtable;
    n->stream = s;
    n->item = item;
    n->res = NOT_YET;
    fut_reg_clear(&n->reg);
    return 0;
}
