/* SPDX-License-Identifier: MIT */
/* Conformance: sleeps, intervals and the timer wheel (order, never early, cancel). */
#include <stdlib.h>

#include "conformance.h"
#include "internal.h"

struct timed {
    struct fut_future base;
    int state;
    int64_t duration;
    int64_t started, finished;
    struct fut_sleep sleep;
    int *order;
    int *next;
    int id;
};

static enum fut_poll
timed_poll(struct fut_future *f, struct fut_context *cx)
{
    struct timed *t = (struct timed *)f;

    FUT_ASYNC_BEGIN(&t->state);
    t->started = fut_now_ns();
    fut_sleep_init(&t->sleep, t->duration);
    FUT_AWAIT_FUTURE(&t->state, &t->sleep.base, cx);
    t->finished = fut_now_ns();
    if (t->order != NULL)
        t->order[(*t->next)++] = t->id;
    FUT_ASYNC_END(&t->state);
}

static void
timed_drop(struct fut_future *f)
{
    fut_future_drop(&((struct timed *)f)->sleep.base);
}

static const struct fut_future_vtable timed_vtable = {
    .poll = timed_poll, .drop = timed_drop, .result = NULL,
};

static void
timed_init(struct timed *t, int64_t duration, int *order, int *next, int id)
{
    memset(t, 0, sizeof *t);
    t->base.vtable = &timed_vtable;
    t->duration = duration;
    t->order = order;
    t->next = next;
    t->id = id;
}

START_TEST(test_timer_sleep_not_early)
{
    static const int64_t durations[] = { 0, 1000, 50000, 1000000, 5000000 };
    size_t i;

    for (i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        struct timed t;

        timed_init(&t, durations[i], NULL, NULL, 0);
        ck_assert_int_eq(fut_block_on(&conf_rt, &t.base), 0);
        ck_assert_int_ge(t.finished - t.started, durations[i]);
        fut_future_drop(&t.base);
    }
}
END_TEST

START_TEST(test_timer_fire_in_order)
{
    enum { N = 300 };
    static struct timed ts[N];
    static int order[N];
    int next = 0, i;

    srand(12345);
    for (i = 0; i < N; i++) {
        /* 0..30 ms, with many ties on purpose */
        int64_t d = (int64_t)(rand() % 60) * 500 * FUT_NSEC_PER_USEC;

        timed_init(&ts[i], d, order, &next, i);
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &ts[i], NULL), 0);
    }
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(next, N);
    /* They fired in the order of their deadlines; two deadlines within the
     * same microsecond tick may fire either way round. */
    for (i = 1; i < N; i++)
        ck_assert_int_le(ts[order[i - 1]].sleep.deadline_ns,
                         ts[order[i]].sleep.deadline_ns + FUT_NSEC_PER_USEC);
}
END_TEST

