/* SPDX-License-Identifier: MIT */
/* A private epoll set with an eventfd doorbell: the epoll backend's
 * registrations, shared with the one-descriptor mode of the others. */
#ifndef FUT_BACKENDS_EPOLLSET_H
#define FUT_BACKENDS_EPOLLSET_H

/*
 * The epoll backend is this set and a blocking epoll_wait(2); the libuv,
 * libevent and libev backends in FUT_BACKEND_ONE_FD mode keep one too and
 * give their loop only its descriptor (see docs/backends.md). Everything
 * here is static inline, so the epoll backend compiles to what it did
 * before the code moved. Linux only: FUT_EPOLLSET_AVAILABLE is defined
 * where the code is, and FUT_EPOLLSET_ONE_FD is 1 where the other
 * backends offer the mode (not in a -DFUT_OS_PORTABLE build, which runs
 * the test suite as a port to another system would: the flag is
 * -ENOTSUP there; the epoll backend itself is Linux's own either way).
 *
 * Quirks of epoll this code relies on (more in backends/epoll/epoll.c):
 *
 * - Registrations belong to the open file description, not to the
 *   descriptor number: the core deregisters (io_stop) before it closes,
 *   and EPOLL_CTL_DEL on a closed (EBADF) or unknown (ENOENT) descriptor
 *   is fine.
 * - Edge-triggered (EPOLLET) for reading always, for writing once a write
 *   waited (one EPOLL_CTL_MOD at most per descriptor); until then the
 *   descriptor counts as writable, so a write just tries. The core keeps
 *   readiness in io->ready until a syscall says EAGAIN.
 * - EPOLLERR and EPOLLHUP are always reported; EPOLLRDHUP (Linux >=
 *   2.6.17) tells a half-close apart and is reported as readable.
 * - The doorbell is an eventfd (Linux >= 2.6.27 for the flags) registered
 *   level-triggered, so that a ring racing with a drain is never lost.
 *   Its events carry the address of fut_epollset.efd as their tag.
 */

#if defined(__linux__) && !defined(FUT_OS_PORTABLE)
#define FUT_EPOLLSET_ONE_FD 1
#else
#define FUT_EPOLLSET_ONE_FD 0
#endif

#ifdef __linux__
#define FUT_EPOLLSET_AVAILABLE 1

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <futures.h>
#include <futures/backend.h>

/* Events fetched per epoll_wait(2); more ready descriptors wait for the
 * next one. */
#define FUT_EPOLLSET_MAX_EVENTS 256

struct fut_epollset {
    int epfd;
    int efd;            /* the doorbell; its address tags its events */
    unsigned int armed; /* registrations counted by fut_epollset_arm() */
};

/* Create the set and its doorbell. 0 or -errno; on failure nothing is
 * left open and both descriptors are -1. */
static inline int
fut_epollset_open(struct fut_epollset *s)
{
    struct epoll_event ev;
    int err;

    s->efd = -1;
    s->armed = 0;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0)
        return -errno;
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->efd < 0) {
        err = -errno;
        goto fail;
    }
    ev.events = EPOLLIN;
    ev.data.ptr = &s->efd;
    err = fut_sys_epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->efd, &ev);
    if (err < 0)
        goto fail;
    return 0;

fail:
    if (s->efd >= 0)
        (void)fut_sys_close(s->efd);
    (void)fut_sys_close(s->epfd);
    s->efd = -1;
    s->epfd = -1;
    return err;
}

/* Close what fut_epollset_open() opened; safe on a set that failed. */
static inline void
fut_epollset_close(struct fut_epollset *s)
{
    if (s->efd >= 0)
        (void)fut_sys_close(s->efd);
    if (s->epfd >= 0)
        (void)fut_sys_close(s->epfd);
    s->efd = -1;
    s->epfd = -1;
}

