/* SPDX-License-Identifier: MIT */
/* Conformance: oneshot and mpsc channels across tasks, threads, runtimes. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "conformance.h"

/* Values carry their sender and sequence number: id * SEQ_SPAN + seq. */
#define SEQ_SPAN 1000000

/* ---- ping-pong ----------------------------------------------------------- */

/*
 * One side of a ping-pong over two bounded(1) channels: the server sends
 * 2i and expects 2i + 1 back; the other side echoes each value plus one.
 */
struct pinger {
    struct fut_future base;
    int state;
    struct fut_mpsc_sender tx;   /* to the peer (owned) */
    struct fut_mpsc_receiver rx; /* from the peer (owned) */
    struct fut_mpsc_send send;
    struct fut_mpsc_recv recv;
    int serve;
    int rounds;
    int i;
    int out;
    int in;
    int done;   /* rounds completed */
    int err;    /* the first unexpected result */
};

static enum fut_poll
pinger_poll(struct fut_future *f, struct fut_context *cx)
{
    struct pinger *p = (struct pinger *)f;

    FUT_ASYNC_BEGIN(&p->state);
    for (p->i = 0; p->i < p->rounds; p->i++) {
        if (p->serve) {
            p->out = 2 * p->i;
            fut_mpsc_send_init(&p->send, &p->tx, &p->out);
            FUT_AWAIT_FUTURE(&p->state, &p->send.base, cx);
            fut_future_drop(&p->send.base);
            if (p->send.res != 0) {
                p->err = p->send.res;
                FUT_ASYNC_RETURN(&p->state);
            }
        }
        fut_mpsc_recv_init(&p->recv, &p->rx, &p->in);
        FUT_AWAIT_FUTURE(&p->state, &p->recv.base, cx);
        fut_future_drop(&p->recv.base);
        if (p->recv.res != 1 || p->in != 2 * p->i + (p->serve ? 1 : 0)) {
            p->err = -EIO;
            FUT_ASYNC_RETURN(&p->state);
        }
        if (!p->serve) {
            p->out = p->in + 1;
            fut_mpsc_send_init(&p->send, &p->tx, &p->out);
            FUT_AWAIT_FUTURE(&p->state, &p->send.base, cx);
            fut_future_drop(&p->send.base);
            if (p->send.res != 0) {
                p->err = p->send.res;
                FUT_ASYNC_RETURN(&p->state);
            }
        }
        p->done++;
    }
    FUT_ASYNC_END(&p->state);
}

static void
pinger_drop(struct fut_future *f)
{
    struct pinger *p = (struct pinger *)f;

    fut_future_drop(&p->send.base);
    fut_future_drop(&p->recv.base);
    fut_mpsc_sender_close(&p->tx);
    fut_mpsc_receiver_close(&p->rx);
}

static int
pinger_result(const struct fut_future *f)
{
    return ((const struct pinger *)f)->err;
}

static const struct fut_future_vtable pinger_vtable = {
    .poll = pinger_poll,
    .drop = pinger_drop,
    .result = pinger_result,
};

START_TEST(test_channel_ping_pong)
{
    struct pinger a;
    struct pinger b;
    struct fut_task *ta;
    struct fut_task *tb;
    struct pinger *out;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.base.vtable = &pinger_vtable;
    b.base.vtable = &pinger_vtable;
    a.serve = 1;
    a.rounds = b.rounds = 2000;
    ck_assert_int_eq(fut_mpsc_new(&a.tx, &b.rx, sizeof(int), 1), 0);
    ck_assert_int_eq(fut_mpsc_new(&b.tx, &a.rx, sizeof(int), 1), 0);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &a, &ta), 0);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &b, &tb), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(ta), 0);
    ck_assert_int_eq(fut_task_result(tb), 0);
    out = fut_task_output(ta);
    ck_assert_int_eq(out->done, 2000);
    ck_assert_int_eq(out->in, 3999);
    out = fut_task_output(tb);
    ck_assert_int_eq(out->done, 2000);
    ck_assert_int_eq(out->out, 3999);
    fut_task_detach(ta);
    fut_task_detach(tb);
}
END_TEST

/* ---- generic senders and receivers --------------------------------------- */

