/* SPDX-License-Identifier: MIT */
/* A TCP echo server: one task per connection, on the backend it links. */

/*
 * Usage: echo-server PORT [--lean]
 *
 * Binds 127.0.0.1:PORT (0 picks a free port), prints "listening on
 * 127.0.0.1:PORT" once it accepts connections, and echoes every byte back
 * until it is killed. It uses only the core API: the backend is the one the
 * program is linked with (fut_runtime_init_default()).
 *
 * By default each connection's task holds a 16 KiB read buffer, as the raw
 * servers of bench/raw do: this is the server the echo benchmark measures.
 * With --lean, a connection holds no buffer while it waits: its task awaits
 * readiness, reads into one buffer shared by every connection of the
 * runtime's thread, and writes back at once; only bytes the kernel would
 * not take yet are copied into an allocation of the connection's own,
 * freed once they are sent. An idle connection then costs its task and its
 * registration only (bench/idle-mem.sh).
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <futures.h>

#define ECHO_BUF_SIZE 16384

/*
 * One connection: the task's future holds the stream and its buffer, so a
 * connection costs one allocation (the spawn), as a raw server's does. The
 * fields before the buffer are packed (the buffer offset is at most
 * ECHO_BUF_SIZE, so it shares a word with the resume point): together with
 * the task header and malloc's, they are what a connection costs beyond
 * its buffer (240 bytes on epoll).
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
    struct fut_future base;
    int state;
    unsigned int off;   /* bytes of buf written back */
    struct fut_tcp_stream stream;
    ssize_t got;        /* bytes in buf */
    ssize_t res;
    unsigned char buf[ECHO_BUF_SIZE];
};

static enum fut_poll
echo_conn_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_conn *c = (struct echo_conn *)f;

    FUT_ASYNC_BEGIN(&c->state);
    for (;;) {
        FUT_AWAIT(&c->state,
                  fut_async_read_poll_read(&c->stream.reader, cx, c->buf,
                                           sizeof c->buf, &c->got));
        if (c->got <= 0)
            break;      /* EOF or error: the connection is done */
        for (c->off = 0; c->off < (size_t)c->got;
             c->off += (unsigned int)c->res) {
            FUT_AWAIT(&c->state,
                      fut_async_write_poll_write(&c->stream.writer, cx,
                                                 c->buf + c->off,
                                                 (size_t)c->got - c->off,
                                                 &c->res));
            if (c->res < 0)
                break;
        }
        if (c->off < (size_t)c->got)
            break;      /* a write failed */
    }
    (void)fut_tcp_stream_close(&c->stream);
    FUT_ASYNC_END(&c->state);
}

static void
echo_conn_drop(struct fut_future *f)
{
    struct echo_conn *c = (struct echo_conn *)f;

    /* -EBADF, harmlessly, when the poll closed it already. */
    (void)fut_tcp_stream_close(&c->stream);
}

static const struct fut_future_vtable echo_conn_vtable = {
    .poll = echo_conn_poll,
    .drop = echo_conn_drop,
    .result = NULL,
};

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
    struct fut_future base;
    int state;
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

static void
lean_conn_release(struct lean_conn *c)
{
    free(c->unsent);
    c->unsent = NULL;
    (void)fut_tcp_stream_close(&c->stream);
}

static enum fut_poll
lean_conn_poll(struct fut_future *f, struct fut_context *cx)
{
    struct lean_conn *c = (struct lean_conn *)f;
    struct lean_unsent *u;
    ssize_t n;
    int err;

    FUT_ASYNC_BEGIN(&c->state);
    for (;;) {
        /* Idle here, holding nothing but the stream. Nothing is read
         * while bytes are still unsent: the peer is held back as the
         * default server holds it back. */
        FUT_AWAIT(&c->state,
                  fut_tcp_stream_poll_read_ready(&c->stream, cx, &err));
        if (err != 0)
            break;
        n = fut_tcp_stream_try_read(&c->stream, lean_buf, sizeof lean_buf);
        if (n == -EAGAIN)
            continue;   /* stale readiness, now cleared: wait again */
        if (n <= 0)
            break;      /* EOF or error: the connection is done */
        if (lean_echo(c, (size_t)n) != 0)
            break;
        while (c->unsent != NULL) {
            FUT_AWAIT(&c->state,
                      fut_tcp_stream_poll_write_ready(&c->stream, cx, &err));
            if (err != 0)
                goto done;
            u = c->unsent;
            n = fut_tcp_stream_try_write(&c->stream, u->data + u->off,
                                         u->len - u->off);
            if (n == -EAGAIN)
                continue;
            if (n < 0)
                goto done;
            u->off += (size_t)n;
            if (u->off == u->len) {
                free(u);
                c->unsent = NULL;
            }
        }
    }
done:
    lean_conn_release(c);
    FUT_ASYNC_END(&c->state);
}

