/* SPDX-License-Identifier: MIT */
/* Unit tests of the combinators, polled by hand with test doubles. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "support.h"
#include "suites.h"

/* A deadline far enough ahead never to pass during a test. */
#define FAR_NS (3600 * FUT_NSEC_PER_SEC)

/* ---- helpers ------------------------------------------------------------ */

/* Records what a map or then function saw. */
struct probe {
    int calls;
    int inner_ready;  /* the inner was READY (not yet dropped) at the call */
    int inner_result;
    int ret;          /* what the map function returns */
};

static int
probe_map(struct fut_future *inner, void *arg)
{
    struct probe *p = arg;
    struct test_leaf *l = (struct test_leaf *)inner;

    p->calls++;
    p->inner_ready = l->ready && inner->vtable != NULL;
    p->inner_result = fut_future_result(inner);
    return p->ret;
}

/* A then function that starts `second` (a leaf) or fails with `err`. */
struct then_plan {
    struct probe probe;
    struct test_leaf second;
    struct test_drop_log second_log;
    int second_pending;
    int second_value;
    int err;
    int give_null;    /* return 0 with no next future (a broken fn) */
    int started;
};

static int
plan_then(struct fut_future *first, void *arg, struct fut_future **next)
{
    struct then_plan *p = arg;

    probe_map(first, &p->probe);
    if (p->err != 0)
        return p->err;
    if (p->give_null)
        return 0;
    test_leaf_init(&p->second, p->second_pending, p->second_value,
                   &p->second_log);
    p->started = 1;
    *next = &p->second.base;
    return 0;
}

/* A scripted stream of ints: PENDING `pending` times (storing the waker),
 * then the items of `items`, then `end` (0 for the end, or an error). */
struct int_stream {
    struct fut_stream stream;
    int pending;
    const int *items;
    int nitems;
    int pos;
    int end;
    int polls;
    struct fut_waker waker;
};

static enum fut_poll
int_stream_poll_next(struct fut_stream *s, struct fut_context *cx,
                     void *item, int *res)
{
    struct int_stream *is = (struct int_stream *)s;

    is->polls++;
    if (is->pending > 0) {
        is->pending--;
        fut_waker_set(&is->waker, cx->waker);
        return FUT_PENDING;
    }
    if (is->pos < is->nitems) {
        *(int *)item = is->items[is->pos++];
        *res = 1;
    } else {
        *res = is->end;
    }
    return FUT_READY;
}

static const struct fut_stream_vtable int_stream_vtable = {
    .version = 1,
    .poll_next = int_stream_poll_next,
};

static void
int_stream_init(struct int_stream *is, int pending, const int *items,
                int nitems, int end)
{
    memset(is, 0, sizeof *is);
    is->stream.vtable = &int_stream_vtable;
    is->pending = pending;
    is->items = items;
    is->nitems = nitems;
    is->end = end;
}

/* ---- ready -------------------------------------------------------------- */

START_TEST(test_combinators_ready)
{
    struct test_waker tw;
    struct fut_context cx;
    struct fut_ready r;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_ready_init(&r, 42), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.value, 42);
    ck_assert_int_eq(fut_future_result(&r.base), 0);
    /* Fused: READY again with the same output. */
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.value, 42);
    fut_future_drop(&r.base);
    ck_assert_ptr_null(r.base.vtable);

    ck_assert_int_eq(fut_ready_init(&r, -ENOENT), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(fut_future_result(&r.base), -ENOENT);
    fut_future_drop(&r.base);
    ck_assert_int_eq(tw.wakes, 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_ready_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct fut_ready r;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_ready_init(&r, 7), 0);
    for (k = 0; k < _i; k++)
        ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    fut_future_drop(&r.base);
    fut_future_drop(&r.base); /* idempotent */
    ck_assert_int_eq(r.value, 7);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* ---- pending ------------------------------------------------------------ */

START_TEST(test_combinators_pending)
{
    struct test_waker tw;
    struct fut_context cx;
    struct fut_pending p;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_pending_init(&p), 0);
    for (k = 0; k < 5; k++)
        ck_assert_int_eq(fut_future_poll(&p.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.wakes, 0);
    ck_assert_int_eq(tw.clones, 0);
    fut_future_drop(&p.base);
    ck_assert_ptr_null(p.base.vtable);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_pending_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct fut_pending p;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_pending_init(&p), 0);
    for (k = 0; k < _i; k++)
        ck_assert_int_eq(fut_future_poll(&p.base, &cx), FUT_PENDING);
    fut_future_drop(&p.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* ---- yield -------------------------------------------------------------- */

START_TEST(test_combinators_yield)
{
    struct test_waker tw;
    struct fut_context cx;
    struct fut_yield y;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_yield_init(&y), 0);
    ck_assert_int_eq(fut_future_poll(&y.base, &cx), FUT_PENDING);
    /* PENDING is honest: the waker was woken before it was returned. */
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&y.base, &cx), FUT_READY);
    ck_assert_int_eq(fut_future_poll(&y.base, &cx), FUT_READY);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_future_result(&y.base), 0);
    fut_future_drop(&y.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_yield_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct fut_yield y;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_yield_init(&y), 0);
    for (k = 0; k < _i; k++)
        (void)fut_future_poll(&y.base, &cx);
    fut_future_drop(&y.base);
    ck_assert_int_eq(tw.wakes, _i > 0 ? 1 : 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* ---- map ---------------------------------------------------------------- */

START_TEST(test_combinators_map)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf leaf;
    struct fut_map m;
    struct probe p = { 0, 0, 0, -EPROTO };

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&leaf, 2, -ENOENT, &log);
    ck_assert_int_eq(fut_map_init(&m, &leaf.base, probe_map, &p), 0);
    ck_assert_int_eq(fut_future_poll(&m.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1); /* the leaf holds a clone */
    test_leaf_wake(&leaf);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&m.base, &cx), FUT_PENDING);
    ck_assert_int_eq(p.calls, 0);
    ck_assert_int_eq(fut_future_poll(&m.base, &cx), FUT_READY);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_int_eq(p.inner_ready, 1);
    ck_assert_int_eq(p.inner_result, -ENOENT);
    ck_assert_int_eq(m.result, -EPROTO);
    ck_assert_int_eq(fut_future_result(&m.base), -EPROTO);
    /* The inner is dropped as soon as the map is READY. */
    ck_assert_int_eq(log.drops, 1);
    ck_assert_ptr_null(leaf.base.vtable);
    /* Fused: no second call, no second poll of the inner. */
    ck_assert_int_eq(fut_future_poll(&m.base, &cx), FUT_READY);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_int_eq(log.polls, 3);
    fut_future_drop(&m.base);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_map_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf leaf;
    struct fut_map m;
    struct probe p = { 0, 0, 0, 5 };
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&leaf, 2, 0, &log);
    ck_assert_int_eq(fut_map_init(&m, &leaf.base, probe_map, &p), 0);
    for (k = 0; k < _i; k++) {
        (void)fut_future_poll(&m.base, &cx);
        test_leaf_wake(&leaf);
    }
    fut_future_drop(&m.base);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(p.calls, _i >= 3 ? 1 : 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_map_bad_input)
{
    struct test_leaf leaf;
    struct fut_map m;
    struct probe p = { 0, 0, 0, 0 };

    test_leaf_init(&leaf, 0, 0, NULL);
    ck_assert_int_eq(fut_map_init(NULL, &leaf.base, probe_map, &p), -EINVAL);
    ck_assert_int_eq(fut_map_init(&m, NULL, probe_map, &p), -EINVAL);
    ck_assert_int_eq(fut_map_init(&m, &leaf.base, NULL, &p), -EINVAL);
    /* arg may be NULL. */
    ck_assert_int_eq(fut_map_init(&m, &leaf.base, probe_map, NULL), 0);
    fut_future_drop(&m.base);
}
END_TEST

