/* SPDX-License-Identifier: MIT */
/* Conformance: stackful coroutines awaiting timers, channels, TCP, joins; cancellation at every await. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

/* ---- helpers ------------------------------------------------------------------ */

static int
sleep_ms(int64_t ms)
{
    struct fut_sleep s;

    fut_sleep_init(&s, ms * FUT_NSEC_PER_MSEC);
    return fut_await(&s.base);
}

/* A detached task that runs @fn(@arg) once, on its first poll. */
struct once {
    struct fut_future base;
    void (*fn)(void *);
    void *arg;
};

static enum fut_poll
once_poll(struct fut_future *f, struct fut_context *cx)
{
    struct once *o = (struct once *)f;

    (void)cx;
    o->fn(o->arg);
    return FUT_READY;
}

static void
once_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable once_vtable = {
    .poll = once_poll, .drop = once_drop, .result = NULL,
};

static int
spawn_once(struct fut_runtime *rt, void (*fn)(void *), void *arg)
{
    struct once o = { { &once_vtable }, fn, arg };

    return FUT_SPAWN(rt, &o, NULL);
}

/* ---- await a sleep; locals survive --------------------------------------------- */

struct sleepy {
    int ticks;
    int cleanup;
    double acc;
};

static int
sleepy_body(void *arg)
{
    struct sleepy *s = arg;
    /* Integer and floating-point locals, live across every await, so
     * that they sit in callee-saved registers the switch must keep. */
    long a = 1, b = 2, c = 3;
    double x = 0.5, y = 1.25, z = 2.0;
    int i, err = 0;

    for (i = 0; i < 5 && err == 0; i++) {
        err = sleep_ms(1);
        a = a * 3 + b;
        b = b + c;
        c = c ^ a;
        x = x * 1.5 + y;
        y = y - z * 0.25;
        z = z + x * 0.125;
        s->ticks++;
    }
    s->acc = x + y + z + (double)(a + b + c);
    s->cleanup++;
    return err;
}

/* The same arithmetic without coroutines. */
static double
sleepy_expected(void)
{
    long a = 1, b = 2, c = 3;
    double x = 0.5, y = 1.25, z = 2.0;
    int i;

    for (i = 0; i < 5; i++) {
        a = a * 3 + b;
        b = b + c;
        c = c ^ a;
        x = x * 1.5 + y;
        y = y - z * 0.25;
        z = z + x * 0.125;
    }
    return x + y + z + (double)(a + b + c);
}

START_TEST(test_coro_await_sleep)
{
    struct sleepy s = { 0, 0, 0 };
    struct fut_coro c;

    ck_assert_int_eq(fut_coro_init(&c, sleepy_body, &s, NULL), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &c.base), 0);
    ck_assert_int_eq(fut_future_result(&c.base), 0);
    ck_assert_int_eq(c.result, 0);
    ck_assert_int_eq(s.ticks, 5);
    ck_assert_int_eq(s.cleanup, 1);
    ck_assert(s.acc == sleepy_expected());
    fut_future_drop(&c.base);
    ck_assert_int_eq(s.cleanup, 1); /* a finished coroutine's drop runs nothing */
}
END_TEST

/* ---- the result is the task's result; fut_task_output ----------------------------- */

static int
returns_arg(void *arg)
{
    return (int)(intptr_t)arg;
}

START_TEST(test_coro_spawn_result)
{
    struct fut_task *t1, *t2;
    struct fut_coro *out;

    ck_assert_int_eq(fut_coro_spawn(&conf_rt, returns_arg,
                                    (void *)(intptr_t)-EIO, NULL, &t1), 0);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, returns_arg, (void *)0, NULL,
                                    &t2), 0);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, returns_arg, (void *)0, NULL,
                                    NULL), 0); /* detached */
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(t1), -EIO);
    ck_assert_int_eq(fut_task_result(t2), 0);
    out = fut_task_output(t1);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(out->result, -EIO);
    fut_task_detach(t1);
    fut_task_detach(t2);
}
END_TEST

/* ---- channel receive ----------------------------------------------------------------- */

struct chan_env {
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    long sum;
    int received;
};

static int
producer_body(void *arg)
{
    struct chan_env *e = arg;
    struct fut_mpsc_send send;
    int i, err = 0;

    for (i = 1; i <= 100 && err == 0; i++) {
        fut_mpsc_send_init(&send, &e->tx, &i);
        err = fut_await(&send.base);
    }
    fut_mpsc_sender_close(&e->tx);
    return err;
}

static int
consumer_body(void *arg)
{
    struct chan_env *e = arg;
    struct fut_mpsc_recv recv;
    int v, err;

    for (;;) {
        fut_mpsc_recv_init(&recv, &e->rx, &v);
        err = fut_await(&recv.base);
        if (err != 0)
            break;
        e->sum += v;
        e->received++;
    }
    fut_mpsc_receiver_close(&e->rx);
    return err == -EPIPE ? 0 : err;
}

