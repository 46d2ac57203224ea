/* SPDX-License-Identifier: MIT */
/* Unit tests for the oneshot and bounded mpsc channels, polled by hand. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "suites.h"
#include "support.h"

/* One byte over the 1 GiB limit the channel headers document. */
#define TOO_BIG (((size_t)1 << 30) + 1)

/* ---- helpers ------------------------------------------------------------- */

/* A value with several fields and padding, to check bytewise copies. */
struct item {
    uint32_t id;
    uint32_t seq;
    double d;
    char tag[12];
};

static struct item
make_item(uint32_t id, uint32_t seq)
{
    struct item it;

    memset(&it, 0, sizeof it);
    it.id = id;
    it.seq = seq;
    it.d = (double)id * 1000.5 + (double)seq;
    snprintf(it.tag, sizeof it.tag, "%u:%u", (unsigned)(id % 100u),
             (unsigned)(seq % 100000u));
    return it;
}

static void
check_item(const struct item *got, uint32_t id, uint32_t seq)
{
    struct item want = make_item(id, seq);

    ck_assert_uint_eq(got->id, id);
    ck_assert_uint_eq(got->seq, seq);
    ck_assert_int_eq(memcmp(got, &want, sizeof want), 0);
}

/* Every test checks that it left no allocation behind (the channel state
 * is freed when the last handle closes). */
static void
setup(void)
{
    test_failalloc_install();
}

static void
teardown(void)
{
    ck_assert_int_eq(test_failalloc_live(), 0);
}

static TCase *
new_tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    return tc;
}

/* A waker that unparks a thread, for the cross-thread tests. */
struct parker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int flag;
};

static struct fut_waker parker_clone(const void *data);

static void
parker_wake(const void *data)
{
    struct parker *p = (struct parker *)data;

    pthread_mutex_lock(&p->mu);
    p->flag = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void
parker_drop(const void *data)
{
    (void)data;
}

static const struct fut_waker_vtable parker_vtable = {
    .clone = parker_clone,
    .wake = parker_wake,
    .wake_by_ref = parker_wake,
    .drop = parker_drop,
};

static struct fut_waker
parker_clone(const void *data)
{
    struct fut_waker w = { &parker_vtable, data };

    return w;
}

/* Poll @f on this thread, sleeping between polls until woken. */
static void
block_on_parked(struct fut_future *f)
{
    struct parker p;
    struct fut_waker w = { &parker_vtable, &p };
    struct fut_context cx;

    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    p.flag = 0;
    fut_context_init(&cx, &w, NULL);
    while (fut_future_poll(f, &cx) == FUT_PENDING) {
        pthread_mutex_lock(&p.mu);
        while (!p.flag)
            pthread_cond_wait(&p.cv, &p.mu);
        p.flag = 0;
        pthread_mutex_unlock(&p.mu);
    }
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
}

/* ---- oneshot ------------------------------------------------------------- */

START_TEST(test_channel_oneshot_send_recv)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    struct item in = make_item(7, 12345);
    struct item out;

    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof(struct item)), 0);
    ck_assert_int_eq(test_failalloc_live(), 1);
    memset(&out, 0, sizeof out);
    ck_assert_int_eq(fut_oneshot_try_recv(&rx, &out), -EAGAIN);
    ck_assert_int_eq(fut_oneshot_sender_is_closed(&tx), 0);
    ck_assert_int_eq(fut_oneshot_send(&tx, &in), 0);
    ck_assert_ptr_null(tx.chan); /* sending closes the sender */
    memset(&in, 0xff, sizeof in); /* the value was copied at send time */
    ck_assert_int_eq(fut_oneshot_try_recv(&rx, &out), 0);
    check_item(&out, 7, 12345);
    ck_assert_int_eq(fut_oneshot_try_recv(&rx, &out), -EPIPE);
    fut_oneshot_receiver_close(&rx);
    ck_assert_ptr_null(rx.chan);
}
END_TEST

START_TEST(test_channel_oneshot_recv_future)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    struct fut_oneshot_recv r;
    struct test_waker tw;
    struct fut_context cx;
    struct item in = make_item(1, 2);
    struct item out;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof(struct item)), 0);
    ck_assert_int_eq(fut_oneshot_recv_init(&r, &rx, &out), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    /* Polling again by the same task does not clone again. */
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(tw.clones, 1);
    ck_assert_int_eq(tw.wakes, 0);
    ck_assert_int_eq(fut_oneshot_send(&tx, &in), 0);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.res, 0);
    ck_assert_int_eq(fut_future_result(&r.base), 0);
    check_item(&out, 1, 2);
    /* Fused: READY again with the same output. */
    memset(&out, 0, sizeof out);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.res, 0);
    ck_assert_uint_eq(out.id, 0);
    fut_future_drop(&r.base);
    fut_oneshot_receiver_close(&rx);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_channel_oneshot_ready_at_first_poll)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    struct fut_oneshot_recv r;
    struct test_waker tw;
    struct fut_context cx;
    uint64_t in = 0x0123456789abcdefu;
    uint64_t out = 0;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof in), 0);
    ck_assert_int_eq(fut_oneshot_send(&tx, &in), 0);
    ck_assert_int_eq(fut_oneshot_recv_init(&r, &rx, &out), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.res, 0);
    ck_assert(out == in);
    ck_assert_int_eq(tw.clones, 0);
    fut_future_drop(&r.base);
    fut_oneshot_receiver_close(&rx);
}
END_TEST

START_TEST(test_channel_oneshot_sender_close_wakes)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    struct fut_oneshot_recv r;
    struct test_waker tw;
    struct fut_context cx;
    int out = 42;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof out), 0);
    ck_assert_int_eq(fut_oneshot_recv_init(&r, &rx, &out), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
    fut_oneshot_sender_close(&tx);
    ck_assert_ptr_null(tx.chan);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.res, -EPIPE);
    ck_assert_int_eq(fut_future_result(&r.base), -EPIPE);
    ck_assert_int_eq(out, 42); /* nothing was written */
    ck_assert_int_eq(fut_oneshot_try_recv(&rx, &out), -EPIPE);
    /* Closing twice is ignored. */
    fut_oneshot_sender_close(&tx);
    fut_future_drop(&r.base);
    fut_oneshot_receiver_close(&rx);
}
END_TEST

