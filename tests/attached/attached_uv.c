/* SPDX-License-Identifier: MIT */
/* Attached mode on libuv: futures inside a uv_loop_t the program runs. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <uv.h>

#include <futures.h>
#include <futures/backend-uv.h>

#include "internal.h"

#define MS(n) ((int64_t)(n) * FUT_NSEC_PER_MSEC)

/* ---- helpers ------------------------------------------------------------- */

static void
count_handle(uv_handle_t *h, void *arg)
{
    (void)h;
    ++*(int *)arg;
}

/* Handles still linked into @loop (active, inactive or closing). */
static int
handle_count(uv_loop_t *loop)
{
    int n = 0;

    uv_walk(loop, count_handle, &n);
    return n;
}

/* Detach @rt from @loop, let the loop finish the closes, close the loop:
 * what a program does at the end. */
static void
detach_and_close(struct fut_runtime *rt, uv_loop_t *loop)
{
    ck_assert_int_eq(fut_runtime_close(rt), 0);
    (void)uv_run(loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(handle_count(loop), 0);
    ck_assert_int_eq(uv_loop_close(loop), 0);
}

static void
attach(struct fut_runtime *rt, uv_loop_t *loop)
{
    ck_assert_int_eq(uv_loop_init(loop), 0);
    ck_assert_int_eq(fut_uv_attach(rt, loop), 0);
    ck_assert_str_eq(fut_runtime_backend_name(rt), "uv");
}

static void
handle_closed(uv_handle_t *h)
{
    (void)h;
}

/* ---- a straight-line task: two sleeps ------------------------------------ */

struct napper {
    struct fut_future base;
    int state;
    struct fut_sleep sleep;
    int64_t first_ms, second_ms;
    int64_t start, woke1, woke2;
    int steps;
};

static enum fut_poll
napper_poll(struct fut_future *f, struct fut_context *cx)
{
    struct napper *n = (struct napper *)f;

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
napper_make(int64_t first_ms, int64_t second_ms)
{
    struct napper n;

    memset(&n, 0, sizeof n);
    n.base.vtable = &napper_vtable;
    n.first_ms = first_ms;
    n.second_ms = second_ms;
    return n;
}

/* ---- input --------------------------------------------------------------- */

START_TEST(test_uv_attach_bad_input)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    int64_t deadline = 0;

    ck_assert_int_eq(uv_loop_init(&loop), 0);
    ck_assert_int_eq(fut_uv_attach(NULL, &loop), -EINVAL);
    ck_assert_int_eq(fut_uv_attach(&rt, NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_init_attached(&rt, NULL, &loop), -EINVAL);
    /* Nothing was added to the loop by the failed calls. */
    ck_assert_int_eq(handle_count(&loop), 0);
    /* An owned runtime is not an attached one. */
    ck_assert_int_eq(fut_runtime_init(&rt, fut_backend_uv(), NULL), 0);
    ck_assert_int_eq(fut_runtime_attached_run(&rt, &deadline), -EINVAL);
    ck_assert_int_eq(deadline, -1);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(fut_runtime_attached_run(NULL, NULL), -EINVAL);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ---- owned mode ---------------------------------------------------------- */

START_TEST(test_uv_owned_block_on)
{
    struct fut_runtime rt;
    struct napper main_f = napper_make(3, 2);
    struct napper side = napper_make(1, 1);
    struct fut_task *t;

    ck_assert_int_eq(fut_runtime_init(&rt, fut_backend_uv(), NULL), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), "uv");
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

/* The same through the link-time default (libfutures-uv defines it). */
START_TEST(test_uv_owned_default_backend)
{
    struct fut_runtime rt;
    struct napper n = napper_make(1, 0);

    ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), "uv");
    ck_assert_int_eq(fut_block_on(&rt, &n.base), 0);
    ck_assert_int_eq(n.steps, 2);
    fut_future_drop(&n.base);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

/* ---- sleeps and native timers in one uv_run ------------------------------ */

struct native {
    uv_timer_t timer;
    uv_prepare_t prepare;
    int fired;
    long prepares;
};

static void
native_timer_cb(uv_timer_t *t)
{
    struct native *n = t->data;

    n->fired++;
}

static void
native_prepare_cb(uv_prepare_t *p)
{
    ((struct native *)p->data)->prepares++;
}

START_TEST(test_uv_attached_sleep_and_native_timer)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct native nat;
    struct napper n = napper_make(5, 3);
    struct fut_task *t;

    attach(&rt, &loop);
    memset(&nat, 0, sizeof nat);
    ck_assert_int_eq(uv_timer_init(&loop, &nat.timer), 0);
    nat.timer.data = &nat;
    ck_assert_int_eq(uv_prepare_init(&loop, &nat.prepare), 0);
    nat.prepare.data = &nat;
    ck_assert_int_eq(uv_prepare_start(&nat.prepare, native_prepare_cb), 0);
    /* The prepare handle alone would keep the loop running forever. */
    uv_unref((uv_handle_t *)&nat.prepare);
    ck_assert_int_eq(uv_timer_start(&nat.timer, native_timer_cb, 5, 0), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &n, &t), 0);

    /* One uv_run: it returns once the native timer fired and the task
     * finished, since nothing of the runtime stays referenced after. */
    (void)uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(nat.fired, 1);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(fut_task_result(t), 0);
    {
        struct napper *out = fut_task_output(t);

        ck_assert_ptr_nonnull(out);
        ck_assert_int_eq(out->steps, 2);
        /* Never early, whatever libuv's millisecond clock says. */
        ck_assert_int_ge(out->woke1 - out->start, MS(5));
        ck_assert_int_ge(out->woke2 - out->woke1, MS(3));
    }
    ck_assert_int_gt(nat.prepares, 0);
    fut_task_detach(t);
    uv_close((uv_handle_t *)&nat.timer, handle_closed);
    uv_close((uv_handle_t *)&nat.prepare, handle_closed);
    detach_and_close(&rt, &loop);
}
END_TEST