START_TEST(test_coro_channel)
{
    struct chan_env e;
    struct fut_task *p, *c;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_mpsc_new(&e.tx, &e.rx, sizeof(int), 4), 0);
    /* The consumer first, so that it waits on an empty channel. */
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, consumer_body, &e, NULL, &c),
                     0);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, producer_body, &e, NULL, &p),
                     0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(p), 0);
    ck_assert_int_eq(fut_task_result(c), 0);
    ck_assert_int_eq(e.received, 100);
    ck_assert_int_eq(e.sum, 5050);
    fut_task_detach(p);
    fut_task_detach(c);
}
END_TEST

/* ---- receive by hand: fut_coro_context() and fut_coro_suspend() ---------------------- */

static void
send_seven(void *arg)
{
    int v = 7;

    ck_assert_int_eq(fut_mpsc_try_send(arg, &v), 0);
}

static int
by_hand_body(void *arg)
{
    struct chan_env *e = arg;
    struct fut_context *cx;
    int v = 0, res = 0, err;

    cx = fut_coro_context();
    ck_assert_ptr_nonnull(cx);
    ck_assert_ptr_nonnull(cx->rt);
    ck_assert_int_eq(spawn_once(cx->rt, send_seven, &e->tx), 0);
    while (fut_stream_poll_next(&e->rx.stream, fut_coro_context(), &v,
                                &res) == FUT_PENDING) {
        err = fut_coro_suspend();
        if (err != 0)
            return err;
    }
    e->sum = v;
    return res == 1 ? 0 : -EPROTO;
}

START_TEST(test_coro_context_suspend)
{
    struct chan_env e;
    struct fut_coro c;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_mpsc_new(&e.tx, &e.rx, sizeof(int), 4), 0);
    fut_coro_init(&c, by_hand_body, &e, NULL);
    ck_assert_int_eq(fut_block_on(&conf_rt, &c.base), 0);
    ck_assert_int_eq(c.result, 0);
    ck_assert_int_eq(e.sum, 7);
    fut_future_drop(&c.base);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    fut_mpsc_sender_close(&e.tx);
    fut_mpsc_receiver_close(&e.rx);
}
END_TEST

/* ---- TCP echo round trip -------------------------------------------------------------- */

struct echo_env {
    struct fut_tcp_listener listener;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char got[64];
    size_t echoed;
};

static const char echo_msg[] = "hello from a coroutine";

static int
echo_server_body(void *arg)
{
    struct echo_env *e = arg;
    struct fut_tcp_stream conn;
    struct fut_tcp_accept acc;
    struct fut_read rd;
    struct fut_write_all wr;
    char buf[16]; /* smaller than the message: several rounds */
    int err;

    fut_tcp_accept_init(&acc, &e->listener, &conn);
    err = fut_await(&acc.base);
    if (err != 0)
        return err;
    for (;;) {
        fut_read_init(&rd, &conn.reader, buf, sizeof buf);
        err = fut_await(&rd.base);
        if (err != 0 || rd.res == 0)
            break;
        fut_write_all_init(&wr, &conn.writer, buf, (size_t)rd.res);
        err = fut_await(&wr.base);
        if (err != 0)
            break;
        e->echoed += (size_t)rd.res;
    }
    fut_tcp_stream_close(&conn);
    return err;
}

static int
echo_client_body(void *arg)
{
    struct echo_env *e = arg;
    struct fut_tcp_stream s;
    struct fut_tcp_connect conn;
    struct fut_write_all wr;
    struct fut_read_exact rx;
    struct fut_read rd;
    char tail;
    int err;

    fut_tcp_stream_init(&s);
    fut_tcp_connect_init(&conn, &s, (struct sockaddr *)&e->addr, e->addrlen,
                         -1);
    err = fut_await(&conn.base);
    if (err != 0)
        return err;
    fut_write_all_init(&wr, &s.writer, echo_msg, sizeof echo_msg);
    err = fut_await(&wr.base);
    if (err == 0) {
        fut_read_exact_init(&rx, &s.reader, e->got, sizeof echo_msg);
        err = fut_await(&rx.base);
    }
    if (err == 0)
        err = fut_tcp_stream_shutdown(&s, SHUT_WR);
    if (err == 0) { /* the server closes after our shutdown: EOF */
        fut_read_init(&rd, &s.reader, &tail, 1);
        err = fut_await(&rd.base);
        if (err == 0 && rd.res != 0)
            err = -EPROTO;
    }
    fut_tcp_stream_close(&s);
    return err;
}

START_TEST(test_coro_tcp_echo)
{
    struct echo_env e;
    struct fut_task *srv, *cli;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 0, &e.addr, &e.addrlen),
                     0);
    ck_assert_int_eq(fut_tcp_listener_bind(&e.listener,
                                           (struct sockaddr *)&e.addr,
                                           e.addrlen, 0), 0);
    ck_assert_int_eq(fut_tcp_listener_local_addr(&e.listener, &e.addr,
                                                 &e.addrlen), 0);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, echo_server_body, &e, NULL,
                                    &srv), 0);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, echo_client_body, &e, NULL,
                                    &cli), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(cli), 0);
    ck_assert_int_eq(fut_task_result(srv), 0);
    ck_assert_uint_eq(e.echoed, sizeof echo_msg);
    ck_assert_str_eq(e.got, echo_msg);
    fut_task_detach(srv);
    fut_task_detach(cli);
    ck_assert_int_eq(fut_tcp_listener_close(&e.listener), 0);
}
END_TEST

