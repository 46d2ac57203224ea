/* SPDX-License-Identifier: MIT */
/* The libevent backend: a runtime in its own event_base or the program's. */

/*
 * Quirks of libevent (2.1) this file works around or relies on:
 *
 * - libevent's timers are only as good as the event_base's clock. Unless
 *   the base was made with EVENT_BASE_FLAG_PRECISE_TIMER, that clock is
 *   CLOCK_MONOTONIC_COARSE on Linux (evutil_configure_monotonic_time_),
 *   which advances once per jiffy (4 ms at HZ=250), and a timer is due only
 *   when that clock has passed it: 1 ms timers fire 3.3 ms late at the
 *   median (docs/backends/event.md has the numbers). An attached base has
 *   whatever flags the program chose, and inside callbacks event_add()
 *   also counts from the time cached when the poll returned. So our
 *   deadlines do not use libevent timers at all: they go to a timerfd of
 *   our own (Linux >= 2.6.25), armed at the absolute CLOCK_MONOTONIC
 *   deadline (the clock of fut_now_ns()), with a persistent read event.
 *   That is exact to the nanosecond on any base and any method, never
 *   early, and costs one timerfd_settime(2) when the deadline changes
 *   (libevent's precise epoll method pays the same per wait). Without
 *   timerfd (other systems, or -DFUT_OS_PORTABLE) the deadline is a
 *   libevent timer, and a base of our own is made with
 *   EVENT_BASE_FLAG_PRECISE_TIMER; on a program's base it is as good as
 *   the program's flags make that base's clock.
 * - event_process_active() runs the active queue of one priority until it
 *   is empty, including events activated by its own callbacks, and only
 *   then goes back to the poll. A tick that re-activated itself with
 *   event_active() whenever tasks are still ready would starve the
 *   program's I/O, so it re-arms itself as a zero timeout instead: zero
 *   timeouts fire after the next (non-blocking) poll, whatever the clock.
 * - Only epoll and kqueue support EV_ET (EV_FEATURE_ET). There we register
 *   a descriptor once for both directions, edge-triggered, and the core
 *   keeps readiness until a syscall says EAGAIN, as the epoll backend does:
 *   no epoll_ctl(2) per wait, where level-triggered events would need two
 *   (add when a task waits, delete when it was woken).
 *   On the poll and select methods (EVENT_NOEPOLL=1, or an attached base
 *   configured so) events are level-triggered: the event watches the
 *   directions in io->interest, and is changed as soon as a wake took one
 *   out, or it would fire on every iteration. Changing an event there is
 *   bookkeeping in memory, not a syscall. (The select method aborts on
 *   descriptors >= FD_SETSIZE, glibc's fortified FD_SET; that is
 *   libevent's limit, not ours.)
 * - EPOLLERR and EPOLLHUP reach the callbacks as EV_READ|EV_WRITE; we
 *   report them as both directions ready and let the syscall tell.
 * - A failed epoll_ctl(2) inside event_add() is logged by libevent to
 *   stderr (or to the program's event_set_log_callback()) before it
 *   returns -1; errno survives the logging in practice, and -EIO stands in
 *   when it does not.
 * - libevent's cross-thread notification (evthread_make_base_notifiable)
 *   needs evthread_use_pthreads(), a process-wide choice that is the
 *   program's to make. Our doorbell is an eventfd (Linux >= 2.6.27 for the
 *   flags; a non-blocking pipe elsewhere) with a persistent read event;
 *   notify only writes to it and never touches the event_base.
 * - libevent has no "unref" for events: the doorbell's and the timerfd's
 *   read events keep event_base_dispatch() of an attached base from
 *   returning for lack of events. Programs stop their loop with
 *   event_base_loopbreak() or event_base_loopexit(), as they must anyway
 *   once they have any persistent event.
 * - A loop cannot be re-entered: event_base_loop() on a base that is
 *   already running fails (and logs "reentrant invocation"). An attached
 *   runtime's turn (only fut_block_on() on it calls one) reports that as
 *   -EBUSY; there is no way to ask beforehand, since
 *   event_base_get_running_event() dereferences NULL outside a callback
 *   (2.1.12).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* Linux's eventfd and timerfd for the doorbell and the deadline; elsewhere
 * (and in a build with -DFUT_OS_PORTABLE, so that the test suite runs the
 * fallbacks on Linux too) a non-blocking pipe and a libevent timer. */