/* Many sleeps of different lengths: each wakes no earlier than asked. */
#define MANY 40

START_TEST(test_uv_attached_many_sleeps_never_early)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct napper n;
    struct fut_task *ts[MANY];
    int i;

    attach(&rt, &loop);
    for (i = 0; i < MANY; i++) {
        n = napper_make(i % 7, (i * 3) % 5);
        ck_assert_int_eq(FUT_SPAWN(&rt, &n, &ts[i]), 0);
    }
    (void)uv_run(&loop, UV_RUN_DEFAULT);
    for (i = 0; i < MANY; i++) {
        struct napper *out = fut_task_output(ts[i]);

        ck_assert_ptr_nonnull(out);
        ck_assert_int_eq(out->steps, 2);
        ck_assert_int_ge(out->woke1 - out->start, MS(i % 7));
        ck_assert_int_ge(out->woke2 - out->woke1, MS((i * 3) % 5));
        fut_task_detach(ts[i]);
    }
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
    detach_and_close(&rt, &loop);
}
END_TEST

/* ---- TCP echo pair ------------------------------------------------------- */

struct echo_server {
    struct fut_future base;
    int state;
    struct fut_tcp_listener *listener;
    struct fut_tcp_stream conn;
    int open;
    struct fut_tcp_accept accept;
    struct fut_read_exact read;
    struct fut_write_all write;
    char buf[16];
    int res;
};

static enum fut_poll
echo_server_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_server *s = (struct echo_server *)f;

    FUT_ASYNC_BEGIN(&s->state);
    fut_tcp_accept_init(&s->accept, s->listener, &s->conn);
    FUT_AWAIT_FUTURE(&s->state, &s->accept.base, cx);
    if ((s->res = s->accept.res) != 0)
        FUT_ASYNC_RETURN(&s->state);
    s->open = 1;
    fut_read_exact_init(&s->read, &s->conn.reader, s->buf, 5);
    FUT_AWAIT_FUTURE(&s->state, &s->read.base, cx);
    if ((s->res = s->read.res) != 0)
        FUT_ASYNC_RETURN(&s->state);
    fut_write_all_init(&s->write, &s->conn.writer, s->buf, 5);
    FUT_AWAIT_FUTURE(&s->state, &s->write.base, cx);
    s->res = s->write.res;
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

static int
echo_server_result(const struct fut_future *f)
{
    return ((const struct echo_server *)f)->res;
}

static const struct fut_future_vtable echo_server_vtable = {
    .poll = echo_server_poll,
    .drop = echo_server_drop,
    .result = echo_server_result,
};

