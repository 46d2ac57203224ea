/* SPDX-License-Identifier: MIT */
/* The libuv backend (libfutures-uv): owned and attached modes. */
#ifndef FUTURES_BACKEND_UV_H
#define FUTURES_BACKEND_UV_H

#include <futures/executor.h>

FUT__BEGIN_DECLS

/* uv_loop_t is a typedef of struct uv_loop_s. It is named through the
 * struct so that this header does not include <uv.h>, which does not
 * compile under plain -std=c11 (it needs POSIX types such as
 * pthread_rwlock_t); a uv_loop_t * converts to it without a cast. */
struct uv_loop_s;
struct fut_runtime;

/**
 * fut_backend_uv - the libuv backend's vtable, for fut_runtime_init() and
 * fut_runtime_init_attached().
 *
 * Owned mode (fut_runtime_init(), no loop in the config): each runtime
 * makes its own uv_loop_t and closes it in fut_runtime_close(). A turn is
 * one uv_run(UV_RUN_ONCE), or UV_RUN_NOWAIT when it must not block, with a
 * uv_timer_t armed for the deadline.
 *
 * Attached mode (fut_uv_attach()): the runtime lives in the program's
 * uv_loop_t; see there.
 *
 * Readiness: one uv_poll_t per registered descriptor (one allocation per
 * registration, none per operation), started for the directions a task
 * waits for and stopped when nobody waits: libuv polls are level-triggered.
 * A descriptor the program already watches on the same loop (its own
 * uv_poll_t, uv_tcp_t...) cannot be registered: libuv allows one watcher
 * per descriptor and libfutures reports -EEXIST.
 *
 * Timers: libuv's clock counts whole milliseconds and is read once per loop
 * iteration, so deadlines are rounded up to the next millisecond of that
 * clock. A futures timer never fires early, and fires up to about 1 ms
 * late (plus scheduling delay), where the epoll backend is precise to the
 * microsecond.
 *
 * Notify is uv_async_send(): thread-safe and async-signal-safe. Everything
 * else runs on the loop's thread.
 *
 * libfutures-uv also defines fut_backend_default() as this backend.
 * The returned pointer is static. Any thread.
 */
FUT_API const struct fut_backend_vtable *fut_backend_uv(void);

/**
 * fut_uv_attach - start a runtime inside the program's own libuv loop:
 * fut_runtime_init_attached(@rt, fut_backend_uv(), @loop).
 * @loop: the program's uv_loop_t, borrowed until fut_runtime_close(); the
 *        program keeps running it with uv_run() on one thread, which is
 *        the runtime's thread.
 *
 * The runtime adds to @loop: a uv_check_t from which ready tasks run
 * after the I/O callbacks of each iteration, a uv_idle_t started while
 * tasks are ready (so the loop polls without blocking), a uv_timer_t for
 * the next futures deadline, a uv_async_t (the doorbell for wakes from
 * other threads) and one uv_poll_t per registered descriptor. Tasks never
 * run inline inside the program's callbacks: a task woken from one runs
 * from the check handle of the same iteration, or of the next.
 *
 * The check and async handles are unreferenced, so the runtime alone keeps
 * uv_run(UV_RUN_DEFAULT) running only while it has real work: a ready
 * task, an armed futures timer, or a task waiting for I/O. A task that
 * waits only for a wake from another thread (a channel fed by a thread)
 * does not keep the loop alive; keep a handle of the program's own
 * referenced for as long as that matters.
 *
 * fut_runtime_close() detaches: it drops the tasks left and closes every
 * handle the runtime added. libuv runs close callbacks from the loop, so
 * the program must call uv_run() once more (UV_RUN_DEFAULT or
 * UV_RUN_NOWAIT) before uv_loop_close(), which then returns 0.
 * fut_block_on() on an attached runtime runs @loop itself (callbacks of
 * the program included); it must not be called from inside uv_run().
 *
 * Loop thread only. Returns 0, -EINVAL (NULL @rt or @loop), -ENOMEM, or a
 * negative errno from uv_async_init() (e.g. -EMFILE).
 */
FUT_API int fut_uv_attach(struct fut_runtime *rt, struct uv_loop_s *loop);

FUT__END_DECLS

#endif /* FUTURES_BACKEND_UV_H */
