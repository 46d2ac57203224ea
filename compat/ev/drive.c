/* SPDX-License-Identifier: MIT */
/* compat/ev: a foreign libev loop, driven as a future by a runtime on any backend. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <futures.h>
#include <futures/compat-ev-drive.h>

/*
 * The scheme is the one libev's manual describes for a loop shared between
 * threads ("THREAD LOCKING EXAMPLE"), with the roles fixed: our thread
 * only waits, the runtime's thread runs every callback.
 *
 *   drive thread                         runtime thread (the task's poll)
 *   lock; ev_run(loop, 0)
 *     release hook: unlock
 *     ... the backend's poll blocks ...
 *     acquire hook: lock
 *     invoke hook (callbacks pending):
 *       pending = 1; wake the task
 *       wait on cv (unlocks)  --------->  lock
 *                                         ev_invoke_pending(loop)
 *                                         pending = 0; signal cv
 *       <---------------------------------  unlock
 *     ... next iteration ...
 *   ev_run returned: done = 1; wake; unlock   join; READY
 *
 * libev calls the three hooks on the thread that runs ev_run(), our
 * thread, so that thread finds its state through a thread-local pointer
 * and the loop's userdata stays the component's. The lock is recursive
 * so that a callback (run under it by the task) may call
 * fut_ev_drive_lock() itself.
 *
 * An ev_async watcher of ours in the loop wakes the thread's poll: from
 * fut_ev_drive_unlock() (the program changed the loop) and from drop.
 * It is unreferenced (ev_unref() after start, ev_ref() before stop, as
 * libev's manual asks for internal watchers), so it never keeps ev_run()
 * from returning on its own.
 */

struct fut__evd {
    pthread_mutex_t lock;   /* the loop's: held by whoever touches it */
    pthread_cond_t cv;      /* the thread waits here for the invoke */
    pthread_t thread;
    struct ev_loop *loop;
    struct ev_async kick;
    struct fut_waker waker; /* the task's, under @lock */
    int has_waker;
    int pending;            /* callbacks wait for the task */
    int stop;               /* drop: leave ev_run() */
    int done;               /* ev_run() returned */
    int running;            /* the thread was started and not joined */
    int hooked;             /* the loop's hooks and @kick are ours */
};

static _Thread_local struct fut__evd *tls_evd;

static void
wake_task(struct fut__evd *st)
{
    if (st->has_waker)
        fut_waker_wake_by_ref(&st->waker);
}

/* ---- the loop's hooks, on the drive's thread -------------------------------- */

static void
hook_release(struct ev_loop *loop)
{
    (void)loop;
    pthread_mutex_unlock(&tls_evd->lock);
}

static void
hook_acquire(struct ev_loop *loop)
{
    (void)loop;
    pthread_mutex_lock(&tls_evd->lock);
}

