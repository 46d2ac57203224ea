/* SPDX-License-Identifier: MIT */
/* Attached mode on libevent: futures inside an event_base the program owns. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <futures.h>
#include <futures/async.h>
#include <futures/backend.h>
#include <futures/backend-event.h>

#include "support.h"

#define MS (1000 * 1000)

/* ---- helpers ------------------------------------------------------------- */

static size_t
added_events(struct event_base *base)
{
    return (size_t)event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
}

static size_t
active_events(struct event_base *base)
{
    return (size_t)event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE);
}

/* Detach and check that the program's base holds only its own events
 * again: @native is how many the program itself has added. */
static void
detach(struct fut_runtime *rt, struct event_base *base, size_t native)
{
    ck_assert_int_eq(fut_runtime_close(rt), 0);
    ck_assert_uint_eq(added_events(base), native);
    ck_assert_uint_eq(active_events(base), 0);
}

static struct timeval
ms_tv(long ms)
{
    struct timeval tv;

    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

/* A native timer that stops the loop if a test hangs, so that a failure is
 * reported by the assertions after the dispatch rather than by a kill. */
static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static struct event *
watchdog(struct event_base *base)
{
    struct event *ev = evtimer_new(base, watchdog_cb, base);
    struct timeval tv = ms_tv(5000);

    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(evtimer_add(ev, &tv), 0);
    return ev;
}

/* ---- tasks --------------------------------------------------------------- */

/* Sleeps @n times @step_ns, counting in *@steps; breaks the loop at the end
 * when @evb is set. */
struct sleeper {
    struct fut_future base;
    int state;
    struct fut_sleep sleep;
    int i, n;
    int64_t step_ns;
    int *steps;
    struct event_base *evb;
};

static enum fut_poll
sleeper_poll(struct fut_future *f, struct fut_context *cx)
{
    struct sleeper *s = (struct sleeper *)f;

    FUT_ASYNC_BEGIN(&s->state);
    for (s->i = 0; s->i < s->n; s->i++) {
        fut_sleep_init(&s->sleep, s->step_ns);
        FUT_AWAIT_FUTURE(&s->state, &s->sleep.base, cx);
        (*s->steps)++;
    }
    if (s->evb != NULL)
        event_base_loopbreak(s->evb);
    FUT_ASYNC_END(&s->state);
}

static void
sleeper_drop(struct fut_future *f)
{
    fut_future_drop(&((struct sleeper *)f)->sleep.base);
}

static const struct fut_future_vtable sleeper_vtable = {
    .poll = sleeper_poll,
    .drop = sleeper_drop,
};

static void
sleeper_init(struct sleeper *s, int n, int64_t step_ns, int *steps,
             struct event_base *evb)
{
    memset(s, 0, sizeof *s);
    s->base.vtable = &sleeper_vtable;
    s->n = n;
    s->step_ns = step_ns;
    s->steps = steps;
    s->evb = evb;
}

static void
spawn_sleeper(struct fut_runtime *rt, int n, int64_t step_ns, int *steps,
              struct event_base *evb)
{
    struct sleeper s;

    sleeper_init(&s, n, step_ns, steps, evb);
    ck_assert_int_eq(FUT_SPAWN(rt, &s, NULL), 0);
}

/* ---- bad input, owned mode ---------------------------------------------- */

START_TEST(test_attached_bad_input)
{
    struct fut_runtime rt;
    struct event_base *base = event_base_new();
    int64_t deadline;

    ck_assert_ptr_nonnull(base);
    ck_assert_int_eq(fut_event_attach(NULL, base), -EINVAL);
    ck_assert_int_eq(fut_event_attach(&rt, NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_init_attached(&rt, fut_backend_event(),
                                               NULL), -EINVAL);
    ck_assert_uint_eq(added_events(base), 0);
    /* An owned runtime is not attached. */
    ck_assert_int_eq(fut_runtime_init(&rt, fut_backend_event(), NULL), 0);
    ck_assert_int_eq(fut_runtime_attached_run(&rt, &deadline), -EINVAL);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(fut_runtime_attached_run(NULL, &deadline), -EINVAL);
    event_base_free(base);
}
END_TEST

START_TEST(test_owned_block_on)
{
    struct fut_runtime rt;
    struct fut_sleep sl;
    int steps = 0;
    int64_t t0;

    ck_assert_int_eq(fut_runtime_init(&rt, fut_backend_event(), NULL), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), "event");
    ck_assert_ptr_eq(fut_backend_default(), fut_backend_event());
    spawn_sleeper(&rt, 3, 1 * MS, &steps, NULL);
    t0 = fut_now_ns();
    ck_assert_int_eq(fut_sleep_init(&sl, 5 * MS), 0);
    ck_assert_int_eq(fut_block_on(&rt, &sl.base), 0);
    fut_future_drop(&sl.base);
    ck_assert_int_ge(fut_now_ns() - t0, 5 * MS);
    ck_assert_int_eq(fut_runtime_run(&rt), 0);
    ck_assert_int_eq(steps, 3);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

/* A registration is one allocation from libfutures' allocator, made when
 * a descriptor is first waited for; its failure is reported, not fatal. */
START_TEST(test_owned_registration_enomem)
{
    struct fut_runtime rt;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_io io;
    int sv[2], res = 1;

    test_failalloc_install();
    ck_assert_int_eq(fut_runtime_init(&rt, fut_backend_event(), NULL), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    ck_assert_int_eq(fut_io_init(&io, sv[0]), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &rt);
    test_failalloc_fail_after(0);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -ENOMEM);
    test_failalloc_fail_after(-1);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_PENDING);
    /* Readable now: one turn reports it and wakes the waker. */
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&rt), 0);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_io_close(&io), 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(test_failalloc_live(), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* ---- sleeps next to native timers ---------------------------------------- */

struct both {
    struct event_base *base;
    int native, futures;
};

static void
both_native_cb(evutil_socket_t fd, short what, void *arg)
{
    struct both *b = arg;

    (void)fd;
    (void)what;
    b->native++;
    if (b->futures > 0)
        event_base_loopbreak(b->base);
}

struct both_task {
    struct fut_future base;
    int state;
    struct fut_sleep sleep;
    struct both *b;
};

static enum fut_poll
both_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct both_task *t = (struct both_task *)f;

    FUT_ASYNC_BEGIN(&t->state);
    fut_sleep_init(&t->sleep, 50 * MS);
    FUT_AWAIT_FUTURE(&t->state, &t->sleep.base, cx);
    t->b->futures++;
    if (t->b->native > 0)
        event_base_loopbreak(t->b->base);
    FUT_ASYNC_END(&t->state);
}

