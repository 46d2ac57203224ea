/* SPDX-License-Identifier: MIT */
/* The libev backend: a runtime on a struct ev_loop, owned or the program's. */

/*
 * Quirks of libev (4.x) this file works around or relies on:
 *
 * - ev_io is level-triggered: a watcher whose descriptor stays readable
 *   fires on every iteration. The core only keeps the directions somebody
 *   waits for in io->interest, and fut_io_ready() removes the ones it
 *   wakes without telling us; a loop that blocks while watching them
 *   spins. Changing the events of an ev_io needs it stopped and started
 *   again, and once libev has told the kernel (fd_reify, before each
 *   poll), a stopped-then-restarted watcher costs epoll_ctl(2) calls
 *   (libev ignores the EPOLL_CTL_DEL, then meets an EEXIST or a spurious
 *   event). The woken task mostly waits again for the same direction, so
 *   the watcher is not narrowed in the callback: the registration goes on
 *   a "dirty" list, and what is still too wide is narrowed only right
 *   before the loop may block (a turn that may block, or the prepare hook
 *   in attached mode when no task is ready). Polls that do not block may
 *   report such a direction again: a callback, not a syscall.
 * - libev remembers per descriptor *number* what it told the kernel. A
 *   descriptor closed while watched and reused by a new open file can
 *   confuse it, so the core stops a registration (io_stop) before it
 *   closes the descriptor, and every registration starts with ev_io_set(),
 *   which makes libev re-check the kernel's view of the number.
 * - libev has no separate error or hang-up event: on EPOLLERR/EPOLLHUP it
 *   signals the watched directions, and the syscall that follows reports
 *   the error. EV_ERROR only comes when libev gave up on a descriptor
 *   (EBADF from the kernel); the watcher is then already stopped.
 * - Time is cached: ev_now() and the base of a relative ev_timer are the
 *   time at the start of the iteration, and may be well in the past when
 *   we arm a timer from a callback. A timer armed from a stale base fires
 *   early, and an early turn costs a whole extra millisecond below (the
 *   backend's minimum wait), so we call ev_now_update() before arming.
 * - The epoll backend waits in whole milliseconds rounded up (timeout * 1e3
 *   + 0.9999), and never for less than 1 ms (backend_mintime) unless the
 *   wait is zero. libev fires a timer once its expiry is strictly before
 *   the loop's clock, so a timer never fires early; it fires up to about
 *   a millisecond late (docs/backends/ev.md has measured numbers).
 * - ev_run() with EVRUN_ONCE does not block at all when no watcher holds a
 *   reference (activecnt == 0): in owned mode the doorbell stays
 *   referenced so a turn with no deadline really waits for it. In
 *   attached mode our own watchers are unreferenced (ev_unref() after
 *   starting, ev_ref() before stopping, as libev's documentation asks),
 *   so they alone never keep the program's ev_run() from returning.
 * - Pending watchers of one priority are invoked last-queued-first, and
 *   ev_check watchers are queued after the iteration's I/O and timers: a
 *   check watcher of the default priority runs *before* the I/O callbacks
 *   of its own iteration. Ours has EV_MINPRI, so it runs after them and
 *   tasks woken by this iteration's I/O run in the same iteration.
 * - ev_async_send() is safe from any thread and from signal handlers; a
 *   batch of sends before the loop notices them invokes the callback once.
 * - libev aborts on failed allocations and on unexpected syscall errors
 *   (ev_syserr) unless the program installs ev_set_allocator() and
 *   ev_set_syserr_cb(); those are process-wide, so they are the program's
 *   choice, not ours.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdint.h>

#include <ev.h>

#include <futures.h>
#include <futures/backend.h>
#include <futures/backend-ev.h>

#include "../epollset.h"
#include "../reglist.h"

#if !EV_MULTIPLICITY
#error "libfutures-ev needs libev built with EV_MULTIPLICITY (the default)"
#endif

/* One registration: the watcher first (io_cb's watcher pointer is the
 * registration), then its place on the backend's dirty list. */
struct ev_reg {
    struct ev_io w;
    struct libev_backend *st;
    struct fut_reglink dirty;
};

