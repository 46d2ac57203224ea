/* SPDX-License-Identifier: MIT */
/* Attached mode, written once: futures inside a loop the program runs,
 * built as attached-uv, attached-event and attached-ev, each with its loop
 * adapter (loop.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <futures.h>

#include "internal.h"
#include "loop.h"
#include "support.h"

/*
 * No test asserts that something happens within some time: a test waits
 * for the thing itself (a task finished, a counter reached, a channel
 * closed) and only then checks it. SAFETY_NET_MS is how long it waits
 * before it gives up, a net against a hang, never the assertion. Timers
 * are checked from below only: a sleep never ends early.
 */
#define SAFETY_NET_MS (30000 * slowdown())
#define TEST_TIMEOUT_S 60

#define MS(n) ((int64_t)(n) * FUT_NSEC_PER_MSEC)

/* Builds where FUT_BACKEND_ONE_FD exists (Linux, not the portable build). */
#if defined(__linux__) && !defined(FUT_OS_PORTABLE)
#define ONE_FD_BUILD 1
#else
#define ONE_FD_BUILD 0
#endif

/* Check's CK_TIMEOUT_MULTIPLIER (20 under make check-valgrind) stretches
 * the safety net as it stretches the test timeouts. */
static int
slowdown(void)
{
    const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
    int n = m != NULL ? atoi(m) : 1;

    return n > 0 ? n : 1;
}

/* Task polls that happened while one of the program's callbacks ran:
 * attached mode never runs a task inline there. */
static int polled_in_callback;

static void
note_poll(void)
{
    if (tloop_in_callback)
        polled_in_callback++;
}

/* Tests share one process under valgrind (CK_FORK=no). */
static void
setup(void)
{
    polled_in_callback = 0;
    tloop_in_callback = 0;
}

/* ---- running the program's loop ------------------------------------------ */

typedef int (*done_fn)(const void *arg);

static int
flag_set(const void *p)
{
    return *(const int *)p != 0;
}

static int
task_finished(const void *t)
{
    return fut_task_is_finished(t);
}

struct safety_net {
    struct tloop *l;
    int fired;
};

static void
safety_net_fire(void *arg)
{
    struct safety_net *net = arg;

    net->fired = 1;
    tloop_break(net->l);
}

static struct tloop_watch *
safety_net_start(struct safety_net *net, struct tloop *l)
{
    struct tloop_watch *w = tloop_timer_new(l, safety_net_fire, net);

    net->l = l;
    net->fired = 0;
    /* It must not keep a loop going that would end by itself. */
    tloop_watch_unref(w);
    tloop_timer_start(w, SAFETY_NET_MS, 0);
    return w;
}

/* Run the program's loop one iteration at a time until @done says so. */
static void
run_until(struct tloop *l, done_fn done, const void *arg)
{
    struct safety_net net;
    struct tloop_watch *w = safety_net_start(&net, l);

    while (!done(arg) && !net.fired)
        tloop_run_once(l);
    tloop_watch_free(w);
    ck_assert_msg(done(arg), "not done after the %d s safety net",
                  SAFETY_NET_MS / 1000);
}

/* Run the loop without blocking until @done, for a wait that only the
 * test itself ends next (the data it writes): a blocking iteration would
 * sleep through it until the safety net, on a loop that blocks after
 * running its hooks (libev runs the hook that polls the task, then
 * sleeps). A few iterations do it; the bound only keeps a bug from
 * spinning forever. */
static void
run_nowait_until(struct tloop *l, done_fn done, const void *arg)
{
    int i;

    for (i = 0; i < 1000 && !done(arg); i++)
        tloop_run_nowait(l);
    ck_assert_msg(done(arg), "not done after 1000 iterations");
}

struct poller {
    struct tloop *l;
    done_fn done;
    const void *arg;
};

static void
poller_check(void *arg)
{
    struct poller *p = arg;

    if (p->done(p->arg))
        tloop_break(p->l);
}

/* Run as the program would, in one full run. Where it ends by itself once
 * nothing holds the loop (libuv, libev), it must end exactly when @done:
 * a task with work left holds the loop, a finished one does not. Where
 * it runs until broken (libevent's dispatch), a timer of the program's
 * looks every millisecond whether it is @done and breaks it then. */
static void
run_to_end(struct tloop *l, done_fn done, const void *arg)
{
    struct safety_net net;
    struct poller p = { l, done, arg };
    struct tloop_watch *w, *poll = NULL;

    if (!tloop_caps.ends_when_idle) {
        poll = tloop_timer_new(l, poller_check, &p);
        tloop_timer_start(poll, 1, 1);
    }
    w = safety_net_start(&net, l);
    tloop_run(l);
    tloop_watch_free(w);
    if (poll != NULL)
        tloop_watch_free(poll);
    ck_assert_msg(!net.fired, "the loop still ran after the %d s safety net",
                  SAFETY_NET_MS / 1000);
    ck_assert_msg(done(arg), "the loop ended before the tasks were done");
}

/* Attach @rt to @l, which holds what the program put there; returns that
 * count, for detach(). */
static size_t
attach(struct fut_runtime *rt, struct tloop *l)
{
    size_t before = tloop_count(l);

    ck_assert_int_eq(tloop_attach(rt, l), 0);
    ck_assert_str_eq(fut_runtime_backend_name(rt), tloop_caps.name);
    /* Only the runtime's own hooks; on libuv and libev none of them holds
     * a reference. */
    ck_assert_uint_eq(tloop_count(l), before + tloop_caps.attach_count);
    return before;
}

/* As attach(), in the mode @flags says (struct fut_backend_config.flags)
 * whatever FUT_TEST_BACKEND_FLAGS says. One-fd mode watches one
 * descriptor in place of the doorbell, so the count is the same. */
static size_t
attach_flags(struct fut_runtime *rt, struct tloop *l, unsigned int flags)
{
    size_t before = tloop_count(l);

    ck_assert_int_eq(test_runtime_attach_flags(rt, tloop_backend(),
                                               tloop_native(l), flags),
                     0);
    ck_assert_str_eq(fut_runtime_backend_name(rt), tloop_caps.name);
    /* Only the runtime's own hooks; on libuv and libev none of them holds
     * a reference. */
    ck_assert_uint_eq(tloop_count(l), before + tloop_caps.attach_count);
    return before;
}

/* Detach @rt, whose tasks are all done: the loop holds what the program
 * put there (@before) again, and no task ever ran inside one of the
 * program's callbacks. */
static void
detach(struct fut_runtime *rt, struct tloop *l, size_t before)
{
    /* Every task finished, and left no timer or registration behind. */
    ck_assert_uint_eq(fut_runtime_task_count(rt), 0);
    ck_assert_uint_eq(fut__runtime_timer_count(rt), 0);
    ck_assert_uint_eq(fut__runtime_io_count(rt), 0);
    ck_assert_int_eq(fut_runtime_close(rt), 0);
    tloop_settle(l);
    ck_assert_uint_eq(tloop_count(l), before);
    ck_assert_int_eq(polled_in_callback, 0);
}

static void
count_cb(void *arg)
{
    ++*(int *)arg;
}

/* ---- tasks --------------------------------------------------------------- */

/* A straight-line task: two sleeps, noting when each ended. */
struct napper {
    struct fut_future base;
    int state;
    struct fut_sleep sleep;
    int64_t first_ms, second_ms;
    int64_t start, woke1, woke2;
    int steps;
    int *finished; /* incremented at the end, when set */
};

static enum fut_poll
napper_poll(struct fut_future *f, struct fut_context *cx)
{
    struct napper *n = (struct napper *)f;

    note_poll();
    FUT_ASYNC_BEGIN(&n->state);
    n->start = fut_now_ns();
    fut_sleep_init(&n->sleep, MS(n->first_ms));
    FUT_AWAIT_FUTURE(&n->state, &n->sleep.base, cx);
    n->woke1 = fut_now_ns();
    n->steps++;
    fut_sleep_init(&n->sleep, MS(n->second_ms));
    FUT_AWAIT_FUTURE(&n->state, &n->sleep.base, cx);
    n->woke2 = fut_now_ns();
    n->steps++;
    if (n->finished != NULL)
        ++*n->finished;
    FUT_ASYNC_END(&n->state);
}

static void
napper_drop(struct fut_future *f)
{
    fut_future_drop(&((struct napper *)f)->sleep.base);
}

static const struct fut_future_vtable napper_vtable = {
    .poll = napper_poll,
    .drop = napper_drop,
    .result = NULL,
};

static struct napper
napper_make(int64_t first_ms, int64_t second_ms, int *finished)
{
    struct napper n;

    memset(&n, 0, sizeof n);
    n.base.vtable = &napper_vtable;
    n.first_ms = first_ms;
    n.second_ms = second_ms;
    n.finished = finished;
    return n;
}

