/* SPDX-License-Identifier: MIT */
/* Tasks: references, the task waker, spawn (local and from any thread), abort, join. */
#include "rt.h"

#include <string.h>

/* ---- references ----------------------------------------------------------- */

static void
task_ref(struct fut_task *t)
{
    __atomic_fetch_add(&t->state, REF_ONE, __ATOMIC_RELAXED);
}

/* The task's reference to the shared part goes with its last reference:
 * counted in rt->local_refs when that happens on the thread running the
 * (open) runtime, atomically otherwise (see rt.h). */
void
fut__task_release(struct fut_task *t, struct fut_handle *sh,
                  int caller_storage)
{
    struct rt *cur;

    /* For caller storage, the caller may reuse the storage from now on
     * (fut_task_storage_busy() reads 0), so nothing in @t may be read. */
    if (!caller_storage)
        fut__free(t);
    cur = fut__tls_rt;
    if (cur != NULL && cur->shared == sh)
        cur->local_refs--;
    else
        fut__shared_unref(sh);
}

/* ---- scheduling ----------------------------------------------------------- */

void
fut__task_schedule(struct fut_task *t)
{
    uintptr_t s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
    struct rt *cur;

    do {
        if (s & (TASK_SCHEDULED | TASK_COMPLETE))
            return; /* already queued, or nothing left to run */
    } while (!__atomic_compare_exchange_n(&t->state, &s,
                                          (s | TASK_SCHEDULED) + REF_ONE, 1,
                                          __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    /* Local when this thread runs the task's runtime: compared through
     * the shared part, which (unlike the runtime's storage) cannot be
     * reused by another runtime while the task refers to it. */
    cur = fut__tls_rt;
    if (cur != NULL && cur->shared == t->shared) {
        fut__rt_push_local(cur, t);
    } else if (FUT__UNLIKELY(t->shared->attached) &&
               pthread_equal(t->shared->loop_thread, pthread_self()) &&
               !__atomic_load_n(&t->shared->closed, __ATOMIC_ACQUIRE)) {
        /* An attached runtime, woken on its loop's thread from outside
         * its hook: a callback of the program's (a libuv read callback, a
         * timer of its own) woke the task. That is a local wake, as one
         * from our own I/O callbacks is: queued here, and the loop is
         * asked to come back to the runtime before it blocks (push_local
         * does). Queued remotely instead, it would only ring the
         * doorbell, which does not hold the program's loop: a loop with
         * nothing else left to do would end with the task woken and not
         * run. Only this thread closes the runtime, so `closed` cannot
         * change under us. */
        fut__rt_push_local(t->shared->rt, t);
    } else if (fut__shared_push(t->shared, t) != 0) {
        /* The runtime closed: it cancels (or has cancelled) the task
         * itself; the queue's reference is ours to give back. */
        fut__task_unref(t);
    }
}

/* ---- the task waker ---------------------------------------------------------- */

static struct fut_waker task_waker_clone(const void *data);

static void
task_waker_wake(const void *data)
{
    struct fut_task *t = (struct fut_task *)data;

    fut__task_schedule(t);
    fut__task_unref(t);
}

static void
task_waker_wake_by_ref(const void *data)
{
    fut__task_schedule((struct fut_task *)data);
}

static void
task_waker_drop(const void *data)
{
    fut__task_unref((struct fut_task *)data);
}

static const struct fut_waker_vtable task_waker_vtable = {
    .clone = task_waker_clone,
    .wake = task_waker_wake,
    .wake_by_ref = task_waker_wake_by_ref,
    .drop = task_waker_drop,
};

static struct fut_waker
task_waker_clone(const void *data)
{
    struct fut_waker w = { &task_waker_vtable, data };

    task_ref((struct fut_task *)data);
    return w;
}

/* ---- completion ------------------------------------------------------------------ */

static void
task_complete(struct rt *rt, struct fut_task *t, int result)
{
    t->result = result;
    __atomic_fetch_or(&t->state, TASK_COMPLETE, __ATOMIC_ACQ_REL);
    if (t->live_prev != NULL)
        t->live_prev->live_next = t->live_next;
    else
        rt->live = t->live_next;
    if (t->live_next != NULL)
        t->live_next->live_prev = t->live_prev;
    t->live_prev = t->live_next = NULL;
    rt->ntasks--;
    if (t->scope != NULL)
        fut__scope_task_done(t);
    fut_waker_take_wake(&t->join_waker);
    fut__task_unref(t); /* the live reference */
}

void
fut__task_cancel(struct rt *rt, struct fut_task *t)
{
    fut_future_drop(task_future(t));
    t->flags |= TASK_CANCELLED;
    task_complete(rt, t, -ECANCELED);
}

void
fut__task_run(struct rt *rt, struct fut_task *t)
{
    uintptr_t s = __atomic_fetch_and(&t->state, ~(uintptr_t)TASK_SCHEDULED,
                                     __ATOMIC_ACQ_REL);

    if (!(s & TASK_COMPLETE)) {
        if (s & TASK_ABORT) {
            fut__task_cancel(rt, t);
        } else {
            struct fut_waker w = { &task_waker_vtable, t };
            struct fut_context cx = { &w, NULL };
            struct fut_future *f = task_future(t);

            cx.rt = (struct fut_runtime *)(void *)rt;
            rt->budget = rt->budget_init;
            if (fut_future_poll(f, &cx) == FUT_READY) {
                int result = fut_future_result(f);

                fut_future_drop(f);
                task_complete(rt, t, result);
            } else if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) &
                       TASK_ABORT) {
                fut__task_cancel(rt, t);
            }
        }
    }
    fut__task_unref(t); /* the run queue's reference */
}

