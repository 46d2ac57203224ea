/* SPDX-License-Identifier: MIT */
/* Time: the monotonic clock, sleeps and intervals on the core's timer wheel. */
#ifndef FUTURES_TIMER_H
#define FUTURES_TIMER_H

#include "future.h"
#include "stream.h"

FUT__BEGIN_DECLS

/*
 * Times are int64_t nanoseconds of CLOCK_MONOTONIC (fut_now_ns()); durations
 * are int64_t nanoseconds. The runtime keeps timers on a hierarchical wheel
 * with 1 microsecond slots: insert and cancel are O(1), and a timer never
 * fires before its deadline (it fires at most one reactor wake-up after it).
 */

#define FUT_NSEC_PER_USEC INT64_C(1000)
#define FUT_NSEC_PER_MSEC INT64_C(1000000)
#define FUT_NSEC_PER_SEC INT64_C(1000000000)

/** fut_now_ns - CLOCK_MONOTONIC in nanoseconds. Any thread. */
FUT_API int64_t fut_now_ns(void);

/**
 * struct fut_timer - one entry on a runtime's timer wheel. Private; embedded
 * by struct fut_sleep and by anything else that needs a deadline.
 */
struct fut_timer {
    struct fut_timer *prev, *next;
    uint64_t when;               /* wheel tick (µs since runtime start) */
    struct fut_waker waker;
    struct fut_runtime *rt;      /* NULL when not on a wheel */
    unsigned int slot;           /* level * 64 + slot index */
    unsigned int fired;
};

/**
 * struct fut_sleep - a future that is READY once a deadline has passed.
 * @deadline_ns: the deadline (may be read; change it with fut_sleep_reset()).
 *
 * READY: the deadline has passed (fut_now_ns() >= deadline; never
 * before). PENDING: a timer is armed on the runtime of @cx that wakes the
 * waker at the deadline. A poll finds a deadline that has already passed
 * READY at once, with one exception, the price of not reading the clock
 * at every arm: the poll compares the deadline with the time of the
 * runtime's timer wheel (the clock as of the runtime's latest look at it)
 * and reads the clock itself only when no timer is armed on the runtime
 * or the deadline lies within 10 ms after the wheel's time. A deadline
 * that passed while the wheel's time was more than 10 ms behind (a task
 * hogged the thread, or the runtime sat idle with timers armed while
 * futures were polled by hand) is armed instead, and fires at the
 * runtime's next turn. Movable until first polled, pinned afterwards.
 * Drop cancels the timer (O(1)). @res is 0, or -EINVAL when the sleep was
 * polled with no runtime in the context while its deadline was still
 * ahead by the clock (it is then READY at once, with that error as its
 * result). Cancel-safe. Runtime thread only.
 */
struct fut_sleep {
    struct fut_future base;
    int64_t deadline_ns;
    int res;
    struct fut_timer timer;
};

/**
 * fut_sleep_init - sleep for @duration_ns from now.
 * Returns 0, or -EINVAL for a NULL @s or a negative duration. A huge
 * duration saturates to the far future.
 */
FUT_API int fut_sleep_init(struct fut_sleep *s, int64_t duration_ns);

/**
 * fut_sleep_until_init - sleep until @deadline_ns (fut_now_ns() clock).
 * A deadline in the past makes the first poll READY (within the limits
 * struct fut_sleep states). Returns 0 or -EINVAL.
 */
FUT_API int fut_sleep_until_init(struct fut_sleep *s, int64_t deadline_ns);

/**
 * fut_sleep_reset - move the deadline of a sleep, pending or finished; it
 * becomes pending again if the new deadline is in the future. O(1).
 * Returns 0 or -EINVAL.
 */
FUT_API int fut_sleep_reset(struct fut_sleep *s, int64_t deadline_ns);

/** What an interval does when ticks were missed (the task was late). */
enum fut_missed_tick {
    FUT_MISSED_BURST = 0, /* fire the missed ticks back to back (default) */
    FUT_MISSED_DELAY = 1, /* restart the period from the late tick */
    FUT_MISSED_SKIP = 2   /* skip to the next multiple of the period */
};

/**
 * struct fut_interval - a Stream of ticks every @period_ns.
 *
 * The first tick is at start + period. Each item is an int64_t: the
 * deadline of the tick (not the time it was observed). The stream never
 * ends. A tick that would fall after INT64_MAX nanoseconds saturates to
 * INT64_MAX, as fut_sleep_init() does: it is never due, never a negative
 * time. poll_next needs a runtime in the context. Pinned from the first
 * poll; drop it with fut_interval_drop(). Runtime thread only.
 */
struct fut_interval {
    struct fut_stream stream;
    int64_t period_ns;
    int64_t next_ns;
    int missed;
    uint32_t reg_id; /* private: number of the last registration */
    struct fut_sleep sleep;
};

/**
 * fut_interval_init - ticks every @period_ns, the first at now + period
 * (saturated: any period > 0 is valid, a huge one means no tick).
 * @missed: enum fut_missed_tick.
 * Returns 0, or -EINVAL for NULL, a period <= 0 or an unknown @missed.
 */
FUT_API int fut_interval_init(struct fut_interval *iv, int64_t period_ns,
                              int missed);

/**
 * fut_interval_poll_tick - wait for the next tick.
 * @tick_ns: receives the tick's deadline on READY.
 *
 * READY: a tick is due; *@tick_ns set. PENDING: the timer is armed.
 * Cancel-safe: a tick is consumed only when READY is returned.
 * Returns READY with *@tick_ns = -EINVAL on bad arguments.
 */
FUT_API enum fut_poll fut_interval_poll_tick(struct fut_interval *iv,
                                             struct fut_context *cx,
                                             int64_t *tick_ns);

/** fut_interval_drop - cancel the interval's timer. NULL is ignored. */
FUT_API void fut_interval_drop(struct fut_interval *iv);

FUT__END_DECLS

#endif /* FUTURES_TIMER_H */
