/* SPDX-License-Identifier: MIT */
/* Conformance: runtimes, block_on, spawn, join handles, abort, cross-thread wakes, coop budget. */
#include <pthread.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <futures/backend.h>

#include "conformance.h"
#include "internal.h"

/* A task body: pending for `yields` polls (self-waking), then READY with
 * `value`; counts its drops. */
struct yielder {
    struct fut_future base;
    int yields;
    int value;
    int polls;
    int *drops;
    int out;
};

static enum fut_poll
yielder_poll(struct fut_future *f, struct fut_context *cx)
{
    struct yielder *y = (struct yielder *)f;

    if (y->polls++ < y->yields) {
        fut_waker_wake_by_ref(cx->waker);
        return FUT_PENDING;
    }
    y->out = y->value * 2;
    return FUT_READY;
}

static void
yielder_drop(struct fut_future *f)
{
    struct yielder *y = (struct yielder *)f;

    if (y->drops != NULL)
        (*y->drops)++;
}

static int
yielder_result(const struct fut_future *f)
{
    const struct yielder *y = (const struct yielder *)f;

    return y->value < 0 ? y->value : 0;
}

static const struct fut_future_vtable yielder_vtable = {
    .poll = yielder_poll,
    .drop = yielder_drop,
    .result = yielder_result,
};

static void
yielder_init(struct yielder *y, int yields, int value, int *drops)
{
    y->base.vtable = &yielder_vtable;
    y->yields = yields;
    y->value = value;
    y->polls = 0;
    y->drops = drops;
    y->out = 0;
}

START_TEST(test_executor_block_on_ready)
{
    struct fut_ready r;

    fut_ready_init(&r, 7);
    ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
    ck_assert_int_eq(r.value, 7);
    fut_future_drop(&r.base);
}
END_TEST

START_TEST(test_executor_spawn_join_output)
{
    struct yielder y;
    struct fut_task *t;
    struct fut_task_join j;
    int drops = 0;

    yielder_init(&y, 3, 21, &drops);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &y, &t), 0);
    ck_assert_uint_eq(fut_runtime_task_count(&conf_rt), 1);
    ck_assert_int_eq(fut_task_result(t), -EAGAIN);
    ck_assert_ptr_null(fut_task_output(t));
    ck_assert_int_eq(fut_task_join_init(&j, t), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &j.base), 0);
    ck_assert_int_eq(j.result, 0);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(((struct yielder *)fut_task_output(t))->out, 42);
    ck_assert_int_eq(drops, 1); /* dropped once, when it finished */
    fut_future_drop(&j.base);
    fut_task_detach(t);
}
END_TEST

START_TEST(test_executor_task_error_result)
{
    struct yielder y;
    struct fut_task *t;
    struct fut_task_join j;

    yielder_init(&y, 1, -EIO, NULL);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &y, &t), 0);
    fut_task_join_init(&j, t);
    ck_assert_int_eq(fut_block_on(&conf_rt, &j.base), 0);
    ck_assert_int_eq(j.result, -EIO);
    ck_assert_int_eq(fut_task_result(t), -EIO);
    fut_task_detach(t);
}
END_TEST

START_TEST(test_executor_abort)
{
    struct test_leaf y;
    struct test_drop_log log = { 0, 0 };
    struct fut_task *t;
    struct fut_task_join j;

    test_leaf_init(&y, -1, 1, &log);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &y, &t), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 0);
    ck_assert_int_eq(fut_task_abort(t), 0);
    fut_task_join_init(&j, t);
    ck_assert_int_eq(fut_block_on(&conf_rt, &j.base), 0);
    ck_assert_int_eq(j.result, -ECANCELED);
    ck_assert_ptr_null(fut_task_output(t));
    ck_assert_int_eq(log.drops, 1);
    ck_assert_int_eq(log.polls, 1);
    ck_assert_int_eq(fut_task_abort(t), 0); /* finished: no-op */
    ck_assert_int_eq(log.drops, 1);
    fut_task_detach(t);
}
END_TEST

START_TEST(test_executor_detach_runs_to_completion)
{
    struct yielder y;
    int drops = 0;

    test_failalloc_install();
    yielder_init(&y, 5, 1, &drops);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &y, NULL), 0);
    ck_assert_int_eq(test_failalloc_live(), 1);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(drops, 1);
    ck_assert_int_eq(test_failalloc_live(), 0); /* task memory freed */
}
END_TEST

START_TEST(test_executor_spawn_enomem)
{
    struct yielder y;
    struct fut_task *t = (struct fut_task *)&y;

    test_failalloc_install();
    test_failalloc_fail_after(0);
    yielder_init(&y, 0, 1, NULL);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &y, &t), -ENOMEM);
    ck_assert_ptr_null(t);
    test_failalloc_fail_after(-1);
    ck_assert_uint_eq(fut_runtime_task_count(&conf_rt), 0);
}
END_TEST

