/* SPDX-License-Identifier: MIT */
/* A libev program that runs futures inside its own ev_loop (attached mode). */

/*
 * The program owns an ev_loop and a repeating 10 ms ev_timer. It attaches a
 * runtime to the loop, spawns a task written as an async frame (two
 * sleeps), and learns that the task finished through a callback
 * (fut_spawn_callback()), which stops its timer: the runtime's own
 * watchers do not keep ev_run() going, so the loop then returns.
 *
 * Build:
 *     cc -std=c11 attached-ev.c $(pkg-config --cflags --libs futures-ev)
 */
#include <stdio.h>
#include <ev.h>

#include <futures.h>
#include <futures/backend-ev.h>

struct napper {
    FUT_FRAME;
    int naps;
    struct fut_sleep sleep;
};

FUT_ASYNC_FN(napper, struct napper, n, cx)
{
    FUT_BEGIN(n, cx);
    for (; n->naps < 2; n->naps++)
        FUT_AWAIT_TRY(&n->sleep, fut_sleep_init(&n->sleep,
                                                25 * FUT_NSEC_PER_MSEC));
    FUT_END;
}

static struct ev_loop *loop;
static ev_timer ticker;
static int ticks;

static void
on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
    ticks++;
}

/* The task's end, told to callback code: stop the program's own timer, so
 * that the loop has nothing left and ev_run() returns. */
static void
on_task_done(void *data, int status)
{
    int *result = data;

    *result = status;
    printf("task finished: %s, after %d ticks of the program's timer\n",
           fut_strerror(status), ticks);
    ev_timer_stop(loop, &ticker);
}

int
main(void)
{
    struct fut_runtime rt;
    struct napper task = FUT_FRAME_VALUE(napper, .naps = 0);
    int result = 1, err;

    loop = ev_loop_new(EVFLAG_AUTO);
    if (loop == NULL)
        return 1;
    ev_timer_init(&ticker, on_tick, 0.01, 0.01);
    ev_timer_start(loop, &ticker);

    err = fut_ev_attach(&rt, loop);
    if (err == 0)
        err = FUT_SPAWN_CALLBACK(&rt, &task, on_task_done, &result);
    if (err != 0) {
        fprintf(stderr, "attached-ev: %s\n", fut_strerror(err));
        return 1;
    }
    ev_run(loop, 0);                /* tasks run next to the callbacks */

    (void)fut_runtime_close(&rt);   /* detach */
    ev_loop_destroy(loop);
    return result == 0 ? 0 : 1;
}
