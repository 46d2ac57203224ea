/* SPDX-License-Identifier: MIT */
/* Unit tests: async frames (FUT_ASYNC_FN, FUT_AWAIT_CHILD, FUT_FINALLY...). */
#include <errno.h>
#include <string.h>

#include "suites.h"
#include "support.h"

/*
 * A framed future that awaits three leaves (two of them sharing storage),
 * a yield and a poll expression. `mode` picks its exit: the end, an early
 * FUT_RETURN, a FUT_AWAIT_TRY on a failing child, or a child whose init
 * fails. Everything it does is counted outside it, so the counts survive
 * the drop.
 */
enum flow_mode { FLOW_END, FLOW_RETURN, FLOW_TRY_FAILS, FLOW_INIT_FAILS };

struct flow_log {
    int inits;          /* leaves initialised */
    int cleanups;       /* runs of the cleanup block */
    int live_at_cleanup; /* leaves not yet dropped when the cleanup ran */
    int step;           /* awaits completed */
    int res[3];
    int b_value;        /* the second leaf's typed output, read after it */
    int polled_expr;
    struct test_drop_log drops;
};

struct flow {
    FUT_FRAME;
    enum flow_mode mode;
    struct flow_log *log;
    int ticks;          /* for the poll expression */
    union {             /* only one is live at a time */
        struct test_leaf a;
        struct test_leaf b;
    } u;
    struct test_leaf c;
};

static int
leaf_start(struct flow *f, struct test_leaf *l, int pending, int value)
{
    f->log->inits++;
    test_leaf_init(l, pending, value, &f->log->drops);
    return 0;
}

/* READY on the second poll (after waking its task). */
static enum fut_poll
tick_poll(struct flow *f, struct fut_context *cx)
{
    if (++f->ticks < 2) {
        fut_waker_wake_by_ref(cx->waker);
        return FUT_PENDING;
    }
    f->log->polled_expr = 1;
    return FUT_READY;
}

FUT_ASYNC_FN(flow, struct flow, f, cx)
{
    int r;

    FUT_BEGIN(f, cx);
    FUT_AWAIT_CHILD(r, &f->u.a, leaf_start(f, &f->u.a, 1, 0));
    f->log->res[0] = r;
    f->log->step = 1;
    if (f->mode == FLOW_INIT_FAILS) {
        FUT_AWAIT_CHILD(r, &f->u.b, -EINVAL);
        f->log->res[1] = r;
        FUT_RETURN(r);
    }
    if (f->mode == FLOW_TRY_FAILS)
        FUT_AWAIT_TRY(&f->u.b, leaf_start(f, &f->u.b, 1, -EIO));
    FUT_AWAIT_CHILD(r, &f->u.b, leaf_start(f, &f->u.b, 2, 7));
    f->log->res[1] = r;
    f->log->b_value = f->u.b.value; /* still live: its output is readable */
    f->log->step = 2;
    if (f->mode == FLOW_RETURN)
        FUT_RETURN(-ETIMEDOUT);
    FUT_YIELD_NOW();
    FUT_AWAIT_POLL(tick_poll(f, cx));
    FUT_AWAIT_CHILD(r, &f->c, leaf_start(f, &f->c, 1, 0));
    f->log->res[2] = r;
    f->log->step = 3;
    FUT_FINALLY;
    f->log->cleanups++;
    f->log->live_at_cleanup = f->log->inits - f->log->drops.drops;
    FUT_END;
}

static void
flow_init(struct flow *f, enum flow_mode mode, struct flow_log *log)
{
    memset(f, 0, sizeof *f);
    FUT_FRAME_INIT(f, flow);
    f->mode = mode;
    f->log = log;
}

/* Poll by hand until READY (at most 100 polls). */
static int
poll_to_end(struct fut_future *f, struct fut_context *cx)
{
    int i;

    for (i = 0; i < 100; i++)
        if (fut_future_poll(f, cx) == FUT_READY)
            return 1;
    return 0;
}

