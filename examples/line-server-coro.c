/* SPDX-License-Identifier: MIT */
/* The line server of line-server.c written as coroutines. */

/*
 * Usage: line-server-coro PORT
 *
 * The same program as line-server.c: every line answered in capitals, a
 * line over 1 KiB answered "ERR line too long" and the connection closed,
 * an idle connection (no full line for 2 s) closed; the connections are
 * coroutines in a scope, cancelled with it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <futures.h>

#define LINE_MAX_BYTES 1024
#define IDLE_NS (2 * FUT_NSEC_PER_SEC)

struct conn {
    struct fut_coro co;
    struct fut_tcp_stream stream;
};

static int
serve(void *arg)
{
    static const char too_long[] = "ERR line too long\n";
    struct conn *c = arg;
    struct fut_bufreader br;
    unsigned char buf[4096];
    char line[LINE_MAX_BYTES];
    ssize_t n, i;
    int err;

    err = fut_bufreader_init(&br, &c->stream.reader, buf, sizeof buf);
    while (err == 0 &&
           (n = fut_co_read_line(&br, line, sizeof line, IDLE_NS)) > 0) {
        for (i = 0; i < n; i++)
            line[i] = (char)toupper((unsigned char)line[i]);
        err = fut_co_write_all(&c->stream.writer, line, (size_t)n);
    }
    if (err == 0 && n == -EMSGSIZE)
        err = fut_co_write_all(&c->stream.writer, too_long,
                               sizeof too_long - 1);
    (void)fut_tcp_stream_close(&c->stream);
    return err;
}

static int
accept_loop(void *arg)
{
    struct fut_tcp_listener *l = arg;
    struct fut_scope scope;
    struct conn c;
    int err = fut_scope_init(&scope, fut_coro_context()->rt, 0);

    while (err == 0 && (err = fut_co_accept(l, &c.stream)) == 0) {
        fut_coro_init_self(&c.co, serve, NULL);
        if (fut_scope_spawn(&scope, &c.co.base, sizeof c, NULL) != 0)
            fut_future_drop(&c.co.base); /* runs it cancelled: closes */
    }
    fut_scope_drop(&scope); /* cancels the connections */
    return err;
}

int
main(int argc, char **argv)
{
    struct fut_tcp_listener listener;
    struct fut_coro co;
    int err;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    err = fut_tcp_listener_bind_host(&listener, "127.0.0.1",
                                     (unsigned int)atoi(argv[1]), 128);
    if (err != 0) {
        fprintf(stderr, "line-server: bind: %s\n", fut_strerror(err));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", fut_tcp_listener_port(&listener));
    fflush(stdout);
    fut_coro_init(&co, accept_loop, &listener, NULL);
    err = fut_run(&co.base);
    if (err == 0)
        err = fut_future_result(&co.base);
    fut_future_drop(&co.base);
    (void)fut_tcp_listener_close(&listener);
    fprintf(stderr, "line-server: %s\n", fut_strerror(err));
    return 1;
}
