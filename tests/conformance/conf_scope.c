/* SPDX-License-Identifier: MIT */
/* Conformance: task scopes (nurseries): join, close, cancel-on-error, drop. */
#include <stdlib.h>

#include "conformance.h"

/* A task: `yields` self-woken polls (-1: pending forever without waking),
 * then READY with `value`. */
struct worker {
    struct fut_future base;
    int yields, value, polls;
    int *drops;
};

static enum fut_poll
worker_poll(struct fut_future *f, struct fut_context *cx)
{
    struct worker *w = (struct worker *)f;

    if (w->yields < 0)
        return FUT_PENDING; /* waits for an event that never comes */
    if (w->polls++ < w->yields) {
        fut_waker_wake_by_ref(cx->waker);
        return FUT_PENDING;
    }
    return FUT_READY;
}

static void
worker_drop(struct fut_future *f)
{
    (*((struct worker *)f)->drops)++;
}

static int
worker_result(const struct fut_future *f)
{
    return ((const struct worker *)f)->value;
}

static const struct fut_future_vtable worker_vtable = {
    .poll = worker_poll, .drop = worker_drop, .result = worker_result,
};

static void
worker_init(struct worker *w, int yields, int value, int *drops)
{
    w->base.vtable = &worker_vtable;
    w->yields = yields;
    w->value = value;
    w->polls = 0;
    w->drops = drops;
}

START_TEST(test_scope_join_waits_for_all)
{
    struct fut_scope sc;
    struct fut_scope_wait wait;
    struct worker w;
    int drops = 0, i;

    ck_assert_int_eq(fut_scope_init(&sc, &conf_rt, 0), 0);
    for (i = 0; i < 20; i++) {
        worker_init(&w, i, 0, &drops);
        ck_assert_int_eq(fut_scope_spawn(&sc, &w.base, sizeof w, NULL), 0);
    }
    ck_assert_uint_eq(fut_scope_count(&sc), 20);
    fut_scope_join_init(&wait, &sc);
    ck_assert_int_eq(fut_block_on(&conf_rt, &wait.base), 0);
    ck_assert_int_eq(wait.result, 0);
    ck_assert_int_eq(drops, 20);
    ck_assert_uint_eq(fut_scope_count(&sc), 0);
    fut_future_drop(&wait.base);
}
END_TEST

START_TEST(test_scope_close_cancels_the_rest)
{
    struct fut_scope sc;
    struct fut_scope_wait wait;
    struct worker w;
    struct fut_task *forever;
    int drops = 0;

    fut_scope_init(&sc, &conf_rt, 0);
    worker_init(&w, 2, 0, &drops);
    fut_scope_spawn(&sc, &w.base, sizeof w, NULL);
    worker_init(&w, -1, 0, &drops);
    fut_scope_spawn(&sc, &w.base, sizeof w, &forever);
    fut_scope_close_init(&wait, &sc);
    ck_assert_int_eq(fut_block_on(&conf_rt, &wait.base), 0);
    ck_assert_int_eq(drops, 2);
    ck_assert_int_eq(fut_task_result(forever), -ECANCELED);
    ck_assert_int_eq(wait.result, 0); /* cancellation is not an error */
    worker_init(&w, 0, 0, &drops);
    ck_assert_int_eq(fut_scope_spawn(&sc, &w.base, sizeof w, NULL),
                     -ESHUTDOWN);
    fut_task_detach(forever);
    fut_future_drop(&wait.base);
}
END_TEST

START_TEST(test_scope_first_error_cancels)
{
    struct fut_scope sc;
    struct fut_scope_wait wait;
    struct worker w;
    int drops = 0, i;

    fut_scope_init(&sc, &conf_rt, FUT_SCOPE_CANCEL_ON_ERROR);
    for (i = 0; i < 5; i++) {
        worker_init(&w, -1, 0, &drops);
        fut_scope_spawn(&sc, &w.base, sizeof w, NULL);
    }
    worker_init(&w, 3, -EIO, &drops);
    fut_scope_spawn(&sc, &w.base, sizeof w, NULL);
    worker_init(&w, 9, -EPIPE, &drops); /* would fail later: cancelled */
    fut_scope_spawn(&sc, &w.base, sizeof w, NULL);
    fut_scope_join_init(&wait, &sc);
    ck_assert_int_eq(fut_block_on(&conf_rt, &wait.base), 0);
    ck_assert_int_eq(wait.result, -EIO);
    ck_assert_int_eq(fut_scope_first_error(&sc), -EIO);
    ck_assert_int_eq(drops, 7);
    fut_future_drop(&wait.base);
}
END_TEST