static void
both_task_drop(struct fut_future *f)
{
    fut_future_drop(&((struct both_task *)f)->sleep.base);
}

static const struct fut_future_vtable both_task_vtable = {
    .poll = both_task_poll,
    .drop = both_task_drop,
};

START_TEST(test_attached_timer_and_sleep_one_dispatch)
{
    struct both b = { NULL, 0, 0 };
    struct both_task t;
    struct fut_runtime rt;
    struct event *native, *wd;
    struct timeval tv = ms_tv(50);
    int steps = 0;

    b.base = event_base_new();
    ck_assert_ptr_nonnull(b.base);
    ck_assert_int_eq(fut_event_attach(&rt, b.base), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), "event");
    native = evtimer_new(b.base, both_native_cb, &b);
    ck_assert_int_eq(evtimer_add(native, &tv), 0);
    wd = watchdog(b.base);
    memset(&t, 0, sizeof t);
    t.base.vtable = &both_task_vtable;
    t.b = &b;
    ck_assert_int_eq(FUT_SPAWN(&rt, &t, NULL), 0);
    /* A straight-line task of three short sleeps, too; the 50 ms margin
     * keeps it done before the two timers end the dispatch, even on a
     * loaded machine. */
    spawn_sleeper(&rt, 3, 1 * MS, &steps, NULL);

    ck_assert_int_eq(event_base_dispatch(b.base), 0);
    ck_assert_int_eq(b.native, 1);
    ck_assert_int_eq(b.futures, 1);
    ck_assert_int_eq(steps, 3);
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);

    detach(&rt, b.base, 1); /* the watchdog */
    event_free(wd);
    event_free(native);
    event_base_free(b.base);
}
END_TEST

/* ---- TCP echo next to a native persistent event and timer ---------------- */

struct echo {
    struct event_base *base;
    struct fut_tcp_listener listener;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct fut_tcp_stream srv, cli;
    int srv_open;
    int done;
    int ok;
    int pipefd[2];
    int native_reads, native_ticks;
};

struct echo_server {
    struct fut_future base;
    int state;
    struct echo *e;
    struct fut_tcp_accept accept;
    struct fut_read read;
    struct fut_write_all write;
    char buf[64];
};

static enum fut_poll
echo_server_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_server *s = (struct echo_server *)f;

    FUT_ASYNC_BEGIN(&s->state);
    fut_tcp_accept_init(&s->accept, &s->e->listener, &s->e->srv);
    FUT_AWAIT_FUTURE(&s->state, &s->accept.base, cx);
    if (s->accept.res != 0)
        FUT_ASYNC_RETURN(&s->state);
    s->e->srv_open = 1;
    for (;;) {
        fut_read_init(&s->read, &s->e->srv.reader, s->buf, sizeof s->buf);
        FUT_AWAIT_FUTURE(&s->state, &s->read.base, cx);
        if (s->read.res <= 0)
            break;
        fut_write_all_init(&s->write, &s->e->srv.writer, s->buf,
                           (size_t)s->read.res);
        FUT_AWAIT_FUTURE(&s->state, &s->write.base, cx);
        if (s->write.res != 0)
            break;
    }
    fut_tcp_stream_close(&s->e->srv);
    s->e->srv_open = 0;
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
    .poll = echo_server_poll,
    .drop = echo_server_drop,
};

