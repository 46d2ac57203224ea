/* SPDX-License-Identifier: MIT */
/* compat/event: libevent bufferevents as AsyncRead + AsyncWrite, over real
 * loopback TCP connections and bufferevent pairs, in a runtime attached to
 * each test's own event_base. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <futures.h>
#include <futures/backend-event.h>
#include <futures/compat-event.h>

/*
 * No test waits for time: each runs the base (EVLOOP_ONCE, which blocks
 * only for the base's own events) until the thing it waits for happened (a
 * task finished, a waker was woken, bytes arrived). Where a test must know
 * that nothing more will happen (a peer whose buffers are full), it turns
 * the base without blocking (EVLOOP_NONBLOCK) until several turns in a row
 * changed nothing: loopback delivery is synchronous, so that is a fact of
 * the kernel, not of the clock. Check's timeout is only the net.
 */
#define TEST_TIMEOUT_S 120

#include "stream_common.h"

/* ---- fixture: a base with a runtime attached ------------------------------- */

struct fx {
    struct event_base *base;
    struct fut_runtime rt;
};

static void
fx_init(struct fx *f)
{
    f->base = event_base_new();
    ck_assert_ptr_nonnull(f->base);
    ck_assert_int_eq(fut_event_attach(&f->rt, f->base), 0);
}

/* The end of every test (the program freed its bufferevents and events
 * first): the runtime detaches, nothing of ours or the wrapper's is left
 * added to the base, and event_base_free() is clean (ASan, valgrind). */
static void
fx_fini(struct fx *f)
{
    /* libevent 2.1 finalizes a freed bufferevent's events from the loop. */
    ck_assert_int_ne(event_base_loop(f->base, EVLOOP_NONBLOCK), -1);
    ck_assert_int_eq(fut_runtime_close(&f->rt), 0);
    ck_assert_int_eq(event_base_get_num_events(f->base,
                                               EVENT_BASE_COUNT_ADDED),
                     0);
    ck_assert_int_eq(event_base_get_num_events(f->base,
                                               EVENT_BASE_COUNT_ACTIVE),
                     0);
    event_base_free(f->base);
}

typedef int (*cond_fn)(const void *arg);

static void
run_until_at(struct fx *f, cond_fn cond, const void *arg, int line)
{
    while (!cond(arg))
        ck_assert_msg(event_base_loop(f->base, EVLOOP_ONCE) != -1,
                      "line %d: event_base_loop failed", line);
}

#define run_until(f, cond, arg) run_until_at((f), (cond), (arg), __LINE__)

static void
turn(struct fx *f)
{
    ck_assert_int_ne(event_base_loop(f->base, EVLOOP_NONBLOCK), -1);
}