struct echo_client {
    struct fut_future base;
    int state;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct fut_tcp_stream conn;
    int open;
    struct fut_tcp_connect connect;
    struct fut_write_all write;
    struct fut_read_exact read;
    char got[16];
    int res;
};

static enum fut_poll
echo_client_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_client *c = (struct echo_client *)f;

    FUT_ASYNC_BEGIN(&c->state);
    fut_tcp_connect_init(&c->connect, &c->conn,
                         (struct sockaddr *)&c->addr, c->addrlen,
                         MS(5000));
    FUT_AWAIT_FUTURE(&c->state, &c->connect.base, cx);
    if ((c->res = c->connect.res) != 0)
        FUT_ASYNC_RETURN(&c->state);
    c->open = 1;
    fut_write_all_init(&c->write, &c->conn.writer, "hello", 5);
    FUT_AWAIT_FUTURE(&c->state, &c->write.base, cx);
    if ((c->res = c->write.res) != 0)
        FUT_ASYNC_RETURN(&c->state);
    fut_read_exact_init(&c->read, &c->conn.reader, c->got, 5);
    FUT_AWAIT_FUTURE(&c->state, &c->read.base, cx);
    c->res = c->read.res;
    FUT_ASYNC_END(&c->state);
}

static void
echo_client_drop(struct fut_future *f)
{
    struct echo_client *c = (struct echo_client *)f;

    fut_future_drop(&c->connect.base);
    fut_future_drop(&c->write.base);
    fut_future_drop(&c->read.base);
    if (c->open)
        fut_tcp_stream_close(&c->conn);
    c->open = 0;
}

static int
echo_client_result(const struct fut_future *f)
{
    return ((const struct echo_client *)f)->res;
}

static const struct fut_future_vtable echo_client_vtable = {
    .poll = echo_client_poll,
    .drop = echo_client_drop,
    .result = echo_client_result,
};

START_TEST(test_uv_attached_tcp_echo)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct fut_tcp_listener l;
    struct echo_server srv;
    struct echo_client cli;
    struct fut_task *ts, *tc;
    struct native nat;

    attach(&rt, &loop);
    memset(&srv, 0, sizeof srv);
    memset(&cli, 0, sizeof cli);
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 0, &cli.addr,
                                        &cli.addrlen), 0);
    ck_assert_int_eq(fut_tcp_listener_bind(&l, (struct sockaddr *)&cli.addr,
                                           cli.addrlen, 0), 0);
    ck_assert_int_eq(fut_tcp_listener_local_addr(&l, &cli.addr,
                                                 &cli.addrlen), 0);
    srv.base.vtable = &echo_server_vtable;
    srv.listener = &l;
    cli.base.vtable = &echo_client_vtable;
    ck_assert_int_eq(FUT_SPAWN(&rt, &srv, &ts), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &cli, &tc), 0);
    /* A native handle next to the futures. */
    memset(&nat, 0, sizeof nat);
    ck_assert_int_eq(uv_prepare_init(&loop, &nat.prepare), 0);
    nat.prepare.data = &nat;
    ck_assert_int_eq(uv_prepare_start(&nat.prepare, native_prepare_cb), 0);
    uv_unref((uv_handle_t *)&nat.prepare);

    /* The pending accept and reads keep uv_run alive until both finish. */
    (void)uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert(fut_task_is_finished(ts));
    ck_assert(fut_task_is_finished(tc));
    ck_assert_int_eq(fut_task_result(ts), 0);
    ck_assert_int_eq(fut_task_result(tc), 0);
    ck_assert_int_eq(memcmp(((struct echo_client *)fut_task_output(tc))->got,
                            "hello", 5), 0);
    ck_assert_int_gt(nat.prepares, 0);
    fut_task_detach(ts);
    fut_task_detach(tc);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    uv_close((uv_handle_t *)&nat.prepare, handle_closed);
    detach_and_close(&rt, &loop);
}
END_TEST

/* ---- mpsc fed by a native timer and by another thread -------------------- */

#define FROM_TIMER 5
#define FROM_THREAD 50

