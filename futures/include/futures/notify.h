/* SPDX-License-Identifier: MIT */
/* Notifiers: wake a runtime from any thread or from a signal handler. */
#ifndef FUTURES_NOTIFY_H
#define FUTURES_NOTIFY_H

#include "common.h"
#include "executor.h"

FUT__BEGIN_DECLS

/**
 * struct fut_notify - a coalescing, async-signal-safe wake-up for one
 * runtime (what uv_async_t is to libuv).
 *
 * fut_notify_signal() may be called from any thread and from a signal
 * handler: it sets a flag and rings the runtime's doorbell, nothing else
 * (no lock, no allocation, no waker call). On the runtime's thread a
 * fut_notify_wait future becomes READY once per batch of signals: signals
 * that arrive before the waiter runs are merged into one.
 *
 * Initialise on the runtime's thread (or before it runs); release with
 * fut_notify_close(). The object is pinned from init to close. Fields are
 * private.
 */
struct fut_notify {
    struct fut_handle *handle;
    struct fut_notify *prev, *next;  /* the runtime's list */
    struct fut_waker waiter;
    unsigned int pending;
    unsigned int busy;               /* signals in progress */
    int closed;
    int bound;                       /* on the runtime's list */
};

/**
 * fut_notify_init - bind @n to @rt. Returns 0, or -EINVAL (NULL argument,
 * closed or uninitialised runtime).
 */
FUT_API int fut_notify_init(struct fut_notify *n, struct fut_runtime *rt);

/**
 * fut_notify_signal - wake @n's waiter. Any thread; async-signal-safe.
 *
 * Returns 0, -EINVAL for NULL, or -ESHUTDOWN when @n or its runtime is
 * closed (nothing happens then). Calling it concurrently with
 * fut_notify_close() is allowed: close waits for signals in progress; one
 * that starts after close returned touches freed memory if @n's storage
 * went, as with any object.
 */
FUT_API int fut_notify_signal(struct fut_notify *n);

/**
 * fut_notify_close - unbind @n and release what it holds; its storage may
 * go when this returns. Runtime thread, or any thread once the runtime is
 * closed. A pending wait on @n must have been dropped first. NULL is
 * ignored; closing twice does nothing.
 */
FUT_API void fut_notify_close(struct fut_notify *n);

/**
 * struct fut_notify_wait - a future that waits for fut_notify_signal().
 * @result: after READY, 0 (signalled) or -ESHUTDOWN (the notifier or its
 * runtime was closed).
 *
 * READY at once if a signal came since the last wait finished (it is
 * consumed); PENDING until one comes otherwise. Cancel-safe: dropping a
 * pending wait loses no signal (the next wait sees it). Runtime thread.
 */
struct fut_notify_wait {
    struct fut_future base;
    struct fut_notify *n;
    int result;
};

/** fut_notify_wait_init - returns 0 or -EINVAL. */
FUT_API int fut_notify_wait_init(struct fut_notify_wait *w,
                                 struct fut_notify *n);

FUT__END_DECLS

#endif /* FUTURES_NOTIFY_H */
