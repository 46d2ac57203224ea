/* SPDX-License-Identifier: MIT */
/* The future interface: poll until READY, drop in any state. */
#ifndef FUTURES_FUTURE_H
#define FUTURES_FUTURE_H

#include "common.h"
#include "waker.h"

FUT__BEGIN_DECLS

/**
 * enum fut_poll - what a poll returns.
 *
 * FUT_READY: the future finished; its output is in its own fields (or behind
 * the out pointer it was given at init) and belongs to the caller.
 * FUT_PENDING: the future cannot finish yet and has arranged for the waker
 * of the context it was polled with to be woken when it can make progress.
 * A future never returns PENDING without that arrangement.
 */
enum fut_poll { FUT_PENDING = 0, FUT_READY = 1 };

struct fut_runtime;

/**
 * struct fut_context - what a poll function receives.
 *
 * @waker is borrowed for the duration of the poll: clone it to keep it.
 * @rt is the runtime that drives the poll, through which I/O and timer
 * futures reach the reactor; it may be NULL when a future is polled by hand
 * (such futures then fail with -EINVAL if they need a reactor). A future
 * reaches its runtime only through its context, never through a global.
 */
struct fut_context {
    const struct fut_waker *waker;
    struct fut_runtime *rt;
};

struct fut_future;

/**
 * struct fut_future_vtable - what a future type implements.
 *
 * Implementation:
 * - @poll advances the future. It returns FUT_READY once, with the output
 *   stored; polling again after READY returns READY again with the same
 *   output (every future in libfutures is "fused"). It returns FUT_PENDING
 *   only after registering cx->waker (a clone of it) with whatever will make
 *   progress possible. It must not block.
 * - @drop releases everything the future holds, in any state: before the
 *   first poll, between two polls, after READY. Registered wakers are
 *   deregistered, timers cancelled, children dropped. It cannot fail. It
 *   releases nothing that is part of a READY future's output: that belongs
 *   to the caller. A future that stored a clone of a waker must have
 *   dropped it by the time @drop returns (a waker may point into storage
 *   the owner frees next).
 * - @result (may be NULL) summarises a READY future's output as 0 or a
 *   negative errno value; combinators and task scopes use it to propagate
 *   errors. NULL means "always 0".
 */
struct fut_future_vtable {
    enum fut_poll (*poll)(struct fut_future *self, struct fut_context *cx);
    void (*drop)(struct fut_future *self);
    int (*result)(const struct fut_future *self);
};

/**
 * struct fut_future - the base every future embeds as its first member.
 *
 * The owner of a future owns its storage (a local, a field of a parent
 * future, a task allocation); composing futures allocates nothing. A future
 * may be moved (copied bytewise) until its first poll; from the first poll
 * on it is pinned: wakers and reactor registrations may point into it.
 * Drop it with fut_future_drop() before its storage goes away.
 */
struct fut_future {
    const struct fut_future_vtable *vtable;
};

/**
 * fut_future_poll - poll @f with @cx. See enum fut_poll for the contract.
 *
 * Polling a dropped future returns FUT_READY and does nothing.
 * Called only by the thread that owns @f.
 */
static inline enum fut_poll
fut_future_poll(struct fut_future *f, struct fut_context *cx)
{
    if (f->vtable == NULL)
        return FUT_READY;
    return f->vtable->poll(f, cx);
}

/**
 * fut_future_drop - release @f in whatever state it is (cancellation).
 *
 * The vtable is cleared, so dropping again does nothing and polling again
 * returns READY. Called only by the thread that owns @f.
 */
static inline void
fut_future_drop(struct fut_future *f)
{
    if (f->vtable != NULL) {
        const struct fut_future_vtable *vt = f->vtable;
        f->vtable = NULL;
        vt->drop(f);
    }
}

/**
 * fut_future_result - 0 or a negative errno summarising a READY future's
 * output (see struct fut_future_vtable::result). A future without a
 * result slot gives 0. Only meaningful after READY, before drop clears the
 * vtable; see also the typed fields of each future.
 */
static inline int
fut_future_result(const struct fut_future *f)
{
    if (f->vtable == NULL || f->vtable->result == NULL)
        return 0;
    return f->vtable->result(f);
}

/**
 * fut_context_init - a context for polling by hand.
 * @waker: borrowed for as long as the context is used.
 * @rt: the runtime to reach the reactor through, or NULL.
 */
static inline void
fut_context_init(struct fut_context *cx, const struct fut_waker *waker,
                 struct fut_runtime *rt)
{
    cx->waker = waker;
    cx->rt = rt;
}

/**
 * fut_coop_proceed - spend one unit of the current task's cooperative budget.
 *
 * Leaf futures that can be ready again and again (channel receives, socket
 * reads on a busy connection) call this on their ready path. It returns 1
 * when the task may go on. It returns 0 when the task has used its budget
 * for this turn: it has then woken cx->waker, and the caller returns
 * FUT_PENDING, so one busy task cannot starve the others or the reactor.
 * With no runtime in @cx it always returns 1. Runtime thread only.
 */
FUT_API int fut_coop_proceed(struct fut_context *cx);

FUT__END_DECLS

#endif /* FUTURES_FUTURE_H */