static void
lean_conn_drop(struct fut_future *f)
{
    lean_conn_release((struct lean_conn *)f);
}

static const struct fut_future_vtable lean_conn_vtable = {
    .poll = lean_conn_poll,
    .drop = lean_conn_drop,
    .result = NULL,
};

/* The accept loop: spawns one echo_conn per connection, forever. */
struct echo_server {
    struct fut_future base;
    int state;
    int lean;           /* spawn lean_conn tasks */
    struct fut_tcp_listener *listener;
    struct fut_tcp_stream accepted;
    int res;
};

static void
spawn_conn(struct fut_runtime *rt, struct fut_tcp_stream *s, int lean)
{
    struct echo_conn c;
    struct lean_conn lc;
    int err;

    if (lean) {
        lc.base.vtable = &lean_conn_vtable;
        lc.state = 0;
        lc.stream = *s; /* never polled yet, so it may still move */
        lc.unsent = NULL;
        err = FUT_SPAWN(rt, &lc, NULL);
    } else {
        /* The buffer is left uninitialised: spawn moves the whole future
         * into the task's one allocation, and the bytes are written
         * before read. */
        c.base.vtable = &echo_conn_vtable;
        c.state = 0;
        c.stream = *s;  /* never polled yet, so it may still move */
        err = FUT_SPAWN(rt, &c, NULL);
    }
    if (err != 0) {
        fprintf(stderr, "echo-server: spawn: %s\n", fut_strerror(err));
        (void)fut_tcp_stream_close(s);
    }
}

static enum fut_poll
echo_server_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_server *srv = (struct echo_server *)f;

    FUT_ASYNC_BEGIN(&srv->state);
    for (;;) {
        FUT_AWAIT(&srv->state,
                  fut_tcp_listener_poll_accept(srv->listener, cx,
                                               &srv->accepted, &srv->res));
        if (srv->res == 0) {
            (void)fut_tcp_stream_set_nodelay(&srv->accepted, 1);
            spawn_conn(cx->rt, &srv->accepted, srv->lean);
            continue;
        }
        /* Out of descriptors, the listener refuses connections itself
         * (its spare descriptor) and waits: no back-off needed here. What
         * is left (ENOBUFS, ENOMEM, EPERM) leaves the connection queued;
         * stop rather than spin on it. */
        fprintf(stderr, "echo-server: accept: %s\n",
                fut_strerror(srv->res));
        break;
    }
    FUT_ASYNC_END(&srv->state);
}

static void
echo_server_drop(struct fut_future *f)
{
    /* The listener and the accepted streams' tasks are not ours. */
    (void)f;
}

static const struct fut_future_vtable echo_server_vtable = {
    .poll = echo_server_poll,
    .drop = echo_server_drop,
    .result = NULL,
};

int
main(int argc, char **argv)
{
    struct fut_runtime rt;
    struct fut_tcp_listener listener;
    struct rlimit rl;
    struct echo_server srv;
    struct sockaddr_storage ss;
    socklen_t len;
    const char *port_arg = NULL;
    char *end;
    unsigned long port;
    int lean = 0;
    int i, err;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lean") == 0)
            lean = 1;
        else if (port_arg == NULL && argv[i][0] != '-')
            port_arg = argv[i];
        else
            break;      /* an unknown option, or a second port */
    }
    if (port_arg == NULL || i < argc) {
        fprintf(stderr, "usage: %s PORT [--lean]\n", argv[0]);
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

    err = fut_runtime_init_default(&rt);
    if (err != 0) {
        fprintf(stderr, "echo-server: runtime: %s\n", fut_strerror(err));
        return 1;
    }
    err = fut_sockaddr_parse("127.0.0.1", (unsigned int)port, &ss, &len);
    if (err == 0)
        err = fut_tcp_listener_bind(&listener, (struct sockaddr *)&ss, len,
                                    4096);
    if (err == 0)
        err = fut_tcp_listener_local_addr(&listener, &ss, &len);
    if (err != 0) {
        fprintf(stderr, "echo-server: bind 127.0.0.1:%lu: %s\n", port,
                fut_strerror(err));
        (void)fut_runtime_close(&rt);
        return 1;
    }
    printf("listening on 127.0.0.1:%u\n",
           (unsigned int)ntohs(((struct sockaddr_in *)&ss)->sin_port));
    fflush(stdout);

    memset(&srv, 0, sizeof srv);
    srv.base.vtable = &echo_server_vtable;
    srv.listener = &listener;
    srv.lean = lean;
    err = fut_block_on(&rt, &srv.base);
    /* Only a backend failure, or an accept error other than running out
     * of descriptors, gets here. */
    fprintf(stderr, "echo-server: %s\n", fut_strerror(err));
    fut_future_drop(&srv.base);
    (void)fut_runtime_close(&rt);
    (void)fut_tcp_listener_close(&listener);
    return 1;
}
