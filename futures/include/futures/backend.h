/* SPDX-License-Identifier: MIT */
/* The backend contract: what an event loop implements to host a runtime. */
#ifndef FUTURES_BACKEND_H
#define FUTURES_BACKEND_H

#include <sys/types.h>

#include "common.h"
#include "executor.h"
#include "reactor.h"

FUT__BEGIN_DECLS

/*
 * This header is for people writing backends (as libdillimpl.h is for
 * libdill); programs using libfutures do not need it: futures.h does not
 * include it, and fut_backend_default() is declared in executor.h. A
 * backend includes public headers and this one only, never the core's
 * internal headers; everything it may use from the core is declared here
 * or in the public headers.
 *
 * A backend is a struct of function pointers in the spirit of sqlite3_vfs.
 * The runtime allocates @size bytes for the backend's state, whose first
 * member is struct fut_backend, and calls @init on it. Timers belong to the
 * core; a backend only has to wake up by a deadline.
 */

/**
 * FUT_BACKEND_VTABLE_VERSION - the newest layout of struct
 * fut_backend_vtable, the value a backend built against this header puts
 * in @version.
 *
 * Fields are only ever appended, and each version names the last field it
 * has:
 * - 1: @version, @name, @size, @init, @fini, @io_start, @io_update,
 *   @io_stop, @notify, @turn, @attach.
 * - 2: as 1, plus @schedule.
 * - 3: as 2, plus @hold.
 * - 4: as 3, plus @embed_fd.
 * - 5: as 4, plus @fork.
 *
 * fut_runtime_init() accepts versions 1 to 5 and never reads a field
 * past the end of the version a table declares: a version-1 table is
 * treated as one whose @schedule, @hold, @embed_fd and @fork are NULL.
 */
#define FUT_BACKEND_VTABLE_VERSION 5

/** struct fut_backend - first member of every backend's state. */
struct fut_backend {
    const struct fut_backend_vtable *vtable;
    struct fut_runtime *rt;
};

/**
 * enum fut_backend_flags - bits of struct fut_backend_config.flags.
 *
 * @FUT_BACKEND_ONE_FD: register every descriptor in a private epoll set
 *   of the runtime's (edge-triggered, as the epoll backend does) and give
 *   the event loop just that set's descriptor to watch, with the
 *   runtime's doorbell (an eventfd) inside the set: one watcher in the
 *   loop per runtime instead of one per descriptor (a uv_poll_t, a struct
 *   event, an ev_io). Owned and attached mode alike; timers stay with the
 *   loop. An attached runtime may then watch a descriptor the program's
 *   loop already watches (libuv refuses a second uv_poll_t per
 *   descriptor: -EEXIST in the default mode), and
 *   fut_runtime_backend_fd() answers the set's descriptor on every
 *   backend. The libuv, libevent and libev backends implement it on
 *   Linux; elsewhere (and in -DFUT_OS_PORTABLE builds) their init returns
 *   -ENOTSUP for it. The epoll backend accepts and ignores it: it is one
 *   descriptor already. Off by default.
 *
 * Every backend's init returns -EINVAL for a bit it does not know, so a
 * program built against a newer header fails loudly on an older library.
 */
enum fut_backend_flags {
    FUT_BACKEND_ONE_FD = 1u << 0
};

/**
 * struct fut_backend_config - options passed to init. Zero is default.
 * @version: 1.
 * @flags: FUT_BACKEND_* bits (enum fut_backend_flags); any other bit
 *         makes init fail with -EINVAL.
 * @loop: attached mode: the program's own loop (NULL: owned mode).
 *
 * Programs pass it through struct fut_runtime_config.backend to
 * fut_runtime_init(); with @loop set, that attaches the runtime as
 * fut_runtime_init_attached() does, with @flags applied.
 */
struct fut_backend_config {
    unsigned int version; /* 1 */
    unsigned int flags;
    void *loop;           /* attached mode: the program's own loop */
};

