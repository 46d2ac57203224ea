/* SPDX-License-Identifier: MIT */
/* Runtimes, tasks, join handles and task scopes: the single-threaded executor. */
#ifndef FUTURES_EXECUTOR_H
#define FUTURES_EXECUTOR_H

#include "future.h"

FUT__BEGIN_DECLS

/*
 * The backend contract (struct fut_backend_vtable and what a backend
 * implements) is in futures/backend.h, which programs need not include:
 * here the types are only named, as handles a program passes along.
 */
struct fut_backend_vtable;
struct fut_backend_config;

/**
 * fut_backend_default - the backend a program linked with.
 *
 * Not defined by libfutures itself: every backend library
 * (libfutures-epoll, libfutures-uv, ...) defines it, so the same object
 * files run on whichever backend they are linked with. Any thread.
 */
FUT_API const struct fut_backend_vtable *fut_backend_default(void);

/* ------------------------------------------------------------------------ */
/* Runtime                                                                  */
/* ------------------------------------------------------------------------ */

/** Bytes of caller storage a runtime needs. */
#define FUT_RUNTIME_SIZE 8192

/**
 * struct fut_runtime - an executor, its timers and its backend.
 *
 * Opaque: the caller provides the storage (a local, a global, a field) and
 * never reads it. A runtime runs on one thread at a time (the one calling
 * fut_block_on() or fut_runtime_run()); wakers may be woken from any thread.
 */
struct fut_runtime {
    FUT__STORAGE(FUT_RUNTIME_SIZE) opaque;
};

/**
 * struct fut_runtime_config - options; zero-initialise, set what you need.
 *
 * Spinning before sleep (@spin_max_us, FUT_RUNTIME_NO_SPIN): when the
 * runtime runs its own loop (fut_block_on(), fut_runtime_run()) and has
 * nothing left to run, it may look at the loop without blocking for a
 * short while before it sleeps, so that an answer that comes back a few
 * microseconds later is taken without the thread (and, in a virtual
 * machine, the virtual CPU) going to sleep and being woken again, which
 * is most of the cost and of the latency of a lone request. The window is
 * adaptive and starts at zero: it grows (from 8 µs, doubling, up to
 * @spin_max_us) only while sleeps keep ending within @spin_max_us, and
 * halves after every sleep longer than that, so a runtime whose wakes are
 * rarer than that never spins, and an idle one costs no CPU. It does not
 * spin after a busy stretch (more than 4 task polls since it last ran
 * out of work, or a sleep that ended with more than 4 tasks ready: work
 * that comes in batches is cheaper to take in batches), nor while jobs of
 * its blocking pool are queued or running. While it spins it yields the
 * CPU to any other runnable thread (sched_yield()) between looks. fut_runtime_turn() and
 * attached runtimes never spin: their caller or the program's loop
 * decides when to sleep. See docs/performance.md for the measurements.
 */
struct fut_runtime_config {
    unsigned int version;      /* 1 to 3 (FUT_RUNTIME_CONFIG_VERSION) */
    unsigned int flags;        /* FUT_RUNTIME_NO_SPIN or 0 */
    unsigned int budget;       /* coop budget per task poll; 0: 128 */
    unsigned int event_interval; /* task polls between reactor checks; 0: 61 */
    /* may be NULL; the struct is in futures/backend.h */
    const struct fut_backend_config *backend;
    /* version 2: the blocking pool (futures/blocking.h) */
    unsigned int blocking_threads; /* most pool threads; 0: 64; <= 4096 */
    unsigned int blocking_idle_ms; /* idle thread lifetime; 0: 10,000 ms */
    /* version 3: the longest spin before a sleep, µs; 0: 50; <= 10,000 */
    unsigned int spin_max_us;
};

/** Flag for struct fut_runtime_config: never spin before sleeping. */
#define FUT_RUNTIME_NO_SPIN 0x1u

/**
 * FUT_RUNTIME_CONFIG_VERSION - the newest layout of struct
 * fut_runtime_config. Version 1 ends at @backend; version 2 adds
 * @blocking_threads and @blocking_idle_ms; version 3 adds @spin_max_us.
 * fut_runtime_init() never reads past the end of the version a config
 * declares (a version-1 config gets the pool's defaults).
 */
