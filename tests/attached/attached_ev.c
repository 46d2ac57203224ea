/* SPDX-License-Identifier: MIT */
/* Attached mode on libev: futures inside an ev_loop the program runs. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <ev.h>
#include <futures.h>
#include <futures/backend-ev.h>

#include "internal.h"
#include "support.h"

/*
 * Every test owns its loop as a program would (ev_loop_new(), never the
 * default loop), attaches a runtime, spawns tasks next to its own
 * watchers and runs the loop with ev_run(). libev has no accessor for the
 * loop's reference count, but ev_run() returns it (activecnt): loop_refs()
 * reads it with one non-blocking iteration.
 */

static struct ev_loop *loop;
static struct fut_runtime rt;
static int rt_open;

/* Set while a native callback of the test runs: a task that sees it set
 * ran inline inside the program's callback, which attached mode forbids. */
static int in_native;
static int ran_in_native;
static int clock_ticks; /* the order in which things happened */

/* Tests share one process under valgrind (CK_FORK=no). */
static void
reset_flags(void)
{
    in_native = 0;
    ran_in_native = 0;
    clock_ticks = 0;
}

static int
loop_refs(void)
{
    return ev_run(loop, EVRUN_NOWAIT);
}

static void
setup(void)
{
    reset_flags();
    loop = ev_loop_new(EVFLAG_AUTO);
    ck_assert_ptr_nonnull(loop);
    ck_assert_int_eq(loop_refs(), 0);
    ck_assert_int_eq(fut_ev_attach(&rt, loop), 0);
    rt_open = 1;
    ck_assert_str_eq(fut_runtime_backend_name(&rt), "ev");
    /* Our own watchers hold no reference on the program's loop. */
    ck_assert_int_eq(loop_refs(), 0);
}

/* Detach, and check that the loop is exactly as the program left it. */
static void
detach(void)
{
    if (!rt_open)
        return;
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&rt), 0);
    ck_assert_uint_eq(fut__runtime_io_count(&rt), 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    rt_open = 0;
    ck_assert_int_eq(loop_refs(), 0);
}

static void
teardown(void)
{
    detach();
    /* Nothing of ours is left in the loop: a full run returns at once. */
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ev_loop_destroy(loop);
    loop = NULL;
}

static int64_t
ms(int64_t n)
{
    return n * FUT_NSEC_PER_MSEC;
}

/* ---- a straight-line task: sleep, note, sleep, note ---------------------- */


struct sleeper_log {
    int64_t start, first, done;
    int order_first;    /* value of *clock when the first sleep ended */
    int order_done;
};


struct sleeper {
    struct fut_future base;
    int state;
    int64_t d1, d2;
    struct fut_sleep sleep;
    struct sleeper_log *log;
};

static enum fut_poll
sleeper_poll(struct fut_future *f, struct fut_context *cx)
{
    struct sleeper *s = (struct sleeper *)f;

    if (in_native)
        ran_in_native = 1;
    FUT_ASYNC_BEGIN(&s->state);
    s->log->start = fut_now_ns();
    fut_sleep_init(&s->sleep, s->d1);
    FUT_AWAIT_FUTURE(&s->state, &s->sleep.base, cx);
    fut_future_drop(&s->sleep.base);
    s->log->first = fut_now_ns();
    s->log->order_first = ++clock_ticks;
    fut_sleep_init(&s->sleep, s->d2);
    FUT_AWAIT_FUTURE(&s->state, &s->sleep.base, cx);
    fut_future_drop(&s->sleep.base);
    s->log->done = fut_now_ns();
    s->log->order_done = ++clock_ticks;
    FUT_ASYNC_END(&s->state);
}

static void
sleeper_drop(struct fut_future *f)
{
    fut_future_drop(&((struct sleeper *)f)->sleep.base);
}

static const struct fut_future_vtable sleeper_vtable = {
    .poll = sleeper_poll, .drop = sleeper_drop, .result = NULL,
};

static void
sleeper_init(struct sleeper *s, int64_t d1, int64_t d2,
             struct sleeper_log *log)
{
    memset(s, 0, sizeof *s);
    memset(log, 0, sizeof *log);
    s->base.vtable = &sleeper_vtable;
    s->d1 = d1;
    s->d2 = d2;
    s->log = log;
}