/* ---- spawn ---------------------------------------------------------------------- */

static void
link_live(struct rt *rt, struct fut_task *t)
{
    t->live_prev = NULL;
    t->live_next = rt->live;
    if (rt->live != NULL)
        rt->live->live_prev = t;
    rt->live = t;
    rt->ntasks++;
}

void
fut__task_adopt(struct rt *rt, struct fut_task *t)
{
    t->flags &= (unsigned short)~TASK_NEW;
    t->rt = rt;
    link_live(rt, t);
}

static int
check_future(struct fut_future *f, size_t size)
{
    if (f == NULL || f->vtable == NULL || size < sizeof(struct fut_future) ||
        size > FUT__MAX_SIZE)
        return -EINVAL;
    return 0;
}

/* A new task holding @f, scheduled, with @refs references: the live one,
 * the queue's, and the handle's if there is one. */
static void
task_init(struct fut_task *t, struct fut_handle *sh, const void *prefix,
          size_t prefix_size, struct fut_future *f, size_t size,
          uintptr_t refs)
{
    memset(t, 0, sizeof *t);
    if (prefix_size > 0)
        memcpy(task_future(t), prefix, prefix_size);
    memcpy((char *)task_future(t) + prefix_size, f, size);
    t->shared = sh;
    __atomic_store_n(&t->state, TASK_SCHEDULED | refs * REF_ONE,
                     __ATOMIC_RELEASE);
}

/* Spawn on the runtime's thread. @scope is a struct fut_scope, or a struct
 * fut_join_set when @in_set. */
FUT__HIDDEN int fut__spawn(struct rt *rt, void *scope, int in_set,
                           void *storage, size_t storage_size,
                           struct fut_future *f, size_t size,
                           struct fut_task **handle);

/* Spawn on the runtime's thread; the task's future is @prefix_size bytes
 * of @prefix (a wrapper future, or nothing) followed by @f. */
static int
spawn_local(struct rt *rt, void *scope, int in_set, void *storage,
            size_t storage_size, const void *prefix, size_t prefix_size,
            struct fut_future *f, size_t size, struct fut_task **handle)
{
    struct fut_task *t;

