/* SPDX-License-Identifier: MIT */
/* Microbenchmarks of the core: spawn+join, channel ping-pong, timers, sleeps, wakes, coroutines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <futures.h>

/*
 * Each benchmark runs REPS times and reports the median (and the spread),
 * in nanoseconds per operation; targets are issue 4's. Timings on a shared
 * machine are noisy: read the medians, and compare rows measured together.
 */
#define REPS 5

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void
row(const char *what, double *v, int n, double limit)
{
    double med, lo, hi;

    qsort(v, (size_t)n, sizeof *v, cmp_double);
    lo = v[0];
    hi = v[n - 1];
    med = v[n / 2];
    if (limit > 0)
        printf("| %-44s | %9.1f | %9.1f | %9.1f | <= %-6.0f | %5.2f |\n",
               what, med, lo, hi, limit, med / limit);
    else
        printf("| %-44s | %9.1f | %9.1f | %9.1f | %-9s | %5s |\n", what,
               med, lo, hi, "-", "-");
}

/* ---- spawn + join ------------------------------------------------------------ */

struct trivial {
    struct fut_future base;
    int value;
};

static enum fut_poll
trivial_poll(struct fut_future *f, struct fut_context *cx)
{
    (void)cx;
    ((struct trivial *)f)->value++;
    return FUT_READY;
}

static void
noop_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable trivial_vtable = {
    .poll = trivial_poll, .drop = noop_drop, .result = NULL,
};

enum { BATCH = 1000 };

static int
coro_trivial(void *arg)
{
    (void)arg;
    return 0;
}

struct spawner {
    struct fut_future base;
    int state;
    int coro; /* spawn coroutines instead of trivial futures */
    long total, done;
    int i, n;
    struct fut_task *handles[BATCH];
    struct fut_task_join join;
};

static enum fut_poll
spawner_poll(struct fut_future *f, struct fut_context *cx)
{
    struct spawner *s = (struct spawner *)f;
    struct trivial t;

    FUT_ASYNC_BEGIN(&s->state);
    while (s->done < s->total) {
        s->n = 0;
        for (s->i = 0; s->i < BATCH && s->done + s->i < s->total; s->i++) {
            if (s->coro) {
                if (fut_coro_spawn(cx->rt, coro_trivial, NULL, NULL,
                                   &s->handles[s->i]) != 0)
                    abort();
            } else {
                t.base.vtable = &trivial_vtable;
                t.value = s->i;
                if (FUT_SPAWN(cx->rt, &t, &s->handles[s->i]) != 0)
                    abort();
            }
            s->n++;
        }
        for (s->i = 0; s->i < s->n; s->i++) {
            fut_task_join_init(&s->join, s->handles[s->i]);
            FUT_AWAIT_FUTURE(&s->state, &s->join.base, cx);
            fut_task_detach(s->handles[s->i]);
        }
        s->done += s->n;
    }
    FUT_ASYNC_END(&s->state);
}

static const struct fut_future_vtable spawner_vtable = {
    .poll = spawner_poll, .drop = noop_drop, .result = NULL,
};

static double
bench_spawn_join(long n, int coro)
{
    struct fut_runtime rt;
    struct spawner *s = calloc(1, sizeof *s);
    int64_t t0, t1;

    fut_runtime_init_default(&rt);
    s->base.vtable = &spawner_vtable;
    s->coro = coro;
    s->total = n;
    t0 = fut_now_ns();
    fut_block_on(&rt, &s->base);
    t1 = fut_now_ns();
    fut_runtime_close(&rt);
    free(s);
    return (double)(t1 - t0) / (double)n;
}

/* ---- bounded(1) ping-pong ------------------------------------------------------ */

struct pinger {
    struct fut_future base;
    int state;
    long rounds, i;
    int value;
    int first;
    struct fut_mpsc_sender *tx;
    struct fut_mpsc_receiver *rx;
    struct fut_mpsc_send send;
    struct fut_mpsc_recv recv;
};

