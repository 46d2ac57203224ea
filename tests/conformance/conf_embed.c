/* SPDX-License-Identifier: MIT */
/* Embedding: a host poll(2) loop drives conf_rt through its descriptor, its timeout and run_nowait. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <futures/backend.h>

#include "conformance.h"

/*
 * The host is the loop a GLib or Qt program runs, reduced to poll(2): ask
 * for the timeout (which brings the descriptor up to date), block on the
 * descriptor for at most that long, run what is ready. It stops when the
 * test's condition holds; 60 s without it is a failure (a safety net: a
 * host that sleeps through readiness never gets there). Backends without
 * a descriptor (libevent, libev keep theirs private) answer -ENOTSUP, and
 * the host then ticks every millisecond on run_nowait alone, which works
 * on every backend.
 */

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the host saw: blocking polls that ended readable, and timeouts. */
struct host_stats {
    int readable;
    int timed_out;
    int min_timeout; /* smallest positive timeout asked for, or 0 */
};

/* 1 if this backend hands out a descriptor (then it must be stable). */
static int
embed_has_fd(void)
{
    int fd = fut_runtime_backend_fd(&conf_rt);

    /* In one-fd mode every backend has one: its private epoll set. */
    if (fd == -ENOTSUP && !(test_backend_flags() & FUT_BACKEND_ONE_FD))
        return 0;
    ck_assert_int_ge(fd, 0);
    return 1;
}

static void
host_run(int (*done)(void *), void *arg, struct host_stats *st)
{
    int64_t start = mono_ms();
    int has_fd = embed_has_fd();
    int fd = has_fd ? fut_runtime_backend_fd(&conf_rt) : -1;

    memset(st, 0, sizeof *st);
    while (!done(arg)) {
        int64_t left = 60000 - (mono_ms() - start);
        int ms, n;

        ck_assert_msg(left > 0, "the host did not get there within 60 s");
        if (has_fd) {
            struct pollfd p = { fd, POLLIN, 0 };

            ms = fut_runtime_backend_timeout(&conf_rt);
            ck_assert_int_ge(ms, -1);
            ck_assert_int_eq(fut_runtime_backend_fd(&conf_rt), fd);
            if (ms > 0 && (st->min_timeout == 0 || ms < st->min_timeout))
                st->min_timeout = ms;
            if (ms < 0 || ms > left)
                ms = (int)left;
            n = poll(&p, 1, ms);
            ck_assert_int_ge(n, 0);
            if (n > 0)
                st->readable++;
            else
                st->timed_out++;
        } else {
            ck_assert_int_eq(fut_runtime_backend_timeout(&conf_rt), -ENOTSUP);
            poll(NULL, 0, 1);
        }
        ck_assert_int_ge(fut_runtime_run_nowait(&conf_rt), 0);
    }
}

static int
flag_set(void *arg)
{
    return __atomic_load_n((int *)arg, __ATOMIC_ACQUIRE) != 0;
}

/* ---- futures for the tasks ------------------------------------------------- */

/* Sleep, then set a flag. */
struct sleeper {
    struct fut_future base;
    struct fut_sleep sleep;
    int *done;
};

static enum fut_poll
sleeper_poll(struct fut_future *f, struct fut_context *cx)
{
    struct sleeper *s = (struct sleeper *)f;

    if (fut_future_poll(&s->sleep.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    __atomic_store_n(s->done, 1, __ATOMIC_RELEASE);
    return FUT_READY;
}

static void
sleeper_drop(struct fut_future *f)
{
    fut_future_drop(&((struct sleeper *)f)->sleep.base);
}

static const struct fut_future_vtable sleeper_vt = { sleeper_poll,
                                                     sleeper_drop, NULL };

static void
spawn_sleeper(int64_t ns, int *done)
{
    struct sleeper s;

    s.base.vtable = &sleeper_vt;
    ck_assert_int_eq(fut_sleep_init(&s.sleep, ns), 0);
    s.done = done;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &s, NULL), 0);
}