START_TEST(test_timer_sleep_until_past_is_ready)
{
    struct fut_sleep s;
    struct test_waker tw;
    struct fut_context cx;

    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_sleep_until_init(&s, fut_now_ns() - 1000), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY); /* fused */
    ck_assert_int_eq(fut_future_result(&s.base), 0);
    fut_future_drop(&s.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* Busy-wait (no turn of the runtime) until the clock reaches @t. */
static void
spin_until(int64_t t)
{
    while (fut_now_ns() < t)
        ;
}

/* The time of the runtime's wheel: the clock as of its latest look. */
static int64_t
wheel_time(void)
{
    struct fut__wheel *w = fut__runtime_wheel(&conf_rt);

    return w->start_ns + (int64_t)(w->elapsed * FUT_NSEC_PER_USEC);
}

/*
 * With a timer armed the runtime's wheel keeps the time of its latest look
 * at the clock, and a first poll does not read the clock for deadlines far
 * after it. A deadline that passed since that look, within the 10 ms the
 * header documents, is still READY at the first poll; one before the
 * wheel's time is too. The first poll takes no turn of the runtime.
 */
START_TEST(test_timer_sleep_until_past_wheel_behind)
{
    struct fut_sleep far, s;
    struct test_waker tw_far, tw;
    struct fut_context cx_far, cx;
    int64_t deadline;

    test_waker_init(&tw_far);
    test_waker_init(&tw);
    cx_far = test_cx(&tw_far, &conf_rt);
    cx = test_cx(&tw, &conf_rt);
    for (;;) {
        /* Arming on the empty wheel brings its time up to the clock. */
        ck_assert_int_eq(fut_sleep_init(&far, 60 * FUT_NSEC_PER_SEC), 0);
        ck_assert_int_eq(fut_future_poll(&far.base, &cx_far), FUT_PENDING);
        /* A turn that does not block brings the wheel's time up to the
         * clock even if other timers were armed already. */
        ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 0);
        spin_until(wheel_time() + 2 * FUT_NSEC_PER_MSEC);
        deadline = fut_now_ns() - 1000;
        /* Behind the clock, but not by more than the window. A thread
         * preempted here overshoots the 2 ms: try again, for as long as
         * it takes (the test case's timeout is the only limit). */
        if (deadline > wheel_time() &&
            deadline - wheel_time() < 8 * FUT_NSEC_PER_MSEC)
            break;
        fut_future_drop(&far.base);
    }
    ck_assert_int_eq(fut_sleep_until_init(&s, deadline), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(fut_future_result(&s.base), 0);
    fut_future_drop(&s.base);
    /* Long past: before the wheel's time. */
    ck_assert_int_eq(fut_sleep_until_init(&s, wheel_time() - FUT_NSEC_PER_SEC),
                     0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    fut_future_drop(&s.base);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 1);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(tw.wakes, 0);
    fut_future_drop(&far.base);
    ck_assert_int_eq(tw_far.live, 0);
    ck_assert_int_eq(tw_far.wakes, 0);
}
END_TEST

/*
 * The exception the header documents: with a timer armed and the wheel's
 * time more than 10 ms behind the clock (here a busy wait with no turn),
 * the first poll does not read the clock, so a deadline that passed since
 * is armed instead of READY. Then it must fire at the very next turn, one
 * that does not block, and never before its deadline. (The busy wait
 * only lengthens if the thread is preempted, so this does not depend on
 * how fast the machine is.)
 */
START_TEST(test_timer_sleep_until_past_wheel_far_behind)
{
    struct fut_sleep far, s;
    struct test_waker tw_far, tw;
    struct fut_context cx_far, cx;
    int64_t deadline, seen;

    test_waker_init(&tw_far);
    test_waker_init(&tw);
    cx_far = test_cx(&tw_far, &conf_rt);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_sleep_init(&far, 60 * FUT_NSEC_PER_SEC), 0);
    ck_assert_int_eq(fut_future_poll(&far.base, &cx_far), FUT_PENDING);
    seen = wheel_time();
    spin_until(seen + 15 * FUT_NSEC_PER_MSEC);
    deadline = fut_now_ns() - 1000;
    ck_assert_int_eq(fut_sleep_until_init(&s, deadline), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_PENDING);
    /* The poll did not move the wheel's time (no clock read, no turn). */
    ck_assert_int_eq(wheel_time(), seen);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 2);
    ck_assert_int_eq(tw.wakes, 0);
    ck_assert_int_eq(tw.live, 1);
    /* One turn that does not block: it looks at the clock. */
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 0);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_ge(wheel_time(), deadline);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 1);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_ge(fut_now_ns(), deadline);
    ck_assert_int_eq(fut_future_result(&s.base), 0);
    fut_future_drop(&s.base);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 1);
    fut_future_drop(&far.base);
    ck_assert_int_eq(tw_far.wakes, 0);
    ck_assert_int_eq(tw_far.live, 0);
}
END_TEST

/*
 * A sleep polled again after its deadline, before any turn of the runtime
 * has fired its timer, is READY at that poll (a deadline within 10 ms of
 * the wheel's time is checked against the clock), and its timer is gone.
 */
