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
    tcase_add_test(tc, test_fork_bad_input);
    suite_add_tcase(s, tc);
    return s;
}
