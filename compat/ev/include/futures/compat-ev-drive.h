/* SPDX-License-Identifier: MIT */
/* compat/ev: a foreign libev loop, driven as a future by a runtime on any backend. */
#ifndef FUTURES_COMPAT_EV_DRIVE_H
#define FUTURES_COMPAT_EV_DRIVE_H

#include <ev.h>

#include <futures/future.h>

FUT__BEGIN_DECLS

struct fut__evd;

/**
 * struct fut_ev_drive - a future that runs a libev loop that someone else
 * (a third-party component) created and owns, from inside a runtime on
 * any backend (epoll, libuv, libevent, libev): "ev_run(loop, 0) as a
 * future", with the loop's callbacks on the runtime's thread.
 * @base: the future (poll it, spawn it, or await it in a combinator).
 * @loop: the loop driven (borrowed; may be read).
 * @res: after READY, 0 (ev_run() returned: no active watcher was left, or
 *   a callback called ev_break()) or a negative errno: -EINVAL (init
 *   failed), -EAGAIN / -ENOMEM (the drive's thread or state could not be
 *   created; the loop is left as it was).
 * @st: private (not part of the API).
 *
 * libev exposes no descriptor to wait on from another loop, so the drive
 * uses the hooks libev documents for running a loop across threads: at
 * its first poll it starts one thread that runs ev_run(@loop, 0). That
 * thread only waits (libev's poll, between ev_set_loop_release_cb()
 * hooks that release the drive's lock around it); every callback is
 * handed back (ev_set_invoke_pending_cb()): the thread wakes the driving
 * task and waits until the task, on the runtime's thread, has called
 * ev_invoke_pending(). So the component's callbacks run inside the
 * polling task, on the runtime's thread, as with fut_uv_drive, one batch
 * per poll. The cost is that thread, and two thread switches per batch
 * of events (measured in docs/compat.md).
 *
 * PENDING: the thread waits for events or the task waits for the thread;
 * the task's waker is registered.
 *
 * Calling into the loop from outside its callbacks (a task of the
 * runtime, the program between turns, any other thread): the loop is
 * shared with the drive's thread, so every libev call on it goes between
 * fut_ev_drive_lock() and fut_ev_drive_unlock(), which also wakes the
 * thread's poll so that a new watcher or timer is taken into account.
 * Inside the loop's callbacks the lock is held already (it is recursive:
 * taking it again there is allowed).
 *
 * Cancellation is drop, at any state: the thread is stopped (ev_break(),
 * woken, joined), callbacks that were pending stay pending in the loop,
 * and the loop's hooks are put back as they were before the first poll:
 * the loop is the component's again (its watchers, its ev_loop_destroy()),
 * and another drive or its own ev_run() picks up where this one left off.
 * The drive must not be dropped from inside one of the callbacks it runs.
 * While the drive lives, nobody else may run the loop, set its invoke or
 * release hooks, or read or set its userdata through the hooks.
 *
 * Movable until first polled, pinned afterwards.
 */
struct fut_ev_drive {
    struct fut_future base;
    struct ev_loop *loop;
    int res;
    struct fut__evd *st;
};

/**
 * fut_ev_drive_init - prepare @f to drive @loop (borrowed: it must outlive
 * the drive). Nothing happens until the first poll. Any thread, on
 * storage no other thread uses. Returns 0, or -EINVAL for a NULL @f or
 * @loop (@f, if not NULL, is then a drive whose poll is READY with
 * -EINVAL and whose drop does nothing).
 */
FUT_API int fut_ev_drive_init(struct fut_ev_drive *f, struct ev_loop *loop);

/**
 * fut_ev_drive_lock - take the loop from the drive's thread before calling
 * libev on @f's loop from outside its callbacks. Any thread. Blocks for at
 * most the length of one batch of callbacks. A no-op on a NULL @f or a
 * drive that is not running (never polled, finished, dropped): the loop
 * is then nobody else's.
 */
FUT_API void fut_ev_drive_lock(struct fut_ev_drive *f);

/**
 * fut_ev_drive_unlock - give the loop back after fut_ev_drive_lock(), and
 * wake the drive's thread so that it sees what changed (ev_async_send()).
 * Same thread as the lock; a no-op where the lock was one.
 */
FUT_API void fut_ev_drive_unlock(struct fut_ev_drive *f);

FUT__END_DECLS

#endif /* FUTURES_COMPAT_EV_DRIVE_H */
