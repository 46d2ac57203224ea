/* SPDX-License-Identifier: MIT */
/* The echo server of echo-server.c written as coroutines: C locals across every await. */

/*
 * Usage: echo-server-coro PORT [--lean]
 *
 * The same program as echo-server.c (same options, output and behaviour),
 * with each connection a coroutine (futures/coro.h) instead of an async
 * frame. By default a connection's 16 KiB buffer is a local of its
 * coroutine, on the coroutine's stack; with --lean it waits for
 * readability holding no buffer, reads into one buffer shared by the
 * thread, writes back at once, and keeps only what the kernel did not
 * take. make bench compares its CPU per round trip with echo-server's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <futures.h>

#define ECHO_BUF_SIZE 16384

/* A connection: the coroutine future first, then the state it owns. */
struct conn {
    struct fut_coro co;
    struct fut_tcp_stream stream;
};

static int
echo(void *arg)
{
    struct conn *c = arg;
    unsigned char buf[ECHO_BUF_SIZE];
    ssize_t n;
    int err = 0;

    while (err == 0 && (n = fut_co_read(&c->stream.reader, buf, sizeof buf)) > 0)
        err = fut_co_write_all(&c->stream.writer, buf, (size_t)n);
    (void)fut_tcp_stream_close(&c->stream); /* every exit, cancel included */
    return err;
}

/* --lean: the one read buffer of the thread (see echo-server.c). */
static unsigned char lean_buf[ECHO_BUF_SIZE];

static int
lean(void *arg)
{
    struct conn *c = arg;
    unsigned char *unsent = NULL;
    size_t len = 0, off = 0;
    ssize_t n, w;
    int err;

    while ((err = fut_co_readable(&c->stream)) == 0) {
        n = fut_tcp_stream_try_read(&c->stream, lean_buf, sizeof lean_buf);
        if (n == -EAGAIN)
            continue;
        if (n <= 0)
            break;
        w = fut_tcp_stream_try_write(&c->stream, lean_buf, (size_t)n);
        w = w == -EAGAIN ? 0 : w;
        if (w < 0 || w == n)
            continue;
        len = (size_t)(n - w);
        unsent = malloc(len);
        if (unsent == NULL)
            break;
        memcpy(unsent, lean_buf + w, len);
        for (off = 0; off < len && (err = fut_co_writable(&c->stream)) == 0;) {
            w = fut_tcp_stream_try_write(&c->stream, unsent + off, len - off);
            if (w < 0 && w != -EAGAIN)
                break;
            off += w > 0 ? (size_t)w : 0;
        }
        free(unsent);
        unsent = NULL;
        if (off < len)
            break;
    }
    (void)fut_tcp_stream_close(&c->stream);
    return err;
}

struct server {
    struct fut_tcp_listener *listener;
    int lean;
};

static int
accept_loop(void *arg)
{
    struct server *srv = arg;
    struct conn c;
    int err;

    for (;;) {
        err = fut_co_accept(srv->listener, &c.stream);
        if (err != 0) {
            fprintf(stderr, "echo-server: accept: %s\n", fut_strerror(err));
            return err;
        }
        (void)fut_tcp_stream_set_nodelay(&c.stream, 1);
        fut_coro_init_self(&c.co, srv->lean ? lean : echo, NULL);
        err = fut_spawn(fut_coro_context()->rt, &c.co.base, sizeof c, NULL);
        if (err != 0) {
            fprintf(stderr, "echo-server: spawn: %s\n", fut_strerror(err));
            fut_future_drop(&c.co.base); /* runs it cancelled: closes */
        }
    }
}

int
main(int argc, char **argv)
{
    struct fut_tcp_listener listener;
    struct server srv = { &listener, 0 };
    struct fut_coro co;
    struct rlimit rl;
    const char *port_arg = NULL;
    char *end;
    unsigned long port;
    int i, err;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lean") == 0)
            srv.lean = 1;
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
    fut_coro_init(&co, accept_loop, &srv, NULL);
    err = fut_run(&co.base);
    fprintf(stderr, "echo-server: %s\n",
            fut_strerror(err != 0 ? err : fut_future_result(&co.base)));
    fut_future_drop(&co.base);
    (void)fut_tcp_listener_close(&listener);
    return 1;
}