#define FUT_RUNTIME_CONFIG_VERSION 3

/**
 * fut_runtime_init - start a runtime on @backend.
 * @backend: a backend's vtable, e.g. fut_backend_epoll(); see
 *           fut_runtime_init_default() for the one the program linked.
 * @cfg: options, or NULL for defaults.
 *
 * Allocates the backend's state and the runtime's shared part (the
 * part other threads and handles reach; see struct fut_handle), once each,
 * and nothing after that. Returns 0, -EINVAL (NULL @rt or
 * @backend, a backend vtable of a version other than 1 to 4, or one that
 * lacks a required slot; see futures/backend.h; a @cfg of a version
 * other than 1 to 3, with an unknown flag, more than 4096
 * blocking_threads or a spin_max_us over 10,000), -ENOMEM, or what the
 * backend's init returned. On failure nothing needs closing.
 */
FUT_API int fut_runtime_init(struct fut_runtime *rt,
                             const struct fut_backend_vtable *backend,
                             const struct fut_runtime_config *cfg);

/**
 * fut_runtime_init_default - fut_runtime_init() on fut_backend_default(),
 * i.e. on the backend library the program is linked with.
 */
static inline int
fut_runtime_init_default(struct fut_runtime *rt)
{
    return fut_runtime_init(rt, fut_backend_default(), NULL);
}

/**
 * fut_runtime_init_attached - a runtime that lives inside a loop the
 * program owns and keeps running itself (uv_run, event_base_dispatch,
 * ev_run): spawned tasks make progress from a hook of that loop, next to
 * the program's own callbacks, never inline inside them.
 * @backend: the loop's backend (fut_backend_uv(), ...).
 * @loop: the program's loop (uv_loop_t *, struct event_base *,
 *        struct ev_loop *), borrowed until fut_runtime_close().
 *
 * Call it on the loop's thread, the thread that runs the loop. Spawn
 * tasks with fut_spawn() from that thread; wake them from any thread. A
 * wake on the loop's thread from one of the program's callbacks is local:
 * the task is queued and the loop comes back to the runtime before it
 * blocks or ends, as for a wake from the runtime's own I/O. A wake from
 * another thread rings the runtime's doorbell, which does not keep the
 * loop alive by itself. fut_runtime_close() detaches: it drops the tasks left and closes
 * every handle or event the runtime added to the loop (a libuv loop needs
 * one more uv_run() to finish those closes, as after any uv_close()).
 * Returns 0, -EINVAL (NULL argument), -ENOTSUP (the backend has no attached
 * mode), -ENOMEM, or the backend's error.
 */
FUT_API int fut_runtime_init_attached(struct fut_runtime *rt,
                                      const struct fut_backend_vtable *backend,
                                      void *loop);

/**
 * fut_runtime_close - drop every task left, then release the runtime.
 *
 * Tasks that have not finished are dropped (cancelled) without being polled
 * again; join handles still held report -ECANCELED and must still be
 * released with fut_task_detach(). Armed timers are disarmed and I/O
 * objects still registered are deregistered (they stay open, and may be
 * polled again on another runtime). Futures polled by fut_block_on() are
 * the caller's: drop them before closing. Wakers, handles and notifiers
 * that other threads still hold stay safe to use (a wake does nothing, a
 * spawn fails with -ESHUTDOWN) and must still be released; the storage of
 * @rt may be reused as soon as this returns. The runtime's thread (the one
 * that owns it). Returns 0, -EINVAL for NULL or a runtime already closed,
 * or -EBUSY when called from inside the runtime (from a task) — the
 * runtime is then left as it was.
 */
FUT_API int fut_runtime_close(struct fut_runtime *rt);