struct libev_backend {
    struct fut_backend base;
    struct ev_loop *loop;
    struct fut_reglink *dirty;  /* watching more than io->interest */
    int owned;                  /* we made the loop, and destroy it */
    int hooked;                 /* attached: prepare/check/async started */
    int holding;                /* attached: our reference is given back */
    struct ev_async doorbell;   /* notify */
    struct ev_timer turn_timer; /* the deadline of one turn */
    /* Attached mode only. */
    struct ev_prepare prepare;
    struct ev_check check;
    struct ev_idle idle;        /* started while tasks are ready */
    struct ev_timer next_timer; /* the next timer of the core's wheel */
    int64_t next_armed_ns;      /* deadline next_timer is armed for */
    /* One-fd mode (FUT_BACKEND_ONE_FD). */
    int one_fd;
    int set_started;            /* setw is started */
    int setref;                 /* attached: setw holds a loop reference */
    struct ev_io setw;          /* watches set.epfd */
#if FUT_EPOLLSET_ONE_FD
    struct fut_epollset set;    /* its eventfd is the doorbell */
#endif
};

static struct libev_backend *
to_ev(struct fut_backend *be)
{
    return (struct libev_backend *)be;
}

static int
events_of(unsigned int interest)
{
    return ((interest & FUT_IO_READABLE) ? EV_READ : 0) |
           ((interest & FUT_IO_WRITABLE) ? EV_WRITE : 0);
}

/* Seconds for a relative ev_timer that must not expire before @ns from
 * now, armed right after ev_now_update(). The clock read that @ns was
 * computed from comes before libev's own, which already makes the timer
 * late by that gap; 10 ns more cover the rounding of libev's double sums
 * (one ulp of a monotonic clock 10^6 s after boot is 0.12 ns). Rounding
 * further would hurt: the epoll backend turns 1.0001 ms into a 2 ms wait,
 * so a 1 ms sleep would often wait 2. */
static ev_tstamp
tstamp_up(int64_t ns)
{
    return (ev_tstamp)(ns + 10) * 1e-9;
}

/* ---- one-fd mode --------------------------------------------------------- */

#if FUT_EPOLLSET_ONE_FD
/*
 * FUT_BACKEND_ONE_FD: registrations go to a private epoll set (see
 * backends/epollset.h) and the loop has one ev_io on the set's descriptor,
 * started for reading for good (level-triggered: what one callback leaves
 * in the set comes back next iteration); no ev_io per descriptor, and no
 * dirty list. The set's eventfd is the doorbell, in place of the ev_async.
 *
 * Attached, the watcher's own reference is given back at once, as for our
 * other watchers, and one is taken again while a registration has a
 * waiting waker (see fut_epollset_arm()): a started ev_io per descriptor
 * keeps the program's ev_run() going in the default mode, and this keeps
 * the same promise.
 */
static void
set_ref(struct libev_backend *st)
{
    int want = st->hooked && st->set.armed > 0;

    if (want == st->setref)
        return;
    st->setref = want;
    if (want)
        ev_ref(st->loop);
    else
        ev_unref(st->loop);
}

static void
set_cb(struct ev_loop *loop, struct ev_io *w, int revents)
{
    struct libev_backend *st = (struct libev_backend *)w->data;

    (void)revents;
    /* The doorbell: as doorbell_cb. */
    if (fut_epollset_drain(&st->set) > 0 && !st->owned)
        ev_idle_start(loop, &st->idle);
    set_ref(st);
}
#endif

/* ---- readiness ----------------------------------------------------------- */

static void
dirty_add(struct libev_backend *st, struct ev_reg *r)
{
    fut_reglink_push(&st->dirty, &r->dirty);
}

/* The directions @w watches now. */
static int
watched(const struct ev_io *w)
{
    return ev_is_active(w) ? (w->events & (EV_READ | EV_WRITE)) : 0;
}

/* Make @w watch exactly io->interest, whatever it watched before; a zero
 * interest leaves it stopped. */
static void
io_watch(struct ev_loop *loop, struct ev_io *w, const struct fut_io *io)
{
    int events = events_of(io->interest);

    if (ev_is_active(w)) {
        if ((w->events & (EV_READ | EV_WRITE)) == events)
            return;
        ev_io_stop(loop, w);
    }
    if (events != 0) {
        ev_io_modify(w, events);
        ev_io_start(loop, w);
    }
}

