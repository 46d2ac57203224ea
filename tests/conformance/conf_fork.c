/* SPDX-License-Identifier: MIT */
/* Conformance: fut_runtime_fork() in the child of a fork(2). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conformance.h"

/* The grandchild (Check's test runs in a child already) must never return
 * into Check: a failed check there _exits with its line number. */
#define CHILD_CHECK(cond)                                                   \
    do {                                                                    \
        if (!(cond))                                                        \
            _exit(__LINE__ % 250 + 1);                                      \
    } while (0)

/* Turn conf_rt (blocking turns) until @tw was woken more than @wakes
 * times, for up to @ms milliseconds. 1 if it was. */
static int
turn_until_woken(struct test_waker *tw, int wakes, int ms)
{
    int64_t end = fut_now_ns() + (int64_t)ms * FUT_NSEC_PER_MSEC;

    while (tw->wakes <= wakes && fut_now_ns() < end)
        if (fut_runtime_turn(&conf_rt, fut_now_ns() + 50 * FUT_NSEC_PER_MSEC) <
            0)
            return 0;
    return tw->wakes > wakes;
}

static void *
ring_later(void *arg)
{
    usleep(20000);
    (void)fut_notify_signal(arg);
    return NULL;
}

/* In the grandchild: everything works on the runtime's new state. */
static void
fork_child(struct fut_io *io, int peer, struct test_waker *tw,
           struct fut_sleep *sl)
{
    struct fut_context cx = test_cx(tw, &conf_rt);
    struct fut_notify n;
    struct fut_notify_wait w;
    pthread_t th;
    int res, before;
    char c;

    alarm((unsigned int)(20 * conf_slow_factor()));
    CHILD_CHECK(fut_runtime_fork(&conf_rt) == 0);
    /* I/O: a byte written here wakes the registration made before the
     * fork, through the child's own backend state. */
    before = tw->wakes;
    CHILD_CHECK(write(peer, "c", 1) == 1);
    CHILD_CHECK(turn_until_woken(tw, before, 5000 * conf_slow_factor()));
    CHILD_CHECK(fut_io_poll_ready(io, &cx, FUT_IO_READABLE, &res) ==
                    FUT_READY &&
                res == 0);
    CHILD_CHECK(read(io->fd, &c, 1) == 1 && c == 'c');
    /* The timer armed before the fork fires here. */
    CHILD_CHECK(fut_block_on(&conf_rt, &sl->base) == 0);
    CHILD_CHECK(sl->res == 0);
    /* A wake from a thread of the child rings the new doorbell while the
     * runtime blocks. */
    CHILD_CHECK(fut_notify_init(&n, &conf_rt) == 0);
    CHILD_CHECK(fut_notify_wait_init(&w, &n) == 0);
    CHILD_CHECK(pthread_create(&th, NULL, ring_later, &n) == 0);
    CHILD_CHECK(fut_block_on(&conf_rt, &w.base) == 0);
    CHILD_CHECK(w.result == 0);
    CHILD_CHECK(pthread_join(th, NULL) == 0);
    fut_notify_close(&n);
    /* Deregister here: that must not reach the parent's registration (an
     * EPOLL_CTL_DEL on a set still shared would remove it). */
    CHILD_CHECK(fut_io_close(io) == 0);
    _exit(0);
}

