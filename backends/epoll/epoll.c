/* SPDX-License-Identifier: MIT */
/* The native Linux backend: one epoll instance and one eventfd per runtime. */

/*
 * Quirks of epoll this file works around or relies on:
 *
 * - Registrations belong to the open file description, not to the
 *   descriptor number. Closing a descriptor removes it from the interest
 *   list only when no duplicate (dup(2), fork(2)) keeps the description
 *   open; until then events keep arriving for it. So the core deregisters
 *   (io_stop, EPOLL_CTL_DEL) before it closes, and EPOLL_CTL_DEL on a
 *   descriptor that is already closed (EBADF) or unknown (ENOENT) is fine.
 * - Edge-triggered mode (EPOLLET) reports a direction when it becomes
 *   ready, not while it stays ready, and the core keeps readiness in
 *   io->ready until a read or write says EAGAIN; that saves the
 *   epoll_ctl(2) per wait which level-triggered backends pay. A descriptor
 *   is registered for reading always, and for writing only once a write
 *   waits (a direction once added stays: one epoll_ctl at most per
 *   descriptor). Until then it counts as writable, so a write just tries.
 *   Registering EPOLLOUT from the start would cost a UDP socket a wake-up
 *   per datagram sent: the kernel signals write space each time a sent
 *   datagram is freed, and an edge-triggered EPOLLOUT reports every one
 *   (the UDP echo server made twice the epoll_wait calls of a raw one).
 * - EPOLLERR and EPOLLHUP are always reported, asked for or not. EPOLLRDHUP
 *   (Linux >= 2.6.17) tells a half-close by the peer apart from data; we
 *   report it as readable, since read(2) returns 0 there.
 * - epoll_wait(2) takes its timeout in milliseconds, too coarse for the
 *   core's microsecond timer wheel; epoll_pwait2(2) (Linux >= 5.11, glibc
 *   >= 2.35) takes a timespec. Older kernels answer ENOSYS, and seccomp
 *   filters that predate the call (Docker's default profile before 20.10)
 *   answer EPERM, which epoll_pwait2 never returns for itself: after either
 *   we fall back to epoll_wait with the timeout rounded up to the next
 *   millisecond, so a turn never returns before its deadline.
 * - Regular files and directories cannot be registered (EPERM); such
 *   descriptors are always ready and should not be given to the reactor.
 * - The doorbell is an eventfd (Linux >= 2.6.27 for the flags), registered
 *   level-triggered so that a ring that races with a drain is never lost:
 *   the next turn sees the counter still non-zero.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#if !defined(HAVE_EPOLL_PWAIT2) && defined(HAVE_DECL_SYS_EPOLL_PWAIT2) &&    \
    HAVE_DECL_SYS_EPOLL_PWAIT2
#include <sys/syscall.h>
#define EPOLL_RAW_PWAIT2 1
#endif

#include <futures.h>
#include <futures/backend.h>
#include <futures/backend-epoll.h>

/* Events fetched per turn; more ready descriptors wait for the next turn. */
#define EPOLL_MAX_EVENTS 256

#if defined(HAVE_EPOLL_PWAIT2) || defined(EPOLL_RAW_PWAIT2)
/* Set once epoll_pwait2 turned out to be missing. The kernel does not
 * change under a process, so one failed try serves every runtime (and
 * valgrind 3.19, which answers ENOSYS for the call, warns only once). Any
 * runtime's thread reads and writes it, hence the atomics. */
static int no_pwait2;
#endif

struct epoll_backend {
    struct fut_backend base;
    int epfd;
    int efd;            /* the doorbell; its address tags its events */
    struct epoll_event events[EPOLL_MAX_EVENTS];
};

static struct epoll_backend *
to_epoll(struct fut_backend *be)
{
    return (struct epoll_backend *)be;
}

static int
epoll_init(struct fut_backend *be, const struct fut_backend_config *c)
{
    struct epoll_backend *st = to_epoll(be);
    struct epoll_event ev;
    int err;

    if (c != NULL && c->loop != NULL)
        return -ENOTSUP;
    st->epfd = -1;
    st->efd = -1;
    st->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (st->epfd < 0)
        return -errno;
    st->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (st->efd < 0) {
        err = -errno;
        goto fail;
    }
    ev.events = EPOLLIN;
    ev.data.ptr = &st->efd;
    err = fut_sys_epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->efd, &ev);
    if (err < 0)
        goto fail;
    return 0;

