/* SPDX-License-Identifier: MIT */
/* The single-threaded executor: runtime loop, tasks, wakers, scopes, coop budget. */
#include "internal.h"

#include <pthread.h>
#include <string.h>

/*
 * A task is one allocation: this header, then the future, moved in by
 * fut_spawn(). `state` packs the flags below and a reference count (in
 * units of REF_ONE) into one word, so that scheduling is one CAS: a wake
 * sets SCHEDULED and takes a reference for the run queue in the same step,
 * and a wake of a task that is already queued or finished is a load and a
 * branch.
 *
 * References are held by: the runtime while the task is unfinished (the
 * "live" reference), the run queue while SCHEDULED, the join handle, and
 * every waker clone.
 */
enum {
    TASK_SCHEDULED = 1u << 0,
    TASK_COMPLETE = 1u << 1,
    TASK_ABORT = 1u << 2,
    REF_SHIFT = 6
};
#define REF_ONE ((uintptr_t)1 << REF_SHIFT)
#define REF_MASK (~(REF_ONE - 1))

enum { TASK_CALLER_STORAGE = 1u << 0, TASK_CANCELLED = 1u << 1 };

struct rt;

struct fut_task {
    uintptr_t state;
    struct fut_task *next;              /* run queue or remote queue */
    struct rt *rt;
    struct fut_task *live_prev, *live_next;
    struct fut_scope *scope;
    struct fut_task *scope_prev, *scope_next;
    struct fut_waker join_waker;
    int result;
    unsigned int flags;
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
    struct fut_task *run_head, *run_tail;
    struct fut_task *live;
    size_t ntasks;
    size_t io_count;
    struct fut_io *ios;             /* live registrations */
    /* Cross-thread wakes: a locked list, and a flag that makes the first
     * wake of a batch ring the backend's doorbell. */
    pthread_mutex_t remote_lock;
    struct fut_task *remote_head, *remote_tail;
    unsigned int notified;
    unsigned int main_woken;
    struct fut__wheel wheel;
};

_Static_assert(sizeof(struct rt) <= FUT_RUNTIME_SIZE,
               "FUT_RUNTIME_SIZE too small");

/* The runtime the calling thread is running, to tell local wakes (a plain
 * queue push) from remote ones. Never used to find a runtime for a future:
 * futures get theirs from the context. */
static _Thread_local struct rt *tls_rt;

static struct rt *
rt_of(const struct fut_runtime *r)
{
    struct rt *rt;

    if (r == NULL)
        return NULL;
    rt = (struct rt *)(void *)r->opaque.bytes_;
    return rt->magic == RT_MAGIC ? rt : NULL;
}

static struct fut_future *
task_future(struct fut_task *t)
{
    return (struct fut_future *)(void *)((char *)t + FUT_TASK_HEADER_SIZE);
}

/* ---- references ----------------------------------------------------------- */

static void
task_ref(struct fut_task *t)
{
    __atomic_fetch_add(&t->state, REF_ONE, __ATOMIC_RELAXED);
}

static void
task_unref(struct fut_task *t)
{
    uintptr_t prev = __atomic_fetch_sub(&t->state, REF_ONE, __ATOMIC_ACQ_REL);

    if ((prev & REF_MASK) == REF_ONE && !(t->flags & TASK_CALLER_STORAGE))
        fut__free(t);
}

/* ---- queues -------------------------------------------------------------- */

static void
push_local(struct rt *rt, struct fut_task *t)
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
    if (FUT__UNLIKELY(rt->attached) && !rt->running &&
        !rt->schedule_pending && fut__backend_has_schedule(rt->bevt)) {
        rt->schedule_pending = 1;
        fut__backend_schedule(rt->be);
    }
}

static struct fut_task *
pop_local(struct rt *rt)
{
    struct fut_task *t = rt->run_head;

    if (t != NULL) {
        rt->run_head = t->next;
        if (rt->run_head == NULL)
            rt->run_tail = NULL;
    }
    return t;
}

