/* SPDX-License-Identifier: MIT */
/* A libuv TCP echo server whose per-connection handler is a future. */

/*
 * The program is written the way libuv programs are: a uv_tcp_t listener,
 * uv_listen(), and a connection callback that uv_accept()s into a
 * uv_tcp_t of its own. What changes is the handler: instead of
 * uv_read_start() and uv_write() callbacks, each connection is wrapped as
 * AsyncRead + AsyncWrite (fut_uv_stream_init()) and a task, spawned on a
 * runtime attached to the program's loop, copies the stream back to
 * itself with fut_copy(), then shuts down its write side. When the task
 * ends, a callback closes the handle; its close callback releases the
 * wrapper and frees the memory, as libuv's rules ask.
 *
 * The other direction: the program's old callback code calling a
 * future-based library function without becoming async itself. On SIGINT
 * or SIGTERM, its signal callback saves a one-line report through
 * fut_fs_write_file (a future of the library, run on its blocking pool)
 * with fut_spawn_callback(), and stops the loop from the completion
 * callback, as it would with uv_fs_write() and a callback.
 *
 *     uv-compat-echo [PORT [REPORT-FILE]]   (PORT 0 or none: any free port)
 *
 * Prints "listening on 127.0.0.1:PORT"; SIGINT or SIGTERM stop it cleanly
 * (after writing "connections: N" to REPORT-FILE, when one was given).
 * Build: cc -std=gnu11 uv-compat-echo.c \
 *            $(pkg-config --cflags --libs futures-uvcompat futures-uv)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include <futures.h>
#include <futures/backend-uv.h>
#include <futures/compat-uv.h>

/* The per-connection handler: a framed future. */
struct echo {
    FUT_FRAME;
    struct fut_uv_stream *s;
    union {
        struct fut_copy copy;
        struct fut_shutdown shut;
    } u;
    unsigned char buf[16384];
};

FUT_ASYNC_FN(echo, struct echo, e, cx)
{
    FUT_BEGIN(e, cx);
    FUT_AWAIT_TRY(&e->u.copy, fut_copy_init(&e->u.copy, &e->s->reader,
                                            &e->s->writer, e->buf,
                                            sizeof e->buf));
    FUT_AWAIT_TRY(&e->u.shut, fut_shutdown_init(&e->u.shut, &e->s->writer));
    FUT_END;
}

struct conn {
    uv_tcp_t tcp;
    struct fut_uv_stream s;
};

static uv_loop_t loop;
static struct fut_runtime rt;
static uv_tcp_t listener;
static uv_signal_t sigint, sigterm;
static unsigned long connections;
static const char *report_path;

/* The handle's memory may go only now: release the wrapper first. */
static void
on_conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;

    fut_uv_stream_release(&c->s);
    free(c);
}

/* The task ended: the connection is done (a peer that resets is normal). */
static void
on_echo_done(void *data, int result)
{
    struct conn *c = data;

    if (result < 0 && result != -ECONNRESET && result != -EPIPE &&
        result != -ECANCELED)
        fprintf(stderr, "uv-compat-echo: %s\n", fut_strerror(result));
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void
on_connection(uv_stream_t *server, int status)
{
    struct conn *c;
    struct echo e;
    int err;

    if (status < 0)
        return; /* e.g. EMFILE: libuv retries */
    connections++;
    c = malloc(sizeof *c);
    if (c == NULL)
        return;
    uv_tcp_init(&loop, &c->tcp);
    c->tcp.data = c; /* ours: the wrapper never touches h->data */
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        return;
    }
    /* Echoed replies go out at once (no Nagle wait for the peer's
     * delayed ACK between the parts of one reply). */
    uv_tcp_nodelay(&c->tcp, 1);
    err = fut_uv_stream_init(&c->s, (uv_stream_t *)&c->tcp, 0, 0);
    if (err == 0) {
        e = FUT_FRAME_VALUE(echo, .s = &c->s);
        err = FUT_SPAWN_CALLBACK(&rt, &e, on_echo_done, c);
    }
    if (err != 0) {
        fprintf(stderr, "uv-compat-echo: %s\n", fut_strerror(err));
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    }
}

/* The report is on disk (or could not be written): now stop. */
static void
on_report_saved(void *data, int result)
{
    uv_loop_t *l = data;

    if (result < 0)
        fprintf(stderr, "uv-compat-echo: %s: %s\n", report_path,
                fut_strerror(result));
    uv_stop(l);
}

/* Callback code, as it was, calling a future-based function: the future
 * is spawned with a completion callback instead of being awaited. */
static void
on_signal(uv_signal_t *sig, int signum)
{
    struct fut_fs save;
    char line[64];
    int n, err;

    (void)signum;
    uv_signal_stop(&sigint);
    uv_signal_stop(&sigterm);
    if (report_path == NULL) {
        uv_stop(sig->loop);
        return;
    }
    n = snprintf(line, sizeof line, "connections: %lu\n", connections);
    err = fut_fs_write_file_init(&save, report_path, line, (size_t)n, 0644);
    if (err == 0) {
        err = FUT_SPAWN_CALLBACK(&rt, &save, on_report_saved, sig->loop);
        if (err != 0)
            fut_future_drop(&save.base); /* not spawned: still ours */
    }
    if (err != 0)
        on_report_saved(sig->loop, err);
}

int
main(int argc, char **argv)
{
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    int len = sizeof bound, port = argc > 1 ? atoi(argv[1]) : 0, err;

    report_path = argc > 2 ? argv[2] : NULL;

    /* libuv writes with write(2): a peer gone would raise SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    if (argc > 3 || port < 0 || port > 65535) {
        fprintf(stderr, "usage: uv-compat-echo [PORT [REPORT-FILE]]\n");
        return 2;
    }
    uv_loop_init(&loop);
    err = fut_uv_attach(&rt, &loop);
    if (err != 0) {
        fprintf(stderr, "uv-compat-echo: %s\n", fut_strerror(err));
        return 1;
    }
    uv_tcp_init(&loop, &listener);
    uv_ip4_addr("127.0.0.1", port, &addr);
    err = uv_tcp_bind(&listener, (const struct sockaddr *)&addr, 0);
    if (err == 0)
        err = uv_listen((uv_stream_t *)&listener, 128, on_connection);
    if (err == 0)
        err = uv_tcp_getsockname(&listener, (struct sockaddr *)&bound, &len);
    if (err != 0) {
        fprintf(stderr, "uv-compat-echo: %s\n", uv_strerror(err));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n",
           ntohs(((struct sockaddr_in *)&bound)->sin_port));
    fflush(stdout);
    uv_signal_init(&loop, &sigint);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_init(&loop, &sigterm);
    uv_signal_start(&sigterm, on_signal, SIGTERM);

    uv_run(&loop, UV_RUN_DEFAULT); /* until a signal stops it */

    /* Tasks left are dropped; their callbacks close their connections. */
    (void)fut_runtime_close(&rt);
    uv_close((uv_handle_t *)&listener, NULL);
    uv_close((uv_handle_t *)&sigint, NULL);
    uv_close((uv_handle_t *)&sigterm, NULL);
    uv_run(&loop, UV_RUN_DEFAULT); /* the close callbacks */
    return uv_loop_close(&loop) == 0 ? 0 : 1;
}
