/* SPDX-License-Identifier: MIT */
/* compat/uv: libuv streams as AsyncRead + AsyncWrite, over real loopback
 * TCP connections and socket pairs, in a runtime attached to each test's
 * own uv_loop_t. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <uv.h>

#include <futures.h>
#include <futures/backend-uv.h>
#include <futures/compat-uv.h>

/*
 * No test waits for time: each runs the loop until the thing it waits for
 * happened (a task finished, a waker was woken, bytes arrived), with
 * UV_RUN_ONCE, which blocks only for the loop's own events. A loop that
 * runs out of work first fails the test; Check's timeout is the net.
 */
#define TEST_TIMEOUT_S 120

static uint8_t
pat(uint64_t i)
{
    return (uint8_t)(i % 251 + (i / 251) % 3);
}

/* ---- a counting waker, for futures polled by hand ------------------------ */

struct cw {
    int wakes;
    int refs; /* clones the adapter still holds */
};

static const struct fut_waker_vtable cw_vt;

static struct cw *
cw_of(const void *d)
{
    return (struct cw *)(uintptr_t)d;
}

static struct fut_waker
cw_clone(const void *d)
{
    struct fut_waker w = { &cw_vt, d };

    cw_of(d)->refs++;
    return w;
}

static void
cw_wake(const void *d)
{
    cw_of(d)->wakes++;
    cw_of(d)->refs--;
}

static void
cw_wake_by_ref(const void *d)
{
    cw_of(d)->wakes++;
}

static void
cw_drop(const void *d)
{
    cw_of(d)->refs--;
}

static const struct fut_waker_vtable cw_vt = {
    cw_clone, cw_wake, cw_wake_by_ref, cw_drop,
};

/* ---- fixture: a loop with a runtime attached, connections ---------------- */

struct fx {
    uv_loop_t loop;
    struct fut_runtime rt;
};

static void
fx_init(struct fx *f)
{
    ck_assert_int_eq(uv_loop_init(&f->loop), 0);
    ck_assert_int_eq(fut_uv_attach(&f->rt, &f->loop), 0);
}

/* The end of every test: the runtime detaches, every handle is closed,
 * and uv_loop_close() finds nothing left. */
static void
fx_fini(struct fx *f)
{
    ck_assert_int_eq(fut_runtime_close(&f->rt), 0);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&f->loop), 0);
}

typedef int (*cond_fn)(const void *arg);

static void
run_until_at(struct fx *f, cond_fn cond, const void *arg, int line)
{
    while (!cond(arg))
        ck_assert_msg(uv_run(&f->loop, UV_RUN_ONCE) != 0 || cond(arg),
                      "line %d: the loop ran out of work first", line);
}

#define run_until(f, cond, arg) run_until_at((f), (cond), (arg), __LINE__)

static int
int_set(const void *p)
{
    return *(const int *)p != 0;
}

static int
task_done(const void *t)
{
    return fut_task_is_finished(t);
}

struct sink;

/* One end of a connection: the program's handle, maybe wrapped. */
struct conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } u;
    struct fut_uv_stream s;
    int wrapped;
    int closed;
    struct sink *sink; /* a raw (unwrapped) end's reader */
};

/* The program's close callback: the wrapper is released here, before the
 * handle's memory may go. */
static void
conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;

    if (c->wrapped)
        fut_uv_stream_release(&c->s);
    c->closed = 1;
}

static void
conn_close(struct conn *c)
{
    if (!uv_is_closing(&c->u.handle))
        uv_close(&c->u.handle, conn_closed);
}

static void
conn_wrap(struct conn *c, size_t rcap, size_t wcap)
{
    ck_assert_int_eq(fut_uv_stream_init(&c->s, &c->u.stream, rcap, wcap), 0);
    c->wrapped = 1;
}

static void
conns_close(struct fx *f, struct conn *c, int n)
{
    int i;

    for (i = 0; i < n; i++)
        conn_close(&c[i]);
    for (i = 0; i < n; i++)
        run_until(f, int_set, &c[i].closed);
    for (i = 0; i < n; i++)
        ck_assert_ptr_eq(c[i].u.handle.data, &c[i]);
}

struct maker {
    uv_tcp_t listener;
    struct conn *servers;
    int n, accepted, connected, closed;
};

static void
on_connect(uv_connect_t *req, int status)
{
    struct maker *m = req->data;

    ck_assert_int_eq(status, 0);
    m->connected++;
    free(req);
}

static void
on_connection(uv_stream_t *l, int status)
{
    struct maker *m = l->data;
    struct conn *c;

    ck_assert_int_eq(status, 0);
    ck_assert_int_lt(m->accepted, m->n);
    c = &m->servers[m->accepted++];
    ck_assert_int_eq(uv_tcp_init(l->loop, &c->u.tcp), 0);
    c->u.handle.data = c;
    ck_assert_int_eq(uv_accept(l, &c->u.stream), 0);
}

static void
listener_closed(uv_handle_t *h)
{
    ((struct maker *)h->data)->closed = 1;
}

static int
maker_done(const void *p)
{
    const struct maker *m = p;

    return m->accepted == m->n && m->connected == m->n;
}