static void
join(struct fx *f, struct fut_task *t, int want)
{
    run_until(f, task_done, t);
    ck_assert_int_eq(fut_task_result(t), want);
    fut_task_detach(t);
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

static struct fut_task *
spawn_drain(struct fx *f, struct fut_async_read *r, struct drain_out *out)
{
    struct drain d = FUT_FRAME_VALUE(drain, .r = r, .out = out);
    struct fut_task *t;

    memset(out, 0, sizeof *out);
    ck_assert_int_eq(FUT_SPAWN(&f->rt, &d, &t), 0);
    return t;
}

/* ---- the program's bufferevents -------------------------------------------- */

struct bconn {
    struct bufferevent *bev;
    struct fut_bufferevent_stream s;
    int wrapped;
};

static void
bconn_new(struct fx *f, struct bconn *c, int fd)
{
    memset(c, 0, sizeof *c);
    c->bev = bufferevent_socket_new(f->base, fd, BEV_OPT_CLOSE_ON_FREE);
    ck_assert_ptr_nonnull(c->bev);
}

static void
bconn_wrap(struct bconn *c, size_t rhigh, size_t whigh)
{
    ck_assert_int_eq(fut_bufferevent_stream_init(&c->s, c->bev, rhigh,
                                                 whigh),
                     0);
    c->wrapped = 1;
}

/* Release before the program frees the bufferevent (the contract). */
static void
bconn_free(struct bconn *c)
{
    if (c->wrapped)
        fut_bufferevent_stream_release(&c->s);
    bufferevent_free(c->bev);
    c->bev = NULL;
}

static size_t
out_len(const struct bconn *c)
{
    return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/* A raw peer (a descriptor with the program's own event) that reads,
 * counts and checks everything until end of file or an error. */
struct sink {
    struct event *ev;
    uint64_t total;
    int bad, eof, err;
    unsigned char buf[65536];
};

static void
sink_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sink *k = arg;
    ssize_t n, i;

    (void)what;
    for (;;) {
        n = read(fd, k->buf, sizeof k->buf);
        if (n > 0) {
            for (i = 0; i < n; i++)
                if (k->buf[i] != pat(k->total + (uint64_t)i))
                    k->bad++;
            k->total += (uint64_t)n;
            continue;
        }
        if (n == 0)
            k->eof = 1;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            k->err = errno;
        else
            return;
        event_del(k->ev);
        return;
    }
}

static struct sink *
sink_start(struct fx *f, int fd)
{
    struct sink *k = calloc(1, sizeof *k);

    ck_assert_ptr_nonnull(k);
    k->ev = event_new(f->base, fd, EV_READ | EV_PERSIST, sink_cb, k);
    ck_assert_ptr_nonnull(k->ev);
    ck_assert_int_eq(event_add(k->ev, NULL), 0);
    return k;
}

static void
sink_free(struct sink *k)
{
    event_free(k->ev);
    free(k);
}

static int
sink_done(const void *p)
{
    const struct sink *k = p;

    return k->eof || k->err;
}

#define BIG ((size_t)32 << 20) /* more than loopback's buffers hold */

/*
 * Write @big through @c by hand against a peer that does not read, until
 * a write stays PENDING: each PENDING write is given NONBLOCK turns, and
 * three turns without a wake mean the kernel's buffers are full. Leaves
 * that write pending in @w (polled with @cw) and returns the bytes
 * accepted. The output buffer never holds more than the write mark.
 */
static size_t
fill_wrapper(struct fx *f, struct bconn *c, const unsigned char *big,
             size_t whigh, struct fut_write *w, struct cw *cw)
{
    size_t off = 0;
    int quiet;

    for (;;) {
        ck_assert_uint_lt(off, BIG);
        ck_assert_int_eq(fut_write_init(w, &c->s.writer, big + off,
                                        BIG - off),
                         0);
        if (poll_by_hand(&w->base, cw) == FUT_READY) {
            ck_assert_int_gt(w->res, 0);
            off += (size_t)w->res;
            ck_assert_uint_le(out_len(c), whigh);
            fut_future_drop(&w->base);
            continue;
        }
        ck_assert_uint_ge(out_len(c), whigh);
        ck_assert_int_eq(cw->refs, 1);
        for (quiet = 0; quiet < 3 && cw->wakes == 0; quiet++)
            turn(f);
        if (cw->wakes == 0)
            return off;
        cw->wakes = 0;
        fut_future_drop(&w->base);
        ck_assert_int_eq(cw->refs, 0);
    }
}

/* After release, or a failed init: every poll answers at once. */
static void
check_dead(struct fut_bufferevent_stream *st)
{
    struct fut_read rd;
    struct fut_write w;
    struct fut_flush fl;
    struct fut_shutdown sh;
    struct cw cw = { 0, 0 };
    char b[4] = { 0 };

    ck_assert_int_eq(fut_read_init(&rd, &st->reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_READY);
    ck_assert_int_eq(rd.res, -EBADF);
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
    ck_assert_int_eq(cw.wakes, 0);
    ck_assert_uint_eq(fut_bufferevent_stream_buffered(st), 0);
}

/* ---- tests ----------------------------------------------------------------- */

/* A client pumps 100 000 bytes and closes; the server echoes them back
 * (fut_copy, then close); the client reads them all and then EOF. */
START_TEST(test_compat_event_round_trip)
{
    struct fx f;
    struct bconn c, s;
    struct echo e;
    struct pump p;
    struct drain_out out;
    struct fut_task *te, *tp, *td;
    int fds[2], shut = 1;

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &c, fds[0]);
    bconn_new(&f, &s, fds[1]);
    bconn_wrap(&c, 0, 0);
    bconn_wrap(&s, 0, 0);
    e = FUT_FRAME_VALUE(echo, .r = &s.s.reader, .w = &s.s.writer);
    ck_assert_int_eq(FUT_SPAWN(&f.rt, &e, &te), 0);
    p = FUT_FRAME_VALUE(pump, .w = &c.s.writer, .total = 100000,
                        .chunk = 1000, .close_after = 1, .closed_res = &shut);
    ck_assert_int_eq(FUT_SPAWN(&f.rt, &p, &tp), 0);
    td = spawn_drain(&f, &c.s.reader, &out);
    join(&f, tp, 0);
    join(&f, te, 0);
    join(&f, td, 0);
    ck_assert_int_eq(shut, 0);
    ck_assert_uint_eq(out.total, 100000);
    ck_assert_int_eq(out.bad, 0);
    ck_assert_int_eq(out.last, 0);
    ck_assert_int_eq(out.reads_after_eof, 1);
    bconn_free(&c);
    bconn_free(&s);
    fx_fini(&f);
}
END_TEST

/* Several MB both ways at once through small marks: reading is suspended
 * and resumed, writes go PENDING and are woken, all the time. */
START_TEST(test_compat_event_large_both_ways)
{
    struct fx f;
    struct bconn c, s;
    struct drain_out oc, os;
    struct fut_task *t[4];
    const uint64_t total = (uint64_t)4 << 20;
    int fds[2], i;

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &c, fds[0]);
    bconn_new(&f, &s, fds[1]);
    bconn_wrap(&c, 4096, 3000);
    bconn_wrap(&s, 10000, 0);
    t[0] = spawn_pump(&f, &c.s.writer, total, 16384, 1);
    t[1] = spawn_pump(&f, &s.s.writer, total, 777, 1);
    t[2] = spawn_drain(&f, &c.s.reader, &oc);
    t[3] = spawn_drain(&f, &s.s.reader, &os);
    for (i = 0; i < 4; i++)
        join(&f, t[i], 0);
    ck_assert_uint_eq(oc.total, total);
    ck_assert_uint_eq(os.total, total);
    ck_assert_int_eq(oc.bad + os.bad, 0);
    bconn_free(&c);
    bconn_free(&s);
    fx_fini(&f);
}
END_TEST

