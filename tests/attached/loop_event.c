/* SPDX-License-Identifier: MIT */
/* The loop adapter for libevent (loop.h): an event_base the program owns. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include <futures/backend-event.h>

#include "loop.h"
#include "support.h"

/*
 * libevent counts what is added to a base, not references: the runtime's
 * doorbell and deadline timer stay added while it is attached, so the
 * program's dispatch runs until broken. There is no idle watcher: a
 * timer with a zero timeout fires once per iteration and keeps
 * the loop from blocking, as an idle watcher does, if it is added again
 * (not EV_PERSIST, which does not re-add a zero timeout) from its
 * callback, as the runtime's own tick is. A wake-up from another
 * thread is a pipe the thread writes to (event_active() from another
 * thread would need evthread_use_pthreads() and libevent_pthreads).
 */

const struct tloop_caps tloop_caps = {
    .name = "event",
    .ends_when_idle = 0,
    .one_watcher_per_fd = 0,
    .has_level_variant = 1, /* poll(2), where the default is EV_ET */
    .attach_count = 2,      /* the doorbell and the deadline timer */
    .task_runs_per_iteration = 1,
    .counts_iterations = 0,
    .block_on_in_callback = TLOOP_NESTED_REFUSED,
    .block_on_in_callback_warnings = 1, /* "reentrant invocation" */
};

int tloop_in_callback;

static long warnings;

struct tloop {
    struct event_base *base;
};

enum watch_kind { WATCH_TIMER, WATCH_READER, WATCH_IDLE, WATCH_WAKEUP };

struct tloop_watch {
    struct event *ev;
    enum watch_kind kind;
    struct timeval tv;
    int pipefd[2]; /* WATCH_WAKEUP */
    tloop_fn cb;
    void *arg;
};

const struct fut_backend_vtable *
tloop_backend(void)
{
    return fut_backend_event();
}

static void
count_warning(int severity, const char *msg)
{
    (void)msg;
    if (severity >= EVENT_LOG_WARN)
        warnings++;
}

struct tloop *
tloop_new(unsigned flags)
{
    struct tloop *l = calloc(1, sizeof *l);
    struct event_config *cfg = event_config_new();

    ck_assert_ptr_nonnull(l);
    ck_assert_ptr_nonnull(cfg);
    event_set_log_callback(count_warning);
    if (flags & TLOOP_LEVEL) {
        ck_assert_int_eq(event_config_avoid_method(cfg, "epoll"), 0);
        ck_assert_int_eq(event_config_avoid_method(cfg, "select"), 0);
    }
    l->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    ck_assert_ptr_nonnull(l->base);
    if (flags & TLOOP_LEVEL) {
        ck_assert_str_eq(event_base_get_method(l->base), "poll");
        ck_assert_int_eq(event_base_get_features(l->base) & EV_FEATURE_ET,
                         0);
    }
    if (flags & TLOOP_PRIORITIES)
        ck_assert_int_eq(event_base_priority_init(l->base, 3), 0);
    return l;
}

size_t
tloop_count(struct tloop *l)
{
    return (size_t)event_base_get_num_events(l->base,
                                             EVENT_BASE_COUNT_ADDED);
}

void
tloop_free(struct tloop *l)
{
    ck_assert_uint_eq(tloop_count(l), 0);
    event_base_free(l->base);
    free(l);
}

void *
tloop_native(struct tloop *l)
{
    return l->base;
}

int
tloop_attach(struct fut_runtime *rt, struct tloop *l)
{
    /* FUT_TEST_BACKEND_FLAGS set: the same attach through the config
     * route, with the flags (what fut_runtime_init_attached() does). */
    if (test_backend_flags() != 0)
        return test_runtime_attach(rt, fut_backend_event(),
                                   l != NULL ? (void *)l->base : NULL);
    return fut_event_attach(rt, l != NULL ? l->base : NULL);
}

void
tloop_settle(struct tloop *l)
{
    /* fut_runtime_close() deletes and frees its events at once: none is
     * left active either, not even a tick that was due. */
    ck_assert_int_eq(event_base_get_num_events(l->base,
                                               EVENT_BASE_COUNT_ACTIVE), 0);
}

long
tloop_iterations(struct tloop *l)
{
    (void)l;
    return -1; /* libevent does not count them */
}

long
tloop_warnings(void)
{
    return warnings;
}

void
tloop_run(struct tloop *l)
{
    ck_assert_int_ge(event_base_dispatch(l->base), 0);
}

