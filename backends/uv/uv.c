/* SPDX-License-Identifier: MIT */
/* The libuv backend: a runtime on a uv_loop_t, its own or the program's. */

/*
 * Quirks of libuv this file works around or relies on (libuv >= 1.30; read
 * against 1.44):
 *
 * - uv_poll_t is level-triggered, and uv_poll_start() on Unix begins with a
 *   full stop that deregisters the descriptor (uv__platform_invalidate_fd,
 *   an epoll_ctl(EPOLL_CTL_DEL) on Linux) before adding it again: two
 *   epoll_ctl(2) per change. So each registration remembers the libuv
 *   event set it is started with, in io->backend_priv[0], and is restarted
 *   only when that set changes. fut_io_ready() shrinks io->interest
 *   without telling us, and watching a direction nobody waits for would
 *   make the loop spin; but narrowing the set in the poll callback would
 *   cost the two syscalls on every wait, since the woken task usually
 *   waits again for the same direction before the loop polls next (an
 *   echo server: read, write, wait to read). So a callback that leaves the
 *   set wider than io->interest only puts the registration on a "dirty"
 *   list, and what is still too wide is narrowed right before the loop
 *   may block: in a turn that may block (owned mode), or from a prepare
 *   handle when no task is ready (attached mode). The loop never blocks
 *   watching a direction nobody waits for; polls that do not block (tasks
 *   still ready) may report such a direction again, which costs a
 *   callback, not a syscall.
 * - A poll callback with a negative status (UV_EBADF) means POLLERR, and
 *   libuv has already stopped the handle. We report FUT_IO_ERROR; the
 *   caller's syscall (read, getsockopt(SO_ERROR)) says which error.
 * - libuv never reports POLLHUP by itself: a hang-up is delivered as the
 *   directions being watched (read then returns 0, write EPIPE). We ask
 *   for UV_DISCONNECT (EPOLLRDHUP) only while a reader waits: it is
 *   level-triggered too, and a writer alone would spin on a half-closed
 *   socket.
 * - libuv allows one watcher per descriptor and per loop: uv_poll_init()
 *   fails with UV_EEXIST when the program (attached mode) already watches
 *   the descriptor. It also checks the descriptor by adding it to epoll,
 *   so a regular file fails with UV_EPERM, as on the epoll backend.
 * - Handles are freed only in their close callback, which runs from a
 *   later loop iteration. Registrations are therefore separate allocations
 *   that their close callback frees, and so are the runtime's own handles
 *   (struct hooks): in attached mode the runtime frees the backend state
 *   right after fini, while the closes finish in the program's next
 *   uv_run(). Nothing a closing handle's callback reads points back at a
 *   fut_io or at the backend state.
 * - Loop time (uv_now) is in whole milliseconds, cached once per iteration
 *   (and read from CLOCK_MONOTONIC_COARSE when that clock ticks at 1 ms or
 *   finer, so it may lag by up to a tick). A timer is due once loop time
 *   reaches (loop time when started) + timeout, and the iteration's
 *   epoll_wait(2) sleeps "due - loop time" milliseconds from the real now.
 *   Since the cached time is rounded down, a timer may therefore fire up
 *   to a millisecond before "now + timeout" in real time. That is harmless
 *   here: the loop timer only wakes us up, and the core's timer wheel
 *   decides, against fut_now_ns(), which futures timers are due; a wake-up
 *   that comes early returns a turn early (allowed), and the next turn
 *   waits for the rest. So the timeout is the remaining time, measured
 *   with fut_now_ns() right after uv_update_time() and rounded up to the
 *   millisecond: epoll then sleeps at least until the deadline, and
 *   overshoots it by less than a millisecond plus scheduling delay.
 * - uv_run() returns at once when no referenced handle is active. In owned
 *   mode the async (doorbell) handle stays referenced, so a blocking turn
 *   always blocks. In attached mode it is unreferenced, not to keep the
 *   program's uv_run(UV_RUN_DEFAULT) alive forever, and is referenced only
 *   for the length of a turn (fut_block_on() on an attached runtime).
 * - UV_RUN_ONCE polls with the timeout of the next timer as computed
 *   after the iteration's timers phase. A turn's own timer that expires
 *   in that phase leaves no timer behind, and the poll would block with no
 *   timeout; its callback therefore calls uv_stop(), which makes the poll
 *   return at once (libuv's forward-progress guarantee for UV_RUN_ONCE
 *   does not cover this). In attached mode it starts the idle handle
 *   instead, which has the same effect without stopping the program's
 *   uv_run().
 * - uv_async_send() is thread-safe and async-signal-safe, and coalesces:
 *   several sends before the callback run it once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <stdint.h>
#include <uv.h>

#include <futures.h>
#include <futures/backend.h>
#include <futures/backend-uv.h>
#include "../epollset.h"
#include "../reglist.h"

/* Bits of struct hooks::inited, one per handle, for closing what was
 * initialised when init fails half-way. */