/* ---- then --------------------------------------------------------------- */

START_TEST(test_combinators_then)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf first;
    struct then_plan plan;
    struct fut_then t;

    memset(&plan, 0, sizeof plan);
    plan.second_pending = 1;
    plan.second_value = -ECONNRESET;
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&first, 1, -ENOENT, &log);
    ck_assert_int_eq(fut_then_init(&t, &first.base, plan_then, &plan), 0);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_PENDING);
    ck_assert_int_eq(plan.started, 0);
    /* The first finishes; the second starts and is polled in the same
     * poll (it is pending once). */
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_PENDING);
    ck_assert_int_eq(plan.probe.calls, 1);
    ck_assert_int_eq(plan.probe.inner_ready, 1);
    ck_assert_int_eq(plan.probe.inner_result, -ENOENT);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(plan.second_log.polls, 1);
    ck_assert_ptr_eq(t.second, &plan.second.base);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    ck_assert_int_eq(t.result, -ECONNRESET);
    ck_assert_int_eq(fut_future_result(&t.base), -ECONNRESET);
    ck_assert_int_eq(plan.second_log.drops, 1);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    ck_assert_int_eq(plan.second_log.polls, 2);
    ck_assert_int_eq(plan.probe.calls, 1);
    fut_future_drop(&t.base);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(plan.second_log.drops, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_then_error)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf first;
    struct then_plan plan;
    struct fut_then t;

    memset(&plan, 0, sizeof plan);
    plan.err = -EBADMSG;
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&first, 0, 0, &log);
    ck_assert_int_eq(fut_then_init(&t, &first.base, plan_then, &plan), 0);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    ck_assert_int_eq(t.result, -EBADMSG);
    ck_assert_int_eq(fut_future_result(&t.base), -EBADMSG);
    ck_assert_int_eq(plan.started, 0);
    ck_assert_int_eq(log.drops, 1);
    fut_future_drop(&t.base);
    ck_assert_int_eq(log.drops, 1);

    /* A function that "succeeds" without a next future breaks its
     * contract; the chain ends with -EINVAL instead of crashing. */
    memset(&plan, 0, sizeof plan);
    plan.give_null = 1;
    test_leaf_init(&first, 0, 0, &log);
    ck_assert_int_eq(fut_then_init(&t, &first.base, plan_then, &plan), 0);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    ck_assert_int_eq(t.result, -EINVAL);
    fut_future_drop(&t.base);
    ck_assert_int_eq(log.drops, 2);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_then_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf first;
    struct then_plan plan;
    struct fut_then t;
    int k;

    memset(&plan, 0, sizeof plan);
    plan.second_pending = 2;
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&first, 2, 0, &log);
    ck_assert_int_eq(fut_then_init(&t, &first.base, plan_then, &plan), 0);
    for (k = 0; k < _i; k++) {
        (void)fut_future_poll(&t.base, &cx);
        test_leaf_wake(&first);
        if (plan.started)
            test_leaf_wake(&plan.second);
    }
    fut_future_drop(&t.base);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(plan.started, _i >= 3 ? 1 : 0);
    ck_assert_int_eq(plan.second_log.drops, plan.started ? 1 : 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_then_bad_input)
{
    struct test_leaf leaf;
    struct fut_then t;

    test_leaf_init(&leaf, 0, 0, NULL);
    ck_assert_int_eq(fut_then_init(NULL, &leaf.base, plan_then, NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_then_init(&t, NULL, plan_then, NULL), -EINVAL);
    ck_assert_int_eq(fut_then_init(&t, &leaf.base, NULL, NULL), -EINVAL);
}
END_TEST

/* ---- bad input of the simple ones --------------------------------------- */

START_TEST(test_combinators_simple_bad_input)
{
    ck_assert_int_eq(fut_ready_init(NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_pending_init(NULL), -EINVAL);
    ck_assert_int_eq(fut_yield_init(NULL), -EINVAL);
}
END_TEST

/* ---- join_all ----------------------------------------------------------- */

#define NLEAVES 5

START_TEST(test_combinators_join_all)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log logs[NLEAVES];
    struct test_leaf leaves[NLEAVES];
    struct fut_future *children[NLEAVES];
    struct fut_child slots[NLEAVES];
    struct fut_join_all j;
    /* Child 3 fails first (after 1 pending poll), child 1 later. */
    static const int pending[NLEAVES] = { 0, 3, 2, 1, 2 };
    static const int value[NLEAVES] = { 0, -EIO, 0, -ENOENT, 0 };
    int k, round;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    memset(logs, 0, sizeof logs);
    for (k = 0; k < NLEAVES; k++) {
        test_leaf_init(&leaves[k], pending[k], value[k], &logs[k]);
        children[k] = &leaves[k].base;
    }
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, NLEAVES), 0);
    for (k = 0; k < NLEAVES; k++)
        ck_assert_int_eq(fut_join_all_child_result(&j, (size_t)k), -EAGAIN);
    for (round = 0; round < 3; round++) {
        ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
        for (k = 0; k < NLEAVES; k++)
            test_leaf_wake(&leaves[k]);
    }
    /* Child 0 was ready at once, and was dropped at once. */
    ck_assert_int_eq(logs[0].drops, 1);
    ck_assert_int_eq(logs[0].polls, 1);
    ck_assert_int_eq(fut_join_all_child_result(&j, 0), 0);
    ck_assert_int_eq(fut_join_all_child_result(&j, 3), -ENOENT);
    ck_assert_int_eq(fut_join_all_child_result(&j, 1), -EAGAIN);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_READY);
    /* The first error in order of completion, not of index. */
    ck_assert_int_eq(j.result, -ENOENT);
    ck_assert_int_eq(fut_future_result(&j.base), -ENOENT);
    for (k = 0; k < NLEAVES; k++) {
        ck_assert_int_eq(logs[k].drops, 1);
        ck_assert_int_eq(logs[k].polls, pending[k] + 1);
        ck_assert_int_eq(fut_join_all_child_result(&j, (size_t)k),
                         value[k]);
    }
    /* A READY join holds no waker. */
    ck_assert_int_eq(tw.live, 0);
    /* Fused: no child is polled again. */
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_READY);
    ck_assert_int_eq(logs[1].polls, pending[1] + 1);
    fut_future_drop(&j.base);
    for (k = 0; k < NLEAVES; k++)
        ck_assert_int_eq(logs[k].drops, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_join_all_wakes_parent)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_leaf leaves[2];
    struct fut_future *children[2] = { &leaves[0].base, &leaves[1].base };
    struct fut_child slots[2];
    struct fut_join_all j;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&leaves[0], 1, 0, NULL);
    test_leaf_init(&leaves[1], 1, 0, NULL);
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, 2), 0);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    /* The children hold their own wakers; the parent holds one clone. */
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(tw.wakes, 0);
    test_leaf_wake(&leaves[0]);
    ck_assert_int_eq(tw.wakes, 1);
    /* The parent's waker was consumed; a second child's wake before the
     * next poll has nobody left to wake, and must not crash. */
    test_leaf_wake(&leaves[1]);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_READY);
    fut_future_drop(&j.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

#define MANY 100

START_TEST(test_combinators_join_all_polls_only_woken)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    static struct test_leaf leaves[MANY];
    static struct fut_future *children[MANY];
    static struct fut_child slots[MANY];
    struct fut_join_all j;
    struct fut_waker w;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    for (k = 0; k < MANY; k++) {
        test_leaf_init(&leaves[k], -1, 0, &log);
        children[k] = &leaves[k].base;
    }
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, MANY), 0);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    ck_assert_int_eq(log.polls, MANY);

    /* Nothing woken: a spurious poll polls no child. */
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    ck_assert_int_eq(log.polls, MANY);

    /* One child woken: exactly that one is polled. */
    test_leaf_wake(&leaves[42]);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    ck_assert_int_eq(log.polls, MANY + 1);
    ck_assert_int_eq(leaves[42].polls, 2);

    /* Woken twice (through clones of its waker) before the poll: still
     * polled once. */
    w = fut_waker_clone(&leaves[7].waker);
    fut_waker_wake_by_ref(&leaves[7].waker);
    fut_waker_wake(w);
    fut_waker_wake_by_ref(&leaves[7].waker);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    ck_assert_int_eq(log.polls, MANY + 2);
    ck_assert_int_eq(leaves[7].polls, 2);

    /* Three woken: three polled, each once. */
    test_leaf_wake(&leaves[99]);
    test_leaf_wake(&leaves[0]);
    test_leaf_wake(&leaves[50]);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    ck_assert_int_eq(log.polls, MANY + 5);
    ck_assert_int_eq(leaves[0].polls, 2);
    ck_assert_int_eq(leaves[50].polls, 2);
    ck_assert_int_eq(leaves[99].polls, 2);

    fut_future_drop(&j.base);
    ck_assert_int_eq(log.drops, MANY);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_join_all_self_waking_children)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf leaves[3];
    struct test_interleave il[3];
    struct fut_future *children[3];
    struct fut_child slots[3];
    struct fut_join_all j;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    for (k = 0; k < 3; k++) {
        /* The interleave wrapper wakes the child waker during the child's
         * own poll and returns PENDING; nothing else wakes it, so that
         * wake must queue the child for the next round. */
        test_leaf_init(&leaves[k], 0, k == 2 ? -EPIPE : 0, &log);
        test_interleave_init(&il[k], &leaves[k].base);
        children[k] = &il[k].base;
    }
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, 3), 0);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(log.polls, 0);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_READY);
    ck_assert_int_eq(log.polls, 3);
    ck_assert_int_eq(j.result, -EPIPE);
    ck_assert_int_eq(log.drops, 3);
    ck_assert_int_eq(tw.live, 0);
    fut_future_drop(&j.base);
    ck_assert_int_eq(log.drops, 3);
}
END_TEST

