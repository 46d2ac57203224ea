/* SPDX-License-Identifier: MIT */
/* A libuv program that runs futures inside its own loop (attached mode). */

/*
 * The program owns a uv_loop_t and a uv_timer_t that ticks every 10 ms, as
 * any libuv program would. It attaches a runtime to its loop, spawns a
 * task written as an async frame (two sleeps), and learns that the task
 * finished through a callback (fut_spawn_callback()), which stops its
 * timer. The loop then runs out of work and uv_run() returns; the program
 * detaches the runtime and closes the loop.
 *
 * Build (libuv's headers need -std=gnu11, or -std=c11 -D_GNU_SOURCE):
 *     cc -std=gnu11 attached-uv.c $(pkg-config --cflags --libs futures-uv)
 */
#include <stdio.h>
#include <uv.h>

#include <futures.h>
#include <futures/backend-uv.h>

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

static uv_timer_t ticker;
static int ticks;

static void
on_tick(uv_timer_t *t)
{
    (void)t;
    ticks++;
}

/* The task's end, told to callback code: stop the program's own timer, so
 * that the loop has nothing left and uv_run() returns. */
static void
on_task_done(void *data, int status)
{
    int *result = data;

    *result = status;
    printf("task finished: %s, after %d ticks of the program's timer\n",
           fut_strerror(status), ticks);
    uv_timer_stop(&ticker);
}

int
main(void)
{
    uv_loop_t loop;
    struct fut_runtime rt;
    struct napper task = FUT_FRAME_VALUE(napper, .naps = 0);
    int result = 1, err;

    if (uv_loop_init(&loop) != 0)
        return 1;
    uv_timer_init(&loop, &ticker);
    uv_timer_start(&ticker, on_tick, 10, 10);

    err = fut_uv_attach(&rt, &loop);
    if (err == 0)
        err = FUT_SPAWN_CALLBACK(&rt, &task, on_task_done, &result);
    if (err != 0) {
        fprintf(stderr, "attached-uv: %s\n", fut_strerror(err));
        return 1;
    }
    uv_run(&loop, UV_RUN_DEFAULT);  /* tasks run next to the callbacks */

    (void)fut_runtime_close(&rt);   /* detach: our handles are closing */
    uv_close((uv_handle_t *)&ticker, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);  /* libuv runs the close callbacks */
    err = uv_loop_close(&loop);
    return result == 0 && err == 0 ? 0 : 1;
}