    if (handle != NULL)
        *handle = NULL;
    if (rt == NULL || check_future(f, size) != 0)
        return -EINVAL;
    size += prefix_size;
    if (rt->running && fut__tls_rt != rt)
        return -EXDEV;
    if (rt->closing)
        return -ESHUTDOWN;
    if (storage != NULL) {
        if (storage_size < FUT_TASK_STORAGE_SIZE(size))
            return -ENOSPC;
        if ((uintptr_t)storage % _Alignof(max_align_t) != 0)
            return -EINVAL;
        t = storage;
    } else {
        t = fut__malloc(FUT_TASK_HEADER_SIZE + size);
        if (t == NULL)
            return -ENOMEM;
    }
    task_init(t, rt->shared, prefix, prefix_size, f, size - prefix_size,
              handle != NULL ? 3 : 2);
    t->rt = rt;
    rt->local_refs++;
    t->caller_storage = storage != NULL;
    link_live(rt, t);
    if (scope != NULL) {
        fut__scope_link(scope, t);
        if (in_set)
            t->flags |= TASK_IN_SET;
    }
    fut__rt_push_local(rt, t);
    if (handle != NULL)
        *handle = t;
    return 0;
}

int
fut__spawn(struct rt *rt, void *scope, int in_set, void *storage,
           size_t storage_size, struct fut_future *f, size_t size,
           struct fut_task **handle)
{
    return spawn_local(rt, scope, in_set, storage, storage_size, NULL, 0, f,
                       size, handle);
}

int
fut_spawn(struct fut_runtime *r, struct fut_future *f, size_t size,
          struct fut_task **handle)
{
    return fut__spawn(r != NULL ? rt_of(r) : NULL, NULL, 0, NULL, 0, f, size,
                      handle);
}

int
fut_spawn_in(struct fut_runtime *r, void *storage, size_t storage_size,
             struct fut_future *f, size_t size, struct fut_task **handle)
{
    if (storage == NULL) {
        if (handle != NULL)
            *handle = NULL;
        return -EINVAL;
    }
    return fut__spawn(r != NULL ? rt_of(r) : NULL, NULL, 0, storage,
                      storage_size, f, size, handle);
}

/* ---- spawn with a completion callback ------------------------------------------ */

/* The future of a fut_spawn_callback() task: this header, then the
 * caller's future, 16-aligned. */
struct done_wrap {
    struct fut_future base;
    void (*done)(void *data, int result);
    void *data;
    int result;
};
#define DONE_WRAP_SIZE ((sizeof(struct done_wrap) + 15u) & ~(size_t)15u)

static struct fut_future *
done_wrap_inner(struct done_wrap *w)
{
    return (struct fut_future *)(void *)((char *)w + DONE_WRAP_SIZE);
}

/* Calls the callback once; the inner future is gone by then, so the
 * callback may free what it pointed to. */
static void
done_wrap_fire(struct done_wrap *w, int result)
{
    void (*done)(void *, int) = w->done;

    w->done = NULL;
    if (done != NULL)
        done(w->data, result);
}

static enum fut_poll
done_wrap_poll(struct fut_future *f, struct fut_context *cx)
{
    struct done_wrap *w = (struct done_wrap *)f;
    struct fut_future *inner = done_wrap_inner(w);

    if (fut_future_poll(inner, cx) == FUT_PENDING)
        return FUT_PENDING;
    w->result = fut_future_result(inner);
    fut_future_drop(inner);
    done_wrap_fire(w, w->result);
    return FUT_READY;
}

static void
done_wrap_drop(struct fut_future *f)
{
    struct done_wrap *w = (struct done_wrap *)f;

    fut_future_drop(done_wrap_inner(w));
    done_wrap_fire(w, -ECANCELED);
}

static int
done_wrap_result(const struct fut_future *f)
{
    return ((const struct done_wrap *)f)->result;
}

static const struct fut_future_vtable done_wrap_vtable = {
    .poll = done_wrap_poll,
    .drop = done_wrap_drop,
    .result = done_wrap_result,
};