START_TEST(test_combinators_join_all_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log logs[NLEAVES];
    struct test_leaf leaves[NLEAVES];
    struct fut_future *children[NLEAVES];
    struct fut_child slots[NLEAVES];
    struct fut_join_all j;
    int k, n;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    memset(logs, 0, sizeof logs);
    for (k = 0; k < NLEAVES; k++) {
        test_leaf_init(&leaves[k], k, 0, &logs[k]);
        children[k] = &leaves[k].base;
    }
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, NLEAVES), 0);
    for (n = 0; n < _i; n++) {
        (void)fut_future_poll(&j.base, &cx);
        for (k = 0; k < NLEAVES; k++)
            test_leaf_wake(&leaves[k]);
    }
    fut_future_drop(&j.base);
    for (k = 0; k < NLEAVES; k++) {
        ck_assert_int_eq(logs[k].drops, 1);
        /* A child that finished before the drop has its result; one
         * dropped unfinished was cancelled. */
        ck_assert_int_eq(fut_join_all_child_result(&j, (size_t)k),
                         k < _i ? 0 : -ECANCELED);
    }
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_join_all_bad_input)
{
    struct test_leaf leaf;
    struct fut_future *children[2] = { &leaf.base, NULL };
    struct fut_child slots[2];
    struct fut_join_all j;

    test_leaf_init(&leaf, 0, 0, NULL);
    ck_assert_int_eq(fut_join_all_init(NULL, children, slots, 1), -EINVAL);
    ck_assert_int_eq(fut_join_all_init(&j, NULL, slots, 1), -EINVAL);
    ck_assert_int_eq(fut_join_all_init(&j, children, NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, 0), -EINVAL);
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, 2), -EINVAL);
    ck_assert_int_eq(fut_join_all_child_result(NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, 1), 0);
    ck_assert_int_eq(fut_join_all_child_result(&j, 1), -EINVAL);
    ck_assert_int_eq(fut_join_all_child_result(&j, 0), -EAGAIN);
    fut_future_drop(&j.base);
}
END_TEST