static void
rt_notify(struct rt *rt)
{
    if (!__atomic_exchange_n(&rt->notified, 1, __ATOMIC_SEQ_CST))
        (void)rt->bevt->notify(rt->be);
}

static void
push_remote(struct rt *rt, struct fut_task *t)
{
    t->next = NULL;
    pthread_mutex_lock(&rt->remote_lock);
    if (rt->remote_tail != NULL)
        rt->remote_tail->next = t;
    else
        __atomic_store_n(&rt->remote_head, t, __ATOMIC_SEQ_CST);
    rt->remote_tail = t;
    pthread_mutex_unlock(&rt->remote_lock);
    rt_notify(rt);
}

static void
drain_remote(struct rt *rt)
{
    struct fut_task *head;

    if (__atomic_load_n(&rt->remote_head, __ATOMIC_SEQ_CST) == NULL)
        return;
    pthread_mutex_lock(&rt->remote_lock);
    head = rt->remote_head;
    rt->remote_head = rt->remote_tail = NULL;
    pthread_mutex_unlock(&rt->remote_lock);
    while (head != NULL) {
        struct fut_task *next = head->next;

        push_local(rt, head);
        head = next;
    }
}

/* ---- the task waker ---------------------------------------------------------- */

static void
task_schedule(struct fut_task *t)
{
    uintptr_t s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);

    do {
        if (s & (TASK_SCHEDULED | TASK_COMPLETE))
            return; /* already queued, or nothing left to run */
    } while (!__atomic_compare_exchange_n(&t->state, &s,
                                          (s | TASK_SCHEDULED) + REF_ONE, 1,
                                          __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    if (tls_rt == t->rt)
        push_local(t->rt, t);
    else
        push_remote(t->rt, t);
}

static struct fut_waker task_waker_clone(const void *data);

static void
task_waker_wake(const void *data)
{
    struct fut_task *t = (struct fut_task *)data;

    task_schedule(t);
    task_unref(t);
}

static void
task_waker_wake_by_ref(const void *data)
{
    task_schedule((struct fut_task *)data);
}

static void
task_waker_drop(const void *data)
{
    task_unref((struct fut_task *)data);
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

/* ---- the block_on waker -------------------------------------------------------
 * It owns no reference: it is valid while the runtime lives, and the
 * future polled by fut_block_on() drops its clones when it is dropped. */

static struct fut_waker main_waker_clone(const void *data);

static void
main_waker_wake_by_ref(const void *data)
{
    struct rt *rt = (struct rt *)data;

    __atomic_store_n(&rt->main_woken, 1, __ATOMIC_SEQ_CST);
    if (tls_rt != rt)
        rt_notify(rt);
}

static void
main_waker_drop(const void *data)
{
    FUT__UNUSED(data);
}

static const struct fut_waker_vtable main_waker_vtable = {
    .clone = main_waker_clone,
    .wake = main_waker_wake_by_ref,
    .wake_by_ref = main_waker_wake_by_ref,
    .drop = main_waker_drop,
};

static struct fut_waker
main_waker_clone(const void *data)
{
    struct fut_waker w = { &main_waker_vtable, data };

    return w;
}

/* ---- completion ------------------------------------------------------------------ */

static void scope_task_done(struct fut_task *t);

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
        scope_task_done(t);
    fut_waker_take_wake(&t->join_waker);
    task_unref(t); /* the live reference */
}

static void
task_cancel(struct rt *rt, struct fut_task *t)
{
    fut_future_drop(task_future(t));
    t->flags |= TASK_CANCELLED;
    task_complete(rt, t, -ECANCELED);
}

static void
task_run(struct rt *rt, struct fut_task *t)
{
    uintptr_t s = __atomic_fetch_and(&t->state, ~(uintptr_t)TASK_SCHEDULED,
                                     __ATOMIC_ACQ_REL);

    if (!(s & TASK_COMPLETE)) {
        if (s & TASK_ABORT) {
            task_cancel(rt, t);
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
                task_cancel(rt, t);
            }
        }
    }
    task_unref(t); /* the run queue's reference */
}

