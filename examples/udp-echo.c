/* SPDX-License-Identifier: MIT */
/* A UDP echo server and a client that checks every echo, in one program. */

/*
 * Usage: udp-echo server PORT
 *        udp-echo client PORT N [SIZE=64]
 *
 * The server binds 127.0.0.1:PORT (0: a free port), prints
 * "listening on 127.0.0.1:PORT" and sends every datagram back to its
 * sender, forever. The client sends N datagrams of SIZE bytes (each
 * carrying its sequence number) to 127.0.0.1:PORT, one at a time, and
 * checks that each comes back whole. UDP may lose a datagram even on the
 * loopback, so a datagram whose echo has not come within 500 ms is sent
 * again (at most 5 times). Exits 0 when all N came back intact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <futures.h>

#define MAX_DGRAM 65507

/* ---- server ----------------------------------------------------------------- */

struct server {
    struct fut_future base;
    int state;
    struct fut_udp_socket *sock;
    struct fut_dgram_info from;
    ssize_t got, sent;
    unsigned char buf[MAX_DGRAM];
};

static enum fut_poll
server_poll(struct fut_future *f, struct fut_context *cx)
{
    struct server *s = (struct server *)f;

    FUT_ASYNC_BEGIN(&s->state);
    for (;;) {
        FUT_AWAIT(&s->state,
                  fut_udp_poll_recv_from(s->sock, cx, s->buf, sizeof s->buf,
                                         &s->from, &s->got));
        if (s->got < 0) {
            /* A truncated datagram cannot happen with a 64 KiB buffer;
             * anything else (ICMP errors do not reach an unconnected
             * socket) is reported and the server goes on. */
            fprintf(stderr, "udp-echo: recv: %s\n", fut_strerror((int)s->got));
            continue;
        }
        FUT_AWAIT(&s->state,
                  fut_udp_poll_send_to(s->sock, cx, s->buf, (size_t)s->got,
                                       (const struct sockaddr *)&s->from.addr,
                                       s->from.addrlen, &s->sent));
        if (s->sent < 0)
            fprintf(stderr, "udp-echo: send: %s\n",
                    fut_strerror((int)s->sent));
    }
    FUT_ASYNC_END(&s->state);
}

static void
server_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable server_vtable = {
    .poll = server_poll,
    .drop = server_drop,
    .result = NULL,
};

static int
run_server(unsigned int port)
{
    struct fut_udp_socket sock;
    struct server *srv;
    int err;

    err = fut_udp_bind_host(&sock, "127.0.0.1", port, 0);
    if (err != 0) {
        fprintf(stderr, "udp-echo: bind 127.0.0.1:%u: %s\n", port,
                fut_strerror(err));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", fut_udp_port(&sock));
    fflush(stdout);
    srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        (void)fut_udp_close(&sock);
        return 1;
    }
    srv->base.vtable = &server_vtable;
    srv->sock = &sock;
    err = fut_run(&srv->base);
    fprintf(stderr, "udp-echo: %s\n", fut_strerror(err));
    fut_future_drop(&srv->base);
    free(srv);
    (void)fut_udp_close(&sock);
    return 1;
}

/* ---- client ----------------------------------------------------------------- */

struct client {
    struct fut_future base;
    int state;
    struct fut_udp_socket *sock;
    unsigned long n, size, seq, tries, ok;
    int failed;
    struct fut_dgram_send send;
    struct fut_dgram_recv recv;
    struct fut_timeout timeout;
    unsigned char *out, *in;
};

/* Datagram @seq: its number, then a pattern that depends on it. */
static void
fill(unsigned char *p, unsigned long size, unsigned long seq)
{
    unsigned long i;

    for (i = 0; i < size; i++)
        p[i] = (unsigned char)(i < sizeof seq ? seq >> (8 * i) : seq + i);
}