#if defined(__linux__) && !defined(FUT_OS_PORTABLE)
#define LEVENT_LINUX 1
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#else
#define LEVENT_LINUX 0
#endif

#include <event2/event.h>

/* Public headers only: the shared libfutures-event reaches the core
 * through its exported API, as any backend written outside the tree. */
#include <futures.h>
#include <futures/backend.h>
#include <futures/backend-event.h>
#include "../epollset.h"

struct levent_backend {
    struct fut_backend base;
    struct event_base *evb;
    int owned;            /* evb is ours: free it in fini */
    int et;               /* evb supports EV_ET */
    short closed;         /* EV_CLOSED where evb reports it, else 0 */
    int in_turn;          /* inside levent_turn's event_base_loop */
    int efd;              /* the doorbell (the pipe's read end) */
    int wfd;              /* the pipe's write end; efd on Linux */
    int tfd;              /* the deadline timer (Linux), else -1 */
    int64_t armed_ns;     /* the timer's deadline, -1 when not armed */
    struct event *doorbell;
    struct event *timer;  /* reads tfd, or is a libevent timer */
    struct event *tick;   /* attached: runs the tasks */
    int one_fd;           /* FUT_BACKEND_ONE_FD */
#if FUT_EPOLLSET_ONE_FD
    struct fut_epollset set; /* one-fd mode; its eventfd is the doorbell */
#endif
};

static struct levent_backend *
to_levent(struct fut_backend *be)
{
    return (struct levent_backend *)be;
}

/* A negative errno for a libevent call that failed with -1. */
static int
levent_error(void)
{
    return errno > 0 ? -errno : -EIO;
}

/* ---- the deadline timer -------------------------------------------------- */

/*
 * Arm the timerfd for @deadline_ns (>= 0, CLOCK_MONOTONIC). A deadline that
 * is already armed costs nothing. A timer left armed for a deadline nobody
 * waits for any more is not disarmed: it costs at most one early return of
 * a turn (allowed) or one spare run of the tick, where disarming would
 * cost a syscall every time the deadline goes away.
 */