START_TEST(test_attached_sleep_task)
{
    struct sleeper s;
    struct sleeper_log log;

    sleeper_init(&s, ms(10), ms(5), &log);
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, NULL), 0);
    /* The pending sleep's timer keeps ev_run() going; once the task is
     * done nothing does, and ev_run() returns by itself. */
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ck_assert_int_gt(log.done, 0);
    ck_assert_int_ge(log.first - log.start, ms(10));
    ck_assert_int_ge(log.done - log.first, ms(5));
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
}
END_TEST

/* ---- a native timer and a futures sleep in one ev_run -------------------- */

struct native_timer {
    struct ev_timer w;
    int fired;
    int order;
};

static void
native_timer_cb(struct ev_loop *l, struct ev_timer *w, int revents)
{
    struct native_timer *nt = (struct native_timer *)w;

    (void)l;
    (void)revents;
    nt->fired++;
    nt->order = ++clock_ticks;
}

START_TEST(test_attached_native_timer_and_sleep)
{
    struct native_timer nt;
    struct sleeper s;
    struct sleeper_log log;

    memset(&nt, 0, sizeof nt);
    ev_timer_init(&nt.w, native_timer_cb, 0.040, 0.);
    ev_timer_start(loop, &nt.w);
    sleeper_init(&s, ms(5), ms(80), &log);
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, NULL), 0);
    ck_assert_int_eq(ev_run(loop, 0), 0);
    /* 5 ms (sleep), 40 ms (native), 85 ms (sleep), all in one ev_run;
     * wide gaps, so that a loaded machine keeps the order. */
    ck_assert_int_eq(nt.fired, 1);
    ck_assert_int_eq(log.order_first, 1);
    ck_assert_int_eq(nt.order, 2);
    ck_assert_int_eq(log.order_done, 3);
    ck_assert_int_eq(ran_in_native, 0);
}
END_TEST

/* ---- native idle and prepare counters next to a yielding task ------------ */

struct yielder {
    struct fut_future base;
    int state;
    int i, n;
    int *done;
};

static enum fut_poll
yielder_poll(struct fut_future *f, struct fut_context *cx)
{
    struct yielder *y = (struct yielder *)f;

    if (in_native)
        ran_in_native = 1;
    FUT_ASYNC_BEGIN(&y->state);
    for (y->i = 0; y->i < y->n; y->i++)
        FUT_YIELD(&y->state, cx);
    *y->done = 1;
    FUT_ASYNC_END(&y->state);
}

static void
yielder_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable yielder_vtable = {
    .poll = yielder_poll, .drop = yielder_drop, .result = NULL,
};

static void
yielder_init(struct yielder *y, int n, int *done)
{
    memset(y, 0, sizeof *y);
    y->base.vtable = &yielder_vtable;
    y->n = n;
    y->done = done;
}

struct native_counter {
    struct ev_idle idle;
    struct ev_prepare prepare;
    int idles, prepares, limit;
};

static void
native_idle_cb(struct ev_loop *l, struct ev_idle *w, int revents)
{
    struct native_counter *c = (struct native_counter *)w;

    (void)revents;
    in_native = 1;
    if (++c->idles == c->limit)
        ev_idle_stop(l, w);
    in_native = 0;
}

static void
native_prepare_cb(struct ev_loop *l, struct ev_prepare *w, int revents)
{
    struct native_counter *c =
        (struct native_counter *)(void *)((char *)w -
                                          offsetof(struct native_counter,
                                                   prepare));

    (void)l;
    (void)revents;
    c->prepares++;
}

START_TEST(test_attached_native_idle_prepare)
{
    struct native_counter c;
    struct yielder y;
    int done = 0;

    memset(&c, 0, sizeof c);
    c.limit = 200;
    ev_idle_init(&c.idle, native_idle_cb);
    ev_idle_start(loop, &c.idle);
    ev_prepare_init(&c.prepare, native_prepare_cb);
    ev_prepare_start(loop, &c.prepare);
    ev_unref(loop); /* a counter must not keep the loop alive */
    yielder_init(&y, 1000, &done);
    ck_assert_int_eq(FUT_SPAWN(&rt, &y, NULL), 0);
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ck_assert_int_eq(done, 1);
    ck_assert_int_eq(c.idles, 200);
    ck_assert_int_gt(c.prepares, 0);
    ck_assert_int_eq(ran_in_native, 0);
    ev_ref(loop);
    ev_prepare_stop(loop, &c.prepare);
}
END_TEST

/* ---- a TCP echo pair ----------------------------------------------------- */