static enum fut_poll
pinger_poll(struct fut_future *f, struct fut_context *cx)
{
    struct pinger *p = (struct pinger *)f;

    FUT_ASYNC_BEGIN(&p->state);
    for (p->i = 0; p->i < p->rounds; p->i++) {
        if (p->first) {
            fut_mpsc_send_init(&p->send, p->tx, &p->value);
            FUT_AWAIT_FUTURE(&p->state, &p->send.base, cx);
        }
        fut_mpsc_recv_init(&p->recv, p->rx, &p->value);
        FUT_AWAIT_FUTURE(&p->state, &p->recv.base, cx);
        if (!p->first) {
            fut_mpsc_send_init(&p->send, p->tx, &p->value);
            FUT_AWAIT_FUTURE(&p->state, &p->send.base, cx);
        }
    }
    FUT_ASYNC_END(&p->state);
}

static const struct fut_future_vtable pinger_vtable = {
    .poll = pinger_poll, .drop = noop_drop, .result = NULL,
};

static double
bench_ping_pong(long rounds)
{
    struct fut_runtime rt;
    struct fut_mpsc_sender atx, btx;
    struct fut_mpsc_receiver arx, brx;
    struct pinger a, b;
    int64_t t0, t1;

    fut_runtime_init_default(&rt);
    fut_mpsc_new(&atx, &arx, sizeof(int), 1);
    fut_mpsc_new(&btx, &brx, sizeof(int), 1);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.base.vtable = b.base.vtable = &pinger_vtable;
    a.rounds = b.rounds = rounds;
    a.first = 1;
    a.tx = &atx; /* a -> b */
    b.rx = &arx;
    b.tx = &btx; /* b -> a */
    a.rx = &brx;
    FUT_SPAWN(&rt, &a, NULL);
    FUT_SPAWN(&rt, &b, NULL);
    t0 = fut_now_ns();
    fut_runtime_run(&rt);
    t1 = fut_now_ns();
    fut_runtime_close(&rt);
    fut_mpsc_sender_close(&atx);
    fut_mpsc_sender_close(&btx);
    fut_mpsc_receiver_close(&arx);
    fut_mpsc_receiver_close(&brx);
    return (double)(t1 - t0) / (double)rounds;
}

/* ---- timers: arm then cancel ------------------------------------------------------ */

static void
bench_timers(long n, double *arm_ns, double *cancel_ns)
{
    struct fut_runtime rt;
    struct fut_sleep *ss = malloc((size_t)n * sizeof *ss);
    struct fut_context cx;
    int64_t t0, t1, t2, now;
    long i;

    fut_runtime_init_default(&rt);
    fut_context_init(&cx, fut_waker_noop(), &rt);
    now = fut_now_ns();
    for (i = 0; i < n; i++) /* spread over 1 ms .. ~17 min */
        fut_sleep_until_init(&ss[i], now + FUT_NSEC_PER_MSEC +
                                         (i * 1000003) % (1000 * FUT_NSEC_PER_SEC));
    t0 = fut_now_ns();
    for (i = 0; i < n; i++)
        (void)fut_future_poll(&ss[i].base, &cx);
    t1 = fut_now_ns();
    for (i = 0; i < n; i++)
        fut_future_drop(&ss[i].base);
    t2 = fut_now_ns();
    fut_runtime_close(&rt);
    free(ss);
    *arm_ns = (double)(t1 - t0) / (double)n;
    *cancel_ns = (double)(t2 - t1) / (double)n;
}

/* ---- sleeps: overshoot of 1 ms sleeps, and of a bare epoll_pwait2 loop ------------- */

struct sleeper {
    struct fut_future base;
    int state;
    int i, n;
    int64_t start;
    double *over_us;
    struct fut_sleep s;
};

static enum fut_poll
sleeper_poll(struct fut_future *f, struct fut_context *cx)
{
    struct sleeper *z = (struct sleeper *)f;

    FUT_ASYNC_BEGIN(&z->state);
    for (z->i = 0; z->i < z->n; z->i++) {
        z->start = fut_now_ns();
        fut_sleep_init(&z->s, FUT_NSEC_PER_MSEC);
        FUT_AWAIT_FUTURE(&z->state, &z->s.base, cx);
        z->over_us[z->i] =
            (double)(fut_now_ns() - z->start - FUT_NSEC_PER_MSEC) / 1000.0;
    }
    FUT_ASYNC_END(&z->state);
}

static const struct fut_future_vtable sleeper_vtable = {
    .poll = sleeper_poll, .drop = noop_drop, .result = NULL,
};