START_TEST(test_channel_oneshot_receiver_close)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    int v = 5;

    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof v), 0);
    ck_assert_int_eq(fut_oneshot_sender_is_closed(&tx), 0);
    fut_oneshot_receiver_close(&rx);
    ck_assert_int_eq(fut_oneshot_sender_is_closed(&tx), 1);
    ck_assert_int_eq(test_failalloc_live(), 1); /* the sender holds it */
    ck_assert_int_eq(fut_oneshot_send(&tx, &v), -EPIPE);
    ck_assert_ptr_null(tx.chan); /* closed all the same */
    ck_assert_int_eq(test_failalloc_live(), 0);
    ck_assert_int_eq(fut_oneshot_send(&tx, &v), -EINVAL);
}
END_TEST

START_TEST(test_channel_oneshot_value_discarded_on_close)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    int v = 5;

    /* Sender first, receiver last: the last close frees the state. */
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof v), 0);
    ck_assert_int_eq(fut_oneshot_send(&tx, &v), 0);
    ck_assert_int_eq(test_failalloc_live(), 1);
    fut_oneshot_receiver_close(&rx);
    ck_assert_int_eq(test_failalloc_live(), 0);
    fut_oneshot_receiver_close(&rx);
}
END_TEST

START_TEST(test_channel_oneshot_bad_input)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    struct fut_oneshot_recv r;
    struct fut_context cx = test_noop_cx();
    int v = 1;

    tx.chan = (void *)&v;
    rx.chan = (void *)&v;
    ck_assert_int_eq(fut_oneshot_new(NULL, &rx, 4), -EINVAL);
    ck_assert_ptr_null(rx.chan);
    ck_assert_int_eq(fut_oneshot_new(&tx, NULL, 4), -EINVAL);
    ck_assert_ptr_null(tx.chan);
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, 0), -EINVAL);
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, TOO_BIG), -EINVAL);
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, SIZE_MAX), -EINVAL);
    ck_assert_ptr_null(tx.chan);
    ck_assert_ptr_null(rx.chan);
    ck_assert_int_eq(test_failalloc_live(), 0);

    /* Closed handles. */
    ck_assert_int_eq(fut_oneshot_send(&tx, &v), -EINVAL);
    ck_assert_int_eq(fut_oneshot_sender_is_closed(&tx), -EINVAL);
    ck_assert_int_eq(fut_oneshot_try_recv(&rx, &v), -EINVAL);
    ck_assert_int_eq(fut_oneshot_recv_init(&r, &rx, &v), -EINVAL);
    fut_oneshot_sender_close(&tx);
    fut_oneshot_receiver_close(&rx);

    /* NULL everywhere. */
    ck_assert_int_eq(fut_oneshot_send(NULL, &v), -EINVAL);
    ck_assert_int_eq(fut_oneshot_sender_is_closed(NULL), -EINVAL);
    ck_assert_int_eq(fut_oneshot_try_recv(NULL, &v), -EINVAL);
    fut_oneshot_sender_close(NULL);
    fut_oneshot_receiver_close(NULL);

    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof v), 0);
    ck_assert_int_eq(fut_oneshot_send(&tx, NULL), -EINVAL);
    ck_assert_ptr_nonnull(tx.chan); /* a bad call changes nothing */
    ck_assert_int_eq(fut_oneshot_try_recv(&rx, NULL), -EINVAL);
    ck_assert_int_eq(fut_oneshot_recv_init(NULL, &rx, &v), -EINVAL);
    ck_assert_int_eq(fut_oneshot_recv_init(&r, NULL, &v), -EINVAL);
    ck_assert_int_eq(fut_oneshot_recv_init(&r, &rx, NULL), -EINVAL);
    /* A failed init leaves an inert future. */
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    fut_future_drop(&r.base);

    /* A future whose receiver was closed under it reports -EINVAL. */
    ck_assert_int_eq(fut_oneshot_recv_init(&r, &rx, &v), 0);
    fut_oneshot_receiver_close(&rx);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.res, -EINVAL);
    fut_future_drop(&r.base);
    fut_oneshot_sender_close(&tx);
}
END_TEST

START_TEST(test_channel_oneshot_nomem)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;

    test_failalloc_fail_after(0);
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, 8), -ENOMEM);
    ck_assert_ptr_null(tx.chan);
    ck_assert_ptr_null(rx.chan);
    test_failalloc_fail_after(-1);
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, 8), 0);
    fut_oneshot_sender_close(&tx);
    fut_oneshot_receiver_close(&rx);
}
END_TEST

/*
 * Cancellation is drop: the receive future is dropped after _i polls. In
 * between, a value is sent after the first poll (or, for _i == 1, after the
 * drop, so the drop happens with the waker registered).
 */
START_TEST(test_channel_oneshot_recv_drop_after_n_polls)
{
    struct fut_oneshot_sender tx;
    struct fut_oneshot_receiver rx;
    struct fut_oneshot_recv r;
    struct test_waker tw;
    struct fut_context cx;
    int in = 77;
    int out = 0;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_oneshot_new(&tx, &rx, sizeof in), 0);
    ck_assert_int_eq(fut_oneshot_recv_init(&r, &rx, &out), 0);
    if (_i >= 1) {
        ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
        ck_assert_int_eq(tw.live, 1);
    }
    if (_i == 1) {
        fut_future_drop(&r.base);
        ck_assert_int_eq(tw.live, 0); /* the drop deregistered it */
    }
    ck_assert_int_eq(fut_oneshot_send(&tx, &in), 0);
    ck_assert_int_eq(tw.wakes, _i >= 2 ? 1 : 0);
    if (_i >= 2) {
        ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
        ck_assert_int_eq(r.res, 0);
        ck_assert_int_eq(out, 77);
    }
    if (_i >= 3)
        ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    if (_i != 1)
        fut_future_drop(&r.base);
    ck_assert_int_eq(tw.live, 0);
    /* Cancel-safe: a value not taken stays in the channel. */
    out = 0;
    ck_assert_int_eq(fut_oneshot_try_recv(&rx, &out), _i >= 2 ? -EPIPE : 0);
    ck_assert_int_eq(out, _i >= 2 ? 0 : 77);
    fut_oneshot_receiver_close(&rx);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

struct oneshot_thread {
    struct fut_oneshot_sender tx;
    int value;
    int err;
};

