/* SPDX-License-Identifier: MIT */
/* A TCP echo server that drains its connections on SIGTERM, then exits 0. */

/*
 * Usage: drain-server PORT
 *
 * Binds 127.0.0.1:PORT (0 picks a free port), prints "listening on
 * 127.0.0.1:PORT", and echoes every line of every connection back. On
 * SIGTERM (or ^C) it closes the listener (new connections are refused),
 * prints "draining N connection(s)", lets the open connections run until
 * their clients close them, prints "drained" and exits 0.
 *
 * The server is one future that waits on two things at once: the signal
 * stream (struct fut_signal) and the listener. Each connection is a task
 * in a scope (struct fut_scope), so draining is awaiting the scope.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <futures.h>

/* ---- one connection: echo until the client closes ------------------------ */

struct conn {
    FUT_FRAME;
    struct fut_tcp_stream stream;
    unsigned int got, off;
    unsigned char buf[4096];
};

FUT_ASYNC_FN(conn, struct conn, c, cx)
{
    ssize_t n = 0;

    FUT_BEGIN(c, cx);
    for (;;) {
        FUT_AWAIT_POLL(fut_async_read_poll_read(&c->stream.reader, cx, c->buf,
                                                sizeof c->buf, &n));
        if (n <= 0)
            break;
        c->got = (unsigned int)n;
        for (c->off = 0; c->off < c->got; c->off += (unsigned int)n) {
            FUT_AWAIT_POLL(fut_async_write_poll_write(&c->stream.writer, cx,
                                                      c->buf + c->off,
                                                      c->got - c->off, &n));
            if (n < 0)
                FUT_RETURN((int)n);
        }
    }
    FUT_FINALLY;
    (void)fut_tcp_stream_close(&c->stream);
    FUT_END;
}

/* ---- the server ---------------------------------------------------------- */

enum { SERVING, DRAINING, DONE };

struct server {
    struct fut_future base;
    int state;
    int res;
    struct fut_tcp_listener listener;
    struct fut_signal stop;     /* SIGTERM and SIGINT */
    struct fut_scope conns;
    struct fut_scope_wait drain;
};

static enum fut_poll
server_poll(struct fut_future *f, struct fut_context *cx)
{
    struct server *s = (struct server *)f;
    struct conn c;
    int signo, res;

    while (s->state == SERVING) {
        /* The signal first: once asked to stop, accept nothing more. */
        if (fut_signal_poll_recv(&s->stop, cx, &signo, &res) == FUT_READY) {
            if (res != 0) {
                s->res = res;
                return FUT_READY;
            }
            (void)fut_tcp_listener_close(&s->listener);
            printf("draining %zu connection(s)\n", fut_scope_count(&s->conns));
            fflush(stdout);
            fut_scope_join_init(&s->drain, &s->conns);
            s->state = DRAINING;
            break;
        }
        memset(&c, 0, sizeof c);
        if (fut_tcp_listener_poll_accept(&s->listener, cx, &c.stream, &res) ==
            FUT_PENDING)
            return FUT_PENDING;
        if (res != 0) {
            fprintf(stderr, "drain-server: accept: %s\n", fut_strerror(res));
            continue;
        }
        FUT_FRAME_INIT(&c, conn);
        if (fut_scope_spawn(&s->conns, &c.base, sizeof c, NULL) != 0)
            (void)fut_tcp_stream_close(&c.stream);
    }
    if (fut_future_poll(&s->drain.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    fut_future_drop(&s->drain.base);
    s->state = DONE;
    s->res = 0;
    return FUT_READY;
}

static void
server_drop(struct fut_future *f)
{
    struct server *s = (struct server *)f;

    if (s->state == DRAINING)
        fut_future_drop(&s->drain.base);
    fut_scope_drop(&s->conns);
}

static const struct fut_future_vtable server_vtable = {
    .poll = server_poll,
    .drop = server_drop,
};

int
main(int argc, char **argv)
{
    struct fut_runtime rt;
    struct server s;
    sigset_t set;
    unsigned int port;
    int err;

    if (argc != 2 || sscanf(argv[1], "%u", &port) != 1 || port > 65535) {
        fprintf(stderr, "usage: drain-server PORT\n");
        return 2;
    }
    memset(&s, 0, sizeof s);
    s.base.vtable = &server_vtable;
    err = fut_runtime_init_default(&rt);
    if (err == 0)
        err = fut_tcp_listener_bind_host(&s.listener, "127.0.0.1", port, 0);
    if (err != 0) {
        fprintf(stderr, "drain-server: %s\n", fut_strerror(err));
        return 1;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    err = fut_signal_init(&s.stop, &set);
    if (err == 0)
        err = fut_scope_init(&s.conns, &rt, 0);
    if (err != 0) {
        fprintf(stderr, "drain-server: %s\n", fut_strerror(err));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", fut_tcp_listener_port(&s.listener));
    fflush(stdout);
    err = fut_block_on(&rt, &s.base);
    if (err == 0)
        err = s.res;
    fut_future_drop(&s.base);
    (void)fut_signal_close(&s.stop);
    if (s.state == SERVING)
        (void)fut_tcp_listener_close(&s.listener);
    fut_runtime_close(&rt);
    if (err != 0) {
        fprintf(stderr, "drain-server: %s\n", fut_strerror(err));
        return 1;
    }
    printf("drained\n");
    return 0;
}