/* Yields @n times, or until *@stop when @stop is set. */
struct yielder {
    struct fut_future base;
    int state;
    long i, n;
    const int *stop;
    long *yields;
    int *done;
};

static enum fut_poll
yielder_poll(struct fut_future *f, struct fut_context *cx)
{
    struct yielder *y = (struct yielder *)f;

    note_poll();
    FUT_ASYNC_BEGIN(&y->state);
    for (y->i = 0; y->stop != NULL ? !*y->stop : y->i < y->n; y->i++) {
        if (y->yields != NULL)
            ++*y->yields;
        FUT_YIELD(&y->state, cx);
    }
    if (y->done != NULL)
        *y->done = 1;
    FUT_ASYNC_END(&y->state);
}

static void
yielder_drop(struct fut_future *f)
{
    (void)f; /* holds nothing */
}

static const struct fut_future_vtable yielder_vtable = {
    .poll = yielder_poll,
    .drop = yielder_drop,
    .result = NULL,
};

static struct yielder
yielder_make(long n, const int *stop, long *yields, int *done)
{
    struct yielder y;

    memset(&y, 0, sizeof y);
    y.base.vtable = &yielder_vtable;
    y.n = n;
    y.stop = stop;
    y.yields = yields;
    y.done = done;
    return y;
}

/* Waits for a oneshot value (or for nothing when @rx is NULL), counting
 * its polls in *@polls. */
struct flagged {
    struct fut_future base;
    int state;
    struct fut_oneshot_receiver *rx;
    struct fut_oneshot_recv recv;
    int value;
    int *polls;
};

static enum fut_poll
flagged_poll(struct fut_future *f, struct fut_context *cx)
{
    struct flagged *g = (struct flagged *)f;

    note_poll();
    ++*g->polls;
    FUT_ASYNC_BEGIN(&g->state);
    if (g->rx != NULL) {
        fut_oneshot_recv_init(&g->recv, g->rx, &g->value);
        FUT_AWAIT_FUTURE(&g->state, &g->recv.base, cx);
    }
    FUT_ASYNC_END(&g->state);
}

static void
flagged_drop(struct fut_future *f)
{
    fut_future_drop(&((struct flagged *)f)->recv.base);
}

static const struct fut_future_vtable flagged_vtable = {
    .poll = flagged_poll,
    .drop = flagged_drop,
    .result = NULL,
};

static struct flagged
flagged_make(struct fut_oneshot_receiver *rx, int *polls)
{
    struct flagged g;

    memset(&g, 0, sizeof g);
    g.base.vtable = &flagged_vtable;
    g.rx = rx;
    g.polls = polls;
    return g;
}

/* Reads 4 bytes from a stream. */
struct reader {
    struct fut_future base;
    int state;
    struct fut_tcp_stream *s;
    struct fut_read_exact read;
    char buf[4];
    int *polls;
};

static enum fut_poll
reader_poll(struct fut_future *f, struct fut_context *cx)
{
    struct reader *r = (struct reader *)f;

    note_poll();
    ++*r->polls;
    FUT_ASYNC_BEGIN(&r->state);
    fut_read_exact_init(&r->read, &r->s->reader, r->buf, sizeof r->buf);
    FUT_AWAIT_FUTURE(&r->state, &r->read.base, cx);
    FUT_ASYNC_END(&r->state);
}

static void
reader_drop(struct fut_future *f)
{
    fut_future_drop(&((struct reader *)f)->read.base);
}

static const struct fut_future_vtable reader_vtable = {
    .poll = reader_poll,
    .drop = reader_drop,
    .result = NULL,
};

static struct reader
reader_make(struct fut_tcp_stream *s, int *polls)
{
    struct reader r;

    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vtable;
    r.s = s;
    r.polls = polls;
    return r;
}

/* ---- input --------------------------------------------------------------- */

START_TEST(test_attached_bad_input)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = tloop_count(l);
    int64_t deadline = 0;

    ck_assert_int_eq(tloop_attach(NULL, l), -EINVAL);
    ck_assert_int_eq(tloop_attach(&rt, NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_init_attached(&rt, NULL, tloop_native(l)),
                     -EINVAL);
    ck_assert_int_eq(fut_runtime_init_attached(&rt, tloop_backend(), NULL),
                     -EINVAL);
    /* A flag bit no backend knows. */
    ck_assert_int_eq(test_runtime_attach_flags(&rt, tloop_backend(),
                                               tloop_native(l), 1u << 31),
                     -EINVAL);
    ck_assert_int_eq(test_runtime_attach_flags(&rt, tloop_backend(),
                                               tloop_native(l),
                                               FUT_BACKEND_ONE_FD | 1u << 7),
                     -EINVAL);
    if (!ONE_FD_BUILD)
        ck_assert_int_eq(test_runtime_attach_flags(&rt, tloop_backend(),
                                                   tloop_native(l),
                                                   FUT_BACKEND_ONE_FD),
                         -ENOTSUP);
    /* Nothing was added to the loop by the failed calls. */
    ck_assert_uint_eq(tloop_count(l), before);
    /* An owned runtime is not an attached one. */
    ck_assert_int_eq(test_runtime_init(&rt, tloop_backend()), 0);
    ck_assert_int_eq(fut_runtime_attached_run(&rt, &deadline), -EINVAL);
    ck_assert_int_eq(deadline, -1);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(fut_runtime_attached_run(NULL, &deadline), -EINVAL);
    ck_assert_int_eq(fut_runtime_attached_run(NULL, NULL), -EINVAL);
    tloop_free(l);
}
END_TEST

/* ---- owned mode, on the same backend ------------------------------------- */

START_TEST(test_attached_owned_block_on)
{
    struct fut_runtime rt;
    struct napper main_f = napper_make(3, 2, NULL);
    struct napper side = napper_make(1, 1, NULL);
    struct fut_task *t;

    ck_assert_int_eq(test_runtime_init(&rt, tloop_backend()), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), tloop_caps.name);
    ck_assert_int_eq(FUT_SPAWN(&rt, &side, &t), 0);
    ck_assert_int_eq(fut_block_on(&rt, &main_f.base), 0);
    ck_assert_int_eq(main_f.steps, 2);
    /* Never early. */
    ck_assert_int_ge(main_f.woke1 - main_f.start, MS(3));
    ck_assert_int_ge(main_f.woke2 - main_f.woke1, MS(2));
    ck_assert_int_eq(fut_runtime_run(&rt), 0);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(fut_task_result(t), 0);
    fut_task_detach(t);
    fut_future_drop(&main_f.base);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

/* The link-time default is this backend too. */
START_TEST(test_attached_owned_default_backend)
{
    struct fut_runtime rt;
    struct napper n = napper_make(1, 0, NULL);

    ck_assert_ptr_eq(fut_backend_default(), tloop_backend());
    ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), tloop_caps.name);
    ck_assert_int_eq(fut_block_on(&rt, &n.base), 0);
    ck_assert_int_eq(n.steps, 2);
    fut_future_drop(&n.base);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

/* Sums what an mpsc receives until every sender is closed. */
struct summer {
    struct fut_future base;
    int state;
    struct fut_mpsc_receiver *rx;
    struct fut_mpsc_recv recv;
    int value;
    long sum;
    int count;
};

static enum fut_poll
summer_poll(struct fut_future *f, struct fut_context *cx)
{
    struct summer *s = (struct summer *)f;

    note_poll();
    FUT_ASYNC_BEGIN(&s->state);
    for (;;) {
        fut_mpsc_recv_init(&s->recv, s->rx, &s->value);
        FUT_AWAIT_FUTURE(&s->state, &s->recv.base, cx);
        if (s->recv.res != 1)
            break;
        s->sum += s->value;
        s->count++;
    }
    FUT_ASYNC_END(&s->state);
}

static void
summer_drop(struct fut_future *f)
{
    fut_future_drop(&((struct summer *)f)->recv.base);
}

static const struct fut_future_vtable summer_vtable = {
    .poll = summer_poll,
    .drop = summer_drop,
    .result = NULL,
};

/* Sends 1000 * i for i = 1..n, pausing now and then so that the loop
 * blocks in between, then closes its sender and rings @done. */
struct feeder_thread {
    struct fut_mpsc_sender tx;
    int n;
    struct tloop_watch *done; /* may be NULL */
};

static void *
feeder_thread_main(void *arg)
{
    struct feeder_thread *ft = arg;
    struct timespec pause = { 0, 2 * 1000 * 1000 };
    int i, err;

    for (i = 1; i <= ft->n; i++) {
        int v = 1000 * i;

        if (i % 50 == 1)
            nanosleep(&pause, NULL);
        while ((err = fut_mpsc_try_send(&ft->tx, &v)) == -EAGAIN)
            usleep(100);
        if (err != 0)
            break;
    }
    fut_mpsc_sender_close(&ft->tx);
    if (ft->done != NULL)
        tloop_wakeup_send(ft->done);
    return NULL;
}