enum {
    HOOK_ASYNC = 1u << 0,
    HOOK_TIMER = 1u << 1,
    HOOK_CHECK = 1u << 2,
    HOOK_IDLE = 1u << 3,
    HOOK_PREPARE = 1u << 4,
    HOOK_SETPOLL = 1u << 5
};

/*
 * One registration: the poll handle (first, so a handle pointer is a
 * registration pointer) and its place on the dirty list of the hooks that
 * were current when it started. io->backend_data points here; the handle's
 * data points at the fut_io until io_stop, then NULL.
 */
struct uv_reg {
    uv_poll_t poll;
    struct fut_reglink dirty;
    struct hooks *h;
};

/*
 * The runtime's own handles, in an allocation of their own: the last close
 * callback frees it (see the quirks above). In owned mode only the async
 * and the timer are used.
 */
struct uv_backend;

struct hooks {
    uv_async_t async;       /* the doorbell (not in one-fd mode) */
    uv_poll_t setpoll;      /* one-fd mode: watches the epoll set */
    uv_timer_t timer;       /* the deadline of a turn, or (attached) the
                             * next futures timer */
    uv_check_t check;       /* attached: runs ready tasks */
    uv_idle_t idle;         /* attached: active while tasks are ready */
    uv_prepare_t prepare;   /* narrows the dirty registrations */
    struct fut_reglink *dirty; /* registrations watching more than
                                * io->interest */
    struct fut_runtime *rt; /* NULL once detached */
    unsigned int inited;    /* HOOK_* bits */
    unsigned int open;      /* handles whose close callback has not run */
    int pending;            /* attached: the next check should run tasks */
    int attached;
    int holding;            /* attached: the doorbell is referenced (hold) */
    int64_t armed_ns;       /* attached: the deadline the timer is armed
                             * for, -1 when it is not */
    /* One-fd mode. */
    struct uv_backend *st;  /* NULL once closing */
    int in_turn;            /* attached: inside uv_turn */
    int setref;             /* setpoll is referenced */
};

struct uv_backend {
    struct fut_backend base;
    uv_loop_t *loop;        /* &own, or the program's */
    struct hooks *hooks;
    int attached;
    int one_fd;             /* FUT_BACKEND_ONE_FD */
#if FUT_EPOLLSET_ONE_FD
    struct fut_epollset set; /* one-fd mode */
#endif
    uv_loop_t own;          /* owned mode */
};

static struct uv_backend *
to_uv(struct fut_backend *be)
{
    return (struct uv_backend *)be;
}

/* ---- time ---------------------------------------------------------------- */

/*
 * The timeout, in libuv's milliseconds, that wakes the loop no earlier than
 * @deadline_ns (fut_now_ns() clock): the remaining time rounded up, 0 when
 * the deadline has passed. The loop's cached time is refreshed first,
 * because libuv counts the timeout from it: after a long callback it may
 * be far behind the real now, and the wake-up would come that much early.
 */
static uint64_t
timeout_ms(uv_loop_t *loop, int64_t deadline_ns)
{
    int64_t left;

    uv_update_time(loop);
    left = deadline_ns - fut_now_ns();
    if (left <= 0)
        return 0;
    return ((uint64_t)left + FUT_NSEC_PER_MSEC - 1) / FUT_NSEC_PER_MSEC;
}