/* ---- join another task; nested coroutines -------------------------------------------- */

static int
yield_then(void *arg)
{
    int i;

    for (i = 0; i < 3; i++)
        if (fut_coro_yield() != 0)
            return -ECANCELED;
    return (int)(intptr_t)arg;
}

static int
joiner_body(void *arg)
{
    struct fut_task *t;
    struct fut_task_join j;
    int err;

    (void)arg;
    err = fut_coro_spawn(fut_coro_context()->rt, yield_then,
                         (void *)(intptr_t)-EBADMSG, NULL, &t);
    if (err != 0)
        return err;
    fut_task_join_init(&j, t);
    err = fut_await(&j.base);
    fut_task_detach(t);
    return err == -EBADMSG ? 0 : -EPROTO;
}

START_TEST(test_coro_join_task)
{
    struct fut_coro c;

    fut_coro_init(&c, joiner_body, NULL, NULL);
    ck_assert_int_eq(fut_block_on(&conf_rt, &c.base), 0);
    ck_assert_int_eq(c.result, 0);
    fut_future_drop(&c.base);
}
END_TEST

struct nest_env {
    struct fut_oneshot_sender parked_tx; /* the inner waits for good */
    struct fut_oneshot_receiver parked_rx;
    int inner_cleanup;
    int outer_cleanup;
    int inner_err;
    int outer_err;
};

static int
nested_inner(void *arg)
{
    struct nest_env *e = arg;
    struct fut_pending p;
    int one = 1;

    /* Wait on a sleep, then forever: only a drop ends this. */
    e->inner_err = sleep_ms(1);
    if (e->inner_err == 0) {
        fut_oneshot_send(&e->parked_tx, &one);
        fut_pending_init(&p);
        e->inner_err = fut_await(&p.base);
    }
    e->inner_cleanup++;
    return e->inner_err;
}

static int
nested_finishing(void *arg)
{
    (void)arg;
    return sleep_ms(1) == 0 ? -EXDEV : -EPROTO;
}

static int
nested_outer(void *arg)
{
    struct nest_env *e = arg;
    struct fut_coro inner; /* on this coroutine's stack */

    /* A coroutine awaiting a coroutine: stacks nest. */
    fut_coro_init(&inner, nested_finishing, NULL, NULL);
    if (fut_await(&inner.base) != -EXDEV)
        return -EPROTO;
    fut_coro_init(&inner, nested_inner, e, NULL);
    e->outer_err = fut_await(&inner.base);
    e->outer_cleanup++;
    return e->outer_err;
}

START_TEST(test_coro_nested)
{
    struct nest_env e;
    struct fut_oneshot_recv parked;
    struct fut_task *t;
    int v = 0;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_oneshot_new(&e.parked_tx, &e.parked_rx, sizeof v), 0);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, nested_outer, &e, NULL, &t),
                     0);
    /* Until the inner coroutine waits for good. */
    fut_oneshot_recv_init(&parked, &e.parked_rx, &v);
    ck_assert_int_eq(fut_block_on(&conf_rt, &parked.base), 0);
    ck_assert_int_eq(parked.res, 0);
    fut_future_drop(&parked.base);
    ck_assert_int_eq(e.inner_cleanup, 0);
    fut_task_abort(t);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(t), -ECANCELED);
    ck_assert_int_eq(e.inner_cleanup, 1);
    ck_assert_int_eq(e.outer_cleanup, 1);
    ck_assert_int_eq(e.inner_err, -ECANCELED);
    ck_assert_int_eq(e.outer_err, -ECANCELED);
    fut_task_detach(t);
    fut_oneshot_receiver_close(&e.parked_rx);
}
END_TEST

/* ---- select and timeout around a coroutine ---------------------------------------------- */

struct waiter_env {
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    int cleanup;
    int err;
};

/* Waits for a value that never comes. */
static int
waiter_body(void *arg)
{
    struct waiter_env *e = arg;
    struct fut_mpsc_recv r;
    int v;

    fut_mpsc_recv_init(&r, &e->rx, &v);
    e->err = fut_await(&r.base);
    /* Every await after the cancellation fails at once. */
    if (e->err == -ECANCELED && sleep_ms(1000) != -ECANCELED)
        e->err = -EPROTO;
    e->cleanup++;
    return e->err;
}

static int
sleeper_body(void *arg)
{
    (void)arg;
    return sleep_ms(1) == 0 ? 0 : -EPROTO;
}

START_TEST(test_coro_select)
{
    struct waiter_env e;
    struct fut_coro a, b;
    struct fut_select2 sel;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_mpsc_new(&e.tx, &e.rx, sizeof(int), 1), 0);
    fut_coro_init(&a, waiter_body, &e, NULL);
    fut_coro_init(&b, sleeper_body, NULL, NULL);
    ck_assert_int_eq(fut_select2_init(&sel, &a.base, &b.base), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &sel.all.base), 0);
    ck_assert_int_eq(sel.all.index, 1);
    ck_assert_int_eq(e.cleanup, 1); /* the loser ran its cleanup */
    ck_assert_int_eq(e.err, -ECANCELED);
    fut_future_drop(&sel.all.base);
    fut_mpsc_sender_close(&e.tx);
    fut_mpsc_receiver_close(&e.rx);
}
END_TEST