/* ---- cross-thread wakes ------------------------------------------------- */

struct waker_thread_arg {
    struct test_leaf *leaves;
    int n;
    int rounds;
};

static void *
wake_leaf_thread(void *p)
{
    struct test_leaf *l = p;

    test_leaf_wake(l);
    return NULL;
}

START_TEST(test_combinators_join_all_wake_from_thread)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_leaf leaves[2];
    struct fut_future *children[2] = { &leaves[0].base, &leaves[1].base };
    struct fut_child slots[2];
    struct fut_join_all j;
    pthread_t th;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&leaves[0], 1, 0, NULL);
    test_leaf_init(&leaves[1], -1, 0, NULL);
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, 2), 0);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    ck_assert_int_eq(pthread_create(&th, NULL, wake_leaf_thread, &leaves[0]),
                     0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    /* The wake on the other thread reached the parent's waker. */
    ck_assert_int_eq(__atomic_load_n(&tw.wakes, __ATOMIC_SEQ_CST), 1);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    ck_assert_int_eq(leaves[0].polls, 2);
    ck_assert_int_eq(leaves[1].polls, 1);
    ck_assert_int_eq(fut_join_all_child_result(&j, 0), 0);
    fut_future_drop(&j.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

#define STRESS_N 32
#define STRESS_ROUNDS 2000

static void *
wake_many_thread(void *p)
{
    struct waker_thread_arg *a = p;
    int r, k;

    /* The leaves keep their waker while pending forever and the join
     * re-registers the same one, so reading it here races with nothing. */
    for (r = 0; r < a->rounds; r++)
        for (k = 0; k < a->n; k++)
            fut_waker_wake_by_ref(&a->leaves[k].waker);
    return NULL;
}

START_TEST(test_combinators_join_all_concurrent_wakes)
{
    struct test_waker tw;
    struct fut_context cx;
    static struct test_leaf leaves[STRESS_N];
    static struct fut_future *children[STRESS_N];
    static struct fut_child slots[STRESS_N];
    struct fut_join_all j;
    struct waker_thread_arg arg = { leaves, STRESS_N, STRESS_ROUNDS };
    pthread_t th[2];
    int k, before;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    for (k = 0; k < STRESS_N; k++) {
        test_leaf_init(&leaves[k], -1, 0, NULL);
        children[k] = &leaves[k].base;
    }
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, STRESS_N), 0);
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    for (k = 0; k < 2; k++)
        ck_assert_int_eq(
            pthread_create(&th[k], NULL, wake_many_thread, &arg), 0);
    for (k = 0; k < 1000; k++)
        ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    for (k = 0; k < 2; k++)
        ck_assert_int_eq(pthread_join(th[k], NULL), 0);
    /* Whatever was queued is taken by the next poll; then nothing is. */
    (void)fut_future_poll(&j.base, &cx);
    ck_assert_ptr_null(j.set.woken_head);
    for (k = 0; k < STRESS_N; k++)
        ck_assert_uint_eq(slots[k].woken, 0);
    before = leaves[0].polls;
    ck_assert_int_eq(fut_future_poll(&j.base, &cx), FUT_PENDING);
    ck_assert_int_eq(leaves[0].polls, before);
    fut_future_drop(&j.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* ---- join2 -------------------------------------------------------------- */

START_TEST(test_combinators_join2)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf a, b;
    struct fut_join2 j, moved;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&a, 1, -EBUSY, &log);
    test_leaf_init(&b, 0, 0, &log);
    ck_assert_int_eq(fut_join2_init(&j, &a.base, &b.base), 0);
    /* Movable until the first poll. */
    memcpy(&moved, &j, sizeof j);
    memset(&j, 0xa5, sizeof j);
    ck_assert_int_eq(fut_future_poll(&moved.all.base, &cx), FUT_PENDING);
    ck_assert_int_eq(log.drops, 1);
    test_leaf_wake(&a);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&moved.all.base, &cx), FUT_READY);
    ck_assert_int_eq(moved.all.result, -EBUSY);
    ck_assert_int_eq(fut_join_all_child_result(&moved.all, 0), -EBUSY);
    ck_assert_int_eq(fut_join_all_child_result(&moved.all, 1), 0);
    ck_assert_int_eq(log.drops, 2);
    fut_future_drop(&moved.all.base);
    ck_assert_int_eq(log.drops, 2);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_join2_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log la = { 0, 0 }, lb = { 0, 0 };
    struct test_leaf a, b;
    struct fut_join2 j;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&a, 1, 0, &la);
    test_leaf_init(&b, 3, 0, &lb);
    ck_assert_int_eq(fut_join2_init(&j, &a.base, &b.base), 0);
    for (k = 0; k < _i; k++) {
        (void)fut_future_poll(&j.all.base, &cx);
        test_leaf_wake(&a);
        test_leaf_wake(&b);
    }
    fut_future_drop(&j.all.base);
    ck_assert_int_eq(la.drops, 1);
    ck_assert_int_eq(lb.drops, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_join2_bad_input)
{
    struct test_leaf a;
    struct fut_join2 j;

    test_leaf_init(&a, 0, 0, NULL);
    ck_assert_int_eq(fut_join2_init(NULL, &a.base, &a.base), -EINVAL);
    ck_assert_int_eq(fut_join2_init(&j, NULL, &a.base), -EINVAL);
    ck_assert_int_eq(fut_join2_init(&j, &a.base, NULL), -EINVAL);
}
END_TEST