void
tloop_run_once(struct tloop *l)
{
    ck_assert_int_ge(event_base_loop(l->base, EVLOOP_ONCE), 0);
}

void
tloop_run_nowait(struct tloop *l)
{
    ck_assert_int_ge(event_base_loop(l->base, EVLOOP_NONBLOCK), 0);
}

void
tloop_break(struct tloop *l)
{
    ck_assert_int_eq(event_base_loopbreak(l->base), 0);
}

static void
on_event(evutil_socket_t fd, short what, void *arg)
{
    struct tloop_watch *w = arg;
    char buf[64];

    (void)what;
    if (w->kind == WATCH_IDLE)
        ck_assert_int_eq(event_add(w->ev, &w->tv), 0);
    if (w->kind == WATCH_WAKEUP)
        while (read(fd, buf, sizeof buf) > 0)
            ;
    tloop_in_callback++;
    w->cb(w->arg);
    tloop_in_callback--;
}

static struct tloop_watch *
watch_new(struct tloop *l, enum watch_kind kind, int fd, short what,
          tloop_fn cb, void *arg)
{
    struct tloop_watch *w = calloc(1, sizeof *w);

    ck_assert_ptr_nonnull(w);
    w->kind = kind;
    w->cb = cb;
    w->arg = arg;
    w->pipefd[0] = w->pipefd[1] = -1;
    w->ev = event_new(l->base, fd, what, on_event, w);
    ck_assert_ptr_nonnull(w->ev);
    return w;
}

struct tloop_watch *
tloop_timer_new(struct tloop *l, tloop_fn cb, void *arg)
{
    /* EV_PERSIST or not is decided at start: event_assign() again. */
    return watch_new(l, WATCH_TIMER, -1, 0, cb, arg);
}

void
tloop_timer_start(struct tloop_watch *w, int64_t ms, int repeat)
{
    struct event_base *base = event_get_base(w->ev);

    ck_assert_int_eq(w->kind, WATCH_TIMER);
    ck_assert_int_eq(event_del(w->ev), 0);
    ck_assert_int_eq(event_assign(w->ev, base, -1, repeat ? EV_PERSIST : 0,
                                  on_event, w), 0);
    w->tv.tv_sec = ms / 1000;
    w->tv.tv_usec = (ms % 1000) * 1000;
    ck_assert_int_eq(event_add(w->ev, &w->tv), 0);
}

struct tloop_watch *
tloop_reader_new(struct tloop *l, int fd, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(l, WATCH_READER, fd,
                                      EV_READ | EV_PERSIST, cb, arg);

    ck_assert_int_eq(event_add(w->ev, NULL), 0);
    return w;
}

struct tloop_watch *
tloop_idle_new(struct tloop *l, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(l, WATCH_IDLE, -1, 0, cb, arg);

    w->tv.tv_sec = 0;
    w->tv.tv_usec = 0;
    ck_assert_int_eq(event_add(w->ev, &w->tv), 0);
    return w;
}

struct tloop_watch *
tloop_prepare_new(struct tloop *l, tloop_fn cb, void *arg)
{
    (void)l;
    (void)cb;
    (void)arg;
    return NULL; /* evwatch_prepare_new() came in libevent 2.2 */
}

struct tloop_watch *
tloop_wakeup_new(struct tloop *l, tloop_fn cb, void *arg)
{
    int p[2];
    struct tloop_watch *w;

    ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    w = watch_new(l, WATCH_WAKEUP, p[0], EV_READ | EV_PERSIST, cb, arg);
    w->pipefd[0] = p[0];
    w->pipefd[1] = p[1];
    ck_assert_int_eq(event_add(w->ev, NULL), 0);
    return w;
}

void
tloop_wakeup_send(struct tloop_watch *w)
{
    char c = 1;
    ssize_t n;

    /* Full: a wake-up is pending anyway. */
    n = write(w->pipefd[1], &c, 1);
    ck_assert(n == 1 || (n < 0 && errno == EAGAIN));
}

void
tloop_watch_unref(struct tloop_watch *w)
{
    (void)w; /* libevent has no references */
}

void
tloop_watch_stop(struct tloop_watch *w)
{
    ck_assert_int_eq(event_del(w->ev), 0);
}

void
tloop_watch_free(struct tloop_watch *w)
{
    event_free(w->ev);
    if (w->pipefd[0] >= 0) {
        close(w->pipefd[0]);
        close(w->pipefd[1]);
    }
    free(w);
}

void
tloop_add_extra_tests(Suite *s)
{
    (void)s; /* every test is in attached.c */
}