START_TEST(test_coro_timeout)
{
    struct waiter_env e;
    struct fut_coro a;
    struct fut_timeout to;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_mpsc_new(&e.tx, &e.rx, sizeof(int), 1), 0);
    fut_coro_init(&a, waiter_body, &e, NULL);
    ck_assert_int_eq(fut_timeout_init(&to, &a.base, FUT_NSEC_PER_MSEC), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &to.base), 0);
    ck_assert_int_eq(to.timed_out, 1);
    ck_assert_int_eq(fut_future_result(&to.base), -ETIMEDOUT);
    ck_assert_int_eq(e.cleanup, 1);
    ck_assert_int_eq(e.err, -ECANCELED);
    fut_future_drop(&to.base);
    fut_mpsc_sender_close(&e.tx);
    fut_mpsc_receiver_close(&e.rx);
}
END_TEST

/* ---- recursion across awaits; yields interleave ------------------------------------------- */

/* Each level keeps a local across an await, then recurses. */
static long
rec_sum(int depth)
{
    long mine = depth * 7L;
    char pad[200];

    memset(pad, depth & 0x7f, sizeof pad);
    if (fut_coro_yield() != 0)
        return -1000000;
    if (depth > 0)
        mine += rec_sum(depth - 1);
    if (pad[depth % 200] != (char)(depth & 0x7f))
        return -1000000;
    return mine;
}

static int
recursion_body(void *arg)
{
    long *out = arg;

    *out = rec_sum(50);
    return 0;
}

START_TEST(test_coro_recursion)
{
    long sum = 0;
    struct fut_coro c;

    fut_coro_init(&c, recursion_body, &sum, NULL);
    ck_assert_int_eq(fut_block_on(&conf_rt, &c.base), 0);
    ck_assert_int_eq(sum, 7L * 50 * 51 / 2);
    fut_future_drop(&c.base);
}
END_TEST

struct log_env {
    char log[32];
    int n;
};

struct logger {
    struct log_env *env;
    char tag;
};

static int
logger_body(void *arg)
{
    struct logger *l = arg;
    int i;

    for (i = 0; i < 4; i++) {
        l->env->log[l->env->n++] = l->tag;
        if (fut_coro_yield() != 0)
            return -ECANCELED;
    }
    return 0;
}

START_TEST(test_coro_yield_interleaves)
{
    struct log_env env;
    struct logger a = { &env, 'a' }, b = { &env, 'b' };

    memset(&env, 0, sizeof env);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, logger_body, &a, NULL, NULL),
                     0);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, logger_body, &b, NULL, NULL),
                     0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_str_eq(env.log, "abababab");
}
END_TEST

/* ---- thousands of coroutines ------------------------------------------------------------- */

#define MANY 5000

static int
many_body(void *arg)
{
    int *count = arg;
    int err = sleep_ms(1);

    if (err == 0)
        (*count)++;
    return err;
}

START_TEST(test_coro_thousands)
{
    struct fut_scope sc;
    struct fut_scope_wait w;
    struct fut_coro c;
    int count = 0, i;

    ck_assert_int_eq(fut_scope_init(&sc, &conf_rt, 0), 0);
    for (i = 0; i < MANY; i++) {
        ck_assert_int_eq(fut_coro_init(&c, many_body, &count, NULL), 0);
        ck_assert_int_eq(fut_scope_spawn(&sc, &c.base, sizeof c, NULL), 0);
    }
    fut_scope_join_init(&w, &sc);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    ck_assert_int_eq(w.result, 0);
    ck_assert_int_eq(count, MANY);
    fut_future_drop(&w.base);
    fut_coro_pool_trim();
}
END_TEST

/* ---- cancellation at every await point ---------------------------------------------------- */

enum { CANCEL_AWAITS = 5 };

struct cancel_env {
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_tcp_stream stream; /* one end of a socket pair */
    int peer;                     /* the other end */
    int reached;                  /* awaits begun */
    int dropped_at;               /* `reached` when the drop came */
    int res[CANCEL_AWAITS];
    int cleanup;
    int cancelled_at_end;
};

static void
send_one(void *arg)
{
    int v = 1;

    (void)fut_mpsc_try_send(arg, &v);
}

static void
write_one(void *arg)
{
    ck_assert_int_eq(write(*(int *)arg, "x", 1), 1);
}

/* Five awaits on five kinds of futures, each of which registers something
 * (a timer, a channel waker, an I/O registration, a join waker, a self
 * wake) and finishes on an event that comes after the coroutine suspends.
 * The helpers are spawned only while not cancelled (no context then). */
