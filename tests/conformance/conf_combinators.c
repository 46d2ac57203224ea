/* SPDX-License-Identifier: MIT */
/* Conformance: combinators over real timers, threads and tasks. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "conformance.h"
#include "internal.h"

/* A deadline far enough ahead never to pass during a test. */
#define FAR_NS (3600 * FUT_NSEC_PER_SEC)

static int64_t
ms(int64_t n)
{
    return n * FUT_NSEC_PER_MSEC;
}

/*
 * A driver for drop-after-N-polls tests on a real runtime: it polls its
 * child `limit` times (or until READY), each time with a counting waker
 * and the runtime's context, re-polling itself by waking its own waker;
 * then it drops the child. The counting waker shows whether the child
 * released every clone it took.
 */
struct driver {
    struct fut_future base;
    struct fut_future *child;
    struct test_waker *tw;
    int limit;
    int polls;
    int child_ready;
};

static enum fut_poll
driver_poll(struct fut_future *f, struct fut_context *cx)
{
    struct driver *d = (struct driver *)f;
    struct fut_context ccx;

    if (d->polls < d->limit && !d->child_ready) {
        ccx = test_cx(d->tw, cx->rt);
        d->polls++;
        if (fut_future_poll(d->child, &ccx) == FUT_READY) {
            d->child_ready = 1;
        } else {
            fut_waker_wake_by_ref(cx->waker);
            return FUT_PENDING;
        }
    }
    fut_future_drop(d->child);
    return FUT_READY;
}

static void
driver_drop(struct fut_future *f)
{
    struct driver *d = (struct driver *)f;

    fut_future_drop(d->child);
}

static const struct fut_future_vtable driver_vtable = {
    .poll = driver_poll,
    .drop = driver_drop,
    .result = NULL,
};

static void
driver_init(struct driver *d, struct fut_future *child, struct test_waker *tw,
            int limit)
{
    d->base.vtable = &driver_vtable;
    d->child = child;
    d->tw = tw;
    d->limit = limit;
    d->polls = 0;
    d->child_ready = 0;
}

/* ---- timeout ------------------------------------------------------------ */

START_TEST(test_combinators_timeout_fires)
{
    struct fut_pending never;
    struct fut_timeout t;
    int64_t start, elapsed;

    ck_assert_int_eq(fut_pending_init(&never), 0);
    start = fut_now_ns();
    ck_assert_int_eq(fut_timeout_init(&t, &never.base, ms(20)), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &t.base), 0);
    elapsed = fut_now_ns() - start;
    ck_assert_int_eq(t.timed_out, 1);
    ck_assert_int_eq(t.result, -ETIMEDOUT);
    ck_assert_int_eq(fut_future_result(&t.base), -ETIMEDOUT);
    ck_assert_ptr_null(never.base.vtable); /* the inner was dropped */
    ck_assert_int_ge(elapsed, ms(20));
    fut_future_drop(&t.base);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
}
END_TEST

START_TEST(test_combinators_timeout_inner_wins)
{
    struct fut_sleep inner;
    struct fut_timeout t;
    int64_t start, elapsed;

    start = fut_now_ns();
    ck_assert_int_eq(fut_sleep_init(&inner, ms(10)), 0);
    ck_assert_int_eq(fut_timeout_init(&t, &inner.base, FAR_NS), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &t.base), 0);
    elapsed = fut_now_ns() - start;
    ck_assert_int_eq(t.timed_out, 0);
    ck_assert_int_eq(t.result, 0);
    ck_assert_int_ge(elapsed, ms(10));
    /* The timeout's own timer was cancelled when the inner won. */
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    fut_future_drop(&t.base);
}
END_TEST

START_TEST(test_combinators_timeout_at)
{
    struct fut_pending never;
    struct fut_timeout t;
    int64_t deadline;

    ck_assert_int_eq(fut_pending_init(&never), 0);
    deadline = fut_now_ns() + ms(15);
    ck_assert_int_eq(fut_timeout_at_init(&t, &never.base, deadline), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &t.base), 0);
    ck_assert_int_ge(fut_now_ns(), deadline);
    ck_assert_int_eq(t.timed_out, 1);
    ck_assert_int_eq(t.result, -ETIMEDOUT);
    fut_future_drop(&t.base);
}
END_TEST

