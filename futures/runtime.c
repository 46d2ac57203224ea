/* SPDX-License-Identifier: MIT */
/* The runtime: its shared part, the run loop, attached runs, close. */
#include "rt.h"

#include <limits.h>
#include <sched.h>
#include <string.h>

_Thread_local struct rt *fut__tls_rt;

/* ---- the shared part -------------------------------------------------------- */

static void
shared_free(struct fut_handle *sh)
{
    pthread_mutex_destroy(&sh->lock);
    fut__free(sh);
}

void
fut__shared_ref(struct fut_handle *sh)
{
    __atomic_fetch_add(&sh->refs, 1, __ATOMIC_RELAXED);
}

void
fut__shared_unref(struct fut_handle *sh)
{
    if (__atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) == 0)
        shared_free(sh);
}

/* Ring the backend, under the lock so that close cannot free the backend
 * under us; once per batch thanks to `notified`. */
void
fut__shared_notify(struct fut_handle *sh)
{
    if (__atomic_exchange_n(&sh->notified, 1, __ATOMIC_SEQ_CST))
        return;
    pthread_mutex_lock(&sh->lock);
    if (!sh->closed)
        (void)fut__backend_notify(sh->be);
    pthread_mutex_unlock(&sh->lock);
}

int
fut__shared_push(struct fut_handle *sh, struct fut_task *t)
{
    int ring;

    t->next = NULL;
    pthread_mutex_lock(&sh->lock);
    if (sh->closed) {
        pthread_mutex_unlock(&sh->lock);
        return -ESHUTDOWN;
    }
    if (sh->remote_tail != NULL)
        sh->remote_tail->next = t;
    else
        __atomic_store_n(&sh->remote_head, t, __ATOMIC_SEQ_CST);
    sh->remote_tail = t;
    ring = !__atomic_exchange_n(&sh->notified, 1, __ATOMIC_SEQ_CST);
    if (ring)
        (void)fut__backend_notify(sh->be);
    pthread_mutex_unlock(&sh->lock);
    return 0;
}

/* Take the remote queue (runtime thread). */
static struct fut_task *
shared_take(struct fut_handle *sh)
{
    struct fut_task *head;

    if (__atomic_load_n(&sh->remote_head, __ATOMIC_SEQ_CST) == NULL)
        return NULL;
    pthread_mutex_lock(&sh->lock);
    head = sh->remote_head;
    sh->remote_head = sh->remote_tail = NULL;
    pthread_mutex_unlock(&sh->lock);
    return head;
}

/* ---- queues ----------------------------------------------------------------- */