/* Sorts @v; returns the @q-th quantile (0..1). */
static double
quantile(double *v, int n, double q)
{
    int i = (int)(q * (double)n);

    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[i < n ? i : n - 1];
}

static void
summarize(const char *what, double *v, int n)
{
    double sum = 0;
    int i;

    for (i = 0; i < n; i++)
        sum += v[i];
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    printf("| %-36s | %8.1f | %8.1f | %8.1f | %8.1f |\n", what, sum / n,
           v[n / 2], v[(n * 99) / 100], v[n - 1]);
}

/* The sleeps run in blocks of SLEEP_BLOCK, ours and the bare loop taking
 * turns (A B A B ...), so that a machine that gets busier for a while
 * weighs on both. */
#define SLEEP_BLOCK 100

static void
bench_sleeps(int n)
{
    struct fut_runtime rt;
    struct sleeper z;
    double *ours = malloc((size_t)n * sizeof *ours);
    double *bare = malloc((size_t)n * sizeof *bare);
    int ep = epoll_create1(EPOLL_CLOEXEC), i, done;
    double p50o, p99o, p50b, p99b;

    fut_runtime_init_default(&rt);
    for (done = 0; done < n; done += SLEEP_BLOCK) {
        int k = n - done < SLEEP_BLOCK ? n - done : SLEEP_BLOCK;

        memset(&z, 0, sizeof z);
        z.base.vtable = &sleeper_vtable;
        z.n = k;
        z.over_us = ours + done;
        fut_block_on(&rt, &z.base);
        /* The baseline: the same 1 ms wait as one epoll_pwait2 call. */
        for (i = done; i < done + k; i++) {
            struct epoll_event ev;
            struct timespec ts = { 0, 1000000 };
            int64_t t0 = fut_now_ns();

            (void)epoll_pwait2(ep, &ev, 1, &ts, NULL);
            bare[i] = (double)(fut_now_ns() - t0 - FUT_NSEC_PER_MSEC) /
                      1000.0;
        }
    }
    fut_runtime_close(&rt);
    printf("\n### %d sequential 1 ms sleeps: overshoot in µs "
           "(blocks of %d, ours and the baseline alternating)\n\n", n,
           SLEEP_BLOCK);
    printf("| %-36s | %8s | %8s | %8s | %8s |\n", "", "mean", "p50", "p99",
           "max");
    printf("|---|---:|---:|---:|---:|\n");
    summarize("fut_sleep on the default backend", ours, n);
    summarize("bare epoll_pwait2 loop (baseline)", bare, n);
    p50o = quantile(ours, n, 0.5);
    p99o = quantile(ours, n, 0.99);
    p50b = quantile(bare, n, 0.5);
    p99b = quantile(bare, n, 0.99);
    printf("\nOurs minus the baseline: p50 %+.1f µs (target <= +10), "
           "p99 %+.1f µs (target <= +25); ratio p50 %.2f, p99 %.2f.\n",
           p50o - p50b, p99o - p99b, p50b > 0 ? p50o / p50b : 0.0,
           p99b > 0 ? p99o / p99b : 0.0);
    free(ours);
    free(bare);
}

/* ---- wake of an already-scheduled task ----------------------------------------------- */

struct waker_loop {
    struct fut_future base;
    long n;
    double ns;
};

static enum fut_poll
waker_loop_poll(struct fut_future *f, struct fut_context *cx)
{
    struct waker_loop *w = (struct waker_loop *)f;
    int64_t t0;
    long i;

    /* The first wake queues the task; every later one finds it queued. */
    fut_waker_wake_by_ref(cx->waker);
    t0 = fut_now_ns();
    for (i = 0; i < w->n; i++)
        fut_waker_wake_by_ref(cx->waker);
    w->ns = (double)(fut_now_ns() - t0) / (double)w->n;
    return FUT_READY;
}

static const struct fut_future_vtable waker_loop_vtable = {
    .poll = waker_loop_poll, .drop = noop_drop, .result = NULL,
};

static double
bench_wake_scheduled(long n)
{
    struct fut_runtime rt;
    struct waker_loop w = { { &waker_loop_vtable }, 0, 0 };
    struct fut_task *t;
    double ns;

    w.n = n;
    fut_runtime_init_default(&rt);
    FUT_SPAWN(&rt, &w, &t);
    fut_runtime_run(&rt);
    ns = ((struct waker_loop *)fut_task_output(t))->ns;
    fut_task_detach(t);
    fut_runtime_close(&rt);
    return ns;
}

