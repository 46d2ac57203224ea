/* SPDX-License-Identifier: MIT */
/* The libev backend (libfutures-ev): its own loops, or the program's. */
#ifndef FUTURES_BACKEND_EV_H
#define FUTURES_BACKEND_EV_H

#include <futures/executor.h>

FUT__BEGIN_DECLS

/* libev's loop type; <ev.h> defines it. Declared here rather than included,
 * so that this header does not bring libev's macros into every file. */
struct ev_loop;

/**
 * fut_backend_ev - the libev backend's vtable, for fut_runtime_init().
 *
 * Owned mode (fut_runtime_init(), fut_run()): each runtime makes its own
 * loop with ev_loop_new(EVFLAG_AUTO) — never ev_default_loop(), which the
 * program may own — and destroys it in fut_runtime_close(). A turn is one
 * ev_run(EVRUN_ONCE), bounded by an ev_timer for the next deadline, or
 * ev_run(EVRUN_NOWAIT) for a deadline already past.
 *
 * Readiness: one ev_io per registered descriptor (allocated once, at the
 * first wait), level-triggered, watching only the directions a waker waits
 * for. Timers belong to the core; libev's epoll backend waits in whole
 * milliseconds rounded up, so a deadline is met up to about 1 ms late,
 * never early (docs/backends/ev.md has measurements). Notify is one
 * ev_async_send(): any thread, and async-signal-safe.
 *
 * Attached mode: see fut_ev_attach(). libfutures-ev also defines
 * fut_backend_default() as this backend. The returned pointer is static.
 * Any thread.
 */
FUT_API const struct fut_backend_vtable *fut_backend_ev(void);

/**
 * fut_ev_attach - a runtime living inside @loop, which the program owns
 * and keeps running with ev_run(): fut_runtime_init_attached(@rt,
 * fut_backend_ev(), @loop).
 * @rt: caller storage for the runtime.
 * @loop: the program's loop (from ev_loop_new() or ev_default_loop()),
 *        borrowed until fut_runtime_close(@rt); never destroyed by us.
 *
 * Adds to @loop an ev_prepare, an ev_check (priority EV_MINPRI, so it runs
 * after the iteration's I/O callbacks) and an ev_async, all unreferenced
 * (ev_unref()): on their own they never keep ev_run() from returning.
 * Ready tasks run from those two hooks, never inline inside the program's
 * callbacks; while tasks stay ready an ev_idle keeps the loop from
 * blocking. Tasks waiting for a descriptor (an ev_io each) or a timer (one
 * ev_timer for the earliest) do keep ev_run() going, as the program's own
 * watchers would; a task waiting only for another thread's wake does not.
 *
 * Call from @loop's thread, not from inside ev_run() of another thread;
 * spawn from that thread too (from the program's callbacks or between two
 * ev_run() calls); wake tasks from any thread. fut_runtime_close(@rt)
 * detaches: it drops the tasks left and stops and frees every watcher the
 * runtime added, restoring the loop's reference count, so the program may
 * ev_loop_destroy(@loop) or go on using it. It may be called from the
 * program's own callbacks, but not from a task. Do not destroy @loop before
 * closing @rt.
 *
 * Returns 0, -EINVAL (NULL @rt or @loop), -ENOMEM, or what
 * fut_runtime_init_attached() returns.
 */
FUT_API int fut_ev_attach(struct fut_runtime *rt, struct ev_loop *loop);

FUT__END_DECLS

#endif /* FUTURES_BACKEND_EV_H */