START_TEST(test_timer_sleep_repoll_after_deadline)
{
    struct fut_sleep s;
    struct test_waker tw;
    struct fut_context cx;

    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_sleep_init(&s, 5 * FUT_NSEC_PER_MSEC), 0);
    if (fut_future_poll(&s.base, &cx) == FUT_PENDING) {
        ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 1);
        spin_until(s.deadline_ns);
        ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    }
    ck_assert_int_ge(fut_now_ns(), s.deadline_ns);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(tw.wakes, 0);
    fut_future_drop(&s.base);
}
END_TEST

START_TEST(test_timer_no_runtime_is_einval)
{
    struct fut_sleep s;
    struct fut_context cx = test_noop_cx();

    ck_assert_int_eq(fut_sleep_init(&s, FUT_NSEC_PER_SEC), 0);
    ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_READY);
    ck_assert_int_eq(s.res, -EINVAL);
    ck_assert_int_eq(fut_future_result(&s.base), -EINVAL);
    fut_future_drop(&s.base);
}
END_TEST

START_TEST(test_timer_bad_input)
{
    struct fut_sleep s;
    struct fut_interval iv;
    int64_t tick = 0;
    struct fut_context cx = test_noop_cx();

    ck_assert_int_eq(fut_sleep_init(NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_sleep_init(&s, -1), -EINVAL);
    ck_assert_int_eq(fut_sleep_until_init(NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_sleep_reset(NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_interval_init(NULL, 1, 0), -EINVAL);
    ck_assert_int_eq(fut_interval_init(&iv, 0, 0), -EINVAL);
    ck_assert_int_eq(fut_interval_init(&iv, -5, 0), -EINVAL);
    ck_assert_int_eq(fut_interval_init(&iv, 5, 7), -EINVAL);
    ck_assert_int_eq(fut_interval_poll_tick(NULL, &cx, &tick), FUT_READY);
    ck_assert_int_eq(tick, -EINVAL);
    ck_assert_int_eq(fut_interval_poll_tick(&iv, &cx, NULL), FUT_READY);
    fut_interval_drop(NULL);
    /* A huge duration saturates instead of overflowing. */
    ck_assert_int_eq(fut_sleep_init(&s, INT64_MAX), 0);
    ck_assert_int_eq(s.deadline_ns, INT64_MAX);
    fut_future_drop(&s.base);
}
END_TEST

/* Thousands of far timers armed and dropped leave nothing behind. */
START_TEST(test_timer_cancel_many)
{
    enum { N = 5000 };
    static struct fut_sleep ss[N];
    struct test_waker tw;
    struct fut_context cx;
    /* An hour ahead, so none can be due however slowly the loop runs. */
    int64_t base = fut_now_ns() + 3600 * FUT_NSEC_PER_SEC;
    int i;

    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    for (i = 0; i < N; i++) {
        fut_sleep_until_init(&ss[i],
                             base + (int64_t)i * 997 * FUT_NSEC_PER_MSEC);
        ck_assert_int_eq(fut_future_poll(&ss[i].base, &cx), FUT_PENDING);
    }
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), N);
    for (i = 0; i < N; i += 2)
        fut_future_drop(&ss[i].base);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), N / 2);
    for (i = 1; i < N; i += 2)
        fut_future_drop(&ss[i].base);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(tw.wakes, 0);
}
END_TEST

/* The wheel, driven with synthetic time: every timer fires at the first
 * advance past its deadline and never before, across all levels. */
