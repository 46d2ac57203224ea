/* SPDX-License-Identifier: MIT */
/* A TCP echo server: one task per connection, on the backend it links. */

/*
 * Usage: echo-server PORT
 *
 * Binds 127.0.0.1:PORT (0 picks a free port), prints "listening on
 * 127.0.0.1:PORT" once it accepts connections, and echoes every byte back
 * until it is killed. It uses only the core API: the backend is the one the
 * program is linked with (fut_runtime_init_default()).
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

/* One connection: the task's future holds the stream and its buffer, so a
 * connection costs one allocation (the spawn). */
struct echo_conn {
    struct fut_future base;
    int state;
    int open;
    struct fut_tcp_stream stream;
    ssize_t got;        /* bytes in buf */
    size_t off;         /* bytes of buf written back */
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
        for (c->off = 0; c->off < (size_t)c->got; c->off += (size_t)c->res) {
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
    c->open = 0;
    FUT_ASYNC_END(&c->state);
}

static void
echo_conn_drop(struct fut_future *f)
{
    struct echo_conn *c = (struct echo_conn *)f;

    if (c->open)
        (void)fut_tcp_stream_close(&c->stream);
    c->open = 0;
}

static const struct fut_future_vtable echo_conn_vtable = {
    .poll = echo_conn_poll,
    .drop = echo_conn_drop,
    .result = NULL,
};

/* The accept loop: spawns one echo_conn per connection, forever. */
struct echo_server {
    struct fut_future base;
    int state;
    struct fut_tcp_listener *listener;
    struct fut_tcp_stream accepted;
    int res;
    struct fut_sleep backoff;
};

static void
spawn_conn(struct fut_runtime *rt, struct fut_tcp_stream *s)
{
    struct echo_conn c;
    int err;

    /* The buffer is left uninitialised: spawn moves the whole future into
     * the task's one allocation, and the bytes are written before read. */
    c.base.vtable = &echo_conn_vtable;
    c.state = 0;
    c.open = 1;
    c.stream = *s;      /* never polled yet, so it may still move */
    err = FUT_SPAWN(rt, &c, NULL);
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
            spawn_conn(cx->rt, &srv->accepted);
            continue;
        }
        /* Out of descriptors or memory: the connection stays queued, so
         * back off a little instead of spinning on it. */
        fprintf(stderr, "echo-server: accept: %s\n",
                fut_strerror(srv->res));
        (void)fut_sleep_init(&srv->backoff, 10 * FUT_NSEC_PER_MSEC);
        FUT_AWAIT_FUTURE(&srv->state, &srv->backoff.base, cx);
        fut_future_drop(&srv->backoff.base);
    }
    FUT_ASYNC_END(&srv->state);
}

static void
echo_server_drop(struct fut_future *f)
{
    struct echo_server *srv = (struct echo_server *)f;

    fut_future_drop(&srv->backoff.base);
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
    char *end;
    unsigned long port;
    int err;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    errno = 0;
    port = strtoul(argv[1], &end, 10);
    if (errno != 0 || *end != '\0' || end == argv[1] || port > 65535) {
        fprintf(stderr, "echo-server: bad port '%s'\n", argv[1]);
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
    err = fut_block_on(&rt, &srv.base);
    /* Only a backend failure gets here: the accept loop never ends. */
    fprintf(stderr, "echo-server: %s\n", fut_strerror(err));
    fut_future_drop(&srv.base);
    (void)fut_runtime_close(&rt);
    (void)fut_tcp_listener_close(&listener);
    return 1;
}
