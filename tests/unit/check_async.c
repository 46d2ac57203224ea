/* SPDX-License-Identifier: MIT */
/* Unit tests: straight-line futures written with FUT_ASYNC_BEGIN / FUT_AWAIT. */
#include <string.h>

#include "suites.h"
#include "support.h"

/* Awaits three leaves in a loop, then a yield, recording its progress. */
struct seq {
    struct fut_future base;
    int state;
    int i;
    int trace[8];
    int ntrace;
    struct test_leaf leaf;
    struct test_drop_log *log;
};

static enum fut_poll
seq_poll(struct fut_future *f, struct fut_context *cx)
{
    struct seq *s = (struct seq *)f;

    FUT_ASYNC_BEGIN(&s->state);
    for (s->i = 0; s->i < 3; s->i++) {
        test_leaf_init(&s->leaf, s->i, s->i, s->log);
        FUT_AWAIT_FUTURE(&s->state, &s->leaf.base, cx);
        fut_future_drop(&s->leaf.base);
        s->trace[s->ntrace++] = s->i;
    }
    FUT_YIELD(&s->state, cx);
    s->trace[s->ntrace++] = 100;
    if (s->ntrace == 4)
        FUT_ASYNC_RETURN(&s->state);
    s->trace[s->ntrace++] = -1; /* not reached */
    FUT_ASYNC_END(&s->state);
}

static void
seq_drop(struct fut_future *f)
{
    fut_future_drop(&((struct seq *)f)->leaf.base);
}

static const struct fut_future_vtable seq_vtable = {
    .poll = seq_poll, .drop = seq_drop, .result = NULL,
};

static void
seq_init(struct seq *s, struct test_drop_log *log)
{
    memset(s, 0, sizeof *s);
    s->base.vtable = &seq_vtable;
    s->log = log;
}

START_TEST(test_async_runs_in_order)
{
    struct seq s;
    struct test_drop_log log = { 0, 0 };
    struct test_waker tw;
    struct fut_context cx;
    int polls;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    seq_init(&s, &log);
    /* Leaves pend 0, 1 and 2 times and a ready leaf lets the body go on in
     * the same poll, so: 1 (leaf 0 ready, leaf 1 pends), 2 (leaf 2 pends),
     * 3 (pends), 4 (leaf 2 ready, yield), 5 (done). */
    polls = test_poll_until_ready(&s.base, &cx, 20);
    ck_assert_int_eq(polls, 5);
    ck_assert_int_eq(s.ntrace, 4);
    ck_assert_int_eq(s.trace[0], 0);
    ck_assert_int_eq(s.trace[1], 1);
    ck_assert_int_eq(s.trace[2], 2);
    ck_assert_int_eq(s.trace[3], 100);
    ck_assert_int_eq(s.state, FUT_ASYNC_DONE);
    ck_assert_int_eq(tw.wakes, 1); /* the yield woke us */
    /* Fused: READY again, nothing re-run. */
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(s.ntrace, 4);
    fut_future_drop(&s.base);
    ck_assert_int_eq(log.drops, 3);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_async_drop_after_n_polls)
{
    struct seq s;
    struct test_drop_log log = { 0, 0 };
    struct test_waker tw;
    struct fut_context cx;
    int i;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    seq_init(&s, &log);
    for (i = 0; i < _i; i++)
        if (fut_future_poll(&s.base, &cx) == FUT_READY)
            break;
    fut_future_drop(&s.base);
    /* Every leaf that was started was dropped exactly once, and no waker
     * clone survived the drop. */
    ck_assert_int_eq(log.drops, s.ntrace < 3 ? s.ntrace + (_i > 0) : 3);
    ck_assert_int_eq(tw.live, 0);
    fut_future_drop(&s.base); /* twice: no-op */
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
}
END_TEST

Suite *
fut_test_async_suite(void)
{
    Suite *s = suite_create("async");
    TCase *tc = tcase_create("straight_line");

    tcase_add_test(tc, test_async_runs_in_order);
    tcase_add_loop_test(tc, test_async_drop_after_n_polls, 0, 8);
    suite_add_tcase(s, tc);
    return s;
}