static int
cancel_body(void *arg)
{
    struct cancel_env *e = arg;
    struct fut_mpsc_recv recv;
    struct fut_read rd;
    struct fut_task_join join;
    struct fut_task *t = NULL;
    struct fut_context *cx;
    char buf[4];
    int v;

    e->reached = 1;
    e->res[0] = sleep_ms(1);

    e->reached = 2;
    if ((cx = fut_coro_context()) != NULL)
        ck_assert_int_eq(spawn_once(cx->rt, send_one, &e->tx), 0);
    fut_mpsc_recv_init(&recv, &e->rx, &v);
    e->res[1] = fut_await(&recv.base);

    e->reached = 3;
    if ((cx = fut_coro_context()) != NULL)
        ck_assert_int_eq(spawn_once(cx->rt, write_one, &e->peer), 0);
    fut_read_init(&rd, &e->stream.reader, buf, sizeof buf);
    e->res[2] = fut_await(&rd.base);

    e->reached = 4;
    if ((cx = fut_coro_context()) != NULL)
        ck_assert_int_eq(fut_coro_spawn(cx->rt, yield_then, NULL, NULL, &t),
                         0);
    if (t != NULL) {
        fut_task_join_init(&join, t);
        e->res[3] = fut_await(&join.base);
        fut_task_detach(t);
    } else {
        struct fut_ready r;

        fut_ready_init(&r, 0);
        e->res[3] = fut_await(&r.base); /* cancelled: fails at once */
    }

    e->reached = 5;
    e->res[4] = fut_coro_yield();

    e->cancelled_at_end = fut_coro_is_cancelled();
    e->cleanup++;
    return 0;
}

/* Polls the coroutine until it is suspended in await number `n` (or
 * later), then drops it; n = 0 drops it before its first poll. */
struct drop_at {
    struct fut_future base;
    struct fut_coro *co;
    struct cancel_env *env;
    int n;
    int finished;
};

static enum fut_poll
drop_at_poll(struct fut_future *f, struct fut_context *cx)
{
    struct drop_at *d = (struct drop_at *)f;

    if (d->n > 0) {
        if (fut_future_poll(&d->co->base, cx) == FUT_READY) {
            d->finished = 1;
            return FUT_READY;
        }
        if (d->env->reached < d->n)
            return FUT_PENDING; /* the coroutine's await holds our waker */
    }
    d->env->dropped_at = d->env->reached;
    fut_future_drop(&d->co->base);
    return FUT_READY;
}

static const struct fut_future_vtable drop_at_vtable = {
    .poll = drop_at_poll, .drop = once_drop, .result = NULL,
};

START_TEST(test_coro_cancel_at_each_await)
{
    struct cancel_env e;
    struct fut_coro c;
    struct drop_at d;
    int sv[2], i, first_cancelled;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_mpsc_new(&e.tx, &e.rx, sizeof(int), 4), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&e.stream, sv[0]), 0);
    e.peer = sv[1];
    for (i = 0; i < CANCEL_AWAITS; i++)
        e.res[i] = 1; /* not reached */

    ck_assert_int_eq(fut_coro_init(&c, cancel_body, &e, NULL), 0);
    d.base.vtable = &drop_at_vtable;
    d.co = &c;
    d.env = &e;
    d.n = _i;
    d.finished = 0;
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    /* Let the helpers the coroutine spawned finish. */
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);

    ck_assert_int_eq(e.cleanup, 1); /* exactly once, in every case */
    if (_i > CANCEL_AWAITS) {
        ck_assert(d.finished);
        ck_assert_int_eq(c.result, 0);
        for (i = 0; i < CANCEL_AWAITS; i++)
            ck_assert_int_eq(e.res[i], 0);
        ck_assert_int_eq(e.cancelled_at_end, 0);
    } else {
        ck_assert(!d.finished);
        ck_assert_int_eq(e.cancelled_at_end, 1);
        /* Dropped before the first poll: the function ran from its
         * start, cancelled. Otherwise the await it was suspended in, and
         * every later one, failed. */
        first_cancelled = _i == 0 ? 0 : e.dropped_at - 1;
        if (_i > 0)
            ck_assert_int_ge(e.dropped_at, _i);
        for (i = 0; i < CANCEL_AWAITS; i++)
            ck_assert_int_eq(e.res[i], i < first_cancelled ? 0 : -ECANCELED);
        ck_assert_int_eq(c.result, -ECANCELED);
    }
    fut_future_drop(&c.base); /* dropping again does nothing */
    ck_assert_int_eq(e.cleanup, 1);
    ck_assert_int_eq(fut_tcp_stream_close(&e.stream), 0);
    close(sv[1]);
    fut_mpsc_sender_close(&e.tx);
    fut_mpsc_receiver_close(&e.rx);
}
END_TEST

/* ---- drop before the first poll; abort before it ran --------------------------------------- */

struct cleanup_env {
    int cleanup;
    int err;
    int cancelled;
    int had_context;
};

static int
cleanup_body(void *arg)
{
    struct cleanup_env *e = arg;
    struct fut_pending p;

    fut_pending_init(&p);
    e->had_context = fut_coro_context() != NULL;
    e->err = fut_await(&p.base); /* only a drop ends this */
    e->cancelled = fut_coro_is_cancelled();
    e->cleanup++;
    return e->err;
}