static int
timer_arm(struct levent_backend *st, int64_t deadline_ns)
{
#if LEVENT_LINUX
    struct itimerspec its;

    if (deadline_ns == st->armed_ns)
        return 0;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(deadline_ns / FUT_NSEC_PER_SEC);
    its.it_value.tv_nsec = (long)(deadline_ns % FUT_NSEC_PER_SEC);
    /* An all-zero it_value would disarm: deadline 0 is long past anyway. */
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    if (timerfd_settime(st->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        return -errno;
    st->armed_ns = deadline_ns;
    return 0;
#else
    /* A libevent timer, relative, rounded up to the microsecond. It may
     * fire early by what the base's clock lags ours (its cached or coarse
     * time): an early return of a turn, which the contract allows; the
     * runtime then arms it again for what is left. It is never late by
     * more than the base's clock is. */
    struct timeval tv;
    int64_t left = deadline_ns - fut_now_ns();

    if (deadline_ns == st->armed_ns)
        return 0;
    if (left < 0)
        left = 0;
    left = (left + 999) / 1000;
    tv.tv_sec = (time_t)(left / 1000000);
    tv.tv_usec = (suseconds_t)(left % 1000000);
    errno = 0;
    if (event_add(st->timer, &tv) != 0)
        return levent_error();
    st->armed_ns = deadline_ns;
    return 0;
#endif
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct levent_backend *st = arg;
    uint64_t expirations;

    (void)what;
#if LEVENT_LINUX
    /* One-shot: after the read it is disarmed, and not readable until it
     * is armed again. EAGAIN (re-armed for later since it fired) is fine. */
    if (read(fd, &expirations, sizeof expirations) > 0)
        st->armed_ns = -1;
#else
    (void)fd;
    (void)expirations;
    st->armed_ns = -1;  /* a timer event fires once per event_add() */
#endif
    /* Owned, or a turn of an attached runtime: becoming active is all it is
     * for, it makes EVLOOP_ONCE return. Attached: time to run the tick. */
    if (st->tick != NULL && !st->in_turn)
        event_active(st->tick, EV_TIMEOUT, 0);
}

/* ---- the tick (attached mode) ------------------------------------------- */

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct levent_backend *st = arg;
    struct timeval zero = { 0, 0 };
    int64_t deadline;
    int more;

    (void)fd;
    (void)what;
    /* A fut_block_on() is driving the runtime through levent_turn (and so
     * this loop): it runs the tasks itself, and re-activates us when it
     * returns. */
    if (st->in_turn)
        return;
    more = fut_runtime_attached_run(st->base.rt, &deadline);
    if (more < 0)
        return;
    if (deadline >= 0 && deadline <= fut_now_ns())
        more = 1;
    else if (deadline >= 0)
        (void)timer_arm(st, deadline);
    /* Tasks still ready (or a timer already due): a zero timeout brings us
     * back after the next poll, which does not block, so the program's
     * I/O callbacks get their turn in between. */
    if (more)
        (void)event_add(st->tick, &zero);
}

/* ---- the doorbell -------------------------------------------------------- */

static void
doorbell_cb(evutil_socket_t fd, short what, void *arg)
{
    struct levent_backend *st = arg;
    uint64_t count;

    (void)what;
    /* One read resets the counter; EAGAIN after a spurious wake-up leaves
     * nothing to do. The event is level-triggered, so a ring that races
     * with the drain fires it again. read(2) directly rather than through
     * fut_sys_read(): tests inject faults there into the I/O objects'
     * reads. A pipe is drained until it is empty. */
#if LEVENT_LINUX
    (void)read(fd, &count, sizeof count);
#else
    {
        char buf[64];

        (void)count;
        while (read(fd, buf, sizeof buf) == (ssize_t)sizeof buf)
            ;
    }
#endif
    /* Attached: the wake queued a task on the runtime's remote queue, which
     * only fut_runtime_attached_run() drains. */
    if (st->tick != NULL && !st->in_turn)
        event_active(st->tick, EV_TIMEOUT, 0);
}

/* ---- one-fd mode --------------------------------------------------------- */

#if FUT_EPOLLSET_ONE_FD
/*
 * FUT_BACKEND_ONE_FD: registrations go to a private epoll set (see
 * backends/epollset.h), whatever method the base uses, and the base
 * watches only the set's descriptor: one persistent read event, level-
 * triggered (what one callback leaves in the set comes back next
 * iteration). The set's eventfd is the doorbell, so doorbell is NULL;
 * the deadline stays on the timerfd (or libevent timer).
 */
static void
set_cb(evutil_socket_t fd, short what, void *arg)
{
    struct levent_backend *st = arg;

    (void)fd;
    (void)what;
    /* I/O woke tasks through fut_io_ready(), which calls levent_schedule()
     * in attached mode; the doorbell needs the tick too, as doorbell_cb. */
    if (fut_epollset_drain(&st->set) > 0 && st->tick != NULL &&
        !st->in_turn)
        event_active(st->tick, EV_TIMEOUT, 0);
}
#endif

/* ---- init / fini --------------------------------------------------------- */

static void
levent_release(struct levent_backend *st)
{
    if (st->tick != NULL)
        event_free(st->tick);
    if (st->timer != NULL)
        event_free(st->timer);
    if (st->doorbell != NULL)
        event_free(st->doorbell);
    if (st->tfd >= 0)
        (void)close(st->tfd);
    if (st->wfd >= 0 && st->wfd != st->efd)
        (void)close(st->wfd);
    if (st->efd >= 0)
        (void)close(st->efd);
    if (st->owned && st->evb != NULL)
        event_base_free(st->evb);
#if FUT_EPOLLSET_ONE_FD
    /* After the event on it was freed (event_free() deletes it first). */
    if (st->one_fd)
        fut_epollset_close(&st->set);
#endif
    st->one_fd = 0;
    st->tick = st->timer = st->doorbell = NULL;
    st->efd = st->wfd = st->tfd = -1;
    st->evb = NULL;
}

static struct event_base *
levent_new_base(void)
{
    struct event_config *cfg = event_config_new();
    struct event_base *evb;

    if (cfg == NULL)
        return NULL;
    /* NOLOCK: the base is used from the runtime's thread only (notify does
     * not touch it), so it needs no lock even if the program turned
     * libevent's locking on. No PRECISE_TIMER: we keep time with our own
     * timerfd (see the quirks above), and the flag would only make the
     * epoll method create and re-arm a second one. */
    (void)event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
#if !LEVENT_LINUX
    /* No timerfd: our deadlines are libevent timers, as exact as the
     * base's clock. */
    (void)event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
#endif
    evb = event_base_new_with_config(cfg);
    event_config_free(cfg);
    return evb;
}

#if !LEVENT_LINUX
/* The doorbell without eventfd: a pipe, both ends non-blocking and
 * close-on-exec. 0 or -errno. */
static int
doorbell_pipe(struct levent_backend *st)
{
    int fds[2], i;

    if (pipe(fds) < 0)
        return -errno;
    st->efd = fds[0];
    st->wfd = fds[1];
    for (i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);

        if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0)
            return -errno;
    }
    return 0;
}
#endif