struct echo_client {
    struct fut_future base;
    int state;
    struct echo *e;
    struct fut_sleep sleep;
    struct fut_tcp_connect connect;
    struct fut_write_all write;
    struct fut_read_exact read;
    int round;
    char buf[16];
};

static enum fut_poll
echo_client_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_client *c = (struct echo_client *)f;

    FUT_ASYNC_BEGIN(&c->state);
    fut_tcp_connect_init(&c->connect, &c->e->cli,
                         (const struct sockaddr *)&c->e->addr,
                         c->e->addrlen, -1);
    FUT_AWAIT_FUTURE(&c->state, &c->connect.base, cx);
    if (c->connect.res != 0)
        FUT_ASYNC_RETURN(&c->state);
    for (c->round = 0; c->round < 5; c->round++) {
        /* Leave the native timer and pipe event some iterations. */
        fut_sleep_init(&c->sleep, 2 * MS);
        FUT_AWAIT_FUTURE(&c->state, &c->sleep.base, cx);
        fut_write_all_init(&c->write, &c->e->cli.writer, "ping", 4);
        FUT_AWAIT_FUTURE(&c->state, &c->write.base, cx);
        if (c->write.res != 0)
            break;
        fut_read_exact_init(&c->read, &c->e->cli.reader, c->buf, 4);
        FUT_AWAIT_FUTURE(&c->state, &c->read.base, cx);
        if (c->read.res != 0 || memcmp(c->buf, "ping", 4) != 0)
            break;
    }
    c->e->ok = c->round == 5;
    fut_tcp_stream_close(&c->e->cli);
    c->e->done = 1;
    event_base_loopbreak(c->e->base);
    FUT_ASYNC_END(&c->state);
}

static void
echo_client_drop(struct fut_future *f)
{
    struct echo_client *c = (struct echo_client *)f;

    fut_future_drop(&c->sleep.base);
    fut_future_drop(&c->connect.base);
    fut_future_drop(&c->write.base);
    fut_future_drop(&c->read.base);
}

static const struct fut_future_vtable echo_client_vtable = {
    .poll = echo_client_poll,
    .drop = echo_client_drop,
};

static void
native_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct echo *e = arg;

    (void)fd;
    (void)what;
    e->native_ticks++;
    ck_assert_int_eq(write(e->pipefd[1], "x", 1), 1);
}

static void
native_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct echo *e = arg;
    char c;

    (void)what;
    if (read(fd, &c, 1) == 1)
        e->native_reads++;
}

static void
run_echo(struct event_base *base)
{
    struct echo e;
    struct echo_server srv;
    struct echo_client cli;
    struct fut_runtime rt;
    struct event *tick, *rd, *wd;
    struct timeval tv = ms_tv(1);
    size_t native;

    memset(&e, 0, sizeof e);
    e.base = base;
    ck_assert_int_eq(pipe(e.pipefd), 0);
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 0, &e.addr,
                                        &e.addrlen), 0);
    ck_assert_int_eq(fut_tcp_listener_bind(&e.listener,
                                           (struct sockaddr *)&e.addr,
                                           e.addrlen, 16), 0);
    e.addrlen = sizeof e.addr;
    ck_assert_int_eq(fut_tcp_listener_local_addr(&e.listener, &e.addr,
                                                 &e.addrlen), 0);

    tick = event_new(base, -1, EV_PERSIST, native_tick_cb, &e);
    rd = event_new(base, e.pipefd[0], EV_READ | EV_PERSIST, native_read_cb,
                   &e);
    ck_assert_int_eq(event_add(tick, &tv), 0);
    ck_assert_int_eq(event_add(rd, NULL), 0);
    wd = watchdog(base);
    native = added_events(base);

    ck_assert_int_eq(fut_event_attach(&rt, base), 0);
    memset(&srv, 0, sizeof srv);
    srv.base.vtable = &echo_server_vtable;
    srv.e = &e;
    memset(&cli, 0, sizeof cli);
    cli.base.vtable = &echo_client_vtable;
    cli.e = &e;
    ck_assert_int_eq(FUT_SPAWN(&rt, &srv, NULL), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &cli, NULL), 0);

    ck_assert_int_eq(event_base_dispatch(base), 0);
    ck_assert_int_eq(e.done, 1);
    ck_assert_int_eq(e.ok, 1);
    ck_assert_int_gt(e.native_ticks, 0);
    ck_assert_int_gt(e.native_reads, 0);
    /* The server task may still be waiting for the client's EOF: closing
     * the runtime drops it and deregisters its stream. */
    detach(&rt, base, native);
    if (e.srv_open)
        ck_assert_int_eq(fut_tcp_stream_close(&e.srv), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&e.listener), 0);
    event_free(wd);
    event_free(rd);
    event_free(tick);
    close(e.pipefd[0]);
    close(e.pipefd[1]);
}