START_TEST(test_executor_spawn_in_caller_storage)
{
    static _Alignas(max_align_t) unsigned char
        storage[FUT_TASK_STORAGE_SIZE(sizeof(struct yielder))];
    struct yielder y;
    struct fut_task *t;
    struct fut_task_join j;

    test_failalloc_install();
    test_failalloc_fail_after(0); /* any allocation would fail */
    yielder_init(&y, 2, 5, NULL);
    ck_assert_int_eq(fut_spawn_in(&conf_rt, storage, 8, &y.base, sizeof y,
                                  &t), -ENOSPC);
    ck_assert_int_eq(fut_spawn_in(&conf_rt, storage, sizeof storage, &y.base,
                                  sizeof y, &t), 0);
    ck_assert(fut_task_storage_busy(storage));
    fut_task_join_init(&j, t);
    ck_assert_int_eq(fut_block_on(&conf_rt, &j.base), 0);
    ck_assert_int_eq(((struct yielder *)fut_task_output(t))->out, 10);
    fut_task_detach(t);
    ck_assert(!fut_task_storage_busy(storage));
    test_failalloc_fail_after(-1);
}
END_TEST

START_TEST(test_executor_many_tasks)
{
    enum { N = 10000 };
    static struct yielder ys[N];
    int drops = 0, i;

    for (i = 0; i < N; i++) {
        yielder_init(&ys[i], i % 4, i, &drops);
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &ys[i], NULL), 0);
    }
    ck_assert_uint_eq(fut_runtime_task_count(&conf_rt), N);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(drops, N);
}
END_TEST

START_TEST(test_executor_close_drops_pending_tasks)
{
    struct yielder y;
    struct test_leaf leaf;
    struct test_drop_log log = { 0, 0 };
    struct fut_task *t;
    struct fut_runtime rt2;

    ck_assert_int_eq(fut_runtime_init_default(&rt2), 0);
    test_leaf_init(&leaf, -1, 0, &log);
    ck_assert_int_eq(FUT_SPAWN(&rt2, &leaf, &t), 0);
    yielder_init(&y, 0, 0, NULL);
    ck_assert_int_eq(FUT_SPAWN(&rt2, &y, NULL), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&rt2), 2);
    ck_assert_uint_eq(fut_runtime_task_count(&rt2), 1);
    ck_assert_int_eq(fut_runtime_close(&rt2), 0);
    ck_assert_int_eq(log.drops, 1);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(fut_task_result(t), -ECANCELED);
    fut_task_detach(t);
    /* A closed runtime is refused, not crashed on. */
    ck_assert_int_eq(fut_runtime_close(&rt2), -EINVAL);
    ck_assert_int_eq(fut_runtime_run(&rt2), -EINVAL);
    ck_assert_int_eq(FUT_SPAWN(&rt2, &y, NULL), -EINVAL);
}
END_TEST

/* ---- re-entrancy ---------------------------------------------------------------- */

struct reenter {
    struct fut_future base;
    int nested, closed, spawned;
};

static enum fut_poll
reenter_poll(struct fut_future *f, struct fut_context *cx)
{
    struct reenter *r = (struct reenter *)f;
    struct fut_ready inner;

    fut_ready_init(&inner, 0);
    r->nested = fut_block_on(cx->rt, &inner.base);
    r->closed = fut_runtime_close(cx->rt);
    r->spawned = fut_runtime_run(cx->rt);
    return FUT_READY;
}

static void
reenter_drop(struct fut_future *f)
{
    FUT__UNUSED(f);
}

static const struct fut_future_vtable reenter_vtable = {
    .poll = reenter_poll, .drop = reenter_drop, .result = NULL,
};

START_TEST(test_executor_reentry_is_busy)
{
    struct reenter r = { { &reenter_vtable }, 0, 0, 0 };

    ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
    ck_assert_int_eq(r.nested, -EBUSY);
    ck_assert_int_eq(r.closed, -EBUSY);
    ck_assert_int_eq(r.spawned, -EBUSY);
}
END_TEST

/* A runtime with struct fut_backend_config.flags @flags, or the error. */
static int
init_with_flags(struct fut_runtime *rt, unsigned int flags)
{
    struct fut_backend_config bc;
    struct fut_runtime_config cfg;

    memset(&bc, 0, sizeof bc);
    memset(&cfg, 0, sizeof cfg);
    bc.version = 1;
    bc.flags = flags;
    cfg.version = FUT_RUNTIME_CONFIG_VERSION;
    cfg.backend = &bc;
    return fut_runtime_init(rt, fut_backend_default(), &cfg);
}

/* Backend flags: a bit no backend knows is -EINVAL on every backend;
 * FUT_BACKEND_ONE_FD works on every backend of a Linux build (epoll takes
 * and ignores it), and is -ENOTSUP on the others where epoll is missing
 * (the portable build). In that mode every backend hands out a
 * descriptor, its epoll set, and readiness arrives through it. */
