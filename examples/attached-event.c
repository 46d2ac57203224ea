/* SPDX-License-Identifier: MIT */
/* A libevent program that runs futures inside its own event_base (attached mode). */

/*
 * The program owns an event_base and a persistent 10 ms timer event. It
 * attaches a runtime to the base, spawns a task written as an async frame
 * (two sleeps), and learns that the task finished through a callback
 * (fut_spawn_callback()), which breaks the loop: an attached runtime's
 * events stay added, so event_base_dispatch() returns only when told to.
 *
 * Build:
 *     cc -std=c11 attached-event.c $(pkg-config --cflags --libs futures-event)
 */
#include <stdio.h>
#include <event2/event.h>

#include <futures.h>
#include <futures/backend-event.h>

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

static struct event_base *base;
static int ticks;

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    ticks++;
}

/* The task's end, told to callback code: leave the loop. */
static void
on_task_done(void *data, int status)
{
    int *result = data;

    *result = status;
    printf("task finished: %s, after %d ticks of the program's timer\n",
           fut_strerror(status), ticks);
    event_base_loopbreak(base);
}

int
main(void)
{
    struct timeval every = { 0, 10000 };
    struct fut_runtime rt;
    struct napper task = FUT_FRAME_VALUE(napper, .naps = 0);
    struct event *ticker;
    int result = 1, err;

    base = event_base_new();
    if (base == NULL)
        return 1;
    ticker = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    event_add(ticker, &every);

    err = fut_event_attach(&rt, base);
    if (err == 0)
        err = FUT_SPAWN_CALLBACK(&rt, &task, on_task_done, &result);
    if (err != 0) {
        fprintf(stderr, "attached-event: %s\n", fut_strerror(err));
        return 1;
    }
    event_base_dispatch(base);      /* tasks run next to the callbacks */

    (void)fut_runtime_close(&rt);   /* detach: every event of ours is gone */
    event_free(ticker);
    event_base_free(base);
    return result == 0 ? 0 : 1;
}