/* @n loopback TCP connections: clients[i] and servers[i] are its ends
 * (in the order accepted: which client each server belongs to does not
 * matter to the tests, which pair them by their own protocol, or use n=1). */
static void
make_tcp_pairs(struct fx *f, struct conn *clients, struct conn *servers,
               int n)
{
    struct maker m;
    struct sockaddr_in sa;
    struct sockaddr_storage bound;
    int len = sizeof bound, i;

    memset(&m, 0, sizeof m);
    m.servers = servers;
    m.n = n;
    ck_assert_int_eq(uv_tcp_init(&f->loop, &m.listener), 0);
    m.listener.data = &m;
    ck_assert_int_eq(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
    ck_assert_int_eq(uv_tcp_bind(&m.listener, (struct sockaddr *)&sa, 0), 0);
    ck_assert_int_eq(uv_tcp_getsockname(&m.listener,
                                        (struct sockaddr *)&bound, &len),
                     0);
    ck_assert_int_eq(uv_listen((uv_stream_t *)&m.listener, 511,
                               on_connection),
                     0);
    for (i = 0; i < n; i++) {
        uv_connect_t *req = malloc(sizeof *req);

        ck_assert_ptr_nonnull(req);
        req->data = &m;
        ck_assert_int_eq(uv_tcp_init(&f->loop, &clients[i].u.tcp), 0);
        clients[i].u.handle.data = &clients[i];
        ck_assert_int_eq(uv_tcp_connect(req, &clients[i].u.tcp,
                                        (struct sockaddr *)&bound,
                                        on_connect),
                         0);
    }
    run_until(f, maker_done, &m);
    uv_close((uv_handle_t *)&m.listener, listener_closed);
    run_until(f, int_set, &m.closed);
}

/* A socketpair as two uv_pipe_t. */
static void
make_pipe_pair(struct fx *f, struct conn *a, struct conn *b)
{
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(uv_pipe_init(&f->loop, &a->u.pipe, 0), 0);
    ck_assert_int_eq(uv_pipe_init(&f->loop, &b->u.pipe, 0), 0);
    a->u.handle.data = a;
    b->u.handle.data = b;
    ck_assert_int_eq(uv_pipe_open(&a->u.pipe, sv[0]), 0);
    ck_assert_int_eq(uv_pipe_open(&b->u.pipe, sv[1]), 0);
}

/* ---- tasks ----------------------------------------------------------------- */

/* Send @total bytes of the pattern in writes of up to @chunk, flush, and
 * close the write side if @close_after. */
struct pump {
    FUT_FRAME;
    struct fut_async_write *w;
    uint64_t total, sent;
    size_t chunk;
    int close_after;
    int *closed_res;
    union {
        struct fut_write wr;
        struct fut_flush fl;
        struct fut_shutdown sh;
    } u;
    unsigned char buf[16384];
};

FUT_ASYNC_FN(pump, struct pump, p, cx)
{
    size_t n, i;

    FUT_BEGIN(p, cx);
    while (p->sent < p->total) {
        n = p->chunk;
        if (n > sizeof p->buf)
            n = sizeof p->buf;
        if (n > p->total - p->sent)
            n = (size_t)(p->total - p->sent);
        for (i = 0; i < n; i++)
            p->buf[i] = pat(p->sent + i);
        FUT_AWAIT_TRY(&p->u.wr, fut_write_init(&p->u.wr, p->w, p->buf, n));
        ck_assert_int_gt(p->u.wr.res, 0);
        p->sent += (uint64_t)p->u.wr.res;
    }
    FUT_AWAIT_TRY(&p->u.fl, fut_flush_init(&p->u.fl, p->w));
    if (p->close_after) {
        FUT_AWAIT_TRY(&p->u.sh, fut_shutdown_init(&p->u.sh, p->w));
        if (p->closed_res != NULL)
            *p->closed_res = p->u.sh.res;
    }
    FUT_END;
}

static struct fut_task *
spawn_pump(struct fx *f, struct fut_async_write *w, uint64_t total,
           size_t chunk, int close_after)
{
    struct pump p = FUT_FRAME_VALUE(pump, .w = w, .total = total,
                                    .chunk = chunk,
                                    .close_after = close_after);
    struct fut_task *t;

    ck_assert_int_eq(FUT_SPAWN(&f->rt, &p, &t), 0);
    return t;
}

/* Read until end of file or an error, checking the pattern. */
struct drain_out {
    uint64_t total;
    int bad;   /* a byte that is not the pattern's */
    ssize_t last; /* 0 (EOF) or the error */
    int reads_after_eof;
};

struct drain {
    FUT_FRAME;
    struct fut_async_read *r;
    struct drain_out *out;
    struct fut_read rd;
    unsigned char buf[7000]; /* not a divisor of anything */
};

FUT_ASYNC_FN(drain, struct drain, d, cx)
{
    ssize_t i;

    FUT_BEGIN(d, cx);
    for (;;) {
        FUT_AWAIT_TRY(&d->rd, fut_read_init(&d->rd, d->r, d->buf,
                                            sizeof d->buf));
        if (d->rd.res <= 0)
            break;
        for (i = 0; i < d->rd.res; i++)
            if (d->buf[i] != pat(d->out->total + (uint64_t)i))
                d->out->bad++;
        d->out->total += (uint64_t)d->rd.res;
    }
    d->out->last = d->rd.res;
    if (d->rd.res == 0) {
        /* End of file stays end of file. */
        FUT_AWAIT_TRY(&d->rd, fut_read_init(&d->rd, d->r, d->buf, 1));
        if (d->rd.res == 0)
            d->out->reads_after_eof++;
    }
    FUT_END;
}

static struct fut_task *
spawn_drain(struct fx *f, struct fut_async_read *r, struct drain_out *out)
{
    struct drain d = FUT_FRAME_VALUE(drain, .r = r, .out = out);
    struct fut_task *t;

    memset(out, 0, sizeof *out);
    ck_assert_int_eq(FUT_SPAWN(&f->rt, &d, &t), 0);
    return t;
}

static void
join(struct fx *f, struct fut_task *t, int want)
{
    run_until(f, task_done, t);
    ck_assert_int_eq(fut_task_result(t), want);
    fut_task_detach(t);
}

/* Echo: copy the reader to the writer until end of file, then close. */
struct echo {
    FUT_FRAME;
    struct fut_uv_stream *s;
    union {
        struct fut_copy cp;
        struct fut_shutdown sh;
    } u;
    unsigned char buf[4096];
};

FUT_ASYNC_FN(echo, struct echo, e, cx)
{
    FUT_BEGIN(e, cx);
    FUT_AWAIT_TRY(&e->u.cp, fut_copy_init(&e->u.cp, &e->s->reader,
                                          &e->s->writer, e->buf,
                                          sizeof e->buf));
    FUT_AWAIT_TRY(&e->u.sh, fut_shutdown_init(&e->u.sh, &e->s->writer));
    FUT_END;
}

/* ---- hand polling ---------------------------------------------------------- */

static enum fut_poll
poll_by_hand(struct fut_future *fut, struct cw *w)
{
    struct fut_waker wk = { &cw_vt, w };
    struct fut_context cx;

    fut_context_init(&cx, &wk, NULL);
    return fut_future_poll(fut, &cx);
}

static int
woken(const void *p)
{
    return ((const struct cw *)p)->wakes > 0;
}

/* A raw peer (not wrapped) that counts and checks what it reads. */
struct sink {
    uint64_t total;
    int bad, eof, err;
    char buf[65536];
};

static void
sink_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    struct sink *k = ((struct conn *)h->data)->sink;

    (void)sz;
    ck_assert_ptr_nonnull(k);
    *b = uv_buf_init(k->buf, sizeof k->buf);
}