START_TEST(test_executor_backend_flags)
{
    struct fut_runtime rt2;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_io io;
    int sv[2], res = 1, err, fd;

    ck_assert_int_eq(init_with_flags(&rt2, 1u << 31), -EINVAL);
    ck_assert_int_eq(init_with_flags(&rt2, FUT_BACKEND_ONE_FD | 1u << 5),
                     -EINVAL);
    err = init_with_flags(&rt2, FUT_BACKEND_ONE_FD);
#if !defined(__linux__) || defined(FUT_OS_PORTABLE)
    if (strcmp(FUT_TEST_BACKEND, "epoll") != 0) {
        ck_assert_int_eq(err, -ENOTSUP);
        return;
    }
#endif
    ck_assert_int_eq(err, 0);
    fd = fut_runtime_backend_fd(&rt2);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    ck_assert_int_eq(fut_io_init(&io, sv[0]), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &rt2);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_PENDING);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    while (tw.wakes == 0)
        ck_assert_int_ge(fut_runtime_run_until_stalled(&rt2), 0);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_runtime_backend_fd(&rt2), fd);
    ck_assert_int_eq(fut_io_close(&io), 0);
    ck_assert_int_eq(fut_runtime_close(&rt2), 0);
    ck_assert_int_eq(tw.live, 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_executor_bad_input)
{
    struct fut_runtime rt2;
    struct yielder y;
    struct fut_task *t = (struct fut_task *)&y;
    struct fut_task_join j;
    struct fut_backend_vtable bad = { 0 };

    yielder_init(&y, 0, 0, NULL);
    ck_assert_int_eq(fut_runtime_init(NULL, fut_backend_default(), NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_runtime_init(&rt2, NULL, NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_init(&rt2, &bad, NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_close(NULL), -EINVAL);
    ck_assert_int_eq(fut_block_on(NULL, &y.base), -EINVAL);
    ck_assert_int_eq(fut_block_on(&conf_rt, NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_run(NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_run_until_stalled(NULL), -EINVAL);
    ck_assert_ptr_null(fut_runtime_backend_name(NULL));
    ck_assert_uint_eq(fut_runtime_task_count(NULL), 0);
    ck_assert_int_eq(fut_spawn(NULL, &y.base, sizeof y, &t), -EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(fut_spawn(&conf_rt, NULL, sizeof y, NULL), -EINVAL);
    ck_assert_int_eq(fut_spawn(&conf_rt, &y.base, 1, NULL), -EINVAL);
    ck_assert_int_eq(fut_spawn_in(&conf_rt, NULL, 4096, &y.base, sizeof y,
                                  NULL), -EINVAL);
    ck_assert_int_eq(fut_task_abort(NULL), -EINVAL);
    fut_task_detach(NULL);
    ck_assert_int_eq(fut_task_is_finished(NULL), 0);
    ck_assert_int_eq(fut_task_result(NULL), -EINVAL);
    ck_assert_ptr_null(fut_task_output(NULL));
    ck_assert_int_eq(fut_task_join_init(NULL, NULL), -EINVAL);
    ck_assert_int_eq(fut_task_join_init(&j, NULL), -EINVAL);
    ck_assert_int_eq(fut_coop_proceed(NULL), 1);
    ck_assert_int_eq(fut_task_storage_busy(NULL), 0);
    /* A dropped future is refused by spawn and is "done" for block_on. */
    fut_future_drop(&y.base);
    ck_assert_int_eq(fut_spawn(&conf_rt, &y.base, sizeof y, NULL), -EINVAL);
    ck_assert_int_eq(fut_block_on(&conf_rt, &y.base), 0);
}
END_TEST

/* ---- wakes from another thread ------------------------------------------------------ */

struct flag_wait {
    struct fut_future base;
    struct fut_atomic_waker aw;
    int flag;
    int polls;
};

static enum fut_poll
flag_wait_poll(struct fut_future *f, struct fut_context *cx)
{
    struct flag_wait *w = (struct flag_wait *)f;

    w->polls++;
    fut_atomic_waker_register(&w->aw, cx->waker);
    if (__atomic_load_n(&w->flag, __ATOMIC_ACQUIRE))
        return FUT_READY;
    return FUT_PENDING;
}

static void
flag_wait_drop(struct fut_future *f)
{
    fut_atomic_waker_drop(&((struct flag_wait *)f)->aw);
}

static const struct fut_future_vtable flag_wait_vtable = {
    .poll = flag_wait_poll, .drop = flag_wait_drop, .result = NULL,
};

static void *
setter_thread(void *arg)
{
    struct flag_wait *w = arg;
    struct timespec ts = { 0, 20 * 1000 * 1000 };

    nanosleep(&ts, NULL);
    __atomic_store_n(&w->flag, 1, __ATOMIC_RELEASE);
    fut_atomic_waker_wake(&w->aw);
    return NULL;
}

START_TEST(test_executor_wake_from_thread_block_on)
{
    struct flag_wait w = { { &flag_wait_vtable }, { { 0, 0 }, 0 }, 0, 0 };
    pthread_t th;

    fut_atomic_waker_init(&w.aw);
    ck_assert_int_eq(pthread_create(&th, NULL, setter_thread, &w), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    pthread_join(th, NULL);
    ck_assert_int_eq(w.flag, 1);
    ck_assert_int_le(w.polls, 3); /* woken, not spinning */
    fut_future_drop(&w.base);
}
END_TEST

START_TEST(test_executor_wake_from_thread_task)
{
    struct flag_wait w = { { &flag_wait_vtable }, { { 0, 0 }, 0 }, 0, 0 };
    struct fut_task *t;
    struct fut_task_join j;
    pthread_t th;
    struct flag_wait *inside;

    fut_atomic_waker_init(&w.aw);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &w, &t), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 1);
    /* The future was moved into the task: the thread must use that copy,
     * which sits right after the task header. */
    ck_assert(!fut_task_is_finished(t));
    inside = (struct flag_wait *)((char *)t + FUT_TASK_HEADER_SIZE);
    ck_assert_int_eq(inside->polls, 1);
    ck_assert_int_eq(pthread_create(&th, NULL, setter_thread, inside), 0);
    fut_task_join_init(&j, t);
    ck_assert_int_eq(fut_block_on(&conf_rt, &j.base), 0);
    pthread_join(th, NULL);
    ck_assert(fut_task_is_finished(t));
    fut_task_detach(t);
}
END_TEST

/* Many threads waking many tasks at once: every task finishes. */
enum { XT_TASKS = 64, XT_THREADS = 4 };
static struct flag_wait *xt_waits[XT_TASKS];

static void *
xt_thread(void *arg)
{
    long id = (long)arg;
    int i;

    for (i = (int)id; i < XT_TASKS; i += XT_THREADS) {
        __atomic_store_n(&xt_waits[i]->flag, 1, __ATOMIC_RELEASE);
        fut_atomic_waker_wake(&xt_waits[i]->aw);
    }
    return NULL;
}

START_TEST(test_executor_wake_from_many_threads)
{
    struct flag_wait w;
    struct fut_task *ts[XT_TASKS];
    pthread_t th[XT_THREADS];
    long i;

    for (i = 0; i < XT_TASKS; i++) {
        w.base.vtable = &flag_wait_vtable;
        w.flag = 0;
        w.polls = 0;
        fut_atomic_waker_init(&w.aw);
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &w, &ts[i]), 0);
        xt_waits[i] = (struct flag_wait *)((char *)ts[i] +
                                           FUT_TASK_HEADER_SIZE);
    }
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), XT_TASKS);
    for (i = 0; i < XT_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, xt_thread, (void *)i),
                         0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    for (i = 0; i < XT_THREADS; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < XT_TASKS; i++) {
        ck_assert(fut_task_is_finished(ts[i]));
        fut_task_detach(ts[i]);
    }
}
END_TEST

/* ---- cooperative budget --------------------------------------------------------------- */

struct busy {
    struct fut_future base;
    long iterations;
    long yields;
    int *stop;
};

static enum fut_poll
busy_poll(struct fut_future *f, struct fut_context *cx)
{
    struct busy *b = (struct busy *)f;

    /* An always-ready loop, like draining a channel that is never empty. */
    while (!*b->stop && b->iterations < 50000000) {
        if (!fut_coop_proceed(cx)) {
            b->yields++;
            return FUT_PENDING;
        }
        b->iterations++;
    }
    return FUT_READY;
}

static void
busy_drop(struct fut_future *f)
{
    FUT__UNUSED(f);
}

static const struct fut_future_vtable busy_vtable = {
    .poll = busy_poll, .drop = busy_drop, .result = NULL,
};

struct sleeper {
    struct fut_future base;
    int state;
    struct fut_sleep sleep;
    int *stop;
};

static enum fut_poll
sleeper_poll(struct fut_future *f, struct fut_context *cx)
{
    struct sleeper *s = (struct sleeper *)f;

    FUT_ASYNC_BEGIN(&s->state);
    fut_sleep_init(&s->sleep, 2 * FUT_NSEC_PER_MSEC);
    FUT_AWAIT_FUTURE(&s->state, &s->sleep.base, cx);
    *s->stop = 1;
    FUT_ASYNC_END(&s->state);
}

static void
sleeper_drop(struct fut_future *f)
{
    fut_future_drop(&((struct sleeper *)f)->sleep.base);
}

static const struct fut_future_vtable sleeper_vtable = {
    .poll = sleeper_poll, .drop = sleeper_drop, .result = NULL,
};

START_TEST(test_executor_coop_budget_no_starvation)
{
    static int stop;
    struct busy b = { { &busy_vtable }, 0, 0, &stop };
    struct sleeper s;
    struct fut_task *tb;

    stop = 0;
    memset(&s, 0, sizeof s);
    s.base.vtable = &sleeper_vtable;
    s.stop = &stop;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &b, &tb), 0);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &s, NULL), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    /* The timer fired while the busy task was still busy. */
    ck_assert_int_eq(stop, 1);
    ck_assert_int_lt(((struct busy *)fut_task_output(tb))->iterations,
                     50000000);
    ck_assert_int_gt(((struct busy *)fut_task_output(tb))->yields, 0);
    fut_task_detach(tb);
}
END_TEST