static void *
oneshot_sender_thread(void *arg)
{
    struct oneshot_thread *t = arg;
    struct timespec ts = { 0, 5 * 1000 * 1000 };

    nanosleep(&ts, NULL);
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
    int round;

    for (round = 0; round < 50; round++) {
        ck_assert_int_eq(fut_oneshot_new(&t.tx, &rx, sizeof out), 0);
        t.value = 1000 + round;
        t.err = 1;
        ck_assert_int_eq(pthread_create(&th, NULL, oneshot_sender_thread, &t),
                         0);
        ck_assert_int_eq(fut_oneshot_recv_init(&r, &rx, &out), 0);
        block_on_parked(&r.base);
        ck_assert_int_eq(r.res, 0);
        ck_assert_int_eq(out, 1000 + round);
        fut_future_drop(&r.base);
        fut_oneshot_receiver_close(&rx);
        ck_assert_int_eq(pthread_join(th, NULL), 0);
        ck_assert_int_eq(t.err, 0);
    }
}
END_TEST

/* ---- mpsc: values -------------------------------------------------------- */

START_TEST(test_channel_mpsc_values_in_order)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct item it;
    uint32_t sent = 0;
    uint32_t recvd = 0;
    uint32_t lcg = 12345;
    const uint32_t total = 20000;

    /* An odd capacity, and bursts of random length, so the ring wraps at
     * every offset. */
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(struct item), 7), 0);
    ck_assert_int_eq(test_failalloc_live(), 1); /* one allocation */
    while (recvd < total) {
        uint32_t burst;
        uint32_t k;

        lcg = lcg * 1103515245u + 12345u;
        burst = (lcg >> 16) % 9;
        for (k = 0; k < burst && sent < total; k++) {
            int err;

            it = make_item(3, sent);
            err = fut_mpsc_try_send(&tx, &it);
            if (err == -EAGAIN) {
                ck_assert_uint_eq(sent - recvd, 7);
                break;
            }
            ck_assert_int_eq(err, 0);
            sent++;
        }
        lcg = lcg * 1103515245u + 12345u;
        burst = (lcg >> 16) % 9;
        for (k = 0; k < burst; k++) {
            int err;

            memset(&it, 0, sizeof it);
            err = fut_mpsc_try_recv(&rx, &it);
            if (err == -EAGAIN) {
                ck_assert_uint_eq(sent, recvd);
                break;
            }
            ck_assert_int_eq(err, 0);
            check_item(&it, 3, recvd);
            recvd++;
        }
    }
    fut_mpsc_sender_close(&tx);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &it), -EPIPE);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

START_TEST(test_channel_mpsc_capacity)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    uint16_t v;
    uint16_t out;

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 5), 0);
    for (v = 0; v < 5; v++)
        ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), -EAGAIN);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_uint_eq(out, 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), -EAGAIN);
    for (v = 1; v <= 5; v++) {
        ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
        ck_assert_uint_eq(out, v);
    }
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), -EAGAIN);
    fut_mpsc_receiver_close(&rx);
    fut_mpsc_sender_close(&tx);
}
END_TEST

/*
 * Every element size is copied exactly, the scalar sizes that get an
 * inline copy (4, 8, 16) as well as the others, and no byte around the
 * value is touched; a capacity of 3 makes the ring wrap at every offset.
 */
START_TEST(test_channel_mpsc_elem_sizes)
{
    static const size_t sizes[] = { 1, 2, 3, 4, 5, 8, 12, 16, 17, 24, 64 };
    size_t i;

    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t size = sizes[i];
        struct fut_mpsc_sender tx;
        struct fut_mpsc_receiver rx;
        unsigned char in[64 + 2], out[64 + 2];
        unsigned int sent = 0, got = 0, round;
        size_t k;

        ck_assert_int_eq(fut_mpsc_new(&tx, &rx, size, 3), 0);
        for (round = 0; round < 40; round++) {
            /* Send one or two, receive one or two: the fill level walks
             * between 0 and 3 and the head goes round the ring. */
            unsigned int nsend = 1 + round % 2, nrecv = 1 + (round / 2) % 2;

            while (nsend-- > 0) {
                int err;

                for (k = 0; k < size; k++)
                    in[k] = (unsigned char)(sent * 31u + k * 7u + 1u);
                err = fut_mpsc_try_send(&tx, in);
                if (err == -EAGAIN)
                    break;
                ck_assert_int_eq(err, 0);
                sent++;
            }
            while (nrecv-- > 0) {
                int err;

                memset(out, 0xa5, sizeof out);
                err = fut_mpsc_try_recv(&rx, out + 1);
                if (err == -EAGAIN) {
                    ck_assert_uint_eq(got, sent);
                    break;
                }
                ck_assert_int_eq(err, 0);
                ck_assert_uint_eq(out[0], 0xa5);
                for (k = 0; k < size; k++)
                    ck_assert_uint_eq(out[1 + k],
                                      (unsigned char)(got * 31u + k * 7u +
                                                      1u));
                ck_assert_uint_eq(out[1 + size], 0xa5);
                got++;
            }
        }
        ck_assert_uint_gt(got, 20);
        fut_mpsc_receiver_close(&rx);
        fut_mpsc_sender_close(&tx);
    }
}
END_TEST

START_TEST(test_channel_mpsc_recv_future)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_recv r;
    struct test_waker tw;
    struct fut_context cx;
    struct item in = make_item(4, 4);
    struct item out;
    int res = 99;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(struct item), 2), 0);
    ck_assert_int_eq(fut_mpsc_poll_recv(&rx, &cx, &out, &res), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(fut_mpsc_recv_init(&r, &rx, &out), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1); /* same task: no second clone */
    ck_assert_int_eq(tw.clones, 1);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &in), 0);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    /* A second value does not wake again: nobody is registered. */
    in = make_item(4, 5);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &in), 0);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.res, 1);
    ck_assert_int_eq(fut_future_result(&r.base), 0);
    check_item(&out, 4, 4);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY); /* fused */
    check_item(&out, 4, 4);
    fut_future_drop(&r.base);
    ck_assert_int_eq(fut_mpsc_poll_recv(&rx, &cx, &out, &res), FUT_READY);
    ck_assert_int_eq(res, 1);
    check_item(&out, 4, 5);
    fut_mpsc_sender_close(&tx);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_channel_mpsc_stream)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_stream *s;
    struct fut_stream_next n;
    struct fut_context cx = test_noop_cx();
    int v;
    int out = -1;
    int res = 99;

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 4), 0);
    s = &rx.stream;
    for (v = 10; v < 13; v++)
        ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    fut_mpsc_sender_close(&tx);
    for (v = 10; v < 13; v++) {
        ck_assert_int_eq(fut_stream_poll_next(s, &cx, &out, &res), FUT_READY);
        ck_assert_int_eq(res, 1);
        ck_assert_int_eq(out, v);
    }
    ck_assert_int_eq(fut_stream_poll_next(s, &cx, &out, &res), FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_stream_poll_next(s, &cx, &out, &res), FUT_READY);
    ck_assert_int_eq(res, 0); /* and at every later poll */
    ck_assert_int_eq(fut_stream_next_init(&n, s, &out), 0);
    ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_READY);
    ck_assert_int_eq(n.res, 0);
    fut_future_drop(&n.base);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(fut_stream_poll_next(s, &cx, &out, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
}
END_TEST

/* ---- mpsc: waiting senders ----------------------------------------------- */

START_TEST(test_channel_mpsc_send_waits_for_room)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_send s;
    struct test_waker tw;
    struct fut_context cx;
    int v = 1;
    int w = 2;
    int out = 0;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 1), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    ck_assert_int_eq(fut_mpsc_send_init(&s, &tx, &w), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(tw.wakes, 0);
    /* The value is read at send time, not at init. */
    w = 3;
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 1);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(s.res, 0);
    ck_assert_int_eq(fut_future_result(&s.base), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY); /* fused */
    fut_future_drop(&s.base);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 3);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), -EAGAIN); /* sent once */
    fut_mpsc_sender_close(&tx);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

