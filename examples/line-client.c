/* SPDX-License-Identifier: MIT */
/* A client for line-server: checks the replies, the line limit and the idle timeout. */

/*
 * Usage: line-client PORT
 *
 * Three connections to 127.0.0.1:PORT, at the same time: one sends 100
 * lines and checks each reply; one sends a line over the server's limit
 * and expects "ERR line too long" and the end of the stream; one sends
 * nothing and expects the server to close it (its idle timeout). Exits 0
 * when all three saw what they expected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <futures.h>

enum mode { TALK, TOO_LONG, IDLE };

struct client {
    FUT_FRAME;
    enum mode mode;
    const struct sockaddr_storage *addr;
    socklen_t addrlen;
    int *ok;                    /* set when the check passed */
    int i;
    struct fut_tcp_stream stream;
    struct fut_bufreader br;
    unsigned char buf[4096];
    char out[2048], in[2048];
    size_t out_len;
    struct fut_read_line read;
    union {
        struct fut_tcp_connect connect;
        struct fut_write_all write;
    } op;
};

static int
send_init(struct client *c)
{
    if (c->mode == TOO_LONG) {
        memset(c->out, 'x', 1500);
        c->out[1500] = '\n';
        c->out_len = 1501;
    } else {
        c->out_len = (size_t)snprintf(c->out, sizeof c->out, "hello %d\n",
                                      c->i);
    }
    return fut_write_all_init(&c->op.write, &c->stream.writer, c->out,
                              c->out_len);
}

FUT_ASYNC_FN(client, struct client, c, cx)
{
    char want[64];
    int err;

    FUT_BEGIN(c, cx);
    FUT_AWAIT_TRY(&c->op.connect,
                  fut_tcp_connect_init(&c->op.connect, &c->stream,
                                       (const struct sockaddr *)c->addr,
                                       c->addrlen, 10 * FUT_NSEC_PER_SEC));
    err = fut_bufreader_init(&c->br, &c->stream.reader, c->buf, sizeof c->buf);
    if (err != 0)
        FUT_RETURN(err);
    for (c->i = 0; c->mode != IDLE && c->i < (c->mode == TALK ? 100 : 1);
         c->i++) {
        FUT_AWAIT_TRY(&c->op.write, send_init(c));
        FUT_AWAIT_TRY(&c->read, fut_read_line_init(&c->read, &c->br, c->in,
                                                   sizeof c->in));
        if (c->mode == TALK)
            snprintf(want, sizeof want, "HELLO %d\n", c->i);
        else
            snprintf(want, sizeof want, "ERR line too long\n");
        if ((size_t)c->read.res != strlen(want) ||
            memcmp(c->in, want, strlen(want)) != 0)
            FUT_RETURN(-EBADMSG);
    }
    if (c->mode != TALK) {
        /* The server ends the stream: after the error, or when idle. */
        FUT_AWAIT_TRY(&c->read, fut_read_line_init(&c->read, &c->br, c->in,
                                                   sizeof c->in));
        if (c->read.res != 0)
            FUT_RETURN(-EBADMSG);
    }
    *c->ok = 1;
    FUT_FINALLY;
    (void)fut_tcp_stream_close(&c->stream);
    FUT_END;
}

static void
client_init(struct client *c, enum mode mode,
            const struct sockaddr_storage *addr, socklen_t addrlen, int *ok)
{
    memset(c, 0, sizeof *c);
    FUT_FRAME_INIT(c, client);
    (void)fut_tcp_stream_init(&c->stream);
    c->mode = mode;
    c->addr = addr;
    c->addrlen = addrlen;
    c->ok = ok;
}

int
main(int argc, char **argv)
{
    static const char *const names[] = { "talk", "too long", "idle" };
    struct sockaddr_storage ss;
    socklen_t len;
    struct fut_runtime rt;
    int ok[3] = { 0, 0, 0 };
    int m, err;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    err = fut_sockaddr_parse("127.0.0.1", (unsigned int)atoi(argv[1]), &ss,
                             &len);
    if (err == 0)
        err = fut_runtime_init_default(&rt);
    for (m = TALK; err == 0 && m <= IDLE; m++)
        FUT_SPAWN_WITH(err, &rt, NULL, struct client, client_init,
                       (enum mode)m, &ss, len, &ok[m]);
    if (err == 0)
        err = fut_runtime_run(&rt);
    (void)fut_runtime_close(&rt);
    for (m = TALK; m <= IDLE; m++) {
        printf("line-client: %s: %s\n", names[m], ok[m] ? "OK" : "FAILED");
        if (!ok[m])
            err = err != 0 ? err : -EPROTO;
    }
    return err == 0 ? 0 : 1;
}