fail:
    if (st->efd >= 0)
        (void)fut_sys_close(st->efd);
    (void)fut_sys_close(st->epfd);
    st->efd = -1;
    st->epfd = -1;
    return err;
}

static void
epoll_fini(struct fut_backend *be)
{
    struct epoll_backend *st = to_epoll(be);

    if (st->efd >= 0)
        (void)fut_sys_close(st->efd);
    if (st->epfd >= 0)
        (void)fut_sys_close(st->epfd);
    st->efd = -1;
    st->epfd = -1;
}

/* io->backend_priv[0]: the directions registered (FUT_IO_*). */
static int
epoll_io_start(struct fut_backend *be, struct fut_io *io,
               unsigned int interest)
{
    struct epoll_backend *st = to_epoll(be);
    struct epoll_event ev;
    int err;

    /* Reading always: it is what nearly every descriptor waits for next,
     * and an unwanted EPOLLIN edge costs one fut_io_ready(). Writing only
     * when a write waits already (a connect does); otherwise the
     * descriptor counts as writable until a write says EAGAIN, and
     * epoll_io_update() adds EPOLLOUT then (see the quirks above). */
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    if (interest & FUT_IO_WRITABLE)
        ev.events |= EPOLLOUT;
    ev.data.ptr = io;
    err = fut_sys_epoll_ctl(st->epfd, EPOLL_CTL_ADD, io->fd, &ev);
    if (err < 0)
        return err;
    io->backend_priv[0] = FUT_IO_READABLE;
    if (interest & FUT_IO_WRITABLE)
        io->backend_priv[0] |= FUT_IO_WRITABLE;
    else
        io->ready |= FUT_IO_WRITABLE;
    /* EPOLLRDHUP is reported as FUT_IO_RDHUP, so end of file stays known
     * after a short read forgets READABLE. */
    io->flags |= FUT_IO_SHORT_READ_DRAINS;
    return 0;
}

/* A write waits for the first time: add EPOLLOUT, once. The modification
 * reports the descriptor at once if it is writable already, so a write
 * that said EAGAIN just before cannot miss its edge. */
static int
epoll_io_update(struct fut_backend *be, struct fut_io *io,
                unsigned int interest)
{
    struct epoll_backend *st;
    struct epoll_event ev;
    int err;

    if ((interest & ~(unsigned int)io->backend_priv[0]) == 0)
        return 0;
    st = to_epoll(be);
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = io;
    err = fut_sys_epoll_ctl(st->epfd, EPOLL_CTL_MOD, io->fd, &ev);
    if (err < 0)
        return err;
    io->backend_priv[0] = FUT_IO_READABLE | FUT_IO_WRITABLE;
    return 0;
}

static void
epoll_io_stop(struct fut_backend *be, struct fut_io *io)
{
    struct epoll_backend *st = to_epoll(be);
    struct epoll_event ev = { 0 };

    /* A non-NULL event pointer keeps Linux < 2.6.9 happy. Failure means the
     * registration is already gone (see the quirks above). */
    (void)fut_sys_epoll_ctl(st->epfd, EPOLL_CTL_DEL, io->fd, &ev);
}