#define NWAIT 5

START_TEST(test_channel_mpsc_send_fifo)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_send s[NWAIT];
    struct test_waker tw[NWAIT];
    struct fut_context cx[NWAIT];
    int vals[NWAIT];
    int v = 0;
    int late = 99;
    int out;
    int k;
    int j;

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 1), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    for (k = 0; k < NWAIT; k++) {
        test_waker_init(&tw[k]);
        cx[k] = test_cx(&tw[k], NULL);
        vals[k] = k + 1;
        ck_assert_int_eq(fut_mpsc_send_init(&s[k], &tx, &vals[k]), 0);
        ck_assert_int_eq(fut_future_poll(&s[k].base, &cx[k]), FUT_PENDING);
    }
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &late), -EAGAIN);
    for (k = 0; k < NWAIT; k++) {
        ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
        ck_assert_int_eq(out, k); /* 0, then the waiters' values in order */
        /* Only the oldest waiter is woken... */
        for (j = 0; j < NWAIT; j++)
            ck_assert_int_eq(tw[j].wakes, j <= k ? 1 : 0);
        /* ...and the freed slot is promised to it: neither a newcomer nor
         * a younger waiter polled first can take it. */
        ck_assert_int_eq(fut_mpsc_try_send(&tx, &late), -EAGAIN);
        for (j = NWAIT - 1; j > k; j--)
            ck_assert_int_eq(fut_future_poll(&s[j].base, &cx[j]),
                             FUT_PENDING);
        ck_assert_int_eq(fut_future_poll(&s[k].base, &cx[k]), FUT_READY);
        ck_assert_int_eq(s[k].res, 0);
        fut_future_drop(&s[k].base);
        ck_assert_int_eq(tw[k].live, 0);
    }
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, NWAIT);
    /* Nobody waits any more: the next sender goes straight in. */
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &late), 0);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, late);
    fut_mpsc_sender_close(&tx);
    fut_mpsc_receiver_close(&rx);
    for (k = 0; k < NWAIT; k++)
        ck_assert_int_eq(tw[k].live, 0);
}
END_TEST

START_TEST(test_channel_mpsc_send_fifo_many_slots)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_send s[4];
    struct test_waker tw[4];
    struct fut_context cx[4];
    int vals[4] = { 10, 11, 12, 13 };
    int v;
    int out;
    int k;

    /* Two slots freed at once go to the two oldest waiters. */
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 3), 0);
    for (v = 0; v < 3; v++)
        ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    for (k = 0; k < 4; k++) {
        test_waker_init(&tw[k]);
        cx[k] = test_cx(&tw[k], NULL);
        ck_assert_int_eq(fut_mpsc_send_init(&s[k], &tx, &vals[k]), 0);
        ck_assert_int_eq(fut_future_poll(&s[k].base, &cx[k]), FUT_PENDING);
    }
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 0);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 1);
    ck_assert_int_eq(tw[0].wakes, 1);
    ck_assert_int_eq(tw[1].wakes, 1);
    ck_assert_int_eq(tw[2].wakes, 0);
    ck_assert_int_eq(tw[3].wakes, 0);
    ck_assert_int_eq(fut_future_poll(&s[2].base, &cx[2]), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&s[1].base, &cx[1]), FUT_READY);
    ck_assert_int_eq(fut_future_poll(&s[3].base, &cx[3]), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&s[0].base, &cx[0]), FUT_READY);
    ck_assert_int_eq(fut_future_poll(&s[2].base, &cx[2]), FUT_PENDING);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 2);
    ck_assert_int_eq(tw[2].wakes, 1);
    ck_assert_int_eq(tw[3].wakes, 0);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 11);
    ck_assert_int_eq(tw[3].wakes, 1);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 10);
    /* Both remaining waiters hold a promised slot now; one is free. */
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), -EAGAIN);
    for (k = 0; k < 4; k++)
        fut_future_drop(&s[k].base);
    /* Dropping two notified waiters gave their slots back. */
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), -EAGAIN);
    fut_mpsc_sender_close(&tx);
    fut_mpsc_receiver_close(&rx);
    for (k = 0; k < 4; k++)
        ck_assert_int_eq(tw[k].live, 0);
}
END_TEST

/*
 * Cancellation is drop: send future A (behind a full buffer) is dropped
 * after _i polls, with waiter B queued behind it. The receiver frees a slot
 * after A's first poll. Whatever state A was in, B is eventually woken (a
 * notification A did not use passes on to B) and no waker is leaked.
 */
