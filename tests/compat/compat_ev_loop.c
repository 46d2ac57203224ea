/* SPDX-License-Identifier: MIT */
/* compat/ev: a foreign libev loop driven by a runtime on each backend
 * (built once per backend: tests/compat-ev-loop-<backend>). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <ev.h>

#include <futures.h>
#include <futures/compat-ev-drive.h>

#include "internal.h" /* fut__runtime_{io,timer}_count, for the teardown */

/*
 * The "component" is plain libev code on a loop of its own (ev_loop_new).
 * Tests wait for the thing itself (a drive finished, a callback ran);
 * its timers are the component's, and only order and counts are
 * asserted, never durations.
 */

static struct fut_runtime rt;
static struct ev_loop *loop;
static pthread_t rt_thread;

static void
setup(void)
{
    ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), FUT_TEST_BACKEND);
    loop = ev_loop_new(EVFLAG_AUTO);
    ck_assert_ptr_nonnull(loop);
    rt_thread = pthread_self();
}

static void
teardown(void)
{
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&rt), 0);
    ck_assert_uint_eq(fut__runtime_io_count(&rt), 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ev_loop_destroy(loop);
}

/* Wait (60 s safety net) until @flag is set, by another thread. */
static void
wait_flag(const int *flag)
{
    struct timespec t0, now;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(now.tv_sec - t0.tv_sec < 60, "not within 60 s");
        sched_yield();
    }
}

/* Wait (60 s safety net) until another thread of this process sleeps in
 * epoll_wait(2) (libev's poll on Linux): the drive's thread, the only
 * other thread in the tests that use this. Read from /proc, so the test
 * waits for the state itself. */
static int
other_thread_in_epoll(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    pid_t self = (pid_t)syscall(SYS_gettid);
    int found = 0;

    ck_assert_ptr_nonnull(d);
    while (!found && (e = readdir(d)) != NULL) {
        char path[300];
        FILE *f;
        long nr;

        if (e->d_name[0] == '.' || atoi(e->d_name) == self)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fscanf(f, "%ld", &nr) == 1)
            found = nr == SYS_epoll_wait || nr == SYS_epoll_pwait
#ifdef SYS_epoll_pwait2
                    || nr == SYS_epoll_pwait2
#endif
                ;
        fclose(f);
    }
    closedir(d);
    return found;
}

static void
wait_thread_in_epoll(void)
{
    struct timespec t0, now;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!other_thread_in_epoll()) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(now.tv_sec - t0.tv_sec < 60, "not within 60 s");
        sched_yield();
    }
}

/* A waker that sets a flag, for polling a drive by hand. */
static void
flag_wake(const void *data)
{
    __atomic_store_n((int *)data, 1, __ATOMIC_RELEASE);
}

static struct fut_waker flag_clone(const void *data);

static void
flag_wake_owned(const void *data)
{
    flag_wake(data);
}

static void
flag_noop(const void *data)
{
    (void)data;
}

static const struct fut_waker_vtable flag_vt = { flag_clone, flag_wake_owned,
                                                 flag_wake, flag_noop };

static struct fut_waker
flag_clone(const void *data)
{
    struct fut_waker w = { &flag_vt, data };

    return w;
}

/* ---- component callbacks ------------------------------------------------------ */

struct comp {
    int timer_fired;
    int io_reads;
    int on_rt_thread; /* every callback ran on the runtime's thread */
    int callbacks;
    ev_timer t;
    ev_timer t2;
    ev_io io;
    char got[16];
    int break_in_cb;
};

static struct comp comp;

static void
note_thread(void)
{
    comp.callbacks++;
    if (!pthread_equal(pthread_self(), rt_thread))
        comp.on_rt_thread = 0;
}

static void
timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)w;
    ck_assert(revents & EV_TIMER);
    note_thread();
    comp.timer_fired++;
    if (comp.break_in_cb)
        ev_break(l, EVBREAK_ALL);
}