/* ---- select_all --------------------------------------------------------- */

START_TEST(test_combinators_select_all)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log logs[3];
    struct test_leaf leaves[3];
    struct fut_future *children[3];
    struct fut_child slots[3];
    struct fut_select_all s;
    static const int pending[3] = { 3, 1, 2 };
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    memset(logs, 0, sizeof logs);
    for (k = 0; k < 3; k++) {
        test_leaf_init(&leaves[k], pending[k], -(k + 1), &logs[k]);
        children[k] = &leaves[k].base;
    }
    ck_assert_int_eq(fut_select_all_init(&s, children, slots, 3), 0);
    ck_assert_int_eq(s.index, -1);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_PENDING);
    for (k = 0; k < 3; k++)
        test_leaf_wake(&leaves[k]);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(s.index, 1);
    ck_assert_int_eq(s.result, -2);
    ck_assert_int_eq(fut_future_result(&s.base), -2);
    /* The losers were dropped at once, and the select keeps no waker. */
    for (k = 0; k < 3; k++)
        ck_assert_int_eq(logs[k].drops, 1);
    ck_assert_int_eq(tw.live, 0);
    /* Fused. */
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(s.index, 1);
    ck_assert_int_eq(logs[1].polls, 2);
    fut_future_drop(&s.base);
    for (k = 0; k < 3; k++)
        ck_assert_int_eq(logs[k].drops, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_select_all_lowest_index_wins)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log logs[4];
    struct test_leaf leaves[4];
    struct fut_future *children[4];
    struct fut_child slots[4];
    struct fut_select_all s;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    memset(logs, 0, sizeof logs);
    for (k = 0; k < 4; k++) {
        test_leaf_init(&leaves[k], 1, 0, &logs[k]);
        children[k] = &leaves[k].base;
    }
    ck_assert_int_eq(fut_select_all_init(&s, children, slots, 4), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_PENDING);
    /* Woken in descending order: all three would be READY now, and the
     * lowest index among them wins; the round stops there. */
    test_leaf_wake(&leaves[3]);
    test_leaf_wake(&leaves[2]);
    test_leaf_wake(&leaves[1]);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(s.index, 1);
    ck_assert_int_eq(logs[1].polls, 2);
    ck_assert_int_eq(logs[0].polls, 1);
    ck_assert_int_eq(logs[2].polls, 1);
    ck_assert_int_eq(logs[3].polls, 1);
    for (k = 0; k < 4; k++)
        ck_assert_int_eq(logs[k].drops, 1);
    fut_future_drop(&s.base);
    ck_assert_int_eq(tw.live, 0);

    /* In the first round, too, the lowest ready index wins and the later
     * children are not polled. */
    memset(logs, 0, sizeof logs);
    for (k = 0; k < 4; k++)
        test_leaf_init(&leaves[k], k == 0 ? -1 : 0, 0, &logs[k]);
    ck_assert_int_eq(fut_select_all_init(&s, children, slots, 4), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(s.index, 1);
    ck_assert_int_eq(logs[2].polls, 0);
    for (k = 0; k < 4; k++)
        ck_assert_int_eq(logs[k].drops, 1);
    fut_future_drop(&s.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_select_all_polls_only_woken)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    static struct test_leaf leaves[MANY];
    static struct fut_future *children[MANY];
    static struct fut_child slots[MANY];
    struct fut_select_all s;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    for (k = 0; k < MANY; k++) {
        test_leaf_init(&leaves[k], k == 60 ? 1 : -1, 0, &log);
        children[k] = &leaves[k].base;
    }
    ck_assert_int_eq(fut_select_all_init(&s, children, slots, MANY), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_PENDING);
    ck_assert_int_eq(log.polls, MANY);
    test_leaf_wake(&leaves[10]);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_PENDING);
    ck_assert_int_eq(log.polls, MANY + 1);
    test_leaf_wake(&leaves[60]);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(log.polls, MANY + 2);
    ck_assert_int_eq(s.index, 60);
    ck_assert_int_eq(log.drops, MANY);
    fut_future_drop(&s.base);
    ck_assert_int_eq(log.drops, MANY);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_select_all_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log logs[NLEAVES];
    struct test_leaf leaves[NLEAVES];
    struct fut_future *children[NLEAVES];
    struct fut_child slots[NLEAVES];
    struct fut_select_all s;
    int k, n;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    memset(logs, 0, sizeof logs);
    for (k = 0; k < NLEAVES; k++) {
        /* Child 2 finishes after 3 pending polls; the rest never do. */
        test_leaf_init(&leaves[k], k == 2 ? 3 : -1, 0, &logs[k]);
        children[k] = &leaves[k].base;
    }
    ck_assert_int_eq(fut_select_all_init(&s, children, slots, NLEAVES),
                     0);
    for (n = 0; n < _i; n++) {
        (void)fut_future_poll(&s.base, &cx);
        for (k = 0; k < NLEAVES; k++)
            test_leaf_wake(&leaves[k]);
    }
    ck_assert_int_eq(s.index, _i >= 4 ? 2 : -1);
    fut_future_drop(&s.base);
    for (k = 0; k < NLEAVES; k++)
        ck_assert_int_eq(logs[k].drops, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_select_all_wake_from_thread)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_leaf leaves[2];
    struct fut_future *children[2] = { &leaves[0].base, &leaves[1].base };
    struct fut_child slots[2];
    struct fut_select_all s;
    pthread_t th;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&leaves[0], -1, 0, NULL);
    test_leaf_init(&leaves[1], 1, -EEXIST, NULL);
    ck_assert_int_eq(fut_select_all_init(&s, children, slots, 2), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_PENDING);
    ck_assert_int_eq(pthread_create(&th, NULL, wake_leaf_thread, &leaves[1]),
                     0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(__atomic_load_n(&tw.wakes, __ATOMIC_SEQ_CST), 1);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(s.index, 1);
    ck_assert_int_eq(s.result, -EEXIST);
    fut_future_drop(&s.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_select_all_bad_input)
{
    struct test_leaf leaf;
    struct fut_future *children[2] = { &leaf.base, NULL };
    struct fut_child slots[2];
    struct fut_select_all s;

    test_leaf_init(&leaf, 0, 0, NULL);
    ck_assert_int_eq(fut_select_all_init(NULL, children, slots, 1), -EINVAL);
    ck_assert_int_eq(fut_select_all_init(&s, NULL, slots, 1), -EINVAL);
    ck_assert_int_eq(fut_select_all_init(&s, children, NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_select_all_init(&s, children, slots, 0), -EINVAL);
    ck_assert_int_eq(fut_select_all_init(&s, children, slots, 2), -EINVAL);
}
END_TEST

/* ---- select2 ------------------------------------------------------------ */

START_TEST(test_combinators_select2)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log la = { 0, 0 }, lb = { 0, 0 };
    struct test_leaf a;
    struct fut_pending never;
    struct fut_ready r;
    struct fut_select2 s, moved;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&a, 2, 0, &la);
    ck_assert_int_eq(fut_pending_init(&never), 0);
    ck_assert_int_eq(fut_select2_init(&s, &never.base, &a.base), 0);
    memcpy(&moved, &s, sizeof s);
    memset(&s, 0x5a, sizeof s);
    ck_assert_int_eq(fut_future_poll(&moved.all.base, &cx), FUT_PENDING);
    test_leaf_wake(&a);
    ck_assert_int_eq(fut_future_poll(&moved.all.base, &cx), FUT_PENDING);
    test_leaf_wake(&a);
    ck_assert_int_eq(fut_future_poll(&moved.all.base, &cx), FUT_READY);
    ck_assert_int_eq(moved.all.index, 1);
    ck_assert_ptr_null(never.base.vtable); /* the loser was dropped */
    ck_assert_int_eq(la.drops, 1);
    fut_future_drop(&moved.all.base);
    ck_assert_int_eq(tw.live, 0);

    /* A ready first child wins before the second is even polled. */
    test_leaf_init(&a, 0, 0, &lb);
    ck_assert_int_eq(fut_ready_init(&r, -ENOSPC), 0);
    ck_assert_int_eq(fut_select2_init(&s, &r.base, &a.base), 0);
    ck_assert_int_eq(fut_future_poll(&s.all.base, &cx), FUT_READY);
    ck_assert_int_eq(s.all.index, 0);
    ck_assert_int_eq(s.all.result, -ENOSPC);
    ck_assert_int_eq(lb.polls, 0);
    ck_assert_int_eq(lb.drops, 1);
    fut_future_drop(&s.all.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_select2_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log la = { 0, 0 }, lb = { 0, 0 };
    struct test_leaf a, b;
    struct fut_select2 s;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&a, -1, 0, &la);
    test_leaf_init(&b, 2, 0, &lb);
    ck_assert_int_eq(fut_select2_init(&s, &a.base, &b.base), 0);
    for (k = 0; k < _i; k++) {
        (void)fut_future_poll(&s.all.base, &cx);
        test_leaf_wake(&a);
        test_leaf_wake(&b);
    }
    fut_future_drop(&s.all.base);
    ck_assert_int_eq(la.drops, 1);
    ck_assert_int_eq(lb.drops, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_select2_bad_input)
{
    struct test_leaf a;
    struct fut_select2 s;

    test_leaf_init(&a, 0, 0, NULL);
    ck_assert_int_eq(fut_select2_init(NULL, &a.base, &a.base), -EINVAL);
    ck_assert_int_eq(fut_select2_init(&s, NULL, &a.base), -EINVAL);
    ck_assert_int_eq(fut_select2_init(&s, &a.base, NULL), -EINVAL);
}
END_TEST

/* ---- timeout (by hand, no runtime) -------------------------------------- */

START_TEST(test_combinators_timeout_inner_wins)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf leaf;
    struct fut_timeout t;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    /* Ready at the first poll, with a deadline that has already passed:
     * the inner is polled first, so it still wins. */
    test_leaf_init(&leaf, 0, -EPERM, &log);
    ck_assert_int_eq(fut_timeout_init(&t, &leaf.base, 0), 0);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    ck_assert_int_eq(t.timed_out, 0);
    ck_assert_int_eq(t.result, -EPERM);
    ck_assert_int_eq(fut_future_result(&t.base), -EPERM);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    ck_assert_int_eq(log.polls, 1);
    fut_future_drop(&t.base);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_timeout_expired)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf leaf;
    struct fut_timeout t;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&leaf, -1, 0, &log);
    ck_assert_int_eq(fut_timeout_init(&t, &leaf.base, 0), 0);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    ck_assert_int_eq(t.timed_out, 1);
    ck_assert_int_eq(t.result, -ETIMEDOUT);
    ck_assert_int_eq(fut_future_result(&t.base), -ETIMEDOUT);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(tw.live, 0);
    fut_future_drop(&t.base);
    ck_assert_int_eq(log.drops, 1);

    /* The absolute form, with a deadline in the past. */
    test_leaf_init(&leaf, -1, 0, &log);
    ck_assert_int_eq(
        fut_timeout_at_init(&t, &leaf.base, fut_now_ns() - FUT_NSEC_PER_SEC),
        0);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    ck_assert_int_eq(t.timed_out, 1);
    ck_assert_int_eq(t.result, -ETIMEDOUT);
    ck_assert_int_eq(log.drops, 2);
    fut_future_drop(&t.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_timeout_no_runtime)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf leaf;
    struct fut_timeout t;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    /* A deadline ahead needs a timer, and there is no runtime: the sleep
     * fails, and the timeout ends with its error instead of hanging. */
    test_leaf_init(&leaf, -1, 0, &log);
    ck_assert_int_eq(fut_timeout_init(&t, &leaf.base, FAR_NS), 0);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    ck_assert_int_eq(t.timed_out, 0);
    ck_assert_int_eq(t.result, -EINVAL);
    ck_assert_int_eq(log.polls, 1);
    ck_assert_int_eq(log.drops, 1);
    fut_future_drop(&t.base);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_timeout_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_context cx;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf leaf;
    struct fut_timeout t;
    int k;

    /* Without a runtime a pending timeout lasts one poll at most; the
     * conformance suite repeats this with real timers. */
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    test_leaf_init(&leaf, -1, 0, &log);
    ck_assert_int_eq(fut_timeout_init(&t, &leaf.base, FAR_NS), 0);
    for (k = 0; k < _i; k++)
        ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_READY);
    fut_future_drop(&t.base);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(log.polls, _i > 0 ? 1 : 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_timeout_bad_input)
{
    struct test_leaf leaf;
    struct fut_timeout t;

    test_leaf_init(&leaf, 0, 0, NULL);
    ck_assert_int_eq(fut_timeout_init(NULL, &leaf.base, 1), -EINVAL);
    ck_assert_int_eq(fut_timeout_init(&t, NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_timeout_init(&t, &leaf.base, -1), -EINVAL);
    ck_assert_int_eq(fut_timeout_at_init(NULL, &leaf.base, 1), -EINVAL);
    ck_assert_int_eq(fut_timeout_at_init(&t, NULL, 1), -EINVAL);
}
END_TEST

/* ---- stream next -------------------------------------------------------- */

START_TEST(test_combinators_stream_next)
{
    static const int items[2] = { 11, 22 };
    struct test_waker tw;
    struct fut_context cx;
    struct int_stream is;
    struct fut_stream_next n;
    int item = 0;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    int_stream_init(&is, 1, items, 2, 0);
    ck_assert_int_eq(fut_stream_next_init(&n, &is.stream, &item), 0);
    ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_PENDING);
    ck_assert_int_eq(tw.live, 1); /* registered in the stream */
    fut_waker_take_wake(&is.waker);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_READY);
    ck_assert_int_eq(n.res, 1);
    ck_assert_int_eq(item, 11);
    ck_assert_int_eq(fut_future_result(&n.base), 0);
    /* Fused: the stream is not polled again, the item not consumed. */
    ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_READY);
    ck_assert_int_eq(is.polls, 2);
    ck_assert_int_eq(is.pos, 1);
    fut_future_drop(&n.base);

    ck_assert_int_eq(fut_stream_next_init(&n, &is.stream, &item), 0);
    ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_READY);
    ck_assert_int_eq(n.res, 1);
    ck_assert_int_eq(item, 22);
    fut_future_drop(&n.base);

    item = -1;
    ck_assert_int_eq(fut_stream_next_init(&n, &is.stream, &item), 0);
    ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_READY);
    ck_assert_int_eq(n.res, 0);
    ck_assert_int_eq(item, -1);
    ck_assert_int_eq(fut_future_result(&n.base), 0);
    fut_future_drop(&n.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_stream_next_error)
{
    struct test_waker tw;
    struct fut_context cx;
    struct int_stream is;
    struct fut_stream_next n;
    int item = 0;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    int_stream_init(&is, 0, NULL, 0, -ECONNRESET);
    ck_assert_int_eq(fut_stream_next_init(&n, &is.stream, &item), 0);
    ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_READY);
    ck_assert_int_eq(n.res, -ECONNRESET);
    ck_assert_int_eq(fut_future_result(&n.base), -ECONNRESET);
    fut_future_drop(&n.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_stream_next_drop_after_n_polls)
{
    static const int items[1] = { 5 };
    struct test_waker tw;
    struct fut_context cx;
    struct int_stream is;
    struct fut_stream_next n;
    int item = 0;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    int_stream_init(&is, 2, items, 1, 0);
    ck_assert_int_eq(fut_stream_next_init(&n, &is.stream, &item), 0);
    for (k = 0; k < _i; k++)
        (void)fut_future_poll(&n.base, &cx);
    fut_future_drop(&n.base);
    /* Cancel-safe: an item is consumed only by a READY poll. */
    ck_assert_int_eq(is.pos, _i >= 3 ? 1 : 0);
    ck_assert_int_eq(item, _i >= 3 ? 5 : 0);
    /* The waker registered in the stream is the stream's to release. */
    fut_waker_drop(&is.waker);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_combinators_stream_next_bad_input)
{
    struct int_stream is;
    struct fut_stream_next n;
    int item;

    int_stream_init(&is, 0, NULL, 0, 0);
    ck_assert_int_eq(fut_stream_next_init(NULL, &is.stream, &item), -EINVAL);
    ck_assert_int_eq(fut_stream_next_init(&n, NULL, &item), -EINVAL);
    ck_assert_int_eq(fut_stream_next_init(&n, &is.stream, NULL), -EINVAL);
}
END_TEST

