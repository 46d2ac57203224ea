/* SPDX-License-Identifier: MIT */
/* A TCP echo server: one task per connection, on the backend it links. */

/*
 * Usage: echo-server PORT [--lean] [--one-fd] [--no-spin]
 *
 * Binds 127.0.0.1:PORT (0 picks a free port), prints "listening on
 * 127.0.0.1:PORT" once it accepts connections, and echoes every byte back
 * until it is killed. It uses only the core API: the backend is the one the
 * program is linked with (fut_run() runs it on fut_backend_default()).
 *
 * By default each connection's task holds a 16 KiB read buffer, as the raw
 * servers of bench/raw do: this is the server the echo benchmark measures.
 * With --lean, a connection holds no buffer while it waits: its task awaits
 * readiness, reads into one buffer shared by every connection of the
 * runtime's thread, and writes back at once; only bytes the kernel would
 * not take yet are copied into an allocation of the connection's own,
 * freed once they are sent. An idle connection then costs its task and its
 * registration only (bench/idle-mem.sh).
 *
 * With --one-fd, the runtime is made with FUT_BACKEND_ONE_FD in its
 * backend config (struct fut_backend_config, through struct
 * fut_runtime_config): on libuv, libevent and libev the loop then watches
 * one epoll set of the runtime's rather than every connection (see
 * docs/backends.md); on epoll nothing changes. The benchmarks run both.
 *
 * With --no-spin, the runtime never polls the loop for a few microseconds
 * before it sleeps (FUT_RUNTIME_NO_SPIN, see struct fut_runtime_config);
 * the benchmarks run it beside the default to show what spinning changes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <futures.h>
#include <futures/backend.h> /* struct fut_backend_config */

#define ECHO_BUF_SIZE 16384

/*
 * One connection: the task's future holds the stream and its buffer, so a
 * connection costs one allocation (the spawn), as a raw server's does. The
 * fields before the buffer are packed (counts up to ECHO_BUF_SIZE fit an
 * unsigned int; what a poll reads and uses at once is a C local): together
 * with the frame, the task header and malloc's, they are what a connection
 * costs beyond its buffer (256 bytes on epoll).
 *
 * Spawn copies the whole future, so every page of the buffer is touched at
 * once, where a raw server's malloc'ed buffer is touched only as it reads.
 * Allocating the buffer at the first read would hide that from an idle
 * benchmark whose connections never sent more than a page, at the cost of
 * a second allocation; it would not help a connection that once received
 * 16 KiB, in either server. The buffer stays here, and --lean is the
 * answer for idle connections.
 */
struct echo_conn {
    FUT_FRAME;
    struct fut_tcp_stream stream;
    unsigned int got;   /* bytes in buf */
    unsigned int off;   /* bytes of buf written back */
    unsigned char buf[ECHO_BUF_SIZE];
};

FUT_ASYNC_FN(echo_conn, struct echo_conn, c, cx)
{
    ssize_t n = 0; /* read and used within one poll: a C local will do */

    FUT_BEGIN(c, cx);
    for (;;) {
        FUT_AWAIT_POLL(fut_async_read_poll_read(&c->stream.reader, cx, c->buf,
                                                sizeof c->buf, &n));
        if (n <= 0)
            break;      /* EOF or error: the connection is done */
        c->got = (unsigned int)n;
        for (c->off = 0; c->off < c->got; c->off += (unsigned int)n) {
            FUT_AWAIT_POLL(fut_async_write_poll_write(&c->stream.writer, cx,
                                                      c->buf + c->off,
                                                      c->got - c->off, &n));
            if (n < 0)
                FUT_RETURN((int)n); /* a write failed */
        }
    }
    FUT_FINALLY;
    /* Every exit closes the connection: the end, a failed write, and the
     * task dropped (the runtime closing) while it waits. */
    (void)fut_tcp_stream_close(&c->stream);
    FUT_END;
}

/* ---- --lean: no buffer while idle ---------------------------------------- */

/*
 * The one read buffer of every lean connection. The runtime is
 * single-threaded and a connection borrows the buffer only between its
 * try_read and its try_write, never across an await, so one is enough.
 */
static unsigned char lean_buf[ECHO_BUF_SIZE];

/* Bytes the kernel did not take yet, copied out of lean_buf. */
struct lean_unsent {
    size_t len;
    size_t off;         /* bytes of data already sent */
    unsigned char data[];
};

struct lean_conn {
    FUT_FRAME;
    struct fut_tcp_stream stream;
    struct lean_unsent *unsent; /* NULL unless a write fell short */
};

/* Echo lean_buf[0..n) at once; keep what the kernel would not take.
 * Returns 0 or -errno. */
static int
lean_echo(struct lean_conn *c, size_t n)
{
    ssize_t w = fut_tcp_stream_try_write(&c->stream, lean_buf, n);

    if (w == -EAGAIN)
        w = 0;
    if (w < 0)
        return (int)w;
    if ((size_t)w == n)
        return 0;
    c->unsent = malloc(sizeof *c->unsent + (n - (size_t)w));
    if (c->unsent == NULL)
        return -ENOMEM;
    c->unsent->len = n - (size_t)w;
    c->unsent->off = 0;
    memcpy(c->unsent->data, lean_buf + w, c->unsent->len);
    return 0;
}