/* ---- the loop ------------------------------------------------------------------ */

/* One turn of the backend: block until I/O, a wake or the next timer when
 * @block, else just collect what is ready; then fire due timers and pick
 * up cross-thread wakes. */
static int
rt_turn(struct rt *rt, int block)
{
    int64_t deadline = 0;
    int err;

    if (block) {
        /* Clear the doorbell flag before the last look at the remote queue:
         * a wake that comes after this look sees the flag clear and rings,
         * so the turn cannot sleep through it. */
        __atomic_store_n(&rt->notified, 0, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&rt->remote_head, __ATOMIC_SEQ_CST) == NULL &&
            !__atomic_load_n(&rt->main_woken, __ATOMIC_SEQ_CST))
            deadline = fut__wheel_next_deadline(&rt->wheel);
    }
    err = rt->bevt->turn(rt->be, deadline);
    if (rt->wheel.count > 0)
        fut__wheel_advance(&rt->wheel, fut_now_ns());
    drain_remote(rt);
    return err;
}

enum { MODE_BLOCK_ON, MODE_RUN, MODE_STALLED };

static int
rt_loop(struct rt *rt, struct fut_future *main, int mode)
{
    struct fut_waker mw = { &main_waker_vtable, NULL };
    struct fut_context mcx = { &mw, NULL };
    struct rt *prev_tls = tls_rt;
    unsigned int since_turn = 0;
    /* The last task queued when the reactor was last looked at: the next
     * look waits until it ran (see below). Never dereferenced. */
    const struct fut_task *round_end = NULL;
    int err = 0, polls = 0;

    if (rt->running || rt->closing)
        return -EBUSY;
    rt->running = 1;
    tls_rt = rt;
    mw.data = rt;
    mcx.rt = (struct fut_runtime *)(void *)rt;
    if (main != NULL)
        __atomic_store_n(&rt->main_woken, 1, __ATOMIC_SEQ_CST);
    drain_remote(rt);
    for (;;) {
        unsigned int n = 0;
        struct fut_task *t;

        if (main != NULL &&
            __atomic_exchange_n(&rt->main_woken, 0, __ATOMIC_SEQ_CST)) {
            rt->budget = rt->budget_init;
            if (fut_future_poll(main, &mcx) == FUT_READY)
                break;
        }
        if (mode == MODE_RUN && rt->ntasks == 0)
            break;
        while (n < rt->interval && (t = pop_local(rt)) != NULL) {
            if (t == round_end)
                round_end = NULL;
            task_run(rt, t);
            n++;
        }
        polls += (int)n;
        since_turn += n;
        drain_remote(rt);
        if (rt->run_head != NULL ||
            (main != NULL && __atomic_load_n(&rt->main_woken,
                                             __ATOMIC_SEQ_CST))) {
            /* Still busy: look at the reactor now and then anyway, so a
             * stream of ready tasks cannot starve I/O and timers: after
             * `interval` polls, once every task that was queued at the
             * last look has run. Looking again sooner would report again
             * the descriptors of tasks that were woken and have not run
             * yet: nothing for an edge-triggered backend, but with a
             * level-triggered one (libuv, libev) the kernel and the loop
             * walk them all once more, and at 512 busy connections that
             * was a fifth of the CPU. A task that yields is queued behind
             * the others, so each round still ends. */
            if (since_turn >= rt->interval && round_end == NULL) {
                since_turn = 0;
                if ((err = rt_turn(rt, 0)) != 0)
                    break;
                round_end = rt->run_tail;
            }
            continue;
        }
        round_end = NULL;
        since_turn = 0;
        if (mode == MODE_STALLED) {
            if ((err = rt_turn(rt, 0)) != 0 || rt->run_head == NULL)
                break;
            continue;
        }
        if (mode == MODE_RUN && rt->ntasks == 0)
            break;
        if ((err = rt_turn(rt, 1)) != 0)
            break;
    }
    tls_rt = prev_tls;
    rt->running = 0;
    /* An attached runtime driven by fut_block_on() may leave tasks queued;
     * the loop's own hook must pick them up, so ask for it as push_local()
     * would have. */
    if (rt->attached && rt->run_head != NULL && !rt->schedule_pending &&
        fut__backend_has_schedule(rt->bevt)) {
        rt->schedule_pending = 1;
        fut__backend_schedule(rt->be);
    }
    if (err != 0)
        return err;
    return mode == MODE_STALLED ? polls : 0;
}

