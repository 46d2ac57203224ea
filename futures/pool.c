/* SPDX-License-Identifier: MIT */
/* The blocking pool: elastic threads per runtime, jobs that complete futures. */
#include "rt.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * One pool per runtime, started by the first job (docs/os.md says why per
 * runtime rather than per process). Its state:
 * - a FIFO queue of jobs, under `lock`;
 * - `nthreads` threads, of which `idle` wait on `cond`; `notified` counts
 *   signals sent to idle threads and not yet taken, so that a burst of
 *   submits never signals the same sleeper twice and starts new threads
 *   for the jobs no idle thread will take (tokio's blocking pool keeps
 *   the same count). While a signal is outstanding, a submit adds
 *   its job without another: the woken thread, and each thread that takes
 *   a job and sees more queued, wakes the next idle one (a chain), so the
 *   runtime's thread pays one futex call per burst;
 * - a record per thread, so that close can join them all and a thread that
 *   left on its own (idle too long) is joined by the next submit.
 *
 * Threads start in two ways. A submit that finds no idle thread starts one
 * itself while fewer than `core` run (the number of CPUs, at least 4, at
 * most the cap): beyond that, a burst of short jobs gains nothing from
 * more threads but contention for the lock and the CPUs (10,000 empty jobs
 * at once took 1.5-1.9x libuv's time on 64 threads, 0.7x on 4:
 * docs/performance.md). Beyond `core`, the watchdog starts them: a thread
 * of the pool's own that, while jobs wait and no thread is free, looks at
 * the workers every FUT__POOL_TICK_MS. A worker still on the job it ran
 * at the last look has run it for a whole tick: it is blocked (a slow
 * disk, a lock, a sleep) or long, and the watchdog starts a thread to
 * replace it, once per job, up to the cap. Jobs that block thus get their
 * threads within a tick or two, and a job that never returns does not
 * hold up the jobs queued behind it (the deadlock of a fixed pool of
 * four, libuv's). Go's scheduler hands a processor away from a thread
 * blocked in a system call the same way (its sysmon thread).
 *
 * The pool is reference counted: the runtime holds one reference, and so
 * does every job submitted, until its last reference goes. A job dropped
 * after the runtime closed therefore still finds the lock it needs.
 *
 * Pool threads block every signal, so that signals reach the runtime's
 * thread (a signalfd only sees signals that every thread blocks), and
 * never run a job with a runtime current: a job that pokes at the runtime
 * (spawn, poll) is refused by the runtime itself.
 */

struct worker {
    pthread_t tid;
    struct worker *next;
    int exited;                 /* under lock: the thread is leaving */
    int abandoned;              /* under lock: the future of the blocking
                                 * job it runs was dropped */
    int watchdog;               /* the pool's watchdog, not a worker */
    /* Under lock, for the watchdog: `busy` while it runs a job; `seq`
     * counts the jobs it took; `seen` is `seq` at the watchdog's last
     * look, `replaced` the job it already started a thread for. */
    int busy;
    unsigned long seq, seen, replaced;
    /* Under lock: the blocking job it runs (NULL: none, or another kind),
     * for fut__pool_fork(). */
    struct fut__pool_node *running;
};

struct fut__pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;        /* a job was queued, or shutdown */
    struct fut__pool_node *head, *tail;
    /* Blocking jobs that finished, for the runtime's thread to deliver
     * (fut__pool_deliver()); done_head is also read atomically. */
    struct fut__pool_node *done_head, *done_tail;
    /* The runtime's thread only: blocking jobs submitted by its tasks
     * since it last looked, handed over in one round of the lock
     * (fut__pool_flush()). */
    struct fut__pool_node *out_head, *out_tail;
    size_t out_count;
    int attached;               /* the runtime runs in the program's loop */
    struct worker *workers;
    size_t nthreads;            /* also read atomically */
    size_t idle;
    size_t notified;
    size_t exited;              /* records of threads that left, unjoined */
    unsigned int max;
    unsigned int core;          /* threads a submit starts itself */
    unsigned int idle_ms;
    /* The watchdog (see below), under lock: `wd_running` while its thread
     * lives, `wd_waiting` while it sleeps on `wd_cond` with nothing to
     * watch, `wd_kicked` once a submit woke it. */
    pthread_cond_t wd_cond;
    int wd_running, wd_waiting, wd_kicked;
    int shutdown;
    unsigned int refs;          /* atomic */
    /* Attached runtimes: the program's loop is held alive while jobs are
     * queued or running (as libuv holds it for uv_queue_work()). `active`
     * counts them; when it falls to 0 while `holding`, the runtime's
     * doorbell is rung so that its hook runs and releases the hold. It is
     * kept for every runtime, written under the lock with atomic
     * operations, because the runtime's thread reads it without the lock
     * (fut__pool_active(): it does not spin while its jobs run). */
    size_t active;
    int holding;
    struct fut_handle *sh;      /* a reference, for that doorbell */
};

