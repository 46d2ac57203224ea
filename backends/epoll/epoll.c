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
#include "../epollset.h"

#ifndef FUT_EPOLLSET_AVAILABLE
#error "the epoll backend is Linux only"
#endif

/* Events fetched per turn; more ready descriptors wait for the next turn. */
#define EPOLL_MAX_EVENTS FUT_EPOLLSET_MAX_EVENTS

#if defined(HAVE_EPOLL_PWAIT2) || defined(EPOLL_RAW_PWAIT2)
/* Set once epoll_pwait2 turned out to be missing. The kernel does not
 * change under a process, so one failed try serves every runtime (and
 * valgrind 3.19, which answers ENOSYS for the call, warns only once). Any
 * runtime's thread reads and writes it, hence the atomics. */
static int no_pwait2;
#endif

struct epoll_backend {
    struct fut_backend base;
    struct fut_epollset set;
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

    if (c != NULL && c->loop != NULL)
        return -ENOTSUP;
    /* FUT_BACKEND_ONE_FD: this backend is one descriptor already. */
    if (c != NULL && (c->flags & ~(unsigned int)FUT_BACKEND_ONE_FD) != 0)
        return -EINVAL;
    return fut_epollset_open(&st->set);
}

static void
epoll_fini(struct fut_backend *be)
{
    fut_epollset_close(&to_epoll(be)->set);
}

static int
epoll_io_start(struct fut_backend *be, struct fut_io *io,
               unsigned int interest)
{
    return fut_epollset_io_start(&to_epoll(be)->set, io, interest);
}

static int
epoll_io_update(struct fut_backend *be, struct fut_io *io,
                unsigned int interest)
{
    return fut_epollset_io_update(&to_epoll(be)->set, io, interest);
}

static void
epoll_io_stop(struct fut_backend *be, struct fut_io *io)
{
    fut_epollset_io_stop(&to_epoll(be)->set, io);
}

static int
epoll_notify(struct fut_backend *be)
{
    return fut_epollset_notify(&to_epoll(be)->set);
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
        n = epoll_pwait2(st->set.epfd, st->events, EPOLL_MAX_EVENTS, &ts, NULL);
#else
        /* glibc < 2.35 has the syscall number but no wrapper; the kernel
         * takes a struct __kernel_timespec (64-bit seconds everywhere). */
        struct {
            int64_t tv_sec;
            long long tv_nsec;
        } kts;

        kts.tv_sec = timeout_ns / FUT_NSEC_PER_SEC;
        kts.tv_nsec = timeout_ns % FUT_NSEC_PER_SEC;
        n = (int)syscall(SYS_epoll_pwait2, st->set.epfd, st->events,
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
    return fut_sys_epoll_wait(st->set.epfd, st->events, EPOLL_MAX_EVENTS,
                              (int)ms);
}

static int
epoll_turn(struct fut_backend *be, int64_t deadline_ns)
{
    struct epoll_backend *st = to_epoll(be);
    int64_t now;
    int n;

    if (deadline_ns < 0) {
        n = fut_sys_epoll_wait(st->set.epfd, st->events, EPOLL_MAX_EVENTS,
                               -1);
    } else {
        now = fut_now_ns();
        if (deadline_ns <= now)
            n = fut_sys_epoll_wait(st->set.epfd, st->events, EPOLL_MAX_EVENTS,
                                   0);
        else
            n = epoll_wait_ns(st, deadline_ns - now);
    }
    if (n < 0)
        return n == -EINTR ? 0 : n;

    (void)fut_epollset_report(&st->set, st->events, n, 0);
    return 0;
}

/* For a host loop (fut_runtime_backend_fd()): the epoll set itself. Every
 * interest change went to the kernel when it was made (epoll_ctl), so
 * there is nothing to apply; the set is readable while it has an event to
 * report, and a turn with a past deadline takes them. */
static int
epoll_embed_fd(struct fut_backend *be)
{
    return to_epoll(be)->set.epfd;
}

/* In the child of a fork(2): a set and a doorbell of its own, every
 * registration added again (fut_epollset_fork()). */
static int
epoll_fork(struct fut_backend *be)
{
    return fut_epollset_fork(&to_epoll(be)->set, be->rt);
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
    .fork = epoll_fork,
};

const struct fut_backend_vtable *
fut_backend_epoll(void)
{
    return &epoll_vtable;
}