static long
thread_sum(int n)
{
    return 1000L * n * (n + 1) / 2;
}

/* No timer, no descriptor: only the doorbell wakes the turns. */
START_TEST(test_attached_owned_wake_from_thread)
{
    struct fut_runtime rt;
    struct fut_mpsc_receiver rx;
    struct feeder_thread ft;
    struct summer s;
    pthread_t th;

    ck_assert_int_eq(test_runtime_init(&rt, tloop_backend()), 0);
    memset(&ft, 0, sizeof ft);
    ft.n = 60;
    ck_assert_int_eq(fut_mpsc_new(&ft.tx, &rx, sizeof(int), 2), 0);
    memset(&s, 0, sizeof s);
    s.base.vtable = &summer_vtable;
    s.rx = &rx;
    ck_assert_int_eq(pthread_create(&th, NULL, feeder_thread_main, &ft), 0);
    ck_assert_int_eq(fut_block_on(&rt, &s.base), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(s.count, ft.n);
    ck_assert_int_eq(s.sum, thread_sum(ft.n));
    fut_future_drop(&s.base);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

START_TEST(test_attached_owned_sleep_never_early)
{
    struct fut_runtime rt;
    int i;

    ck_assert_int_eq(test_runtime_init(&rt, tloop_backend()), 0);
    for (i = 0; i < 50; i++) {
        struct fut_sleep s;
        int64_t t0 = fut_now_ns();
        /* Odd lengths, so that they fall between the loops' milliseconds. */
        int64_t d = 250000 + (int64_t)i * 37000;

        fut_sleep_init(&s, d);
        ck_assert_int_eq(fut_block_on(&rt, &s.base), 0);
        ck_assert_int_ge(fut_now_ns() - t0, d);
        fut_future_drop(&s.base);
    }
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

/* A registration is one allocation from libfutures' allocator, made when
 * a descriptor is first waited for; its failure is reported, not fatal.
 * In one-fd mode a registration allocates nothing (it is an entry in the
 * runtime's epoll set), so the first wait just waits. */
START_TEST(test_attached_owned_registration_enomem)
{
    struct fut_runtime rt;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_io io;
    int sv[2], res = 1;

    test_failalloc_install();
    ck_assert_int_eq(test_runtime_init(&rt, tloop_backend()), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    ck_assert_int_eq(fut_io_init(&io, sv[0]), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &rt);
    test_failalloc_fail_after(0);
    if (test_backend_flags() & FUT_BACKEND_ONE_FD) {
        ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                         FUT_PENDING);
        test_failalloc_fail_after(-1);
    } else {
        ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                         FUT_READY);
        ck_assert_int_eq(res, -ENOMEM);
        test_failalloc_fail_after(-1);
        ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                         FUT_PENDING);
    }
    /* Readable now: turns report it and wake the waker. */
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    while (tw.wakes == 0)
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

/* ---- sleeps and native timers in one run --------------------------------- */

struct timer_and_task {
    int fired;
    struct fut_task *t;
};

static int
timer_and_task_done(const void *arg)
{
    const struct timer_and_task *d = arg;

    return d->fired > 0 && fut_task_is_finished(d->t);
}

START_TEST(test_attached_sleep_and_native_timer)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct napper n = napper_make(5, 3, NULL);
    struct timer_and_task d = { 0, NULL };
    struct tloop_watch *timer = tloop_timer_new(l, count_cb, &d.fired);
    struct tloop_watch *prepare;
    struct napper *out;
    int prepares = 0;

    tloop_timer_start(timer, 5, 0);
    /* The program's prepare hook next to the runtime's own (libuv and
     * libev narrow readiness from one). Alone it would keep the loop
     * running forever. */
    prepare = tloop_prepare_new(l, count_cb, &prepares);
    if (prepare != NULL)
        tloop_watch_unref(prepare);
    ck_assert_int_eq(FUT_SPAWN(&rt, &n, &d.t), 0);
    /* One run: the native timer fires and the task finishes in it. */
    run_to_end(l, timer_and_task_done, &d);
    ck_assert_int_eq(d.fired, 1);
    ck_assert_int_eq(fut_task_result(d.t), 0);
    out = fut_task_output(d.t);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(out->steps, 2);
    /* Never early, whatever the loop's own clock says. */
    ck_assert_int_ge(out->woke1 - out->start, MS(5));
    ck_assert_int_ge(out->woke2 - out->woke1, MS(3));
    if (prepare != NULL) {
        ck_assert_int_gt(prepares, 0);
        tloop_watch_free(prepare);
    }
    fut_task_detach(d.t);
    tloop_watch_free(timer);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* Many sleeps of different lengths: each wakes no earlier than asked. */
#define MANY 40

static int
all_many_finished(const void *arg)
{
    return *(const int *)arg == MANY;
}

START_TEST(test_attached_many_sleeps_never_early)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct fut_task *ts[MANY];
    int i, finished = 0;

    for (i = 0; i < MANY; i++) {
        struct napper n = napper_make(i % 7, (i * 3) % 5, &finished);

        ck_assert_int_eq(FUT_SPAWN(&rt, &n, &ts[i]), 0);
    }
    run_to_end(l, all_many_finished, &finished);
    for (i = 0; i < MANY; i++) {
        struct napper *out = fut_task_output(ts[i]);

        ck_assert_ptr_nonnull(out);
        ck_assert_int_eq(out->steps, 2);
        ck_assert_int_ge(out->woke1 - out->start, MS(i % 7));
        ck_assert_int_ge(out->woke2 - out->woke1, MS((i * 3) % 5));
        fut_task_detach(ts[i]);
    }
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* ---- TCP echo next to a native timer and descriptor watcher -------------- */

/* Longer than the server's buffer, so that each echo takes several reads. */
static const char echo_msg[] = "hello, futures in the program's own loop";
#define ECHO_LEN (sizeof echo_msg - 1)
#define ECHO_ROUNDS 5

struct echo {
    struct fut_tcp_listener listener;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int server_done, client_done;
    int server_res, client_res;
    size_t echoed;
    int rounds;
    int pipefd[2];
    int native_ticks, native_reads;
};

struct echo_server {
    struct fut_future base;
    int state;
    struct echo *e;
    struct fut_tcp_stream conn;
    int open;
    struct fut_tcp_accept accept;
    struct fut_read read;
    struct fut_write_all write;
    char buf[16];
};

static enum fut_poll
echo_server_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_server *s = (struct echo_server *)f;

    note_poll();
    FUT_ASYNC_BEGIN(&s->state);
    /* Pointers into the task are taken here, after the move into it. */
    fut_tcp_accept_init(&s->accept, &s->e->listener, &s->conn);
    FUT_AWAIT_FUTURE(&s->state, &s->accept.base, cx);
    s->e->server_res = s->accept.res;
    if (s->accept.res != 0)
        goto out;
    s->open = 1;
    for (;;) {
        fut_read_init(&s->read, &s->conn.reader, s->buf, sizeof s->buf);
        FUT_AWAIT_FUTURE(&s->state, &s->read.base, cx);
        if (s->read.res <= 0) {
            s->e->server_res = (int)s->read.res; /* 0: EOF */
            break;
        }
        fut_write_all_init(&s->write, &s->conn.writer, s->buf,
                           (size_t)s->read.res);
        FUT_AWAIT_FUTURE(&s->state, &s->write.base, cx);
        if (s->write.res != 0) {
            s->e->server_res = s->write.res;
            break;
        }
        s->e->echoed += (size_t)s->read.res;
    }
    fut_tcp_stream_close(&s->conn);
    s->open = 0;
out:
    s->e->server_done = 1;
    FUT_ASYNC_END(&s->state);
}

static void
echo_server_drop(struct fut_future *f)
{
    struct echo_server *s = (struct echo_server *)f;

    fut_future_drop(&s->accept.base);
    fut_future_drop(&s->read.base);
    fut_future_drop(&s->write.base);
    if (s->open)
        fut_tcp_stream_close(&s->conn);
    s->open = 0;
}

static const struct fut_future_vtable echo_server_vtable = {
    .poll = echo_server_poll,
    .drop = echo_server_drop,
    .result = NULL,
};

struct echo_client {
    struct fut_future base;
    int state;
    struct echo *e;
    struct fut_tcp_stream conn;
    int open;
    struct fut_tcp_connect connect;
    struct fut_sleep sleep;
    struct fut_write_all write;
    struct fut_read_exact read;
    char got[sizeof echo_msg];
};

static enum fut_poll
echo_client_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_client *c = (struct echo_client *)f;

    note_poll();
    FUT_ASYNC_BEGIN(&c->state);
    /* The connect timeout is only a safety net. */
    ck_assert_int_eq(fut_tcp_stream_init(&c->conn), 0);
    fut_tcp_connect_init(&c->connect, &c->conn,
                         (const struct sockaddr *)&c->e->addr, c->e->addrlen,
                         MS(SAFETY_NET_MS));
    FUT_AWAIT_FUTURE(&c->state, &c->connect.base, cx);
    c->e->client_res = c->connect.res;
    if (c->connect.res != 0)
        goto out;
    c->open = 1;
    for (c->e->rounds = 0; c->e->rounds < ECHO_ROUNDS; c->e->rounds++) {
        /* Leave the native timer and reader some iterations. */
        fut_sleep_init(&c->sleep, MS(2));
        FUT_AWAIT_FUTURE(&c->state, &c->sleep.base, cx);
        fut_write_all_init(&c->write, &c->conn.writer, echo_msg, ECHO_LEN);
        FUT_AWAIT_FUTURE(&c->state, &c->write.base, cx);
        if ((c->e->client_res = c->write.res) != 0)
            break;
        memset(c->got, 0, sizeof c->got);
        fut_read_exact_init(&c->read, &c->conn.reader, c->got, ECHO_LEN);
        FUT_AWAIT_FUTURE(&c->state, &c->read.base, cx);
        if ((c->e->client_res = c->read.res) != 0)
            break;
        if (memcmp(c->got, echo_msg, ECHO_LEN) != 0) {
            c->e->client_res = -EBADMSG;
            break;
        }
    }
    /* The server sees EOF and finishes too. */
    fut_tcp_stream_close(&c->conn);
    c->open = 0;
out:
    c->e->client_done = 1;
    FUT_ASYNC_END(&c->state);
}