static void
sink_read(uv_stream_t *h, ssize_t n, const uv_buf_t *b)
{
    struct sink *k = ((struct conn *)h->data)->sink;
    ssize_t i;

    if (n > 0) {
        for (i = 0; i < n; i++)
            if ((uint8_t)b->base[i] != pat(k->total + (uint64_t)i))
                k->bad++;
        k->total += (uint64_t)n;
    } else if (n == UV_EOF) {
        k->eof = 1;
        uv_read_stop(h);
    } else if (n < 0) {
        k->err = (int)n;
        uv_read_stop(h);
    }
}

static int
sink_eof(const void *p)
{
    const struct sink *k = p;

    return k->eof || k->err;
}

/* ---- tests ----------------------------------------------------------------- */

START_TEST(test_compat_uv_round_trip)
{
    struct fx f;
    struct conn c[1], s[1];
    struct echo e;
    struct fut_task *te, *tp;
    struct drain_out out;
    int shut = 1;
    struct pump p;

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    conn_wrap(&c[0], 0, 0);
    conn_wrap(&s[0], 0, 0);
    e = FUT_FRAME_VALUE(echo, .s = &s[0].s);
    ck_assert_int_eq(FUT_SPAWN(&f.rt, &e, &te), 0);
    p = FUT_FRAME_VALUE(pump, .w = &c[0].s.writer, .total = 100000,
                        .chunk = 1000, .close_after = 1, .closed_res = &shut);
    ck_assert_int_eq(FUT_SPAWN(&f.rt, &p, &tp), 0);
    (void)spawn_drain;
    {
        struct fut_task *td = spawn_drain(&f, &c[0].s.reader, &out);

        join(&f, tp, 0);
        join(&f, te, 0);
        join(&f, td, 0);
    }
    ck_assert_int_eq(shut, 0);
    ck_assert_uint_eq(out.total, 100000);
    ck_assert_int_eq(out.bad, 0);
    ck_assert_int_eq(out.last, 0);
    ck_assert_int_eq(out.reads_after_eof, 1);
    conns_close(&f, c, 1);
    conns_close(&f, s, 1);
    fx_fini(&f);
}
END_TEST

/* Several MB both ways at once, through small rings: the rings wrap, the
 * writes go out in parts, the reads stop and start again. */