/**
 * fut_runtime_fork - give @rt kernel state of its own in a child after
 * fork(2), as uv_loop_fork() does for a libuv loop.
 *
 * A child of fork(2) shares the parent's open file descriptions: the
 * backend's descriptors (an epoll set, a doorbell, a timer descriptor) and
 * every signal listener's self-pipe are the parent's too, so the child
 * would steal the parent's wakes, and work on the epoll set would change
 * the parent's registrations. Call this in the child, on the thread that
 * forked (the only thread there), before anything else touches @rt (no
 * poll, spawn, run or close in between). It then:
 * - gives the runtime new backend descriptors and a new doorbell (through
 *   the backend's @fork, version 5 of its table) and watches every
 *   registered descriptor again with the interest it had; the copies of
 *   the parent's descriptors are closed in the child only (nothing is
 *   removed from a set shared with the parent), so the parent's runtime
 *   goes on untouched;
 * - keeps tasks (queued ones stay queued), timers (their deadlines are on
 *   CLOCK_MONOTONIC, which fork does not change) and handles;
 * - gives every signal listener of the process (fut_signal_init(), for
 *   all runtimes) a self-pipe of its own, once per process: a signal sent
 *   to the child wakes the child's listeners, one sent to the parent the
 *   parent's;
 * - starts the blocking pool afresh: the child has none of the parent's
 *   pool threads, so the pool has no thread until the next job starts
 *   one. A fut_spawn_blocking() job that was queued or running at fork
 *   time completes in the child with result -ECANCELED (running it again
 *   would repeat its side effects, which the parent performs); one that
 *   had finished is delivered with its result. A file-system or DNS
 *   operation (fs.h, dns.h) that was in flight at fork never completes in
 *   the child: drop it. The pool's lock and condition variables are
 *   re-initialised rather than locked, since a thread of the parent may
 *   have held them at fork time; so are the runtime's doorbell lock and
 *   the signal table's.
 * Wakers and handles held by the child's own threads (created after the
 * fork) work as usual. A host loop that watches fut_runtime_backend_fd()
 * asks for it again: the number is kept where the runtime owns the
 * descriptor (epoll, every one-descriptor mode), but libuv's uv_loop_fork()
 * may give its loop another. Attached runtimes are not supported (-EINVAL): the
 * program's loop is the program's to reinitialise; close the runtime in
 * the child and attach a new one. fork(2) while another thread of the
 * parent runs inside @rt's locks leaves only what this function
 * re-initialises usable.
 *
 * Returns 0; -EINVAL for NULL, a closed or an attached runtime; -EBUSY
 * from inside the runtime (a task, fut_block_on()); -ENOTSUP when the
 * backend has no @fork (a table before version 5); or the backend's error
 * (-EMFILE, -ENOMEM...), after which the runtime can only be closed.
 */
FUT_API int fut_runtime_fork(struct fut_runtime *rt);

/**
 * fut_block_on - run @rt until @f is READY.
 *
 * @f is polled in place (not moved); spawned tasks run alongside it. When
 * this returns 0, @f is READY and its output is in its fields; drop it as
 * usual. Tasks still pending stay in the runtime for the next call.
 * Returns 0, -EINVAL (NULL argument), -EBUSY (@rt is already running, e.g.
 * a nested call from a task), or a negative errno from the backend's turn
 * (then @f is still pending and may be driven again).
 */
FUT_API int fut_block_on(struct fut_runtime *rt, struct fut_future *f);

/**
 * fut_runtime_run - run @rt until it has no tasks left.
 *
 * Returns as fut_block_on() does.
 */
FUT_API int fut_runtime_run(struct fut_runtime *rt);

/**
 * fut_runtime_run_until_stalled - run the tasks that are ready, fire due
 * timers and collect I/O readiness without blocking, until no task is
 * ready. Returns the number of task polls made, or a negative errno as
 * fut_block_on() does.
 */
FUT_API int fut_runtime_run_until_stalled(struct fut_runtime *rt);

/* ------------------------------------------------------------------------ */
/* Embedding: a runtime inside another loop that watches one descriptor      */
/* ------------------------------------------------------------------------ */