/* ---- public: runtime ---------------------------------------------------------- */

int
fut_runtime_init(struct fut_runtime *r, const struct fut_backend_vtable *bevt,
                 const struct fut_runtime_config *cfg)
{
    struct rt *rt;
    struct fut_backend *be;
    void *loop;
    int err;

    if (r == NULL || bevt == NULL || !fut__backend_vtable_ok(bevt) ||
        bevt->size < sizeof(struct fut_backend) || bevt->init == NULL ||
        bevt->fini == NULL || bevt->io_start == NULL ||
        bevt->io_stop == NULL || bevt->notify == NULL || bevt->turn == NULL)
        return -EINVAL;
    if (cfg != NULL && cfg->version > 1)
        return -EINVAL;
    loop = cfg != NULL && cfg->backend != NULL ? cfg->backend->loop : NULL;
    if (loop != NULL && bevt->attach == NULL)
        return -ENOTSUP;
    rt = (struct rt *)(void *)r->opaque.bytes_;
    memset(rt, 0, sizeof *rt);
    be = fut__calloc(1, bevt->size);
    if (be == NULL)
        return -ENOMEM;
    be->vtable = bevt;
    be->rt = r;
    err = bevt->init(be, cfg != NULL ? cfg->backend : NULL);
    if (err != 0) {
        fut__free(be);
        return err < 0 ? err : -EIO;
    }
    rt->be = be;
    rt->bevt = bevt;
    rt->budget_init = cfg != NULL && cfg->budget != 0 ? cfg->budget : 128;
    rt->interval = cfg != NULL && cfg->event_interval != 0
                       ? cfg->event_interval
                       : 61;
    pthread_mutex_init(&rt->remote_lock, NULL);
    fut__wheel_init(&rt->wheel, fut_now_ns());
    rt->magic = RT_MAGIC;
    if (loop != NULL) {
        rt->attached = 1;
        err = bevt->attach(be, loop);
        if (err != 0) {
            rt->magic = 0;
            bevt->fini(be);
            fut__free(be);
            pthread_mutex_destroy(&rt->remote_lock);
            return err < 0 ? err : -EIO;
        }
    }
    return 0;
}

int
fut_runtime_init_attached(struct fut_runtime *r,
                          const struct fut_backend_vtable *bevt, void *loop)
{
    struct fut_backend_config bc;
    struct fut_runtime_config cfg;

    if (r == NULL || bevt == NULL || loop == NULL)
        return -EINVAL;
    memset(&bc, 0, sizeof bc);
    memset(&cfg, 0, sizeof cfg);
    bc.version = 1;
    bc.loop = loop;
    cfg.version = 1;
    cfg.backend = &bc;
    return fut_runtime_init(r, bevt, &cfg);
}

int
fut_runtime_attached_run(struct fut_runtime *r, int64_t *next_deadline_ns)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;
    struct rt *prev_tls;
    struct fut_task *t;
    unsigned int n = 0;
    int more;

    if (next_deadline_ns != NULL)
        *next_deadline_ns = -1;
    if (rt == NULL || !rt->attached)
        return -EINVAL;
    if (rt->running || rt->closing)
        return -EBUSY;
    rt->running = 1;
    prev_tls = tls_rt;
    tls_rt = rt;
    rt->schedule_pending = 0;
    /* As before a blocking turn: clear the doorbell flag first, so a wake
     * racing with this run rings again and brings the loop back. */
    __atomic_store_n(&rt->notified, 0, __ATOMIC_SEQ_CST);
    drain_remote(rt);
    if (rt->wheel.count > 0)
        fut__wheel_advance(&rt->wheel, fut_now_ns());
    while (n < rt->interval && (t = pop_local(rt)) != NULL) {
        task_run(rt, t);
        n++;
    }
    drain_remote(rt);
    more = rt->run_head != NULL;
    if (next_deadline_ns != NULL)
        *next_deadline_ns = fut__wheel_next_deadline(&rt->wheel);
    tls_rt = prev_tls;
    rt->running = 0;
    return more;
}