struct echo_log {
    char got[64];
    size_t got_len;
    int server_res, client_res;
    size_t echoed;
};

static const char echo_msg[] = "hello, futures on libev";

struct echo_server {
    struct fut_future base;
    int state;
    struct fut_tcp_listener *listener;
    struct fut_tcp_stream conn;
    struct fut_tcp_accept accept;
    struct fut_read read;
    struct fut_write_all write;
    char buf[16];
    struct echo_log *log;
};

static enum fut_poll
echo_server_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_server *s = (struct echo_server *)f;

    FUT_ASYNC_BEGIN(&s->state);
    /* Pointers into the task are taken here, after the move into it. */
    fut_tcp_accept_init(&s->accept, s->listener, &s->conn);
    FUT_AWAIT_FUTURE(&s->state, &s->accept.base, cx);
    s->log->server_res = s->accept.res;
    fut_future_drop(&s->accept.base);
    if (s->log->server_res != 0)
        FUT_ASYNC_RETURN(&s->state);
    for (;;) {
        /* A small buffer, so the echo takes several reads. */
        fut_read_init(&s->read, &s->conn.reader, s->buf, sizeof s->buf);
        FUT_AWAIT_FUTURE(&s->state, &s->read.base, cx);
        fut_future_drop(&s->read.base);
        if (s->read.res <= 0) {
            s->log->server_res = (int)s->read.res;
            break;
        }
        fut_write_all_init(&s->write, &s->conn.writer, s->buf,
                           (size_t)s->read.res);
        FUT_AWAIT_FUTURE(&s->state, &s->write.base, cx);
        fut_future_drop(&s->write.base);
        if (s->write.res != 0) {
            s->log->server_res = s->write.res;
            break;
        }
        s->log->echoed += (size_t)s->read.res;
    }
    fut_tcp_stream_close(&s->conn);
    FUT_ASYNC_END(&s->state);
}

static void
echo_server_drop(struct fut_future *f)
{
    struct echo_server *s = (struct echo_server *)f;

    fut_future_drop(&s->accept.base);
    fut_future_drop(&s->read.base);
    fut_future_drop(&s->write.base);
}

static const struct fut_future_vtable echo_server_vtable = {
    .poll = echo_server_poll, .drop = echo_server_drop, .result = NULL,
};

struct echo_client {
    struct fut_future base;
    int state;
    struct sockaddr_storage addr;
    socklen_t len;
    struct fut_tcp_stream conn;
    struct fut_tcp_connect connect;
    struct fut_write_all write;
    struct fut_read_exact read;
    struct echo_log *log;
};

static enum fut_poll
echo_client_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_client *c = (struct echo_client *)f;

    FUT_ASYNC_BEGIN(&c->state);
    fut_tcp_connect_init(&c->connect, &c->conn,
                         (const struct sockaddr *)&c->addr, c->len,
                         ms(5000));
    FUT_AWAIT_FUTURE(&c->state, &c->connect.base, cx);
    c->log->client_res = c->connect.res;
    fut_future_drop(&c->connect.base);
    if (c->log->client_res != 0)
        FUT_ASYNC_RETURN(&c->state);
    fut_write_all_init(&c->write, &c->conn.writer, echo_msg,
                       sizeof echo_msg - 1);
    FUT_AWAIT_FUTURE(&c->state, &c->write.base, cx);
    c->log->client_res = c->write.res;
    fut_future_drop(&c->write.base);
    if (c->log->client_res == 0) {
        fut_read_exact_init(&c->read, &c->conn.reader, c->log->got,
                            sizeof echo_msg - 1);
        FUT_AWAIT_FUTURE(&c->state, &c->read.base, cx);
        c->log->client_res = c->read.res;
        c->log->got_len = c->read.done;
        fut_future_drop(&c->read.base);
    }
    /* The server sees EOF and finishes too. */
    fut_tcp_stream_close(&c->conn);
    FUT_ASYNC_END(&c->state);
}

static void
echo_client_drop(struct fut_future *f)
{
    struct echo_client *c = (struct echo_client *)f;

    fut_future_drop(&c->connect.base);
    fut_future_drop(&c->write.base);
    fut_future_drop(&c->read.base);
}

static const struct fut_future_vtable echo_client_vtable = {
    .poll = echo_client_poll, .drop = echo_client_drop, .result = NULL,
};