START_TEST(test_timer_wheel_exact_across_levels)
{
    enum { N = 4000 };
    static struct fut_sleep ss[N];
    static struct test_waker tws[N];
    struct fut__wheel *w = fut__runtime_wheel(&conf_rt);
    /* An hour ahead: no turn of the runtime comes, and real time cannot
     * reach a deadline however slowly the arming goes. */
    int64_t base = fut_now_ns() + 3600 * FUT_NSEC_PER_SEC, t;
    int i, fired = 0;

    srand(777);
    for (i = 0; i < N; i++) {
        /* Spread over 1 µs .. ~70 min, log-uniformly. */
        int64_t d = (int64_t)1000 << (rand() % 32);
        struct fut_context cx;

        d += rand() % 1000000;
        test_waker_init(&tws[i]);
        cx = test_cx(&tws[i], &conf_rt);
        fut_sleep_until_init(&ss[i], base + d);
        ck_assert_msg(fut_future_poll(&ss[i].base, &cx) == FUT_PENDING,
                      "timer %d (+%lld ns) not armed: res %d", i,
                      (long long)d, ss[i].res);
    }
    /* Now step through synthetic time, geometrically, checking every
     * timer after each step. */
    for (t = base; fired < N; t += (t - base) / 8 + 700) {
        fut__wheel_advance(w, t);
        fired = 0;
        for (i = 0; i < N; i++) {
            int due = t >= ss[i].deadline_ns +
                               FUT_NSEC_PER_USEC; /* whole tick elapsed */

            if (tws[i].wakes > 0) {
                fired++;
                /* never early */
                ck_assert_int_ge(t, ss[i].deadline_ns);
            } else {
                ck_assert_msg(!due, "timer %d late: deadline %lld now %lld",
                              i, (long long)(ss[i].deadline_ns - base),
                              (long long)(t - base));
            }
        }
    }
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    for (i = 0; i < N; i++) {
        fut_future_drop(&ss[i].base);
        ck_assert_int_eq(tws[i].live, 0);
    }
}
END_TEST

/*
 * A pending sleep an hour ahead, pulled in to 2 ms: the wheel's next
 * deadline moves with it, and the sleep finishes, not before the new
 * deadline. Were the timer not moved, the test would wait an hour, far
 * past the test case's timeout.
 */
START_TEST(test_timer_reset)
{
    struct timed t;
    struct test_waker tw;
    struct fut_context cx;
    int64_t deadline;

    timed_init(&t, 3600 * FUT_NSEC_PER_SEC, NULL, NULL, 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_future_poll(&t.base, &cx), FUT_PENDING);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 1);
    /* Earlier, but far enough that no loaded machine reaches it first:
     * still one registration, and the wheel's next deadline moved. */
    deadline = fut_now_ns() + 1800 * FUT_NSEC_PER_SEC;
    ck_assert_int_eq(fut_sleep_reset(&t.sleep, deadline), 0);
    ck_assert_int_eq(t.sleep.deadline_ns, deadline);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 1);
    ck_assert_int_lt(
        fut__wheel_next_deadline(fut__runtime_wheel(&conf_rt)) -
            FUT_NSEC_PER_USEC,
        deadline);
    /* Then soon: it may be due already when the reset runs (valgrind on
     * a loaded machine), which is fine; it must never end early. */
    deadline = fut_now_ns() + 2 * FUT_NSEC_PER_MSEC;
    ck_assert_int_eq(fut_sleep_reset(&t.sleep, deadline), 0);
    ck_assert_int_eq(t.sleep.deadline_ns, deadline);
    ck_assert_int_eq(fut_block_on(&conf_rt, &t.base), 0);
    ck_assert_int_ge(t.finished, deadline);
    fut_future_drop(&t.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

struct ticker {
    struct fut_future base;
    int state;
    struct fut_interval iv;
    struct fut_stream_next next;
    int64_t ticks[4];
    int64_t item;
    int n;
};

static enum fut_poll
ticker_poll(struct fut_future *f, struct fut_context *cx)
{
    struct ticker *k = (struct ticker *)f;

    FUT_ASYNC_BEGIN(&k->state);
    for (k->n = 0; k->n < 2; k->n++)
        FUT_AWAIT(&k->state, fut_interval_poll_tick(&k->iv, cx,
                                                    &k->ticks[k->n]));
    /* ... and the same through the Stream interface. */
    for (; k->n < 4; k->n++) {
        fut_stream_next_init(&k->next, &k->iv.stream, &k->item);
        FUT_AWAIT_FUTURE(&k->state, &k->next.base, cx);
        ck_assert_int_eq(k->next.res, 1);
        k->ticks[k->n] = k->item;
    }
    FUT_ASYNC_END(&k->state);
}

static void
ticker_drop(struct fut_future *f)
{
    struct ticker *k = (struct ticker *)f;

    fut_future_drop(&k->next.base);
    fut_interval_drop(&k->iv);
}

static const struct fut_future_vtable ticker_vtable = {
    .poll = ticker_poll, .drop = ticker_drop, .result = NULL,
};

START_TEST(test_timer_interval_ticks)
{
    struct ticker k;
    int64_t period = 3 * FUT_NSEC_PER_MSEC;
    int i;

    memset(&k, 0, sizeof k);
    k.base.vtable = &ticker_vtable;
    ck_assert_int_eq(fut_interval_init(&k.iv, period, FUT_MISSED_BURST), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &k.base), 0);
    for (i = 1; i < 4; i++)
        ck_assert_int_eq(k.ticks[i] - k.ticks[i - 1], period);
    ck_assert_int_le(k.ticks[3], fut_now_ns());
    fut_future_drop(&k.base);
}
END_TEST