static int
levent_init(struct fut_backend *be, const struct fut_backend_config *c)
{
    struct levent_backend *st = to_levent(be);
    unsigned int flags = c != NULL ? c->flags : 0;
    int err;

    st->efd = st->wfd = st->tfd = -1;
    st->armed_ns = -1;
    if ((flags & ~(unsigned int)FUT_BACKEND_ONE_FD) != 0)
        return -EINVAL;
#if !FUT_EPOLLSET_ONE_FD
    if (flags & FUT_BACKEND_ONE_FD)
        return -ENOTSUP;
#endif
    if (c != NULL && c->loop != NULL) {
        st->evb = c->loop;
    } else {
        st->evb = levent_new_base();
        if (st->evb == NULL)
            return -ENOMEM;
        st->owned = 1;
    }
    st->et = (event_base_get_features(st->evb) & EV_FEATURE_ET) != 0;
#ifdef EV_CLOSED
    if (event_base_get_features(st->evb) & EV_FEATURE_EARLY_CLOSE)
        st->closed = EV_CLOSED;
#endif
#if FUT_EPOLLSET_ONE_FD
    if (flags & FUT_BACKEND_ONE_FD) {
        err = fut_epollset_open(&st->set);
        if (err != 0)
            goto fail;
        st->one_fd = 1;
        /* The set's descriptor in place of the doorbell's: same event,
         * same persistence, another callback. */
        st->doorbell = event_new(st->evb, st->set.epfd, EV_READ | EV_PERSIST,
                                 set_cb, st);
    }
#endif
#if LEVENT_LINUX
    if (!st->one_fd) {
        st->efd = st->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (st->efd < 0) {
            err = -errno;
            goto fail;
        }
    }
    st->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (st->tfd < 0) {
        err = -errno;
        goto fail;
    }
    st->timer = event_new(st->evb, st->tfd, EV_READ | EV_PERSIST, timer_cb,
                          st);
#else
    err = doorbell_pipe(st);
    if (err != 0)
        goto fail;
    st->timer = event_new(st->evb, -1, 0, timer_cb, st);
#endif
    if (!st->one_fd)
        st->doorbell = event_new(st->evb, st->efd, EV_READ | EV_PERSIST,
                                 doorbell_cb, st);
    if (st->doorbell == NULL || st->timer == NULL) {
        err = -ENOMEM;
        goto fail;
    }
    errno = 0;
    if (event_add(st->doorbell, NULL) != 0 ||
        (LEVENT_LINUX && event_add(st->timer, NULL) != 0)) {
        err = levent_error();
        goto fail;
    }
    return 0;

fail:
    levent_release(st);
    return err;
}