/* Read one byte from a descriptor, then set a flag (to the byte). */
struct reader {
    struct fut_future base;
    struct fut_async_read *r;
    struct fut_read rd;
    char byte;
    int started;
    int *polled; /* set on the first poll (may be NULL) */
    int *done;
};

static enum fut_poll
reader_poll(struct fut_future *f, struct fut_context *cx)
{
    struct reader *s = (struct reader *)f;

    if (!s->started) {
        ck_assert_int_eq(fut_read_init(&s->rd, s->r, &s->byte, 1), 0);
        s->started = 1;
    }
    if (s->polled != NULL)
        __atomic_store_n(s->polled, 1, __ATOMIC_RELEASE);
    if (fut_future_poll(&s->rd.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    ck_assert_int_eq(s->rd.res, 1);
    __atomic_store_n(s->done, s->byte, __ATOMIC_RELEASE);
    return FUT_READY;
}

static void
reader_drop(struct fut_future *f)
{
    struct reader *s = (struct reader *)f;

    if (s->started)
        fut_future_drop(&s->rd.base);
}

static const struct fut_future_vtable reader_vt = { reader_poll, reader_drop,
                                                    NULL };

/* Yield @left times, counting polls, then count itself finished. */
struct yielder {
    struct fut_future base;
    int left;
    int *finished;
};

static enum fut_poll
yielder_poll(struct fut_future *f, struct fut_context *cx)
{
    struct yielder *y = (struct yielder *)f;

    if (y->left-- > 0) {
        fut_waker_wake_by_ref(cx->waker);
        return FUT_PENDING;
    }
    (*y->finished)++;
    return FUT_READY;
}

static void
yielder_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable yielder_vt = { yielder_poll,
                                                     yielder_drop, NULL };

/* Calls the three entry points from inside a task: all -EBUSY. */
struct nested {
    struct fut_future base;
    int res[4];
};

static enum fut_poll
nested_poll(struct fut_future *f, struct fut_context *cx)
{
    struct nested *n = (struct nested *)f;

    (void)cx;
    n->res[0] = fut_runtime_backend_fd(&conf_rt);
    n->res[1] = fut_runtime_backend_timeout(&conf_rt);
    n->res[2] = fut_runtime_run_nowait(&conf_rt);
    n->res[3] = fut_runtime_turn(&conf_rt, 0);
    return FUT_READY;
}

static void
nested_drop(struct fut_future *f)
{
    (void)f;
}

static int
nested_result(const struct fut_future *f)
{
    const struct nested *n = (const struct nested *)f;

    /* All four must have said -EBUSY (-ENOTSUP is not checked first). */
    return n->res[0] == -EBUSY && n->res[1] == -EBUSY && n->res[2] == -EBUSY &&
                   n->res[3] == -EBUSY
               ? 0
               : -EPROTO;
}

static const struct fut_future_vtable nested_vt = { nested_poll, nested_drop,
                                                    nested_result };

/* ---- tests ----------------------------------------------------------------- */

START_TEST(embed_bad_input)
{
    ck_assert_int_eq(fut_runtime_backend_fd(NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_backend_timeout(NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_run_nowait(NULL), -EINVAL);
    /* Nothing to do: not ready, nothing timed. */
    ck_assert_int_eq(fut_runtime_run_nowait(&conf_rt), 0);
    if (embed_has_fd())
        ck_assert_int_eq(fut_runtime_backend_timeout(&conf_rt), -1);
}
END_TEST

START_TEST(embed_from_inside_a_task_is_busy)
{
    struct nested n;
    struct fut_task *t;

    memset(&n, 0, sizeof n);
    n.base.vtable = &nested_vt;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &n, &t), 0);
    /* A spawned task is ready: the host must not block. */
    if (embed_has_fd())
        ck_assert_int_eq(fut_runtime_backend_timeout(&conf_rt), 0);
    ck_assert_int_eq(fut_runtime_run_nowait(&conf_rt), 0);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(fut_task_result(t), 0);
    fut_task_detach(t);
}
END_TEST

/* Timers: the host blocks for the timeout it was given, never wakes up to
 * find the timer not yet due forever, and the sleep is not cut short. */
START_TEST(embed_timer)
{
    int done = 0;
    int64_t t0 = mono_ms();
    struct host_stats st;

    spawn_sleeper(30 * FUT_NSEC_PER_MSEC, &done);
    host_run(flag_set, &done, &st);
    ck_assert_int_ge(mono_ms() - t0, 30);
    if (embed_has_fd()) {
        ck_assert_int_gt(st.min_timeout, 0);
        ck_assert_int_le(st.min_timeout, 32);
        ck_assert_int_ge(st.timed_out, 1);
    }
}
END_TEST

/* The trap: a task registers interest in a descriptor after the host took
 * the runtime's descriptor (libuv applies changes only inside uv_run()).
 * The timeout call brings it up to date, so the host, blocking with no
 * timeout, wakes up when the byte arrives. */
static sem_t writer_go;
static int writer_fd;

static void *
writer_main(void *arg)
{
    (void)arg;
    while (sem_wait(&writer_go) != 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert_int_eq(write(writer_fd, "x", 1), 1);
    return NULL;
}

START_TEST(embed_io_registered_after_the_fd_was_handed_out)
{
    int sv[2], done = 0, polled = 0;
    struct fut_fd f;
    struct reader r;
    struct host_stats st;
    pthread_t th;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_fd_init(&f, sv[0], FUT_FD_OWN), 0);
    (void)embed_has_fd(); /* hand the descriptor out first */
    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vt;
    r.r = &f.reader;
    r.polled = &polled;
    r.done = &done;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &r, NULL), 0);
    /* One run: the task reads, finds nothing and registers. */
    ck_assert_int_eq(fut_runtime_run_nowait(&conf_rt), 0);
    ck_assert(polled);
    ck_assert(!done);
    /* The byte comes from another thread, before or after the host
     * blocks: both must work. */
    ck_assert_int_eq(sem_init(&writer_go, 0, 0), 0);
    writer_fd = sv[1];
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, NULL), 0);
    ck_assert_int_eq(sem_post(&writer_go), 0);
    host_run(flag_set, &done, &st);
    ck_assert_int_eq(done, 'x');
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    sem_destroy(&writer_go);
    ck_assert_int_eq(fut_fd_close(&f), 0);
    close(sv[1]);
}
END_TEST

