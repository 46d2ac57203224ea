/* SPDX-License-Identifier: MIT */
/* The blocking pool: jobs, drops at each state, the thread cap, idle exit, close. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conformance.h"

/*
 * Jobs that must stay "running" wait on a gate (a semaphore the test
 * posts); tests learn that a job started or was released by waiting on
 * semaphores too. Every wait has a generous safety net (60 s), never a
 * sleep that stands for "long enough".
 */

static void
sem_wait_safe(sem_t *s)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 60;
    while (sem_timedwait(s, &ts) != 0)
        ck_assert_msg(errno == EINTR, "a job did not get there within 60 s");
}

/* Wait until @pred(@arg) holds, yielding: the thing itself, with a net. */
static void
wait_until(int (*pred)(void *), void *arg)
{
    struct timespec start, now;

    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!pred(arg)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(now.tv_sec - start.tv_sec < 60,
                      "condition not reached within 60 s");
        sched_yield();
    }
}

/* A job's argument: inputs, outputs and what the test observes. */
struct job {
    int in;
    int out;
    pthread_t thread;
    sem_t *started;        /* posted when the job begins (may be NULL) */
    sem_t *gate;           /* waited on before returning (may be NULL) */
    int *cleanups;         /* incremented by cleanup (atomic) */
    sem_t *cleaned;        /* posted by cleanup (may be NULL) */
    int *running, *max_running; /* concurrency (may be NULL) */
};

static int
job_fn(void *arg)
{
    struct job *j = arg;
    int now, max;

    j->thread = pthread_self();
    if (j->running != NULL) {
        now = __atomic_add_fetch(j->running, 1, __ATOMIC_SEQ_CST);
        max = __atomic_load_n(j->max_running, __ATOMIC_SEQ_CST);
        while (now > max &&
               !__atomic_compare_exchange_n(j->max_running, &max, now, 0,
                                            __ATOMIC_SEQ_CST,
                                            __ATOMIC_SEQ_CST))
            ;
    }
    if (j->started != NULL)
        sem_post(j->started);
    if (j->gate != NULL)
        sem_wait_safe(j->gate);
    j->out = j->in * 2;
    if (j->running != NULL)
        __atomic_sub_fetch(j->running, 1, __ATOMIC_SEQ_CST);
    return j->in + 1;
}

static void
job_cleanup(void *arg)
{
    struct job *j = arg;

    if (j->cleanups != NULL)
        __atomic_add_fetch(j->cleanups, 1, __ATOMIC_SEQ_CST);
    if (j->cleaned != NULL)
        sem_post(j->cleaned);
}

static int
runtime_with(struct fut_runtime *rt, unsigned int threads, unsigned int idle)
{
    struct fut_runtime_config cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.version = FUT_RUNTIME_CONFIG_VERSION;
    cfg.blocking_threads = threads;
    cfg.blocking_idle_ms = idle;
    return fut_runtime_init(rt, fut_backend_default(), &cfg);
}