static void
io_cb(struct ev_loop *l, ev_io *w, int revents)
{
    ssize_t n;

    ck_assert(revents & EV_READ);
    note_thread();
    n = read(w->fd, comp.got, sizeof comp.got - 1);
    ck_assert_int_gt(n, 0);
    comp.got[n] = '\0';
    comp.io_reads++;
    ev_io_stop(l, w); /* the loop is then empty: the drive ends */
}

static void
comp_reset(void)
{
    memset(&comp, 0, sizeof comp);
    comp.on_rt_thread = 1;
}

/* ---- tests ------------------------------------------------------------------------ */

START_TEST(test_ev_drive_bad_input)
{
    struct fut_ev_drive d;

    ck_assert_int_eq(fut_ev_drive_init(NULL, loop), -EINVAL);
    ck_assert_int_eq(fut_ev_drive_init(&d, NULL), -EINVAL);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, -EINVAL);
    ck_assert_int_eq(fut_future_result(&d.base), -EINVAL);
    fut_future_drop(&d.base);
    /* Lock and unlock of a drive that never ran: no-ops. */
    fut_ev_drive_lock(NULL);
    fut_ev_drive_unlock(NULL);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    fut_ev_drive_lock(&d);
    fut_ev_drive_unlock(&d);
    fut_future_drop(&d.base);
}
END_TEST

/* An empty loop: READY with 0, and the loop is usable afterwards. */
START_TEST(test_ev_drive_empty)
{
    struct fut_ev_drive d;

    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, 0);
    fut_future_drop(&d.base);
    ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
}
END_TEST

/* Two timers fire, in order, on the runtime's thread; the drive ends when
 * the loop is empty. */
START_TEST(test_ev_drive_timers)
{
    struct fut_ev_drive d;

    comp_reset();
    ev_timer_init(&comp.t, timer_cb, 0.002, 0.);
    ev_timer_init(&comp.t2, timer_cb, 0.004, 0.);
    ev_timer_start(loop, &comp.t);
    ev_timer_start(loop, &comp.t2);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, 0);
    fut_future_drop(&d.base);
    ck_assert_int_eq(comp.timer_fired, 2);
    ck_assert(comp.on_rt_thread);
}
END_TEST

/* I/O: the component watches a socket; a futures task writes to its
 * peer; the component's callback reads it and stops, ending the drive. */
struct writer {
    struct fut_future base;
    struct fut_fd *out;
    struct fut_write w;
    int started;
};

static enum fut_poll
writer_poll(struct fut_future *f, struct fut_context *cx)
{
    struct writer *w = (struct writer *)f;

    if (!w->started) {
        ck_assert_int_eq(fut_write_init(&w->w, &w->out->writer, "hello", 5),
                         0);
        w->started = 1;
    }
    if (fut_future_poll(&w->w.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    ck_assert_int_eq(w->w.res, 5);
    return FUT_READY;
}

static void
writer_drop(struct fut_future *f)
{
    struct writer *w = (struct writer *)f;

    if (w->started)
        fut_future_drop(&w->w.base);
}

static const struct fut_future_vtable writer_vt = { writer_poll, writer_drop,
                                                    NULL };

START_TEST(test_ev_drive_io_from_a_task)
{
    int sv[2];
    struct fut_fd out;
    struct writer w;
    struct fut_ev_drive d;

    comp_reset();
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_fd_init(&out, sv[1], FUT_FD_OWN), 0);
    ev_io_init(&comp.io, io_cb, sv[0], EV_READ);
    ev_io_start(loop, &comp.io);
    memset(&w, 0, sizeof w);
    w.base.vtable = &writer_vt;
    w.out = &out;
    ck_assert_int_eq(FUT_SPAWN(&rt, &w, NULL), 0);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, 0);
    fut_future_drop(&d.base);
    ck_assert_int_eq(comp.io_reads, 1);
    ck_assert_str_eq(comp.got, "hello");
    ck_assert(comp.on_rt_thread);
    ck_assert_int_eq(fut_runtime_run(&rt), 0);
    ck_assert_int_eq(fut_fd_close(&out), 0);
    close(sv[0]);
}
END_TEST

