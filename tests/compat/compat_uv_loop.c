/* SPDX-License-Identifier: MIT */
/* compat/uv: a foreign uv_loop_t driven by a runtime on each backend
 * (built once per backend: tests/compat-uv-loop-<backend>). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <uv.h>

#include <futures.h>
#include <futures/compat-uv-drive.h>

#include "internal.h" /* fut__runtime_{io,timer}_count, for the teardown */

/*
 * No assertion waits for time: each test runs until the thing itself
 * happened (a drive finished, a task joined). The component's timers are
 * the component's; the tests assert order and counts, never durations.
 */
#define TEST_TIMEOUT_S 120

static struct fut_runtime rt;
static uv_loop_t loop;
static int fds_at_setup;

static int
fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void
setup(void)
{
    static pid_t warmed;
    struct fut_runtime warm;
    uv_loop_t l;

    /* libuv and the backends open descriptors of their own once per
     * process (libuv's signal lock pipe): warm them up first. */
    if (warmed != getpid()) {
        ck_assert_int_eq(fut_runtime_init_default(&warm), 0);
        ck_assert_int_eq(fut_runtime_close(&warm), 0);
        ck_assert_int_eq(uv_loop_init(&l), 0);
        ck_assert_int_eq(uv_loop_close(&l), 0);
        warmed = getpid();
    }
    fds_at_setup = fd_count();
    ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), FUT_TEST_BACKEND);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
}

/* Nothing left: no task, timer or registration in the runtime, nothing in
 * the foreign loop (the component closed everything), no descriptor. */
static void
teardown(void)
{
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&rt), 0);
    ck_assert_uint_eq(fut__runtime_io_count(&rt), 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    ck_assert_int_eq(fd_count(), fds_at_setup);
}

static int
drive_all(void)
{
    struct fut_uv_drive d;

    ck_assert_int_eq(fut_uv_drive_init(&d, &loop), 0);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    fut_future_drop(&d.base);
    return d.res;
}

/* ---- an empty loop, bad input ---------------------------------------- */

START_TEST(test_uv_drive_empty)
{
    struct fut_uv_drive d;
    struct fut_context cx;

    /* Polled by hand, with no runtime: nothing to register. */
    ck_assert_int_eq(fut_uv_drive_init(&d, &loop), 0);
    fut_context_init(&cx, fut_waker_noop(), NULL);
    ck_assert_int_eq(fut_future_poll(&d.base, &cx), FUT_READY);
    ck_assert_int_eq(d.res, 0);
    ck_assert_int_eq(fut_future_poll(&d.base, &cx), FUT_READY);
    fut_future_drop(&d.base);
    ck_assert_int_eq(drive_all(), 0);
}
END_TEST

static void
noop_timer_cb(uv_timer_t *t)
{
}

START_TEST(test_uv_drive_bad_input)
{
    struct fut_uv_drive d;
    struct fut_context cx;
    uv_timer_t t;

    ck_assert_int_eq(fut_uv_drive_init(NULL, &loop), -EINVAL);
    ck_assert_int_eq(fut_uv_drive_init(&d, NULL), -EINVAL);
    fut_uv_drive_kick(&d);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, -EINVAL);
    ck_assert_int_eq(fut_future_result(&d.base), -EINVAL);
    fut_future_drop(&d.base);
    fut_future_drop(&d.base);
    fut_uv_drive_kick(NULL);
    fut_uv_drive_kick(&d);

    /* A loop with work, polled with no runtime to wait in: -EINVAL, and
     * the loop is left as it was. */
    ck_assert_int_eq(uv_timer_init(&loop, &t), 0);
    ck_assert_int_eq(uv_timer_start(&t, noop_timer_cb, 3600 * 1000, 0), 0);
    ck_assert_int_eq(fut_uv_drive_init(&d, &loop), 0);
    fut_uv_drive_kick(&d); /* never polled: nothing to wake */
    fut_context_init(&cx, fut_waker_noop(), NULL);
    ck_assert_int_eq(fut_future_poll(&d.base, &cx), FUT_READY);
    ck_assert_int_eq(d.res, -EINVAL);
    fut_future_drop(&d.base);
    ck_assert_int_eq(uv_is_active((uv_handle_t *)&t), 1);
    uv_close((uv_handle_t *)&t, NULL);
    ck_assert_int_eq(drive_all(), 0);
}
END_TEST