/* A task spawned from another thread while the host blocks with no
 * timeout: the doorbell makes the descriptor readable. */
struct remote_arg {
    struct fut_handle *h;
    int *done;
};

static void *
remote_spawner(void *arg)
{
    struct remote_arg *a = arg;
    struct sleeper s;

    s.base.vtable = &sleeper_vt;
    ck_assert_int_eq(fut_sleep_init(&s.sleep, 0), 0);
    s.done = a->done;
    ck_assert_int_eq(fut_handle_spawn(a->h, &s.base, sizeof s, NULL), 0);
    return NULL;
}

START_TEST(embed_spawn_from_another_thread)
{
    int done = 0;
    struct remote_arg a;
    struct host_stats st;
    pthread_t th;

    ck_assert_int_eq(fut_runtime_handle(&conf_rt, &a.h), 0);
    a.done = &done;
    ck_assert_int_eq(pthread_create(&th, NULL, remote_spawner, &a), 0);
    host_run(flag_set, &done, &st);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    fut_handle_drop(a.h);
    /* The task finished inside the run that saw the flag set. */
    ck_assert_int_eq(fut_runtime_run_nowait(&conf_rt), 0);
}
END_TEST

/* Many tasks that yield: each run polls a bounded number (the host's own
 * sources keep their turn), says whether more are ready, and the timeout
 * is 0 while they are. */
