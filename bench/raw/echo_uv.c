/* SPDX-License-Identifier: MIT */
/* Raw libuv echo server baseline: echo_uv PORT (0 = any free port). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define BUF 16384

struct conn {
    uv_tcp_t tcp;               /* first: the handle pointer is the conn pointer */
    uv_write_t wreq;
    char buf[BUF];
};

static uv_loop_t *loop;

static void
on_close(uv_handle_t *h)
{
    free(h);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)hint;
    struct conn *c = (struct conn *)h;
    *b = uv_buf_init(c->buf, BUF);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

static void
on_write(uv_write_t *req, int status)
{
    struct conn *c = req->data;
    if (status < 0 || uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
        uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct conn *c = (struct conn *)s;
    if (n == 0)
        return;
    if (n < 0) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    uv_buf_t out = uv_buf_init(b->base, (unsigned)n);
    int w = uv_try_write(s, &out, 1);
    if (w == n)
        return;
    if (w < 0 && w != UV_EAGAIN) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    if (w > 0) {
        out.base += w;
        out.len -= (size_t)w;
    }
    /* Rest stays in c->buf: stop reading until it is written. */
    uv_read_stop(s);
    c->wreq.data = c;
    if (uv_write(&c->wreq, s, &out, 1, on_write) < 0)
        uv_close((uv_handle_t *)s, on_close);
}

static void
on_conn(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    struct conn *c = malloc(sizeof *c);
    if (!c)
        return;
    uv_tcp_init(loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        uv_close((uv_handle_t *)&c->tcp, on_close);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
        uv_close((uv_handle_t *)&c->tcp, on_close);
}

int
main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    static uv_tcp_t server;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    uv_tcp_init(loop, &server);
    /* libuv sets SO_REUSEADDR on bind for TCP. */
    int r = uv_tcp_bind(&server, (const struct sockaddr *)&sa, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&server, 4096, on_conn);
    if (r < 0) {
        fprintf(stderr, "bind/listen: %s\n", uv_strerror(r));
        return 1;
    }
    int sl = sizeof sa;
    uv_tcp_getsockname(&server, (struct sockaddr *)&sa, &sl);
    printf("listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