struct summer {
    struct fut_future base;
    int state;
    struct fut_mpsc_receiver *rx;
    struct fut_mpsc_recv recv;
    int value;
    long sum;
    int count;
    const int *in_native; /* set while a native callback runs */
    int ran_inline;
};

static enum fut_poll
summer_poll(struct fut_future *f, struct fut_context *cx)
{
    struct summer *s = (struct summer *)f;

    if (*s->in_native)
        s->ran_inline = 1;
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

struct feeder {
    uv_timer_t timer;
    uv_async_t done;        /* the thread's "finished": keeps the loop alive */
    struct fut_mpsc_sender tx_timer, tx_thread;
    int sent;
    int in_native;
};

static void
feeder_tick(uv_timer_t *t)
{
    struct feeder *fd = t->data;
    int v = 1000;
    int err;

    fd->in_native = 1;
    /* Full (the thread filled it): try again at the next tick. */
    err = fut_mpsc_try_send(&fd->tx_timer, &v);
    ck_assert(err == 0 || err == -EAGAIN);
    if (err == 0 && ++fd->sent == FROM_TIMER) {
        fut_mpsc_sender_close(&fd->tx_timer);
        uv_close((uv_handle_t *)&fd->timer, handle_closed);
    }
    fd->in_native = 0;
}

static void
feeder_done(uv_async_t *a)
{
    uv_close((uv_handle_t *)a, handle_closed);
}

static void *
feeder_thread(void *arg)
{
    struct feeder *fd = arg;
    int i;

    for (i = 1; i <= FROM_THREAD; i++) {
        int err;

        while ((err = fut_mpsc_try_send(&fd->tx_thread, &i)) == -EAGAIN)
            usleep(100);
        if (err != 0)
            break;
    }
    fut_mpsc_sender_close(&fd->tx_thread);
    uv_async_send(&fd->done);
    return NULL;
}

START_TEST(test_uv_attached_mpsc_native_and_thread)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct fut_mpsc_receiver rx;
    struct feeder fd;
    struct summer s;
    struct fut_task *t;
    pthread_t th;

    attach(&rt, &loop);
    memset(&fd, 0, sizeof fd);
    ck_assert_int_eq(fut_mpsc_new(&fd.tx_timer, &rx, sizeof(int), 4), 0);
    ck_assert_int_eq(fut_mpsc_sender_clone(&fd.tx_timer, &fd.tx_thread), 0);
    memset(&s, 0, sizeof s);
    s.base.vtable = &summer_vtable;
    s.rx = &rx;
    s.in_native = &fd.in_native;
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, &t), 0);
    ck_assert_int_eq(uv_timer_init(&loop, &fd.timer), 0);
    fd.timer.data = &fd;
    ck_assert_int_eq(uv_timer_start(&fd.timer, feeder_tick, 1, 1), 0);
    ck_assert_int_eq(uv_async_init(&loop, &fd.done, feeder_done), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, feeder_thread, &fd), 0);

    (void)uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    /* The thread's last wake and its "done" may land in the iteration
     * that closed the async: run until the task has seen the end. */
    while (!fut_task_is_finished(t))
        (void)uv_run(&loop, UV_RUN_ONCE);
    {
        struct summer *out = fut_task_output(t);

        ck_assert_int_eq(out->count, FROM_TIMER + FROM_THREAD);
        ck_assert_int_eq(out->sum, 1000L * FROM_TIMER +
                                       (long)FROM_THREAD *
                                           (FROM_THREAD + 1) / 2);
        ck_assert_int_eq(out->ran_inline, 0);
    }
    fut_task_detach(t);
    fut_mpsc_receiver_close(&rx);
    detach_and_close(&rt, &loop);
}
END_TEST

/* ---- a task woken or spawned from a native callback does not run in it --- */

struct flagged {
    struct fut_future base;
    int state;
    const int *in_native;
    struct fut_oneshot_receiver *rx;
    struct fut_oneshot_recv recv;
    int value;
    int polls, polls_inline;
};

