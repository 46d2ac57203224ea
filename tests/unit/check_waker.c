/* SPDX-License-Identifier: MIT */
/* Unit tests: waker helpers, the noop waker and the atomic waker. */
#include <pthread.h>
#include <string.h>
#include <sched.h>
#include <stdlib.h>

#include "suites.h"
#include "support.h"

START_TEST(test_waker_noop)
{
    const struct fut_waker *n = fut_waker_noop();
    struct fut_waker c;

    ck_assert_ptr_nonnull(n);
    ck_assert_ptr_eq(n, fut_waker_noop());
    c = fut_waker_clone(n);
    ck_assert(fut_waker_will_wake(&c, n));
    fut_waker_wake_by_ref(&c);
    fut_waker_wake(c);
    c = fut_waker_clone(n);
    fut_waker_drop(&c);
    ck_assert(!fut_waker_is_set(&c));
    fut_waker_drop(&c); /* empty: no-op */
}
END_TEST

START_TEST(test_waker_set_clones_once)
{
    struct test_waker a, b;
    struct fut_waker slot = { NULL, NULL };

    test_waker_init(&a);
    test_waker_init(&b);
    fut_waker_set(&slot, &a.waker);
    fut_waker_set(&slot, &a.waker); /* same target: no new clone */
    ck_assert_int_eq(a.clones, 1);
    ck_assert_int_eq(a.live, 1);
    fut_waker_set(&slot, &b.waker); /* another target: swap */
    ck_assert_int_eq(a.live, 0);
    ck_assert_int_eq(b.live, 1);
    fut_waker_take_wake(&slot);
    ck_assert_int_eq(b.wakes, 1);
    ck_assert_int_eq(b.live, 0);
    ck_assert(!fut_waker_is_set(&slot));
    fut_waker_take_wake(&slot); /* empty: no-op */
    ck_assert_int_eq(b.wakes, 1);
}
END_TEST

START_TEST(test_waker_atomic_register_wake)
{
    struct fut_atomic_waker aw;
    struct test_waker a, b;

    test_waker_init(&a);
    test_waker_init(&b);
    fut_atomic_waker_init(&aw);
    fut_atomic_waker_wake(&aw); /* nothing registered */
    fut_atomic_waker_register(&aw, &a.waker);
    fut_atomic_waker_register(&aw, &a.waker);
    ck_assert_int_eq(a.live, 1);
    fut_atomic_waker_register(&aw, &b.waker);
    ck_assert_int_eq(a.live, 0);
    fut_atomic_waker_wake(&aw);
    ck_assert_int_eq(b.wakes, 1);
    ck_assert_int_eq(b.live, 0);
    fut_atomic_waker_wake(&aw); /* taken already */
    ck_assert_int_eq(b.wakes, 1);
    fut_atomic_waker_register(&aw, &a.waker);
    fut_atomic_waker_drop(&aw);
    ck_assert_int_eq(a.live, 0);
    ck_assert_int_eq(a.wakes, 0);
}
END_TEST

/* A flag set by another thread before its wake is never missed: every
 * round, after register + check, either the flag was seen or the wake
 * comes. */
struct race {
    struct fut_atomic_waker aw;
    int flag;
    int rounds;
};

static void *
race_thread(void *arg)
{
    struct race *r = arg;
    int i;

    for (i = 0; i < r->rounds; i++) {
        while (__atomic_load_n(&r->flag, __ATOMIC_ACQUIRE) != 0)
            sched_yield(); /* valgrind runs one thread at a time */
        __atomic_store_n(&r->flag, 1, __ATOMIC_RELEASE);
        fut_atomic_waker_wake(&r->aw);
    }
    return NULL;
}

START_TEST(test_waker_atomic_no_lost_wake)
{
    struct race r;
    struct test_waker tw;
    pthread_t th;
    int i, seen_by_wake = 0;

    test_waker_init(&tw);
    fut_atomic_waker_init(&r.aw);
    r.flag = 0;
    /* Fewer rounds under valgrind, which runs one thread at a time. */
    r.rounds = getenv("FUT_TEST_SLOW") != NULL ? 300 : 20000;
    ck_assert_int_eq(pthread_create(&th, NULL, race_thread, &r), 0);
    for (i = 0; i < r.rounds; i++) {
        int before = __atomic_load_n(&tw.wakes, __ATOMIC_ACQUIRE);

        for (;;) {
            int64_t give_up;

            fut_atomic_waker_register(&r.aw, &tw.waker);
            if (__atomic_load_n(&r.flag, __ATOMIC_ACQUIRE))
                break;
            /* The flag was clear after we registered, so the thread's
             * set-then-wake comes later and must reach our waker. */
            give_up = fut_now_ns() + 10 * FUT_NSEC_PER_SEC;
            while (__atomic_load_n(&tw.wakes, __ATOMIC_ACQUIRE) == before) {
                ck_assert_msg(fut_now_ns() < give_up, "lost wake, round %d",
                              i);
                sched_yield();
            }
            seen_by_wake++;
            before = __atomic_load_n(&tw.wakes, __ATOMIC_ACQUIRE);
        }
        __atomic_store_n(&r.flag, 0, __ATOMIC_RELEASE);
    }
    pthread_join(th, NULL);
    fut_atomic_waker_drop(&r.aw);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_ge(tw.wakes, seen_by_wake);
}
END_TEST

