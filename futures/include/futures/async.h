/* SPDX-License-Identifier: MIT */
/* Straight-line futures: write a poll function as a sequence of awaits. */
#ifndef FUTURES_ASYNC_H
#define FUTURES_ASYNC_H

#include "future.h"

/*
 * A poll function written with these macros reads top to bottom like an
 * async fn. The future's struct holds an `int` resume point (0 before the
 * first poll) and every variable that must live across an await; each
 * FUT_AWAIT is a point where the poll may return PENDING and resume later.
 * See docs/writing-futures.md.
 *
 *     struct greet {
 *         struct fut_future base;
 *         int state;                     // resume point, starts at 0
 *         struct fut_sleep sleep;        // locals that cross an await
 *         int i;
 *     };
 *
 *     static enum fut_poll
 *     greet_poll(struct fut_future *f, struct fut_context *cx)
 *     {
 *         struct greet *g = (struct greet *)f;
 *         FUT_ASYNC_BEGIN(&g->state);
 *         for (g->i = 0; g->i < 3; g->i++) {
 *             fut_sleep_init(&g->sleep, 1000000);
 *             FUT_AWAIT_FUTURE(&g->state, &g->sleep.base, cx);
 *             printf("tick %d\n", g->i);
 *         }
 *         FUT_ASYNC_END(&g->state);
 *     }
 *
 * Rules: C locals do not survive an await (keep them in the struct); two
 * awaits may not share a source line; a `switch` statement of your own may
 * not contain an await; the drop function must drop whichever child future
 * is live at the current resume point (children that are always dropped
 * with fut_future_drop() are safe to drop in any state, since dropping a
 * dropped or never-initialised-but-zeroed future does nothing).
 */

/* The resume point of a finished future. */
#define FUT_ASYNC_DONE (-1)

#if defined(__cplusplus) && __cplusplus >= 201703L
#define FUT__FALLTHROUGH [[fallthrough]]
#elif defined(__GNUC__) && __GNUC__ >= 7 || defined(__clang__)
#define FUT__FALLTHROUGH __attribute__((fallthrough))
#else
#define FUT__FALLTHROUGH ((void)0)
#endif

/** FUT_ASYNC_BEGIN - open the body; a finished future returns READY again. */
#define FUT_ASYNC_BEGIN(st)                                                 \
    switch (*(st)) {                                                        \
    default:                                                                \
        return FUT_READY;                                                   \
    case 0:

/**
 * FUT_AWAIT - evaluate @poll_expr (an expression of type enum fut_poll,
 * such as a child's fut_future_poll() or a trait's poll_read) until it is
 * READY, returning PENDING from the enclosing poll function meanwhile.
 */
#define FUT_AWAIT(st, poll_expr)                                            \
    do {                                                                    \
        *(st) = __LINE__;                                                   \
        FUT__FALLTHROUGH;                                                   \
    case __LINE__:                                                          \
        if ((poll_expr) == FUT_PENDING)                                     \
            return FUT_PENDING;                                             \
    } while (0)

/** FUT_AWAIT_FUTURE - poll the child future @fut until it is READY. */
#define FUT_AWAIT_FUTURE(st, fut, cx) FUT_AWAIT(st, fut_future_poll((fut), (cx)))

/**
 * FUT_YIELD - give other tasks a turn: wake our own waker, return PENDING
 * once, and go on from here when polled again.
 */
#define FUT_YIELD(st, cx)                                                   \
    do {                                                                    \
        *(st) = __LINE__;                                                   \
        fut_waker_wake_by_ref((cx)->waker);                                 \
        return FUT_PENDING;                                                 \
    case __LINE__:;                                                         \
    } while (0)

/** FUT_ASYNC_RETURN - finish now: READY, and READY again on later polls. */
#define FUT_ASYNC_RETURN(st)                                                \
    do {                                                                    \
        *(st) = FUT_ASYNC_DONE;                                             \
        return FUT_READY;                                                   \
    } while (0)

/** FUT_ASYNC_END - close the body: falling off the end finishes. */
#define FUT_ASYNC_END(st)                                                   \
    }                                                                       \
    *(st) = FUT_ASYNC_DONE;                                                 \
    return FUT_READY

#endif /* FUTURES_ASYNC_H */