START_TEST(test_compat_uv_large_both_ways)
{
    struct fx f;
    struct conn c[1], s[1];
    struct drain_out oc, os;
    struct fut_task *t[4];
    const uint64_t total = (uint64_t)6 << 20;
    int i;

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    conn_wrap(&c[0], 4096, 3000);
    conn_wrap(&s[0], 10000, 0);
    t[0] = spawn_pump(&f, &c[0].s.writer, total, 16384, 1);
    t[1] = spawn_pump(&f, &s[0].s.writer, total, 777, 1);
    t[2] = spawn_drain(&f, &c[0].s.reader, &oc);
    t[3] = spawn_drain(&f, &s[0].s.reader, &os);
    for (i = 0; i < 4; i++)
        join(&f, t[i], 0);
    ck_assert_uint_eq(oc.total, total);
    ck_assert_uint_eq(os.total, total);
    ck_assert_int_eq(oc.bad + os.bad, 0);
    conns_close(&f, c, 1);
    conns_close(&f, s, 1);
    fx_fini(&f);
}
END_TEST

/* EOF from a peer that shuts down its write side: READY 0, and 0 again;
 * bytes sent before the EOF come first. */
START_TEST(test_compat_uv_eof)
{
    struct fx f;
    struct conn c[1], s[1];
    struct drain_out out;
    struct fut_task *tp, *td;

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    conn_wrap(&c[0], 0, 0);
    conn_wrap(&s[0], 0, 0);
    tp = spawn_pump(&f, &c[0].s.writer, 12345, 5000, 1);
    join(&f, tp, 0);
    td = spawn_drain(&f, &s[0].s.reader, &out);
    join(&f, td, 0);
    ck_assert_uint_eq(out.total, 12345);
    ck_assert_int_eq(out.last, 0);
    ck_assert_int_eq(out.reads_after_eof, 1);
    /* After close: the write side answers -EPIPE; close again gives the
     * same answer as the first. */
    {
        struct fut_write w;
        struct fut_shutdown sh;
        struct cw cw = { 0, 0 };

        ck_assert_int_eq(fut_write_init(&w, &c[0].s.writer, "x", 1), 0);
        ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
        ck_assert_int_eq(w.res, -EPIPE);
        fut_future_drop(&w.base);
        ck_assert_int_eq(fut_shutdown_init(&sh, &c[0].s.writer), 0);
        ck_assert_int_eq(poll_by_hand(&sh.base, &cw), FUT_READY);
        ck_assert_int_eq(sh.res, 0);
        fut_future_drop(&sh.base);
    }
    conns_close(&f, c, 1);
    conns_close(&f, s, 1);
    fx_fini(&f);
}
END_TEST

static void
close_with_reset(struct conn *c)
{
    uv_os_fd_t fd;
    struct linger lg = { 1, 0 };

    ck_assert_int_eq(uv_fileno(&c->u.handle, &fd), 0);
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg),
                     0);
    conn_close(c);
}

static int
drained_5000(const void *p)
{
    return ((const struct drain_out *)p)->total == 5000;
}

/* A peer that closes with SO_LINGER 0 resets the connection: the bytes it
 * sent first were read, then -ECONNRESET (sticky), and writes fail. */