START_TEST(test_attached_tcp_echo)
{
    struct event_base *base = event_base_new();

    ck_assert_ptr_nonnull(base);
    run_echo(base);
    event_base_free(base);
}
END_TEST

/* The same on a level-triggered method: poll(2) has no EV_ET. */
START_TEST(test_attached_tcp_echo_poll_method)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base;

    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(event_config_avoid_method(cfg, "epoll"), 0);
    ck_assert_int_eq(event_config_avoid_method(cfg, "select"), 0);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    ck_assert_ptr_nonnull(base);
    ck_assert_str_eq(event_base_get_method(base), "poll");
    ck_assert_int_eq(event_base_get_features(base) & EV_FEATURE_ET, 0);
    run_echo(base);
    event_base_free(base);
}
END_TEST

/* ---- an mpsc fed by a native timer and by another thread ----------------- */

#define FEED_NATIVE 10
#define FEED_THREAD 200

struct feed {
    struct event_base *base;
    struct fut_mpsc_sender native_tx, thread_tx;
    struct event *timer;
    int next_native;
    long sum;
    int count;
    int ended;
};

struct feed_task {
    struct fut_future base;
    int state;
    struct feed *fd;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_recv recv;
    int value;
};

static enum fut_poll
feed_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct feed_task *t = (struct feed_task *)f;

    FUT_ASYNC_BEGIN(&t->state);
    for (;;) {
        fut_mpsc_recv_init(&t->recv, &t->rx, &t->value);
        FUT_AWAIT_FUTURE(&t->state, &t->recv.base, cx);
        if (t->recv.res != 1)
            break;
        t->fd->sum += t->value;
        t->fd->count++;
    }
    t->fd->ended = 1;
    event_base_loopbreak(t->fd->base);
    FUT_ASYNC_END(&t->state);
}

static void
feed_task_drop(struct fut_future *f)
{
    struct feed_task *t = (struct feed_task *)f;

    fut_future_drop(&t->recv.base);
    fut_mpsc_receiver_close(&t->rx);
}

static const struct fut_future_vtable feed_task_vtable = {
    .poll = feed_task_poll,
    .drop = feed_task_drop,
};

static void
feed_native_cb(evutil_socket_t fd, short what, void *arg)
{
    struct feed *f = arg;
    int v = ++f->next_native;

    (void)fd;
    (void)what;
    ck_assert_int_eq(fut_mpsc_try_send(&f->native_tx, &v), 0);
    if (f->next_native == FEED_NATIVE) {
        fut_mpsc_sender_close(&f->native_tx);
        event_del(f->timer);
    }
}

static void *
feed_thread(void *arg)
{
    struct feed *f = arg;
    int i, err;

    for (i = 1; i <= FEED_THREAD; i++) {
        int v = 1000 * i;

        while ((err = fut_mpsc_try_send(&f->thread_tx, &v)) == -EAGAIN)
            usleep(100);
        if (err != 0)
            break;
        if (i % 50 == 0)
            usleep(2000); /* let the loop block in between */
    }
    fut_mpsc_sender_close(&f->thread_tx);
    return NULL;
}

START_TEST(test_attached_mpsc_native_and_thread)
{
    struct feed f;
    struct feed_task t;
    struct fut_runtime rt;
    struct event *wd;
    struct timeval tv = ms_tv(1);
    pthread_t th;
    long expect = 0;
    int i;

    memset(&f, 0, sizeof f);
    f.base = event_base_new();
    ck_assert_ptr_nonnull(f.base);
    wd = watchdog(f.base);
    ck_assert_int_eq(fut_event_attach(&rt, f.base), 0);

    memset(&t, 0, sizeof t);
    t.base.vtable = &feed_task_vtable;
    t.fd = &f;
    ck_assert_int_eq(fut_mpsc_new(&f.native_tx, &t.rx, sizeof(int), 512), 0);
    ck_assert_int_eq(fut_mpsc_sender_clone(&f.native_tx, &f.thread_tx), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &t, NULL), 0);

    f.timer = event_new(f.base, -1, EV_PERSIST, feed_native_cb, &f);
    ck_assert_int_eq(event_add(f.timer, &tv), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, feed_thread, &f), 0);

    ck_assert_int_eq(event_base_dispatch(f.base), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    for (i = 1; i <= FEED_NATIVE; i++)
        expect += i;
    for (i = 1; i <= FEED_THREAD; i++)
        expect += 1000 * i;
    ck_assert_int_eq(f.ended, 1);
    ck_assert_int_eq(f.count, FEED_NATIVE + FEED_THREAD);
    ck_assert_int_eq(f.sum, expect);

    detach(&rt, f.base, 1);
    event_free(f.timer);
    event_free(wd);
    event_base_free(f.base);
}
END_TEST