/* ---- readiness ----------------------------------------------------------- */

/* The libuv events that watch the directions in @interest. */
static int
uv_events_of(unsigned int interest)
{
    int ev = 0;

    if (interest & FUT_IO_READABLE)
        ev |= UV_READABLE | UV_DISCONNECT;
    if (interest & FUT_IO_WRITABLE)
        ev |= UV_WRITABLE;
    return ev;
}

static void on_poll(uv_poll_t *p, int status, int events);
#if FUT_EPOLLSET_ONE_FD
static void setpoll_ref(struct hooks *h);
#endif

static void
dirty_add(struct uv_reg *r)
{
    fut_reglink_push(&r->h->dirty, &r->dirty);
}

/* Watch @ev on @io's handle, touching libuv only if that changes the set. */
static int
poll_set(uv_poll_t *p, struct fut_io *io, int ev)
{
    int err;

    if ((uintptr_t)ev == io->backend_priv[0])
        return 0;
    if (ev == 0) {
        (void)uv_poll_stop(p);
    } else {
        err = uv_poll_start(p, ev, on_poll);
        if (err != 0)
            return err;
    }
    io->backend_priv[0] = (uintptr_t)ev;
    return 0;
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
    struct fut_io *io = p->data;
    unsigned int bits = 0;

    if (io == NULL)
        return;
    if (status < 0) {
        /* POLLERR: libuv stopped the handle itself. */
        io->backend_priv[0] = 0;
        bits = FUT_IO_ERROR;
    } else {
        if (events & UV_READABLE)
            bits |= FUT_IO_READABLE;
        if (events & UV_DISCONNECT)
            bits |= FUT_IO_READABLE | FUT_IO_RDHUP;
        if (events & UV_WRITABLE)
            bits |= FUT_IO_WRITABLE;
    }
    /* fut_io_ready() records and wakes; it never runs a task, so @io is
     * still registered afterwards. It clears the directions it woke from
     * io->interest; the task usually waits for them again before the loop
     * polls next, so the prepare handle narrows what is left over then. */
    if (bits != 0)
        fut_io_ready(io, bits);
    if ((uintptr_t)uv_events_of(io->interest) != io->backend_priv[0])
        dirty_add((struct uv_reg *)p);
}

/* Make every dirty registration watch exactly io->interest. */
static void
narrow_dirty(struct hooks *h)
{
    while (h->dirty != NULL) {
        struct uv_reg *r = FUT_REGLINK_OWNER(h->dirty, struct uv_reg, dirty);
        struct fut_io *io = r->poll.data;

        fut_reglink_remove(&r->dirty);
        if (io != NULL)
            (void)poll_set(&r->poll, io, uv_events_of(io->interest));
    }
}

/* Attached mode, right before the loop polls: narrow the registrations if
 * the poll may block. While tasks are still ready (the idle handle is on)
 * the poll does not block, and those tasks mostly wait again for what
 * they were woken for: a spurious report costs less than the two
 * epoll_ctl(2) that narrowing and widening again would. */
static void
on_prepare(uv_prepare_t *prepare)
{
    struct hooks *h = prepare->data;

    if (h->attached && !uv_is_active((uv_handle_t *)&h->idle))
        narrow_dirty(h);
}

static void
poll_closed(uv_handle_t *h)
{
    fut_mem_free(h);
}

static int
uv_io_start(struct fut_backend *be, struct fut_io *io, unsigned int interest)
{
    struct uv_backend *st = to_uv(be);
    struct uv_reg *r;
    uv_poll_t *p;
    int err;

#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd) {
        io->backend_priv[1] = 0;
        err = fut_epollset_io_start(&st->set, io, interest);
        if (err == 0 && st->attached) {
            fut_epollset_arm(&st->set, io);
            setpoll_ref(st->hooks);
        }
        return err;
    }