static enum fut_poll
client_poll(struct fut_future *f, struct fut_context *cx)
{
    struct client *c = (struct client *)f;

    FUT_ASYNC_BEGIN(&c->state);
    for (c->seq = 0; c->seq < c->n; c->seq++) {
        fill(c->out, c->size, c->seq);
        for (c->tries = 0; c->tries < 5; c->tries++) {
            (void)fut_udp_send_init(&c->send, c->sock, c->out, c->size, NULL,
                                    0);
            FUT_AWAIT_FUTURE(&c->state, &c->send.base, cx);
            fut_future_drop(&c->send.base);
            if (c->send.res != (ssize_t)c->size) {
                fprintf(stderr, "udp-echo: send %lu: %s\n", c->seq,
                        fut_strerror((int)c->send.res));
                c->failed = 1;
                FUT_ASYNC_RETURN(&c->state);
            }
            /* Wait for this echo; a late echo of an earlier try (same
             * number) is as good, an older datagram is skipped. */
            for (;;) {
                (void)fut_udp_recv_init(&c->recv, c->sock, c->in, c->size,
                                        NULL);
                (void)fut_timeout_init(&c->timeout, &c->recv.base,
                                       500 * FUT_NSEC_PER_MSEC);
                FUT_AWAIT_FUTURE(&c->state, &c->timeout.base, cx);
                fut_future_drop(&c->timeout.base);
                if (c->timeout.timed_out) {
                    fut_future_drop(&c->recv.base);
                    break;
                }
                fut_future_drop(&c->recv.base);
                if (c->recv.res < 0) {
                    fprintf(stderr, "udp-echo: recv %lu: %s\n", c->seq,
                            fut_strerror((int)c->recv.res));
                    c->failed = 1;
                    FUT_ASYNC_RETURN(&c->state);
                }
                if (c->recv.res == (ssize_t)c->size &&
                    memcmp(c->in, c->out, c->size) == 0)
                    break;
                if (c->size >= sizeof c->seq &&
                    memcmp(c->in, c->out, sizeof c->seq) != 0)
                    continue; /* an echo of an earlier datagram */
                fprintf(stderr, "udp-echo: datagram %lu came back wrong\n",
                        c->seq);
                c->failed = 1;
                FUT_ASYNC_RETURN(&c->state);
            }
            if (!c->timeout.timed_out) {
                c->ok++;
                break;
            }
        }
        if (c->tries == 5) {
            fprintf(stderr, "udp-echo: no echo of datagram %lu\n", c->seq);
            c->failed = 1;
            FUT_ASYNC_RETURN(&c->state);
        }
    }
    FUT_ASYNC_END(&c->state);
}

static void
client_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable client_vtable = {
    .poll = client_poll,
    .drop = client_drop,
    .result = NULL,
};

static int
run_client(unsigned int port, unsigned long n, unsigned long size)
{
    struct fut_udp_socket sock;
    struct sockaddr_storage to;
    socklen_t tolen;
    struct client *c;
    int err, status;

    err = fut_udp_bind_host(&sock, "127.0.0.1", 0, 0);
    if (err == 0)
        err = fut_sockaddr_parse("127.0.0.1", port, &to, &tolen);
    if (err == 0)
        err = fut_udp_connect(&sock, (struct sockaddr *)&to, tolen);
    if (err != 0) {
        fprintf(stderr, "udp-echo: client socket: %s\n", fut_strerror(err));
        return 1;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return 1;
    c->out = malloc(size ? size : 1);
    c->in = malloc(size ? size : 1);
    c->base.vtable = &client_vtable;
    c->sock = &sock;
    c->n = n;
    c->size = size;
    status = 1;
    if (c->out != NULL && c->in != NULL) {
        err = fut_run(&c->base);
        if (err != 0)
            fprintf(stderr, "udp-echo: %s\n", fut_strerror(err));
        else if (!c->failed && c->ok == n) {
            printf("%lu datagrams of %lu bytes echoed\n", n, size);
            status = 0;
        }
    }
    fut_future_drop(&c->base);
    free(c->out);
    free(c->in);
    free(c);
    (void)fut_udp_close(&sock);
    return status;
}

static int
parse(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno == 0 && *end == '\0' && end != s && *out <= max;
}

int
main(int argc, char **argv)
{
    unsigned long port, n, size = 64;

    if (argc == 3 && strcmp(argv[1], "server") == 0 &&
        parse(argv[2], 65535, &port))
        return run_server((unsigned int)port);
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "client") == 0 &&
        parse(argv[2], 65535, &port) && port > 0 &&
        parse(argv[3], 100000000, &n) &&
        (argc == 4 || parse(argv[4], MAX_DGRAM, &size)))
        return run_client((unsigned int)port, n, size);
    fprintf(stderr, "usage: %s server PORT\n"
                    "       %s client PORT N [SIZE]\n",
            argv[0], argv[0]);
    return 2;
}