static enum fut_poll
flagged_poll(struct fut_future *f, struct fut_context *cx)
{
    struct flagged *g = (struct flagged *)f;

    g->polls++;
    if (*g->in_native)
        g->polls_inline++;
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

struct waker_cb {
    uv_timer_t timer;
    struct fut_runtime *rt;
    struct fut_oneshot_sender tx;
    struct flagged spawned;
    struct fut_task *spawned_task;
    int in_native;
    int polls_after_send, polls_after_spawn;
    struct fut_task *waiting;
};

static void
waker_cb_fire(uv_timer_t *t)
{
    struct waker_cb *w = t->data;
    int v = 7;
    struct flagged *waiting = fut_task_output(w->waiting);

    ck_assert_ptr_null(waiting); /* not finished yet */
    w->in_native = 1;
    /* Wake a waiting task, and spawn a new one, from inside the callback:
     * neither may be polled before the callback returns. */
    ck_assert_int_eq(fut_oneshot_send(&w->tx, &v), 0);
    memset(&w->spawned, 0, sizeof w->spawned);
    w->spawned.base.vtable = &flagged_vtable;
    w->spawned.in_native = &w->in_native;
    ck_assert_int_eq(FUT_SPAWN(w->rt, &w->spawned, &w->spawned_task), 0);
    ck_assert(!fut_task_is_finished(w->waiting));
    ck_assert(!fut_task_is_finished(w->spawned_task));
    w->in_native = 0;
    uv_close((uv_handle_t *)t, handle_closed);
}

START_TEST(test_uv_attached_wake_from_native_not_inline)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct fut_oneshot_receiver rx;
    struct waker_cb w;
    struct flagged g;
    struct flagged *out;

    attach(&rt, &loop);
    memset(&w, 0, sizeof w);
    w.rt = &rt;
    ck_assert_int_eq(fut_oneshot_new(&w.tx, &rx, sizeof(int)), 0);
    memset(&g, 0, sizeof g);
    g.base.vtable = &flagged_vtable;
    g.in_native = &w.in_native;
    g.rx = &rx;
    ck_assert_int_eq(FUT_SPAWN(&rt, &g, &w.waiting), 0);
    /* Let the task reach its await first (one iteration, not blocking),
     * so that the callback wakes a pending task. */
    (void)uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert(!fut_task_is_finished(w.waiting));
    ck_assert_int_eq(uv_timer_init(&loop, &w.timer), 0);
    w.timer.data = &w;
    ck_assert_int_eq(uv_timer_start(&w.timer, waker_cb_fire, 2, 0), 0);

    (void)uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert(fut_task_is_finished(w.waiting));
    ck_assert(fut_task_is_finished(w.spawned_task));
    out = fut_task_output(w.waiting);
    ck_assert_int_eq(out->value, 7);
    ck_assert_int_eq(out->polls, 2);
    ck_assert_int_eq(out->polls_inline, 0);
    out = fut_task_output(w.spawned_task);
    ck_assert_int_eq(out->polls, 1);
    ck_assert_int_eq(out->polls_inline, 0);
    fut_task_detach(w.waiting);
    fut_task_detach(w.spawned_task);
    fut_oneshot_receiver_close(&rx);
    detach_and_close(&rt, &loop);
}
END_TEST

/* ---- a busy task does not starve the program's callbacks ----------------- */

struct spinner {
    struct fut_future base;
    int state;
    int i, n;
};

static enum fut_poll
spinner_poll(struct fut_future *f, struct fut_context *cx)
{
    struct spinner *s = (struct spinner *)f;

    FUT_ASYNC_BEGIN(&s->state);
    for (s->i = 0; s->i < s->n; s->i++)
        FUT_YIELD(&s->state, cx);
    FUT_ASYNC_END(&s->state);
}

static void
spinner_drop(struct fut_future *f)
{
    (void)f; /* holds nothing */
}

static const struct fut_future_vtable spinner_vtable = {
    .poll = spinner_poll,
    .drop = spinner_drop,
    .result = NULL,
};

static void
idle_count(uv_idle_t *i)
{
    ++*(long *)i->data;
}

START_TEST(test_uv_attached_busy_task_no_starvation)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct spinner s;
    struct fut_task *t;
    uv_idle_t idle;
    long idles = 0;

    attach(&rt, &loop);
    memset(&s, 0, sizeof s);
    s.base.vtable = &spinner_vtable;
    s.n = 20000;
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, &t), 0);
    ck_assert_int_eq(uv_idle_init(&loop, &idle), 0);
    idle.data = &idles;
    ck_assert_int_eq(uv_idle_start(&idle, idle_count), 0);
    uv_unref((uv_handle_t *)&idle);
    (void)uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert(fut_task_is_finished(t));
    /* The runtime polls at most event_interval (61) tasks per iteration,
     * so the program's idle callback ran in between, many times. */
    ck_assert_int_ge(idles, 20000 / 61);
    fut_task_detach(t);
    uv_close((uv_handle_t *)&idle, handle_closed);
    detach_and_close(&rt, &loop);
}
END_TEST