/* ---- coroutines: switches, yields, ready awaits ----------------------------------------- */

/* Suspends n times; polled by hand, so that each round trip is one
 * switch into the coroutine and one out, and nothing else. */
static int
coro_suspender(void *arg)
{
    long i, n = *(long *)arg;

    for (i = 0; i < n; i++)
        (void)fut_coro_suspend();
    return 0;
}

static double
bench_coro_switch(long n)
{
    struct fut_coro c;
    struct fut_context cx;
    int64_t t0, t1;

    fut_context_init(&cx, fut_waker_noop(), NULL);
    fut_coro_init(&c, coro_suspender, &n, NULL);
    (void)fut_future_poll(&c.base, &cx); /* take the stack, first suspend */
    t0 = fut_now_ns();
    while (fut_future_poll(&c.base, &cx) == FUT_PENDING)
        ;
    t1 = fut_now_ns();
    fut_future_drop(&c.base);
    return (double)(t1 - t0) / (double)n;
}

/* Yields n times through the runtime's run queue. */
static int
coro_yielder(void *arg)
{
    long i, n = *(long *)arg;

    for (i = 0; i < n; i++)
        (void)fut_coro_yield();
    return 0;
}

static double
bench_coro_yield(long n)
{
    struct fut_runtime rt;
    int64_t t0, t1;

    fut_runtime_init_default(&rt);
    fut_coro_spawn(&rt, coro_yielder, &n, NULL, NULL);
    t0 = fut_now_ns();
    fut_runtime_run(&rt);
    t1 = fut_now_ns();
    fut_runtime_close(&rt);
    return (double)(t1 - t0) / (double)n;
}

/* Awaits n futures that are READY at once: no switch at all. */
static int
coro_ready_awaiter(void *arg)
{
    long i, n = *(long *)arg;
    struct fut_ready r;

    for (i = 0; i < n; i++) {
        fut_ready_init(&r, 0);
        (void)fut_await(&r.base);
    }
    return 0;
}

static double
bench_coro_await_ready(long n)
{
    struct fut_coro c;
    struct fut_context cx;
    int64_t t0, t1;

    fut_context_init(&cx, fut_waker_noop(), NULL);
    fut_coro_init(&c, coro_ready_awaiter, &n, NULL);
    t0 = fut_now_ns();
    (void)fut_future_poll(&c.base, &cx);
    t1 = fut_now_ns();
    fut_future_drop(&c.base);
    return (double)(t1 - t0) / (double)n;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    double a[REPS], b[REPS], c[REPS], d[REPS], e[REPS];
    double f[REPS], g[REPS], h[REPS], k[REPS];
    int r;

    if (n <= 0)
        n = 1000000;
    for (r = 0; r < REPS; r++) {
        a[r] = bench_spawn_join(n, 0);
        b[r] = bench_ping_pong(n);
        bench_timers(n, &c[r], &d[r]);
        e[r] = bench_wake_scheduled(n * 10);
        f[r] = bench_coro_switch(n * 10);
        g[r] = bench_coro_yield(n);
        h[r] = bench_coro_await_ready(n * 10);
        k[r] = bench_spawn_join(n, 1);
    }
    printf("### Core microbenchmarks (%ld operations, median of %d runs, "
           "ns per operation)\n\n", n, REPS);
    printf("| %-44s | %9s | %9s | %9s | %-9s | %5s |\n", "what", "median",
           "min", "max", "target", "median / target");
    printf("|---|---:|---:|---:|---|---:|\n");
    row("spawn + join, per task", a, REPS, 60);
    row("bounded(1) channel ping-pong, per round trip", b, REPS, 100);
    row("timer arm (sleep polled once), per timer", c, REPS, 20);
    row("timer cancel (sleep dropped), per timer", d, REPS, 20);
    row("wake of an already-scheduled task", e, REPS, 0);
    row("coroutine switch round trip (resume+suspend)", f, REPS, 15);
    row("coroutine yield through the run queue", g, REPS, 0);
    row("coroutine await of a ready future", h, REPS, 0);
    row("coroutine spawn + join, per coroutine", k, REPS, 150);
    bench_sleeps(1000);
    return 0;
}