START_TEST(test_attached_tcp_echo)
{
    struct fut_tcp_listener l;
    struct echo_server srv;
    struct echo_client cli;
    struct echo_log log;
    struct native_timer nt;

    memset(&log, 0, sizeof log);
    memset(&srv, 0, sizeof srv);
    memset(&cli, 0, sizeof cli);
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 0, &cli.addr, &cli.len),
                     0);
    ck_assert_int_eq(fut_tcp_listener_bind(&l, (struct sockaddr *)&cli.addr,
                                           cli.len, 0), 0);
    ck_assert_int_eq(fut_tcp_listener_local_addr(&l, &cli.addr, &cli.len), 0);
    srv.base.vtable = &echo_server_vtable;
    srv.listener = &l;
    srv.log = &log;
    cli.base.vtable = &echo_client_vtable;
    cli.log = &log;
    ck_assert_int_eq(FUT_SPAWN(&rt, &srv, NULL), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &cli, NULL), 0);
    /* A native timer in the same loop, firing while the pair talks. */
    memset(&nt, 0, sizeof nt);
    ev_timer_init(&nt.w, native_timer_cb, 0.001, 0.);
    ev_timer_start(loop, &nt.w);
    /* Pending reads, writes and accepts are ev_io watchers that keep the
     * loop running until both tasks are done. */
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ck_assert_int_eq(nt.fired, 1);
    ck_assert_int_eq(log.client_res, 0);
    ck_assert_int_eq(log.server_res, 0); /* EOF */
    ck_assert_uint_eq(log.echoed, sizeof echo_msg - 1);
    ck_assert_uint_eq(log.got_len, sizeof echo_msg - 1);
    ck_assert_int_eq(memcmp(log.got, echo_msg, sizeof echo_msg - 1), 0);
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* ---- an mpsc fed by a native timer callback and by another thread -------- */

enum { FROM_NATIVE = 5, FROM_THREAD = 5 };

struct receiver {
    struct fut_future base;
    int state;
    struct fut_mpsc_receiver *rx;
    struct fut_mpsc_recv recv;
    int value;
    int *sum, *count, *done;
};

static enum fut_poll
receiver_poll(struct fut_future *f, struct fut_context *cx)
{
    struct receiver *r = (struct receiver *)f;

    /* The native timer callback sends with in_native set: if that send
     * ran us inline, we would see it. */
    if (in_native)
        ran_in_native = 1;
    FUT_ASYNC_BEGIN(&r->state);
    for (;;) {
        fut_mpsc_recv_init(&r->recv, r->rx, &r->value);
        FUT_AWAIT_FUTURE(&r->state, &r->recv.base, cx);
        fut_future_drop(&r->recv.base);
        if (r->recv.res != 1)
            break;
        *r->sum += r->value;
        (*r->count)++;
    }
    *r->done = 1;
    FUT_ASYNC_END(&r->state);
}

static void
receiver_drop(struct fut_future *f)
{
    fut_future_drop(&((struct receiver *)f)->recv.base);
}

static const struct fut_future_vtable receiver_vtable = {
    .poll = receiver_poll, .drop = receiver_drop, .result = NULL,
};

struct feeder {
    struct ev_timer w;       /* native, repeating */
    struct fut_mpsc_sender tx;
    int sent;
    int *done;               /* stop once the receiver is done */
};

static void
feeder_cb(struct ev_loop *l, struct ev_timer *w, int revents)
{
    struct feeder *fd = (struct feeder *)w;
    int v;

    (void)revents;
    in_native = 1;
    if (fd->sent < FROM_NATIVE) {
        v = 100 + fd->sent;
        ck_assert_int_eq(fut_mpsc_try_send(&fd->tx, &v), 0);
        if (++fd->sent == FROM_NATIVE)
            fut_mpsc_sender_close(&fd->tx);
    }
    in_native = 0;
    /* Keeps the loop alive while the thread still sends: the runtime's
     * doorbell alone would not (it holds no reference). */
    if (*fd->done)
        ev_timer_stop(l, w);
}

static void *
thread_sender(void *arg)
{
    struct fut_mpsc_sender *tx = (struct fut_mpsc_sender *)arg;
    struct timespec ts = { 0, 2000000 };
    int i, v;

    for (i = 0; i < FROM_THREAD; i++) {
        nanosleep(&ts, NULL);
        v = 1000 + i;
        while (fut_mpsc_try_send(tx, &v) == -EAGAIN)
            nanosleep(&ts, NULL);
    }
    fut_mpsc_sender_close(tx);
    return NULL;
}