/*
 * An owned runtime (fut_runtime_init() without a loop) can be driven by a
 * loop that is not a libfutures backend at all: a GLib main loop, Qt's,
 * a game's frame loop, a hand-written poll(2) loop. That loop watches one
 * descriptor for readability and honours one timeout, as libuv's
 * uv_backend_fd() and uv_backend_timeout() let others drive libuv:
 *
 *     for (;;) {                                   (the host's loop)
 *         int ms = fut_runtime_backend_timeout(rt);  (before every block)
 *         poll({ fut_runtime_backend_fd(rt), POLLIN, ... }, ms);
 *         fut_runtime_run_nowait(rt);              (readable, or timed out)
 *     }
 *
 * The trap libuv users meet is a descriptor that does not yet reflect the
 * last interest changes (libuv applies them only inside uv_run()): a host
 * that blocks then sleeps through readiness nobody registered.
 * fut_runtime_backend_timeout() applies every pending change before it
 * answers, so the rule is simple: call it right before each time the host
 * blocks (GLib's prepare step, libuv's prepare handle), after anything
 * else that may have spawned or woken a task on this thread.
 *
 * All three calls are for the runtime's thread, outside its tasks (a task
 * that calls them gets -EBUSY), and only for an owned runtime: an
 * attached one is driven by its loop's hooks instead (-EINVAL).
 */

/**
 * fut_runtime_backend_fd - the descriptor a host loop watches for
 * readability on @rt's behalf.
 *
 * Readable whenever fut_runtime_run_nowait() has something to do that the
 * timeout does not cover: I/O readiness of a registered descriptor, a wake
 * or spawn from another thread, a blocking job done, a signal. It stays
 * the same descriptor for the runtime's life, is owned by the runtime
 * (never close it) and may be level-triggered or edge-triggered inside; a
 * host watching it with poll(2), epoll or a GSource sees it readable until
 * fut_runtime_run_nowait() consumed what it reported. Pending interest
 * changes are applied before it is returned.
 *
 * Returns the descriptor (>= 0), -EINVAL (NULL, closed or attached
 * runtime), -EBUSY (called from one of @rt's tasks), or -ENOTSUP when the
 * backend has no such descriptor (see docs/backends.md: epoll and libuv
 * have one; libevent and libev keep theirs private).
 */
FUT_API int fut_runtime_backend_fd(struct fut_runtime *rt);

/**
 * fut_runtime_backend_timeout - how long the host may block, in
 * milliseconds, before it must call fut_runtime_run_nowait() even if the
 * descriptor stayed quiet.
 *
 * 0 when tasks are ready now (the host must not block), -1 when nothing
 * is timed (block until the descriptor is readable), else the time to the
 * next timer, rounded up (never early; at most INT_MAX). It first applies
 * every pending interest change to the descriptor, so call it right
 * before each block (see above). Returns the timeout, or -EINVAL,
 * -EBUSY or -ENOTSUP as fut_runtime_backend_fd() does, or a negative errno
 * from the backend (its descriptor could not be brought up to date).
 */
FUT_API int fut_runtime_backend_timeout(struct fut_runtime *rt);

/**
 * fut_runtime_run_nowait - run what is ready without blocking: collect I/O
 * readiness and cross-thread wakes, fire due timers, then poll ready tasks
 * (up to the runtime's event_interval of them, so the host's own sources
 * keep their turn).
 *
 * Works on any owned runtime, with or without a descriptor (a host that
 * only has a timer can call it on each tick). Returns 1 when tasks are
 * still ready (call again before blocking; fut_runtime_backend_timeout()
 * then answers 0), 0 when none is, -EINVAL (NULL, closed or attached
 * runtime), -EBUSY (called from one of @rt's tasks, or while
 * fut_block_on() runs it), or a negative errno from the backend's turn.
 */
FUT_API int fut_runtime_run_nowait(struct fut_runtime *rt);

/**
 * fut_runtime_turn - one turn of an owned runtime, for a program that runs
 * its own loop on top of it (the libuv API of compat/uvapi runs uv_run()'s
 * phases around it): wait for I/O readiness, a wake or spawn from another
 * thread, a blocking job done, a signal or the runtime's next timer, but
 * no later than @deadline_ns; report what came (wakers run, on this
 * thread), fire due timers, then poll ready tasks (up to the runtime's
 * event_interval of them).
 * @deadline_ns: fut_now_ns() clock; -1: no deadline of the caller's; a
 *   deadline in the past (or 0): do not block.
 *
 * It does not block when tasks are ready already. Returning early is
 * allowed (a wake that turned out to be for nothing); late is not, within
 * the backend's precision. Returns 1 when tasks are still ready (call again
 * with a past deadline before blocking), 0 when none is, -EINVAL (NULL,
 * closed or attached runtime), -EBUSY (called from one of @rt's tasks, or
 * while another call runs it), or a negative errno from the backend's
 * turn. Runtime thread only.
 */