int
fut_spawn_callback(struct fut_runtime *r, struct fut_future *f, size_t size,
                   void (*done)(void *data, int result), void *data)
{
    unsigned char head[DONE_WRAP_SIZE];
    struct done_wrap w;

    if (done == NULL || size > FUT__MAX_SIZE - DONE_WRAP_SIZE)
        return -EINVAL;
    memset(head, 0, sizeof head);
    w.base.vtable = &done_wrap_vtable;
    w.done = done;
    w.data = data;
    w.result = 0;
    memcpy(head, &w, sizeof w);
    return spawn_local(r != NULL ? rt_of(r) : NULL, NULL, 0, NULL, 0, head,
                       sizeof head, f, size, NULL);
}

/* From any thread: the task is queued remotely, marked NEW, and linked
 * into the runtime by the runtime's thread when it takes the queue. Its
 * reference to the shared part is an atomic one. */
int
fut_handle_spawn(struct fut_handle *h, struct fut_future *f, size_t size,
                 struct fut_task **handle)
{
    struct fut_task *t;
    int err;

    if (handle != NULL)
        *handle = NULL;
    if (h == NULL || check_future(f, size) != 0)
        return -EINVAL;
    if (fut_handle_is_closed(h))
        return -ESHUTDOWN;
    t = fut__malloc(FUT_TASK_HEADER_SIZE + size);
    if (t == NULL)
        return -ENOMEM;
    task_init(t, h, NULL, 0, f, size, handle != NULL ? 3 : 2);
    t->flags = TASK_NEW;
    fut__shared_ref(h);
    err = fut__shared_push(h, t);
    if (err != 0) {
        /* Never queued: nobody else saw it. The caller's future stays
         * theirs, so the copy is freed without being dropped. */
        fut__free(t);
        fut__shared_unref(h);
        return err;
    }
    if (handle != NULL)
        *handle = t;
    return 0;
}

/* ---- handles ---------------------------------------------------------------------- */

int
fut_task_storage_busy(const void *storage)
{
    const struct fut_task *t = storage;

    if (t == NULL)
        return 0;
    return (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) & REF_MASK) != 0;
}

int
fut_task_abort(struct fut_task *t)
{
    uintptr_t s;

    if (t == NULL)
        return -EINVAL;
    s = __atomic_fetch_or(&t->state, TASK_ABORT, __ATOMIC_ACQ_REL);
    if (!(s & TASK_COMPLETE))
        fut__task_schedule(t);
    return 0;
}

void
fut_task_detach(struct fut_task *t)
{
    if (t != NULL)
        fut__task_unref(t);
}

int
fut_task_is_finished(const struct fut_task *t)
{
    return t != NULL &&
           (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) & TASK_COMPLETE);
}

int
fut_task_result(const struct fut_task *t)
{
    if (t == NULL)
        return -EINVAL;
    if (!fut_task_is_finished(t))
        return -EAGAIN;
    return t->result;
}

void *
fut_task_output(struct fut_task *t)
{
    if (!fut_task_is_finished(t) || (t->flags & TASK_CANCELLED))
        return NULL;
    return task_future(t);
}

/* ---- join ------------------------------------------------------------------------- */

static enum fut_poll
join_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_task_join *j = (struct fut_task_join *)f;

    if (j->task == NULL)
        return FUT_READY; /* finished earlier */
    if (fut_task_is_finished(j->task)) {
        j->result = j->task->result;
        /* Forget the task: the handle may be released before this future
         * is dropped, and a finished join must not touch it again. */
        j->task = NULL;
        return FUT_READY;
    }
    fut_waker_set(&j->task->join_waker, cx->waker);
    return FUT_PENDING;
}

static void
join_drop(struct fut_future *f)
{
    struct fut_task_join *j = (struct fut_task_join *)f;

    if (j->task != NULL && !fut_task_is_finished(j->task))
        fut_waker_drop(&j->task->join_waker);
}

static int
join_result(const struct fut_future *f)
{
    return ((const struct fut_task_join *)f)->result;
}

static const struct fut_future_vtable join_vtable = {
    .poll = join_poll,
    .drop = join_drop,
    .result = join_result,
};

int
fut_task_join_init(struct fut_task_join *j, struct fut_task *t)
{
    if (j == NULL || t == NULL)
        return -EINVAL;
    j->base.vtable = &join_vtable;
    j->task = t;
    j->result = -EAGAIN;
    return 0;
}