/* ---- timers ------------------------------------------------------------ */

struct chain {
    uv_timer_t t[3];
    uv_timer_t rep;
    char log[16];
    int n, ticks;
};

static void
chain_log(struct chain *c, char ch)
{
    ck_assert_int_lt(c->n, (int)sizeof c->log - 1);
    c->log[c->n++] = ch;
}

static void
chain_cb(uv_timer_t *t)
{
    struct chain *c = t->data;
    int i = (int)(t - c->t);
    static const uint64_t next_ms[] = { 0, 3 };

    chain_log(c, (char)('a' + i));
    uv_close((uv_handle_t *)t, NULL);
    if (i < 2)
        ck_assert_int_eq(
            uv_timer_start(&c->t[i + 1], chain_cb, next_ms[i], 0), 0);
}

static void
rep_cb(uv_timer_t *t)
{
    struct chain *c = t->data;

    if (++c->ticks == 5) {
        chain_log(c, 'r');
        uv_close((uv_handle_t *)t, NULL);
    }
}

/* Three timers, each started by the previous one's callback, and a
 * repeating one alongside: all fire, in chain order, and the drive ends
 * when the loop has nothing left. */
START_TEST(test_uv_drive_timers)
{
    struct chain c;
    int i;

    memset(&c, 0, sizeof c);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(uv_timer_init(&loop, &c.t[i]), 0);
        c.t[i].data = &c;
    }
    ck_assert_int_eq(uv_timer_init(&loop, &c.rep), 0);
    c.rep.data = &c;
    ck_assert_int_eq(uv_timer_start(&c.t[0], chain_cb, 2, 0), 0);
    ck_assert_int_eq(uv_timer_start(&c.rep, rep_cb, 1, 1), 0);
    ck_assert_int_eq(drive_all(), 0);
    ck_assert_int_eq(c.ticks, 5);
    ck_assert_int_eq(c.n, 4);
    /* The chain keeps its order whatever the repeating timer did. */
    ck_assert_ptr_nonnull(strchr(c.log, 'r'));
    ck_assert_ptr_nonnull(strchr(c.log, 'a'));
    ck_assert(strchr(c.log, 'a') < strchr(c.log, 'b'));
    ck_assert(strchr(c.log, 'b') < strchr(c.log, 'c'));
}
END_TEST

/* ---- a uv TCP echo server, a uv client, and a futures client ----------- */

#define ECHO_CLIENTS 2 /* one uv client, one futures client */

struct srv {
    uv_tcp_t listener;
    struct sconn {
        uv_tcp_t tcp;
        struct srv *srv;
        char buf[64];
    } conns[ECHO_CLIENTS];
    int accepted, closed;
    /* the uv client */
    uv_tcp_t client;
    uv_connect_t creq;
    uv_write_t cwreq;
    char cbuf[16];
    size_t cgot;
    int client_done;
};

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct sconn *c = h->data;

    buf->base = c->buf;
    buf->len = sizeof c->buf;
}

static void
sconn_closed(uv_handle_t *h)
{
    struct sconn *c = h->data;

    if (++c->srv->closed == ECHO_CLIENTS)
        uv_close((uv_handle_t *)&c->srv->listener, NULL);
}

static void
echo_written(uv_write_t *req, int status)
{
    free(req);
}

static void
echo_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    uv_write_t *req;
    uv_buf_t b;

    if (n < 0) {
        uv_close((uv_handle_t *)s, sconn_closed);
        return;
    }
    if (n == 0)
        return;
    req = malloc(sizeof *req + (size_t)n);
    ck_assert_ptr_nonnull(req);
    memcpy(req + 1, buf->base, (size_t)n);
    b = uv_buf_init((char *)(req + 1), (unsigned)n);
    ck_assert_int_eq(uv_write(req, s, &b, 1, echo_written), 0);
}

