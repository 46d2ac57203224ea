/* SPDX-License-Identifier: MIT */
/* The executor's private structures, shared by runtime.c, task.c, scope.c and notify.c. */
#ifndef FUTURES_RT_H
#define FUTURES_RT_H

#include "internal.h"

#include <pthread.h>

/*
 * The lifetime model (docs/architecture.md, "Lifetimes across threads").
 *
 * A runtime is two objects. `struct rt` lives in the caller's storage and
 * is touched by the runtime's own thread only. `struct fut_handle` is
 * allocated by init and holds everything another thread may touch: the
 * remote queue, the doorbell flag, the block_on waker's flag and the
 * pointer to the backend (whose notify is the doorbell). It is reference
 * counted and outlives fut_runtime_close() for as long as a task, a
 * waker, a handle or a notifier refers to it; close only marks it closed
 * (under its lock), after which a remote wake drops its reference instead
 * of queueing, and nothing rings the backend any more.
 *
 * Every task holds one reference to the shared part. To keep spawn and
 * task free free of atomics on the runtime's thread, those references are
 * counted in two places: `rt->local_refs` (a plain counter, changed only
 * on the runtime's thread while it is open) and `shared->refs` (atomic,
 * any thread), which starts at SHARED_BIAS for the runtime itself. A
 * reference may be taken in one and released in the other; the true count
 * is local_refs + refs - SHARED_BIAS. Close folds local_refs into refs and
 * gives back the bias, so refs alone counts from then on, and the thread
 * that brings it to zero frees the shared part. Before close refs cannot
 * reach zero (the bias is far larger than any number of tasks).
 */

#define SHARED_BIAS ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 2))

struct rt;
struct fut_task;

struct fut_handle {
    uintptr_t refs;                 /* atomic; see above */
    pthread_mutex_t lock;           /* remote queue, closed, be */
    struct fut_task *remote_head;   /* atomic read, written under lock */
    struct fut_task *remote_tail;
    int closed;                     /* under lock; also read atomically */
    unsigned int notified;          /* doorbell rung since the last look */
    unsigned int main_woken;        /* the block_on future was woken */
    unsigned int signalled;         /* a notifier was signalled */
    unsigned int signal_busy;       /* signal-safe rings in progress */
    struct fut_backend *be;         /* under lock; NULL once closed */
    const struct fut_backend_vtable *bevt;
    struct rt *rt;                  /* owner thread only */
    /* Attached runtimes: the thread that attached it, the loop's. A wake
     * on that thread outside the runtime's hook (a callback of the
     * program's loop) is a local one (fut__task_schedule()). Both set
     * before the shared part is published, never changed. */
    int attached;
    pthread_t loop_thread;
};

/* Task state: flags and a reference count (units of REF_ONE) in one word,
 * so that scheduling is one CAS. */
enum {
    TASK_SCHEDULED = 1u << 0,
    TASK_COMPLETE = 1u << 1,
    TASK_ABORT = 1u << 2,
    REF_SHIFT = 6
};
#define REF_ONE ((uintptr_t)1 << REF_SHIFT)
#define REF_MASK (~(REF_ONE - 1))

/* t->flags, written on the runtime's thread (TASK_NEW by the spawning
 * thread before the task is published). Read elsewhere only after
 * TASK_COMPLETE was seen (fut_task_output()). */
enum {
    TASK_CANCELLED = 1u << 1,
    TASK_NEW = 1u << 2,     /* spawned from another thread, not yet linked */
    TASK_IN_SET = 1u << 3   /* `scope` is a struct fut_join_set */
};

/*
 * A task is one allocation: this header, then the future. References are
 * held by the runtime while the task is unfinished (the "live" one), the
 * run queue while SCHEDULED, the join handle and every waker clone.
 */
struct fut_task {
    uintptr_t state;
    struct fut_task *next;              /* run queue or remote queue */
    struct rt *rt;
    struct fut_handle *shared;
    struct fut_task *live_prev, *live_next;
    void *scope;                        /* fut_scope or fut_join_set */
    struct fut_task *scope_prev, *scope_next;
    struct fut_waker join_waker;
    int result;
    unsigned short flags;
    /* Set at spawn, never changed: a field of its own, because the last
     * reference (any thread) reads it while the runtime's thread may be
     * writing `flags`. */
    unsigned short caller_storage;
};

_Static_assert(sizeof(struct fut_task) <= FUT_TASK_HEADER_SIZE,
               "FUT_TASK_HEADER_SIZE too small");
_Static_assert(FUT_TASK_HEADER_SIZE % 16 == 0,
               "the future after the header must stay aligned");

#define RT_MAGIC 0x66757452u /* "futR" */

struct rt {
    unsigned int magic;
    int running;
    int closing;
    int attached;          /* inside a loop the program runs */
    int schedule_pending;  /* attached: backend asked to call us soon */
    unsigned int budget, budget_init, interval;
    struct fut_backend *be;
    const struct fut_backend_vtable *bevt;
    struct fut_handle *shared;
    uintptr_t local_refs;  /* task references counted on this thread */
    struct fut_task *run_head, *run_tail;
    struct fut_task *live;
    size_t ntasks;
    size_t io_count;
    struct fut_io *ios;             /* live registrations */
    struct fut_notify *notifies;    /* notifiers bound to this runtime */
    struct fut__wheel wheel;
    struct fut__pool *pool;         /* blocking pool, started on first use */
    unsigned int pool_max;          /* its thread cap */
    unsigned int pool_idle_ms;      /* how long an idle thread lives */
    int hold;                       /* attached: the backend holds the loop */
    /* Spinning before a sleep (rt_park()): the longest window (0: never)
     * and the current one, both in ns. */
    int64_t spin_max_ns, spin_ns;
};