START_TEST(test_coro_drop_before_poll)
{
    struct cleanup_env e = { 0, 0, 0, 0 };
    struct fut_coro c;
    struct fut_task *t;

    /* Owned by hand, never polled. */
    ck_assert_int_eq(fut_coro_init(&c, cleanup_body, &e, NULL), 0);
    fut_future_drop(&c.base);
    ck_assert_int_eq(e.cleanup, 1);
    ck_assert_int_eq(e.err, -ECANCELED);
    ck_assert_int_eq(e.cancelled, 1);
    ck_assert_int_eq(e.had_context, 0);
    fut_future_drop(&c.base);
    ck_assert_int_eq(e.cleanup, 1);

    /* Spawned, aborted before the runtime got to it. */
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, cleanup_body, &e, NULL, &t), 0);
    fut_task_abort(t);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(t), -ECANCELED);
    ck_assert_int_eq(e.cleanup, 1);
    ck_assert_int_eq(e.err, -ECANCELED);
    fut_task_detach(t);

    /* Suspended, then aborted. */
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, cleanup_body, &e, NULL, &t), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 1);
    ck_assert_int_eq(e.had_context, 1);
    ck_assert_int_eq(e.cleanup, 0);
    fut_task_abort(t);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(e.cleanup, 1);
    ck_assert_int_eq(e.err, -ECANCELED);
    ck_assert_int_eq(e.cancelled, 1);
    fut_task_detach(t);
}
END_TEST

/* ---- runtime close with suspended coroutines; a scope that closes ------------------------- */

struct close_env {
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    int cleanup;
    int cancelled;
};

static int
close_body(void *arg)
{
    struct close_env *e = arg;
    struct fut_mpsc_recv r;
    int v, err;

    err = sleep_ms(3600 * 1000);
    if (err == 0) {
        fut_mpsc_recv_init(&r, &e->rx, &v);
        err = fut_await(&r.base);
    }
    if (err == -ECANCELED)
        e->cancelled++;
    e->cleanup++;
    return err;
}

START_TEST(test_coro_runtime_close)
{
    struct fut_runtime rt;
    struct close_env e;
    struct fut_task *t;
    int i;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_mpsc_new(&e.tx, &e.rx, sizeof(int), 1), 0);
    ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
    for (i = 0; i < 10; i++)
        ck_assert_int_eq(fut_coro_spawn(&rt, close_body, &e, NULL,
                                        i == 0 ? &t : NULL), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&rt), 10);
    /* One more that never ran. */
    ck_assert_int_eq(fut_coro_spawn(&rt, close_body, &e, NULL, NULL), 0);
    ck_assert_int_eq(e.cleanup, 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(e.cleanup, 11);
    ck_assert_int_eq(e.cancelled, 11);
    ck_assert_int_eq(fut_task_result(t), -ECANCELED);
    fut_task_detach(t);
    fut_mpsc_sender_close(&e.tx);
    fut_mpsc_receiver_close(&e.rx);
}
END_TEST

START_TEST(test_coro_scope_close)
{
    struct close_env e;
    struct fut_scope sc;
    struct fut_scope_wait w;
    struct fut_coro c;
    int i;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(fut_mpsc_new(&e.tx, &e.rx, sizeof(int), 1), 0);
    ck_assert_int_eq(fut_scope_init(&sc, &conf_rt, 0), 0);
    for (i = 0; i < 3; i++) {
        fut_coro_init(&c, close_body, &e, NULL);
        ck_assert_int_eq(fut_scope_spawn(&sc, &c.base, sizeof c, NULL), 0);
    }
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 3);
    ck_assert_int_eq(e.cleanup, 0);
    fut_scope_close_init(&w, &sc);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    ck_assert_int_eq(w.result, 0);
    ck_assert_int_eq(e.cleanup, 3);
    ck_assert_int_eq(e.cancelled, 3);
    fut_future_drop(&w.base);
    fut_mpsc_sender_close(&e.tx);
    fut_mpsc_receiver_close(&e.rx);
}
END_TEST

/* ---- outside a coroutine; bad input; stack sizes ------------------------------------------- */

START_TEST(test_coro_outside)
{
    struct fut_sleep s;

    fut_sleep_init(&s, FUT_NSEC_PER_SEC);
    ck_assert_int_eq(fut_await(&s.base), -EPERM);
    ck_assert_ptr_null(s.base.vtable); /* dropped all the same */
    ck_assert_int_eq(fut_await(NULL), -EINVAL);
    ck_assert_int_eq(fut_coro_yield(), -EPERM);
    ck_assert_int_eq(fut_coro_suspend(), -EPERM);
    ck_assert_ptr_null(fut_coro_context());
    ck_assert_int_eq(fut_coro_is_cancelled(), 0);
    fut_coro_pool_trim(); /* nothing to trim is fine */
}
END_TEST

static int
never_runs(void *arg)
{
    (*(int *)arg)++;
    return 0;
}

