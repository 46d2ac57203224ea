/* SPDX-License-Identifier: MIT */
/* Baseline for bench/pool.c: libuv's uv_queue_work round trip and 10,000 at once. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

/*
 * The same measurements as bench/pool.c, in plain libuv: an empty work
 * function whose completion (the after_work callback, which libuv
 * delivers through its internal async handle) queues the next one; then
 * 10,000 queued at once, until every after_work ran. libuv's pool has
 * UV_THREADPOOL_SIZE threads (4 unless the environment says otherwise).
 * Prints "rt NS_PER_OP" and "many NS_PER_OP", each followed by NAME_cpu,
 * the CPU time of all the process's threads per op.
 * Usage: pool_uv [ROUND_TRIPS] (default 20,000).
 */

#define MANY 10000

static uv_loop_t loop;
static uv_work_t one;
static long left;
static long done;

static long long
clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long long
now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of every thread of the process (loop and pool threads). */
static long long
cpu_ns(void)
{
    return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static void
empty_work(uv_work_t *req)
{
    (void)req;
}

static void
chain_after(uv_work_t *req, int status)
{
    if (status != 0) {
        fprintf(stderr, "work: %s\n", uv_strerror(status));
        exit(1);
    }
    if (--left > 0)
        uv_queue_work(&loop, req, empty_work, chain_after);
}

static void
many_after(uv_work_t *req, int status)
{
    (void)req;
    if (status != 0)
        exit(1);
    done++;
}

int
main(int argc, char **argv)
{
    static uv_work_t reqs[MANY];
    long n = argc > 1 ? atol(argv[1]) : 20000;
    long long t0, c0;
    int i;

    if (n <= 0) {
        fprintf(stderr, "usage: pool_uv [ROUND_TRIPS]\n");
        return 2;
    }
    uv_loop_init(&loop);
    left = 1000; /* warm up: the pool's threads start on first use */
    uv_queue_work(&loop, &one, empty_work, chain_after);
    uv_run(&loop, UV_RUN_DEFAULT);

    left = n;
    c0 = cpu_ns();
    t0 = now_ns();
    uv_queue_work(&loop, &one, empty_work, chain_after);
    uv_run(&loop, UV_RUN_DEFAULT);
    printf("rt %.1f\n", (double)(now_ns() - t0) / (double)n);
    printf("rt_cpu %.1f\n", (double)(cpu_ns() - c0) / (double)n);

    /* Warm up with one whole round, as bench/pool.c does: the requests'
     * pages are touched before the clock starts. */
    for (i = 0; i < MANY; i++)
        uv_queue_work(&loop, &reqs[i], empty_work, many_after);
    uv_run(&loop, UV_RUN_DEFAULT);

    done = 0;
    c0 = cpu_ns();
    t0 = now_ns();
    for (i = 0; i < MANY; i++)
        uv_queue_work(&loop, &reqs[i], empty_work, many_after);
    uv_run(&loop, UV_RUN_DEFAULT);
    printf("many %.1f\n", (double)(now_ns() - t0) / MANY);
    printf("many_cpu %.1f\n", (double)(cpu_ns() - c0) / MANY);
    if (done != MANY)
        return 1;
    uv_loop_close(&loop);
    return 0;
}