FUT_API int fut_runtime_turn(struct fut_runtime *rt, int64_t deadline_ns);

/** fut_runtime_task_count - tasks spawned and not yet finished. */
FUT_API size_t fut_runtime_task_count(const struct fut_runtime *rt);

/** fut_runtime_backend_name - "epoll", "uv", ...; NULL for a NULL @rt. */
FUT_API const char *fut_runtime_backend_name(const struct fut_runtime *rt);

/* ------------------------------------------------------------------------ */
/* Handles: the part of a runtime other threads may use                     */
/* ------------------------------------------------------------------------ */

/**
 * struct fut_handle - a counted, thread-safe reference to a runtime (tokio's
 * Handle). Opaque.
 *
 * A runtime is used from one thread at a time; its handle from any thread.
 * The handle stays valid after fut_runtime_close(): operations on it then
 * fail with -ESHUTDOWN instead of touching a runtime that is gone. The
 * runtime's wakers hold the same kind of reference, which is what makes
 * waking a task from another thread safe while, or after, the runtime
 * closes.
 */
struct fut_handle;
struct fut_task;

/**
 * fut_runtime_handle - a new handle to @rt.
 * @out: receives the handle (a new reference: release it with
 *       fut_handle_drop()), or NULL on failure.
 *
 * Call it on the runtime's thread, or before the runtime runs. Returns 0,
 * or -EINVAL (NULL argument, closed or uninitialised runtime).
 */
FUT_API int fut_runtime_handle(struct fut_runtime *rt,
                               struct fut_handle **out);

/**
 * fut_handle_clone - another reference to the same runtime. Any thread.
 * Returns @h (NULL for NULL).
 */
FUT_API struct fut_handle *fut_handle_clone(struct fut_handle *h);

/**
 * fut_handle_drop - release a reference. Any thread, before or after the
 * runtime closed. NULL is ignored.
 */
FUT_API void fut_handle_drop(struct fut_handle *h);

/**
 * fut_handle_is_closed - 1 once the runtime was closed, else 0 (also for
 * NULL). Any thread; the answer may be stale by the time it is read, but
 * 1 is final.
 */
FUT_API int fut_handle_is_closed(const struct fut_handle *h);

/**
 * fut_handle_spawn - fut_spawn() from any thread.
 * @f, @size: as fut_spawn(): the future is moved into the task (copied;
 *            on failure the caller's copy is untouched and still theirs).
 * @handle: receives the join handle, or NULL to detach at once. The
 *          handle may be queried (fut_task_is_finished(), _result()),
 *          aborted and detached from any thread; a fut_task_join on it
 *          must be polled on the runtime's thread.
 *
 * One allocation. The runtime's doorbell is rung and the task is polled
 * on the runtime's thread at its next turn. Returns 0, -EINVAL (as
 * fut_spawn()), -ENOMEM, or -ESHUTDOWN (the runtime is closed, or closes
 * before the task could be queued).
 */
FUT_API int fut_handle_spawn(struct fut_handle *h, struct fut_future *f,
                             size_t size, struct fut_task **handle);

/**
 * fut_run - run @f to completion on a fresh runtime on the default backend,
 * then close the runtime (dropping any task @f left behind).
 * Returns 0 or a negative errno from runtime set-up or the backend.
 */
static inline int
fut_run(struct fut_future *f)
{
    struct fut_runtime rt;
    int err = fut_runtime_init_default(&rt);
    if (err != 0)
        return err;
    err = fut_block_on(&rt, f);
    (void)fut_runtime_close(&rt);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Tasks                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * struct fut_task - a spawned future: a join handle to it.
 *
 * Opaque. The handle keeps the task's memory (and so the finished future's
 * output) alive until it is released with fut_task_detach().
 * fut_task_abort(), fut_task_detach(), fut_task_is_finished(),
 * fut_task_result() and fut_task_output() may be called from any thread;
 * a fut_task_join on the handle is polled on the runtime's thread.
 */