int
fut_runtime_close(struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;
    struct rt *prev_tls = tls_rt;
    struct fut_task *t;

    if (rt == NULL)
        return -EINVAL;
    if (rt->running || rt->closing)
        return -EBUSY;
    rt->closing = 1;
    /* Drops may wake other tasks of this runtime: keep those wakes local. */
    tls_rt = rt;
    while (rt->live != NULL)
        task_cancel(rt, rt->live);
    drain_remote(rt);
    while ((t = pop_local(rt)) != NULL) {
        __atomic_fetch_and(&t->state, ~(uintptr_t)TASK_SCHEDULED,
                           __ATOMIC_ACQ_REL);
        task_unref(t);
    }
    tls_rt = prev_tls;
    fut__wheel_fini(&rt->wheel);
    /* I/O objects that outlive the runtime are deregistered here, so that
     * closing them later does not reach the freed backend; they may bind
     * to another runtime afterwards. */
    while (rt->ios != NULL) {
        struct fut_io *io = rt->ios;

        rt->bevt->io_stop(rt->be, io);
        fut__runtime_io_unlink(r, io);
        io->rt = NULL;
        io->interest = 0;
        io->ready = 0;
        io->flags = 0;
        fut_waker_drop(&io->read_waker);
        fut_waker_drop(&io->write_waker);
    }
    rt->bevt->fini(rt->be);
    fut__free(rt->be);
    pthread_mutex_destroy(&rt->remote_lock);
    rt->magic = 0;
    return 0;
}

int
fut_block_on(struct fut_runtime *r, struct fut_future *f)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;

    if (rt == NULL || f == NULL)
        return -EINVAL;
    if (f->vtable == NULL)
        return 0; /* a dropped (or finished-and-dropped) future is done */
    return rt_loop(rt, f, MODE_BLOCK_ON);
}

int
fut_runtime_run(struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;

    if (rt == NULL)
        return -EINVAL;
    return rt_loop(rt, NULL, MODE_RUN);
}

int
fut_runtime_run_until_stalled(struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;

    if (rt == NULL)
        return -EINVAL;
    return rt_loop(rt, NULL, MODE_STALLED);
}

size_t
fut_runtime_task_count(const struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;

    return rt != NULL ? rt->ntasks : 0;
}

const char *
fut_runtime_backend_name(const struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;

    return rt != NULL ? rt->bevt->name : NULL;
}

int
fut_coop_proceed(struct fut_context *cx)
{
    struct rt *rt;

    if (cx == NULL || cx->rt == NULL)
        return 1;
    rt = (struct rt *)(void *)cx->rt->opaque.bytes_;
    if (!rt->running)
        return 1;
    if (rt->budget == 0) {
        fut_waker_wake_by_ref(cx->waker);
        return 0;
    }
    rt->budget--;
    return 1;
}

/* ---- internal accessors ----------------------------------------------------------- */

struct fut_backend *
fut__runtime_backend(struct fut_runtime *r)
{
    return ((struct rt *)(void *)r->opaque.bytes_)->be;
}

void *
fut__runtime_enter(struct fut_runtime *r)
{
    struct rt *prev = tls_rt;

    tls_rt = (struct rt *)(void *)r->opaque.bytes_;
    return prev;
}

void
fut__runtime_leave(void *prev)
{
    tls_rt = prev;
}

int
fut__runtime_is_current(const struct fut_runtime *r)
{
    return tls_rt == (const struct rt *)(const void *)r->opaque.bytes_;
}