static void
on_conn(uv_stream_t *l, int status)
{
    struct srv *sv = l->data;
    struct sconn *c;

    ck_assert_int_eq(status, 0);
    ck_assert_int_lt(sv->accepted, ECHO_CLIENTS);
    c = &sv->conns[sv->accepted++];
    c->srv = sv;
    ck_assert_int_eq(uv_tcp_init(l->loop, &c->tcp), 0);
    c->tcp.data = c;
    ck_assert_int_eq(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    /* Started from an I/O callback: reaches libuv's epoll set only at its
     * next poll phase (the pending-change case). */
    ck_assert_int_eq(uv_read_start((uv_stream_t *)&c->tcp, alloc_cb,
                                   echo_read), 0);
}

static void
client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct srv *sv = h->data;

    buf->base = sv->cbuf + sv->cgot;
    buf->len = sizeof sv->cbuf - 1 - sv->cgot;
}

static void
client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct srv *sv = s->data;

    ck_assert_int_ge(n, 0);
    sv->cgot += (size_t)n;
    if (sv->cgot == 4) {
        sv->client_done = 1;
        uv_close((uv_handle_t *)s, NULL);
    }
}

static void
client_wrote(uv_write_t *req, int status)
{
    ck_assert_int_eq(status, 0);
}

static void
client_connected(uv_connect_t *req, int status)
{
    struct srv *sv = req->data;
    uv_buf_t b = uv_buf_init("ping", 4);

    ck_assert_int_eq(status, 0);
    ck_assert_int_eq(uv_write(&sv->cwreq, (uv_stream_t *)&sv->client, &b, 1,
                              client_wrote), 0);
    ck_assert_int_eq(uv_read_start((uv_stream_t *)&sv->client, client_alloc,
                                   client_read), 0);
}

/* The host runtime's own task: a futures TCP client of the foreign
 * server. */
struct fclient {
    struct fut_future base;
    int port;
    int state;
    struct fut_tcp_stream s;
    union {
        struct fut_tcp_connect c;
        struct fut_write_all w;
        struct fut_read_exact r;
    } op;
    struct fres {
        char buf[8];
        int res;
    } *out;
};

static enum fut_poll
fclient_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fclient *f = (struct fclient *)base;
    struct sockaddr_storage ss;
    socklen_t len;

    for (;;) {
        switch (f->state) {
        case 0:
            ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", (unsigned)f->port,
                                                &ss, &len), 0);
            ck_assert_int_eq(fut_tcp_stream_init(&f->s), 0);
            ck_assert_int_eq(fut_tcp_connect_init(&f->op.c, &f->s,
                                                  (struct sockaddr *)&ss,
                                                  len, -1), 0);
            f->state = 1;
            break;
        case 1:
            if (fut_future_poll(&f->op.c.base, cx) == FUT_PENDING)
                return FUT_PENDING;
            ck_assert_int_eq(f->op.c.res, 0);
            fut_future_drop(&f->op.c.base);
            fut_write_all_init(&f->op.w, &f->s.writer, "hello", 5);
            f->state = 2;
            break;
        case 2:
            if (fut_future_poll(&f->op.w.base, cx) == FUT_PENDING)
                return FUT_PENDING;
            ck_assert_int_eq(f->op.w.res, 0);
            fut_future_drop(&f->op.w.base);
            fut_read_exact_init(&f->op.r, &f->s.reader, f->out->buf, 5);
            f->state = 3;
            break;
        default:
            if (fut_future_poll(&f->op.r.base, cx) == FUT_PENDING)
                return FUT_PENDING;
            f->out->res = f->op.r.res;
            fut_future_drop(&f->op.r.base);
            ck_assert_int_eq(fut_tcp_stream_close(&f->s), 0);
            return FUT_READY;
        }
    }
}

static void
fclient_drop(struct fut_future *base)
{
}