/* ev_break() in a callback ends the drive although watchers are left. */
START_TEST(test_ev_drive_break)
{
    struct fut_ev_drive d;
    ev_timer forever;

    comp_reset();
    comp.break_in_cb = 1;
    ev_timer_init(&comp.t, timer_cb, 0.001, 0.);
    ev_timer_start(loop, &comp.t);
    ev_timer_init(&forever, timer_cb, 3600., 0.);
    ev_timer_start(loop, &forever);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, 0);
    fut_future_drop(&d.base);
    ck_assert_int_eq(comp.timer_fired, 1);
    ck_assert(ev_is_active(&forever));
    ev_timer_stop(loop, &forever);
}
END_TEST

/* Changing the loop from outside its callbacks: a task starts a timer on
 * the loop between fut_ev_drive_lock() and _unlock() while the drive's
 * thread blocks with no timeout (only an idle socket watched). The
 * unlock wakes it; the timer fires; its callback stops the socket
 * watcher; the drive ends. */
struct starter {
    struct fut_future base;
    struct fut_ev_drive *d;
    struct fut_yield y;
    int phase;
};

static void
stop_io_cb(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    note_thread();
    comp.timer_fired++;
    ev_io_stop(l, &comp.io);
}

static enum fut_poll
starter_poll(struct fut_future *f, struct fut_context *cx)
{
    struct starter *s = (struct starter *)f;

    /* Yield a few times first, so the drive's thread is in its poll. */
    while (s->phase < 3) {
        if (fut_future_poll(&s->y.base, cx) == FUT_PENDING)
            return FUT_PENDING;
        fut_future_drop(&s->y.base);
        fut_yield_init(&s->y);
        s->phase++;
    }
    fut_ev_drive_lock(s->d);
    ev_timer_init(&comp.t, stop_io_cb, 0.001, 0.);
    ev_timer_start(loop, &comp.t);
    fut_ev_drive_unlock(s->d);
    fut_future_drop(&s->y.base);
    return FUT_READY;
}

static void
starter_drop(struct fut_future *f)
{
    fut_future_drop(&((struct starter *)f)->y.base);
}

static const struct fut_future_vtable starter_vt = { starter_poll,
                                                     starter_drop, NULL };