START_TEST(test_combinators_timeout_drop_after_n_polls)
{
    struct test_waker tw;
    struct test_drop_log log = { 0, 0 };
    struct test_leaf leaf;
    struct fut_timeout t;
    struct driver d;

    test_waker_init(&tw);
    test_leaf_init(&leaf, -1, 0, &log);
    ck_assert_int_eq(fut_timeout_init(&t, &leaf.base, FAR_NS), 0);
    driver_init(&d, &t.base, &tw, _i);
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    ck_assert_int_eq(d.polls, _i);
    ck_assert_int_eq(d.child_ready, 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_int_eq(log.polls, _i);
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(tw.live, 0);
    fut_future_drop(&d.base);
    ck_assert_int_eq(log.drops, 1);
}
END_TEST

/* A timeout around the join of a task: the task outlives the timeout (a
 * task join is cancel-safe) and can still be aborted afterwards. */
START_TEST(test_combinators_timeout_task_join)
{
    struct fut_sleep slow;
    struct fut_task *task = NULL;
    struct fut_task_join j;
    struct fut_timeout t;

    ck_assert_int_eq(fut_sleep_init(&slow, FAR_NS), 0);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &slow, &task), 0);
    ck_assert_int_eq(fut_task_join_init(&j, task), 0);
    ck_assert_int_eq(fut_timeout_init(&t, &j.base, ms(10)), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &t.base), 0);
    ck_assert_int_eq(t.timed_out, 1);
    ck_assert_int_eq(fut_task_is_finished(task), 0);
    fut_future_drop(&t.base);
    ck_assert_int_eq(fut_task_abort(task), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 0);
    ck_assert_int_eq(fut_task_is_finished(task), 1);
    ck_assert_int_eq(fut_task_result(task), -ECANCELED);
    fut_task_detach(task);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
}
END_TEST

/* ---- select ------------------------------------------------------------- */

START_TEST(test_combinators_select_sleep_vs_pending)
{
    struct fut_sleep s;
    struct fut_pending never;
    struct fut_select2 sel;

    ck_assert_int_eq(fut_sleep_init(&s, ms(10)), 0);
    ck_assert_int_eq(fut_pending_init(&never), 0);
    ck_assert_int_eq(fut_select2_init(&sel, &never.base, &s.base), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &sel.all.base), 0);
    ck_assert_int_eq(sel.all.index, 1);
    ck_assert_int_eq(sel.all.result, 0);
    ck_assert_ptr_null(never.base.vtable);
    fut_future_drop(&sel.all.base);
}
END_TEST

START_TEST(test_combinators_select_earliest_sleep_wins)
{
    struct fut_sleep sleeps[4];
    struct fut_future *children[4];
    struct fut_child slots[4];
    struct fut_select_all sel;
    /* The losers minutes away, so that however late the first poll
     * comes, only the winner can be due. */
    static const int64_t delays_ms[4] = { 400000, 300000, 15, 200000 };
    int64_t start;
    int k;

    start = fut_now_ns();
    for (k = 0; k < 4; k++) {
        ck_assert_int_eq(fut_sleep_init(&sleeps[k], ms(delays_ms[k])), 0);
        children[k] = &sleeps[k].base;
    }
    ck_assert_int_eq(fut_select_all_init(&sel, children, slots, 4), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &sel.base), 0);
    ck_assert_int_eq(sel.index, 2);
    ck_assert_int_ge(fut_now_ns() - start, ms(15));
    /* The losers' timers were cancelled as soon as the winner finished. */
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    fut_future_drop(&sel.base);
}
END_TEST

START_TEST(test_combinators_select_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_sleep a, b;
    struct fut_select2 sel;
    struct driver d;

    test_waker_init(&tw);
    ck_assert_int_eq(fut_sleep_init(&a, FAR_NS), 0);
    ck_assert_int_eq(fut_sleep_init(&b, FAR_NS), 0);
    ck_assert_int_eq(fut_select2_init(&sel, &a.base, &b.base), 0);
    driver_init(&d, &sel.all.base, &tw, _i);
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    ck_assert_int_eq(d.child_ready, 0);
    ck_assert_ptr_null(a.base.vtable);
    ck_assert_ptr_null(b.base.vtable);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_int_eq(tw.live, 0);
    fut_future_drop(&d.base);
}
END_TEST

/* A child woken from another thread completes a select on the runtime. */
struct thread_waker {
    struct fut_future base;
    struct fut_select2 *sel;
    struct test_leaf *leaf;
    pthread_t th;
    int started;
};

static void *
late_wake_thread(void *p)
{
    struct test_leaf *leaf = p;
    struct timespec ts = { 0, 10 * 1000 * 1000 };

    nanosleep(&ts, NULL);
    test_leaf_wake(leaf);
    return NULL;
}

static enum fut_poll
thread_waker_poll(struct fut_future *f, struct fut_context *cx)
{
    struct thread_waker *tw = (struct thread_waker *)f;
    enum fut_poll p = fut_future_poll(&tw->sel->all.base, cx);

    /* The thread starts only after the leaf stored its waker, so the
     * hand-over is ordered by pthread_create. */
    if (p == FUT_PENDING && !tw->started) {
        ck_assert_int_eq(
            pthread_create(&tw->th, NULL, late_wake_thread, tw->leaf), 0);
        tw->started = 1;
    }
    return p;
}