static const struct fut_future_vtable fclient_vt = { fclient_poll,
                                                     fclient_drop, NULL };

START_TEST(test_uv_drive_tcp_echo)
{
    struct srv sv;
    struct sockaddr_in a;
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    struct fut_uv_drive d;
    struct fclient fc;
    struct fres out;
    struct fut_task *td, *tc;

    memset(&sv, 0, sizeof sv);
    memset(&fc, 0, sizeof fc);
    memset(&out, 0, sizeof out);
    out.res = -1;
    fc.out = &out;
    ck_assert_int_eq(uv_tcp_init(&loop, &sv.listener), 0);
    sv.listener.data = &sv;
    ck_assert_int_eq(uv_ip4_addr("127.0.0.1", 0, &a), 0);
    ck_assert_int_eq(uv_tcp_bind(&sv.listener, (struct sockaddr *)&a, 0), 0);
    ck_assert_int_eq(uv_listen((uv_stream_t *)&sv.listener, 8, on_conn), 0);
    ck_assert_int_eq(uv_tcp_getsockname(&sv.listener,
                                        (struct sockaddr *)&bound, &blen), 0);
    fc.port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    /* The uv client, in the same foreign loop. */
    ck_assert_int_eq(uv_tcp_init(&loop, &sv.client), 0);
    sv.client.data = &sv;
    sv.creq.data = &sv;
    ck_assert_int_eq(uv_tcp_connect(&sv.creq, &sv.client,
                                    (struct sockaddr *)&bound,
                                    client_connected), 0);

    ck_assert_int_eq(fut_uv_drive_init(&d, &loop), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &d, &td), 0);
    fc.base.vtable = &fclient_vt;
    ck_assert_int_eq(FUT_SPAWN(&rt, &fc, &tc), 0);
    ck_assert_int_eq(fut_runtime_run(&rt), 0);
    ck_assert(fut_task_is_finished(td));
    ck_assert_int_eq(fut_task_result(td), 0);
    ck_assert(fut_task_is_finished(tc));
    fut_task_detach(td);
    fut_task_detach(tc);
    ck_assert_int_eq(out.res, 0);
    ck_assert_int_eq(memcmp(out.buf, "hello", 5), 0);
    ck_assert_int_eq(sv.client_done, 1);
    ck_assert_str_eq(sv.cbuf, "ping");
    ck_assert_int_eq(sv.accepted, ECHO_CLIENTS);
    ck_assert_int_eq(sv.closed, ECHO_CLIENTS);
}
END_TEST

/* ---- uv_async_send from another thread ---------------------------------- */

struct asy {
    uv_async_t a;
    int got;
    int value;
    pthread_t th;
};

static void *
asy_thread(void *p)
{
    struct asy *x = p;

    x->value = 42;
    ck_assert_int_eq(uv_async_send(&x->a), 0);
    return NULL;
}

static void
asy_cb(uv_async_t *a)
{
    struct asy *x = a->data;

    x->got++;
    ck_assert_int_eq(x->value, 42);
    uv_close((uv_handle_t *)a, NULL);
}

START_TEST(test_uv_drive_async_send)
{
    struct asy x;

    memset(&x, 0, sizeof x);
    ck_assert_int_eq(uv_async_init(&loop, &x.a, asy_cb), 0);
    x.a.data = &x;
    ck_assert_int_eq(pthread_create(&x.th, NULL, asy_thread, &x), 0);
    ck_assert_int_eq(drive_all(), 0);
    ck_assert_int_eq(pthread_join(x.th, NULL), 0);
    ck_assert_int_eq(x.got, 1);
}
END_TEST

/* ---- the pending-change trap and left-over events ------------------------ */

struct pipes {
    int p[2];
    uv_check_t check;
    uv_poll_t poll;
    int polls, bytes;
    int per_cb; /* bytes read per callback */
};