START_TEST(test_channel_mpsc_send_drop_after_n_polls)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_sender tx2;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_send a;
    struct fut_mpsc_send b;
    struct test_waker twa;
    struct test_waker twb;
    struct fut_context cxa;
    struct fut_context cxb;
    int v0 = 100;
    int va = 1;
    int vb = 2;
    int out = 0;

    test_waker_init(&twa);
    test_waker_init(&twb);
    cxa = test_cx(&twa, NULL);
    cxb = test_cx(&twb, NULL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof va, 1), 0);
    ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &tx2), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v0), 0);
    ck_assert_int_eq(fut_mpsc_send_init(&a, &tx, &va), 0);
    ck_assert_int_eq(fut_mpsc_send_init(&b, &tx2, &vb), 0);
    if (_i >= 1)
        ck_assert_int_eq(fut_future_poll(&a.base, &cxa), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&b.base, &cxb), FUT_PENDING);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 100);
    ck_assert_int_eq(twa.wakes, _i >= 1 ? 1 : 0);
    if (_i >= 2) {
        ck_assert_int_eq(fut_future_poll(&a.base, &cxa), FUT_READY);
        ck_assert_int_eq(a.res, 0);
    }
    if (_i >= 3)
        ck_assert_int_eq(fut_future_poll(&a.base, &cxa), FUT_READY);
    fut_future_drop(&a.base);
    ck_assert_int_eq(twa.live, 0);

    if (_i >= 2) {
        /* A sent: B still waits, and is woken when A's value is taken. */
        ck_assert_int_eq(twb.wakes, 0);
        ck_assert_int_eq(fut_future_poll(&b.base, &cxb), FUT_PENDING);
        ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
        ck_assert_int_eq(out, 1);
    }
    /* No lost wake-up: B has been woken, whatever happened to A. */
    ck_assert_int_eq(twb.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&b.base, &cxb), FUT_READY);
    ck_assert_int_eq(b.res, 0);
    fut_future_drop(&b.base);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 2);
    /* Cancel-safe: a dropped send that did not finish sent nothing. */
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), -EAGAIN);
    fut_mpsc_sender_close(&tx);
    fut_mpsc_sender_close(&tx2);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), -EPIPE);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(twa.live, 0);
    ck_assert_int_eq(twb.live, 0);
}
END_TEST

/* Like the test above, for the receive future (the value is sent after the
 * first poll, or for _i == 1 after the drop). */
START_TEST(test_channel_mpsc_recv_drop_after_n_polls)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_recv r;
    struct test_waker tw;
    struct fut_context cx;
    int in = 5;
    int out = 0;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof in, 2), 0);
    ck_assert_int_eq(fut_mpsc_recv_init(&r, &rx, &out), 0);
    if (_i >= 1) {
        ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
        ck_assert_int_eq(tw.live, 1);
    }
    if (_i == 1) {
        fut_future_drop(&r.base);
        ck_assert_int_eq(tw.live, 0); /* the drop deregistered it */
    }
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &in), 0);
    ck_assert_int_eq(tw.wakes, _i >= 2 ? 1 : 0);
    if (_i >= 2) {
        ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
        ck_assert_int_eq(r.res, 1);
        ck_assert_int_eq(out, 5);
    }
    if (_i >= 3)
        ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    if (_i != 1)
        fut_future_drop(&r.base);
    ck_assert_int_eq(tw.live, 0);
    out = 0;
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), _i >= 2 ? -EAGAIN : 0);
    ck_assert_int_eq(out, _i >= 2 ? 0 : 5);
    fut_mpsc_sender_close(&tx);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/*
 * The same for fut_stream_next over the receiver's stream: the next future
 * withdraws the waker it left in the channel through the stream's forget
 * slot, so for _i == 1 nothing is alive after the drop and the value sent
 * afterwards wakes nothing (and is not lost).
 */
START_TEST(test_channel_mpsc_stream_next_drop_after_n_polls)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_stream_next n;
    struct test_waker tw;
    struct fut_context cx;
    int in = 6;
    int out = 0;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof in, 2), 0);
    ck_assert_int_eq(fut_stream_next_init(&n, &rx.stream, &out), 0);
    if (_i >= 1) {
        ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_PENDING);
        ck_assert_int_eq(tw.live, 1);
    }
    if (_i == 1) {
        fut_future_drop(&n.base);
        ck_assert_int_eq(tw.live, 0); /* the drop deregistered it */
    }
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &in), 0);
    ck_assert_int_eq(tw.wakes, _i >= 2 ? 1 : 0);
    ck_assert_int_eq(tw.live, 0);
    if (_i >= 2) {
        ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_READY);
        ck_assert_int_eq(n.res, 1);
        ck_assert_int_eq(out, 6);
    }
    if (_i >= 3) {
        ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_READY);
        ck_assert_int_eq(n.res, 1);
    }
    if (_i != 1)
        fut_future_drop(&n.base);
    ck_assert_int_eq(tw.live, 0);
    out = 0;
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), _i >= 2 ? -EAGAIN : 0);
    ck_assert_int_eq(out, _i >= 2 ? 0 : 6);
    fut_mpsc_sender_close(&tx);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* ---- mpsc: closing ------------------------------------------------------- */

START_TEST(test_channel_mpsc_sender_close_wakes_receiver)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_sender tx2;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_recv r;
    struct test_waker tw;
    struct fut_context cx;
    int v = 8;
    int out = 0;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 2), 0);
    ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &tx2), 0);
    ck_assert_int_eq(fut_mpsc_recv_init(&r, &rx, &out), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
    fut_mpsc_sender_close(&tx);
    ck_assert_ptr_null(tx.chan);
    ck_assert_int_eq(tw.wakes, 0); /* a sender is left */
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
    fut_mpsc_sender_close(&tx2);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.res, 0);
    ck_assert_int_eq(fut_future_result(&r.base), -EPIPE);
    fut_future_drop(&r.base);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

START_TEST(test_channel_mpsc_end_after_drain)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_context cx = test_noop_cx();
    int v;
    int out;
    int res;

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 4), 0);
    for (v = 0; v < 3; v++)
        ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    fut_mpsc_sender_close(&tx);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), -EINVAL);
    for (v = 0; v < 3; v++) {
        ck_assert_int_eq(fut_mpsc_poll_recv(&rx, &cx, &out, &res), FUT_READY);
        ck_assert_int_eq(res, 1);
        ck_assert_int_eq(out, v);
    }
    ck_assert_int_eq(fut_mpsc_poll_recv(&rx, &cx, &out, &res), FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_mpsc_poll_recv(&rx, &cx, &out, &res), FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), -EPIPE);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

