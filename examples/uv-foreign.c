/* SPDX-License-Identifier: MIT */
/* An epoll-runtime program using a component built on its own private libuv loop. */

/*
 * The "component" below is plain libuv code with a small callback API, the
 * way a third-party library built on libuv looks: it creates and owns a
 * uv_loop_t of its own and runs a TCP echo service in it. The program is
 * a futures program on the epoll backend (-lfutures-epoll); it runs the
 * component's loop as one task (fut_uv_drive), and talks to the service
 * from another task with a futures TCP connection.
 *
 *   usage: uv-foreign [MESSAGE]
 *   prints: component listening on 127.0.0.1:PORT
 *           echoed: MESSAGE
 *           component saw 1 connection, N bytes
 *           component loop finished: 0
 *           uv_loop_close: 0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include <futures.h>
#include <futures/compat-uv-drive.h>

/* ---- the component: plain libuv, its own loop ------------------------- */

struct echo_service {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_tcp_t conn;
    int has_conn;
    int connections;
    size_t bytes;
    char buf[4096];
};

static void
svc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct echo_service *s = h->data;

    buf->base = s->buf;
    buf->len = sizeof s->buf;
}

static void
svc_written(uv_write_t *req, int status)
{
    free(req);
}

static void
svc_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct echo_service *s = st->data;
    uv_write_t *req;
    uv_buf_t b;

    if (n < 0) {
        uv_close((uv_handle_t *)st, NULL);
        s->has_conn = 0;
        return;
    }
    s->bytes += (size_t)n;
    req = malloc(sizeof *req + (size_t)n);
    if (req == NULL)
        return;
    memcpy(req + 1, buf->base, (size_t)n);
    b = uv_buf_init((char *)(req + 1), (unsigned)n);
    if (uv_write(req, st, &b, 1, svc_written) != 0)
        free(req);
}

static void
svc_connection(uv_stream_t *l, int status)
{
    struct echo_service *s = l->data;

    if (status != 0 || s->has_conn)
        return;
    uv_tcp_init(&s->loop, &s->conn);
    s->conn.data = s;
    if (uv_accept(l, (uv_stream_t *)&s->conn) != 0) {
        uv_close((uv_handle_t *)&s->conn, NULL);
        return;
    }
    s->has_conn = 1;
    s->connections++;
    uv_read_start((uv_stream_t *)&s->conn, svc_alloc, svc_read);
}

/* Start the service on 127.0.0.1, any port; returns the port or < 0. */
static int
echo_service_start(struct echo_service *s)
{
    struct sockaddr_in a;
    struct sockaddr_storage bound;
    int len = sizeof bound;

    memset(s, 0, sizeof *s);
    if (uv_loop_init(&s->loop) != 0)
        return -1;
    uv_tcp_init(&s->loop, &s->listener);
    s->listener.data = s;
    uv_ip4_addr("127.0.0.1", 0, &a);
    if (uv_tcp_bind(&s->listener, (struct sockaddr *)&a, 0) != 0 ||
        uv_listen((uv_stream_t *)&s->listener, 16, svc_connection) != 0 ||
        uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound,
                           &len) != 0)
        return -1;
    return ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

/* The component's loop, for whoever runs it. */
static uv_loop_t *
echo_service_loop(struct echo_service *s)
{
    return &s->loop;
}

/* Stop accepting and close the connection: the loop then ends. */
static void
echo_service_stop(struct echo_service *s)
{
    uv_close((uv_handle_t *)&s->listener, NULL);
    if (s->has_conn) {
        uv_close((uv_handle_t *)&s->conn, NULL);
        s->has_conn = 0;
    }
}

static int
echo_service_free(struct echo_service *s)
{
    return uv_loop_close(&s->loop);
}

/* ---- the program: futures on epoll ------------------------------------ */

/* A client task: connect, send the message, read it back, stop the
 * component (from outside its loop's callbacks: kick the drive). */
struct client {
    struct fut_future base;
    int state;
    int port;
    const char *msg;
    struct echo_service *svc;
    struct fut_uv_drive *drive;
    struct fut_tcp_stream s;
    union {
        struct fut_tcp_connect c;
        struct fut_write_all w;
        struct fut_read_exact r;
    } op;
    char *buf;
    int res;
};

static enum fut_poll
client_fail(struct client *c, const char *what, int err)
{
    fprintf(stderr, "uv-foreign: %s: %s\n", what, fut_strerror(err));
    c->res = err;
    fut_tcp_stream_close(&c->s);
    echo_service_stop(c->svc);
    fut_uv_drive_kick(c->drive);
    return FUT_READY;
}

