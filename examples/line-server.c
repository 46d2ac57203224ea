/* SPDX-License-Identifier: MIT */
/* A line-protocol server: a task per connection in a scope, bounded line reads, an idle timeout. */

/*
 * Usage: line-server PORT
 *
 * Binds 127.0.0.1:PORT (0 picks a free port), prints "listening on
 * 127.0.0.1:PORT", and answers every line with the same line in capitals.
 * A line longer than 1 KiB gets "ERR line too long" and the connection is
 * closed; so is a connection that sends no full line for 2 seconds.
 * Written with async frames; examples/line-server-tokio.rs.txt is the
 * same program in Rust, for comparison.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <futures.h>

#define LINE_MAX_BYTES 1024
#define IDLE_NS (2 * FUT_NSEC_PER_SEC)

struct conn {
    FUT_FRAME;
    struct fut_tcp_stream stream;
    struct fut_bufreader br;
    unsigned char buf[4096];
    char line[LINE_MAX_BYTES];
    struct fut_read_line read;  /* runs inside the timeout */
    union {
        struct fut_timeout timeout;
        struct fut_write_all write;
    } op;
};

/* The next line, under the idle timeout. */
static int
read_line_init(struct conn *c)
{
    int err = fut_read_line_init(&c->read, &c->br, c->line, sizeof c->line);

    return err != 0 ? err : fut_timeout_init(&c->op.timeout, &c->read.base,
                                             IDLE_NS);
}

static int
reply_init(struct conn *c, const char *s, size_t len)
{
    return fut_write_all_init(&c->op.write, &c->stream.writer, s, len);
}

FUT_ASYNC_FN(conn, struct conn, c, cx)
{
    static const char too_long[] = "ERR line too long\n";
    ssize_t i;
    int err;

    FUT_BEGIN(c, cx);
    err = fut_bufreader_init(&c->br, &c->stream.reader, c->buf, sizeof c->buf);
    if (err != 0)
        FUT_RETURN(err);
    for (;;) {
        FUT_AWAIT_CHILD(err, &c->op.timeout, read_line_init(c));
        if (err == -EMSGSIZE) {
            FUT_AWAIT_TRY(&c->op.write, reply_init(c, too_long,
                                                   sizeof too_long - 1));
            FUT_RETURN(-EMSGSIZE);
        }
        if (err != 0 || c->read.res == 0)
            FUT_RETURN(err); /* idle, an error, or EOF */
        for (i = 0; i < c->read.res; i++)
            c->line[i] = (char)toupper((unsigned char)c->line[i]);
        FUT_AWAIT_TRY(&c->op.write, reply_init(c, c->line,
                                               (size_t)c->read.res));
    }
    FUT_FINALLY;
    (void)fut_tcp_stream_close(&c->stream);
    FUT_END;
}

/* The accept loop: every connection's task lives in the scope, so that
 * dropping the server cancels them all. */
struct server {
    FUT_FRAME;
    struct fut_tcp_listener *listener;
    struct fut_scope scope;
    struct fut_tcp_stream accepted;
    struct fut_tcp_accept accept;
};

FUT_ASYNC_FN(server, struct server, s, cx)
{
    struct conn c;
    int err;

    FUT_BEGIN(s, cx);
    err = fut_scope_init(&s->scope, cx->rt, 0);
    if (err != 0)
        FUT_RETURN(err);
    for (;;) {
        FUT_AWAIT_TRY(&s->accept, fut_tcp_accept_init(&s->accept, s->listener,
                                                      &s->accepted));
        c = FUT_FRAME_VALUE(conn, .stream = s->accepted);
        if (fut_scope_spawn(&s->scope, &c.base, sizeof c, NULL) != 0)
            fut_future_drop(&c.base); /* closes the stream */
    }
    FUT_FINALLY;
    fut_scope_drop(&s->scope); /* any state: even never initialised */
    FUT_END;
}

int
main(int argc, char **argv)
{
    struct fut_tcp_listener listener;
    struct server srv;
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
    srv = FUT_FRAME_VALUE(server, .listener = &listener);
    err = fut_run(&srv.base);
    if (err == 0)
        err = fut_future_result(&srv.base);
    fut_future_drop(&srv.base);
    (void)fut_tcp_listener_close(&listener);
    fprintf(stderr, "line-server: %s\n", fut_strerror(err));
    return 1;
}