START_TEST(test_fork_child_runs_parent_untouched)
{
    struct test_waker tw;
    struct fut_context cx;
    struct fut_sleep sl;
    struct fut_io io;
    int sv[2], res, status, before;
    pid_t pid;
    char c;

    ck_assert_int_eq(socketpair(AF_UNIX,
                                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                                sv),
                     0);
    ck_assert_int_eq(fut_io_init(&io, sv[0]), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    /* Registered, with a waiting waker; and a timer armed. */
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_PENDING);
    ck_assert_int_eq(fut_sleep_init(&sl, 30 * FUT_NSEC_PER_MSEC), 0);
    ck_assert_int_eq(fut_future_poll(&sl.base, &cx), FUT_PENDING);

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        fork_child(&io, sv[1], &tw, &sl);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child failed: status %#x (exit code: line %% 250 + 1)",
                  (unsigned int)status);

    /* The parent: the child's byte (read there) may have left an edge
     * here; take it, then forget readiness and wait again. */
    (void)fut_runtime_turn(&conf_rt, 0);
    fut_io_clear_ready(&io, FUT_IO_READABLE);
    before = tw.wakes;
    ck_assert_int_eq(fut_io_poll_ready(&io, &cx, FUT_IO_READABLE, &res),
                     FUT_PENDING);
    /* The registration still works: the child removed nothing. */
    ck_assert_int_eq(write(sv[1], "p", 1), 1);
    ck_assert(turn_until_woken(&tw, before, 5000 * conf_slow_factor()));
    ck_assert_int_eq(read(sv[0], &c, 1), 1);
    ck_assert_int_eq(c, 'p');

    fut_future_drop(&sl.base);
    ck_assert_int_eq(fut_io_close(&io), 0);
    close(sv[0]);
    close(sv[1]);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* ---- the blocking pool ----------------------------------------------------- */

struct gate {
    int started[2]; /* the job writes a byte once it runs */
    int go[2];      /* ... and waits for one here */
};

static int
gated_job(void *arg)
{
    struct gate *g = arg;
    char c;

    if (write(g->started[1], "s", 1) != 1 || read(g->go[0], &c, 1) != 1)
        return -EIO;
    return 42;
}

static int
quick_job(void *arg)
{
    (void)arg;
    return 7;
}

/* A job running at fork time completes with -ECANCELED in the child
 * (the parent runs it), whose pool starts afresh for new jobs; the
 * parent's job completes as usual. */
/* ThreadSanitizer kills a child of a multi-threaded process that starts a
 * thread ("not supported"): the test below forks while a pool thread
 * runs, and its child starts a pool thread of its own. */
#if defined(__SANITIZE_THREAD__)
#define FORK_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FORK_TSAN 1
#endif
#endif
#ifndef FORK_TSAN
#define FORK_TSAN 0
#endif

START_TEST(test_fork_blocking_job_cancelled_in_child)
{
    struct fut_spawn_blocking a, b;
    struct test_waker tw;
    struct fut_context cx;
    struct gate g;
    int status;

    if (FORK_TSAN)
        CONF_SKIP("ThreadSanitizer does not support threads started in a "
                  "child of a multi-threaded process");
    pid_t pid;
    char c;

    ck_assert_int_eq(pipe(g.started), 0);
    ck_assert_int_eq(pipe(g.go), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_spawn_blocking_init(&a, gated_job, &g, NULL), 0);
    ck_assert_int_eq(fut_future_poll(&a.base, &cx), FUT_PENDING);
    ck_assert_int_eq(read(g.started[0], &c, 1), 1); /* it runs */

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm((unsigned int)(20 * conf_slow_factor()));
        CHILD_CHECK(fut_runtime_fork(&conf_rt) == 0);
        CHILD_CHECK(fut_runtime_blocking_threads(&conf_rt) == 0);
        CHILD_CHECK(fut_block_on(&conf_rt, &a.base) == 0);
        CHILD_CHECK(a.result == -ECANCELED);
        fut_future_drop(&a.base);
        CHILD_CHECK(fut_spawn_blocking_init(&b, quick_job, NULL, NULL) == 0);
        CHILD_CHECK(fut_block_on(&conf_rt, &b.base) == 0);
        CHILD_CHECK(b.result == 7);
        fut_future_drop(&b.base);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child failed: status %#x (exit code: line %% 250 + 1)",
                  (unsigned int)status);
    ck_assert_int_eq(write(g.go[1], "g", 1), 1);
    ck_assert_int_eq(fut_block_on(&conf_rt, &a.base), 0);
    ck_assert_int_eq(a.result, 42);
    fut_future_drop(&a.base);
    ck_assert_int_eq(tw.live, 0);
    close(g.started[0]);
    close(g.started[1]);
    close(g.go[0]);
    close(g.go[1]);
}
END_TEST

/* ---- signal listeners ---------------------------------------------------- */