/* ---- tasks never run inside the program's callbacks ---------------------- */

struct inline_check {
    struct event_base *base;
    int in_native;     /* set while a native callback runs */
    int ran_inside;    /* the task ran while in_native was set */
    int task_runs;
    int native_runs;   /* native I/O callbacks (priority test) */
    int native_before; /* native_runs when the task saw its readiness */
    struct fut_oneshot_sender tx;
};

struct oneshot_task {
    struct fut_future base;
    int state;
    struct inline_check *ic;
    struct fut_oneshot_receiver rx;
    struct fut_oneshot_recv recv;
    int value;
};

static enum fut_poll
oneshot_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct oneshot_task *t = (struct oneshot_task *)f;

    t->ic->task_runs++;
    if (t->ic->in_native)
        t->ic->ran_inside = 1;
    FUT_ASYNC_BEGIN(&t->state);
    fut_oneshot_recv_init(&t->recv, &t->rx, &t->value);
    FUT_AWAIT_FUTURE(&t->state, &t->recv.base, cx);
    ck_assert_int_eq(t->recv.res, 0);
    ck_assert_int_eq(t->value, 42);
    event_base_loopbreak(t->ic->base);
    FUT_ASYNC_END(&t->state);
}

static void
oneshot_task_drop(struct fut_future *f)
{
    struct oneshot_task *t = (struct oneshot_task *)f;

    fut_future_drop(&t->recv.base);
    fut_oneshot_receiver_close(&t->rx);
}

static const struct fut_future_vtable oneshot_task_vtable = {
    .poll = oneshot_task_poll,
    .drop = oneshot_task_drop,
};

static void
wake_from_native_cb(evutil_socket_t fd, short what, void *arg)
{
    struct inline_check *ic = arg;
    int v = 42;
    int runs;

    (void)fd;
    (void)what;
    ic->in_native = 1;
    runs = ic->task_runs;
    ck_assert_int_eq(fut_oneshot_send(&ic->tx, &v), 0);
    /* The wake queued the task; it did not run it. */
    ck_assert_int_eq(ic->task_runs, runs);
    ic->in_native = 0;
}

START_TEST(test_attached_wake_from_native_not_inline)
{
    struct inline_check ic;
    struct oneshot_task t;
    struct fut_runtime rt;
    struct event *native, *wd;
    struct timeval tv = ms_tv(3);

    memset(&ic, 0, sizeof ic);
    ic.base = event_base_new();
    ck_assert_ptr_nonnull(ic.base);
    wd = watchdog(ic.base);
    ck_assert_int_eq(fut_event_attach(&rt, ic.base), 0);
    memset(&t, 0, sizeof t);
    t.base.vtable = &oneshot_task_vtable;
    t.ic = &ic;
    ck_assert_int_eq(fut_oneshot_new(&ic.tx, &t.rx, sizeof(int)), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &t, NULL), 0);
    /* Spawning only asked the loop to come back: nothing ran yet. */
    ck_assert_int_eq(ic.task_runs, 0);
    native = evtimer_new(ic.base, wake_from_native_cb, &ic);
    ck_assert_int_eq(evtimer_add(native, &tv), 0);

    ck_assert_int_eq(event_base_dispatch(ic.base), 0);
    ck_assert_int_eq(ic.task_runs, 2);
    ck_assert_int_eq(ic.ran_inside, 0);
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);

    detach(&rt, ic.base, 1);
    event_free(native);
    event_free(wd);
    event_base_free(ic.base);
}
END_TEST

/* A task waiting for readiness of one socket, next to a native callback on
 * another one that becomes readable in the same iteration: on a base with
 * priorities the tick has the lowest, so the task runs after the native
 * callback. */
struct ready_task {
    struct fut_future base;
    int state;
    struct inline_check *ic;
    struct fut_io io;
    int res;
};