struct fut_task;

/** Bytes a task header takes in front of its future (caller storage path). */
#define FUT_TASK_HEADER_SIZE 96

/** FUT_TASK_STORAGE_SIZE - storage bytes for a task holding @future_size. */
#define FUT_TASK_STORAGE_SIZE(future_size)                                  \
    (FUT_TASK_HEADER_SIZE + (((future_size) + 15u) & ~(size_t)15u))

/**
 * fut_spawn - move @f into a new task on @rt.
 * @f: the future; @size bytes starting at @f are copied (moved) into the
 *     task, so @f must not have been polled yet. On success the caller's
 *     copy is dead: do not poll or drop it. On failure it is untouched.
 * @size: sizeof the concrete future struct (at least sizeof *@f).
 * @handle: receives the join handle, or NULL to detach at once.
 *
 * One allocation (header + future). The task is polled once the runtime
 * runs. Returns 0, -EINVAL (NULL, closed or uninitialised @rt, NULL @f,
 * @size too small or over 1 GiB, @f already dropped), -ENOMEM, -EXDEV
 * (called from a thread other than the one running @rt) or -ESHUTDOWN
 * (the runtime is being closed, e.g. a spawn from a future's drop). Call
 * from the runtime's thread (or before it runs); other threads spawn
 * through a handle, fut_handle_spawn().
 */
FUT_API int fut_spawn(struct fut_runtime *rt, struct fut_future *f,
                      size_t size, struct fut_task **handle);

/** FUT_SPAWN - fut_spawn() for a pointer to a struct whose first member is `base`. */
#define FUT_SPAWN(rt, futp, handle)                                         \
    fut_spawn((rt), &(futp)->base, sizeof *(futp), (handle))

/**
 * fut_spawn_in - fut_spawn() into caller storage: allocates nothing.
 * @storage: at least FUT_TASK_STORAGE_SIZE(@size) bytes aligned to
 *           max_align_t; owned by the runtime until fut_task_storage_busy()
 *           returns 0 (the task finished and every reference is gone).
 *
 * Returns as fut_spawn() does, and -ENOSPC if @storage_size is too small.
 */
FUT_API int fut_spawn_in(struct fut_runtime *rt, void *storage,
                         size_t storage_size, struct fut_future *f,
                         size_t size, struct fut_task **handle);

/**
 * fut_spawn_callback - fut_spawn() a detached task that calls
 * @done(@data, result) once when it finishes: with the future's
 * fut_future_result() when it completes, or -ECANCELED when it is dropped
 * unfinished (fut_runtime_close() cancels what is left). For callback
 * code, such as a libuv or libevent program running the runtime attached
 * to its loop, that wants to hear of a task's end without polling.
 *
 * @done runs on the runtime's thread, inside fut_runtime_run() (or the
 * loop's iteration, attached) or inside fut_runtime_close(), after the
 * future was dropped, so it may free what the future pointed to; it must
 * not close the runtime. The future's output fields are gone by then:
 * a future that produces more than a status writes it where @data points.
 * @data is borrowed until @done runs.
 *
 * One allocation, as fut_spawn(). Returns 0, or as fut_spawn() does
 * (-EINVAL also for a NULL @done); on failure @done is not called and
 * @f is untouched (the caller still owns it). Runtime thread only.
 */
FUT_API int fut_spawn_callback(struct fut_runtime *rt, struct fut_future *f,
                               size_t size,
                               void (*done)(void *data, int result),
                               void *data);

/** FUT_SPAWN_CALLBACK - fut_spawn_callback() for a pointer to a struct whose first member is `base`. */
#define FUT_SPAWN_CALLBACK(rt, futp, done, data)                            \
    fut_spawn_callback((rt), &(futp)->base, sizeof *(futp), (done), (data))

/** fut_task_storage_busy - 1 while the runtime still uses @storage. */
FUT_API int fut_task_storage_busy(const void *storage);

/**
 * fut_task_abort - cancel the task: its future is dropped (not polled
 * again) the next time the runtime gets to it, and the task finishes with
 * -ECANCELED. Aborting a finished task does nothing. Returns 0 or -EINVAL.
 */