/* Sends id * SEQ_SPAN + i for i in [0, n), then closes its sender. */
struct sender_task {
    struct fut_future base;
    int state;
    struct fut_mpsc_sender tx; /* owned */
    struct fut_mpsc_send send;
    int id;
    int n;
    int i;
    int val;
    int res; /* the last send's result */
};

static enum fut_poll
sender_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct sender_task *s = (struct sender_task *)f;

    FUT_ASYNC_BEGIN(&s->state);
    for (s->i = 0; s->i < s->n; s->i++) {
        s->val = s->id * SEQ_SPAN + s->i;
        fut_mpsc_send_init(&s->send, &s->tx, &s->val);
        FUT_AWAIT_FUTURE(&s->state, &s->send.base, cx);
        fut_future_drop(&s->send.base);
        s->res = s->send.res;
        if (s->res != 0)
            break;
    }
    fut_mpsc_sender_close(&s->tx);
    FUT_ASYNC_END(&s->state);
}

static void
sender_task_drop(struct fut_future *f)
{
    struct sender_task *s = (struct sender_task *)f;

    fut_future_drop(&s->send.base);
    fut_mpsc_sender_close(&s->tx);
}

static int
sender_task_result(const struct fut_future *f)
{
    return ((const struct sender_task *)f)->res;
}

static const struct fut_future_vtable sender_task_vtable = {
    .poll = sender_task_poll,
    .drop = sender_task_drop,
    .result = sender_task_result,
};

static void
sender_task_init(struct sender_task *s, int id, int n)
{
    memset(s, 0, sizeof *s);
    s->base.vtable = &sender_task_vtable;
    s->id = id;
    s->n = n;
}

#define MAX_SENDERS 16

/*
 * Receives until the end of the stream through fut_stream_next (or the
 * receive future), checking that each sender's values arrive in order.
 * @flag, if set, is watched: @flag_seen_at records how many values had
 * arrived when another task first set it.
 */
struct receiver_task {
    struct fut_future base;
    int state;
    struct fut_mpsc_receiver *rx; /* borrowed */
    int use_stream;
    struct fut_stream_next next;
    struct fut_mpsc_recv recv;
    int val;
    int res;
    int count;
    int next_seq[MAX_SENDERS];
    int bad;
    const int *flag;
    int flag_seen_at;
};

static enum fut_poll
receiver_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct receiver_task *r = (struct receiver_task *)f;
    int id;

    FUT_ASYNC_BEGIN(&r->state);
    for (;;) {
        if (r->use_stream) {
            fut_stream_next_init(&r->next, &r->rx->stream, &r->val);
            FUT_AWAIT_FUTURE(&r->state, &r->next.base, cx);
            fut_future_drop(&r->next.base);
            r->res = r->next.res;
        } else {
            fut_mpsc_recv_init(&r->recv, r->rx, &r->val);
            FUT_AWAIT_FUTURE(&r->state, &r->recv.base, cx);
            fut_future_drop(&r->recv.base);
            r->res = r->recv.res;
        }
        if (r->res != 1)
            break;
        id = r->val / SEQ_SPAN;
        if (id < 0 || id >= MAX_SENDERS ||
            r->val % SEQ_SPAN != r->next_seq[id]) {
            r->bad++;
        } else {
            r->next_seq[id]++;
        }
        if (r->flag != NULL && *r->flag && r->flag_seen_at < 0)
            r->flag_seen_at = r->count;
        r->count++;
    }
    FUT_ASYNC_END(&r->state);
}

static void
receiver_task_drop(struct fut_future *f)
{
    struct receiver_task *r = (struct receiver_task *)f;

    fut_future_drop(&r->next.base);
    fut_future_drop(&r->recv.base);
}

static int
receiver_task_result(const struct fut_future *f)
{
    const struct receiver_task *r = (const struct receiver_task *)f;

    return r->bad != 0 ? -EIO : r->res < 0 ? r->res : 0;
}

static const struct fut_future_vtable receiver_task_vtable = {
    .poll = receiver_task_poll,
    .drop = receiver_task_drop,
    .result = receiver_task_result,
};