static int
epoll_notify(struct fut_backend *be)
{
    struct epoll_backend *st = to_epoll(be);
    uint64_t one = 1;
    ssize_t n;

    /* write(2) directly, not through fut_sys_write(): notify runs on foreign
     * threads and in signal handlers, while tests swap the table's entries
     * on the runtime's thread. */
    do {
        n = write(st->efd, &one, sizeof one);
    } while (n < 0 && errno == EINTR);
    /* EAGAIN: the counter is saturated, so a wake-up is pending anyway. */
    if (n < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}

/* Wait up to @timeout_ns (> 0) nanoseconds. Returns the number of events
 * or -errno, as fut_sys_epoll_wait() does. */
static int
epoll_wait_ns(struct epoll_backend *st, int64_t timeout_ns)
{
    int64_t ms;

#if defined(HAVE_EPOLL_PWAIT2) || defined(EPOLL_RAW_PWAIT2)
    if (!__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED)) {
        int n;
#ifdef HAVE_EPOLL_PWAIT2
        struct timespec ts;

        ts.tv_sec = (time_t)(timeout_ns / FUT_NSEC_PER_SEC);
        ts.tv_nsec = (long)(timeout_ns % FUT_NSEC_PER_SEC);
        n = epoll_pwait2(st->epfd, st->events, EPOLL_MAX_EVENTS, &ts, NULL);
#else
        /* glibc < 2.35 has the syscall number but no wrapper; the kernel
         * takes a struct __kernel_timespec (64-bit seconds everywhere). */
        struct {
            int64_t tv_sec;
            long long tv_nsec;
        } kts;

        kts.tv_sec = timeout_ns / FUT_NSEC_PER_SEC;
        kts.tv_nsec = timeout_ns % FUT_NSEC_PER_SEC;
        n = (int)syscall(SYS_epoll_pwait2, st->epfd, st->events,
                         EPOLL_MAX_EVENTS, &kts, NULL, (size_t)0);
#endif
        if (n >= 0)
            return n;
        if (errno != ENOSYS && errno != EPERM)
            return -errno;
        __atomic_store_n(&no_pwait2, 1, __ATOMIC_RELAXED);
    }
#endif
    /* Round up: waking a millisecond late is allowed, early is not. */
    ms = (timeout_ns + FUT_NSEC_PER_MSEC - 1) / FUT_NSEC_PER_MSEC;
    if (ms > INT_MAX)
        ms = INT_MAX;
    return fut_sys_epoll_wait(st->epfd, st->events, EPOLL_MAX_EVENTS,
                              (int)ms);
}

static void
drain_doorbell(struct epoll_backend *st)
{
    uint64_t count;

    /* One read resets the counter. A failure (EAGAIN after a spurious
     * wake-up, or an injected fault) leaves nothing to do: the doorbell is
     * level-triggered and simply fires again if it is still rung. */
    (void)fut_sys_read(st->efd, &count, sizeof count);
}

static int
epoll_turn(struct fut_backend *be, int64_t deadline_ns)
{
    struct epoll_backend *st = to_epoll(be);
    int64_t now;
    int n, i;

    if (deadline_ns < 0) {
        n = fut_sys_epoll_wait(st->epfd, st->events, EPOLL_MAX_EVENTS, -1);
    } else {
        now = fut_now_ns();
        if (deadline_ns <= now)
            n = fut_sys_epoll_wait(st->epfd, st->events, EPOLL_MAX_EVENTS,
                                   0);
        else
            n = epoll_wait_ns(st, deadline_ns - now);
    }
    if (n < 0)
        return n == -EINTR ? 0 : n;

    /* fut_io_ready() only records readiness and wakes wakers; it never runs
     * a task, so no registration can go away while we walk the array. */
    for (i = 0; i < n; i++) {
        uint32_t e = st->events[i].events;
        unsigned int bits = 0;

        if (st->events[i].data.ptr == &st->efd) {
            drain_doorbell(st);
            continue;
        }
        if (e & EPOLLIN)
            bits |= FUT_IO_READABLE;
        if (e & EPOLLRDHUP)
            bits |= FUT_IO_READABLE | FUT_IO_RDHUP;
        if (e & EPOLLOUT)
            bits |= FUT_IO_WRITABLE;
        if (e & EPOLLERR)
            bits |= FUT_IO_ERROR;
        if (e & EPOLLHUP)
            bits |= FUT_IO_HUP;
        if (bits != 0)
            fut_io_ready((struct fut_io *)st->events[i].data.ptr, bits);
    }
    return 0;
}

/* For a host loop (fut_runtime_backend_fd()): the epoll set itself. Every
 * interest change went to the kernel when it was made (epoll_ctl), so
 * there is nothing to apply; the set is readable while it has an event to
 * report, and a turn with a past deadline takes them. */
static int
epoll_embed_fd(struct fut_backend *be)
{
    return to_epoll(be)->epfd;
}

static const struct fut_backend_vtable epoll_vtable = {
    .version = FUT_BACKEND_VTABLE_VERSION,
    .name = "epoll",
    .size = sizeof(struct epoll_backend),
    .init = epoll_init,
    .fini = epoll_fini,
    .io_start = epoll_io_start,
    .io_update = epoll_io_update,
    .io_stop = epoll_io_stop,
    .notify = epoll_notify,
    .turn = epoll_turn,
    .attach = NULL,
    .embed_fd = epoll_embed_fd,
};

const struct fut_backend_vtable *
fut_backend_epoll(void)
{
    return &epoll_vtable;
}