START_TEST(test_channel_mpsc_receiver_close_wakes_senders)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_send s[3];
    struct test_waker tw[3];
    struct fut_context cx[3];
    int v = 0;
    int out;
    int k;

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 2), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    for (k = 0; k < 3; k++) {
        test_waker_init(&tw[k]);
        cx[k] = test_cx(&tw[k], NULL);
        ck_assert_int_eq(fut_mpsc_send_init(&s[k], &tx, &v), 0);
        ck_assert_int_eq(fut_future_poll(&s[k].base, &cx[k]), FUT_PENDING);
    }
    /* One notified waiter, two not yet: all of them must hear of it. */
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(tw[0].wakes, 1);
    fut_mpsc_receiver_close(&rx);
    ck_assert_ptr_null(rx.chan);
    for (k = 0; k < 3; k++) {
        ck_assert_int_eq(tw[k].wakes, 1);
        ck_assert_int_eq(tw[k].live, 0);
        ck_assert_int_eq(fut_future_poll(&s[k].base, &cx[k]), FUT_READY);
        ck_assert_int_eq(s[k].res, -EPIPE);
        ck_assert_int_eq(fut_future_result(&s[k].base), -EPIPE);
        fut_future_drop(&s[k].base);
    }
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), -EPIPE);
    /* A send started after the close fails at once. */
    ck_assert_int_eq(fut_mpsc_send_init(&s[0], &tx, &v), 0);
    ck_assert_int_eq(fut_future_poll(&s[0].base, &cx[0]), FUT_READY);
    ck_assert_int_eq(s[0].res, -EPIPE);
    fut_future_drop(&s[0].base);
    ck_assert_int_eq(test_failalloc_live(), 1); /* the sender holds it */
    fut_mpsc_sender_close(&tx);
    ck_assert_int_eq(test_failalloc_live(), 0);
    for (k = 0; k < 3; k++)
        ck_assert_int_eq(tw[k].live, 0);
}
END_TEST

START_TEST(test_channel_mpsc_sender_close_with_waiting_send)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_sender tx2;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_send a;
    struct fut_mpsc_send b;
    struct test_waker twa;
    struct test_waker twb;
    struct fut_context cxa;
    struct fut_context cxb;
    int v = 1;
    int out;

    /* A's handle is closed while A waits with a notification it has not
     * used: A finishes with -EINVAL and the notification goes to B. */
    test_waker_init(&twa);
    test_waker_init(&twb);
    cxa = test_cx(&twa, NULL);
    cxb = test_cx(&twb, NULL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 1), 0);
    ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &tx2), 0);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), 0);
    ck_assert_int_eq(fut_mpsc_send_init(&a, &tx2, &v), 0);
    ck_assert_int_eq(fut_mpsc_send_init(&b, &tx, &v), 0);
    ck_assert_int_eq(fut_future_poll(&a.base, &cxa), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&b.base, &cxb), FUT_PENDING);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(twa.wakes, 1);
    ck_assert_int_eq(twb.wakes, 0);
    fut_mpsc_sender_close(&tx2);
    ck_assert_int_eq(twb.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&a.base, &cxa), FUT_READY);
    ck_assert_int_eq(a.res, -EINVAL);
    ck_assert_int_eq(fut_future_poll(&b.base, &cxb), FUT_READY);
    ck_assert_int_eq(b.res, 0);
    fut_future_drop(&a.base);
    fut_future_drop(&b.base);
    fut_mpsc_sender_close(&tx);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &out), -EPIPE);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(twa.live, 0);
    ck_assert_int_eq(twb.live, 0);
}
END_TEST

/* ---- mpsc: bad input and allocation failure ------------------------------ */

START_TEST(test_channel_mpsc_bad_input)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_sender tx2;
    struct fut_mpsc_receiver rx;
    struct fut_mpsc_send s;
    struct fut_mpsc_recv r;
    struct fut_context cx = test_noop_cx();
    int v = 1;
    int res = 99;

    ck_assert_int_eq(fut_mpsc_new(NULL, &rx, 4, 1), -EINVAL);
    ck_assert_ptr_null(rx.chan);
    ck_assert_int_eq(fut_mpsc_new(&tx, NULL, 4, 1), -EINVAL);
    ck_assert_ptr_null(tx.chan);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, 0, 1), -EINVAL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, 4, 0), -EINVAL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, TOO_BIG, 1), -EINVAL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, 1, TOO_BIG), -EINVAL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, (size_t)1 << 16,
                                  ((size_t)1 << 14) + 1), -EINVAL);
    /* capacity * elem_size overflows size_t to a small number. */
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, SIZE_MAX / 2 + 1, 2), -EINVAL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, 2, SIZE_MAX / 2 + 1), -EINVAL);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, SIZE_MAX, SIZE_MAX), -EINVAL);
    ck_assert_ptr_null(tx.chan);
    ck_assert_ptr_null(rx.chan);
    ck_assert_int_eq(test_failalloc_live(), 0);

    /* Closed handles (left so by the failed calls above). */
    ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &tx2), -EINVAL);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &v), -EINVAL);
    ck_assert_int_eq(fut_mpsc_send_init(&s, &tx, &v), -EINVAL);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &v), -EINVAL);
    ck_assert_int_eq(fut_mpsc_recv_init(&r, &rx, &v), -EINVAL);
    ck_assert_int_eq(fut_mpsc_poll_recv(&rx, &cx, &v, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    fut_mpsc_sender_close(&tx);
    fut_mpsc_receiver_close(&rx);

    /* NULL everywhere. */
    ck_assert_int_eq(fut_mpsc_sender_clone(NULL, &tx2), -EINVAL);
    ck_assert_int_eq(fut_mpsc_try_send(NULL, &v), -EINVAL);
    ck_assert_int_eq(fut_mpsc_try_recv(NULL, &v), -EINVAL);
    ck_assert_int_eq(fut_mpsc_send_init(NULL, &tx, &v), -EINVAL);
    ck_assert_int_eq(fut_mpsc_recv_init(NULL, &rx, &v), -EINVAL);
    res = 99;
    ck_assert_int_eq(fut_mpsc_poll_recv(NULL, &cx, &v, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    fut_mpsc_sender_close(NULL);
    fut_mpsc_receiver_close(NULL);

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof v, 2), 0);
    ck_assert_int_eq(fut_mpsc_sender_clone(&tx, NULL), -EINVAL);
    ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &tx), -EINVAL);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, NULL), -EINVAL);
    ck_assert_int_eq(fut_mpsc_send_init(&s, NULL, &v), -EINVAL);
    ck_assert_int_eq(fut_mpsc_send_init(&s, &tx, NULL), -EINVAL);
    /* A failed init leaves an inert future. */
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    fut_future_drop(&s.base);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, NULL), -EINVAL);
    ck_assert_int_eq(fut_mpsc_recv_init(&r, NULL, &v), -EINVAL);
    ck_assert_int_eq(fut_mpsc_recv_init(&r, &rx, NULL), -EINVAL);
    fut_future_drop(&r.base);
    ck_assert_int_eq(fut_mpsc_poll_recv(&rx, &cx, &v, NULL), FUT_READY);
    res = 99;
    ck_assert_int_eq(fut_mpsc_poll_recv(&rx, NULL, &v, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    res = 99;
    ck_assert_int_eq(fut_mpsc_poll_recv(&rx, &cx, NULL, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    /* Nothing above changed the channel. */
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &v), -EAGAIN);

    /* Futures whose handle was closed under them report -EINVAL. */
    ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &tx2), 0);
    ck_assert_int_eq(fut_mpsc_send_init(&s, &tx2, &v), 0);
    ck_assert_int_eq(fut_mpsc_recv_init(&r, &rx, &v), 0);
    fut_mpsc_sender_close(&tx2);
    fut_mpsc_receiver_close(&rx);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(s.res, -EINVAL);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.res, -EINVAL);
    ck_assert_int_eq(fut_future_result(&r.base), -EINVAL);
    fut_future_drop(&s.base);
    fut_future_drop(&r.base);
    fut_mpsc_sender_close(&tx);
}
END_TEST