/* EOF from a peer that shuts down its write side: the bytes first, then
 * READY 0, and 0 again. After its own close, the closer's writes are
 * -EPIPE, and close again gives the first answer. */
START_TEST(test_compat_event_eof)
{
    struct fx f;
    struct bconn c, s;
    struct drain_out out;
    struct fut_task *tp, *td;
    struct fut_write w;
    struct fut_shutdown sh;
    struct fut_flush fl;
    struct cw cw = { 0, 0 };
    int fds[2];

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &c, fds[0]);
    bconn_new(&f, &s, fds[1]);
    bconn_wrap(&c, 0, 0);
    bconn_wrap(&s, 0, 0);
    tp = spawn_pump(&f, &c.s.writer, 12345, 5000, 1);
    join(&f, tp, 0);
    td = spawn_drain(&f, &s.s.reader, &out);
    join(&f, td, 0);
    ck_assert_uint_eq(out.total, 12345);
    ck_assert_int_eq(out.bad, 0);
    ck_assert_int_eq(out.last, 0);
    ck_assert_int_eq(out.reads_after_eof, 1);
    ck_assert_int_eq(fut_write_init(&w, &c.s.writer, "x", 1), 0);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    ck_assert_int_eq(w.res, -EPIPE);
    fut_future_drop(&w.base);
    ck_assert_int_eq(fut_flush_init(&fl, &c.s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&fl.base, &cw), FUT_READY);
    ck_assert_int_eq(fl.res, 0);
    fut_future_drop(&fl.base);
    ck_assert_int_eq(fut_shutdown_init(&sh, &c.s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&sh.base, &cw), FUT_READY);
    ck_assert_int_eq(sh.res, 0);
    fut_future_drop(&sh.base);
    ck_assert_int_eq(cw.refs, 0);
    /* The other direction still works (a half close). */
    tp = spawn_pump(&f, &s.s.writer, 777, 777, 1);
    td = spawn_drain(&f, &c.s.reader, &out);
    join(&f, tp, 0);
    join(&f, td, 0);
    ck_assert_uint_eq(out.total, 777);
    ck_assert_int_eq(out.last, 0);
    bconn_free(&c);
    bconn_free(&s);
    fx_fini(&f);
}
END_TEST

