/* SPDX-License-Identifier: MIT */
/* The native Linux epoll backend (libfutures-epoll). */
#ifndef FUTURES_BACKEND_EPOLL_H
#define FUTURES_BACKEND_EPOLL_H

#include <futures/executor.h>

FUT__BEGIN_DECLS

/**
 * fut_backend_epoll - the epoll backend's vtable, for fut_runtime_init().
 *
 * Each runtime on it owns one epoll instance and one eventfd (the doorbell
 * that fut_backend_vtable::notify rings). Descriptors are registered once,
 * edge-triggered, for both directions; readiness is kept by the core until
 * a syscall says EAGAIN. Deadlines are waited for with nanosecond precision
 * through epoll_pwait2() (Linux >= 5.11), or else with epoll_wait() in
 * whole milliseconds rounded up, so a turn never returns before its
 * deadline. Notify is thread-safe and async-signal-safe (one write(2) to an
 * eventfd). Owned mode only: there is no attached mode (the attach slot is
 * NULL, and init fails with -ENOTSUP when a config names a loop).
 *
 * Descriptors must not be shared with a forked child while registered: an
 * epoll registration belongs to the open file description, so a duplicate
 * kept open elsewhere keeps reporting events for it.
 *
 * libfutures-epoll also defines fut_backend_default() as this backend.
 * The returned pointer is static. Any thread.
 */
FUT_API const struct fut_backend_vtable *fut_backend_epoll(void);

FUT__END_DECLS

#endif /* FUTURES_BACKEND_EPOLL_H */
