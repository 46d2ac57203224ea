/* SPDX-License-Identifier: MIT */
/* The blocking pool: run a function on a pool thread, await its result. */
#ifndef FUTURES_BLOCKING_H
#define FUTURES_BLOCKING_H

#include "future.h"
#include "waker.h"

FUT__BEGIN_DECLS

/*
 * Calls that block (file system calls, getaddrinfo(3), a library that has
 * no nonblocking interface, a long computation) must not run on a
 * runtime's thread: every task of the runtime would wait for them. The
 * blocking pool runs them on threads of their own and completes a future
 * on the runtime's thread when they return (tokio's spawn_blocking,
 * libuv's uv_queue_work).
 *
 * Each runtime has its own pool, started on first use: no thread exists
 * until a job is submitted. Threads start on demand, one per job waiting,
 * up to a cap (struct fut_runtime_config's blocking_threads, default 64),
 * and a thread idle for blocking_idle_ms (default 10,000 ms) exits. Jobs
 * beyond the cap wait in a FIFO queue. fut_runtime_close() lets the jobs
 * that run finish, runs those still queued (their futures are alive:
 * the caller has not dropped them yet), and joins every thread before it
 * returns, so a job that never returns blocks the close.
 */

/**
 * fut_blocking_fn - a job: runs on a pool thread with the job's @arg.
 * Returns an int (conventionally 0 or a negative errno) delivered as the
 * future's @result. It may block; it must not touch the runtime (poll
 * futures, spawn locally); it may wake wakers and use handles.
 */
typedef int (*fut_blocking_fn)(void *arg);

/**
 * fut_blocking_cleanup_fn - releases a job's @arg when its result will
 * never reach anyone: the future was dropped (before the job ran or after
 * it finished, on the dropping thread; while it ran, on its pool thread
 * once @fn returned). Never called after a READY poll: @arg is then the
 * caller's again.
 */
typedef void (*fut_blocking_cleanup_fn)(void *arg);

/* Private: a job's place in its pool's queue. */
struct fut__pool_node {
    struct fut__pool_node *prev_, *next_;  /* under the pool's lock */
    unsigned char kind_;
    unsigned char queued_;                 /* under the pool's lock: 1 in
                                            * the queue, 2 in the list of
                                            * finished jobs */
    unsigned char local_;                  /* runtime's thread: 1 in its
                                            * batch not yet handed over */
};

/**
 * struct fut_spawn_blocking - run @fn(@arg) on the pool; READY with its
 * result.
 * @result: after READY, what @fn returned, or a negative errno if the job
 *          could not be run: -ENOMEM, -EAGAIN (no pool thread could be
 *          started and none is running), -ESHUTDOWN (the runtime is
 *          closing), -EINVAL (polled without a runtime in the context).
 * @arg:    after READY, the job's argument, handed back to the caller
 *          (whatever @fn left in it: a job writes its outputs there).
 *
 * The first poll submits the job; the job lives in the future itself (no
 * allocation), which is pinned from then on, as every future is. Dropping
 * the future (fut_future_drop()):
 * - before the first poll: @cleanup(@arg) is called at once;
 * - while the job is queued: it is removed, never runs, and @cleanup(@arg)
 *   is called at once;
 * - while it runs: it runs to completion on its thread, which then calls
 *   @cleanup(@arg); the drop does not wait;
 * - after it finished but before a READY poll: @cleanup(@arg) at once.
 * So @arg must not borrow anything the caller frees after a drop: move
 * what the job needs into it (a buffer the job owns, a copy of a path).
 * Poll and drop on the runtime's thread. The waker is woken on that
 * thread as well, when the runtime next runs (it delivers what its pool
 * finished, as libuv runs after_work on the loop's thread); a poll by
 * hand outside the runtime's loop delivers a finished job itself.
 */
struct fut_spawn_blocking {
    struct fut_future base;
    int result;
    void *arg;
    /* private */
    fut_blocking_fn fn_;
    fut_blocking_cleanup_fn cleanup_;
    struct fut__pool_node node_;
    void *pool_;              /* a reference on the pool, once submitted */
    void *worker_;            /* under the pool's lock: who runs it */
    struct fut_waker waker_;  /* the runtime's thread only */
    int state_;
};

/**
 * fut_spawn_blocking_init - a future that runs @fn(@arg) on @cx's
 * runtime's blocking pool.
 * @arg:     moved into the future: released by @cleanup unless a READY
 *           poll hands it back in f->arg. May be NULL.
 * @cleanup: may be NULL (nothing to release).
 *
 * Nothing is submitted until the first poll. Returns 0, or -EINVAL (NULL
 * @f or @fn; then @arg stays the caller's).
 */
FUT_API int fut_spawn_blocking_init(struct fut_spawn_blocking *f,
                                    fut_blocking_fn fn, void *arg,
                                    fut_blocking_cleanup_fn cleanup);

/**
 * fut_runtime_blocking_threads - pool threads of @rt alive now (running a
 * job or idle). Any thread; the answer may be stale when read. 0 for NULL
 * or a runtime that never used its pool.
 */
FUT_API size_t fut_runtime_blocking_threads(const struct fut_runtime *rt);

FUT__END_DECLS

#endif /* FUTURES_BLOCKING_H */