START_TEST(test_compat_uv_peer_reset)
{
    struct fx f;
    struct conn c[1], s[1];
    struct drain_out out;
    struct fut_task *tp, *td;
    struct fut_write w;
    struct fut_read rd;
    char b[16];
    struct cw cw = { 0, 0 };

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    conn_wrap(&s[0], 0, 0);
    conn_wrap(&c[0], 0, 0);
    td = spawn_drain(&f, &s[0].s.reader, &out);
    tp = spawn_pump(&f, &c[0].s.writer, 5000, 5000, 0);
    join(&f, tp, 0);
    run_until(&f, drained_5000, &out);
    close_with_reset(&c[0]);
    join(&f, td, -ECONNRESET);
    ck_assert_int_eq(out.bad, 0);
    ck_assert_int_eq(fut_read_init(&rd, &s[0].s.reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_READY);
    ck_assert_int_eq(rd.res, -ECONNRESET);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(fut_write_init(&w, &s[0].s.writer, "x", 1), 0);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    ck_assert_msg(w.res == -EPIPE || w.res == -ECONNRESET, "write: %zd",
                  w.res);
    fut_future_drop(&w.base);
    ck_assert_int_eq(cw.refs, 0);
    run_until(&f, int_set, &c[0].closed);
    conns_close(&f, s, 1);
    fx_fini(&f);
}
END_TEST

/* The raw peer writes with uv_try_write() until it would block. */
static uint64_t
fill(struct conn *c, uint64_t off)
{
    static unsigned char chunk[65536];
    uint64_t sent = 0;
    size_t i;
    uv_buf_t b;
    int r;

    for (;;) {
        for (i = 0; i < sizeof chunk; i++)
            chunk[i] = pat(off + sent + i);
        b = uv_buf_init((char *)chunk, sizeof chunk);
        r = uv_try_write(&c->u.stream, &b, 1);
        if (r == UV_EAGAIN)
            return sent;
        ck_assert_int_gt(r, 0);
        sent += (uint64_t)r;
    }
}

static void
on_raw_shutdown(uv_shutdown_t *req, int status)
{
    ck_assert_int_eq(status, 0);
    *(int *)req->data = 1;
}

/* Backpressure: the peer writes until its own side blocks while nobody
 * reads the wrapper; the wrapper never buffers more than its capacity
 * (given, or the default for 0), and every byte still arrives after. */
START_TEST(test_compat_uv_backpressure)
{
    static const size_t caps[] = { 16384, 0 };
    size_t cap = caps[_i] != 0 ? caps[_i] : FUT_UV_STREAM_DEFAULT_CAP;
    struct fx f;
    struct conn c[1], s[1];
    struct fut_read rd;
    char b[1];
    struct cw cw = { 0, 0 };
    uint64_t total = 0, now;
    struct drain_out out;
    struct fut_task *td;
    uv_shutdown_t sreq;
    int round, quiet = 0, shut = 0;

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    conn_wrap(&s[0], caps[_i], 0);
    /* A read that finds nothing starts libuv reading; drop it. */
    ck_assert_int_eq(fut_read_init(&rd, &s[0].s.reader, b, 1), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_PENDING);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(cw.refs, 0);
    for (round = 0; quiet < 3; round++) {
        ck_assert_int_lt(round, 100000);
        now = fill(&c[0], total);
        total += now;
        uv_run(&f.loop, UV_RUN_NOWAIT);
        ck_assert_uint_le(fut_uv_stream_buffered(&s[0].s), cap);
        if (now == 0 && fut_uv_stream_buffered(&s[0].s) == cap)
            quiet++;
    }
    ck_assert_uint_eq(fut_uv_stream_buffered(&s[0].s), cap);
    ck_assert_uint_gt(total, cap);
    ck_assert_int_eq(cw.wakes, 0);
    /* The peer ends; the reader takes everything. */
    sreq.data = &shut;
    ck_assert_int_eq(uv_shutdown(&sreq, &c[0].u.stream, on_raw_shutdown), 0);
    td = spawn_drain(&f, &s[0].s.reader, &out);
    join(&f, td, 0);
    run_until(&f, int_set, &shut);
    ck_assert_uint_eq(out.total, total);
    ck_assert_int_eq(out.bad, 0);
    conns_close(&f, c, 1);
    conns_close(&f, s, 1);
    fx_fini(&f);
}
END_TEST

static unsigned char *
pattern_buf(size_t n)
{
    unsigned char *p = malloc(n);
    size_t i;

    ck_assert_ptr_nonnull(p);
    for (i = 0; i < n; i++)
        p[i] = pat(i);
    return p;
}

#define BIG ((size_t)32 << 20)

static void
sink_start(struct conn *c, struct sink *k)
{
    memset(k, 0, sizeof *k);
    c->sink = k;
    ck_assert_int_eq(uv_read_start(&c->u.stream, sink_alloc, sink_read), 0);
}

/* A write larger than write_cap is accepted in parts; a pending write
 * dropped accepted nothing, and the rest goes out after. */
START_TEST(test_compat_uv_write_over_cap)
{
    struct fx f;
    struct conn c[1], s[1];
    struct fut_write w;
    struct cw cw = { 0, 0 };
    unsigned char *big = pattern_buf(BIG);
    struct sink *k = malloc(sizeof *k);
    struct pump p;
    struct fut_task *tp;
    ssize_t first;

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    conn_wrap(&c[0], 0, 1000);
    ck_assert_int_eq(fut_write_init(&w, &c[0].s.writer, big, BIG), 0);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    first = w.res;
    fut_future_drop(&w.base);
    ck_assert_int_gt(first, 0);
    ck_assert_int_lt(first, (ssize_t)BIG);
    ck_assert_int_eq(fut_write_init(&w, &c[0].s.writer, big + first,
                                    BIG - (size_t)first),
                     0);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_PENDING);
    ck_assert_int_eq(cw.refs, 1);
    fut_future_drop(&w.base);
    ck_assert_int_eq(cw.refs, 0);
    sink_start(&s[0], k);
    p = FUT_FRAME_VALUE(pump, .w = &c[0].s.writer, .sent = (uint64_t)first,
                        .total = BIG, .chunk = 16384, .close_after = 1);
    ck_assert_int_eq(FUT_SPAWN(&f.rt, &p, &tp), 0);
    join(&f, tp, 0);
    run_until(&f, sink_eof, k);
    ck_assert_uint_eq(k->total, BIG);
    ck_assert_int_eq(k->bad, 0);
    ck_assert_int_eq(k->err, 0);
    ck_assert_int_eq(cw.wakes, 0);
    conns_close(&f, c, 1);
    conns_close(&f, s, 1);
    fx_fini(&f);
    free(k);
    free(big);
}
END_TEST

/* Fill the wrapper's write side against a peer that does not read: the
 * first write is READY (kernel + ring), the next PENDING (dropped). */
static ssize_t
fill_wrapper(struct conn *c, const unsigned char *big)
{
    struct fut_write w;
    struct cw cw = { 0, 0 };
    ssize_t n;

    ck_assert_int_eq(fut_write_init(&w, &c->s.writer, big, BIG), 0);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    n = w.res;
    fut_future_drop(&w.base);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(fut_write_init(&w, &c->s.writer, big + n,
                                    BIG - (size_t)n),
                     0);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_PENDING);
    fut_future_drop(&w.base);
    ck_assert_int_eq(cw.refs, 0);
    return n;
}