static void
echo_client_drop(struct fut_future *f)
{
    struct echo_client *c = (struct echo_client *)f;

    fut_future_drop(&c->connect.base);
    fut_future_drop(&c->sleep.base);
    fut_future_drop(&c->write.base);
    fut_future_drop(&c->read.base);
    if (c->open)
        fut_tcp_stream_close(&c->conn);
    c->open = 0;
}

static const struct fut_future_vtable echo_client_vtable = {
    .poll = echo_client_poll,
    .drop = echo_client_drop,
    .result = NULL,
};

static void
echo_tick_cb(void *arg)
{
    struct echo *e = arg;

    e->native_ticks++;
    ck_assert_int_eq(write(e->pipefd[1], "x", 1), 1);
}

static void
echo_read_cb(void *arg)
{
    struct echo *e = arg;
    char c;

    if (read(e->pipefd[0], &c, 1) == 1)
        e->native_reads++;
}

static int
echo_done(const void *arg)
{
    const struct echo *e = arg;

    return e->server_done && e->client_done && e->native_reads > 0;
}

/* Loop index 0: the default loop; 1: the level-triggered variant, where
 * the loop has one (libevent on poll(2), which has no EV_ET). */
START_TEST(test_attached_tcp_echo)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(_i == 1 ? TLOOP_LEVEL : 0);
    struct echo e;
    struct echo_server srv;
    struct echo_client cli;
    struct tloop_watch *tick, *rd;
    size_t before;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(pipe(e.pipefd), 0);
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 0, &e.addr, &e.addrlen),
                     0);
    ck_assert_int_eq(fut_tcp_listener_bind(&e.listener,
                                           (struct sockaddr *)&e.addr,
                                           e.addrlen, 16), 0);
    e.addrlen = sizeof e.addr;
    ck_assert_int_eq(fut_tcp_listener_local_addr(&e.listener, &e.addr,
                                                 &e.addrlen), 0);
    /* The program's own: a repeating timer that writes to a pipe, and a
     * watcher that reads it. */
    tick = tloop_timer_new(l, echo_tick_cb, &e);
    tloop_timer_start(tick, 1, 1);
    rd = tloop_reader_new(l, e.pipefd[0], echo_read_cb, &e);
    before = attach(&rt, l);

    memset(&srv, 0, sizeof srv);
    srv.base.vtable = &echo_server_vtable;
    srv.e = &e;
    memset(&cli, 0, sizeof cli);
    cli.base.vtable = &echo_client_vtable;
    cli.e = &e;
    ck_assert_int_eq(FUT_SPAWN(&rt, &srv, NULL), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &cli, NULL), 0);

    run_until(l, echo_done, &e);
    ck_assert_int_eq(e.client_res, 0);
    ck_assert_int_eq(e.rounds, ECHO_ROUNDS);
    ck_assert_int_eq(e.server_res, 0); /* EOF */
    ck_assert_uint_eq(e.echoed, ECHO_ROUNDS * ECHO_LEN);
    ck_assert_int_gt(e.native_ticks, 0);
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
    ck_assert_uint_eq(fut__runtime_io_count(&rt), 1); /* the listener's */
    ck_assert_int_eq(fut_tcp_listener_close(&e.listener), 0);
    detach(&rt, l, before);
    tloop_watch_free(rd);
    tloop_watch_free(tick);
    tloop_free(l);
    close(e.pipefd[0]);
    close(e.pipefd[1]);
}
END_TEST

/* ---- an mpsc fed by a native timer and by another thread ----------------- */

#define FROM_NATIVE 10
#define FROM_THREAD 200

struct native_feeder {
    struct tloop_watch *timer;
    struct fut_mpsc_sender tx;
    int sent;
    int thread_done;
};

static void
native_feeder_tick(void *arg)
{
    struct native_feeder *nf = arg;
    int v = nf->sent + 1;
    int err;

    if (nf->sent == FROM_NATIVE)
        return;
    /* Full (the thread filled it): try again at the next tick. */
    err = fut_mpsc_try_send(&nf->tx, &v);
    ck_assert(err == 0 || err == -EAGAIN);
    if (err == 0 && ++nf->sent == FROM_NATIVE) {
        fut_mpsc_sender_close(&nf->tx);
        tloop_watch_stop(nf->timer);
    }
}

struct mpsc_done {
    struct native_feeder *nf;
    struct fut_task *t;
};

static int
mpsc_done(const void *arg)
{
    const struct mpsc_done *d = arg;

    return d->nf->thread_done && fut_task_is_finished(d->t);
}

START_TEST(test_attached_mpsc_native_and_thread)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct fut_mpsc_receiver rx;
    struct native_feeder nf;
    struct feeder_thread ft;
    struct summer s;
    struct mpsc_done d;
    struct summer *out;
    pthread_t th;
    int i;
    long expect = thread_sum(FROM_THREAD);

    memset(&nf, 0, sizeof nf);
    memset(&ft, 0, sizeof ft);
    ck_assert_int_eq(fut_mpsc_new(&nf.tx, &rx, sizeof(int), 4), 0);
    ck_assert_int_eq(fut_mpsc_sender_clone(&nf.tx, &ft.tx), 0);
    memset(&s, 0, sizeof s);
    s.base.vtable = &summer_vtable;
    s.rx = &rx;
    d.nf = &nf;
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, &d.t), 0);
    nf.timer = tloop_timer_new(l, native_feeder_tick, &nf);
    tloop_timer_start(nf.timer, 1, 1);
    /* The thread's "finished" keeps the loop alive until it came: the
     * runtime's doorbell alone would not. */
    ft.n = FROM_THREAD;
    ft.done = tloop_wakeup_new(l, count_cb, &nf.thread_done);
    ck_assert_int_eq(pthread_create(&th, NULL, feeder_thread_main, &ft), 0);

    run_until(l, mpsc_done, &d);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    for (i = 1; i <= FROM_NATIVE; i++)
        expect += i;
    out = fut_task_output(d.t);
    ck_assert_int_eq(out->count, FROM_NATIVE + FROM_THREAD);
    ck_assert_int_eq(out->sum, expect);
    fut_task_detach(d.t);
    fut_mpsc_receiver_close(&rx);
    tloop_watch_free(ft.done);
    tloop_watch_free(nf.timer);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* ---- woken or spawned from a native callback, run after it --------------- */

struct from_callback {
    struct fut_runtime *rt;
    struct fut_oneshot_sender tx;
    struct fut_task *waiting, *spawned;
    int waiting_polls, spawned_polls;
    int ran;
};

static void
from_callback_fire(void *arg)
{
    struct from_callback *fc = arg;
    struct flagged g = flagged_make(NULL, &fc->spawned_polls);
    int v = 7;
    int polls = fc->waiting_polls;

    ck_assert(!fut_task_is_finished(fc->waiting));
    /* Wake a waiting task, and spawn a new one, from inside the callback:
     * neither may be polled before the callback returns. */
    ck_assert_int_eq(fut_oneshot_send(&fc->tx, &v), 0);
    ck_assert_int_eq(FUT_SPAWN(fc->rt, &g, &fc->spawned), 0);
    ck_assert_int_eq(fc->waiting_polls, polls);
    ck_assert_int_eq(fc->spawned_polls, 0);
    ck_assert(!fut_task_is_finished(fc->waiting));
    ck_assert(!fut_task_is_finished(fc->spawned));
    fc->ran = 1;
}