/* Takes one tick of an interval. */
struct tick_once {
    struct fut_future base;
    struct fut_interval *iv;
    int64_t tick;
};

static enum fut_poll
tick_once_poll(struct fut_future *f, struct fut_context *cx)
{
    struct tick_once *t = (struct tick_once *)f;

    return fut_interval_poll_tick(t->iv, cx, &t->tick);
}

static void
tick_once_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable tick_once_vtable = {
    .poll = tick_once_poll, .drop = tick_once_drop, .result = NULL,
};

static int64_t
take_tick(struct fut_interval *iv)
{
    struct tick_once t = { { &tick_once_vtable }, iv, 0 };

    ck_assert_int_eq(fut_block_on(&conf_rt, &t.base), 0);
    ck_assert_int_gt(t.tick, 0);
    ck_assert_int_ge(fut_now_ns(), t.tick); /* never before the tick */
    return t.tick;
}

/* What each policy does with ticks missed while the task was busy. */
START_TEST(test_timer_interval_missed_ticks)
{
    static const int modes[] = { FUT_MISSED_BURST, FUT_MISSED_DELAY,
                                 FUT_MISSED_SKIP };
    const int64_t p = 2 * FUT_NSEC_PER_MSEC;
    size_t i;

    for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        struct fut_interval iv;
        int64_t first, t0, t1;

        ck_assert_int_eq(fut_interval_init(&iv, p, modes[i]), 0);
        first = iv.next_ns;
        /* Late by two and a half periods when the first tick is taken. */
        spin_until(first + 2 * p + p / 2);
        t0 = take_tick(&iv);
        ck_assert_int_eq(t0, first);
        t1 = take_tick(&iv);
        switch (modes[i]) {
        case FUT_MISSED_BURST:
            ck_assert_int_eq(t1 - t0, p);
            break;
        case FUT_MISSED_DELAY:
            /* A period after the tick was taken. */
            ck_assert_int_ge(t1 - t0, 3 * p + p / 2);
            break;
        default:
            /* The next multiple of the period after the tick was taken. */
            ck_assert_int_ge(t1 - t0, 3 * p);
            ck_assert_int_eq((t1 - t0) % p, 0);
            break;
        }
        fut_interval_drop(&iv);
        ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    }
}
END_TEST

/* Polls an interval's Stream once; its result, or 0 when PENDING. */
static int
interval_next_once(struct fut_interval *iv, struct fut_context *cx,
                   int64_t *item)
{
    struct fut_stream_next n;
    int res = 0;

    ck_assert_int_eq(fut_stream_next_init(&n, &iv->stream, item), 0);
    if (fut_future_poll(&n.base, cx) == FUT_READY)
        res = n.res;
    fut_future_drop(&n.base);
    return res;
}

static const int all_missed_modes[] = { FUT_MISSED_BURST, FUT_MISSED_DELAY,
                                        FUT_MISSED_SKIP };

/*
 * A period so long that now + period does not fit in an int64_t saturates
 * like fut_sleep_init(): the first tick is in the far future, neither due
 * at once nor a wrapped-round negative time that the Stream would hand out
 * as an error code. (Before the fix: signed overflow, caught by UBSan, and
 * a tick READY at once.)
 */