START_TEST(test_attached_mpsc_native_and_thread)
{
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_sender thread_tx;
    struct receiver r;
    struct feeder fd;
    pthread_t th;
    int sum = 0, count = 0, done = 0;

    memset(&fd, 0, sizeof fd);
    ck_assert_int_eq(fut_mpsc_new(&fd.tx, &rx, sizeof(int), 4), 0);
    ck_assert_int_eq(fut_mpsc_sender_clone(&fd.tx, &thread_tx), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &receiver_vtable;
    r.rx = &rx;
    r.sum = &sum;
    r.count = &count;
    r.done = &done;
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, NULL), 0);
    fd.done = &done;
    ev_timer_init(&fd.w, feeder_cb, 0.001, 0.003);
    ev_timer_start(loop, &fd.w);
    ck_assert_int_eq(pthread_create(&th, NULL, thread_sender, &thread_tx), 0);
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(done, 1);
    ck_assert_int_eq(count, FROM_NATIVE + FROM_THREAD);
    ck_assert_int_eq(sum, 100 * 5 + 10 + 1000 * 5 + 10);
    ck_assert_int_eq(ran_in_native, 0);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

/* ---- spawned from a native callback, run later --------------------------- */

struct spawn_in_cb {
    struct ev_timer w;
    struct yielder y;
    int done;
    int done_when_cb_returned;
};

static void
spawn_in_cb_cb(struct ev_loop *l, struct ev_timer *w, int revents)
{
    struct spawn_in_cb *s = (struct spawn_in_cb *)w;

    (void)l;
    (void)revents;
    in_native = 1;
    yielder_init(&s->y, 0, &s->done);
    ck_assert_int_eq(FUT_SPAWN(&rt, &s->y, NULL), 0);
    in_native = 0;
    s->done_when_cb_returned = s->done;
}

START_TEST(test_attached_spawn_from_native_callback)
{
    struct spawn_in_cb s;

    memset(&s, 0, sizeof s);
    ev_timer_init(&s.w, spawn_in_cb_cb, 0.001, 0.);
    ev_timer_start(loop, &s.w);
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ck_assert_int_eq(s.done_when_cb_returned, 0);
    ck_assert_int_eq(s.done, 1);
    ck_assert_int_eq(ran_in_native, 0);
}
END_TEST

/* ---- detaching ----------------------------------------------------------- */

/* Waits for a descriptor to become readable, through the reactor. */
struct fd_waiter {
    struct fut_future base;
    struct fut_io *io;
    int res;
};

static enum fut_poll
fd_waiter_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fd_waiter *w = (struct fd_waiter *)f;

    return fut_io_poll_ready(w->io, cx, FUT_IO_READABLE, &w->res);
}

static void
fd_waiter_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable fd_waiter_vtable = {
    .poll = fd_waiter_poll, .drop = fd_waiter_drop, .result = NULL,
};

START_TEST(test_attached_detach_restores_loop)
{
    struct native_timer nt;
    struct sleeper s;
    struct sleeper_log log;
    struct yielder y;
    struct fd_waiter w;
    struct fut_io io;
    int sv[2], done = 0;

    /* The program has one referenced watcher of its own. */
    memset(&nt, 0, sizeof nt);
    ev_timer_init(&nt.w, native_timer_cb, 3600., 0.);
    ev_timer_start(loop, &nt.w);
    ck_assert_int_eq(loop_refs(), 1);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    ck_assert_int_eq(fut_io_init(&io, sv[0]), 0);
    memset(&w, 0, sizeof w);
    w.base.vtable = &fd_waiter_vtable;
    w.io = &io;
    sleeper_init(&s, ms(3600000), 0, &log);
    yielder_init(&y, 1000000, &done);
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, NULL), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &w, NULL), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &y, NULL), 0);
    /* A few iterations: now a deadline timer, an ev_io and the idle
     * watcher (the yielder stays ready) hold references too. */
    ck_assert_int_eq(loop_refs(), 4);
    ck_assert_int_eq(loop_refs(), 4);
    ck_assert_uint_eq(fut__runtime_io_count(&rt), 1);
    /* Detach with everything still pending. */
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    rt_open = 0;
    ck_assert_int_eq(done, 0);
    ck_assert_int_eq(loop_refs(), 1);
    ck_assert_int_eq(fut_io_close(&io), 0);
    close(sv[0]);
    close(sv[1]);
    /* The program goes on using its loop. */
    ev_timer_stop(loop, &nt.w);
    ev_timer_set(&nt.w, 0.001, 0.);
    ev_timer_start(loop, &nt.w);
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ck_assert_int_eq(nt.fired, 1);
}
END_TEST