/* io_start. io->backend_priv[0]: the directions registered (FUT_IO_*). */
static inline int
fut_epollset_io_start(struct fut_epollset *s, struct fut_io *io,
                      unsigned int interest)
{
    struct epoll_event ev;
    int err;

    /* Reading always: it is what nearly every descriptor waits for next,
     * and an unwanted EPOLLIN edge costs one fut_io_ready(). Writing only
     * when a write waits already (a connect does); otherwise the
     * descriptor counts as writable until a write says EAGAIN, and
     * fut_epollset_io_update() adds EPOLLOUT then. Registering EPOLLOUT
     * from the start would cost a UDP socket a wake-up per datagram sent:
     * the kernel signals write space each time a sent datagram is freed. */
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    if (interest & FUT_IO_WRITABLE)
        ev.events |= EPOLLOUT;
    ev.data.ptr = io;
    err = fut_sys_epoll_ctl(s->epfd, EPOLL_CTL_ADD, io->fd, &ev);
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

/* io_update: a write waits for the first time: add EPOLLOUT, once. The
 * modification reports the descriptor at once if it is writable already,
 * so a write that said EAGAIN just before cannot miss its edge. */
static inline int
fut_epollset_io_update(struct fut_epollset *s, struct fut_io *io,
                       unsigned int interest)
{
    struct epoll_event ev;
    int err;

    if ((interest & ~(unsigned int)io->backend_priv[0]) == 0)
        return 0;
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = io;
    err = fut_sys_epoll_ctl(s->epfd, EPOLL_CTL_MOD, io->fd, &ev);
    if (err < 0)
        return err;
    io->backend_priv[0] = FUT_IO_READABLE | FUT_IO_WRITABLE;
    return 0;
}

/* io_stop. Cannot fail: failure means the registration is already gone. */
static inline void
fut_epollset_io_stop(struct fut_epollset *s, struct fut_io *io)
{
    /* A non-NULL event pointer keeps Linux < 2.6.9 happy. */
    struct epoll_event ev = { 0 };

    (void)fut_sys_epoll_ctl(s->epfd, EPOLL_CTL_DEL, io->fd, &ev);
}

/* notify: any thread, signal handlers. write(2) directly, not through
 * fut_sys_write(): tests swap the table's entries on the runtime's
 * thread. EAGAIN means the counter is saturated: a wake-up is pending. */
static inline int
fut_epollset_notify(struct fut_epollset *s)
{
    uint64_t one = 1;
    ssize_t n;

    do {
        n = write(s->efd, &one, sizeof one);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}

/*
 * Liveness, for loops that stop when nothing holds them (libuv, libev):
 * in their default mode a registration's own watcher keeps the program's
 * loop running while a task waits on it. With one watcher for the whole
 * set, the backend counts the registrations that have a waiting waker as
 * far as it knows (io->backend_priv[1] says whether @io is counted) and
 * references the set's watcher while the count is not zero. A registration
 * is counted when a waker arrives (io_start with interest, io_update) and
 * uncounted when a report finds io->interest empty, or at io_stop. A waker
 * dropped while waiting keeps it counted until its descriptor reports
 * again, as in the default mode a watcher keeps watching until then.
 */
static inline void
fut_epollset_arm(struct fut_epollset *s, struct fut_io *io)
{
    if (io->interest != 0 && io->backend_priv[1] == 0) {
        io->backend_priv[1] = 1;
        s->armed++;
    }
}

static inline void
fut_epollset_disarm(struct fut_epollset *s, struct fut_io *io)
{
    if (io->backend_priv[1] != 0) {
        io->backend_priv[1] = 0;
        s->armed--;
    }
}

/* Report @n events fetched from the set: fut_io_ready() for
 * registrations, a drain for the doorbell. With @track (a constant, so
 * the epoll backend's copy has no trace of it), registrations left with
 * no waiting waker are uncounted (fut_epollset_arm()). Returns 1 if the
 * doorbell was among them, else 0. fut_io_ready() only records readiness
 * and wakes wakers, never runs a task, so no registration goes away
 * meanwhile. */
static inline int
fut_epollset_report(struct fut_epollset *s, const struct epoll_event *evs,
                    int n, int track)
{
    int i, rang = 0;

    for (i = 0; i < n; i++) {
        uint32_t e = evs[i].events;
        unsigned int bits = 0;

        if (evs[i].data.ptr == &s->efd) {
            uint64_t count;

            /* One read resets the counter. A failure (EAGAIN after a
             * spurious wake-up, or an injected fault) leaves nothing to
             * do: the doorbell is level-triggered and fires again. */
            (void)fut_sys_read(s->efd, &count, sizeof count);
            rang = 1;
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
            fut_io_ready((struct fut_io *)evs[i].data.ptr, bits);
        if (track && ((struct fut_io *)evs[i].data.ptr)->interest == 0)
            fut_epollset_disarm(s, (struct fut_io *)evs[i].data.ptr);
    }
    return rang;
}

/* Take what the set holds without blocking (one batch of at most
 * FUT_EPOLLSET_MAX_EVENTS; the set's descriptor stays readable while more
 * is left) and report it, counting as fut_epollset_arm() says. The events
 * go on the stack (3 KiB). Returns 1 if the doorbell rang, 0 if not, or
 * -errno from epoll_wait(2) (never -EINTR: that counts as nothing). */
static inline int
fut_epollset_drain(struct fut_epollset *s)
{
    struct epoll_event evs[FUT_EPOLLSET_MAX_EVENTS];
    int n = fut_sys_epoll_wait(s->epfd, evs, FUT_EPOLLSET_MAX_EVENTS, 0);

    if (n < 0)
        return n == -EINTR ? 0 : n;
    return fut_epollset_report(s, evs, n, 1);
}

/* Put new descriptor @nfd under the number @old (dup3(2), close-on-exec)
 * and close @nfd: watchers on @old stay valid. Closing the copy of the
 * old description affects this process only. 0 or -errno; @nfd is
 * closed either way. */
static inline int
fut_epollset_replace_fd(int old, int nfd)
{
    int err = 0;

    if (dup3(nfd, old, O_CLOEXEC) < 0)
        err = -errno;
    (void)fut_sys_close(nfd);
    return err;
}

/*
 * After fork(2), in the child (the backend's @fork): the set and the
 * doorbell are the parent's too. A new epoll instance and a new eventfd
 * take their numbers (fut_epollset_replace_fd()), so a loop's watcher on
 * the set's descriptor and fut_runtime_backend_fd()'s answer stay valid;
 * nothing is removed from the inherited instance (EPOLL_CTL_DEL there
 * would remove the parent's registrations). Every registration of @rt is
 * added to the new set with what it had (io->backend_priv[0]), still
 * edge-triggered: EPOLL_CTL_ADD reports a descriptor ready at once, so no
 * edge is lost. The counts of fut_epollset_arm() stay as they were.
 * Returns 0 or the first -errno (then the runtime can only be closed).
 */
static inline int
fut_epollset_fork(struct fut_epollset *s, struct fut_runtime *rt)
{
    struct epoll_event ev;
    struct fut_io *io;
    int ep, efd, err;

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -errno;
    efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) {
        err = -errno;
        (void)fut_sys_close(ep);
        return err;
    }
    if ((err = fut_epollset_replace_fd(s->epfd, ep)) != 0) {
        (void)fut_sys_close(efd);
        return err;
    }
    if ((err = fut_epollset_replace_fd(s->efd, efd)) != 0)
        return err;
    ev.events = EPOLLIN;
    ev.data.ptr = &s->efd;
    err = fut_sys_epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->efd, &ev);
    for (io = fut_runtime_io_next(rt, NULL); io != NULL;
         io = fut_runtime_io_next(rt, io)) {
        int e;

        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
        if (io->backend_priv[0] & FUT_IO_WRITABLE)
            ev.events |= EPOLLOUT;
        ev.data.ptr = io;
        e = fut_sys_epoll_ctl(s->epfd, EPOLL_CTL_ADD, io->fd, &ev);
        if (e < 0 && err == 0)
            err = e;
    }
    return err;
}

#endif /* __linux__ */

#endif /* FUT_BACKENDS_EPOLLSET_H */