/* Drop of a pending flush, of a close pending on the flush, and of a close
 * pending on its uv_shutdown(); then a flush and a close complete. */
START_TEST(test_compat_uv_drop_pending_flush_close)
{
    struct fx f;
    struct conn c[1], s[1];
    struct fut_flush fl;
    struct fut_shutdown sh;
    struct cw cw = { 0, 0 }, cw2 = { 0, 0 };
    unsigned char *big = pattern_buf(BIG);
    struct sink *k = malloc(sizeof *k);
    ssize_t n;

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    conn_wrap(&c[0], 0, 1000);
    n = fill_wrapper(&c[0], big);
    ck_assert_int_eq(fut_flush_init(&fl, &c[0].s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&fl.base, &cw), FUT_PENDING);
    ck_assert_int_eq(cw.refs, 1);
    fut_future_drop(&fl.base);
    ck_assert_int_eq(cw.refs, 0);
    ck_assert_int_eq(fut_shutdown_init(&sh, &c[0].s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&sh.base, &cw), FUT_PENDING);
    ck_assert_int_eq(cw.refs, 1);
    fut_future_drop(&sh.base);
    ck_assert_int_eq(cw.refs, 0);
    /* The peer reads; a new flush completes. */
    sink_start(&s[0], k);
    ck_assert_int_eq(fut_flush_init(&fl, &c[0].s.writer), 0);
    if (poll_by_hand(&fl.base, &cw2) == FUT_PENDING) {
        run_until(&f, woken, &cw2);
        ck_assert_int_eq(poll_by_hand(&fl.base, &cw2), FUT_READY);
    }
    ck_assert_int_eq(fl.res, 0);
    fut_future_drop(&fl.base);
    ck_assert_int_eq(cw2.refs, 0);
    /* A close whose uv_shutdown() is in flight, dropped. */
    ck_assert_int_eq(fut_shutdown_init(&sh, &c[0].s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&sh.base, &cw), FUT_PENDING);
    fut_future_drop(&sh.base);
    ck_assert_int_eq(cw.refs, 0);
    run_until(&f, sink_eof, k);
    ck_assert_int_eq(k->eof, 1);
    ck_assert_uint_eq(k->total, (uint64_t)n);
    ck_assert_int_eq(k->bad, 0);
    ck_assert_int_eq(cw.wakes, 0);
    /* The shutdown's answer is kept. */
    ck_assert_int_eq(fut_shutdown_init(&sh, &c[0].s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&sh.base, &cw), FUT_READY);
    ck_assert_int_eq(sh.res, 0);
    fut_future_drop(&sh.base);
    conns_close(&f, c, 1);
    conns_close(&f, s, 1);
    fx_fini(&f);
    free(k);
    free(big);
}
END_TEST

/* Release with a uv_write() in flight: the handle stays the program's, the
 * bytes accepted still go out (_i 0), or the program closes the handle at
 * once and libuv cancels the write (_i 1); either way the adapter's memory
 * is freed by the write callback (ASan and valgrind check it). */
START_TEST(test_compat_uv_release_write_in_flight)
{
    struct fx f;
    struct conn c[1], s[1];
    unsigned char *big = pattern_buf(BIG);
    struct sink *k = malloc(sizeof *k);
    uv_shutdown_t sreq;
    int shut = 0;
    ssize_t n;

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    conn_wrap(&c[0], 0, 1000);
    n = fill_wrapper(&c[0], big);
    fut_uv_stream_release(&c[0].s);
    fut_uv_stream_release(&c[0].s); /* twice: harmless */
    ck_assert_uint_eq(fut_uv_stream_buffered(&c[0].s), 0);
    sink_start(&s[0], k);
    if (_i == 0) {
        sreq.data = &shut;
        ck_assert_int_eq(uv_shutdown(&sreq, &c[0].u.stream,
                                     on_raw_shutdown),
                         0);
        run_until(&f, int_set, &shut);
        run_until(&f, sink_eof, k);
        ck_assert_int_eq(k->eof, 1);
        ck_assert_uint_eq(k->total, (uint64_t)n);
        ck_assert_int_eq(k->bad, 0);
    } else {
        conns_close(&f, c, 1);
        run_until(&f, sink_eof, k);
        ck_assert_uint_le(k->total, (uint64_t)n);
        ck_assert_int_eq(k->bad, 0);
    }
    conns_close(&f, c, 1);
    conns_close(&f, s, 1);
    fx_fini(&f);
    free(k);
    free(big);
}
END_TEST

/* The program closes the handle under a pending read and a pending write
 * (_i 0), or under a pending read alone (_i 1): both are woken, then read
 * -EBADF and write -EPIPE; the cancelled uv_write() is absorbed. */