static void
thread_waker_drop(struct fut_future *f)
{
    struct thread_waker *tw = (struct thread_waker *)f;

    fut_future_drop(&tw->sel->all.base);
}

static const struct fut_future_vtable thread_waker_vtable = {
    .poll = thread_waker_poll,
    .drop = thread_waker_drop,
    .result = NULL,
};

START_TEST(test_combinators_select_wake_from_thread)
{
    struct test_leaf leaf;
    struct fut_sleep slow;
    struct fut_select2 sel;
    struct thread_waker tw;

    test_leaf_init(&leaf, 1, -EPIPE, NULL);
    ck_assert_int_eq(fut_sleep_init(&slow, FAR_NS), 0);
    ck_assert_int_eq(fut_select2_init(&sel, &slow.base, &leaf.base), 0);
    memset(&tw, 0, sizeof tw);
    tw.base.vtable = &thread_waker_vtable;
    tw.sel = &sel;
    tw.leaf = &leaf;
    ck_assert_int_eq(fut_block_on(&conf_rt, &tw.base), 0);
    ck_assert_int_eq(tw.started, 1);
    ck_assert_int_eq(pthread_join(tw.th, NULL), 0);
    ck_assert_int_eq(sel.all.index, 1);
    ck_assert_int_eq(sel.all.result, -EPIPE);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    fut_future_drop(&tw.base);
}
END_TEST

/* ---- join --------------------------------------------------------------- */

#define NSLEEPS 500

START_TEST(test_combinators_join_many_sleeps)
{
    static struct fut_sleep sleeps[NSLEEPS];
    static struct fut_future *children[NSLEEPS];
    static struct fut_child slots[NSLEEPS];
    struct fut_join_all j;
    int64_t start, elapsed;
    int k;

    start = fut_now_ns();
    for (k = 0; k < NSLEEPS; k++) {
        /* 1..30 ms, scattered so wake-ups arrive in many batches. */
        ck_assert_int_eq(
            fut_sleep_init(&sleeps[k], ms(1 + (k * 7) % 30)), 0);
        children[k] = &sleeps[k].base;
    }
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, NSLEEPS), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &j.base), 0);
    elapsed = fut_now_ns() - start;
    ck_assert_int_eq(j.result, 0);
    for (k = 0; k < NSLEEPS; k++) {
        ck_assert_int_eq(fut_join_all_child_result(&j, (size_t)k), 0);
        ck_assert_ptr_null(sleeps[k].base.vtable);
    }
    ck_assert_int_ge(elapsed, ms(30));
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    fut_future_drop(&j.base);
}
END_TEST

START_TEST(test_combinators_join_drop_after_n_polls)
{
    struct test_waker tw;
    struct fut_sleep sleeps[3];
    struct fut_future *children[3];
    struct fut_child slots[3];
    struct fut_join_all j;
    struct driver d;
    int k;

    test_waker_init(&tw);
    for (k = 0; k < 3; k++) {
        /* One sleep is already due: it finishes on the first poll. */
        ck_assert_int_eq(fut_sleep_init(&sleeps[k], k == 1 ? 0 : FAR_NS),
                         0);
        children[k] = &sleeps[k].base;
    }
    ck_assert_int_eq(fut_join_all_init(&j, children, slots, 3), 0);
    driver_init(&d, &j.base, &tw, _i);
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    ck_assert_int_eq(d.child_ready, 0);
    for (k = 0; k < 3; k++)
        ck_assert_ptr_null(sleeps[k].base.vtable);
    ck_assert_int_eq(fut_join_all_child_result(&j, 1),
                     _i > 0 ? 0 : -ECANCELED);
    ck_assert_int_eq(fut_join_all_child_result(&j, 0), -ECANCELED);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_int_eq(tw.live, 0);
    fut_future_drop(&d.base);
}
END_TEST