#endif
    r = fut_mem_alloc(sizeof *r);
    if (r == NULL)
        return -ENOMEM;
    fut_reglink_init(&r->dirty);
    r->h = st->hooks;
    p = &r->poll;
    /* On failure uv_poll_init() has not linked the handle into the loop,
     * so it is freed at once rather than closed. */
    err = uv_poll_init(st->loop, p, io->fd);
    if (err != 0) {
        fut_mem_free(r);
        return err;
    }
    p->data = io;
    io->backend_data = p;
    io->backend_priv[0] = 0;
    /* Level-triggered: what is left to read is reported again. */
    io->flags |= FUT_IO_SHORT_READ_DRAINS;
    err = poll_set(p, io, uv_events_of(interest));
    if (err != 0) {
        p->data = NULL;
        io->backend_data = NULL;
        uv_close((uv_handle_t *)p, poll_closed);
        return err;
    }
    return 0;
}

static int
uv_io_update(struct fut_backend *be, struct fut_io *io, unsigned int interest)
{
    struct uv_reg *r = io->backend_data;
    int want = uv_events_of(interest);

#if FUT_EPOLLSET_ONE_FD
    struct uv_backend *st = to_uv(be);

    if (st->one_fd) {
        int err = fut_epollset_io_update(&st->set, io, interest);

        if (err == 0 && st->attached) {
            fut_epollset_arm(&st->set, io);
            setpoll_ref(st->hooks);
        }
        return err;
    }
#endif
    (void)be;
    /* Already watched (the usual case: the same direction again, before
     * the prepare handle narrowed it): nothing to tell libuv. */
    if (((uintptr_t)want & ~io->backend_priv[0]) == 0) {
        if ((uintptr_t)want != io->backend_priv[0])
            dirty_add(r);
        return 0;
    }
    return poll_set(&r->poll, io, want);
}

static void
uv_io_stop(struct fut_backend *be, struct fut_io *io)
{
    struct uv_reg *r = io->backend_data;
    uv_poll_t *p;

#if FUT_EPOLLSET_ONE_FD
    struct uv_backend *st = to_uv(be);

    if (st->one_fd) {
        fut_epollset_io_stop(&st->set, io);
        fut_epollset_disarm(&st->set, io);
        if (st->hooks != NULL)
            setpoll_ref(st->hooks);
        return;
    }
#endif
    (void)be;
    if (r == NULL)
        return;
    fut_reglink_remove(&r->dirty);
    p = &r->poll;
    /* uv_close() stops the poll at once (the descriptor leaves epoll, and
     * events already fetched for it in this iteration are dropped); the
     * memory goes in the close callback, which must not reach @io. */
    p->data = NULL;
    uv_close((uv_handle_t *)p, poll_closed);
    io->backend_data = NULL;
    io->backend_priv[0] = 0;
}

/* ---- one-fd mode --------------------------------------------------------- */

#if FUT_EPOLLSET_ONE_FD
/*
 * FUT_BACKEND_ONE_FD: registrations go to a private epoll set (see
 * backends/epollset.h), and the loop watches only the set's descriptor,
 * with one uv_poll_t that stays started for reading (level-triggered: what
 * a callback leaves in the set comes back next iteration). No uv_poll_init
 * per descriptor, so a descriptor the program watches too is no -EEXIST,
 * and a registration costs no allocation. The doorbell is the set's
 * eventfd rather than a uv_async_t.
 *
 * In attached mode the set's handle holds the program's loop while some
 * registration has a waiting waker (as a started uv_poll_t of the default
 * mode does), while the runtime holds it (hold) and for the length of a
 * turn; in owned mode, always.
 */
static void
setpoll_ref(struct hooks *h)
{
    struct uv_backend *st = h->st;
    int want;

    if (st == NULL)
        return;
    want = !st->attached || h->in_turn || h->holding || st->set.armed > 0;
    if (want == h->setref)
        return;
    h->setref = want;
    if (want)
        uv_ref((uv_handle_t *)&h->setpoll);
    else
        uv_unref((uv_handle_t *)&h->setpoll);
}