static int
from_callback_done(const void *arg)
{
    const struct from_callback *fc = arg;

    return fc->ran && fut_task_is_finished(fc->waiting) &&
           fut_task_is_finished(fc->spawned);
}

START_TEST(test_attached_wake_from_native_not_inline)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct fut_oneshot_receiver rx;
    struct from_callback fc;
    struct flagged g;
    struct flagged *out;
    struct tloop_watch *timer;

    memset(&fc, 0, sizeof fc);
    fc.rt = &rt;
    ck_assert_int_eq(fut_oneshot_new(&fc.tx, &rx, sizeof(int)), 0);
    g = flagged_make(&rx, &fc.waiting_polls);
    ck_assert_int_eq(FUT_SPAWN(&rt, &g, &fc.waiting), 0);
    /* Spawning only asked the loop to come back: nothing ran yet. */
    ck_assert_int_eq(fc.waiting_polls, 0);
    /* Let the task reach its await first, so that the callback wakes a
     * pending task. */
    run_until(l, flag_set, &fc.waiting_polls);
    ck_assert_int_eq(fc.waiting_polls, 1);
    timer = tloop_timer_new(l, from_callback_fire, &fc);
    tloop_timer_start(timer, 2, 0);

    run_to_end(l, from_callback_done, &fc);
    out = fut_task_output(fc.waiting);
    ck_assert_int_eq(out->value, 7);
    ck_assert_int_eq(fc.waiting_polls, 2);
    ck_assert_int_eq(fc.spawned_polls, 1);
    ck_assert_int_eq(polled_in_callback, 0);
    fut_task_detach(fc.waiting);
    fut_task_detach(fc.spawned);
    fut_oneshot_receiver_close(&rx);
    tloop_watch_free(timer);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* ---- a wake from the program's last callback holds the loop ------------- */

struct last_wake {
    struct fut_oneshot_sender tx;
    struct fut_task *waiting;
    struct tloop_watch *reader;
    int fd;
};

/* The program's descriptor callback: takes the byte, stops watching (the
 * last thing that held the loop) and wakes the task. */
static void
last_wake_fire(void *arg)
{
    struct last_wake *lw = arg;
    int v = 9;
    char c;

    ck_assert_int_eq(read(lw->fd, &c, 1), 1);
    tloop_watch_stop(lw->reader);
    ck_assert_int_eq(fut_oneshot_send(&lw->tx, &v), 0);
}

static int
last_wake_done(const void *arg)
{
    return fut_task_is_finished(((const struct last_wake *)arg)->waiting);
}

/* The program's descriptor watcher is the last thing holding its loop;
 * its callback, run in the loop's poll phase, stops it and wakes a task
 * (and does nothing else). That wake happens on the loop's thread but
 * outside the runtime's hook: the loop must still come back to run the
 * task before it ends, as it would for a wake from one of our own I/O
 * callbacks (libuv ends a run with no active handle left right after the
 * poll phase; the runtime's doorbell does not hold it). */
START_TEST(test_attached_wake_from_last_native_callback)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct fut_oneshot_receiver rx;
    struct last_wake lw;
    struct flagged g;
    struct flagged *out;
    int polls = 0, fds[2];

    memset(&lw, 0, sizeof lw);
    ck_assert_int_eq(pipe(fds), 0);
    lw.fd = fds[0];
    ck_assert_int_eq(fut_oneshot_new(&lw.tx, &rx, sizeof(int)), 0);
    g = flagged_make(&rx, &polls);
    ck_assert_int_eq(FUT_SPAWN(&rt, &g, &lw.waiting), 0);
    run_until(l, flag_set, &polls);     /* pending on the oneshot */
    lw.reader = tloop_reader_new(l, fds[0], last_wake_fire, &lw);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    run_to_end(l, last_wake_done, &lw);
    out = fut_task_output(lw.waiting);
    ck_assert_int_eq(out->value, 9);
    fut_task_detach(lw.waiting);
    fut_oneshot_receiver_close(&rx);
    tloop_watch_free(lw.reader);
    close(fds[0]);
    close(fds[1]);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* ---- a task woken by I/O runs after the native callbacks of the iteration  */

/* Both descriptors become readable at once: the program's callback on one
 * runs in the iteration's callbacks, the task waiting for the other one
 * only from the runtime's hook after them (on libevent, whose base has
 * priorities here, the runtime's tick has the lowest). */
struct io_order {
    int native_runs;
    int native_before; /* native_runs when the task saw its readiness */
    int task_polls;
    int fd;
};

struct ready_task {
    struct fut_future base;
    int state;
    struct io_order *o;
    struct fut_io io;
    int res;
};

static enum fut_poll
ready_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct ready_task *t = (struct ready_task *)f;

    note_poll();
    t->o->task_polls++;
    FUT_ASYNC_BEGIN(&t->state);
    FUT_AWAIT(&t->state, fut_io_poll_ready(&t->io, cx, FUT_IO_READABLE,
                                           &t->res));
    t->o->native_before = t->o->native_runs;
    fut_io_close(&t->io);
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
    .result = NULL,
};

static void
io_order_native_cb(void *arg)
{
    struct io_order *o = arg;
    char c;

    ck_assert_int_eq(read(o->fd, &c, 1), 1);
    o->native_runs++;
}

START_TEST(test_attached_io_task_after_native_callbacks)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(TLOOP_PRIORITIES);
    struct io_order o;
    struct ready_task t;
    struct fut_task *h;
    struct tloop_watch *native;
    size_t before;
    int a[2], b[2];

    memset(&o, 0, sizeof o);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a),
                     0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b),
                     0);
    o.fd = a[0];
    native = tloop_reader_new(l, a[0], io_order_native_cb, &o);
    before = attach(&rt, l);
    memset(&t, 0, sizeof t);
    t.base.vtable = &ready_task_vtable;
    t.o = &o;
    ck_assert_int_eq(fut_io_init(&t.io, b[0]), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &t, &h), 0);
    /* The task registers and waits. */
    run_until(l, flag_set, &o.task_polls);
    ck_assert(!fut_task_is_finished(h));
    /* Both become readable at once. */
    ck_assert_int_eq(write(a[1], "a", 1), 1);
    ck_assert_int_eq(write(b[1], "b", 1), 1);
    run_until(l, task_finished, h);
    ck_assert_int_eq(o.task_polls, 2);
    ck_assert_int_eq(o.native_before, 1);
    fut_task_detach(h);
    tloop_watch_free(native);
    detach(&rt, l, before - 1); /* the program's watcher is gone */
    tloop_free(l);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}
END_TEST

/* ---- a busy task does not starve the program's callbacks ----------------- */

/* A task that never waits: the program's timer still fires. The timer
 * repeats until it fires while the task is running (a loaded machine may
 * fire it once before the task's first poll), and only that stops the
 * task; the task ends only if the timer fired while it was busy. */
struct busy_stop {
    const long *yields;
    long yields_at_stop;
    int stop;
};

static void
busy_stop_cb(void *arg)
{
    struct busy_stop *b = arg;

    if (*b->yields > 0 && !b->stop) {
        b->yields_at_stop = *b->yields;
        b->stop = 1;
    }
}

START_TEST(test_attached_busy_task_no_starvation)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct fut_task *t;
    struct tloop_watch *timer;
    long yields = 0;
    struct busy_stop b = { &yields, 0, 0 };
    struct yielder y = yielder_make(0, &b.stop, &yields, NULL);

    ck_assert_int_eq(FUT_SPAWN(&rt, &y, &t), 0);
    timer = tloop_timer_new(l, busy_stop_cb, &b);
    tloop_timer_start(timer, 5, 1);
    run_until(l, task_finished, t);
    ck_assert_int_eq(b.stop, 1);
    /* The task yielded, the timer fired in between, and the task saw it
     * at its next turn. */
    ck_assert_int_gt(b.yields_at_stop, 0);
    ck_assert_int_ge(yields, b.yields_at_stop);
    fut_task_detach(t);
    tloop_watch_free(timer);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* The runtime polls at most event_interval (61) tasks each time its hook
 * runs, so the program's idle callback runs in between, many times. */
START_TEST(test_attached_native_idle_next_to_busy_task)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct fut_task *t;
    struct tloop_watch *idle;
    int idles = 0;
    struct yielder y = yielder_make(20000, NULL, NULL, NULL);

    ck_assert_int_eq(FUT_SPAWN(&rt, &y, &t), 0);
    idle = tloop_idle_new(l, count_cb, &idles);
    /* The idle callback alone would keep the loop running forever. */
    tloop_watch_unref(idle);
    run_to_end(l, task_finished, t);
    ck_assert_int_ge(idles, 20000 / (61 * tloop_caps.task_runs_per_iteration));
    fut_task_detach(t);
    tloop_watch_free(idle);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* ---- fut_block_on on an attached runtime --------------------------------- */

