/* SPDX-License-Identifier: MIT */
/* Example: sleeps, an interval and a timeout, written as async frames. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <futures.h>

/*
 * A task that ticks every 20 ms, five times, printing how late each tick
 * was observed. Everything that must survive an await lives in the struct;
 * the cleanup block releases the interval on every exit.
 */
struct ticker {
    FUT_FRAME;
    struct fut_interval interval;
    int64_t tick;
    int n;
};

FUT_ASYNC_FN(ticker, struct ticker, t, cx)
{
    FUT_BEGIN(t, cx);
    for (t->n = 1; t->n <= 5; t->n++) {
        FUT_AWAIT_POLL(fut_interval_poll_tick(&t->interval, cx, &t->tick));
        printf("tick %d (observed %lld us after its deadline)\n", t->n,
               (long long)((fut_now_ns() - t->tick) / 1000));
    }
    FUT_FINALLY;
    fut_interval_drop(&t->interval);
    FUT_END;
}

static void
ticker_start(struct ticker *t, int64_t period_ns)
{
    memset(t, 0, sizeof *t);
    FUT_FRAME_INIT(t, ticker);
    (void)fut_interval_init(&t->interval, period_ns, FUT_MISSED_BURST);
}

/*
 * The main future: spawns the ticker, sleeps 50 ms, then waits for a
 * 10-second sleep under a 30 ms timeout (which wins), then joins the ticker.
 */
struct app {
    FUT_FRAME;
    struct fut_task *ticker;
    int64_t started;
    struct fut_sleep long_sleep; /* the timeout's inner future */
    union {
        struct fut_sleep nap;
        struct fut_timeout timeout;
        struct fut_task_join join;
    } op;
};

/* A 10 s sleep under a 30 ms timeout (which owns the sleep from now on). */
static int
slow_sleep_init(struct app *a)
{
    int err = fut_sleep_init(&a->long_sleep, 10 * FUT_NSEC_PER_SEC);

    if (err == 0)
        err = fut_timeout_init(&a->op.timeout, &a->long_sleep.base,
                               30 * FUT_NSEC_PER_MSEC);
    return err;
}

FUT_ASYNC_FN(app, struct app, a, cx)
{
    int err;

    FUT_BEGIN(a, cx);
    a->started = fut_now_ns();
    FUT_SPAWN_WITH(err, cx->rt, &a->ticker, struct ticker, ticker_start,
                   20 * FUT_NSEC_PER_MSEC);
    if (err != 0)
        FUT_RETURN(err);

    FUT_AWAIT_TRY(&a->op.nap, fut_sleep_init(&a->op.nap,
                                             50 * FUT_NSEC_PER_MSEC));
    printf("slept 50 ms (really %lld us)\n",
           (long long)((fut_now_ns() - a->started) / 1000));

    FUT_AWAIT_CHILD(err, &a->op.timeout, slow_sleep_init(a));
    printf("10 s sleep under a 30 ms timeout: %s\n", fut_strerror(err));
    if (err != -ETIMEDOUT)
        FUT_RETURN(err != 0 ? err : -EPROTO);

    FUT_AWAIT_TRY(&a->op.join, fut_task_join_init(&a->op.join, a->ticker));
    printf("done after %lld ms\n",
           (long long)((fut_now_ns() - a->started) / FUT_NSEC_PER_MSEC));
    FUT_FINALLY;
    if (a->ticker != NULL)
        fut_task_detach(a->ticker);
    a->ticker = NULL;
    FUT_END;
}

int
main(void)
{
    struct app a;
    int err;

    memset(&a, 0, sizeof a);
    FUT_FRAME_INIT(&a, app);
    err = fut_run(&a.base);
    if (err == 0)
        err = fut_future_result(&a.base);
    fut_future_drop(&a.base);
    if (err != 0) {
        fprintf(stderr, "timers: %s\n", fut_strerror(err));
        return 1;
    }
    return 0;
}