static void
receiver_task_init(struct receiver_task *r, struct fut_mpsc_receiver *rx,
                   int use_stream)
{
    memset(r, 0, sizeof *r);
    r->base.vtable = &receiver_task_vtable;
    r->rx = rx;
    r->use_stream = use_stream;
    r->res = 99;
    r->flag_seen_at = -1;
}

/* ---- many senders -------------------------------------------------------- */

START_TEST(test_channel_many_senders)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct sender_task s;
    struct receiver_task r;
    struct receiver_task *out;
    struct fut_task *tr;
    int k;

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(int), 3), 0);
    /* The receiver is spawned first, so it waits on an empty channel;
     * the receive path alternates between the stream and the future. */
    receiver_task_init(&r, &rx, _i);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &r, &tr), 0);
    for (k = 0; k < 8; k++) {
        sender_task_init(&s, k, 300);
        ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &s.tx), 0);
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &s, NULL), 0);
    }
    fut_mpsc_sender_close(&tx);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    out = fut_task_output(tr);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(out->bad, 0);
    ck_assert_int_eq(out->res, 0); /* the end of the stream */
    ck_assert_int_eq(out->count, 8 * 300);
    for (k = 0; k < 8; k++)
        ck_assert_int_eq(out->next_seq[k], 300);
    ck_assert_int_eq(fut_task_result(tr), 0);
    fut_task_detach(tr);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

/* ---- another thread, another runtime ------------------------------------- */

struct producer_thread {
    struct sender_task task;
    int init_err;
    int run_err;
};

static void *
producer_main(void *arg)
{
    struct producer_thread *p = arg;
    struct fut_runtime rt;

    p->init_err = fut_runtime_init_default(&rt);
    if (p->init_err != 0) {
        fut_future_drop(&p->task.base); /* closes the sender */
        return NULL;
    }
    p->run_err = fut_block_on(&rt, &p->task.base);
    fut_future_drop(&p->task.base);
    (void)fut_runtime_close(&rt);
    return NULL;
}