/* Level-triggered readiness: once woken, a direction is no longer watched
 * until somebody waits for it again, so unread data does not make the
 * loop spin. */
struct ready_then_sleep {
    struct fut_future base;
    int state;
    struct fut_io *io;
    int res;
    struct fut_sleep sleep;
    int *done;
};

static enum fut_poll
ready_then_sleep_poll(struct fut_future *f, struct fut_context *cx)
{
    struct ready_then_sleep *r = (struct ready_then_sleep *)f;

    FUT_ASYNC_BEGIN(&r->state);
    FUT_AWAIT(&r->state, fut_io_poll_ready(r->io, cx, FUT_IO_READABLE,
                                           &r->res));
    /* Do not read: the byte stays there for the whole sleep. */
    fut_sleep_init(&r->sleep, ms(30));
    FUT_AWAIT_FUTURE(&r->state, &r->sleep.base, cx);
    fut_future_drop(&r->sleep.base);
    *r->done = 1;
    FUT_ASYNC_END(&r->state);
}

static void
ready_then_sleep_drop(struct fut_future *f)
{
    fut_future_drop(&((struct ready_then_sleep *)f)->sleep.base);
}

static const struct fut_future_vtable ready_then_sleep_vtable = {
    .poll = ready_then_sleep_poll, .drop = ready_then_sleep_drop,
    .result = NULL,
};

struct writer_timer {
    struct ev_timer w;
    int fd;
};

static void
writer_timer_cb(struct ev_loop *l, struct ev_timer *w, int revents)
{
    (void)l;
    (void)revents;
    ck_assert_int_eq(write(((struct writer_timer *)w)->fd, "x", 1), 1);
}

START_TEST(test_attached_level_triggered_no_spin)
{
    struct ready_then_sleep r;
    struct writer_timer wt;
    struct fut_io io;
    unsigned int iter0;
    int sv[2], done = 0;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    ck_assert_int_eq(fut_io_init(&io, sv[0]), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &ready_then_sleep_vtable;
    r.io = &io;
    r.done = &done;
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, NULL), 0);
    wt.fd = sv[1];
    ev_timer_init(&wt.w, writer_timer_cb, 0.002, 0.);
    ev_timer_start(loop, &wt.w);
    iter0 = ev_iteration(loop);
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ck_assert_int_eq(done, 1);
    ck_assert_int_eq(r.res, 0);
    /* A handful of iterations (timer, readiness, the sleep), not one per
     * microsecond of the 30 ms the byte sat unread. */
    ck_assert_uint_lt(ev_iteration(loop) - iter0, 40);
    ck_assert_int_eq(fut_io_close(&io), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

struct closer {
    struct ev_timer w;
    int closed;
};

static void
closer_cb(struct ev_loop *l, struct ev_timer *w, int revents)
{
    struct closer *c = (struct closer *)w;

    (void)l;
    (void)revents;
    /* From the program's own callback, while our hooks may be queued for
     * this very iteration. */
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    rt_open = 0;
    c->closed = 1;
}

START_TEST(test_attached_close_from_native_callback)
{
    struct closer c;
    struct sleeper s;
    struct sleeper_log log;
    struct yielder y;
    int done = 0;

    memset(&c, 0, sizeof c);
    sleeper_init(&s, ms(3600000), 0, &log);
    yielder_init(&y, 1000000000, &done);
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, NULL), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &y, NULL), 0);
    ev_timer_init(&c.w, closer_cb, 0.005, 0.);
    ev_timer_start(loop, &c.w);
    /* Runs until the callback closes the runtime, then nothing is left. */
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ck_assert_int_eq(c.closed, 1);
    ck_assert_int_eq(done, 0);
}
END_TEST

/* ---- bad input ----------------------------------------------------------- */

