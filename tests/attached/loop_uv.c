/* SPDX-License-Identifier: MIT */
/* The loop adapter for libuv (loop.h): a uv_loop_t the program runs. */
#include <stdlib.h>

#include <check.h>
#include <uv.h>

#include <futures/backend-uv.h>

#include "loop.h"
#include "support.h"

/*
 * Handles are freed in their close callback, which runs in a later
 * iteration, so each watcher is an allocation of its own that the close
 * callback frees. libuv 1.44 has no iteration counter (uv_metrics_info()
 * came in 1.45): an unreferenced prepare handle of the adapter counts
 * them, and tloop_count() leaves it out.
 */

const struct tloop_caps tloop_caps = {
    .name = "uv",
    .ends_when_idle = 1,
    .one_watcher_per_fd = 1,
    .has_level_variant = 0,  /* uv_poll_t is level-triggered anyway */
    .attach_count = 5,       /* check, idle, timer, async, prepare */
    .task_runs_per_iteration = 1,
    .counts_iterations = 1,
    .block_on_in_callback = TLOOP_NESTED_UNDEFINED,
    .block_on_in_callback_warnings = 0,
};

int tloop_in_callback;

struct tloop {
    uv_loop_t loop;
    uv_prepare_t counter;
    long iterations;
};

enum watch_kind {
    WATCH_TIMER,
    WATCH_READER,
    WATCH_IDLE,
    WATCH_PREPARE,
    WATCH_WAKEUP,
};

struct tloop_watch {
    union {
        uv_handle_t handle;
        uv_timer_t timer;
        uv_poll_t poll;
        uv_idle_t idle;
        uv_prepare_t prepare;
        uv_async_t async;
    } u;
    enum watch_kind kind;
    tloop_fn cb;
    void *arg;
};

const struct fut_backend_vtable *
tloop_backend(void)
{
    return fut_backend_uv();
}

static void
count_iteration(uv_prepare_t *p)
{
    ((struct tloop *)p->data)->iterations++;
}

struct tloop *
tloop_new(unsigned flags)
{
    struct tloop *l = calloc(1, sizeof *l);

    (void)flags; /* level-triggered, one priority */
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(uv_loop_init(&l->loop), 0);
    ck_assert_int_eq(uv_prepare_init(&l->loop, &l->counter), 0);
    l->counter.data = l;
    ck_assert_int_eq(uv_prepare_start(&l->counter, count_iteration), 0);
    uv_unref((uv_handle_t *)&l->counter);
    return l;
}

static void
count_handle(uv_handle_t *h, void *arg)
{
    (void)h;
    ++*(size_t *)arg;
}

size_t
tloop_count(struct tloop *l)
{
    size_t n = 0;

    uv_walk(&l->loop, count_handle, &n);
    return n - 1; /* the counter */
}

static void
counter_closed(uv_handle_t *h)
{
    (void)h;
}

