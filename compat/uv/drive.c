/* SPDX-License-Identifier: MIT */
/* compat/uv: a foreign uv_loop_t driven by a task of a runtime on any backend. */

/*
 * libuv can be embedded: uv_backend_fd() is one descriptor (epoll on
 * Linux) that is readable when the loop has I/O to handle, and
 * uv_backend_timeout() says how long the loop may sleep. A runtime can
 * then wait on that descriptor through its reactor and on a timer, and
 * call uv_run(UV_RUN_NOWAIT) when either fires. The drive names no
 * backend: it uses struct fut_io and struct fut_sleep like any I/O object.
 *
 * libuv quirks this relies on (libuv 1.x on Linux):
 * - Watchers started outside libuv's poll phase (from a callback of the
 *   check or close phase, from an I/O callback, or from the program
 *   between runs) are queued and only reach the epoll set at the next
 *   poll phase: until then the backend descriptor cannot report them.
 *   From libuv 1.44 on, uv_backend_timeout() returns 0 while such changes
 *   are queued (libuv PR #3466; checked against 1.44.2, Debian 12), so
 *   "timeout 0: run again" covers it. Older versions do not: there the
 *   drive runs UV_RUN_NOWAIT once more before it sleeps, which flushes
 *   the changes the previous run's callbacks made (a cascade of changes
 *   made by that flushing run's own callbacks is not covered).
 * - libuv registers its descriptors level-triggered in its own epoll set,
 *   but one UV_RUN_NOWAIT dispatches each ready watcher once, and a
 *   callback may leave data behind (a stream reads at most 32 times per
 *   callback). The inner epoll descriptor then stays readable without a
 *   new wake-up: an edge-triggered host (our epoll backend, libevent's
 *   epoll with EV_ET) would never report it again. So after each run the
 *   drive asks poll(2) with a zero timeout whether the descriptor is still
 *   readable, and runs again if so: one system call per wake.
 * - uv_backend_timeout() is relative to the loop's cached time (updated at
 *   the start of uv_run()), so a deadline of now + timeout is never
 *   early for libuv's timers; at worst it is late by the length of the
 *   run.
 * - uv_stop() ends only the current UV_RUN_NOWAIT pass (libuv clears the
 *   flag as uv_run() returns, and the drive cannot see it): the drive
 *   goes on while the loop is alive.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>

#include <futures/compat-uv-drive.h>

/* Runs of the loop one poll may make before it yields unconditionally
 * (a context without a runtime has no coop budget to run out of). */
#define RUNS_PER_POLL 64

enum drive_state {
    DRIVE_BAD = 0,  /* init failed: READY with -EINVAL */
    DRIVE_FRESH,    /* not polled yet */
    DRIVE_ACTIVE,   /* the descriptor's fut_io is initialised */
    DRIVE_DONE,     /* READY was returned; nothing held */
};

/* uv_backend_timeout() sees queued watcher changes from libuv 1.44 on. */
#define TIMEOUT_SEES_QUEUED_CHANGES 0x012c00u

static void
release(struct fut_uv_drive *f)
{
    if (f->priv.state == DRIVE_ACTIVE)
        fut_io_close(&f->priv.io);
    if (f->priv.sleeping) {
        fut_future_drop(&f->priv.sleep.base);
        f->priv.sleeping = 0;
    }
    if (fut_waker_is_set(&f->priv.waker))
        fut_waker_drop(&f->priv.waker);
}

static enum fut_poll
finish(struct fut_uv_drive *f, int res)
{
    release(f);
    f->priv.state = DRIVE_DONE;
    f->res = res;
    return FUT_READY;
}

/* 1 if the backend descriptor has events libuv has not taken yet. */
static int
still_readable(int fd)
{
    struct pollfd p;
    int r;

    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    return r > 0 && (p.revents & POLLIN) != 0;
}

/* Arm (or disarm, for @ms < 0) the timer for libuv's next deadline.
 * FUT_READY if it is already due. */