FUT_ASYNC_FN(lean_conn, struct lean_conn, c, cx)
{
    struct lean_unsent *u;
    ssize_t n;
    int err = 0;

    FUT_BEGIN(c, cx);
    for (;;) {
        /* Idle here, holding nothing but the stream. Nothing is read
         * while bytes are still unsent: the peer is held back as the
         * default server holds it back. */
        FUT_AWAIT_POLL(fut_tcp_stream_poll_read_ready(&c->stream, cx, &err));
        if (err != 0)
            FUT_RETURN(err);
        n = fut_tcp_stream_try_read(&c->stream, lean_buf, sizeof lean_buf);
        if (n == -EAGAIN)
            continue;   /* stale readiness, now cleared: wait again */
        if (n <= 0)
            FUT_RETURN((int)n); /* EOF or error: the connection is done */
        err = lean_echo(c, (size_t)n);
        if (err != 0)
            FUT_RETURN(err);
        while (c->unsent != NULL) {
            FUT_AWAIT_POLL(
                fut_tcp_stream_poll_write_ready(&c->stream, cx, &err));
            if (err != 0)
                FUT_RETURN(err);
            u = c->unsent;
            n = fut_tcp_stream_try_write(&c->stream, u->data + u->off,
                                         u->len - u->off);
            if (n == -EAGAIN)
                continue;
            if (n < 0)
                FUT_RETURN((int)n);
            u->off += (size_t)n;
            if (u->off == u->len) {
                free(u);
                c->unsent = NULL;
            }
        }
    }
    FUT_FINALLY;
    free(c->unsent);
    c->unsent = NULL;
    (void)fut_tcp_stream_close(&c->stream);
    FUT_END;
}

/* The accept loop: spawns one connection task per connection, forever. */
struct echo_server {
    FUT_FRAME;
    int lean;           /* spawn lean_conn tasks */
    struct fut_tcp_listener *listener;
    struct fut_tcp_stream accepted;
    int res;
};

FUT_ASYNC_FN(echo_server, struct echo_server, srv, cx)
{
    int err;

    FUT_BEGIN(srv, cx);
    for (;;) {
        FUT_AWAIT_POLL(fut_tcp_listener_poll_accept(srv->listener, cx,
                                                    &srv->accepted,
                                                    &srv->res));
        if (srv->res != 0) {
            /* Out of descriptors, the listener refuses connections itself
             * (its spare descriptor) and waits: no back-off needed here.
             * What is left (ENOBUFS, ENOMEM, EPERM) leaves the connection
             * queued; stop rather than spin on it. */
            fprintf(stderr, "echo-server: accept: %s\n",
                    fut_strerror(srv->res));
            FUT_RETURN(srv->res);
        }
        (void)fut_tcp_stream_set_nodelay(&srv->accepted, 1);
        /* A failed spawn drops the new task's future, which closes the
         * stream it was given. */
        if (srv->lean)
            FUT_SPAWN_NEW(err, cx->rt, NULL, lean_conn,
                          .stream = srv->accepted);
        else
            FUT_SPAWN_NEW(err, cx->rt, NULL, echo_conn,
                          .stream = srv->accepted);
        if (err != 0)
            fprintf(stderr, "echo-server: spawn: %s\n", fut_strerror(err));
    }
    /* The listener and the connections' tasks are not ours: no cleanup. */
    FUT_END;
}

int
main(int argc, char **argv)
{
    struct fut_tcp_listener listener;
    struct rlimit rl;
    struct echo_server srv;
    const char *port_arg = NULL;
    char *end;
    unsigned long port;
    int lean = 0, one_fd = 0, no_spin = 0;
    int i, err;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lean") == 0)
            lean = 1;
        else if (strcmp(argv[i], "--one-fd") == 0)
            one_fd = 1;
        else if (strcmp(argv[i], "--no-spin") == 0)
            no_spin = 1;
        else if (port_arg == NULL && argv[i][0] != '-')
            port_arg = argv[i];
        else
            break;      /* an unknown option, or a second port */
    }
    if (port_arg == NULL || i < argc) {
        fprintf(stderr, "usage: %s PORT [--lean] [--one-fd] [--no-spin]\n", argv[0]);
        return 2;
    }
    errno = 0;
    port = strtoul(port_arg, &end, 10);
    if (errno != 0 || *end != '\0' || end == port_arg || port > 65535) {
        fprintf(stderr, "echo-server: bad port '%s'\n", port_arg);
        return 2;
    }
    /* Sockets already write with MSG_NOSIGNAL; this covers anything else
     * a user might add. */
    signal(SIGPIPE, SIG_IGN);
    /* One descriptor per connection: take what the hard limit allows. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }

    err = fut_tcp_listener_bind_host(&listener, "127.0.0.1",
                                     (unsigned int)port, 4096);
    if (err != 0) {
        fprintf(stderr, "echo-server: bind 127.0.0.1:%lu: %s\n", port,
                fut_strerror(err));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", fut_tcp_listener_port(&listener));
    fflush(stdout);

    srv = FUT_FRAME_VALUE(echo_server, .listener = &listener, .lean = lean);
    {
        /* fut_run(&srv.base) would do for the defaults; the options need
         * a runtime of our own (and the benchmarks compare the options
         * with one code path). */
        struct fut_backend_config bc = { .version = 1,
                                         .flags = FUT_BACKEND_ONE_FD };
        struct fut_runtime_config cfg = {
            .version = FUT_RUNTIME_CONFIG_VERSION,
            .flags = no_spin ? FUT_RUNTIME_NO_SPIN : 0,
            .backend = one_fd ? &bc : NULL
        };
        struct fut_runtime rt;

        err = fut_runtime_init(&rt, fut_backend_default(), &cfg);
        if (err == 0) {
            err = fut_block_on(&rt, &srv.base);
            (void)fut_runtime_close(&rt);
        }
    }
    /* Only a backend failure, or an accept error other than running out
     * of descriptors, gets here. */
    fprintf(stderr, "echo-server: %s\n",
            fut_strerror(err != 0 ? err : fut_future_result(&srv.base)));
    fut_future_drop(&srv.base);
    (void)fut_tcp_listener_close(&listener);
    return 1;
}