static void
pipe_poll_cb(uv_poll_t *h, int status, int events)
{
    struct pipes *x = h->data;
    char buf[256];
    ssize_t n;

    ck_assert_int_eq(status, 0);
    x->polls++;
    n = read(x->p[0], buf, (size_t)x->per_cb);
    ck_assert_int_gt(n, 0);
    x->bytes += (int)n;
    if (x->bytes == 100)
        uv_close((uv_handle_t *)h, NULL);
}

static void
check_cb(uv_check_t *c)
{
    struct pipes *x = c->data;

    /* The check phase comes after libuv's poll phase: this watcher is
     * queued, not in the epoll set, when the run returns. */
    ck_assert_int_eq(uv_poll_start(&x->poll, UV_READABLE, pipe_poll_cb), 0);
    uv_close((uv_handle_t *)c, NULL);
}

static void
pipes_open(struct pipes *x, int per_cb)
{
    char buf[100];

    memset(x, 0, sizeof *x);
    memset(buf, 'x', sizeof buf);
    x->per_cb = per_cb;
    ck_assert_int_eq(pipe(x->p), 0);
    ck_assert_int_eq(write(x->p[1], buf, sizeof buf), (ssize_t)sizeof buf);
    ck_assert_int_eq(uv_poll_init(&loop, &x->poll, x->p[0]), 0);
    x->poll.data = x;
}

static void
pipes_close(struct pipes *x)
{
    close(x->p[0]);
    close(x->p[1]);
}

/* A watcher started from a check callback, with no timer in the loop: the
 * drive must not sleep on a descriptor libuv has not told the kernel
 * about yet. */
START_TEST(test_uv_drive_pending_change)
{
    struct pipes x;

    pipes_open(&x, 100);
    ck_assert_int_eq(uv_check_init(&loop, &x.check), 0);
    x.check.data = &x;
    ck_assert_int_eq(uv_check_start(&x.check, check_cb), 0);
    ck_assert_int_eq(drive_all(), 0);
    ck_assert_int_eq(x.polls, 1);
    ck_assert_int_eq(x.bytes, 100);
    pipes_close(&x);
}
END_TEST

/* A watcher whose callback leaves data behind (one byte a call): the
 * inner epoll descriptor stays readable with no new edge; an
 * edge-triggered host must still come back. */
START_TEST(test_uv_drive_left_over)
{
    struct pipes x;

    pipes_open(&x, 1);
    ck_assert_int_eq(uv_poll_start(&x.poll, UV_READABLE, pipe_poll_cb), 0);
    ck_assert_int_eq(drive_all(), 0);
    ck_assert_int_eq(x.polls, 100);
    ck_assert_int_eq(x.bytes, 100);
    pipes_close(&x);
}
END_TEST

/* ---- kick: the program changes the loop from outside its callbacks ------- */

struct kicker {
    struct fut_future base;
    struct fut_uv_drive *d;
    struct pipes *x;
    uv_timer_t *t;
    int polls;
};

static void
kick_timer_cb(uv_timer_t *t)
{
    struct pipes *x = t->data;

    uv_close((uv_handle_t *)t, NULL);
    uv_close((uv_handle_t *)&x->poll, NULL);
}

static enum fut_poll
kicker_poll(struct fut_future *base, struct fut_context *cx)
{
    struct kicker *k = (struct kicker *)base;

    /* Yield twice: by then the drive has been polled and sleeps on a
     * descriptor that never becomes readable, with no timeout. */
    if (++k->polls < 3) {
        fut_waker_wake_by_ref(cx->waker);
        return FUT_PENDING;
    }
    ck_assert_int_eq(uv_timer_init(&loop, k->t), 0);
    k->t->data = k->x;
    ck_assert_int_eq(uv_timer_start(k->t, kick_timer_cb, 0, 0), 0);
    fut_uv_drive_kick(k->d);
    return FUT_READY;
}

static const struct fut_future_vtable kicker_vt = { kicker_poll,
                                                    fclient_drop, NULL };