START_TEST(test_attached_bad_input)
{
    struct fut_runtime other;
    int64_t deadline = 0;

    ck_assert_int_eq(fut_ev_attach(NULL, loop), -EINVAL);
    ck_assert_int_eq(fut_ev_attach(&other, NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_init_attached(&other, NULL, loop), -EINVAL);
    ck_assert_int_eq(fut_runtime_attached_run(NULL, &deadline), -EINVAL);
    /* An owned runtime has no hooks to be run from. */
    ck_assert_int_eq(fut_runtime_init(&other, fut_backend_ev(), NULL), 0);
    ck_assert_int_eq(fut_runtime_attached_run(&other, &deadline), -EINVAL);
    ck_assert_int_eq(deadline, -1);
    ck_assert_int_eq(fut_runtime_close(&other), 0);
}
END_TEST

/* ---- owned mode ---------------------------------------------------------- */


START_TEST(test_owned_block_on)
{
    struct fut_runtime own;
    struct sleeper s;
    struct sleeper_log log;

    ck_assert_int_eq(fut_runtime_init(&own, fut_backend_ev(), NULL), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&own), "ev");
    sleeper_init(&s, ms(3), ms(2), &log);
    ck_assert_int_eq(fut_block_on(&own, &s.base), 0);
    ck_assert_int_ge(log.first - log.start, ms(3));
    ck_assert_int_ge(log.done - log.first, ms(2));
    fut_future_drop(&s.base);
    ck_assert_int_eq(fut_runtime_close(&own), 0);
    /* The link-time default is this backend too. */
    ck_assert_int_eq(fut_runtime_init_default(&own), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&own), "ev");
    ck_assert_int_eq(fut_runtime_close(&own), 0);
}
END_TEST

START_TEST(test_owned_wake_from_thread)
{
    struct fut_runtime own;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_sender tx;
    struct receiver r;
    pthread_t th;
    int sum = 0, count = 0, done = 0;

    ck_assert_int_eq(fut_runtime_init(&own, fut_backend_ev(), NULL), 0);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(int), 2), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &receiver_vtable;
    r.rx = &rx;
    r.sum = &sum;
    r.count = &count;
    r.done = &done;
    ck_assert_int_eq(pthread_create(&th, NULL, thread_sender, &tx), 0);
    /* No timer, no descriptor: only the doorbell wakes the turns. */
    ck_assert_int_eq(fut_block_on(&own, &r.base), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    fut_future_drop(&r.base);
    ck_assert_int_eq(count, FROM_THREAD);
    ck_assert_int_eq(sum, 1000 * 5 + 10);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(fut_runtime_close(&own), 0);
}
END_TEST

START_TEST(test_owned_sleep_never_early)
{
    struct fut_runtime own;
    int i;

    ck_assert_int_eq(fut_runtime_init(&own, fut_backend_ev(), NULL), 0);
    for (i = 0; i < 50; i++) {
        struct fut_sleep s;
        int64_t t0 = fut_now_ns();
        /* Odd lengths, so that they fall between libev's milliseconds. */
        int64_t d = 250000 + (int64_t)i * 37000;

        fut_sleep_init(&s, d);
        ck_assert_int_eq(fut_block_on(&own, &s.base), 0);
        ck_assert_int_ge(fut_now_ns() - t0, d);
        fut_future_drop(&s.base);
    }
    ck_assert_int_eq(fut_runtime_close(&own), 0);
}
END_TEST

/* ---- the runner ---------------------------------------------------------- */

static Suite *
attached_ev_suite(void)
{
    Suite *s = suite_create("attached_ev");
    TCase *tc = tcase_create("attached");
    TCase *own = tcase_create("owned");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_attached_sleep_task);
    tcase_add_test(tc, test_attached_native_timer_and_sleep);
    tcase_add_test(tc, test_attached_native_idle_prepare);
    tcase_add_test(tc, test_attached_tcp_echo);
    tcase_add_test(tc, test_attached_mpsc_native_and_thread);
    tcase_add_test(tc, test_attached_spawn_from_native_callback);
    tcase_add_test(tc, test_attached_level_triggered_no_spin);
    tcase_add_test(tc, test_attached_detach_restores_loop);
    tcase_add_test(tc, test_attached_close_from_native_callback);
    tcase_add_test(tc, test_attached_bad_input);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(own, reset_flags, NULL);
    tcase_set_timeout(own, 20);
    tcase_add_test(own, test_owned_block_on);
    tcase_add_test(own, test_owned_wake_from_thread);
    tcase_add_test(own, test_owned_sleep_never_early);
    suite_add_tcase(s, own);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(attached_ev_suite());
    int failed;

    /* TAP on stdout for Automake's tap-driver.sh, as tests/check_main.c. */
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