START_TEST(test_ev_drive_lock_from_outside)
{
    int sv[2];
    struct fut_ev_drive d;
    struct starter s;

    comp_reset();
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io_init(&comp.io, io_cb, sv[0], EV_READ);
    ev_io_start(loop, &comp.io);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    memset(&s, 0, sizeof s);
    s.base.vtable = &starter_vt;
    s.d = &d;
    fut_yield_init(&s.y);
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, NULL), 0);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, 0);
    fut_future_drop(&d.base);
    ck_assert_int_eq(comp.timer_fired, 1);
    ck_assert_int_eq(comp.io_reads, 0);
    ck_assert(comp.on_rt_thread);
    ck_assert_int_eq(fut_runtime_run(&rt), 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Drop while the thread waits in libev's poll: it is stopped and joined,
 * the loop's watchers are untouched, and the component runs it again
 * itself afterwards. A short timer fires first (its callback runs in a
 * poll of the drive), so the thread is on its way into the long poll
 * when the drive is dropped. */
START_TEST(test_ev_drive_drop_while_polling)
{
    struct fut_ev_drive d;
    int woken = 0;
    struct fut_waker w = { &flag_vt, &woken };
    struct fut_context cx = { &w, NULL };
    ev_timer forever;

    comp_reset();
    ev_timer_init(&comp.t, timer_cb, 0.001, 0.);
    ev_timer_start(loop, &comp.t);
    ev_timer_init(&forever, timer_cb, 3600., 0.);
    ev_timer_start(loop, &forever);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    cx.rt = &rt;
    while (comp.timer_fired == 0) {
        ck_assert_int_eq(fut_future_poll(&d.base, &cx), FUT_PENDING);
        if (comp.timer_fired == 0) {
            wait_flag(&woken);
            __atomic_store_n(&woken, 0, __ATOMIC_RELEASE);
        }
    }
    wait_thread_in_epoll();
    fut_future_drop(&d.base);
    ck_assert(ev_is_active(&forever));
    ck_assert_int_eq(comp.timer_fired, 1);
    ck_assert(comp.on_rt_thread);
    /* The loop is the component's again: its own run works. */
    ev_timer_stop(loop, &forever);
    ck_assert_int_eq(ev_run(loop, 0), 0);
}
END_TEST

/* Drop while callbacks are pending (the thread waits for the task): they
 * stay pending in the loop, and the component's own ev_run() invokes
 * them. */
START_TEST(test_ev_drive_drop_with_callbacks_pending)
{
    int sv[2], woken = 0;
    struct fut_ev_drive d;
    struct fut_waker w = { &flag_vt, &woken };
    struct fut_context cx = { &w, NULL };

    comp_reset();
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io_init(&comp.io, io_cb, sv[0], EV_READ);
    ev_io_start(loop, &comp.io);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    cx.rt = &rt;
    ck_assert_int_eq(fut_future_poll(&d.base, &cx), FUT_PENDING);
    ck_assert_int_eq(write(sv[1], "late", 4), 4);
    wait_flag(&woken); /* the thread handed the callback over */
    fut_future_drop(&d.base);
    ck_assert_int_eq(comp.io_reads, 0);
    ck_assert_int_eq(ev_pending_count(loop), 1);
    /* The component's own run: the pending callback runs (here, on this
     * thread: it is the component's loop again). */
    ck_assert_int_eq(ev_run(loop, 0), 0);
    ck_assert_int_eq(comp.io_reads, 1);
    ck_assert_str_eq(comp.got, "late");
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* Two drives one after the other on the same loop: the second picks up
 * where the first (dropped) left off. */
START_TEST(test_ev_drive_again_after_drop)
{
    struct fut_ev_drive d;
    int woken = 0;
    struct fut_waker w = { &flag_vt, &woken };
    struct fut_context cx = { &w, NULL };

    comp_reset();
    ev_timer_init(&comp.t, timer_cb, 0.003, 0.);
    ev_timer_start(loop, &comp.t);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    cx.rt = &rt;
    ck_assert_int_eq(fut_future_poll(&d.base, &cx), FUT_PENDING);
    fut_future_drop(&d.base);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, 0);
    fut_future_drop(&d.base);
    ck_assert_int_eq(comp.timer_fired, 1);
}
END_TEST

/* Many events: a periodic timer firing 200 times, each batch handed over
 * to the runtime's thread. */
static void
periodic_cb(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)revents;
    note_thread();
    if (++comp.timer_fired == 200)
        ev_timer_stop(l, w);
}

START_TEST(test_ev_drive_many_batches)
{
    struct fut_ev_drive d;

    comp_reset();
    ev_timer_init(&comp.t, periodic_cb, 0., 0.0001);
    ev_timer_start(loop, &comp.t);
    ck_assert_int_eq(fut_ev_drive_init(&d, loop), 0);
    ck_assert_int_eq(fut_block_on(&rt, &d.base), 0);
    ck_assert_int_eq(d.res, 0);
    fut_future_drop(&d.base);
    ck_assert_int_eq(comp.timer_fired, 200);
    ck_assert_int_eq(comp.callbacks, 200);
    ck_assert(comp.on_rt_thread);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("compat-ev-loop-" FUT_TEST_BACKEND);
    TCase *tc = tcase_create("drive");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ev_drive_bad_input);
    tcase_add_test(tc, test_ev_drive_empty);
    tcase_add_test(tc, test_ev_drive_timers);
    tcase_add_test(tc, test_ev_drive_io_from_a_task);
    tcase_add_test(tc, test_ev_drive_break);
    tcase_add_test(tc, test_ev_drive_lock_from_outside);
    tcase_add_test(tc, test_ev_drive_drop_while_polling);
    tcase_add_test(tc, test_ev_drive_drop_with_callbacks_pending);
    tcase_add_test(tc, test_ev_drive_again_after_drop);
    tcase_add_test(tc, test_ev_drive_many_batches);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