START_TEST(test_channel_cross_thread_runtime)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct producer_thread p;
    struct receiver_task r;
    pthread_t th;

    /* A producer on its own thread and runtime feeds a receiver that this
     * thread awaits with fut_block_on: every wake crosses threads. */
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(int), 2), 0);
    sender_task_init(&p.task, 1, 20000);
    p.task.tx = tx;
    p.init_err = p.run_err = 1;
    receiver_task_init(&r, &rx, 0);
    ck_assert_int_eq(pthread_create(&th, NULL, producer_main, &p), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(p.init_err, 0);
    ck_assert_int_eq(p.run_err, 0);
    ck_assert_int_eq(p.task.res, 0);
    ck_assert_int_eq(r.bad, 0);
    ck_assert_int_eq(r.res, 0);
    ck_assert_int_eq(r.count, 20000);
    ck_assert_int_eq(r.next_seq[1], 20000);
    fut_future_drop(&r.base);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

struct plain_producer {
    struct fut_mpsc_sender tx;
    int n;
    int err;
};

static void *
plain_producer_main(void *arg)
{
    struct plain_producer *p = arg;
    struct timespec ts = { 0, 100 * 1000 };
    int i;
    int v;

    /* No runtime here: try_send, and back off while the channel is full. */
    for (i = 0; i < p->n; i++) {
        v = 2 * SEQ_SPAN + i;
        for (;;) {
            int err = fut_mpsc_try_send(&p->tx, &v);

            if (err == 0)
                break;
            if (err != -EAGAIN) {
                p->err = err;
                goto out;
            }
            nanosleep(&ts, NULL);
        }
        if (i % 64 == 0)
            nanosleep(&ts, NULL); /* let the receiver wait on us, too */
    }
out:
    fut_mpsc_sender_close(&p->tx);
    return NULL;
}

START_TEST(test_channel_cross_thread_plain)
{
    struct fut_mpsc_receiver rx;
    struct plain_producer p;
    struct receiver_task r;
    pthread_t th;

    ck_assert_int_eq(fut_mpsc_new(&p.tx, &rx, sizeof(int), 4), 0);
    p.n = 5000;
    p.err = 0;
    receiver_task_init(&r, &rx, 1);
    ck_assert_int_eq(pthread_create(&th, NULL, plain_producer_main, &p), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(p.err, 0);
    ck_assert_int_eq(r.bad, 0);
    ck_assert_int_eq(r.res, 0);
    ck_assert_int_eq(r.count, 5000);
    fut_future_drop(&r.base);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

struct oneshot_thread {
    struct fut_oneshot_sender tx;
    int value;
    int close_only;
    int err;
};

static void *
oneshot_main(void *arg)
{
    struct oneshot_thread *t = arg;
    struct timespec ts = { 0, 20 * 1000 * 1000 };

    nanosleep(&ts, NULL);
    if (t->close_only)
        fut_oneshot_sender_close(&t->tx);
    else
        t->err = fut_oneshot_send(&t->tx, &t->value);
    return NULL;
}

START_TEST(test_channel_oneshot_cross_thread)
{
    struct oneshot_thread t;
    struct fut_oneshot_receiver rx;
    struct fut_oneshot_recv r;
    pthread_t th;
    int out = 0;

    /* The runtime sleeps in its backend until the other thread sends (or,
     * for _i == 1, closes the sender). */
    ck_assert_int_eq(fut_oneshot_new(&t.tx, &rx, sizeof out), 0);
    t.value = 4242;
    t.close_only = _i;
    t.err = 1;
    ck_assert_int_eq(fut_oneshot_recv_init(&r, &rx, &out), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, oneshot_main, &t), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    if (_i == 0) {
        ck_assert_int_eq(t.err, 0);
        ck_assert_int_eq(r.res, 0);
        ck_assert_int_eq(out, 4242);
    } else {
        ck_assert_int_eq(r.res, -EPIPE);
        ck_assert_int_eq(out, 0);
    }
    fut_future_drop(&r.base);
    fut_oneshot_receiver_close(&rx);
}
END_TEST

/* ---- closing wakes the other side ---------------------------------------- */

enum close_what { CLOSE_MPSC_TX, CLOSE_MPSC_RX, CLOSE_ONESHOT_TX };

/* Yields a few times (so the other task is surely waiting), then closes a
 * handle it borrows. */
struct closer {
    struct fut_future base;
    int state;
    int yields;
    int i;
    enum close_what what;
    void *handle;
};

static enum fut_poll
closer_poll(struct fut_future *f, struct fut_context *cx)
{
    struct closer *c = (struct closer *)f;

    FUT_ASYNC_BEGIN(&c->state);
    for (c->i = 0; c->i < c->yields; c->i++)
        FUT_YIELD(&c->state, cx);
    switch (c->what) {
    case CLOSE_MPSC_TX:
        fut_mpsc_sender_close(c->handle);
        break;
    case CLOSE_MPSC_RX:
        fut_mpsc_receiver_close(c->handle);
        break;
    case CLOSE_ONESHOT_TX:
        fut_oneshot_sender_close(c->handle);
        break;
    }
    FUT_ASYNC_END(&c->state);
}

static void
closer_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable closer_vtable = {
    .poll = closer_poll,
    .drop = closer_drop,
    .result = NULL,
};

static void
spawn_closer(enum close_what what, void *handle)
{
    struct closer c;

    memset(&c, 0, sizeof c);
    c.base.vtable = &closer_vtable;
    c.yields = 3;
    c.what = what;
    c.handle = handle;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &c, NULL), 0);
}

START_TEST(test_channel_close_wakes_receiver)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct receiver_task r;
    struct fut_task *tr;
    struct receiver_task *out;

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(int), 1), 0);
    receiver_task_init(&r, &rx, 0);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &r, &tr), 0);
    spawn_closer(CLOSE_MPSC_TX, &tx);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    out = fut_task_output(tr);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(out->res, 0);
    ck_assert_int_eq(out->count, 0);
    ck_assert_ptr_null(tx.chan);
    fut_task_detach(tr);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

START_TEST(test_channel_close_wakes_sender)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct sender_task s;
    struct fut_task *ts;
    struct sender_task *out;

    /* The sender fills the one slot, then waits until the receiver goes. */
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(int), 1), 0);
    sender_task_init(&s, 0, 10);
    s.tx = tx;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &s, &ts), 0);
    spawn_closer(CLOSE_MPSC_RX, &rx);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    out = fut_task_output(ts);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(out->res, -EPIPE);
    ck_assert_int_eq(out->i, 1); /* one value went in, the second failed */
    ck_assert_int_eq(fut_task_result(ts), -EPIPE);
    ck_assert_ptr_null(rx.chan);
    fut_task_detach(ts);
}
END_TEST