static int
levent_attach(struct fut_backend *be, void *loop)
{
    struct levent_backend *st = to_levent(be);
    int nprio;

    if (loop != st->evb)
        return -EINVAL;
    st->tick = event_new(st->evb, -1, 0, tick_cb, st);
    if (st->tick == NULL)
        return -ENOMEM;
    /* The lowest priority, when the program set up several: tasks then run
     * after the I/O callbacks of the iteration that woke them. The timer's
     * event only leads to the tick, so it may as well wait as long. */
    nprio = event_base_get_npriorities(st->evb);
    if (nprio > 1) {
        (void)event_priority_set(st->tick, nprio - 1);
        (void)event_priority_set(st->timer, nprio - 1);
    }
    return 0;
}

static void
levent_fini(struct fut_backend *be)
{
    /* Detach or close: the core has already stopped every registration;
     * what is left are our own events, and the base if it is ours. */
    levent_release(to_levent(be));
}

/* ---- I/O registrations ------------------------------------------------------
 *
 * One struct event per registration, in memory from fut_mem_alloc() (so it
 * follows fut_replace_allocator()), set up with event_assign() and stored
 * in io->backend_data, with the fut_io as its callback argument. Its size
 * comes from event_get_struct_event_size() at run time rather than from
 * <event2/event_struct.h>, so a libevent whose struct event grew still
 * works. Level-triggered bases keep in backend_priv[0] the directions the
 * event is added for. */

static void
io_report(struct fut_io *io, short what)
{
    unsigned int bits = 0;

    if (what & EV_READ)
        bits |= FUT_IO_READABLE;
#ifdef EV_CLOSED
    if (what & EV_CLOSED)
        bits |= FUT_IO_READABLE | FUT_IO_RDHUP;
#endif
    if (what & EV_WRITE)
        bits |= FUT_IO_WRITABLE;
    /* fut_io_ready() records readiness and wakes wakers; it never runs a
     * task, so @io and its event are still there afterwards. */
    if (bits != 0)
        fut_io_ready(io, bits);
}

static void
io_et_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    io_report(arg, what);
}

static void io_lt_cb(evutil_socket_t fd, short what, void *arg);

/* Level-triggered: make the event watch exactly the directions in @want.
 * There is no call to change an event's directions: delete, re-assign,
 * add. On poll and select (the methods without EV_ET) none of it is a
 * syscall. */
static int
lt_sync(struct fut_io *io, unsigned int want)
{
    struct event *ev = io->backend_data;
    short events = EV_PERSIST;

    want &= FUT_IO_READABLE | FUT_IO_WRITABLE;
    if (want == io->backend_priv[0])
        return 0;
    if (io->backend_priv[0] != 0)
        (void)event_del(ev);
    io->backend_priv[0] = 0;
    if (want == 0)
        return 0;
    if (want & FUT_IO_READABLE)
        events |= EV_READ;
    if (want & FUT_IO_WRITABLE)
        events |= EV_WRITE;
    (void)event_assign(ev, event_get_base(ev), io->fd, events, io_lt_cb, io);
    errno = 0;
    if (event_add(ev, NULL) != 0)
        return levent_error();
    io->backend_priv[0] = want;
    return 0;
}

static void
io_lt_cb(evutil_socket_t fd, short what, void *arg)
{
    struct fut_io *io = arg;

    (void)fd;
    io_report(io, what);
    /* The wake took the direction out of io->interest: stop watching it,
     * or the next poll reports it again at once (a busy loop). */
    (void)lt_sync(io, io->interest);
}