struct count_arg {
    int finished, total;
};

static int
all_finished(void *arg)
{
    struct count_arg *c = arg;

    return c->finished == c->total;
}

START_TEST(embed_runs_are_bounded)
{
    struct count_arg c = { 0, 200 };
    struct host_stats st;
    int i, r, more = 0;

    for (i = 0; i < c.total; i++) {
        struct yielder y;

        y.base.vtable = &yielder_vt;
        y.left = 3;
        y.finished = &c.finished;
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &y, NULL), 0);
    }
    r = fut_runtime_run_nowait(&conf_rt);
    ck_assert_int_eq(r, 1); /* 200 tasks, 800 polls: not in one run */
    ck_assert_int_lt(c.finished, c.total);
    if (embed_has_fd())
        ck_assert_int_eq(fut_runtime_backend_timeout(&conf_rt), 0);
    while ((r = fut_runtime_run_nowait(&conf_rt)) == 1)
        more++;
    ck_assert_int_eq(r, 0);
    ck_assert_int_gt(more, 0);
    host_run(all_finished, &c, &st);
    ck_assert_int_eq(c.finished, c.total);
}
END_TEST

/* A task left waiting when the host stops: aborting it and running once
 * more finishes it; the descriptor and registrations are released by
 * close as usual (the teardown counts them). */
START_TEST(embed_abort_pending_task)
{
    int sv[2], done = 0;
    struct fut_fd f;
    struct reader r;
    struct fut_task *t;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_fd_init(&f, sv[0], FUT_FD_OWN), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vt;
    r.r = &f.reader;
    r.done = &done;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &r, &t), 0);
    ck_assert_int_eq(fut_runtime_run_nowait(&conf_rt), 0);
    if (embed_has_fd())
        ck_assert_int_eq(fut_runtime_backend_timeout(&conf_rt), -1);
    ck_assert_int_eq(fut_task_abort(t), 0);
    while (!fut_task_is_finished(t))
        ck_assert_int_ge(fut_runtime_run_nowait(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(t), -ECANCELED);
    fut_task_detach(t);
    ck_assert(!done);
    ck_assert_int_eq(fut_fd_close(&f), 0);
    close(sv[1]);
}
END_TEST

/* While fut_block_on() drives the runtime, the host may not (-EBUSY):
 * tested from a task polled by block_on. */
START_TEST(embed_busy_under_block_on)
{
    struct nested n;

    memset(&n, 0, sizeof n);
    n.base.vtable = &nested_vt;
    ck_assert_int_eq(fut_block_on(&conf_rt, &n.base), 0);
    ck_assert_int_eq(nested_result(&n.base), 0);
}
END_TEST

/* ---- fut_runtime_turn: a program's own loop on top of the runtime ---------- */

/* Turn with no deadline of the caller's until @done: the turns block on
 * the runtime's own wake-ups (its timers, I/O, remote wakes), so this
 * ends only if those wake the turn. */
static void
turn_until(int (*done)(void *), void *arg)
{
    int64_t start = mono_ms();

    while (!done(arg)) {
        ck_assert_msg(mono_ms() - start < 60000,
                      "fut_runtime_turn: not done within 60 s");
        ck_assert_int_ge(fut_runtime_turn(&conf_rt, -1), 0);
    }
}

START_TEST(turn_bad_input)
{
    ck_assert_int_eq(fut_runtime_turn(NULL, 0), -EINVAL);
    /* Nothing at all: a past deadline returns at once, nothing ready. */
    ck_assert_int_eq(fut_runtime_turn(&conf_rt, 0), 0);
    ck_assert_int_eq(fut_runtime_turn(&conf_rt, fut_now_ns() - 1000), 0);
}
END_TEST