START_TEST(test_timer_interval_huge_period)
{
    size_t i;

    for (i = 0; i < 3; i++) {
        struct fut_interval iv;
        struct test_waker tw;
        struct fut_context cx;
        int64_t tick = 0, now = fut_now_ns();

        test_waker_init(&tw);
        cx = test_cx(&tw, &conf_rt);
        ck_assert_int_eq(
            fut_interval_init(&iv, INT64_MAX, all_missed_modes[i]), 0);
        ck_assert_int_eq(iv.next_ns, INT64_MAX);
        ck_assert_int_eq(fut_interval_poll_tick(&iv, &cx, &tick),
                         FUT_PENDING);
        ck_assert_int_eq(interval_next_once(&iv, &cx, &tick), 0);
        ck_assert_int_eq(fut_interval_init(&iv, INT64_MAX - now / 2,
                                           all_missed_modes[i]),
                         0);
        ck_assert_int_eq(iv.next_ns, INT64_MAX);
        ck_assert_int_eq(fut_interval_poll_tick(&iv, &cx, &tick),
                         FUT_PENDING);
        fut_interval_drop(&iv);
        ck_assert_int_eq(tw.wakes, 0);
        ck_assert_int_eq(tw.live, 0);
    }
}
END_TEST

/*
 * The tick after a first tick at now + period, with a period over half the
 * int64_t range, is past INT64_MAX: it saturates, in every missed-tick
 * policy, and is not due. The first tick is brought about with synthetic
 * time on the runtime's wheel.
 */
START_TEST(test_timer_interval_next_tick_saturates)
{
    const int64_t period = INT64_MAX / 2 + 1;
    struct fut__wheel *w = fut__runtime_wheel(&conf_rt);
    size_t i;

    for (i = 0; i < 3; i++) {
        struct fut_interval iv;
        struct test_waker tw;
        struct fut_context cx;
        int64_t first, tick = 0;

        test_waker_init(&tw);
        cx = test_cx(&tw, &conf_rt);
        ck_assert_int_eq(fut_interval_init(&iv, period, all_missed_modes[i]),
                         0);
        first = iv.next_ns;
        ck_assert_int_gt(first, fut_now_ns());
        ck_assert_int_eq(fut_interval_poll_tick(&iv, &cx, &tick),
                         FUT_PENDING);
        fut__wheel_advance(w, first + FUT_NSEC_PER_USEC);
        ck_assert_int_eq(tw.wakes, 1);
        ck_assert_int_eq(fut_interval_poll_tick(&iv, &cx, &tick), FUT_READY);
        ck_assert_int_eq(tick, first);
        ck_assert_int_eq(iv.next_ns, INT64_MAX);
        ck_assert_int_eq(fut_interval_poll_tick(&iv, &cx, &tick),
                         FUT_PENDING);
        ck_assert_int_eq(interval_next_once(&iv, &cx, &tick), 0);
        fut_interval_drop(&iv);
        ck_assert_int_eq(tw.wakes, 1);
        ck_assert_int_eq(tw.live, 0);
    }
}
END_TEST

/* The wheel's span in ticks (µs): 7 levels of 6 bits. */
#define WHEEL_SPAN_US ((uint64_t)1 << (FUT__WHEEL_LEVELS * 6))
#define TOP_SLOT_US ((uint64_t)1 << ((FUT__WHEEL_LEVELS - 1) * 6))

/*
 * Drives the wheel like a runtime that has nothing else to do: block until
 * the next deadline, advance to it. Each turn must lie ahead of the
 * wheel's time (a deadline at or before it is a turn for nothing, over
 * and over) and no later than the timer's deadline; the wheel's time never
 * goes back; the timer fires at the first turn at or after its deadline
 * and not before. Returns the number of turns taken, at most @max_turns.
 */
static int
drive_far_timer(struct fut__wheel *w, struct fut_sleep *s,
                struct test_waker *tw, int max_turns)
{
    int turns = 0;