START_TEST(test_frame_runs_to_end)
{
    struct test_waker tw;
    struct fut_context cx;
    struct flow f;
    struct flow_log log;

    memset(&log, 0, sizeof log);
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    flow_init(&f, FLOW_END, &log);
    ck_assert(poll_to_end(&f.base, &cx));
    ck_assert_int_eq(log.step, 3);
    ck_assert_int_eq(log.res[0], 0);
    ck_assert_int_eq(log.res[1], 0);
    ck_assert_int_eq(log.b_value, 7);
    ck_assert_int_eq(log.polled_expr, 1);
    ck_assert_int_eq(fut_future_result(&f.base), 0);
    /* Each child was dropped at the next await, the last one first thing
     * at the end, before the cleanup block ran. */
    ck_assert_int_eq(log.inits, 3);
    ck_assert_int_eq(log.drops.drops, 3);
    ck_assert_int_eq(log.cleanups, 1);
    ck_assert_int_eq(log.live_at_cleanup, 0);
    /* Fused: READY again, nothing runs again. */
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    fut_future_drop(&f.base);
    ck_assert_int_eq(log.cleanups, 1);
    ck_assert_int_eq(log.drops.drops, 3);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_frame_early_return)
{
    struct test_waker tw;
    struct fut_context cx;
    struct flow f;
    struct flow_log log;

    memset(&log, 0, sizeof log);
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    flow_init(&f, FLOW_RETURN, &log);
    ck_assert(poll_to_end(&f.base, &cx));
    ck_assert_int_eq(log.step, 2);
    ck_assert_int_eq(fut_future_result(&f.base), -ETIMEDOUT);
    ck_assert_int_eq(log.inits, 2);
    ck_assert_int_eq(log.drops.drops, 2);
    ck_assert_int_eq(log.cleanups, 1);
    ck_assert_int_eq(log.live_at_cleanup, 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(log.cleanups, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_frame_try_returns_child_error)
{
    struct test_waker tw;
    struct fut_context cx;
    struct flow f;
    struct flow_log log;

    memset(&log, 0, sizeof log);
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    flow_init(&f, FLOW_TRY_FAILS, &log);
    ck_assert(poll_to_end(&f.base, &cx));
    ck_assert_int_eq(log.step, 1);
    ck_assert_int_eq(fut_future_result(&f.base), -EIO);
    ck_assert_int_eq(log.inits, 2);
    ck_assert_int_eq(log.drops.drops, 2);
    ck_assert_int_eq(log.cleanups, 1);
    fut_future_drop(&f.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_frame_init_error_is_the_result)
{
    struct test_waker tw;
    struct fut_context cx;
    struct flow f;
    struct flow_log log;

    memset(&log, 0, sizeof log);
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    flow_init(&f, FLOW_INIT_FAILS, &log);
    ck_assert(poll_to_end(&f.base, &cx));
    ck_assert_int_eq(log.res[1], -EINVAL);
    ck_assert_int_eq(fut_future_result(&f.base), -EINVAL);
    /* The failed init left no child: the first leaf alone was dropped. */
    ck_assert_int_eq(log.inits, 1);
    ck_assert_int_eq(log.drops.drops, 1);
    ck_assert_int_eq(log.cleanups, 1);
    fut_future_drop(&f.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* Dropped after _i polls, in every mode: the live child is dropped once,
 * the cleanup block runs once, no waker clone is left. _i = 0 is a drop
 * before the first poll. */
START_TEST(test_frame_drop_in_every_state)
{
    enum flow_mode mode;

    for (mode = FLOW_END; mode <= FLOW_INIT_FAILS; mode++) {
        struct test_waker tw;
        struct fut_context cx;
        struct flow f;
        struct flow_log log;
        int i;

        memset(&log, 0, sizeof log);
        test_waker_init(&tw);
        cx = test_cx(&tw, NULL);
        flow_init(&f, mode, &log);
        for (i = 0; i < _i; i++)
            if (fut_future_poll(&f.base, &cx) == FUT_READY)
                break;
        fut_future_drop(&f.base);
        ck_assert_int_eq(log.cleanups, 1);
        ck_assert_int_eq(log.drops.drops, log.inits);
        ck_assert_int_eq(log.live_at_cleanup, 0);
        ck_assert_int_eq(tw.live, 0);
        /* A dropped future: READY, and a second drop does nothing. */
        ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
        fut_future_drop(&f.base);
        ck_assert_int_eq(log.cleanups, 1);
    }
}
END_TEST

/* A body without a cleanup block: early return and drop still drop the
 * child. */
struct bare {
    FUT_FRAME;
    struct test_drop_log *drops;
    struct test_leaf leaf;
    int stop;
};

FUT_ASYNC_FN(bare, struct bare, b, cx)
{
    int r;

    FUT_BEGIN(b, cx);
    FUT_AWAIT_CHILD(r, &b->leaf, (test_leaf_init(&b->leaf, 1, 0, b->drops), 0));
    if (b->stop)
        FUT_RETURN(r - 5);
    FUT_AWAIT_CHILD(r, &b->leaf, (test_leaf_init(&b->leaf, -1, 0, b->drops), 0));
    FUT_END;
}

START_TEST(test_frame_without_cleanup_block)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log drops = { 0, 0 };
    struct bare b;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    memset(&b, 0, sizeof b);
    FUT_FRAME_INIT(&b, bare);
    b.drops = &drops;
    b.stop = 1;
    ck_assert(poll_to_end(&b.base, &cx));
    ck_assert_int_eq(fut_future_result(&b.base), -5);
    ck_assert_int_eq(drops.drops, 1);
    fut_future_drop(&b.base);

    /* Pending forever on the second leaf: the drop drops it. */
    drops.drops = 0;
    memset(&b, 0, sizeof b);
    FUT_FRAME_INIT(&b, bare);
    b.drops = &drops;
    ck_assert_int_eq(fut_future_poll(&b.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&b.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&b.base, &cx), FUT_PENDING);
    ck_assert_int_eq(drops.drops, 1);
    ck_assert_int_gt(tw.live, 0);
    fut_future_drop(&b.base);
    ck_assert_int_eq(drops.drops, 2);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* FUT_SPAWN_WITH: a refused spawn drops the future (its cleanup runs).
 * The conformance suite runs an accepted one on each backend. */
static void
flow_start(struct flow *f, struct flow_log *log)
{
    flow_init(f, FLOW_RETURN, log);
}

START_TEST(test_frame_spawn_with)
{
    struct fut_task *t = NULL;
    struct flow_log log;
    int err = 1;

    memset(&log, 0, sizeof log);
    FUT_SPAWN_WITH(err, NULL, &t, struct flow, flow_start, &log);
    ck_assert_int_eq(err, -EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(log.cleanups, 1);
    ck_assert_int_eq(log.inits, 0);
}
END_TEST

/* FUT_FRAME_VALUE and FUT_SPAWN_NEW: a fresh future from designated
 * initializers; a refused FUT_SPAWN_NEW drops it (its cleanup runs). */
START_TEST(test_frame_value_and_spawn_new)
{
    struct test_waker tw;
    struct fut_context cx;
    struct flow_log log;
    struct flow f;
    struct fut_task *t = NULL;
    int err = 1;

    memset(&log, 0, sizeof log);
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    f = FUT_FRAME_VALUE(flow, .mode = FLOW_RETURN, .log = &log);
    ck_assert_ptr_eq(f.base.vtable, &flow_vtable);
    ck_assert_int_eq(f.frame.state, 0);
    ck_assert_ptr_null(f.frame.child);
    ck_assert(poll_to_end(&f.base, &cx));
    ck_assert_int_eq(fut_future_result(&f.base), -ETIMEDOUT);
    fut_future_drop(&f.base);
    ck_assert_int_eq(log.cleanups, 1);
    ck_assert_int_eq(tw.live, 0);

    memset(&log, 0, sizeof log);
    FUT_SPAWN_NEW(err, NULL, &t, flow, .mode = FLOW_END, .log = &log);
    ck_assert_int_eq(err, -EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(log.cleanups, 1);
}
END_TEST

START_TEST(test_frame_bad_input)
{
    /* The generic drop ignores NULL; the result of a fresh frame is 0. */
    struct flow f;
    struct flow_log log;

    fut_frame_drop(NULL, NULL);
    memset(&log, 0, sizeof log);
    flow_init(&f, FLOW_END, &log);
    ck_assert_int_eq(fut_frame_result(&f.base), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(log.cleanups, 1);
}
END_TEST

Suite *
fut_test_frame_suite(void)
{
    Suite *s = suite_create("frame");
    TCase *tc = tcase_create("frame");

    tcase_add_test(tc, test_frame_runs_to_end);
    tcase_add_test(tc, test_frame_early_return);
    tcase_add_test(tc, test_frame_try_returns_child_error);
    tcase_add_test(tc, test_frame_init_error_is_the_result);
    tcase_add_loop_test(tc, test_frame_drop_in_every_state, 0, 14);
    tcase_add_test(tc, test_frame_without_cleanup_block);
    tcase_add_test(tc, test_frame_spawn_with);
    tcase_add_test(tc, test_frame_value_and_spawn_new);
    tcase_add_test(tc, test_frame_bad_input);
    suite_add_tcase(s, tc);
    return s;
}