FUT_API int fut_task_abort(struct fut_task *t);

/**
 * fut_task_detach - release the handle. An unfinished task goes on
 * running; its memory is freed when it finishes. The handle is dead
 * afterwards. NULL is ignored.
 */
FUT_API void fut_task_detach(struct fut_task *t);

/** fut_task_is_finished - 1 once the task completed or was cancelled. */
FUT_API int fut_task_is_finished(const struct fut_task *t);

/**
 * fut_task_result - the finished task's result: the future's
 * fut_future_result() (0 or -errno), or -ECANCELED if it was aborted or
 * dropped by fut_runtime_close(). -EAGAIN while unfinished, -EINVAL for NULL.
 */
FUT_API int fut_task_result(const struct fut_task *t);

/**
 * fut_task_output - the finished future's storage, to read its output
 * fields (cast it to the concrete type). The future has been dropped, which
 * released its resources but left its output. Valid until the handle is
 * released. NULL while unfinished or if the task was cancelled.
 */
FUT_API void *fut_task_output(struct fut_task *t);

/**
 * struct fut_task_join - a future that waits for a task to finish.
 * @result: after READY, fut_task_result() of the task.
 * @task: the task waited for; NULL once READY (the join no longer refers
 * to it, so the handle may be released before the join is dropped).
 *
 * Borrows the handle (it does not release it). Only one join future should
 * wait on a task at a time; a newer one replaces the older one's waker.
 * Cancel-safe: dropping it does nothing to the task.
 */
struct fut_task_join {
    struct fut_future base;
    struct fut_task *task;
    int result;
};

/** fut_task_join_init - returns 0, or -EINVAL for a NULL argument. */
FUT_API int fut_task_join_init(struct fut_task_join *j, struct fut_task *t);

/* ------------------------------------------------------------------------ */
/* Join sets: tasks added at any time, results taken as they finish         */
/* ------------------------------------------------------------------------ */

/**
 * struct fut_join_set - a dynamic group of tasks (tokio's JoinSet): spawn
 * into it at any time, take finished tasks one by one in the order they
 * finish with a fut_join_set_next future.
 *
 * Embed it and fut_join_set_init() it; release it with
 * fut_join_set_drop(), which aborts what is still running. Like a scope,
 * its tasks cannot outlive it: once dropped, none refers to it. Fields are
 * private. Runtime thread only.
 */
struct fut_join_set {
    struct fut_runtime *rt;
    size_t running;          /* unfinished tasks */
    size_t finished;         /* finished tasks not yet taken */
    void *tasks;             /* unfinished, a list */
    void *done_head;         /* finished, in order */
    void *done_tail;
    struct fut_waker waiter;
};

/**
 * fut_join_set_init - an empty set on @rt. Returns 0, or -EINVAL (NULL
 * argument, closed or uninitialised runtime).
 */
FUT_API int fut_join_set_init(struct fut_join_set *s, struct fut_runtime *rt);

/**
 * fut_join_set_spawn - fut_spawn() into the set (the future is moved in).
 * Returns as fut_spawn() does.
 */
FUT_API int fut_join_set_spawn(struct fut_join_set *s, struct fut_future *f,
                               size_t size);

/** fut_join_set_len - tasks in the set: running, or finished and not taken. */
FUT_API size_t fut_join_set_len(const struct fut_join_set *s);

/**
 * fut_join_set_abort_all - abort every task still running. They finish
 * with -ECANCELED and are taken like any other. NULL is ignored.
 */
FUT_API void fut_join_set_abort_all(struct fut_join_set *s);

/**
 * fut_join_set_drop - abort every running task, release every task, and
 * leave @s empty and unusable; its storage may go when this returns.
 * Aborted tasks finish on their own the next time the runtime gets to
 * them. Cannot fail; NULL is ignored. Any pending fut_join_set_next on @s
 * must have been dropped first.
 */
FUT_API void fut_join_set_drop(struct fut_join_set *s);