    while (tw->wakes == 0 && turns < max_turns) {
        int64_t seen = w->start_ns + (int64_t)(w->elapsed * FUT_NSEC_PER_USEC);
        int64_t d = fut__wheel_next_deadline(w);
        uint64_t before = w->elapsed;

        ck_assert_msg(d > seen,
                      "turn %d: next deadline %lld µs, not after the "
                      "wheel's time %lld µs", turns,
                      (long long)((d - w->start_ns) / 1000),
                      (long long)((seen - w->start_ns) / 1000));
        /* (The deadline rounded up to the tick may be later by < 1 µs.) */
        ck_assert_int_lt(d - FUT_NSEC_PER_USEC, s->deadline_ns);
        fut__wheel_advance(w, d);
        turns++;
        ck_assert_uint_ge(w->elapsed, before);
        if (tw->wakes > 0)
            ck_assert_int_ge(d, s->deadline_ns);
        else
            ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 1);
    }
    return turns;
}

/*
 * Timers past the wheel's span (2^42 µs, about 51 days), armed with the
 * wheel's time at different places in its top-level rotation, driven with
 * synthetic time. They wait without an early or empty turn: one turn per
 * span at most while parked, then the way down through the levels.
 * (Before the fix: a far timer whose clamped place fell in the top-level
 * slot the wheel was in gave a next deadline in the past, one turn for
 * nothing, and moved the wheel's time back during the advance.)
 */
START_TEST(test_timer_wheel_far_timers)
{
    /* Where the wheel's time sits in its top-level rotation: the top
     * digit and what lies below it. */
    static const struct {
        uint64_t top, low;
    } at[] = { { 0, 1 }, { 0, 0 }, { 5, 0 }, { 5, 12345 },
               { 63, 7 }, { 63, TOP_SLOT_US - 1 }, { 31, TOP_SLOT_US / 2 } };
    /* How far ahead of the wheel's time (µs; 0: INT64_MAX). */
    static const uint64_t far[] = { WHEEL_SPAN_US - TOP_SLOT_US,
                                    WHEEL_SPAN_US - 1, WHEEL_SPAN_US,
                                    WHEEL_SPAN_US + 1,
                                    WHEEL_SPAN_US + TOP_SLOT_US / 3,
                                    60ull * 86400 * 1000000,
                                    3 * WHEEL_SPAN_US + 77, 0 };
    struct fut__wheel *w = fut__runtime_wheel(&conf_rt);
    size_t i, j;

    for (i = 0; i < sizeof at / sizeof at[0]; i++) {
        for (j = 0; j < sizeof far / sizeof far[0]; j++) {
            struct fut_sleep s;
            struct test_waker tw;
            struct fut_context cx;
            /* The next top-level rotation, so time only moves on. */
            uint64_t pos = (w->elapsed | (WHEEL_SPAN_US - 1)) + 1 +
                           at[i].top * TOP_SLOT_US + at[i].low;
            int64_t now = w->start_ns + (int64_t)(pos * FUT_NSEC_PER_USEC);
            int turns, spans;

            fut__wheel_advance(w, now);
            ck_assert_uint_eq(w->elapsed, pos);
            test_waker_init(&tw);
            cx = test_cx(&tw, &conf_rt);
            ck_assert_int_eq(
                fut_sleep_until_init(
                    &s, far[j] == 0 ? INT64_MAX
                                    : now + (int64_t)(far[j] * 1000)),
                0);
            ck_assert_int_eq(fut_future_poll(&s.base, &cx), FUT_PENDING);
            if (far[j] == 0) {
                /* Never due: a few turns, each a good part of a span
                 * after the last. */
                int k;

                for (k = 0; k < 3; k++) {
                    uint64_t before = w->elapsed;

                    ck_assert_int_eq(drive_far_timer(w, &s, &tw, 1), 1);
                    ck_assert_uint_ge(w->elapsed - before, WHEEL_SPAN_US / 2);
                }
                ck_assert_int_eq(tw.wakes, 0);
                fut_future_drop(&s.base);
                ck_assert_int_eq(tw.live, 0);
                continue;
            }
            spans = (int)(far[j] / (WHEEL_SPAN_US / 2)) + 1;
            turns = drive_far_timer(w, &s, &tw, spans + FUT__WHEEL_LEVELS + 1);
            ck_assert_msg(tw.wakes == 1,
                          "at %zu, far %zu: not fired after %d turns", i, j,
                          turns);
            ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
            fut_future_drop(&s.base);
            ck_assert_int_eq(tw.live, 0);
        }
    }
}
END_TEST