/* Waits for one value from each of two oneshots. */
struct two_recv {
    struct fut_future base;
    int state;
    struct fut_oneshot_receiver *rx1, *rx2;
    struct fut_oneshot_recv recv;
    int v1, v2;
    int res1, res2;
};

static enum fut_poll
two_recv_poll(struct fut_future *f, struct fut_context *cx)
{
    struct two_recv *r = (struct two_recv *)f;

    FUT_ASYNC_BEGIN(&r->state);
    fut_oneshot_recv_init(&r->recv, r->rx1, &r->v1);
    FUT_AWAIT_FUTURE(&r->state, &r->recv.base, cx);
    r->res1 = r->recv.res;
    fut_oneshot_recv_init(&r->recv, r->rx2, &r->v2);
    FUT_AWAIT_FUTURE(&r->state, &r->recv.base, cx);
    r->res2 = r->recv.res;
    FUT_ASYNC_END(&r->state);
}

static void
two_recv_drop(struct fut_future *f)
{
    fut_future_drop(&((struct two_recv *)f)->recv.base);
}

static const struct fut_future_vtable two_recv_vtable = {
    .poll = two_recv_poll,
    .drop = two_recv_drop,
    .result = NULL,
};

/* Sleeps twice, then sends. */
struct relay {
    struct fut_future base;
    int state;
    struct fut_sleep sleep;
    int i;
    struct fut_oneshot_sender *tx;
};

static enum fut_poll
relay_poll(struct fut_future *f, struct fut_context *cx)
{
    struct relay *r = (struct relay *)f;
    int v = 2;

    note_poll();
    FUT_ASYNC_BEGIN(&r->state);
    for (r->i = 0; r->i < 2; r->i++) {
        fut_sleep_init(&r->sleep, MS(1));
        FUT_AWAIT_FUTURE(&r->state, &r->sleep.base, cx);
    }
    ck_assert_int_eq(fut_oneshot_send(r->tx, &v), 0);
    FUT_ASYNC_END(&r->state);
}

static void
relay_drop(struct fut_future *f)
{
    fut_future_drop(&((struct relay *)f)->sleep.base);
}

static const struct fut_future_vtable relay_vtable = {
    .poll = relay_poll,
    .drop = relay_drop,
    .result = NULL,
};

struct native_send {
    struct fut_oneshot_sender tx;
    int fired;
};

static void
native_send_cb(void *arg)
{
    struct native_send *ns = arg;
    int v = 1;

    ns->fired++;
    ck_assert_int_eq(fut_oneshot_send(&ns->tx, &v), 0);
}

START_TEST(test_attached_block_on)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct fut_oneshot_receiver from_native, from_task, gate_rx;
    struct fut_oneshot_sender to_relay, gate_tx;
    struct native_send ns;
    struct relay relay;
    struct two_recv main_f;
    struct fut_task *relay_t, *side_t, *after_t;
    struct tloop_watch *timer;
    int side_polls = 0, v = 3;
    struct flagged side;
    struct napper after = napper_make(1, 0, NULL);

    memset(&ns, 0, sizeof ns);
    ck_assert_int_eq(fut_oneshot_new(&ns.tx, &from_native, sizeof(int)), 0);
    ck_assert_int_eq(fut_oneshot_new(&to_relay, &from_task, sizeof(int)), 0);
    ck_assert_int_eq(fut_oneshot_new(&gate_tx, &gate_rx, sizeof(int)), 0);
    timer = tloop_timer_new(l, native_send_cb, &ns);
    tloop_timer_start(timer, 1, 0);
    memset(&relay, 0, sizeof relay);
    relay.base.vtable = &relay_vtable;
    relay.tx = &to_relay;
    ck_assert_int_eq(FUT_SPAWN(&rt, &relay, &relay_t), 0);
    /* A task that can finish only after block_on returned. */
    side = flagged_make(&gate_rx, &side_polls);
    ck_assert_int_eq(FUT_SPAWN(&rt, &side, &side_t), 0);
    memset(&main_f, 0, sizeof main_f);
    main_f.base.vtable = &two_recv_vtable;
    main_f.rx1 = &from_native;
    main_f.rx2 = &from_task;
    main_f.res1 = main_f.res2 = 1;

    /* Outside the program's run: the runtime runs the program's loop
     * itself, so the program's timer fires, and the spawned task runs. */
    ck_assert_int_eq(fut_block_on(&rt, &main_f.base), 0);
    ck_assert_int_eq(main_f.res1, 0);
    ck_assert_int_eq(main_f.v1, 1);
    ck_assert_int_eq(main_f.res2, 0);
    ck_assert_int_eq(main_f.v2, 2);
    ck_assert_int_eq(ns.fired, 1);
    ck_assert(fut_task_is_finished(relay_t));
    fut_future_drop(&main_f.base);

    /* The program's own run takes over again afterwards. */
    ck_assert(!fut_task_is_finished(side_t));
    ck_assert_int_eq(fut_oneshot_send(&gate_tx, &v), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &after, &after_t), 0);
    run_to_end(l, task_finished, side_t);
    run_to_end(l, task_finished, after_t);
    ck_assert_int_eq(((struct napper *)fut_task_output(after_t))->steps, 2);
    fut_task_detach(relay_t);
    fut_task_detach(side_t);
    fut_task_detach(after_t);
    fut_oneshot_receiver_close(&from_native);
    fut_oneshot_receiver_close(&from_task);
    fut_oneshot_receiver_close(&gate_rx);
    tloop_watch_free(timer);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* fut_block_on() from inside one of the program's callbacks: libevent's
 * loop cannot be entered again, so it is refused; libev's runs nested and
 * the sleep ends (never early). Either way the runtime goes on working. */
struct nested {
    struct fut_runtime *rt;
    int err;
    int ran;
    int64_t slept;
};

static void
nested_block_on_cb(void *arg)
{
    struct nested *n = arg;
    struct fut_sleep sl;
    int64_t t0 = fut_now_ns();

    fut_sleep_init(&sl, MS(1));
    n->err = fut_block_on(n->rt, &sl.base);
    n->slept = fut_now_ns() - t0;
    fut_future_drop(&sl.base);
    n->ran = 1;
}

START_TEST(test_attached_block_on_in_callback)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct nested n = { &rt, 1, 0, 0 };
    struct tloop_watch *timer = tloop_timer_new(l, nested_block_on_cb, &n);
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    struct flagged g;
    struct fut_task *t;
    long warnings = tloop_warnings();
    int polls = 0, v = 5;

    /* A task that waits for the test, not for a clock: a nested run may
     * poll what is ready, and a loaded machine would let a timed task
     * become ready inside the callback. It reaches its await first, in
     * the runtime's own hook. */
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof(int)), 0);
    g = flagged_make(&rx, &polls);
    ck_assert_int_eq(FUT_SPAWN(&rt, &g, &t), 0);
    run_until(l, flag_set, &polls);
    tloop_timer_start(timer, 1, 0);
    run_until(l, flag_set, &n.ran);
    if (tloop_caps.block_on_in_callback == TLOOP_NESTED_REFUSED) {
        ck_assert_int_eq(n.err, -EBUSY);
    } else {
        ck_assert_int_eq(n.err, 0);
        ck_assert_int_ge(n.slept, MS(1));
    }
    ck_assert_int_eq(tloop_warnings() - warnings,
                     tloop_caps.block_on_in_callback_warnings);
    /* The runtime goes on working afterwards. */
    ck_assert(!fut_task_is_finished(t));
    ck_assert_int_eq(fut_oneshot_send(&tx, &v), 0);
    run_until(l, task_finished, t);
    ck_assert_int_eq(((struct flagged *)fut_task_output(t))->value, 5);
    fut_task_detach(t);
    fut_oneshot_receiver_close(&rx);
    tloop_watch_free(timer);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* ---- a descriptor the program watches itself ----------------------------- */

static void
noop_cb(void *arg)
{
    (void)arg;
}

/* libuv allows one watcher per descriptor and loop: registering one the
 * program is watching fails with -EEXIST, and nothing is left behind. The
 * other loops take a second watcher, and the task reads as usual; so does
 * libuv in one-fd mode (_i = 1: FUT_BACKEND_ONE_FD), where the loop
 * watches the runtime's epoll set and the descriptor goes into that. */