static void
on_setpoll(uv_poll_t *p, int status, int events)
{
    struct hooks *h = p->data;
    struct uv_backend *st = h->st;

    (void)status;
    (void)events;
    if (st == NULL)
        return;
    /* A negative status (an error on the epoll descriptor itself) cannot
     * happen to an epoll set; drain all the same: it fails or finds
     * nothing. The doorbell: as on_async. */
    if (fut_epollset_drain(&st->set) > 0 && h->attached)
        h->pending = 1;
    setpoll_ref(h);
}
#endif

/* ---- the runtime's own handles ------------------------------------------- */

static void
hook_closed(uv_handle_t *handle)
{
    struct hooks *h = handle->data;

    if (--h->open == 0)
        fut_mem_free(h);
}

/* Close every handle of @h that was initialised; the last close callback
 * frees @h. @h must not be used afterwards. */
static void
hooks_close(struct hooks *h)
{
    h->rt = NULL;
    if (h->inited & HOOK_ASYNC)
        uv_close((uv_handle_t *)&h->async, hook_closed);
    if (h->inited & HOOK_TIMER)
        uv_close((uv_handle_t *)&h->timer, hook_closed);
    if (h->inited & HOOK_CHECK)
        uv_close((uv_handle_t *)&h->check, hook_closed);
    if (h->inited & HOOK_IDLE)
        uv_close((uv_handle_t *)&h->idle, hook_closed);
    if (h->inited & HOOK_PREPARE)
        uv_close((uv_handle_t *)&h->prepare, hook_closed);
    /* uv_close() stops the poll at once, so the set's descriptor may be
     * closed right after. */
    if (h->inited & HOOK_SETPOLL)
        uv_close((uv_handle_t *)&h->setpoll, hook_closed);
    h->st = NULL;
    if (h->open == 0)
        fut_mem_free(h);
}

static void
on_idle(uv_idle_t *idle)
{
    /* Nothing to do: an active idle handle only makes the loop poll without
     * blocking, so that the check handle runs the ready tasks right after
     * this iteration's I/O callbacks. */
    (void)idle;
}

/* Attached: make this iteration (or the next) run the tasks. */
static void
hooks_schedule(struct hooks *h)
{
    h->pending = 1;
    (void)uv_idle_start(&h->idle, on_idle);
}

static void
on_async(uv_async_t *async)
{
    struct hooks *h = async->data;

    /* Owned mode: waking up the turn was the point. Attached: the async
     * runs in the poll phase, and the check that follows in the same
     * iteration drains the remote queue. */
    if (h->attached)
        h->pending = 1;
}

static void
on_timer(uv_timer_t *timer)
{
    struct hooks *h = timer->data;

    h->armed_ns = -1;
    if (h->attached) {
        /* A futures timer is due (or a turn's deadline passed). Timers run
         * before the poll phase: the idle handle keeps that poll from
         * blocking, and the check after it runs the tasks. */
        hooks_schedule(h);
    } else {
        /* The turn's deadline. The callback may run in the timers phase
         * at the start of the turn's iteration (the turn was slow to reach
         * uv_run, e.g. under valgrind): with no timer left, libuv would
         * then poll without a timeout and the turn would sleep through its
         * deadline. uv_stop() makes this iteration poll without blocking;
         * uv_run() clears the flag when it returns. */
        uv_stop(timer->loop);
    }
}

/* Attached: keep the loop timer armed for @deadline_ns (-1: none). */
static void
arm_deadline(struct hooks *h, int64_t deadline_ns)
{
    if (deadline_ns < 0) {
        if (h->armed_ns >= 0)
            (void)uv_timer_stop(&h->timer);
        h->armed_ns = -1;
        return;
    }
    if (deadline_ns == h->armed_ns)
        return; /* already armed for it: spare libuv's timer heap */
    h->armed_ns = deadline_ns;
    (void)uv_timer_start(&h->timer, on_timer,
                         timeout_ms(h->timer.loop, deadline_ns), 0);
}