size_t
fut__runtime_io_count(const struct fut_runtime *r)
{
    return ((const struct rt *)(const void *)r->opaque.bytes_)->io_count;
}

void
fut__runtime_io_link(struct fut_runtime *r, struct fut_io *io)
{
    struct rt *rt = (struct rt *)(void *)r->opaque.bytes_;

    io->rt_prev = NULL;
    io->rt_next = rt->ios;
    if (rt->ios != NULL)
        rt->ios->rt_prev = io;
    rt->ios = io;
    rt->io_count++;
}

void
fut__runtime_io_unlink(struct fut_runtime *r, struct fut_io *io)
{
    struct rt *rt = (struct rt *)(void *)r->opaque.bytes_;

    if (io->rt_prev != NULL)
        io->rt_prev->rt_next = io->rt_next;
    else
        rt->ios = io->rt_next;
    if (io->rt_next != NULL)
        io->rt_next->rt_prev = io->rt_prev;
    io->rt_prev = io->rt_next = NULL;
    rt->io_count--;
}

size_t
fut__runtime_timer_count(const struct fut_runtime *r)
{
    return ((const struct rt *)(const void *)r->opaque.bytes_)->wheel.count;
}

struct fut__wheel *
fut__runtime_wheel(struct fut_runtime *r)
{
    return &((struct rt *)(void *)r->opaque.bytes_)->wheel;
}

/* ---- public: tasks ---------------------------------------------------------------- */

static void scope_link(struct fut_scope *s, struct fut_task *t);

static int
spawn(struct rt *rt, struct fut_scope *scope, void *storage,
      size_t storage_size, struct fut_future *f, size_t size,
      struct fut_task **handle)
{
    struct fut_task *t;
    uintptr_t refs = 2; /* live + run queue */

    if (handle != NULL)
        *handle = NULL;
    if (rt == NULL || f == NULL || f->vtable == NULL ||
        size < sizeof(struct fut_future) || size > FUT__MAX_SIZE)
        return -EINVAL;
    if (rt->running && tls_rt != rt)
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
    memset(t, 0, sizeof *t);
    memcpy(task_future(t), f, size);
    t->rt = rt;
    t->flags = storage != NULL ? TASK_CALLER_STORAGE : 0;
    if (handle != NULL)
        refs++;
    __atomic_store_n(&t->state, TASK_SCHEDULED | refs * REF_ONE,
                     __ATOMIC_RELEASE);
    t->live_next = rt->live;
    if (rt->live != NULL)
        rt->live->live_prev = t;
    rt->live = t;
    rt->ntasks++;
    if (scope != NULL)
        scope_link(scope, t);
    push_local(rt, t);
    if (handle != NULL)
        *handle = t;
    return 0;
}

int
fut_spawn(struct fut_runtime *r, struct fut_future *f, size_t size,
          struct fut_task **handle)
{
    return spawn(r != NULL ? rt_of(r) : NULL, NULL, NULL, 0, f, size, handle);
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
    return spawn(r != NULL ? rt_of(r) : NULL, NULL, storage, storage_size,
                 f, size, handle);
}

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
        task_schedule(t);
    return 0;
}