/* Poll @f until READY, turning conf_rt for up to @ms. 1 if READY. */
static int
recv_within(struct fut_signal_recv *f, int ms)
{
    struct test_waker tw;
    struct fut_context cx;
    int64_t end = fut_now_ns() + (int64_t)ms * FUT_NSEC_PER_MSEC;

    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    while (fut_future_poll(&f->base, &cx) == FUT_PENDING) {
        if (fut_now_ns() >= end) {
            fut_future_drop(&f->base);
            return 0;
        }
        (void)fut_runtime_turn(&conf_rt,
                               fut_now_ns() + 20 * FUT_NSEC_PER_MSEC);
    }
    return 1;
}

/* After the fork each process's listener has a pipe of its own: a signal
 * raised in the child reaches the child's listener, and one raised in
 * the parent while the child waits reaches the parent's and not the
 * child's (with a shared pipe the child would take the parent's byte). */
START_TEST(test_fork_signal_listener_own_pipe)
{
    struct fut_signal sig;
    struct fut_signal_recv r;
    int ready[2], status;
    pid_t pid;
    char c;

    ck_assert_int_eq(pipe(ready), 0);
    ck_assert_int_eq(fut_signal_init_one(&sig, SIGUSR1), 0);
    ck_assert_int_eq(fut_signal_recv_init(&r, &sig), 0);
    ck_assert_int_eq(recv_within(&r, 0), 0); /* registered, waiting */

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm((unsigned int)(20 * conf_slow_factor()));
        CHILD_CHECK(fut_runtime_fork(&conf_rt) == 0);
        CHILD_CHECK(kill(getpid(), SIGUSR1) == 0);
        CHILD_CHECK(fut_signal_recv_init(&r, &sig) == 0);
        CHILD_CHECK(recv_within(&r, 5000 * conf_slow_factor()));
        CHILD_CHECK(r.res == 0 && r.signo == SIGUSR1);
        fut_future_drop(&r.base);
        CHILD_CHECK(write(ready[1], "r", 1) == 1);
        /* The parent raises SIGUSR1 in itself now: nothing here. */
        CHILD_CHECK(fut_signal_recv_init(&r, &sig) == 0);
        CHILD_CHECK(!recv_within(&r, 300));
        _exit(0);
    }
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child failed: status %#x (exit code: line %% 250 + 1)",
                  (unsigned int)status);
    ck_assert_int_eq(fut_signal_recv_init(&r, &sig), 0);
    ck_assert(recv_within(&r, 5000 * conf_slow_factor()));
    ck_assert_int_eq(r.res, 0);
    ck_assert_int_eq(r.signo, SIGUSR1);
    fut_future_drop(&r.base);
    ck_assert_int_eq(fut_signal_close(&sig), 0);
    close(ready[0]);
    close(ready[1]);
}
END_TEST

/* A future that calls fut_runtime_fork() from inside the runtime. */
struct fork_inside {
    struct fut_future base;
    int res;
};

static enum fut_poll
fork_inside_poll(struct fut_future *f, struct fut_context *cx)
{
    (void)cx;
    ((struct fork_inside *)f)->res = fut_runtime_fork(&conf_rt);
    return FUT_READY;
}

static const struct fut_future_vtable fork_inside_vtable = {
    .poll = fork_inside_poll,
};

START_TEST(test_fork_bad_input)
{
    struct fork_inside f = { { &fork_inside_vtable }, 1 };
    struct fut_runtime rt;

    ck_assert_int_eq(fut_runtime_fork(NULL), -EINVAL);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    ck_assert_int_eq(f.res, -EBUSY);
    ck_assert_int_eq(test_runtime_init(&rt, fut_backend_default()), 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(fut_runtime_fork(&rt), -EINVAL);
}
END_TEST

Suite *
fut_conf_fork_suite(void)
{
    Suite *s = suite_create("fork");
    TCase *tc = tcase_create("fork");

    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fork_child_runs_parent_untouched);
    tcase_add_test(tc, test_fork_blocking_job_cancelled_in_child);
    tcase_add_test(tc, test_fork_signal_listener_own_pipe);
    tcase_add_test(tc, test_fork_bad_input);
    suite_add_tcase(s, tc);
    return s;
}