static void
on_check(uv_check_t *check)
{
    struct hooks *h = check->data;
    int64_t deadline;
    int more;

    if (!h->pending || h->rt == NULL)
        return;
    h->pending = 0;
    more = fut_runtime_attached_run(h->rt, &deadline);
    if (more < 0) {
        /* -EBUSY: inside the runtime's own turn (fut_block_on() on an
         * attached runtime), which runs the tasks itself. */
        h->pending = 1;
        return;
    }
    if (more > 0)
        hooks_schedule(h);
    else
        (void)uv_idle_stop(&h->idle);
    arm_deadline(h, deadline);
}

static int
hooks_new(struct uv_backend *st, struct hooks **out)
{
    struct hooks *h;
    int err;

    h = fut_mem_alloc(sizeof *h);
    if (h == NULL)
        return -ENOMEM;
    memset(h, 0, sizeof *h);
    h->rt = st->base.rt;
    h->attached = st->attached;
    h->armed_ns = -1;
#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd) {
        h->st = st;
        err = uv_poll_init(st->loop, &h->setpoll, st->set.epfd);
        if (err != 0) {
            fut_mem_free(h);
            return err;
        }
        h->setpoll.data = h;
        h->inited |= HOOK_SETPOLL;
        h->open++;
        err = uv_poll_start(&h->setpoll, UV_READABLE, on_setpoll);
        if (err != 0)
            goto fail;
        h->setref = 1;
        setpoll_ref(h);
    }
#endif
    if (!st->one_fd) {
        err = uv_async_init(st->loop, &h->async, on_async);
        if (err != 0) {
            fut_mem_free(h);
            return err;
        }
        h->async.data = h;
        h->inited |= HOOK_ASYNC;
        h->open++;
        if (st->attached)
            uv_unref((uv_handle_t *)&h->async);
    }
    /* uv_timer_init, uv_check_init and uv_idle_init cannot fail (they only
     * link the handle into the loop); checked all the same. */
    err = uv_timer_init(st->loop, &h->timer);
    if (err != 0)
        goto fail;
    h->timer.data = h;
    h->inited |= HOOK_TIMER;
    h->open++;
    err = uv_prepare_init(st->loop, &h->prepare);
    if (err != 0)
        goto fail;
    h->prepare.data = h;
    h->inited |= HOOK_PREPARE;
    h->open++;
    /* Always on, never keeping the loop alive: in attached mode it
     * narrows what registrations watch before the loop blocks. */
    err = uv_prepare_start(&h->prepare, on_prepare);
    if (err != 0)
        goto fail;
    uv_unref((uv_handle_t *)&h->prepare);
    if (st->attached) {
        err = uv_check_init(st->loop, &h->check);
        if (err != 0)
            goto fail;
        h->check.data = h;
        h->inited |= HOOK_CHECK;
        h->open++;
        err = uv_idle_init(st->loop, &h->idle);
        if (err != 0)
            goto fail;
        h->idle.data = h;
        h->inited |= HOOK_IDLE;
        h->open++;
    }
    *out = h;
    return 0;

fail:
    hooks_close(h);
    return err;
}

/* ---- the vtable ---------------------------------------------------------- */

/* Owned mode: run the loop until every closed handle is gone, then close it.
 * By now every registration was stopped and our own handles closed, so
 * nothing keeps UV_RUN_DEFAULT from returning. */
static void
own_loop_close(uv_loop_t *loop)
{
    int err;

    (void)uv_run(loop, UV_RUN_DEFAULT);
    err = uv_loop_close(loop);
    assert(err == 0);
    (void)err;
}

/* One-fd mode: close the epoll set (its handle closed or never made). */
static void
set_close(struct uv_backend *st)
{
#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd)
        fut_epollset_close(&st->set);
#endif
    st->one_fd = 0;
}