static enum fut_poll
ready_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct ready_task *t = (struct ready_task *)f;

    t->ic->task_runs++;
    if (t->ic->in_native)
        t->ic->ran_inside = 1;
    FUT_ASYNC_BEGIN(&t->state);
    FUT_AWAIT(&t->state, fut_io_poll_ready(&t->io, cx, FUT_IO_READABLE,
                                           &t->res));
    t->ic->native_before = t->ic->native_runs;
    fut_io_close(&t->io);
    event_base_loopbreak(t->ic->base);
    FUT_ASYNC_END(&t->state);
}

static void
ready_task_drop(struct fut_future *f)
{
    fut_io_close(&((struct ready_task *)f)->io);
}

static const struct fut_future_vtable ready_task_vtable = {
    .poll = ready_task_poll,
    .drop = ready_task_drop,
};

static void
native_io_cb(evutil_socket_t fd, short what, void *arg)
{
    struct inline_check *ic = arg;
    char c;

    (void)what;
    ic->in_native = 1;
    ck_assert_int_eq(read(fd, &c, 1), 1);
    ic->native_runs++;
    ic->in_native = 0;
}

START_TEST(test_attached_priorities_tick_last)
{
    struct inline_check ic;
    struct ready_task t;
    struct fut_runtime rt;
    struct event *native, *wd;
    int a[2], b[2];

    memset(&ic, 0, sizeof ic);
    ic.base = event_base_new();
    ck_assert_ptr_nonnull(ic.base);
    ck_assert_int_eq(event_base_priority_init(ic.base, 3), 0);
    wd = watchdog(ic.base);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a),
                     0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b),
                     0);
    native = event_new(ic.base, a[0], EV_READ | EV_PERSIST, native_io_cb,
                       &ic);
    ck_assert_int_eq(event_add(native, NULL), 0);
    ck_assert_int_eq(fut_event_attach(&rt, ic.base), 0);

    memset(&t, 0, sizeof t);
    t.base.vtable = &ready_task_vtable;
    t.ic = &ic;
    ck_assert_int_eq(fut_io_init(&t.io, b[0]), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &t, NULL), 0);
    /* First iteration: the task registers and waits. */
    ck_assert_int_eq(event_base_loop(ic.base, EVLOOP_NONBLOCK), 0);
    ck_assert_int_eq(ic.task_runs, 1);
    /* Both become readable at once. */
    ck_assert_int_eq(write(a[1], "a", 1), 1);
    ck_assert_int_eq(write(b[1], "b", 1), 1);
    ck_assert_int_eq(event_base_dispatch(ic.base), 0);
    ck_assert_int_eq(ic.task_runs, 2);
    ck_assert_int_eq(ic.native_before, 1);
    ck_assert_int_eq(ic.ran_inside, 0);

    detach(&rt, ic.base, 2);
    event_free(native);
    event_free(wd);
    event_base_free(ic.base);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}
END_TEST

/* ---- a busy task does not starve the program's events -------------------- */

struct yielder {
    struct fut_future base;
    int state;
    int *stop;
    long yields;
    struct event_base *evb;
};

static enum fut_poll
yielder_poll(struct fut_future *f, struct fut_context *cx)
{
    struct yielder *y = (struct yielder *)f;

    FUT_ASYNC_BEGIN(&y->state);
    while (!*y->stop) {
        y->yields++;
        FUT_YIELD(&y->state, cx);
    }
    event_base_loopbreak(y->evb);
    FUT_ASYNC_END(&y->state);
}

static void
yielder_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable yielder_vtable = {
    .poll = yielder_poll,
    .drop = yielder_drop,
};

static void
set_flag_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(int *)arg = 1;
}

START_TEST(test_attached_busy_task_no_starvation)
{
    struct event_base *base = event_base_new();
    struct fut_runtime rt;
    struct yielder y;
    struct fut_task *h;
    struct event *native, *wd;
    struct timeval tv = ms_tv(5);
    int stop = 0;

    ck_assert_ptr_nonnull(base);
    wd = watchdog(base);
    ck_assert_int_eq(fut_event_attach(&rt, base), 0);
    memset(&y, 0, sizeof y);
    y.base.vtable = &yielder_vtable;
    y.stop = &stop;
    y.evb = base;
    ck_assert_int_eq(FUT_SPAWN(&rt, &y, &h), 0);
    native = evtimer_new(base, set_flag_cb, &stop);
    ck_assert_int_eq(evtimer_add(native, &tv), 0);

    ck_assert_int_eq(event_base_dispatch(base), 0);
    ck_assert_int_eq(stop, 1);
    ck_assert_int_eq(fut_task_is_finished(h), 1);
    ck_assert_int_gt(((struct yielder *)fut_task_output(h))->yields, 0);
    fut_task_detach(h);

    detach(&rt, base, 1);
    event_free(native);
    event_free(wd);
    event_base_free(base);
}
END_TEST

/* ---- detach leaves nothing behind ---------------------------------------- */