_Static_assert(sizeof(struct rt) <= FUT_RUNTIME_SIZE,
               "FUT_RUNTIME_SIZE too small");

/* The runtime the calling thread is running (runtime.c), to tell local
 * wakes (a plain queue push) from remote ones. Never used to find a
 * runtime for a future: futures get theirs from the context. */
extern FUT__HIDDEN _Thread_local struct rt *fut__tls_rt;

static inline struct rt *
rt_of(const struct fut_runtime *r)
{
    struct rt *rt;

    if (r == NULL)
        return NULL;
    rt = (struct rt *)(void *)r->opaque.bytes_;
    return rt->magic == RT_MAGIC ? rt : NULL;
}

static inline struct rt *
rt_raw(const struct fut_runtime *r)
{
    return (struct rt *)(void *)r->opaque.bytes_;
}

static inline struct fut_future *
task_future(struct fut_task *t)
{
    return (struct fut_future *)(void *)((char *)t + FUT_TASK_HEADER_SIZE);
}

/* ---- shared part (runtime.c) -------------------------------------------- */

/* Take or release one reference to @sh from any thread. */
FUT__HIDDEN void fut__shared_ref(struct fut_handle *sh);
FUT__HIDDEN void fut__shared_unref(struct fut_handle *sh);
/* Ring the doorbell once per batch; nothing once closed. Any thread. */
FUT__HIDDEN void fut__shared_notify(struct fut_handle *sh);
/* Queue @t (its run-queue reference taken) from another thread. Returns
 * 0, or -ESHUTDOWN when the runtime is closed (nothing queued). */
FUT__HIDDEN int fut__shared_push(struct fut_handle *sh, struct fut_task *t);

/* Attached and outside the runtime's hook: ask the loop to come back
 * (runtime.c). */
FUT__HIDDEN void fut__rt_request_schedule(struct rt *rt);

/* Append @t to the local run queue (runtime thread). Inline: every local
 * wake comes through here. */
static inline void
fut__rt_push_local(struct rt *rt, struct fut_task *t)
{
    t->next = NULL;
    if (rt->run_tail != NULL)
        rt->run_tail->next = t;
    else
        rt->run_head = t;
    rt->run_tail = t;
    /* Attached and outside our hook (an I/O callback of the loop woke the
     * task, or the program spawned it): ask the loop to come back to us
     * before it blocks. */
    if (FUT__UNLIKELY(rt->attached) && !rt->running && !rt->schedule_pending)
        fut__rt_request_schedule(rt);
}

/* ---- tasks (task.c) ----------------------------------------------------- */

/* The last reference to a task went (task.c): free it and release its
 * runtime's shared part. @sh and @caller_storage were read before the
 * count dropped (caller storage may be reused from then on). */
FUT__HIDDEN void fut__task_release(struct fut_task *t, struct fut_handle *sh,
                                   int caller_storage);

/* Release one reference to @t, from any thread. Inline: every wake,
 * waker drop and run takes this path, and it is one atomic unless the
 * reference was the last. */
static inline void
fut__task_unref(struct fut_task *t)
{
    struct fut_handle *sh = t->shared;
    int caller_storage = t->caller_storage;
    uintptr_t prev = __atomic_fetch_sub(&t->state, REF_ONE, __ATOMIC_ACQ_REL);

    if (FUT__UNLIKELY((prev & REF_MASK) == REF_ONE))
        fut__task_release(t, sh, caller_storage);
}

FUT__HIDDEN void fut__task_schedule(struct fut_task *t);
/* Poll @t once (or cancel it if aborted), then release the queue's ref. */
FUT__HIDDEN void fut__task_run(struct rt *rt, struct fut_task *t);
/* Drop @t's future and finish it with -ECANCELED. */
FUT__HIDDEN void fut__task_cancel(struct rt *rt, struct fut_task *t);
/* Link a task spawned from another thread into @rt (runtime thread). */
FUT__HIDDEN void fut__task_adopt(struct rt *rt, struct fut_task *t);

/* ---- scopes and join sets (scope.c) -------------------------------------- */

/* @t, a member of a scope or join set, finished. */
FUT__HIDDEN void fut__scope_task_done(struct fut_task *t);
FUT__HIDDEN void fut__scope_link(struct fut_scope *s, struct fut_task *t);

/* ---- the blocking pool (pool.c) ------------------------------------------ */

/* The pool of @rt, started if it was not (runtime thread): NULL and
 * *@err on failure. */
FUT__HIDDEN struct fut__pool *fut__rt_pool(struct rt *rt, int *err);
/* Attached: release the loop hold once the pool has no job left, queued or
 * running, whose completion the runtime has yet to hear of (runtime
 * thread; from fut_runtime_attached_run() and close). */
FUT__HIDDEN void fut__rt_pool_release_hold(struct rt *rt, int force);
/* fut_runtime_fork(): the child has no pool threads. Re-initialise the
 * pool's lock and condition variables, forget the parent's threads, and
 * finish every blocking job not finished at fork with -ECANCELED (see
 * fut_runtime_fork()); the next job starts a thread. Runtime thread. */
FUT__HIDDEN void fut__pool_fork(struct fut__pool *pool);
/* fut_runtime_fork(): give every signal listener of the process a
 * self-pipe of its own (once per process). 0 or -errno. */
FUT__HIDDEN int fut__signal_fork(void);

/* ---- notifiers (notify.c) ------------------------------------------------- */

/* Wake the waiters of signalled notifiers (runtime thread). */
FUT__HIDDEN void fut__notify_collect(struct rt *rt);
/* Runtime close: unbind every notifier still bound. */
FUT__HIDDEN void fut__notify_fini(struct rt *rt);

#endif /* FUTURES_RT_H */