static int
drained_5000(const void *p)
{
    return ((const struct drain_out *)p)->total == 5000;
}

/* A peer that closes with SO_LINGER 0 resets the connection: the bytes it
 * sent first are read, then -ECONNRESET (sticky), and writes are -EPIPE. */
START_TEST(test_compat_event_peer_reset)
{
    struct fx f;
    struct bconn s;
    struct drain_out out;
    struct fut_task *td;
    struct fut_read rd;
    struct fut_write w;
    struct fut_flush fl;
    struct cw cw = { 0, 0 };
    unsigned char *b = pattern_buf(5000);
    int fds[2];

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &s, fds[1]);
    bconn_wrap(&s, 0, 0);
    td = spawn_drain(&f, &s.s.reader, &out);
    ck_assert_int_eq(send(fds[0], b, 5000, MSG_NOSIGNAL), 5000);
    run_until(&f, drained_5000, &out);
    close_with_reset(fds[0]);
    join(&f, td, -ECONNRESET);
    ck_assert_int_eq(out.bad, 0);
    ck_assert_int_eq(fut_read_init(&rd, &s.s.reader, b, 10), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_READY);
    ck_assert_int_eq(rd.res, -ECONNRESET);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(fut_write_init(&w, &s.s.writer, "x", 1), 0);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    ck_assert_int_eq(w.res, -EPIPE);
    fut_future_drop(&w.base);
    ck_assert_int_eq(fut_flush_init(&fl, &s.s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&fl.base, &cw), FUT_READY);
    ck_assert_int_eq(fl.res, -EPIPE);
    fut_future_drop(&fl.base);
    ck_assert_int_eq(cw.refs, 0);
    bconn_free(&s);
    fx_fini(&f);
    free(b);
}
END_TEST

struct bp_state {
    const struct bconn *s;
    int fd;
    uint64_t sent;
    size_t cap, most;
};

/* Backpressure on reading: a raw peer writes as fast as the kernel takes
 * it while nobody reads the wrapper; the input buffer stops at the read
 * mark (given, or the default for 0) and the peer's writes stop, bounded
 * by the kernel's buffers. Then a task reads while the peer keeps writing
 * 16 MB or more in all: the buffer never holds more than the mark, and every
 * byte arrives in order. */