struct waiter {
    struct fut_future base;
    int state;
    struct fut_tcp_listener *l;
    struct fut_tcp_stream out;
    struct fut_tcp_accept accept;
    struct fut_sleep sleep;
};

static enum fut_poll
waiter_poll(struct fut_future *f, struct fut_context *cx)
{
    struct waiter *w = (struct waiter *)f;

    FUT_ASYNC_BEGIN(&w->state);
    /* Registers the listener (the accept stays pending, its waker stored
     * there), arms a timer, then waits. */
    fut_tcp_accept_init(&w->accept, w->l, &w->out);
    if (fut_future_poll(&w->accept.base, cx) == FUT_READY)
        FUT_ASYNC_RETURN(&w->state);
    fut_sleep_init(&w->sleep, 60000 * (int64_t)MS);
    FUT_AWAIT_FUTURE(&w->state, &w->sleep.base, cx);
    FUT_ASYNC_END(&w->state);
}

static void
waiter_drop(struct fut_future *f)
{
    struct waiter *w = (struct waiter *)f;

    fut_future_drop(&w->accept.base);
    fut_future_drop(&w->sleep.base);
}

static const struct fut_future_vtable waiter_vtable = {
    .poll = waiter_poll,
    .drop = waiter_drop,
};

START_TEST(test_attached_detach_leaves_nothing)
{
    struct event_base *base = event_base_new();
    struct fut_tcp_listener l;
    struct sockaddr_storage ss;
    socklen_t len;
    struct fut_runtime rt;
    struct waiter w;
    struct event *native;
    size_t before;
    int fired = 0;
    int p[2];

    ck_assert_ptr_nonnull(base);
    /* The program's own event: a one-shot read of a pipe. */
    ck_assert_int_eq(pipe(p), 0);
    native = event_new(base, p[0], EV_READ, set_flag_cb, &fired);
    ck_assert_int_eq(event_add(native, NULL), 0);
    before = added_events(base);
    ck_assert_uint_eq(before, 1);

    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 0, &ss, &len), 0);
    ck_assert_int_eq(fut_tcp_listener_bind(&l, (struct sockaddr *)&ss, len,
                                           4), 0);
    ck_assert_int_eq(fut_event_attach(&rt, base), 0);
    /* The doorbell and the deadline timer. */
    ck_assert_uint_eq(added_events(base), before + 2);
    memset(&w, 0, sizeof w);
    w.base.vtable = &waiter_vtable;
    w.l = &l;
    ck_assert_int_eq(FUT_SPAWN(&rt, &w, NULL), 0);
    /* Scheduled, not run: the tick is active. */
    ck_assert_uint_eq(active_events(base), 1);
    ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    /* And the listener's registration. */
    ck_assert_uint_eq(added_events(base), before + 3);
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 1);

    /* Detach with the task pending. */
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_uint_eq(added_events(base), before);
    ck_assert_uint_eq(active_events(base), 0);
    ck_assert_int_eq(fut_runtime_close(&rt), -EINVAL);

    /* The program's loop goes on without us, and ends when its own
     * events are done. */
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    ck_assert_int_eq(event_base_dispatch(base), 1);
    ck_assert_int_eq(fired, 1);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    event_free(native);
    event_base_free(base);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* Detach from inside the program's own callback, in an iteration where the
 * tick is already active. */
struct closer {
    struct fut_runtime *rt;
    struct event_base *base;
    int steps;
    int err;
};

static void
closer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct closer *c = arg;

    (void)fd;
    (void)what;
    /* Queues a task: the tick is now active. */
    spawn_sleeper(c->rt, 1, 1 * MS, &c->steps, NULL);
    c->err = fut_runtime_close(c->rt);
    event_base_loopbreak(c->base);
}

START_TEST(test_attached_detach_from_callback)
{
    struct event_base *base = event_base_new();
    struct fut_runtime rt;
    struct closer c;
    struct event *native, *wd;
    struct timeval tv = ms_tv(2);

    ck_assert_ptr_nonnull(base);
    wd = watchdog(base);
    ck_assert_int_eq(fut_event_attach(&rt, base), 0);
    c.rt = &rt;
    c.base = base;
    c.steps = 0;
    c.err = 1;
    spawn_sleeper(&rt, 1, 60000 * (int64_t)MS, &c.steps, NULL);
    native = evtimer_new(base, closer_cb, &c);
    ck_assert_int_eq(evtimer_add(native, &tv), 0);
    ck_assert_int_eq(event_base_dispatch(base), 0);
    ck_assert_int_eq(c.err, 0);
    ck_assert_int_eq(c.steps, 0);
    ck_assert_uint_eq(added_events(base), 1); /* the watchdog */
    ck_assert_uint_eq(active_events(base), 0);
    event_free(native);
    event_free(wd);
    event_base_free(base);
}
END_TEST