/**
 * struct fut_backend_vtable - the operations of one event loop.
 *
 * Implementation (version 5, FUT_BACKEND_VTABLE_VERSION; fields are only
 * ever appended, see there which version has which):
 * - @init: set up the state in @be (already zeroed, vtable and rt set).
 *   @c may be NULL (all defaults). A flag bit in c->flags the backend
 *   does not implement is -EINVAL (an unknown bit) or -ENOTSUP (a known
 *   mode this build or system lacks).
 *   Returns 0 or -errno (the runtime then frees the state without @fini).
 * - @fini: release everything @init and later calls acquired.
 * - @io_start: begin watching @io->fd for @interest (FUT_IO_READABLE |
 *   FUT_IO_WRITABLE). The backend reports readiness with fut_io_ready()
 *   from inside @turn. Edge-triggered reporting is allowed: the core keeps
 *   readiness in io->ready until a syscall says EAGAIN. Returns 0 or -errno.
 * - @io_update (may be NULL): a direction was added to the set of
 *   directions with a waiting waker, now @interest. Directions leave the
 *   set when fut_io_ready() wakes them (it clears them from io->interest
 *   without calling @io_update), so a level-triggered backend re-reads
 *   io->interest before its loop next blocks and stops watching what is
 *   no longer there (doing it in the callback works too, but costs a
 *   restart whenever the woken task waits again); an edge-triggered one
 *   leaves @io_update NULL. @io_start may set FUT_IO_SHORT_READ_DRAINS in
 *   io->flags (see reactor.h).
 *   Returns 0 or -errno.
 * - @io_stop: stop watching @io. Cannot fail. After it returns the backend
 *   never touches @io again.
 * - @notify: make a @turn that is blocked (or the next one) return soon.
 *   Called from any thread, possibly concurrently with @turn, and from
 *   signal handlers (fut_notify_signal()): it must be async-signal-safe
 *   (a write(2), uv_async_send(), ev_async_send()). Never called after
 *   @fini began.
 * - @turn: wait for I/O until @deadline_ns (CLOCK_MONOTONIC nanoseconds;
 *   -1 means no deadline, a past deadline means do not block), report
 *   readiness, and return 0 or -errno. EINTR is not an error (return 0).
 *   Returning early is allowed; returning late is not, within the loop's
 *   precision (document it).
 * - @attach (may be NULL: the backend has no attached mode, and a runtime
 *   configured with a foreign loop is refused with -ENOTSUP): attached
 *   mode. @init received the program's loop in c->loop and must use it
 *   rather than make one; once the runtime is complete, @attach installs
 *   the loop hooks (a prepare/check/idle handle, a low-priority event...)
 *   from which the backend calls fut_runtime_attached_run(). It is never
 *   called in owned mode. Returns 0 or -errno.
 * - @schedule (version 2; may be NULL in owned mode): attached mode only.
 *   A task became ready while the loop is outside the backend's hook (an I/O
 *   callback woke it, or the program spawned it): make the loop call
 *   fut_runtime_attached_run() soon without blocking first (start an idle
 *   handle, activate an event). Called on the loop's thread; cheap, and
 *   called at most once until the next fut_runtime_attached_run().
 * - @hold (version 3; may be NULL): attached mode only. @on = 1: the
 *   runtime has work outside the loop whose completion arrives through
 *   @notify (jobs in its blocking pool): keep the program's loop alive
 *   until @on = 0, as a pending uv_queue_work() request keeps uv_run()
 *   going (reference the doorbell: uv_ref(), ev_ref()). NULL where the
 *   runtime's own watchers keep the loop alive anyway (libevent). Called
 *   on the loop's thread, only on a change, and with @on = 0 before
 *   @fini if the hold is on.
 * - @embed_fd (version 4; may be NULL: fut_runtime_backend_fd() answers
 *   -ENOTSUP): owned mode only, for a host loop that drives the runtime
 *   (see fut_runtime_backend_fd()). Bring the backend's descriptor up to
 *   date with every interest change made so far (a level-triggered
 *   backend narrows what nobody waits for, as before a blocking @turn; a
 *   loop that applies changes lazily applies them now), then return a
 *   descriptor that is readable whenever a @turn with a past deadline
 *   would report something (readiness, a @notify). Readiness found while
 *   applying changes may be reported with fut_io_ready() right here. The
 *   same descriptor every time; the backend owns it. Returns it or -errno.
 * - @fork (version 5; may be NULL: fut_runtime_fork() answers -ENOTSUP):
 *   owned mode only, in the child of a fork(2), on its only thread,
 *   before anything else runs (see fut_runtime_fork()). Give the backend
 *   kernel state of its own: new loop descriptors (uv_loop_fork(),
 *   event_reinit(), ev_loop_fork()), a new doorbell, a new timer
 *   descriptor, a new private epoll set; close the inherited copies in
 *   the child only, and never remove anything from an inherited epoll
 *   instance (EPOLL_CTL_DEL there would remove the parent's
 *   registrations: the instance is shared). Then watch every registration
 *   again with its current interest (fut_runtime_io_next() walks them;
 *   a loop that re-adds its own watchers does it for its own). Keeping
 *   the old descriptor numbers (dup3(2) onto them) keeps watchers on them
 *   valid, and the same descriptor for @embed_fd. The core rings
 *   @notify once afterwards. Returns 0 or -errno (the runtime can then
 *   only be closed).
 *
 * Wakes from other threads arrive through @notify in both modes; in
 * attached mode the backend's notify callback must lead to a
 * fut_runtime_attached_run() as well.
 */