void
fut__rt_request_schedule(struct rt *rt)
{
    if (fut__backend_has_schedule(rt->bevt)) {
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
drain_remote(struct rt *rt)
{
    struct fut_task *head = shared_take(rt->shared);

    while (head != NULL) {
        struct fut_task *next = head->next;

        if (FUT__UNLIKELY(head->flags & TASK_NEW))
            fut__task_adopt(rt, head);
        fut__rt_push_local(rt, head);
        head = next;
    }
    if (rt->pool != NULL) {
        if (fut__pool_has_batch(rt->pool))
            fut__pool_flush(rt->pool);
        if (fut__pool_has_done(rt->pool))
            fut__pool_deliver(rt->pool);
    }
    if (FUT__UNLIKELY(__atomic_load_n(&rt->shared->signalled,
                                      __ATOMIC_RELAXED)))
        fut__notify_collect(rt);
}

/* ---- the block_on waker ---------------------------------------------------------
 * Its data is the shared part, and each clone holds a reference to it, so
 * a clone that outlives the block_on (or the runtime) stays safe to wake:
 * it then sets a flag nobody reads. */

static struct fut_waker main_waker_clone(const void *data);

static void
main_waker_wake_by_ref(const void *data)
{
    struct fut_handle *sh = (struct fut_handle *)data;

    __atomic_store_n(&sh->main_woken, 1, __ATOMIC_SEQ_CST);
    if (fut__tls_rt == NULL || fut__tls_rt->shared != sh)
        fut__shared_notify(sh);
}

static void
main_waker_drop(const void *data)
{
    fut__shared_unref((struct fut_handle *)data);
}

static void
main_waker_wake(const void *data)
{
    main_waker_wake_by_ref(data);
    main_waker_drop(data);
}

static const struct fut_waker_vtable main_waker_vtable = {
    .clone = main_waker_clone,
    .wake = main_waker_wake,
    .wake_by_ref = main_waker_wake_by_ref,
    .drop = main_waker_drop,
};

static struct fut_waker
main_waker_clone(const void *data)
{
    struct fut_waker w = { &main_waker_vtable, data };

    fut__shared_ref((struct fut_handle *)data);
    return w;
}

/* ---- the loop ------------------------------------------------------------------ */

/* One turn of the backend: block until I/O, a wake or the next timer when
 * @block, else just collect what is ready; then fire due timers and pick
 * up cross-thread wakes. */
static int
rt_turn_until(struct rt *rt, int block, int64_t cap)
{
    struct fut_handle *sh = rt->shared;
    int64_t deadline = 0;
    int err;

    if (block) {
        /* Clear the doorbell flag before the last look at the remote queue:
         * a wake that comes after this look sees the flag clear and rings,
         * so the turn cannot sleep through it. */
        __atomic_store_n(&sh->notified, 0, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&sh->remote_head, __ATOMIC_SEQ_CST) == NULL &&
            !__atomic_load_n(&sh->main_woken, __ATOMIC_SEQ_CST) &&
            !__atomic_load_n(&sh->signalled, __ATOMIC_SEQ_CST) &&
            (rt->pool == NULL || !fut__pool_has_done(rt->pool)))
            deadline = fut__wheel_next_deadline(&rt->wheel);
        if (cap >= 0 && (deadline < 0 || cap < deadline))
            deadline = cap;
    }
    err = fut__backend_turn(rt->be, deadline);
    if (rt->wheel.count > 0)
        fut__wheel_advance(&rt->wheel, fut_now_ns());
    drain_remote(rt);
    return err;
}

static int
rt_turn(struct rt *rt, int block)
{
    return rt_turn_until(rt, block, -1);
}

/* Spinning before a sleep. A lone request's round trip is mostly the cost
 * of the thread going to sleep and being woken again (in a virtual
 * machine a halted virtual CPU, an interrupt to wake it), so when the next
 * wake is likely to come within a few microseconds the runtime looks at
 * the loop without blocking until it does. The window adapts as the
 * halt-polling governor of a guest kernel does: it starts at zero, grows
 * (SPIN_START_NS, doubling, up to spin_max_ns) after a sleep that ended
 * within spin_max_ns of the runtime running out of work, and halves after
 * a sleep longer than that, down to zero. Between looks the thread yields,
 * so a runnable thread on the same CPU (the one about to wake this
 * runtime, perhaps) runs first. A sleep that ends with more than
 * SPIN_BATCH tasks ready also halves it, and a park after more than
 * SPIN_BATCH polls since the last one neither spins nor grows it: many
 * connections answering together are served best in batches, and
 * spinning would take them one or two at a time, with a system call per
 * look (1.5 to 2 % more CPU per round trip at 64 echo connections). It
 * does not spin while jobs of its blocking pool are queued or running:
 * those threads need the CPUs more than this one needs to hear of them a
 * few microseconds sooner. */
enum { SPIN_START_NS = 8000, SPIN_BATCH = 4 };

static void
spin_shrink(struct rt *rt)
{
    rt->spin_ns /= 2;
    if (rt->spin_ns < SPIN_START_NS)
        rt->spin_ns = 0;
}

static int
rt_has_work(struct rt *rt, const struct fut_future *main)
{
    return rt->run_head != NULL ||
           (main != NULL &&
            __atomic_load_n(&rt->shared->main_woken, __ATOMIC_SEQ_CST));
}

/* Tasks ready to run (and the block_on future, if woken), counting no
 * further than @most. */
static unsigned int
rt_ready_count(struct rt *rt, const struct fut_future *main, unsigned int most)
{
    const struct fut_task *t;
    unsigned int n = main != NULL &&
                     __atomic_load_n(&rt->shared->main_woken, __ATOMIC_SEQ_CST);

    for (t = rt->run_head; t != NULL && n < most; t = t->next)
        n++;
    return n;
}

/* Nothing to run: wait for I/O, a timer or a wake, spinning first.
 * @polls: the polls made since the last park. */
static int
rt_park(struct rt *rt, const struct fut_future *main, unsigned int polls)
{
    int64_t t0, t1, spun = 0;
    int err;

    if (rt->spin_max_ns == 0 ||
        (rt->pool != NULL && fut__pool_active(rt->pool) > 0))
        return rt_turn(rt, 1);
    if (polls > SPIN_BATCH) {
        /* A busy stretch: many tasks ran since the last park. */
        spin_shrink(rt);
        return rt_turn(rt, 1);
    }
    t0 = fut_now_ns();
    if (rt->spin_ns > 0) {
        int64_t end = t0 + rt->spin_ns;

        for (;;) {
            if ((err = rt_turn(rt, 0)) != 0)
                return err;
            if (rt_has_work(rt, main))
                return 0;
            t1 = fut_now_ns();
            if (t1 >= end)
                break;
            sched_yield();
        }
        spun = t1 - t0;
        t0 = t1;
    }
    err = rt_turn(rt, 1);
    t1 = fut_now_ns() - t0;
    if (rt_ready_count(rt, main, SPIN_BATCH + 1) > SPIN_BATCH) {
        spin_shrink(rt);            /* the sleep gathered a batch */
    } else if (t1 + spun <= rt->spin_max_ns) {
        rt->spin_ns = rt->spin_ns == 0 ? SPIN_START_NS : rt->spin_ns * 2;
        if (rt->spin_ns > rt->spin_max_ns)
            rt->spin_ns = rt->spin_max_ns;
    } else if (t1 > rt->spin_max_ns) {
        spin_shrink(rt);
    }
    return err;
}

enum { MODE_BLOCK_ON, MODE_RUN, MODE_STALLED };

static int
rt_loop(struct rt *rt, struct fut_future *main, int mode)
{
    struct fut_handle *sh = rt->shared;
    struct fut_waker mw = { &main_waker_vtable, NULL };
    struct fut_context mcx = { &mw, NULL };
    struct rt *prev_tls = fut__tls_rt;
    unsigned int since_turn = 0, since_park = 0;
    /* The last task queued when the reactor was last looked at: the next
     * look waits until it ran (see below). Never dereferenced. */
    const struct fut_task *round_end = NULL;
    int err = 0, polls = 0;

    if (rt->running || rt->closing)
        return -EBUSY;
    rt->running = 1;
    fut__tls_rt = rt;
    mw.data = sh;
    mcx.rt = (struct fut_runtime *)(void *)rt;
    if (main != NULL)
        __atomic_store_n(&sh->main_woken, 1, __ATOMIC_SEQ_CST);
    drain_remote(rt);
    for (;;) {
        unsigned int n = 0;
        struct fut_task *t;

        if (main != NULL &&
            __atomic_exchange_n(&sh->main_woken, 0, __ATOMIC_SEQ_CST)) {
            rt->budget = rt->budget_init;
            since_park++;
            if (fut_future_poll(main, &mcx) == FUT_READY)
                break;
        }
        if (mode == MODE_RUN && rt->ntasks == 0)
            break;
        while (n < rt->interval && (t = pop_local(rt)) != NULL) {
            if (t == round_end)
                round_end = NULL;
            fut__task_run(rt, t);
            n++;
        }
        polls += (int)n;
        since_turn += n;
        since_park += n;
        drain_remote(rt);
        if (rt->run_head != NULL ||
            (main != NULL &&
             __atomic_load_n(&sh->main_woken, __ATOMIC_SEQ_CST))) {
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
        err = rt_park(rt, main, since_park);
        since_park = 0;
        if (err != 0)
            break;
    }
    fut__tls_rt = prev_tls;
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
    struct fut_handle *sh;
    void *loop;
    int err;

    if (r == NULL || bevt == NULL || !fut__backend_vtable_ok(bevt))
        return -EINVAL;
    if (cfg != NULL && (cfg->version > 3 || (cfg->flags & ~FUT_RUNTIME_NO_SPIN)))
        return -EINVAL;
    if (cfg != NULL && cfg->version >= 3 && cfg->spin_max_us > 10000)
        return -EINVAL;
    if (cfg != NULL && cfg->version >= 2 && cfg->blocking_threads > 4096)
        return -EINVAL;
    loop = cfg != NULL && cfg->backend != NULL ? cfg->backend->loop : NULL;
    if (loop != NULL && bevt->attach == NULL)
        return -ENOTSUP;
    rt = rt_raw(r);
    memset(rt, 0, sizeof *rt);
    sh = fut__calloc(1, sizeof *sh);
    if (sh == NULL)
        return -ENOMEM;
    be = fut__calloc(1, bevt->size);
    if (be == NULL) {
        fut__free(sh);
        return -ENOMEM;
    }
    be->vtable = bevt;
    be->rt = r;
    err = fut__backend_init(be, cfg != NULL ? cfg->backend : NULL);
    if (err != 0) {
        fut__free(be);
        fut__free(sh);
        return err < 0 ? err : -EIO;
    }
    pthread_mutex_init(&sh->lock, NULL);
    sh->refs = SHARED_BIAS;
    sh->be = be;
    sh->bevt = bevt;
    sh->rt = rt;
    rt->shared = sh;
    rt->be = be;
    rt->bevt = bevt;
    rt->budget_init = cfg != NULL && cfg->budget != 0 ? cfg->budget : 128;
    rt->interval = cfg != NULL && cfg->event_interval != 0
                       ? cfg->event_interval
                       : 61;
    rt->pool_max = 64;
    rt->pool_idle_ms = 10000;
    if (cfg != NULL && cfg->version >= 2) {
        if (cfg->blocking_threads != 0)
            rt->pool_max = cfg->blocking_threads;
        if (cfg->blocking_idle_ms != 0)
            rt->pool_idle_ms = cfg->blocking_idle_ms;
    }
    rt->spin_max_ns = 50000;
    if (cfg != NULL && cfg->version >= 3 && cfg->spin_max_us != 0)
        rt->spin_max_ns = (int64_t)cfg->spin_max_us * 1000;
    if (cfg != NULL && (cfg->flags & FUT_RUNTIME_NO_SPIN))
        rt->spin_max_ns = 0;
    fut__wheel_init(&rt->wheel, fut_now_ns());
    rt->magic = RT_MAGIC;
    if (loop != NULL) {
        rt->attached = 1;
        rt->spin_max_ns = 0;
        sh->attached = 1;
        sh->loop_thread = pthread_self();
        err = fut__backend_attach(be, loop);
        if (err != 0) {
            rt->magic = 0;
            fut__backend_fini(be);
            fut__free(be);
            shared_free(sh);
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
    prev_tls = fut__tls_rt;
    fut__tls_rt = rt;
    rt->schedule_pending = 0;
    /* As before a blocking turn: clear the doorbell flag first, so a wake
     * racing with this run rings again and brings the loop back. */
    __atomic_store_n(&rt->shared->notified, 0, __ATOMIC_SEQ_CST);
    drain_remote(rt);
    if (rt->wheel.count > 0)
        fut__wheel_advance(&rt->wheel, fut_now_ns());
    while (n < rt->interval && (t = pop_local(rt)) != NULL) {
        fut__task_run(rt, t);
        n++;
    }
    drain_remote(rt);
    more = rt->run_head != NULL;
    if (rt->hold)
        fut__rt_pool_release_hold(rt, 0);
    if (next_deadline_ns != NULL)
        *next_deadline_ns = fut__wheel_next_deadline(&rt->wheel);
    fut__tls_rt = prev_tls;
    rt->running = 0;
    return more;
}

/* ---- public: embedding in a host loop ---------------------------------------- */

/* The common checks: an owned runtime, not running (a call from one of
 * its tasks, or from inside fut_block_on()), not closed. */
static int
embed_check(struct rt *rt)
{
    if (rt == NULL || rt->magic != RT_MAGIC || rt->attached)
        return -EINVAL;
    if (rt->running || rt->closing)
        return -EBUSY;
    return 0;
}

/* Bring the backend's descriptor up to date. Readiness it finds on the
 * way wakes tasks, which must queue locally: run it as the runtime. */
static int
embed_flush(struct rt *rt)
{
    struct rt *prev_tls = fut__tls_rt;
    int fd;

    rt->running = 1;
    fut__tls_rt = rt;
    fd = fut__backend_embed_fd(rt->be);
    fut__tls_rt = prev_tls;
    rt->running = 0;
    return fd;
}

int
fut_runtime_backend_fd(struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;
    int err = embed_check(rt);

    return err != 0 ? err : embed_flush(rt);
}

int
fut_runtime_backend_timeout(struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;
    struct fut_handle *sh;
    int64_t deadline, now, ms;
    int err = embed_check(rt);

    if (err != 0)
        return err;
    if ((err = embed_flush(rt)) < 0)
        return err;
    sh = rt->shared;
    /* As before a blocking turn: clear the doorbell flag, then take the
     * last look. A wake after the look rings the doorbell, which makes the
     * descriptor readable, so the host cannot sleep through it. */
    __atomic_store_n(&sh->notified, 0, __ATOMIC_SEQ_CST);
    if (rt->run_head != NULL ||
        __atomic_load_n(&sh->remote_head, __ATOMIC_SEQ_CST) != NULL ||
        __atomic_load_n(&sh->signalled, __ATOMIC_SEQ_CST) ||
        (rt->pool != NULL && fut__pool_has_done(rt->pool)))
        return 0;
    deadline = fut__wheel_next_deadline(&rt->wheel);
    if (deadline < 0)
        return -1;
    now = fut_now_ns();
    if (deadline <= now)
        return 0;
    /* Round up: the host waking a millisecond late is allowed, early is
     * not (it would find nothing due and block again). */
    ms = (deadline - now + FUT_NSEC_PER_MSEC - 1) / FUT_NSEC_PER_MSEC;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

int
fut_runtime_run_nowait(struct fut_runtime *r)
{
    return fut_runtime_turn(r, 0);
}

int
fut_runtime_turn(struct fut_runtime *r, int64_t deadline_ns)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;
    struct rt *prev_tls;
    struct fut_task *t;
    unsigned int n = 0;
    int err = embed_check(rt), more;

    if (err != 0)
        return err;
    rt->running = 1;
    prev_tls = fut__tls_rt;
    fut__tls_rt = rt;
    /* Tasks ready already, or no blocking asked for: only collect what is
     * there, as the loop of fut_runtime_run() does between rounds. The
     * doorbell flag is cleared before the turn reads the doorbell, so a
     * wake racing with this run rings again and a host that blocks on the
     * descriptor next (fut_runtime_run_nowait()) sees it. A turn that may
     * block clears it itself before its last look. */
    if (rt->run_head != NULL || deadline_ns == 0) {
        __atomic_store_n(&rt->shared->notified, 0, __ATOMIC_SEQ_CST);
        err = rt_turn_until(rt, 0, 0);
    } else {
        err = rt_turn_until(rt, 1, deadline_ns);
    }
    while (err == 0 && n < rt->interval && (t = pop_local(rt)) != NULL) {
        fut__task_run(rt, t);
        n++;
    }
    drain_remote(rt);
    more = rt->run_head != NULL;
    fut__tls_rt = prev_tls;
    rt->running = 0;
    return err != 0 ? err : more;
}

/*
 * Close, in an order that leaves no window for another thread:
 * 1. Mark the shared part closed and take the remote queue, under its
 *    lock. From then on a remote wake finds it closed and drops its
 *    reference instead of queueing, a remote spawn fails, and nothing
 *    rings the backend; signal-safe rings in progress are waited for.
 * 2. Adopt the tasks spawned from other threads that were queued, so they
 *    are cancelled like the others; cancel every unfinished task (their
 *    drops may wake each other: those wakes stay local).
 * 3. Release the run queue's references, the timers, the registrations,
 *    the backend; hand the runtime's references to the shared part.
 */
int
fut_runtime_close(struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;
    struct rt *prev_tls = fut__tls_rt;
    struct fut_handle *sh;
    struct fut_task *t, *head;
    uintptr_t left;

    if (rt == NULL)
        return -EINVAL;
    if (rt->running || rt->closing)
        return -EBUSY;
    sh = rt->shared;
    rt->closing = 1;
    pthread_mutex_lock(&sh->lock);
    __atomic_store_n(&sh->closed, 1, __ATOMIC_SEQ_CST);
    head = sh->remote_head;
    sh->remote_head = sh->remote_tail = NULL;
    pthread_mutex_unlock(&sh->lock);
    while (__atomic_load_n(&sh->signal_busy, __ATOMIC_SEQ_CST) != 0)
        sched_yield();

    fut__tls_rt = rt;
    while (head != NULL) {
        t = head->next;
        if (head->flags & TASK_NEW)
            fut__task_adopt(rt, head);
        fut__rt_push_local(rt, head);
        head = t;
    }
    while (rt->live != NULL)
        fut__task_cancel(rt, rt->live);
    while ((t = pop_local(rt)) != NULL) {
        __atomic_fetch_and(&t->state, ~(uintptr_t)TASK_SCHEDULED,
                           __ATOMIC_ACQ_REL);
        fut__task_unref(t);
    }
    /* The tasks' drops took their queued jobs back; the pool runs what is
     * left (jobs of futures the caller still holds) and joins its threads.
     * Their wakes find the shared part closed and do nothing. */
    fut__rt_pool_release_hold(rt, 1);
    fut__pool_shutdown(rt->pool);
    rt->pool = NULL;
    fut__notify_fini(rt);
    fut__tls_rt = prev_tls;
    fut__wheel_fini(&rt->wheel);
    /* I/O objects that outlive the runtime are deregistered here, so that
     * closing them later does not reach the freed backend; they may bind
     * to another runtime afterwards. */
    while (rt->ios != NULL)
        (void)fut_io_close(rt->ios);
    fut__backend_fini(rt->be);
    fut__free(rt->be);
    rt->be = NULL;
    sh->be = NULL;
    rt->magic = 0;
    /* Hand the task references counted on this thread to the shared
     * part and give back the runtime's bias; whoever releases the last
     * reference (maybe us, now) frees it. */
    left = __atomic_add_fetch(&sh->refs, rt->local_refs - SHARED_BIAS,
                              __ATOMIC_ACQ_REL);
    rt->local_refs = 0;
    rt->shared = NULL;
    if (left == 0)
        shared_free(sh);
    return 0;
}

/*
 * After fork(2), in the child: only this thread exists, so a lock another
 * thread of the parent held at fork time would never be released. The
 * doorbell lock is re-initialised, never locked first; so are the pool's
 * and the signal table's (fut__pool_fork(), fut__signal_fork()). The
 * signal listeners get their pipes before the backend forks, so that it
 * watches the new ones. The doorbell is rung once at the end: a ring the
 * parent's doorbell got for a wake queued before the fork is not ours.
 */
int
fut_runtime_fork(struct fut_runtime *r)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;
    struct fut_handle *sh;
    int err;

    if (rt == NULL || rt->magic != RT_MAGIC || rt->attached)
        return -EINVAL;
    if (rt->running || rt->closing)
        return -EBUSY;
    if (!fut__backend_has_fork(rt->bevt))
        return -ENOTSUP;
    sh = rt->shared;
    pthread_mutex_init(&sh->lock, NULL);
    __atomic_store_n(&sh->signal_busy, 0, __ATOMIC_SEQ_CST);
    if (rt->pool != NULL)
        fut__pool_fork(rt->pool);
    if ((err = fut__signal_fork()) != 0)
        return err;
    err = fut__backend_fork(rt->be);
    if (err != 0)
        return err < 0 ? err : -EIO;
    __atomic_store_n(&sh->notified, 1, __ATOMIC_SEQ_CST);
    (void)fut__backend_notify(rt->be);
    return 0;
}

struct fut_io *
fut_runtime_io_next(struct fut_runtime *r, struct fut_io *io)
{
    if (io != NULL)
        return io->rt_next;
    return r != NULL ? rt_raw(r)->ios : NULL;
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
    rt = rt_raw(cx->rt);
    if (!rt->running)
        return 1;
    if (rt->budget == 0) {
        fut_waker_wake_by_ref(cx->waker);
        return 0;
    }
    rt->budget--;
    return 1;
}

/* ---- public: handles ---------------------------------------------------------- */

int
fut_runtime_handle(struct fut_runtime *r, struct fut_handle **out)
{
    struct rt *rt = r != NULL ? rt_of(r) : NULL;

    if (out != NULL)
        *out = NULL;
    if (rt == NULL || out == NULL || rt->closing)
        return -EINVAL;
    fut__shared_ref(rt->shared);
    *out = rt->shared;
    return 0;
}

struct fut_handle *
fut_handle_clone(struct fut_handle *h)
{
    if (h != NULL)
        fut__shared_ref(h);
    return h;
}

void
fut_handle_drop(struct fut_handle *h)
{
    if (h != NULL)
        fut__shared_unref(h);
}

int
fut_handle_is_closed(const struct fut_handle *h)
{
    return h != NULL && __atomic_load_n(&h->closed, __ATOMIC_ACQUIRE);
}

/* ---- internal accessors ----------------------------------------------------------- */

struct fut_backend *
fut__runtime_backend(struct fut_runtime *r)
{
    return rt_raw(r)->be;
}

void *
fut__runtime_enter(struct fut_runtime *r)
{
    struct rt *prev = fut__tls_rt;

    fut__tls_rt = rt_raw(r);
    return prev;
}

void
fut__runtime_leave(void *prev)
{
    fut__tls_rt = prev;
}

int
fut__runtime_is_current(const struct fut_runtime *r)
{
    return fut__tls_rt == (const struct rt *)(const void *)r->opaque.bytes_;
}

size_t
fut__runtime_io_count(const struct fut_runtime *r)
{
    return ((const struct rt *)(const void *)r->opaque.bytes_)->io_count;
}

void
fut__runtime_io_link(struct fut_runtime *r, struct fut_io *io)
{
    struct rt *rt = rt_raw(r);

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
    struct rt *rt = rt_raw(r);

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
    return &rt_raw(r)->wheel;
}
