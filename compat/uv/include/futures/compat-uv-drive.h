/* SPDX-License-Identifier: MIT */
/* compat/uv: a foreign uv_loop_t, driven as a future by a runtime on any backend. */
#ifndef FUTURES_COMPAT_UV_DRIVE_H
#define FUTURES_COMPAT_UV_DRIVE_H

#include <stdint.h>

#include <uv.h>

#include <futures/future.h>
#include <futures/reactor.h>
#include <futures/timer.h>

FUT__BEGIN_DECLS

/**
 * struct fut_uv_drive - a future that runs a uv_loop_t that someone else
 * (a third-party component) created and owns, from inside a runtime on
 * any backend (epoll, libuv, libevent, libev): "uv_run(loop,
 * UV_RUN_DEFAULT) as a future".
 * @base: the future (poll it, spawn it, or await it in a combinator).
 * @loop: the loop driven (borrowed; may be read).
 * @res: after READY, 0 (the loop has nothing left: uv_loop_alive() was 0
 *   after a run) or a negative errno: -EINVAL (init failed, or the drive
 *   was polled with no runtime in the context while the loop still had
 *   work), -EXDEV (polled from a runtime other than the first one), or
 *   what the runtime's registration of the loop's descriptor failed with.
 * @priv: private (not part of the API).
 *
 * Each poll runs uv_run(@loop, UV_RUN_NOWAIT): the component's callbacks
 * run there, inside the polling task, on the runtime's thread. Then, if
 * the loop is still alive, the drive waits for the earliest of: libuv's
 * backend descriptor (uv_backend_fd(), an epoll descriptor on Linux)
 * becoming readable, registered through the runtime's reactor, which
 * never closes or changes it; and a core timer at uv_backend_timeout()
 * milliseconds (none for -1). When libuv says there is more to do at
 * once (a timeout of 0: idle handles, pending callbacks, watchers started
 * after its poll phase), or the backend descriptor is still readable
 * after the run (events left over; the epoll and libevent backends are
 * edge-triggered), the drive runs again, spending the task's coop budget
 * (fut_coop_proceed()) so that a component that always has work (an idle
 * handle) does not starve the runtime's other tasks; it yields after at
 * most 64 runs in one poll even with no budget to spend.
 *
 * PENDING: a waker is registered for the descriptor and, for a timeout,
 * a timer is armed; or the drive yielded and woke itself.
 *
 * Cancellation is drop, at any state: drop deregisters the descriptor and
 * cancels the timer; the loop is left exactly as it is, and stays the
 * component's (its handles, its uv_loop_close()). Running it again later
 * (another drive, or the component's own uv_run()) picks up where it
 * left off. The drive must not be dropped from inside one of the loop's
 * callbacks that it is running.
 *
 * Threads: the drive and the loop are used by the runtime's thread only;
 * nobody else may run the loop while the drive lives. Other threads reach
 * the component the libuv way, with uv_async_send().
 *
 * Calling into the loop from outside its callbacks: a task of the runtime
 * (or the program between turns) that starts a watcher or a timer on
 * @loop while the drive is PENDING changes what the drive should wait
 * for; call fut_uv_drive_kick() after it (or let the component use
 * uv_async_send()) so that the drive runs the loop again.
 *
 * Movable until first polled, pinned afterwards (the reactor and the timer
 * wheel point into it).
 */
struct fut_uv_drive {
    struct fut_future base;
    uv_loop_t *loop;
    int res;
    struct {
        int state;          /* enum in drive.c */
        int fd;             /* uv_backend_fd() at the first poll */
        struct fut_io io;
        struct fut_sleep sleep;
        int sleeping;       /* @sleep initialised (armed or fired) */
        struct fut_waker waker; /* for fut_uv_drive_kick() */
    } priv;
};

/**
 * fut_uv_drive_init - prepare @f to drive @loop (borrowed: it must
 * outlive the drive).
 *
 * Nothing happens until the first poll; @loop may be empty (the first
 * poll is then READY with 0). Any thread, on storage no other thread
 * uses. Returns 0, or -EINVAL for a NULL @f or @loop (@f, if not NULL,
 * is then a drive whose poll is READY with -EINVAL and whose drop does
 * nothing).
 */
FUT_API int fut_uv_drive_init(struct fut_uv_drive *f, uv_loop_t *loop);

/**
 * fut_uv_drive_kick - ask a PENDING drive to run its loop again soon: the
 * program changed the loop (started a watcher or a timer, stopped the
 * last handle) from outside the loop's callbacks. Wakes the task that
 * polled @f last; a no-op when @f is NULL, was never polled, or is
 * finished. Runtime thread only (for another thread, uv_async_send()).
 */
FUT_API void fut_uv_drive_kick(struct fut_uv_drive *f);

FUT__END_DECLS

#endif /* FUTURES_COMPAT_UV_DRIVE_H */