static void
io_cb(struct ev_loop *loop, struct ev_io *w, int revents)
{
    struct fut_io *io = (struct fut_io *)w->data;
    unsigned int bits = 0;

    if (revents & EV_READ)
        bits |= FUT_IO_READABLE;
    if (revents & EV_WRITE)
        bits |= FUT_IO_WRITABLE;
    if (revents & EV_ERROR)
        bits |= FUT_IO_ERROR;
    /* fut_io_ready() records and wakes; it never runs a task, so @io is
     * still registered when it returns. */
    if (bits != 0)
        fut_io_ready(io, bits);
    /* Level-triggered: the directions just woken (or that a dropped future
     * forgot) must not be watched when the loop blocks next; the woken task
     * mostly waits for them again before that (see the quirks above). */
    if (watched(w) != events_of(io->interest))
        dirty_add(((struct ev_reg *)w)->st, (struct ev_reg *)w);
    (void)loop;
}

/* Make every dirty registration watch exactly io->interest: right before
 * the loop may block. */
static void
narrow_dirty(struct libev_backend *st)
{
    while (st->dirty != NULL) {
        struct ev_reg *r = FUT_REGLINK_OWNER(st->dirty, struct ev_reg, dirty);

        fut_reglink_remove(&r->dirty);
        io_watch(st->loop, &r->w, (const struct fut_io *)r->w.data);
    }
}

static int
be_io_start(struct fut_backend *be, struct fut_io *io, unsigned int interest)
{
    struct libev_backend *st = to_ev(be);
    struct ev_reg *r;
    struct ev_io *w;

#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd) {
        int err;

        io->backend_priv[1] = 0;
        err = fut_epollset_io_start(&st->set, io, interest);
        if (err == 0 && !st->owned) {
            fut_epollset_arm(&st->set, io);
            set_ref(st);
        }
        return err;
    }
#endif
    /* One allocation per registration, reused by every wait on it. */
    r = fut_mem_alloc(sizeof *r);
    if (r == NULL)
        return -ENOMEM;
    r->st = st;
    fut_reglink_init(&r->dirty);
    w = &r->w;
    ev_io_init(w, io_cb, io->fd, events_of(interest));
    w->data = io;
    io->backend_data = w;
    /* Level-triggered: what is left to read is reported again. */
    io->flags |= FUT_IO_SHORT_READ_DRAINS;
    if (interest != 0)
        ev_io_start(st->loop, w);
    return 0;
}

static int
be_io_update(struct fut_backend *be, struct fut_io *io, unsigned int interest)
{
    struct libev_backend *st = to_ev(be);

    struct ev_reg *r = io->backend_data;
    int want = events_of(interest); /* interest == io->interest */

#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd) {
        int err = fut_epollset_io_update(&st->set, io, interest);

        if (err == 0 && !st->owned) {
            fut_epollset_arm(&st->set, io);
            set_ref(st);
        }
        return err;
    }
#endif
    /* Already watched (the usual case: the same direction again, before
     * it was narrowed): nothing to change. */
    if ((want & ~watched(&r->w)) == 0) {
        if (want != watched(&r->w))
            dirty_add(st, r);
        return 0;
    }
    io_watch(st->loop, &r->w, io);
    return 0;
}

static void
be_io_stop(struct fut_backend *be, struct fut_io *io)
{
    struct libev_backend *st = to_ev(be);
    struct ev_reg *r = io->backend_data;
    struct ev_io *w;

#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd) {
        fut_epollset_io_stop(&st->set, io);
        fut_epollset_disarm(&st->set, io);
        set_ref(st);
        return;
    }
#endif
    w = &r->w;
    fut_reglink_remove(&r->dirty);
    /* ev_io_stop() also withdraws an event already queued for this
     * iteration, so the callback can never see the freed watcher. */
    ev_io_stop(st->loop, w);
    fut_mem_free(r);
    io->backend_data = NULL;
}

/* ---- attached mode: the hooks -------------------------------------------- */

