/* SPDX-License-Identifier: MIT */
/* compat/glib: a runtime inside a GLib main loop, as one GSource. */
#ifndef FUTURES_COMPAT_GLIB_H
#define FUTURES_COMPAT_GLIB_H

#include <glib.h>

#include <futures/executor.h>

FUT__BEGIN_DECLS

/**
 * fut_glib_source_new - a GSource that runs @rt from a GLib main context.
 * @rt: an owned runtime (fut_runtime_init() without a loop) whose backend
 *      hands out a descriptor: epoll or libuv (see
 *      fut_runtime_backend_fd()). Borrowed: the source never closes it.
 * @out: receives the new source, with one reference, not attached yet;
 *       NULL on failure.
 *
 * Attach it with g_source_attach() to the context the program iterates
 * (g_main_loop_run(), gtk_main(), g_main_context_iteration()), and drop
 * the reference with g_source_unref(). From then on, each iteration of
 * that context runs the runtime's ready tasks, fires its due timers and
 * collects its I/O: the source's prepare step asks
 * fut_runtime_backend_timeout() (which also applies pending interest
 * changes, so the context never sleeps through them), its poll watches
 * fut_runtime_backend_fd(), and its dispatch calls
 * fut_runtime_run_nowait(). A busy runtime runs a bounded number of tasks
 * per dispatch and asks for another iteration at once, so the program's
 * other sources (its widgets, its timeouts) keep their turn. Tasks may be
 * spawned from the program's own callbacks at any time (fut_spawn() on
 * the context's thread, fut_handle_spawn() from others).
 *
 * The source has G_PRIORITY_DEFAULT (g_source_set_priority() changes it);
 * a callback set with g_source_set_callback() is never called. The
 * context must be iterated on the thread that runs @rt, and @rt must not
 * be driven any other way while the source is attached (fut_block_on()
 * from one of the program's callbacks is allowed: the source then waits
 * for it to return). Before fut_runtime_close(@rt), destroy the source
 * (g_source_destroy()): after that the context no longer touches @rt.
 *
 * Returns 0, -EINVAL (NULL argument, an attached, closed or uninitialised
 * runtime), -EBUSY (called from one of @rt's tasks), -ENOTSUP (the
 * backend keeps its descriptor private: libevent, libev), or a negative
 * errno from the backend. (GLib aborts the program when it cannot
 * allocate, as g_malloc() does; there is no -ENOMEM.)
 */
FUT_API int fut_glib_source_new(struct fut_runtime *rt, GSource **out);

FUT__END_DECLS

#endif /* FUTURES_COMPAT_GLIB_H */