START_TEST(test_timer_sleep_drop_after_n_polls)
{
    struct fut_sleep s;
    struct test_drop_after d;

    fut_sleep_init(&s, 20 * FUT_NSEC_PER_MSEC);
    test_drop_after_init(&d, &s.base, _i, 1);
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
}
END_TEST

/*
 * fut_stream_next over an interval, dropped while pending: the drop takes
 * the waker back out of the interval (its forget slot disarms the timer),
 * so nothing is woken when the tick comes; the tick is not lost, and the
 * next poll re-arms the timer and gets it.
 */
START_TEST(test_timer_interval_next_drop_forgets_waker)
{
    struct fut_interval iv;
    struct fut_stream_next n;
    struct test_waker tw;
    struct fut_context cx;
    int64_t period = 20 * FUT_NSEC_PER_MSEC;
    int64_t first;
    int64_t tick = 0;

    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    /* The first poll must come before the first tick; on a loaded
     * machine it may not, so start again until it does (the tcase
     * timeout is the safety net). */
    for (;;) {
        ck_assert_int_eq(fut_interval_init(&iv, period, FUT_MISSED_BURST),
                         0);
        first = iv.next_ns;
        ck_assert_int_eq(fut_stream_next_init(&n, &iv.stream, &tick), 0);
        if (fut_future_poll(&n.base, &cx) == FUT_PENDING)
            break;
        fut_future_drop(&n.base);
        fut_interval_drop(&iv);
        tw.wakes = 0;
    }
    ck_assert_int_eq(tw.live, 1);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 1);
    fut_future_drop(&n.base);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_int_eq(fut_stream_next_init(&n, &iv.stream, &tick), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &n.base), 0);
    ck_assert_int_eq(n.res, 1);
    ck_assert_int_eq(tick, first);
    ck_assert_int_eq(tw.wakes, 0);
    fut_future_drop(&n.base);
    fut_interval_drop(&iv);
}
END_TEST

Suite *
fut_conf_timer_suite(void)
{
    Suite *s = suite_create("timer");
    TCase *tc;

#define TIMER_CASE(name, fn)                                                \
    tc = tcase_create(name);                                                \
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);               \
    tcase_set_timeout(tc, 30);                                              \
    tcase_add_test(tc, fn);                                                 \
    suite_add_tcase(s, tc)

    TIMER_CASE("not_early", test_timer_sleep_not_early);
    TIMER_CASE("order", test_timer_fire_in_order);
    TIMER_CASE("past", test_timer_sleep_until_past_is_ready);
    TIMER_CASE("past_wheel_behind", test_timer_sleep_until_past_wheel_behind);
    TIMER_CASE("past_wheel_far_behind",
               test_timer_sleep_until_past_wheel_far_behind);
    TIMER_CASE("repoll_after_deadline", test_timer_sleep_repoll_after_deadline);
    TIMER_CASE("no_runtime", test_timer_no_runtime_is_einval);
    TIMER_CASE("bad_input", test_timer_bad_input);
    TIMER_CASE("cancel_many", test_timer_cancel_many);
    TIMER_CASE("wheel_exact", test_timer_wheel_exact_across_levels);
    TIMER_CASE("reset", test_timer_reset);
    TIMER_CASE("interval", test_timer_interval_ticks);
    TIMER_CASE("interval_missed", test_timer_interval_missed_ticks);
    TIMER_CASE("interval_next_drop",
               test_timer_interval_next_drop_forgets_waker);
    TIMER_CASE("interval_huge_period", test_timer_interval_huge_period);
    TIMER_CASE("interval_next_tick_saturates",
               test_timer_interval_next_tick_saturates);
    TIMER_CASE("wheel_far", test_timer_wheel_far_timers);
#undef TIMER_CASE
    tc = tcase_create("sleep_drop");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_add_loop_test(tc, test_timer_sleep_drop_after_n_polls, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