/* Arm next_timer for the core's next deadline (-1: none). */
static void
arm_next(struct libev_backend *st, int64_t deadline_ns)
{
    int64_t now;

    if (deadline_ns < 0) {
        ev_timer_stop(st->loop, &st->next_timer);
        return;
    }
    /* The prepare and check hooks both run every iteration and mostly
     * return the same deadline: keep a timer that is already right. */
    if (ev_is_active(&st->next_timer) && st->next_armed_ns == deadline_ns)
        return;
    ev_timer_stop(st->loop, &st->next_timer);
    now = fut_now_ns();
    if (deadline_ns <= now) {
        /* Due already (time went by while tasks ran): come back without
         * blocking rather than through a zero timer. */
        ev_idle_start(st->loop, &st->idle);
        return;
    }
    /* Read our clock before libev reads its own: the timer's base is then
     * no earlier than @now, so it cannot fire before @deadline_ns. */
    ev_now_update(st->loop);
    ev_timer_set(&st->next_timer, tstamp_up(deadline_ns - now), 0.);
    ev_timer_start(st->loop, &st->next_timer);
    st->next_armed_ns = deadline_ns;
}

/* Run what is ready, then leave the loop set up for what comes next: the
 * idle watcher while tasks are still ready, a timer for the next
 * deadline. */
static void
run_hook(struct libev_backend *st)
{
    int64_t deadline = -1;
    int more = fut_runtime_attached_run(st->base.rt, &deadline);

    /* -EBUSY: the runtime is running already (a task runs a nested
     * ev_run() on this loop, or fut_block_on() turns it); the prepare hook
     * after that sets things up. */
    if (more < 0)
        return;
    if (more)
        ev_idle_start(st->loop, &st->idle);
    else
        ev_idle_stop(st->loop, &st->idle);
    arm_next(st, deadline);
}

static void
prepare_cb(struct ev_loop *loop, struct ev_prepare *w, int revents)
{
    struct libev_backend *st = (struct libev_backend *)w->data;

    (void)loop;
    (void)revents;
    run_hook(st);
    /* The loop polls next: if it may block (no task ready), stop watching
     * what nobody waits for. libev tells the kernel after the prepare
     * watchers, so this costs no syscall of its own. */
    if (!ev_is_active(&st->idle))
        narrow_dirty(st);
}

static void
check_cb(struct ev_loop *loop, struct ev_check *w, int revents)
{
    (void)loop;
    (void)revents;
    run_hook((struct libev_backend *)w->data);
}

/* The idle watcher's only job is to keep the loop from blocking; the
 * prepare and check hooks do the running. */