/* ---- composition -------------------------------------------------------- */

static int
add_values(struct fut_future *inner, void *arg)
{
    /* The inner is a pending_once around a ready future. */
    struct test_pending_once *po = (struct test_pending_once *)inner;
    struct fut_ready *r = (struct fut_ready *)po->inner;

    *(int *)arg += r->value;
    return 0;
}

START_TEST(test_combinators_nested)
{
    struct test_waker tw;
    struct fut_context cx;
    struct fut_ready r[3];
    struct test_pending_once po[3];
    struct fut_map maps[3];
    struct fut_future *children[3];
    struct fut_child slots[3];
    struct fut_join_all j;
    struct fut_yield y;
    struct fut_join2 outer;
    int sum = 0;
    int k;

    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    for (k = 0; k < 3; k++) {
        ck_assert_int_eq(fut_ready_init(&r[k], k + 1), 0);
        test_pending_once_init(&po[k], &r[k].base);
        ck_assert_int_eq(fut_map_init(&maps[k], &po[k].base, add_values,
                                      &sum), 0);
        children[k] = &maps[k].base;
    }
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, 3), 0);
    ck_assert_int_eq(fut_yield_init(&y), 0);
    ck_assert_int_eq(fut_join2_init(&outer, &j.base, &y.base), 0);
    ck_assert_int_eq(test_poll_until_ready(&outer.all.base, &cx, 5), 2);
    ck_assert_int_eq(sum, 6);
    ck_assert_int_eq(outer.all.result, 0);
    fut_future_drop(&outer.all.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

static TCase *
tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_set_timeout(tc, 10);
    suite_add_tcase(s, tc);
    return tc;
}

