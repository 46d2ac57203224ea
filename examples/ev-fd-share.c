/* SPDX-License-Identifier: MIT */
/* A libev program that reads a socket with its own ev_io while a task writes it (fut_fd). */

/*
 * Build:
 *     cc -std=c11 ev-fd-share.c $(pkg-config --cflags --libs futures-ev)
 */
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include <futures.h>
#include <futures/backend-ev.h>

/* The program's own reader on descriptor x, as it always was. */
static void
on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    char buf[64];
    ssize_t n = read(w->fd, buf, sizeof buf);

    (void)revents;
    if (n > 0)
        printf("program read: %.*s\n", (int)n, buf);
    else
        ev_io_stop(loop, w); /* EOF: nothing else holds the loop */
}

/* A task that writes to the same descriptor, then shuts it down. */
struct hello {
    FUT_FRAME;
    struct fut_fd *x;
    union {
        struct fut_write_all wa;
        struct fut_shutdown sh;
    } u;
};

FUT_ASYNC_FN(hello, struct hello, h, cx)
{
    FUT_BEGIN(h, cx);
    FUT_AWAIT_TRY(&h->u.wa, fut_write_all_init(&h->u.wa, &h->x->writer,
                                               "hello from a task", 17));
    FUT_AWAIT_TRY(&h->u.sh, fut_shutdown_init(&h->u.sh, &h->x->writer));
    FUT_END;
}

/* The peer end y echoes what it gets, then shuts down: a task too. */
struct echo {
    FUT_FRAME;
    struct fut_fd *y;
    union {
        struct fut_copy cp;
        struct fut_shutdown sh;
    } u;
    char buf[256];
};

FUT_ASYNC_FN(echo, struct echo, e, cx)
{
    FUT_BEGIN(e, cx);
    FUT_AWAIT_TRY(&e->u.cp, fut_copy_init(&e->u.cp, &e->y->reader,
                                          &e->y->writer, e->buf,
                                          sizeof e->buf));
    FUT_AWAIT_TRY(&e->u.sh, fut_shutdown_init(&e->u.sh, &e->y->writer));
    FUT_END;
}

int
main(void)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct fut_runtime rt;
    struct fut_fd x, y;
    struct hello h;
    struct echo e;
    ev_io watch;
    int sv[2];

    signal(SIGPIPE, SIG_IGN);
    if (loop == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 1;
    ev_io_init(&watch, on_readable, sv[0], EV_READ);
    ev_io_start(loop, &watch);
    fut_ev_attach(&rt, loop);
    fut_fd_init(&x, sv[0], FUT_FD_BORROW); /* the program's descriptor */
    fut_fd_init(&y, sv[1], FUT_FD_OWN);
    h = FUT_FRAME_VALUE(hello, .x = &x);
    e = FUT_FRAME_VALUE(echo, .y = &y);
    FUT_SPAWN(&rt, &h, NULL);
    FUT_SPAWN(&rt, &e, NULL);
    ev_run(loop, 0); /* until the program's watcher stops */
    fut_runtime_close(&rt);
    fut_fd_close(&x); /* borrowed: sv[0] stays open */
    fut_fd_close(&y);
    close(sv[0]);
    ev_loop_destroy(loop);
    return 0;
}