static enum fut_poll
arm_timer(struct fut_uv_drive *f, struct fut_context *cx, int ms)
{
    int64_t deadline;

    if (ms < 0) {
        if (f->priv.sleeping) {
            fut_future_drop(&f->priv.sleep.base);
            f->priv.sleeping = 0;
        }
        return FUT_PENDING;
    }
    deadline = fut_now_ns() + (int64_t)ms * FUT_NSEC_PER_MSEC;
    if (f->priv.sleeping)
        fut_sleep_reset(&f->priv.sleep, deadline);
    else {
        fut_sleep_until_init(&f->priv.sleep, deadline);
        f->priv.sleeping = 1;
    }
    if (fut_future_poll(&f->priv.sleep.base, cx) == FUT_READY) {
        fut_future_drop(&f->priv.sleep.base);
        f->priv.sleeping = 0;
        return FUT_READY;
    }
    return FUT_PENDING;
}

static enum fut_poll
drive_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_uv_drive *f = (struct fut_uv_drive *)base;
    int runs, timeout, res, flushed;

    if (f->priv.state == DRIVE_BAD)
        return finish(f, -EINVAL);
    if (f->priv.state == DRIVE_DONE)
        return FUT_READY;
    flushed = uv_version() >= TIMEOUT_SEES_QUEUED_CHANGES;
    for (runs = 0; runs < RUNS_PER_POLL; runs++) {
        uv_run(f->loop, UV_RUN_NOWAIT);
        if (!uv_loop_alive(f->loop))
            return finish(f, 0);
        if (f->priv.state == DRIVE_FRESH) {
            /* Only now: an empty loop is READY with nothing registered. */
            f->priv.fd = uv_backend_fd(f->loop);
            if (f->priv.fd < 0 || fut_io_init(&f->priv.io, f->priv.fd) != 0)
                return finish(f, -EINVAL);
            f->priv.state = DRIVE_ACTIVE;
        }
        timeout = uv_backend_timeout(f->loop);
        if (timeout != 0 && !flushed && runs + 1 < RUNS_PER_POLL) {
            /* libuv before 1.44: flush watchers queued by the callbacks. */
            uv_run(f->loop, UV_RUN_NOWAIT);
            runs++;
            if (!uv_loop_alive(f->loop))
                return finish(f, 0);
            timeout = uv_backend_timeout(f->loop);
        }
        if (timeout != 0 && !still_readable(f->priv.fd)) {
            /* Sleep: the descriptor, then the timer. Readiness recorded
             * before this run was consumed by it. */
            fut_io_clear_ready(&f->priv.io, FUT_IO_READABLE);
            if (fut_io_poll_ready(&f->priv.io, cx, FUT_IO_READABLE, &res) ==
                FUT_READY) {
                if (res < 0)
                    return finish(f, res);
                goto again; /* readable since the poll(2) above */
            }
            if (arm_timer(f, cx, timeout) == FUT_READY)
                goto again;
            fut_waker_set(&f->priv.waker, cx->waker);
            return FUT_PENDING;
        }
    again:
        if (!fut_coop_proceed(cx)) {
            /* The budget is spent: it woke us; the descriptor's
             * registration (if any) stays, which is harmless. */
            fut_waker_set(&f->priv.waker, cx->waker);
            return FUT_PENDING;
        }
    }
    fut_waker_set(&f->priv.waker, cx->waker);
    fut_waker_wake_by_ref(cx->waker);
    return FUT_PENDING;
}

static void
drive_drop(struct fut_future *base)
{
    struct fut_uv_drive *f = (struct fut_uv_drive *)base;

    release(f);
    f->priv.state = DRIVE_DONE;
}

static int
drive_result(const struct fut_future *base)
{
    return ((const struct fut_uv_drive *)base)->res;
}

static const struct fut_future_vtable drive_vtable = {
    .poll = drive_poll,
    .drop = drive_drop,
    .result = drive_result,
};

int
fut_uv_drive_init(struct fut_uv_drive *f, uv_loop_t *loop)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = &drive_vtable;
    f->loop = loop;
    f->res = 0;
    f->priv.state = loop != NULL ? DRIVE_FRESH : DRIVE_BAD;
    f->priv.fd = -1;
    f->priv.sleeping = 0;
    f->priv.waker.vtable = NULL;
    f->priv.waker.data = NULL;
    return loop != NULL ? 0 : -EINVAL;
}

void
fut_uv_drive_kick(struct fut_uv_drive *f)
{
    if (f == NULL || f->base.vtable == NULL)
        return;
    if (f->priv.state != DRIVE_FRESH && f->priv.state != DRIVE_ACTIVE)
        return;
    if (fut_waker_is_set(&f->priv.waker))
        fut_waker_wake_by_ref(&f->priv.waker);
}