Suite *
fut_test_combinators_suite(void)
{
    Suite *s = suite_create("combinators");
    TCase *tc;

    tc = tcase(s, "ready");
    tcase_add_test(tc, test_combinators_ready);
    tcase_add_loop_test(tc, test_combinators_ready_drop_after_n_polls, 0, 3);
    tc = tcase(s, "pending");
    tcase_add_test(tc, test_combinators_pending);
    tcase_add_loop_test(tc, test_combinators_pending_drop_after_n_polls, 0,
                        3);
    tc = tcase(s, "yield");
    tcase_add_test(tc, test_combinators_yield);
    tcase_add_loop_test(tc, test_combinators_yield_drop_after_n_polls, 0, 4);
    tc = tcase(s, "simple_bad_input");
    tcase_add_test(tc, test_combinators_simple_bad_input);

    tc = tcase(s, "map");
    tcase_add_test(tc, test_combinators_map);
    tcase_add_loop_test(tc, test_combinators_map_drop_after_n_polls, 0, 5);
    tcase_add_test(tc, test_combinators_map_bad_input);
    tc = tcase(s, "then");
    tcase_add_test(tc, test_combinators_then);
    tcase_add_test(tc, test_combinators_then_error);
    tcase_add_loop_test(tc, test_combinators_then_drop_after_n_polls, 0, 7);
    tcase_add_test(tc, test_combinators_then_bad_input);

    tc = tcase(s, "join_all");
    tcase_add_test(tc, test_combinators_join_all);
    tcase_add_test(tc, test_combinators_join_all_wakes_parent);
    tcase_add_test(tc, test_combinators_join_all_self_waking_children);
    tcase_add_loop_test(tc, test_combinators_join_all_drop_after_n_polls, 0,
                        NLEAVES + 2);
    tcase_add_test(tc, test_combinators_join_all_bad_input);
    tc = tcase(s, "join_all_polls_only_woken");
    tcase_add_test(tc, test_combinators_join_all_polls_only_woken);
    tc = tcase(s, "join_all_threads");
    tcase_add_test(tc, test_combinators_join_all_wake_from_thread);
    tcase_add_test(tc, test_combinators_join_all_concurrent_wakes);
    tc = tcase(s, "join2");
    tcase_add_test(tc, test_combinators_join2);
    tcase_add_loop_test(tc, test_combinators_join2_drop_after_n_polls, 0, 6);
    tcase_add_test(tc, test_combinators_join2_bad_input);

    tc = tcase(s, "select_all");
    tcase_add_test(tc, test_combinators_select_all);
    tcase_add_test(tc, test_combinators_select_all_lowest_index_wins);
    tcase_add_test(tc, test_combinators_select_all_polls_only_woken);
    tcase_add_test(tc, test_combinators_select_all_wake_from_thread);
    tcase_add_loop_test(tc, test_combinators_select_all_drop_after_n_polls, 0,
                        6);
    tcase_add_test(tc, test_combinators_select_all_bad_input);
    tc = tcase(s, "select2");
    tcase_add_test(tc, test_combinators_select2);
    tcase_add_loop_test(tc, test_combinators_select2_drop_after_n_polls, 0,
                        5);
    tcase_add_test(tc, test_combinators_select2_bad_input);

    tc = tcase(s, "timeout");
    tcase_add_test(tc, test_combinators_timeout_inner_wins);
    tcase_add_test(tc, test_combinators_timeout_expired);
    tcase_add_test(tc, test_combinators_timeout_no_runtime);
    tcase_add_loop_test(tc, test_combinators_timeout_drop_after_n_polls, 0,
                        3);
    tcase_add_test(tc, test_combinators_timeout_bad_input);

    tc = tcase(s, "stream_next");
    tcase_add_test(tc, test_combinators_stream_next);
    tcase_add_test(tc, test_combinators_stream_next_error);
    tcase_add_loop_test(tc, test_combinators_stream_next_drop_after_n_polls,
                        0, 5);
    tcase_add_test(tc, test_combinators_stream_next_bad_input);

    tc = tcase(s, "nested");
    tcase_add_test(tc, test_combinators_nested);
    return s;
}