/* The caller's deadline bounds the wait when nothing else would end it
 * (this would block forever otherwise; the suite's timeout catches it). */
START_TEST(turn_caller_deadline)
{
    int64_t deadline = fut_now_ns() + 20 * FUT_NSEC_PER_MSEC;

    while (fut_now_ns() < deadline)
        ck_assert_int_eq(fut_runtime_turn(&conf_rt, deadline), 0);
}
END_TEST

/* The runtime's own timer ends a turn with no caller deadline. */
START_TEST(turn_runtime_timer)
{
    int done = 0;

    spawn_sleeper(20 * FUT_NSEC_PER_MSEC, &done);
    turn_until(flag_set, &done);
}
END_TEST

/* I/O readiness from another thread ends a blocking turn. */
START_TEST(turn_io)
{
    int sv[2], done = 0;
    struct fut_fd f;
    struct reader r;
    pthread_t th;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_fd_init(&f, sv[0], FUT_FD_OWN), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vt;
    r.r = &f.reader;
    r.done = &done;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &r, NULL), 0);
    ck_assert_int_eq(fut_runtime_turn(&conf_rt, 0), 0);
    ck_assert(!done);
    ck_assert_int_eq(sem_init(&writer_go, 0, 0), 0);
    writer_fd = sv[1];
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, NULL), 0);
    ck_assert_int_eq(sem_post(&writer_go), 0);
    turn_until(flag_set, &done);
    ck_assert_int_eq(done, 'x');
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    sem_destroy(&writer_go);
    ck_assert_int_eq(fut_fd_close(&f), 0);
    close(sv[1]);
}
END_TEST

/* A spawn from another thread (the doorbell) ends a blocking turn. */
START_TEST(turn_remote_spawn)
{
    int done = 0;
    struct remote_arg a;
    pthread_t th;

    ck_assert_int_eq(fut_runtime_handle(&conf_rt, &a.h), 0);
    a.done = &done;
    ck_assert_int_eq(pthread_create(&th, NULL, remote_spawner, &a), 0);
    turn_until(flag_set, &done);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    fut_handle_drop(a.h);
}
END_TEST

/* Ready tasks: the turn does not block (no deadline given, nothing timed:
 * it would hang otherwise), polls a bounded number and says more are
 * ready. */
START_TEST(turn_ready_tasks_do_not_block)
{
    struct count_arg c = { 0, 200 };
    int i;

    for (i = 0; i < c.total; i++) {
        struct yielder y;

        y.base.vtable = &yielder_vt;
        y.left = 3;
        y.finished = &c.finished;
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &y, NULL), 0);
    }
    ck_assert_int_eq(fut_runtime_turn(&conf_rt, -1), 1);
    ck_assert_int_lt(c.finished, c.total);
    while (fut_runtime_turn(&conf_rt, -1) == 1)
        ;
    ck_assert_int_eq(c.finished, c.total);
}
END_TEST

Suite *
fut_conf_embed_suite(void)
{
    Suite *s = suite_create("embed");
    TCase *tc = tcase_create("embed");

    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, embed_bad_input);
    tcase_add_test(tc, turn_bad_input);
    tcase_add_test(tc, turn_caller_deadline);
    tcase_add_test(tc, turn_runtime_timer);
    tcase_add_test(tc, turn_io);
    tcase_add_test(tc, turn_remote_spawn);
    tcase_add_test(tc, turn_ready_tasks_do_not_block);
    tcase_add_test(tc, embed_from_inside_a_task_is_busy);
    tcase_add_test(tc, embed_timer);
    tcase_add_test(tc, embed_io_registered_after_the_fd_was_handed_out);
    tcase_add_test(tc, embed_spawn_from_another_thread);
    tcase_add_test(tc, embed_runs_are_bounded);
    tcase_add_test(tc, embed_abort_pending_task);
    tcase_add_test(tc, embed_busy_under_block_on);
    suite_add_tcase(s, tc);
    return s;
}