START_TEST(test_channel_mpsc_nomem)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;

    test_failalloc_fail_after(0);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, 8, 16), -ENOMEM);
    ck_assert_ptr_null(tx.chan);
    ck_assert_ptr_null(rx.chan);
    test_failalloc_fail_after(-1);
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, 8, 16), 0);
    fut_mpsc_receiver_close(&rx);
    fut_mpsc_sender_close(&tx);
}
END_TEST

/* ---- mpsc: threads ------------------------------------------------------- */

#define NPROD 4
#define NVALS 5000

struct producer {
    struct fut_mpsc_sender tx;
    uint32_t id;
    uint32_t sent;
    int err; /* the first unexpected result, or 0 */
    int stop_on_epipe;
};

static void *
producer_thread(void *arg)
{
    struct producer *p = arg;
    struct fut_mpsc_send s;
    struct item it;

    for (p->sent = 0; p->sent < NVALS; p->sent++) {
        it = make_item(p->id, p->sent);
        if (fut_mpsc_send_init(&s, &p->tx, &it) != 0) {
            p->err = -EINVAL;
            break;
        }
        block_on_parked(&s.base);
        fut_future_drop(&s.base);
        if (s.res == -EPIPE && p->stop_on_epipe)
            break;
        if (s.res != 0) {
            p->err = s.res;
            break;
        }
    }
    fut_mpsc_sender_close(&p->tx);
    return NULL;
}

START_TEST(test_channel_mpsc_cross_thread)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct producer prod[NPROD];
    pthread_t th[NPROD];
    uint32_t next[NPROD] = { 0 };
    struct fut_mpsc_recv r;
    struct item it;
    long total = 0;
    int k;

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(struct item), 8), 0);
    for (k = 0; k < NPROD; k++) {
        prod[k].id = (uint32_t)k;
        prod[k].err = 0;
        prod[k].stop_on_epipe = 0;
        ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &prod[k].tx), 0);
    }
    fut_mpsc_sender_close(&tx);
    for (k = 0; k < NPROD; k++)
        ck_assert_int_eq(
            pthread_create(&th[k], NULL, producer_thread, &prod[k]), 0);
    for (;;) {
        ck_assert_int_eq(fut_mpsc_recv_init(&r, &rx, &it), 0);
        block_on_parked(&r.base);
        fut_future_drop(&r.base);
        if (r.res == 0)
            break;
        ck_assert_int_eq(r.res, 1);
        ck_assert_uint_lt(it.id, NPROD);
        /* Each producer's values arrive intact and in its order. */
        check_item(&it, it.id, next[it.id]);
        next[it.id]++;
        total++;
    }
    for (k = 0; k < NPROD; k++) {
        ck_assert_int_eq(pthread_join(th[k], NULL), 0);
        ck_assert_int_eq(prod[k].err, 0);
        ck_assert_uint_eq(next[k], NVALS);
    }
    ck_assert_int_eq(total, (long)NPROD * NVALS);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

START_TEST(test_channel_mpsc_cross_thread_receiver_close)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct producer prod[NPROD];
    pthread_t th[NPROD];
    struct item it;
    int got = 0;
    int k;

    /* Producers blocked on a full channel all learn that the receiver went
     * away, whenever it happens. */
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(struct item), 2), 0);
    for (k = 0; k < NPROD; k++) {
        prod[k].id = (uint32_t)k;
        prod[k].err = 0;
        prod[k].stop_on_epipe = 1;
        ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &prod[k].tx), 0);
    }
    fut_mpsc_sender_close(&tx);
    for (k = 0; k < NPROD; k++)
        ck_assert_int_eq(
            pthread_create(&th[k], NULL, producer_thread, &prod[k]), 0);
    while (got < 1000) {
        int err = fut_mpsc_try_recv(&rx, &it);

        if (err == -EAGAIN)
            continue;
        ck_assert_int_eq(err, 0);
        got++;
    }
    fut_mpsc_receiver_close(&rx);
    for (k = 0; k < NPROD; k++) {
        ck_assert_int_eq(pthread_join(th[k], NULL), 0);
        ck_assert_int_eq(prod[k].err, 0);
        ck_assert_uint_lt(prod[k].sent, NVALS);
    }
}
END_TEST

/*
 * Threads that hammer the channel lock: producers retry try_send on a
 * channel of one slot without waiting, while this thread retries try_recv
 * and a cloner thread clones and closes senders all along. The lock is
 * contended most of the time, so takers go through its spin-then-yield
 * path; every value still arrives once, in each producer's order, and the
 * channel ends when the last sender closes.
 */
#define NHAMMER 3

/* Values per hammer thread: fewer under valgrind, which runs one thread at
 * a time (FUT_TEST_SLOW), where every hand-over is a thread switch. */
static uint32_t nhammer_vals;

struct hammer {
    struct fut_mpsc_sender tx;
    uint32_t id;
    int err;
};

static void *
hammer_thread(void *arg)
{
    struct hammer *h = arg;
    uint32_t seq;

    for (seq = 0; seq < nhammer_vals; seq++) {
        struct item it = make_item(h->id, seq);
        int err;

        while ((err = fut_mpsc_try_send(&h->tx, &it)) == -EAGAIN)
            sched_yield(); /* valgrind runs one thread at a time */
        if (err != 0) {
            h->err = err;
            break;
        }
    }
    fut_mpsc_sender_close(&h->tx);
    return NULL;
}

