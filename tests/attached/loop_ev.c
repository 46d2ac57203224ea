/* SPDX-License-Identifier: MIT */
/* The loop adapter for libev (loop.h): an ev_loop the program runs. */
#include <stdlib.h>

#include <check.h>
#include <ev.h>

#include <futures/backend-ev.h>

#include "loop.h"
#include "support.h"

/*
 * Every test owns its loop as a program would (ev_loop_new(), never the
 * default loop). libev has no accessor for the loop's reference count,
 * but ev_run() returns it (activecnt): tloop_count() reads it with one
 * non-blocking iteration. An unreferenced watcher (ev_unref()) must be
 * referenced again before it is stopped, and a one-shot timer that libev
 * stops by itself when it fires gives the reference back in its callback.
 */

const struct tloop_caps tloop_caps = {
    .name = "ev",
    .ends_when_idle = 1,
    .one_watcher_per_fd = 0,
    .has_level_variant = 0, /* ev_io is level-triggered anyway */
    .attach_count = 0,      /* the runtime's watchers hold no reference */
    .task_runs_per_iteration = 2, /* from the prepare and the check hook */
    .counts_iterations = 1,
    .block_on_in_callback = TLOOP_NESTED_RUNS,
    .block_on_in_callback_warnings = 0,
};

int tloop_in_callback;

struct tloop {
    struct ev_loop *loop;
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
        struct ev_watcher w;
        struct ev_timer timer;
        struct ev_io io;
        struct ev_idle idle;
        struct ev_prepare prepare;
        struct ev_async async;
    } u;
    struct tloop *l;
    enum watch_kind kind;
    int unref;   /* asked for by tloop_watch_unref() */
    int unrefed; /* a reference is given away now */
    tloop_fn cb;
    void *arg;
};

const struct fut_backend_vtable *
tloop_backend(void)
{
    return fut_backend_ev();
}

struct tloop *
tloop_new(unsigned flags)
{
    struct tloop *l = calloc(1, sizeof *l);

    (void)flags; /* level-triggered, and the runtime's hooks are ours */
    ck_assert_ptr_nonnull(l);
    l->loop = ev_loop_new(EVFLAG_AUTO);
    ck_assert_ptr_nonnull(l->loop);
    return l;
}

size_t
tloop_count(struct tloop *l)
{
    return (size_t)ev_run(l->loop, EVRUN_NOWAIT);
}

void
tloop_free(struct tloop *l)
{
    /* Nothing is left in the loop: a full run returns at once. */
    ck_assert_int_eq(ev_run(l->loop, 0), 0);
    ev_loop_destroy(l->loop);
    free(l);
}

void *
tloop_native(struct tloop *l)
{
    return l->loop;
}

int
tloop_attach(struct fut_runtime *rt, struct tloop *l)
{
    /* FUT_TEST_BACKEND_FLAGS set: the same attach through the config
     * route, with the flags (what fut_runtime_init_attached() does). */
    if (test_backend_flags() != 0)
        return test_runtime_attach(rt, fut_backend_ev(),
                                   l != NULL ? (void *)l->loop : NULL);
    return fut_ev_attach(rt, l != NULL ? l->loop : NULL);
}

void
tloop_settle(struct tloop *l)
{
    (void)l; /* fut_runtime_close() stops its watchers at once */
}

long
tloop_iterations(struct tloop *l)
{
    return (long)ev_iteration(l->loop);
}

long
tloop_warnings(void)
{
    return 0; /* libev logs nothing */
}

void
tloop_run(struct tloop *l)
{
    (void)ev_run(l->loop, 0);
}

void
tloop_run_once(struct tloop *l)
{
    (void)ev_run(l->loop, EVRUN_ONCE);
}

void
tloop_run_nowait(struct tloop *l)
{
    (void)ev_run(l->loop, EVRUN_NOWAIT);
}

void
tloop_break(struct tloop *l)
{
    ev_break(l->loop, EVBREAK_ONE);
}

static void
give_back_ref(struct tloop_watch *w)
{
    if (w->unrefed) {
        ev_ref(w->l->loop);
        w->unrefed = 0;
    }
}

static void
take_ref(struct tloop_watch *w)
{
    if (w->unref && !w->unrefed && ev_is_active(&w->u.w)) {
        ev_unref(w->l->loop);
        w->unrefed = 1;
    }
}