/* Awaits a oneshot. */
struct oneshot_task {
    struct fut_future base;
    int state;
    struct fut_oneshot_receiver *rx; /* borrowed */
    struct fut_oneshot_recv recv;
    int val;
};

static enum fut_poll
oneshot_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct oneshot_task *o = (struct oneshot_task *)f;

    FUT_ASYNC_BEGIN(&o->state);
    /* The receive future points at our own `val`, so it is initialised
     * only here, once the task has been moved into place. */
    fut_oneshot_recv_init(&o->recv, o->rx, &o->val);
    FUT_AWAIT_FUTURE(&o->state, &o->recv.base, cx);
    FUT_ASYNC_END(&o->state);
}

static void
oneshot_task_drop(struct fut_future *f)
{
    fut_future_drop(&((struct oneshot_task *)f)->recv.base);
}

static int
oneshot_task_result(const struct fut_future *f)
{
    return ((const struct oneshot_task *)f)->recv.res;
}

static const struct fut_future_vtable oneshot_task_vtable = {
    .poll = oneshot_task_poll,
    .drop = oneshot_task_drop,
    .result = oneshot_task_result,
};

START_TEST(test_channel_oneshot_close_wakes_receiver)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    struct oneshot_task o;
    struct fut_task *t;

    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof(int)), 0);
    memset(&o, 0, sizeof o);
    o.base.vtable = &oneshot_task_vtable;
    o.rx = &rx;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &o, &t), 0);
    spawn_closer(CLOSE_ONESHOT_TX, &tx);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(t), -EPIPE);
    fut_task_detach(t);
    fut_oneshot_receiver_close(&rx);
}
END_TEST

/* ---- cooperative budget -------------------------------------------------- */

struct flag_setter {
    struct fut_future base;
    int *flag;
};

static enum fut_poll
flag_setter_poll(struct fut_future *f, struct fut_context *cx)
{
    (void)cx;
    *((struct flag_setter *)f)->flag = 1;
    return FUT_READY;
}

static void
flag_setter_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable flag_setter_vtable = {
    .poll = flag_setter_poll,
    .drop = flag_setter_drop,
    .result = NULL,
};

START_TEST(test_channel_coop_budget)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct receiver_task r;
    struct flag_setter fs;
    struct fut_task *tr;
    struct receiver_task *out;
    int flag = 0;
    int v;

    /* A receiver with a long backlog is always ready; the budget makes it
     * yield, so a task spawned after it runs before the backlog is gone. */
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(int), 2000), 0);
    for (v = 0; v < 2000; v++)
        ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    fut_mpsc_sender_close(&tx);
    receiver_task_init(&r, &rx, _i);
    r.flag = &flag;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &r, &tr), 0);
    fs.base.vtable = &flag_setter_vtable;
    fs.flag = &flag;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &fs, NULL), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    out = fut_task_output(tr);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(out->count, 2000);
    ck_assert_int_eq(out->bad, 0);
    ck_assert_int_ge(out->flag_seen_at, 0);
    ck_assert_int_lt(out->flag_seen_at, 2000);
    fut_task_detach(tr);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

Suite *
fut_conf_channel_suite(void)
{
    Suite *s = suite_create("channel");
    TCase *tc;

    tc = tcase_create("ping_pong");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_add_test(tc, test_channel_ping_pong);
    suite_add_tcase(s, tc);

    tc = tcase_create("many_senders");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_add_loop_test(tc, test_channel_many_senders, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("cross_thread");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_channel_cross_thread_runtime);
    tcase_add_test(tc, test_channel_cross_thread_plain);
    tcase_add_loop_test(tc, test_channel_oneshot_cross_thread, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("close_wakes");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_add_test(tc, test_channel_close_wakes_receiver);
    tcase_add_test(tc, test_channel_close_wakes_sender);
    tcase_add_test(tc, test_channel_oneshot_close_wakes_receiver);
    suite_add_tcase(s, tc);

    tc = tcase_create("coop_budget");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_add_loop_test(tc, test_channel_coop_budget, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