START_TEST(test_uv_drive_kick)
{
    struct pipes x;
    struct fut_uv_drive d;
    struct kicker k;
    uv_timer_t t;

    pipes_open(&x, 1);
    /* Empty the pipe: the poll handle never fires. */
    {
        char buf[100];
        ck_assert_int_eq(read(x.p[0], buf, sizeof buf), 100);
    }
    ck_assert_int_eq(uv_poll_start(&x.poll, UV_READABLE, pipe_poll_cb), 0);
    ck_assert_int_eq(fut_uv_drive_init(&d, &loop), 0);
    k.base.vtable = &kicker_vt;
    k.d = &d;
    k.x = &x;
    k.t = &t;
    k.polls = 0;
    ck_assert_int_eq(FUT_SPAWN(&rt, &k, NULL), 0);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, 0);
    fut_future_drop(&d.base);
    ck_assert_int_eq(fut_runtime_run(&rt), 0);
    ck_assert_int_eq(x.polls, 0);
    pipes_close(&x);
}
END_TEST

/* ---- drop at each pending state ------------------------------------------ */

/* Polls a drive up to @limit times (waking itself in between, so each
 * poll runs the loop again), then drops it, and is READY. */
struct limiter {
    struct fut_future base;
    struct fut_uv_drive *d;
    int limit, polls, finished;
};

static enum fut_poll
limiter_poll(struct fut_future *base, struct fut_context *cx)
{
    struct limiter *l = (struct limiter *)base;

    if (fut_future_poll(&l->d->base, cx) == FUT_READY) {
        l->finished = 1;
        fut_future_drop(&l->d->base);
        return FUT_READY;
    }
    if (++l->polls >= l->limit) {
        fut_future_drop(&l->d->base);
        return FUT_READY;
    }
    fut_waker_wake_by_ref(cx->waker);
    return FUT_PENDING;
}

static const struct fut_future_vtable limiter_vt = { limiter_poll,
                                                     fclient_drop, NULL };

struct comp {
    uv_timer_t timer;
    uv_idle_t idle;
    struct pipes x;
    int ticks, idles;
};

static void
comp_tick(uv_timer_t *t)
{
    ((struct comp *)t->data)->ticks++;
}

static void
comp_idle(uv_idle_t *i)
{
    ((struct comp *)i->data)->idles++;
}

static void
comp_stop_timer(uv_timer_t *t)
{
    struct comp *c = t->data;

    c->ticks++;
    uv_close((uv_handle_t *)t, NULL);
}

/* Shapes (index % 3): a repeating timer armed; only a descriptor (a pipe
 * nobody writes); an idle handle (the drive yields through its budget).
 * Polls before the drop (index / 3): 1 or 3. After the drop the runtime
 * holds nothing, and the component finishes on its own with uv_run(). */
START_TEST(test_uv_drive_drop)
{
    int shape = _i % 3, limit = _i / 3 == 0 ? 1 : 3;
    struct comp c;
    struct fut_uv_drive d;
    struct limiter l;
    int before;

    memset(&c, 0, sizeof c);
    switch (shape) {
    case 0:
        ck_assert_int_eq(uv_timer_init(&loop, &c.timer), 0);
        c.timer.data = &c;
        ck_assert_int_eq(uv_timer_start(&c.timer, comp_tick, 3600 * 1000,
                                        3600 * 1000), 0);
        break;
    case 1:
        pipes_open(&c.x, 100);
        {
            char buf[100];
            ck_assert_int_eq(read(c.x.p[0], buf, sizeof buf), 100);
        }
        ck_assert_int_eq(uv_poll_start(&c.x.poll, UV_READABLE,
                                       pipe_poll_cb), 0);
        break;
    default:
        ck_assert_int_eq(uv_idle_init(&loop, &c.idle), 0);
        c.idle.data = &c;
        ck_assert_int_eq(uv_idle_start(&c.idle, comp_idle), 0);
        break;
    }
    ck_assert_int_eq(fut_uv_drive_init(&d, &loop), 0);
    l.base.vtable = &limiter_vt;
    l.d = &d;
    l.limit = limit;
    l.polls = 0;
    l.finished = 0;
    ck_assert_int_eq(fut_block_on(&rt, &l.base), 0);
    ck_assert_int_eq(l.finished, 0);
    /* Dropped: nothing of the drive is left in the runtime. */
    ck_assert_uint_eq(fut__runtime_timer_count(&rt), 0);
    ck_assert_uint_eq(fut__runtime_io_count(&rt), 0);
    ck_assert_int_eq(uv_loop_alive(&loop), 1);
    fut_uv_drive_kick(&d); /* finished: nothing to wake */

    /* The component carries on and ends by itself. */
    switch (shape) {
    case 0:
        before = c.ticks;
        ck_assert_int_eq(uv_timer_start(&c.timer, comp_stop_timer, 0, 0), 0);
        ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
        ck_assert_int_eq(c.ticks, before + 1);
        break;
    case 1:
        ck_assert_int_eq(write(c.x.p[1], "x", 1), 1);
        c.x.bytes = 99;
        ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
        ck_assert_int_eq(c.x.polls, 1);
        pipes_close(&c.x);
        break;
    default:
        before = c.idles;
        ck_assert_int_gt(before, 0);
        ck_assert_int_eq(uv_run(&loop, UV_RUN_NOWAIT), 1);
        ck_assert_int_gt(c.idles, before);
        uv_close((uv_handle_t *)&c.idle, NULL);
        ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
        break;
    }
}
END_TEST

