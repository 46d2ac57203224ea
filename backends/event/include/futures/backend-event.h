/* SPDX-License-Identifier: MIT */
/* The libevent backend (libfutures-event): owned and attached modes. */
#ifndef FUTURES_BACKEND_EVENT_H
#define FUTURES_BACKEND_EVENT_H

#include <futures/executor.h>

FUT__BEGIN_DECLS

struct event_base;
struct fut_runtime;

/**
 * fut_backend_event - the libevent backend's vtable, for fut_runtime_init()
 * (owned mode: each runtime makes its own event_base and frees it in
 * fut_runtime_close()). For a base the program owns, see
 * fut_event_attach().
 *
 * Descriptors are registered once, edge-triggered (EV_ET), when the
 * event_base's method supports it (epoll, kqueue); on other methods (poll,
 * select) the event is level-triggered and follows the directions a task
 * waits for. One allocation per registration (fut_mem_alloc()), none per
 * operation.
 *
 * Deadlines are kept with a timerfd of the runtime's own, armed at the
 * absolute CLOCK_MONOTONIC deadline, not with libevent timers: precise to
 * the microsecond and never early, whatever the base's flags and method
 * (libevent's own timers lag by up to a jiffy on a base made without
 * EVENT_BASE_FLAG_PRECISE_TIMER).
 *
 * Notify never touches the event_base: it writes to an eventfd the runtime
 * owns, so it is thread-safe and async-signal-safe without libevent's
 * threading support (evthread_use_pthreads() is neither needed nor called).
 * Linux only (eventfd, timerfd).
 *
 * libfutures-event also defines fut_backend_default() as this backend.
 * The returned pointer is static. Any thread.
 */
FUT_API const struct fut_backend_vtable *fut_backend_event(void);

/**
 * fut_event_attach - start a runtime inside the program's own event_base:
 * fut_runtime_init_attached(@rt, fut_backend_event(), @base).
 * @base: the program's event_base, borrowed until fut_runtime_close(); the
 *        program keeps running it (event_base_dispatch(), event_base_loop())
 *        on one thread, which is the runtime's thread.
 *
 * The runtime adds to @base: persistent read events on its eventfd (the
 * doorbell for wakes from other threads) and on its timerfd (the next
 * deadline), one event per registered descriptor, and a "tick" event from
 * which ready tasks run. The tick is made active when a task becomes ready
 * (and re-added with a zero timeout while tasks stay ready, so the program's
 * I/O gets its turn); when @base has several priorities it gets the lowest
 * one, so tasks run after the I/O callbacks of the same iteration. Tasks
 * never run inline inside the program's callbacks.
 *
 * The doorbell and timer events stay added while attached, so
 * event_base_dispatch() does not return for lack of events: stop the loop
 * with event_base_loopbreak() or event_base_loopexit() as usual.
 * fut_runtime_close() detaches, also from inside one of the program's
 * callbacks: it drops the tasks left and deletes and frees every event the
 * runtime added; @base stays the program's (free it with event_base_free()
 * afterwards, never before).
 *
 * Loop thread only. Returns 0, -EINVAL (NULL @rt or @base), -ENOMEM, or a
 * negative errno from making the eventfd or timerfd or adding their events.
 */
FUT_API int fut_event_attach(struct fut_runtime *rt, struct event_base *base);

FUT__END_DECLS

#endif /* FUTURES_BACKEND_EVENT_H */