static int
levent_io_start(struct fut_backend *be, struct fut_io *io,
                unsigned int interest)
{
    struct levent_backend *st = to_levent(be);
    struct event *ev;
    int err;

#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd)
        return fut_epollset_io_start(&st->set, io, interest);
#endif
    ev = fut_mem_alloc(event_get_struct_event_size());
    if (ev == NULL)
        return -ENOMEM;
    io->backend_data = ev;
    io->backend_priv[0] = 0;
    if (st->et) {
        /* Both directions at once, whatever @interest says, as the epoll
         * backend does: an unwanted direction costs a spurious
         * fut_io_ready() per edge, not a syscall per interest change. */
        (void)event_assign(ev, st->evb, io->fd,
                           EV_READ | EV_WRITE | EV_ET | EV_PERSIST | st->closed,
                           io_et_cb, io);
        errno = 0;
        err = event_add(ev, NULL) != 0 ? levent_error() : 0;
        /* Edge-triggered: a short read may forget READABLE only where the
         * end of the stream arrives as EV_CLOSED (epoll), not as part of
         * an edge already consumed (kqueue). */
        if (st->closed != 0)
            io->flags |= FUT_IO_SHORT_READ_DRAINS;
    } else {
        /* Assigned for real (with its directions) by lt_sync(). */
        (void)event_assign(ev, st->evb, io->fd, EV_PERSIST, io_lt_cb, io);
        err = lt_sync(io, interest);
        /* Level-triggered: what is left to read is reported again. */
        io->flags |= FUT_IO_SHORT_READ_DRAINS;
    }
    if (err != 0) {
        event_debug_unassign(ev);
        fut_mem_free(ev);
        io->backend_data = NULL;
    }
    return err;
}

static int
levent_io_update(struct fut_backend *be, struct fut_io *io,
                 unsigned int interest)
{
#if FUT_EPOLLSET_ONE_FD
    if (to_levent(be)->one_fd)
        return fut_epollset_io_update(&to_levent(be)->set, io, interest);
#endif
    if (to_levent(be)->et)
        return 0; /* registered for both directions for good */
    return lt_sync(io, interest);
}

static void
levent_io_stop(struct fut_backend *be, struct fut_io *io)
{
    struct event *ev = io->backend_data;

#if FUT_EPOLLSET_ONE_FD
    if (to_levent(be)->one_fd) {
        fut_epollset_io_stop(&to_levent(be)->set, io);
        return;
    }
#endif
    (void)be;
    if (ev == NULL)
        return;
    /* event_del() also takes the event off the active queue, should its
     * callback be due later in this iteration (a task, run from the tick,
     * closed the descriptor). Without libevent's locking it cannot be
     * running in another thread. */
    (void)event_del(ev);
    event_debug_unassign(ev);
    fut_mem_free(ev);
    io->backend_data = NULL;
    io->backend_priv[0] = 0;
}

/* ---- notify and turn ----------------------------------------------------- */