START_TEST(test_attached_fd_watched_by_program)
{
    unsigned int flags = _i == 1 ? FUT_BACKEND_ONE_FD : 0;
    int refused = tloop_caps.one_watcher_per_fd && flags == 0;
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    struct fut_tcp_stream a, b;
    struct reader r;
    struct fut_task *t;
    struct tloop_watch *native;
    struct reader *out;
    size_t before;
    int sv[2], polls = 0;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&a, sv[0]), 0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&b, sv[1]), 0);
    native = tloop_reader_new(l, sv[0], noop_cb, NULL);
    before = attach_flags(&rt, l, flags);
    r = reader_make(&a, &polls);
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, &t), 0);
    if (!refused) {
        run_nowait_until(l, flag_set, &polls);
        ck_assert_int_eq(write(sv[1], "abcd", 4), 4);
    }
    run_until(l, task_finished, t);
    out = fut_task_output(t);
    if (refused) {
        ck_assert_int_eq(out->read.res, -EEXIST);
        ck_assert_uint_eq(fut__runtime_io_count(&rt), 0);
    } else {
        ck_assert_int_eq(out->read.res, 0);
        ck_assert_int_eq(memcmp(out->buf, "abcd", 4), 0);
    }
    fut_task_detach(t);
    tloop_watch_free(native);
    ck_assert_int_eq(fut_tcp_stream_close(&a), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&b), 0);
    detach(&rt, l, before - 1); /* the program's watcher is gone */
    tloop_free(l);
}
END_TEST

/* ---- level-triggered readiness does not spin ----------------------------- */

/* Once woken, a direction is no longer watched until somebody waits for it
 * again, so unread data does not make the loop spin. */
struct ready_then_sleep {
    struct fut_future base;
    int state;
    struct fut_io *io;
    int res;
    struct fut_sleep sleep;
};

static enum fut_poll
ready_then_sleep_poll(struct fut_future *f, struct fut_context *cx)
{
    struct ready_then_sleep *r = (struct ready_then_sleep *)f;

    note_poll();
    FUT_ASYNC_BEGIN(&r->state);
    FUT_AWAIT(&r->state, fut_io_poll_ready(r->io, cx, FUT_IO_READABLE,
                                           &r->res));
    /* Do not read: the byte stays there for the whole sleep. */
    fut_sleep_init(&r->sleep, MS(30));
    FUT_AWAIT_FUTURE(&r->state, &r->sleep.base, cx);
    FUT_ASYNC_END(&r->state);
}

static void
ready_then_sleep_drop(struct fut_future *f)
{
    fut_future_drop(&((struct ready_then_sleep *)f)->sleep.base);
}

static const struct fut_future_vtable ready_then_sleep_vtable = {
    .poll = ready_then_sleep_poll,
    .drop = ready_then_sleep_drop,
    .result = NULL,
};

struct write_byte {
    int fd;
};

static void
write_byte_cb(void *arg)
{
    ck_assert_int_eq(write(((struct write_byte *)arg)->fd, "x", 1), 1);
}

START_TEST(test_attached_level_triggered_no_spin)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(TLOOP_LEVEL);
    size_t before = attach(&rt, l);
    struct ready_then_sleep r;
    struct write_byte wb;
    struct tloop_watch *timer;
    struct fut_task *t;
    struct fut_io io;
    long iter0;
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    ck_assert_int_eq(fut_io_init(&io, sv[0]), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &ready_then_sleep_vtable;
    r.io = &io;
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, &t), 0);
    wb.fd = sv[1];
    timer = tloop_timer_new(l, write_byte_cb, &wb);
    tloop_timer_start(timer, 2, 0);
    iter0 = tloop_iterations(l);
    run_to_end(l, task_finished, t);
    ck_assert_int_eq(((struct ready_then_sleep *)fut_task_output(t))->res, 0);
    /* A handful of iterations (timer, readiness, the sleep), not one per
     * microsecond of the 30 ms the byte sat unread. */
    ck_assert_int_lt(tloop_iterations(l) - iter0, 40);
    fut_task_detach(t);
    ck_assert_int_eq(fut_io_close(&io), 0);
    tloop_watch_free(timer);
    detach(&rt, l, before);
    tloop_free(l);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* ---- detaching ----------------------------------------------------------- */

/* Accepts on a listener that nobody connects to, then sleeps an hour. */
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

    note_poll();
    FUT_ASYNC_BEGIN(&w->state);
    /* Registers the listener (the accept stays pending, its waker stored
     * there), arms a timer, then waits. */
    fut_tcp_accept_init(&w->accept, w->l, &w->out);
    if (fut_future_poll(&w->accept.base, cx) == FUT_READY)
        FUT_ASYNC_RETURN(&w->state);
    fut_sleep_init(&w->sleep, MS(3600 * 1000));
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
    .result = NULL,
};

struct pending {
    struct fut_runtime *rt;
    int reader_polls;
    long yields;
};

static int
all_pending(const void *arg)
{
    const struct pending *p = arg;

    /* The listener and the stream are registered, the sleeps armed, and
     * the busy task has run. */
    return fut__runtime_io_count(p->rt) == 2 &&
           fut__runtime_timer_count(p->rt) == 2 && p->reader_polls > 0 &&
           p->yields > 0;
}

struct own_reader {
    struct tloop_watch *w;
    int fd;
    int fired;
};

static void
own_reader_cb(void *arg)
{
    struct own_reader *o = arg;
    char c;

    ck_assert_int_eq(read(o->fd, &c, 1), 1);
    o->fired++;
    tloop_watch_stop(o->w);
}

struct after_detach {
    struct own_reader *rd;
    int timer_fired;
};

static int
after_detach_done(const void *arg)
{
    const struct after_detach *a = arg;

    return a->rd->fired > 0 && a->timer_fired > 0;
}

/* Tasks pending on a sleep, an accept, a read and a busy one are dropped
 * by the detach, and the loop then holds only the program's own watchers,
 * which go on working. */
START_TEST(test_attached_detach_with_pending_work)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    struct fut_tcp_listener lis;
    struct sockaddr_storage ss;
    socklen_t len;
    struct fut_tcp_stream a, b;
    struct waiter w;
    struct napper n = napper_make(3600 * 1000, 0, NULL);
    struct reader r;
    struct yielder y;
    struct fut_task *tw, *tn, *tr, *ty;
    struct own_reader own;
    struct after_detach ad;
    struct tloop_watch *own_timer;
    struct pending p;
    size_t before, attached;
    int sv[2], p2[2], done = 0;

    /* The program's own: a long timer, and a one-shot read of a pipe. */
    memset(&ad, 0, sizeof ad);
    own_timer = tloop_timer_new(l, count_cb, &ad.timer_fired);
    tloop_timer_start(own_timer, 3600 * 1000, 0);
    ck_assert_int_eq(pipe(p2), 0);
    own.fd = p2[0];
    own.fired = 0;
    own.w = tloop_reader_new(l, p2[0], own_reader_cb, &own);
    ad.rd = &own;
    before = attach(&rt, l);
    attached = before + tloop_caps.attach_count;

    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 0, &ss, &len), 0);
    ck_assert_int_eq(fut_tcp_listener_bind(&lis, (struct sockaddr *)&ss, len,
                                           4), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&a, sv[0]), 0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&b, sv[1]), 0);
    memset(&p, 0, sizeof p);
    p.rt = &rt;
    memset(&w, 0, sizeof w);
    w.base.vtable = &waiter_vtable;
    w.l = &lis;
    r = reader_make(&a, &p.reader_polls);
    y = yielder_make(1000L * 1000 * 1000, NULL, &p.yields, &done);
    ck_assert_int_eq(FUT_SPAWN(&rt, &w, &tw), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &n, &tn), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, &tr), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &y, &ty), 0);
    run_until(l, all_pending, &p);
    /* The registrations and the timer show in the loop now. */
    ck_assert_uint_gt(tloop_count(l), attached);
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 4);

    /* Detach with everything still pending. */
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(fut_task_result(tw), -ECANCELED);
    ck_assert_int_eq(fut_task_result(tn), -ECANCELED);
    ck_assert_int_eq(fut_task_result(tr), -ECANCELED);
    ck_assert_int_eq(fut_task_result(ty), -ECANCELED);
    ck_assert_int_eq(done, 0);
    fut_task_detach(tw);
    fut_task_detach(tn);
    fut_task_detach(tr);
    fut_task_detach(ty);
    ck_assert_int_eq(fut_runtime_close(&rt), -EINVAL);
    tloop_settle(l);
    ck_assert_uint_eq(tloop_count(l), before);
    /* The streams and the listener outlive the runtime; closing them now
     * is fine. */
    ck_assert_int_eq(fut_tcp_stream_close(&a), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&b), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&lis), 0);

    /* The program goes on with its loop, which ends (where it ends by
     * itself) when its own watchers are done. */
    ck_assert_int_eq(write(p2[1], "x", 1), 1);
    tloop_watch_stop(own_timer);
    tloop_timer_start(own_timer, 1, 0);
    run_to_end(l, after_detach_done, &ad);
    ck_assert_int_eq(own.fired, 1);
    ck_assert_int_eq(ad.timer_fired, 1);
    ck_assert_int_eq(polled_in_callback, 0);
    tloop_watch_free(own.w);
    tloop_watch_free(own_timer);
    tloop_free(l);
    close(p2[0]);
    close(p2[1]);
}
END_TEST

