/* SPDX-License-Identifier: MIT */
/* Declarations shared between libfutures sources; never installed. */
#ifndef FUTURES_INTERNAL_H
#define FUTURES_INTERNAL_H

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <assert.h>

#include "futures.h"
#include "futures/backend.h"

/* Internal functions with external linkage are fut__*; they are not
 * exported from the shared libraries (-export-symbols-regex '^fut_[^_]'). */
#define FUT__HIDDEN __attribute__((visibility("hidden")))

#define FUT__UNUSED(x) ((void)(x))
#define FUT__LIKELY(x) __builtin_expect(!!(x), 1)
#define FUT__UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Largest size accepted for buffers, capacities and element sizes. */
#define FUT__MAX_SIZE ((size_t)1 << 30)

/* ---- allocation (alloc.c) ---------------------------------------------- */

FUT__HIDDEN void *fut__malloc(size_t size);
FUT__HIDDEN void *fut__calloc(size_t n, size_t size);
FUT__HIDDEN void fut__free(void *ptr);

/* ---- system calls (sys.c) -----------------------------------------------
 * Every syscall the core and the backends make for I/O goes through this
 * table (SQLite's aSyscall), so tests can inject EINTR, EAGAIN, ENOMEM...
 * The functions follow the libc convention (-1 and errno). There is one
 * table, in libfutures: backends reach it through the exported fut_sys_*
 * wrappers of futures/backend.h (backend_api.c), never through this
 * hidden symbol, which would not cross a shared-library boundary. */
struct fut__syscalls {
    ssize_t (*read)(int fd, void *buf, size_t len);
    ssize_t (*write)(int fd, const void *buf, size_t len);
    ssize_t (*readv)(int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*writev)(int fd, const struct iovec *iov, int iovcnt);
    int (*socket)(int domain, int type, int protocol);
    int (*accept4)(int fd, struct sockaddr *addr, socklen_t *len, int flags);
    int (*connect)(int fd, const struct sockaddr *addr, socklen_t len);
    int (*close)(int fd);
    int (*epoll_ctl)(int epfd, int op, int fd, struct epoll_event *ev);
    int (*epoll_wait)(int epfd, struct epoll_event *ev, int max, int ms);
};
extern FUT__HIDDEN struct fut__syscalls fut__sys;
/* Restore the real functions (tests call it in teardown). */
FUT__HIDDEN void fut__sys_reset(void);

/* ---- trait wrappers (io.c) ---------------------------------------------
 * Set reg->id through @r's version 3 note_read slot (0 without one); the
 * caller has set reg->waker. For wrappers such as the bufreader, whose
 * registrations are their inner reader's. */
FUT__HIDDEN void fut__async_read_note_id(struct fut_async_read *r,
                                         struct fut_reg *reg);

/* ---- runtime internals (runtime.c) ------------------------------------- */

/* The backend of a runtime. */
FUT__HIDDEN struct fut_backend *fut__runtime_backend(struct fut_runtime *rt);
/* Make wakes on this thread local to @rt for a while (a backend's event
 * callback, run by a foreign loop): returns what to pass to leave. */
FUT__HIDDEN void *fut__runtime_enter(struct fut_runtime *rt);
FUT__HIDDEN void fut__runtime_leave(void *prev);
/* 1 if the calling thread is running @rt now. */
FUT__HIDDEN int fut__runtime_is_current(const struct fut_runtime *rt);
/* Live I/O registrations (for leak checks in tests). */
FUT__HIDDEN size_t fut__runtime_io_count(const struct fut_runtime *rt);
/* Add a registration to, or remove it from, the runtime's list, so that
 * closing the runtime can deregister what is left (reactor.c). */
FUT__HIDDEN void fut__runtime_io_link(struct fut_runtime *rt, struct fut_io *io);
FUT__HIDDEN void fut__runtime_io_unlink(struct fut_runtime *rt,
                                        struct fut_io *io);
/* Armed timers of @rt (tests). */
FUT__HIDDEN size_t fut__runtime_timer_count(const struct fut_runtime *rt);

/* ---- timers (timer.c) --------------------------------------------------
 * A hierarchical timing wheel: FUT__WHEEL_LEVELS levels of 64 slots; level
 * k slots are 64^k microseconds wide. A timer sits at the level of the
 * highest 6-bit digit in which its tick differs from `elapsed`, so insert
 * and cancel are O(1) list operations plus a bit in `occupied`; as time
 * reaches a higher-level slot its timers cascade to lower levels, which is
 * what keeps firing exact to the microsecond. */
#define FUT__WHEEL_LEVELS 7
#define FUT__WHEEL_SLOTS 64

struct fut__wheel {
    uint64_t elapsed;   /* the tick (µs since start_ns) time has reached */
    int64_t start_ns;
    size_t count;       /* armed timers */
    uint64_t occupied[FUT__WHEEL_LEVELS];
    struct fut_timer *slots[FUT__WHEEL_LEVELS][FUT__WHEEL_SLOTS];
};

FUT__HIDDEN void fut__wheel_init(struct fut__wheel *w, int64_t now_ns);
/* The time by which the runtime must look at the wheel again (a lower
 * bound of the earliest deadline), or -1 when no timer is armed. */
FUT__HIDDEN int64_t fut__wheel_next_deadline(const struct fut__wheel *w);
/* Move time to @now_ns, firing (waking) every timer that is due. */
FUT__HIDDEN void fut__wheel_advance(struct fut__wheel *w, int64_t now_ns);
/* Disarm every timer (runtime close): drop their wakers, forget them. */
FUT__HIDDEN void fut__wheel_fini(struct fut__wheel *w);

/* The wheel of a runtime (runtime.c). */
FUT__HIDDEN struct fut__wheel *fut__runtime_wheel(struct fut_runtime *rt);

/* Arm @t on @rt's wheel for @deadline_ns, waking a clone of @w (borrowed).
 * Re-arms if already armed. Returns 1 if the deadline has already passed
 * (nothing armed), 0 when armed. */
FUT__HIDDEN int fut__timer_arm(struct fut_runtime *rt, struct fut_timer *t,
                               int64_t deadline_ns, const struct fut_waker *w);
/* Cancel @t if armed; drops its waker. O(1). */
FUT__HIDDEN void fut__timer_cancel(struct fut_timer *t);

/* ---- calls into the backend (backend_call.h) ---------------------------
 * The only code that dereferences a backend's vtable. */
#include "backend_call.h"

#endif /* FUTURES_INTERNAL_H */