void
tloop_free(struct tloop *l)
{
    /* Let the closes that are under way finish. */
    (void)uv_run(&l->loop, UV_RUN_NOWAIT);
    ck_assert_uint_eq(tloop_count(l), 0);
    uv_close((uv_handle_t *)&l->counter, counter_closed);
    (void)uv_run(&l->loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(uv_loop_close(&l->loop), 0);
    free(l);
}

void *
tloop_native(struct tloop *l)
{
    return &l->loop;
}

int
tloop_attach(struct fut_runtime *rt, struct tloop *l)
{
    /* FUT_TEST_BACKEND_FLAGS set: the same attach through the config
     * route, with the flags (what fut_runtime_init_attached() does). */
    if (test_backend_flags() != 0)
        return test_runtime_attach(rt, fut_backend_uv(),
                                   l != NULL ? (void *)&l->loop : NULL);
    return fut_uv_attach(rt, l != NULL ? &l->loop : NULL);
}

void
tloop_settle(struct tloop *l)
{
    /* The close callbacks run at the end of an iteration. */
    (void)uv_run(&l->loop, UV_RUN_NOWAIT);
}

long
tloop_iterations(struct tloop *l)
{
    return l->iterations;
}

long
tloop_warnings(void)
{
    return 0; /* libuv logs nothing */
}

void
tloop_run(struct tloop *l)
{
    (void)uv_run(&l->loop, UV_RUN_DEFAULT);
}

void
tloop_run_once(struct tloop *l)
{
    (void)uv_run(&l->loop, UV_RUN_ONCE);
}

void
tloop_run_nowait(struct tloop *l)
{
    (void)uv_run(&l->loop, UV_RUN_NOWAIT);
}

void
tloop_break(struct tloop *l)
{
    uv_stop(&l->loop);
}

static void
dispatch(struct tloop_watch *w)
{
    tloop_in_callback++;
    w->cb(w->arg);
    tloop_in_callback--;
}

static struct tloop_watch *
watch_new(enum watch_kind kind, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = calloc(1, sizeof *w);

    ck_assert_ptr_nonnull(w);
    w->kind = kind;
    w->cb = cb;
    w->arg = arg;
    w->u.handle.data = w;
    return w;
}

static void
on_timer(uv_timer_t *t)
{
    dispatch(t->data);
}

struct tloop_watch *
tloop_timer_new(struct tloop *l, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(WATCH_TIMER, cb, arg);

    ck_assert_int_eq(uv_timer_init(&l->loop, &w->u.timer), 0);
    w->u.handle.data = w;
    return w;
}

void
tloop_timer_start(struct tloop_watch *w, int64_t ms, int repeat)
{
    ck_assert_int_eq(w->kind, WATCH_TIMER);
    ck_assert_int_eq(uv_timer_start(&w->u.timer, on_timer, (uint64_t)ms,
                                    repeat ? (uint64_t)ms : 0), 0);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    dispatch(p->data);
}

struct tloop_watch *
tloop_reader_new(struct tloop *l, int fd, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(WATCH_READER, cb, arg);

    ck_assert_int_eq(uv_poll_init(&l->loop, &w->u.poll, fd), 0);
    w->u.handle.data = w;
    ck_assert_int_eq(uv_poll_start(&w->u.poll, UV_READABLE, on_poll), 0);
    return w;
}

static void
on_idle(uv_idle_t *i)
{
    dispatch(i->data);
}

struct tloop_watch *
tloop_idle_new(struct tloop *l, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(WATCH_IDLE, cb, arg);

    ck_assert_int_eq(uv_idle_init(&l->loop, &w->u.idle), 0);
    w->u.handle.data = w;
    ck_assert_int_eq(uv_idle_start(&w->u.idle, on_idle), 0);
    return w;
}

static void
on_prepare(uv_prepare_t *p)
{
    dispatch(p->data);
}

struct tloop_watch *
tloop_prepare_new(struct tloop *l, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(WATCH_PREPARE, cb, arg);

    ck_assert_int_eq(uv_prepare_init(&l->loop, &w->u.prepare), 0);
    w->u.handle.data = w;
    ck_assert_int_eq(uv_prepare_start(&w->u.prepare, on_prepare), 0);
    return w;
}

static void
on_async(uv_async_t *a)
{
    dispatch(a->data);
}

struct tloop_watch *
tloop_wakeup_new(struct tloop *l, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(WATCH_WAKEUP, cb, arg);

    ck_assert_int_eq(uv_async_init(&l->loop, &w->u.async, on_async), 0);
    w->u.handle.data = w;
    return w;
}

void
tloop_wakeup_send(struct tloop_watch *w)
{
    (void)uv_async_send(&w->u.async);
}

void
tloop_watch_unref(struct tloop_watch *w)
{
    uv_unref(&w->u.handle);
}

void
tloop_watch_stop(struct tloop_watch *w)
{
    switch (w->kind) {
    case WATCH_TIMER:
        (void)uv_timer_stop(&w->u.timer);
        break;
    case WATCH_READER:
        (void)uv_poll_stop(&w->u.poll);
        break;
    case WATCH_IDLE:
        (void)uv_idle_stop(&w->u.idle);
        break;
    case WATCH_PREPARE:
        (void)uv_prepare_stop(&w->u.prepare);
        break;
    case WATCH_WAKEUP:
        /* An async handle is active until closed: unreferencing it is
         * what stops it from holding the loop. */
        uv_unref(&w->u.handle);
        break;
    }
}

static void
watch_closed(uv_handle_t *h)
{
    free(h->data);
}

void
tloop_watch_free(struct tloop_watch *w)
{
    uv_close(&w->u.handle, watch_closed);
}

void
tloop_add_extra_tests(Suite *s)
{
    (void)s; /* every test is in attached.c */
}