START_TEST(test_compat_event_read_backpressure)
{
    static const size_t caps[] = { 16384, 0 };
    const uint64_t total = (uint64_t)16 << 20;
    size_t cap = caps[_i] != 0 ? caps[_i] : FUT_BUFFEREVENT_STREAM_DEFAULT_HIGH;
    struct fx f;
    struct bconn s;
    struct fut_read rd;
    struct cw cw = { 0, 0 };
    struct drain_out out;
    struct fut_task *td;
    char b[1];
    uint64_t sent = 0, now;
    size_t buffered, most = 0;
    int fds[2], quiet = 0;

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &s, fds[1]);
    bconn_wrap(&s, caps[_i], 0);
    /* A read that finds nothing enables EV_READ; drop it. */
    ck_assert_int_eq(fut_read_init(&rd, &s.s.reader, b, 1), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_PENDING);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(cw.refs, 0);
    while (quiet < 3) {
        now = fill(fds[0], sent);
        sent += now;
        turn(&f);
        turn(&f);
        buffered = fut_bufferevent_stream_buffered(&s.s);
        ck_assert_uint_le(buffered, cap);
        if (buffered > most)
            most = buffered;
        quiet = now == 0 ? quiet + 1 : 0;
    }
    /* libevent read right up to the mark, no further; the rest waits in
     * the kernel, and the peer is blocked. */
    ck_assert_uint_eq(most, cap);
    ck_assert_uint_gt(sent, cap);
    ck_assert_int_eq(cw.wakes, 0);
    td = spawn_drain(&f, &s.s.reader, &out);
    while (sent < total) {
        now = fill(fds[0], sent);
        sent += now;
        turn(&f);
        ck_assert_uint_le(fut_bufferevent_stream_buffered(&s.s), cap);
    }
    ck_assert_int_eq(shutdown(fds[0], SHUT_WR), 0);
    join(&f, td, 0);
    ck_assert_uint_ge(out.total, total);
    ck_assert_uint_eq(out.total, sent);
    ck_assert_int_eq(out.bad, 0);
    close(fds[0]);
    bconn_free(&s);
    fx_fini(&f);
}
END_TEST

/* Backpressure on writing: against a peer that does not read, writes go
 * PENDING once the output buffer holds the write mark, and the buffer
 * never holds more. When the peer reads, the pending write is woken (the
 * write callback at the low mark) and the rest goes through. */
START_TEST(test_compat_event_write_backpressure)
{
    static const size_t marks[] = { 1000, 0 };
    size_t whigh =
        marks[_i] != 0 ? marks[_i] : FUT_BUFFEREVENT_STREAM_DEFAULT_HIGH;
    struct fx f;
    struct bconn c;
    struct fut_write w;
    struct cw cw = { 0, 0 };
    unsigned char *big = pattern_buf(BIG);
    struct sink *k;
    struct pump p;
    struct fut_task *tp;
    size_t off;
    int fds[2];

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &c, fds[0]);
    bconn_wrap(&c, 0, marks[_i]);
    off = fill_wrapper(&f, &c, big, whigh, &w, &cw);
    ck_assert_uint_ge(off, whigh);
    ck_assert_uint_le(out_len(&c), whigh);
    ck_assert_int_eq(cw.wakes, 0);
    k = sink_start(&f, fds[1]);
    run_until(&f, woken, &cw);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    ck_assert_int_gt(w.res, 0);
    off += (size_t)w.res;
    fut_future_drop(&w.base);
    ck_assert_int_eq(cw.refs, 0);
    p = FUT_FRAME_VALUE(pump, .w = &c.s.writer, .sent = off, .total = BIG,
                        .chunk = 16384, .close_after = 1);
    ck_assert_int_eq(FUT_SPAWN(&f.rt, &p, &tp), 0);
    join(&f, tp, 0);
    run_until(&f, sink_done, k);
    ck_assert_int_eq(k->eof, 1);
    ck_assert_uint_eq(k->total, BIG);
    ck_assert_int_eq(k->bad, 0);
    sink_free(k);
    close(fds[1]);
    bconn_free(&c);
    fx_fini(&f);
    free(big);
}
END_TEST

static int
has_10(const void *p)
{
    return fut_bufferevent_stream_buffered(p) >= 10;
}

/* Drop of a pending read: its waker is withdrawn (never woken), nothing
 * was consumed, and the next read gets the bytes. */