static void
hook_invoke(struct ev_loop *loop)
{
    struct fut__evd *st = tls_evd;

    /* libev calls this at the end of every iteration, pending or not,
     * after its poll. A drop's ev_break() cannot be trusted to survive
     * the poll: libev built with assertions (Debian's is) overwrites the
     * loop's break state around backend_poll() for its recursion check.
     * Breaking here, after that, is what ends ev_run(). */
    if (st->stop) {
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    if (ev_pending_count(loop) == 0)
        return;
    st->pending = 1;
    wake_task(st);
    while (st->pending && !st->stop)
        pthread_cond_wait(&st->cv, &st->lock);
    /* On stop, what was pending stays pending in the loop: whoever runs
     * it next invokes it. */
    if (st->stop)
        ev_break(loop, EVBREAK_ALL);
}

static void
kick_cb(struct ev_loop *loop, struct ev_async *w, int revents)
{
    /* Waking the poll was the point. */
    (void)loop;
    (void)w;
    (void)revents;
}

static void *
drive_thread(void *arg)
{
    struct fut__evd *st = arg;

    tls_evd = st;
    pthread_mutex_lock(&st->lock);
    if (!st->stop)
        ev_run(st->loop, 0);
    st->done = 1;
    wake_task(st);
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

/* ---- the future ---------------------------------------------------------------- */

/* Put the loop back as it was before the first poll (the thread is gone). */
static void
unhook(struct fut__evd *st)
{
    if (!st->hooked)
        return;
    ev_set_invoke_pending_cb(st->loop, ev_invoke_pending);
    ev_set_loop_release_cb(st->loop, NULL, NULL);
    ev_ref(st->loop);
    ev_async_stop(st->loop, &st->kick);
    st->hooked = 0;
}

static void
join_thread(struct fut__evd *st)
{
    if (st->running) {
        pthread_join(st->thread, NULL);
        st->running = 0;
    }
}

static void
state_free(struct fut__evd *st)
{
    unhook(st);
    if (st->has_waker)
        fut_waker_drop(&st->waker);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* First poll: the state, the hooks, the thread. 0 or -errno. */
static int
start(struct fut_ev_drive *d)
{
    struct fut__evd *st = calloc(1, sizeof *st);
    pthread_mutexattr_t ma;
    int err;

    if (st == NULL)
        return -ENOMEM;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&st->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_cond_init(&st->cv, NULL);
    st->loop = d->loop;
    ev_async_init(&st->kick, kick_cb);
    ev_async_start(st->loop, &st->kick);
    ev_unref(st->loop);
    ev_set_invoke_pending_cb(st->loop, hook_invoke);
    ev_set_loop_release_cb(st->loop, hook_release, hook_acquire);
    st->hooked = 1;
    err = pthread_create(&st->thread, NULL, drive_thread, st);
    if (err != 0) {
        state_free(st);
        return -err;
    }
    st->running = 1;
    d->st = st;
    return 0;
}

static enum fut_poll
drive_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_ev_drive *d = (struct fut_ev_drive *)f;
    struct fut__evd *st;
    int err;

    if (d->loop == NULL || d->res != 1)
        return FUT_READY;
    if (d->st == NULL && (err = start(d)) != 0) {
        d->res = err;
        return FUT_READY;
    }
    st = d->st;
    pthread_mutex_lock(&st->lock);
    if (!st->has_waker || !fut_waker_will_wake(&st->waker, cx->waker)) {
        if (st->has_waker)
            fut_waker_drop(&st->waker);
        st->waker = fut_waker_clone(cx->waker);
        st->has_waker = 1;
    }
    if (st->pending) {
        /* The component's callbacks, here, on the runtime's thread. */
        ev_invoke_pending(st->loop);
        st->pending = 0;
        pthread_cond_signal(&st->cv);
    }
    if (!st->done) {
        pthread_mutex_unlock(&st->lock);
        return FUT_PENDING;
    }
    pthread_mutex_unlock(&st->lock);
    join_thread(st);
    unhook(st);
    d->res = 0;
    return FUT_READY;
}

static void
drive_drop(struct fut_future *f)
{
    struct fut_ev_drive *d = (struct fut_ev_drive *)f;
    struct fut__evd *st = d->st;

    d->st = NULL;
    if (st == NULL)
        return;
    if (st->running) {
        pthread_mutex_lock(&st->lock);
        st->stop = 1;
        ev_break(st->loop, EVBREAK_ALL);
        ev_async_send(st->loop, &st->kick);
        pthread_cond_signal(&st->cv);
        pthread_mutex_unlock(&st->lock);
        join_thread(st);
    }
    state_free(st);
}

static int
drive_result(const struct fut_future *f)
{
    const struct fut_ev_drive *d = (const struct fut_ev_drive *)f;

    return d->res > 0 ? 0 : d->res;
}

static const struct fut_future_vtable drive_vtable = {
    drive_poll,
    drive_drop,
    drive_result,
};

int
fut_ev_drive_init(struct fut_ev_drive *f, struct ev_loop *loop)
{
    if (f == NULL)
        return -EINVAL;
    memset(f, 0, sizeof *f);
    f->base.vtable = &drive_vtable;
    f->loop = loop;
    /* 1 while the drive runs: a READY result is <= 0. */
    f->res = loop != NULL ? 1 : -EINVAL;
    return loop != NULL ? 0 : -EINVAL;
}

void
fut_ev_drive_lock(struct fut_ev_drive *f)
{
    if (f != NULL && f->st != NULL)
        pthread_mutex_lock(&f->st->lock);
}

void
fut_ev_drive_unlock(struct fut_ev_drive *f)
{
    struct fut__evd *st = f != NULL ? f->st : NULL;

    if (st == NULL)
        return;
    if (st->running && !st->done)
        ev_async_send(st->loop, &st->kick);
    pthread_mutex_unlock(&st->lock);
}