/* Detach from inside the program's own callback, in an iteration where the
 * runtime's hook is already due: the callback queues a task first. */
struct closer {
    struct fut_runtime *rt;
    int err;
    int closed;
    int spawned_finished;
};

static void
closer_cb(void *arg)
{
    struct closer *c = arg;
    struct napper n = napper_make(1, 0, &c->spawned_finished);

    ck_assert_int_eq(FUT_SPAWN(c->rt, &n, NULL), 0);
    c->err = fut_runtime_close(c->rt);
    c->closed = 1;
}

START_TEST(test_attached_detach_from_callback)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct napper n = napper_make(3600 * 1000, 0, NULL);
    struct closer c;
    struct tloop_watch *timer;
    int done = 0;
    struct yielder y = yielder_make(1000L * 1000 * 1000, NULL, NULL, &done);

    memset(&c, 0, sizeof c);
    c.rt = &rt;
    c.err = 1;
    ck_assert_int_eq(FUT_SPAWN(&rt, &n, NULL), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &y, NULL), 0);
    timer = tloop_timer_new(l, closer_cb, &c);
    tloop_timer_start(timer, 3, 0);
    /* Without the detach this would run for an hour (the sleep), or
     * for ever (the busy task). */
    run_to_end(l, flag_set, &c.closed);
    ck_assert_int_eq(c.err, 0);
    ck_assert_int_eq(c.spawned_finished, 0);
    ck_assert_int_eq(done, 0);
    tloop_settle(l);
    tloop_watch_free(timer);
    tloop_settle(l);
    ck_assert_uint_eq(tloop_count(l), before);
    ck_assert_int_eq(polled_in_callback, 0);
    tloop_free(l);
}
END_TEST

/* Attach, detach, attach again to the same loop. */
START_TEST(test_attached_reattach)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    int round;

    for (round = 0; round < 3; round++) {
        size_t before = attach(&rt, l);
        struct napper n = napper_make(1, 1, NULL);
        struct fut_task *t;

        ck_assert_int_eq(FUT_SPAWN(&rt, &n, &t), 0);
        run_to_end(l, task_finished, t);
        ck_assert_int_eq(((struct napper *)fut_task_output(t))->steps, 2);
        fut_task_detach(t);
        detach(&rt, l, before);
    }
    tloop_free(l);
}
END_TEST

/* An idle runtime does not keep the program's full run going. */
START_TEST(test_attached_idle_runtime_lets_loop_end)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    int nothing = 1;

    run_to_end(l, flag_set, &nothing);
    detach(&rt, l, before);
    tloop_free(l);
}
END_TEST

/* ---- the blocking pool inside the program's loop -------------------------- */

#define POOL_TASKS 50

static int
pool_square(void *arg)
{
    int *v = arg;

    *v = *v * *v;
    return 0;
}

/* A task that awaits one pool job and checks its output. */
struct pool_waiter {
    struct fut_future base;
    struct fut_spawn_blocking f;
    int value, want, started;
};

static enum fut_poll
pool_waiter_poll(struct fut_future *base, struct fut_context *cx)
{
    struct pool_waiter *w = (struct pool_waiter *)base;

    if (!w->started) {
        ck_assert_int_eq(fut_spawn_blocking_init(&w->f, pool_square,
                                                 &w->value, NULL),
                         0);
        w->started = 1;
    }
    if (fut_future_poll(&w->f.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    ck_assert_int_eq(w->f.result, 0);
    ck_assert_int_eq(*(int *)w->f.arg, w->want);
    return FUT_READY;
}

static void
pool_waiter_drop(struct fut_future *base)
{
    struct pool_waiter *w = (struct pool_waiter *)base;

    if (w->started)
        fut_future_drop(&w->f.base);
}

static const struct fut_future_vtable pool_waiter_vtable = {
    .poll = pool_waiter_poll,
    .drop = pool_waiter_drop,
};

static int
all_finished(const void *arg)
{
    struct fut_task *const *t = arg;
    int i;

    for (i = 0; i < POOL_TASKS; i++)
        if (!fut_task_is_finished(t[i]))
            return 0;
    return 1;
}

/* Pool threads complete futures of tasks that live in the program's loop:
 * their wakes reach the loop through the runtime's doorbell, and the jobs
 * keep the loop alive until then. */
START_TEST(test_attached_blocking_pool)
{
    struct fut_runtime rt;
    struct tloop *l = tloop_new(0);
    size_t before = attach(&rt, l);
    struct fut_task *t[POOL_TASKS];
    struct pool_waiter w;
    int i;

    for (i = 0; i < POOL_TASKS; i++) {
        memset(&w, 0, sizeof w);
        w.base.vtable = &pool_waiter_vtable;
        w.value = i + 1;
        w.want = (i + 1) * (i + 1);
        ck_assert_int_eq(FUT_SPAWN(&rt, &w, &t[i]), 0);
    }
    /* Jobs in the pool hold the program's loop, as libuv's work requests
     * do: a full run returns by itself only once every task got its
     * result, and not later (the hold is released). */
    run_to_end(l, all_finished, t);
    for (i = 0; i < POOL_TASKS; i++) {
        ck_assert_int_eq(fut_task_result(t[i]), 0);
        fut_task_detach(t[i]);
    }
    ck_assert_uint_ge(fut_runtime_blocking_threads(&rt), 1);
    detach(&rt, l, before);
    ck_assert_uint_eq(fut_runtime_blocking_threads(&rt), 0);
    tloop_free(l);
}
END_TEST

/* ---- suite and main ------------------------------------------------------ */

static void
add(Suite *s, const char *name, const TTest *test)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, TEST_TIMEOUT_S);
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

static Suite *
attached_suite(void)
{
    char name[64];
    Suite *s;
    TCase *tc;

    snprintf(name, sizeof name, "attached_%s", tloop_caps.name);
    s = suite_create(name);
    add(s, "bad_input", test_attached_bad_input);
    add(s, "owned_block_on", test_attached_owned_block_on);
    add(s, "owned_default_backend", test_attached_owned_default_backend);
    add(s, "owned_wake_from_thread", test_attached_owned_wake_from_thread);
    add(s, "owned_sleep_never_early", test_attached_owned_sleep_never_early);
    add(s, "owned_registration_enomem",
        test_attached_owned_registration_enomem);
    add(s, "sleep_and_native_timer", test_attached_sleep_and_native_timer);
    add(s, "many_sleeps_never_early", test_attached_many_sleeps_never_early);

    tc = tcase_create("tcp_echo");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, TEST_TIMEOUT_S);
    tcase_add_loop_test(tc, test_attached_tcp_echo, 0,
                        tloop_caps.has_level_variant ? 2 : 1);
    suite_add_tcase(s, tc);

    add(s, "mpsc_native_and_thread", test_attached_mpsc_native_and_thread);
    add(s, "wake_from_native_not_inline",
        test_attached_wake_from_native_not_inline);
    add(s, "wake_from_last_native_callback",
        test_attached_wake_from_last_native_callback);
    add(s, "io_task_after_native_callbacks",
        test_attached_io_task_after_native_callbacks);
    add(s, "busy_task_no_starvation", test_attached_busy_task_no_starvation);
    add(s, "native_idle_next_to_busy_task",
        test_attached_native_idle_next_to_busy_task);
    add(s, "block_on", test_attached_block_on);
    if (tloop_caps.block_on_in_callback != TLOOP_NESTED_UNDEFINED)
        add(s, "block_on_in_callback", test_attached_block_on_in_callback);
    tc = tcase_create("fd_watched_by_program");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, TEST_TIMEOUT_S);
    /* _i = 1 (one-fd mode) only where the mode exists. */
    tcase_add_loop_test(tc, test_attached_fd_watched_by_program, 0,
                        ONE_FD_BUILD ? 2 : 1);
    suite_add_tcase(s, tc);
    if (tloop_caps.counts_iterations)
        add(s, "level_triggered_no_spin",
            test_attached_level_triggered_no_spin);
    add(s, "detach_with_pending_work", test_attached_detach_with_pending_work);
    add(s, "detach_from_callback", test_attached_detach_from_callback);
    add(s, "reattach", test_attached_reattach);
    add(s, "blocking_pool", test_attached_blocking_pool);
    if (tloop_caps.ends_when_idle)
        add(s, "idle_runtime_lets_loop_end",
            test_attached_idle_runtime_lets_loop_end);
    tloop_add_extra_tests(s);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(attached_suite());
    int failed;

    /* TAP on stdout for Automake's tap-driver.sh (unless
     * CK_TAP_LOG_FILE_NAME says otherwise), as tests/check_main.c. */
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