/* ---- fut_block_on on an attached runtime --------------------------------- */

START_TEST(test_uv_attached_block_on)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct napper main_f = napper_make(2, 2);
    struct napper side = napper_make(1, 50);
    struct fut_task *t;
    struct native nat;

    attach(&rt, &loop);
    memset(&nat, 0, sizeof nat);
    ck_assert_int_eq(uv_timer_init(&loop, &nat.timer), 0);
    nat.timer.data = &nat;
    ck_assert_int_eq(uv_timer_start(&nat.timer, native_timer_cb, 1, 0), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &side, &t), 0);
    /* Outside uv_run: the runtime runs the program's loop itself. */
    ck_assert_int_eq(fut_block_on(&rt, &main_f.base), 0);
    ck_assert_int_eq(main_f.steps, 2);
    ck_assert_int_ge(main_f.woke2 - main_f.start, MS(4));
    ck_assert_int_eq(nat.fired, 1);
    fut_future_drop(&main_f.base);
    /* The side task is still sleeping: the program's loop finishes it. */
    ck_assert(!fut_task_is_finished(t));
    (void)uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(((struct napper *)fut_task_output(t))->steps, 2);
    fut_task_detach(t);
    uv_close((uv_handle_t *)&nat.timer, handle_closed);
    detach_and_close(&rt, &loop);
}
END_TEST

/* ---- a reader task: registration errors and detach ----------------------- */

struct reader {
    struct fut_future base;
    int state;
    struct fut_tcp_stream *s;
    struct fut_read_exact read;
    char buf[4];
};

static enum fut_poll
reader_poll(struct fut_future *f, struct fut_context *cx)
{
    struct reader *r = (struct reader *)f;

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

static void
native_poll_cb(uv_poll_t *p, int status, int events)
{
    (void)p;
    (void)status;
    (void)events;
}

/* libuv allows one watcher per descriptor and loop: registering one the
 * program is watching fails with -EEXIST, and nothing is left behind. */
START_TEST(test_uv_attached_fd_watched_by_program)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct fut_tcp_stream a, b;
    struct reader r;
    struct fut_task *t;
    uv_poll_t native;
    int sv[2];

    attach(&rt, &loop);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&a, sv[0]), 0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&b, sv[1]), 0);
    ck_assert_int_eq(uv_poll_init(&loop, &native, sv[0]), 0);
    ck_assert_int_eq(uv_poll_start(&native, UV_READABLE, native_poll_cb), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vtable;
    r.s = &a;
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, &t), 0);
    (void)uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(((struct reader *)fut_task_output(t))->read.res,
                     -EEXIST);
    ck_assert_uint_eq(fut__runtime_io_count(&rt), 0);
    fut_task_detach(t);
    uv_close((uv_handle_t *)&native, handle_closed);
    ck_assert_int_eq(fut_tcp_stream_close(&a), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&b), 0);
    detach_and_close(&rt, &loop);
}
END_TEST

/* Tasks pending on a long sleep and on a read are dropped by the detach,
 * and the loop then has nothing left of the runtime. */