START_TEST(test_compat_event_drop_pending_read)
{
    struct fx f;
    struct bconn s;
    struct fut_read rd;
    struct cw cw = { 0, 0 }, cw2 = { 0, 0 };
    char b[64];
    int fds[2];

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &s, fds[1]);
    bconn_wrap(&s, 0, 0);
    ck_assert_int_eq(fut_read_init(&rd, &s.s.reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_PENDING);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_PENDING);
    ck_assert_int_eq(cw.refs, 1);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(cw.refs, 0);
    ck_assert_int_eq(send(fds[0], "0123456789", 10, MSG_NOSIGNAL), 10);
    run_until(&f, has_10, &s.s);
    ck_assert_int_eq(cw.wakes, 0);
    ck_assert_int_eq(fut_read_init(&rd, &s.s.reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw2), FUT_READY);
    ck_assert_int_eq(rd.res, 10);
    ck_assert_int_eq(memcmp(b, "0123456789", 10), 0);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(cw2.refs, 0);
    close(fds[0]);
    bconn_free(&s);
    fx_fini(&f);
}
END_TEST

/* Drop of a pending write, a pending flush and a close pending on the
 * flush: no waker is left behind or woken, the bytes accepted before
 * still go out, and a new flush and close complete. */
START_TEST(test_compat_event_drop_pending_write)
{
    struct fx f;
    struct bconn c;
    struct fut_write w;
    struct fut_flush fl;
    struct fut_shutdown sh;
    struct cw cw = { 0, 0 }, cw2 = { 0, 0 };
    unsigned char *big = pattern_buf(BIG);
    struct sink *k;
    size_t off;
    int fds[2];

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &c, fds[0]);
    bconn_wrap(&c, 0, 1000);
    off = fill_wrapper(&f, &c, big, 1000, &w, &cw);
    fut_future_drop(&w.base);
    ck_assert_int_eq(cw.refs, 0);
    ck_assert_int_eq(fut_flush_init(&fl, &c.s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&fl.base, &cw), FUT_PENDING);
    ck_assert_int_eq(cw.refs, 1);
    fut_future_drop(&fl.base);
    ck_assert_int_eq(cw.refs, 0);
    ck_assert_int_eq(fut_shutdown_init(&sh, &c.s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&sh.base, &cw), FUT_PENDING);
    ck_assert_int_eq(cw.refs, 1);
    fut_future_drop(&sh.base);
    ck_assert_int_eq(cw.refs, 0);
    k = sink_start(&f, fds[1]);
    ck_assert_int_eq(fut_flush_init(&fl, &c.s.writer), 0);
    while (poll_by_hand(&fl.base, &cw2) == FUT_PENDING)
        run_until(&f, woken, &cw2);
    ck_assert_int_eq(fl.res, 0);
    fut_future_drop(&fl.base);
    ck_assert_int_eq(fut_shutdown_init(&sh, &c.s.writer), 0);
    ck_assert_int_eq(poll_by_hand(&sh.base, &cw2), FUT_READY);
    ck_assert_int_eq(sh.res, 0);
    fut_future_drop(&sh.base);
    ck_assert_int_eq(cw2.refs, 0);
    run_until(&f, sink_done, k);
    ck_assert_int_eq(k->eof, 1);
    ck_assert_uint_eq(k->total, off);
    ck_assert_int_eq(k->bad, 0);
    ck_assert_int_eq(cw.wakes, 0);
    sink_free(k);
    close(fds[1]);
    bconn_free(&c);
    fx_fini(&f);
    free(big);
}
END_TEST

/* Release while a task waits to read and a write is pending: both are
 * woken; the task's read ends with -EBADF, the write with -EPIPE. The
 * bufferevent is the program's again: NULL callbacks, its watermarks
 * back, and what was buffered still there. */