static enum fut_poll
client_poll(struct fut_future *base, struct fut_context *cx)
{
    struct client *c = (struct client *)base;
    struct sockaddr_storage ss;
    socklen_t len;
    size_t n = strlen(c->msg);
    int err;

    for (;;) {
        switch (c->state) {
        case 0:
            fut_tcp_stream_init(&c->s);
            err = fut_sockaddr_parse("127.0.0.1", (unsigned)c->port, &ss,
                                     &len);
            if (err == 0)
                err = fut_tcp_connect_init(&c->op.c, &c->s,
                                           (struct sockaddr *)&ss, len,
                                           5 * FUT_NSEC_PER_SEC);
            if (err != 0)
                return client_fail(c, "connect", err);
            c->state = 1;
            break;
        case 1:
            if (fut_future_poll(&c->op.c.base, cx) == FUT_PENDING)
                return FUT_PENDING;
            err = c->op.c.res;
            fut_future_drop(&c->op.c.base);
            if (err != 0)
                return client_fail(c, "connect", err);
            fut_write_all_init(&c->op.w, &c->s.writer, c->msg, n);
            c->state = 2;
            break;
        case 2:
            if (fut_future_poll(&c->op.w.base, cx) == FUT_PENDING)
                return FUT_PENDING;
            err = c->op.w.res;
            fut_future_drop(&c->op.w.base);
            if (err != 0)
                return client_fail(c, "write", err);
            fut_read_exact_init(&c->op.r, &c->s.reader, c->buf, n);
            c->state = 3;
            break;
        default:
            if (fut_future_poll(&c->op.r.base, cx) == FUT_PENDING)
                return FUT_PENDING;
            err = c->op.r.res;
            fut_future_drop(&c->op.r.base);
            if (err != 0)
                return client_fail(c, "read", err);
            c->buf[n] = '\0';
            printf("echoed: %s\n", c->buf);
            fut_tcp_stream_close(&c->s);
            echo_service_stop(c->svc);
            /* Handles were closed from a task, not from a callback of the
             * component's loop: tell the drive to look again. */
            fut_uv_drive_kick(c->drive);
            c->res = 0;
            return FUT_READY;
        }
    }
}

static void
client_drop(struct fut_future *base)
{
    struct client *c = (struct client *)base;

    fut_tcp_stream_close(&c->s);
}

static const struct fut_future_vtable client_vt = {
    .poll = client_poll,
    .drop = client_drop,
};

int
main(int argc, char **argv)
{
    static struct echo_service svc;
    struct fut_runtime rt;
    struct fut_uv_drive drive;
    struct client c;
    struct fut_task *t;
    int port, err, res;

    memset(&c, 0, sizeof c);
    c.msg = argc > 1 ? argv[1] : "hello from an epoll runtime";
    c.buf = malloc(strlen(c.msg) + 1);
    if (c.buf == NULL)
        return 1;
    port = echo_service_start(&svc);
    if (port < 0) {
        fprintf(stderr, "uv-foreign: the component did not start\n");
        return 1;
    }
    printf("component listening on 127.0.0.1:%d\n", port);
    err = fut_runtime_init_default(&rt);
    if (err != 0) {
        fprintf(stderr, "uv-foreign: runtime: %s\n", fut_strerror(err));
        return 1;
    }
    fut_uv_drive_init(&drive, echo_service_loop(&svc));
    c.base.vtable = &client_vt;
    c.port = port;
    c.svc = &svc;
    c.drive = &drive;
    /* The client runs as a task; the drive is awaited in place (pinned:
     * the client kicks it through its address). */
    err = fut_spawn(&rt, &c.base, sizeof c, &t);
    if (err == 0)
        err = fut_block_on(&rt, &drive.base);
    if (err == 0)
        err = fut_runtime_run(&rt);
    if (err != 0) {
        fprintf(stderr, "uv-foreign: %s\n", fut_strerror(err));
        return 1;
    }
    res = fut_task_result(t);
    fut_task_detach(t);
    printf("component saw %d connection, %zu bytes\n", svc.connections,
           svc.bytes);
    printf("component loop finished: %d\n", drive.res);
    fut_future_drop(&drive.base);
    fut_runtime_close(&rt);
    printf("uv_loop_close: %d\n", echo_service_free(&svc));
    free(c.buf);
    return res == 0 && drive.res == 0 ? 0 : 1;
}