static int
uv_init(struct fut_backend *be, const struct fut_backend_config *c)
{
    struct uv_backend *st = to_uv(be);
    unsigned int flags = c != NULL ? c->flags : 0;
    int err;

    if ((flags & ~(unsigned int)FUT_BACKEND_ONE_FD) != 0)
        return -EINVAL;
    if (flags & FUT_BACKEND_ONE_FD) {
#if FUT_EPOLLSET_ONE_FD
        err = fut_epollset_open(&st->set);
        if (err != 0)
            return err;
        st->one_fd = 1;
#else
        return -ENOTSUP;
#endif
    }
    if (c != NULL && c->loop != NULL) {
        st->loop = c->loop;
        st->attached = 1;
    } else {
        err = uv_loop_init(&st->own);
        if (err != 0) {
            set_close(st);
            return err;
        }
        st->loop = &st->own;
    }
    err = hooks_new(st, &st->hooks);
    if (err != 0) {
        set_close(st);
        if (!st->attached)
            own_loop_close(&st->own);
        /* Attached: handles closed half-way finish in the program's next
         * uv_run(), like after a detach. */
        st->hooks = NULL;
        return err;
    }
    return 0;
}

static void
uv_fini(struct fut_backend *be)
{
    struct uv_backend *st = to_uv(be);

    if (st->hooks != NULL)
        hooks_close(st->hooks);
    st->hooks = NULL;
    set_close(st);
    if (!st->attached)
        own_loop_close(&st->own);
    st->loop = NULL;
}

static int
uv_attach(struct fut_backend *be, void *loop)
{
    struct uv_backend *st = to_uv(be);
    struct hooks *h = st->hooks;
    int err;

    if (loop != st->loop)
        return -EINVAL;
    /* The check handle does not keep the loop alive: the idle handle (ready
     * tasks), the deadline timer and the registrations do, for as long as
     * they are active. */
    err = uv_check_start(&h->check, on_check);
    if (err != 0)
        return err;
    uv_unref((uv_handle_t *)&h->check);
    return 0;
}

static void
uv_schedule(struct fut_backend *be)
{
    struct uv_backend *st = to_uv(be);

    if (st->attached && st->hooks != NULL)
        hooks_schedule(st->hooks);
}

static int
uv_notify(struct fut_backend *be)
{
    struct uv_backend *st = to_uv(be);

#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd)
        return fut_epollset_notify(&st->set);
#endif
    /* Any thread, and signal handlers: uv_async_send() is one atomic
     * exchange and, for the first send of a batch, one write(2). */
    return uv_async_send(&st->hooks->async);
}

/* Attached: a turn (fut_block_on()) keeps the loop alive through the
 * doorbell while it runs (@on), then lets it go unless the runtime holds
 * the loop. */
static void
turn_ref(struct uv_backend *st, int on)
{
    struct hooks *h = st->hooks;

#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd) {
        h->in_turn = on;
        setpoll_ref(h);
        return;
    }
#endif
    if (on)
        uv_ref((uv_handle_t *)&h->async);
    else if (!h->holding)
        uv_unref((uv_handle_t *)&h->async);
}

static int
uv_turn(struct fut_backend *be, int64_t deadline_ns)
{
    struct uv_backend *st = to_uv(be);
    struct hooks *h = st->hooks;
    uv_run_mode mode = UV_RUN_ONCE;
    int timed = 0;

#if FUT_EPOLLSET_ONE_FD
    /* Owned one-fd mode, not to block: the set holds everything there is
     * to report, and one epoll_wait(2) on it costs less than an iteration
     * of the loop around it (the embedding's run_nowait comes here). */
    if (st->one_fd && !st->attached && deadline_ns >= 0 &&
        (deadline_ns == 0 || deadline_ns <= fut_now_ns())) {
        int r = fut_epollset_drain(&st->set);

        return r < 0 ? r : 0;
    }
#endif
    if (deadline_ns >= 0) {
        uint64_t ms = deadline_ns == 0 ? 0 : timeout_ms(st->loop, deadline_ns);

        if (ms == 0) {
            mode = UV_RUN_NOWAIT;
        } else {
            (void)uv_timer_start(&h->timer, on_timer, ms, 0);
            timed = 1;
        }
    }
    if (st->attached) {
        /* fut_block_on() on an attached runtime runs the program's loop
         * here. Our idle handle must not keep that from blocking, and the
         * doorbell must keep it alive. */
        (void)uv_idle_stop(&h->idle);
        turn_ref(st, 1);
    }
    /* A turn that may block must not watch what nobody waits for (level-
     * triggered: the poll would return at once, again and again). The
     * core turns without blocking while tasks are still ready, and those
     * mostly wait again for what woke them: narrowing then is left out. */
    if (mode != UV_RUN_NOWAIT)
        narrow_dirty(h);
    /* uv_run() reports whether the loop is still alive, never an error;
     * EINTR is handled inside libuv. */
    (void)uv_run(st->loop, mode);
    if (timed)
        (void)uv_timer_stop(&h->timer);
    if (st->attached) {
        /* Back to unreferenced, unless the runtime holds the loop. */
        turn_ref(st, 0);
        /* The turn may have taken over the deadline timer, and tasks woken
         * inside it were queued without a schedule call: have the loop's
         * next iteration run the hook, which re-arms everything. */
        h->armed_ns = -1;
        hooks_schedule(h);
    }
    return 0;
}