static int
levent_notify(struct fut_backend *be)
{
    struct levent_backend *st = to_levent(be);
    uint64_t one = 1;
    ssize_t n;

#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd)
        return fut_epollset_notify(&st->set);
#endif
    /* Any thread, any time, even a signal handler: one write(2), nothing
     * of libevent's (to a pipe, one byte). */
    do {
        n = write(st->wfd, &one, LEVENT_LINUX ? sizeof one : 1);
    } while (n < 0 && errno == EINTR);
    /* EAGAIN: the counter is saturated (the pipe full), so a wake-up is
     * pending anyway. */
    if (n < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}

static int
levent_turn(struct fut_backend *be, int64_t deadline_ns)
{
    struct levent_backend *st = to_levent(be);
    int flags = EVLOOP_ONCE;
    int r;

#if FUT_EPOLLSET_ONE_FD
    /* Owned one-fd mode, not to block: the set holds everything there is
     * to report, and one epoll_wait(2) on it costs less than a pass of the
     * base (the embedding's run_nowait comes here). */
    if (st->one_fd && st->owned && deadline_ns >= 0 &&
        deadline_ns <= fut_now_ns()) {
        r = fut_epollset_drain(&st->set);
        return r < 0 ? r : 0;
    }
#endif
    if (deadline_ns >= 0) {
        if (deadline_ns <= fut_now_ns()) {
            flags = EVLOOP_NONBLOCK;
        } else {
            int err = timer_arm(st, deadline_ns);

            if (err != 0)
                return err;
        }
    }
    /* Attached (fut_block_on() on an attached runtime, outside the loop):
     * the runtime runs its tasks itself meanwhile, so the tick stands
     * down, and an active tick must not make every turn return at once. */
    if (st->tick != NULL)
        (void)event_del(st->tick);
    st->in_turn = 1;
    r = event_base_loop(st->evb, flags);
    st->in_turn = 0;
    /* Back to the program's loop: the tick picks up what the block_on
     * left ready and re-arms the next deadline. */
    if (st->tick != NULL)
        event_active(st->tick, EV_TIMEOUT, 0);
    /* 1 means no events at all, which our doorbell rules out. -1 is a
     * failure of the poll itself (EINTR is retried inside libevent), or,
     * attached, a fut_block_on() from inside one of the program's
     * callbacks (see the quirks above). */
    if (r < 0)
        return st->owned ? -EIO : -EBUSY;
    return 0;
}

static void
levent_schedule(struct fut_backend *be)
{
    struct levent_backend *st = to_levent(be);

    /* A no-op if the tick is already active; if it waits as a zero
     * timeout, it now runs first and re-arms itself afterwards. */
    if (st->tick != NULL)
        event_active(st->tick, EV_TIMEOUT, 0);
}

/* Owned mode, for a host loop (fut_runtime_backend_fd()): the base's
 * descriptor is libevent's own business, so only one-fd mode has one to
 * give, the set, whose registrations went to the kernel when they were
 * made. */
static int
levent_embed_fd(struct fut_backend *be)
{
#if FUT_EPOLLSET_ONE_FD
    if (to_levent(be)->one_fd)
        return to_levent(be)->set.epfd;
#else
    (void)be;
#endif
    return -ENOTSUP;
}

/* Put new descriptor @nfd under the number @old, close-on-exec, and close
 * @nfd: the events on @old stay valid. 0 or -errno. */
static int
replace_fd(int old, int nfd)
{
    int err = 0;

    if (dup2(nfd, old) < 0 || fcntl(old, F_SETFD, FD_CLOEXEC) < 0)
        err = -errno;
    (void)fut_sys_close(nfd);
    return err;
}

/* In the child of a fork(2). The doorbell, the deadline timer and (one-fd
 * mode) the set are the parent's too: new ones take their numbers, so
 * their events stay as they are; then event_reinit() gives the base a
 * backend of its own and adds every event again (by number: hence the
 * descriptors first). Our copies of the old descriptions are closed in
 * the child only. */
static int
levent_fork(struct fut_backend *be)
{
    struct levent_backend *st = to_levent(be);
    int err = 0, fd;

    if (!st->owned)
        return -EINVAL;
#if FUT_EPOLLSET_ONE_FD
    if (st->one_fd && (err = fut_epollset_fork(&st->set, be->rt)) != 0)
        return err;
#endif
#if LEVENT_LINUX
    if (!st->one_fd) {
        fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0)
            return -errno;
        if ((err = replace_fd(st->efd, fd)) != 0)
            return err;
    }
    fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if ((err = replace_fd(st->tfd, fd)) != 0)
        return err;
    st->armed_ns = -1;  /* the new timer is disarmed */
#else
    {
        int efd = st->efd, wfd = st->wfd;

        if ((err = doorbell_pipe(st)) != 0)
            return err;
        fd = st->efd;
        st->efd = efd;
        if ((err = replace_fd(efd, fd)) != 0)
            return err;
        fd = st->wfd;
        st->wfd = wfd;
        if ((err = replace_fd(wfd, fd)) != 0)
            return err;
    }
#endif
    errno = 0;
    if (event_reinit(st->evb) != 0)
        return levent_error();
    return 0;
}

static const struct fut_backend_vtable levent_vtable = {
    .version = FUT_BACKEND_VTABLE_VERSION,
    .name = "event",
    .size = sizeof(struct levent_backend),
    .init = levent_init,
    .fini = levent_fini,
    .io_start = levent_io_start,
    .io_update = levent_io_update,
    .io_stop = levent_io_stop,
    .notify = levent_notify,
    .turn = levent_turn,
    .attach = levent_attach,
    .schedule = levent_schedule,
    .embed_fd = levent_embed_fd,
    .fork = levent_fork,
};

const struct fut_backend_vtable *
fut_backend_event(void)
{
    return &levent_vtable;
}

int
fut_event_attach(struct fut_runtime *rt, struct event_base *base)
{
    if (rt == NULL || base == NULL)
        return -EINVAL;
    return fut_runtime_init_attached(rt, fut_backend_event(), base);
}