/**
 * struct fut_join_set_next - a future for the next task of a set to finish.
 * @task: after READY, the finished task: the caller now owns its handle
 *        (read fut_task_result() / fut_task_output(), then release it with
 *        fut_task_detach()); or NULL when the set was empty.
 * @result: after READY, fut_task_result() of @task, or 0 if @task is NULL.
 *
 * READY at once when a finished task is waiting or the set is empty;
 * PENDING until one of the running tasks finishes. Tasks are handed out in
 * the order they finished. Cancel-safe: dropping a pending one takes
 * nothing out of the set.
 */
struct fut_join_set_next {
    struct fut_future base;
    struct fut_join_set *set;
    struct fut_task *task;
    int result;
};

/** fut_join_set_next_init - returns 0 or -EINVAL. */
FUT_API int fut_join_set_next_init(struct fut_join_set_next *n,
                                   struct fut_join_set *s);

/* ------------------------------------------------------------------------ */
/* Task scopes (structured concurrency)                                     */
/* ------------------------------------------------------------------------ */

/** Scope flags. */
enum fut_scope_flags {
    /* The first task that finishes with an error (fut_task_result() < 0;
     * tasks that were aborted do not count) aborts every other task of the
     * scope. */
    FUT_SCOPE_CANCEL_ON_ERROR = 1u << 0
};

/**
 * struct fut_scope - a nursery: tasks spawned into it cannot outlive it.
 *
 * Embed it, fut_scope_init() it, spawn into it, then await a
 * fut_scope_join_init() (wait for all) or fut_scope_close_init() (cancel
 * what is left, then wait) future before the storage goes away. Fields are
 * private. Runtime thread only.
 */
struct fut_scope {
    struct fut_runtime *rt;
    unsigned int flags;
    int closed;
    int first_error;
    size_t count;
    void *tasks;
    struct fut_waker waiter;
};

/** fut_scope_init - returns 0, or -EINVAL for NULL arguments or bad flags. */
FUT_API int fut_scope_init(struct fut_scope *s, struct fut_runtime *rt,
                           unsigned int flags);

/**
 * fut_scope_spawn - fut_spawn() into the scope. Returns as fut_spawn() does,
 * and -ESHUTDOWN once the scope is closing or closed.
 */
FUT_API int fut_scope_spawn(struct fut_scope *s, struct fut_future *f,
                            size_t size, struct fut_task **handle);

/** fut_scope_count - tasks of the scope that have not finished. */
FUT_API size_t fut_scope_count(const struct fut_scope *s);

/** fut_scope_first_error - the first error a task of the scope finished with, or 0. */
FUT_API int fut_scope_first_error(const struct fut_scope *s);

/**
 * struct fut_scope_wait - a future that waits for a scope's tasks.
 * @result: after READY, the scope's first error (0 if none).
 *
 * Made by fut_scope_join_init() (wait for every task to finish) or
 * fut_scope_close_init() (close the scope to new tasks, abort every task
 * left, wait for them). Dropping either before it finished (even one never
 * polled) means "close": the scope is closed, the remaining tasks are
 * aborted and detached from it, so the scope's storage may go as soon as
 * the drop returns (the aborted tasks finish on their own). A join that
 * is dropped by a timeout therefore cancels the scope's work.
 */
struct fut_scope_wait {
    struct fut_future base;
    struct fut_scope *scope;
    int close;
    int result;
};

/** fut_scope_join_init - returns 0 or -EINVAL. */
FUT_API int fut_scope_join_init(struct fut_scope_wait *w, struct fut_scope *s);

/** fut_scope_close_init - returns 0 or -EINVAL. */
FUT_API int fut_scope_close_init(struct fut_scope_wait *w, struct fut_scope *s);

/**
 * fut_scope_drop - close @s without waiting: abort the tasks left and
 * detach them from the scope, so its storage may go when this returns.
 * For the drop function (or the cleanup block) of a future that embeds a
 * scope. Safe in any state of the scope: NULL, a zeroed scope that was
 * never initialised, and a scope dropped already are ignored, and tasks
 * still running are aborted. Runtime thread only; cannot fail. A pending
 * wait future on @s must have been dropped first (an async frame drops
 * its child before its cleanup block runs).
 */
FUT_API void fut_scope_drop(struct fut_scope *s);

FUT__END_DECLS

#endif /* FUTURES_EXECUTOR_H */