START_TEST(test_coro_bad_input)
{
    struct fut_coro c;
    struct fut_coro_opts o;
    struct fut_task *t = (struct fut_task *)&c;
    struct fut_runtime closed;
    int runs = 0;

    ck_assert_int_eq(fut_coro_init(NULL, never_runs, &runs, NULL), -EINVAL);
    ck_assert_int_eq(fut_coro_init(&c, NULL, &runs, NULL), -EINVAL);
    memset(&o, 0, sizeof o);
    o.stack_size = 1;
    ck_assert_int_eq(fut_coro_init(&c, never_runs, &runs, &o), -EINVAL);
    o.stack_size = FUT_CORO_STACK_MIN - 1;
    ck_assert_int_eq(fut_coro_init(&c, never_runs, &runs, &o), -EINVAL);
    o.stack_size = FUT_CORO_STACK_MAX + 1;
    ck_assert_int_eq(fut_coro_init(&c, never_runs, &runs, &o), -EINVAL);
    o.stack_size = SIZE_MAX;
    ck_assert_int_eq(fut_coro_init(&c, never_runs, &runs, &o), -EINVAL);
    o.stack_size = 0;
    o.version = 2;
    ck_assert_int_eq(fut_coro_init(&c, never_runs, &runs, &o), -EINVAL);
    o.version = 1;
    o.flags = 1;
    ck_assert_int_eq(fut_coro_init(&c, never_runs, &runs, &o), -EINVAL);
    /* Spawn failures start nothing: the function does not run. */
    ck_assert_int_eq(fut_coro_spawn(NULL, never_runs, &runs, NULL, &t),
                     -EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(fut_coro_spawn(&conf_rt, NULL, &runs, NULL, NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_runtime_init_default(&closed), 0);
    ck_assert_int_eq(fut_runtime_close(&closed), 0);
    ck_assert_int_eq(fut_coro_spawn(&closed, never_runs, &runs, NULL, NULL),
                     -EINVAL);
    ck_assert_int_eq(runs, 0);
}
END_TEST

/* Deep recursion that a non-default stack (mapped for this coroutine
 * alone, not pooled) holds, but the default one would not. */
static int
deep(int depth)
{
    volatile char frame[1024];

    frame[0] = (char)depth;
    if (depth == 0)
        return frame[0];
    return deep(depth - 1) + frame[0] - (char)depth;
}

static int
deep_body(void *arg)
{
    int err = sleep_ms(1);

    if (err != 0)
        return err;
    return deep((int)(intptr_t)arg);
}

START_TEST(test_coro_big_stack)
{
    struct fut_coro_opts o;
    struct fut_coro c;

    memset(&o, 0, sizeof o);
    o.version = 1;
    o.stack_size = 2 * 1024 * 1024 + 1; /* rounded up to pages */
    /* ~1.2 KiB per level (more under ASan): ~600 KiB, well over 64 KiB. */
    ck_assert_int_eq(fut_coro_init(&c, deep_body, (void *)(intptr_t)500, &o),
                     0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &c.base), 0);
    ck_assert_int_eq(c.result, 0);
    fut_future_drop(&c.base);
    o.stack_size = FUT_CORO_STACK_MIN;
    ck_assert_int_eq(fut_coro_init(&c, deep_body, (void *)(intptr_t)2, &o),
                     0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &c.base), 0);
    ck_assert_int_eq(c.result, 0);
    fut_future_drop(&c.base);
}
END_TEST

/* ---- coroutines on other threads: pools and signal stacks per thread ------------------------ */

static void *
thread_main(void *arg)
{
    struct fut_runtime rt;
    int count = 0, i, *ok = arg;

    if (fut_runtime_init_default(&rt) != 0)
        return NULL;
    for (i = 0; i < 100; i++)
        if (fut_coro_spawn(&rt, many_body, &count, NULL, NULL) != 0)
            return NULL;
    if (fut_runtime_run(&rt) == 0 && count == 100)
        *ok = 1;
    fut_runtime_close(&rt);
    return NULL; /* the thread's pool and altstack go at its exit */
}

START_TEST(test_coro_threads)
{
    pthread_t th[2];
    int ok[2] = { 0, 0 }, i;

    for (i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, thread_main, &ok[i]),
                         0);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(ok[i], 1);
    }
}
END_TEST

/* ---- stack overflow: a clean message and SIGABRT ------------------------------------------- */

static int
overflow(int depth)
{
    volatile char frame[512];

    frame[0] = (char)depth;
    if (depth > 10000000)
        return 0;
    return overflow(depth + 1) + frame[0];
}

static int
overflow_body(void *arg)
{
    (void)arg;
    return overflow(0);
}