/* Attach, detach, attach again on the same base. */
START_TEST(test_attached_reattach)
{
    struct event_base *base = event_base_new();
    struct fut_runtime rt;
    int round, steps = 0;

    ck_assert_ptr_nonnull(base);
    for (round = 0; round < 3; round++) {
        ck_assert_int_eq(fut_event_attach(&rt, base), 0);
        spawn_sleeper(&rt, 1, 1 * MS, &steps, base);
        ck_assert_int_eq(event_base_dispatch(base), 0);
        detach(&rt, base, 0);
    }
    ck_assert_int_eq(steps, 3);
    event_base_free(base);
}
END_TEST

/* ---- fut_block_on on an attached runtime --------------------------------- */

static int log_warnings;

static void
count_log_cb(int severity, const char *msg)
{
    (void)msg;
    if (severity >= EVENT_LOG_WARN)
        log_warnings++;
}

struct nested {
    struct fut_runtime *rt;
    int err;
};

static void
nested_block_on_cb(evutil_socket_t fd, short what, void *arg)
{
    struct nested *n = arg;
    struct fut_sleep sl;

    (void)fd;
    (void)what;
    fut_sleep_init(&sl, 1 * MS);
    n->err = fut_block_on(n->rt, &sl.base);
    fut_future_drop(&sl.base);
}

START_TEST(test_attached_block_on)
{
    struct event_base *base = event_base_new();
    struct fut_runtime rt;
    struct fut_sleep sl;
    struct nested n;
    struct event *native, *wd;
    struct timeval tv = ms_tv(1);
    int steps = 0;

    ck_assert_ptr_nonnull(base);
    wd = watchdog(base);
    ck_assert_int_eq(fut_event_attach(&rt, base), 0);
    /* From outside the loop, block_on drives the program's base itself;
     * spawned tasks run alongside. */
    spawn_sleeper(&rt, 2, 1 * MS, &steps, NULL);
    fut_sleep_init(&sl, 5 * MS);
    ck_assert_int_eq(fut_block_on(&rt, &sl.base), 0);
    fut_future_drop(&sl.base);
    ck_assert_int_eq(steps, 2);

    /* The program's dispatch takes over again afterwards. */
    spawn_sleeper(&rt, 1, 1 * MS, &steps, base);
    ck_assert_int_eq(event_base_dispatch(base), 0);
    ck_assert_int_eq(steps, 3);

    /* From inside a callback, the loop cannot be entered again. */
    n.rt = &rt;
    n.err = 1;
    native = evtimer_new(base, nested_block_on_cb, &n);
    ck_assert_int_eq(evtimer_add(native, &tv), 0);
    log_warnings = 0;
    event_set_log_callback(count_log_cb);
    spawn_sleeper(&rt, 1, 5 * MS, &steps, base);
    ck_assert_int_eq(event_base_dispatch(base), 0);
    event_set_log_callback(NULL);
    ck_assert_int_eq(n.err, -EBUSY);
    ck_assert_int_eq(log_warnings, 1);
    ck_assert_int_eq(steps, 4);

    detach(&rt, base, 1);
    event_free(native);
    event_free(wd);
    event_base_free(base);
}
END_TEST

/* ---- main ---------------------------------------------------------------- */

static Suite *
attached_event_suite(void)
{
    Suite *s = suite_create("attached_event");
    TCase *tc;

    tc = tcase_create("input");
    tcase_add_test(tc, test_attached_bad_input);
    tcase_add_test(tc, test_owned_block_on);
    tcase_add_test(tc, test_owned_registration_enomem);
    suite_add_tcase(s, tc);

    tc = tcase_create("loop");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_attached_timer_and_sleep_one_dispatch);
    tcase_add_test(tc, test_attached_tcp_echo);
    tcase_add_test(tc, test_attached_tcp_echo_poll_method);
    tcase_add_test(tc, test_attached_mpsc_native_and_thread);
    tcase_add_test(tc, test_attached_wake_from_native_not_inline);
    tcase_add_test(tc, test_attached_priorities_tick_last);
    tcase_add_test(tc, test_attached_busy_task_no_starvation);
    tcase_add_test(tc, test_attached_block_on);
    suite_add_tcase(s, tc);

    tc = tcase_create("detach");
    tcase_add_test(tc, test_attached_detach_leaves_nothing);
    tcase_add_test(tc, test_attached_detach_from_callback);
    tcase_add_test(tc, test_attached_reattach);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(attached_event_suite());
    int failed;

    /* TAP on stdout for Automake's tap-driver.sh (unless CK_TAP_LOG_FILE_NAME
     * says otherwise). CK_RUN_SUITE / CK_RUN_CASE select a subset. */
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