static void
idle_cb(struct ev_loop *loop, struct ev_idle *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

/* The core's next deadline passed: make sure a hook runs before the loop
 * blocks again. (The check hook of this very iteration runs after us
 * anyway, having a lower priority, and stops the idle watcher; this is
 * for a libev built without priorities.) */
static void
next_timer_cb(struct ev_loop *loop, struct ev_timer *w, int revents)
{
    (void)revents;
    ev_idle_start(loop, &((struct libev_backend *)w->data)->idle);
}

static void
doorbell_cb(struct ev_loop *loop, struct ev_async *w, int revents)
{
    struct libev_backend *st = (struct libev_backend *)w->data;

    (void)revents;
    /* Owned mode: waking up ev_run() was the point; the core picks up the
     * remote wakes after the turn. Attached: as for the timer above. */
    if (!st->owned)
        ev_idle_start(loop, &st->idle);
}

static void
turn_timer_cb(struct ev_loop *loop, struct ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

/* ---- the vtable ---------------------------------------------------------- */

/* One-fd mode: close the epoll set (its watcher stopped or never
 * started). */
static void
set_close(struct libev_backend *st)
{
#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd)
        fut_epollset_close(&st->set);
#endif
    st->one_fd = 0;
}

/* Start the doorbell: the ev_async, or in one-fd mode the set's watcher
 * (the set's eventfd rings). */
static void
doorbell_start(struct libev_backend *st)
{
    if (st->one_fd) {
        ev_io_start(st->loop, &st->setw);
        st->set_started = 1;
    } else {
        ev_async_start(st->loop, &st->doorbell);
    }
}

static void
doorbell_stop(struct libev_backend *st)
{
    if (st->set_started) {
        ev_io_stop(st->loop, &st->setw);
        st->set_started = 0;
    } else if (!st->one_fd) {
        ev_async_stop(st->loop, &st->doorbell);
    }
}

static int
be_init(struct fut_backend *be, const struct fut_backend_config *c)
{
    struct libev_backend *st = to_ev(be);
    unsigned int flags = c != NULL ? c->flags : 0;

    if ((flags & ~(unsigned int)FUT_BACKEND_ONE_FD) != 0)
        return -EINVAL;
#if FUT_EPOLLSET_ONE_FD
    if (flags & FUT_BACKEND_ONE_FD) {
        int err = fut_epollset_open(&st->set);

        if (err != 0)
            return err;
        st->one_fd = 1;
    }
#else
    if (flags & FUT_BACKEND_ONE_FD)
        return -ENOTSUP;
#endif
    if (c != NULL && c->loop != NULL) {
        st->loop = (struct ev_loop *)c->loop;
    } else {
        /* Never ev_default_loop(): the program may own that one, and it is
         * the only loop that handles child watchers. */
        st->loop = ev_loop_new(EVFLAG_AUTO);
        if (st->loop == NULL) {
            set_close(st);
            return -ENOMEM; /* libev tells no reason (no kernel backend) */
        }
        st->owned = 1;
    }
    st->next_armed_ns = -1;
    ev_async_init(&st->doorbell, doorbell_cb);
    st->doorbell.data = st;
    ev_init(&st->turn_timer, turn_timer_cb);
    st->turn_timer.data = st;
    ev_prepare_init(&st->prepare, prepare_cb);
    st->prepare.data = st;
    ev_check_init(&st->check, check_cb);
    st->check.data = st;
    ev_set_priority(&st->check, EV_MINPRI);
    ev_idle_init(&st->idle, idle_cb);
    st->idle.data = st;
    ev_init(&st->next_timer, next_timer_cb);
    st->next_timer.data = st;
#if FUT_EPOLLSET_ONE_FD
    ev_io_init(&st->setw, set_cb, st->one_fd ? st->set.epfd : -1, EV_READ);
    st->setw.data = st;
#endif
    if (st->owned)
        doorbell_start(st);
    return 0;
}

static int
be_attach(struct fut_backend *be, void *loop)
{
    struct libev_backend *st = to_ev(be);

    if (loop == NULL || loop != (void *)st->loop || st->owned)
        return -EINVAL;
    doorbell_start(st);
    ev_unref(st->loop);
    ev_prepare_start(st->loop, &st->prepare);
    ev_unref(st->loop);
    ev_check_start(st->loop, &st->check);
    ev_unref(st->loop);
    st->hooked = 1;
    return 0;
}

static void
be_fini(struct fut_backend *be)
{
    struct libev_backend *st = to_ev(be);

    ev_timer_stop(st->loop, &st->turn_timer);
    ev_timer_stop(st->loop, &st->next_timer);
    ev_idle_stop(st->loop, &st->idle);
    if (st->owned) {
        doorbell_stop(st);
        ev_loop_destroy(st->loop);
    } else if (st->hooked) {
        /* Give back the references we took away, then stop: the loop's
         * count ends where the program had it before fut_ev_attach(). A
         * hold still on gave one back already (the core releases it
         * before fini; this is for a core that did not). */
        if (st->holding)
            ev_unref(st->loop);
        st->holding = 0;
        if (st->setref)
            ev_unref(st->loop);
        st->setref = 0;
        ev_ref(st->loop);
        ev_check_stop(st->loop, &st->check);
        ev_ref(st->loop);
        ev_prepare_stop(st->loop, &st->prepare);
        ev_ref(st->loop);
        doorbell_stop(st);
        st->hooked = 0;
    }
    set_close(st);
    st->loop = NULL;
}

static int
be_notify(struct fut_backend *be)
{
    struct libev_backend *st = to_ev(be);

#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd)
        return fut_epollset_notify(&st->set);
#endif
    ev_async_send(st->loop, &st->doorbell);
    return 0;
}

static int
be_turn(struct fut_backend *be, int64_t deadline_ns)
{
    struct libev_backend *st = to_ev(be);
    int64_t now = deadline_ns > 0 ? fut_now_ns() : 0;

#if FUT_EPOLLSET_ONE_FD
    /* Owned one-fd mode, not to block: the set holds everything there is
     * to report, and one epoll_wait(2) on it costs less than an iteration
     * of the loop (the embedding's run_nowait comes here). */
    if (st->one_fd && st->owned && deadline_ns >= 0 && deadline_ns <= now) {
        int r = fut_epollset_drain(&st->set);

        return r < 0 ? r : 0;
    }
#endif
    /* An attached runtime turned by fut_block_on() drives the program's
     * loop from inside; its hooks find the runtime busy and do nothing, so
     * an idle watcher left from before would only make this turn spin. The
     * prepare hook sets it again, if needed, once the runtime is idle. */
    if (!st->owned)
        ev_idle_stop(st->loop, &st->idle);
    /* A turn that may block must not watch what nobody waits for. The
     * core turns without blocking while tasks are still ready; those
     * mostly wait again for what woke them, so narrowing waits. */
    if (deadline_ns < 0 || deadline_ns > now)
        narrow_dirty(st);
    if (deadline_ns < 0) {
        ev_run(st->loop, EVRUN_ONCE);
    } else if (deadline_ns <= now) {
        ev_run(st->loop, EVRUN_NOWAIT);
    } else {
        /* Our clock first, then libev's (see arm_next()). */
        ev_now_update(st->loop);
        ev_timer_set(&st->turn_timer, tstamp_up(deadline_ns - now), 0.);
        ev_timer_start(st->loop, &st->turn_timer);
        ev_run(st->loop, EVRUN_ONCE);
        ev_timer_stop(st->loop, &st->turn_timer);
    }
    return 0;
}

static void
be_schedule(struct fut_backend *be)
{
    struct libev_backend *st = to_ev(be);

    /* An active idle watcher makes the next iteration poll without
     * blocking; its prepare hook then runs the task. */
    ev_idle_start(st->loop, &st->idle);
}

/* Attached: jobs of the runtime's pool are pending (on) or not (off).
 * Giving back the reference the doorbell's start took away keeps ev_run()
 * going until their completions came. */
static void
be_hold(struct fut_backend *be, int on)
{
    struct libev_backend *st = to_ev(be);

    if (!st->hooked || st->holding == !!on)
        return;
    st->holding = !!on;
    if (on)
        ev_ref(st->loop);
    else
        ev_unref(st->loop);
}

/* Owned mode, for a host loop (fut_runtime_backend_fd()): libev keeps its
 * backend descriptor to itself, so only one-fd mode has one to give, the
 * set, whose registrations went to the kernel when they were made. */
static int
be_embed_fd(struct fut_backend *be)
{
#if FUT_EPOLLSET_ONE_FD
    if (to_ev(be)->one_fd)
        return to_ev(be)->set.epfd;
#else
    (void)be;
#endif
    return -ENOTSUP;
}

/* In the child of a fork(2). One-fd mode: a set and a doorbell of our own
 * first, under the old numbers (fut_epollset_fork()), so that setw stays
 * valid. Then ev_loop_fork(): libev makes its backend, its async pipe (our
 * doorbell in the default mode) and its timer descriptor anew and watches
 * every ev_io again, by number, at the start of the next ev_run(), which
 * the next turn makes. */
static int
be_fork(struct fut_backend *be)
{
    struct libev_backend *st = to_ev(be);

    if (!st->owned)
        return -EINVAL;
#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd) {
        int err = fut_epollset_fork(&st->set, be->rt);

        if (err != 0)
            return err;
    }
#endif
    ev_loop_fork(st->loop);
    return 0;
}

static const struct fut_backend_vtable libev_vtable = {
    .version = FUT_BACKEND_VTABLE_VERSION,
    .name = "ev",
    .size = sizeof(struct libev_backend),
    .init = be_init,
    .fini = be_fini,
    .io_start = be_io_start,
    .io_update = be_io_update,
    .io_stop = be_io_stop,
    .notify = be_notify,
    .turn = be_turn,
    .attach = be_attach,
    .schedule = be_schedule,
    .hold = be_hold,
    .embed_fd = be_embed_fd,
    .fork = be_fork,
};

const struct fut_backend_vtable *
fut_backend_ev(void)
{
    return &libev_vtable;
}

int
fut_ev_attach(struct fut_runtime *rt, struct ev_loop *loop)
{
    if (rt == NULL || loop == NULL)
        return -EINVAL;
    return fut_runtime_init_attached(rt, fut_backend_ev(), loop);
}