START_TEST(test_scope_error_without_flag_keeps_others)
{
    struct fut_scope sc;
    struct fut_scope_wait wait;
    struct worker w;
    int drops = 0;

    fut_scope_init(&sc, &conf_rt, 0);
    worker_init(&w, 1, -EIO, &drops);
    fut_scope_spawn(&sc, &w.base, sizeof w, NULL);
    worker_init(&w, 10, 0, &drops);
    fut_scope_spawn(&sc, &w.base, sizeof w, NULL);
    fut_scope_join_init(&wait, &sc);
    ck_assert_int_eq(fut_block_on(&conf_rt, &wait.base), 0);
    ck_assert_int_eq(wait.result, -EIO);
    ck_assert_int_eq(drops, 2);
    fut_future_drop(&wait.base);
}
END_TEST

/* Dropping a pending close leaves no task tied to the scope's storage. */
START_TEST(test_scope_close_drop_after_n_polls)
{
    struct fut_scope *sc = malloc(sizeof *sc);
    struct fut_scope_wait wait;
    struct test_drop_after d;
    struct worker w;
    int drops = 0, i;

    fut_scope_init(sc, &conf_rt, 0);
    for (i = 0; i < 4; i++) {
        worker_init(&w, i * 2, 0, &drops);
        fut_scope_spawn(sc, &w.base, sizeof w, NULL);
    }
    worker_init(&w, -1, 0, &drops);
    fut_scope_spawn(sc, &w.base, sizeof w, NULL);
    fut_scope_close_init(&wait, sc);
    test_drop_after_init(&d, &wait.base, _i, 1);
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    free(sc); /* the scope's storage goes; remaining tasks must not touch it */
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(drops, 5);
}
END_TEST

START_TEST(test_scope_bad_input)
{
    struct fut_scope sc;
    struct fut_scope_wait wait;
    struct worker w;
    int drops = 0;
    struct fut_task *t = (struct fut_task *)&w;

    worker_init(&w, 0, 0, &drops);
    ck_assert_int_eq(fut_scope_init(NULL, &conf_rt, 0), -EINVAL);
    ck_assert_int_eq(fut_scope_init(&sc, NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_scope_init(&sc, &conf_rt, 0x80), -EINVAL);
    ck_assert_int_eq(fut_scope_spawn(NULL, &w.base, sizeof w, &t), -EINVAL);
    ck_assert_ptr_null(t);
    fut_scope_init(&sc, &conf_rt, 0);
    ck_assert_int_eq(fut_scope_spawn(&sc, NULL, sizeof w, NULL), -EINVAL);
    ck_assert_int_eq(fut_scope_join_init(NULL, &sc), -EINVAL);
    ck_assert_int_eq(fut_scope_join_init(&wait, NULL), -EINVAL);
    ck_assert_int_eq(fut_scope_close_init(NULL, &sc), -EINVAL);
    ck_assert_uint_eq(fut_scope_count(NULL), 0);
    ck_assert_int_eq(fut_scope_first_error(NULL), -EINVAL);
    /* An empty scope joins at once. */
    fut_scope_join_init(&wait, &sc);
    ck_assert_int_eq(fut_block_on(&conf_rt, &wait.base), 0);
    fut_future_drop(&wait.base);
}
END_TEST

Suite *
fut_conf_scope_suite(void)
{
    Suite *s = suite_create("scope");
    TCase *tc;

#define SCOPE_CASE(name, fn)                                                \
    tc = tcase_create(name);                                                \
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);               \
    tcase_add_test(tc, fn);                                                 \
    suite_add_tcase(s, tc)

    SCOPE_CASE("join", test_scope_join_waits_for_all);
    SCOPE_CASE("close", test_scope_close_cancels_the_rest);
    SCOPE_CASE("first_error", test_scope_first_error_cancels);
    SCOPE_CASE("error_no_flag", test_scope_error_without_flag_keeps_others);
    SCOPE_CASE("bad_input", test_scope_bad_input);
#undef SCOPE_CASE
    tc = tcase_create("close_drop");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_add_loop_test(tc, test_scope_close_drop_after_n_polls, 0, 6);
    suite_add_tcase(s, tc);
    return s;
}