static void
dispatch(struct tloop_watch *w)
{
    /* A one-shot timer is stopped by now, its reference counted off. */
    if (!ev_is_active(&w->u.w))
        give_back_ref(w);
    tloop_in_callback++;
    w->cb(w->arg);
    tloop_in_callback--;
}

static void
on_timer(struct ev_loop *loop, struct ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    dispatch(t->data);
}

static void
on_io(struct ev_loop *loop, struct ev_io *io, int revents)
{
    (void)loop;
    (void)revents;
    dispatch(io->data);
}

static void
on_idle(struct ev_loop *loop, struct ev_idle *i, int revents)
{
    (void)loop;
    (void)revents;
    dispatch(i->data);
}

static void
on_prepare(struct ev_loop *loop, struct ev_prepare *p, int revents)
{
    (void)loop;
    (void)revents;
    dispatch(p->data);
}

static void
on_async(struct ev_loop *loop, struct ev_async *a, int revents)
{
    (void)loop;
    (void)revents;
    dispatch(a->data);
}

static struct tloop_watch *
watch_new(struct tloop *l, enum watch_kind kind, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = calloc(1, sizeof *w);

    ck_assert_ptr_nonnull(w);
    w->l = l;
    w->kind = kind;
    w->cb = cb;
    w->arg = arg;
    return w;
}

struct tloop_watch *
tloop_timer_new(struct tloop *l, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(l, WATCH_TIMER, cb, arg);

    ev_timer_init(&w->u.timer, on_timer, 0., 0.);
    w->u.timer.data = w;
    return w;
}

void
tloop_timer_start(struct tloop_watch *w, int64_t ms, int repeat)
{
    ck_assert_int_eq(w->kind, WATCH_TIMER);
    tloop_watch_stop(w);
    ev_timer_set(&w->u.timer, (double)ms / 1000., repeat ? ms / 1000. : 0.);
    ev_timer_start(w->l->loop, &w->u.timer);
    take_ref(w);
}

struct tloop_watch *
tloop_reader_new(struct tloop *l, int fd, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(l, WATCH_READER, cb, arg);

    ev_io_init(&w->u.io, on_io, fd, EV_READ);
    w->u.io.data = w;
    ev_io_start(l->loop, &w->u.io);
    return w;
}

struct tloop_watch *
tloop_idle_new(struct tloop *l, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(l, WATCH_IDLE, cb, arg);

    ev_idle_init(&w->u.idle, on_idle);
    w->u.idle.data = w;
    ev_idle_start(l->loop, &w->u.idle);
    return w;
}

struct tloop_watch *
tloop_prepare_new(struct tloop *l, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(l, WATCH_PREPARE, cb, arg);

    ev_prepare_init(&w->u.prepare, on_prepare);
    w->u.prepare.data = w;
    ev_prepare_start(l->loop, &w->u.prepare);
    return w;
}

struct tloop_watch *
tloop_wakeup_new(struct tloop *l, tloop_fn cb, void *arg)
{
    struct tloop_watch *w = watch_new(l, WATCH_WAKEUP, cb, arg);

    ev_async_init(&w->u.async, on_async);
    w->u.async.data = w;
    ev_async_start(l->loop, &w->u.async);
    return w;
}

void
tloop_wakeup_send(struct tloop_watch *w)
{
    ev_async_send(w->l->loop, &w->u.async);
}

void
tloop_watch_unref(struct tloop_watch *w)
{
    w->unref = 1;
    take_ref(w);
}

void
tloop_watch_stop(struct tloop_watch *w)
{
    give_back_ref(w);
    switch (w->kind) {
    case WATCH_TIMER:
        ev_timer_stop(w->l->loop, &w->u.timer);
        break;
    case WATCH_READER:
        ev_io_stop(w->l->loop, &w->u.io);
        break;
    case WATCH_IDLE:
        ev_idle_stop(w->l->loop, &w->u.idle);
        break;
    case WATCH_PREPARE:
        ev_prepare_stop(w->l->loop, &w->u.prepare);
        break;
    case WATCH_WAKEUP:
        ev_async_stop(w->l->loop, &w->u.async);
        break;
    }
}

void
tloop_watch_free(struct tloop_watch *w)
{
    tloop_watch_stop(w);
    free(w);
}

void
tloop_add_extra_tests(Suite *s)
{
    (void)s; /* every test is in attached.c */
}
