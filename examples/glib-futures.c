/* SPDX-License-Identifier: MIT */
/* A GLib program whose main loop runs futures (compat/glib). */

/*
 * The program is written the way GLib programs are: a GMainLoop, a
 * timeout callback, an idle callback. Its runtime (on the epoll backend
 * here: -lfutures-epoll; -lfutures-uv works the same) runs inside that
 * main loop as one GSource (fut_glib_source_new), so no second thread and
 * no second loop: GLib's callbacks and the futures take turns on the one
 * thread.
 *
 * The GLib timeout writes a line into a pipe every 10 ms, three times,
 * then closes it. A future task (spawned from a GLib idle callback) reads
 * the pipe until end of file, while a second task sleeps on a futures
 * timer. When the reader saw the end, it quits the main loop.
 *
 *   usage: glib-futures
 *   prints: GLib wrote: tick 1 ... tick 3 (and closed the pipe)
 *           future read: tick 1 ... tick 3
 *           future timer fired
 *           future read 3 lines, then end of file
 *           main loop quit; runtime closed: 0
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include <futures.h>
#include <futures/compat-glib.h>

static struct fut_runtime rt;
static GMainLoop *main_loop;

/* ---- the futures ------------------------------------------------------- */

/* Reads the pipe until end of file, printing each line, then quits the
 * main loop. */
struct reader {
    struct fut_future base;
    struct fut_fd *in;
    struct fut_read rd;
    int reading;
    char buf[256];
    size_t have;
    int lines;
};

static enum fut_poll
reader_poll(struct fut_future *f, struct fut_context *cx)
{
    struct reader *r = (struct reader *)f;

    for (;;) {
        char *nl;

        while ((nl = memchr(r->buf, '\n', r->have)) != NULL) {
            *nl = '\0';
            printf("future read: %s\n", r->buf);
            r->lines++;
            r->have -= (size_t)(nl + 1 - r->buf);
            memmove(r->buf, nl + 1, r->have);
        }
        if (!r->reading) {
            fut_read_init(&r->rd, &r->in->reader, r->buf + r->have,
                          sizeof r->buf - r->have);
            r->reading = 1;
        }
        if (fut_future_poll(&r->rd.base, cx) == FUT_PENDING)
            return FUT_PENDING;
        r->reading = 0;
        fut_future_drop(&r->rd.base);
        if (r->rd.res <= 0)
            break;
        r->have += (size_t)r->rd.res;
    }
    if (r->rd.res == 0)
        printf("future read %d lines, then end of file\n", r->lines);
    else
        printf("future read failed: %s\n", strerror((int)-r->rd.res));
    g_main_loop_quit(main_loop);
    return FUT_READY;
}

static void
reader_drop(struct fut_future *f)
{
    struct reader *r = (struct reader *)f;

    if (r->reading)
        fut_future_drop(&r->rd.base);
}

static const struct fut_future_vtable reader_vt = { reader_poll, reader_drop,
                                                    NULL };

/* Sleeps on a futures timer, then says so. */
struct timer_task {
    struct fut_future base;
    struct fut_sleep sleep;
};

static enum fut_poll
timer_poll(struct fut_future *f, struct fut_context *cx)
{
    struct timer_task *t = (struct timer_task *)f;

    if (fut_future_poll(&t->sleep.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    printf("future timer fired\n");
    return FUT_READY;
}

static void
timer_drop(struct fut_future *f)
{
    fut_future_drop(&((struct timer_task *)f)->sleep.base);
}

static const struct fut_future_vtable timer_vt = { timer_poll, timer_drop,
                                                   NULL };

/* ---- the GLib program --------------------------------------------------- */

struct app {
    int write_fd;
    int ticks;
    struct fut_fd in; /* the pipe's read end, adopted by the runtime */
};

/* A GLib timeout: one line per call, then close the pipe. */
static gboolean
on_tick(gpointer data)
{
    struct app *a = data;
    char line[32];
    int n;

    a->ticks++;
    n = snprintf(line, sizeof line, "tick %d\n", a->ticks);
    if (write(a->write_fd, line, (size_t)n) != n)
        perror("write");
    printf("GLib wrote: tick %d\n", a->ticks);
    if (a->ticks < 3)
        return G_SOURCE_CONTINUE;
    close(a->write_fd);
    a->write_fd = -1;
    printf("GLib closed the pipe\n");
    return G_SOURCE_REMOVE;
}

/* A GLib idle callback spawns the futures: plain callback code calling
 * into the runtime, on the main loop's thread. */
static gboolean
on_start(gpointer data)
{
    struct app *a = data;
    struct reader r;
    struct timer_task t;

    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vt;
    r.in = &a->in;
    if (FUT_SPAWN(&rt, &r, NULL) != 0)
        g_main_loop_quit(main_loop);
    t.base.vtable = &timer_vt;
    fut_sleep_init(&t.sleep, 15 * FUT_NSEC_PER_MSEC);
    if (FUT_SPAWN(&rt, &t, NULL) != 0)
        g_main_loop_quit(main_loop);
    return G_SOURCE_REMOVE;
}

int
main(void)
{
    struct app a;
    GSource *src;
    int fds[2], err;

    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&a, 0, sizeof a);
    if (pipe2(fds, O_CLOEXEC) != 0) {
        perror("pipe2");
        return 1;
    }
    a.write_fd = fds[1];
    if ((err = fut_runtime_init_default(&rt)) != 0 ||
        (err = fut_fd_init(&a.in, fds[0], FUT_FD_OWN)) != 0) {
        fprintf(stderr, "runtime: %s\n", strerror(-err));
        return 1;
    }
    /* The runtime as one source of the default main context. */
    err = fut_glib_source_new(&rt, &src);
    if (err != 0) {
        fprintf(stderr, "fut_glib_source_new: %s (backend %s)\n",
                strerror(-err), fut_runtime_backend_name(&rt));
        return 1;
    }
    g_source_attach(src, NULL);

    main_loop = g_main_loop_new(NULL, FALSE);
    g_idle_add(on_start, &a);
    g_timeout_add(10, on_tick, &a);
    g_main_loop_run(main_loop);

    /* Take the runtime out of the main loop, then close it. */
    g_source_destroy(src);
    g_source_unref(src);
    g_main_loop_unref(main_loop);
    (void)fut_fd_close(&a.in);
    if (a.write_fd >= 0)
        close(a.write_fd);
    printf("main loop quit; runtime closed: %d\n", fut_runtime_close(&rt));
    return 0;
}