START_TEST(test_compat_uv_program_closes)
{
    struct fx f;
    struct conn c[1], s[1];
    unsigned char *big = pattern_buf(BIG);
    struct fut_read rd;
    struct fut_write w;
    char b[8];
    struct cw cr = { 0, 0 }, cwr = { 0, 0 };

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    conn_wrap(&c[0], 0, 1000);
    ck_assert_int_eq(fut_read_init(&rd, &c[0].s.reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cr), FUT_PENDING);
    if (_i == 0) {
        (void)fill_wrapper(&c[0], big);
        ck_assert_int_eq(fut_write_init(&w, &c[0].s.writer, big, BIG), 0);
        ck_assert_int_eq(poll_by_hand(&w.base, &cwr), FUT_PENDING);
    }
    conn_close(&c[0]);
    if (_i == 1) {
        /* Closing, not yet closed: the answers are already final. */
        ck_assert_int_eq(fut_write_init(&w, &c[0].s.writer, big, BIG), 0);
        ck_assert_int_eq(poll_by_hand(&w.base, &cwr), FUT_READY);
        ck_assert_int_eq(w.res, -EPIPE);
        fut_future_drop(&w.base);
        ck_assert_int_eq(fut_write_init(&w, &c[0].s.writer, big, BIG), 0);
    }
    run_until(&f, int_set, &c[0].closed);
    ck_assert_int_ge(cr.wakes, 1);
    ck_assert_int_eq(cr.refs, 0);
    if (_i == 0) {
        ck_assert_int_ge(cwr.wakes, 1);
        ck_assert_int_eq(cwr.refs, 0);
    }
    ck_assert_int_eq(poll_by_hand(&rd.base, &cr), FUT_READY);
    ck_assert_int_eq(rd.res, -EBADF);
    ck_assert_int_eq(poll_by_hand(&w.base, &cwr), FUT_READY);
    ck_assert_int_eq(w.res, -EPIPE);
    fut_future_drop(&rd.base);
    fut_future_drop(&w.base);
    ck_assert_int_eq(cr.refs + cwr.refs, 0);
    conns_close(&f, s, 1);
    fx_fini(&f);
    free(big);
}
END_TEST