/* ---- join-future drop at each state ------------------------------------------------------ */

START_TEST(test_executor_join_drop_after_n_polls)
{
    struct yielder y;
    struct fut_task *t;
    struct fut_task_join j;
    struct test_drop_after d;
    int drops = 0;

    yielder_init(&y, 4, 3, &drops);
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &y, &t), 0);
    fut_task_join_init(&j, t);
    test_drop_after_init(&d, &j.base, _i, 1);
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    /* Dropping the join future left the task alone: it still finishes. */
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(fut_task_result(t), 0);
    ck_assert_int_eq(drops, 1);
    fut_task_detach(t);
}
END_TEST

/* ---- I/O objects that outlive their runtime ---------------------------------- */

START_TEST(test_executor_close_deregisters_io)
{
    struct fut_runtime rt2;
    struct fut_io io;
    struct test_waker tw;
    struct fut_context cx;
    int sv[2], res = 1;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    ck_assert_int_eq(fut_io_init(&io, sv[0]), 0);
    test_waker_init(&tw);
    ck_assert_int_eq(fut_runtime_init_default(&rt2), 0);
    cx = test_cx(&tw, &rt2);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_PENDING);
    ck_assert_ptr_eq(io.rt, &rt2);
    ck_assert_int_eq(tw.live, 1);
    /* Closing the runtime first deregisters the object... */
    ck_assert_int_eq(fut_runtime_close(&rt2), 0);
    ck_assert_ptr_null(io.rt);
    ck_assert_int_eq(tw.live, 0);
    /* ...which then binds to another runtime and works there. */
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_PENDING);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 0);
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_io_close(&io), 0);
    ck_assert_int_eq(fut_io_close(&io), 0); /* twice: no-op */
    ck_assert_int_eq(tw.live, 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

START_TEST(test_executor_io_bad_input)
{
    struct fut_io io;
    struct fut_context cx = test_noop_cx();
    int res = 0;

    ck_assert_int_eq(fut_io_init(NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_io_init(&io, -1), -EINVAL);
    ck_assert_int_eq(fut_io_poll_ready(NULL, &cx, FUT_IO_READABLE, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_io_init(&io, 0), 0);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, 0x40, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    /* No runtime in the context: nothing to register with. */
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_io_close(NULL), -EINVAL);
    ck_assert_int_eq(fut_io_close(&io), 0);
    fut_io_clear_ready(NULL, FUT_IO_READABLE);
}
END_TEST


/* ---- async frames on a runtime ------------------------------------------------ */

/* A child: sleeps, then counts itself done; its cleanup counts too. */
struct frame_child {
    FUT_FRAME;
    int64_t nap_ns;
    int *done, *cleanups;
    struct fut_sleep sleep;
};

FUT_ASYNC_FN(frame_child, struct frame_child, c, cx)
{
    FUT_BEGIN(c, cx);
    FUT_AWAIT_TRY(&c->sleep, fut_sleep_init(&c->sleep, c->nap_ns));
    ++*c->done;
    FUT_FINALLY;
    ++*c->cleanups;
    FUT_END;
}

static void
frame_child_init(struct frame_child *c, int64_t nap_ns, int *done,
                 int *cleanups)
{
    FUT_FRAME_INIT(c, frame_child);
    c->nap_ns = nap_ns;
    c->done = done;
    c->cleanups = cleanups;
}

/* A parent: spawns @n children into its scope with FUT_SPAWN_WITH, then
 * waits for them (or is dropped while it waits: its cleanup tears the
 * scope down with fut_scope_drop()). */
struct frame_parent {
    FUT_FRAME;
    int n, i;
    int64_t nap_ns;
    int done, child_cleanups, cleanups;
    struct fut_scope scope;
    struct fut_scope_wait wait;
};

FUT_ASYNC_FN(frame_parent, struct frame_parent, p, cx)
{
    int err;

    FUT_BEGIN(p, cx);
    err = fut_scope_init(&p->scope, cx->rt, 0);
    if (err != 0)
        FUT_RETURN(err);
    for (p->i = 0; p->i < p->n; p->i++) {
        /* The scope's spawn, through the same helper. */
        struct frame_child c;

        frame_child_init(&c, p->nap_ns, &p->done, &p->child_cleanups);
        err = fut_scope_spawn(&p->scope, &c.base, sizeof c, NULL);
        if (err != 0) {
            fut_future_drop(&c.base);
            FUT_RETURN(err);
        }
    }
    FUT_AWAIT_TRY(&p->wait, fut_scope_join_init(&p->wait, &p->scope));
    FUT_FINALLY;
    p->cleanups++;
    /* The wait (the frame's child) was dropped already; safe in any
     * state, even before the scope was initialised (zeroed). */
    fut_scope_drop(&p->scope);
    FUT_END;
}

START_TEST(test_executor_frame_scope_joins)
{
    struct frame_parent p;

    memset(&p, 0, sizeof p);
    FUT_FRAME_INIT(&p, frame_parent);
    p.n = 20;
    p.nap_ns = 1000000;
    ck_assert_int_eq(fut_block_on(&conf_rt, &p.base), 0);
    ck_assert_int_eq(fut_future_result(&p.base), 0);
    ck_assert_int_eq(p.done, 20);
    ck_assert_int_eq(p.child_cleanups, 20);
    ck_assert_int_eq(p.cleanups, 1);
    fut_future_drop(&p.base);
    ck_assert_int_eq(p.cleanups, 1);
    fut_scope_drop(&p.scope); /* twice: harmless */

    /* Dropped before its first poll: the cleanup block meets a scope that
     * was never initialised. */
    memset(&p, 0, sizeof p);
    FUT_FRAME_INIT(&p, frame_parent);
    fut_future_drop(&p.base);
    ck_assert_int_eq(p.cleanups, 1);
    ck_assert_int_eq(p.done, 0);
}
END_TEST

/* The parent under a timeout that fires first: dropping it aborts its
 * children (their cleanups run, their sleeps are cancelled), and
 * conf_teardown() finds no task or timer left. */
START_TEST(test_executor_frame_dropped_by_timeout)
{
    struct frame_parent p;
    struct fut_timeout t;
    int64_t hour = (int64_t)3600 * 1000000000;

    memset(&p, 0, sizeof p);
    FUT_FRAME_INIT(&p, frame_parent);
    p.n = 5;
    p.nap_ns = hour;
    ck_assert_int_eq(fut_timeout_init(&t, &p.base, 1000000), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &t.base), 0);
    ck_assert_int_eq(fut_future_result(&t.base), -ETIMEDOUT);
    fut_future_drop(&t.base);
    ck_assert_int_eq(p.cleanups, 1);
    /* The aborted children finish when the runtime gets to them. */
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(p.done, 0);
    ck_assert_int_eq(p.child_cleanups, 5);
}
END_TEST

/* FUT_SPAWN_WITH on a runtime: the task runs the frame to its result. */
static void
frame_child_start(struct frame_child *c, int *done, int *cleanups)
{
    frame_child_init(c, 0, done, cleanups);
}

START_TEST(test_executor_frame_spawn_with)
{
    struct fut_task *t = NULL;
    int done = 0, cleanups = 0, err = 1;

    FUT_SPAWN_WITH(err, &conf_rt, &t, struct frame_child, frame_child_start,
                   &done, &cleanups);
    ck_assert_int_eq(err, 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(fut_task_result(t), 0);
    ck_assert_int_eq(done, 1);
    ck_assert_int_eq(cleanups, 1);
    fut_task_detach(t);
}
END_TEST


/* ---- fut_spawn_callback ------------------------------------------------------- */

/* What the callback saw, in storage the callback frees (under ASan a
 * callback that ran before the future's cleanup would be caught). */
struct cb_box {
    int child_done, child_cleanups;
    int *calls, *result, *cleanups_seen;
};

static void
cb_done(void *data, int result)
{
    struct cb_box *b = data;

    ++*b->calls;
    *b->result = result;
    *b->cleanups_seen = b->child_cleanups;
    free(b);
}

static struct cb_box *
cb_box_new(int *calls, int *result, int *cleanups_seen)
{
    struct cb_box *b = calloc(1, sizeof *b);

    ck_assert_ptr_nonnull(b);
    b->calls = calls;
    b->result = result;
    b->cleanups_seen = cleanups_seen;
    return b;
}

START_TEST(test_executor_spawn_callback_completes)
{
    int calls = 0, result = 1, seen = 0;
    struct cb_box *b = cb_box_new(&calls, &result, &seen);
    struct frame_child c;

    frame_child_init(&c, 1000, &b->child_done, &b->child_cleanups);
    ck_assert_int_eq(FUT_SPAWN_CALLBACK(&conf_rt, &c, cb_done, b), 0);
    ck_assert_int_eq(calls, 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(result, 0);
    ck_assert_int_eq(seen, 1); /* the future was dropped first */
}
END_TEST

/* A task whose future fails: the callback gets its result. */
struct fails {
    FUT_FRAME;
    int *cleanups;
};

FUT_ASYNC_FN(fails, struct fails, f, cx)
{
    FUT_BEGIN(f, cx);
    FUT_YIELD_NOW();
    FUT_RETURN(-EPIPE);
    FUT_FINALLY;
    ++*f->cleanups;
    FUT_END;
}

START_TEST(test_executor_spawn_callback_error_and_cancel)
{
    struct fut_runtime rt;
    int calls = 0, result = 1, seen = 0;
    struct cb_box *b = cb_box_new(&calls, &result, &seen);
    struct fails f;
    struct frame_child c;
    int64_t hour = (int64_t)3600 * 1000000000;

    FUT_FRAME_INIT(&f, fails);
    f.cleanups = &b->child_cleanups;
    ck_assert_int_eq(FUT_SPAWN_CALLBACK(&conf_rt, &f, cb_done, b), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(result, -EPIPE);
    ck_assert_int_eq(seen, 1);

    /* Unfinished when its runtime closes: cancelled, the callback says
     * so, once. */
    calls = 0;
    b = cb_box_new(&calls, &result, &seen);
    ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
    frame_child_init(&c, hour, &b->child_done, &b->child_cleanups);
    ck_assert_int_eq(FUT_SPAWN_CALLBACK(&rt, &c, cb_done, b), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&rt), 1);
    ck_assert_int_eq(calls, 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(result, -ECANCELED);
    ck_assert_int_eq(seen, 1);
}
END_TEST

START_TEST(test_executor_spawn_callback_bad_input)
{
    int calls = 0, result = 1, seen = 0;
    struct cb_box *b = cb_box_new(&calls, &result, &seen);
    struct frame_child c;

    frame_child_init(&c, 0, &b->child_done, &b->child_cleanups);
    ck_assert_int_eq(fut_spawn_callback(NULL, &c.base, sizeof c, cb_done, b),
                     -EINVAL);
    ck_assert_int_eq(fut_spawn_callback(&conf_rt, &c.base, sizeof c, NULL, b),
                     -EINVAL);
    ck_assert_int_eq(fut_spawn_callback(&conf_rt, NULL, sizeof c, cb_done, b),
                     -EINVAL);
    ck_assert_int_eq(fut_spawn_callback(&conf_rt, &c.base, 1, cb_done, b),
                     -EINVAL);
    ck_assert_int_eq(fut_spawn_callback(&conf_rt, &c.base, (size_t)-1,
                                        cb_done, b),
                     -EINVAL);
    /* Refused: not called, and the future is still the caller's. */
    ck_assert_int_eq(calls, 0);
    fut_future_drop(&c.base);
    ck_assert_int_eq(b->child_cleanups, 1);
    free(b);
}
END_TEST

/* ---- spinning before sleep (struct fut_runtime_config) ------------------------ */

static int
init_spin(struct fut_runtime *rt, unsigned int version, unsigned int flags,
          unsigned int spin_max_us)
{
    struct fut_runtime_config cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.version = version;
    cfg.flags = flags;
    cfg.spin_max_us = spin_max_us;
    return fut_runtime_init(rt, fut_backend_default(), &cfg);
}

/* The configuration is checked: an unknown flag, a version past 3 or a
 * window over 10 ms is -EINVAL; the flag alone works from version 1 on. */
START_TEST(test_executor_spin_config)
{
    struct fut_runtime rt2;

    ck_assert_int_eq(init_spin(&rt2, 4, 0, 0), -EINVAL);
    ck_assert_int_eq(init_spin(&rt2, 3, 1u << 1, 0), -EINVAL);
    ck_assert_int_eq(init_spin(&rt2, 3, FUT_RUNTIME_NO_SPIN | 1u << 7, 0),
                     -EINVAL);
    ck_assert_int_eq(init_spin(&rt2, 3, 0, 10001), -EINVAL);
    ck_assert_int_eq(init_spin(&rt2, 3, 0, 10000), 0);
    ck_assert_int_eq(fut_runtime_close(&rt2), 0);
    ck_assert_int_eq(init_spin(&rt2, 1, FUT_RUNTIME_NO_SPIN, 0), 0);
    ck_assert_int_eq(fut_runtime_close(&rt2), 0);
    /* A version-2 config never has its spin_max_us read. */
    ck_assert_int_eq(init_spin(&rt2, 2, 0, 99999), 0);
    ck_assert_int_eq(fut_runtime_close(&rt2), 0);
}
END_TEST

/* The peer of spin_round_trips(): echoes every byte back, blocking. */
static void *
byte_echo_thread(void *arg)
{
    int fd = *(int *)arg;
    char c;

    while (read(fd, &c, 1) == 1)
        if (write(fd, &c, 1) != 1)
            break;
    return NULL;
}

/* A thread that sets a flag and wakes its waiter, at once. */
static void *
flag_now_thread(void *arg)
{
    struct flag_wait *w = arg;

    __atomic_store_n(&w->flag, 1, __ATOMIC_RELEASE);
    fut_atomic_waker_wake(&w->aw);
    return NULL;
}

/* Round trips whose answers come back within microseconds, which is when
 * a runtime spins: readiness, cross-thread wakes and timers are all taken
 * whether the runtime spins or sleeps. Returns the CPU time the runtime's
 * thread used during a 200 ms sleep that follows them (ns). */
static int64_t
spin_round_trips(unsigned int flags, unsigned int spin_max_us)
{
    struct fut_runtime rt2;
    struct fut_fd s;
    struct timespec c0, c1;
    pthread_t th;
    int sv[2], i;

    ck_assert_int_eq(init_spin(&rt2, 3, flags, spin_max_us), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    ck_assert_int_eq(fut_fd_init(&s, sv[0], FUT_FD_OWN), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, byte_echo_thread, &sv[1]), 0);
    for (i = 0; i < 300; i++) {
        struct fut_write_all wa;
        struct fut_read rd;
        char c = (char)i, d = 0;

        ck_assert_int_eq(fut_write_all_init(&wa, &s.writer, &c, 1), 0);
        ck_assert_int_eq(fut_block_on(&rt2, &wa.base), 0);
        ck_assert_int_eq(wa.res, 0);
        fut_future_drop(&wa.base);
        ck_assert_int_eq(fut_read_init(&rd, &s.reader, &d, 1), 0);
        ck_assert_int_eq(fut_block_on(&rt2, &rd.base), 0);
        ck_assert_int_eq(rd.res, 1);
        ck_assert_int_eq(d, c);
        fut_future_drop(&rd.base);
    }
    for (i = 0; i < 100; i++) {
        struct flag_wait w = { { &flag_wait_vtable }, { { 0, 0 }, 0 }, 0, 0 };
        pthread_t wt;

        fut_atomic_waker_init(&w.aw);
        ck_assert_int_eq(pthread_create(&wt, NULL, flag_now_thread, &w), 0);
        ck_assert_int_eq(fut_block_on(&rt2, &w.base), 0);
        pthread_join(wt, NULL);
        ck_assert_int_eq(w.flag, 1);
        fut_future_drop(&w.base);
    }
    for (i = 0; i < 100; i++) {
        struct fut_sleep sl;

        ck_assert_int_eq(fut_sleep_init(&sl, 10 * 1000), 0);
        ck_assert_int_eq(fut_block_on(&rt2, &sl.base), 0);
        fut_future_drop(&sl.base);
    }
    /* Then nothing for 200 ms: the runtime sleeps, whatever it learnt. */
    {
        struct fut_sleep sl;

        ck_assert_int_eq(fut_sleep_init(&sl, 200 * FUT_NSEC_PER_MSEC), 0);
        ck_assert_int_eq(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0), 0);
        ck_assert_int_eq(fut_block_on(&rt2, &sl.base), 0);
        ck_assert_int_eq(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1), 0);
        fut_future_drop(&sl.base);
    }
    ck_assert_int_eq(fut_fd_close(&s), 0);
    pthread_join(th, NULL);
    close(sv[1]);
    ck_assert_int_eq(fut_runtime_close(&rt2), 0);
    return (int64_t)(c1.tv_sec - c0.tv_sec) * 1000000000 +
           (c1.tv_nsec - c0.tv_nsec);
}

/* Spinning changes when the runtime sleeps, never what it delivers; and a
 * runtime that spun before goes to sleep when nothing comes: the CPU it
 * uses over a 200 ms wait is bounded by one window (at most 10 ms), far
 * from the whole wait a runtime that never stopped spinning would use. */
START_TEST(test_executor_spin_round_trips)
{
    int64_t spin_default, spin_long, no_spin;

    spin_default = spin_round_trips(0, 0);
    spin_long = spin_round_trips(0, 10000);
    no_spin = spin_round_trips(FUT_RUNTIME_NO_SPIN, 0);
    ck_assert_int_lt(spin_default, 100 * FUT_NSEC_PER_MSEC);
    ck_assert_int_lt(spin_long, 100 * FUT_NSEC_PER_MSEC);
    ck_assert_int_lt(no_spin, 100 * FUT_NSEC_PER_MSEC);
}
END_TEST

Suite *
fut_conf_executor_suite(void)
{
    Suite *s = suite_create("executor");
    TCase *tc;

#define EXEC_CASE(name, fn)                                                 \
    tc = tcase_create(name);                                                \
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);               \
    tcase_set_timeout(tc, 30);                                              \
    tcase_add_test(tc, fn);                                                 \
    suite_add_tcase(s, tc)

    EXEC_CASE("block_on", test_executor_block_on_ready);
    EXEC_CASE("spawn_join", test_executor_spawn_join_output);
    EXEC_CASE("task_error", test_executor_task_error_result);
    EXEC_CASE("abort", test_executor_abort);
    EXEC_CASE("detach", test_executor_detach_runs_to_completion);
    EXEC_CASE("enomem", test_executor_spawn_enomem);
    EXEC_CASE("caller_storage", test_executor_spawn_in_caller_storage);
    EXEC_CASE("many_tasks", test_executor_many_tasks);
    EXEC_CASE("close", test_executor_close_drops_pending_tasks);
    EXEC_CASE("reentry", test_executor_reentry_is_busy);
    EXEC_CASE("bad_input", test_executor_bad_input);
    EXEC_CASE("backend_flags", test_executor_backend_flags);
    EXEC_CASE("wake_thread_block_on", test_executor_wake_from_thread_block_on);
    EXEC_CASE("wake_thread_task", test_executor_wake_from_thread_task);
    EXEC_CASE("wake_many_threads", test_executor_wake_from_many_threads);
    EXEC_CASE("spin_config", test_executor_spin_config);
    EXEC_CASE("spin_round_trips", test_executor_spin_round_trips);
    EXEC_CASE("coop_budget", test_executor_coop_budget_no_starvation);
    EXEC_CASE("close_deregisters_io", test_executor_close_deregisters_io);
    EXEC_CASE("io_bad_input", test_executor_io_bad_input);
    EXEC_CASE("frame_scope_joins", test_executor_frame_scope_joins);
    EXEC_CASE("frame_dropped_by_timeout",
              test_executor_frame_dropped_by_timeout);
    EXEC_CASE("frame_spawn_with", test_executor_frame_spawn_with);
    EXEC_CASE("spawn_callback_completes",
              test_executor_spawn_callback_completes);
    EXEC_CASE("spawn_callback_error_and_cancel",
              test_executor_spawn_callback_error_and_cancel);
    EXEC_CASE("spawn_callback_bad_input",
              test_executor_spawn_callback_bad_input);
#undef EXEC_CASE
    tc = tcase_create("join_drop");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_add_loop_test(tc, test_executor_join_drop_after_n_polls, 0, 7);
    suite_add_tcase(s, tc);
    return s;
}