START_TEST(test_combinators_join_spawned_tasks)
{
    struct fut_sleep s1;
    struct fut_ready failing;
    struct fut_task *t1 = NULL, *t2 = NULL;
    struct fut_task_join j1, j2;
    struct fut_join2 j;
    int64_t start;

    start = fut_now_ns();
    ck_assert_int_eq(fut_sleep_init(&s1, ms(15)), 0);
    ck_assert_int_eq(fut_ready_init(&failing, -EIO), 0);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &s1, &t1), 0);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &failing, &t2), 0);
    ck_assert_int_eq(fut_task_join_init(&j1, t1), 0);
    ck_assert_int_eq(fut_task_join_init(&j2, t2), 0);
    ck_assert_int_eq(fut_join2_init(&j, &j1.base, &j2.base), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &j.all.base), 0);
    ck_assert_int_ge(fut_now_ns() - start, ms(15));
    ck_assert_int_eq(j1.result, 0);
    ck_assert_int_eq(j2.result, -EIO);
    ck_assert_int_eq(j.all.result, -EIO);
    ck_assert_int_eq(fut_join_all_child_result(&j.all, 0), 0);
    ck_assert_int_eq(fut_join_all_child_result(&j.all, 1), -EIO);
    ck_assert_int_eq(fut_task_is_finished(t1), 1);
    ck_assert_int_eq(fut_task_is_finished(t2), 1);
    fut_future_drop(&j.all.base);
    fut_task_detach(t1);
    fut_task_detach(t2);
}
END_TEST

/* A whole combinator tree as one spawned task: the task moves it into its
 * allocation before the first poll, which a join2 (slots inside) allows. */
struct tree {
    struct fut_future base;
    struct fut_sleep a, b;
    struct fut_map m;
    struct fut_join2 j;
    int mapped;
    int started;
};

static int
tree_map(struct fut_future *inner, void *arg)
{
    FUT__UNUSED(inner);
    *(int *)arg += 1;
    return -EALREADY;
}

static enum fut_poll
tree_poll(struct fut_future *f, struct fut_context *cx)
{
    struct tree *t = (struct tree *)f;

    /* The children point into the tree, so they are built where the
     * tree lives, at its first poll. */
    if (!t->started) {
        t->started = 1;
        fut_sleep_init(&t->a, ms(5));
        fut_sleep_init(&t->b, ms(10));
        fut_map_init(&t->m, &t->b.base, tree_map, &t->mapped);
        fut_join2_init(&t->j, &t->a.base, &t->m.base);
    }
    return fut_future_poll(&t->j.all.base, cx);
}

static void
tree_drop(struct fut_future *f)
{
    struct tree *t = (struct tree *)f;

    if (t->started)
        fut_future_drop(&t->j.all.base);
}

static int
tree_result(const struct fut_future *f)
{
    return fut_future_result(&((const struct tree *)f)->j.all.base);
}

static const struct fut_future_vtable tree_vtable = {
    .poll = tree_poll,
    .drop = tree_drop,
    .result = tree_result,
};

START_TEST(test_combinators_spawned_tree)
{
    struct tree tr;
    struct fut_task *t = NULL;
    struct fut_task_join tj;
    struct tree *out;

    memset(&tr, 0, sizeof tr);
    tr.base.vtable = &tree_vtable;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &tr, &t), 0);
    ck_assert_int_eq(fut_task_join_init(&tj, t), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &tj.base), 0);
    /* The task's result is taken before the task drops its future. */
    ck_assert_int_eq(tj.result, -EALREADY);
    out = fut_task_output(t);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(out->mapped, 1);
    ck_assert_int_eq(out->m.result, -EALREADY);
    fut_future_drop(&tj.base);
    fut_task_detach(t);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

static TCase *
tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_set_timeout(tc, 20);
    suite_add_tcase(s, tc);
    return tc;
}

Suite *
fut_conf_combinators_suite(void)
{
    Suite *s = suite_create("combinators");
    TCase *tc;

    tc = tcase(s, "timeout");
    tcase_add_test(tc, test_combinators_timeout_fires);
    tcase_add_test(tc, test_combinators_timeout_inner_wins);
    tcase_add_test(tc, test_combinators_timeout_at);
    tcase_add_loop_test(tc, test_combinators_timeout_drop_after_n_polls, 0,
                        5);
    tc = tcase(s, "timeout_task_join");
    tcase_add_test(tc, test_combinators_timeout_task_join);
    tc = tcase(s, "select");
    tcase_add_test(tc, test_combinators_select_sleep_vs_pending);
    tcase_add_test(tc, test_combinators_select_earliest_sleep_wins);
    tcase_add_loop_test(tc, test_combinators_select_drop_after_n_polls, 0,
                        4);
    tc = tcase(s, "select_wake_from_thread");
    tcase_add_test(tc, test_combinators_select_wake_from_thread);
    tc = tcase(s, "join");
    tcase_add_test(tc, test_combinators_join_many_sleeps);
    tcase_add_loop_test(tc, test_combinators_join_drop_after_n_polls, 0, 4);
    tc = tcase(s, "join_tasks");
    tcase_add_test(tc, test_combinators_join_spawned_tasks);
    tcase_add_test(tc, test_combinators_spawned_tree);
    return s;
}
