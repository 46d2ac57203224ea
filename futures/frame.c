/* SPDX-License-Identifier: MIT */
/* Async frames: the generic drop and result of a framed future (async.h). */
#include "internal.h"

#include <futures/async.h>

int
fut_frame_result(const struct fut_future *f)
{
    return ((const struct fut_framed *)(const void *)f)->frame.result;
}

void
fut_frame_drop(struct fut_future *f,
               enum fut_poll (*poll)(struct fut_future *, struct fut_context *))
{
    struct fut_framed *a;
    struct fut_context cx;

    if (f == NULL)
        return;
    a = (struct fut_framed *)(void *)f;
    if (a->frame.state != FUT_ASYNC_DONE && poll != NULL) {
        /* One last poll in the cleanup state: it drops the live child and
         * runs the cleanup block, awaiting nothing. The caller cleared
         * the vtable already (fut_future_drop()), so the body sees a
         * dropped future if it looks. */
        fut_context_init(&cx, fut_waker_noop(), NULL);
        a->frame.state = FUT__FRAME_CLEANUP;
        (void)poll(f, &cx);
    }
    fut_frame_drop_child(&a->frame);
    a->frame.state = FUT_ASYNC_DONE;
}
