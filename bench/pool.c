/* SPDX-License-Identifier: MIT */
/* Benchmark of the blocking pool: spawn_blocking round trip and 10,000 at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <futures.h>

/*
 * Prints one line per measurement, "NAME NS_PER_OP", for
 * bench/pool-bench.sh to set beside bench/raw/pool_uv (uv_queue_work):
 * - rt:     one job at a time: spawn_blocking of an empty function,
 *           awaited, then the next (a future that loops), per op;
 * - many:   10,000 jobs at once, each a task awaiting its own
 *           spawn_blocking, until all are done, per op;
 * - many4:  the same with the pool capped at 4 threads, libuv's default
 *           thread pool size;
 * - join, join4: 10,000 jobs at once from one task, a fut_join_all of a
 *           static array of spawn_blocking futures: no allocation per job,
 *           as bench/raw/pool_uv.c's static array of requests (64 and 4
 *           threads).
 * Each is followed by NAME_cpu: the CPU time of all the process's
 * threads per op over the same interval, which a loaded machine disturbs
 * less than the wall clock.
 * Usage: pool [ROUND_TRIPS [rt|many|many4|join|join4]] (default 20,000, all;
 * naming one runs only that one, for a profiler).
 */

#define MANY 10000

static int64_t
clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of every thread of the process (runtime and pool threads). */
static int64_t
cpu_ns(void)
{
    return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static double cpu_per_op; /* of the last measurement */

static int
empty_fn(void *arg)
{
    (void)arg;
    return 0;
}

/* Awaits @left empty jobs one after another. */
struct chain {
    struct fut_future base;
    struct fut_spawn_blocking sb;
    long left;
    int started;
};

static enum fut_poll
chain_poll(struct fut_future *base, struct fut_context *cx)
{
    struct chain *c = (struct chain *)base;

    for (;;) {
        if (!c->started) {
            if (c->left == 0)
                return FUT_READY;
            (void)fut_spawn_blocking_init(&c->sb, empty_fn, NULL, NULL);
            c->started = 1;
        }
        if (fut_future_poll(&c->sb.base, cx) == FUT_PENDING)
            return FUT_PENDING;
        if (c->sb.result != 0) {
            fprintf(stderr, "job: %s\n", fut_strerror(c->sb.result));
            exit(1);
        }
        fut_future_drop(&c->sb.base);
        c->started = 0;
        c->left--;
    }
}

static void
chain_drop(struct fut_future *base)
{
    struct chain *c = (struct chain *)base;

    if (c->started)
        fut_future_drop(&c->sb.base);
}

static const struct fut_future_vtable chain_vtable = {
    .poll = chain_poll,
    .drop = chain_drop,
};

static void
init_rt(struct fut_runtime *rt, unsigned int threads)
{
    struct fut_runtime_config cfg;
    int err;

    memset(&cfg, 0, sizeof cfg);
    cfg.version = FUT_RUNTIME_CONFIG_VERSION;
    cfg.blocking_threads = threads;
    /* BENCH_NO_SPIN set: a runtime that never spins before it sleeps, to
     * measure what spinning changes (docs/performance.md). */
    if (getenv("BENCH_NO_SPIN") != NULL)
        cfg.flags = FUT_RUNTIME_NO_SPIN;
    err = fut_runtime_init(rt, fut_backend_default(), &cfg);
    if (err != 0) {
        fprintf(stderr, "runtime: %s\n", fut_strerror(err));
        exit(1);
    }
}

/* Pool threads alive when the measured round ended. */
static size_t threads_after;

static double
round_trip(long n)
{
    struct fut_runtime rt;
    struct chain c;
    int64_t t0, c0;

    init_rt(&rt, 0);
    memset(&c, 0, sizeof c);
    c.base.vtable = &chain_vtable;
    c.left = 1000; /* warm up: the thread exists before the clock starts */
    fut_block_on(&rt, &c.base);
    c.left = n;
    c0 = cpu_ns();
    t0 = now_ns();
    fut_block_on(&rt, &c.base);
    t0 = now_ns() - t0;
    cpu_per_op = (double)(cpu_ns() - c0) / (double)n;
    fut_future_drop(&c.base);
    fut_runtime_close(&rt);
    return (double)t0 / (double)n;
}

static double
many(unsigned int threads)
{
    struct fut_runtime rt;
    struct fut_spawn_blocking sb;
    int64_t t0, c0;
    int i;

    init_rt(&rt, threads);
    /* Warm up with one whole round: the pool's threads start and the
     * allocator's arena grows to its size, so the measured round runs in
     * the steady state (bench/raw/pool_uv.c does the same). */
    for (i = 0; i < MANY; i++) {
        fut_spawn_blocking_init(&sb, empty_fn, NULL, NULL);
        FUT_SPAWN(&rt, &sb, NULL);
    }
    fut_runtime_run(&rt);
    c0 = cpu_ns();
    t0 = now_ns();
    for (i = 0; i < MANY; i++) {
        fut_spawn_blocking_init(&sb, empty_fn, NULL, NULL);
        if (FUT_SPAWN(&rt, &sb, NULL) != 0) {
            fprintf(stderr, "spawn failed\n");
            exit(1);
        }
    }
    fut_runtime_run(&rt);
    t0 = now_ns() - t0;
    cpu_per_op = (double)(cpu_ns() - c0) / MANY;
    threads_after = fut_runtime_blocking_threads(&rt);
    fut_runtime_close(&rt);
    return (double)t0 / MANY;
}

static struct fut_spawn_blocking join_jobs[MANY];
static struct fut_future *join_kids[MANY];
static struct fut_child join_slots[MANY];

static void
join_round(struct fut_runtime *rt)
{
    struct fut_join_all j;
    int i;

    for (i = 0; i < MANY; i++) {
        fut_spawn_blocking_init(&join_jobs[i], empty_fn, NULL, NULL);
        join_kids[i] = &join_jobs[i].base;
    }
    if (fut_join_all_init(&j, join_kids, join_slots, MANY) != 0 ||
        fut_block_on(rt, &j.base) != 0 || j.result != 0) {
        fprintf(stderr, "join failed\n");
        exit(1);
    }
    fut_future_drop(&j.base);
}

static double
many_join(unsigned int threads)
{
    struct fut_runtime rt;
    int64_t t0, c0;

    init_rt(&rt, threads);
    join_round(&rt); /* warm up, as many() does */
    c0 = cpu_ns();
    t0 = now_ns();
    join_round(&rt);
    t0 = now_ns() - t0;
    cpu_per_op = (double)(cpu_ns() - c0) / MANY;
    threads_after = fut_runtime_blocking_threads(&rt);
    fut_runtime_close(&rt);
    return (double)t0 / MANY;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    const char *only = argc > 2 ? argv[2] : "";

    if (n <= 0) {
        fprintf(stderr, "usage: pool [ROUND_TRIPS [rt|many|many4|join|join4]]\n");
        return 2;
    }
    if (!*only || strcmp(only, "rt") == 0) {
        printf("rt %.1f\n", round_trip(n));
        printf("rt_cpu %.1f\n", cpu_per_op);
    }
    if (!*only || strcmp(only, "many") == 0) {
        printf("many %.1f\n", many(0));
        printf("many_cpu %.1f\n", cpu_per_op);
        printf("many_threads %zu\n", threads_after);
    }
    if (!*only || strcmp(only, "many4") == 0) {
        printf("many4 %.1f\n", many(4));
        printf("many4_cpu %.1f\n", cpu_per_op);
        printf("many4_threads %zu\n", threads_after);
    }
    if (!*only || strcmp(only, "join") == 0) {
        printf("join %.1f\n", many_join(0));
        printf("join_cpu %.1f\n", cpu_per_op);
        printf("join_threads %zu\n", threads_after);
    }
    if (!*only || strcmp(only, "join4") == 0) {
        printf("join4 %.1f\n", many_join(4));
        printf("join4_cpu %.1f\n", cpu_per_op);
        printf("join4_threads %zu\n", threads_after);
    }
    return 0;
}