/* Owned mode, for a host loop (fut_runtime_backend_fd()): libuv applies
 * interest changes only inside uv_run(), so the epoll descriptor it hands
 * out lags behind every uv_poll_start() made since the last iteration.
 * Narrow what nobody waits for (the host is about to block), then run one
 * iteration that does not block: it applies the changes, and what it
 * finds ready is reported as in any turn. */
static int
uv_embed_fd(struct fut_backend *be)
{
    struct uv_backend *st = to_uv(be);
    int fd;

    if (st->attached)
        return -EINVAL;
#if FUT_EPOLLSET_ONE_FD
    /* One-fd mode: the set, whose registrations went to the kernel when
     * they were made. */
    if (st->one_fd)
        return st->set.epfd;
#endif
    narrow_dirty(st->hooks);
    (void)uv_run(st->loop, UV_RUN_NOWAIT);
    fd = uv_backend_fd(st->loop);
    return fd >= 0 ? fd : -ENOTSUP;
}

/* In the child of a fork(2). One-fd mode: a set and a doorbell of our own
 * first, under the old numbers (fut_epollset_fork()), so that the
 * uv_poll_t on the set stays valid. Then uv_loop_fork(): libuv makes its
 * backend and its async descriptor anew and watches every uv_poll_t again
 * (by number: hence the set first). */
static int
uv_fork(struct fut_backend *be)
{
    struct uv_backend *st = to_uv(be);
    int err;

    if (st->attached)
        return -EINVAL;
#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd && (err = fut_epollset_fork(&st->set, be->rt)) != 0)
        return err;
#endif
    err = uv_loop_fork(st->loop);
    return err < 0 ? err : 0;
}

/* Attached: jobs of the runtime's pool are pending (on) or not (off). A
 * referenced doorbell keeps uv_run() going until their completions came,
 * as libuv's own work requests do. */
static void
uv_hold(struct fut_backend *be, int on)
{
    struct uv_backend *st = to_uv(be);
    struct hooks *h = st->hooks;

    if (!st->attached || h == NULL || h->holding == !!on)
        return;
    h->holding = !!on;
#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd) {
        setpoll_ref(h);
        return;
    }
#endif
    if (on)
        uv_ref((uv_handle_t *)&h->async);
    else
        uv_unref((uv_handle_t *)&h->async);
}

static const struct fut_backend_vtable uv_vtable = {
    .version = FUT_BACKEND_VTABLE_VERSION,
    .name = "uv",
    .size = sizeof(struct uv_backend),
    .init = uv_init,
    .fini = uv_fini,
    .io_start = uv_io_start,
    .io_update = uv_io_update,
    .io_stop = uv_io_stop,
    .notify = uv_notify,
    .turn = uv_turn,
    .attach = uv_attach,
    .schedule = uv_schedule,
    .hold = uv_hold,
    .embed_fd = uv_embed_fd,
    .fork = uv_fork,
};

const struct fut_backend_vtable *
fut_backend_uv(void)
{
    return &uv_vtable;
}

int
fut_uv_attach(struct fut_runtime *rt, struct uv_loop_s *loop)
{
    return fut_runtime_init_attached(rt, fut_backend_uv(), loop);
}