START_TEST(test_coro_stack_overflow)
{
    static const char want[] = "libfutures: coroutine stack overflow";
    char buf[4096];
    size_t got = 0;
    ssize_t n;
    int pfd[2], status;
    pid_t pid;

    /* Valgrind runs the program on a simulated CPU and reports the fault
     * itself, with its own messages, before any handler. */
    if (getenv("FUT_TEST_SLOW") != NULL)
        CONF_SKIP("under valgrind (FUT_TEST_SLOW): it handles the fault itself");
    /* Our own fork, so that this also runs with CK_FORK=no. */
    ck_assert_int_eq(pipe(pfd), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct fut_coro c;
        struct fut_context cx = { fut_waker_noop(), NULL };

        dup2(pfd[1], STDERR_FILENO);
        close(pfd[0]);
        fut_coro_init(&c, overflow_body, NULL, NULL);
        (void)fut_future_poll(&c.base, &cx);
        _exit(0); /* not reached */
    }
    close(pfd[1]);
    while (got < sizeof buf - 1 &&
           (n = read(pfd[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(pfd[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                  "child status %#x, stderr: %s", status, buf);
    ck_assert_msg(strstr(buf, want) != NULL, "stderr: %s", buf);
}
END_TEST

/* fut_coro_init_self: the function gets the future itself, where the
 * task holds it, with the state that moved in with it; the one-call
 * helpers work inside and answer -EPERM outside. */
struct self_coro {
    struct fut_coro co;
    int64_t nap_ns;
    void *seen;
    int *runs;
    int sleep_err;
};

static int
self_fn(void *arg)
{
    struct self_coro *s = arg;

    s->seen = arg;
    ++*s->runs;
    s->sleep_err = fut_co_sleep(s->nap_ns);
    return s->sleep_err;
}

START_TEST(test_coro_init_self_and_helpers)
{
    struct self_coro s;
    struct fut_tcp_stream closed;
    struct fut_task *t;
    struct self_coro *out;
    int runs = 0;

    memset(&s, 0, sizeof s);
    s.nap_ns = FUT_NSEC_PER_MSEC;
    s.runs = &runs;
    ck_assert_int_eq(fut_coro_init_self(&s.co, self_fn, NULL), 0);
    ck_assert_int_eq(fut_spawn(&conf_rt, &s.co.base, sizeof s, &t), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(t), 0);
    out = fut_task_output(t);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_eq(out->seen, out); /* the task's copy, not ours */
    ck_assert_int_eq(out->sleep_err, 0);
    ck_assert_int_eq(runs, 1);
    fut_task_detach(t);

    /* Dropped before its first poll: it runs once, cancelled, with
     * itself as its argument. */
    memset(&s, 0, sizeof s);
    s.runs = &runs;
    ck_assert_int_eq(fut_coro_init_self(&s.co, self_fn, NULL), 0);
    fut_future_drop(&s.co.base);
    ck_assert_int_eq(runs, 2);
    ck_assert_ptr_eq(s.seen, &s);
    ck_assert_int_eq(s.sleep_err, -ECANCELED);

    ck_assert_int_eq(fut_coro_init_self(NULL, self_fn, NULL), -EINVAL);
    ck_assert_int_eq(fut_coro_init_self(&s.co, NULL, NULL), -EINVAL);
    /* Outside a coroutine. */
    ck_assert_int_eq(fut_co_sleep(1), -EPERM);
    ck_assert_int_eq(fut_tcp_stream_init(&closed), 0);
    ck_assert_int_eq(fut_co_readable(&closed), -EPERM);
    ck_assert_int_eq(fut_co_write_all(&closed.writer, "x", 1), -EPERM);
}
END_TEST

Suite *
fut_conf_coro_suite(void)
{
    Suite *s = suite_create("coro");
    TCase *tc;

/* A generous safety net, never the assertion: 5,000 coroutines under
 * TSan (a fiber each) on a loaded 2-core machine outlast Check's 4 s. */
#define CORO_CASE(name, fn)                                                 \
    tc = tcase_create(name);                                                \
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);               \
    tcase_set_timeout(tc, 120);                                             \
    tcase_add_test(tc, fn);                                                 \
    suite_add_tcase(s, tc)

    CORO_CASE("await_sleep", test_coro_await_sleep);
    CORO_CASE("init_self_and_helpers", test_coro_init_self_and_helpers);
    CORO_CASE("spawn_result", test_coro_spawn_result);
    CORO_CASE("channel", test_coro_channel);
    CORO_CASE("context_suspend", test_coro_context_suspend);
    CORO_CASE("tcp_echo", test_coro_tcp_echo);
    CORO_CASE("join_task", test_coro_join_task);
    CORO_CASE("nested", test_coro_nested);
    CORO_CASE("select", test_coro_select);
    CORO_CASE("timeout", test_coro_timeout);
    CORO_CASE("recursion", test_coro_recursion);
    CORO_CASE("yield", test_coro_yield_interleaves);
    CORO_CASE("thousands", test_coro_thousands);
    CORO_CASE("drop_before_poll", test_coro_drop_before_poll);
    CORO_CASE("runtime_close", test_coro_runtime_close);
    CORO_CASE("scope_close", test_coro_scope_close);
    CORO_CASE("outside", test_coro_outside);
    CORO_CASE("bad_input", test_coro_bad_input);
    CORO_CASE("big_stack", test_coro_big_stack);
    CORO_CASE("threads", test_coro_threads);
    CORO_CASE("stack_overflow", test_coro_stack_overflow);
#undef CORO_CASE
    tc = tcase_create("cancel_each_await");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_add_loop_test(tc, test_coro_cancel_at_each_await, 0,
                        CANCEL_AWAITS + 2);
    suite_add_tcase(s, tc);
    return s;
}