START_TEST(test_compat_event_release_waiting)
{
    struct fx f;
    struct bconn c;
    struct fut_write w;
    struct cw cw = { 0, 0 };
    struct drain_out out;
    struct fut_task *td;
    unsigned char *big = pattern_buf(BIG);
    bufferevent_data_cb rcb, wcb;
    bufferevent_event_cb ecb;
    void *arg;
    size_t lo = 1, hi = 1, queued;
    int fds[2];

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &c, fds[0]);
    bufferevent_setwatermark(c.bev, EV_READ, 0, 123456);
    bconn_wrap(&c, 0, 1000);
    td = spawn_drain(&f, &c.s.reader, &out);
    (void)fill_wrapper(&f, &c, big, 1000, &w, &cw);
    ck_assert_int_eq(fut_task_is_finished(td), 0);
    queued = out_len(&c);
    fut_bufferevent_stream_release(&c.s);
    c.wrapped = 0;
    ck_assert_int_eq(cw.wakes, 1);
    ck_assert_int_eq(cw.refs, 0);
    join(&f, td, -EBADF);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    ck_assert_int_eq(w.res, -EPIPE);
    fut_future_drop(&w.base);
    check_dead(&c.s);
    fut_bufferevent_stream_release(&c.s); /* twice: harmless */
    bufferevent_getcb(c.bev, &rcb, &wcb, &ecb, &arg);
    ck_assert(rcb == NULL && wcb == NULL && ecb == NULL && arg == NULL);
    ck_assert_int_eq(bufferevent_getwatermark(c.bev, EV_READ, &lo, &hi), 0);
    ck_assert_uint_eq(lo, 0);
    ck_assert_uint_eq(hi, 123456);
    ck_assert_uint_eq(out_len(&c), queued); /* nothing discarded */
    /* Wrapped again, it works from where it was. */
    bconn_wrap(&c, 0, 0);
    bconn_free(&c);
    close(fds[1]);
    fx_fini(&f);
    free(big);
}
END_TEST

static void
prog_read_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    (void)arg;
}

START_TEST(test_compat_event_bad_input)
{
    struct fx f;
    struct bconn c;
    struct fut_bufferevent_stream w, w2;
    bufferevent_data_cb rcb;
    int fds[2];

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &c, fds[0]);
    ck_assert_int_eq(fut_bufferevent_stream_init(NULL, c.bev, 0, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_bufferevent_stream_init(&w, NULL, 0, 0), -EINVAL);
    check_dead(&w);
    fut_bufferevent_stream_release(&w);
    fut_bufferevent_stream_release(NULL);
    ck_assert_uint_eq(fut_bufferevent_stream_buffered(NULL), 0);
    ck_assert_int_eq(fut_bufferevent_stream_init(
                         &w, c.bev, FUT_BUFFEREVENT_STREAM_MAX_HIGH + 1, 0),
                     -EINVAL);
    check_dead(&w);
    ck_assert_int_eq(fut_bufferevent_stream_init(&w, c.bev, 0, SIZE_MAX),
                     -EINVAL);
    check_dead(&w);
    /* The program's callbacks are not touched by a failed init. */
    bufferevent_setcb(c.bev, prog_read_cb, NULL, NULL, &c);
    ck_assert_int_eq(fut_bufferevent_stream_init(&w, c.bev, 0, SIZE_MAX),
                     -EINVAL);
    bufferevent_getcb(c.bev, &rcb, NULL, NULL, NULL);
    ck_assert(rcb == prog_read_cb);
    /* A second wrapper of the same bufferevent is refused; after release
     * it can be wrapped again. The largest marks are accepted. */
    ck_assert_int_eq(fut_bufferevent_stream_init(&w, c.bev, 1, 1), 0);
    ck_assert_int_eq(fut_bufferevent_stream_init(&w2, c.bev, 0, 0), -EBUSY);
    check_dead(&w2);
    fut_bufferevent_stream_release(&w2);
    fut_bufferevent_stream_release(&w);
    ck_assert_int_eq(fut_bufferevent_stream_init(
                         &w2, c.bev, FUT_BUFFEREVENT_STREAM_MAX_HIGH,
                         FUT_BUFFEREVENT_STREAM_MAX_HIGH),
                     0);
    fut_bufferevent_stream_release(&w2);
    bconn_free(&c);
    close(fds[1]);
    fx_fini(&f);
}
END_TEST

/* A read timeout (bufferevent_set_timeouts()) wakes the pending read with
 * -ETIMEDOUT, once; the next read waits again and gets the bytes. */