START_TEST(test_uv_attached_detach_with_pending_work)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct napper n = napper_make(60000, 0);
    struct fut_tcp_stream a, b;
    struct reader r;
    struct fut_task *t1, *t2;
    int sv[2];

    attach(&rt, &loop);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&a, sv[0]), 0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&b, sv[1]), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vtable;
    r.s = &a;
    ck_assert_int_eq(FUT_SPAWN(&rt, &n, &t1), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, &t2), 0);
    /* Run until both wait: a timer and a poll handle are active. */
    (void)uv_run(&loop, UV_RUN_NOWAIT);
    (void)uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert(!fut_task_is_finished(t1));
    ck_assert(!fut_task_is_finished(t2));
    ck_assert(uv_loop_alive(&loop));
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(fut_task_result(t1), -ECANCELED);
    ck_assert_int_eq(fut_task_result(t2), -ECANCELED);
    fut_task_detach(t1);
    fut_task_detach(t2);
    /* The streams outlive the runtime; closing them now is fine. */
    ck_assert_int_eq(fut_tcp_stream_close(&a), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&b), 0);
    /* One more uv_run finishes the closes; it must not block. */
    (void)uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(handle_count(&loop), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* Detach from inside one of the program's callbacks. */
struct closer {
    uv_timer_t timer;
    struct fut_runtime *rt;
    int closed;
};

static void
closer_fire(uv_timer_t *t)
{
    struct closer *c = t->data;

    ck_assert_int_eq(fut_runtime_close(c->rt), 0);
    c->closed = 1;
    uv_close((uv_handle_t *)t, handle_closed);
}

START_TEST(test_uv_attached_detach_from_callback)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    struct napper n = napper_make(60000, 0);
    struct closer c;

    attach(&rt, &loop);
    ck_assert_int_eq(FUT_SPAWN(&rt, &n, NULL), 0);
    memset(&c, 0, sizeof c);
    c.rt = &rt;
    ck_assert_int_eq(uv_timer_init(&loop, &c.timer), 0);
    c.timer.data = &c;
    ck_assert_int_eq(uv_timer_start(&c.timer, closer_fire, 3, 0), 0);
    /* Without the detach this would run for a minute (the sleep). */
    (void)uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert(c.closed);
    (void)uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(handle_count(&loop), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* Attach, detach, attach again to the same loop. */
START_TEST(test_uv_attached_reattach)
{
    struct fut_runtime rt;
    uv_loop_t loop;
    int round;

    ck_assert_int_eq(uv_loop_init(&loop), 0);
    for (round = 0; round < 3; round++) {
        struct napper n = napper_make(1, 1);
        struct fut_task *t;

        ck_assert_int_eq(fut_uv_attach(&rt, &loop), 0);
        ck_assert_int_eq(FUT_SPAWN(&rt, &n, &t), 0);
        (void)uv_run(&loop, UV_RUN_DEFAULT);
        ck_assert(fut_task_is_finished(t));
        fut_task_detach(t);
        ck_assert_int_eq(fut_runtime_close(&rt), 0);
        (void)uv_run(&loop, UV_RUN_DEFAULT);
        ck_assert_int_eq(handle_count(&loop), 0);
    }
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* An idle runtime does not keep uv_run(UV_RUN_DEFAULT) going. */
START_TEST(test_uv_attached_idle_runtime_lets_loop_end)
{
    struct fut_runtime rt;
    uv_loop_t loop;

    attach(&rt, &loop);
    ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ck_assert(!uv_loop_alive(&loop));
    detach_and_close(&rt, &loop);
}
END_TEST

/* ---- suite and main ------------------------------------------------------ */

static Suite *
attached_uv_suite(void)
{
    Suite *s = suite_create("attached_uv");
    TCase *tc;

    tc = tcase_create("input");
    tcase_add_test(tc, test_uv_attach_bad_input);
    tcase_add_test(tc, test_uv_owned_block_on);
    tcase_add_test(tc, test_uv_owned_default_backend);
    suite_add_tcase(s, tc);

    tc = tcase_create("loop");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_uv_attached_sleep_and_native_timer);
    tcase_add_test(tc, test_uv_attached_many_sleeps_never_early);
    tcase_add_test(tc, test_uv_attached_tcp_echo);
    tcase_add_test(tc, test_uv_attached_mpsc_native_and_thread);
    tcase_add_test(tc, test_uv_attached_wake_from_native_not_inline);
    tcase_add_test(tc, test_uv_attached_busy_task_no_starvation);
    tcase_add_test(tc, test_uv_attached_block_on);
    tcase_add_test(tc, test_uv_attached_fd_watched_by_program);
    suite_add_tcase(s, tc);

    tc = tcase_create("detach");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_uv_attached_detach_with_pending_work);
    tcase_add_test(tc, test_uv_attached_detach_from_callback);
    tcase_add_test(tc, test_uv_attached_reattach);
    tcase_add_test(tc, test_uv_attached_idle_runtime_lets_loop_end);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(attached_uv_suite());
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
