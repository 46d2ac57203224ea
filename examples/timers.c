/* SPDX-License-Identifier: MIT */
/* Example: sleeps, an interval and a timeout, written as straight-line futures. */
#include <stdio.h>
#include <string.h>

#include <futures.h>

/*
 * A task that ticks every 20 ms, five times, printing how late each tick
 * was observed. Everything that must survive an await lives in the struct.
 */
struct ticker {
    struct fut_future base;
    int state;
    struct fut_interval interval;
    int64_t tick;
    int n;
};

static enum fut_poll
ticker_poll(struct fut_future *f, struct fut_context *cx)
{
    struct ticker *t = (struct ticker *)f;

    FUT_ASYNC_BEGIN(&t->state);
    for (t->n = 1; t->n <= 5; t->n++) {
        FUT_AWAIT(&t->state,
                  fut_interval_poll_tick(&t->interval, cx, &t->tick));
        printf("tick %d (observed %lld us after its deadline)\n", t->n,
               (long long)((fut_now_ns() - t->tick) / 1000));
    }
    FUT_ASYNC_END(&t->state);
}

static void
ticker_drop(struct fut_future *f)
{
    fut_interval_drop(&((struct ticker *)f)->interval);
}

static const struct fut_future_vtable ticker_vtable = {
    .poll = ticker_poll,
    .drop = ticker_drop,
    .result = NULL,
};

/*
 * The main future: spawns the ticker, sleeps 50 ms, then waits for a
 * 10-second sleep under a 30 ms timeout (which wins), then joins the ticker.
 */
struct app {
    struct fut_future base;
    int state;
    struct fut_sleep nap;
    struct fut_sleep long_sleep;
    struct fut_timeout timeout;
    struct fut_task *ticker;
    struct fut_task_join join;
    int64_t started;
    int err;
};

static enum fut_poll
app_poll(struct fut_future *f, struct fut_context *cx)
{
    struct app *a = (struct app *)f;
    struct ticker t;

    FUT_ASYNC_BEGIN(&a->state);
    a->started = fut_now_ns();
    memset(&t, 0, sizeof t);
    t.base.vtable = &ticker_vtable;
    fut_interval_init(&t.interval, 20 * FUT_NSEC_PER_MSEC, FUT_MISSED_BURST);
    a->err = FUT_SPAWN(cx->rt, &t, &a->ticker);
    if (a->err != 0) {
        fut_interval_drop(&t.interval);
        FUT_ASYNC_RETURN(&a->state);
    }

    fut_sleep_init(&a->nap, 50 * FUT_NSEC_PER_MSEC);
    FUT_AWAIT_FUTURE(&a->state, &a->nap.base, cx);
    printf("slept 50 ms (really %lld us)\n",
           (long long)((fut_now_ns() - a->started) / 1000));

    fut_sleep_init(&a->long_sleep, 10 * FUT_NSEC_PER_SEC);
    fut_timeout_init(&a->timeout, &a->long_sleep.base,
                     30 * FUT_NSEC_PER_MSEC);
    FUT_AWAIT_FUTURE(&a->state, &a->timeout.base, cx);
    printf("10 s sleep under a 30 ms timeout: %s\n",
           fut_strerror(a->timeout.result));

    fut_task_join_init(&a->join, a->ticker);
    FUT_AWAIT_FUTURE(&a->state, &a->join.base, cx);
    a->err = a->join.result;
    fut_task_detach(a->ticker);
    a->ticker = NULL;
    printf("done after %lld ms\n",
           (long long)((fut_now_ns() - a->started) / FUT_NSEC_PER_MSEC));
    FUT_ASYNC_END(&a->state);
}

static void
app_drop(struct fut_future *f)
{
    struct app *a = (struct app *)f;

    fut_future_drop(&a->nap.base);
    fut_future_drop(&a->timeout.base);
    fut_future_drop(&a->join.base);
    if (a->ticker != NULL)
        fut_task_detach(a->ticker);
}

static const struct fut_future_vtable app_vtable = {
    .poll = app_poll,
    .drop = app_drop,
    .result = NULL,
};

int
main(void)
{
    struct app a;
    int err;

    memset(&a, 0, sizeof a);
    a.base.vtable = &app_vtable;
    err = fut_run(&a.base);

    fut_future_drop(&a.base);
    if (err != 0 || a.err != 0 || a.timeout.result != -ETIMEDOUT) {
        fprintf(stderr, "timers: %s\n",
                fut_strerror(err != 0 ? err : a.err));
        return 1;
    }
    return 0;
}