/* ---- references ------------------------------------------------------------ */

static void
pool_unref(struct fut__pool *p)
{
    if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    fut__shared_unref(p->sh);
    pthread_cond_destroy(&p->wd_cond);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    fut__free(p);
}

void
fut__job_init(struct fut__job *job, void (*run)(struct fut__job *),
              void (*release)(struct fut__job *))
{
    memset(job, 0, sizeof *job);
    job->run = run;
    job->release = release;
    job->refs = 1;
    fut_atomic_waker_init(&job->aw);
}

void
fut__job_unref(struct fut__job *job)
{
    struct fut__pool *p;

    if (__atomic_sub_fetch(&job->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    p = job->pool;
    job->release(job);
    if (p != NULL)
        pool_unref(p);
}

/* ---- the queue (under lock) ------------------------------------------------- */

/*
 * The queue holds two kinds of job (node->kind_):
 * - FUT__NODE_JOB, a struct fut__job (files, DNS): an allocation of its
 *   own, reference counted, so the pool thread may touch it after its run;
 * - FUT__NODE_BLOCKING, the job of a struct fut_spawn_blocking, which lives
 *   in the future itself: no allocation per job. The pool thread copies what
 *   it needs when it takes the job, and touches the future again only under
 *   the lock, once, to store the result and take its waker; a drop meanwhile
 *   (which needs the lock) marks the thread's record instead, and the
 *   thread then releases the argument itself.
 */
static void
queue_push(struct fut__pool *p, struct fut__pool_node *n)
{
    n->next_ = NULL;
    n->prev_ = p->tail;
    if (p->tail != NULL)
        p->tail->next_ = n;
    else
        p->head = n;
    p->tail = n;
    n->queued_ = 1;
}

static void
queue_remove(struct fut__pool *p, struct fut__pool_node *n)
{
    if (n->prev_ != NULL)
        n->prev_->next_ = n->next_;
    else
        p->head = n->next_;
    if (n->next_ != NULL)
        n->next_->prev_ = n->prev_;
    else
        p->tail = n->prev_;
    n->prev_ = n->next_ = NULL;
    n->queued_ = 0;
}

/* ---- threads ------------------------------------------------------------------- */

/* The absolute CLOCK_MONOTONIC time @ms from now, for the idle wait. */
static struct timespec
deadline_after_ms(unsigned int ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/*
 * What a pool thread still has to do for the job it finished, once it has
 * let go of the lock: release an abandoned job's argument, ring the
 * runtime's doorbell (for finished jobs to deliver, or for a held loop).
 * It does them after taking its next job, so that finishing one job and
 * starting the next cost one round of the lock, not two.
 */
struct after {
    fut_blocking_cleanup_fn cleanup;    /* NULL: none */
    void *arg;
    int ring;
};

static int
after_pending(const struct after *a)
{
    return a->cleanup != NULL || a->ring;
}

/* Unlocked. */
static void
after_run(struct fut__pool *p, struct after *a)
{
    if (a->cleanup != NULL) {
        a->cleanup(a->arg);     /* dropped while it ran: see below */
        a->cleanup = NULL;
    }
    if (a->ring) {
        a->ring = 0;
        fut__shared_notify(p->sh);
    }
}

/* Run the blocking job @n, just taken from the queue (lock held; held
 * again on return, with what is left to do in @a). The future may be
 * dropped while @fn runs: its storage is touched again only under the
 * lock, and only if no drop marked this thread's record meanwhile.
 *
 * The job then goes on the list of finished ones, which the runtime's
 * thread takes as a whole and delivers (fut__pool_deliver()): the owner's
 * waker is woken on the runtime's own thread, as libuv runs a request's
 * after_work callback on the loop's. The pool thread wakes nobody; it
 * rings the runtime's doorbell when the list was empty, once per batch. */
static void
run_blocking(struct fut__pool *p, struct worker *self,
             struct fut__pool_node *n, struct after *a)
{
    struct fut_spawn_blocking *f =
        FUT_CONTAINER_OF(n, struct fut_spawn_blocking, node_);
    fut_blocking_fn fn = f->fn_;
    fut_blocking_cleanup_fn cleanup = f->cleanup_;
    void *arg = f->arg;
    int result;

    f->worker_ = self;
    self->abandoned = 0;
    self->running = n;
    pthread_mutex_unlock(&p->lock);
    after_run(p, a);
    result = fn(arg);
    pthread_mutex_lock(&p->lock);
    self->running = NULL;
    if (self->abandoned) {
        /* The result reaches no one: the argument is released unlocked. */
        a->cleanup = cleanup;
        a->arg = arg;
        return;
    }
    f->result = result;
    f->worker_ = NULL;
    /* The last touch of the future. */
    n->next_ = NULL;
    n->prev_ = p->done_tail;
    n->queued_ = 2;
    if (p->done_tail != NULL) {
        p->done_tail->next_ = n;
    } else {
        /* Sequentially consistent, against the runtime's look before it
         * sleeps (fut__pool_has_done() after clearing its doorbell flag). */
        __atomic_store_n(&p->done_head, n, __ATOMIC_SEQ_CST);
        a->ring = 1;
    }
    p->done_tail = n;
}

static void *
worker_main(void *arg)
{
    struct worker *self = arg;
    struct fut__pool *p;
    struct fut__pool_node *n;
    struct fut__job *job;
    struct after a;
    struct timespec until;
    int timed_out;

    memset(&a, 0, sizeof a);
    /* The pool pointer is the first thing after the record (see spawn). */
    p = *(struct fut__pool **)(void *)(self + 1);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while ((n = p->head) != NULL) {
            queue_remove(p, n);
            self->busy = 1;
            self->seq++;
            /* More waiting: hand one to an idle peer (see submit). */
            if (p->head != NULL && p->idle > p->notified) {
                p->notified++;
                pthread_cond_signal(&p->cond);
            }
            if (n->kind_ == FUT__NODE_BLOCKING) {
                run_blocking(p, self, n, &a);
            } else {
                job = FUT_CONTAINER_OF(n, struct fut__job, node);
                pthread_mutex_unlock(&p->lock);
                after_run(p, &a);
                job->run(job);
                /* The owner learns of the end through the wake; the
                 * pool's reference keeps the job alive until after it. */
                fut_atomic_waker_wake(&job->aw);
                fut__job_unref(job);
                pthread_mutex_lock(&p->lock);
            }
            if (__atomic_sub_fetch(&p->active, 1, __ATOMIC_RELAXED) == 0 &&
                p->holding)
                a.ring = 1;
        }
        if (after_pending(&a)) {
            pthread_mutex_unlock(&p->lock);
            after_run(p, &a);
            pthread_mutex_lock(&p->lock);
            continue;           /* look at the queue again */
        }
        if (p->shutdown)
            break;
        until = deadline_after_ms(p->idle_ms);
        timed_out = 0;
        self->busy = 0;
        p->idle++;
        while (p->notified == 0 && !p->shutdown && !timed_out)
            timed_out = pthread_cond_timedwait(&p->cond, &p->lock, &until) ==
                        ETIMEDOUT;
        p->idle--;
        if (p->notified > 0) {
            p->notified--;
            continue;
        }
        if (p->shutdown)
            continue;           /* run what is queued, then leave */
        if (p->head == NULL)
            break;              /* idle too long */
    }
    self->exited = 1;
    p->exited++;
    __atomic_store_n(&p->nthreads, p->nthreads - 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* How often the watchdog looks while jobs wait for a thread: a job that
 * runs longer than one to two ticks gets a thread to replace its own. */
#define FUT__POOL_TICK_MS 1

static void *watchdog_main(void *arg);

/* Start one thread running @main (lock held). 0 or -errno. */
static int
spawn_thread(struct fut__pool *p, void *(*main)(void *), int watchdog)
{
    struct worker *w;
    pthread_attr_t attr;
    sigset_t all, old;
    int err;

    w = fut__calloc(1, sizeof *w + sizeof(struct fut__pool *));
    if (w == NULL)
        return -ENOMEM;
    *(struct fut__pool **)(void *)(w + 1) = p;
    if (pthread_attr_init(&attr) != 0) {
        fut__free(w);
        return -ENOMEM;
    }
    /* The new thread inherits this mask: it starts with every signal
     * blocked, and this thread gets its own mask back. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    w->watchdog = watchdog;
    err = pthread_create(&w->tid, &attr, main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        fut__free(w);
        return -err;
    }
    w->next = p->workers;
    p->workers = w;
    if (watchdog)
        p->wd_running = 1;
    else
        __atomic_store_n(&p->nthreads, p->nthreads + 1, __ATOMIC_RELAXED);
    return 0;
}

static int
spawn_worker(struct fut__pool *p)
{
    return spawn_thread(p, worker_main, 0);
}

/* Jobs wait and no thread is free to take them (lock held). */
static int
pool_starved(const struct fut__pool *p)
{
    return p->head != NULL && p->idle <= p->notified && p->nthreads < p->max &&
           !p->shutdown;
}

/* Jobs wait, no thread is free and no submit will start one (lock held):
 * wake the watchdog, or start it. Once per burst: while it watches, this
 * costs nothing. */
static void
kick_watchdog(struct fut__pool *p)
{
    if (p->nthreads < p->core || !pool_starved(p))
        return;
    if (!p->wd_running) {
        /* Without it, the jobs still run on the threads there are. */
        (void)spawn_thread(p, watchdog_main, 1);
    } else if (p->wd_waiting && !p->wd_kicked) {
        p->wd_kicked = 1;
        pthread_cond_signal(&p->wd_cond);
    }
}

/* Where each worker is now, for the watchdog's next look (lock held). */
static void
watchdog_mark(struct fut__pool *p)
{
    struct worker *w;

    for (w = p->workers; w != NULL; w = w->next)
        w->seen = w->seq;
}

/* The watchdog's look (lock held): a thread for each worker that has run
 * the same job since the last look, as many as jobs wait and the cap
 * allows; then the next look starts from here. */
static void
watchdog_look(struct fut__pool *p)
{
    struct worker *w;
    size_t stuck = 0, busy = 0, waiting;

    for (w = p->workers; w != NULL; w = w->next) {
        if (w->watchdog || w->exited || !w->busy)
            continue;
        busy++;
        if (w->seq == w->seen && w->replaced != w->seq) {
            w->replaced = w->seq;
            stuck++;
        }
    }
    /* `active` counts the jobs queued and running. */
    waiting = p->active > busy ? p->active - busy : 0;
    if (stuck > waiting)
        stuck = waiting;
    while (stuck-- > 0 && pool_starved(p))
        if (spawn_worker(p) != 0)
            break;
    watchdog_mark(p);
}

/* The watchdog's thread: looks every tick while the pool is starved,
 * sleeps while it is not, and leaves after idle_ms of sleep, as an idle
 * worker does. */
static void *
watchdog_main(void *arg)
{
    struct worker *self = arg;
    struct fut__pool *p = *(struct fut__pool **)(void *)(self + 1);
    struct timespec until;
    int timed_out;

    pthread_mutex_lock(&p->lock);
    watchdog_mark(p);
    for (;;) {
        if (p->shutdown)
            break;
        if (!pool_starved(p)) {
            until = deadline_after_ms(p->idle_ms);
            timed_out = 0;
            p->wd_waiting = 1;
            while (!p->wd_kicked && !p->shutdown && !timed_out)
                timed_out = pthread_cond_timedwait(&p->wd_cond, &p->lock,
                                                   &until) == ETIMEDOUT;
            p->wd_waiting = 0;
            p->wd_kicked = 0;
            if (timed_out && !pool_starved(p))
                break;
            watchdog_mark(p);
            continue;
        }
        /* Starved: a look a tick after the last. */
        until = deadline_after_ms(FUT__POOL_TICK_MS);
        timed_out = 0;
        while (!p->shutdown && !timed_out)
            timed_out = pthread_cond_timedwait(&p->wd_cond, &p->lock,
                                               &until) == ETIMEDOUT;
        if (!p->shutdown && pool_starved(p))
            watchdog_look(p);
    }
    p->wd_running = 0;
    self->exited = 1;
    p->exited++;
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Take the records of threads that left (lock held); join them unlocked. */
static struct worker *
take_exited(struct fut__pool *p)
{
    struct worker **pp = &p->workers, *w, *gone = NULL;

    if (p->exited == 0)
        return NULL;
    p->exited = 0;
    while ((w = *pp) != NULL) {
        if (w->exited) {
            *pp = w->next;
            w->next = gone;
            gone = w;
        } else {
            pp = &w->next;
        }
    }
    return gone;
}

static void
join_all(struct worker *w)
{
    struct worker *next;

    for (; w != NULL; w = next) {
        next = w->next;
        pthread_join(w->tid, NULL);
        fut__free(w);
    }
}

/* ---- the runtime's side ------------------------------------------------------------ */

struct fut__pool *
fut__rt_pool(struct rt *rt, int *err)
{
    struct fut__pool *p = rt->pool;
    pthread_condattr_t ca;
    long ncpu;

    if (p != NULL)
        return p;
    p = fut__calloc(1, sizeof *p);
    if (p == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    if (pthread_condattr_init(&ca) != 0) {
        fut__free(p);
        *err = -ENOMEM;
        return NULL;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_cond_init(&p->cond, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        fut__free(p);
        *err = -ENOMEM;
        return NULL;
    }
    if (pthread_cond_init(&p->wd_cond, &ca) != 0) {
        pthread_cond_destroy(&p->cond);
        pthread_condattr_destroy(&ca);
        fut__free(p);
        *err = -ENOMEM;
        return NULL;
    }
    pthread_condattr_destroy(&ca);
    /* A plain mutex: glibc's adaptive (spinning) one measured slower on a
     * quiet machine, 10,000 jobs at once on 4 threads 570 -> 679 ns/op
     * (docs/performance.md). */
    pthread_mutex_init(&p->lock, NULL);
    p->sh = rt->shared;
    p->attached = rt->attached;
    fut__shared_ref(p->sh);
    p->max = rt->pool_max;
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    p->core = ncpu > 4 ? (unsigned int)(ncpu < 4096 ? ncpu : 4096) : 4;
    if (p->core > p->max)
        p->core = p->max;
    p->idle_ms = rt->pool_idle_ms;
    p->refs = 1;
    rt->pool = p;
    return p;
}

/* Loop hold for an attached runtime: jobs are on their way (runtime's
 * thread). */
static void
hold_loop(struct rt *rt)
{
    if (rt->attached && !rt->hold) {
        rt->hold = 1;
        fut__backend_hold(rt->be, 1);
    }
}

/* Queue @n on @r's pool, and take a reference on the pool for it: *@pp.
 * 0 or -errno (nothing queued).
 *
 * A blocking job submitted while the runtime runs on this thread (a task
 * polled it) goes into the runtime's batch instead, without the lock; the
 * runtime hands the batch over when it next looks at its remote queue,
 * right after the round of polls (fut__pool_flush()). A burst of jobs
 * from one round (a join of 10,000) then costs the pool's lock once, not
 * once per job, against pool threads that take it for every job. A job
 * polled by hand, outside the loop, is queued at once. */
static int
pool_submit(struct fut_runtime *r, struct fut__pool_node *n,
            struct fut__pool **pp)
{
    struct rt *rt = rt_of(r);
    struct fut__pool *p;
    struct worker *gone;
    int err = 0;

    if (rt == NULL)
        return -EINVAL;
    if (rt->closing)
        return -ESHUTDOWN;
    p = fut__rt_pool(rt, &err);
    if (p == NULL)
        return err;
    if (n->kind_ == FUT__NODE_BLOCKING && fut__tls_rt == rt) {
        n->next_ = NULL;
        n->prev_ = p->out_tail;
        if (p->out_tail != NULL)
            p->out_tail->next_ = n;
        else
            p->out_head = n;
        p->out_tail = n;
        p->out_count++;
        n->local_ = 1;
        n->queued_ = 0;
        __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
        *pp = p;
        hold_loop(rt);
        return 0;
    }
    pthread_mutex_lock(&p->lock);
    if (p->shutdown) {
        pthread_mutex_unlock(&p->lock);
        return -ESHUTDOWN;
    }
    if (p->idle > p->notified) {
        /* In a burst of submits, a signalled thread that has not yet
         * taken the queue will take this job too, and wakes the next idle
         * thread itself while more are waiting (worker_main). So the
         * submitting thread makes one futex call per burst rather than
         * one per job, and is not preempted by each thread it wakes. */
        if (p->notified == 0 || p->head == NULL) {
            p->notified++;
            pthread_cond_signal(&p->cond);
        }
    } else if (p->nthreads < p->core) {
        err = spawn_worker(p);
        /* Without a new thread the job still runs if one exists. */
        if (err != 0 && p->nthreads > 0)
            err = 0;
    }
    if (err == 0) {
        *pp = p;
        __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
        queue_push(p, n);
        __atomic_add_fetch(&p->active, 1, __ATOMIC_RELAXED);
        if (rt->attached)
            p->holding = 1;
        kick_watchdog(p);
    }
    gone = take_exited(p);
    pthread_mutex_unlock(&p->lock);
    join_all(gone);
    if (err == 0)
        hold_loop(rt);
    return err;
}

/* Take @n out of the runtime's batch (runtime's thread). */
static void
outbox_remove(struct fut__pool *p, struct fut__pool_node *n)
{
    if (n->prev_ != NULL)
        n->prev_->next_ = n->next_;
    else
        p->out_head = n->next_;
    if (n->next_ != NULL)
        n->next_->prev_ = n->prev_;
    else
        p->out_tail = n->prev_;
    n->prev_ = n->next_ = NULL;
    n->local_ = 0;
    p->out_count--;
}

int
fut__pool_has_batch(const struct fut__pool *p)
{
    return p->out_head != NULL;
}

/*
 * Runtime's thread: hand the batch over, in one round of the lock. As a
 * submit of each job would: idle threads get one signal (the woken one
 * wakes the next while jobs are waiting, see worker_main), and for the
 * jobs no idle thread will take, threads start up to `core`, beyond it
 * the watchdog's business. If no
 * thread runs and none could start, every job of the batch fails with
 * that error, delivered as its result (the argument handed back), as a
 * submit that failed would have made it.
 */
void
fut__pool_flush(struct fut__pool *p)
{
    struct fut__pool_node *first = p->out_head, *last = p->out_tail, *n;
    size_t k = p->out_count, avail, want;
    struct worker *gone;
    int err = 0, was_empty;

    if (first == NULL)
        return;
    p->out_head = p->out_tail = NULL;
    p->out_count = 0;
    /* Not yet seen by any pool thread: published by the lock below. */
    for (n = first; n != NULL; n = n->next_)
        n->local_ = 0;
    pthread_mutex_lock(&p->lock);
    avail = p->idle > p->notified ? p->idle - p->notified : 0;
    want = k > avail ? k - avail : 0;
    if (p->shutdown)
        err = -ESHUTDOWN;
    while (err == 0 && want > 0 && p->nthreads < p->core) {
        int e = spawn_worker(p);

        if (e != 0) {
            if (p->nthreads == 0)
                err = e;
            break;
        }
        want--;
    }
    if (err != 0) {
        /* Nothing will run them: finished, with the error. */
        for (n = first; n != NULL; n = n->next_) {
            FUT_CONTAINER_OF(n, struct fut_spawn_blocking, node_)->result =
                err;
            n->queued_ = 2;
        }
        first->prev_ = p->done_tail;
        if (p->done_tail != NULL)
            p->done_tail->next_ = first;
        else
            __atomic_store_n(&p->done_head, first, __ATOMIC_SEQ_CST);
        p->done_tail = last;
    } else {
        for (n = first; n != NULL; n = n->next_)
            n->queued_ = 1;
        was_empty = p->head == NULL;
        first->prev_ = p->tail;
        if (p->tail != NULL)
            p->tail->next_ = first;
        else
            p->head = first;
        p->tail = last;
        __atomic_add_fetch(&p->active, k, __ATOMIC_RELAXED);
        if (p->attached)
            p->holding = 1;
        if (avail > 0 && (p->notified == 0 || was_empty)) {
            p->notified++;
            pthread_cond_signal(&p->cond);
        }
        kick_watchdog(p);
    }
    gone = take_exited(p);
    pthread_mutex_unlock(&p->lock);
    join_all(gone);
}

int
fut__job_submit(struct fut_runtime *r, struct fut__job *job)
{
    struct fut__pool *p = NULL;
    int err;

    job->node.kind_ = FUT__NODE_JOB;
    /* The pool's reference, before a thread can take the job. */
    __atomic_store_n(&job->refs, 2, __ATOMIC_RELAXED);
    err = pool_submit(r, &job->node, &p);
    if (err != 0) {
        __atomic_store_n(&job->refs, 1, __ATOMIC_RELAXED);
        return err;
    }
    job->pool = p;
    return 0;
}

/* Take @n out of @p's queue if it is there (lock held): 1 if removed.
 * *@ring: the runtime's doorbell must be rung once the lock is let go. */
static int
pool_unqueue(struct fut__pool *p, struct fut__pool_node *n, int *ring)
{
    *ring = 0;
    if (n->queued_ != 1)
        return 0;
    queue_remove(p, n);
    *ring = __atomic_sub_fetch(&p->active, 1, __ATOMIC_RELAXED) == 0 &&
            p->holding;
    return 1;
}

/* Take the finished blocking job @n off the list of finished ones, if it
 * is there (lock held). */
static void
done_remove(struct fut__pool *p, struct fut__pool_node *n)
{
    if (n->queued_ != 2)
        return;
    if (n->prev_ != NULL)
        n->prev_->next_ = n->next_;
    else
        __atomic_store_n(&p->done_head, n->next_, __ATOMIC_RELAXED);
    if (n->next_ != NULL)
        n->next_->prev_ = n->prev_;
    else
        p->done_tail = n->prev_;
    n->prev_ = n->next_ = NULL;
    n->queued_ = 0;
}

int
fut__job_cancel(struct fut__job *job)
{
    struct fut__pool *p = job->pool;
    int removed, ring;

    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->lock);
    removed = pool_unqueue(p, &job->node, &ring);
    pthread_mutex_unlock(&p->lock);
    if (removed)
        fut__job_unref(job);    /* the pool's reference: it never runs */
    if (ring)
        fut__shared_notify(p->sh);  /* the hook releases the hold */
    return removed;
}

void
fut__pool_shutdown(struct fut__pool *p)
{
    struct worker *all;

    if (p == NULL)
        return;
    /* Jobs of futures that outlive the runtime run too. */
    fut__pool_flush(p);
    pthread_mutex_lock(&p->lock);
    p->shutdown = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_cond_signal(&p->wd_cond);
    all = p->workers;
    p->workers = NULL;
    pthread_mutex_unlock(&p->lock);
    join_all(all);
    /* What ran to the end for futures that outlive the runtime is theirs
     * now: a later poll is READY. */
    fut__pool_deliver(p);
    pool_unref(p);
}

void
fut__rt_pool_release_hold(struct rt *rt, int force)
{
    struct fut__pool *p = rt->pool;
    int release = force;

    if (!rt->hold)
        return;
    if (p != NULL) {
        pthread_mutex_lock(&p->lock);
        /* Finished jobs not yet delivered count as work: the pool thread
         * that put the last one on the list also rang the doorbell, and
         * the loop must stay alive until that ring is answered (libuv's
         * loop ends with an unreferenced async handle still pending). The
         * same for a wake a pool thread queued remotely (files, DNS)
         * before it counted its job finished. */
        if (force ||
            (p->active == 0 && p->done_head == NULL && p->out_head == NULL &&
             __atomic_load_n(&rt->shared->remote_head, __ATOMIC_SEQ_CST) ==
                 NULL)) {
            p->holding = 0;
            release = 1;
        }
        pthread_mutex_unlock(&p->lock);
    } else {
        release = 1;
    }
    if (release) {
        rt->hold = 0;
        fut__backend_hold(rt->be, 0);
    }
}

/* Put blocking job @n on the list of finished ones with @result (lock
 * re-initialised, or held). */
static void
done_push(struct fut__pool *p, struct fut__pool_node *n, int result)
{
    struct fut_spawn_blocking *f =
        FUT_CONTAINER_OF(n, struct fut_spawn_blocking, node_);

    f->result = result;
    f->worker_ = NULL;
    n->next_ = NULL;
    n->prev_ = p->done_tail;
    n->queued_ = 2;
    n->local_ = 0;
    if (p->done_tail != NULL)
        p->done_tail->next_ = n;
    else
        __atomic_store_n(&p->done_head, n, __ATOMIC_SEQ_CST);
    p->done_tail = n;
}

/*
 * In the child of a fork(2), on its only thread. The parent's pool
 * threads do not exist here, and any of them may have held the lock at
 * fork time: the lock and condition variables are initialised anew, not
 * locked. Blocking jobs not finished at fork (batched, queued, running)
 * are finished with -ECANCELED: the parent runs them, and running them
 * here too would repeat their side effects. A running one whose future
 * was dropped (abandoned) keeps its argument: the cleanup was the
 * parent's thread's to call. Other jobs (file system, DNS) that were
 * queued leave the queue and never run here; running ones never finish
 * (their owners wait until dropped). The records of the parent's threads
 * are freed without a join; nthreads is 0, so the next job starts one.
 */
void
fut__pool_fork(struct fut__pool *p)
{
    struct fut__pool_node *n, *next;
    struct worker *w, *wnext;
    pthread_condattr_t ca;

    pthread_mutex_init(&p->lock, NULL);
    if (pthread_condattr_init(&ca) == 0) {
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&p->cond, &ca);
        pthread_cond_init(&p->wd_cond, &ca);
        pthread_condattr_destroy(&ca);
    } else {
        pthread_cond_init(&p->cond, NULL);
        pthread_cond_init(&p->wd_cond, NULL);
    }
    for (w = p->workers; w != NULL; w = wnext) {
        wnext = w->next;
        if (w->running != NULL && !w->abandoned)
            done_push(p, w->running, -ECANCELED);
        fut__free(w);
    }
    p->workers = NULL;
    for (n = p->head; n != NULL; n = next) {
        next = n->next_;
        n->prev_ = n->next_ = NULL;
        if (n->kind_ == FUT__NODE_BLOCKING) {
            done_push(p, n, -ECANCELED);
        } else {
            n->queued_ = 0;
            fut__job_unref(FUT_CONTAINER_OF(n, struct fut__job, node));
        }
    }
    p->head = p->tail = NULL;
    for (n = p->out_head; n != NULL; n = next) {
        next = n->next_;
        done_push(p, n, -ECANCELED);
    }
    p->out_head = p->out_tail = NULL;
    p->out_count = 0;
    __atomic_store_n(&p->nthreads, 0, __ATOMIC_RELAXED);
    p->idle = p->notified = p->exited = 0;
    p->wd_running = p->wd_waiting = p->wd_kicked = 0;
    __atomic_store_n(&p->active, 0, __ATOMIC_RELAXED);
    p->holding = 0;
}

size_t
fut__pool_active(const struct fut__pool *p)
{
    return __atomic_load_n(&p->active, __ATOMIC_RELAXED);
}

int
fut__pool_has_done(const struct fut__pool *p)
{
    return __atomic_load_n(&p->done_head, __ATOMIC_SEQ_CST) != NULL;
}

size_t
fut__pool_threads(const struct fut__pool *p)
{
    return p != NULL ? __atomic_load_n(&p->nthreads, __ATOMIC_RELAXED) : 0;
}

size_t
fut_runtime_blocking_threads(const struct fut_runtime *r)
{
    const struct rt *rt = rt_of(r);

    return rt != NULL ? fut__pool_threads(rt->pool) : 0;
}

/* ---- the public future ------------------------------------------------------------- */

enum { SB_INIT, SB_QUEUED, SB_FINISHED, SB_DONE };

/*
 * Runtime's thread: deliver the blocking jobs that finished since the last
 * look. The list is taken whole under the lock; its futures are then
 * touched without it, which is sound because only this thread polls or
 * drops them (the contract) and no pool thread touches a job once it is
 * on the list.
 */
void
fut__pool_deliver(struct fut__pool *p)
{
    struct fut__pool_node *n, *next;

    pthread_mutex_lock(&p->lock);
    n = p->done_head;
    __atomic_store_n(&p->done_head, NULL, __ATOMIC_RELAXED);
    p->done_tail = NULL;
    pthread_mutex_unlock(&p->lock);
    for (; n != NULL; n = next) {
        struct fut_spawn_blocking *f =
            FUT_CONTAINER_OF(n, struct fut_spawn_blocking, node_);
        struct fut_waker w = f->waker_;

        next = n->next_;
        n->prev_ = n->next_ = NULL;
        n->queued_ = 0;
        f->state_ = SB_FINISHED;
        f->waker_.vtable = NULL;
        if (w.vtable != NULL)
            fut_waker_wake(w);
    }
}

static enum fut_poll
spawn_blocking_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_spawn_blocking *f = (struct fut_spawn_blocking *)base;
    struct fut__pool *p = NULL;
    int err;

    if (f->state_ == SB_DONE)
        return FUT_READY;
    if (f->state_ == SB_INIT) {
        if (cx == NULL || cx->rt == NULL) {
            err = -EINVAL;
            goto fail;
        }
        f->worker_ = NULL;
        f->node_.kind_ = FUT__NODE_BLOCKING;
        err = pool_submit(cx->rt, &f->node_, &p);
        if (err != 0)
            goto fail;  /* not queued: the argument is the caller's */
        f->pool_ = p;
        f->waker_ = fut_waker_clone(cx->waker);
        f->state_ = SB_QUEUED;
        return FUT_PENDING;
    }
    if (f->state_ == SB_QUEUED) {
        /* Only this thread delivers: a job that finished is delivered
         * now, for a poll that nothing woke (one by hand, outside the
         * runtime's loop). */
        if (fut__pool_has_done(f->pool_))
            fut__pool_deliver(f->pool_);
    }
    if (f->state_ == SB_QUEUED) {
        if (f->waker_.vtable == NULL ||
            !fut_waker_will_wake(&f->waker_, cx->waker)) {
            fut_waker_drop(&f->waker_);
            f->waker_ = fut_waker_clone(cx->waker);
        }
        return FUT_PENDING;
    }
    /* SB_FINISHED: the pool thread stored the result under the lock that
     * the delivery took after it. */
    p = f->pool_;
    f->pool_ = NULL;
    f->state_ = SB_DONE;
    pool_unref(p);
    return FUT_READY;

fail:
    /* The job never ran; the caller gets @arg back with the error. */
    f->result = err;
    f->state_ = SB_DONE;
    return FUT_READY;
}

static void
spawn_blocking_drop(struct fut_future *base)
{
    struct fut_spawn_blocking *f = (struct fut_spawn_blocking *)base;
    struct fut__pool *p = f->pool_;
    int release = 0, ring = 0;

    if (f->state_ == SB_INIT) {
        release = 1;
    } else if (f->state_ == SB_QUEUED && f->node_.local_) {
        /* Still in the runtime's batch: no pool thread saw it. */
        outbox_remove(p, &f->node_);
        fut_waker_drop(&f->waker_);
        f->pool_ = NULL;
        pool_unref(p);
        release = 1;
    } else if (f->state_ == SB_QUEUED || f->state_ == SB_FINISHED) {
        pthread_mutex_lock(&p->lock);
        if (pool_unqueue(p, &f->node_, &ring)) {
            release = 1;        /* it never runs */
        } else if (f->worker_ != NULL) {
            /* It runs: its thread releases the argument afterwards. */
            ((struct worker *)f->worker_)->abandoned = 1;
        } else {
            /* It finished, delivered or not: the result is unread. */
            done_remove(p, &f->node_);
            release = 1;
        }
        pthread_mutex_unlock(&p->lock);
        fut_waker_drop(&f->waker_);
        if (ring)
            fut__shared_notify(p->sh);  /* the hook releases the hold */
        f->pool_ = NULL;
        pool_unref(p);
    }
    if (release && f->cleanup_ != NULL)
        f->cleanup_(f->arg);
    f->state_ = SB_DONE;
}

static int
spawn_blocking_result(const struct fut_future *base)
{
    return ((const struct fut_spawn_blocking *)base)->result;
}

static const struct fut_future_vtable spawn_blocking_vtable = {
    .poll = spawn_blocking_poll,
    .drop = spawn_blocking_drop,
    .result = spawn_blocking_result,
};

int
fut_spawn_blocking_init(struct fut_spawn_blocking *f, fut_blocking_fn fn,
                        void *arg, fut_blocking_cleanup_fn cleanup)
{
    if (f == NULL || fn == NULL)
        return -EINVAL;
    memset(f, 0, sizeof *f);
    f->base.vtable = &spawn_blocking_vtable;
    f->arg = arg;
    f->fn_ = fn;
    f->cleanup_ = cleanup;
    f->state_ = SB_INIT;
    return 0;
}

/* ---- files (fs.c): reusing a finished job ------------------------------------ */

int
fut__job_reuse(struct fut__job *job, void (*run)(struct fut__job *),
               void (*release)(struct fut__job *))
{
    struct fut__pool *p;

    /* Only the owner's reference left: the pool thread is past its last
     * touch (the unref after its wake). */
    if (__atomic_load_n(&job->refs, __ATOMIC_ACQUIRE) != 1)
        return -EBUSY;
    p = job->pool;
    fut_atomic_waker_drop(&job->aw);
    fut__job_init(job, run, release);
    /* The reference the submit took on the pool for this job. */
    if (p != NULL)
        pool_unref(p);
    return 0;
}