void
fut_task_detach(struct fut_task *t)
{
    if (t != NULL)
        task_unref(t);
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

/* ---- scopes ------------------------------------------------------------------------ */

static void
scope_link(struct fut_scope *s, struct fut_task *t)
{
    struct fut_task *head = s->tasks;

    t->scope = s;
    t->scope_prev = NULL;
    t->scope_next = head;
    if (head != NULL)
        head->scope_prev = t;
    s->tasks = t;
    s->count++;
}

static void
scope_unlink(struct fut_task *t)
{
    struct fut_scope *s = t->scope;

    if (t->scope_prev != NULL)
        t->scope_prev->scope_next = t->scope_next;
    else
        s->tasks = t->scope_next;
    if (t->scope_next != NULL)
        t->scope_next->scope_prev = t->scope_prev;
    t->scope = NULL;
    t->scope_prev = t->scope_next = NULL;
    s->count--;
}

static void
scope_abort_all(struct fut_scope *s)
{
    struct fut_task *t;

    for (t = s->tasks; t != NULL; t = t->scope_next)
        fut_task_abort(t);
}

static void
scope_task_done(struct fut_task *t)
{
    struct fut_scope *s = t->scope;

    scope_unlink(t);
    if (t->result < 0 && !(t->flags & TASK_CANCELLED) &&
        s->first_error == 0) {
        s->first_error = t->result;
        if (s->flags & FUT_SCOPE_CANCEL_ON_ERROR)
            scope_abort_all(s);
    }
    if (s->count == 0)
        fut_waker_take_wake(&s->waiter);
}

int
fut_scope_init(struct fut_scope *s, struct fut_runtime *r, unsigned int flags)
{
    if (s == NULL || r == NULL || rt_of(r) == NULL ||
        (flags & ~(unsigned int)FUT_SCOPE_CANCEL_ON_ERROR) != 0)
        return -EINVAL;
    memset(s, 0, sizeof *s);
    s->rt = r;
    s->flags = flags;
    return 0;
}

int
fut_scope_spawn(struct fut_scope *s, struct fut_future *f, size_t size,
                struct fut_task **handle)
{
    if (s == NULL || s->rt == NULL) {
        if (handle != NULL)
            *handle = NULL;
        return -EINVAL;
    }
    if (s->closed) {
        if (handle != NULL)
            *handle = NULL;
        return -ESHUTDOWN;
    }
    return spawn(rt_of(s->rt), s, NULL, 0, f, size, handle);
}

size_t
fut_scope_count(const struct fut_scope *s)
{
    return s != NULL ? s->count : 0;
}

int
fut_scope_first_error(const struct fut_scope *s)
{
    return s != NULL ? s->first_error : -EINVAL;
}

static enum fut_poll
scope_wait_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_scope_wait *w = (struct fut_scope_wait *)f;
    struct fut_scope *s = w->scope;

    if (w->close && !s->closed) {
        s->closed = 1;
        scope_abort_all(s);
    }
    if (s->count == 0) {
        fut_waker_drop(&s->waiter);
        w->result = s->first_error;
        w->scope = NULL;
        return FUT_READY;
    }
    fut_waker_set(&s->waiter, cx->waker);
    return FUT_PENDING;
}

static void
scope_wait_drop(struct fut_future *f)
{
    struct fut_scope_wait *w = (struct fut_scope_wait *)f;
    struct fut_scope *s = w->scope;

    if (s == NULL)
        return; /* finished */
    fut_waker_drop(&s->waiter);
    if (w->close) {
        /* Closing without waiting (even if never polled): abort what is
         * left, then cut the tasks loose, since they finish on their own
         * and the scope's storage may go as soon as we return. */
        if (!s->closed) {
            s->closed = 1;
            scope_abort_all(s);
        }
        while (s->tasks != NULL)
            scope_unlink(s->tasks);
    }
}

static int
scope_wait_result(const struct fut_future *f)
{
    return ((const struct fut_scope_wait *)f)->result;
}

static const struct fut_future_vtable scope_wait_vtable = {
    .poll = scope_wait_poll,
    .drop = scope_wait_drop,
    .result = scope_wait_result,
};

static int
scope_wait_init(struct fut_scope_wait *w, struct fut_scope *s, int close)
{
    if (w == NULL || s == NULL || s->rt == NULL)
        return -EINVAL;
    w->base.vtable = &scope_wait_vtable;
    w->scope = s;
    w->close = close;
    w->result = 0;
    return 0;
}

int
fut_scope_join_init(struct fut_scope_wait *w, struct fut_scope *s)
{
    return scope_wait_init(w, s, 0);
}

int
fut_scope_close_init(struct fut_scope_wait *w, struct fut_scope *s)
{
    return scope_wait_init(w, s, 1);
}