/* take_woken reports each wake once, and drop clears it. */
START_TEST(test_waker_atomic_take_woken)
{
    struct fut_atomic_waker aw;
    struct test_waker a;

    test_waker_init(&a);
    fut_atomic_waker_init(&aw);
    ck_assert_int_eq(fut_atomic_waker_take_woken(&aw), 0);
    fut_atomic_waker_wake(&aw); /* nothing registered: still marked */
    ck_assert_int_eq(fut_atomic_waker_take_woken(&aw), 1);
    ck_assert_int_eq(fut_atomic_waker_take_woken(&aw), 0);
    fut_atomic_waker_register(&aw, &a.waker);
    ck_assert_int_eq(fut_atomic_waker_take_woken(&aw), 0);
    fut_atomic_waker_wake(&aw);
    fut_atomic_waker_wake(&aw);
    ck_assert_int_eq(a.wakes, 1);
    ck_assert_int_eq(fut_atomic_waker_take_woken(&aw), 1);
    fut_atomic_waker_register(&aw, &a.waker); /* registers after a wake */
    fut_atomic_waker_wake(&aw);
    fut_atomic_waker_drop(&aw);
    ck_assert_int_eq(fut_atomic_waker_take_woken(&aw), 0);
    ck_assert_int_eq(a.live, 0);
}
END_TEST

/* A waker whose wake blocks until released, to hold a wake in progress. */
struct slow {
    int in_wake, release, dropped;
    struct fut_atomic_waker aw;
};

static struct fut_waker slow_clone(const void *data);

static void
slow_wake(const void *data)
{
    struct slow *s = (struct slow *)data;

    __atomic_store_n(&s->in_wake, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&s->release, __ATOMIC_SEQ_CST))
        sched_yield();
    __atomic_store_n(&s->in_wake, 0, __ATOMIC_SEQ_CST);
}

static void
slow_drop(const void *data)
{
    (void)data;
}

static const struct fut_waker_vtable slow_vtable = {
    .clone = slow_clone,
    .wake = slow_wake,
    .wake_by_ref = slow_wake,
    .drop = slow_drop,
};

static struct fut_waker
slow_clone(const void *data)
{
    struct fut_waker w = { &slow_vtable, data };

    return w;
}

static void *
slow_waker_thread(void *arg)
{
    fut_atomic_waker_wake(&((struct slow *)arg)->aw);
    return NULL;
}

static void *
slow_dropper_thread(void *arg)
{
    struct slow *s = arg;

    fut_atomic_waker_drop(&s->aw);
    __atomic_store_n(&s->dropped, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Before: drop returned while another thread was still inside the wake,
 * so the owner could free the slot under it. */
START_TEST(test_waker_atomic_drop_waits_for_wake)
{
    struct slow s;
    struct fut_waker w;
    pthread_t waker, dropper;
    int i;

    memset(&s, 0, sizeof s);
    fut_atomic_waker_init(&s.aw);
    w.vtable = &slow_vtable;
    w.data = &s;
    fut_atomic_waker_register(&s.aw, &w);
    ck_assert_int_eq(pthread_create(&waker, NULL, slow_waker_thread, &s), 0);
    while (!__atomic_load_n(&s.in_wake, __ATOMIC_SEQ_CST))
        sched_yield();
    ck_assert_int_eq(pthread_create(&dropper, NULL, slow_dropper_thread, &s),
                     0);
    for (i = 0; i < 200; i++) {
        sched_yield();
        ck_assert_int_eq(__atomic_load_n(&s.dropped, __ATOMIC_SEQ_CST), 0);
    }
    __atomic_store_n(&s.release, 1, __ATOMIC_SEQ_CST);
    pthread_join(waker, NULL);
    pthread_join(dropper, NULL);
    ck_assert_int_eq(s.dropped, 1);
    ck_assert_int_eq(s.in_wake, 0);
}
END_TEST

Suite *
fut_test_waker_suite(void)
{
    Suite *s = suite_create("waker");
    TCase *tc = tcase_create("basic");

    tcase_add_test(tc, test_waker_noop);
    tcase_add_test(tc, test_waker_set_clones_once);
    tcase_add_test(tc, test_waker_atomic_register_wake);
    tcase_add_test(tc, test_waker_atomic_take_woken);
    suite_add_tcase(s, tc);
    tc = tcase_create("threads");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_waker_atomic_no_lost_wake);
    tcase_add_test(tc, test_waker_atomic_drop_waits_for_wake);
    suite_add_tcase(s, tc);
    return s;
}