static void
check_dead(struct fut_uv_stream *st, ssize_t want_read)
{
    struct fut_read rd;
    struct fut_write w;
    struct fut_flush fl;
    struct fut_shutdown sh;
    struct cw cw = { 0, 0 };
    char b[4];

    ck_assert_int_eq(fut_read_init(&rd, &st->reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_READY);
    ck_assert_int_eq(rd.res, want_read);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(fut_write_init(&w, &st->writer, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    ck_assert_int_eq(w.res, -EPIPE);
    fut_future_drop(&w.base);
    ck_assert_int_eq(fut_flush_init(&fl, &st->writer), 0);
    ck_assert_int_eq(poll_by_hand(&fl.base, &cw), FUT_READY);
    ck_assert_int_eq(fl.res, -EPIPE);
    fut_future_drop(&fl.base);
    ck_assert_int_eq(fut_shutdown_init(&sh, &st->writer), 0);
    ck_assert_int_eq(poll_by_hand(&sh.base, &cw), FUT_READY);
    ck_assert_int_eq(sh.res, -EPIPE);
    fut_future_drop(&sh.base);
    ck_assert_int_eq(cw.refs, 0);
}

START_TEST(test_compat_uv_bad_input)
{
    struct fx f;
    struct conn c[1], s[1], lone;
    struct fut_uv_stream w, w2;
    uv_udp_t udp;
    int closed = 0;

    memset(c, 0, sizeof c);
    memset(s, 0, sizeof s);
    memset(&lone, 0, sizeof lone);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, 1);
    ck_assert_int_eq(fut_uv_stream_init(NULL, &c[0].u.stream, 0, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_uv_stream_init(&w, NULL, 0, 0), -EINVAL);
    check_dead(&w, -EBADF);
    ck_assert_uint_eq(fut_uv_stream_buffered(&w), 0);
    ck_assert_uint_eq(fut_uv_stream_buffered(NULL), 0);
    fut_uv_stream_release(&w);
    fut_uv_stream_release(NULL);
    ck_assert_int_eq(fut_uv_stream_init(&w, &c[0].u.stream,
                                        FUT_UV_STREAM_MAX_CAP + 1, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_uv_stream_init(&w, &c[0].u.stream, 0, SIZE_MAX),
                     -EINVAL);
    /* Not a stream: a UDP handle. */
    ck_assert_int_eq(uv_udp_init(&f.loop, &udp), 0);
    udp.data = &closed;
    ck_assert_int_eq(fut_uv_stream_init(&w, (uv_stream_t *)&udp, 0, 0),
                     -EINVAL);
    uv_close((uv_handle_t *)&udp, NULL);
    /* Not connected. */
    ck_assert_int_eq(uv_tcp_init(&f.loop, &lone.u.tcp), 0);
    lone.u.handle.data = &lone;
    ck_assert_int_eq(fut_uv_stream_init(&w, &lone.u.stream, 0, 0),
                     -ENOTCONN);
    check_dead(&w, -EBADF);
    conn_close(&lone);
    /* Zero caps are the defaults; a second wrapper of the same handle is
     * refused; after release the handle can be wrapped again. */
    ck_assert_int_eq(fut_uv_stream_init(&w, &c[0].u.stream, 0, 0), 0);
    ck_assert_int_eq(fut_uv_stream_init(&w2, &c[0].u.stream, 1, 1), -EBUSY);
    fut_uv_stream_release(&w2);
    fut_uv_stream_release(&w);
    fut_uv_stream_release(&w);
    ck_assert_int_eq(fut_uv_stream_init(&w2, &c[0].u.stream, 1, 1), 0);
    fut_uv_stream_release(&w2);
    /* A handle being closed. */
    conn_close(&c[0]);
    ck_assert_int_eq(fut_uv_stream_init(&w, &c[0].u.stream, 0, 0), -EINVAL);
    run_until(&f, int_set, &lone.closed);
    conns_close(&f, c, 1);
    conns_close(&f, s, 1);
    fx_fini(&f);
}
END_TEST

/* A socket pair as two uv_pipe_t, both wrapped: a transfer each way. */
START_TEST(test_compat_uv_pipe)
{
    struct fx f;
    struct conn a, b;
    struct drain_out oa, ob;
    struct fut_task *t[4];
    int i;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    fx_init(&f);
    make_pipe_pair(&f, &a, &b);
    conn_wrap(&a, 5000, 3000);
    conn_wrap(&b, 0, 0);
    t[0] = spawn_pump(&f, &a.s.writer, 1 << 20, 10000, 1);
    t[1] = spawn_pump(&f, &b.s.writer, 300000, 4096, 1);
    t[2] = spawn_drain(&f, &b.s.reader, &ob);
    t[3] = spawn_drain(&f, &a.s.reader, &oa);
    for (i = 0; i < 4; i++)
        join(&f, t[i], 0);
    ck_assert_uint_eq(ob.total, 1 << 20);
    ck_assert_uint_eq(oa.total, 300000);
    ck_assert_int_eq(oa.bad + ob.bad, 0);
    conns_close(&f, &a, 1);
    conns_close(&f, &b, 1);
    fx_fini(&f);
}
END_TEST

#define PAIRS 200

/* Many wrapped streams at once: the per-thread map grows (400 handles) and
 * shrinks again as they are released. */
START_TEST(test_compat_uv_many)
{
    struct fx f;
    struct conn *c = calloc(PAIRS, sizeof *c);
    struct conn *s = calloc(PAIRS, sizeof *s);
    struct drain_out *out = calloc(PAIRS, sizeof *out);
    struct fut_task **t = calloc(2 * PAIRS, sizeof *t);
    struct fut_uv_stream extra;
    int i;

    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(t);
    fx_init(&f);
    make_tcp_pairs(&f, c, s, PAIRS);
    for (i = 0; i < PAIRS; i++) {
        conn_wrap(&c[i], 1024, 1024);
        conn_wrap(&s[i], 1024, 1024);
    }
    for (i = 0; i < PAIRS; i++) {
        t[2 * i] = spawn_pump(&f, &c[i].s.writer, 3000, 3000, 1);
        t[2 * i + 1] = spawn_drain(&f, &s[i].s.reader, &out[i]);
    }
    for (i = 0; i < 2 * PAIRS; i++)
        join(&f, t[i], 0);
    for (i = 0; i < PAIRS; i++) {
        ck_assert_uint_eq(out[i].total, 3000);
        ck_assert_int_eq(out[i].bad, 0);
        ck_assert_int_eq(fut_uv_stream_init(&extra, &c[i].u.stream, 0, 0),
                         -EBUSY);
    }
    conns_close(&f, c, PAIRS);
    conns_close(&f, s, PAIRS);
    fx_fini(&f);
    free(t);
    free(out);
    free(s);
    free(c);
}
END_TEST

/* One TCase per behaviour (CK_RUN_CASE=backpressure runs one). */
static void
add(Suite *s, const char *name, const TTest *test, int loops)
{
    TCase *tc = tcase_create(name);

    tcase_set_timeout(tc, TEST_TIMEOUT_S);
    if (loops > 0)
        tcase_add_loop_test(tc, test, 0, loops);
    else
        tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

static Suite *
compat_uv_suite(void)
{
    Suite *s = suite_create("compat_uv");

    add(s, "round_trip", test_compat_uv_round_trip, 0);
    add(s, "large_both_ways", test_compat_uv_large_both_ways, 0);
    add(s, "eof", test_compat_uv_eof, 0);
    add(s, "peer_reset", test_compat_uv_peer_reset, 0);
    add(s, "backpressure", test_compat_uv_backpressure, 2);
    add(s, "write_over_cap", test_compat_uv_write_over_cap, 0);
    add(s, "drop_pending_flush_close",
        test_compat_uv_drop_pending_flush_close, 0);
    add(s, "release_write_in_flight",
        test_compat_uv_release_write_in_flight, 2);
    add(s, "program_closes", test_compat_uv_program_closes, 2);
    add(s, "bad_input", test_compat_uv_bad_input, 0);
    add(s, "pipe", test_compat_uv_pipe, 0);
    add(s, "many", test_compat_uv_many, 0);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(compat_uv_suite());
    int failed;

    /* libuv writes with write(2): a peer that is gone would kill the
     * process with SIGPIPE, as in any libuv program that does not ignore
     * it. */
    signal(SIGPIPE, SIG_IGN);
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, getenv("CK_VERBOSITY") ? CK_ENV : CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