struct fut_backend_vtable {
    unsigned int version;   /* FUT_BACKEND_VTABLE_VERSION */
    const char *name;
    size_t size;
    int (*init)(struct fut_backend *be, const struct fut_backend_config *c);
    void (*fini)(struct fut_backend *be);
    int (*io_start)(struct fut_backend *be, struct fut_io *io,
                    unsigned int interest);
    int (*io_update)(struct fut_backend *be, struct fut_io *io,
                     unsigned int interest);
    void (*io_stop)(struct fut_backend *be, struct fut_io *io);
    int (*notify)(struct fut_backend *be);
    int (*turn)(struct fut_backend *be, int64_t deadline_ns);
    int (*attach)(struct fut_backend *be, void *loop);
    /* version 2 */
    void (*schedule)(struct fut_backend *be);
    /* version 3 */
    void (*hold)(struct fut_backend *be, int on);
    /* version 4 */
    int (*embed_fd)(struct fut_backend *be);
    /* version 5 */
    int (*fork)(struct fut_backend *be);
};

/**
 * fut_runtime_io_next - walk the registrations of @rt, for a backend's
 * @fork: the one after @io, or the first when @io is NULL; NULL after
 * the last. Every struct fut_io that @io_start accepted and @io_stop has
 * not stopped is among them, once. Runtime thread only; the list must
 * not change during the walk.
 */
FUT_API struct fut_io *fut_runtime_io_next(struct fut_runtime *rt,
                                           struct fut_io *io);

/**
 * fut_runtime_attached_run - for attached backends: run what is ready.
 * @next_deadline_ns: receives the next timer deadline (fut_now_ns()
 *                    clock), or -1 when no timer is armed: the backend
 *                    arms a loop timer for it (rounded up, never early).
 *
 * Called from the foreign loop's hook, on the loop's thread, never from
 * inside a task. It takes cross-thread wakes, fires due timers and polls
 * ready tasks (up to the runtime's event_interval of them, so the
 * program's own callbacks keep their turn). Returns 1 when tasks are still
 * ready (keep the loop from blocking, e.g. with an idle handle), 0 when
 * none is, -EINVAL (not an attached runtime) or -EBUSY (re-entered).
 */
FUT_API int fut_runtime_attached_run(struct fut_runtime *rt,
                                     int64_t *next_deadline_ns);

/* ------------------------------------------------------------------------ */
/* System calls for backends                                                */
/* ------------------------------------------------------------------------ */

/*
 * The core makes its I/O syscalls through one table that tests can
 * override, so that they can inject EINTR, EAGAIN or ENOMEM (SQLite's
 * aSyscall). A backend that makes the same kinds of call on its own
 * descriptors goes through these functions, which reach that one table in
 * libfutures: a fault a test injects reaches the backend's calls too,
 * whether the backend is linked statically or as a shared library.
 *
 * Unlike the libc functions they stand for, they return a negative errno
 * value on failure; errno is left as the call left it, and need not be
 * read. They may be called from any thread, but tests swap the table's
 * entries on the runtime's thread, so code that runs on other threads or
 * in signal handlers (a backend's @notify) should call libc directly.
 */

struct epoll_event;

/** fut_sys_read - read(2) through the syscall table: bytes or -errno. */
FUT_API ssize_t fut_sys_read(int fd, void *buf, size_t len);

/** fut_sys_write - write(2) through the syscall table: bytes or -errno. */
FUT_API ssize_t fut_sys_write(int fd, const void *buf, size_t len);

/**
 * fut_sys_close - close(2) through the syscall table: 0 or -errno. The
 * descriptor is gone whatever it returns (Linux), so never retry.
 */
FUT_API int fut_sys_close(int fd);

/**
 * fut_sys_epoll_ctl - epoll_ctl(2) through the syscall table: 0 or -errno.
 * Linux only; elsewhere it returns -ENOSYS.
 */
FUT_API int fut_sys_epoll_ctl(int epfd, int op, int fd,
                              struct epoll_event *ev);

/**
 * fut_sys_epoll_wait - epoll_wait(2) through the syscall table: the number
 * of events stored in @ev, or -errno (-EINTR when a signal interrupted
 * the wait). Linux only; elsewhere it returns -ENOSYS.
 */
FUT_API int fut_sys_epoll_wait(int epfd, struct epoll_event *ev, int max,
                               int timeout_ms);

FUT__END_DECLS

#endif /* FUTURES_BACKEND_H */