START_TEST(test_blocking_result_and_thread)
{
    struct job j = { .in = 20 };
    struct fut_spawn_blocking f;

    ck_assert_int_eq(fut_spawn_blocking_init(&f, job_fn, &j, NULL), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    ck_assert_int_eq(f.result, 21);
    ck_assert_ptr_eq(f.arg, &j);
    ck_assert_int_eq(j.out, 40);
    ck_assert(!pthread_equal(j.thread, pthread_self()));
    ck_assert_int_eq(fut_future_result(&f.base), 21);
    fut_future_drop(&f.base);
    ck_assert_uint_ge(fut_runtime_blocking_threads(&conf_rt), 1);
}
END_TEST

START_TEST(test_blocking_bad_input)
{
    struct fut_spawn_blocking f;
    struct fut_context cx = test_noop_cx();
    int cleanups = 0;
    struct job j = { .in = 1, .cleanups = &cleanups };
    struct fut_runtime_config cfg;
    struct fut_runtime rt;

    ck_assert_int_eq(fut_spawn_blocking_init(NULL, job_fn, &j, job_cleanup),
                     -EINVAL);
    ck_assert_int_eq(fut_spawn_blocking_init(&f, NULL, &j, job_cleanup),
                     -EINVAL);
    ck_assert_int_eq(cleanups, 0);   /* a failed init moves nothing */

    /* Polled without a runtime: READY with -EINVAL, the argument handed
     * back (no cleanup), the job never run. */
    ck_assert_int_eq(fut_spawn_blocking_init(&f, job_fn, &j, job_cleanup), 0);
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
    ck_assert_int_eq(f.result, -EINVAL);
    ck_assert_ptr_eq(f.arg, &j);
    ck_assert_int_eq(j.out, 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(cleanups, 0);

    ck_assert_uint_eq(fut_runtime_blocking_threads(NULL), 0);

    /* The config: an unknown version, a cap beyond 4096. */
    memset(&cfg, 0, sizeof cfg);
    cfg.version = FUT_RUNTIME_CONFIG_VERSION + 1;
    ck_assert_int_eq(fut_runtime_init(&rt, fut_backend_default(), &cfg),
                     -EINVAL);
    cfg.version = FUT_RUNTIME_CONFIG_VERSION;
    cfg.blocking_threads = 4097;
    ck_assert_int_eq(fut_runtime_init(&rt, fut_backend_default(), &cfg),
                     -EINVAL);
    /* Version 1 ignores the pool fields (defaults). */
    cfg.version = 1;
    ck_assert_int_eq(fut_runtime_init(&rt, fut_backend_default(), &cfg), 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

START_TEST(test_blocking_drop_before_poll)
{
    struct fut_spawn_blocking f;
    int cleanups = 0;
    struct job j = { .in = 1, .cleanups = &cleanups };

    ck_assert_int_eq(fut_spawn_blocking_init(&f, job_fn, &j, job_cleanup), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(cleanups, 1);
    ck_assert_int_eq(j.out, 0);
    fut_future_drop(&f.base);        /* a second drop does nothing */
    ck_assert_int_eq(cleanups, 1);
    ck_assert_uint_eq(fut_runtime_blocking_threads(&conf_rt), 0);
}
END_TEST

/* One thread: job A holds it (running, on a gate); job B waits in the
 * queue. Dropping B removes it: cleaned up at once, never run. Dropping A
 * while it runs leaves it running; its thread cleans up when it ends. */
START_TEST(test_blocking_drop_queued_and_running)
{
    struct fut_runtime rt;
    sem_t started, gate, cleaned;
    int cleanups_a = 0, cleanups_b = 0;
    struct job a = { .in = 1 }, b = { .in = 2 };
    struct fut_spawn_blocking fa, fb;
    struct test_waker tw;
    struct fut_context cx;

    ck_assert_int_eq(runtime_with(&rt, 1, 0), 0);
    sem_init(&started, 0, 0);
    sem_init(&gate, 0, 0);
    sem_init(&cleaned, 0, 0);
    a.started = &started;
    a.gate = &gate;
    a.cleanups = &cleanups_a;
    a.cleaned = &cleaned;
    b.cleanups = &cleanups_b;
    test_waker_init(&tw);
    cx = test_cx(&tw, &rt);

    ck_assert_int_eq(fut_spawn_blocking_init(&fa, job_fn, &a, job_cleanup), 0);
    ck_assert_int_eq(fut_spawn_blocking_init(&fb, job_fn, &b, job_cleanup), 0);
    ck_assert_int_eq(fut_future_poll(&fa.base, &cx), FUT_PENDING);
    sem_wait_safe(&started);         /* A runs on the only thread */
    ck_assert_int_eq(fut_future_poll(&fb.base, &cx), FUT_PENDING);
    ck_assert_uint_eq(fut_runtime_blocking_threads(&rt), 1);

    fut_future_drop(&fb.base);       /* queued: removed */
    ck_assert_int_eq(cleanups_b, 1);
    ck_assert_int_eq(b.out, 0);

    fut_future_drop(&fa.base);       /* running: runs on */
    ck_assert_int_eq(__atomic_load_n(&cleanups_a, __ATOMIC_SEQ_CST), 0);
    sem_post(&gate);
    sem_wait_safe(&cleaned);         /* its thread released the argument */
    ck_assert_int_eq(__atomic_load_n(&cleanups_a, __ATOMIC_SEQ_CST), 1);
    ck_assert_int_eq(a.out, 2);

    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_uint_eq(fut_runtime_blocking_threads(&rt), 0);
    ck_assert_int_eq(tw.live, 0);
    sem_destroy(&started);
    sem_destroy(&gate);
    sem_destroy(&cleaned);
}
END_TEST

/* A future that polls @inner once (PENDING) and is READY when woken,
 * without polling it again: it leaves @inner finished, its waker woken,
 * and its result unread. */
struct peek {
    struct fut_future base;
    struct fut_future *inner;
    int polled;
};

static enum fut_poll
peek_poll(struct fut_future *base, struct fut_context *cx)
{
    struct peek *p = (struct peek *)base;

    if (p->polled)
        return FUT_READY;
    p->polled = 1;
    ck_assert_int_eq(fut_future_poll(p->inner, cx), FUT_PENDING);
    return FUT_PENDING;
}

static void
peek_drop(struct fut_future *base)
{
    (void)base;
}

static const struct fut_future_vtable peek_vtable = {
    .poll = peek_poll,
    .drop = peek_drop,
};

/* Finished, woken (on the runtime's thread, which delivers what the pool
 * finished), but never polled again: the drop releases the result (the
 * argument) through cleanup, exactly once. */
START_TEST(test_blocking_drop_after_done)
{
    sem_t cleaned;
    int cleanups = 0;
    struct job j = { .in = 5 };
    struct fut_spawn_blocking f;
    struct peek pk = { .base.vtable = &peek_vtable, .inner = &f.base };

    sem_init(&cleaned, 0, 0);
    j.cleanups = &cleanups;
    j.cleaned = &cleaned;
    ck_assert_int_eq(fut_spawn_blocking_init(&f, job_fn, &j, job_cleanup), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &pk.base), 0);
    ck_assert_int_eq(j.out, 10);
    fut_future_drop(&f.base);
    sem_wait_safe(&cleaned);
    ck_assert_int_eq(__atomic_load_n(&cleanups, __ATOMIC_SEQ_CST), 1);
    sem_destroy(&cleaned);
}
END_TEST

/* Finished on its pool thread but not yet delivered (the runtime has not
 * run since): the drop takes it off the list of finished jobs, releases
 * the argument at once, and its waker is never woken. With one pool
 * thread, a second job starting proves the first is on that list. */
START_TEST(test_blocking_drop_finished_undelivered)
{
    struct fut_runtime rt;
    sem_t started, gate;
    int cleanups = 0;
    struct job a = { .in = 1 }, b = { .in = 2 };
    struct fut_spawn_blocking fa, fb;
    struct test_waker tw, twb;
    struct fut_context cx, cxb;

    ck_assert_int_eq(runtime_with(&rt, 1, 0), 0);
    sem_init(&started, 0, 0);
    sem_init(&gate, 0, 0);
    a.cleanups = &cleanups;
    b.started = &started;
    b.gate = &gate;
    test_waker_init(&tw);
    test_waker_init(&twb);
    cx = test_cx(&tw, &rt);
    cxb = test_cx(&twb, &rt);
    ck_assert_int_eq(fut_spawn_blocking_init(&fa, job_fn, &a, job_cleanup), 0);
    ck_assert_int_eq(fut_spawn_blocking_init(&fb, job_fn, &b, job_cleanup), 0);
    ck_assert_int_eq(fut_future_poll(&fa.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&fb.base, &cxb), FUT_PENDING);
    sem_wait_safe(&started);         /* so a finished */
    ck_assert_int_eq(a.out, 2);
    fut_future_drop(&fa.base);
    ck_assert_int_eq(__atomic_load_n(&cleanups, __ATOMIC_SEQ_CST), 1);
    sem_post(&gate);
    /* b is delivered by the runtime's loop; a never is. */
    ck_assert_int_eq(fut_block_on(&rt, &fb.base), 0);
    ck_assert_int_eq(fb.result, 3);
    ck_assert_ptr_eq(fb.arg, &b);
    fut_future_drop(&fb.base);
    ck_assert_int_eq(__atomic_load_n(&cleanups, __ATOMIC_SEQ_CST), 1);
    ck_assert_int_eq(__atomic_load_n(&tw.wakes, __ATOMIC_SEQ_CST), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(twb.live, 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    sem_destroy(&started);
    sem_destroy(&gate);
}
END_TEST

/* A job that finished is READY at a poll nothing woke (by hand, on the
 * runtime's thread, its loop not running): the poll delivers it. */
START_TEST(test_blocking_poll_by_hand)
{
    sem_t cleaned;
    struct job j = { .in = 4 };
    struct fut_spawn_blocking f;
    struct test_waker tw;
    struct fut_context cx;
    struct timespec start, now;
    enum fut_poll r;

    sem_init(&cleaned, 0, 0);
    j.cleaned = &cleaned;           /* not called: READY hands @arg back */
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_spawn_blocking_init(&f, job_fn, &j, job_cleanup), 0);
    clock_gettime(CLOCK_MONOTONIC, &start);
    while ((r = fut_future_poll(&f.base, &cx)) == FUT_PENDING) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(now.tv_sec - start.tv_sec < 60,
                      "the job did not finish within 60 s");
        sched_yield();
    }
    ck_assert_int_eq(f.result, 5);
    ck_assert_ptr_eq(f.arg, &j);
    fut_future_drop(&f.base);
    ck_assert_int_eq(sem_trywait(&cleaned), -1);
    ck_assert_int_eq(tw.live, 0);
    sem_destroy(&cleaned);
}
END_TEST

/* ---- many jobs from many tasks --------------------------------------------- */

#define MANY 1000

struct sum_task {
    struct fut_future base;
    struct fut_spawn_blocking f;
    struct job j;
    int started;
    long *sum;
};

static enum fut_poll
sum_task_poll(struct fut_future *base, struct fut_context *cx)
{
    struct sum_task *t = (struct sum_task *)base;

    if (!t->started) {
        ck_assert_int_eq(fut_spawn_blocking_init(&t->f, job_fn, &t->j, NULL),
                         0);
        t->started = 1;
    }
    if (fut_future_poll(&t->f.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    ck_assert_int_eq(t->f.result, t->j.in + 1);
    *t->sum += t->j.out;
    return FUT_READY;
}

static void
sum_task_drop(struct fut_future *base)
{
    struct sum_task *t = (struct sum_task *)base;

    if (t->started)
        fut_future_drop(&t->f.base);
}

static const struct fut_future_vtable sum_task_vtable = {
    .poll = sum_task_poll,
    .drop = sum_task_drop,
};

static void
run_many(struct fut_runtime *rt, int *running, int *max_running)
{
    struct fut_task **tasks = calloc(MANY, sizeof *tasks);
    int many = conf_scaled(MANY);
    struct sum_task t;
    long sum = 0, want = 0;
    int i;

    ck_assert_ptr_nonnull(tasks);
    for (i = 0; i < many; i++) {
        memset(&t, 0, sizeof t);
        t.base.vtable = &sum_task_vtable;
        t.j.in = i;
        t.j.running = running;
        t.j.max_running = max_running;
        t.sum = &sum;
        want += 2 * i;
        ck_assert_int_eq(fut_spawn(rt, &t.base, sizeof t, &tasks[i]), 0);
    }
    ck_assert_int_eq(fut_runtime_run(rt), 0);
    for (i = 0; i < many; i++) {
        ck_assert(fut_task_is_finished(tasks[i]));
        ck_assert_int_eq(fut_task_result(tasks[i]), 0);
        fut_task_detach(tasks[i]);
    }
    ck_assert_int_eq(sum, want);
    free(tasks);
}

START_TEST(test_blocking_thousand_concurrent)
{
    int running = 0, max_running = 0;

    run_many(&conf_rt, &running, &max_running);
    ck_assert_int_ge(max_running, 1);
    ck_assert_int_le(max_running, 64);
    ck_assert_uint_le(fut_runtime_blocking_threads(&conf_rt), 64);
}
END_TEST

START_TEST(test_blocking_cap)
{
    struct fut_runtime rt;
    int running = 0, max_running = 0;

    ck_assert_int_eq(runtime_with(&rt, 3, 0), 0);
    run_many(&rt, &running, &max_running);
    ck_assert_int_le(max_running, 3);
    ck_assert_uint_le(fut_runtime_blocking_threads(&rt), 3);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_uint_eq(fut_runtime_blocking_threads(&rt), 0);
}
END_TEST

/* Jobs that all wait for one another: each runs only once every one has
 * started, so they finish only if the pool gives each a thread of its own
 * - more than a submit starts by itself (the number of CPUs, at least 4):
 * the watchdog sees them blocked and starts the rest. */
#define WAITERS 24

struct waiters {
    int arrived;
    sem_t go;
};

static int
waiter_fn(void *arg)
{
    struct waiters *w = arg;
    struct timespec ts;
    int i;

    if (__atomic_add_fetch(&w->arrived, 1, __ATOMIC_SEQ_CST) == WAITERS)
        for (i = 0; i < WAITERS; i++)
            sem_post(&w->go);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 60;
    while (sem_timedwait(&w->go, &ts) != 0)
        if (errno != EINTR)
            return 0;   /* the test fails on the result, not here */
    return 1;
}

START_TEST(test_blocking_blocked_jobs_get_threads)
{
    static struct fut_spawn_blocking jobs[WAITERS];
    static struct fut_future *kids[WAITERS];
    static struct fut_child slots[WAITERS];
    struct fut_join_all j;
    struct waiters w;
    int i;

    memset(&w, 0, sizeof w);
    ck_assert_int_eq(sem_init(&w.go, 0, 0), 0);
    for (i = 0; i < WAITERS; i++) {
        ck_assert_int_eq(fut_spawn_blocking_init(&jobs[i], waiter_fn, &w,
                                                 NULL), 0);
        kids[i] = &jobs[i].base;
    }
    ck_assert_int_eq(fut_join_all_init(&j, kids, slots, WAITERS), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &j.base), 0);
    ck_assert_int_eq(j.result, 0);
    for (i = 0; i < WAITERS; i++)
        ck_assert_msg(jobs[i].result == 1, "job %d never got a thread", i);
    ck_assert_uint_ge(fut_runtime_blocking_threads(&conf_rt), WAITERS);
    fut_future_drop(&j.base);
    sem_destroy(&w.go);
}
END_TEST

/* With the cap below the jobs that need one another, the jobs beyond it
 * wait in the queue: the watchdog starts no thread past the cap. */
START_TEST(test_blocking_watchdog_cap)
{
    struct fut_runtime rt;
    struct job j[8];
    struct fut_spawn_blocking f[8];
    sem_t started, gate;
    struct test_waker tw;
    struct fut_context cx;
    int i;

    ck_assert_int_eq(runtime_with(&rt, 6, 0), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &rt);
    ck_assert_int_eq(sem_init(&started, 0, 0), 0);
    ck_assert_int_eq(sem_init(&gate, 0, 0), 0);
    for (i = 0; i < 8; i++) {
        memset(&j[i], 0, sizeof j[i]);
        j[i].in = i;
        j[i].started = &started;
        j[i].gate = &gate;
        ck_assert_int_eq(fut_spawn_blocking_init(&f[i], job_fn, &j[i], NULL),
                         0);
        ck_assert_int_eq(fut_future_poll(&f[i].base, &cx), FUT_PENDING);
    }
    for (i = 0; i < 6; i++)
        sem_wait_safe(&started);    /* six run, each on its own thread */
    ck_assert_uint_eq(fut_runtime_blocking_threads(&rt), 6);
    for (i = 0; i < 8; i++)
        sem_post(&gate);
    for (i = 6; i < 8; i++)
        sem_wait_safe(&started);    /* ...the other two after them */
    for (i = 0; i < 8; i++) {
        ck_assert_int_eq(fut_block_on(&rt, &f[i].base), 0);
        ck_assert_int_eq(f[i].result, i + 1);
        fut_future_drop(&f[i].base);
    }
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    sem_destroy(&started);
    sem_destroy(&gate);
}
END_TEST

static int
no_threads(void *arg)
{
    return fut_runtime_blocking_threads(arg) == 0;
}

/* Idle threads leave on their own; the pool starts new ones afterwards. */
START_TEST(test_blocking_idle_exit)
{
    struct fut_runtime rt;
    struct job j = { .in = 3 };
    struct fut_spawn_blocking f;
    int round;

    ck_assert_int_eq(runtime_with(&rt, 4, 10), 0);
    for (round = 0; round < 3; round++) {
        ck_assert_int_eq(fut_spawn_blocking_init(&f, job_fn, &j, NULL), 0);
        ck_assert_int_eq(fut_block_on(&rt, &f.base), 0);
        ck_assert_int_eq(f.result, 4);
        fut_future_drop(&f.base);
        wait_until(no_threads, &rt);
    }
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

struct releaser {
    sem_t *started, *gate;
};

/* Opens the gate from another thread, racing the close that waits for
 * the job behind it: whichever comes first, close must not return before
 * the job ended. */
static void *
release_gate(void *arg)
{
    struct releaser *r = arg;

    sched_yield();
    sem_post(r->gate);
    return NULL;
}

/* Close while a dropped task's job runs and a live future's job waits in
 * the queue: close waits for the first, runs the second, joins every
 * thread; the live future is READY afterwards and gives its argument back. */
START_TEST(test_blocking_close_with_jobs)
{
    struct fut_runtime rt;
    sem_t started, gate;
    int cleanups = 0;
    struct sum_task t;
    struct job b = { .in = 7 };
    struct fut_spawn_blocking fb;
    struct fut_task *task;
    struct releaser rel = { &started, &gate };
    struct test_waker tw;
    struct fut_context cx;
    pthread_t th;
    long sum = 0;

    ck_assert_int_eq(runtime_with(&rt, 1, 0), 0);
    sem_init(&started, 0, 0);
    sem_init(&gate, 0, 0);
    memset(&t, 0, sizeof t);
    t.base.vtable = &sum_task_vtable;
    t.j.in = 1;
    t.j.started = &started;
    t.j.gate = &gate;
    t.sum = &sum;
    ck_assert_int_eq(fut_spawn(&rt, &t.base, sizeof t, &task), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&rt), 1);

    test_waker_init(&tw);
    cx = test_cx(&tw, &rt);
    b.cleanups = &cleanups;
    ck_assert_int_eq(fut_spawn_blocking_init(&fb, job_fn, &b, job_cleanup), 0);
    ck_assert_int_eq(fut_future_poll(&fb.base, &cx), FUT_PENDING);

    sem_wait_safe(&started);         /* the task's job is running */
    ck_assert_int_eq(pthread_create(&th, NULL, release_gate, &rel), 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_uint_eq(fut_runtime_blocking_threads(&rt), 0);
    ck_assert_int_eq(fut_task_result(task), -ECANCELED);
    ck_assert_int_eq(t.j.out, 0);    /* the task's copy: it was moved */
    fut_task_detach(task);
    pthread_join(th, NULL);

    /* The queued job ran before close returned. */
    ck_assert_int_eq(b.out, 14);
    ck_assert_int_eq(fut_future_poll(&fb.base, &cx), FUT_READY);
    ck_assert_int_eq(fb.result, 8);
    ck_assert_ptr_eq(fb.arg, &b);
    fut_future_drop(&fb.base);
    ck_assert_int_eq(cleanups, 0);
    ck_assert_int_eq(tw.live, 0);
    sem_destroy(&started);
    sem_destroy(&gate);
}
END_TEST

/* A job submitted while the runtime is closing is refused. */
static int
submit_in_drop_fn(void *arg)
{
    (void)arg;
    return 0;
}

struct drop_submits {
    struct fut_future base;
    struct fut_spawn_blocking *out;
    struct fut_runtime *rt;
    struct test_waker *tw;
};

static enum fut_poll
drop_submits_poll(struct fut_future *base, struct fut_context *cx)
{
    (void)base;
    (void)cx;
    return FUT_PENDING;
}

static void
drop_submits_drop(struct fut_future *base)
{
    struct drop_submits *d = (struct drop_submits *)base;
    struct fut_context cx = test_cx(d->tw, d->rt);

    /* The runtime is closing: READY -ESHUTDOWN, nothing queued. */
    ck_assert_int_eq(fut_spawn_blocking_init(d->out, submit_in_drop_fn, NULL,
                                             NULL),
                     0);
    ck_assert_int_eq(fut_future_poll(&d->out->base, &cx), FUT_READY);
}

static const struct fut_future_vtable drop_submits_vtable = {
    .poll = drop_submits_poll,
    .drop = drop_submits_drop,
};

START_TEST(test_blocking_submit_while_closing)
{
    struct fut_runtime rt;
    struct fut_spawn_blocking out;
    struct test_waker tw;
    struct drop_submits d = { .base.vtable = &drop_submits_vtable,
                              .out = &out, .rt = &rt, .tw = &tw };

    test_waker_init(&tw);
    ck_assert_int_eq(runtime_with(&rt, 2, 0), 0);
    ck_assert_int_eq(fut_spawn(&rt, &d.base, sizeof d, NULL), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&rt), 1);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(out.result, -ESHUTDOWN);
    fut_future_drop(&out.base);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* The pool cannot be allocated (its first job): READY with -ENOMEM, the
 * argument back. */
START_TEST(test_blocking_enomem)
{
    struct fut_spawn_blocking f;
    int cleanups = 0;
    struct job j = { .in = 1, .cleanups = &cleanups };

    test_failalloc_install();
    test_failalloc_fail_after(0);
    ck_assert_int_eq(fut_spawn_blocking_init(&f, job_fn, &j, job_cleanup), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    test_failalloc_fail_after(-1);
    ck_assert_int_eq(f.result, -ENOMEM);
    ck_assert_ptr_eq(f.arg, &j);
    fut_future_drop(&f.base);
    ck_assert_int_eq(cleanups, 0);
}
END_TEST

/* A task's job goes into the runtime's batch, handed to the pool after
 * the round of polls; no thread could start: it fails with the error,
 * delivered as its result, and the argument comes back. */
START_TEST(test_blocking_enomem_thread)
{
    struct fut_spawn_blocking f;
    int cleanups = 0;
    struct job j = { .in = 1, .cleanups = &cleanups };

    test_failalloc_install();
    test_failalloc_fail_after(1);      /* the pool, not its thread */
    ck_assert_int_eq(fut_spawn_blocking_init(&f, job_fn, &j, job_cleanup), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    test_failalloc_fail_after(-1);
    ck_assert_int_eq(f.result, -ENOMEM);
    ck_assert_ptr_eq(f.arg, &j);
    ck_assert_int_eq(j.out, 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(cleanups, 0);
    ck_assert_uint_eq(fut_runtime_blocking_threads(&conf_rt), 0);
}
END_TEST

/* A future that submits a job and drops it in the same poll: the job is
 * still in the runtime's batch, leaves it, and never runs. */
struct submit_drop {
    struct fut_future base;
    struct fut_spawn_blocking f;
    struct job j;
};

static enum fut_poll
submit_drop_poll(struct fut_future *base, struct fut_context *cx)
{
    struct submit_drop *t = (struct submit_drop *)base;

    ck_assert_int_eq(fut_spawn_blocking_init(&t->f, job_fn, &t->j,
                                             job_cleanup), 0);
    ck_assert_int_eq(fut_future_poll(&t->f.base, cx), FUT_PENDING);
    fut_future_drop(&t->f.base);
    return FUT_READY;
}

static void
submit_drop_drop(struct fut_future *base)
{
    (void)base;
}

static const struct fut_future_vtable submit_drop_vtable = {
    .poll = submit_drop_poll,
    .drop = submit_drop_drop,
};

START_TEST(test_blocking_drop_in_batch)
{
    int cleanups = 0;
    struct submit_drop t;
    struct job other = { .in = 3 };
    struct fut_spawn_blocking f;

    memset(&t, 0, sizeof t);
    t.base.vtable = &submit_drop_vtable;
    t.j.in = 2;
    t.j.cleanups = &cleanups;
    ck_assert_int_eq(fut_block_on(&conf_rt, &t.base), 0);
    ck_assert_int_eq(__atomic_load_n(&cleanups, __ATOMIC_SEQ_CST), 1);
    /* A job submitted after it runs to its end: the pool queue held
     * nothing of the dropped one. */
    ck_assert_int_eq(fut_spawn_blocking_init(&f, job_fn, &other, NULL), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    ck_assert_int_eq(f.result, 4);
    fut_future_drop(&f.base);
    ck_assert_int_eq(t.j.out, 0);
    ck_assert_int_eq(__atomic_load_n(&cleanups, __ATOMIC_SEQ_CST), 1);
}
END_TEST

/* Once the pool has an idle thread, a job allocates nothing: it lives in
 * the future. Every allocation fails, and the jobs still run. */
START_TEST(test_blocking_no_allocation_per_job)
{
    struct fut_runtime rt;
    struct fut_spawn_blocking f[4];
    struct job j[4];
    int i;

    /* An idle time far beyond the test: the thread stays. */
    ck_assert_int_eq(runtime_with(&rt, 1, 600000), 0);
    memset(j, 0, sizeof j);
    j[0].in = 1;
    ck_assert_int_eq(fut_spawn_blocking_init(&f[0], job_fn, &j[0], NULL), 0);
    ck_assert_int_eq(fut_block_on(&rt, &f[0].base), 0);
    ck_assert_int_eq(f[0].result, 2);
    fut_future_drop(&f[0].base);
    ck_assert_uint_eq(fut_runtime_blocking_threads(&rt), 1);

    test_failalloc_install();
    test_failalloc_fail_after(0);
    for (i = 0; i < 4; i++) {
        j[i].in = 10 + i;
        ck_assert_int_eq(fut_spawn_blocking_init(&f[i], job_fn, &j[i], NULL),
                         0);
        ck_assert_int_eq(fut_block_on(&rt, &f[i].base), 0);
        ck_assert_int_eq(f[i].result, 10 + i + 1);
        ck_assert_int_eq(j[i].out, 2 * (10 + i));
        fut_future_drop(&f[i].base);
    }
    test_failalloc_fail_after(-1);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

Suite *
fut_conf_blocking_suite(void)
{
    Suite *s = suite_create("blocking");
    TCase *tc = tcase_create("blocking");

    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_blocking_result_and_thread);
    tcase_add_test(tc, test_blocking_bad_input);
    tcase_add_test(tc, test_blocking_drop_before_poll);
    tcase_add_test(tc, test_blocking_drop_queued_and_running);
    tcase_add_test(tc, test_blocking_drop_after_done);
    tcase_add_test(tc, test_blocking_drop_finished_undelivered);
    tcase_add_test(tc, test_blocking_poll_by_hand);
    tcase_add_test(tc, test_blocking_thousand_concurrent);
    tcase_add_test(tc, test_blocking_cap);
    tcase_add_test(tc, test_blocking_idle_exit);
    tcase_add_test(tc, test_blocking_blocked_jobs_get_threads);
    tcase_add_test(tc, test_blocking_watchdog_cap);
    tcase_add_test(tc, test_blocking_close_with_jobs);
    tcase_add_test(tc, test_blocking_submit_while_closing);
    tcase_add_test(tc, test_blocking_enomem);
    tcase_add_test(tc, test_blocking_enomem_thread);
    tcase_add_test(tc, test_blocking_drop_in_batch);
    tcase_add_test(tc, test_blocking_no_allocation_per_job);
    suite_add_tcase(s, tc);
    return s;
}