START_TEST(test_compat_event_timeout)
{
    struct fx f;
    struct bconn s;
    struct fut_read rd;
    struct cw cw = { 0, 0 }, cw2 = { 0, 0 };
    struct timeval tv = { 0, 20000 };
    char b[16];
    int fds[2];

    fx_init(&f);
    tcp_pair(fds);
    bconn_new(&f, &s, fds[1]);
    bconn_wrap(&s, 0, 0);
    ck_assert_int_eq(bufferevent_set_timeouts(s.bev, &tv, NULL), 0);
    ck_assert_int_eq(fut_read_init(&rd, &s.s.reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_PENDING);
    run_until(&f, woken, &cw);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_READY);
    ck_assert_int_eq(rd.res, -ETIMEDOUT);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(bufferevent_set_timeouts(s.bev, NULL, NULL), 0);
    ck_assert_int_eq(fut_read_init(&rd, &s.s.reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw2), FUT_PENDING);
    ck_assert_int_eq(send(fds[0], "hello", 5, MSG_NOSIGNAL), 5);
    run_until(&f, woken, &cw2);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw2), FUT_READY);
    ck_assert_int_eq(rd.res, 5);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(cw.refs + cw2.refs, 0);
    close(fds[0]);
    bconn_free(&s);
    fx_fini(&f);
}
END_TEST

/* A bufferevent pair (no descriptor, deferred callbacks): data both ways,
 * and poll_close gives the partner end of file (BEV_FINISHED). */
START_TEST(test_compat_event_pair)
{
    struct fx f;
    struct bufferevent *pair[2];
    struct bconn a, b;
    struct drain_out oa, ob;
    struct fut_task *t[4];
    int i;

    fx_init(&f);
    ck_assert_int_eq(bufferevent_pair_new(f.base, 0, pair), 0);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.bev = pair[0];
    b.bev = pair[1];
    bconn_wrap(&a, 5000, 3000);
    bconn_wrap(&b, 0, 0);
    t[0] = spawn_pump(&f, &a.s.writer, 1 << 20, 10000, 1);
    t[1] = spawn_pump(&f, &b.s.writer, 300000, 4096, 1);
    t[2] = spawn_drain(&f, &b.s.reader, &ob);
    t[3] = spawn_drain(&f, &a.s.reader, &oa);
    for (i = 0; i < 4; i++)
        join(&f, t[i], 0);
    ck_assert_uint_eq(ob.total, 1 << 20);
    ck_assert_uint_eq(oa.total, 300000);
    ck_assert_int_eq(oa.bad + ob.bad, 0);
    ck_assert_int_eq(oa.last, 0);
    ck_assert_int_eq(ob.reads_after_eof, 1);
    bconn_free(&a);
    bconn_free(&b);
    fx_fini(&f);
}
END_TEST

/* One TCase per behaviour (CK_RUN_CASE=read_backpressure runs one). */
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
compat_event_suite(void)
{
    Suite *s = suite_create("compat_event");

    add(s, "round_trip", test_compat_event_round_trip, 0);
    add(s, "large_both_ways", test_compat_event_large_both_ways, 0);
    add(s, "eof", test_compat_event_eof, 0);
    add(s, "peer_reset", test_compat_event_peer_reset, 0);
    add(s, "read_backpressure", test_compat_event_read_backpressure, 2);
    add(s, "write_backpressure", test_compat_event_write_backpressure, 2);
    add(s, "drop_pending_read", test_compat_event_drop_pending_read, 0);
    add(s, "drop_pending_write", test_compat_event_drop_pending_write, 0);
    add(s, "release_waiting", test_compat_event_release_waiting, 0);
    add(s, "bad_input", test_compat_event_bad_input, 0);
    add(s, "timeout", test_compat_event_timeout, 0);
    add(s, "pair", test_compat_event_pair, 0);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(compat_event_suite());
    int failed;

    /* libevent writes with writev(2): a peer that is gone would kill the
     * process with SIGPIPE, as in any libevent program that does not
     * ignore it. */
    signal(SIGPIPE, SIG_IGN);
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, getenv("CK_VERBOSITY") ? CK_ENV : CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