struct cloner {
    struct fut_mpsc_sender tx;
    int stop;
    long clones;
    int err;
};

static void *
cloner_thread(void *arg)
{
    struct cloner *c = arg;

    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
        struct fut_mpsc_sender extra;

        if (fut_mpsc_sender_clone(&c->tx, &extra) != 0) {
            c->err = -EINVAL;
            break;
        }
        fut_mpsc_sender_close(&extra);
        c->clones++;
        sched_yield();
    }
    fut_mpsc_sender_close(&c->tx);
    return NULL;
}

START_TEST(test_channel_mpsc_contended_lock)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct hammer h[NHAMMER];
    struct cloner cl;
    pthread_t th[NHAMMER], cth;
    uint32_t next[NHAMMER] = { 0 };
    struct item it;
    long total = 0;
    int k, err;

    nhammer_vals = getenv("FUT_TEST_SLOW") != NULL ? 200 : 3000;
    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(struct item), 1), 0);
    for (k = 0; k < NHAMMER; k++) {
        h[k].id = (uint32_t)k;
        h[k].err = 0;
        ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &h[k].tx), 0);
    }
    cl.stop = 0;
    cl.clones = 0;
    cl.err = 0;
    ck_assert_int_eq(fut_mpsc_sender_clone(&tx, &cl.tx), 0);
    fut_mpsc_sender_close(&tx);
    ck_assert_int_eq(pthread_create(&cth, NULL, cloner_thread, &cl), 0);
    for (k = 0; k < NHAMMER; k++)
        ck_assert_int_eq(pthread_create(&th[k], NULL, hammer_thread, &h[k]),
                         0);
    while (total < (long)NHAMMER * (long)nhammer_vals) {
        err = fut_mpsc_try_recv(&rx, &it);
        if (err == -EAGAIN) {
            sched_yield();
            continue;
        }
        ck_assert_int_eq(err, 0);
        ck_assert_uint_lt(it.id, NHAMMER);
        check_item(&it, it.id, next[it.id]);
        next[it.id]++;
        total++;
    }
    for (k = 0; k < NHAMMER; k++) {
        ck_assert_int_eq(pthread_join(th[k], NULL), 0);
        ck_assert_int_eq(h[k].err, 0);
        ck_assert_uint_eq(next[k], nhammer_vals);
    }
    /* The cloner's sender keeps the channel open until it stops. */
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &it), -EAGAIN);
    __atomic_store_n(&cl.stop, 1, __ATOMIC_RELEASE);
    ck_assert_int_eq(pthread_join(cth, NULL), 0);
    ck_assert_int_eq(cl.err, 0);
    ck_assert_int_eq(fut_mpsc_try_recv(&rx, &it), -EPIPE);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

Suite *
fut_test_channel_suite(void)
{
    Suite *s = suite_create("channel");
    TCase *tc;

    tc = new_tcase("oneshot_send_recv");
    tcase_add_test(tc, test_channel_oneshot_send_recv);
    suite_add_tcase(s, tc);
    tc = new_tcase("oneshot_recv_future");
    tcase_add_test(tc, test_channel_oneshot_recv_future);
    tcase_add_test(tc, test_channel_oneshot_ready_at_first_poll);
    suite_add_tcase(s, tc);
    tc = new_tcase("oneshot_close");
    tcase_add_test(tc, test_channel_oneshot_sender_close_wakes);
    tcase_add_test(tc, test_channel_oneshot_receiver_close);
    tcase_add_test(tc, test_channel_oneshot_value_discarded_on_close);
    suite_add_tcase(s, tc);
    tc = new_tcase("oneshot_bad_input");
    tcase_add_test(tc, test_channel_oneshot_bad_input);
    tcase_add_test(tc, test_channel_oneshot_nomem);
    suite_add_tcase(s, tc);
    tc = new_tcase("oneshot_drop");
    tcase_add_loop_test(tc, test_channel_oneshot_recv_drop_after_n_polls, 0,
                        4);
    suite_add_tcase(s, tc);
    tc = new_tcase("oneshot_cross_thread");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_channel_oneshot_cross_thread);
    suite_add_tcase(s, tc);

    tc = new_tcase("mpsc_values");
    tcase_add_test(tc, test_channel_mpsc_values_in_order);
    tcase_add_test(tc, test_channel_mpsc_capacity);
    tcase_add_test(tc, test_channel_mpsc_elem_sizes);
    suite_add_tcase(s, tc);
    tc = new_tcase("mpsc_recv");
    tcase_add_test(tc, test_channel_mpsc_recv_future);
    tcase_add_test(tc, test_channel_mpsc_stream);
    suite_add_tcase(s, tc);
    tc = new_tcase("mpsc_send_wait");
    tcase_add_test(tc, test_channel_mpsc_send_waits_for_room);
    suite_add_tcase(s, tc);
    tc = new_tcase("mpsc_fifo");
    tcase_add_test(tc, test_channel_mpsc_send_fifo);
    tcase_add_test(tc, test_channel_mpsc_send_fifo_many_slots);
    suite_add_tcase(s, tc);
    tc = new_tcase("mpsc_drop");
    tcase_add_loop_test(tc, test_channel_mpsc_send_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tc, test_channel_mpsc_recv_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tc, test_channel_mpsc_stream_next_drop_after_n_polls,
                        0, 4);
    suite_add_tcase(s, tc);
    tc = new_tcase("mpsc_close");
    tcase_add_test(tc, test_channel_mpsc_sender_close_wakes_receiver);
    tcase_add_test(tc, test_channel_mpsc_end_after_drain);
    tcase_add_test(tc, test_channel_mpsc_receiver_close_wakes_senders);
    tcase_add_test(tc, test_channel_mpsc_sender_close_with_waiting_send);
    suite_add_tcase(s, tc);
    tc = new_tcase("mpsc_bad_input");
    tcase_add_test(tc, test_channel_mpsc_bad_input);
    tcase_add_test(tc, test_channel_mpsc_nomem);
    suite_add_tcase(s, tc);
    tc = new_tcase("mpsc_cross_thread");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_channel_mpsc_cross_thread);
    tcase_add_test(tc, test_channel_mpsc_cross_thread_receiver_close);
    tcase_add_test(tc, test_channel_mpsc_contended_lock);
    suite_add_tcase(s, tc);
    return s;
}
