/* SPDX-License-Identifier: MIT */
/* compat/glib: a runtime inside a GLib main loop, as one GSource. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>

#include <futures/compat-glib.h>

/*
 * GLib's main loop iterates in four steps per source: prepare (may the
 * context block, and for how long), query/poll (the descriptors each
 * source added), check (did something happen) and dispatch. The runtime's
 * embedding calls map onto them one to one:
 *
 *   prepare   fut_runtime_backend_timeout(): applies pending interest
 *             changes, answers 0 (ready now), -1 or milliseconds
 *   poll      fut_runtime_backend_fd() for G_IO_IN, added once: the same
 *             descriptor for the runtime's life
 *   check     readable, or the timeout prepare gave has run out
 *   dispatch  fut_runtime_run_nowait()
 *
 * prepare runs before every poll, after the dispatches of the previous
 * iteration: whatever the program's callbacks spawned or woke on this
 * thread in between is seen there (the timeout is then 0).
 */

struct fut_glib_source {
    GSource base;          /* first: GLib allocates the whole struct */
    struct fut_runtime *rt; /* borrowed */
    gint64 due_us;         /* g_get_monotonic_time() when the runtime's
                            * next timer is due, or -1 */
    GPollFD pfd;           /* the runtime's descriptor; GLib keeps a
                            * pointer to it while the source lives */
};

static gboolean
src_prepare(GSource *s, gint *timeout)
{
    struct fut_glib_source *fs = (struct fut_glib_source *)s;
    int ms = fut_runtime_backend_timeout(fs->rt);

    if (ms < -1) {
        /* -EBUSY: a task of the runtime iterates the context (a nested
         * loop); the runtime runs again when that task returns, so this
         * iteration has nothing to do for it. Any other error leaves the
         * runtime as it was; blocking on the descriptor is still right. */
        ms = -1;
    }
    *timeout = ms;
    fs->due_us = ms > 0 ? g_get_monotonic_time() + (gint64)ms * 1000
                        : (ms == 0 ? 0 : -1);
    return ms == 0;
}

static gboolean
src_check(GSource *s)
{
    struct fut_glib_source *fs = (struct fut_glib_source *)s;

    if (fs->pfd.revents & (G_IO_IN | G_IO_ERR | G_IO_HUP))
        return TRUE;
    return fs->due_us >= 0 && g_get_monotonic_time() >= fs->due_us;
}

static gboolean
src_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
    struct fut_glib_source *fs = (struct fut_glib_source *)s;

    (void)cb;
    (void)data;
    /* 1 (more tasks ready) needs nothing here: the next prepare answers
     * 0. A negative errno is the backend's turn failing (the descriptor
     * stays as it was) or -EBUSY (a nested iteration from a task); the
     * source stays: the runtime is the program's to close. */
    (void)fut_runtime_run_nowait(fs->rt);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs src_funcs = {
    src_prepare, src_check, src_dispatch, NULL, NULL, NULL,
};

int
fut_glib_source_new(struct fut_runtime *rt, GSource **out)
{
    struct fut_glib_source *fs;
    int fd;

    if (out != NULL)
        *out = NULL;
    if (rt == NULL || out == NULL)
        return -EINVAL;
    fd = fut_runtime_backend_fd(rt);
    if (fd < 0)
        return fd;
    /* g_source_new() aborts the program when memory runs out (GLib's
     * own policy, g_malloc()); there is no failure to report here. */
    fs = (struct fut_glib_source *)g_source_new(&src_funcs, sizeof *fs);
    fs->rt = rt;
    fs->due_us = -1;
    fs->pfd.fd = fd;
    fs->pfd.events = G_IO_IN;
    fs->pfd.revents = 0;
    g_source_set_name(&fs->base, "libfutures runtime");
    /* The GPollFD lives in the source's own allocation, which GLib frees
     * only after the source left every context. */
    g_source_add_poll(&fs->base, &fs->pfd);
    *out = &fs->base;
    return 0;
}