/* The idle-handle component, run to its end: the drive yields through the
 * coop budget, so another task of the runtime gets its turns meanwhile. */
struct ticker {
    struct fut_future base;
    struct comp *c;
    int turns;
};

static enum fut_poll
ticker_poll(struct fut_future *base, struct fut_context *cx)
{
    struct ticker *t = (struct ticker *)base;

    t->turns++;
    if (t->turns == 50) {
        uv_close((uv_handle_t *)&t->c->idle, NULL);
        return FUT_READY;
    }
    fut_waker_wake_by_ref(cx->waker);
    return FUT_PENDING;
}

static const struct fut_future_vtable ticker_vt = { ticker_poll,
                                                    fclient_drop, NULL };

START_TEST(test_uv_drive_busy_component_yields)
{
    struct comp c;
    struct ticker t;
    struct fut_task *h;

    memset(&c, 0, sizeof c);
    ck_assert_int_eq(uv_idle_init(&loop, &c.idle), 0);
    c.idle.data = &c;
    ck_assert_int_eq(uv_idle_start(&c.idle, comp_idle), 0);
    t.base.vtable = &ticker_vt;
    t.c = &c;
    t.turns = 0;
    ck_assert_int_eq(FUT_SPAWN(&rt, &t, &h), 0);
    ck_assert_int_eq(drive_all(), 0);
    ck_assert(fut_task_is_finished(h));
    fut_task_detach(h);
    ck_assert_int_gt(c.idles, 0);
}
END_TEST

static void
add(Suite *s, const char *name, const TTest *test, int loops)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, TEST_TIMEOUT_S);
    if (loops > 0)
        tcase_add_loop_test(tc, test, 0, loops);
    else
        tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

static Suite *
uv_drive_suite(void)
{
    Suite *s = suite_create("compat_uv_loop");

    add(s, "empty", test_uv_drive_empty, 0);
    add(s, "bad_input", test_uv_drive_bad_input, 0);
    add(s, "timers", test_uv_drive_timers, 0);
    add(s, "tcp_echo", test_uv_drive_tcp_echo, 0);
    add(s, "async_send", test_uv_drive_async_send, 0);
    add(s, "pending_change", test_uv_drive_pending_change, 0);
    add(s, "left_over", test_uv_drive_left_over, 0);
    add(s, "kick", test_uv_drive_kick, 0);
    add(s, "drop", test_uv_drive_drop, 6);
    add(s, "busy_component_yields", test_uv_drive_busy_component_yields, 0);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(uv_drive_suite());
    int failed;

    signal(SIGPIPE, SIG_IGN);
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, getenv("CK_VERBOSITY") ? CK_ENV : CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
